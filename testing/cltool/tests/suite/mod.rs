//! The tests, by subcommand.

mod block_hash;
mod errors;
mod signatures;
mod ssz;
