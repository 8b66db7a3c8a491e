//! Swap-or-not shuffling: one index at a time (`compute_shuffled_index`, as the spec defines it) and the
//! whole list at once ([`shuffle_list`], what committee caches use), plus the samplers built on them.

use super::math::{bytes_to_uint64, hash};
use crate::{Result, StateError};
use types::{BeaconState, EthSpec, ForkName, Hash256, ValidatorIndex};

/// The pivot of one shuffling round: `bytes_to_uint64(hash(seed + round)[0:8]) % index_count`.
fn round_pivot(seed: &[u8], round: u8, index_count: u64) -> u64 {
    bytes_to_uint64(&hash(&[seed, &[round]])[..8]) % index_count
}

/// The source hash of one 256-position bucket of one round.
fn bucket_source(seed: &[u8], round: u8, bucket: u64) -> [u8; 32] {
    hash(&[seed, &[round], &(bucket as u32).to_le_bytes()])
}

/// The swap bit of `position` from its bucket's source hash.
fn source_bit(source: &[u8; 32], position: u64) -> bool {
    let byte = source[((position % 256) / 8) as usize];
    (byte >> (position % 8)) & 1 == 1
}

/// `compute_shuffled_index` (phase0): where `index` goes in the swap-or-not permutation of `index_count`
/// positions under `seed`, with `E::SHUFFLE_ROUND_COUNT` rounds.
pub fn compute_shuffled_index<E: EthSpec>(
    index: u64,
    index_count: u64,
    seed: &Hash256,
) -> Result<u64> {
    compute_shuffled_index_with_rounds(index, index_count, seed, E::SHUFFLE_ROUND_COUNT)
}

/// [`compute_shuffled_index`] with an explicit round count.
pub fn compute_shuffled_index_with_rounds(
    mut index: u64,
    index_count: u64,
    seed: &Hash256,
    rounds: u8,
) -> Result<u64> {
    if index >= index_count {
        return Err(StateError::Other(format!(
            "shuffled index {index} out of range {index_count}"
        )));
    }
    for round in 0..rounds {
        let pivot = round_pivot(seed.as_slice(), round, index_count);
        let flip = (pivot + index_count - index) % index_count;
        let position = index.max(flip);
        let source = bucket_source(seed.as_slice(), round, position / 256);
        if source_bit(&source, position) {
            index = flip;
        }
    }
    Ok(index)
}

/// [`compute_shuffled_index`] for many indices under one `seed` and `index_count`: the round pivots
/// (which depend only on the seed, the round and the count) are hashed once, halving the hashes per index.
pub(crate) struct IndexShuffler {
    seed: Hash256,
    index_count: u64,
    pivots: Vec<u64>,
}

impl IndexShuffler {
    /// The shuffler of `index_count` positions under `seed` with `rounds` rounds.
    pub(crate) fn new(seed: &Hash256, index_count: u64, rounds: u8) -> Self {
        let pivots = if index_count == 0 {
            vec![]
        } else {
            (0..rounds)
                .map(|round| round_pivot(seed.as_slice(), round, index_count))
                .collect()
        };
        IndexShuffler {
            seed: *seed,
            index_count,
            pivots,
        }
    }

    /// `compute_shuffled_index(index, index_count, seed)`.
    pub(crate) fn shuffled_index(&self, mut index: u64) -> Result<u64> {
        let index_count = self.index_count;
        if index >= index_count {
            return Err(StateError::Other(format!(
                "shuffled index {index} out of range {index_count}"
            )));
        }
        for (round, &pivot) in self.pivots.iter().enumerate() {
            let flip = (pivot + index_count - index) % index_count;
            let position = index.max(flip);
            let source = bucket_source(self.seed.as_slice(), round as u8, position / 256);
            if source_bit(&source, position) {
                index = flip;
            }
        }
        Ok(index)
    }
}

