//! `/eth/v1/node/*`. The node has no p2p stack yet, so identity and peers answer empty (not errors),
//! and "syncing" means the head lagging the clock by more than [`SYNC_TOLERANCE_SLOTS`].

use crate::errors::{respond, ApiError, ApiResult};
use crate::filters::{json_response, query, with_ctx, Query};
use crate::Context;
use beacon_api::{
    GenericResponse, IdentityData, IdentityMetadata, PeerCountData, PeersMeta, PeersResponse,
    SyncingData, VersionData,
};
use engine_api::EngineState;
use std::sync::Arc;
use types::EthSpec;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Filter;

/// How far the head may lag the clock (slots) and the node still count as synced: a few missed
/// proposals are not a sync.
pub const SYNC_TOLERANCE_SLOTS: u64 = 8;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let base = warp::path!("eth" / "v1" / "node" / ..).and(warp::get());
    let version = base
        .and(warp::path!("version"))
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| {
            respond(json_response(&GenericResponse::from(VersionData {
                version: ctx.config.version.clone(),
            })))
        });
    let syncing = base
        .and(warp::path!("syncing"))
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| {
            respond(json_response(&GenericResponse::from(syncing_data(&ctx))))
        });
    let health = base
        .and(warp::path!("health"))
        .and(query())
        .and(with_ctx(ctx.clone()))
        .map(|query: Query, ctx: Arc<Context<E>>| respond(health(&ctx, &query)));
    let identity = base.and(warp::path!("identity")).map(|| {
        respond(json_response(&GenericResponse::from(IdentityData {
            peer_id: String::new(),
            enr: String::new(),
            p2p_addresses: vec![],
            discovery_addresses: vec![],
            metadata: IdentityMetadata {
                seq_number: 0,
                attnets: "0x0000000000000000".into(),
                syncnets: "0x00".into(),
            },
        })))
    });
    let peer_count = base.and(warp::path!("peer_count")).map(|| {
        respond(json_response(&GenericResponse::from(
            PeerCountData::default(),
        )))
    });
    let peers = base.and(warp::path!("peers")).map(|| {
        respond(json_response(&PeersResponse {
            data: vec![],
            meta: PeersMeta { count: 0 },
        }))
    });
    let peer = base
        .and(warp::path!("peers" / String))
        .map(|peer_id: String| {
            respond(Err(ApiError::not_found(format!(
                "peer {peer_id} not found"
            ))))
        });
    version
        .or(syncing)
        .unify()
        .or(health)
        .unify()
        .or(identity)
        .unify()
        .or(peer_count)
        .unify()
        .or(peers)
        .unify()
        .or(peer)
        .unify()
        .boxed()
}

/// `GET /eth/v1/node/syncing`.
pub fn syncing_data<E: EthSpec>(ctx: &Context<E>) -> SyncingData {
    let head = ctx.chain.head();
    let distance = ctx.chain.current_slot().saturating_sub(head.slot);
    let engine = ctx.chain.execution_layer().engine().state();
    SyncingData {
        head_slot: head.slot,
        sync_distance: distance,
        is_syncing: distance > SYNC_TOLERANCE_SLOTS,
        is_optimistic: head.optimistic,
        el_offline: matches!(engine, EngineState::Offline | EngineState::AuthFailed),
    }
}

/// `GET /eth/v1/node/health`: 200 synced, 206 syncing (or the `syncing_status` asked for).
fn health<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let syncing_status = query
        .u64("syncing_status")?
        .map(|code| {
            u16::try_from(code)
                .ok()
                .and_then(|c| StatusCode::from_u16(c).ok())
                .filter(|c| (100..=599).contains(&c.as_u16()))
                .ok_or_else(|| ApiError::bad_request(format!("invalid syncing_status {code}")))
        })
        .transpose()?;
    let status = if syncing_data(ctx).is_syncing {
        syncing_status.unwrap_or(StatusCode::PARTIAL_CONTENT)
    } else {
        StatusCode::OK
    };
    Ok(crate::filters::empty_response(status))
}
