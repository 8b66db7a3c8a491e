//! The HTTP side: the builder-specs endpoints, the admin endpoints and `/metrics`.

use crate::bidder::{BidOutcome, Bidder};
use crate::faults::RelayFaults;
use crate::http::{self, Encoding};
use crate::reveal::{Submission, SubmitVersion};
use builder_api::{BLINDED_BLOCKS_V1_PATH, BLINDED_BLOCKS_V2_PATH, STATUS_PATH, VALIDATORS_PATH};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use types::ssz::Decode;
use types::{
    EthSpec, ExecutionBlockHash, PayloadAttributesEnvelope, PublicKeyBytes,
    SignedValidatorRegistrationV1, Slot,
};
use warp::http::StatusCode;
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::Filter;

/// Registration batches up to this size are read (about 80 000 registrations in JSON).
const MAX_REGISTRATIONS_BODY: u64 = 32 * 1024 * 1024;
/// A signed blinded block is small (no transactions); this leaves room for 4096 commitments in JSON.
const MAX_BLOCK_BODY: u64 = 16 * 1024 * 1024;
/// JSON-RPC calls are small (a request and a signature, forkchoice state and attributes, or one
/// forwarded transaction of at most 128 KiB in hex).
const MAX_RPC_BODY: u64 = 1024 * 1024;
/// Admin bodies are a few hundred bytes (fault switches, one event); anything near this is not one.
const MAX_ADMIN_BODY: u64 = 1024 * 1024;

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `POST /eth/v1/builder/validators`: JSON array or SSZ list of `SignedValidatorRegistrationV1`.
fn register_validator<E: EthSpec>(
    bidder: &Bidder<E>,
    content_type: Option<String>,
    body: Bytes,
) -> Response {
    let core = &bidder.core;
    let reject = |message: String| {
        core.metrics.rejections.inc();
        tracing::warn!(builder = %core.pubkey, %message, "refusing registrations");
        http::error(StatusCode::BAD_REQUEST, message)
    };
    let batch: Vec<SignedValidatorRegistrationV1> =
        match http::request_encoding(content_type.as_deref()) {
            Ok(Encoding::Json) => match serde_json::from_slice(&body) {
                Ok(b) => b,
                Err(e) => return reject(format!("undecodable registrations: {e}")),
            },
            Ok(Encoding::Ssz) => match Vec::from_ssz_bytes(&body) {
                Ok(b) => b,
                Err(e) => return reject(format!("undecodable SSZ registrations: {e:?}")),
            },
            Err(other) => {
                return http::error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("unsupported content type {:?}", http::excerpt(&other)),
                )
            }
        };
    match core.register(&batch, unix_now()) {
        Ok(count) => {
            tracing::info!(builder = %core.pubkey, entries = batch.len(), validators = count, "registrations accepted");
            http::empty(StatusCode::OK)
        }
        Err(e) => reject(e.to_string()),
    }
}

/// `GET /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}`.
async fn get_header<E: EthSpec>(
    bidder: Arc<Bidder<E>>,
    slot: String,
    parent_hash: String,
    pubkey: String,
    accept: Option<String>,
) -> Response {
    let core = &bidder.core;
    let faults = core.faults();
    if faults.get_header_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.get_header_delay_ms)).await;
    }
    if let Some(status) = faults.get_header_status {
        return http::error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "get_header_status fault",
        );
    }
    let parsed = (
        slot.parse::<Slot>(),
        parent_hash.parse::<ExecutionBlockHash>(),
        pubkey.parse::<PublicKeyBytes>(),
    );
    let (Ok(slot), Ok(parent_hash), Ok(pubkey)) = parsed else {
        core.metrics.rejections.inc();
        return http::error(
            StatusCode::BAD_REQUEST,
            format!(
                "bad request path: slot {:?}, parent hash {:?}, pubkey {:?}",
                http::excerpt(&slot),
                http::excerpt(&parent_hash),
                http::excerpt(&pubkey)
            ),
        );
    };
    let Some(encoding) = http::negotiate(accept.as_deref()) else {
        return http::error(StatusCode::NOT_ACCEPTABLE, "only JSON and SSZ are served");
    };
    if faults.no_bid {
        core.metrics.no_bids.inc();
        return http::empty(StatusCode::NO_CONTENT);
    }
    if faults.malformed_json {
        let mut r = Response::new(r#"{"version":"deneb","data":{"message":"#.into());
        r.headers_mut().insert(
            warp::http::header::CONTENT_TYPE,
            warp::http::HeaderValue::from_static(builder_api::JSON_MEDIA_TYPE),
        );
        return r;
    }
    match bidder.get_header(slot, parent_hash, pubkey, &faults).await {
        Ok(BidOutcome::Bid(fork, bid)) => {
            core.metrics.headers_served.inc();
            http::versioned(fork, &*bid, encoding)
        }
        Ok(BidOutcome::NoBid(why)) => {
            core.metrics.no_bids.inc();
            tracing::info!(slot, %parent_hash, proposer = %pubkey, why, "no bid");
            http::empty(StatusCode::NO_CONTENT)
        }
        Err(e) => {
            // The builder-specs answer for "cannot produce a header" is 204.
            core.metrics.no_bids.inc();
            tracing::warn!(slot, %parent_hash, builder = %core.pubkey, error = %e, "building failed");
            http::empty(StatusCode::NO_CONTENT)
        }
    }
}

