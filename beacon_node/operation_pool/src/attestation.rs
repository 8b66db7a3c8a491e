//! The attestation pool: single-committee aggregates checked against a head state on entry, kept per
//! `AttestationData` and committee, merged where their attesters are disjoint.
//!
//! Aggregates are stored per committee whatever the fork: an Electra gossip aggregate names one
//! committee, and a block's multi-committee attestation is assembled only when packing (see
//! [`crate::packing`]).

use crate::containers::{Attestation, SingleAttestation};
use crate::error::{AttestationError, InsertOutcome};
use state_processing::common::compute_epoch_at_slot;
use state_processing::per_block::{SignatureVerifier, VerifySignatures};
use state_processing::StateCaches;
use std::collections::{BTreeMap, HashMap};
use tree_hash::TreeHash;
use types::ssz_types::{BitList, BitVector};
use types::{
    AttestationBase, AttestationData, AttestationElectra, BeaconState, ChainSpec, CommitteeIndex,
    Epoch, EthSpec, Root, Slot, DOMAIN_BEACON_ATTESTER,
};

/// The most aggregates kept per data and committee (the best, by attester count): overlapping
/// aggregates that cannot merge are rarely useful beyond a few.
pub const MAX_AGGREGATES_PER_COMMITTEE: usize = 8;
/// The most distinct `AttestationData` kept (mainnet sees about 64 per slot before Electra).
pub const MAX_ATTESTATION_DATA: usize = 32_768;

/// One committee's aggregate: its bits over the committee and their aggregate signature.
#[derive(Debug, Clone)]
pub(crate) struct CommitteeAggregate {
    pub bits: Vec<bool>,
    pub signature: bls::Signature,
}

impl CommitteeAggregate {
    pub fn count(&self) -> usize {
        self.bits.iter().filter(|b| **b).count()
    }

    fn is_subset_of(&self, other: &Self) -> bool {
        self.bits.len() == other.bits.len()
            && self.bits.iter().zip(&other.bits).all(|(a, b)| !a || *b)
    }

    fn is_disjoint(&self, other: &Self) -> bool {
        self.bits.len() == other.bits.len()
            && self.bits.iter().zip(&other.bits).all(|(a, b)| !(a & b))
    }

    fn merge(&mut self, other: &Self) {
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
        self.signature = aggregate_signatures(&[&self.signature, &other.signature]);
    }
}

pub(crate) fn aggregate_signatures(signatures: &[&bls::Signature]) -> bls::Signature {
    let mut aggregate = bls::AggregateSignature::infinity();
    for s in signatures {
        aggregate.add(s);
    }
    aggregate.to_signature()
}

/// Everything known for one `AttestationData`.
#[derive(Debug, Clone)]
pub(crate) struct DataEntry {
    pub data: AttestationData,
    /// Electra's shape (`data.index` 0, committees in `committee_bits`).
    pub electra: bool,
    pub committees: BTreeMap<CommitteeIndex, Vec<CommitteeAggregate>>,
}

impl DataEntry {
    /// The attestation a single committee's aggregate is, in this entry's shape.
    pub fn to_attestation<E: EthSpec>(
        &self,
        committee_index: CommitteeIndex,
        aggregate: &CommitteeAggregate,
    ) -> Option<Attestation<E>> {
        let signature = aggregate.signature.to_bytes();
        if self.electra {
            let mut committee_bits = BitVector::new();
            committee_bits.set(committee_index as usize, true).ok()?;
            Some(Attestation::Electra(AttestationElectra {
                aggregation_bits: bits_to_list(&aggregate.bits)?,
                data: self.data.clone(),
                signature,
                committee_bits,
            }))
        } else {
            Some(Attestation::Base(AttestationBase {
                aggregation_bits: bits_to_list(&aggregate.bits)?,
                data: self.data.clone(),
                signature,
            }))
        }
    }
}

pub(crate) fn bits_to_list<N: types::ssz_types::typenum::Unsigned + Clone>(
    bits: &[bool],
) -> Option<BitList<N>> {
    let mut list = BitList::with_capacity(bits.len()).ok()?;
    for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
        list.set(i, true).ok()?;
    }
    Some(list)
}

/// An attestation that passed [`verify`], ready for the pool.
pub(crate) struct VerifiedAttestation {
    data_root: Root,
    data: AttestationData,
    electra: bool,
    committee_index: CommitteeIndex,
    aggregate: CommitteeAggregate,
}

/// The aggregates, by data root.
#[derive(Debug, Default)]
pub(crate) struct AttestationPool {
    pub entries: HashMap<Root, DataEntry>,
}

/// An attestation's parts once its shape is known: one committee's bits.
struct Candidate<'a> {
    data: &'a AttestationData,
    electra: bool,
    committee_index: CommitteeIndex,
    bits: Vec<bool>,
    signature: &'a types::SignatureBytes,
}

