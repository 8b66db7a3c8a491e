//! `process_attestation` (Deneb form before Electra; Electra's multi-committee form from Electra).

use super::slashings::check_indexed_attestation;
use crate::caches::StateCaches;
use crate::common::attestation::AttestationRef;
use crate::common::{
    add_flag, compute_epoch_at_slot, get_attestation_participation_flag_indices,
    get_committee_indices, get_current_epoch, get_previous_epoch, has_flag, increase_balance,
    read_list_entries, safe_add, safe_mul, write_list_entries, PARTICIPATION_FLAG_WEIGHTS,
    PROPOSER_WEIGHT, WEIGHT_DENOMINATOR,
};
use crate::per_block::signatures::SignatureVerifier;
use crate::{ensure, Result};
use types::ssz_types::typenum::Unsigned;
use types::RegistryList;
use types::{BeaconState, EthSpec, Gwei};

/// `process_attestation`: check the target, timing and committees (Electra: every committee named by
/// `committee_bits` has an attester and the bits cover exactly those committees), the source and the
/// aggregate signature; set the participation flags earned and reward the proposer.
pub fn process_attestation<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation: AttestationRef<'_, E>,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
) -> Result<()> {
    let mut updates = ParticipationUpdates::new();
    process_attestation_with(state, attestation, verifier, caches, &mut updates)?;
    updates.apply(state)
}

/// The participation flags a block's attestations set, held until the last attestation and then written
/// to the state in one go (a block names tens of thousands of attesters: one staged write each would
/// walk the list's tree per attester). Reads see the held flags first.
#[derive(Debug, Default)]
pub struct ParticipationUpdates {
    previous: EpochFlags,
    current: EpochFlags,
}

/// One epoch's held flags by validator index: registry-sized and direct (allocated on the first
/// write), since a block holds tens of thousands of them and a hash map's insert and lookup per attester
/// cost more than the flags themselves.
#[derive(Debug, Default)]
struct EpochFlags {
    /// Validator `i`'s held flags, where `is_held` has bit `i`.
    flags: Vec<u8>,
    is_held: Vec<u64>,
}

impl EpochFlags {
    fn get(&self, index: usize) -> Option<u8> {
        let held = self.is_held.get(index / 64)? & (1 << (index % 64)) != 0;
        held.then(|| self.flags[index])
    }

    /// Hold `flags` for validator `index` (below `len`, the list's length).
    fn set(&mut self, index: usize, flags: u8, len: usize) {
        if self.flags.len() < len {
            self.flags.resize(len, 0);
            self.is_held.resize(len.div_ceil(64), 0);
        }
        self.is_held[index / 64] |= 1 << (index % 64);
        self.flags[index] = flags;
    }

    /// The held flags, in index order (the bitmap's order).
    fn apply<N: Unsigned>(self, list: &mut RegistryList<u8, N>) -> Result<()> {
        let flags = &self.flags;
        let held = self.is_held.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    i
                })
            })
        });
        write_list_entries(list, held.map(|i| (i, flags[i])))
    }
}

impl ParticipationUpdates {
    /// No updates yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Write the held flags to `state`'s participation lists.
    pub fn apply<E: EthSpec>(self, state: &mut BeaconState<E>) -> Result<()> {
        self.previous
            .apply(state.previous_epoch_participation_mut())?;
        self.current.apply(state.current_epoch_participation_mut())
    }
}

