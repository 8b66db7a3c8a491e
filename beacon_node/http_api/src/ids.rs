//! `state_id` and `block_id` resolved against the chain, with what every such response reports:
//! `execution_optimistic` (the block, or the state's latest block, awaits the engine's verdict) and
//! `finalized` (on the canonical chain at or before the finalized checkpoint).

use crate::errors::{ApiError, ApiResult};
use crate::Context;
use beacon_api::{BlockId, StateId};
use fork_choice::ExecutionStatus;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{BeaconState, EthSpec, Hash256, SignedBlindedBeaconBlock, Slot};

/// A state and what the response says about it.
#[derive(Debug, Clone)]
pub struct StateView<E: EthSpec> {
    pub state: Arc<BeaconState<E>>,
    pub root: Hash256,
    pub execution_optimistic: bool,
    pub finalized: bool,
}

/// A block root and what the response says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockView {
    pub root: Hash256,
    pub slot: Slot,
    pub canonical: bool,
    pub execution_optimistic: bool,
    pub finalized: bool,
}

pub fn parse_state_id(text: &str) -> ApiResult<StateId> {
    text.parse()
        .map_err(|e: beacon_api::IdError| ApiError::bad_request(e.to_string()))
}

pub fn parse_block_id(text: &str) -> ApiResult<BlockId> {
    text.parse()
        .map_err(|e: beacon_api::IdError| ApiError::bad_request(e.to_string()))
}

impl<E: EthSpec> Context<E> {
    /// Whether fork choice holds `root` as optimistic (a pruned, finalized block is not).
    pub fn is_optimistic(&self, root: &Hash256) -> bool {
        self.chain
            .with_fork_choice(|fc| fc.execution_status(root) == Some(ExecutionStatus::Optimistic))
    }

    /// The first slot of the finalized epoch.
    pub fn finalized_slot(&self) -> Slot {
        self.chain.finalized_checkpoint().epoch * E::slots_per_epoch()
    }

    /// The canonical block at or before `slot` (the head's chain). Blocking.
    pub fn canonical_root_at_or_before(&self, slot: Slot) -> ApiResult<Option<Hash256>> {
        let head = self.chain.head();
        if slot >= head.slot {
            return Ok(Some(head.block_root));
        }
        // Fork choice answers its anchor for any slot before it: only a block at or before `slot`
        // is the answer.
        let ancestor = self.chain.with_fork_choice(|fc| {
            let root = fc.get_ancestor(&head.block_root, slot).ok()?;
            let node = fc.proto_array().node(&root)?;
            (node.slot <= slot).then_some(root)
        });
        if let Some(root) = ancestor {
            return Ok(Some(root));
        }
        // Before fork choice's anchor: the store's canonical index, walking back over skipped slots.
        let store = self.chain.store();
        let mut at = slot;
        loop {
            if let Some(root) = store.canonical_block_root(at)? {
                return Ok(Some(root));
            }
            if at == 0 {
                return Ok(None);
            }
            at -= 1;
        }
    }

    /// The state of `block_root` advanced to `slot`. Blocking. States before the finalized epoch are
    /// pruned (all but genesis): asking for one is a 404 saying so, not a node failure.
    pub fn state_at_slot(&self, block_root: Hash256, slot: Slot) -> ApiResult<Arc<BeaconState<E>>> {
        self.chain.state_at_slot(block_root, slot).map_err(|e| {
            let finalized_slot = self.finalized_slot();
            if slot < finalized_slot {
                ApiError::not_found(format!(
                    "no state at slot {slot}: this node keeps no state before the finalized \
                     epoch's first slot {finalized_slot}, but genesis ({e})"
                ))
            } else {
                ApiError::internal(e)
            }
        })
    }

