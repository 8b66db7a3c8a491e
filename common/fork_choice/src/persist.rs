//! Persisting the fork choice: a versioned little-endian encoding of the whole store (config, time,
//! checkpoints, boost, equivocators, votes, nodes and the balances behind the weights), so that a node
//! resumes exactly where it stopped.

use crate::error::Error;
use crate::fork_choice::{ForkChoice, VoteTracker};
use crate::inputs::{ForkChoiceConfig, JustifiedBalances};
use crate::proto_array::{ExecutionStatus, ProtoArray, ProtoNode};
use types::{Checkpoint, Hash256};

const MAGIC: &[u8; 4] = b"BFFC";
const VERSION: u8 = 1;
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
        let mut w = Writer(Vec::with_capacity(256 + self.proto_array.len() * 300));
        w.0.extend_from_slice(MAGIC);
        w.u8(VERSION);
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
        w.u64(self.votes.len() as u64);
        for v in &self.votes {
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
        match &self.justified_balances {
            None => w.u8(0),
            Some((cp, b)) => {
                w.u8(1);
                w.checkpoint(cp);
                w.u64s(&b.effective_balances);
                w.u64s(&b.weights);
                w.u64(b.total_active_balance);
                w.u64(b.total_unslashed_active_balance);
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
        let mut r = Reader(bytes);
        if r.take(4)? != MAGIC {
            return Err(Error::Decode("not a persisted fork choice".into()));
        }
        let version = r.u8()?;
        if version != VERSION {
            return Err(Error::Decode(format!("unsupported version {version}")));
        }
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
            let cp = r.checkpoint()?;
            let effective_balances = r.u64s()?;
            let weights = r.u64s()?;
            let total_active_balance = r.u64()?;
            let total_unslashed_active_balance = r.u64()?;
            Some((
                cp,
                JustifiedBalances {
                    effective_balances,
                    weights,
                    total_active_balance,
                    total_unslashed_active_balance,
                },
            ))
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
        })
    }
}
