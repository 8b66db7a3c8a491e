//! Per-validator settings: the client-wide defaults (`--suggested-fee-recipient`, `--gas-limit`,
//! `--builder-boost-factor`, `--graffiti`) and their overrides from a `--validator-definitions` YAML
//! file (a list of `{pubkey, fee_recipient?, gas_limit?, builder?, builder_boost_factor?, graffiti?}`).

use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;
use types::{Address, Hash256, PublicKeyBytes};

/// The gas limit validators ask builders to target when none is configured (mainnet's current
/// default among clients).
pub const DEFAULT_GAS_LIMIT: u64 = 36_000_000;

/// How one validator proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSettings {
    /// Where its local payloads pay, and what it registers with builders.
    pub fee_recipient: Address,
    /// The gas limit it registers with builders.
    pub gas_limit: u64,
    /// Whether it may use builder payloads (with the client's `--blinded-payload-builder`).
    pub builder: bool,
    /// `builder_boost_factor` for its proposals (100 unless set).
    pub builder_boost_factor: u64,
    /// Its graffiti.
    pub graffiti: Option<Hash256>,
}

/// One entry of the definitions file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorDefinition {
    pub pubkey: PublicKeyBytes,
    #[serde(default)]
    pub fee_recipient: Option<Address>,
    #[serde(default)]
    pub gas_limit: Option<u64>,
    #[serde(default)]
    pub builder: Option<bool>,
    #[serde(default)]
    pub builder_boost_factor: Option<u64>,
    #[serde(default)]
    pub graffiti: Option<String>,
}

/// Why the definitions file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {error}")]
    Read { path: String, error: String },
    #[error("{path}: graffiti of {pubkey} is longer than 32 bytes")]
    Graffiti {
        path: String,
        pubkey: PublicKeyBytes,
    },
}

/// Every validator's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    defaults: ValidatorSettings,
    overrides: HashMap<PublicKeyBytes, ValidatorSettings>,
}

/// `text` as 32 graffiti bytes, or `None` if too long.
pub fn graffiti_bytes(text: &str) -> Option<Hash256> {
    let bytes = text.as_bytes();
    (bytes.len() <= 32).then(|| {
        let mut out = [0u8; 32];
        out[..bytes.len()].copy_from_slice(bytes);
        Hash256::from(out)
    })
}

impl Settings {
    /// The client-wide defaults, no overrides.
    pub fn new(defaults: ValidatorSettings) -> Self {
        Self {
            defaults,
            overrides: HashMap::new(),
        }
    }

    /// Adds the overrides of a definitions file.
    pub fn with_definitions(mut self, path: &Path) -> Result<Self, SettingsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
            path: shown.clone(),
            error: e.to_string(),
        })?;
        let definitions: Vec<ValidatorDefinition> =
            serde_yaml::from_str(&text).map_err(|e| SettingsError::Read {
                path: shown.clone(),
                error: e.to_string(),
            })?;
        for definition in definitions {
            let graffiti = match &definition.graffiti {
                Some(text) => Some(graffiti_bytes(text).ok_or(SettingsError::Graffiti {
                    path: shown.clone(),
                    pubkey: definition.pubkey,
                })?),
                None => self.defaults.graffiti,
            };
            self.overrides.insert(
                definition.pubkey,
                ValidatorSettings {
                    fee_recipient: definition
                        .fee_recipient
                        .unwrap_or(self.defaults.fee_recipient),
                    gas_limit: definition.gas_limit.unwrap_or(self.defaults.gas_limit),
                    builder: definition.builder.unwrap_or(self.defaults.builder),
                    builder_boost_factor: definition
                        .builder_boost_factor
                        .unwrap_or(self.defaults.builder_boost_factor),
                    graffiti,
                },
            );
        }
        Ok(self)
    }

    /// The settings of `pubkey`.
    pub fn of(&self, pubkey: &PublicKeyBytes) -> &ValidatorSettings {
        self.overrides.get(pubkey).unwrap_or(&self.defaults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_override_the_defaults() {
        let key = bls::interop_secret_key(1).public_key().to_bytes();
        let dir = std::env::temp_dir().join(format!("vc_settings_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("definitions.yaml");
        std::fs::write(
            &path,
            format!("- pubkey: \"{key}\"\n  fee_recipient: \"0x{}\"\n  builder: false\n  graffiti: hello\n", "ab".repeat(20)),
        )
        .unwrap();
        let defaults = ValidatorSettings {
            fee_recipient: Address::repeat_byte(1),
            gas_limit: DEFAULT_GAS_LIMIT,
            builder: true,
            builder_boost_factor: 100,
            graffiti: None,
        };
        let settings = Settings::new(defaults.clone())
            .with_definitions(&path)
            .unwrap();
        let ours = settings.of(&key);
        assert_eq!(ours.fee_recipient, Address::repeat_byte(0xab));
        assert!(!ours.builder);
        assert_eq!(ours.gas_limit, DEFAULT_GAS_LIMIT);
        assert_eq!(ours.graffiti, graffiti_bytes("hello"));
        let other = bls::interop_secret_key(2).public_key().to_bytes();
        assert_eq!(settings.of(&other), &defaults);
        std::fs::write(&path, "- pubkey: 12\n").unwrap();
        assert!(Settings::new(defaults).with_definitions(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
