//! The `fork_choice` (every handler) and `sync/optimistic` vectors, minimal preset, Capella to Fulu.
//!
//! Each case plays its `steps.yaml` against `fork_choice::ForkChoice` anchored at `anchor_state` and
//! `anchor_block`. This runner is the beacon node's stand-in: it keeps the block states, runs the
//! state transition (signatures verified), checks blob and column availability with KZG, verifies
//! attestations against their target checkpoint state and slashings against the justified block's
//! state, and plays the execution engine's verdicts (`payload_status`). A block step also feeds the
//! block's attestations (`is_from_block`) and attester slashings, as the spec's test helpers do.
//!
//! `FORK_CHOICE_CASE=<substring>` runs only the cases whose `fork/handler/case` label contains it.

use crate::fork_choice_columns::verify_column;
use crate::state_utils::{cases, minimal_spec, FORKS};
use fork_choice::{
    BlockSummary, ExecutionStatus, ForkChoice, ForkChoiceConfig, InvalidPayloadTarget,
    JustifiedBalances,
};
use serde_yaml::Value;
use spec_tests::{hex_bytes, name, read_ssz_snappy, read_yaml, subdirs, Summary};
use state_processing::common::{
    get_indexed_attestation, is_valid_indexed_attestation, AttestationRef, IndexedAttestationRef,
};
use state_processing::per_block::{self, VerifySignatures};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use types::{
    AttestationBase, AttestationElectra, AttesterSlashingBase, AttesterSlashingElectra,
    BeaconBlock, BeaconState, ChainSpec, Checkpoint, DataColumnSidecar, EthSpec,
    ExecutionBlockHash, ForkName, ForkVersioned, Hash256, MinimalEthSpec, SignedBeaconBlock,
};

type E = MinimalEthSpec;
type State = BeaconState<E>;

#[test]
fn fork_choice_vectors() {
    let mut summary = Summary::new("fork_choice");
    for fork in FORKS {
        let dir = fork_dir(fork).join("fork_choice");
        for handler in subdirs(&dir) {
            for case in cases("minimal", fork, "fork_choice", name(&handler)) {
                run(&mut summary, fork, &case);
            }
        }
    }
    summary.finish();
}

#[test]
fn fork_choice_sync_optimistic_vectors() {
    let mut summary = Summary::new("sync");
    for fork in FORKS {
        for handler in subdirs(&fork_dir(fork).join("sync")) {
            for case in cases("minimal", fork, "sync", name(&handler)) {
                run(&mut summary, fork, &case);
            }
        }
    }
    summary.finish();
}

fn fork_dir(fork: ForkName) -> PathBuf {
    spec_tests::vectors_dir()
        .join("consensus-spec-tests/tests/minimal")
        .join(fork.as_str())
}

fn run(summary: &mut Summary, fork: ForkName, case: &Path) {
    let label = format!(
        "{fork}/{}/{}",
        name(case.parent().and_then(Path::parent).unwrap_or(case)),
        name(case)
    );
    if let Ok(only) = std::env::var("FORK_CHOICE_CASE") {
        if !label.contains(&only) {
            return;
        }
    }
    let result = Runner::new(fork, case).and_then(|mut r| r.run_steps());
    summary.record(label, result);
}

/// The engine's answer to `newPayload` for a payload hash (`payload_status` steps).
#[derive(Debug, Clone)]
struct PayloadStatus {
    status: String,
    latest_valid_hash: Option<ExecutionBlockHash>,
}

struct Runner {
    fork: ForkName,
    case: PathBuf,
    spec: ChainSpec,
    fc: ForkChoice,
    states: HashMap<Hash256, State>,
    checkpoint_states: HashMap<Checkpoint, State>,
    payload_statuses: HashMap<ExecutionBlockHash, PayloadStatus>,
}

