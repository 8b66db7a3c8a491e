//! One HTTP exchange with a builder: headers, content negotiation with the JSON fallback, bounded
//! reading of the answer, and turning error answers into [`BuilderError`]s.

use crate::error::BuilderError;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use types::ForkName;
use url::Url;

/// Media type of JSON bodies.
pub const JSON_MEDIA_TYPE: &str = "application/json";
/// Media type of SSZ bodies.
pub const SSZ_MEDIA_TYPE: &str = "application/octet-stream";
/// `Accept` for calls that may answer in SSZ: SSZ preferred (smaller, faster to decode), JSON accepted,
/// so a builder that only speaks JSON still answers without a retry.
pub const ACCEPT_SSZ_OR_JSON: &str = "application/octet-stream;q=1.0,application/json;q=0.9";
/// Header naming the fork of an SSZ body (both ways).
pub const CONSENSUS_VERSION_HEADER: &str = "Eth-Consensus-Version";
/// getHeader header: the Unix time in milliseconds when the request was sent, for latency measurement.
pub const DATE_MILLISECONDS_HEADER: &str = "Date-Milliseconds";
/// getHeader header: the proposer's timeout, so that relays do not delay their answer past it.
pub const TIMEOUT_MS_HEADER: &str = "X-Timeout-Ms";

/// Error bodies are only read this far: a message is short, and an error must not cost memory.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Error messages are cut to this many characters before they reach logs.
const ERROR_MESSAGE_CHARS: usize = 1024;

/// How a body is encoded: the two media types of the builder API. Public so that the mock relay reads
/// `Content-Type` exactly as this client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/octet-stream`.
    Ssz,
}

/// A request body that can be sent either way, so that the JSON fallback can re-encode it.
pub(crate) trait RequestBody: Sync {
    fn ssz(&self) -> Vec<u8>;
    fn json(&self) -> Result<Vec<u8>, serde_json::Error>;
}

/// One call, as the client layer describes it.
pub(crate) struct Request<'a> {
    pub operation: &'static str,
    pub method: Method,
    /// Endpoint path, appended to the builder URL's path.
    pub path: String,
    /// Sent as `Eth-Consensus-Version`.
    pub consensus_version: Option<ForkName>,
    pub body: Option<&'a dyn RequestBody>,
    /// Whether the answer may be SSZ (then `Accept` prefers it while the builder speaks SSZ).
    pub ssz_response: bool,
    /// getHeader: send `Date-Milliseconds` (stamped at each send) and `X-Timeout-Ms` with this value.
    pub timing_headers: Option<u128>,
    /// The largest success body accepted.
    pub limit: usize,
}

/// A success answer, read in full.
pub(crate) struct Response {
    pub status: StatusCode,
    pub encoding: Encoding,
    /// Whether our `Accept` offered SSZ: a JSON answer then shows the builder does not produce SSZ.
    pub offered_ssz: bool,
    pub consensus_version: Option<String>,
    pub body: Vec<u8>,
}

/// The HTTP side of one builder: the connection pool, its base URL, and what it was seen to speak.
pub(crate) struct Transport {
    client: reqwest::Client,
    base: Url,
    /// Cleared, for the rest of the process, once the builder shows it does not speak SSZ.
    ssz: AtomicBool,
}

