//! `process_withdrawals` (Capella; Electra with pending partial withdrawals; consensus-specs 1.7).

use super::body::PayloadWithdrawals;
use crate::common::{
    apply_withdrawals, get_expected_withdrawals, update_next_withdrawal_index,
    update_next_withdrawal_validator_index, update_pending_partial_withdrawals,
};
use crate::{ensure, Result};
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, Withdrawals};

/// `process_withdrawals`: the payload must carry exactly the expected withdrawals (a blinded body: their
/// root); debit them and advance the withdrawal indices (from Electra, drop the consumed pending partial
/// withdrawals).
pub fn process_withdrawals<E: EthSpec>(
    state: &mut BeaconState<E>,
    payload_withdrawals: PayloadWithdrawals<'_>,
) -> Result<()> {
    let expected = get_expected_withdrawals(state)?;
    match payload_withdrawals {
        PayloadWithdrawals::Full(withdrawals) => {
            ensure!(
                withdrawals == expected.withdrawals.as_slice(),
                "payload withdrawals do not match the expected withdrawals"
            );
        }
        PayloadWithdrawals::Root(root) => {
            let list = Withdrawals::<E>::new(expected.withdrawals.clone())?;
            ensure!(
                root == list.tree_hash_root(),
                "payload withdrawals root does not match the expected withdrawals"
            );
        }
    }
    apply_withdrawals(state, &expected.withdrawals)?;
    update_next_withdrawal_index(state, &expected.withdrawals)?;
    if state.fork_name().electra_enabled() {
        update_pending_partial_withdrawals(state, expected.processed_partial_withdrawals_count)?;
    }
    update_next_withdrawal_validator_index(state, &expected.withdrawals)?;
    Ok(())
}
