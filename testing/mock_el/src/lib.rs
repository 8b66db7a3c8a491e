//! A mock execution engine: an engine API server on 127.0.0.1 with JWT, real block hashes, a
//! transaction pool, real KZG blobs and fault switches, for tests and local runs of Blindfold.
//!
//! Endpoints (one port):
//! - `POST /`: JSON-RPC, JWT required (401 without a valid HS256 token with `iat` within ±60 s):
//!   `engine_exchangeCapabilities`, `engine_getClientVersionV1`, `engine_forkchoiceUpdatedV2/V3`,
//!   `engine_newPayloadV2/V3/V4`, `engine_getPayloadV2..V5`, `engine_getBlobsV1/V2`, and
//!   `eth_blockNumber`, `eth_chainId`, `eth_syncing`, `eth_getBlockByNumber`, `eth_getBlockByHash`,
//!   `eth_sendRawTransaction`.
//! - `POST /eth`: the same `eth_` methods without JWT, for tools.
//! - `GET|POST|PUT|DELETE /admin/faults`: read, patch, replace or reset the [`Faults`] switches.
//! - `GET /admin/status`: head, safe, finalized, block and pool counts.
//!
//! The fork of a payload follows its timestamp and the `genesis.json` fork times (`shanghaiTime`,
//! `cancunTime`, `pragueTime`, `osakaTime`); without a genesis file every fork is active from 0.

pub mod chain;
pub mod faults;
pub mod genesis;
pub mod kzg;
pub mod server;
pub mod tx;

pub use chain::{Chain, ChainOptions};
pub use faults::{Faults, FaultsPatch, InjectedError};
pub use genesis::{ForkSchedule, Genesis};

use alloy_primitives::B256;
use engine_api::JwtSecret;
use parking_lot::Mutex;
use server::Shared;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How to start a mock.
#[derive(Debug, Clone)]
pub struct MockElConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    pub jwt_secret: JwtSecret,
    pub genesis: Genesis,
    pub options: ChainOptions,
    pub faults: Faults,
}

impl MockElConfig {
    /// A free port, the default genesis (every fork from timestamp 0), no faults.
    pub fn new(jwt_secret: JwtSecret) -> Self {
        Self {
            port: 0,
            jwt_secret,
            genesis: Genesis::default(),
            options: ChainOptions::default(),
            faults: Faults::default(),
        }
    }

    /// The default genesis with forks up to `last` active from 0 and later ones never.
    pub fn with_last_fork(mut self, last: types::ForkName) -> Self {
        self.genesis.schedule = ForkSchedule::all_from(last);
        self
    }
}

/// Why the mock could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockElError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: warp::Error },
}

/// A running mock. Dropping it stops the server.
pub struct MockEl {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl MockEl {
    /// Binds 127.0.0.1 and serves on the current Tokio runtime.
    pub async fn start(config: MockElConfig) -> Result<Self, MockElError> {
        let shared = Arc::new(Shared {
            chain: Mutex::new(Chain::new(config.genesis, config.options)),
            faults: Mutex::new(config.faults),
            secret: config.jwt_secret,
        });
        let (tx, rx) = oneshot::channel::<()>();
        let (addr, server) = warp::serve(server::routes(shared.clone()))
            .try_bind_with_graceful_shutdown(([127, 0, 0, 1], config.port), async {
                rx.await.ok();
            })
            .map_err(|source| MockElError::Bind {
                port: config.port,
                source,
            })?;
        let task = tokio::spawn(server);
        Ok(Self {
            addr,
            shared,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/`: the JWT-authenticated JSON-RPC endpoint.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn faults(&self) -> Faults {
        self.shared.faults.lock().clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock() = faults;
    }

    pub fn update_faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.shared.faults.lock());
    }

    /// Runs `f` on the chain (under its lock).
    pub fn with_chain<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.shared.chain.lock())
    }

    pub fn genesis_hash(&self) -> B256 {
        self.with_chain(|c| c.genesis_hash())
    }

    pub fn head_hash(&self) -> B256 {
        self.with_chain(|c| c.head().hash)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockEl {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
