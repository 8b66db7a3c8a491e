//! The block tree as a proto-array: nodes in a `Vec` in insertion order (a parent always before its
//! children), each with its parent's index, its weight (the balance of the votes for it and its
//! descendants, plus the proposer boost), and its best child and best descendant.
//!
//! Votes arrive as per-node deltas. [`ProtoArray::apply_score_changes`] runs once backwards over the
//! array: it adds each node's delta to its weight and to its parent's delta, and picks each node's best
//! child among the children that lead to a viable head, the spec's `filter_block_tree` and `get_head`
//! in one pass. The head is then the best descendant of the justified block.

use crate::error::Error;
use crate::inputs::GENESIS_EPOCH;
use std::collections::HashMap;
use types::{Checkpoint, Epoch, ExecutionBlockHash, Hash256, Slot};

/// What the execution engine said of a block's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionStatus {
    /// The engine validated the payload (and so every ancestor's).
    Valid,
    /// Imported before the engine validated the payload (optimistic sync).
    Optimistic,
    /// The engine found the payload (or an ancestor's) invalid: never head, nor a head's ancestor.
    Invalid,
    /// The block carries no payload to validate (an anchor whose payload is unknown).
    Irrelevant,
}

impl ExecutionStatus {
    /// The status's name, for logs and errors.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Optimistic => "optimistic",
            Self::Invalid => "invalid",
            Self::Irrelevant => "irrelevant",
        }
    }

    pub(crate) fn to_byte(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::Optimistic => 1,
            Self::Invalid => 2,
            Self::Irrelevant => 3,
        }
    }

    pub(crate) fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            0 => Self::Valid,
            1 => Self::Optimistic,
            2 => Self::Invalid,
            3 => Self::Irrelevant,
            _ => return None,
        })
    }
}

/// One block of the tree with what fork choice keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtoNode {
    pub root: Hash256,
    pub parent: Option<usize>,
    pub slot: Slot,
    pub proposer_index: u64,
    /// The post-state's `current_justified_checkpoint`.
    pub justified_checkpoint: Checkpoint,
    /// The post-state's `finalized_checkpoint`.
    pub finalized_checkpoint: Checkpoint,
    /// The post-state pulled up to the next epoch boundary (`unrealized_justifications`).
    pub unrealized_justified_checkpoint: Checkpoint,
    pub unrealized_finalized_checkpoint: Checkpoint,
    /// Votes for this block and its descendants, plus the proposer boost if it applies.
    pub weight: u64,
    pub best_child: Option<usize>,
    pub best_descendant: Option<usize>,
    pub execution_status: ExecutionStatus,
    /// The payload's block hash (zero when `Irrelevant`).
    pub execution_block_hash: ExecutionBlockHash,
    /// `block_timeliness`: arrived in its own slot before the attestation deadline.
    pub timely: bool,
}

/// The store's view that decides which leaves are viable for head (`filter_block_tree`).
#[derive(Debug, Clone, Copy)]
pub struct Viability {
    pub current_epoch: Epoch,
    pub justified: Checkpoint,
    pub finalized: Checkpoint,
    pub slots_per_epoch: u64,
}

/// The proto-array: nodes and a root-to-index map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtoArray {
    pub(crate) nodes: Vec<ProtoNode>,
    pub(crate) indices: HashMap<Hash256, usize>,
}

impl ProtoArray {
    /// An array holding only `anchor` (its parent is dropped: the anchor is the tree's root).
    pub fn new(mut anchor: ProtoNode) -> Self {
        anchor.parent = None;
        anchor.best_child = None;
        anchor.best_descendant = None;
        let mut array = Self::default();
        array.indices.insert(anchor.root, 0);
        array.nodes.push(anchor);
        array
    }

    /// The number of blocks.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no block (never, once anchored).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The nodes, parents before children.
    pub fn nodes(&self) -> &[ProtoNode] {
        &self.nodes
    }

    /// The index of a block's node.
    pub fn index_of(&self, root: &Hash256) -> Option<usize> {
        self.indices.get(root).copied()
    }