    /// Resolves a `state_id`. Blocking (states may be read and advanced).
    pub fn state_view(&self, id: StateId) -> ApiResult<StateView<E>> {
        let head = self.chain.head();
        let finalized_slot = self.finalized_slot();
        let at = |block_root: Hash256, slot: Slot| self.state_at_slot(block_root, slot);
        let view = |state: Arc<BeaconState<E>>, block_root: Hash256, finalized: bool| {
            let (state, root) = settled(&state)?;
            Ok::<_, ApiError>(StateView {
                root,
                execution_optimistic: self.is_optimistic(&block_root),
                finalized,
                state,
            })
        };
        match id {
            StateId::Head => Ok(StateView {
                root: head.state_root,
                execution_optimistic: head.optimistic,
                finalized: head.slot <= finalized_slot && head.block_root == head.finalized.root,
                state: head.state,
            }),
            StateId::Genesis => {
                let root = self.chain.genesis_block_root();
                view(at(root, 0)?, root, true)
            }
            StateId::Finalized | StateId::Justified => {
                let checkpoint = if id == StateId::Finalized {
                    self.chain.finalized_checkpoint()
                } else {
                    self.chain.justified_checkpoint()
                };
                let block_slot = self
                    .chain
                    .store()
                    .get_block_summary(&checkpoint.root)?
                    .map(|s| s.slot)
                    .ok_or_else(|| ApiError::internal("checkpoint block not stored"))?;
                let slot = (checkpoint.epoch * E::slots_per_epoch()).max(block_slot);
                let finalized = checkpoint.epoch <= self.chain.finalized_checkpoint().epoch;
                view(at(checkpoint.root, slot)?, checkpoint.root, finalized)
            }
            StateId::Slot(slot) => {
                if slot > head.slot.max(self.chain.current_slot()) {
                    return Err(ApiError::not_found(format!("no state at slot {slot} yet")));
                }
                if slot == head.slot {
                    return self.state_view(StateId::Head);
                }
                let block_root = self
                    .canonical_root_at_or_before(slot)?
                    .ok_or_else(|| ApiError::not_found(format!("no state at slot {slot}")))?;
                view(at(block_root, slot)?, block_root, slot <= finalized_slot)
            }
            StateId::Root(root) => {
                if root == head.state_root {
                    return self.state_view(StateId::Head);
                }
                let summary = self
                    .chain
                    .store()
                    .get_state_summary(&root)?
                    .ok_or_else(|| ApiError::not_found(format!("state {root:#x} not found")))?;
                let (state, _) = settled(&at(summary.latest_block_root, summary.slot)?)?;
                let canonical = self.canonical_root_at_or_before(summary.slot)?
                    == Some(summary.latest_block_root);
                Ok(StateView {
                    root,
                    execution_optimistic: self.is_optimistic(&summary.latest_block_root),
                    finalized: canonical && summary.slot <= finalized_slot,
                    state,
                })
            }
        }
    }

    /// Resolves a `block_id` to a stored block's root. Blocking.
    pub fn block_view(&self, id: BlockId) -> ApiResult<BlockView> {
        let store = self.chain.store();
        let root = match id {
            BlockId::Head => self.chain.head().block_root,
            BlockId::Genesis => self.chain.genesis_block_root(),
            BlockId::Finalized => self.chain.finalized_checkpoint().root,
            BlockId::Justified => self.chain.justified_checkpoint().root,
            BlockId::Slot(slot) => {
                let head = self.chain.head();
                let root = if slot > head.slot {
                    None
                } else if slot == head.slot {
                    Some(head.block_root)
                } else {
                    store.canonical_block_root(slot)?
                };
                root.ok_or_else(|| ApiError::not_found(format!("no block at slot {slot}")))?
            }
            BlockId::Root(root) => root,
        };
        let summary = store
            .get_block_summary(&root)?
            .ok_or_else(|| ApiError::not_found(format!("block {root:#x} not found")))?;
        self.block_view_of(root, summary.slot)
    }

    /// The view of a known block.
    pub fn block_view_of(&self, root: Hash256, slot: Slot) -> ApiResult<BlockView> {
        let canonical = self.canonical_root_at_or_before(slot)? == Some(root);
        Ok(BlockView {
            root,
            slot,
            canonical,
            execution_optimistic: self.is_optimistic(&root),
            finalized: canonical && slot <= self.finalized_slot(),
        })
    }

    /// A stored block, blinded (as the store keeps it). Blocking.
    pub fn blinded_block(&self, root: &Hash256) -> ApiResult<SignedBlindedBeaconBlock<E>> {
        self.chain
            .store()
            .get_blinded_block(root)?
            .ok_or_else(|| ApiError::not_found(format!("block {root:#x} not found")))
    }

    /// Runs blocking work (store reads, state advances) off the async workers.
    pub async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Self) -> ApiResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let ctx = self.clone();
        tokio::task::spawn_blocking(move || f(&ctx)).await?
    }
}

/// The root of a state's latest block header (its `state_root` filled in when still zero).
pub fn latest_block_root<E: EthSpec>(state: &BeaconState<E>, state_root: Hash256) -> Hash256 {
    let mut header = state.latest_block_header().clone();
    if header.state_root.is_zero() {
        header.state_root = state_root;
    }
    header.tree_hash_root()
}

/// A copy of `state` with every staged list write applied (an advanced state may hold some, and
/// milhouse refuses to hash or should not serialise such a list), and its root.
pub fn settled<E: EthSpec>(
    state: &Arc<BeaconState<E>>,
) -> ApiResult<(Arc<BeaconState<E>>, Hash256)> {
    let mut copy = (**state).clone();
    let root = copy
        .update_tree_hash_cache()
        .map_err(|e| ApiError::internal(format!("state root: {e:?}")))?;
    Ok((Arc::new(copy), root))
}
