//! Scenario files (TOML): a schedule of actions at slots (fault switches on the relays and the EE, kill
//! -9, start and restart of `bn` or `vc`) and the expectations a run must meet. The file is checked
//! whole before anything starts; a mistake is one line naming it.
//!
//! ```toml
//! name = "relay-a withholds"
//! epochs = 6                      # optional; --epochs wins
//! fork_epochs = "1,2,3"           # optional; --fork-epochs wins
//! slot_ms = 2000                  # optional; --slot-ms wins
//!
//! [[action]]
//! slot = 12                       # done half a slot before slot 12 starts
//! target = "relay-a"              # relay-a, relay-b, el, bn, vc
//! set_faults = { withhold_payload = true }   # or reset_faults = true; bn/vc: kill, start, restart = true
//!
//! [[expect]]
//! slot = 20
//! source = "local"                # local, builder, relay-a, relay-b, missed
//! [[expect]]
//! after_epoch = 1                 # from epoch 2 on, at every slot
//! builder = "relay-a"
//! state = "disabled"              # enabled or disabled
//! reason = "withheld"             # optional
//! [[expect]]
//! finalized_epoch_at_least = 3
//! ```
//!
//! Also: `{ from_slot = 10, to_slot = 20, source = "local" }` (every block of the range; with
//! `at_least = N` or `at_most = N`, at least or at most N of its slots; with `reason = "text"`, every
//! block from `source` explained by a reason containing the text), `{ source = "builder", at_least = 8 }`
//! (over the run), `{ missed_slots_at_most = 1 }`, `{ from_slot, to_slot, builder = "relay-a",
//! counter = "rejections.wrong_parent_hash", at_least = 1 }` (the node's counter for that builder went
//! up by at least N from the end of the slot before `from_slot` to the end of `to_slot`),
//! `{ finality_never_decreases = true }` and `{ no_double_signing = true }` (the chain's blocks and
//! attestations and the vc's slashing protection export hold no two conflicting messages of one
//! validator).
//!
//! Run-wide settings: `bn_args = ["--builder-fallback-skips", "1"]` (more `bn` flags),
//! `full_payload_builders = true` (two more mock relays: `rpc-builder`, asked over
//! `builder_getPayloadV1`, and `engine-builder`, over its engine-API face; they are targets and
//! sources like the relays),
//! `include = ["faults"]` (the actions and slot-bound expectations of each `*.toml` of that directory,
//! or of that file, relative to this one; run-wide expectations come from this file only), and
//! `[restarts] count = 20, targets = ["bn", "vc"], from_slot = 16, to_slot = 80, seed = 7` (kill -9 at
//! random moments, seeded; without `seed`, one from the clock; the seed is printed), each process
//! started again after a random pause of up to half a slot.
//!
//! An action may name the moment in its slot: `at_ms = 700` (default: half a slot before it starts).

use crate::testnet::{ForkEpochs, SLOTS_PER_EPOCH};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The builders' names: the relays in the node's `--payload-builder` order, then the full-payload
/// builders ([`FULL_BUILDER_NAMES`]), which run only with `full_payload_builders = true`.
pub const RELAY_NAMES: [&str; 4] = ["relay-a", "relay-b", "rpc-builder", "engine-builder"];
/// The full-payload builders among [`RELAY_NAMES`] (issue 14).
pub const FULL_BUILDER_NAMES: [&str; 2] = ["rpc-builder", "engine-builder"];

/// A checked scenario.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
    pub description: Option<String>,
    pub epochs: Option<u64>,
    pub fork_epochs: Option<ForkEpochs>,
    pub slot_ms: Option<u64>,
    pub actions: Vec<Action>,
    pub expectations: Vec<Expectation>,
    /// More `bn` flags (circuit breaker thresholds, bid policies).
    pub bn_args: Vec<String>,
    /// Also run an RPC builder and an engine builder (mock relays' full-payload faces).
    pub full_payload_builders: bool,
    /// Kills at random moments, expanded into actions when the run starts (slot length known).
    pub restarts: Option<RandomRestarts>,
}

/// `kill -9` of processes at random moments, each started again after a random pause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RandomRestarts {
    pub count: u64,
    pub targets: Vec<Target>,
    pub from_slot: u64,
    pub to_slot: u64,
    /// `None`: one from the clock (printed, so a failing run can be repeated).
    pub seed: Option<u64>,
}

