//! Integration tests of the engine API client: against an in-process mock-el for every method and
//! fork, and against the real EthereumJS execution client.

mod ethereumjs;
mod mock;

use engine_api::{EngineClient, JwtAuth, JwtSecret};

pub fn secret() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

pub fn client_for(url: &str, secret: JwtSecret) -> EngineClient {
    EngineClient::new(url.parse().expect("a URL"), JwtAuth::new(secret)).expect("a client")
}
