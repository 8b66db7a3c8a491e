//! Votes as weight deltas: each validator's vote moves its balance from the block it supported to the
//! block it supports now, and a balance change re-weighs a vote that did not move.

use crate::error::Error;
use crate::fork_choice::VoteTracker;
use crate::proto_array::ProtoArray;
use std::collections::{BTreeSet, HashMap};
use types::{Gwei, Hash256, ValidatorIndex};

/// Adds `sign * amount` to the delta of `root`'s node (nothing for a root no longer in the array).
fn add_delta(
    array: &ProtoArray,
    deltas: &mut [i64],
    root: &Hash256,
    amount: Gwei,
    sign: i64,
) -> Result<(), Error> {
    if let Some(i) = array.index_of(root) {
        let amount = i64::try_from(amount).map_err(|_| Error::Overflow("vote weight"))?;
        deltas[i] = deltas[i]
            .checked_add(sign * amount)
            .ok_or(Error::Overflow("vote delta"))?;
    }
    Ok(())
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
    // Tens of thousands of votes move per block, between a handful of roots: the weight is summed per
    // root first (a short list), so that the loop over the votes (each a cache miss in a registry-sized
    // table) stays short and its misses overlap; the roots are looked up in the array once each.
    let mut sums: Vec<(Hash256, i128)> = Vec::new();
    let mut position: HashMap<Hash256, usize> = HashMap::new();
    // The last root seen in each role: most votes move from one same root to another.
    let mut last = [(Hash256::ZERO, usize::MAX); 2];
    let mut add = |role: usize, root: Hash256, amount: i128| {
        let at = if last[role].0 == root && last[role].1 != usize::MAX {
            last[role].1
        } else {
            let at = *position.entry(root).or_insert_with(|| {
                sums.push((root, 0));
                sums.len() - 1
            });
            last[role] = (root, at);
            at
        };
        sums[at].1 += amount;
    };
    for &index in moved {
        let index = index as usize;
        let Some(vote) = votes.get_mut(index) else {
            continue;
        };
        if vote.current_root == vote.next_root {
            continue;
        }
        let weight = i128::from(weights.get(index).copied().unwrap_or(0));
        if vote.current_root != Hash256::ZERO {
            add(0, vote.current_root, -weight);
        }
        if vote.next_root != Hash256::ZERO {
            add(1, vote.next_root, weight);
        }
        vote.current_root = vote.next_root;
    }
    let mut deltas = vec![0i64; array.len()];
    for (root, sum) in sums {
        let (amount, sign) = (sum.unsigned_abs(), if sum < 0 { -1 } else { 1 });
        let amount = Gwei::try_from(amount).map_err(|_| Error::Overflow("vote weight"))?;
        add_delta(array, &mut deltas, &root, amount, sign)?;
    }
    Ok(deltas)
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
    let mut deltas = vec![0i64; array.len()];
    let mut add =
        |root: &Hash256, amount: Gwei, sign: i64| add_delta(array, &mut deltas, root, amount, sign);
    for (index, vote) in votes.iter_mut().enumerate() {
        if vote.current_root == Hash256::ZERO && vote.next_root == Hash256::ZERO {
            continue;
        }
        let old = old_weights.get(index).copied().unwrap_or(0);
        if equivocating.contains(&(index as ValidatorIndex)) {
            if vote.current_root != Hash256::ZERO {
                add(&vote.current_root, old, -1)?;
            }
            *vote = VoteTracker::default();
            continue;
        }
        let new = new_weights.get(index).copied().unwrap_or(0);
        if vote.current_root != vote.next_root || old != new {
            if vote.current_root != Hash256::ZERO {
                add(&vote.current_root, old, -1)?;
            }
            if vote.next_root != Hash256::ZERO {
                add(&vote.next_root, new, 1)?;
            }
            vote.current_root = vote.next_root;
        }
    }
    Ok(deltas)
}
