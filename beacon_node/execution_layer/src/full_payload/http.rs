//! A minimal JSON-RPC client over plain HTTP/1.1 for `builder_*` calls: one request per connection,
//! the answer bounded before it is parsed. The engine client reads whatever an engine sends, which is
//! fine for one's own EE but not for a builder that may be hostile; builder_api's bounded transport
//! speaks the REST builder API only. Plain `http` only: RPC builders run beside the proposer (the OP
//! draft's setting), and `https` would need a TLS stack this crate does not carry.

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Response heads are read this far at most.
const HEAD_LIMIT: usize = 16 * 1024;
/// Error bodies are kept this far in messages.
const MESSAGE_CHARS: usize = 512;

/// Why a JSON-RPC call failed (the caller bounds it in time).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcCallError {
    /// The builder could not be reached, or broke the connection.
    #[error("transport: {0}")]
    Transport(String),
    /// The answer is larger than allowed.
    #[error("the answer exceeds {limit} bytes")]
    TooLarge {
        /// The bound.
        limit: usize,
    },
    /// Not an HTTP answer, or not a JSON-RPC one.
    #[error("bad response: {0}")]
    BadResponse(String),
    /// A non-success HTTP status without a JSON-RPC error.
    #[error("HTTP {status}: {body}")]
    Http {
        /// The status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// A JSON-RPC error object.
    #[error("JSON-RPC error {code}: {message}")]
    Rpc {
        /// Its code.
        code: i64,
        /// Its message.
        message: String,
    },
}

/// Host, port and path of an `http` URL.
pub(crate) fn http_target(url: &builder_api::Url) -> Result<(String, u16, String), String> {
    if url.scheme() != "http" {
        return Err(format!("scheme {:?}: only http is supported", url.scheme()));
    }
    let host = url.host_str().ok_or("no host")?.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let mut path = url.path().to_string();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    Ok((host, port, path))
}

