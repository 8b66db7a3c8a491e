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
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
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
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    assert!(matches!(revealed, UnblindedPayload::Payload(_)));
    block.into_full_block(revealed.execution_payload()).unwrap();
}

#[tokio::test]
async fn v1_in_json_for_electra() {
    let rig = Rig::new(ForkName::Electra).await;
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
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
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(400), "{e:?}");
    // The withholding fault does not change that the signature is checked first.
    rig.relay.update_faults(|f| f.withhold_payload = true);
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(400), "{e:?}");
    let stats = rig.relay.stats();
    assert_eq!(stats.payloads_revealed, 0);
    assert_eq!(stats.rejections, 2);
}

#[tokio::test]
async fn unknown_payloads_and_altered_headers_are_400() {
    let rig = Rig::new(ForkName::Deneb).await;
    let bid = rig.bid(5).await;
    let mut message = bid.message_enum();
    if let BuilderBid::Deneb(m) = &mut message {
        m.header.block_hash = Hash256::repeat_byte(0xab);
    }
    let unknown = SignedBuilderBid::Deneb(SignedBuilderBidDeneb {
        message: message.as_deneb().unwrap().clone(),
        signature: bid.signature(),
    });
    let block = rig.blinded_block(&unknown, 5, &rig.proposer);
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(400), "{e:?}");
    // Same block hash, another gas used: not the header that was bid.
    let mut message = bid.message_enum();
    if let BuilderBid::Deneb(m) = &mut message {
        m.header.gas_used += 1;
    }
    let altered = SignedBuilderBid::Deneb(SignedBuilderBidDeneb {
        message: message.as_deneb().unwrap().clone(),
        signature: bid.signature(),
    });
    let block = rig.blinded_block(&altered, 5, &rig.proposer);
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(400), "{e:?}");
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
}

#[tokio::test]
async fn v2_publishes_and_answers_202() {
    let rig = Rig::new(ForkName::Fulu).await;
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
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
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
    rig.relay.update_faults(|f| f.withhold_payload = true);
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(500), "{e:?}");
    rig.relay.set_faults(RelayFaults {
        submit_status: Some(502),
        ..Default::default()
    });
    let e = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap_err();
    assert_eq!(status_of(&e), Some(502), "{e:?}");
    assert_eq!(rig.relay.stats().payloads_revealed, 0);
    rig.relay.set_faults(RelayFaults::default());
    rig.client.submit_blinded_block_v1(&block).await.unwrap();
}

#[tokio::test]
async fn a_mismatched_payload_does_not_fit_the_block() {
    let rig = Rig::new(ForkName::Deneb).await;
    let bid = rig.bid(5).await;
    let block = rig.blinded_block(&bid, 5, &rig.proposer);
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
