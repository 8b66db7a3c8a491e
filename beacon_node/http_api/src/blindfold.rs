//! `/blindfold/v1/*`: the node's own endpoints. `builders` is the builder module's status: every
//! builder with its counters and whether it is disabled, and the circuit breaker's last decision.

use crate::errors::respond;
use crate::filters::{json_response, with_ctx};
use crate::Context;
use beacon_api::GenericResponse;
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    warp::path!("blindfold" / "v1" / "builders")
        .and(warp::get())
        .and(with_ctx(ctx))
        .map(|ctx: Arc<Context<E>>| {
            respond(json_response(&GenericResponse::from(
                ctx.chain.execution_layer().status(),
            )))
        })
        .boxed()
}
