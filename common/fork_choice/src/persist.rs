//! Persisting the fork choice: a versioned little-endian encoding of the store (config, time,
//! checkpoints, boost, equivocators, votes, nodes and the balances behind the weights), so that a node
//! resumes where it stopped.
//!
//! At 2^20 validators the votes (~75 MB) and the justified balances (~16 MB) dwarf the rest, and only
//! a slot's attesters change their votes between two writes. So the store is also written in parts
//! ([`ForkChoice::take_persisted_parts`]): a small core (everything but votes and balances, format
//! version 2) with every head change, the balances only when their checkpoint changed, and the votes as
//! a journal of the changed ones, compacted into a snapshot once the journal outgrows the votes.
//! [`ForkChoice::from_parts`] rebuilds the store from the core, the balances and the vote records in
//! order, and recomputes the node weights from the votes (so weights never disagree with the votes
//! that were persisted with them).

use crate::error::Error;
use crate::fork_choice::{ForkChoice, VoteTracker};
use crate::inputs::{ForkChoiceConfig, JustifiedBalances};
use crate::proto_array::{ExecutionStatus, ProtoArray, ProtoNode};
use types::{Checkpoint, Hash256};

const MAGIC: &[u8; 4] = b"BFFC";
/// The whole store in one record ([`ForkChoice::to_bytes`]).
const VERSION: u8 = 1;
/// The core of [`ForkChoice::take_persisted_parts`]: no votes, no balances.
const CORE_VERSION: u8 = 2;
const VOTES_MAGIC: &[u8; 4] = b"BFVT";
const BALANCES_MAGIC: &[u8; 4] = b"BFJB";
const PARTS_VERSION: u8 = 1;
/// Vote records name validator indices below this (far above any registry; bounds the allocation).
const MAX_VOTE_INDEX: u64 = 1 << 32;
/// As `on_attestation`'s bound: how far past the known validators a vote's index may be.
const MAX_NEW_VOTE_INDICES: u64 = 1 << 21;
/// The journal is compacted into a snapshot once it holds this many times the votes' count.
const JOURNAL_FACTOR: usize = 2;
const NONE: u64 = u64::MAX;

struct Writer(Vec<u8>);

impl Writer {
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn root(&mut self, r: &Hash256) {
        self.0.extend_from_slice(r.as_slice());
    }
    fn checkpoint(&mut self, c: &Checkpoint) {
        self.u64(c.epoch);
        self.root(&c.root);
    }
    fn index(&mut self, i: Option<usize>) {
        self.u64(i.map_or(NONE, |i| i as u64));
    }
    fn u64s(&mut self, v: &[u64]) {
        self.u64(v.len() as u64);
        v.iter().for_each(|x| self.u64(*x));
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Error> {
        if self.0.len() < n {
            return Err(Error::Decode("truncated".into()));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u64(&mut self) -> Result<u64, Error> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(bytes.try_into().expect("8 bytes")))
    }
    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }
    fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::Decode(format!("bad flag {b}"))),
        }
    }
    fn root(&mut self) -> Result<Hash256, Error> {
        Ok(Hash256::from_slice(self.take(32)?))
    }
    fn checkpoint(&mut self) -> Result<Checkpoint, Error> {
        Ok(Checkpoint {
            epoch: self.u64()?,
            root: self.root()?,
        })
    }
    /// A length, bounded by what is left (each item at least `item_size` bytes).
    fn len(&mut self, item_size: usize) -> Result<usize, Error> {
        let n = self.u64()?;
        if n > (self.0.len() / item_size) as u64 {
            return Err(Error::Decode(format!("length {n} exceeds the data")));
        }
        Ok(n as usize)
    }
    fn index(&mut self, bound: usize) -> Result<Option<usize>, Error> {
        match self.u64()? {
            NONE => Ok(None),
            i if i < bound as u64 => Ok(Some(i as usize)),
            i => Err(Error::Decode(format!("node index {i} out of range"))),
        }
    }
    fn u64s(&mut self) -> Result<Vec<u64>, Error> {
        let n = self.len(8)?;
        (0..n).map(|_| self.u64()).collect()
    }
}

