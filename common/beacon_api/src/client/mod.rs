//! [`BeaconNodeHttpClient`]: one method per endpoint, JSON by default and SSZ where the spec offers it
//! (methods ending in `_ssz`). A non-2xx answer is [`Error::Server`] with the node's error body.

mod beacon;
mod events;
mod rewards;
pub mod validator;

pub use validator::ProduceQuery;

pub use events::{EventStream, SseEvent};

use crate::envelopes::{ErrorMessage, GenericResponse};
use crate::node::*;
use crate::{CONSENSUS_VERSION_HEADER, JSON_CONTENT_TYPE, SSZ_CONTENT_TYPE};
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use types::{Fork, ForkName};
use url::Url;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be sent or the response read.
    #[error("request failed: {0}")]
    Reqwest(#[from] reqwest::Error),
    /// The node answered with an error status.
    #[error("the node answered {status}: {}", body.message)]
    Server { status: u16, body: ErrorMessage },
    /// The URL could not be built.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The answer did not decode.
    #[error("invalid response: {0}")]
    Decode(String),
    /// A response header the spec requires is missing or invalid.
    #[error("response header {0} missing or invalid")]
    Header(&'static str),
}

impl Error {
    /// The HTTP status of a node's error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } => Some(*status),
            Self::Reqwest(e) => e.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// The node's error body, when it answered with one.
    pub fn body(&self) -> Option<&ErrorMessage> {
        match self {
            Self::Server { body, .. } => Some(body),
            _ => None,
        }
    }
}

/// What to ask the node to answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    Json,
    Ssz,
}

/// A client of one beacon node.
#[derive(Debug, Clone)]
pub struct BeaconNodeHttpClient {
    client: reqwest::Client,
    server: Url,
}

/// The default timeout of a call: block production waits on builders and the engine (seconds).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(12);

impl BeaconNodeHttpClient {
    /// A client of the node at `server` (its base URL; a path prefix is kept).
    pub fn new(server: Url) -> Result<Self, Error> {
        Self::with_timeout(server, DEFAULT_TIMEOUT)
    }

