//! A run: the devnet started, then a timeline of the scenario's actions (half a slot before their
//! slot, so a fault is in place when the proposal starts) and of per-slot observations (each slot
//! once it is over), until the last epoch ends or a stop is asked; then the final state, every
//! process stopped, and the summary.

use crate::binaries::Binaries;
use crate::monitor::{format_record, now_ms, Monitor, SlotRecord};
use crate::network::{Devnet, NetworkOptions};
use crate::output::Display;
use crate::scenario::{Action, Op, Scenario, Target};
use crate::summary::{ActionReport, Summary};
use crate::testnet::SLOTS_PER_EPOCH;
use crate::Error;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;

/// How a run is set up.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub network: NetworkOptions,
    /// Epochs to run; 0: until stopped.
    pub epochs: u64,
    /// Keep the directory (always kept when the run fails).
    pub keep: bool,
    /// No progress output (a test reads the summary).
    pub quiet: bool,
}

/// What happens next on the timeline.
#[derive(Debug)]
enum Step {
    Act(Action),
    Observe(u64),
}

/// A stop request: set to `true` by a signal handler (or a test).
pub type StopSignal = watch::Receiver<bool>;

/// Runs a devnet with `scenario`; the summary is returned also when the run ended early or a process
/// died (then it says so and has not passed). `Err` only when the devnet could not start.
pub async fn run(
    options: &RunOptions,
    binaries: &Binaries,
    scenario: &Scenario,
    mut stop: StopSignal,
) -> Result<Summary, Error> {
    // Slot 0 is genesis: nothing to observe. Open-ended runs extend the timeline as they go.
    let last_slot = (options.epochs > 0).then(|| options.epochs * SLOTS_PER_EPOCH - 1);
    let display = Display::new(last_slot.unwrap_or(0), options.quiet);
    if binaries.vc.is_none() {
        display.line(
            "devnet: no vc binary in the workspace yet: running without validators (nothing is proposed)",
        );
    }
    // A stop during the start drops the half-started devnet, which stops what it started.
    let mut network = options.network.clone();
    network.bn_args.extend(scenario.bn_args.iter().cloned());
    network.full_payload_builders |= scenario.full_payload_builders;
    let mut devnet = tokio::select! {
        started = Devnet::start(&network, binaries) => started?,
        _ = stop.changed() => {
            return Err(Error::Stopped);
        }
    };
    if options.keep {
        devnet.remove_dir = false;
    }
    let timing = devnet.timing;
    display.line(&format!(
        "devnet: {} in {}; genesis at {} ({} ms slots, forks {}), {} validators; bn {}",
        scenario.name,
        devnet.dir.display(),
        timing.genesis_time,
        timing.slot_ms,
        describe_forks(&devnet),
        options.network.validators,
        devnet.bn_url
    ));
    let mut monitor = Monitor::start(
        devnet.client.clone(),
        devnet.relays.clone(),
        timing,
        devnet.forks,
    );
    let admin = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| Error::Setup(e.to_string()))?;

    if !scenario.bn_args.is_empty() {
        display.line(&format!("devnet: bn {}", scenario.bn_args.join(" ")));
    }
    let mut pending: Vec<Action> = scenario.actions.clone();
    let mut seed = None;
    if let Some(restarts) = &scenario.restarts {
        let (actions, used) = random_restarts(restarts, &timing);
        display.line(&format!(
            "devnet: {} kill -9 at random moments of slots {}..={}, seed {used}",
            restarts.count, restarts.from_slot, restarts.to_slot
        ));
        pending.extend(actions);
        seed = Some(used);
    }
    pending.sort_by_key(|a| a.due_ms(&timing));
    let mut pending = std::collections::VecDeque::from(pending);
    let checks_signing = scenario
        .expectations
        .contains(&crate::scenario::Expectation::NoDoubleSigning);
    let mut committees = crate::safety::Committees::default();
    let mut next_observe = 1u64;
    let mut records: Vec<SlotRecord> = Vec::new();
    let mut reports: Vec<ActionReport> = Vec::new();
    let mut latest = String::new();
    let ended = loop {
        if last_slot.is_some_and(|l| next_observe > l) {
            break "completed".to_string();
        }
        // Late in the slot: its block is in (even one the builder timeout delayed), the next slot's
        // proposal has not started, so the node's counters since the last observation are this slot's.
        let observe_at = timing
            .slot_start_ms(next_observe + 1)
            .saturating_sub((timing.slot_ms / 8).min(250));
        let act_at = pending.front().map(|a| a.due_ms(&timing));
        let (at, step) = match act_at.filter(|at| *at <= observe_at) {
            Some(at) => match pending.pop_front() {
                Some(action) => (at, Step::Act(action)),
                None => (observe_at, Step::Observe(next_observe)),
            },
            None => (observe_at, Step::Observe(next_observe)),
        };
        let wait = Duration::from_millis(at.saturating_sub(now_ms()));
        display.status(
            next_observe.saturating_sub(1),
            &format!("slot {} now{latest}", current_slot(&timing)),
        );
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break "interrupted".to_string(),
        }
        if *stop.borrow() {
            break "interrupted".to_string();
        }
        match step {
            Step::Act(action) => {
                let result = act(&mut devnet, &admin, &action).await;
                let when = match action.at_ms {
                    Some(ms) => format!("{ms} ms into slot {}", action.slot),
                    None => format!("before slot {}", action.slot),
                };
                display.line(&format!("action {when}: {action} -> {result}"));
                reports.push(ActionReport {
                    slot: action.slot,
                    action: action.to_string(),
                    result,
                    builder_changes: Vec::new(),
                });
            }
            Step::Observe(slot) => {
                let record = monitor.observe(slot).await;
                if checks_signing {
                    // This epoch's (taken again until it works) and the one before, in case the
                    // node was down for all of its last slots.
                    let epoch = slot / SLOTS_PER_EPOCH;
                    for e in [epoch.saturating_sub(1), epoch] {
                        committees.remember(&devnet.client, e).await;
                    }
                }
                display.line(&format_record(&record));
                latest = match (
                    record.head_slot,
                    record.justified_epoch,
                    record.finalized_epoch,
                ) {
                    (Some(h), Some(j), Some(f)) => {
                        format!(" · head {h} · justified {j} finalized {f}")
                    }
                    _ => String::new(),
                };
                records.push(record);
                next_observe += 1;
                if let Err(e) = devnet.check_alive() {
                    display.line(&format!("devnet: {e}"));
                    break format!("error: {e}");
                }
            }
        }
    };
    display.finish();

    // The node's final word before it stops.
    let builders = monitor.builders().await.unwrap_or_else(|| {
        records
            .last()
            .map(|r| r.builders.clone())
            .unwrap_or_default()
    });
    let finality = monitor.finality().await;
    // The chain's side of the double-signing check, while the node still runs.
    let chain_check = if checks_signing && ended == "completed" {
        let mut blocks = monitor.all_blocks();
        for r in &records {
            if let Some(b) = &r.block {
                blocks.entry(r.slot).or_default().insert(b.root.clone());
            }
        }
        Some(
            crate::safety::check_chain(&devnet.client, &blocks, &committees, SLOTS_PER_EPOCH).await,
        )
    } else {
        None
    };
    drop(monitor);
    // What the node did while each group of same-slot actions was in place: the builder changes from
    // the observation before it to the one before the next group (or the end).
    // An action for slot S is in place from slot S on: the window runs from the observation of slot
    // S - 1 to that of the next group's slot - 1 (or the end). Same-slot actions are neighbours.
    let count = reports.len();
    let observed_at_end_of = |slot: u64| {
        records
            .iter()
            .rev()
            .find(|r| r.slot < slot)
            .map(|r| r.builders.clone())
            .unwrap_or_default()
    };
    for i in 0..count {
        let next = i + 1;
        if next < count && reports[next].slot == reports[i].slot {
            continue; // not the last action of its group
        }
        let before = observed_at_end_of(reports[i].slot);
        let after = match reports.get(next) {
            Some(r) => observed_at_end_of(r.slot),
            None => builders.clone(),
        };
        reports[i].builder_changes = changes(&before, &after);
    }
    let logs = devnet.logs();
    let starts = devnet.starts();
    let has_vc = devnet.has_vc();
    // The vc's side: its slashing protection, exported once it has stopped (it holds the database).
    let export_check = match (&chain_check, &binaries.vc) {
        (Some(_), Some(vc)) => {
            if let Some(process) = devnet.process_mut(&Target::Vc) {
                process.stop(crate::process::STOP_BOUND);
            }
            let (vc, dir, bn_url) = (vc.clone(), devnet.dir.clone(), devnet.bn_url.clone());
            let exported = tokio::task::spawn_blocking(move || {
                crate::safety::export_slashing_protection(
                    &vc,
                    &dir.join("vc"),
                    &bn_url,
                    &dir.join("slashing-protection.json"),
                )
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r);
            Some(exported.and_then(|json| crate::safety::check_interchange(&json)))
        }
        (Some(_), None) => Some(Err("no vc binary: nothing to export".into())),
        _ => None,
    };
    devnet.stop_all();
    let completed = ended == "completed";
    let mut summary = Summary::new(
        scenario, records, builders, finality, reports, completed, ended, has_vc,
    );
    if let (Some(chain), Some(export)) = (chain_check, export_check) {
        let ok = chain.is_ok() && export.is_ok();
        let detail = format!(
            "chain: {}; slashing protection export: {}",
            chain.unwrap_or_else(|e| format!("FAILED {e}")),
            export.unwrap_or_else(|e| format!("FAILED {e}"))
        );
        summary.settle(&crate::scenario::Expectation::NoDoubleSigning, ok, detail);
    }
    summary.seed = seed;
    if !summary.passed {
        devnet.remove_dir = false;
    }
    summary.dir = devnet.dir.display().to_string();
    summary.logs = logs
        .into_iter()
        .map(|(name, path)| {
            let restarts = starts
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, s)| s.saturating_sub(1))
                .unwrap_or(0);
            let shown = match restarts {
                0 => path.display().to_string(),
                n => format!("{} (restarted {n}x)", path.display()),
            };
            (name, shown)
        })
        .collect();
    summary.dir = if devnet.remove_dir {
        format!("{} (removed at exit; --keep keeps it)", summary.dir)
    } else {
        format!("{} (kept)", summary.dir)
    };
    Ok(summary)
}

