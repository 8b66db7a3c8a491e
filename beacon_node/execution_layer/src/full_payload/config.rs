//! Settings of the full-payload builders, and parsers for the `bn` flags that set them. Each parser's
//! error names its flag, so a malformed value is a startup error the operator can act on.

use super::signing::Secp256k1Key;
use builder_api::Url;
use engine_api::JwtSecret;
use std::path::Path;
use std::time::Duration;
use types::Address;

/// `builder_getPayloadV1`'s timeout (the OP draft's 200 ms): no retry, the local payload is used.
pub const DEFAULT_RPC_BUILDER_TIMEOUT: Duration = Duration::from_millis(200);
/// An engine builder's getPayload (or forkchoiceUpdated and getPayload, without a prepared build).
pub const DEFAULT_ENGINE_BUILDER_TIMEOUT: Duration = Duration::from_millis(500);
/// How long the local engine's `newPayload` on a builder's payload may take: a full payload needs a
/// VALID verdict before it may win, and a verdict later than this costs the proposal too much.
pub const DEFAULT_NEW_PAYLOAD_CHECK_TIMEOUT: Duration = Duration::from_millis(1000);

/// `--payload-builder-rpc`.
pub const RPC_FLAG: &str = "--payload-builder-rpc";
/// `--payload-builder-request-key`.
pub const REQUEST_KEY_FLAG: &str = "--payload-builder-request-key";
/// `--payload-builder-engine`.
pub const ENGINE_FLAG: &str = "--payload-builder-engine";
/// `--payload-builder-engine-jwt`.
pub const ENGINE_JWT_FLAG: &str = "--payload-builder-engine-jwt";

/// A `builder_getPayloadV1` builder: the tuple (builder address, URL) of the OP draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcBuilderConfig {
    /// The pinned address: answers must name it and be signed by it. Also the builder's identity.
    pub address: Address,
    /// Its JSON-RPC endpoint (`http`).
    pub url: Url,
    /// See [`DEFAULT_RPC_BUILDER_TIMEOUT`].
    pub timeout: Duration,
}

/// An engine-API builder: forkchoiceUpdated is mirrored to it, getPayload is asked of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineBuilderConfig {
    /// Its engine endpoint; also its identity (without credentials).
    pub url: Url,
    /// Its own JWT secret (never the local engine's).
    pub jwt: JwtSecret,
    /// See [`DEFAULT_ENGINE_BUILDER_TIMEOUT`].
    pub timeout: Duration,
}

/// Every full-payload builder, and what they need.
#[derive(Debug, Clone)]
pub struct FullPayloadBuildersConfig {
    /// `builder_getPayloadV1` builders, asked in this order after the relays.
    pub rpc: Vec<RpcBuilderConfig>,
    /// The proposer's request key; required when `rpc` is not empty.
    pub request_key: Option<Secp256k1Key>,
    /// Engine-API builders, after the RPC builders.
    pub engine: Vec<EngineBuilderConfig>,
    /// See [`DEFAULT_NEW_PAYLOAD_CHECK_TIMEOUT`].
    pub new_payload_timeout: Duration,
}

impl Default for FullPayloadBuildersConfig {
    fn default() -> Self {
        Self {
            rpc: Vec::new(),
            request_key: None,
            engine: Vec::new(),
            new_payload_timeout: DEFAULT_NEW_PAYLOAD_CHECK_TIMEOUT,
        }
    }
}

/// A flag value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct FlagError {
    /// The flag, e.g. `--payload-builder-rpc`.
    pub flag: &'static str,
    /// What is wrong with its value.
    pub message: String,
}

fn flag_error(flag: &'static str, message: impl Into<String>) -> FlagError {
    FlagError {
        flag,
        message: message.into(),
    }
}

/// Key and secret files are read this far at most.
const KEY_FILE_LIMIT: u64 = 1024;

/// Parses `--payload-builder-rpc 0xADDRESS@URL[,0xADDRESS@URL...]`, with the default timeout.
pub fn parse_rpc_builders(value: &str) -> Result<Vec<RpcBuilderConfig>, FlagError> {
    let mut builders: Vec<RpcBuilderConfig> = Vec::new();
    for (i, entry) in value.split(',').map(str::trim).enumerate() {
        let at = |message: String| flag_error(RPC_FLAG, format!("entry {}: {message}", i + 1));
        let (address, url) = entry
            .split_once('@')
            .ok_or_else(|| at(format!("{entry:?} is not 0xADDRESS@URL")))?;
        let digits = address
            .strip_prefix("0x")
            .ok_or_else(|| at(format!("address {address:?} lacks the 0x prefix")))?;
        if digits.len() != 40 {
            return Err(at(format!("address {address:?} is not 20 bytes of hex")));
        }
        let address: Address = address
            .parse()
            .map_err(|e| at(format!("address {address:?}: {e}")))?;
        let url: Url = url.parse().map_err(|e| at(format!("URL {url:?}: {e}")))?;
        super::http::http_target(&url).map_err(|e| at(format!("URL {url}: {e}")))?;
        if builders.iter().any(|b| b.address == address) {
            return Err(at(format!("builder {address} is given twice")));
        }
        builders.push(RpcBuilderConfig {
            address,
            url,
            timeout: DEFAULT_RPC_BUILDER_TIMEOUT,
        });
    }
    Ok(builders)
}

