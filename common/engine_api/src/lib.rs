//! Engine API JSON-RPC client (JWT-authenticated) for talking to an execution engine, Capella to Fulu.
//!
//! - [`auth`]: the JWT secret (`jwt.hex`), HS256 tokens with `iat`, and their verification.
//! - [`json`]: the engine API's JSON structures and their conversions to consensus types.
//! - [`client`]: [`EngineClient`], one method per engine call, the version chosen by fork, the spec's
//!   timeouts, and [`EngineError`]s classified as transport, timeout, auth or JSON-RPC code.
//! - [`watchdog`]: the EE's [`EngineState`] (online, offline, syncing, auth failed), logged on change.

pub mod auth;
pub mod client;
pub mod error;
pub mod json;
pub mod watchdog;

pub use auth::{JwtAuth, JwtError, JwtSecret};
pub use client::{
    methods_for, timeouts, EngineClient, EngineMethods, NewPayloadRequest, SUPPORTED_METHODS,
};
pub use error::{EngineError, RpcErrorCode};
pub use json::*;
pub use watchdog::{EngineState, Watchdog};
