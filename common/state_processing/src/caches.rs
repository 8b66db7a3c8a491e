//! Caches a mainnet-size state needs, kept next to the state (never inside it): per-epoch committee
//! shufflings, the total active balance, pre-Fulu proposers, a pubkey → validator index map, the epoch's
//! effective balances and progressive (participating) balances (see [`crate::progressive_balances`]), and
//! decompressed public keys for signature checks.
//!
//! [`StateCaches`] answers the same questions as the spec-direct functions of [`crate::common`], with the
//! same names and results; when it holds nothing for the asked epoch it computes the answer from the state
//! (the spec-direct path). Caches belong to one chain of states: build them from the state they serve and
//! call [`StateCaches::prepare`] after every slot advance (it drops what a new epoch made stale).
//!
//! Why the cached values stay valid within an epoch: activation and exit epochs are only ever set to
//! `current_epoch + 1 + MAX_SEED_LOOKAHEAD` or later, so the active sets of the previous, current and next
//! epochs are fixed; seeds come from randao mixes at least one epoch old; and effective balances change
//! only in epoch processing (which replaces the balance-derived entries with the new epoch's, or clears
//! them via [`StateCaches::invalidate_balances`]) and at fork upgrades (after which slot processing clears
//! them). Block processing keeps the progressive balances current as it sets flags and slashes.

use crate::common::{
    attesting_indices_sorted_with, base_reward_per_increment, committee_count_per_slot,
    committee_range, compute_epoch_at_slot, compute_proposer_indices, get_active_validator_indices,
    get_attesting_indices_with, get_beacon_committee, get_beacon_proposer_index, get_current_epoch,
    get_previous_epoch, get_seed, get_total_active_balance, indexed_attestation_from_sorted,
    AttestationRef, IndexedAttestation,
};
use crate::per_block::DecompressedPubkeys;
use crate::progressive_balances::{
    build_epoch_caches, EpochValidatorCache, ProgressiveBalancesCache,
};
use crate::validator_keys::ValidatorKeys;
use crate::{Result, StateError};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use types::{
    BeaconState, CommitteeIndex, Epoch, EthSpec, Gwei, Hash256, PublicKeyBytes, Slot,
    ValidatorIndex, DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER,
};

pub use crate::common::shuffle_list;

/// One epoch's committees: the active set shuffled once with [`shuffle_list`] and sliced per committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitteeCache {
    epoch: Epoch,
    seed: Hash256,
    slots_per_epoch: u64,
    active_indices: Vec<ValidatorIndex>,
    /// `shuffling[i] = active_indices[compute_shuffled_index(i, n, seed)]`.
    shuffling: Vec<ValidatorIndex>,
    committees_per_slot: u64,
}

impl CommitteeCache {
    /// Build the committees of `epoch` from `state` (for any epoch the state can seed; in practice the
    /// previous, current or next epoch, which stay valid for the whole current epoch).
    pub fn new<E: EthSpec>(state: &BeaconState<E>, epoch: Epoch) -> Result<Self> {
        Self::from_active_indices(state, epoch, get_active_validator_indices(state, epoch))
    }

