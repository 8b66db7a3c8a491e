//! Fault switches: the ways a relay can misbehave, set by flags at start and at run time through
//! `/admin/faults`, so that a client's defences (bid checks, timeouts, the circuit breaker, the
//! faulty-builder registry) can be exercised against each of them.

use serde::{Deserialize, Serialize};

/// Whether the bid's payload is one the execution engine will call INVALID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidPayloadFault {
    /// Honest payloads.
    #[default]
    Off,
    /// The next bid carries an invalid payload; the switch then turns itself `Off`.
    Once,
    /// Every bid carries an invalid payload.
    Always,
}

impl std::str::FromStr for InvalidPayloadFault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(Self::Off),
            "once" => Ok(Self::Once),
            "always" => Ok(Self::Always),
            other => Err(format!("{other:?} is not one of off, once, always")),
        }
    }
}

/// Every switch, all off by default. JSON field names are the admin endpoint's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayFaults {
    /// Wait this long before answering getHeader (to trip the client's timeout).
    pub get_header_delay_ms: u64,
    /// Answer getHeader with this HTTP status (and an error body) instead of a bid. A patch with 0
    /// (or null) clears it: 0 is what a format without null (a TOML scenario) can say.
    pub get_header_status: Option<u16>,
    /// Answer submitBlindedBlock (v1 and v2) with this HTTP status, revealing nothing (0 clears it).
    pub submit_status: Option<u16>,
    /// getHeader answers 200 with a body that is not valid JSON.
    pub malformed_json: bool,
    /// getHeader answers 204 (no bid).
    pub no_bid: bool,
    /// The bid's header names another parent hash.
    pub wrong_parent_hash: bool,
    /// The bid's header pays another fee recipient than the registered one.
    pub wrong_fee_recipient: bool,
    /// The payload itself pays another address than the registered fee recipient (built so by the
    /// engine, the header matching it, no payment transaction): a consistent bid that a node may
    /// accept, counting the mismatch, or refuse. `wrong_fee_recipient` changes the header only.
    pub pays_other_fee_recipient: bool,
    /// The bid's header has a gas limit off the registered target's path by one.
    pub wrong_gas_limit: bool,
    /// The bid's header carries another `prev_randao`.
    pub wrong_prev_randao: bool,
    /// The bid's header timestamp is one second off the slot's.
    pub wrong_timestamp: bool,
    /// The bid's header commits to other withdrawals.
    pub wrong_withdrawals_root: bool,
    /// The bid's header block number is the parent's plus two.
    pub wrong_block_number: bool,
    /// The bid carries one blob commitment more than the fork's per-block maximum (Deneb on; no effect
    /// on Capella bids, which have no commitments).
    pub too_many_blobs: bool,
    /// The bid's signature is over a different message (a zero domain), so it fails verification.
    pub bad_signature: bool,
    /// The bid names another builder key and is signed by it: it verifies, so only a client that pins
    /// the relay's key catches it.
    pub wrong_pubkey: bool,
    /// The bid's value is zero.
    pub zero_value: bool,
    /// submitBlindedBlock checks the proposer's signature, then answers 500 without the payload.
    pub withhold_payload: bool,
    /// submitBlindedBlock v1 reveals a payload whose root differs from the signed header (other
    /// extra-data, block hash recomputed); v2 answers 202 but publishes nothing.
    pub mismatched_payload: bool,
    /// submitBlindedBlockV2 answers 404, as a relay that only knows v1 does; v1 still works.
    pub v2_unsupported: bool,
    /// The bid's payload has `gas_used > gas_limit` (block hash recomputed, so only execution catches it).
    pub invalid_payload: InvalidPayloadFault,
    /// The revealed blobs bundle (v1, and what v2 publishes) lacks the last blob, its commitment and its
    /// proofs, so it has fewer commitments than the signed block.
    pub blobs_missing: bool,
    /// The bundle's first blob is another one, with its own commitment and valid proofs: the bundle
    /// verifies by itself but its first commitment differs from the signed block's.
    pub blobs_mismatched: bool,
    /// The bundle's commitments match the block's, but the first blob's (first cell's) proof is
    /// another valid G1 point, so KZG verification fails.
    pub blobs_bad_proof: bool,
    /// Behaviour, not a fault: the payload's fee recipient is the relay's `builder_address`, and its
    /// last transaction pays the bid value to the proposer's registered fee recipient.
    pub builder_pays: bool,
    /// `builder_getPayloadV1` answers without a signature.
    pub unsigned_payload: bool,
    /// `builder_getPayloadV1` answers are signed by another secp256k1 key than the relay's (the
    /// `pubKey` field still names the relay's address).
    pub wrong_signer: bool,
    /// Full payloads carry [`crate::SYNCING_EXTRA_DATA`]: an engine that knows the marker answers
    /// SYNCING to them (mock-el has no per-payload SYNCING switch).
    pub syncing_payload: bool,
}

