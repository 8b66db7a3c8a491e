//! Unblinding: putting the payload back into a signed blinded block. A local payload comes from the
//! cache (keyed by the header root); a builder's comes from the builder(s) that offered that block
//! hash, checked against the signed header and the blob commitments. From Fulu the builder publishes
//! the block itself (submitBlindedBlockV2, 202). There is never a fallback to a local payload after
//! signing: a builder that withholds costs the slot, and it counts against it: it is disabled (until
//! restart, or for `withhold_penalty_epochs`), as is one that reveals a payload that is not the signed
//! one.
//!
//! The builder block is recorded (`block root -> builders`) here, while the builders are asked, on a
//! blocking thread: the record is what later blames them for an INVALID payload, and a store error is
//! logged and counted but never stops the unblind. The KZG checks of revealed blobs run on a blocking
//! thread too.

use crate::blobs::BlobsBundle;
use crate::local::LocalPayload;
use crate::registry::{DisableReason, DisabledBuilder};
use crate::ExecutionLayer;
use builder_api::{BuilderClient, BuilderError, UnblindedPayload};
use kzg::KzgError;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tree_hash::TreeHash;
use types::{
    BlobKzgCommitments, EthSpec, ExecutionBlockHash, Hash256, SignedBeaconBlock,
    SignedBlindedBeaconBlock, Slot,
};

/// Local payloads by header root and builder bids by block hash, for the last few slots.
pub(crate) struct Caches<E: EthSpec> {
    local: VecDeque<(Slot, Hash256, Arc<LocalPayload<E>>)>,
    /// Execution block hash -> (slot, indices of the builders that offered it).
    bids: HashMap<ExecutionBlockHash, (Slot, Vec<usize>)>,
}

impl<E: EthSpec> Default for Caches<E> {
    fn default() -> Self {
        Self {
            local: VecDeque::new(),
            bids: HashMap::new(),
        }
    }
}

/// The cache holds at most this many local payloads, whatever the slots (a bound against callers that
/// produce many payloads per slot).
const MAX_LOCAL_PAYLOADS: usize = 32;

impl<E: EthSpec> Caches<E> {
    fn prune(&mut self, newest: Slot, keep_slots: u64) {
        let oldest = newest.saturating_sub(keep_slots.saturating_sub(1));
        self.local.retain(|(slot, _, _)| *slot >= oldest);
        while self.local.len() > MAX_LOCAL_PAYLOADS {
            self.local.pop_front();
        }
        self.bids.retain(|_, (slot, _)| *slot >= oldest);
    }

    pub fn insert_local(
        &mut self,
        slot: Slot,
        root: Hash256,
        payload: Arc<LocalPayload<E>>,
        keep_slots: u64,
    ) {
        self.local.retain(|(_, r, _)| *r != root);
        self.local.push_back((slot, root, payload));
        self.prune(slot, keep_slots);
    }

    pub fn insert_bid(
        &mut self,
        slot: Slot,
        block_hash: ExecutionBlockHash,
        builder: usize,
        keep_slots: u64,
    ) {
        let entry = self.bids.entry(block_hash).or_insert((slot, Vec::new()));
        entry.0 = entry.0.max(slot);
        if !entry.1.contains(&builder) {
            entry.1.push(builder);
        }
        self.prune(slot, keep_slots);
    }

    fn local(&self, root: Hash256) -> Option<Arc<LocalPayload<E>>> {
        self.local
            .iter()
            .find(|(_, r, _)| *r == root)
            .map(|(_, _, payload)| payload.clone())
    }

    fn bidders(&self, block_hash: ExecutionBlockHash) -> Vec<usize> {
        self.bids
            .get(&block_hash)
            .map(|(_, builders)| builders.clone())
            .unwrap_or_default()
    }
}

/// Where an unblinded payload came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnblindSource {
    /// The local payload cache: the local payload won and was served blinded.
    LocalCache,
    /// The builder of this name revealed it.
    Builder(String),
}

/// A signed blinded block made whole, or handed to its builder to publish.
#[derive(Debug, Clone, PartialEq)]
pub enum Unblinded<E: EthSpec> {
    /// The full block, checked against the signed header, with its blobs checked against the
    /// commitments (from Deneb on). The caller imports and publishes it.
    Full {
        /// The signed full block.
        block: Box<SignedBeaconBlock<E>>,
        /// Its blobs, from Deneb on.
        blobs_bundle: Option<BlobsBundle<E>>,
        /// Where the payload came from.
        source: UnblindSource,
    },
    /// Fulu on: the builder accepted the block (submitBlindedBlockV2, 202) and publishes it and its
    /// blobs itself.
    BuilderPublishes {
        /// The builder that publishes.
        builder: String,
    },
}

