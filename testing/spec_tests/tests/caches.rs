//! `state_processing::caches` against the spec-direct functions, on real vector states: every committee
//! of the previous, current and next epochs, the active sets, total active balance, proposers, pubkey
//! lookups, and the attesting indices of every `operations/attestation` case.

use crate::blocks::check_epoch_caches;
use crate::state_utils::{load_state, minimal_spec, State, FORKS};
use spec_tests::{name, read_ssz_snappy, read_yaml, subdirs, vectors_dir, Summary};
use state_processing::common::{
    get_active_validator_indices, get_attesting_indices, get_beacon_committee,
    get_beacon_proposer_index, get_committee_count_per_slot, get_current_epoch, get_previous_epoch,
    get_total_active_balance, AttestationRef,
};
use state_processing::per_block::{
    process_block_with_caches, Attestations, BlockBody, VerifySignatures,
};
use state_processing::{process_slots_with_caches, StateCaches};
use std::path::Path;
use types::{
    AttestationBase, AttestationElectra, BeaconBlock, EthSpec, ForkName, MinimalEthSpec,
    PublicKeyBytes, SignedBeaconBlock, SignedVoluntaryExit, VoluntaryExit,
};

fn check_state(state: &State) -> Result<(), String> {
    let err = |e: state_processing::StateError| e.to_string();
    let caches = StateCaches::build(state).map_err(err)?;
    let empty = StateCaches::new();
    let current = get_current_epoch(state);
    for epoch in [get_previous_epoch(state), current, current + 1] {
        let cache = caches
            .committee_cache(epoch)
            .ok_or(format!("no committee cache for epoch {epoch}"))?;
        if cache.active_validator_indices() != get_active_validator_indices(state, epoch) {
            return Err(format!("active indices differ at epoch {epoch}"));
        }
        let count = get_committee_count_per_slot(state, epoch);
        if caches.get_committee_count_per_slot(state, epoch) != count {
            return Err(format!("committee count differs at epoch {epoch}"));
        }
        let start = epoch * MinimalEthSpec::slots_per_epoch();
        for slot in start..start + MinimalEthSpec::slots_per_epoch() {
            for index in 0..=count {
                let direct = get_beacon_committee(state, slot, index);
                let cached = caches.get_beacon_committee(state, slot, index);
                let fallback = empty.get_beacon_committee(state, slot, index);
                match (direct, cached, fallback) {
                    (Ok(d), Ok(c), Ok(f)) if d == *c && d == *f => {}
                    (Err(_), Err(_), Err(_)) if index == count => {}
                    _ => return Err(format!("committee {index} of slot {slot} differs")),
                }
            }
        }
    }
    let total = get_total_active_balance(state).map_err(err)?;
    if caches.get_total_active_balance(state).map_err(err)? != total {
        return Err("total active balance differs".into());
    }
    let proposer = get_beacon_proposer_index(state).map_err(err)?;
    if caches.get_beacon_proposer_index(state).map_err(err)? != proposer {
        return Err("proposer differs".into());
    }
    for (i, v) in state.validators().iter().enumerate() {
        if caches.find_validator_index(state, &v.pubkey) != Some(i as u64)
            && state.validators().iter().position(|w| w.pubkey == v.pubkey) == Some(i)
        {
            return Err(format!("pubkey of validator {i} not found"));
        }
    }
    if caches
        .find_validator_index(state, &PublicKeyBytes::empty())
        .is_some()
    {
        return Err("found an unknown pubkey".into());
    }
    Ok(())
}

fn check_attestation(case: &Path, fork: ForkName) -> Result<(), String> {
    let state = load_state(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let bytes = read_ssz_snappy(&case.join("attestation.ssz_snappy"));
    let caches = StateCaches::build(&state).map_err(|e| e.to_string())?;
    let decode_err = |e: ssz::DecodeError| format!("attestation: {e:?}");
    let compare = |attestation: AttestationRef<'_, MinimalEthSpec>| -> Result<(), String> {
        let direct = get_attesting_indices(&state, attestation);
        let cached = caches.get_attesting_indices(&state, attestation);
        match (direct, cached) {
            (Ok(d), Ok(c)) if d == c => Ok(()),
            (Err(_), Err(_)) => Ok(()),
            (d, c) => Err(format!("attesting indices differ: {d:?} vs {c:?}")),
        }
    };
    if fork.electra_enabled() {
        let a: AttestationElectra<MinimalEthSpec> =
            ssz::Decode::from_ssz_bytes(&bytes).map_err(decode_err)?;
        compare(AttestationRef::Electra(&a))
    } else {
        let a: AttestationBase<MinimalEthSpec> =
            ssz::Decode::from_ssz_bytes(&bytes).map_err(decode_err)?;
        compare(AttestationRef::Base(&a))
    }
}

