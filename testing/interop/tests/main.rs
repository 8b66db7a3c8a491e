//! Interop with other clients' real processes (Lodestar 1.5.1 on a Capella chain, minimal preset):
//! our `vc` on Lodestar's beacon node, and Lodestar's validator client on our `bn`. Where Lodestar
//! does not install (no npm registry, an old node), each test prints one line saying it skipped and
//! passes.

mod chain;
mod harness;
mod lodestar;
mod lodestar_on_bn;
mod vc_on_lodestar;
