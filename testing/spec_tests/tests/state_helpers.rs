//! Vectors that check the state-transition helpers beneath block and epoch processing: `rewards` (the
//! flag and inactivity deltas), `fork` (the state upgrades), `sanity/slots` (`process_slots` with whole
//! epochs), and the expected withdrawals of `operations/withdrawals` (with the 1.7 withdrawal updates).

use crate::state_utils::{cases, compare_states, load_state, minimal_spec, State, FORKS};
use spec_tests::{name, read_ssz_snappy, read_yaml, vectors_dir, Summary};
use ssz::{Decode as _, Encode as _};
use ssz_derive::Decode;
use ssz_types::VariableList;
use state_processing::common::{
    apply_withdrawals, get_expected_withdrawals, get_flag_index_deltas,
    get_inactivity_penalty_deltas, update_next_withdrawal_index,
    update_next_withdrawal_validator_index, update_pending_partial_withdrawals,
};
use state_processing::per_slot::{process_slots, process_slots_with_caches};
use state_processing::upgrade::{upgrade_state, upgrade_to_capella};
use state_processing::StateCaches;
use std::path::Path;
use tree_hash::TreeHash as _;
use types::{
    BeaconStateBellatrix, EthSpec, ExecutionPayload, ForkName, ForkVersioned, MinimalEthSpec,
};

fn label(fork: ForkName, case: &Path) -> String {
    let suite = case.parent().map(name).unwrap_or_default();
    format!("{fork}/{suite}/{}", name(case))
}

/// The `Deltas` container of the rewards vectors.
#[derive(Decode, PartialEq, Debug)]
struct Deltas {
    rewards: VariableList<u64, <MinimalEthSpec as EthSpec>::ValidatorRegistryLimit>,
    penalties: VariableList<u64, <MinimalEthSpec as EthSpec>::ValidatorRegistryLimit>,
}

