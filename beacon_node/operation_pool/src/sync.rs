//! The sync committee pool: messages and contributions checked against the head state's sync committee
//! (current, or next for slots whose following slot is in the next period), kept per slot, block root
//! and subcommittee as subcommittee aggregates, merged where disjoint; and the block's `SyncAggregate`.

use crate::attestation::aggregate_signatures;
use crate::containers::{
    sync_subcommittee_size, SignedContributionAndProof, SyncAggregatorSelectionData,
    SyncCommitteeContribution, SyncCommitteeMessage, SyncSubcommitteeBits,
    SYNC_COMMITTEE_SUBNET_COUNT, TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
};
use crate::error::{InsertOutcome, SyncError};
use parking_lot::RwLock;
use state_processing::common::{compute_epoch_at_slot, get_current_epoch, hash};
use state_processing::per_block::{SignatureVerifier, VerifySignatures};
use state_processing::StateCaches;
use std::collections::HashMap;
use types::ssz_types::BitVector;
use types::{
    BeaconState, ChainSpec, DomainType, EthSpec, PublicKeyBytes, Root, SignatureBytes, Slot,
    SyncAggregate, DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_SYNC_COMMITTEE,
    DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
};

/// The most aggregates kept per slot, root and subcommittee.
pub const MAX_SYNC_AGGREGATES_PER_KEY: usize = 8;
/// The most (slot, root, subcommittee) keys kept: a few slots' worth of votes for a few roots.
pub const MAX_SYNC_KEYS: usize = 1024;
/// Slots before the current one whose messages are kept (a block needs the previous slot's).
pub const SYNC_SLOTS_KEPT: u64 = 2;

type SyncKey = (Slot, Root, u64);

#[derive(Debug, Clone)]
struct SubAggregate<E: EthSpec> {
    bits: SyncSubcommitteeBits<E>,
    signature: bls::Signature,
}

#[derive(Debug)]
pub(crate) struct SyncPool<E: EthSpec> {
    entries: HashMap<SyncKey, Vec<SubAggregate<E>>>,
}

impl<E: EthSpec> Default for SyncPool<E> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }
}

/// `compute_sync_committee_period`.
fn compute_sync_committee_period<E: EthSpec>(epoch: u64) -> u64 {
    epoch / E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD
}

/// The keys of the committee that signs at `slot`: that of `slot + 1`'s period, the state's current or
/// next committee (as `compute_subnets_for_sync_committee` picks).
fn committee_for_slot<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
) -> Result<Vec<PublicKeyBytes>, SyncError> {
    let period =
        compute_sync_committee_period::<E>(compute_epoch_at_slot::<E>(slot.saturating_add(1)));
    let current = compute_sync_committee_period::<E>(get_current_epoch(state));
    let committee = if period == current {
        state.current_sync_committee()
    } else if period == current + 1 {
        state.next_sync_committee()
    } else {
        return Err(SyncError::SlotOutOfPeriod { slot });
    };
    Ok(committee.pubkeys.iter().copied().collect())
}

fn verify_one(
    caches: &StateCaches,
    signature: &SignatureBytes,
    pubkeys: &[PublicKeyBytes],
    signing_root: Root,
) -> bool {
    SignatureVerifier::new(VerifySignatures::Individually)
        .with_decompressed_pubkeys(caches.decompressed_pubkeys.clone())
        .add("sync committee", signature, pubkeys.iter(), signing_root)
        .is_ok()
}

fn domain<E: EthSpec>(
    state: &BeaconState<E>,
    spec: &ChainSpec,
    kind: DomainType,
    slot: Slot,
) -> Root {
    spec.domain_at_epoch(
        kind,
        compute_epoch_at_slot::<E>(slot),
        state.genesis_validators_root(),
    )
}

/// `is_sync_committee_aggregator`.
pub fn is_sync_committee_aggregator<E: EthSpec>(selection_proof: &SignatureBytes) -> bool {
    let modulo = (E::sync_committee_size() as u64
        / SYNC_COMMITTEE_SUBNET_COUNT
        / TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE)
        .max(1);
    let digest = hash(&[&selection_proof.0]);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first) % modulo == 0
}

