//! `process_sync_aggregate` (altair).

use super::signatures::SignatureVerifier;
use crate::caches::StateCaches;
use crate::common::{
    compute_epoch_at_slot, decrease_balance, get_block_root_at_slot, get_domain, increase_balance,
    PROPOSER_WEIGHT, SYNC_REWARD_WEIGHT, WEIGHT_DENOMINATOR,
};
use crate::{ensure, Result};
use std::collections::{HashMap, HashSet};
use types::{BeaconState, EthSpec, PublicKeyBytes, SyncAggregate, DOMAIN_SYNC_COMMITTEE};

/// `process_sync_aggregate`: check the participants' aggregate signature of the previous slot's block
/// root (`eth_fast_aggregate_verify`: no participants and the infinity signature is valid), then reward
/// participants and the proposer and penalise non-participants.
pub fn process_sync_aggregate<E: EthSpec>(
    state: &mut BeaconState<E>,
    sync_aggregate: &SyncAggregate<E>,
    verifier: &mut SignatureVerifier,
    caches: &StateCaches,
) -> Result<()> {
    let committee_pubkeys: Vec<PublicKeyBytes> = state
        .current_sync_committee()
        .pubkeys
        .iter()
        .copied()
        .collect();
    let bits: Vec<bool> = sync_aggregate.sync_committee_bits.iter().collect();
    ensure!(
        bits.len() == committee_pubkeys.len(),
        "sync committee bits length mismatch"
    );

    // `all_pubkeys.index(pubkey)`: the first validator with each key (the pubkey cache when it covers
    // the registry, else one scan).
    let mut index_of: HashMap<PublicKeyBytes, u64> = HashMap::new();
    if caches.pubkeys.len() == state.validators().len() {
        for pubkey in &committee_pubkeys {
            if let Some(index) = caches.pubkeys.get(pubkey) {
                index_of.insert(*pubkey, index);
            }
        }
    } else {
        let wanted: HashSet<PublicKeyBytes> = committee_pubkeys.iter().copied().collect();
        for (i, v) in state.validators().iter().enumerate() {
            if wanted.contains(&v.pubkey) {
                index_of.entry(v.pubkey).or_insert(i as u64);
            }
        }
    }
    let member_index = |pubkey: &PublicKeyBytes| {
        index_of.get(pubkey).copied().ok_or_else(|| {
            crate::StateError::Other("sync committee member not in the registry".into())
        })
    };

    if verifier.enabled() {
        // The participants' keys by validator index (each decompressed once for the chain), which
        // are the committee's keys: the indices were found by those keys.
        let participants = committee_pubkeys
            .iter()
            .zip(&bits)
            .filter(|(_, bit)| **bit)
            .map(|(pk, _)| member_index(pk))
            .collect::<Result<Vec<u64>>>()?;
        let previous_slot = state.slot().max(1) - 1;
        let domain = get_domain(
            state,
            DOMAIN_SYNC_COMMITTEE,
            Some(compute_epoch_at_slot::<E>(previous_slot)),
        );
        let signing_root =
            types::compute_signing_root(&get_block_root_at_slot(state, previous_slot)?, domain);
        if participants.is_empty() {
            ensure!(
                sync_aggregate.sync_committee_signature == types::SignatureBytes::infinity(),
                "sync aggregate without participants must carry the infinity signature"
            );
        } else {
            verifier.add_validators(
                "sync aggregate",
                &sync_aggregate.sync_committee_signature,
                &participants,
                state.validators(),
                signing_root,
            )?;
        }
    }

    // Rewards.
    let total_active_increments =
        caches.get_total_active_balance(state)? / E::EFFECTIVE_BALANCE_INCREMENT;
    let total_base_rewards = caches
        .get_base_reward_per_increment(state)?
        .checked_mul(total_active_increments)
        .ok_or(crate::StateError::Overflow)?;
    let max_participant_rewards =
        total_base_rewards * SYNC_REWARD_WEIGHT / WEIGHT_DENOMINATOR / E::slots_per_epoch();
    let participant_reward = max_participant_rewards / E::sync_committee_size() as u64;
    let proposer_reward =
        participant_reward * PROPOSER_WEIGHT / (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT);

    let proposer_index = caches.get_beacon_proposer_index(state)?;
    for (pubkey, bit) in committee_pubkeys.iter().zip(bits) {
        let participant_index = member_index(pubkey)?;
        if bit {
            increase_balance(state, participant_index, participant_reward)?;
            increase_balance(state, proposer_index, proposer_reward)?;
        } else {
            decrease_balance(state, participant_index, participant_reward)?;
        }
    }
    Ok(())
}
