//! The faulty-builder registry (seed 004): remember which blocks a builder produced, and when the
//! execution engine finds one of their payloads INVALID, log an error naming the builder and disable
//! it until restart. A builder that costs a signed slot (withholds its payload, or reveals one that is
//! not the signed one) is disabled too, with its own reason, until restart or for a set number of
//! epochs.
//!
//! The attribution (`block root -> builders`) is persistent ([`RedbBuilderBlockStore`]); the set of
//! disabled builders is deliberately in memory only, so a restart gives every builder a new chance
//! while the roots stay attributed. Builders are keyed by identity (pinned key, or URL without
//! credentials), never by their position in the configuration, so attributions survive a change of
//! the `--payload-builder` list.

mod store;

pub use store::{
    BuilderBlock, BuilderBlockStore, MemoryBuilderBlockStore, RedbBuilderBlockStore, RegistryError,
};

use parking_lot::Mutex;
use std::collections::BTreeMap;
use types::{Epoch, ExecutionBlockHash, Hash256, Slot};

/// How the execution engine identified an INVALID payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidPayloadId {
    /// The beacon block root of the block whose payload is invalid (from `newPayload` at import).
    BlockRoot(Hash256),
    /// The execution block hash (e.g. from a later `forkchoiceUpdated` with `latestValidHash`).
    ExecutionBlockHash(ExecutionBlockHash),
}

/// Why a builder was disabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisableReason {
    /// The execution engine found its payload INVALID: until restart (seed 004).
    InvalidPayload,
    /// It did not reveal (or publish) the payload of a block the proposer signed.
    Withheld,
    /// It revealed a payload or blobs that do not match the signed block.
    RevealMismatch,
}

impl DisableReason {
    /// A short, stable label for logs, metrics and the API.
    pub fn label(&self) -> &'static str {
        match self {
            Self::InvalidPayload => "invalid_payload",
            Self::Withheld => "withheld",
            Self::RevealMismatch => "reveal_mismatch",
        }
    }
}

/// A builder that was disabled, and the block that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisabledBuilder {
    /// The builder's identity.
    pub builder: String,
    /// Why.
    pub reason: DisableReason,
    /// The block whose payload was INVALID, withheld or mismatched.
    pub block_root: Hash256,
    /// Its slot.
    pub slot: Slot,
    /// Its payload's block hash.
    pub execution_block_hash: ExecutionBlockHash,
    /// `None`: until restart. `Some(epoch)`: asked again from that epoch on.
    pub until_epoch: Option<Epoch>,
}

impl DisabledBuilder {
    /// Whether this penalty outranks `other`: a penalty until restart outranks a timed one, and a
    /// later end outranks an earlier one; otherwise the first offence stays the reason.
    fn outranks(&self, other: &DisabledBuilder) -> bool {
        match (self.until_epoch, other.until_epoch) {
            (None, Some(_)) => true,
            (Some(mine), Some(theirs)) => mine > theirs,
            _ => false,
        }
    }
}

/// A builder's state for visibility (API, logs, metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuilderState {
    /// Asked at every proposal.
    Enabled,
    /// Disabled because of this block.
    Disabled(DisabledBuilder),
}

/// The store of builder blocks plus the in-memory set of builders disabled since start.
pub struct FaultyBuilderRegistry {
    store: Box<dyn BuilderBlockStore>,
    states: Mutex<BTreeMap<String, BuilderState>>,
}

impl std::fmt::Debug for FaultyBuilderRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyBuilderRegistry")
            .field("states", &*self.states.lock())
            .finish_non_exhaustive()
    }
}

impl FaultyBuilderRegistry {
    /// A registry over `store`, with `builders` (their identities) enabled.
    pub fn new(
        store: Box<dyn BuilderBlockStore>,
        builders: impl IntoIterator<Item = String>,
    ) -> Self {
        let states = builders
            .into_iter()
            .map(|builder| (builder, BuilderState::Enabled))
            .collect();
        Self {
            store,
            states: Mutex::new(states),
        }
    }

    /// Records that `block_root` (at `slot`, with payload `execution_block_hash`) carries the payload
    /// that `builders` offered. This is a blocking redb commit for a persistent store.
    pub fn record_builder_block(
        &self,
        block_root: Hash256,
        builders: &[String],
        slot: Slot,
        execution_block_hash: ExecutionBlockHash,
    ) -> Result<(), RegistryError> {
        self.store.record(
            block_root,
            &BuilderBlock {
                builders: builders.to_vec(),
                slot,
                execution_block_hash,
            },
        )?;
        let mut states = self.states.lock();
        for builder in builders {
            states
                .entry(builder.clone())
                .or_insert(BuilderState::Enabled);
        }
        Ok(())
    }

    /// The builders that produced `block_root`, if any.
    pub fn builder_of(&self, block_root: Hash256) -> Result<Option<BuilderBlock>, RegistryError> {
        self.store.by_block_root(block_root)
    }

