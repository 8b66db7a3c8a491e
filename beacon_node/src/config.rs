//! The command line checked and turned into the node's settings. Every operator mistake that can be
//! seen before the node starts is refused here, with an error naming the flag, so that it never
//! surfaces later as a missed proposal.

use crate::cli::{Cli, Fork, Preset};
use builder_api::BuilderConfig;
use engine_api::JwtSecret;
use execution_layer::CircuitBreakerConfig;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use types::{Address, ChainSpec, ForkName};
use url::Url;

/// The default metrics listen address: local only, as metrics reveal the node's builders.
const DEFAULT_METRICS_ADDRESS: [u8; 4] = [127, 0, 0, 1];

/// A startup error: one line, naming the flag at fault when there is one.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A flag's value cannot be used.
    #[error("{flag}: {message}")]
    Flag {
        /// The flag, e.g. `--execution-jwt`.
        flag: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// Anything else that stops the node.
    #[error("{0}")]
    Other(String),
}

impl StartupError {
    /// An error naming `flag`.
    pub fn flag(flag: &'static str, message: impl std::fmt::Display) -> Self {
        Self::Flag {
            flag,
            message: message.to_string(),
        }
    }
}

/// Where a chain starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Genesis {
    /// `DIR/genesis.ssz` (its `config.yaml` is the spec).
    TestnetDir(PathBuf),
    /// Interop validators at a genesis time.
    Interop {
        /// How many.
        validators: u64,
        /// Unix seconds.
        genesis_time: u64,
    },
}

impl Genesis {
    /// The flag an operator gave this genesis with, for error messages.
    pub fn flag(&self) -> &'static str {
        match self {
            Self::TestnetDir(_) => "--testnet-dir",
            Self::Interop { .. } => "--interop-validators",
        }
    }
}

/// The builder module's settings from the command line.
#[derive(Debug, Clone)]
pub struct BuilderSettings {
    /// One config per `--payload-builder` URL.
    pub builders: Vec<BuilderConfig>,
    pub circuit_breaker: CircuitBreakerConfig,
    pub require_fee_recipient: bool,
    pub withhold_penalty_epochs: Option<u64>,
    /// `None`: always wait for the local payload.
    pub local_payload_timeout: Option<Duration>,
    /// `--payload-builder-rpc`, `--payload-builder-engine` and their keys and timeouts.
    pub full_payload: execution_layer::FullPayloadBuildersConfig,
}

/// Everything the node needs, checked.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub datadir: PathBuf,
    pub preset: Preset,
    pub spec: ChainSpec,
    pub genesis: Genesis,
    pub execution_endpoint: Url,
    pub jwt_secret: JwtSecret,
    pub suggested_fee_recipient: Option<Address>,
    pub builder: BuilderSettings,
    pub http_address: SocketAddr,
    /// `--http-allow-origin`.
    pub http_allow_origin: Option<String>,
    /// `None`: no metrics server.
    pub metrics_address: Option<SocketAddr>,
    /// `None`: no RPC gateway.
    pub rpc_gateway: Option<crate::gateway::GatewaySettings>,
}

impl NodeConfig {
    /// Checks the command line. Reads the JWT file and the testnet config; never touches the network.
    pub fn from_cli(cli: &Cli) -> Result<Self, StartupError> {
        let (genesis, spec, preset) = chain(cli)?;
        let execution_endpoint = engine_url(&cli.execution_endpoint)?;
        let jwt_secret = JwtSecret::from_file(&cli.execution_jwt).map_err(|e| match e {
            engine_api::JwtError::Io { .. } => StartupError::flag("--execution-jwt", e),
            other => StartupError::flag(
                "--execution-jwt",
                format!("{}: {other}", cli.execution_jwt.display()),
            ),
        })?;
        let suggested_fee_recipient = cli
            .suggested_fee_recipient
            .as_deref()
            .map(fee_recipient)
            .transpose()?;
        let builder = builder_settings(cli, &spec)?;
        let metrics_enabled =
            cli.metrics || cli.metrics_address.is_some() || cli.metrics_port.is_some();
        let metrics_address = metrics_enabled.then(|| {
            SocketAddr::new(
                cli.metrics_address
                    .unwrap_or_else(|| DEFAULT_METRICS_ADDRESS.into()),
                cli.metrics_port.unwrap_or(crate::cli::DEFAULT_METRICS_PORT),
            )
        });
        Ok(Self {
            datadir: cli.datadir.clone(),
            preset,
            spec,
            genesis,
            execution_endpoint,
            jwt_secret,
            suggested_fee_recipient,
            builder,
            http_address: SocketAddr::new(cli.http_address, cli.http_port),
            http_allow_origin: cli.http_allow_origin.clone(),
            metrics_address,
            rpc_gateway: crate::gateway::settings(cli)?,
        })
    }
}

