//! Engine API JSON types (camelCase; `QUANTITY` as `0x`-hex without leading zeros, `DATA` as `0x`-hex)
//! and their conversions to and from the consensus types.
//!
//! Every response type ignores unknown fields: real execution engines add their own (EthereumJS adds
//! `requestsHash` to its V4 payloads).

use alloy_primitives::{Address, Bloom, Bytes, FixedBytes, B256, B64, U256};
use serde::{Deserialize, Serialize};
use types::ssz::Decode;
use types::ssz_types::{FixedVector, VariableList};
use types::{
    EthSpec, ExecutionPayload, ExecutionPayloadCapella, ExecutionPayloadDeneb,
    ExecutionPayloadElectra, ExecutionPayloadFulu, ExecutionRequests, ForkName,
    CONSOLIDATION_REQUEST_TYPE, DEPOSIT_REQUEST_TYPE, WITHDRAWAL_REQUEST_TYPE,
};

/// An 8-byte payload build identifier.
pub type PayloadId = B64;
/// A KZG commitment or proof (48 bytes).
pub type Bytes48 = FixedBytes<48>;

/// Serde for a `u64` engine-API `QUANTITY`: `0x`-prefixed hex, no leading zeros (`0x0` for zero).
/// Decoding also takes a JSON number, and leading zeros, to be lenient with what others send.
pub mod quantity {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("{value:#x}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<'a> {
            Number(u64),
            #[serde(borrow)]
            Str(std::borrow::Cow<'a, str>),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(n),
            Raw::Str(s) => parse(&s).map_err(D::Error::custom),
        }
    }

    /// Parses a `0x`-prefixed hex quantity.
    pub fn parse(s: &str) -> Result<u64, String> {
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .ok_or_else(|| format!("quantity {s:?} lacks the 0x prefix"))?;
        if digits.is_empty() {
            return Err("empty quantity".into());
        }
        u64::from_str_radix(digits, 16).map_err(|e| format!("quantity {s:?}: {e}"))
    }

    /// Optional quantity; `None` is omitted by the containing struct (`skip_serializing_if`).
    pub mod opt {
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(value: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
            match value {
                Some(v) => super::serialize(v, s),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            #[derive(Deserialize)]
            struct Wrap(#[serde(with = "super")] u64);
            Ok(Option::<Wrap>::deserialize(d)?.map(|w| w.0))
        }
    }
}

/// A conversion between engine JSON and consensus types failed (a list over its limit, a field of
/// the wrong fork, a malformed request list).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("{0} is required at this fork but missing")]
    MissingField(&'static str),
    #[error("{0} must not be present at this fork")]
    UnexpectedField(&'static str),
    #[error("{0} is too long")]
    TooLong(&'static str),
    #[error("invalid execution requests: {0}")]
    Requests(String),
}

/// `WithdrawalV1`. `amount` is in Gwei.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonWithdrawal {
    #[serde(with = "quantity")]
    pub index: u64,
    #[serde(with = "quantity")]
    pub validator_index: u64,
    pub address: Address,
    #[serde(with = "quantity")]
    pub amount: u64,
}

impl From<&types::Withdrawal> for JsonWithdrawal {
    fn from(w: &types::Withdrawal) -> Self {
        Self {
            index: w.index,
            validator_index: w.validator_index,
            address: w.address,
            amount: w.amount,
        }
    }
}

impl From<&JsonWithdrawal> for types::Withdrawal {
    fn from(w: &JsonWithdrawal) -> Self {
        Self {
            index: w.index,
            validator_index: w.validator_index,
            address: w.address,
            amount: w.amount,
        }
    }
}

/// `ExecutionPayloadV1`, `V2` (adds `withdrawals`) and `V3` (adds `blobGasUsed`, `excessBlobGas`) in
/// one struct: the later fields are `None` when absent and then not serialised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonExecutionPayload {
    pub parent_hash: B256,
    pub fee_recipient: Address,
    pub state_root: B256,
    pub receipts_root: B256,
    pub logs_bloom: Bloom,
    pub prev_randao: B256,
    #[serde(with = "quantity")]
    pub block_number: u64,
    #[serde(with = "quantity")]
    pub gas_limit: u64,
    #[serde(with = "quantity")]
    pub gas_used: u64,
    #[serde(with = "quantity")]
    pub timestamp: u64,
    pub extra_data: Bytes,
    pub base_fee_per_gas: U256,
    pub block_hash: B256,
    pub transactions: Vec<Bytes>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<Vec<JsonWithdrawal>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "quantity::opt"
    )]
    pub blob_gas_used: Option<u64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "quantity::opt"
    )]
    pub excess_blob_gas: Option<u64>,
}

