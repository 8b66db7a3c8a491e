//! The mock's chain and the engine/eth methods over it: blocks with real hashes, forkchoice, the
//! transaction pool, payload building and payload validation. No EVM: state and receipts roots are
//! deterministic stand-ins; block hashes, transactions and withdrawals roots are real.

use crate::faults::Faults;
use crate::genesis::{Genesis, GAS_PER_BLOB};
use crate::kzg::{self, StoredBlob};
use crate::tx;
use alloy_primitives::{keccak256, Bytes, B256, U256};
use engine_api::json::*;
use engine_api::RpcErrorCode;
use execution_block_hash::{
    header_from_payload, ordered_trie_root, withdrawals_root, ExecutionBlockHeader, PayloadFields,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use types::ForkName;

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: RpcErrorCode, detail: impl std::fmt::Display) -> Self {
        Self {
            code: code.code(),
            message: format!("{}: {detail}", code.message()),
        }
    }
}

pub type RpcResult = Result<Value, RpcError>;

fn invalid_params(detail: impl std::fmt::Display) -> RpcError {
    RpcError::new(RpcErrorCode::InvalidParams, detail)
}

/// Gas each transaction is taken to use (there is no EVM).
pub const GAS_PER_TX: u64 = 21_000;
/// How many built payloads are kept for `getPayload`.
const MAX_BUILT: usize = 64;
/// `getBlobs` request limit.
const MAX_BLOBS_REQUEST: usize = 128;

/// Every engine method the mock serves (its `engine_exchangeCapabilities` answer).
pub const ENGINE_METHODS: &[&str] = &[
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
    "engine_getPayloadV5",
    "engine_getBlobsV1",
    "engine_getBlobsV2",
    "engine_getClientVersionV1",
];

/// A block of the mock's chain.
#[derive(Debug, Clone)]
pub struct Block {
    pub hash: B256,
    pub header: ExecutionBlockHeader,
    pub transactions: Vec<Bytes>,
    pub withdrawals: Option<Vec<JsonWithdrawal>>,
}

impl Block {
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The block as an engine payload.
    pub fn payload(&self) -> JsonExecutionPayload {
        let h = &self.header;
        JsonExecutionPayload {
            parent_hash: h.parent_hash,
            fee_recipient: h.beneficiary,
            state_root: h.state_root,
            receipts_root: h.receipts_root,
            logs_bloom: h.logs_bloom,
            prev_randao: h.mix_hash,
            block_number: h.number,
            gas_limit: h.gas_limit,
            gas_used: h.gas_used,
            timestamp: h.timestamp,
            extra_data: h.extra_data.clone(),
            base_fee_per_gas: h.base_fee_per_gas.unwrap_or_default(),
            block_hash: self.hash,
            transactions: self.transactions.clone(),
            withdrawals: self.withdrawals.clone(),
            blob_gas_used: h.blob_gas_used,
            excess_blob_gas: h.excess_blob_gas,
        }
    }

    /// The `eth_getBlockBy*` JSON object (transactions as hashes, or raw with `full`).
    pub fn to_json(&self, full: bool) -> Value {
        let h = &self.header;
        let q = |v: u64| format!("{v:#x}");
        let mut out = json!({
            "number": q(h.number),
            "hash": self.hash,
            "parentHash": h.parent_hash,
            "nonce": h.nonce,
            "sha3Uncles": h.ommers_hash,
            "logsBloom": h.logs_bloom,
            "transactionsRoot": h.transactions_root,
            "stateRoot": h.state_root,
            "receiptsRoot": h.receipts_root,
            "miner": h.beneficiary,
            "difficulty": h.difficulty,
            "totalDifficulty": "0x0",
            "extraData": h.extra_data,
            "size": q(h.rlp_bytes().map(|b| b.len() as u64).unwrap_or(0)),
            "gasLimit": q(h.gas_limit),
            "gasUsed": q(h.gas_used),
            "timestamp": q(h.timestamp),
            "mixHash": h.mix_hash,
            "uncles": [],
            "transactions": if full {
                json!(self.transactions)
            } else {
                json!(self.transactions.iter().map(keccak256).collect::<Vec<_>>())
            },
        });
        let o = out.as_object_mut().expect("a JSON object");
        if let Some(v) = h.base_fee_per_gas {
            o.insert("baseFeePerGas".into(), json!(v));
        }
        if let Some(v) = h.withdrawals_root {
            o.insert("withdrawalsRoot".into(), json!(v));
            o.insert(
                "withdrawals".into(),
                json!(self.withdrawals.clone().unwrap_or_default()),
            );
        }
        if let Some(v) = h.blob_gas_used {
            o.insert("blobGasUsed".into(), json!(q(v)));
        }
        if let Some(v) = h.excess_blob_gas {
            o.insert("excessBlobGas".into(), json!(q(v)));
        }
        if let Some(v) = h.parent_beacon_block_root {
            o.insert("parentBeaconBlockRoot".into(), json!(v));
        }
        if let Some(v) = h.requests_hash {
            o.insert("requestsHash".into(), json!(v));
        }
        out
    }
}

