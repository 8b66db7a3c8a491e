//! The validator client's foundations: its validators' keys, the signatures it makes with them, and the
//! EIP-3076 slashing protection that every block and attestation passes before it is signed.
//!
//! - [`keys`]: keystores (`--validators-dir`, `--secrets-dir`), interop keys, and [`ValidatorStore`];
//! - [`slashing_protection`]: the redb record of signed blocks and attestations, and interchange v5.

pub mod keys;
pub mod slashing_protection;

pub use keys::{ForkInfo, KeyError, SignError, ValidatorKey, ValidatorStore};
pub use slashing_protection::{NotSafe, Safe, SlashingDatabase};
