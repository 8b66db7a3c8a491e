//! `process_eth1_data_reset` (phase0): clear the eth1 data votes at the end of each voting period.

use crate::common::{get_current_epoch, is_multiple};
use crate::Result;
use milhouse::List;
use types::ssz_types::typenum::Unsigned;
use types::{BeaconState, EthSpec};

/// `process_eth1_data_reset` (phase0).
pub fn process_eth1_data_reset<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    let next_epoch = get_current_epoch(state) + 1;
    let epochs_per_voting_period = E::SlotsPerEth1VotingPeriod::to_u64() / E::slots_per_epoch();
    if is_multiple(next_epoch, epochs_per_voting_period) {
        *state.eth1_data_votes_mut() = List::empty();
    }
    Ok(())
}