/// Why a signed blinded block could not be unblinded. The proposer signed: none of these falls back to
/// a local payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnblindError {
    /// Neither a cached local payload nor a recent bid matches the signed header.
    #[error("no local payload with header root {header_root} and no builder bid for block hash {block_hash}")]
    UnknownPayload {
        /// The signed header's root.
        header_root: Hash256,
        /// The signed header's block hash.
        block_hash: ExecutionBlockHash,
    },
    /// A builder revealed a payload that is not the one signed.
    #[error("builder {builder} revealed a payload that does not match the signed header: {error}")]
    PayloadMismatch {
        /// The builder (or `local`).
        builder: String,
        /// The fork or root mismatch.
        error: types::UnblindError,
    },
    /// A builder revealed blobs that do not match the block's commitments or whose proofs fail.
    #[error("builder {builder} revealed bad blobs: {error}")]
    BadBlobs {
        /// The builder.
        builder: String,
        /// The failed check.
        error: KzgError,
    },
    /// A builder revealed a payload of another shape than the block's fork takes.
    #[error("builder {builder} revealed a payload without the blobs a {fork} block needs")]
    MissingBlobs {
        /// The builder.
        builder: String,
        /// The block's fork.
        fork: types::ForkName,
    },
    /// No builder revealed the payload (or accepted the block) within the budget.
    #[error("builders {builders:?} withheld the payload: {last_error}")]
    Withheld {
        /// The builders that were asked.
        builders: Vec<String>,
        /// The last failure seen.
        last_error: String,
    },
}

/// What one builder did with the signed blinded block.
enum Submission<E: EthSpec> {
    Revealed(Box<UnblindedPayload<E>>),
    Published,
    NotRevealed(String),
}

/// Failures worth retrying within the budget: the builder was slow, unreachable or failing on its side.
fn is_transient(error: &BuilderError) -> bool {
    error.is_unavailable() || matches!(error, BuilderError::Http { status, .. } if *status >= 500)
}

/// Submits to one builder (v2 from Fulu on, else v1), retrying transient failures until `deadline`.
/// A builder that does not know v2 (404 or 405) is asked with v1, which it then answers with the
/// payload and blobs (still no local fallback: the builder's own payload).
async fn submit_until<E: EthSpec>(
    client: BuilderClient,
    block: Arc<SignedBlindedBeaconBlock<E>>,
    deadline: Instant,
    retry_interval: Duration,
) -> Submission<E> {
    let mut v2 = block.fork_name().fulu_enabled();
    let mut last_error = String::from("the budget ran out before an answer");
    loop {
        let attempt = async {
            if v2 {
                client
                    .submit_blinded_block_v2(&block)
                    .await
                    .map(|()| Submission::Published)
            } else {
                client
                    .submit_blinded_block_v1(&block)
                    .await
                    .map(|payload| Submission::Revealed(Box::new(payload)))
            }
        };
        match tokio::time::timeout_at(deadline, attempt).await {
            Err(_) => return Submission::NotRevealed(last_error),
            Ok(Ok(submission)) => return submission,
            Ok(Err(BuilderError::Http {
                status: 404 | 405, ..
            })) if v2 => {
                v2 = false;
            }
            Ok(Err(error)) if is_transient(&error) => {
                last_error = error.to_string();
                if Instant::now() + retry_interval >= deadline {
                    return Submission::NotRevealed(last_error);
                }
                tokio::time::sleep(retry_interval).await;
            }
            Ok(Err(error)) => return Submission::NotRevealed(error.to_string()),
        }
    }
}

