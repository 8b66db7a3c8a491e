//! The kzg crate's public API on real blobs, commitments and proofs.

mod bundle;
