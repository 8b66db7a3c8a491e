//! `vc`'s command line: flags stakers know from other clients, checked at startup with one clear line
//! naming the flag.

use crate::keys::interop::{interop_keys, parse_interop_range};
use crate::keys::loader::load_keystores;
use crate::keys::ValidatorKey;
use crate::run::ClientConfig;
use crate::settings::{graffiti_bytes, Settings, ValidatorSettings, DEFAULT_GAS_LIMIT};
use clap::{Parser, Subcommand, ValueEnum};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use types::{Address, ChainSpec, Hash256};

/// The preset of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    Mainnet,
    Minimal,
}

impl Preset {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Mainnet => "mainnet",
            Self::Minimal => "minimal",
        }
    }
}

/// Blindfold's validator client.
#[derive(Debug, Parser)]
#[command(
    name = "vc",
    version,
    about = "Blindfold's validator client: keys, slashing protection, duties, and blinded proposals through external builders (--blinded-payload-builder)."
)]
pub struct Cli {
    /// Beacon nodes, in order of preference.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "http://127.0.0.1:5052",
        global = true
    )]
    pub beacon_nodes: Vec<url::Url>,
    /// The client's data directory (slashing protection database).
    #[arg(long, global = true)]
    pub datadir: Option<PathBuf>,
    /// The chain's preset (with the bundled config when no --testnet-dir or --config is given).
    #[arg(long, value_enum, global = true)]
    pub preset: Option<Preset>,
    /// A testnet directory (its config.yaml).
    #[arg(long, global = true)]
    pub testnet_dir: Option<PathBuf>,
    /// A consensus-specs config.yaml.
    #[arg(long, conflicts_with = "testnet_dir", global = true)]
    pub config: Option<PathBuf>,
    /// EIP-2335 keystores: one JSON file per validator, or `0x<pubkey>/voting-keystore.json`.
    #[arg(long, requires = "secrets_dir")]
    pub validators_dir: Option<PathBuf>,
    /// One password file per validator, named `0x<pubkey>`.
    #[arg(long)]
    pub secrets_dir: Option<PathBuf>,
    /// Interop validators START..END (local runs).
    #[arg(long, value_name = "START..END")]
    pub interop_validators: Option<String>,
    /// The fee recipient of the validators' payloads (and of their builder registrations).
    #[arg(long)]
    pub suggested_fee_recipient: Option<Address>,
    /// The gas limit the validators register with builders.
    #[arg(long, default_value_t = DEFAULT_GAS_LIMIT)]
    pub gas_limit: u64,
    /// Use builder payloads: blocks are produced with the builders' bids competing, and signed and
    /// published blinded when a builder wins; validators are registered with the builders.
    #[arg(long)]
    pub blinded_payload_builder: bool,
    /// `builder_boost_factor` for proposals with --blinded-payload-builder (100: the higher value
    /// wins).
    #[arg(long, default_value_t = 100)]
    pub builder_boost_factor: u64,
    /// Prefer builder payloads whenever the node has a valid bid (`builder_boost_factor=2^64-1`).
    #[arg(long, requires = "blinded_payload_builder")]
    pub prefer_builder_proposals: bool,
    /// Per-validator settings (YAML list of {pubkey, fee_recipient, gas_limit, builder,
    /// builder_boost_factor, graffiti}).
    #[arg(long)]
    pub validator_definitions: Option<PathBuf>,
    /// Graffiti of the blocks (at most 32 bytes).
    #[arg(long)]
    pub graffiti: Option<String>,
    /// Watch the validators' liveness for two epochs before signing anything.
    #[arg(long)]
    pub doppelganger_protection: bool,
    /// Serve Prometheus metrics.
    #[arg(long)]
    pub metrics: bool,
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    pub metrics_address: IpAddr,
    #[arg(long, default_value_t = 5064)]
    pub metrics_port: u16,
    /// Log level (error, warn, info, debug, trace).
    #[arg(long, default_value = "info", global = true)]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Maintenance commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// EIP-3076 slashing protection interchange (format v5).
    SlashingProtection {
        #[command(subcommand)]
        action: SlashingProtectionAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum SlashingProtectionAction {
    /// Import an interchange file into the datadir's database.
    Import {
        file: PathBuf,
        /// The network's genesis validators root (else asked of the beacon node).
        #[arg(long)]
        genesis_validators_root: Option<Hash256>,
    },
    /// Export the datadir's database as an interchange file.
    Export {
        file: PathBuf,
        #[arg(long)]
        genesis_validators_root: Option<Hash256>,
    },
}

/// A startup error naming the flag.
#[derive(Debug, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct FlagError {
    pub flag: &'static str,
    pub message: String,
}

