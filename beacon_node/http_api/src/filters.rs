//! What every route shares: the context, the raw inputs (query, headers, body) taken without rejecting,
//! content negotiation (`Accept` with q-values for responses, `Content-Type` for bodies), and the
//! response builders. Inputs are parsed in the handlers, so a bad one is a 400 with a reason rather
//! than a warp rejection that falls through to other routes.

use crate::errors::{ApiError, ApiResult};
use crate::Context;
use beacon_api::{CONSENSUS_VERSION_HEADER, JSON_CONTENT_TYPE, SSZ_CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::convert::Infallible;
use std::sync::Arc;
use types::{EthSpec, ForkName, Hash256};
use warp::http::header::{ACCEPT, CONTENT_TYPE};
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// The shared context, for every handler.
pub fn with_ctx<E: EthSpec>(
    ctx: Arc<Context<E>>,
) -> impl Filter<Extract = (Arc<Context<E>>,), Error = Infallible> + Clone {
    warp::any().map(move || ctx.clone())
}

/// The query string, parsed into pairs (empty when there is none).
pub fn query() -> impl Filter<Extract = (Query,), Error = Infallible> + Clone {
    warp::query::raw()
        .or(warp::any().map(String::new))
        .unify()
        .map(|raw: String| Query::parse(&raw))
}

/// The request headers.
pub fn headers() -> impl Filter<Extract = (HeaderMap,), Error = Infallible> + Clone {
    warp::header::headers_cloned()
}

/// The request body, refused before it is read when larger than `limit` (413).
pub fn body(limit: u64) -> impl Filter<Extract = (Bytes,), Error = warp::Rejection> + Clone {
    warp::body::content_length_limit(limit).and(warp::body::bytes())
}

/// A parsed query string: `key=value` pairs in order, a repeated key and comma lists both allowed.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Self {
        Self(
            url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The value of `key` (the first if repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// Every value of `key`, repeated or comma-separated; `None` if the key is absent.
    pub fn list(&self, key: &str) -> Option<Vec<String>> {
        if !self.has(key) {
            return None;
        }
        Some(
            self.0
                .iter()
                .filter(|(k, _)| k == key)
                .flat_map(|(_, v)| v.split(','))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(String::from)
                .collect(),
        )
    }

    /// A decimal `u64` (400 if present and not one).
    pub fn u64(&self, key: &str) -> ApiResult<Option<u64>> {
        self.get(key)
            .map(|v| {
                beacon_api::ids::parse_u64(v)
                    .ok_or_else(|| ApiError::bad_request(format!("invalid {key}: {v:?}")))
            })
            .transpose()
    }

    pub fn required_u64(&self, key: &str) -> ApiResult<u64> {
        self.u64(key)?
            .ok_or_else(|| ApiError::bad_request(format!("missing {key}")))
    }

    /// A `0x` 32-byte hex value.
    pub fn root(&self, key: &str) -> ApiResult<Option<Hash256>> {
        self.get(key).map(|v| parse_root(key, v)).transpose()
    }

    pub fn required_root(&self, key: &str) -> ApiResult<Hash256> {
        self.root(key)?
            .ok_or_else(|| ApiError::bad_request(format!("missing {key}")))
    }

    /// A boolean flag: present without a value, `true`, or `false`.
    pub fn flag(&self, key: &str) -> ApiResult<bool> {
        match self.get(key) {
            None => Ok(false),
            Some("") | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(ApiError::bad_request(format!("invalid {key}: {other:?}"))),
        }
    }

    /// A list of decimal `u64`s.
    pub fn u64_list(&self, key: &str) -> ApiResult<Option<Vec<u64>>> {
        self.list(key)
            .map(|values| {
                values
                    .iter()
                    .map(|v| {
                        beacon_api::ids::parse_u64(v)
                            .ok_or_else(|| ApiError::bad_request(format!("invalid {key}: {v:?}")))
                    })
                    .collect()
            })
            .transpose()
    }
}

/// A `0x` 32-byte hex root.
pub fn parse_root(what: &str, text: &str) -> ApiResult<Hash256> {
    let digits = text
        .strip_prefix("0x")
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ApiError::bad_request(format!("invalid {what}: {text:?}")))?;
    digits
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid {what}: {text:?}")))
}

/// A decimal path parameter (slot, epoch).
pub fn parse_path_u64(what: &str, text: &str) -> ApiResult<u64> {
    beacon_api::ids::parse_u64(text)
        .ok_or_else(|| ApiError::bad_request(format!("invalid {what}: {text:?}")))
}

/// The response encoding a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Ssz,
}

