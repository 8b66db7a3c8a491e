//! `cltool transition`: apply signed blocks (and empty slots) to a beacon state, as `state_transition`
//! does, and write the post-state.

use super::{hex_hash, print_line};
use crate::cli::TransitionArgs;
use crate::error::{Error, Result};
use crate::input::{self, Input};
use state_processing::per_block::{self, VerifySignatures};
use state_processing::StateCaches;
use std::path::Path;
use types::ssz::Encode;
use types::*;

/// The outcome of a transition that could be attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The post-state was written; its root.
    Done(Hash256),
    /// A block is invalid (or does not lead to its state root): why, for stderr.
    Invalid(String),
}

/// Run the transition of `args`. `Err` means it could not be attempted (bad input or usage).
pub fn run<E: EthSpec>(args: &TransitionArgs) -> Result<Outcome> {
    let config = match &args.config {
        Some(path) => Some(read_config::<E>(path)?),
        None => None,
    };
    let (mut state, spec) = read_state::<E>(&args.pre, config)?;
    // Decode every block before processing any, so that bad input is reported as such.
    let mut blocks = Vec::with_capacity(args.blocks.len());
    for path in &args.blocks {
        let bytes = read_ssz(path)?;
        let block =
            SignedBeaconBlock::<E>::from_ssz_bytes_with_spec(&bytes, &spec).map_err(|e| {
                Error::in_file(
                    path,
                    format!(
                        "not a valid SignedBeaconBlock of the fork at its slot ({} bytes): {e:?}",
                        bytes.len()
                    ),
                )
            })?;
        blocks.push((path, block));
    }

    let mode = if args.no_signature_check {
        VerifySignatures::Skip
    } else {
        VerifySignatures::Batch
    };
    let mut caches = StateCaches::new();
    for (path, block) in &blocks {
        if let Err(why) = apply_block(&mut state, block, mode, &spec, &mut caches) {
            return Ok(Outcome::Invalid(format!(
                "invalid block {}: {why}",
                path.display()
            )));
        }
    }
    if let Some(slots) = args.slots.filter(|&n| n > 0) {
        let target = state
            .slot()
            .checked_add(slots)
            .ok_or_else(|| Error::usage(format!("--slots {slots} overflows the state's slot")))?;
        state_processing::process_slots_with_caches(&mut state, target, &spec, &mut caches)
            .map_err(|e| Error::input(format!("cannot advance to slot {target}: {e}")))?;
    }

    let root = state
        .update_tree_hash_cache()
        .map_err(|e| Error::input(format!("cannot hash the post-state: {e:?}")))?;
    write_state(&args.out, state.as_ssz_bytes())?;
    Ok(Outcome::Done(root))
}

/// Print the post-state root of a finished transition.
pub fn print_root(root: &Hash256) -> Result<()> {
    print_line(&format!("state_root={}", hex_hash(root)))
}

