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
//! `at_least = N`, at least N of them), `{ source = "builder", at_least = 8 }` (over the run), and
//! `{ missed_slots_at_most = 1 }`.

use crate::testnet::{ForkEpochs, SLOTS_PER_EPOCH};
use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// The relays' names, in the node's `--payload-builder` order.
pub const RELAY_NAMES: [&str; 2] = ["relay-a", "relay-b"];

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
    pub target: Target,
    pub op: Op,
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
    /// Every block in the range from `source`, or at least `at_least` of them.
    RangeSource {
        from: u64,
        to: u64,
        source: SourceMatch,
        at_least: Option<u64>,
    },
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
                at_least: None,
            } => write!(f, "slots {from}..={to} from {source}"),
            Self::RangeSource {
                from,
                to,
                source,
                at_least: Some(n),
            } => write!(f, "at least {n} of slots {from}..={to} from {source}"),
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
            Self::RangeSource { to, .. } => Some(*to),
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
    action: Vec<FileAction>,
    #[serde(default)]
    expect: Vec<FileExpect>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileAction {
    slot: u64,
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
    after_epoch: Option<u64>,
    builder: Option<String>,
    state: Option<String>,
    reason: Option<String>,
    finalized_epoch_at_least: Option<u64>,
    missed_slots_at_most: Option<u64>,
}