/// Chooses JSON or SSZ from `Accept`: media ranges with q-values, the most specific range deciding
/// each type's q, the higher q winning, JSON on a tie unless only SSZ was named. No header: JSON. Nothing
/// acceptable (or SSZ alone where the endpoint has none): 406.
pub fn negotiate(headers: &HeaderMap, ssz_supported: bool) -> ApiResult<Encoding> {
    let Some(value) = headers.get(ACCEPT) else {
        return Ok(Encoding::Json);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("invalid Accept header"))?;
    if text.trim().is_empty() {
        return Ok(Encoding::Json);
    }
    // (q, specificity) of each type: 2 exact, 1 `application/*`, 0 `*/*`.
    let mut json: Option<(f32, u8)> = None;
    let mut ssz: Option<(f32, u8)> = None;
    for range in text.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v
                        .trim()
                        .parse()
                        .ok()
                        .filter(|q: &f32| (0.0..=1.0).contains(q))
                        .unwrap_or(0.0);
                }
            }
        }
        let offer = |slot: &mut Option<(f32, u8)>, specificity: u8| {
            if slot.is_none_or(|(_, s)| specificity > s) {
                *slot = Some((q, specificity));
            }
        };
        match media.as_str() {
            JSON_CONTENT_TYPE => offer(&mut json, 2),
            SSZ_CONTENT_TYPE => offer(&mut ssz, 2),
            "application/*" => {
                offer(&mut json, 1);
                offer(&mut ssz, 1);
            }
            "*/*" => {
                offer(&mut json, 0);
                offer(&mut ssz, 0);
            }
            _ => {}
        }
    }
    if !ssz_supported {
        ssz = None;
    }
    let json_q = json.map(|(q, _)| q).unwrap_or(0.0);
    let (ssz_q, ssz_specific) = ssz.map(|(q, s)| (q, s == 2)).unwrap_or((0.0, false));
    let json_specific = json.is_some_and(|(_, s)| s == 2);
    if json_q <= 0.0 && ssz_q <= 0.0 {
        return Err(ApiError::not_acceptable(if ssz_supported {
            "this endpoint answers application/json or application/octet-stream"
        } else {
            "this endpoint answers application/json only"
        }));
    }
    if ssz_q > json_q || (ssz_q == json_q && ssz_specific && !json_specific) {
        Ok(Encoding::Ssz)
    } else {
        Ok(Encoding::Json)
    }
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Ssz,
}

/// Reads `Content-Type`: JSON when absent, SSZ only where the endpoint takes it, anything else 415.
pub fn body_format(headers: &HeaderMap, ssz_supported: bool) -> ApiResult<BodyFormat> {
    let Some(value) = headers.get(CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    let media = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match media.as_str() {
        JSON_CONTENT_TYPE => Ok(BodyFormat::Json),
        SSZ_CONTENT_TYPE if ssz_supported => Ok(BodyFormat::Ssz),
        _ => Err(ApiError::unsupported_media_type(format!(
            "unsupported Content-Type {media:?}"
        ))),
    }
}

/// A JSON body (415 for another media type, 400 if it does not parse).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> ApiResult<T> {
    body_format(headers, false)?;
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid body: {e}")))
}

/// `Eth-Consensus-Version`, if given (400 if it names no fork this node knows).
pub fn consensus_version(headers: &HeaderMap) -> ApiResult<Option<ForkName>> {
    headers
        .get(CONSENSUS_VERSION_HEADER)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| ApiError::bad_request("invalid Eth-Consensus-Version header"))
        })
        .transpose()
}

