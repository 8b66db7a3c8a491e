//! Fork upgrades of the state (`upgrade_to_deneb`, `upgrade_to_electra`, `upgrade_to_fulu`), run by
//! [`crate::per_slot::process_slots`] at the first slot of a fork epoch, and `upgrade_to_capella`, which
//! takes the standalone [`BeaconStateBellatrix`] (Bellatrix is not a fork of the [`BeaconState`] enum).

use crate::common::{
    compute_activation_exit_epoch, compute_epoch_at_slot, get_activation_exit_churn_limit,
    get_beacon_proposer_indices, get_consolidation_churn_limit, get_current_epoch,
    has_compounding_withdrawal_credential, queue_excess_active_balance,
};
use crate::{Result, StateError};
use milhouse::{List, Vector};
use types::ssz_types::typenum::Unsigned;
use types::{
    BeaconState, BeaconStateBellatrix, BeaconStateCapella, BeaconStateDeneb, BeaconStateElectra,
    BeaconStateFulu, ChainSpec, EthSpec, ExecutionPayloadHeaderDeneb,
    ExecutionPayloadHeaderElectra, ExecutionPayloadHeaderFulu, Fork, ForkName, PendingDeposit,
    SignatureBytes, FAR_FUTURE_EPOCH, GENESIS_SLOT,
};

/// `UNSET_DEPOSIT_REQUESTS_START_INDEX` (electra).
pub const UNSET_DEPOSIT_REQUESTS_START_INDEX: u64 = u64::MAX;

/// Build a post-fork state from `$pre`, moving every field both forks share and taking the named extra
/// fields from the trailing `field: value` list.
macro_rules! carry_over {
    ($Post:ident, $pre:ident, $fork:expr, { $($field:ident: $value:expr),* $(,)? }) => {
        $Post {
            genesis_time: $pre.genesis_time,
            genesis_validators_root: $pre.genesis_validators_root,
            slot: $pre.slot,
            fork: $fork,
            latest_block_header: $pre.latest_block_header,
            block_roots: $pre.block_roots,
            state_roots: $pre.state_roots,
            historical_roots: $pre.historical_roots,
            eth1_data: $pre.eth1_data,
            eth1_data_votes: $pre.eth1_data_votes,
            eth1_deposit_index: $pre.eth1_deposit_index,
            validators: $pre.validators,
            balances: $pre.balances,
            randao_mixes: $pre.randao_mixes,
            slashings: $pre.slashings,
            previous_epoch_participation: $pre.previous_epoch_participation,
            current_epoch_participation: $pre.current_epoch_participation,
            justification_bits: $pre.justification_bits,
            previous_justified_checkpoint: $pre.previous_justified_checkpoint,
            current_justified_checkpoint: $pre.current_justified_checkpoint,
            finalized_checkpoint: $pre.finalized_checkpoint,
            inactivity_scores: $pre.inactivity_scores,
            current_sync_committee: $pre.current_sync_committee,
            next_sync_committee: $pre.next_sync_committee,
            next_withdrawal_index: $pre.next_withdrawal_index,
            next_withdrawal_validator_index: $pre.next_withdrawal_validator_index,
            historical_summaries: $pre.historical_summaries,
            $($field: $value,)*
        }
    };
}

/// Copy an execution payload header into another fork's header type with the same fields.
macro_rules! same_header {
    ($To:ident, $h:expr, { $($extra:ident: $value:expr),* $(,)? }) => {{
        let h = $h;
        $To {
            parent_hash: h.parent_hash,
            fee_recipient: h.fee_recipient,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            logs_bloom: h.logs_bloom,
            prev_randao: h.prev_randao,
            block_number: h.block_number,
            gas_limit: h.gas_limit,
            gas_used: h.gas_used,
            timestamp: h.timestamp,
            extra_data: h.extra_data,
            base_fee_per_gas: h.base_fee_per_gas,
            block_hash: h.block_hash,
            transactions_root: h.transactions_root,
            withdrawals_root: h.withdrawals_root,
            $($extra: $value,)*
        }
    }};
}

fn post_fork<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec, fork: ForkName) -> Fork {
    Fork {
        previous_version: state.fork().current_version,
        current_version: spec.fork_version(fork),
        epoch: get_current_epoch(state),
    }
}