/// A payload built for `getPayload`.
#[derive(Debug, Clone)]
struct Built {
    fork: ForkName,
    payload: JsonExecutionPayload,
    block_value: U256,
    bundle: BlobsBundle,
}

/// Settings that are not faults.
#[derive(Debug, Clone)]
pub struct ChainOptions {
    /// Extra-data of built payloads.
    pub extra_data: Bytes,
    /// Block value contributed by each included transaction, in wei.
    pub tip_per_tx_wei: U256,
}

impl Default for ChainOptions {
    fn default() -> Self {
        Self {
            extra_data: Bytes::from_static(b"mock-el"),
            tip_per_tx_wei: U256::from(GAS_PER_TX) * U256::from(1_000_000_000u64),
        }
    }
}

/// The mock execution engine's state.
pub struct Chain {
    pub genesis: Genesis,
    pub options: ChainOptions,
    genesis_hash: B256,
    blocks: HashMap<B256, Block>,
    /// Canonical block hashes by number, up to the head.
    canonical: Vec<B256>,
    safe: B256,
    finalized: B256,
    /// Blocks judged INVALID, with their latest valid ancestor.
    invalid: HashMap<B256, Option<B256>>,
    pool: Vec<tx::PoolTx>,
    /// Transactions in the pool or in canonical blocks.
    known_txs: HashSet<B256>,
    built: HashMap<PayloadId, Built>,
    built_order: VecDeque<PayloadId>,
    blobs: HashMap<B256, StoredBlob>,
    generated_blob_txs: u64,
}

/// A quantity parameter (block numbers).
fn parse_quantity(s: &str) -> Option<u64> {
    quantity::parse(s).ok()
}

fn param<T: DeserializeOwned>(params: &[Value], i: usize, name: &str) -> Result<T, RpcError> {
    let v = params
        .get(i)
        .filter(|v| !v.is_null())
        .ok_or_else(|| invalid_params(format!("missing {name}")))?;
    serde_json::from_value(v.clone()).map_err(|e| invalid_params(format!("{name}: {e}")))
}

fn status_json(s: PayloadStatusV1) -> Value {
    json!(s)
}

fn next_base_fee(parent: &ExecutionBlockHeader) -> U256 {
    let base = parent.base_fee_per_gas.unwrap_or_default();
    let target = parent.gas_limit / 2;
    if target == 0 || parent.gas_used == target {
        return base;
    }
    let target_u = U256::from(target);
    if parent.gas_used > target {
        let delta = base * U256::from(parent.gas_used - target) / target_u / U256::from(8);
        base + delta.max(U256::from(1))
    } else {
        let delta = base * U256::from(target - parent.gas_used) / target_u / U256::from(8);
        base.saturating_sub(delta)
    }
}

impl Chain {
    pub fn new(genesis: Genesis, options: ChainOptions) -> Self {
        let header = genesis.header();
        // The genesis header's optional tail is contiguous by construction.
        let hash = header.hash().unwrap_or_default();
        let fork = genesis.schedule.fork_at(genesis.timestamp);
        let block = Block {
            hash,
            header,
            transactions: vec![],
            withdrawals: fork.map(|_| vec![]),
        };
        Self {
            genesis,
            options,
            genesis_hash: hash,
            blocks: HashMap::from([(hash, block)]),
            canonical: vec![hash],
            safe: B256::ZERO,
            finalized: B256::ZERO,
            invalid: HashMap::new(),
            pool: vec![],
            known_txs: HashSet::new(),
            built: HashMap::new(),
            built_order: VecDeque::new(),
            blobs: HashMap::new(),
            generated_blob_txs: 0,
        }
    }

    pub fn genesis_hash(&self) -> B256 {
        self.genesis_hash
    }

    pub fn head(&self) -> &Block {
        self.canonical
            .last()
            .and_then(|h| self.blocks.get(h))
            .unwrap_or_else(|| &self.blocks[&self.genesis_hash])
    }

    pub fn block(&self, hash: &B256) -> Option<&Block> {
        self.blocks.get(hash)
    }

