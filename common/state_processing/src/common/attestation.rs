//! Attestations across the Electra change (EIP-7549): both shapes behind one reference type, their
//! attesting indices, indexed form and validity, and the participation flags they earn.

use super::accessors::{
    get_beacon_committee, get_block_root, get_block_root_at_slot, get_current_epoch, get_domain,
};
use super::math::integer_squareroot;
use super::participation::{
    TIMELY_HEAD_FLAG_INDEX, TIMELY_SOURCE_FLAG_INDEX, TIMELY_TARGET_FLAG_INDEX,
};
use crate::{Result, StateError};
use std::borrow::Cow;
use std::collections::BTreeSet;
use types::ssz_types::{BitVector, VariableList};
use types::{
    AttestationBase, AttestationData, AttestationElectra, BeaconState, CommitteeIndex, EthSpec,
    IndexedAttestationBase, IndexedAttestationElectra, SignatureBytes, Slot, ValidatorIndex,
    DOMAIN_BEACON_ATTESTER,
};

/// An attestation of either shape: one committee named by `data.index` (before Electra) or several named
/// by `committee_bits` (from Electra).
#[derive(Debug, Clone, Copy)]
pub enum AttestationRef<'a, E: EthSpec> {
    /// Before Electra.
    Base(&'a AttestationBase<E>),
    /// From Electra.
    Electra(&'a AttestationElectra<E>),
}

impl<'a, E: EthSpec> AttestationRef<'a, E> {
    /// The attested data.
    pub fn data(&self) -> &'a AttestationData {
        match self {
            Self::Base(a) => &a.data,
            Self::Electra(a) => &a.data,
        }
    }

    /// The aggregate signature.
    pub fn signature(&self) -> &'a SignatureBytes {
        match self {
            Self::Base(a) => &a.signature,
            Self::Electra(a) => &a.signature,
        }
    }
}

impl<'a, E: EthSpec> From<&'a AttestationBase<E>> for AttestationRef<'a, E> {
    fn from(a: &'a AttestationBase<E>) -> Self {
        Self::Base(a)
    }
}

impl<'a, E: EthSpec> From<&'a AttestationElectra<E>> for AttestationRef<'a, E> {
    fn from(a: &'a AttestationElectra<E>) -> Self {
        Self::Electra(a)
    }
}

/// An `IndexedAttestation` of either shape (the list limit differs from Electra on).
#[derive(Debug, Clone, PartialEq)]
pub enum IndexedAttestation<E: EthSpec> {
    /// Before Electra.
    Base(IndexedAttestationBase<E>),
    /// From Electra.
    Electra(IndexedAttestationElectra<E>),
}

impl<E: EthSpec> IndexedAttestation<E> {
    /// Borrow as an [`IndexedAttestationRef`].
    pub fn as_ref(&self) -> IndexedAttestationRef<'_, E> {
        match self {
            Self::Base(a) => IndexedAttestationRef::Base(a),
            Self::Electra(a) => IndexedAttestationRef::Electra(a),
        }
    }
}

/// A borrowed `IndexedAttestation` of either shape (as found in attester slashings).
#[derive(Debug, Clone, Copy)]
pub enum IndexedAttestationRef<'a, E: EthSpec> {
    /// Before Electra.
    Base(&'a IndexedAttestationBase<E>),
    /// From Electra.
    Electra(&'a IndexedAttestationElectra<E>),
}

impl<'a, E: EthSpec> IndexedAttestationRef<'a, E> {
    /// The attesting validator indices (sorted and unique if valid).
    pub fn attesting_indices(&self) -> &'a [ValidatorIndex] {
        match self {
            Self::Base(a) => &a.attesting_indices,
            Self::Electra(a) => &a.attesting_indices,
        }
    }

    /// The attested data.
    pub fn data(&self) -> &'a AttestationData {
        match self {
            Self::Base(a) => &a.data,
            Self::Electra(a) => &a.data,
        }
    }

    /// The aggregate signature.
    pub fn signature(&self) -> &'a SignatureBytes {
        match self {
            Self::Base(a) => &a.signature,
            Self::Electra(a) => &a.signature,
        }
    }
}

impl<'a, E: EthSpec> From<&'a IndexedAttestationBase<E>> for IndexedAttestationRef<'a, E> {
    fn from(a: &'a IndexedAttestationBase<E>) -> Self {
        Self::Base(a)
    }
}

