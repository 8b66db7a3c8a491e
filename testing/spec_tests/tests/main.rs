//! One integration-test binary for every vector suite (each module is one family of vectors).

mod bls;
mod ssz_static;
