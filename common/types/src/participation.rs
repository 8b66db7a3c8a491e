//! The state's participation lists (`previous_epoch_participation`, `current_epoch_participation`):
//! flat bytes in shared chunks, each with its own hash cache.
//!
//! A block at 2^20 validators sets about 32k flags spread at random over the list's 32k leaves. In a
//! milhouse tree that write rebuilt about 20k leaves and 45k nodes (an allocation each) before
//! hashing them; it was the largest part of a block's state root. Here a write is a byte store plus a
//! bit in the chunk's dirty mask, and the root re-hashes only the dirty paths of each chunk (the
//! chunks in parallel). Chunks are `Arc`-shared, so cloning a state copies 256 pointers at 2^20
//! validators, and a write copies its 4 KiB chunk only if another state shares it.

use ethereum_hashing::{hash32_concat, ZERO_HASHES};
use milhouse::Error;
use parking_lot::Mutex;
use rayon::prelude::*;
use ssz::{Decode, DecodeError, Encode};
use std::marker::PhantomData;
use std::sync::Arc;
use tree_hash::{Hash256, PackedEncoding, TreeHash, TreeHashType};
use typenum::Unsigned;

/// Leaves (32 flags each) in a chunk: a chunk is a subtree of depth 7.
const LEAVES: usize = 128;
const CHUNK_DEPTH: usize = 7;
/// Flags in a chunk.
const CHUNK_LEN: usize = LEAVES * 32;

/// The subtree hashes of a chunk, in heap order: `nodes[1]` is the chunk's root, node `h` has the
/// children `2h` and `2h + 1`, and "nodes" `LEAVES..2 * LEAVES` are the leaves (the flags themselves).
#[derive(Clone)]
struct HashCache {
    nodes: [Hash256; LEAVES],
    /// Bit `j`: leaf `j` changed since `nodes` was computed.
    dirty: u128,
}

struct Chunk {
    flags: [u8; CHUNK_LEN],
    /// Behind a lock because hashing takes `&self` (the cache is a function of `flags`, so states
    /// sharing the chunk may all fill it).
    cache: Mutex<HashCache>,
}

impl Clone for Chunk {
    fn clone(&self) -> Self {
        Chunk {
            flags: self.flags,
            cache: Mutex::new(self.cache.lock().clone()),
        }
    }
}

impl Chunk {
    /// An all-zero chunk with its hashes filled in (each level's zero hash).
    fn zero() -> Self {
        let mut nodes = [Hash256::ZERO; LEAVES];
        for (h, node) in nodes.iter_mut().enumerate().skip(1) {
            // Node `h` is at depth `ilog2(h)` from the chunk root, so its height is 7 minus that.
            *node = Hash256::from(ZERO_HASHES[CHUNK_DEPTH - h.ilog2() as usize]);
        }
        Chunk {
            flags: [0; CHUNK_LEN],
            cache: Mutex::new(HashCache { nodes, dirty: 0 }),
        }
    }

    fn leaf(&self, j: usize) -> &[u8] {
        &self.flags[j * 32..(j + 1) * 32]
    }

    /// The chunk's subtree root, re-hashing the parents of dirty leaves level by level.
    fn root(&self) -> Hash256 {
        let mut cache = self.cache.lock();
        let cache = &mut *cache;
        let mut dirty = cache.dirty;
        let mut width = LEAVES;
        while width > 1 && dirty != 0 {
            let mut parents = 0u128;
            let mut bits = dirty;
            while bits != 0 {
                parents |= 1 << (bits.trailing_zeros() / 2);
                bits &= bits - 1;
            }
            width /= 2;
            let mut bits = parents;
            while bits != 0 {
                let h = width + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let hash = if width == LEAVES / 2 {
                    let j = 2 * h - LEAVES;
                    hash32_concat(self.leaf(j), self.leaf(j + 1))
                } else {
                    hash32_concat(
                        cache.nodes[2 * h].as_slice(),
                        cache.nodes[2 * h + 1].as_slice(),
                    )
                };
                cache.nodes[h] = Hash256::from(hash);
            }
            dirty = parents;
        }
        cache.dirty = 0;
        cache.nodes[1]
    }
}

/// A participation list of at most `N` flags (`N` is the registry limit, at least one chunk).
pub struct ParticipationList<N> {
    chunks: Vec<Arc<Chunk>>,
    len: usize,
    _limit: PhantomData<N>,
}

impl<N> Clone for ParticipationList<N> {
    fn clone(&self) -> Self {
        Self {
            chunks: self.chunks.clone(),
            len: self.len,
            _limit: PhantomData,
        }
    }
}

impl<N: Unsigned> Default for ParticipationList<N> {
    fn default() -> Self {
        Self {
            chunks: vec![],
            len: 0,
            _limit: PhantomData,
        }
    }
}

