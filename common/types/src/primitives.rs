//! Scalar types and fork names shared by every container.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use alloy_primitives::{Address, B256 as Hash256, U256};
pub use bls::{PublicKeyBytes, SignatureBytes};

pub type Slot = u64;
pub type Epoch = u64;
pub type ValidatorIndex = u64;
pub type CommitteeIndex = u64;
pub type Gwei = u64;
pub type WithdrawalIndex = u64;
pub type Root = Hash256;
/// An execution-layer block hash (a keccak256 digest, not an SSZ root).
pub type ExecutionBlockHash = Hash256;
pub type Version = [u8; 4];
pub type DomainType = [u8; 4];
pub type Domain = Hash256;
/// A KZG commitment (a compressed G1 point). Same shape as a public key, never checked here.
pub type KzgCommitment = bls::PublicKeyBytes;
/// A KZG proof (a compressed G1 point).
pub type KzgProof = bls::PublicKeyBytes;

/// The forks whose containers Blindfold knows, oldest first. Earlier forks exist only as versions in the
/// schedule (see [`crate::ChainSpec`]): a Capella-or-later chain never carries their containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ForkName {
    Capella,
    Deneb,
    Electra,
    Fulu,
}

impl ForkName {
    pub const ALL: [ForkName; 4] = [Self::Capella, Self::Deneb, Self::Electra, Self::Fulu];

    /// The lower-case name used by the beacon API (`Eth-Consensus-Version`, `"version"`) and the specs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capella => "capella",
            Self::Deneb => "deneb",
            Self::Electra => "electra",
            Self::Fulu => "fulu",
        }
    }

    pub fn previous(self) -> Option<Self> {
        match self {
            Self::Capella => None,
            Self::Deneb => Some(Self::Capella),
            Self::Electra => Some(Self::Deneb),
            Self::Fulu => Some(Self::Electra),
        }
    }

    pub fn next(self) -> Option<Self> {
        match self {
            Self::Capella => Some(Self::Deneb),
            Self::Deneb => Some(Self::Electra),
            Self::Electra => Some(Self::Fulu),
            Self::Fulu => None,
        }
    }

    pub fn deneb_enabled(self) -> bool {
        self >= Self::Deneb
    }

    pub fn electra_enabled(self) -> bool {
        self >= Self::Electra
    }

    pub fn fulu_enabled(self) -> bool {
        self >= Self::Fulu
    }
}

impl fmt::Display for ForkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fork name that Blindfold does not support.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown or unsupported fork {0:?} (expected capella, deneb, electra or fulu)")]
pub struct UnknownForkName(pub String);

impl FromStr for ForkName {
    type Err = UnknownForkName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "capella" => Ok(Self::Capella),
            "deneb" => Ok(Self::Deneb),
            "electra" => Ok(Self::Electra),
            "fulu" => Ok(Self::Fulu),
            _ => Err(UnknownForkName(s.to_string())),
        }
    }
}

impl Serialize for ForkName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ForkName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Serde for lists of integers in the beacon-API form: each a quoted decimal string. Deserialisation also
/// takes bare numbers, as the consensus-spec-tests YAML writes them. Works for milhouse and ssz_types
/// lists alike (anything built from and iterated as a sequence of `T`).
pub mod quoted_int_list {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};
    use std::marker::PhantomData;

    pub fn serialize<'a, S, L, T>(list: &'a L, serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        &'a L: IntoIterator<Item = &'a T>,
        T: Copy + Into<u64> + 'a,
    {
        let mut seq = serializer.serialize_seq(None)?;
        for item in list {
            seq.serialize_element(&(*item).into().to_string())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D, L, T>(deserializer: D) -> Result<L, D::Error>
    where
        D: Deserializer<'de>,
        L: ssz::TryFromIter<T>,
        <L as ssz::TryFromIter<T>>::Error: std::fmt::Debug,
        T: TryFrom<u64>,
    {
        struct ListVisitor<T>(PhantomData<T>);
        impl<'de, T: TryFrom<u64>> Visitor<'de> for ListVisitor<T> {
            type Value = Vec<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of integers (quoted or bare)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(v) = seq.next_element::<QuotedOrBare>()? {
                    out.push(
                        T::try_from(v.0).map_err(|_| A::Error::custom("integer out of range"))?,
                    );
                }
                Ok(out)
            }
        }
        let items = deserializer.deserialize_seq(ListVisitor::<T>(PhantomData))?;
        L::try_from_iter(items).map_err(|e| D::Error::custom(format!("list too long: {e:?}")))
    }

    /// One integer, quoted or not.
    struct QuotedOrBare(u64);

    impl<'de> serde::Deserialize<'de> for QuotedOrBare {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            serde_utils::quoted_u64::deserialize(deserializer).map(QuotedOrBare)
        }
    }
}
