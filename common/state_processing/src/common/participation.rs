//! Altair participation flags and the rewards built on them: base rewards, participating sets and the
//! per-flag and inactivity deltas (unchanged from Bellatrix to Fulu).

use super::accessors::{get_current_epoch, get_previous_epoch, get_total_active_balance};
use super::math::{integer_squareroot, safe_add};
use super::predicates::is_active_validator;
use crate::{Result, StateError};
use types::{BeaconState, ChainSpec, Epoch, EthSpec, Gwei, ValidatorIndex};

/// `TIMELY_SOURCE_FLAG_INDEX` (altair).
pub const TIMELY_SOURCE_FLAG_INDEX: usize = 0;
/// `TIMELY_TARGET_FLAG_INDEX` (altair).
pub const TIMELY_TARGET_FLAG_INDEX: usize = 1;
/// `TIMELY_HEAD_FLAG_INDEX` (altair).
pub const TIMELY_HEAD_FLAG_INDEX: usize = 2;
/// `TIMELY_SOURCE_WEIGHT` (altair).
pub const TIMELY_SOURCE_WEIGHT: u64 = 14;
/// `TIMELY_TARGET_WEIGHT` (altair).
pub const TIMELY_TARGET_WEIGHT: u64 = 26;
/// `TIMELY_HEAD_WEIGHT` (altair).
pub const TIMELY_HEAD_WEIGHT: u64 = 14;
/// `SYNC_REWARD_WEIGHT` (altair).
pub const SYNC_REWARD_WEIGHT: u64 = 2;
/// `PROPOSER_WEIGHT` (altair).
pub const PROPOSER_WEIGHT: u64 = 8;
/// `WEIGHT_DENOMINATOR` (altair).
pub const WEIGHT_DENOMINATOR: u64 = 64;
/// `PARTICIPATION_FLAG_WEIGHTS` (altair), indexed by flag index.
pub const PARTICIPATION_FLAG_WEIGHTS: [u64; 3] = [
    TIMELY_SOURCE_WEIGHT,
    TIMELY_TARGET_WEIGHT,
    TIMELY_HEAD_WEIGHT,
];

/// `add_flag` (altair).
pub fn add_flag(flags: u8, flag_index: usize) -> u8 {
    flags | (1 << flag_index)
}

/// `has_flag` (altair).
pub fn has_flag(flags: u8, flag_index: usize) -> bool {
    flag_index < 8 && flags & (1 << flag_index) != 0
}

/// The summed `PARTICIPATION_FLAG_WEIGHTS` of the flags set in `flags`: what `process_attestation`
/// weighs an attester's base reward by, for the flags it newly earns, in the proposer's reward.
pub fn participation_flags_weight(flags: u8) -> u64 {
    PARTICIPATION_FLAG_WEIGHTS
        .iter()
        .enumerate()
        .filter(|(flag_index, _)| has_flag(flags, *flag_index))
        .map(|(_, weight)| weight)
        .sum()
}

/// `get_base_reward_per_increment` from a total active balance.
pub fn base_reward_per_increment<E: EthSpec>(total_active_balance: Gwei) -> Gwei {
    E::EFFECTIVE_BALANCE_INCREMENT * E::BASE_REWARD_FACTOR
        / integer_squareroot(total_active_balance).max(1)
}

/// `get_base_reward_per_increment` (altair).
pub fn get_base_reward_per_increment<E: EthSpec>(state: &BeaconState<E>) -> Result<Gwei> {
    Ok(base_reward_per_increment::<E>(get_total_active_balance(
        state,
    )?))
}

/// `get_base_reward` (altair): effective-balance increments times the base reward per increment.
pub fn get_base_reward<E: EthSpec>(state: &BeaconState<E>, index: ValidatorIndex) -> Result<Gwei> {
    let validator = state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    let increments = validator.effective_balance / E::EFFECTIVE_BALANCE_INCREMENT;
    increments
        .checked_mul(get_base_reward_per_increment(state)?)
        .ok_or(StateError::Overflow)
}