    /// The engine found the payload `id` INVALID: every builder that offered it is logged at ERROR
    /// and disabled until restart. Returns them (empty when no builder produced it).
    pub fn on_invalid_payload(&self, id: InvalidPayloadId) -> Vec<DisabledBuilder> {
        let found = match id {
            InvalidPayloadId::BlockRoot(root) => self
                .store
                .by_block_root(root)
                .map(|found| found.map(|block| (root, block))),
            InvalidPayloadId::ExecutionBlockHash(hash) => self.store.by_execution_block_hash(hash),
        };
        let (block_root, block) = match found {
            Ok(Some(found)) => found,
            Ok(None) => return Vec::new(),
            Err(error) => {
                tracing::error!(?id, %error, "cannot look up the builder of an invalid payload");
                return Vec::new();
            }
        };
        block
            .builders
            .into_iter()
            .map(|builder| {
                let disabled = DisabledBuilder {
                    builder,
                    reason: DisableReason::InvalidPayload,
                    block_root,
                    slot: block.slot,
                    execution_block_hash: block.execution_block_hash,
                    until_epoch: None,
                };
                tracing::error!(
                    builder = %disabled.builder,
                    block_root = %disabled.block_root,
                    slot = disabled.slot,
                    execution_block_hash = %disabled.execution_block_hash,
                    "builder produced an INVALID payload; builder disabled until restart"
                );
                self.disable(disabled.clone());
                disabled
            })
            .collect()
    }

    /// Disables a builder. An enabled builder takes this penalty; a disabled one keeps its reason
    /// unless this penalty outranks it (until restart over timed, a later end over an earlier one).
    /// Returns whether the state changed.
    pub fn disable(&self, disabled: DisabledBuilder) -> bool {
        let mut states = self.states.lock();
        let state = states
            .entry(disabled.builder.clone())
            .or_insert(BuilderState::Enabled);
        let replace = match state {
            BuilderState::Enabled => true,
            BuilderState::Disabled(current) => disabled.outranks(current),
        };
        if replace {
            *state = BuilderState::Disabled(disabled);
        }
        replace
    }

    /// Enables again the builders whose timed penalty ended by `epoch`; returns them.
    pub fn refresh(&self, epoch: Epoch) -> Vec<String> {
        let mut states = self.states.lock();
        let mut enabled = Vec::new();
        for (builder, state) in states.iter_mut() {
            if let BuilderState::Disabled(DisabledBuilder {
                until_epoch: Some(until),
                ..
            }) = state
            {
                if *until <= epoch {
                    *state = BuilderState::Enabled;
                    enabled.push(builder.clone());
                }
            }
        }
        enabled
    }

    /// Whether `builder` is disabled (until restart, or until its penalty ends).
    pub fn is_disabled(&self, builder: &str) -> bool {
        matches!(
            self.states.lock().get(builder),
            Some(BuilderState::Disabled(_))
        )
    }

    /// Every known builder's state, by identity.
    pub fn builder_states(&self) -> Vec<(String, BuilderState)> {
        self.states
            .lock()
            .iter()
            .map(|(builder, state)| (builder.clone(), state.clone()))
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    const A: &str = "https://relay-a.example/";
    const B: &str = "https://relay-b.example/";

    pub(crate) struct TempDir(pub PathBuf);

    impl TempDir {
        pub(crate) fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "execution_layer_{name}_{}_{:?}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn root(byte: u8) -> Hash256 {
        Hash256::repeat_byte(byte)
    }

    fn hash(byte: u8) -> ExecutionBlockHash {
        Hash256::repeat_byte(byte ^ 0x80)
    }

    fn names(builders: &[&str]) -> Vec<String> {
        builders.iter().map(|b| b.to_string()).collect()
    }

    fn registry(store: Box<dyn BuilderBlockStore>) -> FaultyBuilderRegistry {
        FaultyBuilderRegistry::new(store, names(&[A, B]))
    }

    fn invalid(builder: &str, block: u8, slot: Slot) -> DisabledBuilder {
        DisabledBuilder {
            builder: builder.to_string(),
            reason: DisableReason::InvalidPayload,
            block_root: root(block),
            slot,
            execution_block_hash: hash(block),
            until_epoch: None,
        }
    }

    fn invalid_disables_only_that_builder(reg: &FaultyBuilderRegistry, id: InvalidPayloadId) {
        reg.record_builder_block(root(1), &names(&[A]), 10, hash(1))
            .unwrap();
        reg.record_builder_block(root(2), &names(&[B]), 11, hash(2))
            .unwrap();
        let disabled = reg.on_invalid_payload(id);
        assert_eq!(disabled, vec![invalid(A, 1, 10)]);
        assert!(reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
        assert_eq!(
            reg.builder_states(),
            vec![
                (A.to_string(), BuilderState::Disabled(invalid(A, 1, 10))),
                (B.to_string(), BuilderState::Enabled)
            ]
        );
    }

    #[test]
    fn invalid_by_root_disables_only_that_builder() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        invalid_disables_only_that_builder(&reg, InvalidPayloadId::BlockRoot(root(1)));
    }

    #[test]
    fn invalid_by_execution_hash_disables_only_that_builder() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        invalid_disables_only_that_builder(&reg, InvalidPayloadId::ExecutionBlockHash(hash(1)));
    }