impl RelayFaults {
    /// Apply a partial update: every field present in `patch` (a JSON object) replaces the current
    /// one. Unknown fields and ill-typed values are refused, leaving `self` unchanged.
    pub fn patch(&mut self, patch: serde_json::Value) -> Result<(), String> {
        let serde_json::Value::Object(changes) = patch else {
            return Err("a fault patch must be a JSON object".into());
        };
        let mut current = match serde_json::to_value(&*self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err("cannot encode the current faults".into()),
        };
        for (key, mut value) in changes {
            let status = key == "get_header_status" || key == "submit_status";
            if status && value.as_u64() == Some(0) {
                value = serde_json::Value::Null;
            }
            current.insert(key, value);
        }
        let patched: Self = serde_json::from_value(serde_json::Value::Object(current))
            .map_err(|e| e.to_string())?;
        patched.validate()?;
        *self = patched;
        Ok(())
    }

    /// Refuses switches that cannot be carried out: a status outside 100..=599 is no HTTP status, and
    /// would otherwise turn silently into a 500.
    pub fn validate(&self) -> Result<(), String> {
        for (name, status) in [
            ("get_header_status", self.get_header_status),
            ("submit_status", self.submit_status),
        ] {
            if let Some(status) = status.filter(|s| !(100..=599).contains(s)) {
                return Err(format!(
                    "{name} {status} is not an HTTP status (100 to 599)"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_replaces_only_given_fields() {
        let mut f = RelayFaults {
            no_bid: true,
            ..Default::default()
        };
        f.patch(json!({"get_header_delay_ms": 300, "invalid_payload": "once"}))
            .unwrap();
        assert!(f.no_bid);
        assert_eq!(f.get_header_delay_ms, 300);
        assert_eq!(f.invalid_payload, InvalidPayloadFault::Once);
        let before = f.clone();
        assert!(f.patch(json!({"no_bids": true})).is_err());
        assert!(f.patch(json!({"invalid_payload": "sometimes"})).is_err());
        assert!(f.patch(json!([1])).is_err());
        assert_eq!(f, before);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["invalid_payload"], "once");
        assert_eq!(serde_json::from_value::<RelayFaults>(json).unwrap(), f);
    }

    #[test]
    fn statuses_must_be_http_statuses() {
        let mut f = RelayFaults::default();
        assert!(f.patch(json!({"get_header_status": 1000})).is_err());
        assert!(f.patch(json!({"submit_status": 99})).is_err());
        assert_eq!(f, RelayFaults::default());
        f.patch(json!({"get_header_status": 503, "submit_status": null}))
            .unwrap();
        assert_eq!(f.get_header_status, Some(503));
        f.patch(json!({"get_header_status": 0})).unwrap();
        assert_eq!(f.get_header_status, None);
        f.patch(json!({"get_header_status": 503})).unwrap();
        let bad: RelayFaults = serde_json::from_value(json!({"submit_status": 600})).unwrap();
        assert!(bad.validate().is_err());
    }

    #[test]
    fn invalid_payload_parses_from_flags() {
        assert_eq!("always".parse(), Ok(InvalidPayloadFault::Always));
        assert!("ALWAYS".parse::<InvalidPayloadFault>().is_err());
    }
}