    /// As [`Self::new`], given `get_active_validator_indices(state, epoch)` (which epoch processing
    /// gathers on its way for the epoch after the next).
    pub fn from_active_indices<E: EthSpec>(
        state: &BeaconState<E>,
        epoch: Epoch,
        active_indices: Vec<ValidatorIndex>,
    ) -> Result<Self> {
        let seed = get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)?;
        let mut shuffling = active_indices.clone();
        shuffle_list(&mut shuffling, &seed, E::SHUFFLE_ROUND_COUNT);
        Ok(Self {
            epoch,
            seed,
            slots_per_epoch: E::slots_per_epoch(),
            committees_per_slot: committee_count_per_slot::<E>(active_indices.len() as u64),
            active_indices,
            shuffling,
        })
    }

    /// The epoch these committees belong to.
    pub fn epoch(&self) -> Epoch {
        self.epoch
    }

    /// The attester seed of the epoch (`get_seed(state, epoch, DOMAIN_BEACON_ATTESTER)`).
    pub fn seed(&self) -> Hash256 {
        self.seed
    }

    /// `get_active_validator_indices` for the epoch, ascending.
    pub fn active_validator_indices(&self) -> &[ValidatorIndex] {
        &self.active_indices
    }

    /// The shuffled active set; committees are consecutive slices of it.
    pub fn shuffling(&self) -> &[ValidatorIndex] {
        &self.shuffling
    }

    /// `get_committee_count_per_slot` for the epoch.
    pub fn committees_per_slot(&self) -> u64 {
        self.committees_per_slot
    }

    /// `get_beacon_committee` for a slot of this epoch.
    pub fn get_beacon_committee(
        &self,
        slot: Slot,
        index: CommitteeIndex,
    ) -> Result<&[ValidatorIndex]> {
        if slot / self.slots_per_epoch != self.epoch {
            return Err(StateError::EpochOutOfRange {
                epoch: slot / self.slots_per_epoch,
                current_epoch: self.epoch,
            });
        }
        if index >= self.committees_per_slot {
            return Err(StateError::CommitteeIndexOutOfRange {
                index,
                count: self.committees_per_slot,
            });
        }
        let position = (slot % self.slots_per_epoch) * self.committees_per_slot + index;
        let count = self.committees_per_slot * self.slots_per_epoch;
        let (start, end) = committee_range(self.shuffling.len(), position, count)?;
        Ok(&self.shuffling[start..end])
    }
}

/// `validator_pubkeys.index(pubkey)` by linear scan: the first validator with `pubkey`.
pub fn find_validator_index_by_pubkey<E: EthSpec>(
    state: &BeaconState<E>,
    pubkey: &PublicKeyBytes,
) -> Option<ValidatorIndex> {
    state
        .validators()
        .iter()
        .position(|v| v.pubkey == *pubkey)
        .map(|i| i as ValidatorIndex)
}

/// Pubkey → validator index for the first `len()` validators of a state (the registry only grows and
/// pubkeys never change, so the map is extended, never rebuilt). The bulk of the map is shared between
/// clones (a million entries are tens of megabytes, and caches are cloned with every state); validators
/// indexed since are held apart until there are enough of them to fold into a new shared map.
#[derive(Debug, Clone, Default)]
pub struct PubkeyCache {
    shared: Arc<HashMap<PublicKeyBytes, ValidatorIndex>>,
    recent: HashMap<PublicKeyBytes, ValidatorIndex>,
    len: usize,
    /// The same validators' keys by index, decompressed on first use (signature checks).
    keys: ValidatorKeys,
}

/// Validators held apart from the shared map before it is rebuilt with them.
const PUBKEY_RECENT_MAX: usize = 1 << 12;

impl PubkeyCache {
    /// How many validators are indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is indexed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Index the validators added since the last update (rebuilds if the state has fewer validators
    /// than indexed, i.e. the cache came from another chain).
    pub fn update<E: EthSpec>(&mut self, state: &BeaconState<E>) {
        let validators = state.validators();
        if validators.len() < self.len {
            *self = Self {
                keys: std::mem::take(&mut self.keys),
                ..Self::default()
            };
        }
        // The keys of the indexed prefix are this line's; the rest are checked against the registry.
        self.keys.update(validators, self.len);
        if validators.len() == self.len {
            return;
        }
        for (i, v) in validators.iter().enumerate().skip(self.len) {
            // The first validator with a key keeps it.
            if !self.shared.contains_key(&v.pubkey) {
                self.recent.entry(v.pubkey).or_insert(i as ValidatorIndex);
            }
        }
        self.len = validators.len();
        if self.shared.is_empty() {
            self.shared = Arc::new(std::mem::take(&mut self.recent));
        } else if self.recent.len() > PUBKEY_RECENT_MAX {
            let mut merged = (*self.shared).clone();
            merged.extend(self.recent.drain());
            self.shared = Arc::new(merged);
        }
    }

    /// Forget everything if more than the first `len` validators are indexed: after a failed epoch
    /// transition whose pending deposits were indexed, the state kept (the copy from before) may later
    /// gain other validators at those indices.
    pub fn forget_past(&mut self, len: usize) {
        if self.len > len {
            let mut keys = std::mem::take(&mut self.keys);
            keys.truncate(len);
            *self = Self {
                keys,
                ..Self::default()
            };
        }
    }

