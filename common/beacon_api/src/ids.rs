//! Path identifiers: `state_id`, `block_id` and `validator_id`, parsed as the spec writes them and printed
//! back the same way (the client builds paths with `Display`).

use std::fmt;
use std::str::FromStr;
use types::{Hash256, PublicKeyBytes, Slot};

/// Why an identifier did not parse (the server answers 400 with this text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {value}")]
pub struct IdError {
    /// `state id`, `block id` or `validator id`.
    pub what: &'static str,
    /// The text given.
    pub value: String,
}

/// A `0x`-prefixed 32-byte root, and nothing else (no bare hex, no short forms).
fn parse_root(s: &str) -> Option<Hash256> {
    let digits = s.strip_prefix("0x")?;
    if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    digits.parse().ok()
}

/// A decimal slot or index: digits only (no sign, no spaces), within `u64`.
pub fn parse_u64(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `state_id`: `head`, `genesis`, `finalized`, `justified`, a slot, or a `0x` state root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateId {
    Head,
    Genesis,
    Finalized,
    Justified,
    Slot(Slot),
    Root(Hash256),
}

impl FromStr for StateId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        Ok(match s {
            "head" => Self::Head,
            "genesis" => Self::Genesis,
            "finalized" => Self::Finalized,
            "justified" => Self::Justified,
            _ => {
                if let Some(slot) = parse_u64(s) {
                    Self::Slot(slot)
                } else if let Some(root) = parse_root(s) {
                    Self::Root(root)
                } else {
                    return Err(IdError {
                        what: "state id",
                        value: s.to_string(),
                    });
                }
            }
        })
    }
}

impl fmt::Display for StateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Justified => f.write_str("justified"),
            Self::Slot(slot) => write!(f, "{slot}"),
            Self::Root(root) => write!(f, "{root:#x}"),
        }
    }
}

/// `block_id`: `head`, `genesis`, `finalized`, `justified`, a slot, or a `0x` block root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockId {
    Head,
    Genesis,
    Finalized,
    Justified,
    Slot(Slot),
    Root(Hash256),
}

impl FromStr for BlockId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        match StateId::from_str(s) {
            Ok(StateId::Head) => Ok(Self::Head),
            Ok(StateId::Genesis) => Ok(Self::Genesis),
            Ok(StateId::Finalized) => Ok(Self::Finalized),
            Ok(StateId::Justified) => Ok(Self::Justified),
            Ok(StateId::Slot(slot)) => Ok(Self::Slot(slot)),
            Ok(StateId::Root(root)) => Ok(Self::Root(root)),
            Err(_) => Err(IdError {
                what: "block id",
                value: s.to_string(),
            }),
        }
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Genesis => f.write_str("genesis"),
            Self::Finalized => f.write_str("finalized"),
            Self::Justified => f.write_str("justified"),
            Self::Slot(slot) => write!(f, "{slot}"),
            Self::Root(root) => write!(f, "{root:#x}"),
        }
    }
}

/// `validator_id`: a validator index or a `0x` BLS public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidatorId {
    Index(u64),
    Pubkey(PublicKeyBytes),
}

impl FromStr for ValidatorId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        if let Some(index) = parse_u64(s) {
            return Ok(Self::Index(index));
        }
        if s.starts_with("0x") && s.len() == 2 + 2 * PublicKeyBytes::LEN {
            if let Ok(key) = s.parse() {
                return Ok(Self::Pubkey(key));
            }
        }
        Err(IdError {
            what: "validator id",
            value: s.to_string(),
        })
    }
}

impl fmt::Display for ValidatorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(index) => write!(f, "{index}"),
            Self::Pubkey(key) => write!(f, "{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_refuse_garbage() {
        let root = format!("0x{}", "ab".repeat(32));
        for text in [
            "head",
            "genesis",
            "finalized",
            "justified",
            "17",
            root.as_str(),
        ] {
            assert_eq!(text.parse::<StateId>().unwrap().to_string(), text);
            assert_eq!(text.parse::<BlockId>().unwrap().to_string(), text);
        }
        for bad in [
            "",
            "current",
            "-1",
            "+1",
            "18446744073709551616",
            "0xabc",
            &root[2..],
            " 1",
        ] {
            assert!(bad.parse::<StateId>().is_err(), "{bad:?}");
            assert!(bad.parse::<BlockId>().is_err(), "{bad:?}");
        }
        let key = format!("0x{}", "a1".repeat(48));
        assert_eq!(key.parse::<ValidatorId>().unwrap().to_string(), key);
        assert_eq!("5".parse::<ValidatorId>(), Ok(ValidatorId::Index(5)));
        assert!("0x12".parse::<ValidatorId>().is_err());
        assert!("five".parse::<ValidatorId>().is_err());
    }
}
