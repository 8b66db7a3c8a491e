//! The block hash of a consensus-layer `ExecutionPayload`, for the mock EE and for unblinding checks.

use crate::{execution_block_hash, HeaderError, PayloadFields, Withdrawal};
use alloy_primitives::B256;
use types::{EthSpec, ExecutionPayload, ExecutionRequests, ForkName, Hash256};

/// The execution block hash that `payload.block_hash` must equal (what `is_valid_block_hash` checks).
///
/// From Deneb the header commits to the parent beacon block root, and from Electra to the execution
/// requests; both come from the beacon block, not the payload, so the caller passes them. Giving one for
/// a fork that has no such field is an error rather than being ignored, so a caller's mistake shows.
pub fn compute_execution_block_hash<E: EthSpec>(
    payload: &ExecutionPayload<E>,
    parent_beacon_block_root: Option<Hash256>,
    execution_requests: Option<&ExecutionRequests<E>>,
) -> Result<B256, HeaderError> {
    let fork = payload.fork_name();
    match (fork.deneb_enabled(), parent_beacon_block_root.is_some()) {
        (true, false) => return Err(HeaderError::MissingContext("parent_beacon_block_root")),
        (false, true) => return Err(HeaderError::UnexpectedContext("parent_beacon_block_root")),
        _ => {}
    }
    match (fork.electra_enabled(), execution_requests.is_some()) {
        (true, false) => return Err(HeaderError::MissingContext("execution_requests")),
        (false, true) => return Err(HeaderError::UnexpectedContext("execution_requests")),
        _ => {}
    }
    let requests = execution_requests.map(ExecutionRequests::to_engine_requests);
    let transactions: Vec<&[u8]> = payload.transactions().iter().map(|tx| &tx[..]).collect();
    let withdrawals: Vec<Withdrawal> = payload
        .withdrawals()
        .iter()
        .map(|w| (w.index, w.validator_index, w.address, w.amount))
        .collect();
    let mut logs_bloom = [0u8; 256];
    logs_bloom.copy_from_slice(&payload.logs_bloom()[..]);
    let fields = PayloadFields {
        parent_hash: payload.parent_hash(),
        fee_recipient: payload.fee_recipient(),
        state_root: payload.state_root(),
        receipts_root: payload.receipts_root(),
        logs_bloom: &logs_bloom,
        prev_randao: payload.prev_randao(),
        block_number: payload.block_number(),
        gas_limit: payload.gas_limit(),
        gas_used: payload.gas_used(),
        timestamp: payload.timestamp(),
        extra_data: &payload.extra_data()[..],
        base_fee_per_gas: payload.base_fee_per_gas(),
        transactions: &transactions,
        withdrawals: Some(&withdrawals),
        blob_gas_used: payload.blob_gas_used().ok(),
        excess_blob_gas: payload.excess_blob_gas().ok(),
        parent_beacon_block_root,
        execution_requests: requests.as_deref(),
    };
    debug_assert_eq!(fork >= ForkName::Deneb, fields.blob_gas_used.is_some());
    execution_block_hash(&fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MainnetEthSpec;

    fn capella_payload_json() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vectors/el-block-hash/go-boost-utils-executionpayload/capella-case0.json"
        );
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e} (is ../shared in place?)"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn capella_payload_hash_matches_its_block_hash() {
        let json = capella_payload_json();
        let payload = types::ForkVersioned::from_value_by_fork(json, ForkName::Capella).unwrap();
        let payload: ExecutionPayload<MainnetEthSpec> = payload;
        let hash = compute_execution_block_hash(&payload, None, None).unwrap();
        assert_eq!(hash, payload.block_hash());
    }

    #[test]
    fn context_must_match_the_fork() {
        let json = capella_payload_json();
        let payload: ExecutionPayload<MainnetEthSpec> =
            types::ForkVersioned::from_value_by_fork(json, ForkName::Capella).unwrap();
        assert_eq!(
            compute_execution_block_hash(&payload, Some(Hash256::ZERO), None),
            Err(HeaderError::UnexpectedContext("parent_beacon_block_root"))
        );
    }
}