impl Runner {
    fn new(fork: ForkName, case: &Path) -> Result<Self, String> {
        let spec = minimal_spec(fork);
        let state = State::from_ssz_bytes_by_fork(
            &read_ssz_snappy(&case.join("anchor_state.ssz_snappy")),
            fork,
        )
        .map_err(|e| format!("anchor_state: {e:?}"))?;
        let block = BeaconBlock::<E>::from_ssz_bytes_by_fork(
            &read_ssz_snappy(&case.join("anchor_block.ssz_snappy")),
            fork,
        )
        .map_err(|e| format!("anchor_block: {e:?}"))?;
        let anchor = BlockSummary::from_block(&block);
        let config = ForkChoiceConfig::new::<E>(&spec);
        let fc = ForkChoice::from_anchor(&anchor, &state, ExecutionStatus::Valid, config)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            fork,
            case: case.to_path_buf(),
            spec,
            fc,
            states: HashMap::from([(anchor.root, state)]),
            checkpoint_states: HashMap::new(),
            payload_statuses: HashMap::new(),
        })
    }

    fn run_steps(&mut self) -> Result<(), String> {
        let steps: Vec<Value> = read_yaml(&self.case.join("steps.yaml"));
        for (i, step) in steps.iter().enumerate() {
            self.step(step).map_err(|e| format!("step {i}: {e}"))?;
        }
        Ok(())
    }

    fn step(&mut self, step: &Value) -> Result<(), String> {
        let valid = step.get("valid").and_then(Value::as_bool).unwrap_or(true);
        let outcome = if let Some(time) = step.get("tick") {
            let time = time.as_u64().ok_or("bad tick")?;
            self.fc.on_tick(time);
            Ok(())
        } else if let Some(file) = step.get("block") {
            self.on_block_step(str_of(file)?, step)
        } else if let Some(file) = step.get("attestation") {
            self.on_attestation_step(str_of(file)?)
        } else if let Some(file) = step.get("attester_slashing") {
            self.on_attester_slashing_step(str_of(file)?)
        } else if let Some(hash) = step.get("block_hash") {
            return self.on_payload_status(root_of(hash)?, &step["payload_status"]);
        } else if let Some(checks) = step.get("checks") {
            return self.checks(checks);
        } else {
            return Err(format!("unknown step {step:?}"));
        };
        match (outcome, valid) {
            (Ok(()), true) | (Err(_), false) => Ok(()),
            (Ok(()), false) => Err("an invalid step was accepted".into()),
            (Err(e), true) => Err(e),
        }
    }

    /// `store.checkpoint_states[checkpoint]` (`store_target_checkpoint_state`).
    fn checkpoint_state(&mut self, checkpoint: &Checkpoint) -> Result<&State, String> {
        checkpoint_state(
            &self.states,
            &mut self.checkpoint_states,
            &self.spec,
            checkpoint,
        )
    }

    fn on_block_step(&mut self, file: &str, step: &Value) -> Result<(), String> {
        let bytes = read_ssz_snappy(&self.case.join(format!("{file}.ssz_snappy")));
        let signed = SignedBeaconBlock::<E>::from_ssz_bytes_by_fork(&bytes, self.fork)
            .map_err(|e| format!("decoding {file}: {e:?}"))?;
        let block = signed.message_enum();
        let summary = BlockSummary::from_block(&block);
        if self.fc.contains_block(&summary.root) {
            return Ok(());
        }
        self.fc
            .validate_block(summary.slot, &summary.parent_root)
            .map_err(|e| e.to_string())?;
        // Checked here, refused by `on_block` (`Error::DataUnavailable`) after the transition.
        let data_available = self.is_data_available(&block, step)?;
        let status = match self.payload_statuses.get(&summary.execution_block_hash) {
            None => ExecutionStatus::Valid,
            Some(s) if s.status == "VALID" => ExecutionStatus::Valid,
            Some(s) if s.status == "INVALID" => {
                let lvh = s.latest_valid_hash;
                let target = InvalidPayloadTarget::UnimportedChild {
                    parent_root: summary.parent_root,
                };
                self.fc
                    .on_invalid_execution_payload(target, lvh)
                    .map_err(|e| e.to_string())?;
                return Err("invalid execution payload".into());
            }
            Some(_) => ExecutionStatus::Optimistic,
        };
        let mut state = self
            .states
            .get(&summary.parent_root)
            .ok_or("parent state missing")?
            .clone();
        state_transition(&mut state, &signed, &block, &self.spec)?;
        let (states, cps, spec) = (&self.states, &mut self.checkpoint_states, &self.spec);
        let mut balances = |cp: &Checkpoint| justified_balances(states, cps, spec, cp);
        self.fc
            .on_block(
                &summary,
                &state,
                None,
                status,
                data_available,
                &mut balances,
            )
            .map_err(|e| e.to_string())?;
        self.states.insert(summary.root, state);
        for attestation in attestations(&block) {
            self.apply_attestation(attestation, true)
                .map_err(|e| format!("block attestation: {e}"))?;
        }
        for (a, b) in attester_slashings(&block) {
            self.apply_attester_slashing(a, b)
                .map_err(|e| format!("block attester slashing: {e}"))?;
        }
        Ok(())
    }

    /// `is_data_available`: Deneb and Electra verify the step's blobs and proofs against the block's
    /// commitments; Fulu verifies every column sidecar given (none given for a block with blobs:
    /// unavailable).
    fn is_data_available(&self, block: &BeaconBlock<E>, step: &Value) -> Result<bool, String> {
        let commitments: Vec<[u8; 48]> = match block {
            BeaconBlock::Capella(_) => return Ok(true),
            BeaconBlock::Deneb(b) => commitment_bytes(&b.body.blob_kzg_commitments),
            BeaconBlock::Electra(b) => commitment_bytes(&b.body.blob_kzg_commitments),
            BeaconBlock::Fulu(b) => commitment_bytes(&b.body.blob_kzg_commitments),
        };
        if self.fork == ForkName::Fulu {
            let files = step
                .get("columns")
                .and_then(Value::as_sequence)
                .cloned()
                .unwrap_or_default();
            if files.is_empty() {
                return Ok(commitments.is_empty());
            }
            for file in &files {
                let bytes =
                    read_ssz_snappy(&self.case.join(format!("{}.ssz_snappy", str_of(file)?)));
                let Ok(sidecar) = <DataColumnSidecar<E> as ssz::Decode>::from_ssz_bytes(&bytes)
                else {
                    return Ok(false);
                };
                if !verify_column(&sidecar, block.canonical_root(), &commitments) {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let blobs: Vec<Vec<u8>> = match step.get("blobs") {
            None => vec![],
            Some(file) => {
                let bytes =
                    read_ssz_snappy(&self.case.join(format!("{}.ssz_snappy", str_of(file)?)));
                let chunks = bytes.chunks_exact(kzg::BYTES_PER_BLOB);
                if !chunks.remainder().is_empty() {
                    return Ok(false);
                }
                chunks.map(<[u8]>::to_vec).collect()
            }
        };
        let mut proofs = vec![];
        for p in step
            .get("proofs")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default()
        {
            let bytes = hex_bytes(str_of(&p)?);
            proofs.push(<[u8; 48]>::try_from(bytes.as_slice()).map_err(|_| "proof length")?);
        }
        Ok(kzg::verify_blob_kzg_proof_batch(&blobs, &commitments, &proofs).is_ok())
    }

    fn on_attestation_step(&mut self, file: &str) -> Result<(), String> {
        let bytes = read_ssz_snappy(&self.case.join(format!("{file}.ssz_snappy")));
        match self.fork {
            ForkName::Capella | ForkName::Deneb => {
                let a = <AttestationBase<E> as ssz::Decode>::from_ssz_bytes(&bytes)
                    .map_err(|e| format!("{e:?}"))?;
                self.apply_attestation(AttestationRef::Base(&a), false)
            }
            _ => {
                let a = <AttestationElectra<E> as ssz::Decode>::from_ssz_bytes(&bytes)
                    .map_err(|e| format!("{e:?}"))?;
                self.apply_attestation(AttestationRef::Electra(&a), false)
            }
        }
    }

    /// `on_attestation`: checked against the store, then indexed and verified against the target
    /// checkpoint state, then counted.
    fn apply_attestation(
        &mut self,
        attestation: AttestationRef<'_, E>,
        is_from_block: bool,
    ) -> Result<(), String> {
        let data = attestation.data();
        self.fc
            .validate_on_attestation(data, is_from_block)
            .map_err(|e| e.to_string())?;
        let target_state = self.checkpoint_state(&data.target)?;
        let indexed =
            get_indexed_attestation(target_state, attestation).map_err(|e| e.to_string())?;
        if !is_valid_indexed_attestation(target_state, indexed.as_ref(), true) {
            return Err("invalid indexed attestation".into());
        }
        let indices = indexed.as_ref().attesting_indices().to_vec();
        self.fc
            .on_attestation(data, &indices, is_from_block)
            .map_err(|e| e.to_string())
    }

    fn on_attester_slashing_step(&mut self, file: &str) -> Result<(), String> {
        let bytes = read_ssz_snappy(&self.case.join(format!("{file}.ssz_snappy")));
        match self.fork {
            ForkName::Capella | ForkName::Deneb => {
                let s = <AttesterSlashingBase<E> as ssz::Decode>::from_ssz_bytes(&bytes)
                    .map_err(|e| format!("{e:?}"))?;
                self.apply_attester_slashing((&s.attestation_1).into(), (&s.attestation_2).into())
            }
            _ => {
                let s = <AttesterSlashingElectra<E> as ssz::Decode>::from_ssz_bytes(&bytes)
                    .map_err(|e| format!("{e:?}"))?;
                self.apply_attester_slashing((&s.attestation_1).into(), (&s.attestation_2).into())
            }
        }
    }

    /// `on_attester_slashing`: both attestations valid in the justified checkpoint block's state.
    fn apply_attester_slashing(
        &mut self,
        a: IndexedAttestationRef<'_, E>,
        b: IndexedAttestationRef<'_, E>,
    ) -> Result<(), String> {
        let state = self
            .states
            .get(&self.fc.justified_checkpoint().root)
            .ok_or("no state for the justified block")?;
        if !is_valid_indexed_attestation(state, a, true)
            || !is_valid_indexed_attestation(state, b, true)
        {
            return Err("invalid attester slashing attestation".into());
        }
        self.fc
            .on_attester_slashing(a, b)
            .map_err(|e| e.to_string())
    }

    /// A `payload_status` step: remembered for the block that carries `hash`, and applied at once if
    /// that block is already imported.
    fn on_payload_status(&mut self, hash: Hash256, status: &Value) -> Result<(), String> {
        let s = PayloadStatus {
            status: str_of(&status["status"])?.to_string(),
            latest_valid_hash: match &status["latest_valid_hash"] {
                Value::Null => None,
                v => Some(root_of(v)?),
            },
        };
        let known = self
            .fc
            .proto_array()
            .nodes()
            .iter()
            .find(|n| n.execution_block_hash == hash)
            .map(|n| n.root);
        if let Some(root) = known {
            match s.status.as_str() {
                "VALID" => self.fc.on_valid_execution_payload(&root),
                "INVALID" => self
                    .fc
                    .on_invalid_execution_payload(
                        InvalidPayloadTarget::Block(root),
                        s.latest_valid_hash,
                    )
                    .map(drop),
                _ => Ok(()),
            }
            .map_err(|e| e.to_string())?;
        }
        self.payload_statuses.insert(hash, s);
        Ok(())
    }

    fn checks(&mut self, checks: &Value) -> Result<(), String> {
        let Value::Mapping(map) = checks else {
            return Err("checks is not a mapping".into());
        };
        for (key, expected) in map {
            let key = str_of(key)?;
            let (states, cps, spec) = (&self.states, &mut self.checkpoint_states, &self.spec);
            let mut balances = |cp: &Checkpoint| justified_balances(states, cps, spec, cp);
            let ok = match key {
                "time" => Some(self.fc.time()) == expected.as_u64(),
                "genesis_time" => Some(self.fc.genesis_time()) == expected.as_u64(),
                "head" => {
                    let root = self.fc.get_head(&mut balances).map_err(|e| e.to_string())?;
                    let slot = self.fc.block(&root).map(|n| n.slot);
                    if Some(root) != Some(root_of(&expected["root"])?)
                        || slot != expected["slot"].as_u64()
                    {
                        return Err(format!(
                            "head {root} at slot {slot:?}, expected {expected:?}"
                        ));
                    }
                    true
                }
                "justified_checkpoint" => {
                    checkpoint_of(expected)? == self.fc.justified_checkpoint()
                }
                "finalized_checkpoint" => {
                    checkpoint_of(expected)? == self.fc.finalized_checkpoint()
                }
                "proposer_boost_root" => root_of(expected)? == self.fc.proposer_boost_root(),
                "get_proposer_head" => {
                    let head = self.fc.get_head(&mut balances).map_err(|e| e.to_string())?;
                    let head_state = states.get(&head).ok_or("no head state")?;
                    let slot = self.fc.current_slot();
                    let root = self
                        .fc
                        .get_proposer_head(&head, slot, head_state, &mut balances)
                        .map_err(|e| e.to_string())?;
                    root == root_of(expected)?
                }
                "should_override_forkchoice_update" => {
                    let head = self.fc.get_head(&mut balances).map_err(|e| e.to_string())?;
                    let head_state = states.get(&head).ok_or("no head state")?;
                    let connected = expected["validator_is_connected"].as_bool().unwrap_or(true);
                    let result = self
                        .fc
                        .should_override_forkchoice_update(
                            &head,
                            head_state,
                            connected,
                            &mut balances,
                        )
                        .map_err(|e| e.to_string())?;
                    Some(result) == expected["result"].as_bool()
                }
                other => return Err(format!("unknown check {other}")),
            };
            if !ok {
                return Err(format!(
                    "check {key} failed: expected {expected:?}, {}",
                    self.describe()
                ));
            }
        }
        Ok(())
    }

    fn describe(&self) -> String {
        format!(
            "store time {} justified {:?} finalized {:?} boost {}",
            self.fc.time(),
            self.fc.justified_checkpoint(),
            self.fc.finalized_checkpoint(),
            self.fc.proposer_boost_root()
        )
    }
}

/// `store_target_checkpoint_state`: the checkpoint block's state advanced to the epoch's first slot.
fn checkpoint_state<'a>(
    states: &HashMap<Hash256, State>,
    cache: &'a mut HashMap<Checkpoint, State>,
    spec: &ChainSpec,
    checkpoint: &Checkpoint,
) -> Result<&'a State, String> {
    if !cache.contains_key(checkpoint) {
        let mut state = states
            .get(&checkpoint.root)
            .ok_or_else(|| format!("no state for checkpoint block {}", checkpoint.root))?
            .clone();
        let slot = checkpoint.epoch * <E as EthSpec>::slots_per_epoch();
        if state.slot() < slot {
            state_processing::process_slots(&mut state, slot, spec).map_err(|e| e.to_string())?;
        }
        cache.insert(*checkpoint, state);
    }
    Ok(&cache[checkpoint])
}