impl JsonExecutionPayload {
    /// The engine structure version this payload has: 1, 2 (withdrawals) or 3 (blob gas fields).
    pub fn version(&self) -> u8 {
        match (
            self.withdrawals.is_some(),
            self.blob_gas_used.is_some() || self.excess_blob_gas.is_some(),
        ) {
            (_, true) => 3,
            (true, false) => 2,
            (false, false) => 1,
        }
    }

    /// Converts to the consensus payload of `fork`, checking that the fields match that fork.
    pub fn try_into_payload<E: EthSpec>(
        self,
        fork: ForkName,
    ) -> Result<ExecutionPayload<E>, ConversionError> {
        let withdrawals = self
            .withdrawals
            .ok_or(ConversionError::MissingField("withdrawals"))?;
        let withdrawals = VariableList::new(withdrawals.iter().map(Into::into).collect())
            .map_err(|_| ConversionError::TooLong("withdrawals"))?;
        let transactions = self
            .transactions
            .into_iter()
            .map(|tx| VariableList::new(tx.to_vec()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| ConversionError::TooLong("transaction"))?;
        let transactions = VariableList::new(transactions)
            .map_err(|_| ConversionError::TooLong("transactions"))?;
        let extra_data = VariableList::new(self.extra_data.to_vec())
            .map_err(|_| ConversionError::TooLong("extraData"))?;
        let logs_bloom = FixedVector::new(self.logs_bloom.to_vec())
            .map_err(|_| ConversionError::TooLong("logsBloom"))?;
        let blob_fields = match (fork, self.blob_gas_used, self.excess_blob_gas) {
            (ForkName::Capella, None, None) => None,
            (ForkName::Capella, _, _) => {
                return Err(ConversionError::UnexpectedField(
                    "blobGasUsed/excessBlobGas",
                ))
            }
            (_, Some(used), Some(excess)) => Some((used, excess)),
            (_, None, _) => return Err(ConversionError::MissingField("blobGasUsed")),
            (_, _, None) => return Err(ConversionError::MissingField("excessBlobGas")),
        };
        macro_rules! build {
            ($variant:ident, $ty:ident { $($extra:tt)* }) => {
                ExecutionPayload::$variant($ty {
                    parent_hash: self.parent_hash,
                    fee_recipient: self.fee_recipient,
                    state_root: self.state_root,
                    receipts_root: self.receipts_root,
                    logs_bloom,
                    prev_randao: self.prev_randao,
                    block_number: self.block_number,
                    gas_limit: self.gas_limit,
                    gas_used: self.gas_used,
                    timestamp: self.timestamp,
                    extra_data,
                    base_fee_per_gas: self.base_fee_per_gas,
                    block_hash: self.block_hash,
                    transactions,
                    withdrawals,
                    $($extra)*
                })
            };
        }
        let (used, excess) = blob_fields.unwrap_or_default();
        Ok(match fork {
            ForkName::Capella => build!(Capella, ExecutionPayloadCapella {}),
            ForkName::Deneb => build!(
                Deneb,
                ExecutionPayloadDeneb {
                    blob_gas_used: used,
                    excess_blob_gas: excess,
                }
            ),
            ForkName::Electra => build!(
                Electra,
                ExecutionPayloadElectra {
                    blob_gas_used: used,
                    excess_blob_gas: excess,
                }
            ),
            ForkName::Fulu => build!(
                Fulu,
                ExecutionPayloadFulu {
                    blob_gas_used: used,
                    excess_blob_gas: excess,
                }
            ),
        })
    }
}

impl<E: EthSpec> From<&ExecutionPayload<E>> for JsonExecutionPayload {
    fn from(p: &ExecutionPayload<E>) -> Self {
        Self {
            parent_hash: p.parent_hash(),
            fee_recipient: p.fee_recipient(),
            state_root: p.state_root(),
            receipts_root: p.receipts_root(),
            logs_bloom: Bloom::from_slice(&p.logs_bloom()[..]),
            prev_randao: p.prev_randao(),
            block_number: p.block_number(),
            gas_limit: p.gas_limit(),
            gas_used: p.gas_used(),
            timestamp: p.timestamp(),
            extra_data: Bytes::copy_from_slice(&p.extra_data()[..]),
            base_fee_per_gas: p.base_fee_per_gas(),
            block_hash: p.block_hash(),
            transactions: p
                .transactions()
                .iter()
                .map(|tx| Bytes::copy_from_slice(&tx[..]))
                .collect(),
            withdrawals: Some(p.withdrawals().iter().map(Into::into).collect()),
            blob_gas_used: p.blob_gas_used().ok(),
            excess_blob_gas: p.excess_blob_gas().ok(),
        }
    }
}

/// `ForkchoiceStateV1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForkchoiceStateV1 {
    pub head_block_hash: B256,
    pub safe_block_hash: B256,
    pub finalized_block_hash: B256,
}

