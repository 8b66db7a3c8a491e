//! `ChainSpec`: a network's runtime configuration, loaded from a consensus-specs `config.yaml`, and its
//! fork schedule.

use crate::consensus::Fork;
use crate::primitives::*;
use std::collections::BTreeMap;
use std::path::Path;

/// `FAR_FUTURE_EPOCH`: a fork scheduled here never activates.
pub const FAR_FUTURE_EPOCH: Epoch = u64::MAX;
/// `GENESIS_SLOT`
pub const GENESIS_SLOT: Slot = 0;
/// `GENESIS_EPOCH`
pub const GENESIS_EPOCH: Epoch = 0;

// Domain types (phase0, altair, capella) and the builder application domain (builder-specs).
pub const DOMAIN_BEACON_PROPOSER: DomainType = [0x00, 0, 0, 0];
pub const DOMAIN_BEACON_ATTESTER: DomainType = [0x01, 0, 0, 0];
pub const DOMAIN_RANDAO: DomainType = [0x02, 0, 0, 0];
pub const DOMAIN_DEPOSIT: DomainType = [0x03, 0, 0, 0];
pub const DOMAIN_VOLUNTARY_EXIT: DomainType = [0x04, 0, 0, 0];
pub const DOMAIN_SELECTION_PROOF: DomainType = [0x05, 0, 0, 0];
pub const DOMAIN_AGGREGATE_AND_PROOF: DomainType = [0x06, 0, 0, 0];
pub const DOMAIN_SYNC_COMMITTEE: DomainType = [0x07, 0, 0, 0];
pub const DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF: DomainType = [0x08, 0, 0, 0];
pub const DOMAIN_CONTRIBUTION_AND_PROOF: DomainType = [0x09, 0, 0, 0];
pub const DOMAIN_BLS_TO_EXECUTION_CHANGE: DomainType = [0x0a, 0, 0, 0];
pub const DOMAIN_APPLICATION_MASK: DomainType = [0x00, 0, 0, 0x01];
/// `DOMAIN_APPLICATION_BUILDER`: bids and validator registrations are signed under it.
pub const DOMAIN_APPLICATION_BUILDER: DomainType = [0x00, 0, 0, 0x01];

/// One entry of Fulu's `BLOB_SCHEDULE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobScheduleEntry {
    pub epoch: Epoch,
    pub max_blobs_per_block: u64,
}

/// A network's configuration (`configs/*.yaml`). Field names are the spec's, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSpec {
    pub config_name: String,
    pub preset_base: String,
    pub min_genesis_active_validator_count: u64,
    pub min_genesis_time: u64,
    pub genesis_fork_version: Version,
    pub genesis_delay: u64,
    pub altair_fork_version: Version,
    pub altair_fork_epoch: Epoch,
    pub bellatrix_fork_version: Version,
    pub bellatrix_fork_epoch: Epoch,
    pub capella_fork_version: Version,
    pub capella_fork_epoch: Epoch,
    pub deneb_fork_version: Version,
    pub deneb_fork_epoch: Epoch,
    pub electra_fork_version: Version,
    pub electra_fork_epoch: Epoch,
    pub fulu_fork_version: Version,
    pub fulu_fork_epoch: Epoch,
    /// `SLOT_DURATION_MS` (or `SECONDS_PER_SLOT * 1000` in older configs).
    pub slot_duration_ms: u64,
    pub seconds_per_eth1_block: u64,
    pub min_validator_withdrawability_delay: Epoch,
    pub shard_committee_period: Epoch,
    pub eth1_follow_distance: u64,
    pub inactivity_score_bias: u64,
    pub inactivity_score_recovery_rate: u64,
    pub ejection_balance: Gwei,
    pub min_per_epoch_churn_limit: u64,
    pub churn_limit_quotient: u64,
    pub max_per_epoch_activation_churn_limit: u64,
    pub min_per_epoch_churn_limit_electra: Gwei,
    pub max_per_epoch_activation_exit_churn_limit: Gwei,
    pub proposer_score_boost: u64,
    pub deposit_chain_id: u64,
    pub deposit_network_id: u64,
    pub deposit_contract_address: Address,
    pub max_blobs_per_block: u64,
    pub max_blobs_per_block_electra: u64,
    pub blob_schedule: Vec<BlobScheduleEntry>,
}