    /// A block's node.
    pub fn node(&self, root: &Hash256) -> Option<&ProtoNode> {
        self.index_of(root).map(|i| &self.nodes[i])
    }

    /// Whether the block is known.
    pub fn contains(&self, root: &Hash256) -> bool {
        self.indices.contains_key(root)
    }

    /// Add a block whose parent is `parent_root`. A known root is left as it is; an unknown parent
    /// is an error. A node under an invalid parent is invalid.
    pub fn insert(&mut self, mut node: ProtoNode, parent_root: Hash256) -> Result<(), Error> {
        if self.indices.contains_key(&node.root) {
            return Ok(());
        }
        let parent = self.index_of(&parent_root).ok_or(Error::UnknownParent {
            parent_root,
            slot: node.slot,
        })?;
        if self.nodes[parent].execution_status == ExecutionStatus::Invalid {
            node.execution_status = ExecutionStatus::Invalid;
        }
        node.parent = Some(parent);
        node.best_child = None;
        node.best_descendant = None;
        self.indices.insert(node.root, self.nodes.len());
        self.nodes.push(node);
        Ok(())
    }

    /// `get_ancestor`: the index of the block at or before `slot` on `index`'s chain (the tree's root
    /// if the chain reaches no further back).
    pub fn ancestor_index(&self, mut index: usize, slot: Slot) -> usize {
        while self.nodes[index].slot > slot {
            match self.nodes[index].parent {
                Some(p) => index = p,
                None => break,
            }
        }
        index
    }

    /// `get_ancestor` by root.
    pub fn ancestor(&self, root: &Hash256, slot: Slot) -> Result<Hash256, Error> {
        let index = self.index_of(root).ok_or(Error::UnknownBlock(*root))?;
        Ok(self.nodes[self.ancestor_index(index, slot)].root)
    }

    /// `is_ancestor`: whether `ancestor` is `root` or on its chain.
    pub fn is_ancestor(&self, root: &Hash256, ancestor: &Hash256) -> bool {
        match (self.node(ancestor), self.index_of(root)) {
            (Some(a), Some(i)) => self.nodes[self.ancestor_index(i, a.slot)].root == a.root,
            _ => false,
        }
    }

    /// Add `deltas` (one per node, consumed) to the weights, and choose every node's best child and
    /// best descendant among the branches whose leaves are viable for head under `viability`.
    pub fn apply_score_changes(
        &mut self,
        deltas: &mut [i64],
        viability: &Viability,
    ) -> Result<(), Error> {
        let n = self.nodes.len();
        if deltas.len() != n {
            return Err(Error::Inconsistent(format!(
                "{} deltas for {n} nodes",
                deltas.len()
            )));
        }
        let finalized_slot = viability
            .finalized
            .epoch
            .saturating_mul(viability.slots_per_epoch);
        // Forward: each node's checkpoint block at the finalized epoch (`get_checkpoint_block`).
        let mut checkpoint_block = Vec::with_capacity(n);
        for (i, node) in self.nodes.iter().enumerate() {
            let own = match node.parent {
                Some(p) if node.slot > finalized_slot => checkpoint_block[p],
                _ => i,
            };
            checkpoint_block.push(own);
        }
        let mut has_children = vec![false; n];
        for node in &mut self.nodes {
            node.best_child = None;
            node.best_descendant = None;
        }
        // Backward: children come after their parent, so each node is final when reached.
        for i in (0..n).rev() {
            let delta = deltas[i];
            let node = &mut self.nodes[i];
            node.weight = node
                .weight
                .checked_add_signed(delta)
                .ok_or(Error::Overflow("node weight"))?;
            let parent = node.parent;
            if let Some(p) = parent {
                deltas[p] = deltas[p]
                    .checked_add(delta)
                    .ok_or(Error::Overflow("weight delta"))?;
            }
            let invalid = node.execution_status == ExecutionStatus::Invalid;
            let leads_to_viable_head = if invalid {
                false
            } else if has_children[i] {
                node.best_child.is_some()
            } else {
                let finalized_ok = self.nodes[checkpoint_block[i]].root == viability.finalized.root;
                self.is_viable_leaf(i, finalized_ok, viability)
            };
            if leads_to_viable_head && self.nodes[i].best_descendant.is_none() {
                self.nodes[i].best_descendant = Some(i);
            }
            let Some(p) = parent else { continue };
            if !invalid {
                has_children[p] = true;
            }
            if leads_to_viable_head {
                let better = match self.nodes[p].best_child {
                    None => true,
                    Some(b) => {
                        let (c, b) = (&self.nodes[i], &self.nodes[b]);
                        (c.weight, c.root) > (b.weight, b.root)
                    }
                };
                if better {
                    let descendant = self.nodes[i].best_descendant;
                    self.nodes[p].best_child = Some(i);
                    self.nodes[p].best_descendant = descendant;
                }
            }
        }
        Ok(())
    }

