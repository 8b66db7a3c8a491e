//! (e) Resident memory of mainnet-size Fulu states (2^20 validators; see `common/mod.rs`), without
//! criterion: prints the process's `VmRSS` (from `/proc/self/status`, Linux only) at each step.
//! Run with `cargo bench -p state_processing --bench memory`.
//!
//! Figures: the RSS before building, after building one state with its tree hash cached (the
//! build's temporary vectors are freed by then, though the allocator may keep some pages), and after
//! 32 clones of it, each with 1,000 balances and 100 validators modified, advanced by one slot (mid
//! epoch) and re-rooted, and finally after one more clone run through an epoch transition. The clones
//! share every unmodified subtree with the original (milhouse), so the deltas are the cost of the
//! copies' changed paths and their hashes. An epoch transition rewrites most balances, participation
//! and inactivity scores, so such a state shares much less with its parent.

mod common;

use common::{build_state, modify, spec};
use state_processing::process_slots;
use types::EthSpec;

fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that does not match "memory" skips this binary.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args
        .iter()
        .any(|a| !a.starts_with('-') && !"memory".contains(a.as_str()))
    {
        return;
    }
    let Some(before) = vm_rss_kib() else {
        println!("memory: /proc/self/status not readable; skipped");
        return;
    };
    let spec = spec();
    let mut state = build_state(&spec);
    let epoch_end = state.clone();
    // Mid-epoch, so that the clones' slot advance is not an epoch transition.
    *state.slot_mut() -= types::MainnetEthSpec::slots_per_epoch() / 2;
    if let Err(e) = state.update_tree_hash_cache() {
        println!("memory: tree hash failed: {e:?}");
        return;
    }
    let one = vm_rss_kib().unwrap_or(0);
    println!(
        "memory: RSS before {:.0} MiB; with one 2^20-validator state (tree hash cached) {:.0} MiB \
         (+{:.0} MiB)",
        mib(before),
        mib(one),
        mib(one.saturating_sub(before))
    );
    let mut clones = Vec::with_capacity(32);
    for seed in 0..32u64 {
        let mut s = state.clone();
        modify(&mut s, seed + 100, 1_000, 100);
        let slot = s.slot() + 1;
        if let Err(e) = process_slots(&mut s, slot, &spec) {
            println!("memory: process_slots failed: {e}");
            return;
        }
        if let Err(e) = s.update_tree_hash_cache() {
            println!("memory: tree hash failed: {e:?}");
            return;
        }
        clones.push(s);
    }
    let all = vm_rss_kib().unwrap_or(0);
    println!(
        "memory: with 32 modified clones as well {:.0} MiB (+{:.0} MiB for the clones, {:.1} MiB each)",
        mib(all),
        mib(all.saturating_sub(one)),
        mib(all.saturating_sub(one)) / 32.0
    );
    let mut epoch = epoch_end.clone();
    let slot = epoch.slot() + 1;
    if let Err(e) = process_slots(&mut epoch, slot, &spec) {
        println!("memory: process_slots failed: {e}");
        return;
    }
    if let Err(e) = epoch.update_tree_hash_cache() {
        println!("memory: tree hash failed: {e:?}");
        return;
    }
    let after_epoch = vm_rss_kib().unwrap_or(0);
    println!(
        "memory: plus one clone through an epoch transition {:.0} MiB (+{:.0} MiB)",
        mib(after_epoch),
        mib(after_epoch.saturating_sub(all))
    );
    drop(clones);
    drop(epoch);
}
