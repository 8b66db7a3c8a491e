//! The whole-block vectors: `sanity/blocks`, `finality/finality`, `random/random` and `transition/core`
//! (minimal, Capella to Fulu), plus mainnet `fulu/sanity/blocks` and `fulu/sanity/slots`. Each case runs
//! `state_transition` block by block from `pre` and compares with `post` (no `post`: some block must
//! fail). Every block is also run blinded (payload header only, without caches) and must give the same
//! state root; the full run carries one `StateCaches` through the case.

use crate::state_utils::{cases, compare_states, load_state_of, minimal_spec, FORKS};
use spec_tests::{name, read_ssz_snappy, read_yaml, Summary};
use state_processing::caches::StateCaches;
use state_processing::common::{
    get_active_validator_indices, get_current_epoch, get_previous_epoch, get_total_balance,
    get_unslashed_participating_indices,
};
use state_processing::per_block::{self, VerifySignatures};
use state_processing::per_epoch;
use state_processing::progressive_balances::compute_unrealized_checkpoints;
use state_processing::{EpochValidatorCache, ProgressiveBalancesCache};
use std::path::Path;
use types::{
    BeaconState, ChainSpec, EthSpec, ForkName, MainnetEthSpec, MinimalEthSpec, SignedBeaconBlock,
};

/// `meta.yaml` of the block suites.
#[derive(serde::Deserialize)]
struct Meta {
    blocks_count: usize,
    /// 1: signatures must be verified; 2: they must not be; 0 or absent: either.
    bls_setting: Option<u8>,
    /// `transition` only: the fork the chain upgrades to, and when.
    post_fork: Option<String>,
    fork_epoch: Option<u64>,
}

/// Run one case from `pre` (a state of `pre_fork`) under `spec`: blocks and the post-state are decoded
/// as the fork `spec` schedules at their slots.
pub fn check_case<E: EthSpec>(
    case: &Path,
    pre_fork: ForkName,
    spec: &ChainSpec,
) -> Result<(), String> {
    let meta: Meta = read_yaml(&case.join("meta.yaml"));
    let mode = if meta.bls_setting == Some(2) {
        VerifySignatures::Skip
    } else {
        VerifySignatures::Batch
    };
    let mut state =
        load_state_of::<E>(&case.join("pre.ssz_snappy"), pre_fork)?.ok_or("pre missing")?;
    let post = case.join("post.ssz_snappy");
    let expected = if post.exists() {
        let bytes = read_ssz_snappy(&post);
        Some(
            BeaconState::<E>::from_ssz_bytes_with_spec(&bytes, spec)
                .map_err(|e| format!("decoding post: {e:?}"))?,
        )
    } else {
        None
    };
    let mut caches = StateCaches::new();
    let mut result = Ok(());
    for i in 0..meta.blocks_count {
        let bytes = read_ssz_snappy(&case.join(format!("blocks_{i}.ssz_snappy")));
        let block = SignedBeaconBlock::<E>::from_ssz_bytes_with_spec(&bytes, spec)
            .map_err(|e| format!("decoding blocks_{i}: {e:?}"))?;
        result = apply_signed_block(&mut state, &block, mode, spec, &mut caches)
            .and_then(|()| check_epoch_caches(&state, &caches))
            .map_err(|e| format!("block {i}: {e}"));
        if result.is_err() {
            break;
        }
    }
    match (result, expected) {
        (Ok(()), Some(mut expected)) => compare_states(&mut state, &mut expected),
        (Err(e), Some(_)) => Err(e),
        (Ok(()), None) => Err("succeeded but the case expects failure".into()),
        (Err(_), None) => Ok(()),
    }
}

