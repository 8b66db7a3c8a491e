//! The geth-style `genesis.json` that real execution clients take: the fork times, the blob schedule
//! and the genesis block (its state root computed from `alloc`, so the genesis hash is the real one).

use alloy_primitives::{keccak256, Address, Bytes, B256, B64, U256};
use alloy_rlp::Encodable;
use execution_block_hash::{
    requests_hash, trie_root, withdrawals_root, ExecutionBlockHeader, EMPTY_OMMERS_HASH,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use types::ForkName;

/// Blob gas per blob (EIP-4844).
pub const GAS_PER_BLOB: u64 = 131_072;

/// Why a genesis file was refused.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("genesis field {0}: {1}")]
    Field(&'static str, String),
}

/// Target and maximum blobs per block at one fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobParams {
    pub target: u64,
    pub max: u64,
}

/// When each fork starts (`None`: never). Blindfold starts at Shanghai (Capella).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkSchedule {
    pub shanghai_time: Option<u64>,
    pub cancun_time: Option<u64>,
    pub prague_time: Option<u64>,
    pub osaka_time: Option<u64>,
    pub cancun_blobs: BlobParams,
    pub prague_blobs: BlobParams,
    pub osaka_blobs: BlobParams,
}

impl Default for ForkSchedule {
    /// Every fork from timestamp 0.
    fn default() -> Self {
        Self::all_from(ForkName::Fulu)
    }
}

impl ForkSchedule {
    /// Forks up to `last` active from timestamp 0, later ones never.
    pub fn all_from(last: ForkName) -> Self {
        let at = |f: ForkName| (last >= f).then_some(0);
        Self {
            shanghai_time: Some(0),
            cancun_time: at(ForkName::Deneb),
            prague_time: at(ForkName::Electra),
            osaka_time: at(ForkName::Fulu),
            cancun_blobs: BlobParams { target: 3, max: 6 },
            prague_blobs: BlobParams { target: 6, max: 9 },
            osaka_blobs: BlobParams { target: 6, max: 9 },
        }
    }

    /// The consensus fork whose payloads carry this timestamp; `None` before Shanghai.
    pub fn fork_at(&self, timestamp: u64) -> Option<ForkName> {
        let active = |t: Option<u64>| t.is_some_and(|t| timestamp >= t);
        if active(self.osaka_time) {
            Some(ForkName::Fulu)
        } else if active(self.prague_time) {
            Some(ForkName::Electra)
        } else if active(self.cancun_time) {
            Some(ForkName::Deneb)
        } else if active(self.shanghai_time) {
            Some(ForkName::Capella)
        } else {
            None
        }
    }

    pub fn blob_params(&self, fork: ForkName) -> BlobParams {
        match fork {
            ForkName::Capella => BlobParams { target: 0, max: 0 },
            ForkName::Deneb => self.cancun_blobs,
            ForkName::Electra => self.prague_blobs,
            ForkName::Fulu => self.osaka_blobs,
        }
    }
}

/// A parsed genesis file.
#[derive(Debug, Clone)]
pub struct Genesis {
    pub chain_id: u64,
    pub schedule: ForkSchedule,
    pub timestamp: u64,
    pub gas_limit: u64,
    pub extra_data: Bytes,
    pub difficulty: U256,
    pub mix_hash: B256,
    pub coinbase: Address,
    pub nonce: u64,
    pub base_fee_per_gas: U256,
    pub parent_hash: B256,
    pub excess_blob_gas: u64,
    pub blob_gas_used: u64,
    pub state_root: B256,
}

impl Default for Genesis {
    /// Chain id 1337, every fork from timestamp 0, empty state, 30M gas, 1 gwei base fee.
    fn default() -> Self {
        Self {
            chain_id: 1337,
            schedule: ForkSchedule::default(),
            timestamp: 0,
            gas_limit: 30_000_000,
            extra_data: Bytes::new(),
            difficulty: U256::ZERO,
            mix_hash: B256::ZERO,
            coinbase: Address::ZERO,
            nonce: 0,
            base_fee_per_gas: U256::from(1_000_000_000u64),
            parent_hash: B256::ZERO,
            excess_blob_gas: 0,
            blob_gas_used: 0,
            state_root: execution_block_hash::ordered_trie_root::<&[u8]>(&[]),
        }
    }
}

/// A JSON number, a `0x` hex string or a decimal string, as genesis files mix them.
fn num(v: Option<&Value>, name: &'static str) -> Result<Option<U256>, GenesisError> {
    let bad = |e: String| GenesisError::Field(name, e);
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| Some(U256::from(n)))
            .ok_or_else(|| bad(format!("{n} is not a non-negative integer"))),
        Some(Value::String(s)) => {
            let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                Some("") => Ok(U256::ZERO),
                Some(hex) => U256::from_str_radix(hex, 16),
                None => U256::from_str_radix(s, 10),
            };
            parsed.map(Some).map_err(|e| bad(format!("{s:?}: {e}")))
        }
        Some(other) => Err(bad(format!("{other} is not a number"))),
    }
}

