//! The end of a run: what it showed (blocks by source, missed slots and why, finality, the faults it
//! injected and what the node did about them, each builder's final state) and whether each expectation
//! held. Printed for people, written as JSON for machines.

use crate::monitor::{BuilderView, SlotRecord};
use crate::scenario::{Expectation, Scenario};
use serde::Serialize;
use std::collections::BTreeMap;

/// An action of the scenario, as it went.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub slot: u64,
    pub action: String,
    /// `ok`, or the error.
    pub result: String,
    /// Builder states and counters that changed between this action and the end of the run.
    pub builder_changes: Vec<String>,
}

/// A missed slot and the reason, when known.
#[derive(Debug, Clone, Serialize)]
pub struct MissedSlot {
    pub slot: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One expectation's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub expectation: String,
    /// `passed`, `failed` or `not reached` (the run stopped before it could be checked).
    pub result: String,
    pub detail: String,
}

/// Everything a run reports.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub dir: String,
    /// Each process's log file.
    pub logs: BTreeMap<String, String>,
    /// Whether validators ran (`vc` present).
    pub validators: bool,
    pub slots_observed: u64,
    pub blocks_by_source: BTreeMap<String, u64>,
    pub missed_slots: Vec<MissedSlot>,
    pub justified_epoch: Option<u64>,
    pub finalized_epoch: Option<u64>,
    pub finality_reached: bool,
    /// The forks whose slots had blocks.
    pub forks_with_blocks: Vec<String>,
    pub actions: Vec<ActionReport>,
    pub builders: Vec<BuilderView>,
    pub expectations: Vec<Verdict>,
    /// The seed of the random kills, when the scenario has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// How the run ended: `completed`, `interrupted`, or the error.
    pub ended: String,
    pub passed: bool,
    /// Every slot, as observed.
    pub slots: Vec<SlotRecord>,
}

