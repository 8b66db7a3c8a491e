//! The validator client crate's integration tests (one binary; a module per subject).

mod common;
mod interchange;
mod keystores;
mod kill9;
mod network;
mod vectors;