/// The genesis, its spec and the preset.
fn chain(cli: &Cli) -> Result<(Genesis, ChainSpec, Preset), StartupError> {
    let (genesis, spec, spec_source) = match (&cli.testnet_dir, cli.interop_validators) {
        (Some(dir), _) => {
            let spec = testnet_spec(dir)?;
            (
                Genesis::TestnetDir(dir.clone()),
                spec,
                Some("--testnet-dir"),
            )
        }
        (None, Some(validators)) => {
            let genesis_time = cli.genesis_time.ok_or_else(|| {
                StartupError::flag("--genesis-time", "required with --interop-validators")
            })?;
            if validators == 0 {
                return Err(StartupError::flag(
                    "--interop-validators",
                    "at least one validator is needed",
                ));
            }
            let genesis = Genesis::Interop {
                validators,
                genesis_time,
            };
            match &cli.config {
                Some(path) => {
                    let spec = ChainSpec::from_file(path)
                        .map_err(|e| StartupError::flag("--config", e))?;
                    (genesis, spec, Some("--config"))
                }
                None => {
                    let preset = cli.preset.unwrap_or(Preset::Mainnet);
                    let last = ForkName::from(cli.interop_fork.unwrap_or(Fork::Fulu));
                    let spec = ChainSpec::for_preset(preset.as_str())
                        .ok_or_else(|| StartupError::flag("--preset", "no bundled config"))?
                        .with_forks_at_genesis_up_to(last);
                    (genesis, spec, None)
                }
            }
        }
        (None, None) => return Err(StartupError::flag(
            "--testnet-dir",
            "a genesis is required: --testnet-dir DIR, or --interop-validators N --genesis-time T \
                 (give the flags the datadir was created with to resume it)",
        )),
    };
    let preset = match (cli.preset, spec_source) {
        (Some(preset), Some(source)) if preset.as_str() != spec.preset_base => {
            return Err(StartupError::flag(
                "--preset",
                format!(
                    "{} does not match the {source} config's PRESET_BASE {}",
                    preset.as_str(),
                    spec.preset_base
                ),
            ))
        }
        (Some(preset), _) => preset,
        (None, Some(source)) => match spec.preset_base.as_str() {
            "mainnet" => Preset::Mainnet,
            "minimal" => Preset::Minimal,
            other => {
                return Err(StartupError::flag(
                    source,
                    format!("unknown PRESET_BASE {other:?} (expected mainnet or minimal)"),
                ))
            }
        },
        (None, None) => Preset::Mainnet,
    };
    if spec.capella_fork_epoch != 0 {
        let flag = spec_source.unwrap_or("--interop-fork");
        return Err(StartupError::flag(
            flag,
            "Blindfold's chains start at Capella or later: CAPELLA_FORK_EPOCH must be 0",
        ));
    }
    Ok((genesis, spec, preset))
}

/// The spec of a testnet directory, which must hold both files.
fn testnet_spec(dir: &Path) -> Result<ChainSpec, StartupError> {
    const FLAG: &str = "--testnet-dir";
    if !dir.is_dir() {
        return Err(StartupError::flag(
            FLAG,
            format!("{} is not a directory", dir.display()),
        ));
    }
    for file in ["config.yaml", "genesis.ssz"] {
        if !dir.join(file).is_file() {
            return Err(StartupError::flag(
                FLAG,
                format!("{} has no {file}", dir.display()),
            ));
        }
    }
    beacon_chain::genesis::testnet_spec(dir).map_err(|e| StartupError::flag(FLAG, e))
}

