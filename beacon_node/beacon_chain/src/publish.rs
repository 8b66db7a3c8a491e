//! Publication of a signed block, full or blinded. A blinded block is unblinded through the builder
//! module (the local payload from its cache, or the builder's reveal; never a local payload in place
//! of a builder's after signing); Fulu's builders may publish the block themselves (v2), and it then
//! reaches the node as a full block. `broadcast_validation` decides what must pass before the block
//! is accepted.

use crate::import::BlobsInput;
use crate::{BeaconChain, BlockError, ImportedBlock};
use execution_layer::{UnblindError, Unblinded};
use state_processing::per_block::verify_block_signature;
use std::sync::Arc;
use std::time::Duration;
use types::{EthSpec, Hash256, SignedBeaconBlock, SignedBlindedBeaconBlock};

/// How long the node waits for a block its builder took to publish (Fulu's v2) before counting it as
/// withheld: the rest of a slot is more than any honest builder needs.
pub const PUBLISHED_BLOCK_WAIT: Duration = Duration::from_secs(12);

/// `broadcast_validation` of the beacon API's publication endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BroadcastValidation {
    /// The gossip checks (slot, parent, proposer signature): a block failing the full import
    /// afterwards is still accepted (it would have been broadcast).
    #[default]
    Gossip,
    /// The full state transition must pass.
    Consensus,
    /// As `Consensus`, and the proposer must not have proposed another block at this slot.
    ConsensusAndEquivocation,
}

impl std::str::FromStr for BroadcastValidation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "gossip" => Ok(Self::Gossip),
            "consensus" => Ok(Self::Consensus),
            "consensus_and_equivocation" => Ok(Self::ConsensusAndEquivocation),
            other => Err(format!(
                "broadcast_validation must be gossip, consensus or consensus_and_equivocation, not {other}"
            )),
        }
    }
}

/// What became of a published block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Imported.
    Imported(ImportedBlock),
    /// It passed the gossip checks (and so would have been broadcast) but failed the import; with
    /// `broadcast_validation=gossip` that is an accepted block (HTTP 202).
    BroadcastButInvalid(String),
    /// Fulu's v2: the builder took the signed blinded block and publishes it itself.
    BuilderPublishes {
        /// The builder.
        builder: String,
    },
}

