//! Attestation duties: the data to attest to, aggregates (the pool's best, and aggregators' signed
//! ones, verified before they are kept), and the sync committee's contributions.

use crate::errors::{ApiError, ApiResult};
use crate::filters::{empty_response, json_response, with_version, Query};
use crate::Context;
use beacon_api::{GenericResponse, IndexedError, SignedAggregateAndProof, VersionedResponse};
use beacon_chain::AttestationDataError;
use operation_pool::SignedContributionAndProof;
use state_processing::caches::CommitteeCache;
use state_processing::common::{get_domain, hash};
use std::collections::HashMap;
use std::sync::Arc;
use types::{
    compute_signing_root, Epoch, EthSpec, PublicKeyBytes, SignatureBytes,
    DOMAIN_AGGREGATE_AND_PROOF, DOMAIN_SELECTION_PROOF,
};
use warp::http::StatusCode;

/// `TARGET_AGGREGATORS_PER_COMMITTEE` (phase0 validator spec).
pub const TARGET_AGGREGATORS_PER_COMMITTEE: u64 = 16;

/// `GET /eth/v1/validator/attestation_data?slot=&committee_index=`. Blocking.
pub fn attestation_data<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let slot = query.required_u64("slot")?;
    let committee_index = query.required_u64("committee_index")?;
    let data = ctx
        .chain
        .produce_attestation_data(slot, committee_index)
        .map_err(|e| match e {
            AttestationDataError::Internal(message) => ApiError::internal(message),
            other => ApiError::bad_request(other.to_string()),
        })?;
    json_response(&GenericResponse::from(data))
}

/// `GET /eth/v2/validator/aggregate_attestation?attestation_data_root=&slot=&committee_index=`.
pub fn aggregate_attestation<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let root = query.required_root("attestation_data_root")?;
    let slot = query.required_u64("slot")?;
    let committee_index = query.required_u64("committee_index")?;
    let aggregate = ctx
        .pool()
        .aggregate_attestation(slot, root, committee_index)
        .ok_or_else(|| ApiError::not_found("no matching attestation"))?;
    let fork = ctx.chain.spec().fork_name_at_slot::<E>(slot);
    Ok(with_version(
        json_response(&VersionedResponse {
            version: fork,
            execution_optimistic: None,
            finalized: None,
            data: aggregate,
        })?,
        fork,
    ))
}

/// `GET /eth/v1/validator/aggregate_attestation?attestation_data_root=&slot=`: before Electra the
/// committee is in the data, so v1 has no `committee_index`. Kept for validator clients that predate
/// v2 (Lodestar 1.5.1). Blocking.
pub fn aggregate_attestation_v1<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let root = query.required_root("attestation_data_root")?;
    let slot = query.required_u64("slot")?;
    if ctx
        .chain
        .spec()
        .fork_name_at_slot::<E>(slot)
        .electra_enabled()
    {
        return Err(ApiError::bad_request(
            "v1 aggregates are pre-Electra: use /eth/v2/validator/aggregate_attestation",
        ));
    }
    let best = ctx
        .pool()
        .attestations(Some(slot), None)
        .into_iter()
        .filter_map(|a| match a {
            operation_pool::Attestation::Base(a) => Some(a),
            _ => None,
        })
        .filter(|a| tree_hash::TreeHash::tree_hash_root(&a.data) == root)
        .max_by_key(|a| a.aggregation_bits.num_set_bits())
        .ok_or_else(|| ApiError::not_found("no matching attestation"))?;
    json_response(&GenericResponse::from(best))
}

/// `is_aggregator` (phase0): the selection proof's hash picks about 16 aggregators per committee.
pub fn is_aggregator(committee_len: usize, selection_proof: &SignatureBytes) -> bool {
    let modulo = (committee_len as u64 / TARGET_AGGREGATORS_PER_COMMITTEE).max(1);
    let digest = hash(&[selection_proof.as_bytes()]);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) % modulo == 0
}

fn verify(pubkey: &PublicKeyBytes, signature: &SignatureBytes, root: types::Hash256) -> bool {
    match (
        bls::PublicKey::try_from(pubkey),
        bls::Signature::try_from(signature),
    ) {
        (Ok(key), Ok(signature)) => signature.verify(&key, root.as_slice()),
        _ => false,
    }
}

/// `POST /eth/v2/validator/aggregate_and_proofs`: each aggregate's aggregator checked (in the
/// committee, selected by its proof, its signature) here, then the aggregates verified into the pool
/// and counted as votes by the chain.
pub async fn aggregate_and_proofs<E: EthSpec>(
    ctx: Arc<Context<E>>,
    aggregates: Vec<SignedAggregateAndProof<E>>,
) -> ApiResult {
    let (valid, mut failures) = ctx
        .blocking(move |ctx| Ok(check_aggregators(ctx, aggregates)))
        .await?;
    let (positions, attestations): (Vec<usize>, Vec<_>) = valid
        .into_iter()
        .map(|(i, signed)| (i, signed.aggregate()))
        .unzip();
    // The chain announces the accepted aggregates (topic `attestation`) and counts their votes.
    for (i, error) in ctx.chain.insert_attestations(attestations).await {
        if let Some(index) = positions.get(i) {
            failures.push(IndexedError {
                index: *index,
                message: error.to_string(),
            });
        }
    }
    if failures.is_empty() {
        Ok(empty_response(StatusCode::OK))
    } else {
        failures.sort_by_key(|f| f.index);
        Err(ApiError::indexed("some aggregates were refused", failures))
    }
}

