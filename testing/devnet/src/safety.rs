//! Whether any validator signed two conflicting messages, checked twice: in what the node holds (two
//! blocks of one proposer at one slot; a slashable pair among the attestations of every block seen,
//! after `is_slashable_attestation_data`) and in the vc's slashing protection, exported as an EIP-3076
//! interchange file by `vc slashing-protection export`.

use beacon_api::BeaconNodeHttpClient;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// One attestation's vote: its data (as JSON text: equal data, equal vote), source and target epochs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Vote {
    source: u64,
    target: u64,
    data: String,
}

/// Spec `is_slashable_attestation_data`: a double vote (same target, other data) or a surround vote.
fn slashable(a: &Vote, b: &Vote) -> bool {
    (a.data != b.data && a.target == b.target)
        || (a.source < b.source && b.target < a.target)
        || (b.source < a.source && a.target < b.target)
}

/// The first slashable pair among each validator's votes, named.
fn slashable_pairs(votes: &BTreeMap<u64, BTreeSet<Vote>>) -> Vec<String> {
    let mut found = Vec::new();
    for (validator, set) in votes {
        let list: Vec<&Vote> = set.iter().collect();
        for (i, a) in list.iter().enumerate() {
            if let Some(b) = list[i + 1..].iter().find(|b| slashable(a, b)) {
                found.push(format!(
                    "validator {validator}: {}->{} and {}->{}",
                    a.source, a.target, b.source, b.target
                ));
                break;
            }
        }
    }
    found
}

fn number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// The set bits of an SSZ bitlist (hex; the highest set bit is the length marker).
fn bitlist(hex_text: &str) -> Option<Vec<bool>> {
    let bytes = hex::decode(hex_text.trim_start_matches("0x")).ok()?;
    let mut bits: Vec<bool> = bytes
        .iter()
        .flat_map(|byte| (0..8).map(move |i| byte >> i & 1 == 1))
        .collect();
    let marker = bits.iter().rposition(|b| *b)?;
    bits.truncate(marker);
    Some(bits)
}

/// The set bits of an SSZ bitvector (hex).
fn bitvector(hex_text: &str) -> Option<Vec<bool>> {
    let bytes = hex::decode(hex_text.trim_start_matches("0x")).ok()?;
    Some(
        bytes
            .iter()
            .flat_map(|byte| (0..8).map(move |i| byte >> i & 1 == 1))
            .collect(),
    )
}

async fn get_json(client: &BeaconNodeHttpClient, path: &str) -> Result<Value, String> {
    let response = client
        .get_with_accept(path, beacon_api::JSON_CONTENT_TYPE)
        .await
        .map_err(|e| format!("{path}: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        return Err(format!("{path}: {status} {}", text.trim()));
    }
    response.json().await.map_err(|e| format!("{path}: {e}"))
}

/// The beacon committees of each epoch, taken while the run goes: the node keeps no state before
/// its finalized epoch, and a state answers only for its previous, current and next epochs.
#[derive(Debug, Default)]
pub struct Committees {
    /// epoch -> (slot, committee index) -> validator indices.
    epochs: HashMap<u64, HashMap<(u64, u64), Vec<u64>>>,
}

impl Committees {
    /// Asks the head state for `epoch`'s committees unless known; a failure (the node restarting,
    /// the head too far behind) is left for a later call.
    pub async fn remember(&mut self, client: &BeaconNodeHttpClient, epoch: u64) {
        if self.epochs.contains_key(&epoch) {
            return;
        }
        let path = format!("eth/v1/beacon/states/head/committees?epoch={epoch}");
        let Ok(answer) = get_json(client, &path).await else {
            return;
        };
        let map = answer["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                let validators = c["validators"]
                    .as_array()?
                    .iter()
                    .map(number)
                    .collect::<Option<Vec<u64>>>()?;
                Some(((number(&c["slot"])?, number(&c["index"])?), validators))
            })
            .collect();
        self.epochs.insert(epoch, map);
    }
}