    /// The finalized block hash of the last forkchoiceUpdated (zero before one named it).
    pub fn finalized_hash(&self) -> B256 {
        self.finalized
    }

    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    /// A short summary for `GET /admin/status`.
    pub fn status(&self) -> Value {
        let head = self.head();
        json!({
            "genesis_hash": self.genesis_hash,
            "head_hash": head.hash,
            "head_number": head.number(),
            "head_timestamp": head.header.timestamp,
            "safe_hash": self.safe,
            "finalized_hash": self.finalized,
            "blocks": self.blocks.len(),
            "pool": self.pool.len(),
            "chain_id": self.genesis.chain_id,
        })
    }

    /// Answers one JSON-RPC call. `faults` are those in force now.
    pub fn dispatch(&mut self, method: &str, params: &[Value], faults: &Faults) -> RpcResult {
        match method {
            "engine_exchangeCapabilities" => Ok(json!(ENGINE_METHODS)),
            "engine_getClientVersionV1" => Ok(json!([{
                "code": "MK",
                "name": "mock-el",
                "version": env!("CARGO_PKG_VERSION"),
                "commit": "0x00000000",
            }])),
            "engine_forkchoiceUpdatedV2" => self.forkchoice_updated(2, params, faults),
            "engine_forkchoiceUpdatedV3" => self.forkchoice_updated(3, params, faults),
            "engine_newPayloadV2" => self.new_payload(2, params, faults),
            "engine_newPayloadV3" => self.new_payload(3, params, faults),
            "engine_newPayloadV4" => self.new_payload(4, params, faults),
            "engine_getPayloadV2" => self.get_payload(ForkName::Capella, params, faults),
            "engine_getPayloadV3" => self.get_payload(ForkName::Deneb, params, faults),
            "engine_getPayloadV4" => self.get_payload(ForkName::Electra, params, faults),
            "engine_getPayloadV5" => self.get_payload(ForkName::Fulu, params, faults),
            "engine_getBlobsV1" => self.get_blobs_v1(params),
            "engine_getBlobsV2" => self.get_blobs_v2(params, faults),
            "eth_chainId" => Ok(json!(format!("{:#x}", self.genesis.chain_id))),
            "eth_blockNumber" => Ok(json!(format!("{:#x}", self.head().number()))),
            "eth_syncing" => Ok(if faults.syncing {
                let n = format!("{:#x}", self.head().number());
                json!({"startingBlock": "0x0", "currentBlock": n, "highestBlock": n})
            } else {
                json!(false)
            }),
            "eth_getBlockByNumber" => {
                let tag: String = param(params, 0, "block number")?;
                let full = params.get(1).and_then(Value::as_bool).unwrap_or(false);
                let hash = match tag.as_str() {
                    "latest" | "pending" => Some(self.head().hash),
                    "earliest" => Some(self.genesis_hash),
                    "safe" => Some(self.safe).filter(|h| !h.is_zero()),
                    "finalized" => Some(self.finalized).filter(|h| !h.is_zero()),
                    n => {
                        let n = parse_quantity(n)
                            .ok_or_else(|| invalid_params(format!("bad block tag {n:?}")))?;
                        usize::try_from(n)
                            .ok()
                            .and_then(|n| self.canonical.get(n))
                            .copied()
                    }
                };
                Ok(hash
                    .and_then(|h| self.blocks.get(&h))
                    .map_or(Value::Null, |b| b.to_json(full)))
            }
            "eth_getBlockByHash" => {
                let hash: B256 = param(params, 0, "block hash")?;
                let full = params.get(1).and_then(Value::as_bool).unwrap_or(false);
                Ok(self
                    .blocks
                    .get(&hash)
                    .map_or(Value::Null, |b| b.to_json(full)))
            }
            "eth_sendRawTransaction" => {
                let raw: Bytes = param(params, 0, "transaction")?;
                self.submit_transaction(&raw).map(|h| json!(h))
            }
            _ => Err(RpcError::new(RpcErrorCode::MethodNotFound, method)),
        }
    }

    /// Adds a raw transaction to the pool; returns its hash.
    pub fn submit_transaction(&mut self, raw: &[u8]) -> Result<B256, RpcError> {
        let server = |m: String| RpcError {
            code: RpcErrorCode::ServerError.code(),
            message: m,
        };
        let mut ptx = tx::parse_submitted(raw).map_err(invalid_params)?;
        if self.known_txs.contains(&ptx.hash) {
            return Err(server("already known".into()));
        }
        if raw.first() == Some(&tx::BLOB_TX_TYPE) {
            let sidecar = ptx.sidecar.take().ok_or_else(|| {
                invalid_params("a blob transaction must come in network form (with its blobs)")
            })?;
            let ok = if sidecar.cell_proofs {
                kzg::verify_cell_proofs(&sidecar.blobs, &sidecar.commitments, &sidecar.proofs)
            } else {
                kzg::verify_blob_proofs(&sidecar.blobs, &sidecar.commitments, &sidecar.proofs)
            }
            .map_err(invalid_params)?;
            if !ok {
                return Err(invalid_params("blob KZG proofs do not verify"));
            }
            let per_blob = if sidecar.cell_proofs {
                ::kzg::CELLS_PER_EXT_BLOB
            } else {
                1
            };
            for (i, (blob, commitment)) in sidecar
                .blobs
                .into_iter()
                .zip(sidecar.commitments)
                .enumerate()
            {
                let proofs = &sidecar.proofs[i * per_blob..(i + 1) * per_blob];
                let stored = StoredBlob {
                    blob,
                    commitment,
                    proof: (!sidecar.cell_proofs).then(|| proofs[0]),
                    cell_proofs: sidecar.cell_proofs.then(|| proofs.to_vec()),
                };
                self.blobs.insert(kzg::versioned_hash(&commitment), stored);
            }
        }
        let hash = ptx.hash;
        self.known_txs.insert(hash);
        self.pool.push(ptx);
        Ok(hash)
    }

