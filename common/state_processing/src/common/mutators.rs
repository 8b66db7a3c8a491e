//! State mutators: balances, exits and the Electra churn queues, slashing, compounding switches and new
//! validators.

use super::accessors::{
    get_activation_exit_churn_limit, get_beacon_proposer_index, get_consolidation_churn_limit,
    get_current_epoch, get_validator_churn_limit, set_or_append_list,
};
use super::math::{compute_activation_exit_epoch, safe_add, safe_mul};
use super::participation::{PROPOSER_WEIGHT, WEIGHT_DENOMINATOR};
use super::predicates::{get_max_effective_balance, COMPOUNDING_WITHDRAWAL_PREFIX};
use crate::{Result, StateError};
use types::{
    BeaconState, ChainSpec, Epoch, EthSpec, ForkName, Gwei, Hash256, PendingDeposit,
    PublicKeyBytes, SignatureBytes, Validator, ValidatorIndex, FAR_FUTURE_EPOCH, GENESIS_SLOT,
};

fn validator_mut<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
) -> Result<&mut Validator> {
    state
        .validators_mut()
        .get_mut(index as usize)
        .ok_or(StateError::UnknownValidator(index))
}

fn validator<E: EthSpec>(state: &BeaconState<E>, index: ValidatorIndex) -> Result<&Validator> {
    state
        .validators()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))
}

fn balance_mut<E: EthSpec>(state: &mut BeaconState<E>, index: ValidatorIndex) -> Result<&mut Gwei> {
    state
        .balances_mut()
        .get_mut(index as usize)
        .ok_or(StateError::UnknownValidator(index))
}

/// `increase_balance` (phase0).
pub fn increase_balance<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    delta: Gwei,
) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let balance = balance_mut(state, index)?;
    *balance = safe_add(*balance, delta)?;
    Ok(())
}

/// `decrease_balance` (phase0): saturates at zero.
pub fn decrease_balance<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    delta: Gwei,
) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let balance = balance_mut(state, index)?;
    *balance = balance.saturating_sub(delta);
    Ok(())
}

/// `initiate_validator_exit`: phase0's exit queue (by validator count) before Electra, Electra's
/// balance-weighted `compute_exit_epoch_and_update_churn` from Electra on. No-op if already exiting.
pub fn initiate_validator_exit<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<()> {
    if validator(state, index)?.exit_epoch != FAR_FUTURE_EPOCH {
        return Ok(());
    }
    let mut churn = ExitChurn::new(state, spec)?;
    initiate_validator_exit_with(state, index, spec, &mut churn)
}

/// What `initiate_validator_exit` reads from the whole registry (a pass over it, or several before
/// Electra), computed once for a run of exits during which no effective balance and no current-epoch
/// activity changes, such as the ejections of `process_registry_updates`: on a million validators a
/// pass per ejection would cost seconds in a leak. [`initiate_validator_exit_with`] keeps it current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitChurn {
    /// From Electra on: `get_activation_exit_churn_limit`.
    Balance { per_epoch_churn: Gwei },
    /// Before Electra: the latest exit epoch set (if any), how many validators exit at it, and
    /// `get_validator_churn_limit`.
    Count {
        latest_exit_epoch: Option<Epoch>,
        exiting_at_latest: u64,
        churn_limit: u64,
    },
}

impl ExitChurn {
    /// Read from `state`.
    pub fn new<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> Result<Self> {
        if state.fork_name().electra_enabled() {
            return Ok(Self::Balance {
                per_epoch_churn: get_activation_exit_churn_limit(state, spec)?,
            });
        }
        let mut queue = ExitQueueTail::default();
        for v in state.validators().iter() {
            queue.observe(v.exit_epoch);
        }
        Ok(queue.into_churn(get_validator_churn_limit(state, spec)))
    }
}

/// The tail of the pre-Electra exit queue, gathered validator by validator (in any order, from any
/// part of the registry: tails of two parts merge with [`Self::merge`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExitQueueTail {
    latest_exit_epoch: Option<Epoch>,
    exiting_at_latest: u64,
}

