//! Builder-pays mode: the relay is the fee recipient and pays the proposer the bid value in the
//! payload's last transaction, which is a signed transfer the engine still accepts.

use crate::common::*;
use builder_api::UnblindedPayload;
use mock_relay::{
    default_builder_address, last_transaction_payment, MockRelay, MockRelayConfig, PaymentError,
};
use serde_json::json;
use types::*;

/// Electra with a blob: the payment follows the engine's blob transaction, the bid pays its own value
/// to the registered fee recipient, and mock-el calls the revealed payload VALID.
#[tokio::test]
async fn the_last_transaction_pays_the_registered_fee_recipient_the_bid_value() {
    let mut options = RigOptions::new(ForkName::Electra);
    options.blobs_per_payload = 1;
    let rig = Rig::with(options).await;
    rig.relay.update_faults(|f| f.builder_pays = true);
    let (bid, block) = rig.bid_and_block(5).await;
    let message = bid.message_enum();
    let header = message.header_enum();
    assert_eq!(header.fee_recipient(), default_builder_address());
    assert_ne!(header.fee_recipient(), rig.fee_recipient);
    assert!(bid_verifies(&rig.spec, &bid));

    let revealed = rig.client.submit_blinded_block_v1(&block).await.unwrap();
    let UnblindedPayload::PayloadAndBlobs(contents) = &revealed else {
        panic!("an electra reveal carries blobs");
    };
    let payload = revealed.execution_payload();
    block
        .into_full_block(payload.clone())
        .expect("matches the header");
    // The engine's blob transaction, then the payment.
    assert_eq!(payload.transactions().len(), 2);
    let payment = last_transaction_payment(&payload).expect("a payment");
    assert_eq!(payment.to, rig.fee_recipient);
    assert_eq!(payment.value, message.value());
    assert_ne!(payment.value, U256::ZERO);
    assert_eq!(payment.from, default_builder_address());
    assert_eq!(payment.chain_id, rig.el.with_chain(|c| c.genesis.chain_id));
    assert_eq!(payment.nonce, payload.block_number());

    let commitments = contents.commitments().to_vec();
    assert_eq!(commitments.len(), 1);
    let requests = message.execution_requests().unwrap().clone();
    let status = rig
        .new_payload(&payload, &commitments, Some(&requests))
        .await;
    assert!(status.is_valid(), "{status:?}");
}

/// The switch is the admin endpoint's `builder_pays`, changed at run time like the faults; off again,
/// the registered fee recipient is paid directly and no payment is appended.
#[tokio::test]
async fn builder_pays_is_switched_at_run_time() {
    let rig = Rig::new(ForkName::Capella).await;
    let (status, body) = rig
        .post_raw(
            "admin/faults",
            &[("content-type", "application/json")],
            json!({"builder_pays": true}).to_string().into_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(rig.relay.faults().builder_pays);
    let (bid, block) = rig.bid_and_block(3).await;
    assert_eq!(
        bid.message_enum().header_enum().fee_recipient(),
        default_builder_address()
    );
    let payload = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap()
        .execution_payload();
    let payment = last_transaction_payment(&payload).unwrap();
    assert_eq!(payment.to, rig.fee_recipient);
    assert_eq!(payment.value, bid.message_enum().value());
    // 21000 gas for the transfer, and the block hash recomputed over the new transactions root.
    assert_eq!(payload.gas_used(), 21_000);
    let status = rig.new_payload(&payload, &[], None).await;
    assert!(status.is_valid(), "{status:?}");

    rig.relay.update_faults(|f| f.builder_pays = false);
    rig.feed(4);
    let bid = rig.get_header(4).await.unwrap().expect("a bid");
    assert_eq!(
        bid.message_enum().header_enum().fee_recipient(),
        rig.fee_recipient
    );
    let block = rig.blinded_block(&bid, 4, &rig.proposer);
    let payload = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap()
        .execution_payload();
    assert_eq!(
        last_transaction_payment(&payload),
        Err(PaymentError::NoTransactions)
    );
}

/// `builder_address` names the fee recipient; the payment is still to the registered one, for the bid
/// value (here zero, under the `zero_value` fault: the payment follows the bid, not the engine).
#[tokio::test]
async fn a_configured_builder_address_and_a_zero_bid() {
    let mut rig = Rig::new(ForkName::Deneb).await;
    let mut config = MockRelayConfig::new(
        rig.spec.clone(),
        gvr(),
        bls::SecretKey::random(),
        rig.el.url().parse().unwrap(),
        jwt(),
    );
    let builder = Address::repeat_byte(0xb1);
    config.builder_address = builder;
    config.faults.builder_pays = true;
    config.faults.zero_value = true;
    rig.relay = MockRelay::start::<E>(config).await.expect("relay starts");
    rig.client = rig.client_with(|_| {});
    let (bid, block) = rig.bid_and_block(5).await;
    assert_eq!(bid.message_enum().header_enum().fee_recipient(), builder);
    assert_eq!(bid.message_enum().value(), U256::ZERO);
    let payload = rig
        .client
        .submit_blinded_block_v1(&block)
        .await
        .unwrap()
        .execution_payload();
    let payment = last_transaction_payment(&payload).unwrap();
    assert_eq!((payment.to, payment.value), (rig.fee_recipient, U256::ZERO));
    let status = rig.new_payload(&payload, &[], None).await;
    assert!(status.is_valid(), "{status:?}");
}