/// `PayloadAttributesV2` (no `parentBeaconBlockRoot`) or `V3` (with it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadAttributes {
    #[serde(with = "quantity")]
    pub timestamp: u64,
    pub prev_randao: B256,
    pub suggested_fee_recipient: Address,
    /// Absent only in the pre-Shanghai `V1`, which Blindfold never sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawals: Option<Vec<JsonWithdrawal>>,
    /// Present from `V3` (Cancun/Deneb) on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_beacon_block_root: Option<B256>,
}

impl PayloadAttributes {
    /// Attributes for `fork`: the parent beacon block root is kept from Deneb on and dropped before.
    pub fn new(
        fork: ForkName,
        timestamp: u64,
        prev_randao: B256,
        suggested_fee_recipient: Address,
        withdrawals: &[types::Withdrawal],
        parent_beacon_block_root: B256,
    ) -> Self {
        Self {
            timestamp,
            prev_randao,
            suggested_fee_recipient,
            withdrawals: Some(withdrawals.iter().map(Into::into).collect()),
            parent_beacon_block_root: fork.deneb_enabled().then_some(parent_beacon_block_root),
        }
    }
}

/// `PayloadStatusV1.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayloadStatusKind {
    Valid,
    Invalid,
    Syncing,
    Accepted,
    InvalidBlockHash,
}

/// `PayloadStatusV1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadStatusV1 {
    pub status: PayloadStatusKind,
    #[serde(default)]
    pub latest_valid_hash: Option<B256>,
    #[serde(default)]
    pub validation_error: Option<String>,
}

impl PayloadStatusV1 {
    pub fn valid(hash: B256) -> Self {
        Self {
            status: PayloadStatusKind::Valid,
            latest_valid_hash: Some(hash),
            validation_error: None,
        }
    }

    pub fn syncing() -> Self {
        Self {
            status: PayloadStatusKind::Syncing,
            latest_valid_hash: None,
            validation_error: None,
        }
    }

    pub fn invalid(latest_valid_hash: Option<B256>, error: impl Into<String>) -> Self {
        Self {
            status: PayloadStatusKind::Invalid,
            latest_valid_hash,
            validation_error: Some(error.into()),
        }
    }

    pub fn is_valid(&self) -> bool {
        self.status == PayloadStatusKind::Valid
    }

    /// `INVALID` or `INVALID_BLOCK_HASH`: the payload is bad (as opposed to not yet judged).
    pub fn is_invalid(&self) -> bool {
        matches!(
            self.status,
            PayloadStatusKind::Invalid | PayloadStatusKind::InvalidBlockHash
        )
    }
}

/// The result of `engine_forkchoiceUpdatedV*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForkchoiceUpdatedResponse {
    pub payload_status: PayloadStatusV1,
    #[serde(default)]
    pub payload_id: Option<PayloadId>,
}

/// `BlobsBundleV1` (one proof per blob) or `BlobsBundleV2` (`CELLS_PER_EXT_BLOB` cell proofs per blob).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobsBundle {
    pub commitments: Vec<Bytes48>,
    pub proofs: Vec<Bytes48>,
    pub blobs: Vec<Bytes>,
}

/// `BlobAndProofV1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobAndProofV1 {
    pub blob: Bytes,
    pub proof: Bytes48,
}

/// `BlobAndProofV2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlobAndProofV2 {
    pub blob: Bytes,
    pub proofs: Vec<Bytes48>,
}

/// The result of `engine_getPayloadV2` to `V5`, as JSON. Fields a version lacks are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonGetPayloadResponse {
    pub execution_payload: JsonExecutionPayload,
    pub block_value: U256,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blobs_bundle: Option<BlobsBundle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub should_override_builder: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_requests: Option<Vec<Bytes>>,
}

/// A locally built payload, as `engine_getPayload` returns it, converted to consensus types.
#[derive(Debug, Clone, PartialEq)]
pub struct GetPayloadResponse<E: EthSpec> {
    pub payload: ExecutionPayload<E>,
    /// Wei to the fee recipient.
    pub block_value: U256,
    /// From Deneb on (V1 proofs before Fulu, cell proofs from Fulu).
    pub blobs_bundle: Option<BlobsBundle>,
    pub should_override_builder: bool,
    /// From Electra on.
    pub execution_requests: Option<ExecutionRequests<E>>,
}