/// For each validator, whether it is active at `epoch`, unslashed and has `flag_index` set in that
/// epoch's participation (`epoch` must be the previous or current epoch).
pub fn unslashed_participating_mask<E: EthSpec>(
    state: &BeaconState<E>,
    flag_index: usize,
    epoch: Epoch,
) -> Result<Vec<bool>> {
    let participation = if epoch == get_current_epoch(state) {
        state.current_epoch_participation()
    } else if epoch == get_previous_epoch(state) {
        state.previous_epoch_participation()
    } else {
        return Err(StateError::EpochOutOfRange {
            epoch,
            current_epoch: get_current_epoch(state),
        });
    };
    let validators = state.validators();
    if participation.len() != validators.len() {
        return Err(StateError::Other(
            "participation list length differs from the registry".into(),
        ));
    }
    Ok(validators
        .iter()
        .zip(participation.iter())
        .map(|(v, &flags)| {
            is_active_validator(v, epoch) && !v.slashed && has_flag(flags, flag_index)
        })
        .collect())
}

/// `get_unslashed_participating_indices` (altair), ascending.
pub fn get_unslashed_participating_indices<E: EthSpec>(
    state: &BeaconState<E>,
    flag_index: usize,
    epoch: Epoch,
) -> Result<Vec<ValidatorIndex>> {
    Ok(unslashed_participating_mask(state, flag_index, epoch)?
        .into_iter()
        .enumerate()
        .filter(|(_, p)| *p)
        .map(|(i, _)| i as ValidatorIndex)
        .collect())
}

/// `get_eligible_validator_indices` (phase0): active in the previous epoch, or slashed and not yet
/// withdrawable. One flag per validator.
pub fn eligible_validator_mask<E: EthSpec>(state: &BeaconState<E>) -> Vec<bool> {
    let previous_epoch = get_previous_epoch(state);
    state
        .validators()
        .iter()
        .map(|v| {
            is_active_validator(v, previous_epoch)
                || (v.slashed && previous_epoch.saturating_add(1) < v.withdrawable_epoch)
        })
        .collect()
}

/// `get_eligible_validator_indices` (phase0), ascending.
pub fn get_eligible_validator_indices<E: EthSpec>(state: &BeaconState<E>) -> Vec<ValidatorIndex> {
    eligible_validator_mask(state)
        .into_iter()
        .enumerate()
        .filter(|(_, e)| *e)
        .map(|(i, _)| i as ValidatorIndex)
        .collect()
}

/// `get_finality_delay` (phase0).
pub fn get_finality_delay<E: EthSpec>(state: &BeaconState<E>) -> u64 {
    get_previous_epoch(state).saturating_sub(state.finalized_checkpoint().epoch)
}

/// `is_in_inactivity_leak` (phase0).
pub fn is_in_inactivity_leak<E: EthSpec>(state: &BeaconState<E>) -> bool {
    get_finality_delay(state) > E::MIN_EPOCHS_TO_INACTIVITY_PENALTY
}

fn to_gwei(value: u128) -> Result<Gwei> {
    Gwei::try_from(value).map_err(|_| StateError::Overflow)
}

/// The per-flag constants of `get_flag_index_deltas`.
#[derive(Debug, Clone, Copy)]
struct FlagConstants {
    flag_index: usize,
    weight: u64,
    participating_increments: u64,
    active_increments: u64,
    per_increment: Gwei,
}

/// One flag's `get_flag_index_deltas` entry for a given effective balance: the reward when the
/// validator has the flag, the penalty when it has not.
#[derive(Debug, Clone, Copy, Default)]
struct FlagDeltas {
    reward: Gwei,
    penalty: Gwei,
}

/// Increment counts up to this many get a row in `apply_deltas`' table (2048 ETH is 2048 increments on
/// mainnet); larger effective balances, which only a malformed state has, are computed directly.
const DELTA_TABLE_MAX_INCREMENTS: usize = 1 << 16;

/// Rewards and penalties, one entry per validator.
pub type Deltas = (Vec<Gwei>, Vec<Gwei>);

/// What the altair reward functions read from a state, gathered in one pass over the registry (the
/// spec's functions each rescan it; on a million validators that dominates epoch processing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardsContext {
    /// Effective balance of every validator.
    pub effective_balances: Vec<Gwei>,
    /// `get_eligible_validator_indices`, as one flag per validator.
    pub eligible: Vec<bool>,
    /// Previous-epoch participation flags of the validators active and unslashed in the previous
    /// epoch; 0 for every other validator (so `has_flag` on it is membership in
    /// `get_unslashed_participating_indices(state, flag, previous_epoch)`).
    pub participation: Vec<u8>,
    /// `inactivity_scores`.
    pub inactivity_scores: Vec<u64>,
    /// `get_total_active_balance`.
    pub total_active_balance: Gwei,
    /// `is_in_inactivity_leak`.
    pub in_inactivity_leak: bool,
}

