//! `GET /eth/v1/events?topics=`: the chain's events as server-sent events (`event: <topic>`,
//! `data: <json>`). A subscriber that falls behind loses the oldest events, as the chain's channel
//! does; the stream itself stays open.

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{query, with_ctx, Query};
use crate::Context;
use beacon_chain::Event;
use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Reply};

/// The topics the spec defines; others are refused (400) rather than silently never sent.
pub const TOPICS: &[&str] = &[
    "head",
    "block",
    "block_gossip",
    "attestation",
    "single_attestation",
    "voluntary_exit",
    "bls_to_execution_change",
    "proposer_slashing",
    "attester_slashing",
    "finalized_checkpoint",
    "chain_reorg",
    "contribution_and_proof",
    "light_client_finality_update",
    "light_client_optimistic_update",
    "payload_attributes",
    "blob_sidecar",
    "data_column_sidecar",
];

/// How often an idle stream carries a keep-alive comment (proxies close silent connections).
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    warp::path!("eth" / "v1" / "events")
        .and(warp::get())
        .and(query())
        .and(with_ctx(ctx))
        .map(|query: Query, ctx: Arc<Context<E>>| respond(events(&ctx, &query)))
        .boxed()
}

fn topics(query: &Query) -> ApiResult<HashSet<&'static str>> {
    let requested = query
        .list("topics")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing topics"))?;
    requested
        .iter()
        .map(|t| {
            TOPICS
                .iter()
                .find(|known| **known == t.as_str())
                .copied()
                .ok_or_else(|| ApiError::bad_request(format!("unknown topic {t:?}")))
        })
        .collect()
}

fn events<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let topics = topics(query)?;
    let receiver = ctx.chain.events().subscribe();
    let stream = futures_util::stream::unfold((receiver, topics), |(mut rx, topics)| async move {
        loop {
            match rx.recv().await {
                Ok(event) if topics.contains(event.topic()) => {
                    let sse = sse_event(&event);
                    return Some((Ok::<_, Infallible>(sse), (rx, topics)));
                }
                Ok(_) | Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let reply = warp::sse::reply(warp::sse::keep_alive().interval(KEEP_ALIVE).stream(stream));
    Ok(reply.into_response())
}

fn sse_event(event: &Event) -> warp::sse::Event {
    warp::sse::Event::default()
        .event(event.topic())
        .data(event.data().to_string())
}