impl Scenario {
    /// Reads and checks a scenario file; the error is one line naming the file and the mistake.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self::from_toml(&text, &stem).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a scenario; `default_name` names it when the file does not.
    pub fn from_toml(text: &str, default_name: &str) -> Result<Self, String> {
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
        Ok(Self {
            name: file.name.unwrap_or_else(|| default_name.to_string()),
            description: file.description,
            epochs: file.epochs,
            fork_epochs,
            slot_ms: file.slot_ms,
            actions,
            expectations,
        })
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
    let kinds = [
        x.slot.is_some(),
        x.from_slot.is_some() || x.to_slot.is_some(),
        x.after_epoch.is_some() || x.builder.is_some() || x.state.is_some(),
        x.finalized_epoch_at_least.is_some(),
        x.missed_slots_at_most.is_some(),
    ];
    let shape = "one of: slot + source; from_slot + to_slot + source [+ at_least]; source + at_least; \
                 after_epoch + builder + state [+ reason]; finalized_epoch_at_least; missed_slots_at_most";
    match kinds.iter().filter(|k| **k).count() {
        0 if x.source.is_some() && x.at_least.is_some() => {
            if x.reason.is_some() {
                return Err(format!("reason belongs to a builder state; {shape}"));
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
            (x.reason.is_some(), "reason"),
        ])?;
        return Ok(Expectation::SlotSource {
            slot,
            source: needs_source("slot")?,
        });
    }
    if x.from_slot.is_some() || x.to_slot.is_some() {
        no_extra(&[(x.reason.is_some(), "reason")])?;
        let (Some(from), Some(to)) = (x.from_slot, x.to_slot) else {
            return Err("from_slot and to_slot go together".into());
        };
        if from > to {
            return Err(format!("from_slot {from} is after to_slot {to}"));
        }
        return Ok(Expectation::RangeSource {
            from,
            to,
            source: needs_source("a slot range")?,
            at_least: x.at_least,
        });
    }
    if x.after_epoch.is_some() || x.builder.is_some() || x.state.is_some() {
        no_extra(&[
            (x.at_least.is_some(), "at_least"),
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
        (x.reason.is_some(), "reason"),
    ])?;
    if let Some(epoch) = x.finalized_epoch_at_least {
        return Ok(Expectation::FinalizedEpochAtLeast(epoch));
    }
    Ok(Expectation::MissedSlotsAtMost(
        x.missed_slots_at_most.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let s = Scenario::from_toml(
            r#"
            name = "relay-a withholds"
            epochs = 6
            fork_epochs = "1,2,3"
            [[action]]
            slot = 12
            target = "relay-a"
            set_faults = { withhold_payload = true, get_header_delay_ms = 1500 }
            [[action]]
            slot = 20
            target = "bn"
            restart = true
            [[expect]]
            slot = 20
            source = "local"
            [[expect]]
            after_epoch = 1
            builder = "relay-a"
            state = "disabled"
            reason = "withheld"
            [[expect]]
            finalized_epoch_at_least = 3
            [[expect]]
            from_slot = 10
            to_slot = 20
            source = "builder"
            at_least = 2
            [[expect]]
            source = "relay-b"
            at_least = 1
            [[expect]]
            missed_slots_at_most = 1
            "#,
            "x",
        )
        .unwrap();
        assert_eq!(s.name, "relay-a withholds");
        assert_eq!(s.epochs, Some(6));
        assert_eq!(s.actions.len(), 2);
        assert_eq!(
            s.actions[0].op,
            Op::SetFaults(
                serde_json::json!({"withhold_payload": true, "get_header_delay_ms": 1500})
            )
        );
        assert_eq!(s.actions[1].target, Target::Bn);
        assert_eq!(s.expectations.len(), 6);
        assert_eq!(
            s.expectations[1].to_string(),
            "relay-a disabled after epoch 1 (withheld)"
        );
        assert_eq!(s.expectations[1].last_slot(), Some(16));
    }

    #[test]
    fn mistakes_are_one_line_naming_them() {
        let cases = [
            (
                "[[action]]\nslot = 1\ntarget = \"relay-c\"\nkill = true",
                "relay-c",
            ),
            (
                "[[action]]\nslot = 1\ntarget = \"bn\"\nreset_faults = true",
                "no fault switches",
            ),
            (
                "[[action]]\nslot = 1\ntarget = \"el\"\nkill = true",
                "not killed",
            ),
            ("[[action]]\nslot = 1\ntarget = \"bn\"", "exactly one"),
            (
                "[[action]]\nslot = 1\ntarget = \"bn\"\nkill = true\nrestart = true",
                "exactly one",
            ),
            ("[[expect]]\nslot = 3", "needs a source"),
            ("[[expect]]\nslot = 3\nsource = \"mev\"", "mev"),
            (
                "[[expect]]\nfrom_slot = 3\nsource = \"local\"",
                "go together",
            ),
            (
                "[[expect]]\nafter_epoch = 3\nbuilder = \"relay-a\"\nstate = \"off\"",
                "off",
            ),
            (
                "[[expect]]\nslot = 3\nsource = \"local\"\nfinalized_epoch_at_least = 2",
                "one of",
            ),
            ("[[expect]]\nfinalized_epoch_at_least = -1", "expect"),
            ("[[expect]]\nbogus = 1", "bogus"),
            ("fork_epochs = \"3,2,1\"", "fork_epochs"),
            ("epochs = \"six\"", "epochs"),
            ("[[action]\nslot = 1", ""),
        ];
        for (text, needle) in cases {
            let error = Scenario::from_toml(text, "t").unwrap_err();
            assert!(!error.contains('\n'), "{error:?} spans lines");
            assert!(error.contains(needle), "{error:?} lacks {needle:?}");
        }
    }

    #[test]
    fn every_shipped_scenario_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let scenario = Scenario::from_file(&path).unwrap();
                assert!(!scenario.expectations.is_empty(), "{}", path.display());
                names.push(scenario.name);
            }
        }
        names.sort();
        assert_eq!(
            names,
            [
                "happy",
                "invalid-payload",
                "relay-delay",
                "restarts",
                "withheld"
            ]
        );
    }

    #[test]
    fn sources_match_recorded_names() {
        assert!(SourceMatch::Builder.matches("relay-b"));
        assert!(SourceMatch::Builder.matches("builder"));
        assert!(!SourceMatch::Builder.matches("local"));
        assert!(SourceMatch::Relay("relay-a".into()).matches("relay-a"));
        assert!(!SourceMatch::Relay("relay-a".into()).matches("relay-b"));
        assert!(SourceMatch::Missed.matches("missed"));
    }

    #[test]
    fn the_default_expects_finality_only_on_long_runs() {
        assert_eq!(Scenario::default_for(3).expectations.len(), 2);
        assert!(Scenario::default_for(6)
            .expectations
            .contains(&Expectation::FinalizedEpochAtLeast(3)));
    }
}