impl Transport {
    /// `extra_roots` are trusted for `https` besides the built-in (Mozilla) roots.
    pub fn new(
        base: Url,
        user_agent: &str,
        prefer_ssz: bool,
        extra_roots: Vec<reqwest::Certificate>,
    ) -> Result<Self, BuilderError> {
        let client = extra_roots
            .into_iter()
            .fold(reqwest::Client::builder(), |builder, root| {
                builder.add_root_certificate(root)
            })
            .user_agent(user_agent)
            // A builder has no reason to redirect, and following one could send a signed block over
            // plain http or to another host: a 3xx is answered as the error it is.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BuilderError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            base,
            ssz: AtomicBool::new(prefer_ssz),
        })
    }

    pub fn uses_ssz(&self) -> bool {
        self.ssz.load(Ordering::Relaxed)
    }

    /// Use JSON from now on (until restart).
    pub fn use_json(&self, operation: &str, why: &str) {
        if self.ssz.swap(false, Ordering::Relaxed) {
            tracing::warn!(
                builder = %self.base,
                operation,
                why,
                "builder does not speak SSZ; using JSON from now on"
            );
        }
    }

    /// The URL of an endpoint: the base URL's path (a relay prefix, say) followed by `path`.
    pub fn endpoint(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path().trim_end_matches('/'), path);
        url.set_path(&joined);
        url
    }

    /// Send `request`, retrying once in JSON if the builder refuses SSZ, and read the success answer.
    pub async fn execute(&self, request: &Request<'_>) -> Result<Response, BuilderError> {
        let operation = request.operation;
        let url = self.endpoint(&request.path);
        let mut retried = false;
        loop {
            let ssz = self.uses_ssz();
            let offered_ssz = ssz && request.ssz_response;
            let used_ssz = offered_ssz || (ssz && request.body.is_some());

            let mut builder = self
                .client
                .request(request.method.clone(), url.clone())
                .header(
                    ACCEPT,
                    if offered_ssz {
                        ACCEPT_SSZ_OR_JSON
                    } else {
                        JSON_MEDIA_TYPE
                    },
                );
            if let Some(fork) = request.consensus_version {
                builder = builder.header(CONSENSUS_VERSION_HEADER, fork.as_str());
            }
            if let Some(timeout_ms) = request.timing_headers {
                builder = builder
                    .header(DATE_MILLISECONDS_HEADER, unix_millis().to_string())
                    .header(TIMEOUT_MS_HEADER, timeout_ms.to_string());
            }
            if let Some(body) = request.body {
                builder = if ssz {
                    builder
                        .header(CONTENT_TYPE, SSZ_MEDIA_TYPE)
                        .body(body.ssz())
                } else {
                    let json = body.json().map_err(|e| {
                        BuilderError::InvalidRequest(format!("cannot encode {operation}: {e}"))
                    })?;
                    builder.header(CONTENT_TYPE, JSON_MEDIA_TYPE).body(json)
                };
            }

            let response = builder.send().await.map_err(|e| {
                let message = error_chain(&e);
                if crate::tls::is_tls_error(&e) {
                    BuilderError::Tls { operation, message }
                } else {
                    BuilderError::Transport { operation, message }
                }
            })?;
            let status = response.status();
            if status.is_success() {
                return read_success(response, request, offered_ssz).await;
            }
            let message = error_message(response).await;
            if used_ssz && !retried && is_media_type_refusal(status, &message) {
                self.use_json(operation, &message);
                retried = true;
                continue;
            }
            return Err(if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
                BuilderError::UnsupportedMediaType {
                    operation,
                    status: status.as_u16(),
                    message,
                }
            } else {
                BuilderError::Http {
                    operation,
                    status: status.as_u16(),
                    message,
                }
            });
        }
    }
}

/// Whether an error answer means "I do not speak that encoding": 415 (request body) and 406 (`Accept`)
/// by definition, a 400 when its message says so (some servers answer that way).
fn is_media_type_refusal(status: StatusCode, message: &str) -> bool {
    match status {
        StatusCode::UNSUPPORTED_MEDIA_TYPE | StatusCode::NOT_ACCEPTABLE => true,
        StatusCode::BAD_REQUEST => {
            let message = message.to_ascii_lowercase();
            [
                "content type",
                "content-type",
                "media type",
                "mediatype",
                "octet-stream",
            ]
            .iter()
            .any(|needle| message.contains(needle))
        }
        _ => false,
    }
}

async fn read_success(
    response: reqwest::Response,
    request: &Request<'_>,
    offered_ssz: bool,
) -> Result<Response, BuilderError> {
    let operation = request.operation;
    let status = response.status();
    let headers = response.headers().clone();
    let body = read_bounded(response, request.limit)
        .await
        .map_err(|e| e.into_error(operation, request.limit))?;
    let encoding = if body.is_empty() {
        Encoding::Json
    } else {
        encoding_of(&headers).map_err(|content_type| BuilderError::UnexpectedContentType {
            operation,
            content_type,
        })?
    };
    let consensus_version = headers
        .get(CONSENSUS_VERSION_HEADER)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    Ok(Response {
        status,
        encoding,
        offered_ssz,
        consensus_version,
        body,
    })
}

/// The encoding a `Content-Type` names (parameters ignored, case-insensitive); JSON when absent, as
/// servers that only speak JSON do not always say so. Otherwise the offending type.
pub fn content_type_encoding(content_type: Option<&str>) -> Result<Encoding, String> {
    let Some(text) = content_type else {
        return Ok(Encoding::Json);
    };
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        JSON_MEDIA_TYPE => Ok(Encoding::Json),
        SSZ_MEDIA_TYPE => Ok(Encoding::Ssz),
        _ => Err(text.to_string()),
    }
}

/// [`content_type_encoding`] of a response's headers.
fn encoding_of(headers: &HeaderMap) -> Result<Encoding, String> {
    let text = headers
        .get(CONTENT_TYPE)
        .map(|value| String::from_utf8_lossy(value.as_bytes()));
    content_type_encoding(text.as_deref())
}

