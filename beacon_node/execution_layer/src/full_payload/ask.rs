//! One full-payload builder's part in a proposal, as a task beside the relays' getHeader: fetch the
//! payload within the builder's timeout, check it as a relay header is checked (plus KZG), and have
//! the local engine verify it (`newPayload` VALID within its own deadline).

use super::engine::{builder_attributes, forkchoice_state};
use super::{
    check_full_payload, engine_verdict, fetch_engine, fetch_rpc, FetchError, FullBuilder,
    FullClient, PayloadRequestV1, Secp256k1Key,
};
use crate::bid_checks::BidContext;
use crate::builders::BuilderOutcome;
use crate::chain::PayloadRequest;
use crate::sourcing::BuilderAnswer;
use engine_api::EngineClient;
use std::sync::Arc;
use std::time::{Duration, Instant};
use types::EthSpec;

/// What every full-payload builder task of one proposal shares.
#[derive(Clone)]
pub(crate) struct FullAsk {
    pub request: PayloadRequest,
    pub context: BidContext,
    /// The registered gas limit step, as `PayloadRequestV1.gasLimit`.
    pub gas_limit: u64,
    pub request_key: Option<Secp256k1Key>,
    /// The local engine, which must find the payload VALID.
    pub engine: EngineClient,
    pub new_payload_timeout: Duration,
    /// The largest answer accepted.
    pub response_limit: usize,
}

/// The builder at `index` (among all builders) asked, checked and verified.
pub(crate) async fn ask_full_builder<E: EthSpec>(
    index: usize,
    builder: Arc<FullBuilder>,
    ask: Arc<FullAsk>,
) -> BuilderAnswer<E> {
    let start = Instant::now();
    let request = &ask.request;
    let fetch = async {
        match &builder.client {
            FullClient::Rpc { address, url, .. } => {
                let Some(key) = &ask.request_key else {
                    return Err(FetchError::Failed("no proposer request key".into()));
                };
                let v1 = PayloadRequestV1 {
                    block_number: request.parent_block_number.saturating_add(1),
                    parent_hash: request.parent_hash,
                    pub_key: key.address(),
                    gas_limit: ask.gas_limit,
                    parent_beacon_block_root: request.parent_beacon_block_root,
                };
                fetch_rpc::<E>(url, *address, key, v1, request.fork, ask.response_limit).await
            }
            FullClient::Engine {
                client, prepared, ..
            } => {
                let attributes = builder_attributes(request, ask.context.fee_recipient);
                let id = prepared
                    .lock()
                    .take(request.fork, request.parent_hash, &attributes);
                let state = forkchoice_state(request);
                fetch_engine::<E>(client, id, state, &attributes, request.fork)
                    .await
                    .map(|(payload, _)| payload)
            }
        }
    };
    let answer = |outcome, full, check: Option<Duration>| BuilderAnswer {
        index,
        outcome,
        bid: None,
        full,
        elapsed: start.elapsed(),
        check_elapsed: check,
    };
    let full = match tokio::time::timeout(builder.timeout(), fetch).await {
        Err(_) => return answer(BuilderOutcome::Timeout, None, None),
        Ok(Err(FetchError::NoPayload)) => return answer(BuilderOutcome::NoBid, None, None),
        Ok(Err(FetchError::Failed(error))) => {
            return answer(BuilderOutcome::Error(error), None, None)
        }
        Ok(Err(FetchError::Rejected(rejection))) => {
            return answer(BuilderOutcome::Rejected(rejection), None, None)
        }
        Ok(Ok(full)) => Arc::new(full),
    };
    let fee_recipient_mismatch = match check_full_payload(&full, &ask.context).await {
        Ok(mismatch) => mismatch,
        Err(rejection) => return answer(BuilderOutcome::Rejected(rejection), None, None),
    };
    let check_start = Instant::now();
    let verdict = engine_verdict(
        &ask.engine,
        &full,
        request.parent_beacon_block_root,
        ask.new_payload_timeout,
    )
    .await;
    let check = Some(check_start.elapsed());
    if let Err(rejection) = verdict {
        return answer(BuilderOutcome::Rejected(rejection), None, check);
    }
    answer(
        BuilderOutcome::Bid {
            value: full.value,
            block_hash: full.block_hash(),
            fee_recipient_mismatch,
        },
        Some(full),
        check,
    )
}