/// The kills of `restarts` as actions: the range of slots cut into `count` equal parts, in each a
/// kill -9 of a random target at a random moment, and its start after a random pause of up to half a
/// slot. Returns the actions and the seed used.
pub fn random_restarts(
    restarts: &crate::scenario::RandomRestarts,
    timing: &crate::testnet::Timing,
) -> (Vec<Action>, u64) {
    let seed = restarts
        .seed
        .unwrap_or_else(|| now_ms() ^ u64::from(std::process::id()) << 32);
    let mut rng = SplitMix(seed);
    let slot_ms = timing.slot_ms.max(1);
    let first = restarts.from_slot * slot_ms;
    let span = (restarts.to_slot + 1 - restarts.from_slot) * slot_ms;
    let part = span / restarts.count.max(1);
    let max_pause = slot_ms / 2;
    let at = |ms: u64| (ms / slot_ms, Some(ms % slot_ms));
    let mut actions = Vec::new();
    for i in 0..restarts.count {
        let target = restarts.targets[rng.below(restarts.targets.len() as u64) as usize].clone();
        let room = part.saturating_sub(max_pause + 100).max(1);
        let kill_ms = first + i * part + rng.below(room);
        let start_ms = kill_ms + 100 + rng.below(max_pause);
        let (slot, at_ms) = at(kill_ms);
        actions.push(Action {
            slot,
            at_ms,
            target: target.clone(),
            op: Op::Kill,
        });
        let (slot, at_ms) = at(start_ms);
        actions.push(Action {
            slot,
            at_ms,
            target,
            op: Op::Start,
        });
    }
    (actions, seed)
}

