//! Choosing a block's attestations: only those `process_attestation` accepts at the block's slot, chosen
//! by greedy maximum cover of the proposer's reward (the participation flags each attester newly earns,
//! weighted as `process_attestation` rewards them). From Electra one on-chain attestation carries one
//! aggregate per committee of a slot for the same data, assembled here from the per-committee ones.

use crate::attestation::{
    aggregate_signatures, bits_to_list, AttestationPool, CommitteeAggregate, DataEntry,
};
use crate::containers::Attestation;
use crate::max_cover::{maximum_cover, Cover};
use state_processing::common::{
    compute_epoch_at_slot, get_attestation_participation_flag_indices, participation_flags_weight,
};
use state_processing::{StateCaches, StateError};
use std::collections::BTreeMap;
use types::ssz_types::typenum::Unsigned;
use types::ssz_types::BitVector;
use types::{AttestationElectra, BeaconState, CommitteeIndex, EthSpec, ValidatorIndex};

/// A validator's key in a cover: its index and the epoch it attests for (previous and current epoch
/// flags are separate rewards).
fn cover_key(index: ValidatorIndex, is_current: bool) -> u64 {
    (index << 1) | u64::from(is_current)
}

/// Each attester's cover key and the reward its inclusion adds.
type Rewards = Vec<(u64, u64)>;

/// What including an aggregate of one data would earn, per attester.
struct Rewarder<'s, E: EthSpec> {
    state: &'s BeaconState<E>,
    caches: &'s StateCaches,
    base_reward_per_increment: u64,
}

impl<E: EthSpec> Rewarder<'_, E> {
    /// The proposer-reward weight each attester of `aggregate` would newly earn (`None` if the
    /// committee no longer matches the bits).
    fn covers(
        &self,
        entry: &DataEntry,
        committee_index: CommitteeIndex,
        aggregate: &CommitteeAggregate,
        earned: u8,
    ) -> Option<Rewards> {
        let data = &entry.data;
        let is_current = data.target.epoch == compute_epoch_at_slot::<E>(self.state.slot());
        let committee = self
            .caches
            .get_beacon_committee(self.state, data.slot, committee_index)
            .ok()?;
        if committee.len() != aggregate.bits.len() {
            return None;
        }
        let flags_list = if is_current {
            self.state.current_epoch_participation()
        } else {
            self.state.previous_epoch_participation()
        };
        let mut attesters = Vec::with_capacity(committee.len());
        let mut new_flags = Vec::with_capacity(committee.len());
        for (&index, _) in committee.iter().zip(&aggregate.bits).filter(|(_, b)| **b) {
            let new = earned & !flags_list.get(index as usize).copied()?;
            if new != 0 {
                attesters.push(index);
                new_flags.push(new);
            }
        }
        let effective_balances = self
            .caches
            .effective_balances(self.state, &attesters)
            .ok()?;
        let covers = attesters
            .iter()
            .zip(new_flags)
            .zip(effective_balances)
            .map(|((&index, new), effective_balance)| {
                let reward = (effective_balance / E::EFFECTIVE_BALANCE_INCREMENT)
                    .saturating_mul(self.base_reward_per_increment)
                    .saturating_mul(participation_flags_weight(new));
                // A zero-balance attester still counts: it is one more validator included.
                (cover_key(index, is_current), reward.max(1))
            })
            .collect();
        Some(covers)
    }
}

/// The flags an attestation of `entry` earns if included in a block at `state.slot()`, or `None` if
/// `process_attestation` would refuse it there (timing, target epoch, source).
fn earned_flags<E: EthSpec>(entry: &DataEntry, state: &BeaconState<E>) -> Option<u8> {
    let data = &entry.data;
    let slot = state.slot();
    if entry.electra != state.fork_name().electra_enabled() {
        return None;
    }
    if data.slot.checked_add(E::MIN_ATTESTATION_INCLUSION_DELAY)? > slot {
        return None;
    }
    if !state.fork_name().deneb_enabled() && slot > data.slot.saturating_add(E::slots_per_epoch()) {
        return None;
    }
    let current = compute_epoch_at_slot::<E>(slot);
    let target = data.target.epoch;
    if target != current && target.saturating_add(1) != current {
        return None;
    }
    if target != compute_epoch_at_slot::<E>(data.slot) {
        return None;
    }
    let flags = get_attestation_participation_flag_indices(state, data, slot - data.slot).ok()?;
    Some(flags.into_iter().fold(0u8, |acc, f| acc | (1 << f)))
}

