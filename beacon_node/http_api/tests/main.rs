//! The beacon API served over a real chain (mock-el, mock relay, store) and called through the typed
//! client: every endpoint, JSON and SSZ, and the error answers.

mod blocks;
mod builder_publishes;
mod conformance;
mod errors;
mod events_debug;
mod forks;
mod harness;
mod legacy_v1;
mod node_config;
mod pools;
mod production;
mod rewards;
mod state_data;
mod states;
mod validator;