/// Checks a revealed payload: its root equals the signed header's (`into_full_block`), and its blobs
/// match the block's commitments with every KZG proof verified.
fn check_revealed<E: EthSpec>(
    block: &SignedBlindedBeaconBlock<E>,
    fork: types::ForkName,
    max_blobs: u64,
    builder: &str,
    revealed: UnblindedPayload<E>,
) -> Result<Unblinded<E>, UnblindError> {
    let full = block
        .clone()
        .into_full_block(revealed.execution_payload())
        .map_err(|error| UnblindError::PayloadMismatch {
            builder: builder.to_string(),
            error,
        })?;
    let blobs_bundle = match (&revealed, block_commitments(block)) {
        (UnblindedPayload::PayloadAndBlobs(revealed), Some(commitments)) => {
            // Verified through a borrowed view: the blobs are copied only once they are good.
            kzg::verify_blobs_bundle(fork, max_blobs, commitments, revealed.into()).map_err(
                |error| UnblindError::BadBlobs {
                    builder: builder.to_string(),
                    error,
                },
            )?;
            Some(BlobsBundle::from_revealed(revealed))
        }
        (UnblindedPayload::Payload(_), None) => None,
        _ => {
            return Err(UnblindError::MissingBlobs {
                builder: builder.to_string(),
                fork,
            })
        }
    };
    Ok(Unblinded::Full {
        block: Box::new(full),
        blobs_bundle,
        source: UnblindSource::Builder(builder.to_string()),
    })
}