/// Why a config could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("config is missing {0}")]
    Missing(&'static str),
    #[error("config key {key}: invalid value {value:?}: {reason}")]
    Invalid {
        key: String,
        value: String,
        reason: String,
    },
    #[error("config line {line}: expected `KEY: value`")]
    Syntax { line: usize },
}

const MAINNET_CONFIG: &str = include_str!("../configs/mainnet.yaml");
const MINIMAL_CONFIG: &str = include_str!("../configs/minimal.yaml");

impl ChainSpec {
    /// The consensus-specs mainnet configuration.
    pub fn mainnet() -> Self {
        Self::from_yaml_str(MAINNET_CONFIG).expect("the bundled mainnet config parses")
    }

    /// The consensus-specs minimal configuration (the spec tests' network).
    pub fn minimal() -> Self {
        Self::from_yaml_str(MINIMAL_CONFIG).expect("the bundled minimal config parses")
    }

    /// The bundled configuration for a preset name (`mainnet` or `minimal`).
    pub fn for_preset(preset: &str) -> Option<Self> {
        match preset {
            "mainnet" => Some(Self::mainnet()),
            "minimal" => Some(Self::minimal()),
            _ => None,
        }
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_yaml_str(&text)
    }

    /// Parse a `config.yaml`. The format is flat `KEY: value` lines plus the `BLOB_SCHEDULE` list; values
    /// are read as text, because YAML would turn `0x00000001` into an integer and lose its width. Unknown
    /// keys are ignored so that configs of later forks still load.
    pub fn from_yaml_str(text: &str) -> Result<Self, ConfigError> {
        let (values, blob_schedule) = parse_flat_yaml(text)?;
        let get = |key: &'static str| {
            values
                .get(key)
                .map(String::as_str)
                .ok_or(ConfigError::Missing(key))
        };
        let u64_of = |key: &'static str| -> Result<u64, ConfigError> { parse_u64(key, get(key)?) };
        let u64_or = |key: &'static str, default: u64| -> Result<u64, ConfigError> {
            values.get(key).map_or(Ok(default), |v| parse_u64(key, v))
        };
        let version_of =
            |key: &'static str| -> Result<Version, ConfigError> { parse_version(key, get(key)?) };
        let slot_duration_ms = match values.get("SLOT_DURATION_MS") {
            Some(v) => parse_u64("SLOT_DURATION_MS", v)?,
            None => u64_of("SECONDS_PER_SLOT")?.saturating_mul(1000),
        };
        let address = get("DEPOSIT_CONTRACT_ADDRESS")?;
        let deposit_contract_address =
            address
                .parse::<Address>()
                .map_err(|e| ConfigError::Invalid {
                    key: "DEPOSIT_CONTRACT_ADDRESS".into(),
                    value: address.into(),
                    reason: e.to_string(),
                })?;
        Ok(Self {
            config_name: values.get("CONFIG_NAME").cloned().unwrap_or_default(),
            preset_base: get("PRESET_BASE")?.to_string(),
            min_genesis_active_validator_count: u64_of("MIN_GENESIS_ACTIVE_VALIDATOR_COUNT")?,
            min_genesis_time: u64_of("MIN_GENESIS_TIME")?,
            genesis_fork_version: version_of("GENESIS_FORK_VERSION")?,
            genesis_delay: u64_of("GENESIS_DELAY")?,
            altair_fork_version: version_of("ALTAIR_FORK_VERSION")?,
            altair_fork_epoch: u64_of("ALTAIR_FORK_EPOCH")?,
            bellatrix_fork_version: version_of("BELLATRIX_FORK_VERSION")?,
            bellatrix_fork_epoch: u64_of("BELLATRIX_FORK_EPOCH")?,
            capella_fork_version: version_of("CAPELLA_FORK_VERSION")?,
            capella_fork_epoch: u64_of("CAPELLA_FORK_EPOCH")?,
            deneb_fork_version: version_of("DENEB_FORK_VERSION")?,
            deneb_fork_epoch: u64_of("DENEB_FORK_EPOCH")?,
            electra_fork_version: version_of("ELECTRA_FORK_VERSION")?,
            electra_fork_epoch: u64_of("ELECTRA_FORK_EPOCH")?,
            fulu_fork_version: version_of("FULU_FORK_VERSION")?,
            fulu_fork_epoch: u64_or("FULU_FORK_EPOCH", FAR_FUTURE_EPOCH)?,
            slot_duration_ms,
            seconds_per_eth1_block: u64_of("SECONDS_PER_ETH1_BLOCK")?,
            min_validator_withdrawability_delay: u64_of("MIN_VALIDATOR_WITHDRAWABILITY_DELAY")?,
            shard_committee_period: u64_of("SHARD_COMMITTEE_PERIOD")?,
            eth1_follow_distance: u64_of("ETH1_FOLLOW_DISTANCE")?,
            inactivity_score_bias: u64_of("INACTIVITY_SCORE_BIAS")?,
            inactivity_score_recovery_rate: u64_of("INACTIVITY_SCORE_RECOVERY_RATE")?,
            ejection_balance: u64_of("EJECTION_BALANCE")?,
            min_per_epoch_churn_limit: u64_of("MIN_PER_EPOCH_CHURN_LIMIT")?,
            churn_limit_quotient: u64_of("CHURN_LIMIT_QUOTIENT")?,
            max_per_epoch_activation_churn_limit: u64_of("MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT")?,
            min_per_epoch_churn_limit_electra: u64_of("MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA")?,
            max_per_epoch_activation_exit_churn_limit: u64_of(
                "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT",
            )?,
            proposer_score_boost: u64_or("PROPOSER_SCORE_BOOST", 40)?,
            deposit_chain_id: u64_of("DEPOSIT_CHAIN_ID")?,
            deposit_network_id: u64_of("DEPOSIT_NETWORK_ID")?,
            deposit_contract_address,
            max_blobs_per_block: u64_of("MAX_BLOBS_PER_BLOCK")?,
            max_blobs_per_block_electra: u64_of("MAX_BLOBS_PER_BLOCK_ELECTRA")?,
            blob_schedule,
        })
    }

    /// Every fork from phase0 on, with its version and activation epoch, oldest first.
    fn schedule(&self) -> [(Version, Epoch); 7] {
        [
            (self.genesis_fork_version, GENESIS_EPOCH),
            (self.altair_fork_version, self.altair_fork_epoch),
            (self.bellatrix_fork_version, self.bellatrix_fork_epoch),
            (self.capella_fork_version, self.capella_fork_epoch),
            (self.deneb_fork_version, self.deneb_fork_epoch),
            (self.electra_fork_version, self.electra_fork_epoch),
            (self.fulu_fork_version, self.fulu_fork_epoch),
        ]
    }

    /// The fork version in force at `epoch` (`compute_fork_version`), for any fork from phase0 on.
    pub fn fork_version_at_epoch(&self, epoch: Epoch) -> Version {
        let schedule = self.schedule();
        schedule
            .iter()
            .rev()
            .find(|(_, at)| epoch >= *at)
            .map_or(self.genesis_fork_version, |(v, _)| *v)
    }

    /// The container fork in force at `epoch`. Blindfold's chains start at Capella or later, so epochs
    /// before the Capella fork map to Capella's containers.
    pub fn fork_name_at_epoch(&self, epoch: Epoch) -> ForkName {
        if epoch >= self.fulu_fork_epoch {
            ForkName::Fulu
        } else if epoch >= self.electra_fork_epoch {
            ForkName::Electra
        } else if epoch >= self.deneb_fork_epoch {
            ForkName::Deneb
        } else {
            ForkName::Capella
        }
    }

    pub fn fork_name_at_slot<E: crate::EthSpec>(&self, slot: Slot) -> ForkName {
        self.fork_name_at_epoch(slot / E::slots_per_epoch())
    }

    pub fn fork_version(&self, fork: ForkName) -> Version {
        match fork {
            ForkName::Capella => self.capella_fork_version,
            ForkName::Deneb => self.deneb_fork_version,
            ForkName::Electra => self.electra_fork_version,
            ForkName::Fulu => self.fulu_fork_version,
        }
    }

    pub fn fork_epoch(&self, fork: ForkName) -> Epoch {
        match fork {
            ForkName::Capella => self.capella_fork_epoch,
            ForkName::Deneb => self.deneb_fork_epoch,
            ForkName::Electra => self.electra_fork_epoch,
            ForkName::Fulu => self.fulu_fork_epoch,
        }
    }

    /// The `Fork` a state of `fork` carries: previous and current versions and the activation epoch.
    pub fn fork_for(&self, fork: ForkName) -> Fork {
        let previous_version = match fork.previous() {
            Some(prev) => self.fork_version(prev),
            None => self.bellatrix_fork_version,
        };
        Fork {
            previous_version,
            current_version: self.fork_version(fork),
            epoch: self.fork_epoch(fork),
        }
    }

    /// `get_max_blobs_per_block`: Deneb's and Electra's constants, then Fulu's `BLOB_SCHEDULE`.
    pub fn max_blobs_per_block(&self, epoch: Epoch) -> u64 {
        if epoch >= self.fulu_fork_epoch {
            if let Some(entry) = self
                .blob_schedule
                .iter()
                .filter(|e| epoch >= e.epoch)
                .max_by_key(|e| e.epoch)
            {
                return entry.max_blobs_per_block;
            }
        }
        if epoch >= self.electra_fork_epoch {
            self.max_blobs_per_block_electra
        } else {
            self.max_blobs_per_block
        }
    }

    /// Schedule every fork up to and including `fork` at genesis, and later ones never: the convention of
    /// the spec tests, and of `cltool` without `--config`.
    pub fn with_forks_at_genesis_up_to(mut self, fork: ForkName) -> Self {
        self.altair_fork_epoch = 0;
        self.bellatrix_fork_epoch = 0;
        for f in ForkName::ALL {
            let epoch = if f <= fork { 0 } else { FAR_FUTURE_EPOCH };
            match f {
                ForkName::Capella => self.capella_fork_epoch = epoch,
                ForkName::Deneb => self.deneb_fork_epoch = epoch,
                ForkName::Electra => self.electra_fork_epoch = epoch,
                ForkName::Fulu => self.fulu_fork_epoch = epoch,
            }
        }
        self
    }
}