impl Summary {
    /// Counts the records; `builders` and the checkpoints are the node's final answers.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scenario: &Scenario,
        records: Vec<SlotRecord>,
        builders: Vec<BuilderView>,
        finality: Option<(u64, u64)>,
        actions: Vec<ActionReport>,
        completed: bool,
        ended: String,
        validators: bool,
    ) -> Self {
        let mut blocks_by_source = BTreeMap::new();
        let mut missed_slots = Vec::new();
        let mut forks_with_blocks: Vec<String> = Vec::new();
        for r in &records {
            if r.source == "missed" {
                missed_slots.push(MissedSlot {
                    slot: r.slot,
                    reason: r.reason.clone(),
                });
                continue;
            }
            *blocks_by_source.entry(r.source.clone()).or_insert(0) += 1;
            if r.block.is_some() && !forks_with_blocks.iter().any(|f| f == r.fork) {
                forks_with_blocks.push(r.fork.to_string());
            }
        }
        let (justified_epoch, finalized_epoch) = match finality {
            Some((j, f)) => (Some(j), Some(f)),
            None => (
                records.iter().rev().find_map(|r| r.justified_epoch),
                records.iter().rev().find_map(|r| r.finalized_epoch),
            ),
        };
        let last_slot = records.last().map(|r| r.slot);
        let expectations: Vec<Verdict> = scenario
            .expectations
            .iter()
            .map(|x| {
                let reached = completed || x.last_slot().is_some_and(|s| Some(s) <= last_slot);
                if !reached {
                    return Verdict {
                        expectation: x.to_string(),
                        result: "not reached".into(),
                        detail: "the run stopped before it could be checked".into(),
                    };
                }
                let (ok, detail) = check(x, &records, finalized_epoch, missed_slots.len() as u64);
                Verdict {
                    expectation: x.to_string(),
                    result: if ok { "passed" } else { "failed" }.into(),
                    detail,
                }
            })
            .collect();
        let passed =
            !ended.starts_with("error") && expectations.iter().all(|v| v.result != "failed");
        Self {
            scenario: scenario.name.clone(),
            dir: String::new(),
            logs: BTreeMap::new(),
            validators,
            slots_observed: records.len() as u64,
            blocks_by_source,
            missed_slots,
            justified_epoch,
            finalized_epoch,
            finality_reached: finalized_epoch.is_some_and(|f| f > 0),
            forks_with_blocks,
            actions,
            builders,
            expectations,
            seed: None,
            ended,
            passed,
            slots: records,
        }
    }

    /// The summary for people.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        out.push(format!(
            "devnet summary ({}, {}): {} slots observed",
            self.scenario, self.ended, self.slots_observed
        ));
        if !self.validators {
            out.push("  validators: none (no vc binary yet): nothing is proposed".into());
        }
        let sources: Vec<String> = self
            .blocks_by_source
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        out.push(format!(
            "  blocks: {}",
            if sources.is_empty() {
                "none".into()
            } else {
                sources.join(", ")
            }
        ));
        let missed: Vec<String> = self
            .missed_slots
            .iter()
            .map(|m| match &m.reason {
                Some(r) => format!("{} ({r})", m.slot),
                None => m.slot.to_string(),
            })
            .collect();
        out.push(format!(
            "  missed slots: {}{}",
            self.missed_slots.len(),
            if missed.is_empty() || missed.len() > 12 {
                String::new()
            } else {
                format!(": {}", missed.join(", "))
            }
        ));
        out.push(format!(
            "  finality: justified {} finalized {}{}; forks with blocks: {}",
            opt(self.justified_epoch),
            opt(self.finalized_epoch),
            if self.finality_reached {
                ""
            } else {
                " (not finalized)"
            },
            if self.forks_with_blocks.is_empty() {
                "none".into()
            } else {
                self.forks_with_blocks.join(", ")
            }
        ));
        if let Some(seed) = self.seed {
            out.push(format!("  random kills: seed {seed}"));
        }
        for a in &self.actions {
            out.push(format!(
                "  action at slot {}: {} -> {}",
                a.slot, a.action, a.result
            ));
            for change in &a.builder_changes {
                out.push(format!("      {change}"));
            }
        }
        for b in &self.builders {
            let counters: Vec<String> = b
                .counters
                .iter()
                .filter(|(_, v)| **v > 0)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            out.push(format!(
                "  builder {}: {}{} [{}]",
                b.name,
                b.state,
                b.reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default(),
                counters.join(" ")
            ));
        }
        for v in &self.expectations {
            out.push(format!(
                "  expect {}: {} ({})",
                v.expectation, v.result, v.detail
            ));
        }
        out.push(format!("  logs in {}:", self.dir));
        for (name, path) in &self.logs {
            out.push(format!("    {name:<8} {path}"));
        }
        out.push(format!(
            "devnet: {}",
            if self.passed { "PASSED" } else { "FAILED" }
        ));
        out.join("\n")
    }
}

impl Summary {
    /// Records the verdict of an expectation checked outside the slot records (double signing),
    /// and whether the run passed with it.
    pub fn settle(&mut self, expectation: &Expectation, ok: bool, detail: String) {
        let text = expectation.to_string();
        for v in self
            .expectations
            .iter_mut()
            .filter(|v| v.expectation == text)
        {
            if v.result == "not reached" {
                continue;
            }
            v.result = if ok { "passed" } else { "failed" }.into();
            v.detail = detail.clone();
        }
        self.passed = !self.ended.starts_with("error")
            && self.expectations.iter().all(|v| v.result != "failed");
    }
}

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "?".into())
}