    /// The indexed validators' keys by index.
    pub fn keys(&self) -> &ValidatorKeys {
        &self.keys
    }

    /// Starts an empty cache from keys of another line of states (a chain's keys, decompressed once for
    /// all its caches): the next [`Self::update`] keeps those that match the state's registry.
    pub fn adopt_keys(&mut self, keys: ValidatorKeys) {
        if self.len == 0 {
            self.keys = keys;
        }
    }

    /// The indexed validator with `pubkey`, if any (ignores validators added since the last update).
    pub fn get(&self, pubkey: &PublicKeyBytes) -> Option<ValidatorIndex> {
        self.shared
            .get(pubkey)
            .or_else(|| self.recent.get(pubkey))
            .copied()
    }

    /// The first validator of `state` with `pubkey`: the map for the indexed prefix, then a scan of the
    /// validators added since (identical to [`find_validator_index_by_pubkey`]).
    pub fn find<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        pubkey: &PublicKeyBytes,
    ) -> Option<ValidatorIndex> {
        let validators = state.validators();
        if validators.len() < self.len {
            return find_validator_index_by_pubkey(state, pubkey);
        }
        if let Some(index) = self.get(pubkey) {
            return Some(index);
        }
        validators
            .iter()
            .enumerate()
            .skip(self.len)
            .find(|(_, v)| v.pubkey == *pubkey)
            .map(|(i, _)| i as ValidatorIndex)
    }
}

/// Everything cached next to one state. `StateCaches::default()` holds nothing, and then every method
/// takes the spec-direct path.
#[derive(Debug, Clone, Default)]
pub struct StateCaches {
    committees: Vec<Arc<CommitteeCache>>,
    total_active_balance: Option<(Epoch, Gwei)>,
    /// Proposers of every slot of one epoch (pre-Fulu states; Fulu reads `proposer_lookahead`).
    proposers: Option<(Epoch, Vec<ValidatorIndex>)>,
    /// Pubkey → index map; keep it current with [`PubkeyCache::update`] (done by [`Self::prepare`]).
    pub pubkeys: PubkeyCache,
    /// Decompressed public keys for signature checks, shared by every clone of these caches.
    pub decompressed_pubkeys: DecompressedPubkeys,
    /// The active set of a coming epoch, gathered by epoch processing, for its committee cache.
    active_indices_hint: Option<(Epoch, Vec<ValidatorIndex>)>,
    /// Effective balances and slashed flags of the current epoch (read per attester).
    epoch_validators: Option<EpochValidatorCache>,
    /// Participating balances of the previous and current epochs, kept current by block processing.
    progressive_balances: Option<ProgressiveBalancesCache>,
}

/// The cache entries block processing updates, as they were before a block (see
/// [`StateCaches::block_checkpoint`]).
pub(crate) struct BlockCheckpoint {
    epoch_validators: Option<EpochValidatorCache>,
    progressive_balances: Option<ProgressiveBalancesCache>,
}

impl StateCaches {
    /// Empty caches (everything computed on demand).
    pub fn new() -> Self {
        Self::default()
    }

    /// Caches for `state`'s current epoch, fully built.
    pub fn build<E: EthSpec>(state: &BeaconState<E>) -> Result<Self> {
        let mut caches = Self::new();
        caches.prepare(state)?;
        Ok(caches)
    }

    /// Bring the caches up to date for `state`'s current epoch: committees of the previous, current and
    /// next epochs, the total active balance, the proposers (before Fulu) and the pubkey map. Entries of
    /// older epochs are dropped; fresh ones are kept.
    pub fn prepare<E: EthSpec>(&mut self, state: &BeaconState<E>) -> Result<()> {
        let current = get_current_epoch(state);
        let previous = get_previous_epoch(state);
        let next = current.checked_add(1).ok_or(StateError::Overflow)?;
        self.committees
            .retain(|c| c.epoch >= previous && c.epoch <= next);
        for epoch in [previous, current, next] {
            self.build_committee_cache(state, epoch)?;
        }
        let progressive = match (
            self.epoch_validators.take(),
            self.progressive_balances.take(),
        ) {
            (Some(v), Some(p)) if v.epoch() == current && p.epoch() == current => {
                self.epoch_validators = Some(v);
                p
            }
            _ => {
                let (v, p) = build_epoch_caches(state)?;
                self.epoch_validators = Some(v);
                p
            }
        };
        if self.total_active_balance.is_none_or(|(e, _)| e != current) {
            self.total_active_balance = Some((current, progressive.total_active_balance::<E>()));
        }
        self.progressive_balances = Some(progressive);
        if state.proposer_lookahead().is_err()
            && self.proposers.as_ref().is_none_or(|(e, _)| *e != current)
        {
            let committee = self
                .committee_cache(current)
                .ok_or(StateError::Other("current committee cache missing".into()))?;
            let seed = get_seed(state, current, DOMAIN_BEACON_PROPOSER)?;
            let proposers = compute_proposer_indices(
                state,
                current,
                &seed,
                committee.active_validator_indices(),
            )?;
            self.proposers = Some((current, proposers));
        }
        self.pubkeys.update(state);
        Ok(())
    }

