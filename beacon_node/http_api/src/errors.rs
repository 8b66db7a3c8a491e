//! Errors as the beacon API answers them: `{"code", "message", "failures"?}` with the status. Bad input is
//! always a 4xx; 500 is kept for the node's own failures (a store that cannot read, a task that died).

use beacon_api::{ErrorMessage, IndexedError};
use warp::http::StatusCode;
use warp::reply::Response;

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub failures: Vec<IndexedError>,
    /// Answered by a batch endpoint, whose 400 body (`IndexedErrorMessage`) always carries
    /// `failures`, empty when the request as a whole was refused (a body that does not parse).
    pub batch: bool,
}

/// What handlers return.
pub type ApiResult<T = Response> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            failures: vec![],
            batch: false,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, message)
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
    }

    pub fn service_unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }

    /// The node's own failure: logged, since no caller can fix it.
    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        tracing::warn!(%message, "beacon API internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// A batch where some items failed: 400 with each failure's index and reason.
    pub fn indexed(message: impl Into<String>, failures: Vec<IndexedError>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            failures,
            batch: true,
        }
    }

    /// This error as a batch endpoint answers it: a 400 names its `failures`, even when none.
    pub fn in_batch(self) -> Self {
        Self {
            batch: true,
            ..self
        }
    }

    pub fn into_response(self) -> Response {
        let code = self.status.as_u16();
        let bytes = if self.batch && self.status == StatusCode::BAD_REQUEST {
            serde_json::to_vec(&BatchErrorBody {
                code,
                message: &self.message,
                failures: &self.failures,
            })
        } else {
            serde_json::to_vec(&ErrorMessage {
                code,
                message: self.message,
                failures: self.failures,
            })
        }
        .unwrap_or_default();
        let mut response = Response::new(bytes.into());
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            warp::http::header::CONTENT_TYPE,
            warp::http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

/// A batch endpoint's 400 (`IndexedErrorMessage`): `failures` is required there, so it is written
/// even when empty ([`ErrorMessage`] omits it then).
#[derive(serde::Serialize)]
struct BatchErrorBody<'a> {
    code: u16,
    message: &'a str,
    failures: &'a [IndexedError],
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(format!("task failed: {e}"))
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        Self::internal(format!("store: {e}"))
    }
}

/// Turns a handler's result into the response.
pub fn respond(result: ApiResult) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

/// Warp's rejections (no route, wrong method, body too large) in the API's error form.
pub async fn recover(rejection: warp::Rejection) -> Result<Response, std::convert::Infallible> {
    let error = if rejection.is_not_found() {
        ApiError::not_found("no such endpoint")
    } else if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body too large")
    } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
        ApiError::new(StatusCode::LENGTH_REQUIRED, "content-length required")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    } else {
        ApiError::bad_request(format!("{rejection:?}"))
    };
    Ok(error.into_response())
}
