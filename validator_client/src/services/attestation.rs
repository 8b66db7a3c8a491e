//! Attestations at one third of the slot (each signed under slashing protection; Electra's
//! `SingleAttestation`, or a one-bit aggregate before), and aggregation at two thirds by the
//! validators whose selection proof makes them aggregators.

use super::Services;
use beacon_api::{
    AggregateAndProofBase, AggregateAndProofElectra, AttesterData, PoolAttestations,
    SignedAggregateAndProof, SignedAggregateAndProofBase, SignedAggregateAndProofElectra,
};
use operation_pool::{Attestation, SingleAttestation};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{AttestationData, EthSpec, SignatureBytes, Slot};

/// `TARGET_AGGREGATORS_PER_COMMITTEE` (phase0 validator guide).
pub const TARGET_AGGREGATORS_PER_COMMITTEE: u64 = 16;

/// `is_aggregator`: `bytes_to_uint64(hash(slot_signature)[0:8]) % modulo == 0` with
/// `modulo = max(1, len(committee) // TARGET_AGGREGATORS_PER_COMMITTEE)`.
pub fn is_aggregator(committee_length: u64, selection_proof: &SignatureBytes) -> bool {
    let modulo = (committee_length / TARGET_AGGREGATORS_PER_COMMITTEE).max(1);
    let digest = Sha256::digest(selection_proof.0);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) % modulo == 0
}

/// What the attestations of one slot left for aggregation.
pub struct Attested {
    /// (duty, the data it signed).
    pub signed: Vec<(AttesterData, AttestationData)>,
}

impl<E: EthSpec> Services<E> {
    /// Signs and publishes the attestations of our validators at `slot`.
    pub async fn attest(self: &Arc<Self>, slot: Slot) -> Attested {
        let duties = self.duties.attesters_at(slot);
        let mut signed = Vec::new();
        if duties.is_empty() {
            return Attested { signed };
        }
        let fork = self.context.fork_at_slot(slot);
        let mut by_committee: BTreeMap<u64, Vec<AttesterData>> = BTreeMap::new();
        for duty in duties {
            by_committee
                .entry(duty.committee_index)
                .or_default()
                .push(duty);
        }
        let mut singles = Vec::new();
        let mut bases = Vec::new();
        for (committee_index, duties) in by_committee {
            let data = match self
                .nodes
                .first_success("attestation data", |client| async move {
                    client
                        .get_validator_attestation_data(slot, committee_index)
                        .await
                })
                .await
            {
                Ok(response) => response.data,
                Err(error) => {
                    tracing::error!(slot, committee_index, %error, "no attestation data");
                    self.metrics
                        .attestations
                        .with_label_values(&["failed"])
                        .inc_by(duties.len() as u64);
                    continue;
                }
            };
            for duty in duties {
                let store = self.store.clone();
                let fork_info = self.context.fork_info(data.target.epoch);
                let signing = data.clone();
                let pubkey = duty.pubkey;
                let signature = match self
                    .sign(move || store.sign_attestation(&pubkey, &signing, &fork_info))
                    .await
                {
                    Ok(Ok(signature)) => signature,
                    Ok(Err(error)) => {
                        tracing::warn!(slot, validator_index = duty.validator_index, %error, "attestation not signed");
                        self.metrics
                            .attestations
                            .with_label_values(&["refused"])
                            .inc();
                        continue;
                    }
                    Err(error) => {
                        tracing::error!(slot, %error, "attestation signing failed");
                        continue;
                    }
                };
                if fork.electra_enabled() {
                    singles.push(SingleAttestation {
                        committee_index,
                        attester_index: duty.validator_index,
                        data: data.clone(),
                        signature,
                    });
                } else {
                    let Ok(mut bits) =
                        types::ssz_types::BitList::with_capacity(duty.committee_length as usize)
                    else {
                        continue;
                    };
                    if bits
                        .set(duty.validator_committee_index as usize, true)
                        .is_err()
                    {
                        continue;
                    }
                    bases.push(types::AttestationBase {
                        aggregation_bits: bits,
                        data: data.clone(),
                        signature,
                    });
                }
                signed.push((duty, data.clone()));
            }
        }
        let count = signed.len() as u64;
        let body = if fork.electra_enabled() {
            PoolAttestations::<E>::Single(singles)
        } else {
            PoolAttestations::Base(bases)
        };
        match self
            .nodes
            .first_success("attestation publication", |client| {
                let body = body.clone();
                async move {
                    match client.post_beacon_pool_attestations(&body, fork).await {
                        // A node that predates v2 (Lodestar 1.5.1): v1, which has the pre-Electra shape.
                        Err(e) if legacy_fallback(&e, fork) => {
                            client.post_beacon_pool_attestations_v1(&body).await
                        }
                        other => other,
                    }
                }
            })
            .await
        {
            Ok(()) => {
                self.metrics
                    .attestations
                    .with_label_values(&["published"])
                    .inc_by(count);
                tracing::debug!(slot, count, "attestations published");
            }
            Err(error) => {
                self.metrics
                    .attestations
                    .with_label_values(&["failed"])
                    .inc_by(count);
                tracing::error!(slot, count, %error, "attestations not published");
            }
        }
        Attested { signed }
    }