    /// `filter_block_tree`'s test of a leaf: its voting source (`get_voting_source`) agrees with the
    /// justified checkpoint or is recent, and it descends from the finalized checkpoint.
    fn is_viable_leaf(&self, index: usize, finalized_ok: bool, v: &Viability) -> bool {
        let node = &self.nodes[index];
        let block_epoch = node.slot / v.slots_per_epoch;
        let voting_source = if v.current_epoch > block_epoch {
            node.unrealized_justified_checkpoint
        } else {
            node.justified_checkpoint
        };
        let correct_justified = v.justified.epoch == GENESIS_EPOCH
            || voting_source.epoch == v.justified.epoch
            || voting_source.epoch + 2 >= v.current_epoch;
        let correct_finalized = v.finalized.epoch == GENESIS_EPOCH || finalized_ok;
        correct_justified && correct_finalized
    }

    /// The head under the last [`Self::apply_score_changes`]: the justified block's best descendant,
    /// or the justified block itself when no branch below it is viable.
    pub fn find_head(&self, justified_root: &Hash256) -> Result<Hash256, Error> {
        let index = self
            .index_of(justified_root)
            .ok_or(Error::UnknownBlock(*justified_root))?;
        let best = self.nodes[index].best_descendant.unwrap_or(index);
        Ok(self.nodes[best].root)
    }

    /// Mark `root` and its optimistic ancestors valid (a valid payload implies valid ancestors).
    pub fn propagate_valid(&mut self, root: &Hash256) -> Result<(), Error> {
        let mut index = Some(self.index_of(root).ok_or(Error::UnknownBlock(*root))?);
        while let Some(i) = index {
            let node = &mut self.nodes[i];
            match node.execution_status {
                ExecutionStatus::Optimistic => node.execution_status = ExecutionStatus::Valid,
                ExecutionStatus::Valid | ExecutionStatus::Irrelevant => return Ok(()),
                ExecutionStatus::Invalid => {
                    return Err(Error::ExecutionStatusConflict {
                        root: node.root,
                        from: "invalid",
                        to: "valid",
                    })
                }
            }
            index = node.parent;
        }
        Ok(())
    }

