//! Greedy maximum cover: the classic (1 - 1/e)-approximation for choosing at most `limit` sets of
//! weighted validators that together cover the most weight. Block packing uses it because a
//! validator's reward counts once however many included aggregates name it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use types::ValidatorIndex;

/// A candidate: `item`, and the weight it would add for each validator it covers (each validator at
/// most once: an aggregate's attesters, or the disjoint committees of one slot).
pub(crate) struct Cover<T> {
    pub item: T,
    pub covers: Vec<(ValidatorIndex, u64)>,
}

/// The validators covered so far. A bitset over the candidates' key range when they name about as
/// many validators as that range has words (a block's candidates: tens of thousands of attesters,
/// where a hash set's insert and lookup per attester cost more than the rest of packing); a hash set
/// otherwise (one committee's aggregates: a few hundred validators spread over the registry, where
/// zeroing a registry-sized bitset on every call would cost more than the cover).
enum Covered {
    Dense(Vec<u64>),
    Sparse(HashSet<ValidatorIndex>),
}

impl Covered {
    fn for_candidates<T>(candidates: &[Cover<T>]) -> Self {
        let (count, max) = candidates
            .iter()
            .flat_map(|c| &c.covers)
            .fold((0usize, 0u64), |(n, m), &(v, _)| (n + 1, m.max(v)));
        let words = max as usize / 64 + 1;
        if words <= 8 * count {
            Covered::Dense(vec![0; words])
        } else {
            Covered::Sparse(HashSet::with_capacity(count))
        }
    }

    fn contains(&self, key: ValidatorIndex) -> bool {
        match self {
            Covered::Dense(words) => {
                let key = key as usize;
                words
                    .get(key / 64)
                    .is_some_and(|word| word & (1 << (key % 64)) != 0)
            }
            Covered::Sparse(set) => set.contains(&key),
        }
    }

    fn insert(&mut self, key: ValidatorIndex) {
        match self {
            Covered::Dense(words) => {
                let key = key as usize;
                // Every key is within the range the bitset was sized for.
                if let Some(word) = words.get_mut(key / 64) {
                    *word |= 1 << (key % 64);
                }
            }
            Covered::Sparse(set) => {
                set.insert(key);
            }
        }
    }
}

/// Pick at most `limit` items, each time the one adding the most uncovered weight, until nothing adds
/// any. Returns the chosen items in the order chosen (best first); ties go to the earlier candidate.
///
/// Lazy greedy: a candidate's gain only shrinks as others are chosen, so a stale gain is an upper
/// bound, and a candidate whose recomputed gain still tops the heap is the greedy choice. Most
/// candidates are never rescored, which matters with thousands of aggregates of hundreds of attesters.
pub(crate) fn maximum_cover<T>(candidates: Vec<Cover<T>>, limit: usize) -> Vec<T> {
    let gain = |c: &Cover<T>, covered: &Covered| {
        c.covers
            .iter()
            .filter(|(v, _)| !covered.contains(*v))
            .fold(0u64, |a, (_, w)| a.saturating_add(*w))
    };
    let mut covered = Covered::for_candidates(&candidates);
    let mut heap: BinaryHeap<(u64, Reverse<usize>)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (gain(c, &covered), Reverse(i)))
        .filter(|(g, _)| *g > 0)
        .collect();
    let mut candidates: Vec<Option<Cover<T>>> = candidates.into_iter().map(Some).collect();
    let mut chosen = Vec::new();
    while chosen.len() < limit {
        let Some((bound, Reverse(i))) = heap.pop() else {
            break;
        };
        let Some(candidate) = candidates[i].as_ref() else {
            continue;
        };
        let now = gain(candidate, &covered);
        if now == 0 {
            continue;
        }
        let still_best = heap
            .peek()
            .is_none_or(|&(next, Reverse(j))| (now, Reverse(i)) >= (next, Reverse(j)));
        if now < bound && !still_best {
            heap.push((now, Reverse(i)));
            continue;
        }
        if let Some(pick) = candidates[i].take() {
            for &(validator, _) in &pick.covers {
                covered.insert(validator);
            }
            chosen.push(pick.item);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cover(item: &'static str, validators: &[u64]) -> Cover<&'static str> {
        Cover {
            item,
            covers: validators.iter().map(|&v| (v, 1)).collect(),
        }
    }

    #[test]
    fn picks_the_covering_set_not_the_largest_overlaps() {
        // The biggest set first, then the two that add most beyond it; `c` adds nothing after `a`.
        let chosen = maximum_cover(
            vec![
                cover("a", &[1, 2, 3, 4]),
                cover("b", &[5, 6]),
                cover("c", &[1, 2, 3]),
                cover("d", &[4, 7]),
            ],
            3,
        );
        assert_eq!(chosen, vec!["a", "b", "d"]);
    }

    #[test]
    fn sparse_keys_pick_as_dense_ones_do() {
        // Keys spread over a registry-sized range take the hash-set form of `Covered`.
        let far = |vs: &[u64]| vs.iter().map(|v| v * 1_000_003).collect::<Vec<_>>();
        let sets = vec![
            cover("a", &far(&[1, 2, 3, 4])),
            cover("b", &far(&[5, 6])),
            cover("c", &far(&[1, 2, 3])),
            cover("d", &far(&[4, 7])),
        ];
        assert!(matches!(Covered::for_candidates(&sets), Covered::Sparse(_)));
        assert_eq!(maximum_cover(sets, 3), vec!["a", "b", "d"]);
        let dense = vec![cover("a", &[1, 2, 3, 4])];
        assert!(matches!(Covered::for_candidates(&dense), Covered::Dense(_)));
    }

    #[test]
    fn stops_at_the_limit_and_at_nothing_new() {
        let sets = || vec![cover("a", &[1, 2]), cover("b", &[1]), cover("c", &[3])];
        assert_eq!(maximum_cover(sets(), 1), vec!["a"]);
        assert_eq!(maximum_cover(sets(), 10), vec!["a", "c"]);
    }

    #[test]
    fn weights_beat_counts() {
        let mut heavy = cover("heavy", &[9]);
        heavy.covers = vec![(9, 100)];
        assert_eq!(
            maximum_cover(vec![cover("many", &[1, 2, 3]), heavy], 1),
            vec!["heavy"]
        );
    }
}
