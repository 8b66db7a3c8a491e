//! Response envelopes and the error body. Every beacon-API JSON response wraps its `data`; which other
//! fields sit beside it depends on the endpoint (`version` for fork-dependent data, `execution_optimistic`
//! and `finalized` for anything read from the chain, `dependent_root` for duties).

use serde::{Deserialize, Serialize};
use types::{ForkName, ForkVersioned, Hash256};

/// `{"data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenericResponse<T> {
    pub data: T,
}

impl<T> From<T> for GenericResponse<T> {
    fn from(data: T) -> Self {
        Self { data }
    }
}

/// `{"execution_optimistic", "finalized", "data"}`: data read from the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainResponse<T> {
    /// The data depends on a block whose payload the engine has not verified.
    #[serde(default)]
    pub execution_optimistic: bool,
    /// The data is from the finalized chain.
    #[serde(default)]
    pub finalized: bool,
    pub data: T,
}

/// `{"execution_optimistic", "data"}`: data read from the chain where the spec has no `finalized`
/// (pending attestation data, liveness and the like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimisticResponse<T> {
    #[serde(default)]
    pub execution_optimistic: bool,
    pub data: T,
}

/// `{"version", "execution_optimistic"?, "finalized"?, "data"}`: fork-dependent data. The chain
/// fields are absent where the endpoint does not have them (block production, pools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionedResponse<T> {
    pub version: ForkName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_optimistic: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalized: Option<bool>,
    pub data: T,
}

#[derive(Deserialize)]
struct RawVersioned {
    version: ForkName,
    #[serde(default)]
    execution_optimistic: Option<bool>,
    #[serde(default)]
    finalized: Option<bool>,
    data: serde_json::Value,
}

impl<T: ForkVersioned> VersionedResponse<T> {
    /// Parses a versioned response whose `data` is decoded as the fork `version` names (JSON does not
    /// say which fork a block or state is).
    pub fn from_json_slice(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        let raw: RawVersioned = serde_json::from_slice(bytes)?;
        Ok(Self {
            version: raw.version,
            execution_optimistic: raw.execution_optimistic,
            finalized: raw.finalized,
            data: T::from_value_by_fork(raw.data, raw.version)?,
        })
    }
}

impl<T> VersionedResponse<T> {
    /// Parses a versioned response with a decoder for `data` at the named fork (lists of fork-dependent
    /// containers, block contents).
    pub fn from_json_slice_with(
        bytes: &[u8],
        decode: impl FnOnce(serde_json::Value, ForkName) -> Result<T, serde_json::Error>,
    ) -> Result<Self, serde_json::Error> {
        let raw: RawVersioned = serde_json::from_slice(bytes)?;
        Ok(Self {
            version: raw.version,
            execution_optimistic: raw.execution_optimistic,
            finalized: raw.finalized,
            data: decode(raw.data, raw.version)?,
        })
    }
}

/// `{"dependent_root", "execution_optimistic", "data"}`: duties, which change when the block at
/// `dependent_root` is re-orged out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DutiesResponse<T> {
    pub dependent_root: Hash256,
    #[serde(default)]
    pub execution_optimistic: bool,
    pub data: T,
}

/// One refused item of a batch: its position in the request and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedError {
    pub index: usize,
    pub message: String,
}

/// The error body: `{"code", "message", "failures"?}` (`failures` for batches where some items failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorMessage {
    pub code: u16,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<IndexedError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_body_omits_empty_failures() {
        let plain = ErrorMessage {
            code: 404,
            message: "not found".into(),
            failures: vec![],
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"code":404,"message":"not found"}"#
        );
        let batch = ErrorMessage {
            code: 400,
            message: "some failed".into(),
            failures: vec![IndexedError {
                index: 2,
                message: "bad signature".into(),
            }],
        };
        let text = serde_json::to_string(&batch).unwrap();
        assert!(text.contains(r#""failures":[{"index":2,"message":"bad signature"}]"#));
        assert_eq!(serde_json::from_str::<ErrorMessage>(&text).unwrap(), batch);
    }
}