/// `state_transition` with `validate_result` (the proposer signature checked unless `mode` skips
/// signatures), the blinded run alongside.
pub fn apply_signed_block<E: EthSpec>(
    state: &mut BeaconState<E>,
    block: &SignedBeaconBlock<E>,
    mode: VerifySignatures,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<(), String> {
    let message = block.message_enum();
    if state.slot() >= message.slot() {
        return Err("block is not after the state's slot".into());
    }
    state_processing::process_slots_with_caches(state, message.slot(), spec, caches)
        .map_err(|e| e.to_string())?;
    if mode != VerifySignatures::Skip {
        per_block::verify_block_signature(
            state,
            message.proposer_index(),
            message.canonical_root(),
            &block.signature(),
        )
        .map_err(|e| e.to_string())?;
    }
    let mut blinded_state = state.clone();
    per_block::process_block_with_caches(state, &message, mode, true, spec, caches)
        .map_err(|e| e.to_string())?;
    let root = state
        .update_tree_hash_cache()
        .map_err(|e| format!("{e:?}"))?;
    if root != message.state_root() {
        return Err(format!(
            "state root {root} != block state root {}",
            message.state_root()
        ));
    }
    per_block::process_block(&mut blinded_state, &message.to_blinded(), mode, true, spec)
        .map_err(|e| format!("blinded: {e}"))?;
    let blinded_root = blinded_state
        .update_tree_hash_cache()
        .map_err(|e| format!("{e:?}"))?;
    if blinded_root != root {
        return Err(format!("blinded state root {blinded_root} != {root}"));
    }
    Ok(())
}

/// The caches block processing kept current (carried across epoch transitions, where the fused epoch
/// processing produced them) equal a recomputation from the state, and the unrealized justification and
/// finalization computed from the progressive balances equal the spec's
/// `process_justification_and_finalization` run on a copy of the state.
pub fn check_epoch_caches<E: EthSpec>(
    state: &BeaconState<E>,
    caches: &StateCaches,
) -> Result<(), String> {
    let progressive = caches
        .progressive_balances()
        .ok_or("no progressive balances after a block")?;
    let fresh = ProgressiveBalancesCache::new(state).map_err(|e| e.to_string())?;
    if *progressive != fresh {
        return Err(format!(
            "progressive balances {progressive:?} != recomputed {fresh:?}"
        ));
    }
    // And the spec's own sums, flag by flag.
    let err = |e: state_processing::StateError| e.to_string();
    let current = get_current_epoch(state);
    let previous = get_previous_epoch(state);
    for flag in 0..3 {
        let spec_sum = |epoch| {
            let indices = get_unslashed_participating_indices(state, flag, epoch).map_err(err)?;
            get_total_balance(state, indices).map_err(err)
        };
        let cached = (
            progressive
                .previous_epoch_flag_attesting_balance::<E>(flag)
                .map_err(err)?,
            progressive
                .current_epoch_flag_attesting_balance::<E>(flag)
                .map_err(err)?,
        );
        if cached != (spec_sum(previous)?, spec_sum(current)?) {
            return Err(format!("flag {flag} balances differ from the spec's sums"));
        }
    }
    // The committee caches (the next epoch's built from the active set epoch processing gathered).
    for epoch in [previous, current, current + 1] {
        let cache = caches
            .committee_cache(epoch)
            .ok_or(format!("no committee cache for epoch {epoch}"))?;
        if cache.active_validator_indices() != get_active_validator_indices(state, epoch) {
            return Err(format!("cached active set of epoch {epoch} differs"));
        }
    }
    let validators = caches
        .epoch_validators()
        .ok_or("no effective-balance cache after a block")?;
    // Validators added by the epoch's deposits are not covered (they fall back to the state).
    let fresh = EpochValidatorCache::new(state);
    let covered = validators.len();
    let same = covered <= fresh.len()
        && validators.effective_balances() == &fresh.effective_balances()[..covered]
        && (0..covered as u64).all(|i| validators.is_slashed(i) == fresh.is_slashed(i));
    if !same {
        return Err("effective balances or slashed flags differ from the state".into());
    }
    let unrealized =
        compute_unrealized_checkpoints(state, progressive).map_err(|e| e.to_string())?;
    let mut copy = state.clone();
    per_epoch::process_justification_and_finalization(&mut copy).map_err(|e| e.to_string())?;
    let spec_path = (
        copy.current_justified_checkpoint(),
        copy.finalized_checkpoint(),
    );
    if unrealized != spec_path {
        return Err(format!(
            "unrealized checkpoints {unrealized:?} != spec {spec_path:?}"
        ));
    }
    Ok(())
}

/// One minimal runner whose cases start and end at their own fork, with every fork up to it at genesis.
fn run_minimal(runner: &str, handler: &str) -> Summary {
    let mut summary = Summary::new(format!("{runner}/{handler}"));
    for fork in FORKS {
        let cases = cases("minimal", fork, runner, handler);
        if cases.is_empty() {
            summary.fail(fork, format!("no {runner}/{handler} cases"));
        }
        let spec = minimal_spec(fork);
        for case in cases {
            let label = format!("{fork}/{}", name(&case));
            summary.record(label, check_case::<MinimalEthSpec>(&case, fork, &spec));
        }
    }
    summary
}

#[test]
fn sanity_blocks() {
    let mut summary = run_minimal("sanity", "blocks");
    let fork = ForkName::Fulu;
    let spec = ChainSpec::mainnet().with_forks_at_genesis_up_to(fork);
    let cases = cases("mainnet", fork, "sanity", "blocks");
    if cases.is_empty() {
        summary.fail("mainnet/fulu", "no sanity/blocks cases");
    }
    for case in cases {
        let label = format!("mainnet/{fork}/{}", name(&case));
        summary.record(label, check_case::<MainnetEthSpec>(&case, fork, &spec));
    }
    summary.finish();
}

/// mainnet `fulu/sanity/slots` (the minimal ones run in `state_helpers`).
#[test]
fn sanity_slots_mainnet() {
    let mut summary = Summary::new("sanity/slots (mainnet)");
    let fork = ForkName::Fulu;
    let spec = ChainSpec::mainnet().with_forks_at_genesis_up_to(fork);
    let cases = cases("mainnet", fork, "sanity", "slots");
    if cases.is_empty() {
        summary.fail("mainnet/fulu", "no sanity/slots cases");
    }
    for case in cases {
        let label = format!("mainnet/{fork}/{}", name(&case));
        summary.record(label, check_slots_mainnet(&case, fork, &spec));
    }
    summary.finish();
}

fn check_slots_mainnet(case: &Path, fork: ForkName, spec: &ChainSpec) -> Result<(), String> {
    type E = MainnetEthSpec;
    let mut state = load_state_of::<E>(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let mut expected =
        load_state_of::<E>(&case.join("post.ssz_snappy"), fork)?.ok_or("post missing")?;
    let slots: u64 = read_yaml(&case.join("slots.yaml"));
    let target = state.slot() + slots;
    state_processing::process_slots(&mut state, target, spec)
        .map_err(|e| format!("process_slots: {e}"))?;
    compare_states(&mut state, &mut expected)
}

#[test]
fn finality() {
    run_minimal("finality", "finality").finish();
}

#[test]
fn random() {
    run_minimal("random", "random").finish();
}

/// `transition/core`: the pre-state is of the fork before `post_fork`, which the config schedules at
/// `fork_epoch`; each block is of the fork at its slot.
#[test]
fn transition() {
    let mut summary = Summary::new("transition/core");
    for fork in FORKS {
        let cases = cases("minimal", fork, "transition", "core");
        if cases.is_empty() {
            summary.fail(fork, "no transition/core cases");
        }
        for case in cases {
            let label = format!("{fork}/{}", name(&case));
            let Some(pre_fork) = fork.previous() else {
                summary.skip(
                    label,
                    "processes Bellatrix slots and blocks before the fork: out of scope",
                );
                continue;
            };
            summary.record(label, check_transition(&case, pre_fork, fork));
        }
    }
    summary.finish();
}

fn check_transition(case: &Path, pre_fork: ForkName, fork: ForkName) -> Result<(), String> {
    let meta: Meta = read_yaml(&case.join("meta.yaml"));
    if meta.post_fork.as_deref() != Some(fork.as_str()) {
        return Err(format!("meta.yaml names post_fork {:?}", meta.post_fork));
    }
    let fork_epoch = meta.fork_epoch.ok_or("meta.yaml has no fork_epoch")?;
    let mut spec = minimal_spec(pre_fork);
    match fork {
        ForkName::Capella => spec.capella_fork_epoch = fork_epoch,
        ForkName::Deneb => spec.deneb_fork_epoch = fork_epoch,
        ForkName::Electra => spec.electra_fork_epoch = fork_epoch,
        ForkName::Fulu => spec.fulu_fork_epoch = fork_epoch,
    }
    check_case::<MinimalEthSpec>(case, pre_fork, &spec)
}
