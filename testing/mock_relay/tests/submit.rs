//! submitBlindedBlock: the proposer's signature first, then the payload (v1) or publication (v2), and
//! the faults of the reveal.

use crate::common::*;
use bls::SecretKey;
use builder_api::UnblindedPayload;
use mock_relay::{InvalidPayloadFault, RelayFaults};
use types::tree_hash::TreeHash;
use types::*;

#[tokio::test]
async fn v1_reveals_the_payload_and_blobs_of_the_header() {
    let mut options = RigOptions::new(ForkName::Deneb);
    options.blobs_per_payload = 2;
    let rig = Rig::with(options).await;
    let (bid, block) = rig.bid_and_block(5).await;
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    let UnblindedPayload::PayloadAndBlobs(contents) = &revealed else {
        panic!("a deneb reveal carries blobs");
    };
    assert_eq!(contents.commitments().len(), 2);
    assert_eq!(
        contents.commitments(),
        bid.message_enum().blob_kzg_commitments().unwrap()
    );
    let payload = revealed.execution_payload();
    assert_eq!(
        payload.tree_hash_root(),
        bid.message_enum().header_enum().tree_hash_root()
    );
    let full = block
        .into_full_block(payload.clone())
        .expect("matches the header");
    assert_eq!(full.slot(), 5);
    // The engine accepts the payload it built (as the relay re-targeted and re-hashed it).
    let status = rig
        .new_payload(&payload, contents.commitments(), None)
        .await;
    assert!(status.is_valid(), "{status:?}");
    assert_eq!(rig.relay.stats().payloads_revealed, 1);
}

#[tokio::test]
async fn v1_capella_reveals_the_payload_alone() {
    let rig = Rig::new(ForkName::Capella).await;
    let (_, block) = rig.bid_and_block(5).await;
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    assert!(matches!(revealed, UnblindedPayload::Payload(_)));
    block.into_full_block(revealed.execution_payload()).unwrap();
}

#[tokio::test]
async fn v1_in_json_for_electra() {
    let rig = Rig::new(ForkName::Electra).await;
    let (bid, block) = rig.bid_and_block(5).await;
    let json_client = rig.client_with(|c| c.prefer_ssz = false);
    let revealed = json_client.submit_blinded_block_v1(&block).await.unwrap();
    let payload = revealed.execution_payload();
    block.into_full_block(payload.clone()).unwrap();
    let requests = bid.message_enum().execution_requests().unwrap().clone();
    let status = rig.new_payload(&payload, &[], Some(&requests)).await;
    assert!(status.is_valid(), "{status:?}");
}

#[tokio::test]
async fn a_bad_proposer_signature_reveals_nothing() {
    let rig = Rig::new(ForkName::Deneb).await;
    let bid = rig.bid(5).await;
    // Signed by another key than the proposer who asked for the bid.
    let block = rig.blinded_block(&bid, 5, &SecretKey::random());
    assert_eq!(rig.refused_v1(&block).await, 400);
    // The withholding fault does not change that the signature is checked first.
    rig.relay.update_faults(|f| f.withhold_payload = true);
    assert_eq!(rig.refused_v1(&block).await, 400);
    let stats = rig.relay.stats();
    assert_eq!(stats.payloads_revealed, 0);
    assert_eq!(stats.rejections, 2);
}

#[tokio::test]
async fn unknown_payloads_and_altered_headers_are_400() {
    let rig = Rig::new(ForkName::Deneb).await;
    let bid = rig.bid(5).await;
    // The bid with its header changed, under the bid's own signature.
    let with_header = |change: fn(&mut ExecutionPayloadHeaderDeneb<E>)| {
        let mut signed = bid.as_deneb().expect("a Deneb bid").clone();
        change(&mut signed.message.header);
        SignedBuilderBid::Deneb(signed)
    };
    let unknown = with_header(|h| h.block_hash = Hash256::repeat_byte(0xab));
    let block = rig.blinded_block(&unknown, 5, &rig.proposer);
    assert_eq!(rig.refused_v1(&block).await, 400);
    // Same block hash, another gas used: not the header that was bid.
    let altered = with_header(|h| h.gas_used += 1);
    let block = rig.blinded_block(&altered, 5, &rig.proposer);
    assert_eq!(rig.refused_v1(&block).await, 400);
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
}

#[tokio::test]
async fn v2_publishes_and_answers_202() {
    let rig = Rig::new(ForkName::Fulu).await;
    let (_, block) = rig.bid_and_block(5).await;
    rig.client.submit_blinded_block_v2(&block).await.unwrap();
    assert_eq!(rig.relay.published_blocks(), 1);
    assert_eq!(
        rig.relay.published_block_roots(),
        vec![block.message_root()]
    );
    // Fulu still serves v1 (deprecated, not removed).
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    assert_eq!(revealed.fork_name(), ForkName::Fulu);
}