/// Shuffle a whole list in place with all rounds at once, so that afterwards
/// `list[i] == original[compute_shuffled_index(i, len, seed)]` for every `i`: the order `compute_committee`
/// reads active validators in. Costs `rounds * (len / 2)` bit tests and `rounds * len / 256` hashes, where
/// `compute_shuffled_index` per position costs `2 * rounds` hashes each.
pub fn shuffle_list<T>(list: &mut [T], seed: &Hash256, rounds: u8) {
    let n = list.len() as u64;
    if n <= 1 {
        return;
    }
    let seed = seed.as_slice();
    // Each round is an involution made of disjoint swaps; applying the rounds last-to-first to the list
    // composes them into `list[i] = original[round_{R-1}(...round_0(i))]`.
    for round in (0..rounds).rev() {
        let pivot = round_pivot(seed, round, n);
        let mut cached: Option<(u64, [u8; 32])> = None;
        let mut bit_at = |position: u64| -> bool {
            let bucket = position / 256;
            let source = match cached {
                Some((b, source)) if b == bucket => source,
                _ => {
                    let source = bucket_source(seed, round, bucket);
                    cached = Some((bucket, source));
                    source
                }
            };
            source_bit(&source, position)
        };
        // Positions 0..=pivot pair up as (i, pivot - i), positions pivot+1..n as (i, pivot + n - i); the
        // bit is read at the larger position of each pair, and a position paired with itself stays.
        for i in 0..pivot.div_ceil(2) {
            let j = pivot - i;
            if bit_at(j) {
                list.swap(i as usize, j as usize);
            }
        }
        for i in pivot + 1..(pivot + n).div_ceil(2) {
            let j = pivot + n - i;
            if bit_at(j) {
                list.swap(i as usize, j as usize);
            }
        }
    }
}

/// `compute_committee` (phase0): slice `index` of `count` of the shuffled `indices`.
pub fn compute_committee<E: EthSpec>(
    indices: &[ValidatorIndex],
    seed: &Hash256,
    index: u64,
    count: u64,
) -> Result<Vec<ValidatorIndex>> {
    let (start, end) = committee_range(indices.len(), index, count)?;
    let len = indices.len() as u64;
    (start..end)
        .map(|i| {
            let shuffled = compute_shuffled_index::<E>(i as u64, len, seed)?;
            Ok(indices[shuffled as usize])
        })
        .collect()
}

/// The `[start, end)` positions of committee `index` of `count` in a shuffling of `len` validators.
pub(crate) fn committee_range(len: usize, index: u64, count: u64) -> Result<(usize, usize)> {
    if index >= count {
        return Err(StateError::CommitteeIndexOutOfRange { index, count });
    }
    let len = len as u128;
    let start = len * index as u128 / count as u128;
    let end = len * (index as u128 + 1) / count as u128;
    Ok((start as usize, end as usize))
}

/// Whether a candidate with `effective_balance` is accepted at sampling step `i` under `seed`: the
/// phase0 random-byte test before Electra, the 16-bit random-value test against
/// `MAX_EFFECTIVE_BALANCE_ELECTRA` from Electra on (shared by `compute_proposer_index` and
/// `get_next_sync_committee_indices`).
pub(crate) fn accept_candidate<E: EthSpec>(
    fork: ForkName,
    seed: &Hash256,
    i: u64,
    effective_balance: u64,
) -> bool {
    if fork.electra_enabled() {
        const MAX_RANDOM_VALUE: u128 = (1 << 16) - 1;
        let random_bytes = hash(&[seed.as_slice(), &(i / 16).to_le_bytes()]);
        let offset = ((i % 16) * 2) as usize;
        let random_value = bytes_to_uint64(&random_bytes[offset..offset + 2]) as u128;
        effective_balance as u128 * MAX_RANDOM_VALUE
            >= E::MAX_EFFECTIVE_BALANCE_ELECTRA as u128 * random_value
    } else {
        const MAX_RANDOM_BYTE: u128 = (1 << 8) - 1;
        let random_byte = hash(&[seed.as_slice(), &(i / 32).to_le_bytes()])[(i % 32) as usize];
        effective_balance as u128 * MAX_RANDOM_BYTE
            >= E::MAX_EFFECTIVE_BALANCE as u128 * random_byte as u128
    }
}

/// Guard for the spec's unbounded sampling loops: after many rejections, check once that some candidate
/// can ever be accepted (a non-zero effective balance), so that a degenerate state is an error, not a hang.
pub(crate) fn ensure_samplable<E: EthSpec>(
    state: &BeaconState<E>,
    indices: &[ValidatorIndex],
) -> Result<()> {
    let validators = state.validators();
    let any = indices.iter().any(|&i| {
        validators
            .get(i as usize)
            .is_some_and(|v| v.effective_balance > 0)
    });
    if any {
        Ok(())
    } else {
        Err(StateError::NoActiveValidators)
    }
}

/// `compute_proposer_index`: a validator of `indices` sampled by effective balance (phase0's random-byte
/// form before Electra, Electra's 16-bit form from Electra on, chosen by the state's fork).
pub fn compute_proposer_index<E: EthSpec>(
    state: &BeaconState<E>,
    indices: &[ValidatorIndex],
    seed: &Hash256,
) -> Result<ValidatorIndex> {
    compute_proposer_index_bounded(state, indices, seed, u64::MAX)
}