/// `attestations_for_block`: at most `MAX_ATTESTATIONS` (`MAX_ATTESTATIONS_ELECTRA` from Electra)
/// attestations for a block at `state.slot()` (`state` is the parent's state advanced to that slot).
pub(crate) fn attestations_for_block<E: EthSpec>(
    pool: &AttestationPool,
    state: &BeaconState<E>,
    caches: &StateCaches,
) -> Result<Vec<Attestation<E>>, StateError> {
    let rewarder = Rewarder {
        state,
        caches,
        base_reward_per_increment: caches.get_base_reward_per_increment(state)?,
    };
    let electra = state.fork_name().electra_enabled();
    let mut candidates = Vec::new();
    for entry in pool.entries.values() {
        let Some(earned) = earned_flags(entry, state) else {
            continue;
        };
        let count = caches.get_committee_count_per_slot(state, entry.data.target.epoch);
        if electra {
            candidates.extend(electra_candidates(entry, earned, count, &rewarder));
            continue;
        }
        let Some(aggregates) = entry.committees.get(&entry.data.index) else {
            continue;
        };
        if entry.data.index >= count {
            continue;
        }
        for aggregate in aggregates {
            let Some(covers) = rewarder.covers(entry, entry.data.index, aggregate, earned) else {
                continue;
            };
            if let Some(item) = entry.to_attestation(entry.data.index, aggregate) {
                candidates.push(Cover { item, covers });
            }
        }
    }
    let limit = if electra {
        E::MaxAttestationsElectra::to_usize()
    } else {
        E::MaxAttestations::to_usize()
    };
    Ok(maximum_cover(candidates, limit))
}

/// A committee's aggregate and the rewards it adds after the ones ranked before it.
type Ranked<'a> = (&'a CommitteeAggregate, Rewards);

/// Electra's on-chain attestations for one data: each committee's useful aggregates in max-cover order;
/// the k-th candidate joins every committee's k-th pick, so that the first carries the best of each.
fn electra_candidates<E: EthSpec>(
    entry: &DataEntry,
    earned: u8,
    committee_count: u64,
    rewarder: &Rewarder<'_, E>,
) -> Vec<Cover<Attestation<E>>> {
    let mut ranked: BTreeMap<CommitteeIndex, Vec<Ranked<'_>>> = BTreeMap::new();
    for (&index, aggregates) in &entry.committees {
        if index >= committee_count {
            continue;
        }
        let covers: Vec<Cover<(usize, Rewards)>> = aggregates
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let covers = rewarder.covers(entry, index, a, earned)?;
                Some(Cover {
                    item: (i, covers.clone()),
                    covers,
                })
            })
            .collect();
        let picks = maximum_cover(covers, aggregates.len());
        if !picks.is_empty() {
            let picks = picks
                .into_iter()
                .map(|(i, covers)| (&aggregates[i], covers))
                .collect();
            ranked.insert(index, picks);
        }
    }
    let rounds = ranked.values().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut committee_bits = BitVector::<E::MaxCommitteesPerSlot>::new();
        let mut bits = Vec::new();
        let mut signatures = Vec::new();
        let mut covers = Vec::new();
        for (&index, picks) in &ranked {
            let Some((aggregate, cover)) = picks.get(round) else {
                continue;
            };
            if committee_bits.set(index as usize, true).is_err() {
                continue;
            }
            bits.extend_from_slice(&aggregate.bits);
            signatures.push(&aggregate.signature);
            // The committees of one slot are disjoint, so each attester appears once.
            covers.extend_from_slice(cover);
        }
        let Some(aggregation_bits) = bits_to_list(&bits) else {
            continue;
        };
        out.push(Cover {
            item: Attestation::Electra(AttestationElectra {
                aggregation_bits,
                data: entry.data.clone(),
                signature: aggregate_signatures(&signatures).to_bytes(),
                committee_bits,
            }),
            covers,
        });
    }
    out
}
