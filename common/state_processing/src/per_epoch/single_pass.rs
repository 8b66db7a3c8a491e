//! `process_epoch` with the per-validator steps fused: one read pass over the registry, the balances, both
//! participation lists and the inactivity scores gathers what justification and finalization, inactivity
//! updates, rewards and penalties, registry updates, slashings, effective balance updates and the
//! proposer lookahead read; the steps then run in the spec's order on contiguous vectors, and each list
//! is written back once (balances rebuilt whole, since nearly every balance changes; the others through
//! staged writes of the changed entries only). On a large registry the pass runs as two threads over the
//! two halves of the lists. Along the way it computes what the new epoch's caches need (effective
//! balances, progressive balances, the next committee's active set) and leaves them in `StateCaches`.
//!
//! Why the gathered values stay exact although the steps change the state in between: each step's
//! per-validator condition reads only fields that no earlier step of the epoch changes for that
//! validator. Activation and exit epochs set by registry updates are at least `current_epoch + 1 +
//! MAX_SEED_LOOKAHEAD`, so activity at the current, next and lookahead epochs is fixed; slashed
//! validators already exit, so ejection never moves their withdrawable epoch (the ejected are checked
//! again all the same, for states that break this); effective balances change
//! only in the effective balance step, whose balances are read after every balance change. The scalar
//! inputs that do change (the finalized checkpoint, for the leak and for activations) are read from the
//! state when each step runs. The sub-steps stay callable alone (the spec vectors run them so), and the
//! spec tests compare this path with them.

use super::effective_balance_updates::{
    max_effective_balance_at, updated_effective_balance, write_effective_balances,
};
use super::inactivity_updates::updated_inactivity_score;
use super::registry_updates::{apply_registry_updates, RegistryCandidates};
use super::slashings::slashing_penalties;
use super::{
    process_eth1_data_reset, process_historical_summaries_update,
    process_participation_flag_updates, process_pending_consolidations, process_pending_deposits,
    process_randao_mixes_reset, process_slashings_reset, process_sync_committee_updates,
    weigh_justification_and_finalization,
};
use crate::caches::StateCaches;
use crate::common::{
    compute_proposer_indices_from_balances, get_current_epoch, get_previous_epoch, get_seed,
    has_flag, is_active_validator, is_in_inactivity_leak, safe_add, write_list_entries,
    RewardsContext, TIMELY_TARGET_FLAG_INDEX,
};
use crate::progressive_balances::{add_flags, EpochValidatorCache, ProgressiveBalancesCache};
use crate::{Result, StateError};
use milhouse::{List, Vector};
use types::{
    BeaconState, ChainSpec, EthSpec, Gwei, ValidatorIndex, DOMAIN_BEACON_PROPOSER, GENESIS_EPOCH,
};

/// What the shared pass reads: per-validator vectors (indexed by validator) and totals.
struct Gathered {
    effective_balances: Vec<Gwei>,
    balances: Vec<Gwei>,
    inactivity_scores: Vec<u64>,
    /// `get_eligible_validator_indices`.
    eligible: Vec<bool>,
    /// Previous-epoch flags of validators active then and unslashed; 0 for the others.
    previous_flags: Vec<u8>,
    /// Current-epoch flags of validators active now and unslashed; 0 for the others.
    current_flags: Vec<u8>,
    max_effective_balances: Vec<Gwei>,
    slashed: Vec<bool>,
    active_next: Vec<bool>,
    /// The current epoch's total active balance (not floored).
    total_active: Gwei,
    previous_target: Gwei,
    current_target: Gwei,
    /// The active set of the epoch after the next (the epoch the Fulu proposer lookahead adds, and the
    /// next epoch's committee cache once the new epoch starts).
    lookahead_active: Vec<ValidatorIndex>,
    registry: RegistryCandidates,
    /// `(index, effective_balance)` of the validators `process_slashings` penalises.
    to_penalise: Vec<(u64, u64)>,
}