/// A 200 JSON response.
pub fn json_response<T: Serialize>(value: &T) -> ApiResult {
    let bytes = serde_json::to_vec(value)
        .map_err(|e| ApiError::internal(format!("serialising the response: {e}")))?;
    let mut response = Response::new(bytes.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    Ok(response)
}

/// A 200 SSZ response.
pub fn ssz_response(bytes: Vec<u8>) -> Response {
    let mut response = Response::new(bytes.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SSZ_CONTENT_TYPE));
    response
}

/// An empty response with `status` (200 for accepted operations, 202 for broadcast-but-invalid).
pub fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::new(Vec::new().into());
    *response.status_mut() = status;
    response
}

/// Adds a header (values are ours: ASCII by construction).
pub fn with_header(mut response: Response, name: &'static str, value: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
    response
}

/// Adds `Eth-Consensus-Version`.
pub fn with_version(response: Response, fork: ForkName) -> Response {
    with_header(response, CONSENSUS_VERSION_HEADER, fork.as_str())
}

/// A versioned answer in the negotiated encoding: `ssz(data)`'s bytes, or the JSON envelope
/// (`version`, `execution_optimistic`, `finalized`, `data`); either way with `Eth-Consensus-Version`.
pub fn versioned_response<T: Serialize>(
    encoding: Encoding,
    fork: ForkName,
    execution_optimistic: bool,
    finalized: bool,
    data: &T,
    ssz: impl FnOnce(&T) -> Vec<u8>,
) -> ApiResult {
    let response = match encoding {
        Encoding::Ssz => ssz_response(ssz(data)),
        Encoding::Json => json_response(&beacon_api::VersionedResponse {
            version: fork,
            execution_optimistic: Some(execution_optimistic),
            finalized: Some(finalized),
            data,
        })?,
    };
    Ok(with_version(response, fork))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str, ssz: bool) -> ApiResult<Encoding> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers, ssz)
    }

    #[test]
    fn accept_with_q_values() {
        assert_eq!(negotiate(&HeaderMap::new(), true), Ok(Encoding::Json));
        assert_eq!(accept("application/octet-stream", true), Ok(Encoding::Ssz));
        assert_eq!(accept("application/json", true), Ok(Encoding::Json));
        assert_eq!(accept("*/*", true), Ok(Encoding::Json));
        assert_eq!(
            accept(
                "application/octet-stream;q=1.0,application/json;q=0.9",
                true
            ),
            Ok(Encoding::Ssz)
        );
        assert_eq!(
            accept(
                "application/octet-stream;q=0.5,application/json;q=0.9",
                true
            ),
            Ok(Encoding::Json)
        );
        assert_eq!(
            accept("application/octet-stream, */*;q=0.1", true),
            Ok(Encoding::Ssz)
        );
        assert_eq!(accept("application/json;q=0, */*", true), Ok(Encoding::Ssz));
        assert_eq!(
            accept("text/html", true).unwrap_err().status,
            StatusCode::NOT_ACCEPTABLE
        );
        assert_eq!(
            accept("application/octet-stream", false)
                .unwrap_err()
                .status,
            StatusCode::NOT_ACCEPTABLE
        );
        assert_eq!(accept("application/*", false), Ok(Encoding::Json));
    }

    #[test]
    fn queries_take_lists_and_refuse_bad_numbers() {
        let q = Query::parse("id=1,2&id=0xab&status=active&slot=abc&flag");
        assert_eq!(q.list("id").unwrap(), vec!["1", "2", "0xab"]);
        assert!(q.u64("slot").is_err());
        assert_eq!(q.flag("flag"), Ok(true));
        assert_eq!(q.list("missing"), None);
        assert_eq!(
            Query::parse("builder_boost_factor=18446744073709551616")
                .u64("builder_boost_factor")
                .unwrap_err()
                .status,
            StatusCode::BAD_REQUEST
        );
    }
}
