//! Follows the beacon node through its API: the event stream (blocks as they are imported), then once
//! per slot the head, the finality checkpoints, the proposer, the block's payload (whose extra-data and
//! fee recipient tell mock-el's payloads from the relays') and `GET /blindfold/v1/builders` (each
//! builder's state and counters, whose changes since the last slot say why a payload was local).

use crate::testnet::{ForkEpochs, Timing, SLOTS_PER_EPOCH};
use beacon_api::{BeaconNodeHttpClient, BlockId, StateId};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// mock-el's extra-data (its default `--extra-data`).
const LOCAL_EXTRA_DATA: &str = "mock-el";
/// mock-relay's extra-data prefix (`mock-relay`, or `mock-relay-mismatch` for a spoiled reveal).
const RELAY_EXTRA_DATA: &str = "mock-relay";

/// What the devnet knows of a relay to recognise its blocks.
#[derive(Debug, Clone)]
pub struct RelayIdentity {
    pub name: String,
    /// `0x`-prefixed BLS key: the builder's name in the node's status.
    pub pubkey: String,
    /// The fee recipient of its payloads when it pays by transaction.
    pub builder_address: Option<String>,
}

/// A block's facts that tell where its payload came from.
#[derive(Debug, Clone, Serialize)]
pub struct BlockInfo {
    pub root: String,
    pub proposer_index: u64,
    pub extra_data: String,
    pub fee_recipient: String,
    pub execution_block_hash: String,
    /// Milliseconds into its slot when the node's `block` event arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_at_ms: Option<u64>,
}

/// A builder as the node reports it.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BuilderView {
    pub name: String,
    /// `enabled` or `disabled`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The node's counters, flat (`rejections.zero_value` for a rejection reason).
    pub counters: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_bid_slot: Option<u64>,
}

impl BuilderView {
    pub fn disabled(&self) -> bool {
        self.state == "disabled"
    }

    fn counter(&self, name: &str) -> u64 {
        self.counters.get(name).copied().unwrap_or(0)
    }

    /// The short form for a progress line: `on`, or `off(reason)`.
    pub fn short(&self) -> String {
        match (&self.state[..], &self.reason) {
            ("enabled", _) => "on".into(),
            (_, Some(reason)) => format!("off({reason})"),
            (state, None) => state.to_string(),
        }
    }
}

/// One slot as the devnet saw it.
#[derive(Debug, Clone, Serialize)]
pub struct SlotRecord {
    pub slot: u64,
    pub epoch: u64,
    pub fork: &'static str,
    /// `local`, `relay-a`, `relay-b`, `builder` (a relay it could not tell), `missed`, or `unknown`
    /// (the node did not answer).
    pub source: String,
    /// Why the payload was local, or why the slot was missed, when the node's counters say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposer: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<BlockInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_slot: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_root: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justified_epoch: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finalized_epoch: Option<u64>,
    pub builders: Vec<BuilderView>,
}

/// Blocks seen on the event stream: slot -> (root, milliseconds into the slot).
type SeenBlocks = Arc<Mutex<BTreeMap<u64, (String, u64)>>>;
/// Every block root the event stream named, by slot (two at one slot: a fork, or an equivocation).
pub type AllBlocks = Arc<Mutex<BTreeMap<u64, BTreeSet<String>>>>;

/// The node's observer.
pub struct Monitor {
    client: BeaconNodeHttpClient,
    relays: Vec<RelayIdentity>,
    timing: Timing,
    forks: ForkEpochs,
    seen: SeenBlocks,
    all: AllBlocks,
    events: tokio::task::JoinHandle<()>,
    previous: Vec<BuilderView>,
    proposers: HashMap<u64, HashMap<u64, u64>>,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.events.abort();
    }
}

