//! The rewards the beacon API reports (`/eth/v1/beacon/rewards/*`), computed with the state transition
//! itself rather than re-derived: a block's proposer rewards by replaying the block's steps on its
//! pre-state and reading the proposer's balance around each reward-paying step; an epoch's attestation
//! rewards with the epoch step's own delta functions (`get_flag_index_deltas`,
//! `get_inactivity_penalty_deltas`) on the state they run on; sync committee rewards with
//! `process_sync_aggregate`'s amounts.

use crate::caches::StateCaches;
use crate::common::{
    base_reward_per_increment, get_current_epoch, RewardsContext, PARTICIPATION_FLAG_WEIGHTS,
    PROPOSER_WEIGHT, SYNC_REWARD_WEIGHT, TIMELY_HEAD_FLAG_INDEX, TIMELY_SOURCE_FLAG_INDEX,
    TIMELY_TARGET_FLAG_INDEX, WEIGHT_DENOMINATOR,
};
use crate::per_block::{
    process_attestations, process_attester_slashings, process_block_header, process_eth1_data,
    process_execution_payload, process_proposer_slashings, process_randao, process_withdrawals,
    BlockBody, ProcessableBlock, SignatureVerifier, VerifySignatures,
};
use crate::per_epoch::{
    process_inactivity_updates_with_context, process_justification_and_finalization,
};
use crate::{ensure, Result, StateError};
use types::{BeaconState, ChainSpec, EthSpec, Gwei, ValidatorIndex, GENESIS_EPOCH};

/// What a block paid its proposer, in Gwei, by source (the beacon API's `BlockRewards`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlockRewards {
    pub proposer_index: ValidatorIndex,
    pub attestations: Gwei,
    pub sync_aggregate: Gwei,
    pub proposer_slashings: Gwei,
    pub attester_slashings: Gwei,
}

impl BlockRewards {
    /// The sum of the four parts.
    pub fn total(&self) -> Gwei {
        self.attestations
            .saturating_add(self.sync_aggregate)
            .saturating_add(self.proposer_slashings)
            .saturating_add(self.attester_slashings)
    }
}

/// The two amounts of `process_sync_aggregate` for a state: what each participating sync committee
/// position earns (and each absent one loses), and what the proposer earns per participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncRewardAmounts {
    pub participant_reward: Gwei,
    pub proposer_reward: Gwei,
}

/// `process_sync_aggregate`'s `participant_reward` and `proposer_reward` for `state` (only its total
/// active balance matters, which `caches` holds for the state's epoch).
pub fn sync_reward_amounts<E: EthSpec>(
    state: &BeaconState<E>,
    caches: &StateCaches,
) -> Result<SyncRewardAmounts> {
    let total_active_increments =
        caches.get_total_active_balance(state)? / E::EFFECTIVE_BALANCE_INCREMENT;
    let total_base_rewards = caches
        .get_base_reward_per_increment(state)?
        .checked_mul(total_active_increments)
        .ok_or(StateError::Overflow)?;
    let max_participant_rewards =
        total_base_rewards * SYNC_REWARD_WEIGHT / WEIGHT_DENOMINATOR / E::slots_per_epoch();
    let participant_reward = max_participant_rewards / E::sync_committee_size() as u64;
    let proposer_reward =
        participant_reward * PROPOSER_WEIGHT / (WEIGHT_DENOMINATOR - PROPOSER_WEIGHT);
    Ok(SyncRewardAmounts {
        participant_reward,
        proposer_reward,
    })
}

/// The proposer's balance, as a signed amount (a step may lower it as well as raise it).
fn balance_of<E: EthSpec>(state: &BeaconState<E>, index: ValidatorIndex) -> Result<i128> {
    state
        .balances()
        .get(index as usize)
        .map(|b| *b as i128)
        .ok_or(StateError::UnknownValidator(index))
}

/// A non-negative gain (a proposer slashed by its own block gains nothing from that step).
fn gain(before: i128, after: i128) -> Gwei {
    Gwei::try_from((after - before).max(0)).unwrap_or(Gwei::MAX)
}