/// `upgrade_to_capella` (capella/fork.md): the payload header gains a zero `withdrawals_root`, and the
/// withdrawal sweep and `historical_summaries` start empty. Bellatrix states exist only as this
/// function's input, so it returns the Capella state rather than upgrading in place.
pub fn upgrade_to_capella<E: EthSpec>(
    pre: BeaconStateBellatrix<E>,
    spec: &ChainSpec,
) -> BeaconState<E> {
    let fork = Fork {
        previous_version: pre.fork.current_version,
        current_version: spec.fork_version(ForkName::Capella),
        epoch: compute_epoch_at_slot::<E>(pre.slot),
    };
    BeaconState::Capella(BeaconStateCapella {
        genesis_time: pre.genesis_time,
        genesis_validators_root: pre.genesis_validators_root,
        slot: pre.slot,
        fork,
        latest_block_header: pre.latest_block_header,
        block_roots: pre.block_roots,
        state_roots: pre.state_roots,
        historical_roots: pre.historical_roots,
        eth1_data: pre.eth1_data,
        eth1_data_votes: pre.eth1_data_votes,
        eth1_deposit_index: pre.eth1_deposit_index,
        validators: pre.validators,
        balances: pre.balances,
        randao_mixes: pre.randao_mixes,
        slashings: pre.slashings,
        previous_epoch_participation: pre.previous_epoch_participation,
        current_epoch_participation: pre.current_epoch_participation,
        justification_bits: pre.justification_bits,
        previous_justified_checkpoint: pre.previous_justified_checkpoint,
        current_justified_checkpoint: pre.current_justified_checkpoint,
        finalized_checkpoint: pre.finalized_checkpoint,
        inactivity_scores: pre.inactivity_scores,
        current_sync_committee: pre.current_sync_committee,
        next_sync_committee: pre.next_sync_committee,
        latest_execution_payload_header: pre.latest_execution_payload_header.upgrade_to_capella(),
        next_withdrawal_index: 0,
        next_withdrawal_validator_index: 0,
        historical_summaries: List::default(),
    })
}

/// `upgrade_to_deneb` (deneb/fork.md): the payload header gains zero blob gas fields.
pub fn upgrade_to_deneb<E: EthSpec>(state: &mut BeaconState<E>, spec: &ChainSpec) -> Result<()> {
    let fork = post_fork(state, spec, ForkName::Deneb);
    let BeaconState::Capella(pre) = state else {
        return Err(StateError::IncorrectFork);
    };
    let pre = pre.clone();
    let header = same_header!(ExecutionPayloadHeaderDeneb, pre.latest_execution_payload_header, {
        blob_gas_used: 0,
        excess_blob_gas: 0,
    });
    *state = BeaconState::Deneb(carry_over!(BeaconStateDeneb, pre, fork, {
        latest_execution_payload_header: header,
    }));
    Ok(())
}

/// `upgrade_to_electra` (electra/fork.md): the churn queues start, validators not yet activated move
/// their balance into pending deposits, and early compounding validators queue their excess balance.
pub fn upgrade_to_electra<E: EthSpec>(state: &mut BeaconState<E>, spec: &ChainSpec) -> Result<()> {
    let fork = post_fork(state, spec, ForkName::Electra);
    let epoch = get_current_epoch(state);
    let BeaconState::Deneb(pre) = state else {
        return Err(StateError::IncorrectFork);
    };
    let pre = pre.clone();
    let activation_exit_epoch = compute_activation_exit_epoch::<E>(epoch)?;
    let mut earliest_exit_epoch = activation_exit_epoch;
    for v in pre.validators.iter() {
        if v.exit_epoch != FAR_FUTURE_EPOCH {
            earliest_exit_epoch = earliest_exit_epoch.max(v.exit_epoch);
        }
    }
    let earliest_exit_epoch = earliest_exit_epoch
        .checked_add(1)
        .ok_or(StateError::Overflow)?;
    let (blob_gas_used, excess_blob_gas) = (
        pre.latest_execution_payload_header.blob_gas_used,
        pre.latest_execution_payload_header.excess_blob_gas,
    );
    let header = same_header!(ExecutionPayloadHeaderElectra, pre.latest_execution_payload_header, {
        blob_gas_used: blob_gas_used,
        excess_blob_gas: excess_blob_gas,
    });
    *state = BeaconState::Electra(carry_over!(BeaconStateElectra, pre, fork, {
        latest_execution_payload_header: header,
        deposit_requests_start_index: UNSET_DEPOSIT_REQUESTS_START_INDEX,
        deposit_balance_to_consume: 0,
        exit_balance_to_consume: 0,
        earliest_exit_epoch: earliest_exit_epoch,
        consolidation_balance_to_consume: 0,
        earliest_consolidation_epoch: activation_exit_epoch,
        pending_deposits: List::default(),
        pending_partial_withdrawals: List::default(),
        pending_consolidations: List::default(),
    }));

    let exit_churn = get_activation_exit_churn_limit(state, spec)?;
    let consolidation_churn = get_consolidation_churn_limit(state, spec)?;
    *state.exit_balance_to_consume_mut()? = exit_churn;
    *state.consolidation_balance_to_consume_mut()? = consolidation_churn;

    // Validators not yet activated re-enter through the pending deposit queue, in activation order.
    let mut pre_activation: Vec<(u64, usize)> = state
        .validators()
        .iter()
        .enumerate()
        .filter(|(_, v)| v.activation_epoch == FAR_FUTURE_EPOCH)
        .map(|(i, v)| (v.activation_eligibility_epoch, i))
        .collect();
    pre_activation.sort_unstable();
    for (_, index) in pre_activation {
        let balance = std::mem::take(
            state
                .balances_mut()
                .get_mut(index)
                .ok_or(StateError::UnknownValidator(index as u64))?,
        );
        let v = state
            .validators_mut()
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))?;
        v.effective_balance = 0;
        v.activation_eligibility_epoch = FAR_FUTURE_EPOCH;
        let deposit = PendingDeposit {
            pubkey: v.pubkey,
            withdrawal_credentials: v.withdrawal_credentials,
            amount: balance,
            signature: SignatureBytes::infinity(),
            slot: GENESIS_SLOT,
        };
        state.pending_deposits_mut()?.push(deposit)?;
    }

    // Early adopters of compounding credentials go through the activation churn.
    let compounding: Vec<u64> = state
        .validators()
        .iter()
        .enumerate()
        .filter(|(_, v)| has_compounding_withdrawal_credential(v))
        .map(|(i, _)| i as u64)
        .collect();
    for index in compounding {
        queue_excess_active_balance(state, index)?;
    }
    Ok(())
}