impl<E: EthSpec> SyncPool<E> {
    fn knows(&self, key: &SyncKey, bits: &SyncSubcommitteeBits<E>) -> bool {
        self.entries
            .get(key)
            .is_some_and(|list| list.iter().any(|a| bits.is_subset(&a.bits)))
    }

    fn insert(&mut self, key: SyncKey, new: SubAggregate<E>) -> Result<InsertOutcome, SyncError> {
        if !self.entries.contains_key(&key) && self.entries.len() >= MAX_SYNC_KEYS {
            // Votes cost a committee member nothing (they are not slashable): when full, the oldest
            // slot's make room for a later one rather than locking the pool until the next prune.
            let oldest = self
                .entries
                .keys()
                .min_by_key(|(slot, _, _)| *slot)
                .copied();
            match oldest {
                Some(old) if old.0 < key.0 => {
                    self.entries.remove(&old);
                }
                _ => return Err(SyncError::PoolFull),
            }
        }
        let list = self.entries.entry(key).or_default();
        if list.iter().any(|a| new.bits.is_subset(&a.bits)) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        list.retain(|a| !a.bits.is_subset(&new.bits));
        let mut merged = false;
        for kept in list.iter_mut() {
            if kept.bits.is_disjoint(&new.bits) {
                kept.bits = kept.bits.union(&new.bits);
                kept.signature = aggregate_signatures(&[&kept.signature, &new.signature]);
                merged = true;
            }
        }
        if !merged {
            list.push(new);
        }
        list.sort_by_key(|a| std::cmp::Reverse(a.bits.num_set_bits()));
        let mut kept: Vec<SubAggregate<E>> = Vec::with_capacity(list.len());
        for a in list.drain(..) {
            if !kept.iter().any(|k| a.bits.is_subset(&k.bits)) {
                kept.push(a);
            }
        }
        kept.truncate(MAX_SYNC_AGGREGATES_PER_KEY);
        *list = kept;
        Ok(InsertOutcome::New)
    }

