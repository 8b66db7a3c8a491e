//! Execution-layer containers carried by the beacon chain: payloads, payload headers, withdrawals and
//! Electra's execution requests.

use crate::primitives::*;
use crate::{EthSpec, ForkName};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::{FixedVector, VariableList};
use superstruct::superstruct;
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

/// One opaque, RLP-encoded execution transaction.
pub type Transaction<E> = VariableList<u8, <E as EthSpec>::MaxBytesPerTransaction>;
pub type Transactions<E> = VariableList<Transaction<E>, <E as EthSpec>::MaxTransactionsPerPayload>;
pub type Withdrawals<E> = VariableList<Withdrawal, <E as EthSpec>::MaxWithdrawalsPerPayload>;

/// `Withdrawal` (capella). `amount` is in Gwei.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: WithdrawalIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    pub address: Address,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
}

/// `ExecutionPayload` for each fork. Electra and Fulu keep Deneb's shape; they are separate variants so
/// that a payload always knows its fork.
#[superstruct(
    variants(Capella, Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Default,
            Serialize,
            Deserialize,
            Encode,
            Decode,
            TreeHash
        ),
        serde(bound = "E: EthSpec", deny_unknown_fields),
    ),
    cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
    partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct ExecutionPayload<E: EthSpec> {
    #[superstruct(getter(copy))]
    pub parent_hash: ExecutionBlockHash,
    #[superstruct(getter(copy))]
    pub fee_recipient: Address,
    #[superstruct(getter(copy))]
    pub state_root: Hash256,
    #[superstruct(getter(copy))]
    pub receipts_root: Hash256,
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, E::BytesPerLogsBloom>,
    #[superstruct(getter(copy))]
    pub prev_randao: Hash256,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub block_number: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub gas_limit: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub gas_used: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, E::MaxExtraDataBytes>,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u256")]
    pub base_fee_per_gas: U256,
    #[superstruct(getter(copy))]
    pub block_hash: ExecutionBlockHash,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_var_list")]
    pub transactions: Transactions<E>,
    pub withdrawals: Withdrawals<E>,
    #[superstruct(only(Deneb, Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub blob_gas_used: u64,
    #[superstruct(only(Deneb, Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub excess_blob_gas: u64,
}

/// `ExecutionPayloadHeader` for each fork: the payload with its lists replaced by their roots. This is what
/// a blinded block and a builder's bid carry.
#[superstruct(
    variants(Capella, Deneb, Electra, Fulu),
    variant_attributes(
        derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Default,
            Serialize,
            Deserialize,
            Encode,
            Decode,
            TreeHash
        ),
        serde(bound = "E: EthSpec", deny_unknown_fields),
    ),
    cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
    partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, TreeHash)]
#[serde(bound = "E: EthSpec", untagged)]
#[ssz(enum_behaviour = "transparent")]
#[tree_hash(enum_behaviour = "transparent")]
pub struct ExecutionPayloadHeader<E: EthSpec> {
    #[superstruct(getter(copy))]
    pub parent_hash: ExecutionBlockHash,
    #[superstruct(getter(copy))]
    pub fee_recipient: Address,
    #[superstruct(getter(copy))]
    pub state_root: Hash256,
    #[superstruct(getter(copy))]
    pub receipts_root: Hash256,
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub logs_bloom: FixedVector<u8, E::BytesPerLogsBloom>,
    #[superstruct(getter(copy))]
    pub prev_randao: Hash256,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub block_number: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub gas_limit: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub gas_used: u64,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub timestamp: u64,
    #[serde(with = "ssz_types::serde_utils::hex_var_list")]
    pub extra_data: VariableList<u8, E::MaxExtraDataBytes>,
    #[superstruct(getter(copy))]
    #[serde(with = "serde_utils::quoted_u256")]
    pub base_fee_per_gas: U256,
    #[superstruct(getter(copy))]
    pub block_hash: ExecutionBlockHash,
    #[superstruct(getter(copy))]
    pub transactions_root: Root,
    #[superstruct(getter(copy))]
    pub withdrawals_root: Root,
    #[superstruct(only(Deneb, Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub blob_gas_used: u64,
    #[superstruct(only(Deneb, Electra, Fulu), partial_getter(copy))]
    #[serde(with = "serde_utils::quoted_u64")]
    pub excess_blob_gas: u64,
}

macro_rules! payload_to_header {
    ($payload:ident, $header:ident, [$($extra:ident),*]) => {
        impl<E: EthSpec> From<&$payload<E>> for $header<E> {
            fn from(p: &$payload<E>) -> Self {
                Self {
                    parent_hash: p.parent_hash,
                    fee_recipient: p.fee_recipient,
                    state_root: p.state_root,
                    receipts_root: p.receipts_root,
                    logs_bloom: p.logs_bloom.clone(),
                    prev_randao: p.prev_randao,
                    block_number: p.block_number,
                    gas_limit: p.gas_limit,
                    gas_used: p.gas_used,
                    timestamp: p.timestamp,
                    extra_data: p.extra_data.clone(),
                    base_fee_per_gas: p.base_fee_per_gas,
                    block_hash: p.block_hash,
                    transactions_root: p.transactions.tree_hash_root(),
                    withdrawals_root: p.withdrawals.tree_hash_root(),
                    $($extra: p.$extra,)*
                }
            }
        }
    };
}
payload_to_header!(ExecutionPayloadCapella, ExecutionPayloadHeaderCapella, []);
payload_to_header!(
    ExecutionPayloadDeneb,
    ExecutionPayloadHeaderDeneb,
    [blob_gas_used, excess_blob_gas]
);
payload_to_header!(
    ExecutionPayloadElectra,
    ExecutionPayloadHeaderElectra,
    [blob_gas_used, excess_blob_gas]
);
payload_to_header!(
    ExecutionPayloadFulu,
    ExecutionPayloadHeaderFulu,
    [blob_gas_used, excess_blob_gas]
);