/// The engine endpoint: an http(s) URL with a host.
fn engine_url(text: &str) -> Result<Url, StartupError> {
    const FLAG: &str = "--execution-endpoint";
    let url = Url::parse(text.trim())
        .map_err(|e| StartupError::flag(FLAG, format!("invalid URL {text:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(StartupError::flag(
            FLAG,
            format!(
                "invalid URL {text:?}: unsupported scheme {:?} (expected http or https)",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(StartupError::flag(
            FLAG,
            format!("invalid URL {text:?}: no host"),
        ));
    }
    Ok(url)
}

/// A 0x-prefixed 20-byte address.
fn fee_recipient(text: &str) -> Result<Address, StartupError> {
    const FLAG: &str = "--suggested-fee-recipient";
    if !text.starts_with("0x") {
        return Err(StartupError::flag(
            FLAG,
            format!("{text:?} is not a 0x-prefixed address"),
        ));
    }
    text.parse::<Address>()
        .map_err(|e| StartupError::flag(FLAG, format!("{text:?} is not a 20-byte address: {e}")))
}

fn builder_settings(cli: &Cli, spec: &ChainSpec) -> Result<BuilderSettings, StartupError> {
    let header_timeout = match cli.builder_header_timeout {
        Some(0) => {
            return Err(StartupError::flag(
                "--builder-header-timeout",
                "must be more than 0 ms",
            ))
        }
        Some(ms) if ms >= spec.slot_duration_ms => {
            return Err(StartupError::flag(
                "--builder-header-timeout",
                format!(
                    "{ms} ms is not shorter than the {} ms slot",
                    spec.slot_duration_ms
                ),
            ))
        }
        Some(ms) => Some(Duration::from_millis(ms)),
        None => None,
    };
    let mut builders = Vec::with_capacity(cli.payload_builder.len());
    for url in &cli.payload_builder {
        let mut config = BuilderConfig::from_flag(url, "--payload-builder").map_err(|e| {
            // The error names the flag itself.
            StartupError::Other(e.to_string())
        })?;
        if let Some(timeout) = header_timeout {
            config.timeouts.get_header = timeout;
        }
        if builders.iter().any(|b: &BuilderConfig| b.url == config.url) {
            return Err(StartupError::flag(
                "--payload-builder",
                format!("{} is listed more than once", config.url),
            ));
        }
        builders.push(config);
    }
    let circuit_breaker = if cli.builder_fallback_disable_checks {
        CircuitBreakerConfig::disabled()
    } else {
        let defaults = CircuitBreakerConfig::default();
        CircuitBreakerConfig {
            max_skipped_slots_at_head: cli
                .builder_fallback_skips
                .or(defaults.max_skipped_slots_at_head),
            max_empty_slots_in_last_32: cli
                .builder_fallback_skips_per_epoch
                .or(defaults.max_empty_slots_in_last_32),
            max_epochs_since_finality: cli
                .builder_fallback_epochs_since_finalization
                .or(defaults.max_epochs_since_finality),
        }
    };
    let local_payload_timeout = match cli.local_payload_timeout {
        Some(0) => None,
        Some(ms) => Some(Duration::from_millis(ms)),
        None => Some(execution_layer::DEFAULT_LOCAL_PAYLOAD_TIMEOUT),
    };
    let full_payload = crate::full_payload_config::full_payload_builders(cli, spec)?;
    Ok(BuilderSettings {
        builders,
        full_payload,
        circuit_breaker,
        require_fee_recipient: cli.builder_require_fee_recipient,
        withhold_penalty_epochs: cli.builder_withhold_penalty_epochs,
        local_payload_timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Cli {
        crate::cli::test_cli(args)
    }

    #[test]
    fn circuit_breaker_flags_map_onto_the_thresholds() {
        let cli = parse(&[
            "--builder-fallback-skips",
            "2",
            "--builder-fallback-skips-per-epoch",
            "5",
            "--interop-validators",
            "4",
            "--genesis-time",
            "0",
        ]);
        let settings = builder_settings(&cli, &ChainSpec::minimal()).unwrap();
        assert_eq!(
            settings.circuit_breaker,
            CircuitBreakerConfig {
                max_skipped_slots_at_head: Some(2),
                max_empty_slots_in_last_32: Some(5),
                max_epochs_since_finality: Some(3),
            }
        );
        let cli = parse(&["--builder-fallback-disable-checks"]);
        let settings = builder_settings(&cli, &ChainSpec::minimal()).unwrap();
        assert_eq!(settings.circuit_breaker, CircuitBreakerConfig::disabled());
        assert!(Cli::try_parse_from([
            "bn",
            "--datadir",
            "x",
            "--execution-endpoint",
            "http://a",
            "--execution-jwt",
            "j",
            "--builder-fallback-disable-checks",
            "--builder-fallback-skips",
            "1",
        ])
        .is_err());
    }

    #[test]
    fn builder_timeouts_and_pinned_keys() {
        let key = "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c";
        let url = format!("http://{key}@127.0.0.1:18550,http://127.0.0.1:18551");
        let cli = parse(&[
            "--payload-builder",
            &url,
            "--builder-header-timeout",
            "500",
            "--local-payload-timeout",
            "0",
        ]);
        let settings = builder_settings(&cli, &ChainSpec::minimal()).unwrap();
        assert_eq!(settings.builders.len(), 2);
        assert!(settings.builders[0].pubkey.is_some());
        assert!(settings.builders[1].pubkey.is_none());
        assert_eq!(
            settings.builders[0].timeouts.get_header,
            Duration::from_millis(500)
        );
        assert_eq!(settings.local_payload_timeout, None);
        let cli = parse(&["--builder-header-timeout", "6000"]);
        let error = builder_settings(&cli, &ChainSpec::minimal()).unwrap_err();
        assert!(error.to_string().starts_with("--builder-header-timeout:"));
        let cli = parse(&["--payload-builder", "ftp://x"]);
        let error = builder_settings(&cli, &ChainSpec::minimal()).unwrap_err();
        assert!(
            error.to_string().starts_with("--payload-builder:"),
            "{error}"
        );
    }

    #[test]
    fn genesis_and_preset() {
        let cli = parse(&[
            "--interop-validators",
            "8",
            "--genesis-time",
            "5",
            "--preset",
            "minimal",
        ]);
        let (genesis, spec, preset) = chain(&cli).unwrap();
        assert_eq!(
            genesis,
            Genesis::Interop {
                validators: 8,
                genesis_time: 5
            }
        );
        assert_eq!(preset, Preset::Minimal);
        assert_eq!(spec.fulu_fork_epoch, 0);
        let cli = parse(&[
            "--interop-validators",
            "8",
            "--genesis-time",
            "5",
            "--interop-fork",
            "deneb",
        ]);
        let (_, spec, preset) = chain(&cli).unwrap();
        assert_eq!(preset, Preset::Mainnet);
        assert_eq!(spec.deneb_fork_epoch, 0);
        assert_eq!(spec.electra_fork_epoch, types::FAR_FUTURE_EPOCH);
        let error = chain(&parse(&[])).unwrap_err();
        assert!(error.to_string().starts_with("--testnet-dir:"));
        let error = chain(&parse(&["--testnet-dir", "/nonexistent"])).unwrap_err();
        assert!(error.to_string().contains("not a directory"), "{error}");
    }

    #[test]
    fn endpoints_and_addresses() {
        assert!(engine_url("http://127.0.0.1:8551").is_ok());
        let error = engine_url("127.0.0.1:8551").unwrap_err().to_string();
        assert!(error.starts_with("--execution-endpoint:"), "{error}");
        assert!(engine_url("ws://x").is_err());
        assert!(fee_recipient("0x00000000000000000000000000000000000000fe").is_ok());
        assert!(fee_recipient("00000000000000000000000000000000000000fe").is_err());
        assert!(fee_recipient("0x1234").is_err());
    }
}