/// SplitMix64: a small seeded generator, enough to place kills reproducibly.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// Carries out one action; its result for the report (`ok` or the error).
async fn act(devnet: &mut Devnet, admin: &reqwest::Client, action: &Action) -> String {
    let faults_url = |devnet: &Devnet| -> Option<url::Url> {
        let base = match &action.target {
            Target::Relay(i) => devnet.relay_urls.get(*i)?,
            Target::El => &devnet.el_url,
            _ => return None,
        };
        base.join("admin/faults").ok()
    };
    let outcome: Result<(), String> = match &action.op {
        Op::SetFaults(_) | Op::ResetFaults => match faults_url(devnet) {
            Some(url) => {
                let request = match &action.op {
                    Op::SetFaults(body) => admin.post(url).json(body),
                    _ => admin.delete(url),
                };
                match request.send().await {
                    Ok(r) if r.status().is_success() => Ok(()),
                    Ok(r) => {
                        let status = r.status();
                        let text = r.text().await.unwrap_or_default();
                        Err(format!("{status}: {}", text.trim()))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            None => Err(format!("{} has no fault switches", action.target)),
        },
        Op::Kill => devnet.kill(&action.target).map_err(|e| e.to_string()),
        Op::Start => devnet.restart(&action.target).map_err(|e| e.to_string()),
        Op::Restart => devnet
            .kill(&action.target)
            .and_then(|()| devnet.restart(&action.target))
            .map_err(|e| e.to_string()),
    };
    match outcome {
        Ok(()) => "ok".into(),
        Err(e) => format!("failed: {e}"),
    }
}

/// The builder states and counters that differ between two observations.
fn changes(
    before: &[crate::monitor::BuilderView],
    after: &[crate::monitor::BuilderView],
) -> Vec<String> {
    after
        .iter()
        .filter_map(|b| {
            let old = before.iter().find(|o| o.name == b.name);
            let mut parts = Vec::new();
            if old.map(|o| o.short()) != Some(b.short()) {
                parts.push(format!("now {}", b.short()));
            }
            for (k, v) in &b.counters {
                let was = old.and_then(|o| o.counters.get(k)).copied().unwrap_or(0);
                if *v > was {
                    parts.push(format!("{k} +{}", v - was));
                }
            }
            (!parts.is_empty()).then(|| format!("{}: {}", b.name, parts.join(", ")))
        })
        .collect()
}

fn current_slot(timing: &crate::testnet::Timing) -> u64 {
    now_ms().saturating_sub(timing.genesis_time * 1000) / timing.slot_ms.max(1)
}

fn describe_forks(devnet: &Devnet) -> String {
    let f = devnet.forks;
    let epoch = |e: u64| {
        if e == crate::testnet::FAR_FUTURE_EPOCH {
            "never".to_string()
        } else {
            e.to_string()
        }
    };
    format!(
        "capella 0, deneb {}, electra {}, fulu {}",
        epoch(f.deneb),
        epoch(f.electra),
        epoch(f.fulu)
    )
}

/// A stop signal that SIGINT, SIGTERM or SIGHUP sets; the sender is kept by the handler task.
pub fn stop_on_signals() -> Result<StopSignal, Error> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = watch::channel(false);
    let kinds = [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
    ];
    let mut streams = Vec::new();
    for kind in kinds {
        streams.push(signal(kind).map_err(|e| Error::Setup(format!("cannot catch signals: {e}")))?);
    }
    tokio::spawn(async move {
        let [mut a, mut b, mut c] = <[_; 3]>::try_from(streams).ok()?;
        tokio::select! {
            _ = a.recv() => {}
            _ = b.recv() => {}
            _ = c.recv() => {}
        }
        tx.send(true).ok()
    });
    Ok(rx)
}

/// A stop signal nothing sets (the sender is leaked on purpose so `changed()` never fires).
pub fn never_stop() -> StopSignal {
    let (tx, rx) = watch::channel(false);
    std::mem::forget(tx);
    rx
}

/// Writes the summary as JSON.
pub fn write_json(summary: &Summary, path: &PathBuf) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(summary).map_err(|e| Error::Io(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}