/// `state_transition` with `validate_result`: advance to the block's slot, check the proposer's
/// signature (unless `mode` skips signatures), process the block (its payload taken as valid) and
/// compare the state root with the block's.
fn apply_block<E: EthSpec>(
    state: &mut BeaconState<E>,
    block: &SignedBeaconBlock<E>,
    mode: VerifySignatures,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> std::result::Result<(), String> {
    let message = block.message_enum();
    let slot = message.slot();
    if slot <= state.slot() {
        return Err(format!(
            "its slot {slot} is not after the state's slot {}",
            state.slot()
        ));
    }
    state_processing::process_slots_with_caches(state, slot, spec, caches)
        .map_err(|e| format!("advancing to slot {slot}: {e}"))?;
    if message.fork_name() != state.fork_name() {
        return Err(format!(
            "a {} block at slot {slot}, where the state is {}",
            message.fork_name(),
            state.fork_name()
        ));
    }
    if mode != VerifySignatures::Skip {
        per_block::verify_block_signature(
            state,
            message.proposer_index(),
            message.canonical_root(),
            &block.signature(),
        )
        .map_err(|e| format!("slot {slot}: {e}"))?;
    }
    per_block::process_block_with_caches(state, &message, mode, true, spec, caches)
        .map_err(|e| format!("slot {slot}: {e}"))?;
    let root = state
        .update_tree_hash_cache()
        .map_err(|e| format!("hashing the state: {e:?}"))?;
    if root != message.state_root() {
        return Err(format!(
            "slot {slot}: state root mismatch: computed {}, the block says {}",
            hex_hash(&root),
            hex_hash(&message.state_root())
        ));
    }
    Ok(())
}

/// A `config.yaml` of the preset `E`.
fn read_config<E: EthSpec>(path: &Path) -> Result<ChainSpec> {
    let bytes = input::read_bounded(path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::in_file(path, "not UTF-8 text"))?;
    let spec = ChainSpec::from_yaml_str(&text)
        .map_err(|e| Error::in_file(path, format!("invalid config: {e}")))?;
    if spec.preset_base != E::NAME {
        return Err(Error::usage(format!(
            "{}: PRESET_BASE is {:?} but --preset is {}",
            path.display(),
            spec.preset_base,
            E::NAME
        )));
    }
    Ok(spec)
}

/// Read the pre-state, recognising its fork by `fork.current_version`. Without a config, every fork up
/// to the state's is active from genesis and later ones never come.
fn read_state<E: EthSpec>(
    path: &Path,
    config: Option<ChainSpec>,
) -> Result<(BeaconState<E>, ChainSpec)> {
    let bytes = read_ssz(path)?;
    let given = config.is_some();
    let spec = match config {
        Some(spec) => spec,
        None => ChainSpec::for_preset(E::NAME)
            .ok_or_else(|| Error::input(format!("no bundled config for preset {}", E::NAME)))?,
    };
    let version = bytes
        .get(STATE_CURRENT_VERSION..STATE_CURRENT_VERSION + 4)
        .ok_or_else(|| {
            Error::in_file(
                path,
                format!("{} bytes is too short for a BeaconState", bytes.len()),
            )
        })?;
    let Some(fork) = ForkName::ALL
        .into_iter()
        .rev()
        .find(|&f| spec.fork_version(f)[..] == *version)
    else {
        // A state from before Capella (a `capella/fork` vector's pre-state, say) gets its own message
        // rather than the wrong-preset hint below.
        let earlier = [
            ("phase0", spec.genesis_fork_version),
            ("altair", spec.altair_fork_version),
            ("bellatrix", spec.bellatrix_fork_version),
        ];
        let message = match earlier.iter().find(|(_, v)| v[..] == *version) {
            Some((name, _)) => {
                format!("a {name} BeaconState: cltool transition starts at capella")
            }
            None => format!(
                "the state's fork version 0x{} is not the {} config's capella, deneb, electra or \
                 fulu version (is --preset or --config right?)",
                hex::encode(version),
                E::NAME
            ),
        };
        return Err(Error::in_file(path, message));
    };
    let state = BeaconState::<E>::from_ssz_bytes_by_fork(&bytes, fork).map_err(|e| {
        Error::in_file(
            path,
            format!(
                "not a valid {fork} BeaconState ({} bytes): {e:?}",
                bytes.len()
            ),
        )
    })?;
    let spec = if given {
        let scheduled = spec.fork_name_at_slot::<E>(state.slot());
        if scheduled != fork {
            return Err(Error::usage(format!(
                "{}: a {fork} state at slot {}, where the config schedules {scheduled}",
                path.display(),
                state.slot()
            )));
        }
        spec
    } else {
        spec.with_forks_at_genesis_up_to(fork)
    };
    Ok((state, spec))
}

/// `BeaconState` SSZ: `genesis_time` (8), `genesis_validators_root` (32), `slot` (8) and
/// `fork.previous_version` (4), then `fork.current_version`.
const STATE_CURRENT_VERSION: usize = 8 + 32 + 8 + 4;

/// Read SSZ, raw or snappy-compressed.
fn read_ssz(path: &Path) -> Result<Vec<u8>> {
    match input::Format::of(path)? {
        input::Format::Ssz | input::Format::SszSnappy => {}
        _ => return Err(Error::in_file(path, "expected SSZ (.ssz or .ssz_snappy)")),
    }
    match input::read(path)? {
        Input::Ssz(bytes) => Ok(bytes),
        Input::Value { .. } => Err(Error::in_file(path, "expected SSZ (.ssz or .ssz_snappy)")),
    }
}

/// Write SSZ, snappy-compressed when `out` ends in `.ssz_snappy`.
pub fn write_state(out: &Path, ssz: Vec<u8>) -> Result<()> {
    let bytes = input::ssz_for_output(out, ssz)?;
    std::fs::write(out, bytes).map_err(|e| Error::write(out, e))
}