impl AttestationPool {
    /// Whether every attester of `candidate` is already in one kept aggregate.
    fn knows(&self, data_root: &Root, committee_index: CommitteeIndex, bits: &[bool]) -> bool {
        let probe = |a: &CommitteeAggregate| {
            a.bits.len() == bits.len() && bits.iter().zip(&a.bits).all(|(n, k)| !n || *k)
        };
        self.entries
            .get(data_root)
            .and_then(|e| e.committees.get(&committee_index))
            .is_some_and(|list| list.iter().any(probe))
    }

    /// Keep a verified aggregate: drop aggregates it covers, merge it into every disjoint one (else keep
    /// it alone), then keep the best few that are not subsets of another.
    pub fn insert(
        &mut self,
        verified: VerifiedAttestation,
    ) -> Result<InsertOutcome, AttestationError> {
        if !self.entries.contains_key(&verified.data_root)
            && self.entries.len() >= MAX_ATTESTATION_DATA
        {
            return Err(AttestationError::PoolFull);
        }
        let entry = self
            .entries
            .entry(verified.data_root)
            .or_insert_with(|| DataEntry {
                data: verified.data,
                electra: verified.electra,
                committees: BTreeMap::new(),
            });
        let list = entry
            .committees
            .entry(verified.committee_index)
            .or_default();
        let new = verified.aggregate;
        if list.iter().any(|kept| new.is_subset_of(kept)) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        list.retain(|kept| !kept.is_subset_of(&new));
        let mut merged = false;
        for kept in list.iter_mut() {
            if kept.is_disjoint(&new) {
                kept.merge(&new);
                merged = true;
            }
        }
        if !merged {
            list.push(new);
        }
        list.sort_by_key(|a| std::cmp::Reverse(a.count()));
        let mut kept: Vec<CommitteeAggregate> = Vec::with_capacity(list.len());
        for a in list.drain(..) {
            if !kept.iter().any(|k| a.is_subset_of(k)) {
                kept.push(a);
            }
        }
        kept.truncate(MAX_AGGREGATES_PER_COMMITTEE);
        *list = kept;
        Ok(InsertOutcome::New)
    }

    /// Forget attestations whose target is before `current_epoch - 1`: no block can include them.
    pub fn prune(&mut self, current_epoch: Epoch) {
        self.entries
            .retain(|_, e| e.data.target.epoch.saturating_add(1) >= current_epoch);
    }

    /// The best (most attesters) aggregate of `committee_index` for the data with root `data_root` at
    /// `slot`.
    pub fn best_aggregate<E: EthSpec>(
        &self,
        slot: Slot,
        data_root: &Root,
        committee_index: CommitteeIndex,
    ) -> Option<Attestation<E>> {
        let entry = self
            .entries
            .get(data_root)
            .filter(|e| e.data.slot == slot)?;
        let best = entry
            .committees
            .get(&committee_index)?
            .iter()
            .max_by_key(|a| a.count())?;
        entry.to_attestation(committee_index, best)
    }

    /// Every kept aggregate, optionally only of `slot` and/or `committee_index`.
    pub fn list<E: EthSpec>(
        &self,
        slot: Option<Slot>,
        committee_index: Option<CommitteeIndex>,
    ) -> Vec<Attestation<E>> {
        let mut out = vec![];
        for entry in self.entries.values() {
            if slot.is_some_and(|s| s != entry.data.slot) {
                continue;
            }
            for (&index, list) in &entry.committees {
                if committee_index.is_some_and(|c| c != index) {
                    continue;
                }
                out.extend(list.iter().filter_map(|a| entry.to_attestation(index, a)));
            }
        }
        out.sort_by_key(|a| a.data().slot);
        out
    }
}