impl Monitor {
    /// Starts following the node's event stream (reconnecting while the node restarts).
    pub fn start(
        client: BeaconNodeHttpClient,
        relays: Vec<RelayIdentity>,
        timing: Timing,
        forks: ForkEpochs,
    ) -> Self {
        let seen: SeenBlocks = Arc::default();
        let all: AllBlocks = Arc::default();
        let events = tokio::spawn(follow_events(
            client.clone(),
            seen.clone(),
            all.clone(),
            timing,
        ));
        Self {
            client,
            relays,
            timing,
            forks,
            seen,
            all,
            events,
            previous: Vec::new(),
            proposers: HashMap::new(),
        }
    }

    /// The node's builders now, named after the relays.
    pub async fn builders(&self) -> Option<Vec<BuilderView>> {
        let status = self.client.get_blindfold_builders().await.ok()?;
        Some(parse_builders(&status, &self.relays))
    }

    /// The builders, and the circuit breaker's reason when it kept them out at `slot`.
    async fn builders_at(&self, slot: u64) -> Option<(Vec<BuilderView>, Option<String>)> {
        let status = self.client.get_blindfold_builders().await.ok()?;
        let breaker = &status["circuit_breaker"];
        let tripped = breaker["tripped"].as_bool() == Some(true)
            && breaker["slot"].as_str().and_then(|s| s.parse().ok()) == Some(slot);
        let reason = tripped.then(|| {
            let label = breaker["reason_label"].as_str().unwrap_or("tripped");
            format!("circuit breaker: {label}")
        });
        Some((parse_builders(&status, &self.relays), reason))
    }

    /// The node's justified and finalized epochs now.
    pub async fn finality(&self) -> Option<(u64, u64)> {
        let checkpoints = self
            .client
            .get_beacon_states_finality_checkpoints(StateId::Head)
            .await
            .ok()?
            .data;
        Some((
            checkpoints.current_justified.epoch,
            checkpoints.finalized.epoch,
        ))
    }

    /// Observes `slot` once it is over.
    pub async fn observe(&mut self, slot: u64) -> SlotRecord {
        let epoch = slot / SLOTS_PER_EPOCH;
        let mut record = SlotRecord {
            slot,
            epoch,
            fork: self.forks.fork_at(epoch),
            source: "unknown".into(),
            reason: None,
            proposer: None,
            block: None,
            head_slot: None,
            head_root: None,
            justified_epoch: None,
            finalized_epoch: None,
            builders: Vec::new(),
        };
        let status = self.builders_at(slot).await;
        let up = status.is_some();
        let (builders, breaker) = status.unwrap_or_else(|| (self.previous.clone(), None));
        if let Ok(head) = self.client.get_beacon_headers_block_id(BlockId::Head).await {
            record.head_slot = Some(head.data.header.message.slot);
            record.head_root = Some(format!("{:?}", head.data.root));
        }
        if let Some((justified, finalized)) = self.finality().await {
            record.justified_epoch = Some(justified);
            record.finalized_epoch = Some(finalized);
        }
        let block = self.block_at(slot).await;
        record.proposer = match &block {
            Some(b) => Some(b.proposer_index),
            None => self.proposer(slot).await,
        };
        let (source, reason) = match (&block, up) {
            (Some(b), _) => classify(b, &self.relays, &self.previous, &builders),
            (None, true) => ("missed".into(), missed_reason(&self.previous, &builders)),
            (None, false) => ("unknown".into(), Some("the node did not answer".into())),
        };
        record.source = source;
        // The breaker's verdict explains a local payload before any builder's counters do.
        record.reason = match (breaker, record.source.as_str()) {
            (Some(b), "local") => Some(b),
            _ => reason,
        };
        record.block = block;
        record.builders = builders.clone();
        self.previous = builders;
        record
    }