/// [`compute_proposer_index`] given `max_effective_balance`, at least the effective balance of every
/// validator of `indices`. Acceptance is monotone in the effective balance, so a step whose random value
/// rejects even `max_effective_balance` is skipped without shuffling (on a registry of 32 ETH validators,
/// 63 steps in 64 under Electra); the result is the same.
pub(crate) fn compute_proposer_index_bounded<E: EthSpec>(
    state: &BeaconState<E>,
    indices: &[ValidatorIndex],
    seed: &Hash256,
    max_effective_balance: u64,
) -> Result<ValidatorIndex> {
    let validators = state.validators();
    sample_proposer_index::<E>(
        state.fork_name(),
        indices,
        seed,
        max_effective_balance,
        |candidate| {
            validators
                .get(candidate as usize)
                .map(|v| v.effective_balance)
                .ok_or(StateError::UnknownValidator(candidate))
        },
    )
}

/// The sampling loop of `compute_proposer_index` under `fork`, reading effective balances through
/// `effective_balance` (the state's registry, or a contiguous vector built once per epoch, which spares
/// a tree walk per candidate). `max_effective_balance` bounds every balance of `indices` (see
/// [`compute_proposer_index_bounded`]).
pub(crate) fn sample_proposer_index<E: EthSpec>(
    fork: ForkName,
    indices: &[ValidatorIndex],
    seed: &Hash256,
    max_effective_balance: u64,
    mut effective_balance: impl FnMut(ValidatorIndex) -> Result<u64>,
) -> Result<ValidatorIndex> {
    if indices.is_empty() {
        return Err(StateError::NoActiveValidators);
    }
    let total = indices.len() as u64;
    let check_after = total.saturating_mul(64).saturating_add(1 << 16);
    let shuffler = IndexShuffler::new(seed, total, E::SHUFFLE_ROUND_COUNT);
    let mut i = 0u64;
    loop {
        if accept_candidate::<E>(fork, seed, i, max_effective_balance) {
            let shuffled = shuffler.shuffled_index(i % total)?;
            let candidate = indices[shuffled as usize];
            if accept_candidate::<E>(fork, seed, i, effective_balance(candidate)?) {
                return Ok(candidate);
            }
        }
        if i == check_after {
            // A degenerate set (every balance zero) would never end the loop.
            let mut any = false;
            for &index in indices {
                if effective_balance(index)? > 0 {
                    any = true;
                    break;
                }
            }
            if !any {
                return Err(StateError::NoActiveValidators);
            }
        }
        i = i.checked_add(1).ok_or(StateError::Overflow)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_shuffler_matches_compute_shuffled_index() {
        for (n, byte) in [(1u64, 1u8), (2, 2), (3, 3), (255, 5), (257, 7), (1000, 8)] {
            let seed = Hash256::from([byte; 32]);
            for rounds in [0u8, 1, 10, 90] {
                let shuffler = IndexShuffler::new(&seed, n, rounds);
                for i in 0..n {
                    assert_eq!(
                        shuffler.shuffled_index(i).unwrap(),
                        compute_shuffled_index_with_rounds(i, n, &seed, rounds).unwrap()
                    );
                }
                assert!(shuffler.shuffled_index(n).is_err());
            }
        }
        assert!(IndexShuffler::new(&Hash256::ZERO, 0, 90)
            .shuffled_index(0)
            .is_err());
    }

    #[test]
    fn shuffle_list_matches_compute_shuffled_index() {
        for (n, byte) in [
            (0usize, 0u8),
            (1, 1),
            (2, 2),
            (3, 3),
            (10, 4),
            (255, 5),
            (256, 6),
            (257, 7),
            (1000, 8),
        ] {
            let seed = Hash256::from([byte; 32]);
            for rounds in [0u8, 1, 10, 90] {
                let mut list: Vec<u64> = (0..n as u64).collect();
                shuffle_list(&mut list, &seed, rounds);
                for (i, &v) in list.iter().enumerate() {
                    let expected =
                        compute_shuffled_index_with_rounds(i as u64, n as u64, &seed, rounds)
                            .unwrap();
                    assert_eq!(v, expected, "n={n} rounds={rounds} i={i}");
                }
            }
        }
    }

    #[test]
    fn committee_ranges_partition_the_list() {
        for len in [0usize, 1, 7, 64, 1000] {
            for count in [1u64, 3, 32, 64] {
                let mut next = 0;
                for index in 0..count {
                    let (start, end) = committee_range(len, index, count).unwrap();
                    assert_eq!(start, next);
                    next = end;
                }
                assert_eq!(next, len);
                assert!(committee_range(len, count, count).is_err());
            }
        }
    }
}
