//! Integration tests of the execution layer against an in-process mock-el and mock relays: sourcing
//! and the choice, one test per bid check and relay fault, unblinding, and verdicts across a restart.

mod bids;
mod faults;
mod full_faults;
mod full_payload;
mod harness;
mod safety;
mod sourcing;
mod unblind;
mod verdicts;