fn num_u64(v: Option<&Value>, name: &'static str) -> Result<Option<u64>, GenesisError> {
    num(v, name)?
        .map(|n| u64::try_from(n).map_err(|_| GenesisError::Field(name, "over 2^64".into())))
        .transpose()
}

fn parse_hex<T: std::str::FromStr>(
    v: Option<&Value>,
    name: &'static str,
) -> Result<Option<T>, GenesisError>
where
    T::Err: std::fmt::Display,
{
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|e| GenesisError::Field(name, format!("{s:?}: {e}"))),
        Some(other) => Err(GenesisError::Field(
            name,
            format!("{other} is not a string"),
        )),
    }
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    balance: Option<Value>,
    #[serde(default)]
    nonce: Option<Value>,
    #[serde(default)]
    code: Option<Bytes>,
    #[serde(default)]
    storage: BTreeMap<B256, B256>,
}

/// The state root of a genesis `alloc`: the secure trie of `keccak(address)` to
/// `rlp([nonce, balance, storage_root, code_hash])`.
fn state_root(alloc: &serde_json::Map<String, Value>) -> Result<B256, GenesisError> {
    let mut accounts = Vec::with_capacity(alloc.len());
    for (address, account) in alloc {
        let digits = address.strip_prefix("0x").unwrap_or(address);
        let address: Address = format!("0x{digits}")
            .parse()
            .map_err(|e| GenesisError::Field("alloc", format!("{address}: {e}")))?;
        let account: Account = serde_json::from_value(account.clone())?;
        let balance = num(account.balance.as_ref(), "alloc.balance")?.unwrap_or_default();
        let nonce = num_u64(account.nonce.as_ref(), "alloc.nonce")?.unwrap_or_default();
        let code_hash = keccak256(account.code.unwrap_or_default());
        let slots: Vec<(B256, Vec<u8>)> = account
            .storage
            .iter()
            .filter(|(_, v)| **v != B256::ZERO)
            .map(|(k, v)| (keccak256(k), alloy_rlp::encode(U256::from_be_bytes(v.0))))
            .collect();
        let storage_root = trie_root(&slots);
        let fields: [&dyn Encodable; 4] = [&nonce, &balance, &storage_root, &code_hash];
        let mut rlp = Vec::new();
        alloy_rlp::Header {
            list: true,
            payload_length: fields.iter().map(|f| f.length()).sum(),
        }
        .encode(&mut rlp);
        fields.iter().for_each(|f| f.encode(&mut rlp));
        accounts.push((keccak256(address), rlp));
    }
    Ok(trie_root(&accounts))
}