impl<N: Unsigned> ParticipationList<N> {
    /// `n` zero flags (a new epoch's list). The chunks share one zero chunk.
    pub fn repeat_zero(n: usize) -> Result<Self, Error> {
        Self::check_len(n)?;
        let zero = Arc::new(Chunk::zero());
        Ok(Self {
            chunks: vec![zero; n.div_ceil(CHUNK_LEN)],
            len: n,
            _limit: PhantomData,
        })
    }

    /// The list of `flags`.
    pub fn new(flags: Vec<u8>) -> Result<Self, Error> {
        Self::from_slice(&flags)
    }

    fn from_slice(flags: &[u8]) -> Result<Self, Error> {
        Self::check_len(flags.len())?;
        let chunks = flags
            .chunks(CHUNK_LEN)
            .map(|part| {
                let mut chunk = Chunk::zero();
                chunk.flags[..part.len()].copy_from_slice(part);
                chunk.cache.get_mut().dirty = u128::MAX;
                Arc::new(chunk)
            })
            .collect();
        Ok(Self {
            chunks,
            len: flags.len(),
            _limit: PhantomData,
        })
    }

    fn check_len(n: usize) -> Result<(), Error> {
        if n > N::to_usize() {
            return Err(Error::ListFull { len: n });
        }
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&u8> {
        (index < self.len).then(|| &self.chunks[index / CHUNK_LEN].flags[index % CHUNK_LEN])
    }

    /// A flag to change in place; its leaf is marked for re-hashing.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut u8> {
        if index >= self.len {
            return None;
        }
        let chunk = Arc::make_mut(&mut self.chunks[index / CHUNK_LEN]);
        let offset = index % CHUNK_LEN;
        chunk.cache.get_mut().dirty |= 1 << (offset / 32);
        Some(&mut chunk.flags[offset])
    }

    /// Set the flag at `index` (which must exist).
    pub fn set(&mut self, index: usize, flags: u8) -> Result<(), Error> {
        let len = self.len;
        *self
            .get_mut(index)
            .ok_or(Error::OutOfBoundsUpdate { index, len })? = flags;
        Ok(())
    }

    /// Append a flag (a new validator's).
    pub fn push(&mut self, flags: u8) -> Result<(), Error> {
        Self::check_len(self.len + 1)?;
        if self.len.is_multiple_of(CHUNK_LEN) {
            self.chunks.push(Arc::new(Chunk::zero()));
        }
        self.len += 1;
        self.set(self.len - 1, flags)
    }

    pub fn iter(&self) -> impl Iterator<Item = &u8> + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.flags.iter())
            .take(self.len)
    }

    /// The flags from `index` on (`index == len` gives an empty iterator).
    pub fn iter_from(&self, index: usize) -> Result<impl Iterator<Item = &u8> + '_, Error> {
        if index > self.len {
            return Err(Error::OutOfBoundsIterFrom {
                index,
                len: self.len,
            });
        }
        Ok(self.iter().skip(index))
    }

    /// The root of the flags' merkle tree, before the length is mixed in.
    fn data_root(&self) -> Hash256 {
        // Checked when the type is instantiated: the tree must be at least one chunk deep.
        const {
            assert!(
                N::USIZE >= CHUNK_LEN,
                "a participation list's limit is at least one chunk"
            )
        };
        let limit_leaves = N::to_usize().div_ceil(32).next_power_of_two();
        let depth = limit_leaves.trailing_zeros() as usize;
        let mut level: Vec<Hash256> = if self.chunks.len() > 16 {
            self.chunks.par_iter().map(|chunk| chunk.root()).collect()
        } else {
            self.chunks.iter().map(|chunk| chunk.root()).collect()
        };
        for height in CHUNK_DEPTH..depth {
            if level.is_empty() {
                return Hash256::from(ZERO_HASHES[depth]);
            }
            if !level.len().is_multiple_of(2) {
                level.push(Hash256::from(ZERO_HASHES[height]));
            }
            level = level
                .chunks(2)
                .map(|pair| Hash256::from(hash32_concat(pair[0].as_slice(), pair[1].as_slice())))
                .collect();
        }
        level
            .first()
            .copied()
            .unwrap_or_else(|| Hash256::from(ZERO_HASHES[depth]))
    }
}

impl<N> PartialEq for ParticipationList<N> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a.flags == b.flags)
    }
}

impl<N: Unsigned> std::fmt::Debug for ParticipationList<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, N: Unsigned> IntoIterator for &'a ParticipationList<N> {
    type Item = &'a u8;
    type IntoIter = Box<dyn Iterator<Item = &'a u8> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<N: Unsigned> ssz::TryFromIter<u8> for ParticipationList<N> {
    type Error = Error;
    fn try_from_iter<I: IntoIterator<Item = u8>>(iter: I) -> Result<Self, Error> {
        let flags: Vec<u8> = iter.into_iter().take(N::to_usize() + 1).collect();
        Self::new(flags)
    }
}