impl<E: EthSpec> ExecutionPayload<E> {
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Capella(_) => ForkName::Capella,
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }

    /// An all-zero payload of `fork`, as a genesis state without an execution genesis carries.
    pub fn empty(fork: ForkName) -> Self {
        match fork {
            ForkName::Capella => Self::Capella(Default::default()),
            ForkName::Deneb => Self::Deneb(Default::default()),
            ForkName::Electra => Self::Electra(Default::default()),
            ForkName::Fulu => Self::Fulu(Default::default()),
        }
    }

    /// The header of this payload (the lists replaced by their roots).
    pub fn to_header(&self) -> ExecutionPayloadHeader<E> {
        match self {
            Self::Capella(p) => ExecutionPayloadHeader::Capella(p.into()),
            Self::Deneb(p) => ExecutionPayloadHeader::Deneb(p.into()),
            Self::Electra(p) => ExecutionPayloadHeader::Electra(p.into()),
            Self::Fulu(p) => ExecutionPayloadHeader::Fulu(p.into()),
        }
    }
}

impl<E: EthSpec> ExecutionPayloadHeader<E> {
    /// An all-zero header of `fork` (as in a genesis state without an execution genesis).
    pub fn empty(fork: ForkName) -> Self {
        match fork {
            ForkName::Capella => Self::Capella(Default::default()),
            ForkName::Deneb => Self::Deneb(Default::default()),
            ForkName::Electra => Self::Electra(Default::default()),
            ForkName::Fulu => Self::Fulu(Default::default()),
        }
    }

    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Capella(_) => ForkName::Capella,
            Self::Deneb(_) => ForkName::Deneb,
            Self::Electra(_) => ForkName::Electra,
            Self::Fulu(_) => ForkName::Fulu,
        }
    }
}

/// `DepositRequest` (electra, EIP-6110).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub pubkey: PublicKeyBytes,
    pub withdrawal_credentials: Hash256,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
    pub signature: SignatureBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: u64,
}

/// `WithdrawalRequest` (electra, EIP-7002).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalRequest {
    pub source_address: Address,
    pub validator_pubkey: PublicKeyBytes,
    #[serde(with = "serde_utils::quoted_u64")]
    pub amount: Gwei,
}

/// `ConsolidationRequest` (electra, EIP-7251).
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Encode, Decode, TreeHash,
)]
#[serde(deny_unknown_fields)]
pub struct ConsolidationRequest {
    pub source_address: Address,
    pub source_pubkey: PublicKeyBytes,
    pub target_pubkey: PublicKeyBytes,
}

/// `ExecutionRequests` (electra): the EL-triggered operations of one payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct ExecutionRequests<E: EthSpec> {
    pub deposits: VariableList<DepositRequest, E::MaxDepositRequestsPerPayload>,
    pub withdrawals: VariableList<WithdrawalRequest, E::MaxWithdrawalRequestsPerPayload>,
    pub consolidations: VariableList<ConsolidationRequest, E::MaxConsolidationRequestsPerPayload>,
}

impl<E: EthSpec> Default for ExecutionRequests<E> {
    fn default() -> Self {
        Self {
            deposits: VariableList::empty(),
            withdrawals: VariableList::empty(),
            consolidations: VariableList::empty(),
        }
    }
}

/// EIP-7685 request type bytes, as the engine API's `executionRequests` prefixes them.
pub const DEPOSIT_REQUEST_TYPE: u8 = 0x00;
pub const WITHDRAWAL_REQUEST_TYPE: u8 = 0x01;
pub const CONSOLIDATION_REQUEST_TYPE: u8 = 0x02;

impl<E: EthSpec> ExecutionRequests<E> {
    /// The engine API form (`get_execution_requests_list`): `type ++ ssz(list)` for each non-empty list,
    /// in type order. This is also what the EL's `requests_hash` commits to.
    pub fn to_engine_requests(&self) -> Vec<Vec<u8>> {
        use ssz::Encode;
        let mut out = vec![];
        for (ty, bytes) in [
            (DEPOSIT_REQUEST_TYPE, self.deposits.as_ssz_bytes()),
            (WITHDRAWAL_REQUEST_TYPE, self.withdrawals.as_ssz_bytes()),
            (
                CONSOLIDATION_REQUEST_TYPE,
                self.consolidations.as_ssz_bytes(),
            ),
        ] {
            if !bytes.is_empty() {
                let mut request = Vec::with_capacity(1 + bytes.len());
                request.push(ty);
                request.extend_from_slice(&bytes);
                out.push(request);
            }
        }
        out
    }
}
