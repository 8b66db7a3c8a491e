//! `/eth/v*/beacon/*`: genesis, states, headers and blocks (read and published), blob sidecars, and the
//! operation pools.

mod blobs;
mod blocks;
mod committees;
mod pool;
mod publish;
mod rewards;
mod state_queues;
pub(crate) mod states;

use crate::errors::respond;
use crate::filters::{json_response, with_ctx};
use crate::Context;
use beacon_api::{GenericResponse, GenesisData};
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

pub use publish::publish_status;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let genesis = warp::path!("eth" / "v1" / "beacon" / "genesis")
        .and(warp::get())
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| {
            let chain = &ctx.chain;
            respond(json_response(&GenericResponse::from(GenesisData {
                genesis_time: chain.genesis_time(),
                genesis_validators_root: chain.genesis_validators_root(),
                genesis_fork_version: chain.spec().genesis_fork_version,
            })))
        });
    // Before `states`, whose `states/{state_id}/{what}` answers 404 for any other `what`.
    genesis
        .or(state_queues::routes(ctx.clone()))
        .unify()
        .or(rewards::routes(ctx.clone()))
        .unify()
        .or(blobs::routes(ctx.clone()))
        .unify()
        .or(states::routes(ctx.clone()))
        .unify()
        .or(blocks::routes(ctx.clone()))
        .unify()
        .or(publish::routes(ctx.clone()))
        .unify()
        .or(committees::routes(ctx.clone()))
        .unify()
        .or(pool::routes(ctx))
        .unify()
        .boxed()
}