fn flag(flag: &'static str, message: impl std::fmt::Display) -> FlagError {
    FlagError {
        flag,
        message: message.to_string(),
    }
}

impl Cli {
    /// The data directory (`--datadir`, else `~/.blindfold/vc`).
    pub fn datadir(&self) -> PathBuf {
        self.datadir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".blindfold")
                .join("vc")
        })
    }

    /// The chain's spec and preset.
    pub fn spec(&self) -> Result<(ChainSpec, Preset), FlagError> {
        let (spec, source) = match (&self.testnet_dir, &self.config) {
            (Some(dir), _) => (
                ChainSpec::from_file(&dir.join("config.yaml"))
                    .map_err(|e| flag("--testnet-dir", e))?,
                true,
            ),
            (None, Some(path)) => (
                ChainSpec::from_file(path).map_err(|e| flag("--config", e))?,
                true,
            ),
            (None, None) => {
                let preset = self.preset.unwrap_or(Preset::Mainnet);
                (
                    ChainSpec::for_preset(preset.as_str())
                        .ok_or_else(|| flag("--preset", "no bundled config"))?,
                    false,
                )
            }
        };
        let preset = match (self.preset, source, spec.preset_base.as_str()) {
            (Some(p), true, base) if p.as_str() != base => {
                return Err(flag(
                    "--preset",
                    format!("{} but the config's PRESET_BASE is {base}", p.as_str()),
                ))
            }
            (Some(p), _, _) => p,
            (None, _, "minimal") => Preset::Minimal,
            (None, _, "mainnet") => Preset::Mainnet,
            (None, _, other) => {
                return Err(flag("--config", format!("unknown PRESET_BASE {other}")))
            }
        };
        Ok((spec, preset))
    }

    /// The validators' keys: keystores (decrypted now) and interop keys.
    pub fn keys(&self) -> Result<Vec<ValidatorKey>, FlagError> {
        let mut keys = Vec::new();
        if let (Some(validators), Some(secrets)) = (&self.validators_dir, &self.secrets_dir) {
            keys.extend(
                load_keystores(validators, secrets, 100)
                    .map_err(|e| flag("--validators-dir", e))?,
            );
        }
        if let Some(range) = &self.interop_validators {
            let range = parse_interop_range(range).map_err(|e| flag("--interop-validators", e))?;
            keys.extend(interop_keys(range));
        }
        if keys.is_empty() {
            return Err(flag(
                "--validators-dir",
                "no validators: give --validators-dir and --secrets-dir, or --interop-validators",
            ));
        }
        Ok(keys)
    }

    /// The run's configuration.
    pub fn client_config(&self, spec: ChainSpec) -> Result<ClientConfig, FlagError> {
        let graffiti = match &self.graffiti {
            Some(text) => Some(
                graffiti_bytes(text).ok_or_else(|| flag("--graffiti", "longer than 32 bytes"))?,
            ),
            None => None,
        };
        let fee_recipient = self.suggested_fee_recipient.ok_or_else(|| {
            flag(
                "--suggested-fee-recipient",
                "required: where the validators' payloads pay",
            )
        })?;
        let mut settings = Settings::new(ValidatorSettings {
            fee_recipient,
            gas_limit: self.gas_limit,
            builder: true,
            builder_boost_factor: self.builder_boost_factor,
            graffiti,
        });
        if let Some(path) = &self.validator_definitions {
            settings = settings
                .with_definitions(path)
                .map_err(|e| flag("--validator-definitions", e))?;
        }
        if self.beacon_nodes.is_empty() {
            return Err(flag("--beacon-nodes", "at least one beacon node"));
        }
        Ok(ClientConfig {
            spec,
            datadir: self.datadir(),
            beacon_nodes: self.beacon_nodes.clone(),
            settings,
            blinded_payload_builder: self.blinded_payload_builder,
            prefer_builder_proposals: self.prefer_builder_proposals,
            doppelganger_protection: self.doppelganger_protection,
            metrics: self
                .metrics
                .then(|| SocketAddr::new(self.metrics_address, self.metrics_port)),
        })
    }
}