#[tokio::test]
async fn withheld_and_failing_submissions() {
    let rig = Rig::new(ForkName::Deneb).await;
    let (_, block) = rig.bid_and_block(5).await;
    rig.relay.update_faults(|f| f.withhold_payload = true);
    assert_eq!(rig.refused_v1(&block).await, 500);
    rig.relay.set_faults(RelayFaults {
        submit_status: Some(502),
        ..Default::default()
    });
    assert_eq!(rig.refused_v1(&block).await, 502);
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
    rig.relay.set_faults(RelayFaults::default());
    rig.client.submit_blinded_block_v1(&block).await.unwrap();
}

#[tokio::test]
async fn a_mismatched_payload_does_not_fit_the_block() {
    let rig = Rig::new(ForkName::Deneb).await;
    let (_, block) = rig.bid_and_block(5).await;
    rig.relay.update_faults(|f| f.mismatched_payload = true);
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    let e = block
        .into_full_block(revealed.execution_payload())
        .unwrap_err();
    assert!(matches!(e, UnblindError::RootMismatch { .. }), "{e:?}");
}

#[tokio::test]
async fn invalid_payload_once_then_honest() {
    let rig = Rig::new(ForkName::Deneb).await;
    rig.relay
        .update_faults(|f| f.invalid_payload = InvalidPayloadFault::Once);
    let bid = rig.bid(5).await;
    assert_eq!(rig.relay.faults().invalid_payload, InvalidPayloadFault::Off);
    let header = bid.message_enum().header_enum();
    assert!(header.gas_used() > header.gas_limit());
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
    let payload = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap()
        .execution_payload();
    block.into_full_block(payload.clone()).unwrap();
    let status = rig.new_payload(&payload, &[], None).await;
    assert!(status.is_invalid(), "{status:?}");

    // The switch turned itself off: the next bid is honest and valid.
    let bid = rig.get_header(5).await.unwrap().unwrap();
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
    let payload = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap()
        .execution_payload();
    let status = rig.new_payload(&payload, &[], None).await;
    assert!(status.is_valid(), "{status:?}");
}

#[tokio::test]
async fn invalid_payload_always_stays_on() {
    let rig = Rig::new(ForkName::Capella).await;
    rig.relay
        .update_faults(|f| f.invalid_payload = InvalidPayloadFault::Always);
    for _ in 0..2 {
        let bid = rig.bid(5).await;
        let header = bid.message_enum().header_enum();
        assert!(header.gas_used() > header.gas_limit());
    }
    assert_eq!(
        rig.relay.faults().invalid_payload,
        InvalidPayloadFault::Always
    );
}