impl ExitQueueTail {
    /// Count a validator's `exit_epoch`.
    pub fn observe(&mut self, exit_epoch: Epoch) {
        if exit_epoch == FAR_FUTURE_EPOCH {
            return;
        }
        match self.latest_exit_epoch {
            Some(latest) if latest == exit_epoch => self.exiting_at_latest += 1,
            Some(latest) if latest > exit_epoch => {}
            _ => {
                self.latest_exit_epoch = Some(exit_epoch);
                self.exiting_at_latest = 1;
            }
        }
    }

    /// The tail of both parts.
    pub fn merge(self, other: Self) -> Self {
        match (self.latest_exit_epoch, other.latest_exit_epoch) {
            (Some(a), Some(b)) if a == b => Self {
                latest_exit_epoch: Some(a),
                exiting_at_latest: self.exiting_at_latest + other.exiting_at_latest,
            },
            (Some(a), Some(b)) if a > b => self,
            (Some(_), None) => self,
            _ => other,
        }
    }

    /// The [`ExitChurn`] before Electra, given `get_validator_churn_limit`.
    pub fn into_churn(self, churn_limit: u64) -> ExitChurn {
        ExitChurn::Count {
            latest_exit_epoch: self.latest_exit_epoch,
            exiting_at_latest: self.exiting_at_latest,
            churn_limit,
        }
    }
}

/// `initiate_validator_exit` reading the registry-wide values from `churn` (see [`ExitChurn`]), which
/// it updates with the exit it sets.
pub fn initiate_validator_exit_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
    spec: &ChainSpec,
    churn: &mut ExitChurn,
) -> Result<()> {
    let v = validator(state, index)?;
    if v.exit_epoch != FAR_FUTURE_EPOCH {
        return Ok(());
    }
    let effective_balance = v.effective_balance;
    let activation_exit_epoch = compute_activation_exit_epoch::<E>(get_current_epoch(state))?;
    let exit_queue_epoch = match churn {
        ExitChurn::Balance { per_epoch_churn } => {
            if !state.fork_name().electra_enabled() {
                return Err(StateError::Other(
                    "Electra exit churn on a pre-Electra state".into(),
                ));
            }
            compute_exit_epoch_and_update_churn_with(state, effective_balance, *per_epoch_churn)?
        }
        ExitChurn::Count {
            latest_exit_epoch,
            exiting_at_latest,
            churn_limit,
        } => {
            if state.fork_name().electra_enabled() {
                return Err(StateError::Other(
                    "pre-Electra exit churn on an Electra state".into(),
                ));
            }
            // The exit epochs of the registry, then the churn at the queue's epoch.
            let mut exit_queue_epoch = latest_exit_epoch.map_or(activation_exit_epoch, |latest| {
                latest.max(activation_exit_epoch)
            });
            let exiting = if *latest_exit_epoch == Some(exit_queue_epoch) {
                *exiting_at_latest
            } else {
                0
            };
            if exiting >= *churn_limit {
                exit_queue_epoch = safe_add(exit_queue_epoch, 1)?;
            }
            if *latest_exit_epoch == Some(exit_queue_epoch) {
                *exiting_at_latest += 1;
            } else {
                *latest_exit_epoch = Some(exit_queue_epoch);
                *exiting_at_latest = 1;
            }
            exit_queue_epoch
        }
    };
    let withdrawable_epoch = safe_add(exit_queue_epoch, spec.min_validator_withdrawability_delay)?;
    let v = validator_mut(state, index)?;
    v.exit_epoch = exit_queue_epoch;
    v.withdrawable_epoch = withdrawable_epoch;
    Ok(())
}

/// `slash_validator`: exit, mark slashed, record the slashing, penalise and reward the proposer and the
/// whistleblower (the proposer if `None`). Bellatrix quotients before Electra, Electra's from Electra on.
pub fn slash_validator<E: EthSpec>(
    state: &mut BeaconState<E>,
    slashed_index: ValidatorIndex,
    whistleblower_index: Option<ValidatorIndex>,
    spec: &ChainSpec,
) -> Result<()> {
    let proposer_index = get_beacon_proposer_index(state)?;
    slash_validator_with_proposer(
        state,
        slashed_index,
        whistleblower_index,
        proposer_index,
        spec,
    )
}