/// Registries at least this large are gathered by two threads, each over half of the lists (the pass is
/// bound by walking the trees' leaves, which parallelises well).
const PARALLEL_GATHER_MIN: usize = 1 << 16;

fn gather<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
    parallel_min: usize,
) -> Result<Gathered> {
    let n = state.validators().len();
    for len in [
        state.balances().len(),
        state.previous_epoch_participation().len(),
        state.current_epoch_participation().len(),
        state.inactivity_scores().len(),
    ] {
        if len != n {
            return Err(StateError::Other(
                "balances, participation or inactivity lists differ in length from the registry"
                    .into(),
            ));
        }
    }
    if n < parallel_min {
        return gather_range(state, spec, 0, n, n);
    }
    let mid = n / 2;
    let (first, second) = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("epoch-gather".into())
            .spawn_scoped(scope, || gather_range(state, spec, mid, n, n - mid));
        let first = gather_range(state, spec, 0, mid, n);
        let second = match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err(StateError::Other("epoch gathering thread failed".into()))),
            // No thread to be had: gather the second half here.
            Err(_) => gather_range(state, spec, mid, n, n - mid),
        };
        (first, second)
    });
    let mut g = first?;
    g.append(second?)?;
    Ok(g)
}

impl Gathered {
    /// Append the gathering of the validators that follow `self`'s.
    fn append(&mut self, mut next: Gathered) -> Result<()> {
        self.effective_balances.append(&mut next.effective_balances);
        self.balances.append(&mut next.balances);
        self.inactivity_scores.append(&mut next.inactivity_scores);
        self.eligible.append(&mut next.eligible);
        self.previous_flags.append(&mut next.previous_flags);
        self.current_flags.append(&mut next.current_flags);
        self.max_effective_balances
            .append(&mut next.max_effective_balances);
        self.slashed.append(&mut next.slashed);
        self.active_next.append(&mut next.active_next);
        self.total_active = safe_add(self.total_active, next.total_active)?;
        self.previous_target = safe_add(self.previous_target, next.previous_target)?;
        self.current_target = safe_add(self.current_target, next.current_target)?;
        self.lookahead_active.append(&mut next.lookahead_active);
        self.registry.append(next.registry)?;
        self.to_penalise.append(&mut next.to_penalise);
        Ok(())
    }
}

