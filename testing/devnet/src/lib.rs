//! `devnet`: runs a local chain of the real `mock-el`, `mock-relay`, `bn` and `vc` processes, shows it
//! slot by slot, injects the faults a scenario schedules, and checks what the scenario expects.
//!
//! The flow, one module per step: [`binaries`] finds (or builds) the programs; [`testnet`] writes the
//! chain's parameters as each program takes them; [`network`] starts the processes in order and owns
//! them ([`process`]: logs, SIGTERM then SIGKILL, `kill -9` and restart); [`run`] walks the timeline of
//! actions and observations; [`monitor`] follows the node through the beacon API and tells where each
//! payload came from; [`output`] shows it live; [`summary`] says what happened and whether the
//! [`scenario`]'s expectations held.

pub mod binaries;
pub mod ethereumjs;
pub mod monitor;
pub mod network;
pub mod output;
pub mod process;
pub mod run;
pub mod safety;
pub mod scenario;
pub mod summary;
pub mod testnet;

pub use binaries::Binaries;
pub use ethereumjs::ExecutionEngine;
pub use network::{Devnet, NetworkOptions};
pub use run::{never_stop, run, stop_on_signals, write_json, RunOptions, StopSignal};
pub use scenario::Scenario;
pub use summary::Summary;

/// Why the devnet could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The programs could not be found or built.
    #[error("{0}")]
    Binaries(String),
    /// A file could not be written or a process started.
    #[error("{0}")]
    Io(String),
    /// The devnet could not be set up (ports, keys, a program that did not come up).
    #[error("{0}")]
    Setup(String),
    /// A process exited on its own.
    #[error("{0}")]
    Exited(String),
    /// A stop signal came while the devnet was starting.
    #[error("stopped while the devnet was starting")]
    Stopped,
}