fn check_rewards(case: &Path, fork: ForkName) -> Result<(), String> {
    let spec = minimal_spec(fork);
    let state = load_state(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let expected = |file: &str| -> Result<Deltas, String> {
        let bytes = read_ssz_snappy(&case.join(file));
        <Deltas as ssz::Decode>::from_ssz_bytes(&bytes).map_err(|e| format!("{file}: {e:?}"))
    };
    let mut computed = vec![];
    for (flag, file) in ["source_deltas", "target_deltas", "head_deltas"]
        .iter()
        .enumerate()
    {
        let deltas = get_flag_index_deltas(&state, flag).map_err(|e| e.to_string())?;
        computed.push((format!("{file}.ssz_snappy"), deltas));
    }
    let inactivity = get_inactivity_penalty_deltas(&state, &spec).map_err(|e| e.to_string())?;
    computed.push(("inactivity_penalty_deltas.ssz_snappy".into(), inactivity));
    for (file, (rewards, penalties)) in computed {
        let want = expected(&file)?;
        if want.rewards.to_vec() != rewards || want.penalties.to_vec() != penalties {
            return Err(format!("{file} differs"));
        }
    }
    Ok(())
}

#[test]
fn rewards() {
    let mut summary = Summary::new("rewards");
    for fork in FORKS {
        for handler in ["basic", "leak", "random"] {
            for case in cases("minimal", fork, "rewards", handler) {
                summary.record(label(fork, &case), check_rewards(&case, fork));
            }
        }
    }
    summary.finish();
}

fn check_fork(case: &Path, fork: ForkName) -> Result<(), String> {
    let meta: serde_yaml::Value = read_yaml(&case.join("meta.yaml"));
    if meta["fork"].as_str() != Some(fork.as_str()) {
        return Err(format!("meta.yaml names fork {:?}", meta["fork"]));
    }
    let spec = minimal_spec(fork);
    let pre_path = case.join("pre.ssz_snappy");
    let mut state = match fork.previous() {
        Some(previous) => {
            let mut state = load_state(&pre_path, previous)?.ok_or("pre missing")?;
            upgrade_state(&mut state, fork, &spec).map_err(|e| format!("upgrade failed: {e}"))?;
            state
        }
        None => upgrade_to_capella(load_bellatrix_state(&pre_path)?, &spec),
    };
    let mut expected = load_state(&case.join("post.ssz_snappy"), fork)?.ok_or("post missing")?;
    compare_states(&mut state, &mut expected)?;
    if state != expected {
        return Err("same root, but the states differ".into());
    }
    Ok(())
}

/// Decode the Bellatrix pre-state of a `capella/fork` case, checking that it re-encodes to the same bytes
/// and that its root survives a second decode (there are no Bellatrix `ssz_static` vectors to check the
/// container against otherwise).
fn load_bellatrix_state(path: &Path) -> Result<BeaconStateBellatrix<MinimalEthSpec>, String> {
    let bytes = read_ssz_snappy(path);
    let decode = |bytes: &[u8]| {
        BeaconStateBellatrix::<MinimalEthSpec>::from_ssz_bytes(bytes)
            .map_err(|e| format!("decoding {}: {e:?}", path.display()))
    };
    let state = decode(&bytes)?;
    let encoded = state.as_ssz_bytes();
    if encoded != bytes {
        return Err("the Bellatrix pre-state does not re-encode to its bytes".into());
    }
    if decode(&encoded)?.tree_hash_root() != state.tree_hash_root() {
        return Err("the Bellatrix pre-state's root changes on re-decoding".into());
    }
    Ok(state)
}

#[test]
fn fork() {
    let mut summary = Summary::new("fork");
    for fork in FORKS {
        for case in cases("minimal", fork, "fork", "fork") {
            summary.record(label(fork, &case), check_fork(&case, fork));
        }
    }
    summary.finish();
}

fn check_slots(case: &Path, fork: ForkName) -> Result<(), String> {
    let spec = minimal_spec(fork);
    let pre = load_state(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let mut expected = load_state(&case.join("post.ssz_snappy"), fork)?.ok_or("post missing")?;
    let slots: u64 = read_yaml(&case.join("slots.yaml"));
    let target = pre.slot() + slots;
    let mut state = pre.clone();
    process_slots(&mut state, target, &spec).map_err(|e| format!("process_slots: {e}"))?;
    compare_states(&mut state, &mut expected)?;
    // Again with prepared caches, which epoch processing must keep consistent.
    let mut state = pre;
    let mut caches = StateCaches::build(&state).map_err(|e| e.to_string())?;
    process_slots_with_caches(&mut state, target, &spec, &mut caches)
        .map_err(|e| format!("process_slots_with_caches: {e}"))?;
    caches.prepare(&state).map_err(|e| e.to_string())?;
    compare_states(&mut state, &mut expected).map_err(|e| format!("with caches: {e}"))
}

#[test]
fn sanity_slots() {
    let mut summary = Summary::new("sanity/slots");
    for fork in FORKS {
        for case in cases("minimal", fork, "sanity", "slots") {
            summary.record(label(fork, &case), check_slots(&case, fork));
        }
    }
    summary.finish();
}

/// `process_withdrawals` from the helpers: the payload must carry exactly the expected withdrawals.
fn check_withdrawals(case: &Path, fork: ForkName) -> Result<(), String> {
    let mut state: State = load_state(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let expected_post = load_state(&case.join("post.ssz_snappy"), fork)?;
    let bytes = read_ssz_snappy(&case.join("execution_payload.ssz_snappy"));
    let payload = ExecutionPayload::<MinimalEthSpec>::from_ssz_bytes_by_fork(&bytes, fork)
        .map_err(|e| format!("payload: {e:?}"))?;
    let outcome = (|| -> state_processing::Result<bool> {
        let expected = get_expected_withdrawals(&state)?;
        if payload.withdrawals().to_vec() != expected.withdrawals {
            return Ok(false);
        }
        apply_withdrawals(&mut state, &expected.withdrawals)?;
        update_next_withdrawal_index(&mut state, &expected.withdrawals)?;
        if fork.electra_enabled() {
            update_pending_partial_withdrawals(
                &mut state,
                expected.processed_partial_withdrawals_count,
            )?;
        }
        update_next_withdrawal_validator_index(&mut state, &expected.withdrawals)?;
        Ok(true)
    })();
    match (outcome, expected_post) {
        (Ok(true), Some(mut post)) => compare_states(&mut state, &mut post),
        (Ok(false), Some(_)) => Err("payload withdrawals differ from the expected ones".into()),
        (Err(e), Some(_)) => Err(format!("failed: {e}")),
        (Ok(true), None) => Err("valid, but the case expects failure".into()),
        (Ok(false) | Err(_), None) => Ok(()),
    }
}

#[test]
fn expected_withdrawals() {
    let mut summary = Summary::new("operations/withdrawals (helpers)");
    for fork in FORKS {
        for case in cases("minimal", fork, "operations", "withdrawals") {
            summary.record(label(fork, &case), check_withdrawals(&case, fork));
        }
    }
    summary.finish();
}

/// `process_slots` runs the upgrades `spec` schedules, oldest first, even several at one epoch: the
/// result equals advancing to each fork epoch under the old fork and upgrading by hand.
#[test]
fn process_slots_runs_scheduled_upgrades() {
    let case = vectors_dir()
        .join("consensus-spec-tests/tests/minimal/capella/sanity/slots/pyspec_tests/slots_1");
    let pre = load_state(&case.join("pre.ssz_snappy"), ForkName::Capella)
        .unwrap()
        .expect("pre state");
    let slots_per_epoch = MinimalEthSpec::slots_per_epoch();
    let epoch = pre.slot() / slots_per_epoch;
    let mut spec = minimal_spec(ForkName::Capella);
    spec.deneb_fork_epoch = epoch + 1;
    spec.electra_fork_epoch = epoch + 2;
    spec.fulu_fork_epoch = epoch + 2;

    let mut scheduled = pre.clone();
    process_slots(&mut scheduled, (epoch + 3) * slots_per_epoch, &spec).unwrap();
    assert_eq!(scheduled.fork_name(), ForkName::Fulu);
    assert_eq!(scheduled.fork().epoch, epoch + 2);
    assert_eq!(scheduled.fork().previous_version, spec.electra_fork_version);

    let mut manual = pre;
    process_slots(
        &mut manual,
        (epoch + 1) * slots_per_epoch,
        &minimal_spec(ForkName::Capella),
    )
    .unwrap();
    upgrade_state(&mut manual, ForkName::Deneb, &spec).unwrap();
    process_slots(
        &mut manual,
        (epoch + 2) * slots_per_epoch,
        &minimal_spec(ForkName::Deneb),
    )
    .unwrap();
    upgrade_state(&mut manual, ForkName::Electra, &spec).unwrap();
    upgrade_state(&mut manual, ForkName::Fulu, &spec).unwrap();
    process_slots(
        &mut manual,
        (epoch + 3) * slots_per_epoch,
        &minimal_spec(ForkName::Fulu),
    )
    .unwrap();
    compare_states(&mut scheduled, &mut manual).unwrap();
}
