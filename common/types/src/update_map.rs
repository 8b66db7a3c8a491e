//! The staged-write map of the state's registry-sized milhouse lists (validators, balances,
//! inactivity scores; the participation lists are flat, see [`crate::participation`]).
//!
//! milhouse stages a list's writes in an update map and applies them when the state is hashed,
//! asking the map, at every tree node on the way down, whether a range of indices holds a write.
//! Its default map is a vector of `Option`s as long as the highest index written. A block writes a few
//! hundred balances scattered over a registry of a million entries, so that map allocated and zeroed
//! up to 16 MB per list and per block, and its range questions walked the gaps between writes entry
//! by entry.
//!
//! [`RegistryUpdates`] keeps the writes in 64-entry chunks, allocated on the first write into them,
//! and a bitmap of the chunks present: a range with no write is answered from the bitmap, 4,096
//! indices a word, and the memory follows the number of chunks written, not the highest index.

use milhouse::cow::{BTreeCow, Cow};
use milhouse::UpdateMap;
use std::ops::ControlFlow;

/// The list type of the state's registry-sized fields: milhouse's list with [`RegistryUpdates`].
pub type RegistryList<T, N> = milhouse::List<T, N, RegistryUpdates<T>>;

const CHUNK_SHIFT: usize = 6;
const CHUNK_LEN: usize = 1 << CHUNK_SHIFT;

#[derive(Clone, Debug)]
struct Chunk<T> {
    /// Bit `i`: `values[i]` holds a write.
    present: u64,
    values: [Option<T>; CHUNK_LEN],
}

impl<T> Chunk<T> {
    fn new() -> Box<Self> {
        Box::new(Chunk {
            present: 0,
            values: std::array::from_fn(|_| None),
        })
    }
}

/// Staged writes by index, chunked (see the module docs).
#[derive(Clone, Debug)]
pub struct RegistryUpdates<T> {
    chunks: Vec<Option<Box<Chunk<T>>>>,
    /// Bit `c % 64` of word `c / 64`: chunk `c` is allocated.
    allocated: Vec<u64>,
    len: usize,
    max_index: usize,
}

impl<T> Default for RegistryUpdates<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            allocated: Vec::new(),
            len: 0,
            max_index: 0,
        }
    }
}

impl<T> RegistryUpdates<T> {
    fn chunk_mut(&mut self, chunk: usize) -> &mut Chunk<T> {
        if chunk >= self.chunks.len() {
            self.chunks.resize_with(chunk + 1, || None);
        }
        let word = chunk >> 6;
        if word >= self.allocated.len() {
            self.allocated.resize(word + 1, 0);
        }
        self.allocated[word] |= 1 << (chunk & 63);
        self.chunks[chunk].get_or_insert_with(Chunk::new)
    }

    /// The first allocated chunk at or after `chunk`, if any is at or before `last`.
    fn next_chunk(&self, chunk: usize, last: usize) -> Option<usize> {
        let mut word = chunk >> 6;
        let mut bits = *self.allocated.get(word)? & (!0u64 << (chunk & 63));
        loop {
            if bits != 0 {
                let found = (word << 6) + bits.trailing_zeros() as usize;
                return (found <= last).then_some(found);
            }
            word += 1;
            if (word << 6) > last {
                return None;
            }
            bits = *self.allocated.get(word)?;
        }
    }

    /// Every staged write, by index.
    fn entries(&self) -> impl Iterator<Item = (usize, &T)> {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk.iter().flat_map(move |chunk| {
                chunk
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(move |(i, v)| v.as_ref().map(|v| ((c << CHUNK_SHIFT) + i, v)))
            })
        })
    }

    fn insert_new(&mut self, index: usize, value: T) -> &mut T {
        self.len += 1;
        self.max_index = self.max_index.max(index);
        let chunk = self.chunk_mut(index >> CHUNK_SHIFT);
        let slot = index & (CHUNK_LEN - 1);
        chunk.present |= 1 << slot;
        chunk.values[slot].insert(value)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index >> CHUNK_SHIFT)?.as_mut()?.values[index & (CHUNK_LEN - 1)]
            .as_mut()
    }
}

impl<T: PartialEq> PartialEq for RegistryUpdates<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.entries().eq(other.entries())
    }
}

