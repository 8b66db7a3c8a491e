//! Pruning on finalization, inside the batch's transaction.
//!
//! Once a checkpoint is finalized, no block that does not descend from it can become canonical, so:
//! - blocks (with payloads, sidecars, summaries) that are neither ancestors of the finalized block nor
//!   its descendants are deleted: the dead branches, whatever their slot;
//! - states older than the finalized checkpoint's epoch start are deleted (their replay bases go too),
//!   except the genesis state, which the API serves and which anchors the chain; so are states on dead
//!   branches. The finalized checkpoint state itself (the boundary state of its epoch) stays.
//!
//! Only "hot" blocks (not yet behind finality) are scanned; ancestors of the finalized block leave the
//! hot set here, so the work per finalization is bounded by the unfinalized part of the tree.

use crate::error::{Result, StoreError};
use crate::ops::WriteTables;
use crate::tables::*;
use redb::ReadableTable;
use std::collections::{HashMap, HashSet};
use types::{Checkpoint, EthSpec};

pub(crate) fn prune_with_spec<E: EthSpec>(
    tables: &mut WriteTables<'_>,
    finalized: Checkpoint,
) -> Result<()> {
    let Some(finalized_summary) = read_block_summary(&tables.block_summaries, &finalized.root)?
    else {
        return Err(StoreError::MissingBlock(finalized.root));
    };
    let start_slot = finalized.epoch.saturating_mul(E::slots_per_epoch());

    // The hot tree, in slot order.
    let mut hot = Vec::new();
    for entry in tables.hot_blocks.iter()? {
        let (key, _) = entry?;
        hot.push(split_hot_key(key.value())?);
    }
    let mut parents = HashMap::with_capacity(hot.len());
    for (_, root) in &hot {
        let summary = read_block_summary(&tables.block_summaries, root)?
            .ok_or_else(|| corrupt("hot_blocks", root.as_slice(), "no block summary"))?;
        parents.insert(*root, summary.parent_root);
    }

    let mut descendants = HashSet::from([finalized.root]);
    for (slot, root) in &hot {
        if *slot > finalized_summary.slot && descendants.contains(&parents[root]) {
            descendants.insert(*root);
        }
    }
    let mut ancestors = HashSet::new();
    let mut cursor = finalized_summary.parent_root;
    while let Some(parent) = parents.get(&cursor) {
        ancestors.insert(cursor);
        cursor = *parent;
    }

    let mut deleted_blocks = 0;
    for (slot, root) in &hot {
        if descendants.contains(root) {
            continue;
        }
        if ancestors.contains(root) {
            // Finalized history: kept, but no longer hot.
            tables.hot_blocks.remove(hot_key(*slot, root).as_slice())?;
        } else {
            tables.delete_block(*root)?;
            deleted_blocks += 1;
        }
    }

    let genesis_state_root = tables
        .meta
        .get(meta_keys::GENESIS_STATE_ROOT)?
        .map(|v| decode_root("meta", meta_keys::GENESIS_STATE_ROOT.as_bytes(), v.value()))
        .transpose()?;
    let mut doomed_states = Vec::new();
    // The bases kept states replay from (an earlier epoch's, for a state written as a summary before
    // its own epoch's full state landed) stay with them.
    let mut kept_bases = HashSet::new();
    for entry in tables.state_summaries.iter()? {
        let (key, value) = entry?;
        let root = decode_root("state_summaries", key.value(), key.value())?;
        let summary = StateSummary::from_bytes(key.value(), value.value())?;
        let keep = Some(root) == genesis_state_root
            || (summary.slot >= start_slot && descendants.contains(&summary.latest_block_root));
        if keep {
            kept_bases.insert(summary.epoch_boundary_state_root);
        } else {
            doomed_states.push(root);
        }
    }
    doomed_states.retain(|root| !kept_bases.contains(root));
    for root in &doomed_states {
        tables.state_summaries.remove(root.as_slice())?;
        tables.states.remove(root.as_slice())?;
    }
    tracing::debug!(
        finalized_epoch = finalized.epoch,
        finalized_root = %finalized.root,
        deleted_blocks,
        deleted_states = doomed_states.len(),
        "pruned on finalization"
    );
    Ok(())
}

/// Delete the sidecars of canonical blocks in `[previous cutoff, before)`; the cutoff is remembered so
/// each call scans only the slots it newly covers.
pub(crate) fn prune_sidecars(tables: &mut WriteTables<'_>, before: u64) -> Result<()> {
    let key = meta_keys::SIDECARS_PRUNED_BEFORE;
    let from = match tables.meta.get(key)? {
        Some(v) => {
            let bytes: [u8; 8] = v
                .value()
                .try_into()
                .map_err(|_| corrupt("meta", key.as_bytes(), "not a u64"))?;
            u64::from_le_bytes(bytes)
        }
        None => 0,
    };
    if before <= from {
        return Ok(());
    }
    let mut roots = Vec::new();
    for entry in tables.canonical.range(from..before)? {
        let (slot, root) = entry?;
        roots.push(decode_root(
            "canonical_block_roots",
            &slot.value().to_be_bytes(),
            root.value(),
        )?);
    }
    for root in &roots {
        let (lo, hi) = sidecar_range(root);
        tables
            .blob_sidecars
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
        tables
            .data_column_sidecars
            .retain_in(lo.as_slice()..=hi.as_slice(), |_, _| false)?;
    }
    tables.meta.insert(key, before.to_le_bytes().as_slice())?;
    Ok(())
}