/// Why a published block was refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The block failed a check.
    #[error(transparent)]
    Block(#[from] BlockError),
    /// The payload of a signed blinded block could not be had (withheld, mismatched, unknown). There
    /// is no local fallback after signing.
    #[error("unblinding: {0}")]
    Unblind(#[from] UnblindError),
}

impl<E: EthSpec> BeaconChain<E> {
    /// Publishes a signed full block with its blobs.
    pub async fn publish_block(
        self: &Arc<Self>,
        block: SignedBeaconBlock<E>,
        blobs: Option<BlobsInput<E>>,
        validation: BroadcastValidation,
    ) -> Result<Published, PublishError> {
        let block_root = block.message_root();
        let proposer = block.message_enum_proposer();
        self.check_equivocation(proposer, block.slot(), block_root, validation)?;
        match self.import_block(block, blobs).await {
            Ok(imported) => Ok(Published::Imported(imported)),
            // Our own block again (a builder that publishes what we imported, a retry): fine.
            Err(BlockError::AlreadyKnown(_)) => {
                Ok(Published::BroadcastButInvalid("already known".into()))
            }
            Err(error)
                if validation == BroadcastValidation::Gossip
                    && !error.is_gossip_failure()
                    && !error.is_internal() =>
            {
                tracing::warn!(%block_root, %error, "published block passed the gossip checks but not the import");
                Ok(Published::BroadcastButInvalid(error.to_string()))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Publishes a signed blinded block: the proposer's signature is checked first, then the payload
    /// is put back (local cache, or the builder that offered it), and the full block imported.
    pub async fn publish_blinded_block(
        self: &Arc<Self>,
        block: SignedBlindedBeaconBlock<E>,
        validation: BroadcastValidation,
    ) -> Result<Published, PublishError> {
        let block_root = block.message_root();
        let message = block.message_enum();
        let slot = message.slot();
        let proposer = message.proposer_index();
        // The proposer's signature before anything goes to a builder: a builder reveals only for a
        // signed header, and the node must not be tricked into asking for one it did not sign.
        if !self.is_known_block(&message.parent_root()) {
            return Err(BlockError::UnknownParent(message.parent_root()).into());
        }
        let chain = self.clone();
        let signature = block.signature();
        let parent_root = message.parent_root();
        tokio::task::spawn_blocking(move || -> Result<(), BlockError> {
            let crate::state_cache::CachedState { state, caches } = chain
                .state_and_caches_at_slot(parent_root, slot)
                .map_err(BlockError::Internal)?;
            let expected = caches.get_beacon_proposer_index(&state)?;
            if expected != proposer {
                return Err(BlockError::IncorrectProposer {
                    expected,
                    got: proposer,
                });
            }
            verify_block_signature(&state, proposer, block_root, &signature)
                .map_err(|_| BlockError::InvalidSignature)
        })
        .await
        .map_err(|e| BlockError::Internal(e.to_string()))??;
        self.check_equivocation(proposer, slot, block_root, validation)?;

        let block_hash = block.execution_payload_header().block_hash();
        match self.execution_layer.unblind(block).await? {
            Unblinded::Full {
                block,
                blobs_bundle,
                ..
            } => self.publish_block(*block, blobs_bundle, validation).await,
            Unblinded::BuilderPublishes { builder } => {
                self.watch_builder_publication(builder.clone(), block_root, slot, block_hash);
                Ok(Published::BuilderPublishes { builder })
            }
        }
    }

    /// With `consensus_and_equivocation`, refuses a second block of a proposer at a slot.
    fn check_equivocation(
        &self,
        proposer: u64,
        slot: types::Slot,
        block_root: Hash256,
        validation: BroadcastValidation,
    ) -> Result<(), BlockError> {
        if validation != BroadcastValidation::ConsensusAndEquivocation {
            return Ok(());
        }
        match self.observed_proposal(proposer, slot) {
            Some(other) if other != block_root => Err(BlockError::Equivocation {
                proposer,
                slot,
                other,
            }),
            _ => Ok(()),
        }
    }

    /// Waits for the block a builder took to publish (v2); tells the builder module whether it came.
    fn watch_builder_publication(
        self: &Arc<Self>,
        builder: String,
        block_root: Hash256,
        slot: types::Slot,
        block_hash: types::ExecutionBlockHash,
    ) {
        let chain = self.clone();
        let mut events = self.events.subscribe();
        tokio::spawn(async move {
            let arrived = tokio::time::timeout(PUBLISHED_BLOCK_WAIT, async {
                loop {
                    if chain.is_known_block(&block_root) {
                        return true;
                    }
                    match events.recv().await {
                        Ok(crate::Event::Block(event)) if event.block == block_root => return true,
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return false,
                    }
                }
            })
            .await
            .unwrap_or(false);
            if arrived {
                chain.execution_layer.on_published_block_arrived(&builder);
            } else {
                chain
                    .execution_layer
                    .on_published_block_missing(&builder, block_root, slot, block_hash);
            }
        });
    }
}

/// The proposer index without cloning the message.
trait Proposer {
    fn message_enum_proposer(&self) -> u64;
}

impl<E: EthSpec> Proposer for SignedBeaconBlock<E> {
    fn message_enum_proposer(&self) -> u64 {
        match self {
            SignedBeaconBlock::Capella(b) => b.message.proposer_index,
            SignedBeaconBlock::Deneb(b) => b.message.proposer_index,
            SignedBeaconBlock::Electra(b) => b.message.proposer_index,
            SignedBeaconBlock::Fulu(b) => b.message.proposer_index,
        }
    }
}
