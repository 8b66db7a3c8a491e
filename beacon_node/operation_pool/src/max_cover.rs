//! Greedy maximum cover: the classic (1 - 1/e)-approximation for choosing at most `limit` sets of
//! weighted validators that together cover the most weight. Block packing uses it because a
//! validator's reward counts once however many included aggregates name it.

use std::collections::HashMap;
use types::ValidatorIndex;

/// A candidate: `item`, and the weight it would add for each validator it covers.
pub(crate) struct Cover<T> {
    pub item: T,
    pub covers: HashMap<ValidatorIndex, u64>,
}

impl<T> Cover<T> {
    fn score(&self) -> u64 {
        self.covers.values().fold(0u64, |a, w| a.saturating_add(*w))
    }
}

/// Pick at most `limit` items, each time the one adding the most uncovered weight, until nothing adds
/// any. Returns the chosen items in the order chosen (best first); ties go to the earlier candidate.
pub(crate) fn maximum_cover<T>(candidates: Vec<Cover<T>>, limit: usize) -> Vec<T> {
    let mut candidates: Vec<Option<Cover<T>>> = candidates.into_iter().map(Some).collect();
    let mut chosen = Vec::new();
    while chosen.len() < limit {
        let mut best: Option<(usize, u64)> = None;
        for (i, c) in candidates.iter().enumerate() {
            if let Some(c) = c {
                let score = c.score();
                if score > 0 && best.is_none_or(|(_, s)| score > s) {
                    best = Some((i, score));
                }
            }
        }
        let Some((i, _)) = best else { break };
        let Some(pick) = candidates[i].take() else {
            break;
        };
        for other in candidates.iter_mut().flatten() {
            other.covers.retain(|v, _| !pick.covers.contains_key(v));
        }
        chosen.push(pick.item);
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
    fn stops_at_the_limit_and_at_nothing_new() {
        let sets = || vec![cover("a", &[1, 2]), cover("b", &[1]), cover("c", &[3])];
        assert_eq!(maximum_cover(sets(), 1), vec!["a"]);
        assert_eq!(maximum_cover(sets(), 10), vec!["a", "c"]);
    }

    #[test]
    fn weights_beat_counts() {
        let mut heavy = cover("heavy", &[9]);
        heavy.covers.insert(9, 100);
        assert_eq!(
            maximum_cover(vec![cover("many", &[1, 2, 3]), heavy], 1),
            vec!["heavy"]
        );
    }
}