impl<E: EthSpec> GetPayloadResponse<E> {
    /// Converts the JSON response of a `fork` payload, checking that its shape matches the fork.
    pub fn from_json(
        json: JsonGetPayloadResponse,
        fork: ForkName,
    ) -> Result<Self, ConversionError> {
        if fork.deneb_enabled() && json.blobs_bundle.is_none() {
            return Err(ConversionError::MissingField("blobsBundle"));
        }
        let execution_requests = match (fork.electra_enabled(), json.execution_requests) {
            (true, Some(list)) => Some(execution_requests_from_engine(&list)?),
            (true, None) => return Err(ConversionError::MissingField("executionRequests")),
            (false, _) => None,
        };
        Ok(Self {
            payload: json.execution_payload.try_into_payload(fork)?,
            block_value: json.block_value,
            blobs_bundle: json.blobs_bundle,
            should_override_builder: json.should_override_builder.unwrap_or(false),
            execution_requests,
        })
    }
}

/// `ClientVersionV1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientVersionV1 {
    pub code: String,
    pub name: String,
    pub version: String,
    /// First four bytes of the commit hash, `0x`-hex.
    pub commit: String,
}

impl ClientVersionV1 {
    /// Blindfold's own identification (client code `BF`).
    pub fn blindfold() -> Self {
        Self {
            code: "BF".into(),
            name: "Blindfold".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            commit: "0x00000000".into(),
        }
    }
}

/// The engine API `executionRequests` list of `requests`.
pub fn execution_requests_to_engine<E: EthSpec>(requests: &ExecutionRequests<E>) -> Vec<Bytes> {
    requests
        .to_engine_requests()
        .into_iter()
        .map(Bytes::from)
        .collect()
}

/// Checks an engine `executionRequests` list as `engine_newPayloadV4` must: each element longer than one
/// byte, request types strictly ascending (so unique). Returns a description of the first problem.
pub fn check_engine_requests<T: AsRef<[u8]>>(list: &[T]) -> Result<(), String> {
    let mut previous: Option<u8> = None;
    for (i, request) in list.iter().enumerate() {
        let request = request.as_ref();
        if request.len() <= 1 {
            return Err(format!("request {i} has no data"));
        }
        if previous.is_some_and(|p| p >= request[0]) {
            return Err(format!(
                "request {i} (type {}) is out of order or repeats a type",
                request[0]
            ));
        }
        previous = Some(request[0]);
    }
    Ok(())
}

