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
    compute_epoch_at_slot, get_attestation_participation_flag_indices, has_flag,
    PARTICIPATION_FLAG_WEIGHTS,
};
use state_processing::{StateCaches, StateError};
use std::collections::{BTreeMap, HashMap};
use types::ssz_types::typenum::Unsigned;
use types::ssz_types::BitVector;
use types::tree_hash::TreeHash;
use types::{
    AttestationElectra, BeaconState, CommitteeIndex, Epoch, EthSpec, Hash256, ValidatorIndex,
};

/// A validator's key in a cover: its index and the epoch it attests for (previous and current epoch
/// flags are separate rewards).
fn cover_key(index: ValidatorIndex, is_current: bool) -> u64 {
    (index << 1) | u64::from(is_current)
}

/// A state's participation flags, read whole (a tree walk per attester costs more than one full read
/// of a registry-sized list). They are the same for every state advanced from one block within one
/// epoch, so they are read once for the coming slot (the node's timer does it late in the slot
/// before, off the proposal's path) and kept for the proposal.
#[derive(Debug)]
pub struct ParticipationSnapshot {
    /// The root of the state's latest block and the state's epoch (`None`: not known, never matched).
    key: Option<(Hash256, Epoch)>,
    previous: Vec<u8>,
    current: Vec<u8>,
}

impl ParticipationSnapshot {
    /// What identifies the flags of `state`: its latest block and its epoch. The block's root is
    /// known once slot processing has filled the header's state root, as it has in every state
    /// advanced to a proposal's slot; a block's own post-state has none (`None`).
    pub fn key<E: EthSpec>(state: &BeaconState<E>) -> Option<(Hash256, Epoch)> {
        let header = state.latest_block_header();
        (!header.state_root.is_zero()).then(|| {
            (
                header.tree_hash_root(),
                compute_epoch_at_slot::<E>(state.slot()),
            )
        })
    }

    /// Reads `state`'s flags.
    pub fn read<E: EthSpec>(state: &BeaconState<E>) -> Self {
        Self {
            key: Self::key(state),
            previous: state
                .previous_epoch_participation()
                .iter()
                .copied()
                .collect(),
            current: state
                .current_epoch_participation()
                .iter()
                .copied()
                .collect(),
        }
    }

    /// Whether these are `state`'s flags.
    pub fn is_for<E: EthSpec>(&self, state: &BeaconState<E>) -> bool {
        self.key.is_some() && self.key == Self::key(state)
    }
}

/// What including an aggregate of one data would earn, per attester.
struct Rewarder<'s, E: EthSpec> {
    state: &'s BeaconState<E>,
    caches: &'s StateCaches,
    base_reward_per_increment: u64,
    flags: &'s ParticipationSnapshot,
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
    ) -> Option<HashMap<u64, u64>> {
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
            &self.flags.current
        } else {
            &self.flags.previous
        };
        let mut covers = HashMap::new();
        for (&index, _) in committee.iter().zip(&aggregate.bits).filter(|(_, b)| **b) {
            let flags = flags_list.get(index as usize).copied()?;
            let new = earned & !flags;
            if new == 0 {
                continue;
            }
            let increments = self.caches.effective_balance(self.state, index).ok()?
                / E::EFFECTIVE_BALANCE_INCREMENT;
            let weight: u64 = PARTICIPATION_FLAG_WEIGHTS
                .iter()
                .enumerate()
                .filter(|(flag, _)| has_flag(new, *flag))
                .map(|(_, w)| w)
                .sum();
            let reward = increments
                .saturating_mul(self.base_reward_per_increment)
                .saturating_mul(weight);
            // A zero-balance attester still counts: it is one more validator included.
            covers.insert(cover_key(index, is_current), reward.max(1));
        }
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
/// `flags` are `state`'s participation flags.
pub(crate) fn attestations_for_block<E: EthSpec>(
    pool: &AttestationPool,
    state: &BeaconState<E>,
    caches: &StateCaches,
    flags: &ParticipationSnapshot,
) -> Result<Vec<Attestation<E>>, StateError> {
    let rewarder = Rewarder {
        state,
        caches,
        base_reward_per_increment: caches.get_base_reward_per_increment(state)?,
        flags,
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
type Ranked<'a> = (&'a CommitteeAggregate, HashMap<u64, u64>);

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
        let covers: Vec<Cover<(usize, HashMap<u64, u64>)>> = aggregates
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
        let mut covers = HashMap::new();
        for (&index, picks) in &ranked {
            let Some((aggregate, cover)) = picks.get(round) else {
                continue;
            };
            if committee_bits.set(index as usize, true).is_err() {
                continue;
            }
            bits.extend_from_slice(&aggregate.bits);
            signatures.push(&aggregate.signature);
            covers.extend(cover.iter().map(|(k, v)| (*k, *v)));
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