    #[test]
    fn every_builder_that_offered_the_payload_is_blamed() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        reg.record_builder_block(root(1), &names(&[A, B]), 10, hash(1))
            .unwrap();
        let disabled = reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(1)));
        assert_eq!(disabled, vec![invalid(A, 1, 10), invalid(B, 1, 10)]);
        assert!(reg.is_disabled(A) && reg.is_disabled(B));
    }

    #[test]
    fn unknown_roots_are_ignored() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        reg.record_builder_block(root(1), &names(&[A]), 10, hash(1))
            .unwrap();
        assert!(reg
            .on_invalid_payload(InvalidPayloadId::BlockRoot(root(9)))
            .is_empty());
        assert!(reg
            .on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(hash(9)))
            .is_empty());
        assert!(!reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
    }

    #[test]
    fn first_offending_block_stays_the_reason() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        reg.record_builder_block(root(1), &names(&[A]), 10, hash(1))
            .unwrap();
        reg.record_builder_block(root(3), &names(&[A]), 12, hash(3))
            .unwrap();
        reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(1)));
        let second = reg.on_invalid_payload(InvalidPayloadId::BlockRoot(root(3)));
        assert_eq!(second, vec![invalid(A, 3, 12)]);
        let states = reg.builder_states();
        assert!(matches!(
            &states[0].1,
            BuilderState::Disabled(d) if d.block_root == root(1)
        ));
    }

    #[test]
    fn timed_penalties_end_and_yield_to_invalid_payloads() {
        let reg = registry(Box::new(MemoryBuilderBlockStore::default()));
        let withheld = DisabledBuilder {
            reason: DisableReason::Withheld,
            until_epoch: Some(5),
            ..invalid(A, 1, 10)
        };
        assert!(reg.disable(withheld.clone()));
        assert!(reg.is_disabled(A));
        // A shorter timed penalty does not shorten it.
        assert!(!reg.disable(DisabledBuilder {
            until_epoch: Some(4),
            ..withheld.clone()
        }));
        assert!(reg.refresh(4).is_empty());
        assert!(reg.is_disabled(A));
        assert_eq!(reg.refresh(5), vec![A.to_string()]);
        assert!(!reg.is_disabled(A));

        // An INVALID payload replaces a timed penalty, and no refresh ends it.
        assert!(reg.disable(withheld.clone()));
        assert!(reg.disable(invalid(A, 2, 11)));
        assert!(reg.refresh(1_000).is_empty());
        assert!(reg.is_disabled(A));
        // Nor does a later timed penalty replace it.
        assert!(!reg.disable(withheld));
    }

    #[test]
    fn unconfigured_builder_appears_once_recorded() {
        let reg = FaultyBuilderRegistry::new(Box::new(MemoryBuilderBlockStore::default()), []);
        assert!(reg.builder_states().is_empty());
        reg.record_builder_block(root(1), &names(&[A]), 10, hash(1))
            .unwrap();
        assert_eq!(
            reg.builder_states(),
            vec![(A.to_string(), BuilderState::Enabled)]
        );
    }

    #[test]
    fn restart_keeps_roots_but_not_disablement() {
        let dir = TempDir::new("restart");
        let path = dir.0.join("builders.redb");
        {
            let reg = registry(Box::new(RedbBuilderBlockStore::open(&path).unwrap()));
            invalid_disables_only_that_builder(&reg, InvalidPayloadId::BlockRoot(root(1)));
        }
        // Restart, with the builders configured in another order: identities, not positions.
        let reg = FaultyBuilderRegistry::new(
            Box::new(RedbBuilderBlockStore::open(&path).unwrap()),
            names(&[B, A]),
        );
        assert!(!reg.is_disabled(A));
        assert!(!reg.is_disabled(B));
        assert_eq!(
            reg.builder_of(root(1)).unwrap(),
            Some(BuilderBlock {
                builders: names(&[A]),
                slot: 10,
                execution_block_hash: hash(1)
            })
        );
        // A later INVALID verdict on an old root still disables the builder.
        let disabled = reg.on_invalid_payload(InvalidPayloadId::ExecutionBlockHash(hash(2)));
        assert_eq!(disabled, vec![invalid(B, 2, 11)]);
        assert!(reg.is_disabled(B));
        assert!(!reg.is_disabled(A));
    }
}