impl ForkChoice {
    /// Encode the whole store (see [`ForkChoice::from_bytes`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.encode(VERSION)
    }

    /// The whole store (`VERSION`), or its core without votes and balances (`CORE_VERSION`).
    fn encode(&self, version: u8) -> Vec<u8> {
        let whole = version == VERSION;
        let mut w = Writer(Vec::with_capacity(256 + self.proto_array.len() * 300));
        w.0.extend_from_slice(MAGIC);
        w.u8(version);
        let c = &self.config;
        for v in [
            c.slots_per_epoch,
            c.slot_duration_ms,
            c.proposer_score_boost,
            c.reorg_head_weight_threshold,
            c.reorg_parent_weight_threshold,
            c.reorg_max_epochs_since_finalization,
            c.proposer_reorg_cutoff_bps,
            c.attestation_due_bps,
            c.min_seed_lookahead,
            c.prune_threshold as u64,
            c.fulu_fork_epoch,
            self.time,
            self.genesis_time,
        ] {
            w.u64(v);
        }
        for cp in [
            &self.justified_checkpoint,
            &self.finalized_checkpoint,
            &self.unrealized_justified_checkpoint,
            &self.unrealized_finalized_checkpoint,
        ] {
            w.checkpoint(cp);
        }
        w.root(&self.proposer_boost_root);
        w.u64s(
            &self
                .equivocating_indices
                .iter()
                .copied()
                .collect::<Vec<_>>(),
        );
        let votes: &[VoteTracker] = if whole { &self.votes } else { &[] };
        w.u64(votes.len() as u64);
        for v in votes {
            w.root(&v.current_root);
            w.root(&v.next_root);
            w.u64(v.next_epoch);
        }
        w.u64(self.proto_array.len() as u64);
        for n in self.proto_array.nodes() {
            w.root(&n.root);
            w.index(n.parent);
            w.u64(n.slot);
            w.u64(n.proposer_index);
            w.checkpoint(&n.justified_checkpoint);
            w.checkpoint(&n.finalized_checkpoint);
            w.checkpoint(&n.unrealized_justified_checkpoint);
            w.checkpoint(&n.unrealized_finalized_checkpoint);
            w.u64(n.weight);
            w.index(n.best_child);
            w.index(n.best_descendant);
            w.u8(n.execution_status.to_byte());
            w.root(&n.execution_block_hash);
            w.u8(n.timely as u8);
        }
        match self.justified_balances.as_ref().filter(|_| whole) {
            None => w.u8(0),
            Some((cp, b)) => {
                w.u8(1);
                write_balances(&mut w, cp, b);
            }
        }
        match &self.applied_boost {
            None => w.u8(0),
            Some((root, score)) => {
                w.u8(1);
                w.root(root);
                w.u64(*score);
            }
        }
        w.0
    }

    /// Decode what [`ForkChoice::to_bytes`] wrote. Refuses another format version, truncated or
    /// trailing data, and node links that point outside the array.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match persisted_version(bytes)? {
            VERSION => Self::decode(bytes),
            CORE_VERSION => Err(Error::Decode(
                "a fork choice core without its votes: read it with from_parts".into(),
            )),
            version => Err(Error::Decode(format!("unsupported version {version}"))),
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader(bytes);
        r.take(5)?;
        let config = ForkChoiceConfig {
            slots_per_epoch: r.u64()?,
            slot_duration_ms: r.u64()?,
            proposer_score_boost: r.u64()?,
            reorg_head_weight_threshold: r.u64()?,
            reorg_parent_weight_threshold: r.u64()?,
            reorg_max_epochs_since_finalization: r.u64()?,
            proposer_reorg_cutoff_bps: r.u64()?,
            attestation_due_bps: r.u64()?,
            min_seed_lookahead: r.u64()?,
            prune_threshold: r.u64()? as usize,
            fulu_fork_epoch: r.u64()?,
        };
        if config.slots_per_epoch == 0 || config.slot_duration_ms == 0 {
            return Err(Error::Decode("zero slot or epoch length".into()));
        }
        let time = r.u64()?;
        let genesis_time = r.u64()?;
        let justified_checkpoint = r.checkpoint()?;
        let finalized_checkpoint = r.checkpoint()?;
        let unrealized_justified_checkpoint = r.checkpoint()?;
        let unrealized_finalized_checkpoint = r.checkpoint()?;
        let proposer_boost_root = r.root()?;
        let equivocating_indices = r.u64s()?.into_iter().collect();
        let n = r.len(72)?;
        let votes = (0..n)
            .map(|_| {
                Ok(VoteTracker {
                    current_root: r.root()?,
                    next_root: r.root()?,
                    next_epoch: r.u64()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let n = r.len(250)?;
        let mut array = ProtoArray::default();
        for i in 0..n {
            let root = r.root()?;
            let parent = r.index(i)?;
            let node = ProtoNode {
                root,
                parent,
                slot: r.u64()?,
                proposer_index: r.u64()?,
                justified_checkpoint: r.checkpoint()?,
                finalized_checkpoint: r.checkpoint()?,
                unrealized_justified_checkpoint: r.checkpoint()?,
                unrealized_finalized_checkpoint: r.checkpoint()?,
                weight: r.u64()?,
                best_child: r.index(n)?,
                best_descendant: r.index(n)?,
                execution_status: ExecutionStatus::from_byte(r.u8()?)
                    .ok_or(Error::Decode("bad execution status".into()))?,
                execution_block_hash: r.root()?,
                timely: r.bool()?,
            };
            if array.indices.insert(root, i).is_some() {
                return Err(Error::Decode(format!("duplicate block {root}")));
            }
            array.nodes.push(node);
        }
        if array.is_empty() {
            return Err(Error::Decode("no blocks".into()));
        }
        let justified_balances = if r.bool()? {
            Some(read_balances(&mut r)?)
        } else {
            None
        };
        let applied_boost = if r.bool()? {
            Some((r.root()?, r.u64()?))
        } else {
            None
        };
        if !r.0.is_empty() {
            return Err(Error::Decode(format!("{} trailing bytes", r.0.len())));
        }
        Ok(Self {
            config,
            time,
            genesis_time,
            justified_checkpoint,
            finalized_checkpoint,
            unrealized_justified_checkpoint,
            unrealized_finalized_checkpoint,
            proposer_boost_root,
            equivocating_indices,
            votes,
            proto_array: array,
            justified_balances,
            applied_boost,
            persisted: PersistTracker::default(),
            moved_votes: Default::default(),
        })
    }
}

fn write_balances(w: &mut Writer, cp: &Checkpoint, b: &JustifiedBalances) {
    w.checkpoint(cp);
    w.u64s(&b.effective_balances);
    w.u64s(&b.weights);
    w.u64(b.total_active_balance);
    w.u64(b.total_unslashed_active_balance);
}

fn read_balances(r: &mut Reader) -> Result<(Checkpoint, JustifiedBalances), Error> {
    let cp = r.checkpoint()?;
    let effective_balances = r.u64s()?;
    let weights = r.u64s()?;
    let total_active_balance = r.u64()?;
    let total_unslashed_active_balance = r.u64()?;
    Ok((
        cp,
        JustifiedBalances {
            effective_balances,
            weights,
            total_active_balance,
            total_unslashed_active_balance,
        },
    ))
}

/// The format version of a persisted store (whole or core).
fn persisted_version(bytes: &[u8]) -> Result<u8, Error> {
    let mut r = Reader(bytes);
    if r.take(4)? != MAGIC {
        return Err(Error::Decode("not a persisted fork choice".into()));
    }
    r.u8()
}

/// What the persisted parts lack: bookkeeping, not part of the store's value (any two compare equal).
#[derive(Debug, Clone)]
pub(crate) struct PersistTracker {
    /// One bit per validator whose vote changed since the last write.
    dirty: Vec<u64>,
    dirty_count: usize,
    /// Votes written as journal records since the last snapshot.
    journaled: usize,
    /// The checkpoint of the balances last written (`None`: none written).
    balances: Option<Checkpoint>,
    /// The next write is a snapshot of everything: nothing was written yet, or a write failed.
    snapshot_due: bool,
}

impl Default for PersistTracker {
    fn default() -> Self {
        Self {
            dirty: Vec::new(),
            dirty_count: 0,
            journaled: 0,
            balances: None,
            snapshot_due: true,
        }
    }
}

impl PartialEq for PersistTracker {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for PersistTracker {}

impl PersistTracker {
    pub(crate) fn vote_changed(&mut self, index: usize) {
        if self.snapshot_due {
            return; // the snapshot writes every vote
        }
        let word = index / 64;
        if word >= self.dirty.len() {
            self.dirty.resize(word + 1, 0);
        }
        let bit = 1u64 << (index % 64);
        if self.dirty[word] & bit == 0 {
            self.dirty[word] |= bit;
            self.dirty_count += 1;
        }
    }

    /// The changed indices in increasing order, and the set cleared.
    fn take_dirty(&mut self) -> Vec<usize> {
        let mut out = Vec::with_capacity(self.dirty_count);
        for (w, word) in self.dirty.iter_mut().enumerate() {
            let mut bits = std::mem::take(word);
            while bits != 0 {
                out.push(w * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        self.dirty_count = 0;
        out
    }
}

/// The votes part of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VotesRecord {
    /// No vote changed.
    Unchanged,
    /// The changed votes, to append after the records already stored.
    Journal(Vec<u8>),
    /// Every vote, to replace the records stored.
    Snapshot(Vec<u8>),
}

/// The store in parts, to be written in one transaction (see the module's doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistedParts {
    /// Everything but votes and balances: small, written with every write.
    pub core: Vec<u8>,
    /// The justified balances, when they changed since the last write.
    pub balances: Option<Vec<u8>>,
    pub votes: VotesRecord,
}

impl ForkChoice {
    /// The parts to write, and what changed since the last write forgotten: the caller must write
    /// them all in one transaction, or call [`ForkChoice::persist_failed`].
    pub fn take_persisted_parts(&mut self) -> PersistedParts {
        let core = self.encode(CORE_VERSION);
        let tracker = &mut self.persisted;
        let checkpoint = self.justified_balances.as_ref().map(|(c, _)| *c);
        let balances = (tracker.snapshot_due || checkpoint != tracker.balances).then(|| {
            tracker.balances = checkpoint;
            let mut w = Writer(Vec::new());
            w.0.extend_from_slice(BALANCES_MAGIC);
            w.u8(PARTS_VERSION);
            match &self.justified_balances {
                None => w.u8(0),
                Some((cp, b)) => {
                    w.u8(1);
                    write_balances(&mut w, cp, b);
                }
            }
            w.0
        });
        let compact =
            tracker.journaled + tracker.dirty_count > JOURNAL_FACTOR * self.votes.len().max(1024);
        let votes = if tracker.snapshot_due || compact {
            tracker.snapshot_due = false;
            tracker.take_dirty();
            tracker.journaled = 0;
            VotesRecord::Snapshot(encode_votes(
                self.votes
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.next_root != Hash256::ZERO),
            ))
        } else if tracker.dirty_count == 0 {
            VotesRecord::Unchanged
        } else {
            let indices = tracker.take_dirty();
            tracker.journaled += indices.len();
            VotesRecord::Journal(encode_votes(
                indices
                    .into_iter()
                    .filter_map(|i| self.votes.get(i).map(|v| (i, v))),
            ))
        };
        PersistedParts {
            core,
            balances,
            votes,
        }
    }

    /// A write of [`ForkChoice::take_persisted_parts`] did not commit: the next write carries
    /// everything.
    pub fn persist_failed(&mut self) {
        self.persisted = PersistTracker::default();
    }

    /// The store from what [`ForkChoice::take_persisted_parts`] wrote: the last core, the last
    /// balances, and the vote records (the last snapshot, then the journal) in the order written.
    /// A whole record of [`ForkChoice::to_bytes`] is read as such (with no other parts). The node
    /// weights are recomputed from the votes here (or at the next `get_head` if the stored balances
    /// are not the justified checkpoint's).
    pub fn from_parts<'a>(
        core: &[u8],
        balances: Option<&[u8]>,
        votes: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, Error> {
        match persisted_version(core)? {
            VERSION => return Self::decode(core),
            CORE_VERSION => {}
            version => return Err(Error::Decode(format!("unsupported version {version}"))),
        }
        let mut fc = Self::decode(core)?;
        if let Some(bytes) = balances {
            let mut r = Reader(bytes);
            if r.take(4)? != BALANCES_MAGIC || r.u8()? != PARTS_VERSION {
                return Err(Error::Decode("not persisted justified balances".into()));
            }
            fc.justified_balances = if r.bool()? {
                Some(read_balances(&mut r)?)
            } else {
                None
            };
            if !r.0.is_empty() {
                return Err(Error::Decode(format!("{} trailing bytes", r.0.len())));
            }
        }
        let known = fc
            .justified_balances
            .as_ref()
            .map_or(0, |(_, b)| b.weights.len());
        let mut journaled = 0;
        for record in votes {
            journaled += apply_votes(&mut fc.votes, record, known)?;
        }
        // Weights from scratch: every vote counts afresh at the next delta computation.
        for node in &mut fc.proto_array.nodes {
            node.weight = 0;
        }
        fc.applied_boost = None;
        fc.persisted = PersistTracker {
            journaled,
            balances: fc.justified_balances.as_ref().map(|(c, _)| *c),
            snapshot_due: false,
            ..PersistTracker::default()
        };
        let mut no_source = |_: &Checkpoint| -> Result<JustifiedBalances, String> {
            Err("not at hand while the store is read".into())
        };
        match fc.apply_changes(&mut no_source) {
            Ok(()) | Err(Error::JustifiedBalances { .. }) => Ok(fc),
            Err(e) => Err(e),
        }
    }

    /// `store.latest_messages`: each validator's latest vote (root and target epoch), by index.
    pub fn latest_messages(&self) -> impl Iterator<Item = (usize, Hash256, u64)> + '_ {
        self.votes
            .iter()
            .enumerate()
            .filter(|(_, v)| v.next_root != Hash256::ZERO)
            .map(|(i, v)| (i, v.next_root, v.next_epoch))
    }
}

/// Votes as a root dictionary and `(index, root number, epoch)` entries: a slot's attesters vote for
/// a handful of roots.
fn encode_votes<'a>(votes: impl Iterator<Item = (usize, &'a VoteTracker)>) -> Vec<u8> {
    let mut roots: Vec<Hash256> = Vec::new();
    let mut numbers: std::collections::HashMap<Hash256, u32> = Default::default();
    let mut entries = Writer(Vec::new());
    let mut count = 0u64;
    let mut last: Option<(Hash256, u32)> = None;
    for (index, vote) in votes {
        let number = match last {
            Some((root, n)) if root == vote.next_root => n,
            _ => {
                let n = *numbers.entry(vote.next_root).or_insert_with(|| {
                    roots.push(vote.next_root);
                    roots.len() as u32 - 1
                });
                last = Some((vote.next_root, n));
                n
            }
        };
        entries.u64(index as u64);
        entries.0.extend_from_slice(&number.to_le_bytes());
        entries.u64(vote.next_epoch);
        count += 1;
    }
    let mut w = Writer(Vec::with_capacity(24 + roots.len() * 32 + entries.0.len()));
    w.0.extend_from_slice(VOTES_MAGIC);
    w.u8(PARTS_VERSION);
    w.u64(roots.len() as u64);
    roots.iter().for_each(|r| w.root(r));
    w.u64(count);
    w.0.extend_from_slice(&entries.0);
    w.0
}

