//! Interop keys for local networks: `--interop-validators START..END` gives the validators with indices
//! `START` up to (not including) `END` their well-known keys (`bls::interop_secret_key`), as every
//! client derives them for test genesis states.

use super::{KeySource, ValidatorKey};
use crate::keys::KeyError;
use std::ops::Range;

/// Parse `START..END` (END exclusive, START < END).
pub fn parse_interop_range(value: &str) -> Result<Range<u64>, KeyError> {
    let invalid = |reason: &str| KeyError::InvalidInteropRange {
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let (start, end) = value.split_once("..").ok_or_else(|| invalid("no \"..\""))?;
    let start: u64 = start
        .trim()
        .parse()
        .map_err(|_| invalid("START is not a number"))?;
    let end: u64 = end
        .trim()
        .parse()
        .map_err(|_| invalid("END is not a number"))?;
    if start >= end {
        return Err(invalid("the range is empty"));
    }
    Ok(start..end)
}

/// The interop keys of `range`.
pub fn interop_keys(range: Range<u64>) -> Vec<ValidatorKey> {
    range
        .map(|index| ValidatorKey::new(bls::interop_secret_key(index), KeySource::Interop(index)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_and_bad_ones_are_refused() {
        assert_eq!(parse_interop_range("0..64").unwrap(), 0..64);
        assert_eq!(parse_interop_range("8..9").unwrap(), 8..9);
        for bad in ["", "5", "5..5", "6..5", "a..3", "1..b", "1...3", "-1..3"] {
            let err = parse_interop_range(bad).unwrap_err();
            assert!(err.to_string().contains("--interop-validators"), "{err}");
        }
    }

    #[test]
    fn interop_key_zero_is_the_known_one() {
        // The first interop public key, as every client's interop genesis lists it.
        let keys = interop_keys(0..2);
        assert_eq!(
            keys[0].pubkey().to_hex(),
            "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c"
        );
        assert_eq!(keys[1].source(), &KeySource::Interop(1));
    }
}