#[test]
fn caches_match_spec_functions() {
    let mut summary = Summary::new("caches");
    let root = vectors_dir().join("consensus-spec-tests/tests/minimal");
    for fork in FORKS {
        let fork_dir = root.join(fork.as_str());
        for handler in [
            "sanity/slots",
            "epoch_processing/registry_updates",
            "random/random",
        ] {
            for case in subdirs(&fork_dir.join(handler).join("pyspec_tests")) {
                let label = format!("{fork}/{handler}/{}", name(&case));
                let result = load_state(&case.join("pre.ssz_snappy"), fork).and_then(|s| match s {
                    Some(state) => check_state(&state),
                    None => Ok(()),
                });
                summary.record(label, result);
            }
        }
        for case in subdirs(&fork_dir.join("operations/attestation/pyspec_tests")) {
            let label = format!("{fork}/attestation/{}", name(&case));
            summary.record(label, check_attestation(&case, fork));
        }
    }
    summary.finish();
}

/// Timings on a mainnet-preset Fulu state grown to 2^20 active validators (run with
/// `cargo test --release -p spec_tests --test main -- --ignored mainnet_size --nocapture`).
#[test]
#[ignore = "slow: a timing run on a mainnet-size state"]
fn mainnet_size_timings() {
    use state_processing::common::get_next_sync_committee_indices;
    use state_processing::{process_epoch_with_caches, process_slot};
    use std::time::Instant;
    use types::{BeaconState, ForkVersioned, MainnetEthSpec};

    let case = vectors_dir()
        .join("consensus-spec-tests/tests/mainnet/fulu/sanity/blocks/pyspec_tests/attestation");
    let bytes = read_ssz_snappy(&case.join("pre.ssz_snappy"));
    let mut state =
        BeaconState::<MainnetEthSpec>::from_ssz_bytes_by_fork(&bytes, ForkName::Fulu).unwrap();
    let template = state.validators().get(0).unwrap().clone();
    let target = 1 << 20;
    while state.validators().len() < target {
        let mut v = template.clone();
        v.pubkey.0[47] ^= (state.validators().len() % 251) as u8;
        state.validators_mut().push(v).unwrap();
        state.balances_mut().push(32_000_000_000).unwrap();
        state
            .previous_epoch_participation_mut()
            .push(0b111)
            .unwrap();
        state.current_epoch_participation_mut().push(0b111).unwrap();
        state.inactivity_scores_mut().push(0).unwrap();
    }
    let time = |what: &str, start: Instant| println!("{what}: {:?}", start.elapsed());

    let start = Instant::now();
    state.update_tree_hash_cache().unwrap();
    time("first state root", start);
    let start = Instant::now();
    let mut caches = StateCaches::build(&state).unwrap();
    time("StateCaches::build", start);
    let start = Instant::now();
    get_next_sync_committee_indices(&state).unwrap();
    time("get_next_sync_committee_indices", start);
    let start = Instant::now();
    for slot in 0..MinimalEthSpec::slots_per_epoch() {
        caches
            .get_beacon_committee(&state, state.slot() - slot % 2, 0)
            .unwrap();
    }
    time("cached committees", start);
    // Advance to the epoch's last slot, then time the epoch transition.
    let last = (state.slot() / 32 + 1) * 32 - 1;
    while state.slot() < last {
        process_slot(&mut state).unwrap();
        *state.slot_mut() += 1;
    }
    let start = Instant::now();
    process_slot(&mut state).unwrap();
    time("process_slot", start);
    let spec = types::ChainSpec::mainnet();
    let mut steps = state.clone();
    {
        use state_processing::per_epoch::*;
        let s = &mut steps;
        let start = Instant::now();
        process_justification_and_finalization(s).unwrap();
        time("  justification_and_finalization", start);
        let start = Instant::now();
        process_inactivity_updates(s, &spec).unwrap();
        time("  inactivity_updates", start);
        let start = Instant::now();
        process_rewards_and_penalties(s, &spec).unwrap();
        time("  rewards_and_penalties", start);
        let start = Instant::now();
        process_registry_updates(s, &spec).unwrap();
        time("  registry_updates", start);
        let start = Instant::now();
        process_slashings(s).unwrap();
        time("  slashings", start);
        let start = Instant::now();
        process_pending_deposits(s, &spec, &mut caches.pubkeys.clone()).unwrap();
        time("  pending_deposits", start);
        let start = Instant::now();
        process_effective_balance_updates(s).unwrap();
        time("  effective_balance_updates", start);
        let start = Instant::now();
        process_participation_flag_updates(s).unwrap();
        time("  participation_flag_updates", start);
        let start = Instant::now();
        process_proposer_lookahead(s).unwrap();
        time("  proposer_lookahead", start);
    }
    let start = Instant::now();
    process_epoch_with_caches(&mut state, &spec, &mut caches).unwrap();
    time("process_epoch", start);
    let start = Instant::now();
    state.update_tree_hash_cache().unwrap();
    time("state root after the epoch", start);
}