    /// Aggregates at two thirds of `slot`: each of our attesters that is an aggregator publishes the
    /// best aggregate of its committee.
    pub async fn aggregate(self: &Arc<Self>, slot: Slot, attested: Attested) {
        let fork = self.context.fork_at_slot(slot);
        let mut published = Vec::new();
        for (duty, data) in attested.signed {
            let store = self.store.clone();
            let fork_info = self.context.fork_info(slot / E::slots_per_epoch());
            let pubkey = duty.pubkey;
            let Ok(Ok(selection_proof)) = self
                .sign(move || store.selection_proof(&pubkey, slot, &fork_info))
                .await
            else {
                continue;
            };
            if !is_aggregator(duty.committee_length, &selection_proof) {
                continue;
            }
            let data_root = data.tree_hash_root();
            let aggregate = match self
                .nodes
                .first_success("aggregate attestation", |client| async move {
                    match client
                        .get_validator_aggregate_attestation::<E>(
                            slot,
                            data_root,
                            duty.committee_index,
                        )
                        .await
                    {
                        Err(e) if legacy_fallback(&e, fork) => {
                            client
                                .get_validator_aggregate_attestation_v1(slot, data_root, fork)
                                .await
                        }
                        other => other,
                    }
                })
                .await
            {
                Ok(response) => response.data,
                Err(error) => {
                    tracing::warn!(slot, committee_index = duty.committee_index, %error, "no aggregate to publish");
                    continue;
                }
            };
            let store = self.store.clone();
            let fork_info = self.context.fork_info(slot / E::slots_per_epoch());
            let signed = match aggregate {
                Attestation::Base(aggregate) => {
                    let message = AggregateAndProofBase {
                        aggregator_index: duty.validator_index,
                        aggregate,
                        selection_proof,
                    };
                    let to_sign = message.clone();
                    let Ok(Ok(signature)) = self
                        .sign(move || {
                            store.sign_aggregate_and_proof(&pubkey, &to_sign, slot, &fork_info)
                        })
                        .await
                    else {
                        continue;
                    };
                    SignedAggregateAndProof::Base(SignedAggregateAndProofBase {
                        message,
                        signature,
                    })
                }
                Attestation::Electra(aggregate) => {
                    let message = AggregateAndProofElectra {
                        aggregator_index: duty.validator_index,
                        aggregate,
                        selection_proof,
                    };
                    let to_sign = message.clone();
                    let Ok(Ok(signature)) = self
                        .sign(move || {
                            store.sign_aggregate_and_proof(&pubkey, &to_sign, slot, &fork_info)
                        })
                        .await
                    else {
                        continue;
                    };
                    SignedAggregateAndProof::Electra(SignedAggregateAndProofElectra {
                        message,
                        signature,
                    })
                }
            };
            published.push(signed);
        }
        if published.is_empty() {
            return;
        }
        let count = published.len() as u64;
        match self
            .nodes
            .first_success("aggregate publication", |client| {
                let published = published.clone();
                async move {
                    match client
                        .post_validator_aggregate_and_proofs(&published, fork)
                        .await
                    {
                        Err(e) if legacy_fallback(&e, fork) => {
                            client
                                .post_validator_aggregate_and_proofs_v1(&published)
                                .await
                        }
                        other => other,
                    }
                }
            })
            .await
        {
            Ok(()) => self
                .metrics
                .aggregates
                .with_label_values(&["published"])
                .inc_by(count),
            Err(error) => {
                self.metrics
                    .aggregates
                    .with_label_values(&["failed"])
                    .inc_by(count);
                tracing::error!(slot, %error, "aggregates not published");
            }
        }
    }
}

/// Whether a v2 attestation call refused as unknown (404 or 405) is retried on v1: only before
/// Electra, whose shapes v1 carries.
fn legacy_fallback(error: &beacon_api::Error, fork: types::ForkName) -> bool {
    matches!(error.status(), Some(404 | 405)) && !fork.electra_enabled()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_committees_make_everyone_an_aggregator() {
        let proof = SignatureBytes::empty();
        assert!(is_aggregator(8, &proof));
        assert!(is_aggregator(
            TARGET_AGGREGATORS_PER_COMMITTEE * 2 - 1,
            &proof
        ));
        // About one in `modulo` proofs selects at larger sizes.
        let selected = (0..200u64)
            .filter(|i| {
                let proof = bls::interop_secret_key(*i)
                    .sign(&i.to_le_bytes())
                    .to_bytes();
                is_aggregator(TARGET_AGGREGATORS_PER_COMMITTEE * 8, &proof)
            })
            .count();
        assert!((5..60).contains(&selected), "{selected}");
    }
}