/// Check an aggregate against `state` (a head state, at or before the attestation's slot or up to an
/// epoch after it): the fork's shape, the target epoch window, the committee and its bits, and (unless
/// the pool already holds all its attesters, answered with `AlreadyKnown`) the aggregate signature —
/// the gossip and `process_attestation` checks that need no fork choice.
pub(crate) fn verify<E: EthSpec>(
    pool: &parking_lot::RwLock<AttestationPool>,
    attestation: &Attestation<E>,
    state: &BeaconState<E>,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<Option<VerifiedAttestation>, AttestationError> {
    let candidate = match attestation {
        Attestation::Base(a) => {
            check_fork::<E>(&a.data, false, spec)?;
            Candidate {
                data: &a.data,
                electra: false,
                committee_index: a.data.index,
                bits: a.aggregation_bits.iter().collect(),
                signature: &a.signature,
            }
        }
        Attestation::Electra(a) => {
            check_fork::<E>(&a.data, true, spec)?;
            if a.data.index != 0 {
                return Err(AttestationError::NonZeroDataIndex(a.data.index));
            }
            let committees: Vec<usize> = a
                .committee_bits
                .iter()
                .enumerate()
                .filter(|(_, b)| *b)
                .map(|(i, _)| i)
                .collect();
            let [committee_index] = committees[..] else {
                return Err(AttestationError::NotOneCommittee(committees.len()));
            };
            Candidate {
                data: &a.data,
                electra: true,
                committee_index: committee_index as CommitteeIndex,
                bits: a.aggregation_bits.iter().collect(),
                signature: &a.signature,
            }
        }
    };
    verify_candidate(pool, candidate, state, caches, spec)
}

/// [`verify`] for a `SingleAttestation` (Electra): the attester must sit in the named committee.
pub(crate) fn verify_single<E: EthSpec>(
    pool: &parking_lot::RwLock<AttestationPool>,
    single: &SingleAttestation,
    state: &BeaconState<E>,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<Option<VerifiedAttestation>, AttestationError> {
    check_fork::<E>(&single.data, true, spec)?;
    if single.data.index != 0 {
        return Err(AttestationError::NonZeroDataIndex(single.data.index));
    }
    let target = check_window::<E>(&single.data, state)?;
    let committee = committee_of(
        state,
        caches,
        single.data.slot,
        target,
        single.committee_index,
    )?;
    let position = committee
        .iter()
        .position(|&v| v == single.attester_index)
        .ok_or(AttestationError::AttesterNotInCommittee {
            attester_index: single.attester_index,
            committee_index: single.committee_index,
        })?;
    let mut bits = vec![false; committee.len()];
    bits[position] = true;
    let candidate = Candidate {
        data: &single.data,
        electra: true,
        committee_index: single.committee_index,
        bits,
        signature: &single.signature,
    };
    verify_candidate(pool, candidate, state, caches, spec)
}

fn check_fork<E: EthSpec>(
    data: &AttestationData,
    electra: bool,
    spec: &ChainSpec,
) -> Result<(), AttestationError> {
    let expected = spec.fork_name_at_slot::<E>(data.slot);
    if expected.electra_enabled() != electra {
        let got = if electra {
            types::ForkName::Electra
        } else {
            types::ForkName::Deneb
        };
        return Err(AttestationError::WrongFork { expected, got });
    }
    Ok(())
}

/// The target must be the slot's epoch, and within one epoch of the state's.
fn check_window<E: EthSpec>(
    data: &AttestationData,
    state: &BeaconState<E>,
) -> Result<Epoch, AttestationError> {
    let target = data.target.epoch;
    if target != compute_epoch_at_slot::<E>(data.slot) {
        return Err(AttestationError::TargetEpochMismatch {
            target,
            slot: data.slot,
        });
    }
    let current = compute_epoch_at_slot::<E>(state.slot());
    if target.saturating_add(1) < current || target > current.saturating_add(1) {
        return Err(AttestationError::TargetEpochOutOfWindow { target, current });
    }
    Ok(target)
}

fn committee_of<'c, E: EthSpec>(
    state: &BeaconState<E>,
    caches: &'c StateCaches,
    slot: Slot,
    target: Epoch,
    index: CommitteeIndex,
) -> Result<std::borrow::Cow<'c, [u64]>, AttestationError> {
    let count = caches.get_committee_count_per_slot(state, target);
    if index >= count {
        return Err(AttestationError::CommitteeIndexOutOfRange { index, count });
    }
    Ok(caches.get_beacon_committee(state, slot, index)?)
}

fn verify_candidate<E: EthSpec>(
    pool: &parking_lot::RwLock<AttestationPool>,
    candidate: Candidate<'_>,
    state: &BeaconState<E>,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<Option<VerifiedAttestation>, AttestationError> {
    let data = candidate.data;
    let target = check_window::<E>(data, state)?;
    let committee = committee_of(state, caches, data.slot, target, candidate.committee_index)?;
    if candidate.bits.len() != committee.len() {
        return Err(AttestationError::AggregationBitsLength {
            got: candidate.bits.len(),
            expected: committee.len(),
        });
    }
    if !candidate.bits.iter().any(|b| *b) {
        return Err(AttestationError::NoAttesters);
    }
    let data_root = data.tree_hash_root();
    if pool
        .read()
        .knows(&data_root, candidate.committee_index, &candidate.bits)
    {
        return Ok(None);
    }

    let attesters: Vec<u64> = committee
        .iter()
        .zip(&candidate.bits)
        .filter(|(_, b)| **b)
        .map(|(&index, _)| index)
        .collect();
    let domain = spec.domain_at_epoch(
        DOMAIN_BEACON_ATTESTER,
        target,
        state.genesis_validators_root(),
    );
    let signing_root = types::compute_signing_root(data, domain);
    SignatureVerifier::new(VerifySignatures::Individually)
        .with_decompressed_pubkeys(caches.decompressed_pubkeys.clone())
        .with_validator_keys(caches.pubkeys.keys())
        .add_validators(
            "attestation",
            candidate.signature,
            &attesters,
            state.validators(),
            signing_root,
        )
        .map_err(|_| AttestationError::InvalidSignature)?;
    let signature = bls::Signature::from_bytes(&candidate.signature.0)
        .map_err(|_| AttestationError::InvalidSignature)?;
    Ok(Some(VerifiedAttestation {
        data_root,
        data: data.clone(),
        electra: candidate.electra,
        committee_index: candidate.committee_index,
        aggregate: CommitteeAggregate {
            bits: candidate.bits,
            signature,
        },
    }))
}