/// Parses an engine `executionRequests` list into the consensus `ExecutionRequests`.
pub fn execution_requests_from_engine<E: EthSpec, T: AsRef<[u8]>>(
    list: &[T],
) -> Result<ExecutionRequests<E>, ConversionError> {
    check_engine_requests(list).map_err(ConversionError::Requests)?;
    let mut out = ExecutionRequests::<E>::default();
    for request in list.iter().map(AsRef::as_ref) {
        let (ty, data) = (request[0], &request[1..]);
        let bad = |e: types::ssz::DecodeError| {
            ConversionError::Requests(format!("request type {ty}: {e:?}"))
        };
        match ty {
            DEPOSIT_REQUEST_TYPE => {
                out.deposits = VariableList::from_ssz_bytes(data).map_err(bad)?
            }
            WITHDRAWAL_REQUEST_TYPE => {
                out.withdrawals = VariableList::from_ssz_bytes(data).map_err(bad)?
            }
            CONSOLIDATION_REQUEST_TYPE => {
                out.consolidations = VariableList::from_ssz_bytes(data).map_err(bad)?
            }
            other => {
                return Err(ConversionError::Requests(format!(
                    "unknown request type {other}"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MainnetEthSpec;

    #[test]
    fn quantities_have_no_leading_zeros() {
        #[derive(Serialize, Deserialize)]
        struct Q(#[serde(with = "quantity")] u64);
        assert_eq!(serde_json::to_string(&Q(0)).unwrap(), "\"0x0\"");
        assert_eq!(serde_json::to_string(&Q(0x1a)).unwrap(), "\"0x1a\"");
        assert_eq!(serde_json::from_str::<Q>("\"0x00ff\"").unwrap().0, 255);
        assert_eq!(serde_json::from_str::<Q>("17").unwrap().0, 17);
        assert!(serde_json::from_str::<Q>("\"ff\"").is_err());
        assert!(serde_json::from_str::<Q>("\"0x\"").is_err());
        assert!(serde_json::from_str::<Q>("\"0x1ffffffffffffffff\"").is_err());
        assert_eq!(serde_json::to_string(&U256::ZERO).unwrap(), "\"0x0\"");
        assert_eq!(
            serde_json::to_string(&U256::from(256)).unwrap(),
            "\"0x100\""
        );
    }

    #[test]
    fn payload_round_trips_and_tolerates_unknown_fields() {
        let mut payload = ExecutionPayloadDeneb::<MainnetEthSpec> {
            block_number: 7,
            timestamp: 0x10,
            blob_gas_used: 131072,
            ..Default::default()
        };
        payload.transactions =
            VariableList::new(vec![VariableList::new(vec![1, 2]).unwrap()]).unwrap();
        let payload = ExecutionPayload::Deneb(payload);
        let json = JsonExecutionPayload::from(&payload);
        let mut value = serde_json::to_value(&json).unwrap();
        assert_eq!(value["blockNumber"], "0x7");
        assert_eq!(value["blobGasUsed"], "0x20000");
        assert_eq!(value["excessBlobGas"], "0x0");
        assert_eq!(value["transactions"][0], "0x0102");
        assert_eq!(value["withdrawals"], serde_json::json!([]));
        value["requestsHash"] = serde_json::json!("0x00");
        let back: JsonExecutionPayload = serde_json::from_value(value).unwrap();
        assert_eq!(back.version(), 3);
        assert_eq!(
            back.clone()
                .try_into_payload::<MainnetEthSpec>(ForkName::Deneb)
                .unwrap(),
            payload
        );
        assert_eq!(
            back.try_into_payload::<MainnetEthSpec>(ForkName::Capella),
            Err(ConversionError::UnexpectedField(
                "blobGasUsed/excessBlobGas"
            ))
        );
    }

    #[test]
    fn capella_payload_has_no_blob_fields() {
        let payload = ExecutionPayload::<MainnetEthSpec>::empty(ForkName::Capella);
        let value = serde_json::to_value(JsonExecutionPayload::from(&payload)).unwrap();
        assert!(value.get("blobGasUsed").is_none());
        assert!(value.get("withdrawals").is_some());
        let json: JsonExecutionPayload = serde_json::from_value(value).unwrap();
        assert_eq!(json.version(), 2);
        assert!(json
            .try_into_payload::<MainnetEthSpec>(ForkName::Deneb)
            .is_err());
    }

    #[test]
    fn payload_status_parses() {
        let s: PayloadStatusV1 = serde_json::from_str(
            r#"{"status":"INVALID_BLOCK_HASH","latestValidHash":null,"validationError":"x","extra":1}"#,
        )
        .unwrap();
        assert_eq!(s.status, PayloadStatusKind::InvalidBlockHash);
        assert!(s.is_invalid());
        let s: PayloadStatusV1 = serde_json::from_str(r#"{"status":"SYNCING"}"#).unwrap();
        assert_eq!(s, PayloadStatusV1::syncing());
    }

    #[test]
    fn requests_round_trip_and_are_checked() {
        let requests = ExecutionRequests::<MainnetEthSpec> {
            withdrawals: VariableList::new(vec![Default::default()]).unwrap(),
            consolidations: VariableList::new(vec![Default::default()]).unwrap(),
            ..Default::default()
        };
        let list = execution_requests_to_engine(&requests);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0][0], 1);
        assert_eq!(
            execution_requests_from_engine::<MainnetEthSpec, _>(&list).unwrap(),
            requests
        );
        let reversed = vec![list[1].clone(), list[0].clone()];
        assert!(check_engine_requests(&reversed).is_err());
        assert!(check_engine_requests(&[vec![0u8]]).is_err());
        assert!(check_engine_requests(&[vec![1u8, 0], vec![1u8, 0]]).is_err());
        assert!(execution_requests_from_engine::<MainnetEthSpec, _>(&[vec![7u8, 0]]).is_err());
        assert!(execution_requests_from_engine::<MainnetEthSpec, _>(&[vec![0u8, 1, 2]]).is_err());
    }

    #[test]
    fn attributes_follow_the_fork() {
        let a = PayloadAttributes::new(
            ForkName::Capella,
            5,
            B256::ZERO,
            Address::ZERO,
            &[],
            B256::ZERO,
        );
        let v = serde_json::to_value(&a).unwrap();
        assert!(v.get("parentBeaconBlockRoot").is_none());
        assert_eq!(v["timestamp"], "0x5");
        let a = PayloadAttributes::new(
            ForkName::Deneb,
            5,
            B256::ZERO,
            Address::ZERO,
            &[],
            B256::ZERO,
        );
        assert!(a.parent_beacon_block_root.is_some());
    }
}