/// Gather validators `start..end` (lists already checked to have equal lengths); vectors get room for
/// `capacity` entries.
fn gather_range<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
    start: usize,
    end: usize,
    capacity: usize,
) -> Result<Gathered> {
    let fork = state.fork_name();
    let current_epoch = get_current_epoch(state);
    let previous_epoch = get_previous_epoch(state);
    let next_epoch = current_epoch.checked_add(1).ok_or(StateError::Overflow)?;
    let lookahead_epoch = current_epoch
        .checked_add(E::MIN_SEED_LOOKAHEAD + 1)
        .ok_or(StateError::Overflow)?;
    let halfway = current_epoch
        .checked_add(E::epochs_per_slashings_vector() as u64 / 2)
        .ok_or(StateError::Overflow)?;
    // At genesis the previous epoch is the current one, and the spec reads current participation.
    let previous_list = if previous_epoch == current_epoch {
        state.current_epoch_participation()
    } else {
        state.previous_epoch_participation()
    };
    let electra = fork.electra_enabled();
    let n = capacity;
    let mut g = Gathered {
        effective_balances: Vec::with_capacity(n),
        balances: Vec::with_capacity(n),
        inactivity_scores: Vec::with_capacity(n),
        eligible: Vec::with_capacity(n),
        previous_flags: Vec::with_capacity(n),
        current_flags: Vec::with_capacity(n),
        max_effective_balances: Vec::with_capacity(n),
        slashed: Vec::with_capacity(n),
        active_next: Vec::with_capacity(n),
        total_active: 0,
        previous_target: 0,
        current_target: 0,
        lookahead_active: vec![],
        registry: RegistryCandidates::new(state, spec),
        to_penalise: vec![],
    };
    if start >= end {
        return Ok(g);
    }
    let lists = state
        .validators()
        .iter_from(start)?
        .zip(state.balances().iter_from(start)?)
        .zip(previous_list.iter_from(start)?)
        .zip(state.current_epoch_participation().iter_from(start)?)
        .zip(state.inactivity_scores().iter_from(start)?)
        .take(end - start);
    for (offset, ((((v, &balance), &previous), &current), &score)) in lists.enumerate() {
        let index = start + offset;
        let effective_balance = v.effective_balance;
        let active_previous = is_active_validator(v, previous_epoch);
        let active_current = is_active_validator(v, current_epoch);
        let previous_flags = if active_previous && !v.slashed {
            previous
        } else {
            0
        };
        let current_flags = if active_current && !v.slashed {
            current
        } else {
            0
        };
        if active_current {
            g.total_active = safe_add(g.total_active, effective_balance)?;
        }
        if has_flag(previous_flags, TIMELY_TARGET_FLAG_INDEX) {
            g.previous_target = safe_add(g.previous_target, effective_balance)?;
        }
        if has_flag(current_flags, TIMELY_TARGET_FLAG_INDEX) {
            g.current_target = safe_add(g.current_target, effective_balance)?;
        }
        g.effective_balances.push(effective_balance);
        g.balances.push(balance);
        g.inactivity_scores.push(score);
        g.eligible.push(
            active_previous
                || (v.slashed && previous_epoch.saturating_add(1) < v.withdrawable_epoch),
        );
        g.previous_flags.push(previous_flags);
        g.current_flags.push(current_flags);
        g.max_effective_balances
            .push(max_effective_balance_at::<E>(v, electra));
        g.slashed.push(v.slashed);
        g.active_next.push(is_active_validator(v, next_epoch));
        if is_active_validator(v, lookahead_epoch) {
            g.lookahead_active.push(index as ValidatorIndex);
        }
        g.registry.observe::<E>(index, v)?;
        if v.slashed && v.withdrawable_epoch == halfway {
            g.to_penalise.push((index as u64, effective_balance));
        }
    }
    Ok(g)
}

/// `process_epoch` (see [`super::process_epoch_with_caches`]) on the fused path described in the module
/// docs; leaves in `caches` the next epoch's total active balance, effective balances and progressive
/// balances, which it computes on the way.
pub fn process_epoch_single_pass<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    process_epoch_single_pass_split(state, spec, caches, PARALLEL_GATHER_MIN)
}