fn read_small_file(flag: &'static str, path: &Path) -> Result<String, FlagError> {
    let io = |e: std::io::Error| flag_error(flag, format!("{}: {e}", path.display()));
    let length = std::fs::metadata(path).map_err(io)?.len();
    if length > KEY_FILE_LIMIT {
        return Err(flag_error(
            flag,
            format!("{}: {length} bytes is not a key file", path.display()),
        ));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Reads `--payload-builder-request-key FILE`: the proposer's secp256k1 secret key in hex.
pub fn load_request_key(path: &Path) -> Result<Secp256k1Key, FlagError> {
    let text = read_small_file(REQUEST_KEY_FLAG, path)?;
    Secp256k1Key::from_hex(&text)
        .map_err(|e| flag_error(REQUEST_KEY_FLAG, format!("{}: {e}", path.display())))
}

/// Parses `--payload-builder-engine URL` with `--payload-builder-engine-jwt FILE` (required: an
/// engine endpoint refuses calls without a JWT).
pub fn parse_engine_builder(
    url: &str,
    jwt_path: Option<&Path>,
) -> Result<EngineBuilderConfig, FlagError> {
    let url: Url = url
        .parse()
        .map_err(|e| flag_error(ENGINE_FLAG, format!("URL {url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(flag_error(
            ENGINE_FLAG,
            format!("URL {url}: scheme {:?} is not http or https", url.scheme()),
        ));
    }
    let jwt_path = jwt_path.ok_or_else(|| {
        flag_error(
            ENGINE_JWT_FLAG,
            format!(
                "required with {ENGINE_FLAG}: the builder's engine endpoint needs its JWT secret"
            ),
        )
    })?;
    let text = read_small_file(ENGINE_JWT_FLAG, jwt_path)?;
    let jwt = JwtSecret::from_hex(&text)
        .map_err(|e| flag_error(ENGINE_JWT_FLAG, format!("{}: {e}", jwt_path.display())))?;
    Ok(EngineBuilderConfig {
        url,
        jwt,
        timeout: DEFAULT_ENGINE_BUILDER_TIMEOUT,
    })
}

/// An engine builder's identity: its URL without credentials.
pub(crate) fn engine_identity(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "el_flags_{name}_{}_{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn rpc_builders_parse_and_errors_name_the_flag() {
        let a = "0x1111111111111111111111111111111111111111";
        let b = "0x2222222222222222222222222222222222222222";
        let parsed =
            parse_rpc_builders(&format!("{a}@http://127.0.0.1:9000, {b}@http://b:1/rpc")).unwrap();
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].address, a.parse::<Address>().unwrap());
        assert_eq!(parsed[1].url.as_str(), "http://b:1/rpc");
        assert_eq!(parsed[0].timeout, DEFAULT_RPC_BUILDER_TIMEOUT);
        for bad in [
            "http://127.0.0.1:9000",
            "1111111111111111111111111111111111111111@http://a",
            "0x11@http://a",
            "0xzz11111111111111111111111111111111111111@http://a",
            &format!("{a}@not a url"),
            &format!("{a}@https://tls.example"),
            &format!("{a}@http://a,{a}@http://b"),
            "",
        ] {
            let error = parse_rpc_builders(bad).unwrap_err();
            assert_eq!(error.flag, RPC_FLAG, "{bad}");
            assert!(error.to_string().starts_with(RPC_FLAG), "{error}");
        }
    }

    #[test]
    fn request_key_and_engine_jwt_files() {
        let key = temp_file("key", &format!("0x{}\n", "07".repeat(32)));
        assert!(load_request_key(&key).is_ok());
        let bad = temp_file("badkey", "0x1234");
        assert_eq!(load_request_key(&bad).unwrap_err().flag, REQUEST_KEY_FLAG);
        let missing = std::env::temp_dir().join("el_flags_missing_key_file");
        assert_eq!(
            load_request_key(&missing).unwrap_err().flag,
            REQUEST_KEY_FLAG
        );

        let jwt = temp_file("jwt", &"42".repeat(32));
        let engine = parse_engine_builder("http://127.0.0.1:8551", Some(&jwt)).unwrap();
        assert_eq!(engine.jwt, JwtSecret::new([0x42; 32]));
        assert_eq!(
            parse_engine_builder("http://127.0.0.1:8551", None)
                .unwrap_err()
                .flag,
            ENGINE_JWT_FLAG
        );
        assert_eq!(
            parse_engine_builder("ftp://x", Some(&jwt))
                .unwrap_err()
                .flag,
            ENGINE_FLAG
        );
        assert_eq!(
            parse_engine_builder("http://x", Some(&bad))
                .unwrap_err()
                .flag,
            ENGINE_JWT_FLAG
        );
        for path in [key, bad, jwt] {
            let _ = std::fs::remove_file(path);
        }
    }

    #[test]
    fn engine_identities_have_no_credentials() {
        let url: Url = "http://user:secret@127.0.0.1:8551/".parse().unwrap();
        assert_eq!(engine_identity(&url), "http://127.0.0.1:8551/");
    }
}
