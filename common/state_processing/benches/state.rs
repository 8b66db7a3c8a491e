//! Criterion benchmarks of the state transition on a mainnet-size Fulu state (2^20 validators; see
//! `common/mod.rs` for how it is built). Run with `cargo bench -p state_processing --bench state`.
//!
//! - (a) `process_epoch` at the last slot of an epoch (on a clone of the prepared state);
//! - (b) one empty slot advance inside an epoch (`process_slots` by one slot, then the state root);
//! - (c) full block processing: not here yet — it is to be added by the block-processing work, as
//!   another `bench_function` in `benches` below (on `prepared.state`, with a signed block);
//! - (d) the state root after modifying a few hundred balances and validators (incremental re-rooting).
//!
//! Memory (e) is measured by the `memory` bench binary (`benches/memory.rs`).

mod common;

use common::{build_state, modify, spec, E};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use state_processing::{process_epoch, process_epoch_with_caches, process_slots, StateCaches};
use std::time::Duration;
use types::{BeaconState, ChainSpec, EthSpec};

struct Prepared {
    spec: ChainSpec,
    /// At the last slot of epoch `common::EPOCH`, tree hash cached.
    state: BeaconState<E>,
    /// The same state a few slots earlier (not before an epoch boundary), tree hash cached.
    mid_epoch: BeaconState<E>,
}

fn prepare() -> Prepared {
    let spec = spec();
    let start = std::time::Instant::now();
    let state = build_state(&spec);
    eprintln!(
        "built a {}-validator Fulu state in {:?}",
        state.validators().len(),
        start.elapsed()
    );
    let mut mid_epoch = state.clone();
    *mid_epoch.slot_mut() -= E::slots_per_epoch() / 2;
    mid_epoch.update_tree_hash_cache().expect("tree hash");
    Prepared {
        spec,
        state,
        mid_epoch,
    }
}

/// One timed pass of each `process_epoch` step on a clone (printed, not a criterion measurement): shows
/// where (a)'s time goes.
fn epoch_breakdown(p: &Prepared) {
    use state_processing::per_epoch::*;
    use std::time::Instant;
    let mut s = p.state.clone();
    let spec = &p.spec;
    let mut caches = StateCaches::new();
    let mut step =
        |name: &str, f: &mut dyn FnMut(&mut BeaconState<E>) -> state_processing::Result<()>| {
            let start = Instant::now();
            f(&mut s).expect("epoch step");
            eprintln!("  process_epoch step {name}: {:?}", start.elapsed());
        };
    step("justification_and_finalization", &mut |s| {
        process_justification_and_finalization(s)
    });
    step("inactivity_updates", &mut |s| {
        process_inactivity_updates(s, spec)
    });
    step("rewards_and_penalties", &mut |s| {
        process_rewards_and_penalties(s, spec)
    });
    step("registry_updates", &mut |s| {
        process_registry_updates(s, spec)
    });
    step("slashings", &mut |s| process_slashings(s));
    step("eth1_data_reset", &mut |s| process_eth1_data_reset(s));
    step("pending_deposits", &mut |s| {
        process_pending_deposits(s, spec, &mut caches.pubkeys)
    });
    step("pending_consolidations", &mut |s| {
        process_pending_consolidations(s)
    });
    step("effective_balance_updates", &mut |s| {
        process_effective_balance_updates(s)
    });
    step("slashings_reset", &mut |s| process_slashings_reset(s));
    step("randao_mixes_reset", &mut |s| process_randao_mixes_reset(s));
    step("historical_summaries_update", &mut |s| {
        process_historical_summaries_update(s)
    });
    step("participation_flag_updates", &mut |s| {
        process_participation_flag_updates(s)
    });
    step("sync_committee_updates", &mut |s| {
        process_sync_committee_updates(s)
    });
    step("proposer_lookahead", &mut |s| process_proposer_lookahead(s));
    let start = Instant::now();
    s.update_tree_hash_cache().expect("state root");
    eprintln!("  state root after the epoch: {:?}", start.elapsed());
}

fn benches(c: &mut Criterion) {
    let p = prepare();
    epoch_breakdown(&p);
    let mut group = c.benchmark_group("mainnet_fulu_1m");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    // (a)
    group.bench_function("a_process_epoch", |b| {
        b.iter_batched(
            || p.state.clone(),
            |mut state| process_epoch(&mut state, &p.spec).expect("process_epoch"),
            BatchSize::LargeInput,
        )
    });
    let caches = StateCaches::build(&p.state).expect("caches");
    group.bench_function("a_process_epoch_with_warm_caches", |b| {
        b.iter_batched(
            || (p.state.clone(), caches.clone()),
            |(mut state, mut caches)| {
                process_epoch_with_caches(&mut state, &p.spec, &mut caches).expect("process_epoch")
            },
            BatchSize::LargeInput,
        )
    });

    // (b)
    group.bench_function("b_empty_slot_with_state_root", |b| {
        b.iter_batched(
            || p.mid_epoch.clone(),
            |mut state| {
                let slot = state.slot() + 1;
                process_slots(&mut state, slot, &p.spec).expect("process_slots");
                state.update_tree_hash_cache().expect("state root")
            },
            BatchSize::LargeInput,
        )
    });

    // (c) full block processing: added with block processing (see the module docs).

    // (d)
    group.bench_function("d_reroot_after_300_balances_200_validators", |b| {
        let mut seed = 0;
        b.iter_batched(
            || {
                seed += 1;
                let mut state = p.state.clone();
                modify(&mut state, seed, 300, 200);
                state
            },
            |mut state| state.update_tree_hash_cache().expect("state root"),
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(state, benches);
criterion_main!(state);