fn justified_balances(
    states: &HashMap<Hash256, State>,
    cache: &mut HashMap<Checkpoint, State>,
    spec: &ChainSpec,
    checkpoint: &Checkpoint,
) -> Result<JustifiedBalances, String> {
    let state = checkpoint_state(states, cache, spec, checkpoint)?;
    JustifiedBalances::from_state(state).map_err(|e| e.to_string())
}

/// `state_transition` with `validate_result`, every signature verified.
fn state_transition(
    state: &mut State,
    signed: &SignedBeaconBlock<E>,
    block: &BeaconBlock<E>,
    spec: &ChainSpec,
) -> Result<(), String> {
    if state.slot() >= block.slot() {
        return Err("block is not after its parent state".into());
    }
    state_processing::process_slots(state, block.slot(), spec).map_err(|e| e.to_string())?;
    per_block::verify_block_signature(
        state,
        block.proposer_index(),
        block.canonical_root(),
        &signed.signature(),
    )
    .map_err(|e| e.to_string())?;
    per_block::process_block(state, block, VerifySignatures::Batch, true, spec)
        .map_err(|e| e.to_string())?;
    let root = state
        .update_tree_hash_cache()
        .map_err(|e| format!("{e:?}"))?;
    if root != block.state_root() {
        return Err(format!(
            "state root {root} != block's {}",
            block.state_root()
        ));
    }
    Ok(())
}