/// Whether an expectation holds over the records, and what was seen.
fn check(
    x: &Expectation,
    records: &[SlotRecord],
    finalized: Option<u64>,
    missed: u64,
) -> (bool, String) {
    match x {
        Expectation::SlotSource { slot, source } => {
            match records.iter().find(|r| r.slot == *slot) {
                Some(r) => (source.matches(&r.source), format!("it was {}", r.source)),
                None => (false, "the slot was not observed".into()),
            }
        }
        Expectation::RangeSource {
            from,
            to,
            source,
            at_least,
            at_most,
            reason,
        } => {
            let in_range: Vec<&SlotRecord> = records
                .iter()
                .filter(|r| r.slot >= *from && r.slot <= *to)
                .collect();
            let matching = in_range
                .iter()
                .filter(|r| source.matches(&r.source))
                .count() as u64;
            if let Some(text) = reason {
                let unexplained: Vec<String> = in_range
                    .iter()
                    .filter(|r| source.matches(&r.source))
                    .filter(|r| {
                        !r.reason
                            .as_deref()
                            .is_some_and(|x| x.contains(text.as_str()))
                    })
                    .map(|r| {
                        format!(
                            "{} ({})",
                            r.slot,
                            r.reason.as_deref().unwrap_or("no reason")
                        )
                    })
                    .collect();
                if !unexplained.is_empty() {
                    return (
                        false,
                        format!("not for {text:?}: {}", unexplained.join(", ")),
                    );
                }
            }
            match (at_least, at_most) {
                (Some(n), _) => (
                    matching >= *n,
                    format!("{matching} of {} slots", in_range.len()),
                ),
                (None, Some(n)) => (
                    matching <= *n && !in_range.is_empty(),
                    format!("{matching} of {} slots", in_range.len()),
                ),
                (None, None) => {
                    // Every block of the range (missed slots are counted by their own expectation).
                    let others: Vec<String> = in_range
                        .iter()
                        .filter(|r| r.source != "missed" && !source.matches(&r.source))
                        .map(|r| format!("{} from {}", r.slot, r.source))
                        .collect();
                    let blocks = in_range.iter().filter(|r| r.source != "missed").count();
                    (
                        others.is_empty() && blocks > 0,
                        if others.is_empty() {
                            format!("{blocks} blocks")
                        } else {
                            others.join(", ")
                        },
                    )
                }
            }
        }
        Expectation::TotalSource { source, at_least } => {
            let n = records.iter().filter(|r| source.matches(&r.source)).count() as u64;
            (n >= *at_least, format!("{n} slots"))
        }
        Expectation::BuilderState {
            after_epoch,
            builder,
            disabled,
            reason,
        } => {
            let from = after_epoch
                .saturating_add(1)
                .saturating_mul(crate::testnet::SLOTS_PER_EPOCH);
            let mut checked = 0;
            for r in records.iter().filter(|r| r.slot >= from) {
                let Some(b) = r.builders.iter().find(|b| &b.name == builder) else {
                    continue;
                };
                checked += 1;
                let reason_ok = reason.is_none() || b.reason == *reason;
                if b.disabled() != *disabled || !reason_ok {
                    return (false, format!("at slot {} it was {}", r.slot, b.short()));
                }
            }
            (checked > 0, format!("{checked} slots checked"))
        }
        Expectation::Counter {
            from,
            to,
            builder,
            counter,
            at_least,
            at_most,
        } => {
            let value = |r: Option<&SlotRecord>| {
                r.and_then(|r| r.builders.iter().find(|b| &b.name == builder))
                    .and_then(|b| b.counters.get(counter).copied())
                    .unwrap_or(0)
            };
            let before = records.iter().rev().find(|r| r.slot < *from);
            let Some(after) = records
                .iter()
                .rev()
                .find(|r| r.slot <= *to && r.slot >= *from)
            else {
                return (false, "the slots were not observed".into());
            };
            let up = value(Some(after)).saturating_sub(value(before));
            let ok = at_least.is_none_or(|n| up >= n) && at_most.is_none_or(|n| up <= n);
            (ok, format!("up by {up}"))
        }
        Expectation::FinalityNeverDecreases => {
            let mut highest: Option<(u64, u64)> = None;
            for r in records {
                let Some(f) = r.finalized_epoch else { continue };
                if let Some((slot, h)) = highest.filter(|(_, h)| f < *h) {
                    return (
                        false,
                        format!("finalized {h} at slot {slot}, then {f} at slot {}", r.slot),
                    );
                }
                if highest.is_none_or(|(_, h)| f > h) {
                    highest = Some((r.slot, f));
                }
            }
            let seen = records
                .iter()
                .filter(|r| r.finalized_epoch.is_some())
                .count();
            (seen > 0, format!("{seen} observations"))
        }
        // Checked after the run (it needs the processes' data); see `Summary::settle`.
        Expectation::NoDoubleSigning => (false, "not checked".into()),
        Expectation::FinalizedEpochAtLeast(e) => (
            finalized.is_some_and(|f| f >= *e),
            format!("finalized {}", opt(finalized)),
        ),
        Expectation::MissedSlotsAtMost(n) => (missed <= *n, format!("{missed} missed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::SourceMatch;

    fn record(
        slot: u64,
        source: &str,
        reason: Option<&str>,
        fin: Option<u64>,
        bids: u64,
    ) -> SlotRecord {
        SlotRecord {
            slot,
            epoch: slot / 8,
            fork: "deneb",
            source: source.into(),
            reason: reason.map(str::to_string),
            proposer: None,
            block: None,
            head_slot: None,
            head_root: None,
            justified_epoch: None,
            finalized_epoch: fin,
            builders: vec![BuilderView {
                name: "relay-a".into(),
                state: "enabled".into(),
                counters: [("bids".to_string(), bids)].into(),
                ..Default::default()
            }],
        }
    }

    fn records() -> Vec<SlotRecord> {
        vec![
            record(9, "relay-a", None, Some(0), 5),
            record(10, "local", Some("relay-a timeouts"), Some(1), 6),
            record(11, "missed", None, None, 7),
            record(12, "local", Some("circuit breaker: x"), Some(1), 9),
        ]
    }

    #[test]
    fn counters_are_compared_with_the_slot_before_the_range() {
        let x = |at_least, at_most| Expectation::Counter {
            from: 10,
            to: 12,
            builder: "relay-a".into(),
            counter: "bids".into(),
            at_least,
            at_most,
        };
        assert!(check(&x(Some(4), None), &records(), None, 0).0);
        assert!(!check(&x(Some(5), None), &records(), None, 0).0);
        assert!(check(&x(None, Some(4)), &records(), None, 0).0);
        assert!(!check(&x(None, Some(3)), &records(), None, 0).0);
        let other = Expectation::Counter {
            from: 10,
            to: 12,
            builder: "relay-a".into(),
            counter: "timeouts".into(),
            at_least: Some(1),
            at_most: None,
        };
        assert!(!check(&other, &records(), None, 0).0);
    }

    #[test]
    fn ranges_check_at_most_and_reasons() {
        let range = |source, at_most, reason: Option<&str>| Expectation::RangeSource {
            from: 10,
            to: 12,
            source,
            at_least: None,
            at_most,
            reason: reason.map(str::to_string),
        };
        assert!(
            check(
                &range(SourceMatch::Missed, Some(1), None),
                &records(),
                None,
                0
            )
            .0
        );
        assert!(
            !check(
                &range(SourceMatch::Missed, Some(0), None),
                &records(),
                None,
                0
            )
            .0
        );
        let (ok, detail) = check(
            &range(SourceMatch::Local, None, Some("circuit breaker")),
            &records(),
            None,
            0,
        );
        assert!(!ok && detail.contains("10"), "{detail}");
        let shorter = Expectation::RangeSource {
            from: 12,
            to: 12,
            source: SourceMatch::Local,
            at_least: None,
            at_most: None,
            reason: Some("circuit breaker".into()),
        };
        assert!(check(&shorter, &records(), None, 0).0);
    }

    #[test]
    fn a_finalized_epoch_that_goes_down_fails() {
        let x = Expectation::FinalityNeverDecreases;
        assert!(check(&x, &records(), None, 0).0);
        let mut down = records();
        down.push(record(13, "local", None, Some(0), 9));
        let (ok, detail) = check(&x, &down, None, 0);
        assert!(!ok && detail.contains("slot 13"), "{detail}");
        assert!(!check(&x, &[], None, 0).0, "nothing observed is no pass");
    }

    #[test]
    fn double_signing_fails_until_settled() {
        let scenario = Scenario {
            expectations: vec![Expectation::NoDoubleSigning],
            ..Scenario::default()
        };
        let mut summary = Summary::new(
            &scenario,
            records(),
            Vec::new(),
            None,
            Vec::new(),
            true,
            "completed".into(),
            true,
        );
        assert!(!summary.passed);
        summary.settle(&Expectation::NoDoubleSigning, true, "clean".into());
        assert!(summary.passed);
        summary.settle(&Expectation::NoDoubleSigning, false, "two blocks".into());
        assert!(!summary.passed);
    }
}