impl<'a, E: EthSpec> From<&'a IndexedAttestationElectra<E>> for IndexedAttestationRef<'a, E> {
    fn from(a: &'a IndexedAttestationElectra<E>) -> Self {
        Self::Electra(a)
    }
}

/// `get_committee_indices` (electra): the committee indices whose bit is set, ascending.
pub fn get_committee_indices<E: EthSpec>(
    committee_bits: &BitVector<E::MaxCommitteesPerSlot>,
) -> Vec<CommitteeIndex> {
    committee_bits
        .iter()
        .enumerate()
        .filter(|(_, bit)| *bit)
        .map(|(i, _)| i as CommitteeIndex)
        .collect()
}

/// `get_attesting_indices` with committees from `committee` (the spec-direct computation or a cache):
/// phase0's single-committee form for [`AttestationRef::Base`], Electra's `committee_bits` form for
/// [`AttestationRef::Electra`]. An aggregation bit beyond the bit list is an error, as in the spec.
pub fn get_attesting_indices_with<'c, E, F>(
    attestation: AttestationRef<'_, E>,
    committee: F,
) -> Result<BTreeSet<ValidatorIndex>>
where
    E: EthSpec,
    F: FnMut(Slot, CommitteeIndex) -> Result<Cow<'c, [ValidatorIndex]>>,
{
    Ok(attesting_indices_sorted_with(attestation, committee)?
        .into_iter()
        .collect())
}

/// [`get_attesting_indices_with`] as an ascending vector of distinct indices (sorted once rather than
/// inserted one by one into a set: block processing's form, for tens of thousands of attesters).
pub fn attesting_indices_sorted_with<'c, E, F>(
    attestation: AttestationRef<'_, E>,
    mut committee: F,
) -> Result<Vec<ValidatorIndex>>
where
    E: EthSpec,
    F: FnMut(Slot, CommitteeIndex) -> Result<Cow<'c, [ValidatorIndex]>>,
{
    let mut output = vec![];
    match attestation {
        AttestationRef::Base(a) => {
            let members = committee(a.data.slot, a.data.index)?;
            for (i, &validator_index) in members.iter().enumerate() {
                if a.aggregation_bits.get(i)? {
                    output.push(validator_index);
                }
            }
        }
        AttestationRef::Electra(a) => {
            let mut offset = 0usize;
            for committee_index in get_committee_indices::<E>(&a.committee_bits) {
                let members = committee(a.data.slot, committee_index)?;
                for (i, &validator_index) in members.iter().enumerate() {
                    if a.aggregation_bits.get(offset + i)? {
                        output.push(validator_index);
                    }
                }
                offset += members.len();
            }
        }
    }
    output.sort_unstable();
    output.dedup();
    Ok(output)
}

/// `get_attesting_indices`: the validators whose aggregation bits are set (phase0 form for base
/// attestations, Electra form with `committee_bits` for Electra attestations), as a sorted set.
pub fn get_attesting_indices<E: EthSpec>(
    state: &BeaconState<E>,
    attestation: AttestationRef<'_, E>,
) -> Result<BTreeSet<ValidatorIndex>> {
    get_attesting_indices_with(attestation, |slot, index| {
        get_beacon_committee(state, slot, index).map(Cow::Owned)
    })
}

/// Build the `IndexedAttestation` of `attestation` from its (sorted) attesting indices.
pub fn indexed_attestation_from<E: EthSpec>(
    attestation: AttestationRef<'_, E>,
    attesting_indices: BTreeSet<ValidatorIndex>,
) -> Result<IndexedAttestation<E>> {
    indexed_attestation_from_sorted(attestation, attesting_indices.into_iter().collect())
}

/// [`indexed_attestation_from`] with the attesting indices as an ascending vector of distinct indices.
pub fn indexed_attestation_from_sorted<E: EthSpec>(
    attestation: AttestationRef<'_, E>,
    indices: Vec<ValidatorIndex>,
) -> Result<IndexedAttestation<E>> {
    Ok(match attestation {
        AttestationRef::Base(a) => IndexedAttestation::Base(IndexedAttestationBase {
            attesting_indices: VariableList::new(indices)?,
            data: a.data.clone(),
            signature: a.signature,
        }),
        AttestationRef::Electra(a) => IndexedAttestation::Electra(IndexedAttestationElectra {
            attesting_indices: VariableList::new(indices)?,
            data: a.data.clone(),
            signature: a.signature,
        }),
    })
}