    /// Invalidate from `start` back to (not including) the block whose payload hash is
    /// `latest_valid_hash`, and every descendant of what was invalidated. `start` itself is
    /// invalidated only if `include_start` or if `latest_valid_hash` names one of its ancestors.
    /// Validated blocks are never invalidated: the walk stops at the first one. When
    /// `latest_valid_hash` is not on the chain (or `None`), only `start` (if `include_start`) and its
    /// descendants go: the engine's hash cannot be trusted to reach further. The zero hash names the
    /// pre-merge chain: every optimistic ancestor goes. The latest valid block and its ancestors
    /// become valid. Returns the roots newly made invalid.
    pub fn invalidate(
        &mut self,
        start: usize,
        include_start: bool,
        latest_valid_hash: Option<ExecutionBlockHash>,
    ) -> Result<Vec<Hash256>, Error> {
        let mut to_invalidate = vec![];
        let mut latest_valid = None;
        if let Some(lvh) = latest_valid_hash {
            let zero = lvh == ExecutionBlockHash::ZERO;
            // The optimistic blocks from `start` down to the first validated one, then on to the
            // latest valid hash (which must be on the chain for the engine's word to reach further).
            let mut path = vec![];
            let mut below_validated = false;
            let mut found = false;
            let mut index = Some(start);
            while let Some(i) = index {
                let node = &self.nodes[i];
                let is_named_block = include_start && i == start;
                if !zero && !is_named_block && node.execution_block_hash == lvh {
                    found = true;
                    if !below_validated {
                        latest_valid = Some(i);
                    }
                    break;
                }
                if !below_validated {
                    if matches!(
                        node.execution_status,
                        ExecutionStatus::Valid | ExecutionStatus::Irrelevant
                    ) {
                        // What the engine validated stays valid; the zero hash stops here.
                        below_validated = true;
                        if zero {
                            found = true;
                            break;
                        }
                    } else {
                        path.push(i);
                    }
                }
                index = node.parent;
            }
            if index.is_none() && zero {
                found = true;
            }
            if found {
                to_invalidate = path;
            }
        }
        if to_invalidate.is_empty() && include_start {
            to_invalidate.push(start);
        }
        if let Some(i) = latest_valid {
            let root = self.nodes[i].root;
            self.propagate_valid(&root)?;
        }
        let mut invalidated = vec![];
        for i in to_invalidate {
            let node = &mut self.nodes[i];
            if node.execution_status == ExecutionStatus::Valid {
                return Err(Error::ExecutionStatusConflict {
                    root: node.root,
                    from: "valid",
                    to: "invalid",
                });
            }
            if node.execution_status != ExecutionStatus::Invalid {
                node.execution_status = ExecutionStatus::Invalid;
                invalidated.push(node.root);
            }
        }
        // Descendants: parents come first, so one forward pass reaches every generation.
        let from = invalidated
            .iter()
            .filter_map(|r| self.index_of(r))
            .min()
            .unwrap_or(self.nodes.len());
        for i in from..self.nodes.len() {
            let Some(p) = self.nodes[i].parent else {
                continue;
            };
            if self.nodes[p].execution_status == ExecutionStatus::Invalid
                && self.nodes[i].execution_status != ExecutionStatus::Invalid
            {
                self.nodes[i].execution_status = ExecutionStatus::Invalid;
                invalidated.push(self.nodes[i].root);
            }
        }
        Ok(invalidated)
    }

    /// Drop every node that is not `finalized_root` or its descendant, once `finalized_root` sits at
    /// index `threshold` or later (pruning rewrites the whole array, so not on every finalization).
    /// Returns how many nodes went.
    pub fn maybe_prune(
        &mut self,
        finalized_root: &Hash256,
        threshold: usize,
    ) -> Result<usize, Error> {
        let finalized = self
            .index_of(finalized_root)
            .ok_or(Error::UnknownBlock(*finalized_root))?;
        if finalized < threshold {
            return Ok(0);
        }
        let n = self.nodes.len();
        let mut new_index: Vec<Option<usize>> = vec![None; n];
        let mut kept = Vec::with_capacity(n - finalized);
        for i in finalized..n {
            let keep = i == finalized || self.nodes[i].parent.and_then(|p| new_index[p]).is_some();
            if keep {
                new_index[i] = Some(kept.len());
                kept.push(i);
            }
        }
        let old = std::mem::take(&mut self.nodes);
        let remap = |i: Option<usize>| i.and_then(|i| new_index[i]);
        for i in kept {
            let mut node = old[i].clone();
            node.parent = remap(node.parent);
            node.best_child = remap(node.best_child);
            node.best_descendant = remap(node.best_descendant);
            self.nodes.push(node);
        }
        self.indices = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| (node.root, i))
            .collect();
        Ok(n - self.nodes.len())
    }
}
