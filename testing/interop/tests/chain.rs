//! What the tests read from a beacon API (ours or Lodestar's): head, justification, and the blocks
//! of the canonical chain with their graffiti and attestations.

use crate::harness::Rest;

#[derive(Debug, Clone)]
pub struct BlockSummary {
    pub slot: u64,
    pub proposer: u64,
    pub graffiti: String,
    pub attestations: usize,
}

fn u64_at(value: &serde_json::Value, pointer: &str) -> Result<u64, String> {
    value
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no integer at {pointer} in {value}"))
}

pub fn head_slot(rest: &Rest, base: &str) -> Result<u64, String> {
    let head = rest
        .get(&format!("{base}/eth/v1/beacon/headers/head"))?
        .ok_or("no head")?;
    u64_at(&head, "/data/header/message/slot")
}

pub fn justified_epoch(rest: &Rest, base: &str) -> Result<u64, String> {
    let checkpoints = rest
        .get(&format!(
            "{base}/eth/v1/beacon/states/head/finality_checkpoints"
        ))?
        .ok_or("no finality checkpoints")?;
    u64_at(&checkpoints, "/data/current_justified/epoch")
}

/// Graffiti bytes as text, without the zero padding.
fn graffiti_text(hex_graffiti: &str) -> String {
    let digits = hex_graffiti.trim_start_matches("0x");
    let bytes: Vec<u8> = (0..digits.len() / 2)
        .filter_map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).ok())
        .collect();
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Whether a block's graffiti is `ours`: as written, or as Lodestar 1.5.1 reads the spec's hex
/// `graffiti` query parameter (as text: the first 32 characters of `0x` and the hex digits).
fn graffiti_matches(found: &str, ours: &str) -> bool {
    let mut padded = ours.as_bytes().to_vec();
    padded.resize(32, 0);
    let hex: String = padded.iter().map(|b| format!("{b:02x}")).collect();
    found == ours || found == &format!("0x{hex}")[..32]
}

/// The canonical blocks at slots `1..=up_to` (empty slots skipped).
pub fn blocks(rest: &Rest, base: &str, up_to: u64) -> Result<Vec<BlockSummary>, String> {
    let mut out = Vec::new();
    for slot in 1..=up_to {
        let Some(block) = rest.get(&format!("{base}/eth/v2/beacon/blocks/{slot}"))? else {
            continue;
        };
        let message = block
            .pointer("/data/message")
            .ok_or_else(|| format!("no message in block {slot}"))?;
        out.push(BlockSummary {
            slot: u64_at(message, "/slot")?,
            proposer: u64_at(message, "/proposer_index")?,
            graffiti: graffiti_text(
                message
                    .pointer("/body/graffiti")
                    .and_then(|g| g.as_str())
                    .unwrap_or(""),
            ),
            attestations: message
                .pointer("/body/attestations")
                .and_then(|a| a.as_array())
                .map_or(0, Vec::len),
        });
    }
    Ok(out)
}

/// One line per block, for failure messages and `--nocapture` runs.
pub fn describe(blocks: &[BlockSummary]) -> String {
    blocks
        .iter()
        .map(|b| {
            format!(
                "slot {} proposer {} graffiti {:?} attestations {}",
                b.slot, b.proposer, b.graffiti, b.attestations
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn graffiti_is_read_without_padding() {
    assert_eq!(
        graffiti_text("0x626c696e64666f6c640000000000000000000000000000000000000000000000"),
        "blindfold"
    );
    assert_eq!(graffiti_text("0x"), "");
    assert!(graffiti_matches("blindfold-vc", "blindfold-vc"));
    assert!(graffiti_matches(
        "0x626c696e64666f6c642d7663000000",
        "blindfold-vc"
    ));
    assert!(!graffiti_matches("lodestar-vc", "blindfold-vc"));
}

/// Waits until the head state has justified an epoch past genesis (every process alive meanwhile),
/// then checks that the chain was built by the signer that writes `graffiti`: most slots filled,
/// every block carrying that graffiti, and attestations included. Returns the blocks.
pub fn expect_justified_chain_by(
    rest: &Rest,
    base: &str,
    graffiti: &str,
    timeout: std::time::Duration,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<Vec<BlockSummary>, String> {
    let justified = crate::harness::poll(
        "an epoch justified past genesis",
        timeout,
        std::time::Duration::from_secs(1),
        || {
            alive()?;
            // A node that is still starting may refuse a request: keep polling.
            Ok(justified_epoch(rest, base).ok().filter(|e| *e >= 1))
        },
    );
    let head = head_slot(rest, base)?;
    let blocks = blocks(rest, base, head)?;
    let justified =
        justified.map_err(|e| format!("{e}; head slot {head}, blocks:\n{}", describe(&blocks)))?;
    let foreign: Vec<_> = blocks
        .iter()
        .filter(|b| !graffiti_matches(&b.graffiti, graffiti))
        .collect();
    if !foreign.is_empty() {
        return Err(format!(
            "blocks without graffiti {graffiti:?}:\n{}",
            describe(&foreign.into_iter().cloned().collect::<Vec<_>>())
        ));
    }
    let attestations: usize = blocks.iter().map(|b| b.attestations).sum();
    if (blocks.len() as u64) * 2 < head || attestations == 0 {
        return Err(format!(
            "justified epoch {justified} at head slot {head}, but only {} blocks and {attestations} attestations:\n{}",
            blocks.len(),
            describe(&blocks)
        ));
    }
    Ok(blocks)
}
