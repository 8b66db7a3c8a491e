//! The gossip and beacon-API containers the pools take that `types` does not define (yet): Electra's
//! `SingleAttestation`, altair's sync committee messages and contributions, and fork-spanning enums for
//! attestations and attester slashings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ssz::{Decode, DecodeError, Encode};
use ssz_derive::{Decode, Encode};
use state_processing::common::{AttestationRef, IndexedAttestationRef};
use std::marker::PhantomData;
use tree_hash::{TreeHash, TreeHashType};
use tree_hash_derive::TreeHash;
use types::{
    AttestationBase, AttestationData, AttestationElectra, AttesterSlashingBase,
    AttesterSlashingElectra, CommitteeIndex, EthSpec, Hash256, Root, SignatureBytes, Slot,
    ValidatorIndex,
};

/// `SYNC_COMMITTEE_SUBNET_COUNT` (altair p2p).
pub const SYNC_COMMITTEE_SUBNET_COUNT: u64 = 4;
/// `TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE` (altair validator).
pub const TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE: u64 = 16;

/// Members of one sync subcommittee: `SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT`.
pub fn sync_subcommittee_size<E: EthSpec>() -> usize {
    E::sync_committee_size() / SYNC_COMMITTEE_SUBNET_COUNT as usize
}

/// `SingleAttestation` (electra): one attester's vote, as gossiped and as the beacon API's
/// `POST /eth/v2/beacon/pool/attestations` takes it from Electra on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(deny_unknown_fields)]
pub struct SingleAttestation {
    #[serde(with = "serde_utils::quoted_u64")]
    pub committee_index: CommitteeIndex,
    #[serde(with = "serde_utils::quoted_u64")]
    pub attester_index: ValidatorIndex,
    pub data: AttestationData,
    pub signature: SignatureBytes,
}

/// An `Attestation` of either shape: phase0's before Electra, Electra's (with `committee_bits`) after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum Attestation<E: EthSpec> {
    Base(AttestationBase<E>),
    Electra(AttestationElectra<E>),
}

impl<E: EthSpec> Attestation<E> {
    pub fn data(&self) -> &AttestationData {
        match self {
            Self::Base(a) => &a.data,
            Self::Electra(a) => &a.data,
        }
    }

    pub fn signature(&self) -> &SignatureBytes {
        match self {
            Self::Base(a) => &a.signature,
            Self::Electra(a) => &a.signature,
        }
    }

    /// How many aggregation bits are set.
    pub fn num_attesters(&self) -> usize {
        match self {
            Self::Base(a) => a.aggregation_bits.num_set_bits(),
            Self::Electra(a) => a.aggregation_bits.num_set_bits(),
        }
    }

    pub fn as_ref(&self) -> AttestationRef<'_, E> {
        match self {
            Self::Base(a) => AttestationRef::Base(a),
            Self::Electra(a) => AttestationRef::Electra(a),
        }
    }
}

impl<E: EthSpec> From<AttestationBase<E>> for Attestation<E> {
    fn from(a: AttestationBase<E>) -> Self {
        Self::Base(a)
    }
}

impl<E: EthSpec> From<AttestationElectra<E>> for Attestation<E> {
    fn from(a: AttestationElectra<E>) -> Self {
        Self::Electra(a)
    }
}

/// An `AttesterSlashing` of either shape (Electra widened the index lists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(bound = "E: EthSpec", untagged)]
pub enum AttesterSlashing<E: EthSpec> {
    Base(AttesterSlashingBase<E>),
    Electra(AttesterSlashingElectra<E>),
}

impl<E: EthSpec> AttesterSlashing<E> {
    /// The two indexed attestations.
    pub fn attestations(&self) -> (IndexedAttestationRef<'_, E>, IndexedAttestationRef<'_, E>) {
        match self {
            Self::Base(s) => (
                IndexedAttestationRef::Base(&s.attestation_1),
                IndexedAttestationRef::Base(&s.attestation_2),
            ),
            Self::Electra(s) => (
                IndexedAttestationRef::Electra(&s.attestation_1),
                IndexedAttestationRef::Electra(&s.attestation_2),
            ),
        }
    }

    /// The validators named in both attestations (the ones a slashing can slash), ascending.
    pub fn intersecting_indices(&self) -> Vec<ValidatorIndex> {
        let (a, b) = self.attestations();
        let b = b.attesting_indices();
        let mut out: Vec<ValidatorIndex> = a
            .attesting_indices()
            .iter()
            .copied()
            .filter(|i| b.contains(i))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn tree_hash_root(&self) -> Root {
        match self {
            Self::Base(s) => s.tree_hash_root(),
            Self::Electra(s) => s.tree_hash_root(),
        }
    }
}

impl<E: EthSpec> From<AttesterSlashingBase<E>> for AttesterSlashing<E> {
    fn from(s: AttesterSlashingBase<E>) -> Self {
        Self::Base(s)
    }
}

impl<E: EthSpec> From<AttesterSlashingElectra<E>> for AttesterSlashing<E> {
    fn from(s: AttesterSlashingElectra<E>) -> Self {
        Self::Electra(s)
    }
}

/// `SyncCommitteeMessage` (altair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(deny_unknown_fields)]
pub struct SyncCommitteeMessage {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub beacon_block_root: Root,
    #[serde(with = "serde_utils::quoted_u64")]
    pub validator_index: ValidatorIndex,
    pub signature: SignatureBytes,
}

/// `Bitvector[SYNC_COMMITTEE_SIZE // SYNC_COMMITTEE_SUBNET_COUNT]`, with its length taken from the preset
/// at run time (`EthSpec` has no type for the quotient). SSZ, tree hash and JSON are those of the spec's
/// bitvector.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SyncSubcommitteeBits<E: EthSpec> {
    bytes: Vec<u8>,
    _preset: PhantomData<E>,
}

