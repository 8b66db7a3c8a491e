//! Beacon-API event-stream payloads that builders and relays follow.
//!
//! The `payload_attributes` event is how a relay learns, before a proposer asks for a bid, what to build:
//! the slot, the parent (beacon root and execution hash) and the engine API's payload attributes.

use crate::execution::Withdrawal;
use crate::primitives::*;
use serde::{Deserialize, Serialize};

/// The topic name of [`PayloadAttributesEvent`] in `GET /eth/v1/events?topics=...`.
pub const PAYLOAD_ATTRIBUTES_TOPIC: &str = "payload_attributes";

/// `PayloadAttributesV2`/`V3` in the beacon-API encoding (snake case, quoted integers): what the beacon
/// node would send to its execution engine to build the payload of the proposal slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventPayloadAttributes {
    #[serde(with = "serde_utils::quoted_u64")]
    pub timestamp: u64,
    pub prev_randao: Hash256,
    pub suggested_fee_recipient: Address,
    /// From Capella on.
    pub withdrawals: Vec<Withdrawal>,
    /// From Deneb on (`PayloadAttributesV3`); absent before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_beacon_block_root: Option<Root>,
}

/// The data of the beacon-API `payload_attributes` event. On the wire (SSE) it is wrapped in the
/// `{"version": "<fork>", "data": ...}` envelope, [`PayloadAttributesEnvelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayloadAttributesEvent {
    #[serde(with = "serde_utils::quoted_u64")]
    pub proposer_index: ValidatorIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub proposal_slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub parent_block_number: u64,
    pub parent_block_root: Root,
    pub parent_block_hash: ExecutionBlockHash,
    pub payload_attributes: EventPayloadAttributes,
}

/// The SSE form of a `payload_attributes` event: the fork at `proposal_slot` and the event data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadAttributesEnvelope {
    pub version: ForkName,
    pub data: PayloadAttributesEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the beacon-APIs `eventstream` spec.
    const SPEC_EXAMPLE: &str = r#"{"version": "electra", "data": {"proposer_index": "123", "proposal_slot": "10", "parent_block_number": "9", "parent_block_root": "0xcf8e0d4e9587369b2301d0790347320302cc0943d5a1884560367e8208d920f2", "parent_block_hash": "0x9a2fefd2fdb57f74993c7780ea5b9030d2897b615b89f808011ca5aebed54eaf", "payload_attributes": {"timestamp": "123456", "prev_randao": "0xcf8e0d4e9587369b2301d0790347320302cc0943d5a1884560367e8208d920f2", "suggested_fee_recipient": "0x0000000000000000000000000000000000000000", "withdrawals": [{"index": "5", "validator_index": "10", "address": "0x0000000000000000000000000000000000000000", "amount": "15640"}], "parent_beacon_block_root": "0xcf8e0d4e9587369b2301d0790347320302cc0943d5a1884560367e8208d920f2"}}}"#;

    #[test]
    fn spec_example_round_trips() {
        let event: PayloadAttributesEnvelope = serde_json::from_str(SPEC_EXAMPLE).unwrap();
        assert_eq!(event.version, ForkName::Electra);
        assert_eq!(event.data.proposal_slot, 10);
        assert_eq!(event.data.proposer_index, 123);
        assert_eq!(event.data.payload_attributes.timestamp, 123456);
        assert_eq!(event.data.payload_attributes.withdrawals[0].amount, 15640);
        assert!(event
            .data
            .payload_attributes
            .parent_beacon_block_root
            .is_some());
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["data"]["proposal_slot"], "10");
        let back: PayloadAttributesEnvelope = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn capella_attributes_have_no_parent_root() {
        let mut value: serde_json::Value = serde_json::from_str(SPEC_EXAMPLE).unwrap();
        value["version"] = "capella".into();
        value["data"]["payload_attributes"]
            .as_object_mut()
            .unwrap()
            .remove("parent_beacon_block_root");
        let event: PayloadAttributesEnvelope = serde_json::from_value(value).unwrap();
        assert_eq!(event.data.payload_attributes.parent_beacon_block_root, None);
        let json = serde_json::to_value(&event.data).unwrap();
        assert!(json["payload_attributes"]
            .get("parent_beacon_block_root")
            .is_none());
    }
}