    fn is_ancestor(&self, ancestor: &B256, descendant: &B256) -> bool {
        let Some(target) = self.blocks.get(ancestor) else {
            return false;
        };
        let mut cursor = self.blocks.get(descendant);
        while let Some(b) = cursor {
            if b.hash == *ancestor {
                return true;
            }
            if b.number() <= target.number() {
                return false;
            }
            cursor = self.blocks.get(&b.header.parent_hash);
        }
        false
    }

    /// Makes `head` canonical: re-pools the transactions of orphaned blocks and drops from the pool
    /// those now in canonical blocks.
    fn set_head(&mut self, head: B256) {
        let mut segment = vec![];
        let mut cursor = self.blocks.get(&head);
        while let Some(b) = cursor {
            let n = b.number() as usize;
            if self.canonical.get(n) == Some(&b.hash) {
                break;
            }
            segment.push(b.hash);
            cursor = self.blocks.get(&b.header.parent_hash);
        }
        let fork_point = self.head().number().min(cursor.map_or(0, |b| b.number())) as usize;
        let orphaned: Vec<B256> = self.canonical.drain(fork_point + 1..).collect();
        for hash in orphaned {
            let txs = self.blocks[&hash].transactions.clone();
            for raw in txs {
                let hash = keccak256(&raw);
                if !self.pool.iter().any(|p| p.hash == hash) {
                    self.pool.push(tx::PoolTx {
                        hash,
                        raw: raw.to_vec(),
                        sidecar: None,
                    });
                    self.known_txs.insert(hash);
                }
            }
        }
        let mut included = HashSet::new();
        for hash in segment.into_iter().rev() {
            included.extend(self.blocks[&hash].transactions.iter().map(keccak256));
            self.canonical.push(hash);
        }
        self.pool.retain(|p| !included.contains(&p.hash));
        self.known_txs.extend(included);
    }

    fn forkchoice_updated(&mut self, version: u8, params: &[Value], faults: &Faults) -> RpcResult {
        if params.is_empty() || params.len() > 2 {
            return Err(invalid_params(
                "expected [forkchoiceState, payloadAttributes]",
            ));
        }
        let state: ForkchoiceStateV1 = param(params, 0, "forkchoiceState")?;
        let attributes = params.get(1).filter(|v| !v.is_null());
        let answer = |s: PayloadStatusV1, id: Option<PayloadId>| {
            Ok(json!({"payloadStatus": s, "payloadId": id}))
        };
        if faults.syncing {
            return answer(PayloadStatusV1::syncing(), None);
        }
        if let Some(lvh) = self.invalid.get(&state.head_block_hash) {
            return answer(
                PayloadStatusV1::invalid(*lvh, "head block is invalid"),
                None,
            );
        }
        if let Some(lvh) = faults.invalid_heads.get(&state.head_block_hash) {
            return answer(
                PayloadStatusV1::invalid(Some(*lvh), "head block is invalid (fault switch)"),
                None,
            );
        }
        let Some(head) = self.blocks.get(&state.head_block_hash) else {
            return answer(PayloadStatusV1::syncing(), None);
        };
        let (head_hash, head_ts) = (head.hash, head.header.timestamp);
        for (name, hash) in [
            ("safe", state.safe_block_hash),
            ("finalized", state.finalized_block_hash),
        ] {
            if !hash.is_zero() && !self.is_ancestor(&hash, &head_hash) {
                return Err(RpcError::new(
                    RpcErrorCode::InvalidForkchoiceState,
                    format!("{name} block {hash} is not in the head's chain"),
                ));
            }
        }
        self.set_head(head_hash);
        self.safe = state.safe_block_hash;
        self.finalized = state.finalized_block_hash;
        if faults.optimistic {
            return answer(PayloadStatusV1::syncing(), None);
        }
        let Some(attributes) = attributes else {
            return answer(PayloadStatusV1::valid(head_hash), None);
        };
        let bad_attrs = |d: String| RpcError::new(RpcErrorCode::InvalidPayloadAttributes, d);
        let attrs: PayloadAttributes =
            serde_json::from_value(attributes.clone()).map_err(|e| bad_attrs(e.to_string()))?;
        if attrs.withdrawals.is_none() {
            return Err(bad_attrs("withdrawals are required".into()));
        }
        if (version == 3) != attrs.parent_beacon_block_root.is_some() {
            return Err(bad_attrs(format!(
                "parentBeaconBlockRoot must {}be present in V{version}",
                if version == 3 { "" } else { "not " }
            )));
        }
        let fork = self.genesis.schedule.fork_at(attrs.timestamp);
        let fits = match version {
            2 => fork == Some(ForkName::Capella),
            _ => fork.is_some_and(|f| f >= ForkName::Deneb),
        };
        if !fits {
            return Err(RpcError::new(
                RpcErrorCode::UnsupportedFork,
                format!(
                    "timestamp {} is not a fork of forkchoiceUpdatedV{version}",
                    attrs.timestamp
                ),
            ));
        }
        if attrs.timestamp <= head_ts {
            return Err(bad_attrs(format!(
                "timestamp {} is not after the head's {head_ts}",
                attrs.timestamp
            )));
        }
        let fork = fork.unwrap_or(ForkName::Capella);
        let id = self.build(head_hash, &attrs, fork, faults)?;
        answer(PayloadStatusV1::valid(head_hash), Some(id))
    }