/// A block's proposer rewards: `state` is the block's pre-state already advanced to the block's slot
/// (`process_slots`). The block's steps run on a copy, in `process_block`'s order, without signature
/// checks (the block was imported); the proposer's balance is read around the proposer slashings
/// (`slash_validator`'s proposer and whistleblower rewards), the attester slashings (the same) and the
/// attestations (`process_attestation`'s `get_proposer_reward` share). The sync aggregate's part is
/// `proposer_reward` per participant (`process_sync_aggregate`), as the proposer's balance there also
/// moves with its own sync committee duty.
pub fn compute_block_rewards<E: EthSpec, B: ProcessableBlock<E>>(
    state: &BeaconState<E>,
    block: &B,
    spec: &ChainSpec,
) -> Result<BlockRewards> {
    ensure!(
        state.slot() == block.slot(),
        "the pre-state is at slot {}, the block at {}",
        state.slot(),
        block.slot()
    );
    let mut state = state.clone();
    let state = &mut state;
    let mut caches = StateCaches::new();
    caches.prepare(state)?;
    let body = block.body();
    ensure!(
        body.fork_name() == state.fork_name(),
        "block body of {} on a {} state",
        body.fork_name(),
        state.fork_name()
    );
    let proposer = block.proposer_index();
    let mut verifier = SignatureVerifier::new(VerifySignatures::Skip);
    process_block_header(
        state,
        block.slot(),
        proposer,
        block.parent_root(),
        body.body_root(),
        &caches,
    )?;
    process_withdrawals(state, body.payload_withdrawals())?;
    process_execution_payload(state, &body, true, spec)?;
    process_randao(state, &body, &mut verifier, &caches)?;
    process_eth1_data(state, body.eth1_data())?;

    // `process_operations`' reward-paying operations, in its order.
    let before = balance_of(state, proposer)?;
    process_proposer_slashings(state, &body, &mut verifier, &mut caches, spec)?;
    let after_proposer_slashings = balance_of(state, proposer)?;
    process_attester_slashings(state, &body, &mut verifier, &mut caches, spec)?;
    let after_attester_slashings = balance_of(state, proposer)?;
    process_attestations(state, &body, &mut verifier, &mut caches)?;
    let after_attestations = balance_of(state, proposer)?;

    let amounts = sync_reward_amounts(state, &caches)?;
    let participants = body.sync_aggregate().sync_committee_bits.num_set_bits() as u64;
    Ok(BlockRewards {
        proposer_index: proposer,
        proposer_slashings: gain(before, after_proposer_slashings),
        attester_slashings: gain(after_proposer_slashings, after_attester_slashings),
        attestations: gain(after_attester_slashings, after_attestations),
        sync_aggregate: amounts
            .proposer_reward
            .checked_mul(participants)
            .ok_or(StateError::Overflow)?,
    })
}

/// Each sync committee member's reward (negative: penalty) for a block's sync aggregate, as
/// `process_sync_aggregate` pays it, summed over the member's committee positions, in committee order
/// of first appearance. `state` is the block's pre-state at the block's slot.
pub fn compute_sync_committee_rewards<E: EthSpec>(
    state: &BeaconState<E>,
    sync_committee_bits: &[bool],
) -> Result<Vec<(ValidatorIndex, i64)>> {
    let mut caches = StateCaches::new();
    caches.prepare(state)?;
    let amounts = sync_reward_amounts(state, &caches)?;
    let committee = &state.current_sync_committee().pubkeys;
    ensure!(
        sync_committee_bits.len() == committee.len(),
        "sync committee bits length mismatch"
    );
    let wanted: std::collections::HashSet<_> = committee.iter().copied().collect();
    let mut index_of = std::collections::HashMap::new();
    for (i, v) in state.validators().iter().enumerate() {
        if wanted.contains(&v.pubkey) {
            index_of.entry(v.pubkey).or_insert(i as ValidatorIndex);
        }
    }
    let reward = i64::try_from(amounts.participant_reward).map_err(|_| StateError::Overflow)?;
    let mut out: Vec<(ValidatorIndex, i64)> = vec![];
    for (pubkey, &bit) in committee.iter().zip(sync_committee_bits) {
        let index = *index_of
            .get(pubkey)
            .ok_or_else(|| StateError::Other("sync committee member not in the registry".into()))?;
        let delta = if bit { reward } else { -reward };
        match out.iter_mut().find(|(i, _)| *i == index) {
            Some((_, total)) => *total += delta,
            None => out.push((index, delta)),
        }
    }
    Ok(out)
}

/// One validator's attestation rewards for an epoch (negative: penalty), in Gwei.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AttestationReward {
    pub head: i64,
    pub target: i64,
    pub source: i64,
    pub inactivity: i64,
}