/// `upgrade_to_fulu` (fulu/fork.md): adds `proposer_lookahead`, filled by `initialize_proposer_lookahead`.
pub fn upgrade_to_fulu<E: EthSpec>(state: &mut BeaconState<E>, spec: &ChainSpec) -> Result<()> {
    let fork = post_fork(state, spec, ForkName::Fulu);
    let BeaconState::Electra(pre) = state else {
        return Err(StateError::IncorrectFork);
    };
    let pre = pre.clone();
    let (blob_gas_used, excess_blob_gas) = (
        pre.latest_execution_payload_header.blob_gas_used,
        pre.latest_execution_payload_header.excess_blob_gas,
    );
    let header = same_header!(ExecutionPayloadHeaderFulu, pre.latest_execution_payload_header, {
        blob_gas_used: blob_gas_used,
        excess_blob_gas: excess_blob_gas,
    });
    *state = BeaconState::Fulu(carry_over!(BeaconStateFulu, pre, fork, {
        latest_execution_payload_header: header,
        deposit_requests_start_index: pre.deposit_requests_start_index,
        deposit_balance_to_consume: pre.deposit_balance_to_consume,
        exit_balance_to_consume: pre.exit_balance_to_consume,
        earliest_exit_epoch: pre.earliest_exit_epoch,
        consolidation_balance_to_consume: pre.consolidation_balance_to_consume,
        earliest_consolidation_epoch: pre.earliest_consolidation_epoch,
        pending_deposits: pre.pending_deposits,
        pending_partial_withdrawals: pre.pending_partial_withdrawals,
        pending_consolidations: pre.pending_consolidations,
        proposer_lookahead: Vector::from_elem(0)?,
    }));
    let lookahead = initialize_proposer_lookahead(state)?;
    *state.proposer_lookahead_mut()? = Vector::new(lookahead)?;
    Ok(())
}

/// `initialize_proposer_lookahead` (fulu): the proposers of the current epoch and the next
/// `MIN_SEED_LOOKAHEAD` epochs.
pub fn initialize_proposer_lookahead<E: EthSpec>(state: &BeaconState<E>) -> Result<Vec<u64>> {
    let current_epoch = get_current_epoch(state);
    let mut lookahead = Vec::with_capacity(E::ProposerLookaheadSize::to_usize());
    for i in 0..=E::MIN_SEED_LOOKAHEAD {
        let epoch = current_epoch.checked_add(i).ok_or(StateError::Overflow)?;
        lookahead.extend(get_beacon_proposer_indices(state, epoch)?);
    }
    Ok(lookahead)
}

/// Run the upgrade to `fork` (Deneb, Electra or Fulu) on a state of the fork before it. Capella is
/// refused: its pre-state is a [`BeaconStateBellatrix`], which [`upgrade_to_capella`] takes.
pub fn upgrade_state<E: EthSpec>(
    state: &mut BeaconState<E>,
    fork: ForkName,
    spec: &ChainSpec,
) -> Result<()> {
    match fork {
        ForkName::Capella => Err(StateError::IncorrectFork),
        ForkName::Deneb => upgrade_to_deneb(state, spec),
        ForkName::Electra => upgrade_to_electra(state, spec),
        ForkName::Fulu => upgrade_to_fulu(state, spec),
    }
}