/// [`slash_validator`] with the proposer of the state's slot already known (block processing has it
/// from the verified block header); `proposer_index` must equal `get_beacon_proposer_index(state)`.
pub fn slash_validator_with_proposer<E: EthSpec>(
    state: &mut BeaconState<E>,
    slashed_index: ValidatorIndex,
    whistleblower_index: Option<ValidatorIndex>,
    proposer_index: ValidatorIndex,
    spec: &ChainSpec,
) -> Result<()> {
    let epoch = get_current_epoch(state);
    initiate_validator_exit(state, slashed_index, spec)?;
    let slashings_len = E::epochs_per_slashings_vector() as u64;
    let min_withdrawable = safe_add(epoch, slashings_len)?;
    let v = validator_mut(state, slashed_index)?;
    v.slashed = true;
    v.withdrawable_epoch = v.withdrawable_epoch.max(min_withdrawable);
    let effective_balance = v.effective_balance;
    let slashing = state
        .slashings_mut()
        .get_mut((epoch % slashings_len) as usize)
        .ok_or_else(|| StateError::Other("slashings vector too short".into()))?;
    *slashing = safe_add(*slashing, effective_balance)?;

    let (penalty_quotient, whistleblower_quotient) = if state.fork_name().electra_enabled() {
        (
            E::MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA,
            E::WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA,
        )
    } else {
        (
            E::MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX,
            E::WHISTLEBLOWER_REWARD_QUOTIENT,
        )
    };
    decrease_balance(state, slashed_index, effective_balance / penalty_quotient)?;

    let whistleblower_index = whistleblower_index.unwrap_or(proposer_index);
    let whistleblower_reward = effective_balance / whistleblower_quotient;
    let proposer_reward = safe_mul(whistleblower_reward, PROPOSER_WEIGHT)? / WEIGHT_DENOMINATOR;
    increase_balance(state, proposer_index, proposer_reward)?;
    increase_balance(
        state,
        whistleblower_index,
        whistleblower_reward - proposer_reward,
    )?;
    Ok(())
}

/// `compute_exit_epoch_and_update_churn` (electra): the exit epoch for `exit_balance`, consuming the
/// activation/exit churn.
pub fn compute_exit_epoch_and_update_churn<E: EthSpec>(
    state: &mut BeaconState<E>,
    exit_balance: Gwei,
    spec: &ChainSpec,
) -> Result<Epoch> {
    let per_epoch_churn = get_activation_exit_churn_limit(state, spec)?;
    compute_exit_epoch_and_update_churn_with(state, exit_balance, per_epoch_churn)
}

/// `compute_exit_epoch_and_update_churn` given `get_activation_exit_churn_limit` (`per_epoch_churn`).
fn compute_exit_epoch_and_update_churn_with<E: EthSpec>(
    state: &mut BeaconState<E>,
    exit_balance: Gwei,
    per_epoch_churn: Gwei,
) -> Result<Epoch> {
    let (epoch, to_consume) = consume_churn(
        state.earliest_exit_epoch()?,
        state.exit_balance_to_consume()?,
        compute_activation_exit_epoch::<E>(get_current_epoch(state))?,
        per_epoch_churn,
        exit_balance,
    )?;
    *state.exit_balance_to_consume_mut()? = to_consume;
    *state.earliest_exit_epoch_mut()? = epoch;
    Ok(epoch)
}

/// `compute_consolidation_epoch_and_update_churn` (electra): the epoch a consolidation of
/// `consolidation_balance` completes, consuming the consolidation churn.
pub fn compute_consolidation_epoch_and_update_churn<E: EthSpec>(
    state: &mut BeaconState<E>,
    consolidation_balance: Gwei,
    spec: &ChainSpec,
) -> Result<Epoch> {
    let per_epoch_churn = get_consolidation_churn_limit(state, spec)?;
    let (epoch, to_consume) = consume_churn(
        state.earliest_consolidation_epoch()?,
        state.consolidation_balance_to_consume()?,
        compute_activation_exit_epoch::<E>(get_current_epoch(state))?,
        per_epoch_churn,
        consolidation_balance,
    )?;
    *state.consolidation_balance_to_consume_mut()? = to_consume;
    *state.earliest_consolidation_epoch_mut()? = epoch;
    Ok(epoch)
}