/// [`process_epoch_single_pass`] with the registry size from which the shared pass is split over two
/// threads (`process_epoch_single_pass` uses 2^16); the spec tests lower it to run the split on the
/// vectors' small states.
pub fn process_epoch_single_pass_split<E: EthSpec>(
    state: &mut BeaconState<E>,
    spec: &ChainSpec,
    caches: &mut StateCaches,
    parallel_min: usize,
) -> Result<()> {
    let fork = state.fork_name();
    let current_epoch = get_current_epoch(state);
    let next_epoch = current_epoch.checked_add(1).ok_or(StateError::Overflow)?;
    let floor = |balance: Gwei| balance.max(E::EFFECTIVE_BALANCE_INCREMENT);
    let mut g = gather(state, spec, parallel_min)?;
    let n = g.effective_balances.len();

    // process_justification_and_finalization
    if current_epoch > GENESIS_EPOCH + 1 {
        weigh_justification_and_finalization(
            state,
            floor(g.total_active),
            floor(g.previous_target),
            floor(g.current_target),
        )?;
    }

    let mut balances = g.balances.clone();
    if current_epoch != GENESIS_EPOCH {
        // process_inactivity_updates (the leak is read after justification and finalization).
        let in_inactivity_leak = is_in_inactivity_leak(state);
        let mut changes = vec![];
        for (index, score) in g.inactivity_scores.iter_mut().enumerate() {
            if !g.eligible[index] {
                continue;
            }
            let participating = has_flag(g.previous_flags[index], TIMELY_TARGET_FLAG_INDEX);
            let updated =
                updated_inactivity_score(*score, participating, in_inactivity_leak, spec)?;
            if updated != *score {
                *score = updated;
                changes.push((index, updated));
            }
        }
        write_list_entries(state.inactivity_scores_mut(), changes)?;

        // process_rewards_and_penalties
        let ctx = RewardsContext {
            effective_balances: std::mem::take(&mut g.effective_balances),
            eligible: std::mem::take(&mut g.eligible),
            participation: std::mem::take(&mut g.previous_flags),
            inactivity_scores: std::mem::take(&mut g.inactivity_scores),
            total_active_balance: floor(g.total_active),
            in_inactivity_leak,
        };
        ctx.apply_deltas::<E>(&mut balances, spec)?;
        g.effective_balances = ctx.effective_balances;
    }

    // process_registry_updates
    let ejected = apply_registry_updates(state, spec, std::mem::take(&mut g.registry))?;
    // An ejection moves the withdrawable epoch only of a validator not exiting yet, which a slashed one
    // always is; should a state hold a slashed validator that never exited, decide it again here.
    let halfway = current_epoch
        .checked_add(E::epochs_per_slashings_vector() as u64 / 2)
        .ok_or(StateError::Overflow)?;
    for index in ejected {
        let v = state
            .validators()
            .get(index)
            .ok_or(StateError::UnknownValidator(index as u64))?;
        if v.slashed {
            g.to_penalise.retain(|&(i, _)| i != index as u64);
            if v.withdrawable_epoch == halfway {
                g.to_penalise.push((index as u64, v.effective_balance));
            }
        }
    }

    // process_slashings
    if !g.to_penalise.is_empty() {
        for (index, penalty) in slashing_penalties(state, g.total_active, &g.to_penalise)? {
            let balance = balances
                .get_mut(index as usize)
                .ok_or(StateError::UnknownValidator(index))?;
            *balance = balance.saturating_sub(penalty);
        }
    }
    write_balances(state, &g.balances, &balances)?;
    drop(std::mem::take(&mut g.balances));

    process_eth1_data_reset(state)?;
    if fork.electra_enabled() {
        process_pending_deposits(state, spec, &mut caches.pubkeys)?;
        process_pending_consolidations(state)?;
    }

    // process_effective_balance_updates, on the balances after deposits and consolidations (read from
    // the list only if those changed any).
    if state.balances().has_pending_updates() {
        balances.clear();
        balances.extend(state.balances().iter().take(n).copied());
    }
    let mut effective_balance_changes = vec![];
    for (index, effective_balance) in g.effective_balances.iter_mut().enumerate() {
        if let Some(updated) = updated_effective_balance::<E>(
            balances[index],
            *effective_balance,
            g.max_effective_balances[index],
        ) {
            *effective_balance = updated;
            effective_balance_changes.push((index, updated));
        }
    }
    // Validators added by pending deposits, read from the state.
    let electra = fork.electra_enabled();
    for index in n..state.validators().len() {
        let v = state
            .validators()
            .get(index)
            .ok_or(StateError::UnknownValidator(index as u64))?;
        let balance = *state
            .balances()
            .get(index)
            .ok_or(StateError::UnknownValidator(index as u64))?;
        let max = max_effective_balance_at::<E>(v, electra);
        let effective_balance = updated_effective_balance::<E>(balance, v.effective_balance, max)
            .unwrap_or(v.effective_balance);
        if effective_balance != v.effective_balance {
            effective_balance_changes.push((index, effective_balance));
        }
        g.effective_balances.push(effective_balance);
        g.slashed.push(v.slashed);
    }
    write_effective_balances(state, effective_balance_changes)?;

    // The next epoch's totals for the caches: its active balance and, as its previous epoch, the
    // ending epoch's participation weighed with the new effective balances.
    let mut total_active_next: Gwei = 0;
    let mut previous_totals = [0; 3];
    for index in 0..n {
        let effective_balance = g.effective_balances[index];
        if g.active_next[index] {
            total_active_next = safe_add(total_active_next, effective_balance)?;
        }
        add_flags(
            &mut previous_totals,
            g.current_flags[index],
            effective_balance,
        )?;
    }

    process_slashings_reset(state)?;
    process_randao_mixes_reset(state)?;
    process_historical_summaries_update(state)?;
    process_participation_flag_updates(state)?;
    process_sync_committee_updates(state)?;
    let lookahead_epoch = current_epoch
        .checked_add(E::MIN_SEED_LOOKAHEAD + 1)
        .ok_or(StateError::Overflow)?;
    if fork.fulu_enabled() {
        // process_proposer_lookahead, on the gathered active set and the new effective balances.
        let seed = get_seed(state, lookahead_epoch, DOMAIN_BEACON_PROPOSER)?;
        let proposers = compute_proposer_indices_from_balances::<E>(
            fork,
            lookahead_epoch,
            &seed,
            &g.lookahead_active,
            &g.effective_balances,
        )?;
        let lookahead = state.proposer_lookahead()?;
        let mut updated: Vec<u64> = lookahead
            .iter()
            .skip(E::slots_per_epoch() as usize)
            .copied()
            .collect();
        updated.extend(proposers);
        *state.proposer_lookahead_mut()? = Vector::new(updated)?;
    }

    caches.set_epoch_balances::<E>(
        EpochValidatorCache::from_parts(
            next_epoch,
            std::mem::take(&mut g.effective_balances),
            std::mem::take(&mut g.slashed),
        ),
        ProgressiveBalancesCache::for_new_epoch(next_epoch, total_active_next, previous_totals),
        Some((lookahead_epoch, std::mem::take(&mut g.lookahead_active))),
    );
    Ok(())
}