impl<E: EthSpec> Default for SyncSubcommitteeBits<E> {
    fn default() -> Self {
        Self {
            bytes: vec![0; Self::byte_len()],
            _preset: PhantomData,
        }
    }
}

impl<E: EthSpec> std::fmt::Debug for SyncSubcommitteeBits<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", serde_utils::hex::encode(&self.bytes))
    }
}

impl<E: EthSpec> SyncSubcommitteeBits<E> {
    fn byte_len() -> usize {
        sync_subcommittee_size::<E>().div_ceil(8)
    }

    /// The number of bits.
    pub fn len(&self) -> usize {
        sync_subcommittee_size::<E>()
    }

    /// Always false: a subcommittee has members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bit `i`; `None` past the end.
    pub fn get(&self, i: usize) -> Option<bool> {
        (i < self.len()).then(|| self.bytes[i / 8] >> (i % 8) & 1 == 1)
    }

    /// Set bit `i`; `false` past the end.
    pub fn set(&mut self, i: usize, value: bool) -> bool {
        if i >= self.len() {
            return false;
        }
        if value {
            self.bytes[i / 8] |= 1 << (i % 8);
        } else {
            self.bytes[i / 8] &= !(1 << (i % 8));
        }
        true
    }

    pub fn num_set_bits(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The positions of the set bits, ascending.
    pub fn set_positions(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).filter(|&i| self.get(i) == Some(true))
    }

    pub fn is_disjoint(&self, other: &Self) -> bool {
        self.bytes.iter().zip(&other.bytes).all(|(a, b)| a & b == 0)
    }

    /// Whether every bit of `self` is set in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        self.bytes
            .iter()
            .zip(&other.bytes)
            .all(|(a, b)| a & !b == 0)
    }

    pub fn union(&self, other: &Self) -> Self {
        Self {
            bytes: self
                .bytes
                .iter()
                .zip(&other.bytes)
                .map(|(a, b)| a | b)
                .collect(),
            _preset: PhantomData,
        }
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != Self::byte_len() {
            return Err(format!(
                "{} bytes for a {}-bit vector",
                bytes.len(),
                sync_subcommittee_size::<E>()
            ));
        }
        let spare = Self::byte_len() * 8 - sync_subcommittee_size::<E>();
        if spare > 0 && bytes[bytes.len() - 1] >> (8 - spare) != 0 {
            return Err("bits set past the vector's length".into());
        }
        Ok(Self {
            bytes: bytes.to_vec(),
            _preset: PhantomData,
        })
    }
}

impl<E: EthSpec> Encode for SyncSubcommitteeBits<E> {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        Self::byte_len()
    }
    fn ssz_bytes_len(&self) -> usize {
        self.bytes.len()
    }
    fn ssz_append(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.bytes);
    }
}

impl<E: EthSpec> Decode for SyncSubcommitteeBits<E> {
    fn is_ssz_fixed_len() -> bool {
        true
    }
    fn ssz_fixed_len() -> usize {
        Self::byte_len()
    }
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_bytes(bytes).map_err(DecodeError::BytesInvalid)
    }
}

impl<E: EthSpec> TreeHash for SyncSubcommitteeBits<E> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::Vector
    }
    // A vector is never packed into a parent's chunk; these are never asked for.
    fn tree_hash_packed_encoding(&self) -> tree_hash::PackedEncoding {
        tree_hash::PackedEncoding::from_slice(&self.bytes)
    }
    fn tree_hash_packing_factor() -> usize {
        1
    }
    fn tree_hash_root(&self) -> Hash256 {
        let chunks = Self::byte_len().div_ceil(32);
        tree_hash::merkle_root(&self.bytes, chunks)
    }
}

impl<E: EthSpec> Serialize for SyncSubcommitteeBits<E> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_utils::hex::encode(&self.bytes))
    }
}

impl<'de, E: EthSpec> Deserialize<'de> for SyncSubcommitteeBits<E> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = serde_utils::hex::decode(&s).map_err(serde::de::Error::custom)?;
        Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// `SyncCommitteeContribution` (altair): one subcommittee's aggregate for a slot and block root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SyncCommitteeContribution<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    pub beacon_block_root: Root,
    #[serde(with = "serde_utils::quoted_u64")]
    pub subcommittee_index: u64,
    pub aggregation_bits: SyncSubcommitteeBits<E>,
    pub signature: SignatureBytes,
}

/// `ContributionAndProof` (altair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct ContributionAndProof<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub aggregator_index: ValidatorIndex,
    pub contribution: SyncCommitteeContribution<E>,
    pub selection_proof: SignatureBytes,
}

/// `SignedContributionAndProof` (altair).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct SignedContributionAndProof<E: EthSpec> {
    pub message: ContributionAndProof<E>,
    pub signature: SignatureBytes,
}

/// `SyncAggregatorSelectionData` (altair): what a sync aggregator's selection proof signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(deny_unknown_fields)]
pub struct SyncAggregatorSelectionData {
    #[serde(with = "serde_utils::quoted_u64")]
    pub slot: Slot,
    #[serde(with = "serde_utils::quoted_u64")]
    pub subcommittee_index: u64,
}