/// `blocks_count` of a `sanity/blocks` case.
#[derive(serde::Deserialize)]
struct BlocksMeta {
    blocks_count: usize,
}

/// `block` with one more voluntary exit, of a validator that does not exist: the block then fails in
/// `process_voluntary_exit`, after its attestations have set flags (and moved the progressive balances).
fn with_bad_exit(
    block: &BeaconBlock<MinimalEthSpec>,
) -> Result<BeaconBlock<MinimalEthSpec>, String> {
    let exit = SignedVoluntaryExit {
        message: VoluntaryExit {
            epoch: 0,
            validator_index: u64::MAX,
        },
        signature: Default::default(),
    };
    let mut block = block.clone();
    let exits = match &mut block {
        BeaconBlock::Capella(b) => &mut b.body.voluntary_exits,
        BeaconBlock::Deneb(b) => &mut b.body.voluntary_exits,
        BeaconBlock::Electra(b) => &mut b.body.voluntary_exits,
        BeaconBlock::Fulu(b) => &mut b.body.voluntary_exits,
    };
    exits.push(exit).map_err(|e| format!("{e:?}"))?;
    Ok(block)
}

/// Run the blocks of a valid `sanity/blocks` case with one `StateCaches`; before each block that
/// carries attestations, first run a failing copy of it on a clone of the state: the caches must then
/// still match the state the caller keeps. Returns how many failing blocks were tried.
fn check_failed_blocks(case: &Path, fork: ForkName) -> Result<usize, String> {
    let meta: BlocksMeta = read_yaml(&case.join("meta.yaml"));
    let spec = minimal_spec(fork);
    let err = |e: state_processing::StateError| e.to_string();
    let mut state = load_state(&case.join("pre.ssz_snappy"), fork)?.ok_or("pre missing")?;
    let mut caches = StateCaches::new();
    let mut tried = 0;
    for i in 0..meta.blocks_count {
        let bytes = read_ssz_snappy(&case.join(format!("blocks_{i}.ssz_snappy")));
        let block = SignedBeaconBlock::<MinimalEthSpec>::from_ssz_bytes_with_spec(&bytes, &spec)
            .map_err(|e| format!("decoding blocks_{i}: {e:?}"))?
            .message_enum();
        if state.slot() < block.slot() {
            process_slots_with_caches(&mut state, block.slot(), &spec, &mut caches).map_err(err)?;
        }
        let attestations = match block.body_ref().attestations() {
            Attestations::Base(a) => a.len(),
            Attestations::Electra(a) => a.len(),
        };
        if attestations > 0 {
            let bad = with_bad_exit(&block)?;
            let mut scratch = state.clone();
            let skip = VerifySignatures::Skip;
            if process_block_with_caches(&mut scratch, &bad, skip, true, &spec, &mut caches).is_ok()
            {
                return Err(format!(
                    "block {i} with an unknown exiting validator was accepted"
                ));
            }
            check_epoch_caches(&state, &caches)
                .map_err(|e| format!("after failed block {i}: {e}"))?;
            tried += 1;
        }
        process_block_with_caches(
            &mut state,
            &block,
            VerifySignatures::Skip,
            true,
            &spec,
            &mut caches,
        )
        .map_err(err)?;
        check_epoch_caches(&state, &caches).map_err(|e| format!("block {i}: {e}"))?;
    }
    Ok(tried)
}

/// A block that fails part-way leaves the caches matching the pre-block state (the state a caller
/// keeps), on every valid `sanity/blocks` case with attestations.
#[test]
fn caches_survive_a_failed_block() {
    let mut summary = Summary::new("caches after a failed block");
    let root = vectors_dir().join("consensus-spec-tests/tests/minimal");
    let mut tried = 0;
    for fork in FORKS {
        let dir = root.join(fork.as_str()).join("sanity/blocks/pyspec_tests");
        for case in subdirs(&dir) {
            if !case.join("post.ssz_snappy").exists() {
                continue;
            }
            let label = format!("{fork}/{}", name(&case));
            summary.record(label, check_failed_blocks(&case, fork).map(|n| tried += n));
        }
    }
    summary.finish();
    assert!(tried > 0, "no case had a block with attestations");
}