/// `get_indexed_attestation` (phase0; Electra's shape for Electra attestations).
pub fn get_indexed_attestation<E: EthSpec>(
    state: &BeaconState<E>,
    attestation: AttestationRef<'_, E>,
) -> Result<IndexedAttestation<E>> {
    indexed_attestation_from(attestation, get_attesting_indices(state, attestation)?)
}

/// `is_valid_indexed_attestation` (phase0): indices non-empty, sorted and unique, and (unless
/// `verify_signature` is false) a valid aggregate signature of the attestation data under
/// `DOMAIN_BEACON_ATTESTER` at the target epoch. An unknown index or an undecodable key or signature
/// makes it invalid.
pub fn is_valid_indexed_attestation<E: EthSpec>(
    state: &BeaconState<E>,
    indexed_attestation: IndexedAttestationRef<'_, E>,
    verify_signature: bool,
) -> bool {
    let indices = indexed_attestation.attesting_indices();
    if indices.is_empty() || indices.windows(2).any(|w| w[0] >= w[1]) {
        return false;
    }
    let validators = state.validators();
    // Ascending, so every index is known iff the last one is (no registry lookup per attester).
    if indices
        .last()
        .is_none_or(|&last| last as usize >= validators.len())
    {
        return false;
    }
    if !verify_signature {
        return true;
    }
    let mut pubkeys = Vec::with_capacity(indices.len());
    for &index in indices {
        let Some(validator) = validators.get(index as usize) else {
            return false;
        };
        match bls::PublicKey::from_bytes(&validator.pubkey.0) {
            Ok(pk) => pubkeys.push(pk),
            Err(_) => return false,
        }
    }
    let Ok(signature) = bls::Signature::from_bytes(&indexed_attestation.signature().0) else {
        return false;
    };
    let data = indexed_attestation.data();
    let domain = get_domain(state, DOMAIN_BEACON_ATTESTER, Some(data.target.epoch));
    let signing_root = types::compute_signing_root(data, domain);
    let refs: Vec<&bls::PublicKey> = pubkeys.iter().collect();
    signature.fast_aggregate_verify(&refs, signing_root.as_slice())
}

/// `get_attestation_participation_flag_indices`: the flags an attestation with `data` included after
/// `inclusion_delay` slots earns (altair form before Deneb, Deneb's EIP-7045 form, with no target
/// inclusion limit, from Deneb on). Fails if the source does not match, as the spec asserts.
pub fn get_attestation_participation_flag_indices<E: EthSpec>(
    state: &BeaconState<E>,
    data: &AttestationData,
    inclusion_delay: u64,
) -> Result<Vec<usize>> {
    let justified_checkpoint = if data.target.epoch == get_current_epoch(state) {
        state.current_justified_checkpoint()
    } else {
        state.previous_justified_checkpoint()
    };
    let is_matching_source = data.source == justified_checkpoint;
    if !is_matching_source {
        return Err(StateError::InvalidBlock(
            "attestation source does not match the justified checkpoint".into(),
        ));
    }
    // Both roots are read unconditionally, as in the spec: either read may fail.
    let target_root = get_block_root(state, data.target.epoch)?;
    let head_root = get_block_root_at_slot(state, data.slot)?;
    let is_matching_target = data.target.root == target_root;
    let is_matching_head = is_matching_target && data.beacon_block_root == head_root;

    let mut flags = Vec::with_capacity(3);
    if inclusion_delay <= integer_squareroot(E::slots_per_epoch()) {
        flags.push(TIMELY_SOURCE_FLAG_INDEX);
    }
    let target_in_time =
        state.fork_name().deneb_enabled() || inclusion_delay <= E::slots_per_epoch();
    if is_matching_target && target_in_time {
        flags.push(TIMELY_TARGET_FLAG_INDEX);
    }
    if is_matching_head && inclusion_delay == E::MIN_ATTESTATION_INCLUSION_DELAY {
        flags.push(TIMELY_HEAD_FLAG_INDEX);
    }
    Ok(flags)
}