/// What an epoch's attestations earned: per validator (index order, every validator of the state), and
/// what a validator with each effective balance would have earned by attesting perfectly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestationRewards {
    pub total: Vec<AttestationReward>,
    pub effective_balances: Vec<Gwei>,
    /// `(effective_balance, ideal reward)` for each effective balance an eligible validator has,
    /// ascending.
    pub ideal: Vec<(Gwei, AttestationReward)>,
}

fn signed(reward: Gwei, penalty: Gwei) -> Result<i64> {
    let value = reward as i128 - penalty as i128;
    i64::try_from(value).map_err(|_| StateError::Overflow)
}

/// The rewards and penalties `process_rewards_and_penalties` applies for the attestations of the
/// state's previous epoch. `state` is the state that epoch processing runs on: the last slot of the
/// epoch after the rewarded one. The steps before it run on a copy, as `process_epoch` orders them
/// (`process_justification_and_finalization`, which decides `is_in_inactivity_leak`, then
/// `process_inactivity_updates`), and the deltas are the spec's: `get_flag_index_deltas` for source,
/// target and head, `get_inactivity_penalty_deltas` for inactivity.
pub fn compute_attestation_rewards<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<AttestationRewards> {
    ensure!(
        (state.slot() + 1).is_multiple_of(E::slots_per_epoch()),
        "attestation rewards are read at the last slot of an epoch, not at slot {}",
        state.slot()
    );
    ensure!(
        get_current_epoch(state) != GENESIS_EPOCH,
        "no attestation rewards are paid at the end of the genesis epoch"
    );
    let mut state = state.clone();
    process_justification_and_finalization(&mut state)?;
    let mut ctx = RewardsContext::new(&state)?;
    process_inactivity_updates_with_context(&mut state, spec, &mut ctx)?;

    let (source_r, source_p) = ctx.flag_index_deltas::<E>(TIMELY_SOURCE_FLAG_INDEX)?;
    let (target_r, target_p) = ctx.flag_index_deltas::<E>(TIMELY_TARGET_FLAG_INDEX)?;
    let (head_r, head_p) = ctx.flag_index_deltas::<E>(TIMELY_HEAD_FLAG_INDEX)?;
    let (_, inactivity_p) = ctx.inactivity_penalty_deltas::<E>(spec)?;
    let total = (0..ctx.effective_balances.len())
        .map(|i| {
            Ok(AttestationReward {
                head: signed(head_r[i], head_p[i])?,
                target: signed(target_r[i], target_p[i])?,
                source: signed(source_r[i], source_p[i])?,
                inactivity: signed(0, inactivity_p[i])?,
            })
        })
        .collect::<Result<Vec<_>>>()?;

    // A perfect attester: every flag, so the participating reward of each and no inactivity penalty
    // (the reward branch of `get_flag_index_deltas`; none during an inactivity leak).
    let mut balances: Vec<Gwei> = ctx
        .effective_balances
        .iter()
        .zip(&ctx.eligible)
        .filter(|(_, eligible)| **eligible)
        .map(|(b, _)| *b)
        .collect();
    balances.sort_unstable();
    balances.dedup();
    let increment = E::EFFECTIVE_BALANCE_INCREMENT;
    let active_increments = (ctx.total_active_balance / increment).max(1) as u128;
    let per_increment = base_reward_per_increment::<E>(ctx.total_active_balance) as u128;
    let mut participating_increments = [0u128; 3];
    for (flag_index, slot) in participating_increments.iter_mut().enumerate() {
        let mut balance: Gwei = 0;
        for (i, b) in ctx.effective_balances.iter().enumerate() {
            if ctx.is_participating(i, flag_index) {
                balance = balance.checked_add(*b).ok_or(StateError::Overflow)?;
            }
        }
        *slot = (balance.max(increment) / increment) as u128;
    }
    let ideal_flag = |effective_balance: Gwei, flag_index: usize| -> Result<i64> {
        if ctx.in_inactivity_leak {
            return Ok(0);
        }
        let base_reward = (effective_balance / increment) as u128 * per_increment;
        let numerator = base_reward
            * PARTICIPATION_FLAG_WEIGHTS[flag_index] as u128
            * participating_increments[flag_index];
        let reward = numerator / (active_increments * WEIGHT_DENOMINATOR as u128);
        i64::try_from(reward).map_err(|_| StateError::Overflow)
    };
    let ideal = balances
        .into_iter()
        .map(|b| {
            Ok((
                b,
                AttestationReward {
                    head: ideal_flag(b, TIMELY_HEAD_FLAG_INDEX)?,
                    target: ideal_flag(b, TIMELY_TARGET_FLAG_INDEX)?,
                    source: ideal_flag(b, TIMELY_SOURCE_FLAG_INDEX)?,
                    inactivity: 0,
                },
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AttestationRewards {
        total,
        effective_balances: ctx.effective_balances.clone(),
        ideal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::add_flag;
    use crate::genesis::interop_genesis_state;
    use crate::per_slot::process_slots;
    use types::{ForkName, MinimalEthSpec};

    type E = MinimalEthSpec;

    fn state_at(slot: u64) -> (BeaconState<E>, ChainSpec) {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Electra);
        let mut state =
            interop_genesis_state::<E>(64, 0, ForkName::Electra, None, &spec).expect("a genesis");
        process_slots(&mut state, slot, &spec).expect("slots");
        (state, spec)
    }

    /// 64 validators of 32 ETH (minimal preset: 8 slots an epoch, a sync committee of 32):
    /// total active balance 2_048_000_000_000 Gwei, whose integer square root is 1_431_083, so
    /// `get_base_reward_per_increment` = 10^9 * 64 / 1_431_083 = 44_721; total base rewards
    /// 44_721 * 2_048 = 91_588_608; max participant rewards 91_588_608 * 2 / 64 / 8 = 357_768;
    /// participant reward 357_768 / 32 = 11_180; proposer reward 11_180 * 8 / 56 = 1_597.
    #[test]
    fn sync_amounts_match_the_hand_computation() {
        let (state, _) = state_at(1);
        let mut caches = StateCaches::new();
        caches.prepare(&state).unwrap();
        let amounts = sync_reward_amounts(&state, &caches).unwrap();
        assert_eq!(amounts.participant_reward, 11_180);
        assert_eq!(amounts.proposer_reward, 1_597);

        // Every position present: each member earns 11_180 per position it holds.
        let bits = vec![true; 32];
        let rewards = compute_sync_committee_rewards(&state, &bits).unwrap();
        let positions: i64 = rewards.iter().map(|(_, r)| r / 11_180).sum();
        assert_eq!(positions, 32);
        // One absent position costs its holder 11_180 instead.
        let mut bits = vec![true; 32];
        bits[0] = false;
        let rewards = compute_sync_committee_rewards(&state, &bits).unwrap();
        let total: i64 = rewards.iter().map(|(_, r)| r).sum();
        assert_eq!(total, 30 * 11_180);
        assert!(compute_sync_committee_rewards(&state, &[true; 3]).is_err());
    }

    /// Epoch 1 ends with every validator having attested to every flag in epoch 0: each earns, per
    /// flag, base_reward * weight * participating_increments / (active_increments * 64), with
    /// base_reward = 32 * 44_721 = 1_431_072 and participating = active = 2_048 increments: source
    /// 1_431_072 * 14 / 64 = 313_047, target 1_431_072 * 26 / 64 = 581_373, head as source.
    #[test]
    fn attestation_rewards_match_the_hand_computation() {
        let (mut state, spec) = state_at(15);
        let all = add_flag(add_flag(add_flag(0, 0), 1), 2);
        let n = state.validators().len();
        // Validator 3 missed everything: it pays the source and target penalties, not the head one.
        let mut flags = vec![all; n];
        flags[3] = 0;
        *state.previous_epoch_participation_mut() = types::ParticipationList::new(flags).unwrap();
        let rewards = compute_attestation_rewards(&state, &spec).unwrap();
        // 63 of 64 participated: 2_016 participating increments.
        let source = 1_431_072u128 * 14 * 2_016 / (2_048 * 64);
        let target = 1_431_072u128 * 26 * 2_016 / (2_048 * 64);
        assert_eq!(rewards.total[0].source, source as i64);
        assert_eq!(rewards.total[0].target, target as i64);
        assert_eq!(rewards.total[0].head, source as i64);
        assert_eq!(rewards.total[0].inactivity, 0);
        assert_eq!(rewards.total[3].source, -313_047);
        assert_eq!(rewards.total[3].target, -581_373);
        assert_eq!(rewards.total[3].head, 0);
        // Its inactivity score rises by the bias (4) and, out of a leak, recovers by 16: no penalty.
        assert_eq!(rewards.total[3].inactivity, 0);
        assert_eq!(rewards.ideal.len(), 1);
        assert_eq!(rewards.ideal[0].0, 32_000_000_000);
        assert_eq!(rewards.ideal[0].1.source, source as i64);
        // Not at an epoch's last slot: refused.
        let (state, spec) = state_at(12);
        assert!(compute_attestation_rewards(&state, &spec).is_err());
    }
}
