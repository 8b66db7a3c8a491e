//! events_debug