    /// The canonical block of `slot`: from the event stream, else asked (events are lost while the
    /// node restarts).
    async fn block_at(&self, slot: u64) -> Option<BlockInfo> {
        let from_events = self.seen.lock().ok().and_then(|s| s.get(&slot).cloned());
        let (root, seen_at_ms) = match from_events {
            Some((root, at)) => (root, Some(at)),
            None => {
                let header = self
                    .client
                    .get_beacon_headers_block_id(BlockId::Slot(slot))
                    .await
                    .ok()?;
                if header.data.header.message.slot != slot {
                    return None;
                }
                (format!("{:?}", header.data.root), None)
            }
        };
        let response = self
            .client
            .get_with_accept(
                &format!("eth/v1/beacon/blinded_blocks/{root}"),
                beacon_api::JSON_CONTENT_TYPE,
            )
            .await
            .ok()?;
        let json: serde_json::Value = response.json().await.ok()?;
        let mut info = block_info(&json)?;
        info.root = root;
        info.seen_at_ms = seen_at_ms;
        Some(info)
    }

    /// The proposer the node expects at `slot` (duties of its epoch, asked once).
    async fn proposer(&mut self, slot: u64) -> Option<u64> {
        let epoch = slot / SLOTS_PER_EPOCH;
        if !self.proposers.contains_key(&epoch) {
            let duties = self
                .client
                .get_validator_duties_proposer(epoch)
                .await
                .ok()?;
            let map = duties
                .data
                .iter()
                .map(|d| (d.slot, d.validator_index))
                .collect();
            self.proposers.insert(epoch, map);
        }
        self.proposers.get(&epoch)?.get(&slot).copied()
    }

    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// Every block root the event stream named, by slot.
    pub fn all_blocks(&self) -> BTreeMap<u64, BTreeSet<String>> {
        self.all.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

/// Reads the event stream into `seen` until aborted, reconnecting after failures.
async fn follow_events(
    client: BeaconNodeHttpClient,
    seen: SeenBlocks,
    all: AllBlocks,
    timing: Timing,
) {
    loop {
        if let Ok(mut stream) = client
            .get_events(&["head", "block", "finalized_checkpoint"])
            .await
        {
            while let Some(Ok(event)) = stream.next().await {
                if event.event != "block" {
                    continue;
                }
                let slot = event.data["slot"].as_str().and_then(|s| s.parse().ok());
                let root = event.data["block"].as_str();
                if let (Some(slot), Some(root)) = (slot, root) {
                    let at = now_ms().saturating_sub(timing.slot_start_ms(slot));
                    if let Ok(mut seen) = seen.lock() {
                        seen.insert(slot, (root.to_string(), at));
                    }
                    if let Ok(mut all) = all.lock() {
                        all.entry(slot).or_default().insert(root.to_string());
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The facts of a blinded block in the beacon-API JSON (`{"version","data":{"message":...}}`).
fn block_info(json: &serde_json::Value) -> Option<BlockInfo> {
    let message = &json["data"]["message"];
    let header = &message["body"]["execution_payload_header"];
    let extra_hex = header["extra_data"].as_str()?;
    let extra = hex::decode(extra_hex.trim_start_matches("0x")).ok()?;
    Some(BlockInfo {
        root: String::new(),
        proposer_index: message["proposer_index"].as_str()?.parse().ok()?,
        extra_data: String::from_utf8_lossy(&extra).into_owned(),
        fee_recipient: header["fee_recipient"].as_str()?.to_lowercase(),
        execution_block_hash: header["block_hash"].as_str()?.to_string(),
        seen_at_ms: None,
    })
}

/// `GET /blindfold/v1/builders` data, each builder named after its relay (by pinned key).
pub fn parse_builders(status: &serde_json::Value, relays: &[RelayIdentity]) -> Vec<BuilderView> {
    let Some(list) = status["builders"].as_array() else {
        return Vec::new();
    };
    list.iter()
        .map(|b| {
            let key = b["pubkey"].as_str().or(b["name"].as_str()).unwrap_or("");
            let name = relays
                .iter()
                .find(|r| r.pubkey.eq_ignore_ascii_case(key))
                .map(|r| r.name.clone())
                .unwrap_or_else(|| b["name"].as_str().unwrap_or("?").to_string());
            let mut counters = BTreeMap::new();
            if let Some(map) = b["counters"].as_object() {
                for (k, v) in map {
                    if let Some(inner) = v.as_object() {
                        for (reason, n) in inner {
                            counters.insert(format!("rejections.{reason}"), number(n));
                        }
                    } else {
                        counters.insert(k.clone(), number(v));
                    }
                }
            }
            BuilderView {
                name,
                state: b["state"]["status"].as_str().unwrap_or("?").to_string(),
                reason: b["state"]["reason"].as_str().map(str::to_string),
                counters,
                last_bid_slot: b["last_bid"]["slot"].as_str().and_then(|s| s.parse().ok()),
            }
        })
        .collect()
}

fn number(v: &serde_json::Value) -> u64 {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0)
}

/// Counter changes of each builder between two observations.
fn deltas<'a>(
    before: &'a [BuilderView],
    after: &'a [BuilderView],
) -> impl Iterator<Item = (&'a BuilderView, BTreeMap<&'a str, u64>)> {
    after.iter().map(move |b| {
        let old = before.iter().find(|o| o.name == b.name);
        let changed = b
            .counters
            .iter()
            .filter_map(|(k, v)| {
                let was = old.map(|o| o.counter(k)).unwrap_or(0);
                (*v > was).then(|| (k.as_str(), v - was))
            })
            .collect();
        (b, changed)
    })
}

/// The source of a block's payload, and why it was local when the node's counters say.
pub fn classify(
    block: &BlockInfo,
    relays: &[RelayIdentity],
    before: &[BuilderView],
    after: &[BuilderView],
) -> (String, Option<String>) {
    if block.extra_data.starts_with(RELAY_EXTRA_DATA) {
        // The relay whose `wins` counter moved; else the one whose address the payload pays.
        let winners: Vec<String> = deltas(before, after)
            .filter(|(_, d)| d.contains_key("wins"))
            .map(|(b, _)| b.name.clone())
            .collect();
        if let [one] = &winners[..] {
            return (one.clone(), None);
        }
        // A full-payload builder's block is never unblinded, so no `wins` moves: the one builder
        // chosen for the proposal made it.
        if winners.is_empty() {
            let chosen: Vec<&BuilderView> = deltas(before, after)
                .filter(|(_, d)| d.contains_key("chosen"))
                .map(|(b, _)| b)
                .collect();
            if let [one] = &chosen[..] {
                if crate::scenario::FULL_BUILDER_NAMES.contains(&one.name.as_str()) {
                    return (one.name.clone(), None);
                }
            }
        }
        // Several wins (a late reveal of the slot before) or none: a paying relay's payload pays its
        // own address; any other relay's pays the proposer.
        let pays = |r: &RelayIdentity| match &r.builder_address {
            Some(a) => a.eq_ignore_ascii_case(&block.fee_recipient),
            None => !relays.iter().any(|o| {
                o.builder_address
                    .as_deref()
                    .is_some_and(|a| a.eq_ignore_ascii_case(&block.fee_recipient))
            }),
        };
        let candidates: Vec<&RelayIdentity> = relays
            .iter()
            .filter(|r| winners.is_empty() || winners.contains(&r.name))
            .filter(|r| pays(r))
            .collect();
        return match &candidates[..] {
            [one] => (one.name.clone(), None),
            _ => ("builder".into(), None),
        };
    }
    // EthereumJS (`--el ethereumjs`) sets no extra-data; no relay's payload has none.
    let local = [LOCAL_EXTRA_DATA, crate::ethereumjs::LOCAL_EXTRA_DATA];
    let source = if local.contains(&block.extra_data.as_str()) {
        "local"
    } else {
        "unknown"
    };
    let reasons: Vec<String> = deltas(before, after)
        .map(|(b, d)| {
            if b.disabled() {
                return format!("{} {}", b.name, b.short());
            }
            let what: Vec<String> = d
                .keys()
                .filter(|k| {
                    ["timeouts", "errors", "no_bids"].contains(k) || k.starts_with("rejections.")
                })
                .map(|k| k.trim_start_matches("rejections.").to_string())
                .collect();
            match (what.is_empty(), d.contains_key("bids")) {
                (false, _) => format!("{} {}", b.name, what.join("+")),
                (true, true) => format!("{} bid lower", b.name),
                (true, false) => format!("{} not asked", b.name),
            }
        })
        .collect();
    let reason = (!reasons.is_empty()).then(|| reasons.join(", "));
    (source.into(), reason)
}

/// Why a slot has no block, when a builder's counters say: its bid was chosen and signed but not
/// revealed (yet: the node gives up on a withholding builder only after its unblinding budget), its
/// reveal did not make a block, or the node already counted a withheld, wrong or INVALID payload.
fn missed_reason(before: &[BuilderView], after: &[BuilderView]) -> Option<String> {
    let reasons: Vec<String> = deltas(before, after)
        .flat_map(|(b, d)| {
            let verdicts: Vec<String> = [
                ("unblind_withheld", "withheld its payload"),
                ("unblind_mismatches", "revealed a wrong payload"),
                ("invalid_payloads", "built an INVALID payload"),
            ]
            .into_iter()
            .filter(|(k, _)| d.contains_key(k))
            .map(|(_, what)| format!("{} {what}", b.name))
            .collect();
            let chosen = d.get("chosen").copied().unwrap_or(0);
            let wins = d.get("wins").copied().unwrap_or(0);
            let flow = if chosen > wins {
                Some(format!("{} chosen, payload not revealed", b.name))
            } else if wins > 0 {
                Some(format!("{} revealed, block not imported", b.name))
            } else {
                None
            };
            verdicts.into_iter().chain(flow)
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

/// One progress line for a slot.
pub fn format_record(r: &SlotRecord) -> String {
    let head = match (&r.head_slot, &r.head_root) {
        (Some(slot), Some(root)) => format!("head {slot:>3} {}", &root[..root.len().min(10)]),
        _ => "head   ? ?         ".into(),
    };
    let checkpoints = match (r.justified_epoch, r.finalized_epoch) {
        (Some(j), Some(f)) => format!("j/f {j}/{f}"),
        _ => "j/f ?/?".into(),
    };
    let proposer = r
        .proposer
        .map(|p| format!("prop {p:>2}"))
        .unwrap_or_else(|| "prop  ?".into());
    let mut payload = r.source.clone();
    if let Some(at) = r.block.as_ref().and_then(|b| b.seen_at_ms) {
        payload = format!("{payload} +{at}ms");
    }
    if let Some(reason) = &r.reason {
        payload = format!("{payload} ({reason})");
    }
    let builders: Vec<String> = r
        .builders
        .iter()
        .map(|b| format!("{} {}", b.name, b.short()))
        .collect();
    format!(
        "slot {:>3}  epoch {:>2} {:<7}  {head}  {checkpoints}  {proposer}  {payload:<24}  [{}]",
        r.slot,
        r.epoch,
        r.fork,
        builders.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn relays() -> Vec<RelayIdentity> {
        vec![
            RelayIdentity {
                name: "relay-a".into(),
                pubkey: "0xaa".into(),
                builder_address: None,
            },
            RelayIdentity {
                name: "relay-b".into(),
                pubkey: "0xbb".into(),
                builder_address: Some("0x00000000000000000000000000000000000000bb".into()),
            },
        ]
    }

    fn status(a_timeouts: u64, b_wins: u64, b_state: serde_json::Value) -> Vec<BuilderView> {
        parse_builders(
            &json!({"builders": [
                {"name": "0xaa", "pubkey": "0xAA", "state": {"status": "enabled"},
                 "counters": {"bids": "0", "timeouts": a_timeouts.to_string(), "wins": "0",
                              "rejections": {"zero_value": "1"}}},
                {"name": "0xbb", "pubkey": "0xbb", "state": b_state,
                 "counters": {"bids": "1", "timeouts": "0", "wins": b_wins.to_string(), "rejections": {}},
                 "last_bid": {"slot": "7", "value": "1", "block_hash": "0x00"}}
            ], "circuit_breaker": null}),
            &relays(),
        )
    }

    fn block(extra: &str, fee_recipient: &str) -> BlockInfo {
        BlockInfo {
            root: "0x01".into(),
            proposer_index: 3,
            extra_data: extra.into(),
            fee_recipient: fee_recipient.into(),
            execution_block_hash: "0x02".into(),
            seen_at_ms: Some(120),
        }
    }

    #[test]
    fn builders_are_named_after_their_relay_and_flattened() {
        let views = status(2, 1, json!({"status": "enabled"}));
        assert_eq!(views[0].name, "relay-a");
        assert_eq!(views[0].counter("timeouts"), 2);
        assert_eq!(views[0].counter("rejections.zero_value"), 1);
        assert_eq!(views[1].last_bid_slot, Some(7));
        let disabled = status(
            0,
            0,
            json!({"status": "disabled", "reason": "withheld", "slot": "9"}),
        );
        assert_eq!(disabled[1].short(), "off(withheld)");
    }

    #[test]
    fn a_relay_block_is_named_by_its_win_or_its_address() {
        let before = status(0, 0, json!({"status": "enabled"}));
        let after = status(0, 1, json!({"status": "enabled"}));
        let b = block("mock-relay", "0xfee");
        assert_eq!(classify(&b, &relays(), &before, &after).0, "relay-b");
        let paid = block("mock-relay", "0x00000000000000000000000000000000000000bb");
        assert_eq!(classify(&paid, &relays(), &after, &after).0, "relay-b");
        // No win seen, and the payload pays the proposer: the relay that does not pay by transaction.
        assert_eq!(classify(&b, &relays(), &after, &after).0, "relay-a");
        // Both won since the last look (a late reveal): the one whose way of paying matches.
        let before_both = status(0, 0, json!({"status": "enabled"}));
        let mut both = status(0, 1, json!({"status": "enabled"}));
        both[0].counters.insert("wins".into(), 1);
        assert_eq!(classify(&b, &relays(), &before_both, &both).0, "relay-a");
        assert_eq!(classify(&paid, &relays(), &before_both, &both).0, "relay-b");
    }

    #[test]
    fn a_local_block_says_why() {
        let before = status(0, 0, json!({"status": "enabled"}));
        let after = status(
            1,
            0,
            json!({"status": "disabled", "reason": "invalid_payload"}),
        );
        let (source, reason) = classify(&block("mock-el", "0xfee"), &relays(), &before, &after);
        assert_eq!(source, "local");
        assert_eq!(
            reason.as_deref(),
            Some("relay-a timeouts, relay-b off(invalid_payload)")
        );
    }

    #[test]
    fn block_json_is_read() {
        let json = json!({"version": "deneb", "data": {"message": {"slot": "5", "proposer_index": "12",
            "body": {"execution_payload_header": {"extra_data": "0x6d6f636b2d656c",
            "fee_recipient": "0xAB", "block_hash": "0xcd"}}}}});
        let info = block_info(&json).unwrap();
        assert_eq!(info.extra_data, "mock-el");
        assert_eq!(info.proposer_index, 12);
        assert_eq!(info.fee_recipient, "0xab");
    }

    #[test]
    fn a_line_has_every_column() {
        let record = SlotRecord {
            slot: 17,
            epoch: 2,
            fork: "electra",
            source: "relay-b".into(),
            reason: None,
            proposer: Some(12),
            block: Some(block("mock-relay", "0xbb")),
            head_slot: Some(17),
            head_root: Some("0x3a4f1b2c99".into()),
            justified_epoch: Some(1),
            finalized_epoch: Some(0),
            builders: status(0, 0, json!({"status": "enabled"})),
        };
        let line = format_record(&record);
        for part in [
            "slot  17",
            "epoch  2 electra",
            "head  17 0x3a4f1b2c",
            "j/f 1/0",
            "prop 12",
            "relay-b +120ms",
            "relay-a on, relay-b on",
        ] {
            assert!(line.contains(part), "{line:?} lacks {part:?}");
        }
    }
}