/// Checks the blocks the node holds: `blocks` are every root seen per slot (the event stream and the
/// canonical chain), `committees` those of every epoch their attestations name. Returns what it
/// checked, or the conflicts found.
pub async fn check_chain(
    client: &BeaconNodeHttpClient,
    blocks: &BTreeMap<u64, BTreeSet<String>>,
    committees: &Committees,
    slots_per_epoch: u64,
) -> Result<String, String> {
    let mut conflicts = Vec::new();
    let mut votes: BTreeMap<u64, BTreeSet<Vote>> = BTreeMap::new();
    let mut block_count = 0;
    let mut attestation_count = 0;
    for (slot, roots) in blocks {
        let mut proposers: BTreeMap<u64, &String> = BTreeMap::new();
        for root in roots {
            let block = get_json(client, &format!("eth/v1/beacon/blinded_blocks/{root}")).await?;
            block_count += 1;
            let proposer = number(&block["data"]["message"]["proposer_index"])
                .ok_or_else(|| format!("block {root}: no proposer_index"))?;
            if let Some(other) = proposers.insert(proposer, root) {
                conflicts.push(format!(
                    "validator {proposer} proposed {other} and {root} at slot {slot}"
                ));
            }
            let list =
                get_json(client, &format!("eth/v2/beacon/blocks/{root}/attestations")).await?;
            for att in list["data"].as_array().into_iter().flatten() {
                attestation_count += 1;
                let data = &att["data"];
                let (Some(att_slot), Some(source), Some(target)) = (
                    number(&data["slot"]),
                    number(&data["source"]["epoch"]),
                    number(&data["target"]["epoch"]),
                ) else {
                    return Err(format!(
                        "block {root}: an attestation without slot or epochs"
                    ));
                };
                let epoch = att_slot / slots_per_epoch;
                let by_slot = committees.epochs.get(&epoch).ok_or_else(|| {
                    format!("block {root}: the committees of epoch {epoch} were not taken")
                })?;
                // Electra on: the committees are named by committee_bits and the aggregation bits
                // run over them in order; before, by data.index.
                let indices: Vec<u64> = match att["committee_bits"].as_str() {
                    Some(bits) => bitvector(bits)
                        .ok_or_else(|| format!("block {root}: bad committee_bits"))?
                        .iter()
                        .enumerate()
                        .filter(|(_, set)| **set)
                        .map(|(i, _)| i as u64)
                        .collect(),
                    None => vec![number(&data["index"]).unwrap_or(0)],
                };
                let bits = att["aggregation_bits"]
                    .as_str()
                    .and_then(bitlist)
                    .ok_or_else(|| format!("block {root}: bad aggregation_bits"))?;
                let mut members = Vec::new();
                for index in indices {
                    let committee = by_slot.get(&(att_slot, index)).ok_or_else(|| {
                        format!("no committee {index} at slot {att_slot} (block {root})")
                    })?;
                    members.extend_from_slice(committee);
                }
                if members.len() != bits.len() {
                    return Err(format!(
                        "block {root}: {} aggregation bits for {} committee members",
                        bits.len(),
                        members.len()
                    ));
                }
                let vote = Vote {
                    source,
                    target,
                    data: data.to_string(),
                };
                for (validator, _) in members.iter().zip(&bits).filter(|(_, set)| **set) {
                    votes.entry(*validator).or_default().insert(vote.clone());
                }
            }
        }
    }
    conflicts.extend(slashable_pairs(&votes));
    if conflicts.is_empty() {
        Ok(format!(
            "{block_count} blocks, {attestation_count} attestations of {} validators",
            votes.len()
        ))
    } else {
        Err(conflicts.join("; "))
    }
}

/// Exports the vc's slashing protection (`vc` stopped: it holds its database) to `file`.
pub fn export_slashing_protection(
    vc: &Path,
    datadir: &Path,
    bn_url: &url::Url,
    file: &Path,
) -> Result<Value, String> {
    let output = std::process::Command::new(vc)
        .arg("--datadir")
        .arg(datadir)
        .arg("--beacon-nodes")
        .arg(bn_url.as_str())
        .arg("slashing-protection")
        .arg("export")
        .arg(file)
        .output()
        .map_err(|e| format!("{}: {e}", vc.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        return Err(format!(
            "vc slashing-protection export: {}: {} {}",
            output.status,
            stderr.trim(),
            stdout.trim()
        ));
    }
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))
}