/// Why a body could not be read.
#[derive(Debug)]
enum ReadError {
    TooLarge,
    Transport(String),
}

impl ReadError {
    fn into_error(self, operation: &'static str, limit: usize) -> BuilderError {
        match self {
            Self::TooLarge => BuilderError::ResponseTooLarge { operation, limit },
            Self::Transport(message) => BuilderError::Transport { operation, message },
        }
    }
}

/// A body buffer that refuses to grow past a limit: the builder is not trusted with our memory.
struct BoundedBody {
    bytes: Vec<u8>,
    limit: usize,
}

impl BoundedBody {
    fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
        }
    }

    fn push(&mut self, chunk: &[u8]) -> Result<(), ReadError> {
        if chunk.len() > self.limit - self.bytes.len() {
            return Err(ReadError::TooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }
}

/// Read a body of at most `limit` bytes: refused up front when `Content-Length` says more, and cut off
/// as soon as the chunks received exceed it otherwise. Nothing is allocated from an announced length.
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(ReadError::TooLarge);
    }
    let mut body = BoundedBody::new(limit);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ReadError::Transport(error_chain(&e)))?
    {
        body.push(&chunk)?;
    }
    Ok(body.bytes)
}

/// The message of an error answer: the `message` of a `{"code","message"}` body, else the body's text,
/// else the status's reason; cleaned of control characters and cut to a loggable length.
async fn error_message(response: reqwest::Response) -> String {
    let status = response.status();
    let text = match read_bounded(response, ERROR_BODY_LIMIT).await {
        Ok(body) => message_from_body(&body),
        Err(ReadError::TooLarge) => format!("(error body larger than {ERROR_BODY_LIMIT} bytes)"),
        Err(ReadError::Transport(e)) => format!("(error body unreadable: {e})"),
    };
    if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string()
    } else {
        text
    }
}

fn message_from_body(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    let raw = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(parsed) => parsed.message,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    raw.trim()
        .chars()
        .take(ERROR_MESSAGE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An error with its causes, since reqwest's own message is often just "error sending request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn bounded_body_stops_at_the_limit() {
        let mut body = BoundedBody::new(10);
        body.push(&[0; 6]).unwrap();
        body.push(&[0; 4]).unwrap();
        assert!(matches!(body.push(&[0; 1]), Err(ReadError::TooLarge)));
        assert_eq!(body.bytes.len(), 10);
        let mut body = BoundedBody::new(3);
        assert!(matches!(body.push(&[0; 4]), Err(ReadError::TooLarge)));
        assert!(body.bytes.is_empty());
    }

    #[test]
    fn content_types() {
        let mut headers = HeaderMap::new();
        assert_eq!(encoding_of(&headers), Ok(Encoding::Json));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        assert_eq!(encoding_of(&headers), Ok(Encoding::Json));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(SSZ_MEDIA_TYPE));
        assert_eq!(encoding_of(&headers), Ok(Encoding::Ssz));
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        assert_eq!(encoding_of(&headers), Err("text/html".to_string()));
    }

    #[test]
    fn media_type_refusals() {
        assert!(is_media_type_refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ""
        ));
        assert!(is_media_type_refusal(StatusCode::NOT_ACCEPTABLE, ""));
        assert!(is_media_type_refusal(
            StatusCode::BAD_REQUEST,
            "unsupported Content-Type"
        ));
        assert!(!is_media_type_refusal(
            StatusCode::BAD_REQUEST,
            "unknown validator"
        ));
        assert!(!is_media_type_refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            ""
        ));
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            message_from_body(br#"{"code":400,"message":"unknown validator"}"#),
            "unknown validator"
        );
        assert_eq!(message_from_body(b"  plain\ntext "), "plain text");
        assert_eq!(message_from_body(&[b'x'; 5000]).len(), ERROR_MESSAGE_CHARS);
    }

    #[test]
    fn endpoints_keep_the_base_path() {
        let t =
            Transport::new(Url::parse("http://h:1/relay/").unwrap(), "ua", true, vec![]).unwrap();
        assert_eq!(
            t.endpoint("/eth/v1/builder/status").as_str(),
            "http://h:1/relay/eth/v1/builder/status"
        );
        let t = Transport::new(Url::parse("http://h:1").unwrap(), "ua", true, vec![]).unwrap();
        assert_eq!(
            t.endpoint("/eth/v1/builder/status").as_str(),
            "http://h:1/eth/v1/builder/status"
        );
    }
}
