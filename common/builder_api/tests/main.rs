//! Integration tests of the builder client against an in-process imitation of a builder (warp, bound to
//! 127.0.0.1 on a free port) that records every request and answers as each test scripts it.
//! Objects come from builder-specs' examples in `../shared/vectors/builder-specs-examples` (mainnet
//! preset).

mod get_header;
mod register;
mod submit;
mod tls;
mod urls;

use builder_api::{BuilderClient, BuilderConfig, Url};
use parking_lot::Mutex;
use serde_json::Value;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use types::ssz::Encode;
use types::{ForkName, ForkVersioned, MainnetEthSpec};
use warp::http::HeaderMap;
use warp::Filter;

pub type E = MainnetEthSpec;

/// A request as the mock builder received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    pub fn is_ssz(&self) -> bool {
        self.content_type() == Some("application/octet-stream")
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: vec![],
            body: vec![],
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, value: &Value) -> Self {
        Self::status(status)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(value).unwrap())
    }

    pub fn ssz(fork: ForkName, bytes: Vec<u8>) -> Self {
        Self::status(200)
            .header("content-type", "application/octet-stream")
            .header("eth-consensus-version", fork.as_str())
            .body(bytes)
    }

    /// A `{"code","message"}` error answer.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(
            status,
            &serde_json::json!({"code": status, "message": message}),
        )
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_string()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

type Handler = Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>;

/// The imitation builder: answers each request with `handler`'s reply and records it.
pub struct MockBuilder {
    pub url: Url,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

/// A TLS server identity: certificate chain and private key, PEM.
pub struct TlsIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl MockBuilder {
    pub fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Self {
        Self::start_with(None, handler)
    }

    /// The same imitation builder behind TLS, at an `https://127.0.0.1:port` URL.
    pub fn start_tls(
        identity: &TlsIdentity,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        Self::start_with(Some(identity), handler)
    }

    fn start_with(
        tls: Option<&TlsIdentity>,
        handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let handler: Handler = Arc::new(handler);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = requests.clone();
        let route = warp::method()
            .and(warp::path::full())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .and_then(
                move |method: warp::http::Method,
                      path: warp::path::FullPath,
                      headers: HeaderMap,
                      body: warp::hyper::body::Bytes| {
                    let recorded = Recorded {
                        method: method.to_string(),
                        path: path.as_str().to_string(),
                        headers,
                        body: body.to_vec(),
                    };
                    let reply = handler(&recorded);
                    log.lock().push(recorded);
                    async move {
                        tokio::time::sleep(reply.delay).await;
                        let mut response = warp::http::Response::builder().status(reply.status);
                        for (name, value) in &reply.headers {
                            response = response.header(*name, value);
                        }
                        Ok::<_, Infallible>(response.body(reply.body).unwrap())
                    }
                },
            );
        let localhost = ([127, 0, 0, 1], 0);
        let url = match tls {
            None => {
                let (addr, server) = warp::serve(route).bind_ephemeral(localhost);
                tokio::spawn(server);
                format!("http://{addr}")
            }
            Some(identity) => {
                let (addr, server) = warp::serve(route)
                    .tls()
                    .cert(&identity.cert_pem)
                    .key(&identity.key_pem)
                    .bind_ephemeral(localhost);
                tokio::spawn(server);
                format!("https://{addr}")
            }
        };
        Self {
            url: Url::parse(&url).unwrap(),
            requests,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().clone()
    }

    pub fn config(&self) -> BuilderConfig {
        BuilderConfig::new(self.url.clone(), None)
    }

    pub fn client(&self) -> BuilderClient {
        BuilderClient::new(self.config()).unwrap()
    }
}

fn examples_dir() -> PathBuf {
    spec_tests::vectors_dir().join("builder-specs-examples")
}

/// An example's `value`.
pub fn example_json(fork: &str, name: &str) -> Value {
    let path = examples_dir().join(fork).join(format!("{name}.json"));
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut value: Value = serde_json::from_slice(&text).unwrap();
    value["value"].take()
}

/// A versioned example's `data`, decoded as `fork`'s variant, with its JSON envelope.
pub fn versioned_example<T: ForkVersioned>(fork: ForkName, name: &str) -> (T, Value) {
    let envelope = example_json(fork.as_str(), name);
    assert_eq!(envelope["version"], fork.as_str());
    let object = T::from_value_by_fork(envelope["data"].clone(), fork).unwrap();
    (object, envelope)
}

/// An unversioned example (signed blinded blocks), decoded as `fork`'s variant.
pub fn example<T: ForkVersioned>(fork: ForkName, name: &str) -> T {
    T::from_value_by_fork(example_json(fork.as_str(), name), fork).unwrap()
}

pub fn ssz<T: Encode>(value: &T) -> Vec<u8> {
    value.as_ssz_bytes()
}

pub fn valid_pubkey(index: u64) -> types::PublicKeyBytes {
    bls::interop_secret_key(index).public_key().to_bytes()
}