/// Checks an EIP-3076 interchange for two signed blocks at one slot and for slashable attestation
/// pairs of one key. Returns what it checked, or the conflicts.
pub fn check_interchange(interchange: &Value) -> Result<String, String> {
    let Some(records) = interchange["data"].as_array() else {
        return Err("the interchange has no data".into());
    };
    let mut conflicts = Vec::new();
    let (mut blocks, mut attestations) = (0, 0);
    let mut votes: BTreeMap<u64, BTreeSet<Vote>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        let key = record["pubkey"].as_str().unwrap_or("?");
        let short = &key[..key.len().min(12)];
        let mut by_slot: BTreeMap<u64, Option<&str>> = BTreeMap::new();
        for b in record["signed_blocks"].as_array().into_iter().flatten() {
            blocks += 1;
            let slot =
                number(&b["slot"]).ok_or_else(|| format!("{short}: a block without slot"))?;
            let root = b["signing_root"].as_str();
            if let Some(other) = by_slot.insert(slot, root) {
                // Equal signing roots are the same block signed again (allowed); an unknown root
                // cannot be told apart from another block.
                if other.is_none() || root.is_none() || other != root {
                    conflicts.push(format!("{short}: two blocks at slot {slot}"));
                }
            }
        }
        for a in record["signed_attestations"]
            .as_array()
            .into_iter()
            .flatten()
        {
            attestations += 1;
            let (Some(source), Some(target)) =
                (number(&a["source_epoch"]), number(&a["target_epoch"]))
            else {
                return Err(format!("{short}: an attestation without epochs"));
            };
            let data = a["signing_root"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("unknown {source}->{target}"));
            votes.entry(i as u64).or_default().insert(Vote {
                source,
                target,
                data,
            });
        }
    }
    conflicts.extend(slashable_pairs(&votes).into_iter().map(|c| {
        let index: usize = c
            .trim_start_matches("validator ")
            .split(':')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let key = records[index]["pubkey"].as_str().unwrap_or("?");
        format!(
            "{}{}",
            &key[..key.len().min(12)],
            c.split_once(':').map(|x| x.1).unwrap_or("")
        )
    }));
    if !conflicts.is_empty() {
        return Err(conflicts.join("; "));
    }
    Ok(format!(
        "{} keys, {blocks} blocks, {attestations} attestations",
        records.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vote(source: u64, target: u64, data: &str) -> Vote {
        Vote {
            source,
            target,
            data: data.into(),
        }
    }

    #[test]
    fn double_and_surround_votes_are_slashable() {
        assert!(slashable(&vote(1, 2, "a"), &vote(1, 2, "b")));
        assert!(!slashable(&vote(1, 2, "a"), &vote(1, 2, "a")));
        assert!(slashable(&vote(1, 4, "a"), &vote(2, 3, "b")));
        assert!(slashable(&vote(2, 3, "a"), &vote(1, 4, "b")));
        assert!(!slashable(&vote(1, 2, "a"), &vote(2, 3, "b")));
    }

    #[test]
    fn bitlists_drop_their_marker() {
        assert_eq!(bitlist("0x0d"), Some(vec![true, false, true]));
        assert_eq!(bitlist("0x0001"), Some(vec![false; 8]));
        assert_eq!(bitlist("0x00"), None);
        assert_eq!(bitvector("0x01").unwrap()[..2], [true, false]);
    }

    #[test]
    fn interchanges_with_conflicts_fail() {
        let clean = json!({"metadata": {}, "data": [{"pubkey": "0xaaaaaaaaaaaaaaaa",
            "signed_blocks": [{"slot": "3", "signing_root": "0x01"}, {"slot": "3", "signing_root": "0x01"}],
            "signed_attestations": [{"source_epoch": "0", "target_epoch": "1", "signing_root": "0x02"},
                                    {"source_epoch": "1", "target_epoch": "2", "signing_root": "0x03"}]}]});
        assert!(check_interchange(&clean).is_ok());
        let mut blocks = clean.clone();
        blocks["data"][0]["signed_blocks"][1]["signing_root"] = json!("0x09");
        assert!(check_interchange(&blocks)
            .unwrap_err()
            .contains("two blocks at slot 3"));
        let mut double = clean.clone();
        double["data"][0]["signed_attestations"][1] =
            json!({"source_epoch": "0", "target_epoch": "1", "signing_root": "0x04"});
        assert!(check_interchange(&double).unwrap_err().contains("0->1"));
        let mut surround = clean;
        surround["data"][0]["signed_attestations"][1] =
            json!({"source_epoch": "0", "target_epoch": "5", "signing_root": "0x04"});
        surround["data"][0]["signed_attestations"][0] =
            json!({"source_epoch": "1", "target_epoch": "2", "signing_root": "0x05"});
        assert!(check_interchange(&surround).is_err());
        assert!(check_interchange(&json!({})).is_err());
    }
}