impl RewardsContext {
    /// Gather the context from `state` (the previous epoch's participation).
    pub fn new<E: EthSpec>(state: &BeaconState<E>) -> Result<Self> {
        let current_epoch = get_current_epoch(state);
        let previous_epoch = get_previous_epoch(state);
        // At genesis the previous epoch is the current one, and the spec reads current participation.
        let flags_list = if previous_epoch == current_epoch {
            state.current_epoch_participation()
        } else {
            state.previous_epoch_participation()
        };
        let validators = state.validators();
        let scores = state.inactivity_scores();
        let n = validators.len();
        if flags_list.len() != n || scores.len() != n {
            return Err(StateError::Other(
                "participation or inactivity lists differ in length from the registry".into(),
            ));
        }
        let mut ctx = Self {
            effective_balances: Vec::with_capacity(n),
            eligible: Vec::with_capacity(n),
            participation: Vec::with_capacity(n),
            inactivity_scores: Vec::with_capacity(n),
            total_active_balance: 0,
            in_inactivity_leak: is_in_inactivity_leak(state),
        };
        let mut total_active: Gwei = 0;
        for ((v, &flags), &score) in validators.iter().zip(flags_list.iter()).zip(scores.iter()) {
            let active_previous = is_active_validator(v, previous_epoch);
            if is_active_validator(v, current_epoch) {
                total_active = safe_add(total_active, v.effective_balance)?;
            }
            ctx.effective_balances.push(v.effective_balance);
            ctx.eligible.push(
                active_previous
                    || (v.slashed && previous_epoch.saturating_add(1) < v.withdrawable_epoch),
            );
            ctx.participation.push(if active_previous && !v.slashed {
                flags
            } else {
                0
            });
            ctx.inactivity_scores.push(score);
        }
        ctx.total_active_balance = total_active.max(E::EFFECTIVE_BALANCE_INCREMENT);
        Ok(ctx)
    }

    /// An error unless every per-validator vector has one entry per validator (the fields are public, and
    /// the passes below index them together).
    pub fn check_lengths(&self) -> Result<()> {
        let n = self.effective_balances.len();
        if self.eligible.len() != n
            || self.participation.len() != n
            || self.inactivity_scores.len() != n
        {
            return Err(StateError::Other(
                "rewards context vectors differ in length".into(),
            ));
        }
        Ok(())
    }

    /// Whether validator `index` is in `get_unslashed_participating_indices(state, flag_index,
    /// previous_epoch)`.
    pub fn is_participating(&self, index: usize, flag_index: usize) -> bool {
        self.participation
            .get(index)
            .is_some_and(|&flags| has_flag(flags, flag_index))
    }

    /// The per-flag constants of `get_flag_index_deltas` for `flag_index`.
    fn flag_constants<E: EthSpec>(&self, flag_index: usize) -> Result<FlagConstants> {
        let weight = *PARTICIPATION_FLAG_WEIGHTS
            .get(flag_index)
            .ok_or_else(|| StateError::Other(format!("unknown flag index {flag_index}")))?;
        let mut participating_balance: Gwei = 0;
        for (index, &effective_balance) in self.effective_balances.iter().enumerate() {
            if self.is_participating(index, flag_index) {
                participating_balance = safe_add(participating_balance, effective_balance)?;
            }
        }
        Ok(FlagConstants {
            flag_index,
            weight,
            participating_increments: participating_balance.max(E::EFFECTIVE_BALANCE_INCREMENT)
                / E::EFFECTIVE_BALANCE_INCREMENT,
            active_increments: (self.total_active_balance / E::EFFECTIVE_BALANCE_INCREMENT).max(1),
            per_increment: base_reward_per_increment::<E>(self.total_active_balance),
        })
    }

