//! Spec helpers shared by slot, epoch and block processing: math, predicates, accessors, mutators.
//!
//! Every function carries the spec's name. Where Electra or Fulu changed a function, the version of the
//! state's fork is used (the fork is read from the `BeaconState` variant). These are the spec-direct
//! forms, recomputed from the state on every call; [`crate::caches`] offers cached equivalents with
//! identical results for the expensive ones (committees, active sets, total balance, pubkey lookups).

pub mod accessors;
pub mod attestation;
pub mod math;
pub mod mutators;
pub mod participation;
pub mod predicates;
pub mod shuffle;
pub mod sync_committee;
pub mod withdrawals;

pub use accessors::*;
pub use attestation::*;
pub use math::*;
pub use mutators::*;
pub use participation::*;
pub use predicates::*;
pub use shuffle::*;
pub use sync_committee::*;
pub use withdrawals::*;