    fn blob_for_fork(&mut self, hash: &B256, fork: ForkName) -> Result<StoredBlob, RpcError> {
        let internal = |e: String| RpcError::new(RpcErrorCode::InternalError, e);
        let stored = self
            .blobs
            .get_mut(hash)
            .ok_or_else(|| internal(format!("blob {hash} is not in the pool")))?;
        if fork >= ForkName::Fulu && stored.cell_proofs.is_none() {
            stored.cell_proofs = Some(kzg::cell_proofs(&stored.blob).map_err(internal)?);
        }
        if fork < ForkName::Fulu && stored.proof.is_none() {
            stored.proof =
                Some(kzg::blob_proof(&stored.blob, &stored.commitment).map_err(internal)?);
        }
        Ok(stored.clone())
    }

    fn build(
        &mut self,
        parent_hash: B256,
        attrs: &PayloadAttributes,
        fork: ForkName,
        faults: &Faults,
    ) -> Result<PayloadId, RpcError> {
        let internal = |e: String| RpcError::new(RpcErrorCode::InternalError, e);
        let parent = self.blocks[&parent_hash].header.clone();
        let blob_params = self.genesis.schedule.blob_params(fork);
        let max_txs = (parent.gas_limit / GAS_PER_TX) as usize;
        let mut transactions: Vec<Bytes> = vec![];
        let mut blob_hashes: Vec<B256> = vec![];
        for ptx in &self.pool {
            if transactions.len() >= max_txs {
                break;
            }
            let hashes = tx::blob_versioned_hashes(&ptx.raw).unwrap_or_default();
            if !hashes.is_empty() {
                let fits = fork >= ForkName::Deneb
                    && (blob_hashes.len() + hashes.len()) as u64 <= blob_params.max
                    && hashes.iter().all(|h| self.blobs.contains_key(h));
                if !fits {
                    continue;
                }
                blob_hashes.extend(hashes);
            }
            transactions.push(Bytes::from(ptx.raw.clone()));
        }
        let room = blob_params.max.saturating_sub(blob_hashes.len() as u64);
        let generate = faults.blobs_per_payload.min(room);
        if fork >= ForkName::Deneb && generate > 0 && transactions.len() < max_txs {
            let mut hashes = vec![];
            for i in 0..generate {
                let mut seed = parent_hash.to_vec();
                seed.extend_from_slice(&attrs.timestamp.to_be_bytes());
                seed.extend_from_slice(&i.to_be_bytes());
                let blob = kzg::blob_from_seed(&seed);
                let stored = kzg::commit(blob, fork < ForkName::Fulu, fork >= ForkName::Fulu)
                    .map_err(internal)?;
                let h = kzg::versioned_hash(&stored.commitment);
                self.blobs.insert(h, stored);
                hashes.push(h);
            }
            self.generated_blob_txs += 1;
            let raw = tx::make_blob_tx(self.genesis.chain_id, self.generated_blob_txs, &hashes);
            transactions.push(Bytes::from(raw));
            blob_hashes.extend(hashes);
        }
        let mut bundle = BlobsBundle::default();
        for h in &blob_hashes {
            let stored = self.blob_for_fork(h, fork)?;
            bundle.commitments.push(stored.commitment.into());
            bundle.blobs.push(Bytes::from(stored.blob));
            match (fork >= ForkName::Fulu, stored.proof, stored.cell_proofs) {
                (true, _, Some(cells)) => {
                    bundle.proofs.extend(cells.into_iter().map(Bytes48::from))
                }
                (false, Some(p), _) => bundle.proofs.push(p.into()),
                _ => return Err(internal("blob proofs missing".into())),
            }
        }
        let withdrawals = attrs.withdrawals.clone().unwrap_or_default();
        let wd_tuples: Vec<execution_block_hash::Withdrawal> = withdrawals
            .iter()
            .map(|w| (w.index, w.validator_index, w.address, w.amount))
            .collect();
        let tx_refs: Vec<&[u8]> = transactions.iter().map(|t| &t[..]).collect();
        let tx_root = ordered_trie_root(&tx_refs);
        let state_root = if transactions.is_empty() && withdrawals.is_empty() {
            parent.state_root
        } else {
            let mut pre = parent.state_root.to_vec();
            pre.extend_from_slice(tx_root.as_slice());
            pre.extend_from_slice(withdrawals_root(&wd_tuples).as_slice());
            keccak256(pre)
        };
        let receipts_root = if transactions.is_empty() {
            tx_root
        } else {
            keccak256([b"receipts".as_slice(), tx_root.as_slice()].concat())
        };
        let deneb = fork >= ForkName::Deneb;
        let excess_blob_gas = deneb.then(|| {
            (parent.excess_blob_gas.unwrap_or(0) + parent.blob_gas_used.unwrap_or(0))
                .saturating_sub(blob_params.target * GAS_PER_BLOB)
        });
        // No EVM, so no EL-triggered requests: the list is empty.
        let no_requests: &[Vec<u8>] = &[];
        let logs_bloom = [0u8; 256];
        let fields = PayloadFields {
            parent_hash,
            fee_recipient: attrs.suggested_fee_recipient,
            state_root,
            receipts_root,
            logs_bloom: &logs_bloom,
            prev_randao: attrs.prev_randao,
            block_number: parent.number + 1,
            gas_limit: parent.gas_limit,
            gas_used: GAS_PER_TX * transactions.len() as u64,
            timestamp: attrs.timestamp,
            extra_data: &self.options.extra_data,
            base_fee_per_gas: next_base_fee(&parent),
            transactions: &tx_refs,
            withdrawals: Some(&wd_tuples),
            blob_gas_used: deneb.then_some(GAS_PER_BLOB * blob_hashes.len() as u64),
            excess_blob_gas,
            parent_beacon_block_root: attrs.parent_beacon_block_root,
            execution_requests: (fork >= ForkName::Electra).then_some(no_requests),
        };
        let header = header_from_payload(&fields).map_err(|e| internal(e.to_string()))?;
        let hash = header.hash().map_err(|e| internal(e.to_string()))?;
        let block = Block {
            hash,
            header,
            transactions,
            withdrawals: Some(withdrawals),
        };
        let block_value = self.options.tip_per_tx_wei * U256::from(block.transactions.len());
        let mut id_seed = parent_hash.to_vec();
        id_seed.extend_from_slice(&serde_json::to_vec(attrs).unwrap_or_default());
        let id = PayloadId::from_slice(&keccak256(id_seed)[..8]);
        let built = Built {
            fork,
            payload: block.payload(),
            block_value,
            bundle,
        };
        if self.built.insert(id, built).is_none() {
            self.built_order.push_back(id);
            while self.built_order.len() > MAX_BUILT {
                if let Some(old) = self.built_order.pop_front() {
                    self.built.remove(&old);
                }
            }
        }
        Ok(id)
    }