/// Write the rewarded and penalised balances: the whole list rebuilt when most entries changed (the
/// usual case), the changed entries only otherwise (keeping the other subtrees' hashes).
fn write_balances<E: EthSpec>(
    state: &mut BeaconState<E>,
    before: &[Gwei],
    after: &[Gwei],
) -> Result<()> {
    // Writes staged before epoch processing, if any, so that any staged afterwards are the queues'.
    state.balances_mut().apply_updates()?;
    let changed = before.iter().zip(after).filter(|(b, a)| b != a).count();
    if changed == 0 {
        return Ok(());
    }
    if changed > after.len() / 8 {
        *state.balances_mut() = List::try_from_iter(after.iter().copied())?;
    } else {
        let changes = before
            .iter()
            .zip(after)
            .enumerate()
            .filter(|(_, (b, a))| b != a)
            .map(|(index, (_, &a))| (index, a));
        write_list_entries(state.balances_mut(), changes)?;
        state.balances_mut().apply_updates()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::interop_genesis_state;
    use crate::per_epoch::process_epoch_per_step;
    use types::{ForkName, MinimalEthSpec, FAR_FUTURE_EPOCH};

    const ETH: u64 = 1_000_000_000;

    /// An interop state of `count` validators at the last slot of epoch 10, with the edge cases of the
    /// per-validator steps on the first validators: a leak (finality 8 epochs old) with inactivity scores,
    /// a validator slashed and exiting this epoch at the slashing penalty's halfway epoch, one to eject,
    /// one at a zero balance, one queued for activation and one to enter the queue.
    fn edge_state(fork: ForkName, count: u64) -> (BeaconState<MinimalEthSpec>, ChainSpec) {
        type E = MinimalEthSpec;
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(fork);
        let mut state = interop_genesis_state::<E>(count, 0, fork, None, &spec).unwrap();
        let current_epoch = 10;
        *state.slot_mut() = (current_epoch + 1) * E::slots_per_epoch() - 1;
        state.finalized_checkpoint_mut().epoch = 2;
        *state.slashings_mut().get_mut(0).unwrap() = 64 * ETH;
        let n = state.validators().len();
        for index in 0..n {
            let flags = if index % 2 == 0 { 0b111 } else { 0b001 };
            *state
                .previous_epoch_participation_mut()
                .get_mut(index)
                .unwrap() = flags;
            *state
                .current_epoch_participation_mut()
                .get_mut(index)
                .unwrap() = flags;
            *state.inactivity_scores_mut().get_mut(index).unwrap() = index as u64 * 7;
        }
        let halfway = current_epoch + E::epochs_per_slashings_vector() as u64 / 2;
        let mut edit = |index: usize, f: &dyn Fn(&mut types::Validator)| {
            if let Some(v) = state.validators_mut().get_mut(index) {
                f(v);
            }
        };
        edit(0, &|v| {
            v.slashed = true;
            v.exit_epoch = current_epoch;
            v.withdrawable_epoch = halfway;
        });
        edit(3, &|v| v.effective_balance = 16 * ETH);
        edit(4, &|v| v.effective_balance = 16 * ETH);
        // Slashed but never exited (a crafted state: slashing always exits), at the halfway epoch and
        // to be ejected: the ejection moves its withdrawable epoch, so the spec's later
        // `process_slashings` no longer penalises it.
        edit(13, &|v| {
            v.slashed = true;
            v.effective_balance = 16 * ETH;
            v.withdrawable_epoch = halfway;
        });
        // Two exits at the exit queue's tail, one in each half of a split 65-validator pass, so that the
        // ejections above queue behind them only if the halves' tails merge right.
        for index in [11, 40] {
            edit(index, &|v| {
                v.exit_epoch = current_epoch + 8;
                v.withdrawable_epoch = current_epoch + 16;
            });
        }
        edit(7, &|v| {
            v.activation_eligibility_epoch = 1;
            v.activation_epoch = FAR_FUTURE_EPOCH;
            v.exit_epoch = FAR_FUTURE_EPOCH;
        });
        edit(9, &|v| {
            v.activation_eligibility_epoch = FAR_FUTURE_EPOCH;
            v.activation_epoch = FAR_FUTURE_EPOCH;
        });
        if let Some(balance) = state.balances_mut().get_mut(5) {
            *balance = 0;
        }
        (state, spec)
    }

    /// The fused pass, unsplit and split over two threads, gives the per-step result on odd and tiny
    /// registries (the split's halves then differ in size, or one is empty) with the edge cases above.
    #[test]
    fn fused_and_split_match_per_step_on_edge_cases() {
        for fork in [ForkName::Capella, ForkName::Electra, ForkName::Fulu] {
            for count in [1, 2, 65] {
                let (state, spec) = edge_state(fork, count);
                let run = |parallel_min: Option<usize>| {
                    let mut s = state.clone();
                    let mut caches = StateCaches::new();
                    match parallel_min {
                        None => process_epoch_per_step(&mut s, &spec, &mut caches),
                        Some(min) => {
                            process_epoch_single_pass_split(&mut s, &spec, &mut caches, min)
                        }
                    }
                    .map_err(|e| e.to_string())?;
                    Ok::<_, String>(s.update_tree_hash_cache().unwrap())
                };
                let per_step = run(None);
                assert_eq!(run(Some(usize::MAX)), per_step, "{fork} {count} unsplit");
                assert_eq!(run(Some(0)), per_step, "{fork} {count} split");
                // A lone validator, slashed and exiting, leaves Fulu's proposer lookahead no candidate.
                let expect_error = fork == ForkName::Fulu && count == 1;
                assert_eq!(
                    per_step.is_err(),
                    expect_error,
                    "{fork} {count}: {per_step:?}"
                );
                let before = state.clone().update_tree_hash_cache().unwrap();
                assert_ne!(
                    per_step.ok(),
                    Some(before),
                    "{fork} {count}: nothing changed"
                );
            }
        }
    }
}
