//! Computes an execution-layer block hash (keccak256 of the RLP block header) from the fields of a
//! consensus-layer execution payload, for Bellatrix through Electra/Fulu.

mod payload;
mod trie;

pub use payload::compute_execution_block_hash;

use alloy_primitives::{b256, keccak256, Address, Bloom, Bytes, B256, B64, U256};
use alloy_rlp::{Encodable, Header};
use sha2::{Digest, Sha256};

pub use trie::{ordered_trie_root, trie_root};

/// `keccak256(rlp([]))`: the ommers hash of every post-merge block, which has no ommers.
pub const EMPTY_OMMERS_HASH: B256 =
    b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347");

/// An Ethereum block header, field for field in RLP order, so its hash can be recomputed.
///
/// The optional tail (`base_fee_per_gas` .. `requests_hash`) grew one field per fork; a header
/// encodes the present prefix of it, and a present field after an absent one is an error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecutionBlockHeader {
    pub parent_hash: B256,
    pub ommers_hash: B256,
    pub beneficiary: Address,
    pub state_root: B256,
    pub transactions_root: B256,
    pub receipts_root: B256,
    pub logs_bloom: Bloom,
    pub difficulty: U256,
    pub number: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub timestamp: u64,
    pub extra_data: Bytes,
    pub mix_hash: B256,
    pub nonce: B64,
    /// London (EIP-1559).
    pub base_fee_per_gas: Option<U256>,
    /// Shanghai/Capella (EIP-4895).
    pub withdrawals_root: Option<B256>,
    /// Cancun/Deneb (EIP-4844).
    pub blob_gas_used: Option<u64>,
    /// Cancun/Deneb (EIP-4844).
    pub excess_blob_gas: Option<u64>,
    /// Cancun/Deneb (EIP-4788).
    pub parent_beacon_block_root: Option<B256>,
    /// Prague/Electra (EIP-7685).
    pub requests_hash: Option<B256>,
}

/// Why a header (or the payload fields it came from) cannot be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// A later optional field is present while this earlier one is absent.
    MissingField(&'static str),
    /// The payload's fork needs this beacon-block context (e.g. the parent beacon block root from
    /// Deneb, the execution requests from Electra) and it was not given.
    MissingContext(&'static str),
    /// This beacon-block context was given for a fork whose header has no such field.
    UnexpectedContext(&'static str),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingField(name) => {
                write!(
                    f,
                    "header field {name} is absent but a later optional field is present"
                )
            }
            Self::MissingContext(name) => write!(f, "this payload's fork needs {name}"),
            Self::UnexpectedContext(name) => write!(f, "this payload's fork has no {name}"),
        }
    }
}

impl std::error::Error for HeaderError {}

const OPTIONAL_FIELDS: [&str; 6] = [
    "base_fee_per_gas",
    "withdrawals_root",
    "blob_gas_used",
    "excess_blob_gas",
    "parent_beacon_block_root",
    "requests_hash",
];

impl ExecutionBlockHeader {
    /// The block hash: keccak256 of [`Self::rlp_bytes`].
    pub fn hash(&self) -> Result<B256, HeaderError> {
        self.rlp_bytes().map(keccak256)
    }

    /// The header's RLP list, with the optional tail encoded as far as it is present.
    pub fn rlp_bytes(&self) -> Result<Vec<u8>, HeaderError> {
        let tail: [Option<&dyn Encodable>; 6] = [
            self.base_fee_per_gas.as_ref().map(|v| v as _),
            self.withdrawals_root.as_ref().map(|v| v as _),
            self.blob_gas_used.as_ref().map(|v| v as _),
            self.excess_blob_gas.as_ref().map(|v| v as _),
            self.parent_beacon_block_root.as_ref().map(|v| v as _),
            self.requests_hash.as_ref().map(|v| v as _),
        ];
        let present = tail.iter().take_while(|f| f.is_some()).count();
        if tail[present..].iter().any(Option::is_some) {
            return Err(HeaderError::MissingField(OPTIONAL_FIELDS[present]));
        }
        let fields: [&dyn Encodable; 15] = [
            &self.parent_hash,
            &self.ommers_hash,
            &self.beneficiary,
            &self.state_root,
            &self.transactions_root,
            &self.receipts_root,
            &self.logs_bloom,
            &self.difficulty,
            &self.number,
            &self.gas_limit,
            &self.gas_used,
            &self.timestamp,
            &self.extra_data,
            &self.mix_hash,
            &self.nonce,
        ];
        let fields = fields.into_iter().chain(tail.into_iter().flatten());
        let mut payload = Vec::with_capacity(700);
        fields.for_each(|f| f.encode(&mut payload));
        let mut out = Vec::with_capacity(payload.len() + 3);
        Header {
            list: true,
            payload_length: payload.len(),
        }
        .encode(&mut out);
        out.extend_from_slice(&payload);
        Ok(out)
    }
}

/// A withdrawal as the execution payload carries it: `(index, validator_index, address, amount
/// in Gwei)`.
pub type Withdrawal = (u64, u64, Address, u64);