    /// Build (or reuse) the committee cache of `epoch`.
    pub fn build_committee_cache<E: EthSpec>(
        &mut self,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> Result<Arc<CommitteeCache>> {
        if let Some(cache) = self.committees.iter().find(|c| c.epoch == epoch) {
            return Ok(cache.clone());
        }
        let cache = match self.active_indices_hint.take() {
            Some((hint_epoch, indices)) if hint_epoch == epoch => {
                CommitteeCache::from_active_indices(state, epoch, indices)?
            }
            hint => {
                self.active_indices_hint = hint;
                CommitteeCache::new(state, epoch)?
            }
        };
        let cache = Arc::new(cache);
        self.committees.push(cache.clone());
        Ok(cache)
    }

    /// The committee cache of `epoch`, if built.
    pub fn committee_cache(&self, epoch: Epoch) -> Option<&CommitteeCache> {
        self.committees
            .iter()
            .find(|c| c.epoch == epoch)
            .map(|c| c.as_ref())
    }

    /// Forget the entries derived from effective balances (the total active balance, the proposers, the
    /// effective balances and the progressive balances): the per-step epoch processing calls this after
    /// `process_effective_balance_updates`, and slot processing after a fork upgrade.
    pub fn invalidate_balances(&mut self) {
        self.total_active_balance = None;
        self.proposers = None;
        self.epoch_validators = None;
        self.progressive_balances = None;
        self.active_indices_hint = None;
    }

    /// Install the balance caches of the epoch that epoch processing just started (it computes them on
    /// its way, sparing the next block a pass over the registry).
    pub(crate) fn set_epoch_balances<E: EthSpec>(
        &mut self,
        validators: EpochValidatorCache,
        progressive: ProgressiveBalancesCache,
        active_indices_hint: Option<(Epoch, Vec<ValidatorIndex>)>,
    ) {
        self.active_indices_hint = active_indices_hint;
        self.total_active_balance =
            Some((progressive.epoch(), progressive.total_active_balance::<E>()));
        self.epoch_validators = Some(validators);
        self.progressive_balances = Some(progressive);
    }

    /// What block processing changes in the caches (the progressive balances and the slashed flags),
    /// taken before a block so that a block failing part-way can put it back: the caller discards the
    /// half-processed state and keeps the pre-block one, which the caches must go on matching. Cheap: the
    /// flags are shared until a slashing copies them.
    pub(crate) fn block_checkpoint(&self) -> BlockCheckpoint {
        BlockCheckpoint {
            epoch_validators: self.epoch_validators.clone(),
            progressive_balances: self.progressive_balances.clone(),
        }
    }

    /// Put back what [`Self::block_checkpoint`] took (after a block failed).
    pub(crate) fn restore_block_checkpoint(&mut self, checkpoint: BlockCheckpoint) {
        self.epoch_validators = checkpoint.epoch_validators;
        self.progressive_balances = checkpoint.progressive_balances;
    }

    /// The effective balances and slashed flags of the epoch they were built for, if built.
    pub fn epoch_validators(&self) -> Option<&EpochValidatorCache> {
        self.epoch_validators.as_ref()
    }

    /// The progressive balances of the epoch they were built for, if built.
    pub fn progressive_balances(&self) -> Option<&ProgressiveBalancesCache> {
        self.progressive_balances.as_ref()
    }

    /// The epoch caches of `state`'s current epoch, mutably, if both are built for it (what block
    /// processing updates as it sets flags and slashes).
    pub(crate) fn epoch_balances_mut<E: EthSpec>(
        &mut self,
        state: &BeaconState<E>,
    ) -> Option<(&mut EpochValidatorCache, &mut ProgressiveBalancesCache)> {
        let current = get_current_epoch(state);
        match (&mut self.epoch_validators, &mut self.progressive_balances) {
            (Some(v), Some(p)) if v.epoch() == current && p.epoch() == current => Some((v, p)),
            _ => None,
        }
    }

    /// `state.validators[index].effective_balance`, from the epoch cache when it covers `index`.
    pub fn effective_balance<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        index: ValidatorIndex,
    ) -> Result<Gwei> {
        if let Some(cache) = &self.epoch_validators {
            if cache.epoch() == get_current_epoch(state) {
                if let Some(balance) = cache.effective_balance(index) {
                    return Ok(balance);
                }
            }
        }
        state
            .validators()
            .get(index as usize)
            .map(|v| v.effective_balance)
            .ok_or(StateError::UnknownValidator(index))
    }