    /// Validator `index`'s entry of `get_flag_index_deltas` (reward, penalty); `index` must be eligible.
    fn flag_index_delta<E: EthSpec>(
        &self,
        index: usize,
        c: &FlagConstants,
    ) -> Result<(Gwei, Gwei)> {
        let effective_balance = self.effective_balances[index];
        let base_reward =
            (effective_balance / E::EFFECTIVE_BALANCE_INCREMENT) as u128 * c.per_increment as u128;
        if self.is_participating(index, c.flag_index) {
            if !self.in_inactivity_leak {
                let numerator = base_reward * c.weight as u128 * c.participating_increments as u128;
                let reward = to_gwei(
                    numerator / (c.active_increments as u128 * WEIGHT_DENOMINATOR as u128),
                )?;
                return Ok((reward, 0));
            }
        } else if c.flag_index != TIMELY_HEAD_FLAG_INDEX {
            let penalty = to_gwei(base_reward * c.weight as u128 / WEIGHT_DENOMINATOR as u128)?;
            return Ok((0, penalty));
        }
        Ok((0, 0))
    }

    /// `get_flag_index_deltas` (altair).
    pub fn flag_index_deltas<E: EthSpec>(&self, flag_index: usize) -> Result<Deltas> {
        self.check_lengths()?;
        let c = self.flag_constants::<E>(flag_index)?;
        let n = self.effective_balances.len();
        let mut rewards = vec![0; n];
        let mut penalties = vec![0; n];
        for index in 0..n {
            if self.eligible[index] {
                (rewards[index], penalties[index]) = self.flag_index_delta::<E>(index, &c)?;
            }
        }
        Ok((rewards, penalties))
    }

    /// The denominator of `get_inactivity_penalty_deltas`.
    fn inactivity_denominator<E: EthSpec>(spec: &ChainSpec) -> Result<u128> {
        let denominator =
            spec.inactivity_score_bias as u128 * E::INACTIVITY_PENALTY_QUOTIENT_BELLATRIX as u128;
        if denominator == 0 {
            return Err(StateError::Other("INACTIVITY_SCORE_BIAS is zero".into()));
        }
        Ok(denominator)
    }

    /// `process_rewards_and_penalties`' balance updates: the three flag deltas, then the inactivity
    /// penalty deltas, each applied as `increase_balance` then `decrease_balance`. Every validator's
    /// balance depends only on its own deltas, so they are applied validator by validator in one pass,
    /// without materialising the delta lists. `balances` must have one entry per validator.
    pub fn apply_deltas<E: EthSpec>(&self, balances: &mut [Gwei], spec: &ChainSpec) -> Result<()> {
        self.check_lengths()?;
        if balances.len() != self.effective_balances.len() {
            return Err(StateError::Other(
                "balances and validators differ in length".into(),
            ));
        }
        let flags = (0..PARTICIPATION_FLAG_WEIGHTS.len())
            .map(|flag_index| self.flag_constants::<E>(flag_index))
            .collect::<Result<Vec<_>>>()?;
        let denominator = Self::inactivity_denominator::<E>(spec)?;
        // A validator's flag deltas depend only on its effective-balance increments and its flags, so
        // they are computed once per increment count (a few thousand at most in practice) rather than
        // with u128 divisions per validator.
        let mut table: Vec<Option<[FlagDeltas; 3]>> = vec![];
        for (index, balance) in balances.iter_mut().enumerate() {
            // Every delta of an ineligible validator is zero.
            if !self.eligible[index] {
                continue;
            }
            let effective_balance = self.effective_balances[index];
            let increments = effective_balance / E::EFFECTIVE_BALANCE_INCREMENT;
            let row = match usize::try_from(increments)
                .ok()
                .filter(|&i| i < DELTA_TABLE_MAX_INCREMENTS)
            {
                Some(i) => {
                    if table.len() <= i {
                        table.resize(i + 1, None);
                    }
                    match table[i] {
                        Some(row) => row,
                        None => {
                            let row = self.flag_deltas_row::<E>(effective_balance, &flags)?;
                            table[i] = Some(row);
                            row
                        }
                    }
                }
                None => self.flag_deltas_row::<E>(effective_balance, &flags)?,
            };
            let participation = self.participation.get(index).copied().unwrap_or(0);
            let mut value = *balance;
            for (flag_index, deltas) in row.iter().enumerate() {
                let (reward, penalty) = if has_flag(participation, flag_index) {
                    (deltas.reward, 0)
                } else {
                    (0, deltas.penalty)
                };
                value = value
                    .checked_add(reward)
                    .ok_or(StateError::Overflow)?
                    .saturating_sub(penalty);
            }
            if !has_flag(participation, TIMELY_TARGET_FLAG_INDEX) {
                let numerator = effective_balance as u128 * self.inactivity_scores[index] as u128;
                value = value.saturating_sub(to_gwei(numerator / denominator)?);
            }
            *balance = value;
        }
        Ok(())
    }

