//! Fault switches (and two behaviour switches), settable by flags at start and at run time through
//! `POST /admin/faults`.
//!
//! Method keys are full JSON-RPC method names (`engine_newPayloadV4`, `eth_syncing`) or `*` for
//! every method.

use alloy_primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A JSON-RPC error to return instead of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedError {
    pub code: i64,
    #[serde(default = "default_message")]
    pub message: String,
}

fn default_message() -> String {
    "injected error".into()
}

/// Every switch, all off by default.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Answer SYNCING to newPayload and forkchoiceUpdated (and report syncing in `eth_syncing`).
    pub syncing: bool,
    /// newPayload answers INVALID for these block hashes.
    pub invalid_block_hashes: BTreeSet<B256>,
    /// newPayload answers INVALID for payloads paying these fee recipients.
    pub invalid_fee_recipients: BTreeSet<Address>,
    /// newPayload answers INVALID for payloads with this exact extra-data.
    pub invalid_extra_data: BTreeSet<Bytes>,
    /// Delay each of these methods by this many milliseconds before answering.
    pub delay_ms: BTreeMap<String, u64>,
    /// Answer these methods with this JSON-RPC error.
    pub errors: BTreeMap<String, InjectedError>,
    /// Drop the connection instead of answering these methods.
    pub drop: BTreeSet<String>,
    /// Behaviour: each payload built from Deneb on carries one generated blob transaction with this
    /// many blobs (capped at the fork's maximum), with real KZG commitments and proofs.
    pub blobs_per_payload: u64,
    /// Behaviour: the `shouldOverrideBuilder` flag of getPayloadV3+ answers.
    pub should_override_builder: bool,
    /// Validate and keep payloads, but answer SYNCING to newPayload and forkchoiceUpdated, as an
    /// engine still catching up does: the consensus client imports optimistically.
    pub optimistic: bool,
    /// forkchoiceUpdated on these head hashes answers INVALID with this latest valid hash: the
    /// verdict an engine gives later on blocks imported optimistically.
    pub invalid_heads: BTreeMap<B256, B256>,
}

/// A partial update: fields present replace the current ones, absent fields are kept.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultsPatch {
    pub syncing: Option<bool>,
    pub invalid_block_hashes: Option<BTreeSet<B256>>,
    pub invalid_fee_recipients: Option<BTreeSet<Address>>,
    pub invalid_extra_data: Option<BTreeSet<Bytes>>,
    pub delay_ms: Option<BTreeMap<String, u64>>,
    pub errors: Option<BTreeMap<String, InjectedError>>,
    pub drop: Option<BTreeSet<String>>,
    pub blobs_per_payload: Option<u64>,
    pub should_override_builder: Option<bool>,
    pub optimistic: Option<bool>,
    pub invalid_heads: Option<BTreeMap<B256, B256>>,
}

impl Faults {
    pub fn apply(&mut self, patch: FaultsPatch) {
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = patch.$f { self.$f = v; })* };
        }
        set!(
            syncing,
            invalid_block_hashes,
            invalid_fee_recipients,
            invalid_extra_data,
            delay_ms,
            errors,
            drop,
            blobs_per_payload,
            should_override_builder,
            optimistic,
            invalid_heads
        );
    }

    fn lookup<'a, V>(map: &'a BTreeMap<String, V>, method: &str) -> Option<&'a V> {
        map.get(method).or_else(|| map.get("*"))
    }

    pub fn delay_for(&self, method: &str) -> u64 {
        Self::lookup(&self.delay_ms, method).copied().unwrap_or(0)
    }

    pub fn error_for(&self, method: &str) -> Option<&InjectedError> {
        Self::lookup(&self.errors, method)
    }

    pub fn drops(&self, method: &str) -> bool {
        self.drop.contains(method) || self.drop.contains("*")
    }

    /// Why a payload is forced INVALID, if it is.
    pub fn forced_invalid(
        &self,
        hash: &B256,
        fee_recipient: &Address,
        extra: &[u8],
    ) -> Option<String> {
        if self.invalid_block_hashes.contains(hash) {
            Some(format!("block {hash} is marked invalid (fault switch)"))
        } else if self.invalid_fee_recipients.contains(fee_recipient) {
            Some(format!(
                "fee recipient {fee_recipient} is marked invalid (fault switch)"
            ))
        } else if self.invalid_extra_data.iter().any(|e| &e[..] == extra) {
            Some("extra-data is marked invalid (fault switch)".into())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_and_wildcards() {
        let mut f = Faults::default();
        let patch: FaultsPatch = serde_json::from_str(
            r#"{"syncing":true,"delay_ms":{"*":5,"eth_syncing":1},"drop":["engine_getPayloadV3"]}"#,
        )
        .unwrap();
        f.apply(patch);
        assert!(f.syncing);
        assert_eq!(f.delay_for("eth_syncing"), 1);
        assert_eq!(f.delay_for("engine_newPayloadV3"), 5);
        assert!(f.drops("engine_getPayloadV3"));
        assert!(!f.drops("engine_getPayloadV4"));
        f.apply(FaultsPatch {
            syncing: Some(false),
            ..Default::default()
        });
        assert!(!f.syncing && f.delay_for("x") == 5);
        assert!(serde_json::from_str::<FaultsPatch>(r#"{"sync":true}"#).is_err());
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(serde_json::from_value::<Faults>(json).unwrap(), f);
    }
}
