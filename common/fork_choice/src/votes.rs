//! Votes as weight deltas: each validator's vote moves its balance from the block it supported to the
//! block it supports now, and a balance change re-weighs a vote that did not move.

use crate::error::Error;
use crate::fork_choice::VoteTracker;
use crate::proto_array::ProtoArray;
use std::collections::BTreeSet;
use types::{Gwei, Hash256, ValidatorIndex};

/// One delta per node of the array, added to root by root. Tens of thousands of votes move per block
/// between a handful of roots, so the node index of the last root looked up on each side (the side
/// losing weight, the side gaining it) is kept: most votes then skip the array's hash lookup, and the
/// loop over the votes (each a cache miss in a registry-sized table) stays short enough for its misses
/// to overlap.
struct Deltas<'a> {
    array: &'a ProtoArray,
    deltas: Vec<i64>,
    last: [Option<(Hash256, Option<usize>)>; 2],
}

impl<'a> Deltas<'a> {
    fn new(array: &'a ProtoArray) -> Self {
        Self {
            array,
            deltas: vec![0; array.len()],
            last: [None; 2],
        }
    }

    /// Adds `sign * amount` to the delta of `root`'s node (nothing for a root no longer in the array).
    fn add(&mut self, root: &Hash256, amount: Gwei, sign: i64) -> Result<(), Error> {
        let side = usize::from(sign > 0);
        let node = match self.last[side] {
            Some((last, node)) if last == *root => node,
            _ => {
                let node = self.array.index_of(root);
                self.last[side] = Some((*root, node));
                node
            }
        };
        if let Some(i) = node {
            let amount = i64::try_from(amount).map_err(|_| Error::Overflow("vote weight"))?;
            self.deltas[i] = self.deltas[i]
                .checked_add(sign * amount)
                .ok_or(Error::Overflow("vote delta"))?;
        }
        Ok(())
    }
}

/// [`compute_deltas`] for the votes `moved` only, when the weights are unchanged (`weights` are the old
/// and the new) and no validator has newly equivocated: every other vote's current root is its next.
/// `moved` may repeat an index (the second visit finds nothing to move).
pub(crate) fn compute_moved_deltas(
    array: &ProtoArray,
    votes: &mut [VoteTracker],
    moved: &[u32],
    weights: &[Gwei],
) -> Result<Vec<i64>, Error> {
    let mut deltas = Deltas::new(array);
    for &index in moved {
        let index = index as usize;
        let Some(vote) = votes.get_mut(index) else {
            continue;
        };
        if vote.current_root == vote.next_root {
            continue;
        }
        let weight = weights.get(index).copied().unwrap_or(0);
        if vote.current_root != Hash256::ZERO {
            deltas.add(&vote.current_root, weight, -1)?;
        }
        if vote.next_root != Hash256::ZERO {
            deltas.add(&vote.next_root, weight, 1)?;
        }
        vote.current_root = vote.next_root;
    }
    Ok(deltas.deltas)
}

/// One delta per node of `array`: for each vote, minus its old weight on its current root and plus its
/// new weight on its next root (then the next root becomes current). Equivocating validators' weight
/// is taken off and their votes are cleared for good. Roots no longer in the array are skipped.
pub(crate) fn compute_deltas(
    array: &ProtoArray,
    votes: &mut [VoteTracker],
    old_weights: &[Gwei],
    new_weights: &[Gwei],
    equivocating: &BTreeSet<ValidatorIndex>,
) -> Result<Vec<i64>, Error> {
    let mut deltas = Deltas::new(array);
    for (index, vote) in votes.iter_mut().enumerate() {
        if vote.current_root == Hash256::ZERO && vote.next_root == Hash256::ZERO {
            continue;
        }
        let old = old_weights.get(index).copied().unwrap_or(0);
        if equivocating.contains(&(index as ValidatorIndex)) {
            if vote.current_root != Hash256::ZERO {
                deltas.add(&vote.current_root, old, -1)?;
            }
            *vote = VoteTracker::default();
            continue;
        }
        let new = new_weights.get(index).copied().unwrap_or(0);
        if vote.current_root != vote.next_root || old != new {
            if vote.current_root != Hash256::ZERO {
                deltas.add(&vote.current_root, old, -1)?;
            }
            if vote.next_root != Hash256::ZERO {
                deltas.add(&vote.next_root, new, 1)?;
            }
            vote.current_root = vote.next_root;
        }
    }
    Ok(deltas.deltas)
}