/// The blob commitments a signed blinded block carries (none before Deneb).
fn block_commitments<E: EthSpec>(
    block: &SignedBlindedBeaconBlock<E>,
) -> Option<&BlobKzgCommitments<E>> {
    match block {
        SignedBlindedBeaconBlock::Capella(_) => None,
        SignedBlindedBeaconBlock::Deneb(b) => Some(&b.message.body.blob_kzg_commitments),
        SignedBlindedBeaconBlock::Electra(b) => Some(&b.message.body.blob_kzg_commitments),
        SignedBlindedBeaconBlock::Fulu(b) => Some(&b.message.body.blob_kzg_commitments),
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// Unblinds a signed blinded block within the configured budget
    /// ([`crate::ExecutionLayerConfig::unblind_budget`]).
    pub async fn unblind(
        &self,
        block: SignedBlindedBeaconBlock<E>,
    ) -> Result<Unblinded<E>, UnblindError> {
        self.unblind_until(block, Instant::now() + self.config.unblind_budget)
            .await
    }

    /// Unblinds a signed blinded block, retrying builders until `deadline` (the slot's budget).
    pub async fn unblind_until(
        &self,
        block: SignedBlindedBeaconBlock<E>,
        deadline: Instant,
    ) -> Result<Unblinded<E>, UnblindError> {
        let slot = block.slot();
        let block_root = block.message_root();
        let header = block.execution_payload_header();
        let header_root = header.tree_hash_root();
        let block_hash = header.block_hash();

        let (local, bidders) = {
            let caches = self.caches.lock();
            (caches.local(header_root), caches.bidders(block_hash))
        };
        if let Some(local) = local {
            // The cache is keyed by the header root, so the root check cannot fail; it runs anyway.
            let full = block
                .into_full_block(local.payload.clone())
                .map_err(|error| UnblindError::PayloadMismatch {
                    builder: "local".into(),
                    error,
                })?;
            self.metrics
                .unblind
                .with_label_values(&["local", "success"])
                .inc();
            tracing::info!(slot, %block_root, %block_hash, "unblinded the local payload from the cache");
            return Ok(Unblinded::Full {
                block: Box::new(full),
                blobs_bundle: local.blobs_bundle.clone(),
                source: UnblindSource::LocalCache,
            });
        }
        if bidders.is_empty() {
            tracing::error!(slot, %block_root, %block_hash, "signed blinded block with an unknown payload");
            return Err(UnblindError::UnknownPayload {
                header_root,
                block_hash,
            });
        }

        let fork = block.fork_name();
        let block = Arc::new(block);
        let record = self.record_in_background(
            block_root,
            bidders
                .iter()
                .map(|index| self.builders[*index].name.clone())
                .collect(),
            slot,
            block_hash,
        );
        let mut tasks = tokio::task::JoinSet::new();
        for &index in &bidders {
            let client = self.builders[index].client.clone();
            let retry = self.config.unblind_retry_interval;
            let block = block.clone();
            tasks.spawn(async move {
                (
                    index,
                    submit_until::<E>(client, block, deadline, retry).await,
                )
            });
        }

        let max_blobs = self
            .config
            .spec
            .max_blobs_per_block(slot / E::slots_per_epoch());
        let mut first_fault: Option<UnblindError> = None;
        let mut withheld: Vec<(usize, String)> = Vec::new();
        let mut outcome = None;
        while let Some(joined) = tasks.join_next().await {
            let Ok((index, submission)) = joined else {
                continue;
            };
            let name = self.builders[index].name.clone();
            let checked = match submission {
                Submission::NotRevealed(error) => {
                    tracing::warn!(slot, %block_root, builder = %name, %block_hash, %error, "builder did not reveal the payload");
                    withheld.push((index, error));
                    continue;
                }
                Submission::Published => Ok(Unblinded::BuilderPublishes {
                    builder: name.clone(),
                }),
                Submission::Revealed(revealed) => {
                    let block = block.clone();
                    let builder = name.clone();
                    // Hashing a payload of up to megabytes and the KZG checks: off the async workers.
                    tokio::task::spawn_blocking(move || {
                        check_revealed(&block, fork, max_blobs, &builder, *revealed)
                    })
                    .await
                    .unwrap_or_else(|error| {
                        Err(UnblindError::Withheld {
                            builders: vec![name.clone()],
                            last_error: format!("the reveal check failed to run: {error}"),
                        })
                    })
                }
            };
            match checked {
                Ok(unblinded) => {
                    // The first good answer wins; the other submissions are dropped.
                    tasks.abort_all();
                    let result = if matches!(unblinded, Unblinded::BuilderPublishes { .. }) {
                        // A win only once the block reaches the node: the caller reports it
                        // (`on_published_block_arrived` or `on_published_block_missing`).
                        self.note_unblind(index, "accepted");
                        "builder_publishes"
                    } else {
                        self.note_unblind(index, "success");
                        "revealed"
                    };
                    tracing::info!(slot, %block_root, builder = %name, %block_hash, result, "builder payload unblinded");
                    outcome = Some(Ok(unblinded));
                    break;
                }
                Err(error) => {
                    tracing::error!(slot, %block_root, builder = %name, %block_hash, %error, "builder revealed a wrong payload");
                    self.note_unblind(index, "mismatch");
                    self.penalise(
                        index,
                        DisableReason::RevealMismatch,
                        block_root,
                        slot,
                        block_hash,
                    );
                    first_fault.get_or_insert(error);
                }
            }
        }
        let outcome = outcome.unwrap_or_else(|| {
            for (index, _) in &withheld {
                self.note_unblind(*index, "withheld");
                self.penalise(*index, DisableReason::Withheld, block_root, slot, block_hash);
            }
            if let Some(fault) = first_fault {
                return Err(fault);
            }
            let builders: Vec<String> = withheld
                .iter()
                .map(|(index, _)| self.builders[*index].name.clone())
                .collect();
            let last_error = withheld.pop().map(|(_, error)| error).unwrap_or_default();
            tracing::error!(slot, %block_root, builder = ?builders, %block_hash, %last_error, "payload withheld after signing; no local fallback");
            Err(UnblindError::Withheld {
                builders,
                last_error,
            })
        });
        // The record ran beside the submissions; its result is only logged and counted.
        if let Err(error) = record.await {
            self.metrics.builder_block_store_errors.inc();
            tracing::error!(slot, %block_root, %block_hash, %error, "cannot record the builder block; an INVALID verdict on it will blame no builder");
        }
        outcome
    }

    /// Records `block_root -> builders` on a blocking thread; the returned future gives its result.
    fn record_in_background(
        &self,
        block_root: Hash256,
        builders: Vec<String>,
        slot: Slot,
        block_hash: ExecutionBlockHash,
    ) -> impl std::future::Future<Output = Result<(), crate::RegistryError>> {
        let registry = self.registry.clone();
        let task = tokio::task::spawn_blocking(move || {
            registry.record_builder_block(block_root, &builders, slot, block_hash)
        });
        async move {
            task.await
                .map_err(|error| crate::RegistryError::Task(error.to_string()))?
        }
    }

    /// Disables the builder at `index` for costing the signed block `block_root` its slot.
    fn penalise(
        &self,
        index: usize,
        reason: DisableReason,
        block_root: Hash256,
        slot: Slot,
        block_hash: ExecutionBlockHash,
    ) {
        let disabled = DisabledBuilder {
            builder: self.builders[index].name.clone(),
            reason,
            block_root,
            slot,
            execution_block_hash: block_hash,
            until_epoch: self
                .config
                .withhold_penalty_epochs
                .map(|epochs| (slot / E::slots_per_epoch()).saturating_add(epochs)),
        };
        if self.registry.disable(disabled.clone()) {
            tracing::error!(builder = %disabled.builder, slot, %block_root, reason = reason.label(), until_epoch = ?disabled.until_epoch, "builder cost a signed slot; disabled");
            self.note_disabled(&disabled);
        }
    }

    fn note_unblind(&self, index: usize, result: &str) {
        let builder = &self.builders[index];
        self.metrics
            .unblind
            .with_label_values(&[&builder.name, result])
            .inc();
        let mut record = builder.record.lock();
        match result {
            "success" => {
                record.counters.unblind_successes += 1;
                record.counters.wins += 1;
                self.metrics.wins.with_label_values(&[&builder.name]).inc();
            }
            "accepted" => {}
            "mismatch" => record.counters.unblind_mismatches += 1,
            _ => record.counters.unblind_withheld += 1,
        }
    }

    /// Fulu's v2: the block `builder` accepted to publish (`Unblinded::BuilderPublishes`) reached the
    /// node. That is the builder's win.
    pub fn on_published_block_arrived(&self, builder: &str) {
        if let Some(index) = self.builders.iter().position(|b| b.name == builder) {
            self.note_unblind(index, "success");
        }
    }

    /// Fulu's v2: `builder` accepted the signed block `block_root` (202) but the block never reached
    /// the node within the caller's wait: it withheld after signing, and is disabled like any builder
    /// that does.
    pub fn on_published_block_missing(
        &self,
        builder: &str,
        block_root: Hash256,
        slot: Slot,
        block_hash: ExecutionBlockHash,
    ) {
        let Some(index) = self.builders.iter().position(|b| b.name == builder) else {
            return;
        };
        tracing::error!(%builder, slot, %block_root, %block_hash, "builder accepted the signed block but never published it");
        self.note_unblind(index, "withheld");
        self.penalise(index, DisableReason::Withheld, block_root, slot, block_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{ForkName, MainnetEthSpec, U256};

    type E = MainnetEthSpec;

    fn local() -> Arc<LocalPayload<E>> {
        Arc::new(LocalPayload {
            payload: types::ExecutionPayload::empty(ForkName::Electra),
            block_value: U256::ZERO,
            blobs_bundle: None,
            execution_requests: None,
            should_override_builder: false,
        })
    }

    #[test]
    fn caches_keep_the_last_slots_only() {
        let mut caches = Caches::<E>::default();
        for slot in 1..=20u64 {
            let root = Hash256::repeat_byte(slot as u8);
            caches.insert_local(slot, root, local(), 8);
            caches.insert_bid(slot, root, 0, 8);
        }
        assert!(caches.local(Hash256::repeat_byte(12)).is_none());
        assert!(caches.local(Hash256::repeat_byte(13)).is_some());
        assert!(caches.local(Hash256::repeat_byte(20)).is_some());
        assert!(caches.bidders(Hash256::repeat_byte(12)).is_empty());
        assert_eq!(caches.bidders(Hash256::repeat_byte(13)), vec![0]);
    }

    #[test]
    fn one_block_hash_offered_by_several_builders() {
        let mut caches = Caches::<E>::default();
        let hash = Hash256::repeat_byte(1);
        caches.insert_bid(5, hash, 2, 8);
        caches.insert_bid(5, hash, 0, 8);
        caches.insert_bid(5, hash, 2, 8);
        assert_eq!(caches.bidders(hash), vec![2, 0]);
    }

    #[test]
    fn local_cache_is_bounded_within_a_slot() {
        let mut caches = Caches::<E>::default();
        for i in 0..(MAX_LOCAL_PAYLOADS as u64 + 5) {
            caches.insert_local(7, Hash256::from(U256::from(i)), local(), 8);
        }
        assert_eq!(caches.local.len(), MAX_LOCAL_PAYLOADS);
        assert!(caches.local(Hash256::from(U256::from(0u64))).is_none());
    }

    #[test]
    fn transient_failures_are_retried() {
        let timeout = BuilderError::Timeout {
            operation: "submitBlindedBlock",
            timeout: Duration::from_secs(1),
        };
        let server = BuilderError::Http {
            operation: "submitBlindedBlock",
            status: 502,
            message: String::new(),
        };
        let refused = BuilderError::Http {
            operation: "submitBlindedBlock",
            status: 400,
            message: String::new(),
        };
        assert!(is_transient(&timeout) && is_transient(&server));
        assert!(!is_transient(&refused));
    }
}
