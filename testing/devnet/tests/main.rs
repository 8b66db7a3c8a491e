//! End-to-end runs of the real `mock-el`, `mock-relay`, `bn` and `vc` processes through the devnet
//! library (every process is stopped when a test fails: the devnet's guard stops them on drop), and
//! the `devnet` binary's own behaviour (bad input, a stop signal).
//!
//! Devnet runs take the wall clock (2-second slots); they run one at a time.

mod api_fuzz;
mod cli;
mod ethereumjs;
mod runs;
mod scenarios;

use devnet::testnet::ForkEpochs;
use devnet::{Binaries, NetworkOptions, RunOptions};

/// One devnet at a time: they share two cores with everything else.
pub static DEVNET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The programs, built when missing.
pub fn binaries() -> Binaries {
    Binaries::locate_or_build(false).expect("bn, mock-el and mock-relay are found or built")
}

/// A run of `epochs` epochs at 2-second slots, forks at 1, 2, 3, 64 validators, quiet.
pub fn options(epochs: u64) -> RunOptions {
    RunOptions {
        network: NetworkOptions {
            validators: 64,
            forks: ForkEpochs::default(),
            slot_ms: 2000,
            genesis_delay_s: 6,
            dir: None,
            engine: Default::default(),
            bn_args: Vec::new(),
            full_payload_builders: false,
        },
        epochs,
        keep: false,
        quiet: true,
    }
}
