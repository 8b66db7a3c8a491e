//! The chain's parameters as each program takes them: the consensus `config.yaml` (the minimal
//! preset's config with the devnet's fork epochs and slot duration), mock-el's geth-style
//! `genesis.json` with the matching fork timestamps, the relays' fixed keys, and free ports.

use crate::Error;
use std::net::TcpListener;

/// The consensus-specs minimal config (`configs/minimal.yaml`), as `types` bundles it.
const MINIMAL_CONFIG: &str = include_str!("../../../common/types/configs/minimal.yaml");

/// Slots per epoch of the minimal preset.
pub const SLOTS_PER_EPOCH: u64 = 8;

/// The forks after Capella, in order: the devnet starts at Capella and passes these.
pub const LATER_FORKS: [&str; 3] = ["deneb", "electra", "fulu"];

/// Epochs never reached (`FAR_FUTURE_EPOCH`).
pub const FAR_FUTURE_EPOCH: u64 = u64::MAX;

/// When each fork starts: Capella at genesis, then Deneb, Electra and Fulu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkEpochs {
    pub deneb: u64,
    pub electra: u64,
    pub fulu: u64,
}

impl Default for ForkEpochs {
    fn default() -> Self {
        Self {
            deneb: 1,
            electra: 2,
            fulu: 3,
        }
    }
}

impl std::str::FromStr for ForkEpochs {
    type Err = String;

    /// `D,E,F`: the Deneb, Electra and Fulu epochs, non-decreasing; `never` for a fork that never comes.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 3 {
            return Err(format!(
                "{s:?}: three epochs, for Deneb, Electra and Fulu (e.g. 1,2,3)"
            ));
        }
        let mut epochs = [0u64; 3];
        for (i, part) in parts.iter().enumerate() {
            epochs[i] = match *part {
                "never" => FAR_FUTURE_EPOCH,
                _ => part.parse().map_err(|_| {
                    format!(
                        "{s:?}: {part:?} is not an epoch (a number or `never`) for {}",
                        LATER_FORKS[i]
                    )
                })?,
            };
        }
        if epochs.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("{s:?}: the fork epochs must not decrease"));
        }
        Ok(Self {
            deneb: epochs[0],
            electra: epochs[1],
            fulu: epochs[2],
        })
    }
}

impl ForkEpochs {
    /// The fork active at `epoch`.
    pub fn fork_at(&self, epoch: u64) -> &'static str {
        if epoch >= self.fulu {
            "fulu"
        } else if epoch >= self.electra {
            "electra"
        } else if epoch >= self.deneb {
            "deneb"
        } else {
            "capella"
        }
    }
}

/// Slot timing of the devnet's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Unix seconds of slot 0.
    pub genesis_time: u64,
    /// `SLOT_DURATION_MS`.
    pub slot_ms: u64,
}

impl Timing {
    /// Unix milliseconds at which `slot` starts.
    pub fn slot_start_ms(&self, slot: u64) -> u64 {
        self.genesis_time * 1000 + slot * self.slot_ms
    }

    /// The payload timestamp of `slot` (`compute_timestamp_at_slot`).
    pub fn timestamp_at_slot(&self, slot: u64) -> u64 {
        self.genesis_time + slot * self.slot_ms / 1000
    }

    /// The payload timestamp of an epoch's first slot; `None` for a fork that never comes.
    pub fn fork_timestamp(&self, epoch: u64) -> Option<u64> {
        let slot = epoch.checked_mul(SLOTS_PER_EPOCH)?;
        slot.checked_mul(self.slot_ms)?;
        Some(self.timestamp_at_slot(slot))
    }
}