/// Apply one record of [`encode_votes`]; returns its entry count. Indices are bounded as
/// `on_attestation` bounds them (past the `known` validators and the votes so far), so that a corrupt
/// record cannot make the table allocate without limit.
fn apply_votes(votes: &mut Vec<VoteTracker>, bytes: &[u8], known: usize) -> Result<usize, Error> {
    let mut r = Reader(bytes);
    if r.take(4)? != VOTES_MAGIC || r.u8()? != PARTS_VERSION {
        return Err(Error::Decode("not a persisted vote record".into()));
    }
    let n = r.len(32)?;
    let roots = (0..n).map(|_| r.root()).collect::<Result<Vec<_>, _>>()?;
    let count = r.len(20)?;
    for _ in 0..count {
        let index = r.u64()?;
        let number = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes")) as usize;
        let epoch = r.u64()?;
        let limit = (known.max(votes.len()) as u64 + MAX_NEW_VOTE_INDICES).min(MAX_VOTE_INDEX);
        if index >= limit {
            return Err(Error::Decode(format!("vote index {index} out of range")));
        }
        let root = *roots
            .get(number)
            .ok_or_else(|| Error::Decode(format!("vote root number {number} out of range")))?;
        let index = index as usize;
        if index >= votes.len() {
            votes.resize(index + 1, VoteTracker::default());
        }
        votes[index] = VoteTracker {
            current_root: Hash256::ZERO,
            next_root: root,
            next_epoch: epoch,
        };
    }
    if !r.0.is_empty() {
        return Err(Error::Decode(format!("{} trailing bytes", r.0.len())));
    }
    Ok(count)
}
