//! consensus-spec-tests `epoch_processing` (minimal, Capella to Fulu): one test per sub-step. Each case
//! runs the sub-step on `pre` and compares with `post` (no `post`: the sub-step must fail), and, where the
//! case has them, runs the whole `process_epoch` on `pre_epoch` and compares with `post_epoch`.

use crate::state_utils::{compare_states, load_state, minimal_spec, State, FORKS};
use spec_tests::{name, subdirs, vectors_dir, Summary};
use state_processing::caches::{PubkeyCache, StateCaches};
use state_processing::per_epoch::{self, process_epoch};
use state_processing::{EpochValidatorCache, ProgressiveBalancesCache};
use std::path::Path;
use types::{ChainSpec, ForkName};

type SubStep = fn(&mut State, &ChainSpec) -> state_processing::Result<()>;

/// The sub-step a handler names, or `None` if it does not exist at `fork`.
fn sub_step(handler: &str, fork: ForkName) -> Option<SubStep> {
    Some(match handler {
        "justification_and_finalization" => {
            |s, _| per_epoch::process_justification_and_finalization(s)
        }
        "inactivity_updates" => per_epoch::process_inactivity_updates,
        "rewards_and_penalties" => per_epoch::process_rewards_and_penalties,
        "registry_updates" => per_epoch::process_registry_updates,
        "slashings" => |s, _| per_epoch::process_slashings(s),
        "eth1_data_reset" => |s, _| per_epoch::process_eth1_data_reset(s),
        "pending_deposits" if fork.electra_enabled() => {
            |s, spec| per_epoch::process_pending_deposits(s, spec, &mut PubkeyCache::default())
        }
        "pending_consolidations" if fork.electra_enabled() => {
            |s, _| per_epoch::process_pending_consolidations(s)
        }
        "effective_balance_updates" => |s, _| per_epoch::process_effective_balance_updates(s),
        "slashings_reset" => |s, _| per_epoch::process_slashings_reset(s),
        "randao_mixes_reset" => |s, _| per_epoch::process_randao_mixes_reset(s),
        "historical_summaries_update" => |s, _| per_epoch::process_historical_summaries_update(s),
        "participation_flag_updates" => |s, _| per_epoch::process_participation_flag_updates(s),
        "sync_committee_updates" => |s, _| per_epoch::process_sync_committee_updates(s),
        "proposer_lookahead" if fork.fulu_enabled() => {
            |s, _| per_epoch::process_proposer_lookahead(s)
        }
        _ => return None,
    })
}

/// Run `step` on `<pre>` and check the outcome against `<post>` (absent: must fail).
fn run_and_compare(
    case: &Path,
    fork: ForkName,
    pre: &str,
    post: &str,
    step: impl FnOnce(&mut State) -> state_processing::Result<()>,
) -> Result<(), String> {
    let mut state = load_state(&case.join(pre), fork)?.ok_or(format!("{pre} missing"))?;
    let expected = load_state(&case.join(post), fork)?;
    let result = step(&mut state);
    match (result, expected) {
        (Ok(()), Some(mut expected)) => compare_states(&mut state, &mut expected),
        (Err(e), Some(_)) => Err(format!("{pre}: failed: {e}")),
        (Ok(()), None) => Err(format!("{pre}: succeeded but the case expects failure")),
        (Err(_), None) => Ok(()),
    }
}

fn check_case(case: &Path, fork: ForkName, step: SubStep) -> Result<(), String> {
    let spec = minimal_spec(fork);
    run_and_compare(case, fork, "pre.ssz_snappy", "post.ssz_snappy", |s| {
        step(s, &spec)
    })?;
    if case.join("pre_epoch.ssz_snappy").exists() {
        run_and_compare(
            case,
            fork,
            "pre_epoch.ssz_snappy",
            "post_epoch.ssz_snappy",
            |s| process_epoch(s, &spec),
        )
        .map_err(|e| format!("whole process_epoch: {e}"))?;
    }
    Ok(())
}

fn run_handler(handler: &str) {
    let mut summary = Summary::new(format!("epoch_processing/{handler}"));
    for fork in FORKS {
        let dir = vectors_dir()
            .join("consensus-spec-tests/tests/minimal")
            .join(fork.as_str())
            .join("epoch_processing")
            .join(handler)
            .join("pyspec_tests");
        for case in subdirs(&dir) {
            let label = format!("{fork}/{}", name(&case));
            match sub_step(handler, fork) {
                Some(step) => summary.record(label, check_case(&case, fork, step)),
                None => summary.skip(label, "sub-step not implemented yet"),
            }
        }
    }
    summary.finish();
}