/// The aggregator checks, against the head state: the valid items (with their positions) and the
/// failures. Blocking.
#[allow(clippy::type_complexity)]
fn check_aggregators<E: EthSpec>(
    ctx: &Context<E>,
    aggregates: Vec<SignedAggregateAndProof<E>>,
) -> (Vec<(usize, SignedAggregateAndProof<E>)>, Vec<IndexedError>) {
    let head = ctx.chain.head();
    let state = &head.state;
    let mut committees: HashMap<Epoch, CommitteeCache> = HashMap::new();
    let mut valid = Vec::new();
    let mut failures = Vec::new();
    for (i, signed) in aggregates.into_iter().enumerate() {
        let result = (|| -> Result<(), String> {
            let aggregate = signed.aggregate();
            let data = aggregate.data();
            let epoch = data.slot / E::slots_per_epoch();
            let committee_index = match &aggregate {
                operation_pool::Attestation::Base(a) => a.data.index,
                operation_pool::Attestation::Electra(a) => a
                    .committee_bits
                    .iter()
                    .position(|b| b)
                    .map(|p| p as u64)
                    .ok_or("no committee bit set")?,
            };
            let cache = match committees.entry(epoch) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(CommitteeCache::new(state, epoch).map_err(|e| e.to_string())?)
                }
            };
            let committee = cache
                .get_beacon_committee(data.slot, committee_index)
                .map_err(|e| e.to_string())?;
            let aggregator = signed.aggregator_index();
            if !committee.contains(&aggregator) {
                return Err(format!("aggregator {aggregator} is not in the committee"));
            }
            if !is_aggregator(committee.len(), signed.selection_proof()) {
                return Err(format!("validator {aggregator} is not an aggregator"));
            }
            let pubkey = state
                .validators()
                .get(aggregator as usize)
                .map(|v| v.pubkey)
                .ok_or("unknown aggregator")?;
            let selection_domain = get_domain(state, DOMAIN_SELECTION_PROOF, Some(epoch));
            if !verify(
                &pubkey,
                signed.selection_proof(),
                compute_signing_root(&data.slot, selection_domain),
            ) {
                return Err("invalid selection proof".into());
            }
            let domain = get_domain(state, DOMAIN_AGGREGATE_AND_PROOF, Some(epoch));
            let signing_root = types::SigningData {
                object_root: signed.message_root(),
                domain,
            };
            use tree_hash::TreeHash;
            if !verify(&pubkey, signed.signature(), signing_root.tree_hash_root()) {
                return Err("invalid aggregate-and-proof signature".into());
            }
            Ok(())
        })();
        match result {
            Ok(()) => valid.push((i, signed)),
            Err(message) => failures.push(IndexedError { index: i, message }),
        }
    }
    (valid, failures)
}

/// `GET /eth/v1/validator/sync_committee_contribution?slot=&subcommittee_index=&beacon_block_root=`.
pub fn sync_committee_contribution<E: EthSpec>(ctx: &Context<E>, query: &Query) -> ApiResult {
    let slot = query.required_u64("slot")?;
    let subcommittee_index = query.required_u64("subcommittee_index")?;
    if subcommittee_index >= operation_pool::SYNC_COMMITTEE_SUBNET_COUNT {
        return Err(ApiError::bad_request(format!(
            "subcommittee index {subcommittee_index} out of range"
        )));
    }
    let root = query.required_root("beacon_block_root")?;
    let contribution = ctx
        .pool()
        .sync_committee_contribution(slot, subcommittee_index, root)
        .ok_or_else(|| ApiError::not_found("no matching contribution"))?;
    json_response(&GenericResponse::from(contribution))
}

/// `POST /eth/v1/validator/contribution_and_proofs`: checked (aggregator, selection proof,
/// signatures), kept and announced by the chain.
pub async fn contribution_and_proofs<E: EthSpec>(
    ctx: Arc<Context<E>>,
    contributions: Vec<SignedContributionAndProof<E>>,
) -> ApiResult {
    let refused = ctx.chain.insert_contributions(contributions).await;
    if refused.is_empty() {
        return Ok(empty_response(StatusCode::OK));
    }
    Err(ApiError::indexed(
        "some contributions were refused",
        refused
            .into_iter()
            .map(|(index, error)| IndexedError {
                index,
                message: error.to_string(),
            })
            .collect(),
    ))
}