impl<N: Unsigned> Encode for ParticipationList<N> {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    fn ssz_bytes_len(&self) -> usize {
        self.len
    }

    fn ssz_append(&self, buf: &mut Vec<u8>) {
        buf.reserve(self.len);
        let mut left = self.len;
        for chunk in &self.chunks {
            let take = left.min(CHUNK_LEN);
            buf.extend_from_slice(&chunk.flags[..take]);
            left -= take;
        }
    }
}

impl<N: Unsigned> Decode for ParticipationList<N> {
    fn is_ssz_fixed_len() -> bool {
        false
    }

    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::from_slice(bytes).map_err(|_| {
            DecodeError::BytesInvalid(format!(
                "{} participation flags, over the limit of {}",
                bytes.len(),
                N::to_usize()
            ))
        })
    }
}

impl<N: Unsigned> TreeHash for ParticipationList<N> {
    fn tree_hash_type() -> TreeHashType {
        TreeHashType::List
    }

    fn tree_hash_packed_encoding(&self) -> PackedEncoding {
        unreachable!("a list is never packed")
    }

    fn tree_hash_packing_factor() -> usize {
        unreachable!("a list is never packed")
    }

    fn tree_hash_root(&self) -> Hash256 {
        tree_hash::mix_in_length(&self.data_root(), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U1099511627776, U8192};

    type Limit = U1099511627776;

    fn reference(flags: &[u8]) -> Hash256 {
        milhouse::List::<u8, Limit>::new(flags.to_vec())
            .unwrap()
            .tree_hash_root()
    }

    /// A small deterministic generator (no rand dependency).
    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn roots_match_milhouse_across_chunk_boundaries() {
        for n in [
            0,
            1,
            31,
            32,
            33,
            CHUNK_LEN - 1,
            CHUNK_LEN,
            CHUNK_LEN + 1,
            3 * CHUNK_LEN + 77,
        ] {
            let flags: Vec<u8> = (0..n).map(|i| (i % 8) as u8).collect();
            let list = ParticipationList::<Limit>::new(flags.clone()).unwrap();
            assert_eq!(list.tree_hash_root(), reference(&flags), "n = {n}");
            let zeros = ParticipationList::<Limit>::repeat_zero(n).unwrap();
            assert_eq!(
                zeros.tree_hash_root(),
                reference(&vec![0; n]),
                "zeros, n = {n}"
            );
        }
    }

    #[test]
    fn cached_roots_follow_writes_pushes_and_shared_chunks() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let n = 5 * CHUNK_LEN + 300;
        let mut flags = vec![0u8; n];
        let mut list = ParticipationList::<Limit>::repeat_zero(n).unwrap();
        assert_eq!(list.tree_hash_root(), reference(&flags));
        for round in 0..20 {
            // A clone shares every chunk; writes to `list` must not reach it.
            let before = list.clone();
            let before_root = list.tree_hash_root();
            for _ in 0..(1 + round * 37) {
                let i = (next(&mut seed) % n as u64) as usize;
                let v = (next(&mut seed) % 8) as u8;
                flags[i] = v;
                list.set(i, v).unwrap();
            }
            if round % 3 == 0 {
                flags.push(5);
                list.push(5).unwrap();
            }
            assert_eq!(list.tree_hash_root(), reference(&flags), "round {round}");
            assert_eq!(before.tree_hash_root(), before_root);
            assert_eq!(list.iter().copied().collect::<Vec<_>>(), flags);
        }
        assert!(list.set(flags.len(), 1).is_err());
        assert_eq!(list.get(flags.len()), None);
    }

    #[test]
    fn ssz_round_trips_and_bounds_its_length() {
        let flags: Vec<u8> = (0..CHUNK_LEN + 9).map(|i| (i % 7) as u8).collect();
        let list = ParticipationList::<Limit>::new(flags.clone()).unwrap();
        let bytes = list.as_ssz_bytes();
        assert_eq!(bytes, flags);
        let back = ParticipationList::<Limit>::from_ssz_bytes(&bytes).unwrap();
        assert_eq!(back, list);
        assert_eq!(back.tree_hash_root(), list.tree_hash_root());
        assert!(ParticipationList::<U8192>::from_ssz_bytes(&vec![0; 8193]).is_err());
        assert_eq!(
            list.iter_from(CHUNK_LEN)
                .unwrap()
                .copied()
                .collect::<Vec<_>>(),
            flags[CHUNK_LEN..]
        );
        assert!(list.iter_from(flags.len() + 1).is_err());
    }
}
