//! The chain as the execution layer sees it ([`ExecutionLayerChain`]): the registrations the harness
//! forwarded and the health of the state it proposes on.

use crate::E;
use execution_layer::{ChainHealth, ExecutionLayerChain, ProposerRegistration};
use parking_lot::Mutex;
use state_processing::common::{get_block_root_at_slot, get_current_epoch};
use state_processing::StateError;
use std::collections::HashMap;
use types::{BeaconState, EthSpec, PublicKeyBytes, Slot};

/// The harness's answers to the execution layer: registrations it forwarded, and the health of the
/// state it is proposing on.
#[derive(Default)]
pub struct HarnessChain {
    pub(crate) registrations: Mutex<HashMap<PublicKeyBytes, ProposerRegistration>>,
    pub(crate) health: Mutex<Option<ChainHealth>>,
}

impl ExecutionLayerChain for HarnessChain {
    fn proposer_registration(&self, pubkey: &PublicKeyBytes) -> Option<ProposerRegistration> {
        self.registrations.lock().get(pubkey).copied()
    }

    fn chain_health(&self, slot: Slot) -> ChainHealth {
        match *self.health.lock() {
            Some(health) if health.current_slot == slot => health,
            // A slot the harness is not proposing at: an unknown chain, which the breaker refuses.
            _ => ChainHealth {
                current_slot: slot,
                head_slot: 0,
                empty_slots_in_last_32: slot.min(32),
                finalized_epoch: 0,
                current_epoch: slot / E::slots_per_epoch(),
                head_is_optimistic: false,
                ee_syncing: false,
            },
        }
    }
}

/// The chain's health for a proposal on `state`, already advanced to the proposal's slot: the head is
/// the latest block header, and a slot is empty when its block root repeats the previous slot's.
pub fn chain_health(state: &BeaconState<E>) -> Result<ChainHealth, StateError> {
    let slot = state.slot();
    let mut empty = 0;
    for s in slot.saturating_sub(32).max(1)..slot {
        if get_block_root_at_slot(state, s)? == get_block_root_at_slot(state, s - 1)? {
            empty += 1;
        }
    }
    Ok(ChainHealth {
        current_slot: slot,
        head_slot: state.latest_block_header().slot,
        empty_slots_in_last_32: empty,
        finalized_epoch: state.finalized_checkpoint().epoch,
        current_epoch: get_current_epoch(state),
        // The harness imports only blocks the EE called VALID, and stops on anything else.
        head_is_optimistic: false,
        ee_syncing: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::VALIDATOR_COUNT;
    use state_processing::genesis::interop_genesis_state;
    use state_processing::process_slots;
    use types::{ChainSpec, ForkName};

    fn genesis(spec: &ChainSpec) -> BeaconState<E> {
        interop_genesis_state::<E>(VALIDATOR_COUNT, 0, ForkName::Electra, None, spec)
            .expect("an interop genesis")
    }

    #[test]
    fn chain_health_counts_the_empty_slots_since_the_head() {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Electra);
        let mut state = genesis(&spec);
        process_slots(&mut state, 5, &spec).expect("slots");
        let health = chain_health(&state).expect("health");
        assert_eq!(health.current_slot, 5);
        assert_eq!(health.head_slot, 0);
        // Slots 1 to 4 have no block; slot 0 is genesis.
        assert_eq!(health.empty_slots_in_last_32, 4);
        assert_eq!(health.skipped_slots_at_head(), 4);
        assert_eq!(health.current_epoch, 0);
    }

    #[test]
    fn unknown_slots_look_unhealthy_to_the_breaker() {
        let chain = HarnessChain::default();
        let health = chain.chain_health(40);
        let verdict = execution_layer::circuit_breaker(health, Default::default());
        assert!(verdict.is_tripped(), "{verdict:?}");
    }
}