/// Calls `method` with `params` at `url`; the answer's body may be at most `limit` bytes.
pub(crate) async fn call(
    url: &builder_api::Url,
    method: &str,
    params: Value,
    limit: usize,
) -> Result<Value, RpcCallError> {
    let (host, port, path) = http_target(url).map_err(RpcCallError::Transport)?;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let host_header = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {host_header}\r\ncontent-type: application/json\r\n\
         accept: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let transport = |e: std::io::Error| RpcCallError::Transport(e.to_string());
    let connect_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let mut stream = TcpStream::connect((connect_host.as_str(), port))
        .await
        .map_err(transport)?;
    let _ = stream.set_nodelay(true);
    stream.write_all(head.as_bytes()).await.map_err(transport)?;
    stream.write_all(body.as_bytes()).await.map_err(transport)?;

    let total_limit = limit.saturating_add(HEAD_LIMIT);
    let mut raw = Vec::with_capacity(8 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    // The full response's length, once the head is in and names a content-length.
    let mut expected: Option<Option<usize>> = None;
    loop {
        let n = stream.read(&mut buf).await.map_err(transport)?;
        if n == 0 {
            break;
        }
        if raw.len() + n > total_limit {
            return Err(RpcCallError::TooLarge { limit });
        }
        raw.extend_from_slice(&buf[..n]);
        if expected.is_none() {
            expected = expected_length(&raw)?;
        }
        if matches!(expected, Some(Some(total)) if raw.len() >= total) {
            break;
        }
    }
    let (status, body) = parse_response(&raw, limit)?;
    decode_rpc(status, &body)
}

/// Where the head ends, if it has.
fn head_end(raw: &[u8]) -> Option<usize> {
    raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// `None` until the head is in; then the whole response's length when it names a content-length
/// (otherwise the server's close ends it).
fn expected_length(raw: &[u8]) -> Result<Option<Option<usize>>, RpcCallError> {
    let Some(end) = head_end(raw) else {
        if raw.len() > HEAD_LIMIT {
            return Err(RpcCallError::BadResponse("response head too long".into()));
        }
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    Ok(Some(
        content_length(&head).map(|length| end.saturating_add(length)),
    ))
}

fn content_length(head: &str) -> Option<usize> {
    head.lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
}

/// The status and the (de-chunked) body of a complete response.
fn parse_response(raw: &[u8], limit: usize) -> Result<(u16, Vec<u8>), RpcCallError> {
    let bad = |m: &str| RpcCallError::BadResponse(m.to_string());
    let end = head_end(raw).ok_or_else(|| bad("no complete HTTP head"))?;
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status: u16 = head
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| bad("no HTTP status line"))?;
    let rest = &raw[end..];
    let body = if head
        .lines()
        .any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"))
    {
        dechunk(rest, limit)?
    } else if let Some(length) = content_length(&head) {
        rest.get(..length)
            .ok_or_else(|| bad("the body is shorter than its content-length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    if body.len() > limit {
        return Err(RpcCallError::TooLarge { limit });
    }
    Ok((status, body))
}

/// Decodes a chunked body.
fn dechunk(mut rest: &[u8], limit: usize) -> Result<Vec<u8>, RpcCallError> {
    let bad = |m: &str| RpcCallError::BadResponse(m.to_string());
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("truncated chunk size"))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if body.len().saturating_add(size) > limit {
            return Err(RpcCallError::TooLarge { limit });
        }
        let chunk = rest.get(..size).ok_or_else(|| bad("truncated chunk"))?;
        body.extend_from_slice(chunk);
        rest = rest.get(size + 2..).ok_or_else(|| bad("truncated chunk"))?;
    }
}

fn decode_rpc(status: u16, body: &[u8]) -> Result<Value, RpcCallError> {
    let parsed: Result<Value, _> = serde_json::from_slice(body);
    if let Ok(Value::Object(object)) = &parsed {
        if let Some(error) = object.get("error").filter(|e| !e.is_null()) {
            return Err(RpcCallError::Rpc {
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .chars()
                    .take(MESSAGE_CHARS)
                    .collect(),
            });
        }
    }
    if !(200..300).contains(&status) {
        return Err(RpcCallError::Http {
            status,
            body: String::from_utf8_lossy(body)
                .chars()
                .take(MESSAGE_CHARS)
                .collect(),
        });
    }
    match parsed {
        Ok(Value::Object(mut object)) => Ok(object.remove("result").unwrap_or(Value::Null)),
        Ok(_) => Err(RpcCallError::BadResponse("not a JSON-RPC object".into())),
        Err(e) => Err(RpcCallError::BadResponse(format!("not JSON: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_by_length_chunks_and_close() {
        let by_length =
            b"HTTP/1.1 200 OK\r\nContent-Length: 28\r\n\r\n{\"jsonrpc\":\"2.0\",\"result\":1}";
        assert_eq!(
            expected_length(by_length).unwrap(),
            Some(Some(by_length.len()))
        );
        assert_eq!(expected_length(b"HTTP/1.1 200 OK\r\n").unwrap(), None);
        let (status, body) = parse_response(by_length, 1024).unwrap();
        assert_eq!(decode_rpc(status, &body), Ok(json!(1)));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"res\r\n12\r\nult\":[1,2],\"id\":1}\r\n0\r\n\r\n";
        let (status, body) = parse_response(chunked, 1024).unwrap();
        assert_eq!(decode_rpc(status, &body), Ok(json!([1, 2])));
        assert_eq!(
            parse_response(chunked, 8).unwrap_err(),
            RpcCallError::TooLarge { limit: 8 }
        );
        let error = b"HTTP/1.1 400 Bad\r\n\r\n{\"error\":{\"code\":-32000,\"message\":\"no\"}}";
        let (status, body) = parse_response(error, 1024).unwrap();
        assert_eq!(
            decode_rpc(status, &body),
            Err(RpcCallError::Rpc {
                code: -32000,
                message: "no".into()
            })
        );
        assert!(matches!(
            parse_response(b"garbage", 1024),
            Err(RpcCallError::BadResponse(_))
        ));
        let (status, body) = parse_response(b"HTTP/1.1 500 X\r\n\r\nboom", 1024).unwrap();
        assert!(matches!(
            decode_rpc(status, &body),
            Err(RpcCallError::Http { status: 500, .. })
        ));
    }

    #[test]
    fn only_http_targets() {
        let url: builder_api::Url = "http://127.0.0.1:8545/rpc".parse().unwrap();
        assert_eq!(
            http_target(&url).unwrap(),
            ("127.0.0.1".into(), 8545, "/rpc".into())
        );
        assert!(http_target(&"https://b.example".parse().unwrap()).is_err());
    }
}
