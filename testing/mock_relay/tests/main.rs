//! mock-relay over HTTP, against an in-process mock-el, through `builder_api::BuilderClient`:
//! registrations, bids for each fork, every fault switch, reveals (blob faults included), builder-pays
//! payloads, the event stream and the binary.

mod binary;
mod blobs;
mod builder_pays;
mod common;
mod events;
mod faults;
mod full;
mod get_header;
mod registration;
mod submit;