/// What a consensus-layer `ExecutionPayload` (plus the beacon block's context) gives to rebuild
/// the execution block header. Fork-specific fields are `None` before their fork.
#[derive(Debug, Clone, Copy)]
pub struct PayloadFields<'a> {
    pub parent_hash: B256,
    pub fee_recipient: Address,
    pub state_root: B256,
    pub receipts_root: B256,
    pub logs_bloom: &'a [u8; 256],
    pub prev_randao: B256,
    pub block_number: u64,
    pub gas_limit: u64,
    pub gas_used: u64,
    pub timestamp: u64,
    pub extra_data: &'a [u8],
    /// A little-endian uint256 on the consensus layer; pass its value.
    pub base_fee_per_gas: U256,
    /// Raw opaque transactions (EIP-2718 envelopes or legacy RLP).
    pub transactions: &'a [&'a [u8]],
    /// Capella onwards.
    pub withdrawals: Option<&'a [Withdrawal]>,
    /// Deneb onwards.
    pub blob_gas_used: Option<u64>,
    /// Deneb onwards.
    pub excess_blob_gas: Option<u64>,
    /// Deneb onwards: the root of the beacon block's parent, from the beacon block, not the payload.
    pub parent_beacon_block_root: Option<B256>,
    /// Electra onwards: the EIP-7685 requests, each `request_type ++ request_data`, in type order,
    /// with empty-data requests excluded (as the engine API's `executionRequests`).
    pub execution_requests: Option<&'a [Vec<u8>]>,
}

/// Rebuilds the execution block header from payload fields, as the execution layer does.
pub fn header_from_payload(fields: &PayloadFields) -> Result<ExecutionBlockHeader, HeaderError> {
    let header = ExecutionBlockHeader {
        parent_hash: fields.parent_hash,
        ommers_hash: EMPTY_OMMERS_HASH,
        beneficiary: fields.fee_recipient,
        state_root: fields.state_root,
        transactions_root: ordered_trie_root(fields.transactions),
        receipts_root: fields.receipts_root,
        logs_bloom: Bloom::from(*fields.logs_bloom),
        difficulty: U256::ZERO,
        number: fields.block_number,
        gas_limit: fields.gas_limit,
        gas_used: fields.gas_used,
        timestamp: fields.timestamp,
        extra_data: Bytes::copy_from_slice(fields.extra_data),
        mix_hash: fields.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(fields.base_fee_per_gas),
        withdrawals_root: fields.withdrawals.map(withdrawals_root),
        blob_gas_used: fields.blob_gas_used,
        excess_blob_gas: fields.excess_blob_gas,
        parent_beacon_block_root: fields.parent_beacon_block_root,
        requests_hash: fields.execution_requests.map(requests_hash),
    };
    header.rlp_bytes()?;
    Ok(header)
}

/// The execution block hash a payload's `block_hash` must equal.
pub fn execution_block_hash(fields: &PayloadFields) -> Result<B256, HeaderError> {
    header_from_payload(fields)?.hash()
}

/// The withdrawals root: the ordered trie of `rlp([index, validator_index, address, amount])`.
pub fn withdrawals_root(withdrawals: &[Withdrawal]) -> B256 {
    let encoded: Vec<Vec<u8>> = withdrawals
        .iter()
        .map(|(index, validator, address, amount)| {
            let fields: [&dyn Encodable; 4] = [index, validator, address, amount];
            let mut out = Vec::with_capacity(48);
            let payload_length = fields.iter().map(|f| f.length()).sum();
            Header {
                list: true,
                payload_length,
            }
            .encode(&mut out);
            fields.iter().for_each(|f| f.encode(&mut out));
            out
        })
        .collect();
    ordered_trie_root(&encoded)
}

/// The EIP-7685 requests hash: `sha256(sha256(r_0) ++ sha256(r_1) ++ ...)` over requests given as
/// `request_type ++ request_data`. Requests with empty data must be excluded; as in EIP-7685's
/// `compute_requests_hash`, any of just one byte is skipped here too.
pub fn requests_hash<T: AsRef<[u8]>>(requests: &[T]) -> B256 {
    let mut outer = Sha256::new();
    for request in requests.iter().map(AsRef::as_ref).filter(|r| r.len() > 1) {
        outer.update(Sha256::digest(request));
    }
    B256::from(<[u8; 32]>::from(outer.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_in_optional_tail_is_an_error() {
        let header = ExecutionBlockHeader {
            base_fee_per_gas: Some(U256::from(7)),
            blob_gas_used: Some(0),
            ..Default::default()
        };
        assert_eq!(
            header.hash(),
            Err(HeaderError::MissingField("withdrawals_root"))
        );
        let header = ExecutionBlockHeader {
            requests_hash: Some(B256::ZERO),
            ..Default::default()
        };
        assert_eq!(
            header.rlp_bytes(),
            Err(HeaderError::MissingField("base_fee_per_gas"))
        );
    }

    #[test]
    fn empty_ommers_hash_is_hash_of_empty_list() {
        assert_eq!(keccak256([alloy_rlp::EMPTY_LIST_CODE]), EMPTY_OMMERS_HASH);
    }

    #[test]
    fn empty_requests_hash_is_sha256_of_nothing() {
        let empty: [&[u8]; 0] = [];
        let expected = b256!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(requests_hash(&empty), expected);
        assert_eq!(requests_hash(&[[0u8]]), expected);
    }

    #[test]
    fn requests_hash_skips_empty_data() {
        // sha256(sha256(00aa) ++ sha256(02bbcc)), computed with Python's hashlib.
        let expected = b256!("3a6828ccf5d0289a015948aece59df1ff29bf8f949846d6f5f6f94ff1120a014");
        let requests: [&[u8]; 3] = [&[0x00, 0xaa], &[0x01], &[0x02, 0xbb, 0xcc]];
        assert_eq!(requests_hash(&requests), expected);
    }
}
