//! Classified engine API errors.

use std::time::Duration;

/// The JSON-RPC error codes the engine API names (common.md, "Errors").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RpcErrorCode {
    ParseError,
    InvalidRequest,
    MethodNotFound,
    InvalidParams,
    InternalError,
    ServerError,
    UnknownPayload,
    InvalidForkchoiceState,
    InvalidPayloadAttributes,
    TooLargeRequest,
    UnsupportedFork,
    TooDeepReorg,
    /// A code the spec does not name.
    Other(i64),
}

impl RpcErrorCode {
    pub const NAMED: [RpcErrorCode; 12] = [
        Self::ParseError,
        Self::InvalidRequest,
        Self::MethodNotFound,
        Self::InvalidParams,
        Self::InternalError,
        Self::ServerError,
        Self::UnknownPayload,
        Self::InvalidForkchoiceState,
        Self::InvalidPayloadAttributes,
        Self::TooLargeRequest,
        Self::UnsupportedFork,
        Self::TooDeepReorg,
    ];

    pub fn from_code(code: i64) -> Self {
        Self::NAMED
            .into_iter()
            .find(|c| c.code() == code)
            .unwrap_or(Self::Other(code))
    }

    pub fn code(self) -> i64 {
        match self {
            Self::ParseError => -32700,
            Self::InvalidRequest => -32600,
            Self::MethodNotFound => -32601,
            Self::InvalidParams => -32602,
            Self::InternalError => -32603,
            Self::ServerError => -32000,
            Self::UnknownPayload => -38001,
            Self::InvalidForkchoiceState => -38002,
            Self::InvalidPayloadAttributes => -38003,
            Self::TooLargeRequest => -38004,
            Self::UnsupportedFork => -38005,
            Self::TooDeepReorg => -38006,
            Self::Other(code) => code,
        }
    }

    /// The spec's message for a named code.
    pub fn message(self) -> &'static str {
        match self {
            Self::ParseError => "Parse error",
            Self::InvalidRequest => "Invalid Request",
            Self::MethodNotFound => "Method not found",
            Self::InvalidParams => "Invalid params",
            Self::InternalError => "Internal error",
            Self::ServerError => "Server error",
            Self::UnknownPayload => "Unknown payload",
            Self::InvalidForkchoiceState => "Invalid forkchoice state",
            Self::InvalidPayloadAttributes => "Invalid payload attributes",
            Self::TooLargeRequest => "Too large request",
            Self::UnsupportedFork => "Unsupported fork",
            Self::TooDeepReorg => "Too deep reorg",
            Self::Other(_) => "Unknown error",
        }
    }
}

/// What went wrong with an engine API call.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The EE could not be reached or the connection broke (refused, reset, closed mid-response).
    #[error("transport error calling {method}: {message}")]
    Transport { method: String, message: String },
    /// No answer within the method's timeout.
    #[error("{method} timed out after {after:?}")]
    Timeout { method: String, after: Duration },
    /// The EE refused our JWT (HTTP 401 or 403).
    #[error("authentication refused by the execution engine (HTTP {status})")]
    Auth { status: u16 },
    /// Our JWT could not be made.
    #[error("cannot sign a JWT: {0}")]
    Jwt(#[from] crate::auth::JwtError),
    /// A non-success HTTP status without a JSON-RPC error in the body.
    #[error("HTTP {status} from the execution engine: {body}")]
    Http { status: u16, body: String },
    /// A JSON-RPC error object.
    #[error("JSON-RPC error {code} ({}) from {method}: {message}", RpcErrorCode::from_code(*code).message())]
    Rpc {
        method: String,
        code: i64,
        message: String,
        data: Option<serde_json::Value>,
    },
    /// A response that is not what the method returns (bad JSON, wrong shape, wrong fork).
    #[error("bad response to {method}: {message}")]
    BadResponse { method: String, message: String },
    /// The caller's arguments do not fit the method (e.g. a Deneb payload without a parent root).
    #[error("bad request: {0}")]
    BadRequest(String),
}

impl EngineError {
    /// The classified JSON-RPC code, if this is a JSON-RPC error.
    pub fn rpc_code(&self) -> Option<RpcErrorCode> {
        match self {
            Self::Rpc { code, .. } => Some(RpcErrorCode::from_code(*code)),
            _ => None,
        }
    }

    /// The EE did not answer at all (transport failure or timeout).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Transport { .. } | Self::Timeout { .. })
    }

    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    pub fn is_unknown_payload(&self) -> bool {
        self.rpc_code() == Some(RpcErrorCode::UnknownPayload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in RpcErrorCode::NAMED {
            assert_eq!(RpcErrorCode::from_code(c.code()), c);
        }
        assert_eq!(RpcErrorCode::from_code(-1), RpcErrorCode::Other(-1));
        assert_eq!(RpcErrorCode::UnknownPayload.code(), -38001);
        let e = EngineError::Rpc {
            method: "engine_getPayloadV3".into(),
            code: -38001,
            message: "nope".into(),
            data: None,
        };
        assert!(e.is_unknown_payload());
        assert!(e.to_string().contains("Unknown payload"));
    }
}