/// `PUT /admin/faults`: every switch from the body (absent fields off), or 400 and no change.
fn replace_faults<E: EthSpec>(bidder: &Bidder<E>, body: &[u8]) -> Response {
    let new = match serde_json::from_slice::<RelayFaults>(body) {
        Ok(new) => new,
        Err(e) => return http::error(StatusCode::BAD_REQUEST, format!("bad fault switches: {e}")),
    };
    if let Err(e) = new.validate() {
        return http::error(StatusCode::BAD_REQUEST, format!("bad fault switches: {e}"));
    }
    *bidder.core.faults.lock() = new.clone();
    tracing::info!(faults = ?new, "fault switches replaced");
    http::json(&new)
}

/// `POST /admin/faults`: the fields present in the body replace theirs, or 400 and no change.
fn patch_faults<E: EthSpec>(bidder: &Bidder<E>, body: &[u8]) -> Response {
    let patch = match serde_json::from_slice(body) {
        Ok(p) => p,
        Err(e) => return http::error(StatusCode::BAD_REQUEST, format!("bad fault patch: {e}")),
    };
    let mut faults = bidder.core.faults.lock();
    match faults.patch(patch) {
        Ok(()) => {
            tracing::info!(faults = ?*faults, "fault switches changed");
            http::json(&*faults)
        }
        Err(e) => http::error(StatusCode::BAD_REQUEST, format!("bad fault patch: {e}")),
    }
}

/// `POST /admin/payload_attributes`: feed a `payload_attributes` event (the SSE envelope) by hand, for
/// runs without a beacon node.
fn feed_attributes<E: EthSpec>(bidder: &Bidder<E>, body: &[u8]) -> Response {
    match serde_json::from_slice::<PayloadAttributesEnvelope>(body) {
        Ok(envelope) => {
            bidder.core.on_payload_attributes(envelope.data);
            http::empty(StatusCode::OK)
        }
        Err(e) => http::error(
            StatusCode::BAD_REQUEST,
            format!("bad payload_attributes event: {e}"),
        ),
    }
}

/// Turn a path constant (`/eth/v1/builder/status`) into a warp path filter.
fn path_of(path: &'static str) -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    let mut filter = warp::any().boxed();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        filter = filter.and(warp::path(segment)).boxed();
    }
    filter.and(warp::path::end())
}

