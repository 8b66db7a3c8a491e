//! The beacon node's HTTP API (beacon-APIs v4.0.0 and the blinded-block endpoints), on warp.
//!
//! One module per namespace (`node`, `config`, `beacon`, `validator`, `events`, `debug`, `blindfold`),
//! each building its routes from the shared filters (`filters`: context, query, headers, body, content
//! negotiation) and answering through `errors` (`{"code","message"}`). Handlers parse their own inputs so
//! that bad input is a 400 with a reason; warp rejects only unknown paths (404), wrong methods (405) and
//! oversized bodies (413, before the body is read). [`serve`] binds and runs the server.

pub mod beacon;
pub mod blindfold;
pub mod config;
pub mod debug;
pub mod errors;
pub mod events;
pub mod filters;
pub mod ids;
pub mod node;
pub mod validator;

use beacon_chain::BeaconChain;
use operation_pool::OperationPool;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

/// The default listening address: localhost only, as the API is not for the open internet.
pub const DEFAULT_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5052);

/// The default request-body limit: a Fulu block with its blobs and cell proofs at the largest blob
/// count, in JSON (hex doubles the bytes), fits with room.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (`--http-address`, `--http-port`).
    pub listen: SocketAddr,
    /// `Access-Control-Allow-Origin`: CORS is off unless an origin is given (`*` for any).
    pub allow_origin: Option<String>,
    /// The largest request body accepted.
    pub max_body_bytes: u64,
    /// What `GET /eth/v1/node/version` answers.
    pub version: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN,
            allow_origin: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            version: format!(
                "Blindfold/v{}/{}-{}",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::ARCH,
                std::env::consts::OS
            ),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("invalid CORS origin {0:?}")]
    Origin(String),
}

/// What the handlers share.
pub struct Context<E: EthSpec> {
    pub chain: Arc<BeaconChain<E>>,
    pub config: Config,
    /// The last whole-registry validators answer.
    pub(crate) whole_registry: beacon::states::WholeRegistryAnswer,
}

impl<E: EthSpec> Context<E> {
    /// The chain's operation pools.
    pub fn pool(&self) -> &OperationPool<E> {
        self.chain.op_pool()
    }
}

/// Every route.
pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    node::routes(ctx.clone())
        .or(config::routes(ctx.clone()))
        .unify()
        .or(beacon::routes(ctx.clone()))
        .unify()
        .or(validator::routes(ctx.clone()))
        .unify()
        .or(events::routes(ctx.clone()))
        .unify()
        .or(debug::routes(ctx.clone()))
        .unify()
        .or(blindfold::routes(ctx))
        .unify()
        .boxed()
}

/// Binds `config.listen` and returns the bound address (port 0 picks one) and the server, which runs
/// until `shutdown` completes.
pub fn serve<E: EthSpec>(
    chain: Arc<BeaconChain<E>>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl Future<Output = ()>), ServeError> {
    let listen = config.listen;
    let allow_origin = config.allow_origin.clone();
    let ctx = Arc::new(Context {
        chain,
        config,
        whole_registry: Default::default(),
    });
    let routes = routes(ctx).recover(errors::recover).unify();
    let routes = match allow_origin {
        Some(origin) => {
            let cors = if origin == "*" {
                warp::cors().allow_any_origin()
            } else {
                // warp panics on an origin it cannot parse: check it first.
                if warp::http::HeaderValue::from_str(&origin).is_err()
                    || url::Url::parse(&origin).is_err()
                {
                    return Err(ServeError::Origin(origin));
                }
                warp::cors().allow_origin(origin.as_str())
            }
            .allow_methods(["GET", "POST", "OPTIONS"])
            .allow_headers([
                "content-type",
                "accept",
                beacon_api::CONSENSUS_VERSION_HEADER,
            ]);
            routes.with(cors).map(warp::Reply::into_response).boxed()
        }
        None => routes.boxed(),
    };
    let (addr, server) = warp::serve(routes)
        .try_bind_with_graceful_shutdown(listen, shutdown)
        .map_err(|e| ServeError::Bind {
            addr: listen,
            reason: e.to_string(),
        })?;
    tracing::info!(%addr, "beacon API listening");
    Ok((addr, server))
}