    /// The `get_flag_index_deltas` entries of a validator with `effective_balance`, per flag: the reward
    /// if it has the flag, the penalty if not.
    fn flag_deltas_row<E: EthSpec>(
        &self,
        effective_balance: Gwei,
        flags: &[FlagConstants],
    ) -> Result<[FlagDeltas; 3]> {
        let mut row = [FlagDeltas::default(); 3];
        for (deltas, c) in row.iter_mut().zip(flags) {
            let base_reward = (effective_balance / E::EFFECTIVE_BALANCE_INCREMENT) as u128
                * c.per_increment as u128;
            if !self.in_inactivity_leak {
                let numerator = base_reward * c.weight as u128 * c.participating_increments as u128;
                deltas.reward = to_gwei(
                    numerator / (c.active_increments as u128 * WEIGHT_DENOMINATOR as u128),
                )?;
            }
            if c.flag_index != TIMELY_HEAD_FLAG_INDEX {
                deltas.penalty =
                    to_gwei(base_reward * c.weight as u128 / WEIGHT_DENOMINATOR as u128)?;
            }
        }
        Ok(row)
    }

    /// `get_inactivity_penalty_deltas` (bellatrix form).
    pub fn inactivity_penalty_deltas<E: EthSpec>(&self, spec: &ChainSpec) -> Result<Deltas> {
        self.check_lengths()?;
        let n = self.effective_balances.len();
        let rewards = vec![0; n];
        let mut penalties = vec![0; n];
        let denominator = Self::inactivity_denominator::<E>(spec)?;
        for (index, &effective_balance) in self.effective_balances.iter().enumerate() {
            if self.eligible[index] && !self.is_participating(index, TIMELY_TARGET_FLAG_INDEX) {
                let numerator = effective_balance as u128 * self.inactivity_scores[index] as u128;
                penalties[index] = to_gwei(numerator / denominator)?;
            }
        }
        Ok((rewards, penalties))
    }
}

/// `get_flag_index_deltas` (altair): the rewards and penalties of `flag_index` for the previous epoch.
pub fn get_flag_index_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    flag_index: usize,
) -> Result<Deltas> {
    RewardsContext::new(state)?.flag_index_deltas::<E>(flag_index)
}

/// `get_inactivity_penalty_deltas` (bellatrix form): penalties for eligible validators that missed the
/// previous epoch's target, scaled by their inactivity scores.
pub fn get_inactivity_penalty_deltas<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
) -> Result<Deltas> {
    RewardsContext::new(state)?.inactivity_penalty_deltas::<E>(spec)
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MinimalEthSpec;

    /// A context whose vectors disagree in length (its fields are public) is an error, not a panic.
    #[test]
    fn a_context_of_uneven_vectors_is_refused() {
        type E = MinimalEthSpec;
        let spec = ChainSpec::minimal();
        let ctx = RewardsContext {
            effective_balances: vec![32_000_000_000; 3],
            eligible: vec![true; 3],
            participation: vec![0b111; 3],
            inactivity_scores: vec![0; 2],
            total_active_balance: 96_000_000_000,
            in_inactivity_leak: false,
        };
        assert!(ctx.flag_index_deltas::<E>(0).is_err());
        assert!(ctx.inactivity_penalty_deltas::<E>(&spec).is_err());
        assert!(ctx.apply_deltas::<E>(&mut [0; 3], &spec).is_err());
        let even = RewardsContext {
            inactivity_scores: vec![0; 3],
            ..ctx
        };
        let mut balances = [32_000_000_000; 3];
        even.apply_deltas::<E>(&mut balances, &spec).unwrap();
        assert!(balances.iter().all(|&b| b > 32_000_000_000));
    }
}