fn attestations(block: &BeaconBlock<E>) -> Vec<AttestationRef<'_, E>> {
    match block {
        BeaconBlock::Capella(b) => b.body.attestations.iter().map(Into::into).collect(),
        BeaconBlock::Deneb(b) => b.body.attestations.iter().map(Into::into).collect(),
        BeaconBlock::Electra(b) => b.body.attestations.iter().map(Into::into).collect(),
        BeaconBlock::Fulu(b) => b.body.attestations.iter().map(Into::into).collect(),
    }
}

type SlashingPair<'a> = (IndexedAttestationRef<'a, E>, IndexedAttestationRef<'a, E>);

fn attester_slashings(block: &BeaconBlock<E>) -> Vec<SlashingPair<'_>> {
    fn pairs<'a, T>(list: &'a [T], f: impl Fn(&'a T) -> SlashingPair<'a>) -> Vec<SlashingPair<'a>> {
        list.iter().map(f).collect()
    }
    match block {
        BeaconBlock::Capella(b) => pairs(&b.body.attester_slashings, |s| {
            ((&s.attestation_1).into(), (&s.attestation_2).into())
        }),
        BeaconBlock::Deneb(b) => pairs(&b.body.attester_slashings, |s| {
            ((&s.attestation_1).into(), (&s.attestation_2).into())
        }),
        BeaconBlock::Electra(b) => pairs(&b.body.attester_slashings, |s| {
            ((&s.attestation_1).into(), (&s.attestation_2).into())
        }),
        BeaconBlock::Fulu(b) => pairs(&b.body.attester_slashings, |s| {
            ((&s.attestation_1).into(), (&s.attestation_2).into())
        }),
    }
}

fn commitment_bytes(list: &[types::KzgCommitment]) -> Vec<[u8; 48]> {
    list.iter().map(|c| *c.as_bytes()).collect()
}

fn str_of(v: &Value) -> Result<&str, String> {
    v.as_str()
        .ok_or_else(|| format!("expected a string, got {v:?}"))
}

fn root_of(v: &Value) -> Result<Hash256, String> {
    let bytes = hex_bytes(str_of(v)?);
    if bytes.len() != 32 {
        return Err(format!("bad root {v:?}"));
    }
    Ok(Hash256::from_slice(&bytes))
}

fn checkpoint_of(v: &Value) -> Result<Checkpoint, String> {
    Ok(Checkpoint {
        epoch: v["epoch"].as_u64().ok_or("bad checkpoint epoch")?,
        root: root_of(&v["root"])?,
    })
}