    fn get_payload(&mut self, fork: ForkName, params: &[Value], faults: &Faults) -> RpcResult {
        let id: PayloadId = param(params, 0, "payloadId")?;
        let built = self.built.get(&id).ok_or_else(|| {
            RpcError::new(RpcErrorCode::UnknownPayload, format!("no payload {id}"))
        })?;
        if built.fork != fork {
            return Err(RpcError::new(
                RpcErrorCode::UnsupportedFork,
                format!("payload {id} is a {} payload", built.fork),
            ));
        }
        let deneb = fork >= ForkName::Deneb;
        let out = JsonGetPayloadResponse {
            execution_payload: built.payload.clone(),
            block_value: built.block_value,
            blobs_bundle: deneb.then(|| built.bundle.clone()),
            should_override_builder: deneb.then_some(faults.should_override_builder),
            // Built payloads carry no requests (see `build`).
            execution_requests: (fork >= ForkName::Electra).then(Vec::new),
        };
        Ok(json!(out))
    }

    fn new_payload(&mut self, version: u8, params: &[Value], faults: &Faults) -> RpcResult {
        let expected = match version {
            2 => 1,
            3 => 3,
            _ => 4,
        };
        if params.len() != expected || params.iter().any(Value::is_null) {
            return Err(invalid_params(format!(
                "engine_newPayloadV{version} takes {expected} non-null parameters"
            )));
        }
        let payload: JsonExecutionPayload = param(params, 0, "executionPayload")?;
        let structure = if version == 2 { 2 } else { 3 };
        if payload.version() != structure || payload.withdrawals.is_none() {
            return Err(invalid_params(format!(
                "engine_newPayloadV{version} takes ExecutionPayloadV{structure}"
            )));
        }
        if structure == 3 && (payload.blob_gas_used.is_none() || payload.excess_blob_gas.is_none())
        {
            return Err(invalid_params("blobGasUsed and excessBlobGas are required"));
        }
        let expected_hashes: Option<Vec<B256>> = if version >= 3 {
            Some(param(params, 1, "expectedBlobVersionedHashes")?)
        } else {
            None
        };
        let parent_beacon_block_root: Option<B256> = if version >= 3 {
            Some(param(params, 2, "parentBeaconBlockRoot")?)
        } else {
            None
        };
        let requests: Option<Vec<Bytes>> = if version >= 4 {
            let r: Vec<Bytes> = param(params, 3, "executionRequests")?;
            check_engine_requests(&r).map_err(invalid_params)?;
            Some(r)
        } else {
            None
        };
        let fork = self.genesis.schedule.fork_at(payload.timestamp);
        let fits = match version {
            2 => fork == Some(ForkName::Capella),
            3 => fork == Some(ForkName::Deneb),
            _ => fork.is_some_and(|f| f >= ForkName::Electra),
        };
        if !fits {
            return Err(RpcError::new(
                RpcErrorCode::UnsupportedFork,
                format!(
                    "timestamp {} is not a fork of newPayloadV{version}",
                    payload.timestamp
                ),
            ));
        }
        let invalid = |e: String| Ok(status_json(PayloadStatusV1::invalid(None, e)));
        // Versioned hashes: checked at once, even while syncing.
        if let Some(expected) = &expected_hashes {
            match tx::payload_versioned_hashes(&payload.transactions) {
                Ok(actual) if &actual == expected => {}
                Ok(actual) => {
                    return invalid(format!(
                    "blob versioned hashes differ: the transactions carry {} ({:?}), {} expected",
                    actual.len(),
                    actual,
                    expected.len()
                ))
                }
                Err(e) => return invalid(format!("malformed blob transaction: {e}")),
            }
        }
        // Block hash, over the header rebuilt from the payload and its context.
        let wd_tuples: Vec<execution_block_hash::Withdrawal> = payload
            .withdrawals
            .iter()
            .flatten()
            .map(|w| (w.index, w.validator_index, w.address, w.amount))
            .collect();
        let tx_refs: Vec<&[u8]> = payload.transactions.iter().map(|t| &t[..]).collect();
        let request_vecs: Option<Vec<Vec<u8>>> = requests
            .as_ref()
            .map(|r| r.iter().map(|b| b.to_vec()).collect());
        let logs_bloom: [u8; 256] = payload.logs_bloom.0 .0;
        let fields = PayloadFields {
            parent_hash: payload.parent_hash,
            fee_recipient: payload.fee_recipient,
            state_root: payload.state_root,
            receipts_root: payload.receipts_root,
            logs_bloom: &logs_bloom,
            prev_randao: payload.prev_randao,
            block_number: payload.block_number,
            gas_limit: payload.gas_limit,
            gas_used: payload.gas_used,
            timestamp: payload.timestamp,
            extra_data: &payload.extra_data,
            base_fee_per_gas: payload.base_fee_per_gas,
            transactions: &tx_refs,
            withdrawals: Some(&wd_tuples),
            blob_gas_used: payload.blob_gas_used,
            excess_blob_gas: payload.excess_blob_gas,
            parent_beacon_block_root,
            execution_requests: request_vecs.as_deref(),
        };
        let header = match header_from_payload(&fields) {
            Ok(h) => h,
            Err(e) => return invalid(format!("cannot rebuild the header: {e}")),
        };
        let hash = match header.hash() {
            Ok(h) => h,
            Err(e) => return invalid(format!("cannot hash the header: {e}")),
        };
        if hash != payload.block_hash {
            return invalid(format!(
                "block hash mismatch: payload says {}, header hashes to {hash}",
                payload.block_hash
            ));
        }
        if faults.syncing {
            return Ok(status_json(PayloadStatusV1::syncing()));
        }
        if self.blocks.contains_key(&hash) {
            return Ok(status_json(PayloadStatusV1::valid(hash)));
        }
        if let Some(lvh) = self.invalid.get(&hash) {
            return Ok(status_json(PayloadStatusV1::invalid(
                *lvh,
                "known invalid block",
            )));
        }
        if let Some(lvh) = self.invalid.get(&payload.parent_hash).copied() {
            self.invalid.insert(hash, lvh);
            return Ok(status_json(PayloadStatusV1::invalid(
                lvh,
                "parent is invalid",
            )));
        }
        let Some(parent) = self.blocks.get(&payload.parent_hash) else {
            return Ok(status_json(PayloadStatusV1::syncing()));
        };
        let parent_hash = parent.hash;
        let reject = |this: &mut Self, why: String| {
            this.invalid.insert(hash, Some(parent_hash));
            Ok(status_json(PayloadStatusV1::invalid(
                Some(parent_hash),
                why,
            )))
        };
        if let Some(why) = faults.forced_invalid(&hash, &payload.fee_recipient, &payload.extra_data)
        {
            return reject(self, why);
        }
        let checks = [
            (payload.block_number != parent.number() + 1).then(|| {
                format!(
                    "block number {} does not follow the parent's {}",
                    payload.block_number,
                    parent.number()
                )
            }),
            (payload.timestamp <= parent.header.timestamp).then(|| {
                format!(
                    "timestamp {} is not after the parent's {}",
                    payload.timestamp, parent.header.timestamp
                )
            }),
            (payload.gas_used > payload.gas_limit).then(|| {
                format!(
                    "gas used {} exceeds the gas limit {}",
                    payload.gas_used, payload.gas_limit
                )
            }),
            expected_hashes.as_ref().and_then(|h| {
                let max = self
                    .genesis
                    .schedule
                    .blob_params(fork.unwrap_or(ForkName::Deneb))
                    .max;
                let used = GAS_PER_BLOB * h.len() as u64;
                if payload.blob_gas_used != Some(used) {
                    Some(format!(
                        "blob gas used {:?} is not {used}",
                        payload.blob_gas_used
                    ))
                } else if h.len() as u64 > max {
                    Some(format!("{} blobs exceed the maximum {max}", h.len()))
                } else {
                    None
                }
            }),
        ];
        if let Some(why) = checks.into_iter().flatten().next() {
            return reject(self, why);
        }
        let block = Block {
            hash,
            header,
            transactions: payload.transactions,
            withdrawals: payload.withdrawals,
        };
        self.blocks.insert(hash, block);
        if faults.optimistic {
            return Ok(status_json(PayloadStatusV1::syncing()));
        }
        Ok(status_json(PayloadStatusV1::valid(hash)))
    }

