//! The validator client: keys, EIP-3076 slashing protection, duties, and one service per duty (blocks — blinded through the builders with `--blinded-payload-builder` — attestations and aggregates, the sync committee, builder registrations), over several beacon nodes with failover.
//!
//! - [`keys`]: keystores (`--validators-dir`, `--secrets-dir`), interop keys, and [`ValidatorStore`],
//!   the only code that signs;
//! - [`slashing_protection`]: the redb record of signed blocks and attestations, and interchange v5;
//! - [`beacon_nodes`]: the nodes in order of preference, each call failing over to the next;
//! - [`duties`]: proposer, attester and sync duties, refreshed when their dependent root changes;
//! - [`services`]: proposals, attestations, the sync committee and registrations;
//! - [`run`]: the slot timer that runs them; [`cli`]: the `vc` command line.

pub mod keys;
pub mod slashing_protection;

pub use keys::{ForkInfo, KeyError, SignError, ValidatorKey, ValidatorStore};
pub use slashing_protection::{NotSafe, Safe, SlashingDatabase};

pub mod beacon_nodes;
pub mod cli;
pub mod context;
pub mod duties;
pub mod metrics;
pub mod run;
pub mod services;
pub mod settings;