/// The queue arithmetic shared by exits and consolidations: returns the new earliest epoch and the
/// balance left to consume in it.
fn consume_churn(
    state_earliest_epoch: Epoch,
    state_balance_to_consume: Gwei,
    activation_exit_epoch: Epoch,
    per_epoch_churn: Gwei,
    balance: Gwei,
) -> Result<(Epoch, Gwei)> {
    let mut earliest_epoch = state_earliest_epoch.max(activation_exit_epoch);
    let mut balance_to_consume = if state_earliest_epoch < earliest_epoch {
        per_epoch_churn
    } else {
        state_balance_to_consume
    };
    if balance > balance_to_consume {
        if per_epoch_churn == 0 {
            return Err(StateError::Other("per-epoch churn is zero".into()));
        }
        let balance_to_process = balance - balance_to_consume;
        let additional_epochs = (balance_to_process - 1) / per_epoch_churn + 1;
        earliest_epoch = safe_add(earliest_epoch, additional_epochs)?;
        balance_to_consume = safe_add(
            balance_to_consume,
            safe_mul(additional_epochs, per_epoch_churn)?,
        )?;
    }
    Ok((earliest_epoch, balance_to_consume - balance))
}

/// `queue_excess_active_balance` (electra): move the balance above 32 ETH into a pending deposit
/// (infinity signature, `GENESIS_SLOT`) so that it goes through the activation churn.
pub fn queue_excess_active_balance<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
) -> Result<()> {
    let balance = *state
        .balances()
        .get(index as usize)
        .ok_or(StateError::UnknownValidator(index))?;
    if balance > E::MIN_ACTIVATION_BALANCE {
        let excess_balance = balance - E::MIN_ACTIVATION_BALANCE;
        *balance_mut(state, index)? = E::MIN_ACTIVATION_BALANCE;
        let v = validator(state, index)?;
        let deposit = PendingDeposit {
            pubkey: v.pubkey,
            withdrawal_credentials: v.withdrawal_credentials,
            amount: excess_balance,
            signature: SignatureBytes::infinity(),
            slot: GENESIS_SLOT,
        };
        state.pending_deposits_mut()?.push(deposit)?;
    }
    Ok(())
}

/// `switch_to_compounding_validator` (electra): rewrite the credential prefix to `0x02` and queue the
/// excess balance.
pub fn switch_to_compounding_validator<E: EthSpec>(
    state: &mut BeaconState<E>,
    index: ValidatorIndex,
) -> Result<()> {
    let v = validator_mut(state, index)?;
    let mut credentials = v.withdrawal_credentials;
    credentials.0[0] = COMPOUNDING_WITHDRAWAL_PREFIX;
    v.withdrawal_credentials = credentials;
    queue_excess_active_balance(state, index)
}

/// `get_validator_from_deposit`: a new validator with its effective balance from `amount` (capped at
/// 32 ETH before Electra, at `get_max_effective_balance` from Electra on).
pub fn get_validator_from_deposit<E: EthSpec>(
    pubkey: PublicKeyBytes,
    withdrawal_credentials: Hash256,
    amount: Gwei,
    fork: ForkName,
) -> Validator {
    let mut validator = Validator {
        pubkey,
        withdrawal_credentials,
        effective_balance: 0,
        slashed: false,
        activation_eligibility_epoch: FAR_FUTURE_EPOCH,
        activation_epoch: FAR_FUTURE_EPOCH,
        exit_epoch: FAR_FUTURE_EPOCH,
        withdrawable_epoch: FAR_FUTURE_EPOCH,
    };
    let max_effective_balance = if fork.electra_enabled() {
        get_max_effective_balance::<E>(&validator)
    } else {
        E::MAX_EFFECTIVE_BALANCE
    };
    validator.effective_balance =
        (amount - amount % E::EFFECTIVE_BALANCE_INCREMENT).min(max_effective_balance);
    validator
}

/// `add_validator_to_registry` (altair; Electra's effective balance from Electra on): append a validator
/// with its balance, empty participation and a zero inactivity score.
pub fn add_validator_to_registry<E: EthSpec>(
    state: &mut BeaconState<E>,
    pubkey: PublicKeyBytes,
    withdrawal_credentials: Hash256,
    amount: Gwei,
) -> Result<()> {
    let index = state.validators().len();
    let validator =
        get_validator_from_deposit::<E>(pubkey, withdrawal_credentials, amount, state.fork_name());
    set_or_append_list(state.validators_mut(), index, validator)?;
    set_or_append_list(state.balances_mut(), index, amount)?;
    state.previous_epoch_participation_mut().push(0)?;
    state.current_epoch_participation_mut().push(0)?;
    set_or_append_list(state.inactivity_scores_mut(), index, 0)?;
    Ok(())
}