/// [`process_attestation`] with the participation writes held in `updates` (the caller applies them).
pub fn process_attestation_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    attestation: AttestationRef<'_, E>,
    verifier: &mut SignatureVerifier,
    caches: &mut StateCaches,
    updates: &mut ParticipationUpdates,
) -> Result<()> {
    let data = attestation.data();
    let current_epoch = get_current_epoch(state);
    let previous_epoch = get_previous_epoch(state);
    ensure!(
        data.target.epoch == previous_epoch || data.target.epoch == current_epoch,
        "attestation target epoch {} is neither previous nor current",
        data.target.epoch
    );
    ensure!(
        data.target.epoch == compute_epoch_at_slot::<E>(data.slot),
        "attestation target epoch does not match its slot"
    );
    ensure!(
        safe_add(data.slot, E::MIN_ATTESTATION_INCLUSION_DELAY)? <= state.slot(),
        "attestation included too early"
    );
    if !state.fork_name().deneb_enabled() {
        ensure!(
            state.slot() <= safe_add(data.slot, E::slots_per_epoch())?,
            "attestation included too late"
        );
    }
    let committee_count = caches.get_committee_count_per_slot(state, data.target.epoch);
    match attestation {
        AttestationRef::Base(a) => {
            ensure!(
                data.index < committee_count,
                "attestation committee index {} out of range",
                data.index
            );
            let committee = caches.get_beacon_committee(state, data.slot, data.index)?;
            ensure!(
                a.aggregation_bits.len() == committee.len(),
                "attestation aggregation bits length mismatch"
            );
        }
        AttestationRef::Electra(a) => {
            ensure!(data.index == 0, "attestation data index must be 0");
            let mut offset = 0usize;
            for committee_index in get_committee_indices::<E>(&a.committee_bits) {
                ensure!(
                    committee_index < committee_count,
                    "attestation committee index {committee_index} out of range"
                );
                let committee = caches.get_beacon_committee(state, data.slot, committee_index)?;
                let mut any = false;
                for i in 0..committee.len() {
                    if a.aggregation_bits.get(offset + i)? {
                        any = true;
                    }
                }
                ensure!(
                    any,
                    "attestation committee {committee_index} has no attester"
                );
                offset += committee.len();
            }
            ensure!(
                a.aggregation_bits.len() == offset,
                "attestation aggregation bits length mismatch"
            );
        }
    }

    let inclusion_delay = state.slot() - data.slot;
    let flag_indices = get_attestation_participation_flag_indices(state, data, inclusion_delay)?;
    let indexed = caches.get_indexed_attestation(state, attestation)?;
    check_indexed_attestation(state, indexed.as_ref(), verifier, "attestation")?;

    let is_current = data.target.epoch == current_epoch;
    let base_reward_per_increment = caches.get_base_reward_per_increment(state)?;
    let earned = flag_indices
        .iter()
        .fold(0u8, |flags, &flag_index| add_flag(flags, flag_index));
    // The flags each attester newly gains (a write only where the value changes) and the proposer's
    // reward for them: `get_base_reward` times the summed weights of the new flags.
    let mut proposer_reward_numerator = 0u64;
    let mut changes: Vec<(u64, u8, Gwei)> = vec![];
    let (list, held) = if is_current {
        (state.current_epoch_participation(), &mut updates.current)
    } else {
        (state.previous_epoch_participation(), &mut updates.previous)
    };
    let attesters = indexed.as_ref().attesting_indices();
    let stored = read_list_entries(list, attesters)?;
    let len = list.len();
    let effective_balances = caches.effective_balances(state, attesters)?;
    for ((&index, stored), effective_balance) in
        attesters.iter().zip(stored).zip(effective_balances)
    {
        let flags = held.get(index as usize).unwrap_or(stored);
        let new_flags = earned & !flags;
        if new_flags == 0 {
            continue;
        }
        let base_reward = safe_mul(
            effective_balance / E::EFFECTIVE_BALANCE_INCREMENT,
            base_reward_per_increment,
        )?;
        let weight: u64 = PARTICIPATION_FLAG_WEIGHTS
            .iter()
            .enumerate()
            .filter(|(flag_index, _)| has_flag(new_flags, *flag_index))
            .map(|(_, weight)| weight)
            .sum();
        proposer_reward_numerator =
            safe_add(proposer_reward_numerator, safe_mul(base_reward, weight)?)?;
        held.set(index as usize, flags | new_flags, len);
        changes.push((index, new_flags, effective_balance));
    }
    if let Some((validators, progressive)) = caches.epoch_balances_mut(state) {
        for &(index, new_flags, effective_balance) in &changes {
            if validators.is_slashed(index) == Some(false) {
                progressive.on_new_flags(is_current, new_flags, effective_balance)?;
            }
        }
    }

    let proposer_reward_denominator =
        (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT) * WEIGHT_DENOMINATOR / PROPOSER_WEIGHT;
    let proposer_reward = proposer_reward_numerator / proposer_reward_denominator;
    let proposer_index = caches.get_beacon_proposer_index(state)?;
    increase_balance(state, proposer_index, proposer_reward)
}
