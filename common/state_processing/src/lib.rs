//! The beacon state transition from Capella to Fulu: slots, epochs, blocks, fork upgrades and genesis.

pub mod caches;
pub mod common;
pub mod errors;
pub mod genesis;
pub mod per_block;
pub mod per_epoch;
pub mod per_slot;
pub mod progressive_balances;
pub mod rewards;
pub mod upgrade;
pub mod validator_keys;

pub use caches::StateCaches;
pub use errors::*;
pub use per_epoch::{process_epoch, process_epoch_with_caches};
pub use per_slot::{process_slot, process_slots, process_slots_with_caches};
pub use progressive_balances::{EpochValidatorCache, ProgressiveBalancesCache};
pub use validator_keys::ValidatorKeys;