    pub fn with_timeout(mut server: Url, timeout: Duration) -> Result<Self, Error> {
        if server.cannot_be_a_base() {
            return Err(Error::Url(format!("{server} cannot be a base URL")));
        }
        if !server.path().ends_with('/') {
            let path = format!("{}/", server.path());
            server.set_path(&path);
        }
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self { client, server })
    }

    /// The node's base URL.
    pub fn server(&self) -> &Url {
        &self.server
    }

    pub(crate) fn url(&self, path: &str) -> Result<Url, Error> {
        self.server
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::Url(e.to_string()))
    }

    pub(crate) fn url_with_query(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Url, Error> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key, value);
            }
        }
        Ok(url)
    }

    /// Sends the request; a non-2xx answer becomes [`Error::Server`].
    pub(crate) async fn send(&self, request: RequestBuilder) -> Result<Response, Error> {
        let response = request.send().await?;
        ok_or_error(response).await
    }

    pub(crate) async fn get(&self, url: Url, accept: Accept) -> Result<Response, Error> {
        let accept = match accept {
            Accept::Json => JSON_CONTENT_TYPE,
            Accept::Ssz => SSZ_CONTENT_TYPE,
        };
        self.send(self.client.get(url).header(ACCEPT, accept)).await
    }

    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url) -> Result<T, Error> {
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// A GET with a custom `Accept` header, answered as it comes (for negotiation tests and tools).
    pub async fn get_with_accept(&self, path: &str, accept: &str) -> Result<Response, Error> {
        let url = self.url(path)?;
        self.send(self.client.get(url).header(ACCEPT, accept)).await
    }

    /// A POST of raw bytes with a `Content-Type` of the caller's choosing, answered as it comes.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        fork: Option<ForkName>,
    ) -> Result<Response, Error> {
        let mut request = self
            .client
            .post(self.url(path)?)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        if let Some(fork) = fork {
            request = request.header(CONSENSUS_VERSION_HEADER, fork.as_str());
        }
        self.send(request).await
    }

    pub(crate) async fn post_json<B: Serialize + ?Sized>(
        &self,
        url: Url,
        body: &B,
        fork: Option<ForkName>,
    ) -> Result<Response, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Decode(e.to_string()))?;
        let mut request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, JSON_CONTENT_TYPE)
            .header(ACCEPT, JSON_CONTENT_TYPE)
            .body(bytes);
        if let Some(fork) = fork {
            request = request.header(CONSENSUS_VERSION_HEADER, fork.as_str());
        }
        self.send(request).await
    }

    pub(crate) async fn post_ssz(
        &self,
        url: Url,
        body: Vec<u8>,
        fork: ForkName,
    ) -> Result<Response, Error> {
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, SSZ_CONTENT_TYPE)
            .header(CONSENSUS_VERSION_HEADER, fork.as_str())
            .body(body);
        self.send(request).await
    }

    pub(crate) async fn post_json_for<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        url: Url,
        body: &B,
    ) -> Result<T, Error> {
        let bytes = self.post_json(url, body, None).await?.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    // Node.

    /// `GET /eth/v1/node/version`.
    pub async fn get_node_version(&self) -> Result<VersionData, Error> {
        let response: GenericResponse<VersionData> =
            self.get_json(self.url("eth/v1/node/version")?).await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/node/syncing`.
    pub async fn get_node_syncing(&self) -> Result<SyncingData, Error> {
        let response: GenericResponse<SyncingData> =
            self.get_json(self.url("eth/v1/node/syncing")?).await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/node/health`: the status code (200 ready, 206 syncing); 503 is an error.
    pub async fn get_node_health(&self) -> Result<StatusCode, Error> {
        let response = self
            .get(self.url("eth/v1/node/health")?, Accept::Json)
            .await?;
        Ok(response.status())
    }

    /// `GET /eth/v1/node/identity`.
    pub async fn get_node_identity(&self) -> Result<IdentityData, Error> {
        let response: GenericResponse<IdentityData> =
            self.get_json(self.url("eth/v1/node/identity")?).await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/node/peer_count`.
    pub async fn get_node_peer_count(&self) -> Result<PeerCountData, Error> {
        let response: GenericResponse<PeerCountData> =
            self.get_json(self.url("eth/v1/node/peer_count")?).await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/node/peers`.
    pub async fn get_node_peers(&self) -> Result<PeersResponse, Error> {
        self.get_json(self.url("eth/v1/node/peers")?).await
    }

    // Config.

    /// `GET /eth/v1/config/spec`: every config and preset value, as strings.
    pub async fn get_config_spec(&self) -> Result<BTreeMap<String, serde_json::Value>, Error> {
        let response: GenericResponse<BTreeMap<String, serde_json::Value>> =
            self.get_json(self.url("eth/v1/config/spec")?).await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/config/fork_schedule`.
    pub async fn get_config_fork_schedule(&self) -> Result<Vec<Fork>, Error> {
        let response: GenericResponse<Vec<Fork>> = self
            .get_json(self.url("eth/v1/config/fork_schedule")?)
            .await?;
        Ok(response.data)
    }

    /// `GET /eth/v1/config/deposit_contract`.
    pub async fn get_config_deposit_contract(&self) -> Result<DepositContractData, Error> {
        let response: GenericResponse<DepositContractData> = self
            .get_json(self.url("eth/v1/config/deposit_contract")?)
            .await?;
        Ok(response.data)
    }

    /// `GET /blindfold/v1/builders`: the builder module's status (builders, counters, circuit
    /// breaker), as the node reports it.
    pub async fn get_blindfold_builders(&self) -> Result<serde_json::Value, Error> {
        let response: GenericResponse<serde_json::Value> =
            self.get_json(self.url("blindfold/v1/builders")?).await?;
        Ok(response.data)
    }
}

/// The fork named by a response's `Eth-Consensus-Version` header.
pub(crate) fn consensus_version(headers: &HeaderMap) -> Result<ForkName, Error> {
    headers
        .get(CONSENSUS_VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or(Error::Header(CONSENSUS_VERSION_HEADER))
}

async fn ok_or_error(response: Response) -> Result<Response, Error> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorMessage {
        code: status.as_u16(),
        message: String::from_utf8_lossy(&bytes).into_owned(),
        failures: vec![],
    });
    Err(Error::Server {
        status: status.as_u16(),
        body,
    })
}