macro_rules! handler_tests {
    ($($handler:ident),* $(,)?) => {
        $(
            #[test]
            fn $handler() {
                run_handler(stringify!($handler));
            }
        )*
    };
}

handler_tests!(
    justification_and_finalization,
    inactivity_updates,
    rewards_and_penalties,
    registry_updates,
    slashings,
    eth1_data_reset,
    pending_deposits,
    pending_consolidations,
    effective_balance_updates,
    slashings_reset,
    randao_mixes_reset,
    historical_summaries_update,
    participation_flag_updates,
    sync_committee_updates,
    proposer_lookahead,
);

/// The fused `process_epoch` (what `process_epoch` runs) against the spec-ordered sub-steps one by one
/// (`process_epoch_per_step`), on the pre-state of every epoch_processing case and on the states of
/// `sanity/slots`, `random/random` and `finality/finality` (all forks): same outcome, same post-state, also
/// with the shared pass split over two threads; and the caches the fused path leaves for the new epoch
/// equal a recomputation once the slot advances.
#[test]
fn fused_process_epoch_matches_per_step() {
    let mut summary = Summary::new("process_epoch fused vs per step");
    let root = vectors_dir().join("consensus-spec-tests/tests/minimal");
    for fork in FORKS {
        let spec = minimal_spec(fork);
        let fork_dir = root.join(fork.as_str());
        let mut cases = vec![];
        for handler in subdirs(&fork_dir.join("epoch_processing")) {
            cases.extend(subdirs(&handler.join("pyspec_tests")));
        }
        for suite in ["sanity/slots", "random/random", "finality/finality"] {
            cases.extend(subdirs(&fork_dir.join(suite).join("pyspec_tests")));
        }
        for case in cases {
            let label = case
                .strip_prefix(&root)
                .map_or_else(|_| name(&case).to_string(), |p| p.display().to_string());
            summary.record(label, compare_fused(&case, fork, &spec));
        }
    }
    summary.finish();
}

fn compare_fused(case: &Path, fork: ForkName, spec: &ChainSpec) -> Result<(), String> {
    let Some(pre) = load_state(&case.join("pre.ssz_snappy"), fork)? else {
        return Err("pre missing".into());
    };
    let pre_copy = pre.clone();
    let mut fused = pre.clone();
    let mut caches = StateCaches::new();
    let fused_result = per_epoch::process_epoch_with_caches(&mut fused, spec, &mut caches);
    let mut per_step = pre;
    let per_step_result =
        per_epoch::process_epoch_per_step(&mut per_step, spec, &mut StateCaches::new());
    // The shared pass split over two threads, as on mainnet-size registries.
    let mut split = pre_copy;
    let split_result =
        per_epoch::process_epoch_single_pass_split(&mut split, spec, &mut StateCaches::new(), 0);
    match (fused_result, per_step_result, split_result) {
        (Ok(()), Ok(()), Ok(())) => {}
        (Err(_), Err(_), Err(_)) => return Ok(()),
        (f, p, s) => return Err(format!("fused {f:?}, per step {p:?}, split {s:?}")),
    }
    compare_states(&mut split, &mut per_step).map_err(|e| format!("split: {e}"))?;
    compare_states(&mut fused, &mut per_step)?;
    // The caches are for the next epoch (the pre-state need not be at an epoch's last slot).
    let slots_per_epoch = <types::MinimalEthSpec as types::EthSpec>::slots_per_epoch();
    *fused.slot_mut() = (fused.slot() / slots_per_epoch + 1) * slots_per_epoch;
    let progressive = caches
        .progressive_balances()
        .ok_or("no progressive balances left")?;
    let fresh = ProgressiveBalancesCache::new(&fused).map_err(|e| e.to_string())?;
    if *progressive != fresh {
        return Err(format!(
            "progressive balances {progressive:?} != recomputed {fresh:?}"
        ));
    }
    let validators = caches
        .epoch_validators()
        .ok_or("no effective-balance cache left")?;
    if *validators != EpochValidatorCache::new(&fused) {
        return Err("effective balances or slashed flags differ from the state".into());
    }
    Ok(())
}