/// What an action acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A relay, by its index in [`RELAY_NAMES`].
    Relay(usize),
    El,
    Bn,
    Vc,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Relay(i) => f.write_str(RELAY_NAMES.get(*i).copied().unwrap_or("relay-?")),
            Self::El => f.write_str("el"),
            Self::Bn => f.write_str("bn"),
            Self::Vc => f.write_str("vc"),
        }
    }
}

/// What is done.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `POST /admin/faults` with these switches (relays and mock-el).
    SetFaults(serde_json::Value),
    /// `DELETE /admin/faults`.
    ResetFaults,
    /// `kill -9`.
    Kill,
    /// Start a killed process again (same command line: the node resumes from its datadir).
    Start,
    /// `kill -9`, then start again at once.
    Restart,
}

/// One scheduled action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub slot: u64,
    /// Milliseconds into `slot`; `None`: half a slot before it starts.
    pub at_ms: Option<u64>,
    pub target: Target,
    pub op: Op,
}

impl Action {
    /// Unix milliseconds at which the action is due.
    pub fn due_ms(&self, timing: &crate::testnet::Timing) -> u64 {
        let start = timing.slot_start_ms(self.slot);
        match self.at_ms {
            Some(ms) => start + ms,
            None => start.saturating_sub(timing.slot_ms / 2),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.op {
            Op::SetFaults(v) => write!(f, "{} faults {v}", self.target),
            Op::ResetFaults => write!(f, "{} faults reset", self.target),
            Op::Kill => write!(f, "kill -9 {}", self.target),
            Op::Start => write!(f, "start {}", self.target),
            Op::Restart => write!(f, "kill -9 and restart {}", self.target),
        }
    }
}

/// Where a slot's payload came from, as expectations name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceMatch {
    Local,
    /// Any relay.
    Builder,
    /// One relay, by name.
    Relay(String),
    Missed,
}

impl SourceMatch {
    /// Whether a recorded source (`local`, `relay-a`, `builder`, `missed`, ...) matches.
    pub fn matches(&self, recorded: &str) -> bool {
        match self {
            Self::Local => recorded == "local",
            Self::Builder => recorded == "builder" || RELAY_NAMES.contains(&recorded),
            Self::Relay(name) => recorded == name,
            Self::Missed => recorded == "missed",
        }
    }
}

impl fmt::Display for SourceMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Local => f.write_str("local"),
            Self::Builder => f.write_str("builder"),
            Self::Relay(name) => f.write_str(name),
            Self::Missed => f.write_str("missed"),
        }
    }
}

/// What a run must show.
#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    SlotSource {
        slot: u64,
        source: SourceMatch,
    },
    /// Every block in the range from `source`, or at least `at_least` (at most `at_most`) of its
    /// slots; with `reason`, every block from `source` has a reason containing it.
    RangeSource {
        from: u64,
        to: u64,
        source: SourceMatch,
        at_least: Option<u64>,
        at_most: Option<u64>,
        reason: Option<String>,
    },
    /// A builder's counter went up by at least `at_least` (or at most `at_most`) over the slots.
    Counter {
        from: u64,
        to: u64,
        builder: String,
        counter: String,
        at_least: Option<u64>,
        at_most: Option<u64>,
    },
    /// The finalized epoch seen by the node never goes down from one slot's observation to a later one.
    FinalityNeverDecreases,
    /// No validator signed two conflicting messages: in the chain, and in the vc's slashing protection.
    NoDoubleSigning,
    /// At least `at_least` slots of the run from `source`.
    TotalSource {
        source: SourceMatch,
        at_least: u64,
    },
    /// From the epoch after `after_epoch` on, at every slot, the builder is in this state.
    BuilderState {
        after_epoch: u64,
        builder: String,
        disabled: bool,
        reason: Option<String>,
    },
    FinalizedEpochAtLeast(u64),
    MissedSlotsAtMost(u64),
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SlotSource { slot, source } => write!(f, "slot {slot} from {source}"),
            Self::RangeSource {
                from,
                to,
                source,
                at_least,
                at_most,
                reason,
            } => {
                match (at_least, at_most) {
                    (Some(n), _) => write!(f, "at least {n} of slots {from}..={to} from {source}")?,
                    (None, Some(n)) => {
                        write!(f, "at most {n} of slots {from}..={to} from {source}")?
                    }
                    (None, None) => write!(f, "slots {from}..={to} from {source}")?,
                }
                match reason {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
            Self::Counter {
                from,
                to,
                builder,
                counter,
                at_least,
                at_most,
            } => {
                let bound = match (at_least, at_most) {
                    (_, Some(n)) => format!("at most {n}"),
                    (n, None) => format!("at least {}", n.unwrap_or(1)),
                };
                write!(
                    f,
                    "{builder} {counter} up by {bound} over slots {from}..={to}"
                )
            }
            Self::FinalityNeverDecreases => f.write_str("finalized epoch never decreases"),
            Self::NoDoubleSigning => f.write_str("no validator signs two conflicting messages"),
            Self::TotalSource { source, at_least } => {
                write!(f, "at least {at_least} slots from {source}")
            }
            Self::BuilderState {
                after_epoch,
                builder,
                disabled,
                reason,
            } => {
                let state = if *disabled { "disabled" } else { "enabled" };
                write!(f, "{builder} {state} after epoch {after_epoch}")?;
                match reason {
                    Some(r) => write!(f, " ({r})"),
                    None => Ok(()),
                }
            }
            Self::FinalizedEpochAtLeast(e) => write!(f, "finalized epoch at least {e}"),
            Self::MissedSlotsAtMost(n) => write!(f, "at most {n} missed slots"),
        }
    }
}

