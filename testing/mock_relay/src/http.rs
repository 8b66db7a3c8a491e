//! HTTP helpers: content negotiation (the `Accept` header's q-values), the builder-specs error body, and
//! JSON or SSZ answers with `Eth-Consensus-Version`.

pub use builder_api::Encoding;
use builder_api::{CONSENSUS_VERSION_HEADER, JSON_MEDIA_TYPE, SSZ_MEDIA_TYPE};
use serde::Serialize;
use types::ForkName;
use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;

/// The answer encoding an `Accept` header asks for: the acceptable type with the highest q-value, JSON
/// on a tie or without the header; `None` when neither JSON nor SSZ is acceptable (406).
pub fn negotiate(accept: Option<&str>) -> Option<Encoding> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Encoding::Json);
    };
    // (q, whether a specific type set it): a specific type overrides a wildcard, whatever the order.
    let (mut json, mut ssz) = (None::<(f32, bool)>, None::<(f32, bool)>);
    let apply = |slot: &mut Option<(f32, bool)>, q: f32, specific: bool| match slot {
        Some((_, true)) if !specific => {}
        _ => *slot = Some((q, specific)),
    };
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        match media.as_str() {
            JSON_MEDIA_TYPE => apply(&mut json, q, true),
            SSZ_MEDIA_TYPE => apply(&mut ssz, q, true),
            "*/*" | "application/*" => {
                apply(&mut json, q, false);
                apply(&mut ssz, q, false);
            }
            _ => {}
        }
    }
    let json = json.map_or(0.0, |(q, _)| q);
    let ssz = ssz.map_or(0.0, |(q, _)| q);
    match (json > 0.0, ssz > 0.0) {
        (false, false) => None,
        _ if ssz > json => Some(Encoding::Ssz),
        _ => Some(Encoding::Json),
    }
}

/// The encoding of a request body by its `Content-Type` (JSON when absent), read as the client reads
/// answers; `Err` with the type when it is neither (415).
pub fn request_encoding(content_type: Option<&str>) -> Result<Encoding, String> {
    builder_api::content_type_encoding(content_type)
}

/// At most 80 characters of an untrusted input, for a log line or an error message: a request must
/// not be able to make the relay echo or log kilobytes.
pub fn excerpt(s: &str) -> &str {
    let end = s.char_indices().nth(80).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

/// The builder-specs `ErrorMessage` body: `{"code": <status>, "message": "..."}`.
pub fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({"code": status.as_u16(), "message": message.into()});
    let mut r = Response::new(body.to_string().into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(JSON_MEDIA_TYPE),
    );
    r
}

/// A status without a body (200 status, 202 accepted, 204 no bid).
pub fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Default::default());
    *r.status_mut() = status;
    r
}

/// A JSON body with status 200.
pub fn json<T: Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = Response::new(body.into());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(JSON_MEDIA_TYPE),
            );
            r
        }
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the answer: {e}"),
        ),
    }
}

/// A fork-versioned answer: `{"version","data"}` JSON or the SSZ bytes of `data`, with
/// `Eth-Consensus-Version` either way.
pub fn versioned<T: Serialize + types::ssz::Encode>(
    fork: ForkName,
    data: &T,
    encoding: Encoding,
) -> Response {
    let mut r = match encoding {
        Encoding::Json => json(&serde_json::json!({"version": fork, "data": data})),
        Encoding::Ssz => {
            let mut r = Response::new(data.as_ssz_bytes().into());
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(SSZ_MEDIA_TYPE),
            );
            r
        }
    };
    r.headers_mut().insert(
        CONSENSUS_VERSION_HEADER,
        HeaderValue::from_static(fork.as_str()),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_q_values() {
        assert_eq!(negotiate(None), Some(Encoding::Json));
        assert_eq!(
            negotiate(Some(builder_api::ACCEPT_SSZ_OR_JSON)),
            Some(Encoding::Ssz)
        );
        assert_eq!(
            negotiate(Some("application/octet-stream;q=0.5, application/json")),
            Some(Encoding::Json)
        );
        assert_eq!(
            negotiate(Some("application/octet-stream")),
            Some(Encoding::Ssz)
        );
        assert_eq!(negotiate(Some("*/*")), Some(Encoding::Json));
        assert_eq!(
            negotiate(Some("*/*;q=0.1, application/octet-stream;q=0.2")),
            Some(Encoding::Ssz)
        );
        assert_eq!(
            negotiate(Some("application/json;q=0, */*")),
            Some(Encoding::Ssz)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }

    #[test]
    fn content_types() {
        assert_eq!(request_encoding(None), Ok(Encoding::Json));
        assert_eq!(
            request_encoding(Some("application/json; charset=utf-8")),
            Ok(Encoding::Json)
        );
        assert_eq!(
            request_encoding(Some("Application/Octet-Stream")),
            Ok(Encoding::Ssz)
        );
        assert!(request_encoding(Some("text/plain")).is_err());
    }
}