fn parse_u64(key: &str, value: &str) -> Result<u64, ConfigError> {
    value.parse::<u64>().map_err(|e| ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        reason: e.to_string(),
    })
}

fn parse_version(key: &str, value: &str) -> Result<Version, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let digits = value
        .strip_prefix("0x")
        .ok_or_else(|| invalid("expected 0x-prefixed hex"))?;
    let bytes = hex::decode(digits).map_err(|e| invalid(&e.to_string()))?;
    bytes.try_into().map_err(|_| invalid("expected 4 bytes"))
}

type FlatConfig = (BTreeMap<String, String>, Vec<BlobScheduleEntry>);

/// Read `KEY: value` lines (comments and quotes stripped) and the `BLOB_SCHEDULE` list of
/// `- EPOCH: n` / `MAX_BLOBS_PER_BLOCK: m` items.
fn parse_flat_yaml(text: &str) -> Result<FlatConfig, ConfigError> {
    let mut values = BTreeMap::new();
    let mut schedule = vec![];
    let mut in_schedule = false;
    let mut pending: (Option<u64>, Option<u64>) = (None, None);
    let flush = |pending: &mut (Option<u64>, Option<u64>),
                 schedule: &mut Vec<BlobScheduleEntry>| {
        if let (Some(epoch), Some(max_blobs_per_block)) = *pending {
            schedule.push(BlobScheduleEntry {
                epoch,
                max_blobs_per_block,
            });
        }
        *pending = (None, None);
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('-');
        if in_schedule && indented {
            let item = line.trim_start();
            let item = match item.strip_prefix('-') {
                Some(rest) => {
                    flush(&mut pending, &mut schedule);
                    rest.trim_start()
                }
                None => item,
            };
            let (key, value) = item
                .split_once(':')
                .ok_or(ConfigError::Syntax { line: n + 1 })?;
            let value = unquote(value.trim());
            match key.trim() {
                "EPOCH" => pending.0 = Some(parse_u64("BLOB_SCHEDULE.EPOCH", value)?),
                "MAX_BLOBS_PER_BLOCK" => {
                    pending.1 = Some(parse_u64("BLOB_SCHEDULE.MAX_BLOBS_PER_BLOCK", value)?)
                }
                _ => {}
            }
            continue;
        }
        if in_schedule {
            flush(&mut pending, &mut schedule);
            in_schedule = false;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or(ConfigError::Syntax { line: n + 1 })?;
        let key = key.trim();
        let value = unquote(value.trim());
        if key == "BLOB_SCHEDULE" {
            in_schedule = value.is_empty();
            continue;
        }
        values.insert(key.to_string(), value.to_string());
    }
    flush(&mut pending, &mut schedule);
    Ok((values, schedule))
}

fn unquote(value: &str) -> &str {
    let v = value.trim();
    v.strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .or_else(|| v.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
        .unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_configs_load() {
        let mainnet = ChainSpec::mainnet();
        assert_eq!(mainnet.preset_base, "mainnet");
        assert_eq!(mainnet.genesis_fork_version, [0, 0, 0, 0]);
        assert_eq!(mainnet.capella_fork_epoch, 194048);
        assert_eq!(mainnet.slot_duration_ms, 12000);
        assert_eq!(mainnet.blob_schedule.len(), 2);
        assert_eq!(mainnet.max_blobs_per_block(419072), 21);
        assert_eq!(mainnet.max_blobs_per_block(mainnet.electra_fork_epoch), 9);
        assert_eq!(mainnet.fork_name_at_epoch(194048), ForkName::Capella);
        assert_eq!(mainnet.fork_version_at_epoch(0), [0, 0, 0, 0]);
        let minimal = ChainSpec::minimal();
        assert_eq!(minimal.genesis_fork_version, [0, 0, 0, 1]);
        assert_eq!(minimal.deposit_chain_id, 5);
    }

    #[test]
    fn every_spec_config_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/specs/consensus-specs/configs");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!("consensus-specs configs not found at {}", dir.display());
        };
        let mut count = 0;
        for entry in entries {
            let path = entry.unwrap().path();
            ChainSpec::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
        assert!(count >= 2);
    }

    #[test]
    fn bad_configs_are_clear_errors() {
        assert!(matches!(
            ChainSpec::from_yaml_str("PRESET_BASE: 'x'\n"),
            Err(ConfigError::Missing(_))
        ));
        let text = MINIMAL_CONFIG.replace(
            "GENESIS_FORK_VERSION: 0x00000001",
            "GENESIS_FORK_VERSION: 0x0001",
        );
        assert!(matches!(
            ChainSpec::from_yaml_str(&text),
            Err(ConfigError::Invalid { .. })
        ));
    }
}
