//! Unchecked, fixed-size byte forms of keys and signatures, as they sit inside SSZ containers.
//!
//! Containers hold bytes, not curve points: decoding a block must not pay for point decompression and
//! subgroup checks, and a container with a bad point must still round-trip and hash exactly. Callers turn
//! bytes into checked points (`PublicKey`, `Signature`) only when they verify.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ssz::{Decode, DecodeError, Encode};
use std::fmt;
use tree_hash::{Hash256, PackedEncoding, TreeHash, TreeHashType};

macro_rules! fixed_bytes {
    ($(#[$doc:meta])* $name:ident, $len:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            pub const LEN: usize = $len;

            /// All zero bytes: not a valid point; what an unsigned object carries before it is signed.
            pub const fn empty() -> Self {
                Self([0; $len])
            }

            /// Copy from a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, crate::Error> {
                let array: [u8; $len] = bytes
                    .try_into()
                    .map_err(|_| crate::Error::InvalidLength { expected: $len, got: bytes.len() })?;
                Ok(Self(array))
            }

            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// `0x`-prefixed lower-case hex.
            pub fn to_hex(&self) -> String {
                format!("0x{}", hex::encode(self.0))
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::empty()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.to_hex())
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let digits = s.strip_prefix("0x").ok_or(crate::Error::MissingHexPrefix)?;
                let bytes = hex::decode(digits).map_err(|e| crate::Error::InvalidHex(e.to_string()))?;
                Self::from_slice(&bytes)
            }
        }

        impl Encode for $name {
            fn is_ssz_fixed_len() -> bool {
                true
            }
            fn ssz_fixed_len() -> usize {
                $len
            }
            fn ssz_bytes_len(&self) -> usize {
                $len
            }
            fn ssz_append(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0);
            }
        }

        impl Decode for $name {
            fn is_ssz_fixed_len() -> bool {
                true
            }
            fn ssz_fixed_len() -> usize {
                $len
            }
            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
                let array: [u8; $len] = bytes.try_into().map_err(|_| DecodeError::InvalidByteLength {
                    len: bytes.len(),
                    expected: $len,
                })?;
                Ok(Self(array))
            }
        }

        impl TreeHash for $name {
            fn tree_hash_type() -> TreeHashType {
                TreeHashType::Vector
            }
            fn tree_hash_packed_encoding(&self) -> PackedEncoding {
                unreachable!("byte vectors are never packed")
            }
            fn tree_hash_packing_factor() -> usize {
                unreachable!("byte vectors are never packed")
            }
            fn tree_hash_root(&self) -> Hash256 {
                tree_hash::merkle_root(&self.0, 0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fixed_bytes!(
    /// A compressed G1 public key (48 bytes), unchecked.
    PublicKeyBytes,
    48
);
fixed_bytes!(
    /// A compressed G2 signature (96 bytes), unchecked.
    SignatureBytes,
    96
);

impl SignatureBytes {
    /// The compressed point at infinity: the signature of an empty sync aggregate.
    pub fn infinity() -> Self {
        let mut bytes = [0; 96];
        bytes[0] = 0xc0;
        Self(bytes)
    }
}
