//! The tests, by subcommand.

mod block_hash;
mod errors;
mod genesis;
mod signatures;
mod ssz;
mod transition;