/// builder-specs: `Eth-Consensus-Version` is "required if request is SSZ encoded"; a relay that
/// guessed the fork from the slot would hide a client that forgets it.
#[tokio::test]
async fn ssz_without_consensus_version_is_400() {
    let rig = Rig::new(ForkName::Deneb).await;
    let (_, block) = rig.bid_and_block(5).await;
    let ssz = types::ssz::Encode::as_ssz_bytes(&block);
    let path = "eth/v1/builder/blinded_blocks";
    let (status, body) = rig
        .post_raw(
            path,
            &[("content-type", "application/octet-stream")],
            ssz.clone(),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Eth-Consensus-Version"), "{body}");
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
    let (status, body) = rig
        .post_raw(
            path,
            &[
                ("content-type", "application/octet-stream"),
                ("eth-consensus-version", "deneb"),
            ],
            ssz,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// A block labelled with another fork than the one its slot is in is refused, even when the two forks'
/// blinded blocks have the same shape (Electra and Fulu).
#[tokio::test]
async fn a_consensus_version_other_than_the_slot_fork_is_400() {
    let rig = Rig::new(ForkName::Electra).await;
    let (_, block) = rig.bid_and_block(5).await;
    let json = serde_json::to_vec(&block).unwrap();
    let (status, body) = rig
        .post_raw(
            "eth/v1/builder/blinded_blocks",
            &[
                ("content-type", "application/json"),
                ("eth-consensus-version", "fulu"),
            ],
            json,
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("fulu"), "{body}");
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
}

/// submitBlindedBlockV2 answers 202 without a body, so `Accept` has nothing to choose: the spec lists
/// no 406 for it.
#[tokio::test]
async fn v2_does_not_negotiate_an_answer_it_does_not_send() {
    let rig = Rig::new(ForkName::Fulu).await;
    let (_, block) = rig.bid_and_block(5).await;
    let (status, body) = rig
        .post_raw(
            "eth/v2/builder/blinded_blocks",
            &[
                ("content-type", "application/json"),
                ("eth-consensus-version", "fulu"),
                ("accept", "text/html"),
            ],
            serde_json::to_vec(&block).unwrap(),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(rig.relay.published_blocks(), 1);
}

/// What warp refuses before a handler runs (unknown path, wrong method, oversized body) still answers
/// with the builder-specs error body.
#[tokio::test]
async fn refusals_before_the_handlers_carry_the_error_body() {
    let rig = Rig::new(ForkName::Deneb).await;
    let url = rig.relay.url();
    let check = |status: u16, body: &str, expected: u16| {
        assert_eq!(status, expected, "{body}");
        let json: serde_json::Value = serde_json::from_str(body).expect(body);
        assert_eq!(json["code"], expected, "{body}");
        assert!(
            json["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    };
    let response = reqwest::get(format!("{url}eth/v1/builder/nothing"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    check(status, &response.text().await.unwrap(), 404);
    let response = reqwest::get(format!("{url}eth/v1/builder/validators"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    check(status, &response.text().await.unwrap(), 405);
    let (status, body) = rig
        .post_raw("admin/faults", &[], vec![b' '; 2 * 1024 * 1024])
        .await;
    check(status, &body, 413);
}

#[tokio::test]
async fn v2_unsupported_answers_404_and_v1_still_reveals() {
    let rig = Rig::new(ForkName::Fulu).await;
    let (_, block) = rig.bid_and_block(5).await;
    rig.relay.update_faults(|f| f.v2_unsupported = true);
    let e = rig
        .client
        .submit_blinded_block_v2(&block)
        .await
        .expect_err("v2 is not served");
    assert_eq!(status_of(&e), Some(404), "{e:?}");
    assert_eq!(rig.relay.published_blocks(), 0);
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    block.into_full_block(revealed.execution_payload()).unwrap();
}

#[tokio::test]
async fn configured_extra_data_is_built_and_revealed() {
    let mut rig = Rig::new(ForkName::Electra).await;
    let mut config = mock_relay::MockRelayConfig::new(
        rig.spec.clone(),
        gvr(),
        SecretKey::random(),
        rig.el.url().parse().unwrap(),
        jwt(),
    );
    config.extra_data = b"second builder".to_vec();
    rig.relay = mock_relay::MockRelay::start::<E>(config)
        .await
        .expect("relay starts");
    rig.client = rig.client_with(|_| {});
    let (bid, block) = rig.bid_and_block(5).await;
    let header = bid.message_enum().header_enum();
    assert_eq!(&header.extra_data()[..], b"second builder");
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    let payload = revealed.execution_payload();
    assert_eq!(&payload.extra_data()[..], b"second builder");
    block.into_full_block(payload.clone()).unwrap();
    // The engine accepts the payload: the block hash was recomputed over the new extra-data.
    let requests = bid.message_enum().execution_requests().unwrap().clone();
    let status = rig.new_payload(&payload, &[], Some(&requests)).await;
    assert!(status.is_valid(), "{status:?}");
}

/// Another registered key asking for the same slot's header gets the same payload (same preferences),
/// and must not take the bid away from the proposer who then signs it.
#[tokio::test]
async fn another_key_asking_for_the_header_does_not_lock_out_the_proposer() {
    let rig = Rig::new(ForkName::Deneb).await;
    let other = SecretKey::random();
    rig.client
        .register_validators(&[rig.registration(&other, now())])
        .await
        .unwrap();
    let (bid, block) = rig.bid_and_block(5).await;
    let other_bid = rig
        .client
        .get_header::<E>(
            5,
            rig.el.head_hash(),
            &other.public_key().to_bytes(),
            ForkName::Deneb,
        )
        .await
        .unwrap()
        .expect("a bid for the other key too");
    assert_eq!(
        other_bid.message_enum().header_enum().block_hash(),
        bid.message_enum().header_enum().block_hash()
    );
    rig.client
        .submit_blinded_block_v1(&block)
        .await
        .expect("the proposer's block is revealed");
    // The other key's signature over the same block unblinds it too: it asked for that bid.
    let by_other = rig.blinded_block(&bid, 5, &other);
    rig.client.submit_blinded_block_v1(&by_other).await.unwrap();
    // A third key that asked for nothing does not.
    let stranger = rig.blinded_block(&bid, 5, &SecretKey::random());
    assert_eq!(rig.refused_v1(&stranger).await, 400);
}
