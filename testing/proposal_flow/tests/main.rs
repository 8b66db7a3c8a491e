//! End-to-end proposals with real states and signatures: one module per scenario of the builder flow.

mod circuit_breaker;
mod common;
mod faulty_builder;
mod happy_path;
mod withheld;