/// Write `changes` (`(index, value)`, distinct indices below the list's length) into `list`. With no
/// writes staged yet, they are handed to milhouse as one update map (`bulk_update`), which spares
/// `get_mut`'s tree walk per entry; the tree is rebuilt along the changed paths only when the state is
/// next hashed, so untouched subtrees keep their cached hashes.
pub fn write_list_entries<T, N, U>(
    list: &mut milhouse::List<T, N, U>,
    changes: impl IntoIterator<Item = (usize, T)>,
) -> Result<()>
where
    T: milhouse::Value,
    N: types::ssz_types::typenum::Unsigned,
    U: milhouse::UpdateMap<T>,
{
    let len = list.len();
    if list.has_pending_updates() {
        for (index, value) in changes {
            *list
                .get_mut(index)
                .ok_or(StateError::UnknownValidator(index as u64))? = value;
        }
        return Ok(());
    }
    let mut updates = U::default();
    for (index, value) in changes {
        if index >= len {
            return Err(StateError::UnknownValidator(index as u64));
        }
        updates.insert(index, value);
    }
    if updates.is_empty() {
        return Ok(());
    }
    list.bulk_update(updates)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::interop_genesis_state;
    use types::ssz_types::typenum::U1024;
    use types::MinimalEthSpec;

    /// A run of exits through one [`ExitChurn`] sets the epochs that `initiate_validator_exit` one by
    /// one sets (past the churn limit, and behind exits already queued), before and from Electra.
    #[test]
    fn exits_through_one_churn_match_exits_one_by_one() {
        for fork in [ForkName::Capella, ForkName::Electra] {
            let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(fork);
            let mut state =
                interop_genesis_state::<MinimalEthSpec>(64, 0, fork, None, &spec).unwrap();
            *state.slot_mut() = 10 * MinimalEthSpec::slots_per_epoch();
            for index in [20, 21] {
                validator_mut(&mut state, index).unwrap().exit_epoch = 30;
            }
            let exiting = [0, 1, 2, 3, 4, 5, 6, 20];
            let mut one_by_one = state.clone();
            for &index in &exiting {
                initiate_validator_exit(&mut one_by_one, index, &spec).unwrap();
            }
            let mut churn = ExitChurn::new(&state, &spec).unwrap();
            for &index in &exiting {
                initiate_validator_exit_with(&mut state, index, &spec, &mut churn).unwrap();
            }
            assert_eq!(
                state.update_tree_hash_cache().unwrap(),
                one_by_one.update_tree_hash_cache().unwrap(),
                "{fork}"
            );
            let epochs: Vec<_> = exiting
                .iter()
                .map(|&i| validator(&state, i).unwrap().exit_epoch)
                .collect();
            // Before Electra the queue starts behind the latest exit epoch set.
            let queued_behind = epochs.iter().all(|&e| e >= 30);
            assert_eq!(queued_behind, !fork.electra_enabled(), "{fork}: {epochs:?}");
            assert!(
                epochs.windows(2).any(|w| w[0] != w[1]),
                "{fork}: {epochs:?}"
            );
        }
    }

    #[test]
    fn write_list_entries_staged_or_bulk_give_the_same_list() {
        let base = milhouse::List::<u64, U1024>::new((0..300).collect()).unwrap();
        let changes = [(0usize, 7u64), (33, 9), (299, 1)];
        let mut bulk = base.clone();
        write_list_entries(&mut bulk, changes).unwrap();
        let mut staged = base.clone();
        *staged.get_mut(5).unwrap() = 5;
        write_list_entries(&mut staged, changes).unwrap();
        bulk.apply_updates().unwrap();
        staged.apply_updates().unwrap();
        let mut expected: Vec<u64> = (0..300).collect();
        for (i, v) in changes {
            expected[i] = v;
        }
        assert_eq!(bulk.to_vec(), expected);
        assert_eq!(staged.to_vec(), expected);
        assert!(write_list_entries(&mut bulk, [(300, 1)]).is_err());
    }
}