impl Expectation {
    /// The last slot the expectation needs to have seen (`None`: the whole run).
    pub fn last_slot(&self) -> Option<u64> {
        match self {
            Self::SlotSource { slot, .. } => Some(*slot),
            Self::RangeSource { to, .. } | Self::Counter { to, .. } => Some(*to),
            Self::BuilderState { after_epoch, .. } => {
                Some((after_epoch.saturating_add(1)).saturating_mul(SLOTS_PER_EPOCH))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileScenario {
    name: Option<String>,
    description: Option<String>,
    epochs: Option<u64>,
    fork_epochs: Option<String>,
    slot_ms: Option<u64>,
    #[serde(default)]
    bn_args: Vec<String>,
    #[serde(default)]
    full_payload_builders: bool,
    #[serde(default)]
    include: Vec<String>,
    restarts: Option<FileRestarts>,
    #[serde(default)]
    action: Vec<FileAction>,
    #[serde(default)]
    expect: Vec<FileExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRestarts {
    count: u64,
    #[serde(default = "both_processes")]
    targets: Vec<String>,
    from_slot: u64,
    to_slot: u64,
    seed: Option<u64>,
}

fn both_processes() -> Vec<String> {
    vec!["bn".into(), "vc".into()]
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAction {
    slot: u64,
    at_ms: Option<u64>,
    target: String,
    set_faults: Option<toml::Table>,
    #[serde(default)]
    reset_faults: bool,
    #[serde(default)]
    kill: bool,
    #[serde(default)]
    start: bool,
    #[serde(default)]
    restart: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileExpect {
    slot: Option<u64>,
    from_slot: Option<u64>,
    to_slot: Option<u64>,
    source: Option<String>,
    at_least: Option<u64>,
    at_most: Option<u64>,
    counter: Option<String>,
    after_epoch: Option<u64>,
    builder: Option<String>,
    state: Option<String>,
    reason: Option<String>,
    finalized_epoch_at_least: Option<u64>,
    missed_slots_at_most: Option<u64>,
    #[serde(default)]
    finality_never_decreases: bool,
    #[serde(default)]
    no_double_signing: bool,
}

impl Scenario {
    /// Reads and checks a scenario file; the error is one line naming the file and the mistake.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (mut scenario, include) =
            Self::parse(&text, &stem).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for name in include {
            for file in included_files(&base.join(&name))? {
                let part = Self::from_file(&file)?;
                scenario.include(part);
            }
        }
        Ok(scenario)
    }

    /// Takes in an included scenario's actions and slot-bound expectations (run-wide ones belong to
    /// the including file, which sets the run).
    pub fn include(&mut self, part: Scenario) {
        self.actions.extend(part.actions);
        self.expectations.extend(
            part.expectations
                .into_iter()
                .filter(|x| x.last_slot().is_some()),
        );
    }

    /// Parses a scenario; `default_name` names it when the file does not.
    /// `include` is refused here (it names files relative to a file); [`Self::from_file`] reads it.
    pub fn from_toml(text: &str, default_name: &str) -> Result<Self, String> {
        let (scenario, include) = Self::parse(text, default_name)?;
        if !include.is_empty() {
            return Err("include: only a scenario file can include others".into());
        }
        Ok(scenario)
    }

    fn parse(text: &str, default_name: &str) -> Result<(Self, Vec<String>), String> {
        let file: FileScenario = toml::from_str(text).map_err(|e| one_line(&e.to_string()))?;
        let fork_epochs = file
            .fork_epochs
            .as_deref()
            .map(|s| {
                s.parse::<ForkEpochs>()
                    .map_err(|e| format!("fork_epochs: {e}"))
            })
            .transpose()?;
        if file.slot_ms == Some(0) {
            return Err("slot_ms: must be more than 0".into());
        }
        let actions = file
            .action
            .into_iter()
            .enumerate()
            .map(|(i, a)| action(a).map_err(|e| format!("action {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let expectations = file
            .expect
            .into_iter()
            .enumerate()
            .map(|(i, x)| expectation(x).map_err(|e| format!("expect {}: {e}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let restarts = file
            .restarts
            .map(|r| restarts(r).map_err(|e| format!("restarts: {e}")))
            .transpose()?;
        if let Some(bad) = file.bn_args.iter().find(|a| a.trim().is_empty()) {
            return Err(format!("bn_args: {bad:?} is empty"));
        }
        if !file.full_payload_builders {
            let named = actions
                .iter()
                .map(|a| a.target.to_string())
                .chain(expectations.iter().map(|x| x.to_string()))
                .find(|text| FULL_BUILDER_NAMES.iter().any(|n| text.contains(n)));
            if let Some(text) = named {
                return Err(format!(
                    "{text:?} names a full-payload builder: set full_payload_builders = true"
                ));
            }
        }
        let scenario = Self {
            name: file.name.unwrap_or_else(|| default_name.to_string()),
            description: file.description,
            epochs: file.epochs,
            fork_epochs,
            slot_ms: file.slot_ms,
            actions,
            expectations,
            bn_args: file.bn_args,
            full_payload_builders: file.full_payload_builders,
            restarts,
        };
        Ok((scenario, file.include))
    }

    /// The expectations of a run without a scenario: builder blocks, few missed slots, and finality
    /// three epochs behind the end when the run is long enough to finalize.
    pub fn default_for(epochs: u64) -> Self {
        let mut expectations = vec![
            Expectation::TotalSource {
                source: SourceMatch::Builder,
                at_least: 1,
            },
            Expectation::MissedSlotsAtMost(epochs.max(1)),
        ];
        if epochs >= 4 {
            expectations.push(Expectation::FinalizedEpochAtLeast(epochs - 3));
        }
        Self {
            name: "default".into(),
            expectations,
            ..Self::default()
        }
    }
}

/// The scenario files `path` names: itself, or a directory's `*.toml`, sorted.
fn included_files(path: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("include {}: {e}", path.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let file = entry
            .map_err(|e| format!("include {}: {e}", path.display()))?
            .path();
        if file.extension().is_some_and(|e| e == "toml") {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("include {}: no *.toml in it", path.display()));
    }
    Ok(files)
}

fn restarts(r: FileRestarts) -> Result<RandomRestarts, String> {
    if r.count == 0 {
        return Err("count must be at least 1".into());
    }
    if r.from_slot == 0 || r.from_slot > r.to_slot {
        return Err(format!(
            "from_slot {} to to_slot {} is no range of slots after genesis",
            r.from_slot, r.to_slot
        ));
    }
    if (r.to_slot - r.from_slot + 1) < r.count {
        return Err(format!(
            "{} kills need at least as many slots ({}..={} has {})",
            r.count,
            r.from_slot,
            r.to_slot,
            r.to_slot - r.from_slot + 1
        ));
    }
    let targets = r
        .targets
        .iter()
        .map(|t| match target(t)? {
            t @ (Target::Bn | Target::Vc) => Ok(t),
            other => Err(format!(
                "{other} is not killed by scenarios (bn and vc are)"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if targets.is_empty() {
        return Err("targets: name bn, vc or both".into());
    }
    Ok(RandomRestarts {
        count: r.count,
        targets,
        from_slot: r.from_slot,
        to_slot: r.to_slot,
        seed: r.seed,
    })
}

/// toml's messages span lines (a snippet of the file); one line is enough for a terminal error.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^'))
        .collect::<Vec<_>>()
        .join(" ")
}

fn target(name: &str) -> Result<Target, String> {
    if let Some(i) = RELAY_NAMES.iter().position(|r| *r == name) {
        return Ok(Target::Relay(i));
    }
    match name {
        "el" => Ok(Target::El),
        "bn" => Ok(Target::Bn),
        "vc" => Ok(Target::Vc),
        other => Err(format!(
            "target {other:?} is not one of relay-a, relay-b, el, bn, vc"
        )),
    }
}

fn action(a: FileAction) -> Result<Action, String> {
    let target = target(&a.target)?;
    let mut ops = Vec::new();
    if let Some(table) = a.set_faults {
        let value = serde_json::to_value(&table).map_err(|e| format!("set_faults: {e}"))?;
        ops.push(Op::SetFaults(value));
    }
    for (set, op) in [
        (a.reset_faults, Op::ResetFaults),
        (a.kill, Op::Kill),
        (a.start, Op::Start),
        (a.restart, Op::Restart),
    ] {
        if set {
            ops.push(op);
        }
    }
    if ops.len() != 1 {
        return Err(
            "exactly one of set_faults, reset_faults, kill, start, restart must be given".into(),
        );
    }
    let op = ops.remove(0);
    let faults = matches!(op, Op::SetFaults(_) | Op::ResetFaults);
    let process = matches!(target, Target::Bn | Target::Vc);
    if faults && process {
        return Err(format!(
            "{target} has no fault switches (relays and el have)"
        ));
    }
    if !faults && !process {
        return Err(format!(
            "{target} is not killed or restarted by scenarios (bn and vc are)"
        ));
    }
    Ok(Action {
        slot: a.slot,
        at_ms: a.at_ms,
        target,
        op,
    })
}

fn source(name: &str) -> Result<SourceMatch, String> {
    match name {
        "local" => Ok(SourceMatch::Local),
        "builder" => Ok(SourceMatch::Builder),
        "missed" => Ok(SourceMatch::Missed),
        r if RELAY_NAMES.contains(&r) => Ok(SourceMatch::Relay(r.to_string())),
        other => Err(format!(
            "source {other:?} is not one of local, builder, relay-a, relay-b, missed"
        )),
    }
}

fn expectation(x: FileExpect) -> Result<Expectation, String> {
    if x.counter.is_some() {
        return counter_expectation(x);
    }
    let flags = [
        (
            x.finality_never_decreases,
            Expectation::FinalityNeverDecreases,
        ),
        (x.no_double_signing, Expectation::NoDoubleSigning),
    ];
    if let Some((_, flag)) = flags.iter().find(|(set, _)| *set) {
        let others = [
            x.slot.is_some(),
            x.from_slot.is_some() || x.to_slot.is_some(),
            x.source.is_some() || x.at_least.is_some() || x.at_most.is_some(),
            x.after_epoch.is_some() || x.builder.is_some() || x.state.is_some(),
            x.reason.is_some(),
            x.finalized_epoch_at_least.is_some() || x.missed_slots_at_most.is_some(),
            x.finality_never_decreases && x.no_double_signing,
        ];
        if others.iter().any(|o| *o) {
            return Err(format!("{flag}: a check of its own, with no other field"));
        }
        return Ok(flag.clone());
    }
    let kinds = [
        x.slot.is_some(),
        x.from_slot.is_some() || x.to_slot.is_some(),
        x.after_epoch.is_some() || x.builder.is_some() || x.state.is_some(),
        x.finalized_epoch_at_least.is_some(),
        x.missed_slots_at_most.is_some(),
    ];
    let shape = "one of: slot + source; from_slot + to_slot + source [+ at_least or at_most] \
                 [+ reason]; source + at_least; after_epoch + builder + state [+ reason]; \
                 from_slot + to_slot + builder + counter [+ at_least]; finalized_epoch_at_least; \
                 missed_slots_at_most; finality_never_decreases; no_double_signing";
    match kinds.iter().filter(|k| **k).count() {
        0 if x.source.is_some() && x.at_least.is_some() => {
            if x.reason.is_some() || x.at_most.is_some() {
                return Err(format!(
                    "reason and at_most belong to a slot range or a builder state; {shape}"
                ));
            }
            return Ok(Expectation::TotalSource {
                source: source(x.source.as_deref().unwrap_or_default())?,
                at_least: x.at_least.unwrap_or_default(),
            });
        }
        1 => {}
        _ => return Err(shape.into()),
    }
    let needs_source = |what: &str| -> Result<SourceMatch, String> {
        source(
            x.source
                .as_deref()
                .ok_or_else(|| format!("{what} needs a source"))?,
        )
    };
    let no_extra = |fields: &[(bool, &str)]| -> Result<(), String> {
        match fields.iter().find(|(set, _)| *set) {
            Some((_, name)) => Err(format!("{name} does not belong here; {shape}")),
            None => Ok(()),
        }
    };
    if let Some(slot) = x.slot {
        no_extra(&[
            (x.at_least.is_some(), "at_least"),
            (x.at_most.is_some(), "at_most"),
            (x.reason.is_some(), "reason"),
        ])?;
        return Ok(Expectation::SlotSource {
            slot,
            source: needs_source("slot")?,
        });
    }
    if x.from_slot.is_some() || x.to_slot.is_some() {
        let (from, to) = slot_range(x.from_slot, x.to_slot)?;
        if x.at_least.is_some() && x.at_most.is_some() {
            return Err("at_least and at_most: one of them".into());
        }
        return Ok(Expectation::RangeSource {
            from,
            to,
            source: needs_source("a slot range")?,
            at_least: x.at_least,
            at_most: x.at_most,
            reason: x.reason,
        });
    }
    if x.after_epoch.is_some() || x.builder.is_some() || x.state.is_some() {
        no_extra(&[
            (x.at_least.is_some(), "at_least"),
            (x.at_most.is_some(), "at_most"),
            (x.source.is_some(), "source"),
        ])?;
        let (Some(after_epoch), Some(builder), Some(state)) = (x.after_epoch, x.builder, x.state)
        else {
            return Err("after_epoch, builder and state go together".into());
        };
        if !RELAY_NAMES.contains(&builder.as_str()) {
            return Err(format!("builder {builder:?} is not relay-a or relay-b"));
        }
        let disabled = match state.as_str() {
            "enabled" => false,
            "disabled" => true,
            other => return Err(format!("state {other:?} is not enabled or disabled")),
        };
        if !disabled && x.reason.is_some() {
            return Err("reason applies to state = \"disabled\" only".into());
        }
        return Ok(Expectation::BuilderState {
            after_epoch,
            builder,
            disabled,
            reason: x.reason,
        });
    }
    no_extra(&[
        (x.source.is_some(), "source"),
        (x.at_least.is_some(), "at_least"),
        (x.at_most.is_some(), "at_most"),
        (x.reason.is_some(), "reason"),
    ])?;
    if let Some(epoch) = x.finalized_epoch_at_least {
        return Ok(Expectation::FinalizedEpochAtLeast(epoch));
    }
    Ok(Expectation::MissedSlotsAtMost(
        x.missed_slots_at_most.unwrap_or_default(),
    ))
}

fn slot_range(from: Option<u64>, to: Option<u64>) -> Result<(u64, u64), String> {
    let (Some(from), Some(to)) = (from, to) else {
        return Err("from_slot and to_slot go together".into());
    };
    if from > to {
        return Err(format!("from_slot {from} is after to_slot {to}"));
    }
    Ok((from, to))
}

/// `from_slot + to_slot + builder + counter [+ at_least]`.
fn counter_expectation(x: FileExpect) -> Result<Expectation, String> {
    let shape =
        "a counter check is from_slot + to_slot + builder + counter [+ at_least or at_most]";
    let extra = [
        (x.slot.is_some(), "slot"),
        (x.source.is_some(), "source"),
        (
            x.at_least.is_some() && x.at_most.is_some(),
            "at_least with at_most",
        ),
        (x.after_epoch.is_some(), "after_epoch"),
        (x.state.is_some(), "state"),
        (x.reason.is_some(), "reason"),
        (
            x.finalized_epoch_at_least.is_some(),
            "finalized_epoch_at_least",
        ),
        (x.missed_slots_at_most.is_some(), "missed_slots_at_most"),
        (x.finality_never_decreases, "finality_never_decreases"),
        (x.no_double_signing, "no_double_signing"),
    ];
    if let Some((_, name)) = extra.iter().find(|(set, _)| *set) {
        return Err(format!("{name} does not belong here; {shape}"));
    }
    let (from, to) = slot_range(x.from_slot, x.to_slot)?;
    let builder = x
        .builder
        .ok_or_else(|| format!("builder missing; {shape}"))?;
    if !RELAY_NAMES.contains(&builder.as_str()) {
        return Err(format!("builder {builder:?} is not relay-a or relay-b"));
    }
    let counter = x.counter.unwrap_or_default();
    if counter.trim().is_empty() {
        return Err("counter: a name, such as rejections.wrong_parent_hash".into());
    }
    Ok(Expectation::Counter {
        from,
        to,
        builder,
        counter,
        at_least: x.at_most.is_none().then(|| x.at_least.unwrap_or(1)),
        at_most: x.at_most,
    })
}

#[cfg(test)]
#[path = "scenario_tests.rs"]
mod tests;
