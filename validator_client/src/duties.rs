//! Duties: which of our validators propose, attest and sit in the sync committee, and when. Proposer
//! duties are asked for the current epoch, attester duties for the current and the next, sync duties
//! for the current sync period; each is asked again when the beacon node's `dependent_root` for it
//! changes (a re-org that changes the shuffling), which the services notice at every slot.

use crate::beacon_nodes::{AllFailed, BeaconNodes};
use beacon_api::{
    AttesterData, ProposerData, StateId, SyncDutyData, ValidatorId, ValidatorsRequestBody,
};
use parking_lot::RwLock;
use std::collections::BTreeMap;
use types::{Epoch, EthSpec, Hash256, PublicKeyBytes, Slot};

/// Epochs of duties kept behind the current one.
const KEEP_EPOCHS: u64 = 2;
/// Pubkeys per `GET .../validators?id=` request (about 6 kB of URL).
const GET_VALIDATORS_CHUNK: usize = 64;

#[derive(Debug, Default)]
struct Inner {
    /// Our validators known to the chain: index → pubkey.
    indices: BTreeMap<u64, PublicKeyBytes>,
    /// Epoch → (dependent root, our proposals).
    proposers: BTreeMap<Epoch, (Hash256, Vec<ProposerData>)>,
    /// Epoch → (dependent root, our attester duties).
    attesters: BTreeMap<Epoch, (Hash256, Vec<AttesterData>)>,
    /// Epoch → our sync committee duties.
    sync: BTreeMap<Epoch, Vec<SyncDutyData>>,
}

/// Our duties, refreshed from the beacon nodes.
#[derive(Debug)]
pub struct Duties<E: EthSpec> {
    pubkeys: Vec<PublicKeyBytes>,
    inner: RwLock<Inner>,
    _spec: std::marker::PhantomData<fn() -> E>,
}

impl<E: EthSpec> Duties<E> {
    /// Duties of the validators with `pubkeys`.
    pub fn new(pubkeys: Vec<PublicKeyBytes>) -> Self {
        Self {
            pubkeys,
            inner: RwLock::new(Inner::default()),
            _spec: std::marker::PhantomData,
        }
    }

    /// Our validators' indices, learnt from the head state (those not yet deposited are absent).
    pub fn indices(&self) -> BTreeMap<u64, PublicKeyBytes> {
        self.inner.read().indices.clone()
    }

    /// The pubkey of our validator `index`.
    pub fn pubkey(&self, index: u64) -> Option<PublicKeyBytes> {
        self.inner.read().indices.get(&index).copied()
    }

    /// Asks the nodes which of our pubkeys have indices.
    pub async fn update_indices(&self, nodes: &BeaconNodes) -> Result<(), AllFailed> {
        let known: Vec<PublicKeyBytes> = self.inner.read().indices.values().copied().collect();
        let missing: Vec<String> = self
            .pubkeys
            .iter()
            .filter(|p| !known.contains(p))
            .map(|p| p.to_string())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let ids: Vec<ValidatorId> = self
            .pubkeys
            .iter()
            .filter(|p| !known.contains(p))
            .map(|p| ValidatorId::Pubkey(*p))
            .collect();
        let body = ValidatorsRequestBody {
            ids: Some(missing),
            statuses: None,
        };
        let found = nodes
            .first_success("validator indices", |client| {
                let body = body.clone();
                let ids = ids.clone();
                async move {
                    match client
                        .post_beacon_states_validators(StateId::Head, &body)
                        .await
                    {
                        // Nodes that predate the POST form (Lodestar 1.5.1) have only the GET
                        // form; its ids go in the URL (one `id=` each), so a few at a time.
                        Err(error) if matches!(error.status(), Some(404 | 405)) => {
                            let mut data = Vec::with_capacity(ids.len());
                            for chunk in ids.chunks(GET_VALIDATORS_CHUNK) {
                                let found = client
                                    .get_beacon_states_validators_exploded(StateId::Head, chunk)
                                    .await?;
                                data.extend(found.data);
                            }
                            Ok(data)
                        }
                        other => other.map(|found| found.data),
                    }
                }
            })
            .await?;
        let mut inner = self.inner.write();
        for validator in found {
            if inner
                .indices
                .insert(validator.index, validator.validator.pubkey)
                .is_none()
            {
                tracing::info!(validator_index = validator.index, pubkey = %validator.validator.pubkey, status = ?validator.status, "validator known to the chain");
            }
        }
        Ok(())
    }

