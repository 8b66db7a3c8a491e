//! One integration-test binary for every vector suite (each module is one family of vectors).

mod bls;
mod builder_examples;
mod relay_captures;
mod ssz_static;
