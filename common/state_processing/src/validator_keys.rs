//! Validators' public keys by index, decompressed once: a block's attestations name tens of thousands
//! of attesters, and reading each one's key from the state's validator tree (a walk of twenty nodes)
//! and decompressing it (tens of microseconds) would cost more than the rest of the block's processing.
//!
//! A [`ValidatorKeys`] belongs to one line of states, like the pubkey map it sits in
//! ([`crate::caches::PubkeyCache`]): its first `len()` entries are the keys of that line's first
//! validators, which no later state changes (the registry only grows and keys never change). Clones
//! share the keys in segments, and a key decompressed through one clone is decompressed for all: a
//! clone costs a vector of a few hundred pointers. Keys are decompressed on first use, or ahead of it
//! by [`ValidatorKeys::warm`] on a background thread.

use std::sync::{Arc, OnceLock};
use types::ssz_types::typenum::Unsigned;
use types::RegistryList;
use types::{PublicKeyBytes, Validator};

/// Keys per segment: small enough that a clone copying the last (partial) segment stays cheap.
const SEGMENT: usize = 4096;

#[derive(Debug, Clone, Default)]
struct Segment {
    bytes: Vec<PublicKeyBytes>,
    /// `None` once decoded means the key does not decode (or fails `KeyValidate`).
    keys: Vec<OnceLock<Option<bls::PublicKey>>>,
}

impl Segment {
    fn push(&mut self, pubkey: PublicKeyBytes) {
        self.bytes.push(pubkey);
        self.keys.push(OnceLock::new());
    }

    fn truncate(&mut self, len: usize) {
        self.bytes.truncate(len);
        self.keys.truncate(len);
    }

    fn get(&self, offset: usize) -> Option<Option<bls::PublicKey>> {
        let key = self.keys.get(offset)?;
        let bytes = self.bytes.get(offset)?;
        Some(*key.get_or_init(|| bls::PublicKey::from_bytes(&bytes.0).ok()))
    }
}

/// The keys of the first `len()` validators of a line of states, by index.
#[derive(Debug, Clone, Default)]
pub struct ValidatorKeys {
    segments: Vec<Arc<Segment>>,
    len: usize,
}

impl ValidatorKeys {
    /// How many validators' keys are held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The compressed key of validator `index`, if held.
    pub fn bytes(&self, index: usize) -> Option<PublicKeyBytes> {
        let segment = self.segments.get(index / SEGMENT)?;
        segment.bytes.get(index % SEGMENT).copied()
    }

    /// The decompressed key of validator `index`: `None` if not held, `Some(None)` if its key does not
    /// decode (a registry key that fails `KeyValidate` can never sign).
    pub fn get(&self, index: usize) -> Option<Option<bls::PublicKey>> {
        self.segments.get(index / SEGMENT)?.get(index % SEGMENT)
    }

    /// Appends the next validator's key.
    pub fn push(&mut self, pubkey: PublicKeyBytes) {
        if self.len.is_multiple_of(SEGMENT) {
            self.segments.push(Arc::new(Segment::default()));
        }
        if let Some(last) = self.segments.last_mut() {
            // A segment shared with another clone is copied before it grows (keys decoded so far go
            // with it).
            Arc::make_mut(last).push(pubkey);
            self.len += 1;
        }
    }

    /// Keeps the first `len` keys only.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let segments = len.div_ceil(SEGMENT);
        self.segments.truncate(segments);
        if let Some(last) = self.segments.last_mut() {
            let keep = len - (segments - 1) * SEGMENT;
            if last.bytes.len() > keep {
                Arc::make_mut(last).truncate(keep);
            }
        }
        self.len = len;
    }

    /// Brings the keys in line with `validators` (a state's registry): keys from index `verified` on
    /// are compared with the registry and cut at the first difference or at the registry's end (keys
    /// that came from another line of states), then the registry's further validators are appended.
    /// The first `verified` keys must already be the registry's.
    pub fn update<N: Unsigned>(
        &mut self,
        validators: &RegistryList<Validator, N>,
        verified: usize,
    ) {
        let verified = verified.min(validators.len()).min(self.len);
        self.truncate(validators.len());
        let Ok(rest) = validators.iter_from(verified) else {
            return;
        };
        for (index, validator) in (verified..).zip(rest) {
            if index < self.len {
                if self.bytes(index) != Some(validator.pubkey) {
                    self.truncate(index);
                    self.push(validator.pubkey);
                }
            } else {
                self.push(validator.pubkey);
            }
        }
    }

    /// Decompresses every key not yet decompressed, on `threads` threads (at start, in the
    /// background: a million keys take about a minute of one core).
    pub fn warm(&self, threads: usize) {
        let warm = |segments: &[Arc<Segment>]| {
            for segment in segments {
                for offset in 0..segment.keys.len() {
                    segment.get(offset);
                }
            }
        };
        let share = self.segments.len().div_ceil(threads.max(1)).max(1);
        std::thread::scope(|scope| {
            for part in self.segments.chunks(share) {
                scope.spawn(move || warm(part));
            }
        });
    }

    /// How many keys have been decompressed.
    pub fn decompressed(&self) -> usize {
        self.segments
            .iter()
            .map(|s| s.keys.iter().filter(|k| k.get().is_some()).count())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Registry = RegistryList<Validator, types::ssz_types::typenum::U1048576>;

    fn registry(validators: &[Validator]) -> Registry {
        RegistryList::new(validators.to_vec()).expect("a registry")
    }

    fn validator(n: u64) -> Validator {
        Validator {
            pubkey: bls::interop_secret_key(n).public_key().to_bytes(),
            ..Validator::default()
        }
    }

    #[test]
    fn keys_follow_the_registry_and_are_decoded_once_for_every_clone() {
        let registry: Vec<Validator> = (0..3).map(validator).collect();
        let mut keys = ValidatorKeys::default();
        keys.update(&self::registry(&registry), 0);
        assert_eq!(keys.len(), 3);
        let clone = keys.clone();
        assert_eq!(clone.decompressed(), 0);
        assert_eq!(
            keys.get(1).flatten().map(|k| k.to_bytes()),
            Some(registry[1].pubkey)
        );
        assert_eq!(clone.decompressed(), 1, "the decoded key is shared");
        assert!(keys.get(3).is_none());
    }

    #[test]
    fn keys_from_another_line_are_cut_where_the_registries_differ() {
        let ours: Vec<Validator> = (0..SEGMENT as u64 + 5).map(validator).collect();
        let mut keys = ValidatorKeys::default();
        keys.update(&registry(&ours), 0);
        let mut theirs = ours.clone();
        theirs.truncate(SEGMENT + 2);
        theirs.push(validator(99_999));
        let mut adopted = keys.clone();
        adopted.update(&registry(&theirs), 0);
        assert_eq!(adopted.len(), SEGMENT + 3);
        assert_eq!(adopted.bytes(SEGMENT + 2), Some(theirs[SEGMENT + 2].pubkey));
        assert_eq!(
            keys.bytes(SEGMENT + 2),
            Some(ours[SEGMENT + 2].pubkey),
            "untouched"
        );
        // A shorter registry cuts the keys to it.
        adopted.update(&registry(&theirs[..10]), 0);
        assert_eq!(adopted.len(), 10);
        let bad = Validator {
            pubkey: PublicKeyBytes([0x11; 48]),
            ..Validator::default()
        };
        adopted.update(&registry(&[bad]), 0);
        assert_eq!(adopted.len(), 1);
        assert_eq!(adopted.get(0), Some(None), "a key that does not decode");
    }
}
