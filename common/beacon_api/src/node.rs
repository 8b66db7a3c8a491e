//! `/eth/v1/node/*` and `/eth/v1/config/*` shapes.

use serde::{Deserialize, Serialize};
use types::{Address, Slot};

/// `GET /eth/v1/node/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionData {
    pub version: String,
}

/// `GET /eth/v1/node/syncing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncingData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub head_slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub sync_distance: u64,
    pub is_syncing: bool,
    /// Absent from nodes that predate the field (read as `false`).
    #[serde(default)]
    pub is_optimistic: bool,
    /// Absent from nodes that predate the field (Lodestar 1.5.1): read as `false`.
    #[serde(default)]
    pub el_offline: bool,
}

/// `metadata` of `GET /eth/v1/node/identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityMetadata {
    #[serde(with = "serde_utils::quoted_u64")]
    pub seq_number: u64,
    pub attnets: String,
    pub syncnets: String,
}

/// `GET /eth/v1/node/identity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityData {
    pub peer_id: String,
    pub enr: String,
    pub p2p_addresses: Vec<String>,
    pub discovery_addresses: Vec<String>,
    pub metadata: IdentityMetadata,
}

/// `GET /eth/v1/node/peer_count`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerCountData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub disconnected: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub connecting: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub connected: u64,
    #[serde(with = "serde_utils::quoted_u64")]
    pub disconnecting: u64,
}

/// One entry of `GET /eth/v1/node/peers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerData {
    pub peer_id: String,
    pub enr: Option<String>,
    pub last_seen_p2p_address: String,
    pub state: String,
    pub direction: String,
}

/// `meta` of `GET /eth/v1/node/peers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeersMeta {
    pub count: u64,
}

/// `GET /eth/v1/node/peers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeersResponse {
    pub data: Vec<PeerData>,
    pub meta: PeersMeta,
}

/// `GET /eth/v1/config/deposit_contract`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositContractData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub chain_id: u64,
    pub address: Address,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncing_without_the_newer_fields_reads_them_as_false() {
        // Lodestar 1.5.1's answer.
        let old: SyncingData = serde_json::from_str(
            r#"{"head_slot":"0","sync_distance":"20","is_syncing":true,"is_optimistic":false}"#,
        )
        .unwrap();
        assert!(old.is_syncing && !old.el_offline);
        let older: SyncingData =
            serde_json::from_str(r#"{"head_slot":"3","sync_distance":"0","is_syncing":false}"#)
                .unwrap();
        assert!(!older.is_optimistic && !older.el_offline);
    }
}