/// Every route of the relay.
pub(crate) fn routes<E: EthSpec>(
    bidder: Arc<Bidder<E>>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let with = warp::any().map(move || bidder.clone());
    // Paths before methods, so that an unknown path is 404 rather than some other route's 405.
    let status = path_of(STATUS_PATH)
        .and(warp::get())
        .map(|| http::empty(StatusCode::OK));
    let validators = path_of(VALIDATORS_PATH)
        .and(warp::post())
        .and(with.clone())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(MAX_REGISTRATIONS_BODY))
        .and(warp::body::bytes())
        .and_then(|b: Arc<Bidder<E>>, ct, body| async move {
            // Decoding and a signature check per entry is seconds of CPU for a large batch: off the
            // async workers, which also serve getHeader.
            let answer = tokio::task::spawn_blocking(move || register_validator(&b, ct, body))
                .await
                .unwrap_or_else(|e| {
                    http::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("registration check failed: {e}"),
                    )
                });
            Ok::<_, Infallible>(answer)
        });
    let header = warp::path!("eth" / "v1" / "builder" / "header" / String / String / String)
        .and(warp::get())
        .and(with.clone())
        .and(warp::header::optional::<String>("accept"))
        .and_then(|slot, parent, pubkey, b, accept| async move {
            Ok::<_, Infallible>(get_header(b, slot, parent, pubkey, accept).await)
        });
    let submit = |path: &'static str, version: SubmitVersion| {
        path_of(path)
            .and(warp::post())
            .and(with.clone())
            .and(warp::header::optional::<String>("content-type"))
            .and(warp::header::optional::<String>(
                builder_api::CONSENSUS_VERSION_HEADER,
            ))
            .and(warp::header::optional::<String>("accept"))
            .and(warp::body::content_length_limit(MAX_BLOCK_BODY))
            .and(warp::body::bytes())
            .and_then(
                move |b: Arc<Bidder<E>>,
                      content_type: Option<String>,
                      consensus_version: Option<String>,
                      accept: Option<String>,
                      body: Bytes| async move {
                    let submission = Submission {
                        version,
                        content_type: content_type.as_deref(),
                        consensus_version: consensus_version.as_deref(),
                        accept: accept.as_deref(),
                        body: &body,
                    };
                    Ok::<_, Infallible>(b.submit_blinded_block(submission).await)
                },
            )
    };
    let submit_v1 = submit(BLINDED_BLOCKS_V1_PATH, SubmitVersion::V1);
    let submit_v2 = submit(BLINDED_BLOCKS_V2_PATH, SubmitVersion::V2);

    let faults = warp::path!("admin" / "faults");
    let get_faults = faults
        .and(warp::get())
        .and(with.clone())
        .map(|b: Arc<Bidder<E>>| http::json(&b.core.faults()));
    let post_faults = faults
        .and(warp::post())
        .and(with.clone())
        .and(warp::body::content_length_limit(MAX_ADMIN_BODY))
        .and(warp::body::bytes())
        .map(|b: Arc<Bidder<E>>, body: Bytes| patch_faults(&b, &body));
    let put_faults = faults
        .and(warp::put())
        .and(with.clone())
        .and(warp::body::content_length_limit(MAX_ADMIN_BODY))
        .and(warp::body::bytes())
        .map(|b: Arc<Bidder<E>>, body: Bytes| replace_faults(&b, &body));
    let delete_faults = faults
        .and(warp::delete())
        .and(with.clone())
        .map(|b: Arc<Bidder<E>>| {
            *b.core.faults.lock() = RelayFaults::default();
            tracing::info!("fault switches reset");
            http::json(&RelayFaults::default())
        });
    let stats = warp::path!("admin" / "stats")
        .and(warp::get())
        .and(with.clone())
        .map(|b: Arc<Bidder<E>>| http::json(&b.core.metrics.snapshot()));
    let attributes = warp::path!("admin" / "payload_attributes")
        .and(warp::post())
        .and(with.clone())
        .and(warp::body::content_length_limit(MAX_ADMIN_BODY))
        .and(warp::body::bytes())
        .map(|b: Arc<Bidder<E>>, body: Bytes| feed_attributes(&b, &body));
    // JSON-RPC at the root: the full-payload faces (`builder_getPayloadV1`, the engine API).
    let rpc = warp::path::end()
        .and(warp::post())
        .and(with.clone())
        .and(warp::header::optional::<String>("authorization"))
        .and(warp::body::content_length_limit(MAX_RPC_BODY))
        .and(warp::body::bytes())
        .and_then(
            |b: Arc<Bidder<E>>, auth: Option<String>, body: Bytes| async move {
                Ok::<_, Infallible>(crate::full::handle(b, auth, &body).await)
            },
        );
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with)
        .map(|b: Arc<Bidder<E>>| {
            let mut r = Response::new(b.core.metrics.render().into());
            r.headers_mut().insert(
                warp::http::header::CONTENT_TYPE,
                warp::http::HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            r
        });
    status
        .or(validators)
        .unify()
        .or(header)
        .unify()
        .or(submit_v1)
        .unify()
        .or(submit_v2)
        .unify()
        .or(get_faults)
        .unify()
        .or(post_faults)
        .unify()
        .or(put_faults)
        .unify()
        .or(delete_faults)
        .unify()
        .or(stats)
        .unify()
        .or(attributes)
        .unify()
        .or(metrics)
        .unify()
        .or(rpc)
        .unify()
        .recover(answer_rejection)
        .unify()
}

/// What warp refuses before a handler runs, answered with the builder-specs `{"code","message"}` body
/// like every other error. The most specific refusal wins: a route whose path matched says more than
/// the routes whose path did not.
async fn answer_rejection(rejection: warp::Rejection) -> Result<Response, Infallible> {
    use warp::reject::{
        InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader,
        PayloadTooLarge, UnsupportedMediaType,
    };
    let (status, message) = if let Some(e) = rejection.find::<PayloadTooLarge>() {
        (StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
    } else if let Some(e) = rejection.find::<LengthRequired>() {
        (StatusCode::LENGTH_REQUIRED, e.to_string())
    } else if let Some(e) = rejection.find::<UnsupportedMediaType>() {
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, e.to_string())
    } else if let Some(e) = rejection.find::<InvalidHeader>() {
        (StatusCode::BAD_REQUEST, e.to_string())
    } else if let Some(e) = rejection.find::<MissingHeader>() {
        (StatusCode::BAD_REQUEST, e.to_string())
    } else if let Some(e) = rejection.find::<InvalidQuery>() {
        (StatusCode::BAD_REQUEST, e.to_string())
    } else if let Some(e) = rejection.find::<MethodNotAllowed>() {
        (StatusCode::METHOD_NOT_ALLOWED, e.to_string())
    } else if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "no such endpoint".to_string())
    } else {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("unhandled rejection: {rejection:?}"),
        )
    };
    Ok(http::error(status, message))
}