impl Genesis {
    pub fn from_file(path: &std::path::Path) -> Result<Self, GenesisError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| GenesisError::Io(path.display().to_string(), e))?;
        Self::from_json_str(&text)
    }

    pub fn from_json_str(text: &str) -> Result<Self, GenesisError> {
        let v: Value = serde_json::from_str(text)?;
        let empty = serde_json::Map::new();
        let config = v.get("config").and_then(Value::as_object).unwrap_or(&empty);
        let mut schedule = ForkSchedule {
            shanghai_time: num_u64(config.get("shanghaiTime"), "shanghaiTime")?,
            cancun_time: num_u64(config.get("cancunTime"), "cancunTime")?,
            prague_time: num_u64(config.get("pragueTime"), "pragueTime")?,
            osaka_time: num_u64(config.get("osakaTime"), "osakaTime")?,
            ..ForkSchedule::default()
        };
        if let Some(blobs) = config.get("blobSchedule").and_then(Value::as_object) {
            for (name, slot) in [
                ("cancun", &mut schedule.cancun_blobs),
                ("prague", &mut schedule.prague_blobs),
                ("osaka", &mut schedule.osaka_blobs),
            ] {
                if let Some(entry) = blobs.get(name) {
                    if let Some(t) = num_u64(entry.get("target"), "blobSchedule.target")? {
                        slot.target = t;
                    }
                    if let Some(m) = num_u64(entry.get("max"), "blobSchedule.max")? {
                        slot.max = m;
                    }
                }
            }
        }
        let d = Genesis::default();
        let alloc = v.get("alloc").and_then(Value::as_object).unwrap_or(&empty);
        let timestamp = num_u64(v.get("timestamp"), "timestamp")?.unwrap_or(0);
        Ok(Self {
            chain_id: num_u64(config.get("chainId"), "chainId")?.unwrap_or(d.chain_id),
            timestamp,
            gas_limit: num_u64(v.get("gasLimit"), "gasLimit")?.unwrap_or(d.gas_limit),
            extra_data: parse_hex(v.get("extraData"), "extraData")?.unwrap_or_default(),
            difficulty: num(v.get("difficulty"), "difficulty")?.unwrap_or_default(),
            mix_hash: parse_hex(v.get("mixHash"), "mixHash")?.unwrap_or_default(),
            coinbase: parse_hex(v.get("coinbase"), "coinbase")?.unwrap_or_default(),
            nonce: num_u64(v.get("nonce"), "nonce")?.unwrap_or(0),
            base_fee_per_gas: num(v.get("baseFeePerGas"), "baseFeePerGas")?
                .unwrap_or(d.base_fee_per_gas),
            parent_hash: parse_hex(v.get("parentHash"), "parentHash")?.unwrap_or_default(),
            excess_blob_gas: num_u64(v.get("excessBlobGas"), "excessBlobGas")?.unwrap_or(0),
            blob_gas_used: num_u64(v.get("blobGasUsed"), "blobGasUsed")?.unwrap_or(0),
            state_root: state_root(alloc)?,
            schedule,
        })
    }

    /// The genesis block header, with the fields of the forks active at its timestamp.
    pub fn header(&self) -> ExecutionBlockHeader {
        let fork = self.schedule.fork_at(self.timestamp);
        let at_least = |f: ForkName| fork.is_some_and(|g| g >= f);
        let empty: [&[u8]; 0] = [];
        ExecutionBlockHeader {
            parent_hash: self.parent_hash,
            ommers_hash: EMPTY_OMMERS_HASH,
            beneficiary: self.coinbase,
            state_root: self.state_root,
            transactions_root: execution_block_hash::ordered_trie_root(&empty),
            receipts_root: execution_block_hash::ordered_trie_root(&empty),
            logs_bloom: Default::default(),
            difficulty: self.difficulty,
            number: 0,
            gas_limit: self.gas_limit,
            gas_used: 0,
            timestamp: self.timestamp,
            extra_data: self.extra_data.clone(),
            mix_hash: self.mix_hash,
            nonce: B64::from(self.nonce),
            base_fee_per_gas: Some(self.base_fee_per_gas),
            withdrawals_root: at_least(ForkName::Capella).then(|| withdrawals_root(&[])),
            blob_gas_used: at_least(ForkName::Deneb).then_some(self.blob_gas_used),
            excess_blob_gas: at_least(ForkName::Deneb).then_some(self.excess_blob_gas),
            parent_beacon_block_root: at_least(ForkName::Deneb).then_some(B256::ZERO),
            requests_hash: at_least(ForkName::Electra).then(|| requests_hash(&empty)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_maps_timestamps_to_forks() {
        let g = Genesis::from_json_str(
            r#"{"config":{"chainId":7,"shanghaiTime":0,"cancunTime":"0x10","pragueTime":32},
                "timestamp":"0x0","gasLimit":"0x1c9c380","alloc":{}}"#,
        )
        .unwrap();
        assert_eq!(g.chain_id, 7);
        assert_eq!(g.gas_limit, 30_000_000);
        assert_eq!(g.schedule.fork_at(0), Some(ForkName::Capella));
        assert_eq!(g.schedule.fork_at(16), Some(ForkName::Deneb));
        assert_eq!(g.schedule.fork_at(40), Some(ForkName::Electra));
        assert_eq!(ForkSchedule::default().fork_at(0), Some(ForkName::Fulu));
        let pre = ForkSchedule {
            shanghai_time: Some(5),
            ..ForkSchedule::all_from(ForkName::Capella)
        };
        assert_eq!(pre.fork_at(4), None);
    }

    #[test]
    fn empty_alloc_has_the_empty_state_root() {
        let g = Genesis::from_json_str(r#"{"config":{},"alloc":{}}"#).unwrap();
        assert_eq!(g.state_root, Genesis::default().state_root);
        assert!(g.header().hash().is_ok());
    }

    /// Geth's dev-mode style single account: balance only. The state root was checked against a
    /// secure-trie reference (one leaf: the root is keccak of the leaf node).
    #[test]
    fn one_account_state_root_is_its_leaf_hash() {
        let g = Genesis::from_json_str(
            r#"{"alloc":{"0x0000000000000000000000000000000000000001":{"balance":"1"}}}"#,
        )
        .unwrap();
        let key = keccak256(Address::with_last_byte(1));
        let account = {
            let empty_root = execution_block_hash::ordered_trie_root::<&[u8]>(&[]);
            let fields: [&dyn Encodable; 4] = [&0u64, &U256::from(1), &empty_root, &keccak256([])];
            let mut out = Vec::new();
            alloy_rlp::Header {
                list: true,
                payload_length: fields.iter().map(|f| f.length()).sum(),
            }
            .encode(&mut out);
            fields.iter().for_each(|f| f.encode(&mut out));
            out
        };
        assert_eq!(g.state_root, trie_root(&[(key, account)]));
        assert!(Genesis::from_json_str(r#"{"alloc":{"0xzz":{}}}"#).is_err());
        assert!(Genesis::from_json_str(r#"{"gasLimit":"0xzz"}"#).is_err());
    }
}