/// The minimal config with Altair to Capella at genesis, the later forks at `forks`, and
/// `SLOT_DURATION_MS` (every other parameter as the preset's config has it).
pub fn config_yaml(forks: &ForkEpochs, slot_ms: u64) -> String {
    let value = |key: &str| -> Option<String> {
        let epoch = match key {
            "ALTAIR_FORK_EPOCH" | "BELLATRIX_FORK_EPOCH" | "CAPELLA_FORK_EPOCH" => 0,
            "DENEB_FORK_EPOCH" => forks.deneb,
            "ELECTRA_FORK_EPOCH" => forks.electra,
            "FULU_FORK_EPOCH" => forks.fulu,
            "SLOT_DURATION_MS" => slot_ms,
            "CONFIG_NAME" => return Some("'blindfold-devnet'".into()),
            _ => return None,
        };
        Some(epoch.to_string())
    };
    let mut out = String::with_capacity(MINIMAL_CONFIG.len() + 64);
    for line in MINIMAL_CONFIG.lines() {
        let replaced = line
            .split_once(':')
            .filter(|(key, _)| !key.starts_with(char::is_whitespace) && !key.starts_with('#'))
            .and_then(|(key, _)| value(key.trim()).map(|v| format!("{}: {v}", key.trim())));
        out.push_str(replaced.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// mock-el's `genesis.json`: Shanghai from its genesis block (timestamp 0), Cancun, Prague and Osaka at
/// the timestamps where Deneb, Electra and Fulu begin.
pub fn el_genesis_json(forks: &ForkEpochs, timing: &Timing) -> serde_json::Value {
    let mut config = serde_json::json!({
        "chainId": 1337,
        "shanghaiTime": 0,
    });
    for (key, epoch) in [
        ("cancunTime", forks.deneb),
        ("pragueTime", forks.electra),
        ("osakaTime", forks.fulu),
    ] {
        if let Some(t) = timing.fork_timestamp(epoch) {
            config[key] = t.into();
        }
    }
    serde_json::json!({
        "config": config,
        "timestamp": "0x0",
        "gasLimit": "0x1c9c380",
        "baseFeePerGas": "0x3b9aca00",
        "difficulty": "0x0",
        "alloc": {},
    })
}

/// EthereumJS's geth-style `genesis.json`: every pre-merge fork at block 0, merged at genesis
/// (terminal total difficulty 0), Shanghai from its genesis block, Cancun and Prague where Deneb and
/// Electra begin. EthereumJS has no Osaka (no engine V5), so a Fulu epoch is refused.
pub fn ethereumjs_genesis_json(
    forks: &ForkEpochs,
    timing: &Timing,
) -> Result<serde_json::Value, String> {
    if forks.fulu != FAR_FUTURE_EPOCH {
        return Err(format!(
            "EthereumJS has no Osaka (engine V5): Fulu must be `never`, not epoch {}",
            forks.fulu
        ));
    }
    let mut config = serde_json::json!({
        "chainId": 1337,
        "terminalTotalDifficulty": 0,
        "terminalTotalDifficultyPassed": true,
        "mergeNetsplitBlock": 0,
        "shanghaiTime": 0,
        // Prague's EIP-6110 deposit log address (the mainnet contract's; nothing is deployed there).
        "depositContractAddress": "0x00000000219ab540356cBB839Cbe05303d7705Fa",
    });
    for key in [
        "homesteadBlock",
        "eip150Block",
        "eip155Block",
        "eip158Block",
        "byzantiumBlock",
        "constantinopleBlock",
        "petersburgBlock",
        "istanbulBlock",
        "berlinBlock",
        "londonBlock",
    ] {
        config[key] = 0.into();
    }
    for (key, epoch) in [("cancunTime", forks.deneb), ("pragueTime", forks.electra)] {
        if let Some(t) = timing.fork_timestamp(epoch) {
            config[key] = t.into();
        }
    }
    Ok(serde_json::json!({
        "config": config,
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": "0x",
        "gasLimit": "0x1c9c380",
        "baseFeePerGas": "0x3b9aca00",
        "difficulty": "0x0",
        "mixHash": format!("0x{}", "00".repeat(32)),
        "coinbase": format!("0x{}", "00".repeat(20)),
        "alloc": {},
    }))
}

/// A relay's fixed identity: its BLS key (so the node can pin the public key before the relay runs)
/// and, for a builder-pays relay, the address its payloads pay.
#[derive(Debug, Clone)]
pub struct RelayKey {
    pub secret_hex: String,
    pub pubkey_hex: String,
}

impl RelayKey {
    /// The key `[byte; 32]` (any byte below 0x73 is a valid scalar).
    pub fn fixed(byte: u8) -> Result<Self, Error> {
        let bytes = [byte; 32];
        let secret = bls::SecretKey::from_bytes(&bytes)
            .map_err(|e| Error::Setup(format!("relay key {byte:#x}: {e:?}")))?;
        Ok(Self {
            secret_hex: format!("0x{}", hex::encode(bytes)),
            pubkey_hex: secret.public_key().to_hex(),
        })
    }
}

/// `n` distinct free ports on 127.0.0.1 (bound together, then released for the programs to take).
pub fn free_ports(n: usize) -> Result<Vec<u16>, Error> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Setup(format!("no free port on 127.0.0.1: {e}")))?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Setup(format!("no free port on 127.0.0.1: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_epochs_parse() {
        assert_eq!("1,2,3".parse::<ForkEpochs>(), Ok(ForkEpochs::default()));
        let far: ForkEpochs = "0, 1, never".parse().unwrap();
        assert_eq!(far.fulu, FAR_FUTURE_EPOCH);
        assert_eq!(far.fork_at(5), "electra");
        assert!("1,2".parse::<ForkEpochs>().is_err());
        assert!("2,1,3".parse::<ForkEpochs>().is_err());
        assert!("a,2,3".parse::<ForkEpochs>().is_err());
    }

    #[test]
    fn config_sets_the_schedule_and_keeps_the_rest() {
        let yaml = config_yaml(&ForkEpochs::default(), 2000);
        for line in [
            "PRESET_BASE: 'minimal'",
            "ALTAIR_FORK_EPOCH: 0",
            "CAPELLA_FORK_EPOCH: 0",
            "DENEB_FORK_EPOCH: 1",
            "ELECTRA_FORK_EPOCH: 2",
            "FULU_FORK_EPOCH: 3",
            "SLOT_DURATION_MS: 2000",
            "GLOAS_FORK_EPOCH: 18446744073709551615",
            "DENEB_FORK_VERSION: 0x04000001",
        ] {
            assert!(yaml.lines().any(|l| l == line), "missing {line}");
        }
    }

    #[test]
    fn el_fork_times_follow_the_slots() {
        let timing = Timing {
            genesis_time: 1000,
            slot_ms: 2000,
        };
        let json = el_genesis_json(&ForkEpochs::default(), &timing);
        assert_eq!(json["config"]["cancunTime"], 1016);
        assert_eq!(json["config"]["pragueTime"], 1032);
        assert_eq!(json["config"]["osakaTime"], 1048);
        let never: ForkEpochs = "1,never,never".parse().unwrap();
        let json = el_genesis_json(&never, &timing);
        assert!(json["config"].get("pragueTime").is_none());
    }

    #[test]
    fn ethereumjs_genesis_has_no_fulu() {
        let timing = Timing {
            genesis_time: 1000,
            slot_ms: 2000,
        };
        assert!(ethereumjs_genesis_json(&ForkEpochs::default(), &timing).is_err());
        let forks: ForkEpochs = "1,2,never".parse().unwrap();
        let json = ethereumjs_genesis_json(&forks, &timing).unwrap();
        assert_eq!(json["config"]["cancunTime"], 1016);
        assert_eq!(json["config"]["pragueTime"], 1032);
        assert_eq!(json["config"]["londonBlock"], 0);
        assert!(json["config"].get("osakaTime").is_none());
    }

    #[test]
    fn relay_keys_are_fixed_and_distinct() {
        let a = RelayKey::fixed(0x11).unwrap();
        let b = RelayKey::fixed(0x22).unwrap();
        assert_eq!(a.pubkey_hex, RelayKey::fixed(0x11).unwrap().pubkey_hex);
        assert_ne!(a.pubkey_hex, b.pubkey_hex);
        assert!(a.pubkey_hex.starts_with("0x") && a.pubkey_hex.len() == 98);
    }

    #[test]
    fn ports_are_distinct() {
        let ports = free_ports(6).unwrap();
        let mut sorted = ports.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 6);
    }
}