    /// Refreshes the duties for the epoch of `slot` (and attesters for the next): asked when absent,
    /// or again when their dependent root changed.
    pub async fn update(&self, nodes: &BeaconNodes, slot: Slot) -> Result<(), AllFailed> {
        let epoch = slot / E::slots_per_epoch();
        let indices: Vec<u64> = self.inner.read().indices.keys().copied().collect();
        if indices.is_empty() {
            return Ok(());
        }
        let proposers = nodes
            .first_success("proposer duties", |client| async move {
                client.get_validator_duties_proposer(epoch).await
            })
            .await?;
        let ours: Vec<ProposerData> = {
            let inner = self.inner.read();
            proposers
                .data
                .into_iter()
                .filter(|d| inner.indices.contains_key(&d.validator_index))
                .collect()
        };
        let changed = self
            .inner
            .read()
            .proposers
            .get(&epoch)
            .is_none_or(|(root, _)| *root != proposers.dependent_root);
        if changed {
            for duty in &ours {
                tracing::info!(
                    slot = duty.slot,
                    validator_index = duty.validator_index,
                    "proposal duty"
                );
            }
        }
        self.inner
            .write()
            .proposers
            .insert(epoch, (proposers.dependent_root, ours));

        for epoch in [epoch, epoch + 1] {
            let attesters = nodes
                .first_success("attester duties", |client| {
                    let indices = indices.clone();
                    async move { client.post_validator_duties_attester(epoch, &indices).await }
                })
                .await?;
            self.inner
                .write()
                .attesters
                .insert(epoch, (attesters.dependent_root, attesters.data));
        }
        if !self.inner.read().sync.contains_key(&epoch) {
            match nodes
                .first_success("sync duties", |client| {
                    let indices = indices.clone();
                    async move { client.post_validator_duties_sync(epoch, &indices).await }
                })
                .await
            {
                Ok(sync) => {
                    self.inner.write().sync.insert(epoch, sync.data);
                }
                // Before Altair-style committees exist on a node, or on a node without them: no
                // sync duties this epoch.
                Err(error) => tracing::debug!(%error, epoch, "no sync duties"),
            }
        }
        let mut inner = self.inner.write();
        let keep = epoch.saturating_sub(KEEP_EPOCHS);
        inner.proposers.retain(|e, _| *e >= keep);
        inner.attesters.retain(|e, _| *e >= keep);
        inner.sync.retain(|e, _| *e >= keep);
        Ok(())
    }

    /// Our proposers at `slot`.
    pub fn proposers_at(&self, slot: Slot) -> Vec<ProposerData> {
        let epoch = slot / E::slots_per_epoch();
        self.inner
            .read()
            .proposers
            .get(&epoch)
            .map(|(_, duties)| duties.iter().filter(|d| d.slot == slot).cloned().collect())
            .unwrap_or_default()
    }

    /// Our attester duties at `slot`.
    pub fn attesters_at(&self, slot: Slot) -> Vec<AttesterData> {
        let epoch = slot / E::slots_per_epoch();
        self.inner
            .read()
            .attesters
            .get(&epoch)
            .map(|(_, duties)| duties.iter().filter(|d| d.slot == slot).cloned().collect())
            .unwrap_or_default()
    }

    /// Our sync committee duties in `epoch`.
    pub fn sync_at(&self, epoch: Epoch) -> Vec<SyncDutyData> {
        self.inner
            .read()
            .sync
            .get(&epoch)
            .cloned()
            .unwrap_or_default()
    }
}
