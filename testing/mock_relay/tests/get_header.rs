//! getHeader: bids for each fork built by the engine for the registered preferences, signed under the
//! builder domain; 204 when the relay cannot bid.

use crate::common::*;
use mock_relay::{expected_gas_limit, EXTRA_DATA};
use types::tree_hash::TreeHash;
use types::*;

/// A bid for `fork`: it verifies, carries the relay's key, and its header is what was fed and
/// registered.
async fn bid_matches_what_was_fed(fork: ForkName) {
    let rig = Rig::new(fork).await;
    rig.register().await;
    let slot = 9;
    let fed = rig.feed(slot);
    let bid = rig.get_header(slot).await.unwrap().expect("a bid");
    assert_eq!(bid.fork_name(), fork);
    assert!(bid_verifies(&rig.spec, &bid));
    let message = bid.message_enum();
    assert_eq!(message.pubkey(), rig.relay.pubkey());
    // Value: the engine's block value (no transactions: zero) plus the default 1 gwei bonus.
    assert_eq!(message.value(), U256::from(1_000_000_000u64));
    let header = message.header_enum();
    let attrs = &fed.payload_attributes;
    assert_eq!(header.parent_hash(), fed.parent_block_hash);
    assert_eq!(header.fee_recipient(), rig.fee_recipient);
    assert_eq!(header.timestamp(), attrs.timestamp);
    assert_eq!(header.prev_randao(), attrs.prev_randao);
    assert_eq!(header.block_number(), 1);
    let withdrawals = Withdrawals::<E>::new(attrs.withdrawals.clone()).unwrap();
    assert_eq!(header.withdrawals_root(), withdrawals.tree_hash_root());
    let parent_gas_limit = rig.el.with_chain(|c| c.head().header.gas_limit);
    assert_eq!(
        header.gas_limit(),
        expected_gas_limit(parent_gas_limit, GAS_LIMIT_TARGET)
    );
    assert_ne!(header.gas_limit(), parent_gas_limit);
    let extra_data = match &header {
        ExecutionPayloadHeader::Capella(h) => h.extra_data.to_vec(),
        ExecutionPayloadHeader::Deneb(h) => h.extra_data.to_vec(),
        ExecutionPayloadHeader::Electra(h) => h.extra_data.to_vec(),
        ExecutionPayloadHeader::Fulu(h) => h.extra_data.to_vec(),
    };
    assert_eq!(extra_data, EXTRA_DATA);
    assert_eq!(rig.relay.stats().headers_served, 1);
}

#[tokio::test]
async fn capella_bid() {
    bid_matches_what_was_fed(ForkName::Capella).await;
}

#[tokio::test]
async fn deneb_bid() {
    bid_matches_what_was_fed(ForkName::Deneb).await;
}

#[tokio::test]
async fn electra_bid() {
    bid_matches_what_was_fed(ForkName::Electra).await;
}

#[tokio::test]
async fn fulu_bid() {
    bid_matches_what_was_fed(ForkName::Fulu).await;
}

#[tokio::test]
async fn json_and_ssz_answers_are_the_same_bid() {
    let rig = Rig::new(ForkName::Electra).await;
    let ssz_bid = rig.bid(3).await;
    assert!(rig.client.uses_ssz(), "the relay answered in SSZ");
    let json_client = rig.client_with(|c| c.prefer_ssz = false);
    let json_bid = rig.get_header_with(&json_client, 3).await.unwrap().unwrap();
    // One build serves both (and the same header); signatures are deterministic.
    assert_eq!(json_bid, ssz_bid);
    // The raw answer carries Eth-Consensus-Version and the envelope.
    let url = format!(
        "{}eth/v1/builder/header/3/{:#x}/{}",
        rig.relay.url(),
        rig.el.head_hash(),
        rig.proposer_pubkey()
    );
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["eth-consensus-version"], "electra");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["version"], "electra");
    let not_acceptable = reqwest::Client::new()
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(not_acceptable.status(), 406);
}

#[tokio::test]
async fn unknown_slot_parent_or_proposer_gets_no_bid() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.feed(5);
    // Not registered yet.
    assert_eq!(rig.get_header(5).await.unwrap(), None);
    rig.register().await;
    // Unknown slot.
    assert_eq!(rig.get_header(6).await.unwrap(), None);
    // Unknown parent.
    let other_parent = rig
        .client
        .get_header::<E>(
            5,
            Hash256::repeat_byte(0xee),
            &rig.proposer_pubkey(),
            ForkName::Deneb,
        )
        .await
        .unwrap();
    assert_eq!(other_parent, None);
    assert!(rig.get_header(5).await.unwrap().is_some());
    assert_eq!(rig.relay.stats().no_bids, 3);
}

#[tokio::test]
async fn bad_request_paths_are_400() {
    let rig = Rig::new(ForkName::Deneb).await;
    let response = reqwest::get(format!(
        "{}eth/v1/builder/header/x/0x00/0x00",
        rig.relay.url()
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let status = reqwest::get(format!("{}eth/v1/builder/status", rig.relay.url()))
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    rig.client.status().await.unwrap();
}

#[tokio::test]
async fn deneb_bids_carry_the_engine_blob_commitments() {
    let mut options = RigOptions::new(ForkName::Deneb);
    options.blobs_per_payload = 2;
    let rig = Rig::with(options).await;
    let bid = rig.bid(4).await;
    let commitments = bid.message_enum().blob_kzg_commitments().unwrap().clone();
    assert_eq!(commitments.len(), 2);
}
