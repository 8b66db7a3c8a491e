//! `bn` end to end: the real binary against an in-process mock-el.

mod full_payload_flags;
mod harness;
mod interop;
mod rpc_gateway;
mod startup_errors;
mod testnet_dir;