impl<T: Clone> UpdateMap<T> for RegistryUpdates<T> {
    fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index >> CHUNK_SHIFT)?.as_ref()?.values[index & (CHUNK_LEN - 1)].as_ref()
    }

    fn get_mut_with<F>(&mut self, index: usize, f: F) -> Option<&mut T>
    where
        F: FnOnce(usize) -> Option<T>,
    {
        if self.get(index).is_some() {
            return self.get_mut(index);
        }
        let value = f(index)?;
        Some(self.insert_new(index, value))
    }

    /// Copies the value in on the first call, as if it were written: milhouse's copy-on-write entry
    /// types name its own two maps only. The write stages an unchanged value, which the hash of the
    /// list does not notice; nothing in this workspace reads a list through `get_cow`.
    fn get_cow_with<'a, F>(&'a mut self, index: usize, f: F) -> Option<Cow<'a, T>>
    where
        F: FnOnce(usize) -> Option<&'a T>,
        T: 'a,
    {
        let value = if self.get(index).is_some() {
            self.get_mut(index)?
        } else {
            let value = f(index)?.clone();
            self.insert_new(index, value)
        };
        Some(Cow::BTree(BTreeCow::Mutable { value }))
    }

    fn insert(&mut self, index: usize, value: T) -> Option<T> {
        match self.get_mut(index) {
            Some(old) => Some(std::mem::replace(old, value)),
            None => {
                self.insert_new(index, value);
                None
            }
        }
    }

    fn for_each_range<F, E>(&self, start: usize, end: usize, mut f: F) -> Result<(), E>
    where
        F: FnMut(usize, &T) -> ControlFlow<(), Result<(), E>>,
    {
        if start >= end {
            return Ok(());
        }
        let first = start >> CHUNK_SHIFT;
        let last = (end - 1) >> CHUNK_SHIFT;
        let mut next = first;
        while let Some(c) = self.next_chunk(next, last) {
            next = c + 1;
            let Some(chunk) = self.chunks[c].as_ref() else {
                continue;
            };
            let mut mask = chunk.present;
            if c == first {
                mask &= !0u64 << (start & (CHUNK_LEN - 1));
            }
            if c == last {
                mask &= !0u64 >> (63 - ((end - 1) & (CHUNK_LEN - 1)));
            }
            while mask != 0 {
                let slot = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let Some(value) = chunk.values[slot].as_ref() else {
                    continue;
                };
                match f((c << CHUNK_SHIFT) + slot, value) {
                    ControlFlow::Continue(result) => result?,
                    ControlFlow::Break(()) => return Ok(()),
                }
            }
        }
        Ok(())
    }

    fn max_index(&self) -> Option<usize> {
        (self.len > 0).then_some(self.max_index)
    }

    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use milhouse::List;
    use ssz_types::typenum::U1099511627776;
    use tree_hash::TreeHash;

    fn in_range(map: &RegistryUpdates<u64>, start: usize, end: usize) -> Vec<(usize, u64)> {
        let mut out = Vec::new();
        map.for_each_range::<_, ()>(start, end, |i, v| {
            out.push((i, *v));
            ControlFlow::Continue(Ok(()))
        })
        .unwrap();
        out
    }

    /// Ranges across chunk and bitmap-word edges answer what a plain ordered map answers.
    #[test]
    fn ranges_match_an_ordered_map() {
        let indices = [
            0, 1, 63, 64, 65, 127, 4095, 4096, 4097, 9000, 262_143, 262_144, 300_001,
        ];
        let mut map = RegistryUpdates::default();
        let mut reference = std::collections::BTreeMap::new();
        for (n, &i) in indices.iter().enumerate() {
            assert_eq!(map.insert(i, n as u64), None);
            reference.insert(i, n as u64);
        }
        assert_eq!(map.insert(64, 99), Some(3));
        reference.insert(64, 99);
        assert_eq!(UpdateMap::len(&map), indices.len());
        assert_eq!(map.max_index(), Some(300_001));
        let edges = [
            0,
            1,
            2,
            62,
            63,
            64,
            65,
            66,
            128,
            4095,
            4096,
            4098,
            9000,
            9001,
            262_144,
            300_002,
            1 << 20,
        ];
        for &start in &edges {
            for &end in &edges {
                let expected: Vec<_> = if start < end {
                    reference.range(start..end).map(|(&i, &v)| (i, v)).collect()
                } else {
                    vec![]
                };
                assert_eq!(in_range(&map, start, end), expected, "{start}..{end}");
            }
        }
        // A break stops the walk.
        let mut seen = 0;
        map.for_each_range::<_, ()>(0, 1 << 20, |_, _| {
            seen += 1;
            ControlFlow::Break(())
        })
        .unwrap();
        assert_eq!(seen, 1);
        assert_eq!(RegistryUpdates::<u64>::default().max_index(), None);
    }

    /// A list with this map hashes as one with milhouse's default map, for writes through `get_mut`,
    /// `push` and `bulk_update`, sparse and dense.
    #[test]
    fn a_list_hashes_as_with_the_default_map() {
        let values: Vec<u64> = (0..10_000).map(|i| i * 7).collect();
        let mut ours = RegistryList::<u64, U1099511627776>::new(values.clone()).unwrap();
        let mut theirs = List::<u64, U1099511627776>::new(values).unwrap();
        for step in [997, 13, 1] {
            for i in (0..10_000).step_by(step) {
                *ours.get_mut(i).unwrap() += 1;
                *theirs.get_mut(i).unwrap() += 1;
            }
            ours.push(step as u64).unwrap();
            theirs.push(step as u64).unwrap();
            assert_eq!(ours.get(5000), theirs.get(5000));
            ours.apply_updates().unwrap();
            theirs.apply_updates().unwrap();
            assert_eq!(
                ours.tree_hash_root(),
                theirs.tree_hash_root(),
                "step {step}"
            );
        }
        let mut bulk = RegistryUpdates::default();
        for i in (0..ours.len()).step_by(3) {
            bulk.insert(i, 5);
            *theirs.get_mut(i).unwrap() = 5;
        }
        ours.bulk_update(bulk).unwrap();
        ours.apply_updates().unwrap();
        theirs.apply_updates().unwrap();
        assert_eq!(ours.tree_hash_root(), theirs.tree_hash_root());
        assert_eq!(
            ours.iter().copied().collect::<Vec<_>>(),
            theirs.iter().copied().collect::<Vec<_>>()
        );
    }
}
