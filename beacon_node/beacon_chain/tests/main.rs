//! The chain crates at work over a real store, mock-el and mock relays: a chain through the fork
//! schedule with local and builder blocks, the builder's verdict path across a restart, bad blocks,
//! and a store reopened after a crash.

mod chain;
mod crash;
mod full_payload;
mod gateway;
mod harness;
mod operations;
mod registrations;
mod restart;
mod verdicts;
