//! One integration-test binary for every vector suite (each module is one family of vectors).

mod blocks;
mod bls;
mod builder_examples;
mod caches;
mod epoch_processing;
mod fork_choice;
mod fork_choice_columns;
mod genesis;
mod merkle_proof;
mod operations;
mod relay_captures;
mod shuffling;
mod ssz_static;
mod state_helpers;
mod state_utils;