    /// [`Self::effective_balance`] of each of `indices`, in their order. The reads are gathered in one
    /// tight loop: tens of thousands of attesters scattered over a registry-sized array are cache misses,
    /// which overlap there instead of waiting on each other.
    pub fn effective_balances<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        indices: &[ValidatorIndex],
    ) -> Result<Vec<Gwei>> {
        let cached = match &self.epoch_validators {
            Some(cache) if cache.epoch() == get_current_epoch(state) => cache.effective_balances(),
            _ => &[],
        };
        let mut out = Vec::with_capacity(indices.len());
        for &index in indices {
            match cached.get(index as usize) {
                Some(&balance) => out.push(balance),
                None => out.push(self.effective_balance(state, index)?),
            }
        }
        Ok(out)
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// `get_active_validator_indices`, from the committee cache of `epoch` if built.
    pub fn get_active_validator_indices<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> Cow<'_, [ValidatorIndex]> {
        match self.committee_cache(epoch) {
            Some(c) => Cow::Borrowed(c.active_validator_indices()),
            None => Cow::Owned(get_active_validator_indices(state, epoch)),
        }
    }

    /// `get_committee_count_per_slot`.
    pub fn get_committee_count_per_slot<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        epoch: Epoch,
    ) -> u64 {
        match self.committee_cache(epoch) {
            Some(c) => c.committees_per_slot(),
            None => committee_count_per_slot::<E>(
                get_active_validator_indices(state, epoch).len() as u64
            ),
        }
    }

    /// `get_beacon_committee`.
    pub fn get_beacon_committee<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        slot: Slot,
        index: CommitteeIndex,
    ) -> Result<Cow<'_, [ValidatorIndex]>> {
        match self.committee_cache(compute_epoch_at_slot::<E>(slot)) {
            Some(c) => c.get_beacon_committee(slot, index).map(Cow::Borrowed),
            None => get_beacon_committee(state, slot, index).map(Cow::Owned),
        }
    }

    /// `get_attesting_indices` (both attestation shapes).
    pub fn get_attesting_indices<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        attestation: AttestationRef<'_, E>,
    ) -> Result<BTreeSet<ValidatorIndex>> {
        get_attesting_indices_with(attestation, |slot, index| {
            self.get_beacon_committee(state, slot, index)
        })
    }

    /// `get_indexed_attestation` (both attestation shapes).
    pub fn get_indexed_attestation<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        attestation: AttestationRef<'_, E>,
    ) -> Result<IndexedAttestation<E>> {
        let indices = attesting_indices_sorted_with(attestation, |slot, index| {
            self.get_beacon_committee(state, slot, index)
        })?;
        indexed_attestation_from_sorted(attestation, indices)
    }

    /// `get_total_active_balance`.
    pub fn get_total_active_balance<E: EthSpec>(&self, state: &BeaconState<E>) -> Result<Gwei> {
        match self.total_active_balance {
            Some((epoch, total)) if epoch == get_current_epoch(state) => Ok(total),
            _ => get_total_active_balance(state),
        }
    }

    /// `get_base_reward_per_increment`.
    pub fn get_base_reward_per_increment<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
    ) -> Result<Gwei> {
        Ok(base_reward_per_increment::<E>(
            self.get_total_active_balance(state)?,
        ))
    }

    /// `get_base_reward`.
    pub fn get_base_reward<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        index: ValidatorIndex,
    ) -> Result<Gwei> {
        let validator = state
            .validators()
            .get(index as usize)
            .ok_or(StateError::UnknownValidator(index))?;
        (validator.effective_balance / E::EFFECTIVE_BALANCE_INCREMENT)
            .checked_mul(self.get_base_reward_per_increment(state)?)
            .ok_or(StateError::Overflow)
    }

    /// `get_beacon_proposer_index` (Fulu states always read `proposer_lookahead`).
    pub fn get_beacon_proposer_index<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
    ) -> Result<ValidatorIndex> {
        if state.proposer_lookahead().is_err() {
            if let Some((epoch, proposers)) = &self.proposers {
                if *epoch == get_current_epoch(state) {
                    let slot_index = (state.slot() % E::slots_per_epoch()) as usize;
                    if let Some(&proposer) = proposers.get(slot_index) {
                        return Ok(proposer);
                    }
                }
            }
        }
        get_beacon_proposer_index(state)
    }

    /// The first validator with `pubkey` (`validator_pubkeys.index(pubkey)`), through the pubkey map.
    pub fn find_validator_index<E: EthSpec>(
        &self,
        state: &BeaconState<E>,
        pubkey: &PublicKeyBytes,
    ) -> Option<ValidatorIndex> {
        self.pubkeys.find(state, pubkey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::interop_genesis_state;
    use types::{ChainSpec, ForkName, MinimalEthSpec};

    #[test]
    fn pubkey_cache_grows_shared_and_recent_alike() {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Fulu);
        let mut state =
            interop_genesis_state::<MinimalEthSpec>(16, 1_600_000_000, ForkName::Fulu, None, &spec)
                .unwrap();
        let mut cache = PubkeyCache::default();
        cache.update(&state);
        let copy = cache.clone();
        // Grow past the fold threshold, with one duplicate key (the first index keeps it).
        let template = state.validators().get(0).unwrap().clone();
        let added = PUBKEY_RECENT_MAX + 10;
        for i in 0..added {
            let mut v = template.clone();
            if i != 5 {
                v.pubkey.0[40..48].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                v.pubkey.0[0] ^= 0xff;
            }
            state.validators_mut().push(v).unwrap();
            if i == 20 {
                cache.update(&state);
                assert!(!cache.recent.is_empty());
            }
        }
        cache.update(&state);
        assert!(cache.recent.is_empty(), "folded into the shared map");
        assert_eq!(cache.len(), state.validators().len());
        for (i, v) in state.validators().iter().enumerate() {
            let first = find_validator_index_by_pubkey(&state, &v.pubkey);
            assert_eq!(cache.get(&v.pubkey), first, "validator {i}");
        }
        // The earlier clone still answers for its own prefix only.
        assert_eq!(copy.len(), 16);
        assert_eq!(copy.get(&template.pubkey), Some(0));
        assert_eq!(
            copy.find(&state, &state.validators().get(30).unwrap().pubkey),
            Some(30)
        );
    }

    /// A map that indexed validators a kept state lacks is dropped, and answers rightly once that state
    /// gains other validators at those indices.
    #[test]
    fn pubkey_cache_forgets_validators_past_a_kept_state() {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Fulu);
        let kept =
            interop_genesis_state::<MinimalEthSpec>(8, 1_600_000_000, ForkName::Fulu, None, &spec)
                .unwrap();
        let mut failed = kept.clone();
        let mut other = kept.clone();
        let mut v = kept.validators().get(0).unwrap().clone();
        v.pubkey.0[47] ^= 1;
        failed.validators_mut().push(v.clone()).unwrap();
        v.pubkey.0[47] ^= 2;
        other.validators_mut().push(v.clone()).unwrap();
        let mut cache = PubkeyCache::default();
        cache.update(&failed);
        cache.forget_past(9);
        assert_eq!(cache.len(), 9);
        cache.forget_past(kept.validators().len());
        assert!(cache.is_empty());
        cache.update(&other);
        assert_eq!(cache.find(&other, &v.pubkey), Some(8));
    }
}