    /// A `SyncCommitteeMessage`: the validator must sit in the committee; its signature of the block
    /// root counts once for each seat it holds (as `process_sync_aggregate` counts its key).
    pub fn insert_message(
        pool: &RwLock<Self>,
        message: &SyncCommitteeMessage,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, SyncError> {
        let committee = committee_for_slot(state, message.slot)?;
        let pubkey = state
            .validators()
            .get(message.validator_index as usize)
            .ok_or(SyncError::UnknownValidator(message.validator_index))?
            .pubkey;
        let size = sync_subcommittee_size::<E>();
        let mut per_subcommittee: HashMap<u64, SyncSubcommitteeBits<E>> = HashMap::new();
        for (position, _) in committee
            .iter()
            .enumerate()
            .filter(|(_, pk)| **pk == pubkey)
        {
            per_subcommittee
                .entry((position / size) as u64)
                .or_default()
                .set(position % size, true);
        }
        if per_subcommittee.is_empty() {
            return Err(SyncError::NotInSyncCommittee {
                validator_index: message.validator_index,
            });
        }
        let key = |sub| (message.slot, message.beacon_block_root, sub);
        if per_subcommittee
            .iter()
            .all(|(&sub, bits)| pool.read().knows(&key(sub), bits))
        {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        let signing_root = types::compute_signing_root(
            &message.beacon_block_root,
            domain(state, spec, DOMAIN_SYNC_COMMITTEE, message.slot),
        );
        if !verify_one(caches, &message.signature, &[pubkey], signing_root) {
            return Err(SyncError::InvalidSignature);
        }
        let signature = bls::Signature::from_bytes(&message.signature.0)
            .map_err(|_| SyncError::InvalidSignature)?;
        let mut outcome = InsertOutcome::AlreadyKnown;
        for (sub, bits) in per_subcommittee {
            let copies: Vec<&bls::Signature> =
                (0..bits.num_set_bits()).map(|_| &signature).collect();
            let aggregate = SubAggregate {
                bits,
                signature: aggregate_signatures(&copies),
            };
            if pool.write().insert(key(sub), aggregate)? == InsertOutcome::New {
                outcome = InsertOutcome::New;
            }
        }
        Ok(outcome)
    }

    /// A `SyncCommitteeContribution`: participants' aggregate signature of the block root.
    pub fn insert_contribution(
        pool: &RwLock<Self>,
        contribution: &SyncCommitteeContribution<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, SyncError> {
        let subcommittee =
            subcommittee_keys(state, contribution.slot, contribution.subcommittee_index)?;
        let bits = &contribution.aggregation_bits;
        if bits.num_set_bits() == 0 {
            return Err(SyncError::NoParticipants);
        }
        let key = (
            contribution.slot,
            contribution.beacon_block_root,
            contribution.subcommittee_index,
        );
        if pool.read().knows(&key, bits) {
            return Ok(InsertOutcome::AlreadyKnown);
        }
        let participants: Vec<PublicKeyBytes> = bits
            .set_positions()
            .filter_map(|i| subcommittee.get(i).copied())
            .collect();
        let signing_root = types::compute_signing_root(
            &contribution.beacon_block_root,
            domain(state, spec, DOMAIN_SYNC_COMMITTEE, contribution.slot),
        );
        if !verify_one(caches, &contribution.signature, &participants, signing_root) {
            return Err(SyncError::InvalidSignature);
        }
        let signature = bls::Signature::from_bytes(&contribution.signature.0)
            .map_err(|_| SyncError::InvalidSignature)?;
        pool.write().insert(
            key,
            SubAggregate {
                bits: bits.clone(),
                signature,
            },
        )
    }

    /// A `SignedContributionAndProof`, with the gossip checks on its aggregator: selected by its proof,
    /// in the subcommittee, and the proof and the outer signature valid.
    pub fn insert_signed_contribution(
        pool: &RwLock<Self>,
        signed: &SignedContributionAndProof<E>,
        state: &BeaconState<E>,
        caches: &StateCaches,
        spec: &ChainSpec,
    ) -> Result<InsertOutcome, SyncError> {
        let message = &signed.message;
        let contribution = &message.contribution;
        let subcommittee =
            subcommittee_keys(state, contribution.slot, contribution.subcommittee_index)?;
        if contribution.aggregation_bits.num_set_bits() == 0 {
            return Err(SyncError::NoParticipants);
        }
        if !is_sync_committee_aggregator::<E>(&message.selection_proof) {
            return Err(SyncError::NotAggregator(message.aggregator_index));
        }
        let aggregator = state
            .validators()
            .get(message.aggregator_index as usize)
            .ok_or(SyncError::UnknownValidator(message.aggregator_index))?
            .pubkey;
        if !subcommittee.contains(&aggregator) {
            return Err(SyncError::NotInSyncCommittee {
                validator_index: message.aggregator_index,
            });
        }
        let selection = SyncAggregatorSelectionData {
            slot: contribution.slot,
            subcommittee_index: contribution.subcommittee_index,
        };
        let selection_root = types::compute_signing_root(
            &selection,
            domain(
                state,
                spec,
                DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
                contribution.slot,
            ),
        );
        if !verify_one(
            caches,
            &message.selection_proof,
            &[aggregator],
            selection_root,
        ) {
            return Err(SyncError::InvalidSelectionProof);
        }
        let message_root = types::compute_signing_root(
            message,
            domain(
                state,
                spec,
                DOMAIN_CONTRIBUTION_AND_PROOF,
                contribution.slot,
            ),
        );
        if !verify_one(caches, &signed.signature, &[aggregator], message_root) {
            return Err(SyncError::InvalidAggregatorSignature);
        }
        Self::insert_contribution(pool, contribution, state, caches, spec)
    }

    /// The best aggregate for a key: the largest, with every disjoint one merged in.
    fn best(&self, key: &SyncKey) -> Option<SubAggregate<E>> {
        let list = self.entries.get(key)?;
        let mut best = list.first()?.clone();
        for other in &list[1..] {
            if best.bits.is_disjoint(&other.bits) {
                best.bits = best.bits.union(&other.bits);
                best.signature = aggregate_signatures(&[&best.signature, &other.signature]);
            }
        }
        Some(best)
    }

    pub fn contribution(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Root,
    ) -> Option<SyncCommitteeContribution<E>> {
        let best = self.best(&(slot, beacon_block_root, subcommittee_index))?;
        Some(SyncCommitteeContribution {
            slot,
            beacon_block_root,
            subcommittee_index,
            aggregation_bits: best.bits,
            signature: best.signature.to_bytes(),
        })
    }

    /// The `SyncAggregate` for a block at `block_slot` whose parent is `parent_root`: the best of each
    /// subcommittee for the slot before, checked against `state`'s current sync committee (the block's
    /// pre-state); the empty aggregate if there is none or the check fails.
    pub fn sync_aggregate_for_block(
        &self,
        state: &BeaconState<E>,
        caches: &StateCaches,
        block_slot: Slot,
        parent_root: Root,
        spec: &ChainSpec,
    ) -> SyncAggregate<E> {
        let Some(slot) = block_slot.checked_sub(1) else {
            return SyncAggregate::empty();
        };
        let size = sync_subcommittee_size::<E>();
        let mut bits = BitVector::<E::SyncCommitteeSize>::new();
        let mut signatures = vec![];
        for sub in 0..SYNC_COMMITTEE_SUBNET_COUNT {
            let Some(best) = self.best(&(slot, parent_root, sub)) else {
                continue;
            };
            for i in best.bits.set_positions() {
                let _ = bits.set(sub as usize * size + i, true);
            }
            signatures.push(best.signature);
        }
        if signatures.is_empty() {
            return SyncAggregate::empty();
        }
        let refs: Vec<&bls::Signature> = signatures.iter().collect();
        let aggregate = SyncAggregate {
            sync_committee_bits: bits,
            sync_committee_signature: aggregate_signatures(&refs).to_bytes(),
        };
        let committee = &state.current_sync_committee().pubkeys;
        let participants: Vec<PublicKeyBytes> = committee
            .iter()
            .zip(aggregate.sync_committee_bits.iter())
            .filter(|(_, b)| *b)
            .map(|(pk, _)| *pk)
            .collect();
        let signing_root = types::compute_signing_root(
            &parent_root,
            domain(state, spec, DOMAIN_SYNC_COMMITTEE, slot),
        );
        if !verify_one(
            caches,
            &aggregate.sync_committee_signature,
            &participants,
            signing_root,
        ) {
            tracing::warn!(
                slot = block_slot,
                "sync aggregate does not verify against the block's state; proposing an empty one"
            );
            return SyncAggregate::empty();
        }
        aggregate
    }

    /// Forget messages of slots before `current_slot - SYNC_SLOTS_KEPT`.
    pub fn prune(&mut self, current_slot: Slot) {
        self.entries
            .retain(|(slot, _, _), _| slot.saturating_add(SYNC_SLOTS_KEPT) >= current_slot);
    }
}

/// The keys of one subcommittee of the committee that signs at `slot`.
fn subcommittee_keys<E: EthSpec>(
    state: &BeaconState<E>,
    slot: Slot,
    subcommittee_index: u64,
) -> Result<Vec<PublicKeyBytes>, SyncError> {
    if subcommittee_index >= SYNC_COMMITTEE_SUBNET_COUNT {
        return Err(SyncError::SubcommitteeIndexOutOfRange(subcommittee_index));
    }
    let committee = committee_for_slot(state, slot)?;
    let size = sync_subcommittee_size::<E>();
    let start = subcommittee_index as usize * size;
    committee
        .get(start..start + size)
        .map(<[PublicKeyBytes]>::to_vec)
        .ok_or(SyncError::SubcommitteeIndexOutOfRange(subcommittee_index))
}