    fn get_blobs_v1(&mut self, params: &[Value]) -> RpcResult {
        let hashes: Vec<B256> = param(params, 0, "versioned hashes")?;
        if hashes.len() > MAX_BLOBS_REQUEST {
            return Err(RpcError::new(RpcErrorCode::TooLargeRequest, hashes.len()));
        }
        let head_ts = self.head().header.timestamp;
        if self.genesis.schedule.fork_at(head_ts) == Some(ForkName::Fulu) {
            return Err(RpcError::new(
                RpcErrorCode::UnsupportedFork,
                "Osaka is active",
            ));
        }
        let mut out = vec![];
        for h in &hashes {
            out.push(match self.blobs.contains_key(h) {
                true => {
                    let b = self.blob_for_fork(h, ForkName::Deneb)?;
                    json!(BlobAndProofV1 {
                        blob: Bytes::from(b.blob),
                        proof: b.proof.unwrap_or([0; 48]).into(),
                    })
                }
                false => Value::Null,
            });
        }
        Ok(json!(out))
    }

    fn get_blobs_v2(&mut self, params: &[Value], faults: &Faults) -> RpcResult {
        let hashes: Vec<B256> = param(params, 0, "versioned hashes")?;
        if hashes.len() > MAX_BLOBS_REQUEST {
            return Err(RpcError::new(RpcErrorCode::TooLargeRequest, hashes.len()));
        }
        if faults.syncing || !hashes.iter().all(|h| self.blobs.contains_key(h)) {
            return Ok(Value::Null);
        }
        let mut out = vec![];
        for h in &hashes {
            let b = self.blob_for_fork(h, ForkName::Fulu)?;
            out.push(BlobAndProofV2 {
                blob: Bytes::from(b.blob),
                proofs: b
                    .cell_proofs
                    .unwrap_or_default()
                    .into_iter()
                    .map(Bytes48::from)
                    .collect(),
            });
        }
        Ok(json!(out))
    }
}
