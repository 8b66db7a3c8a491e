//! Block production (v3, v2, v1 blinded and its alias) and publication (v2 and v1, JSON and SSZ,
//! blinded through the relay), with the spec's headers and the error answers.

use crate::harness::*;
use beacon_api::{
    FullBlockContents, ProduceQuery, ProducedBlockData, PublishBlockRequest, SignedBlockContents,
};
use types::{EthSpec, ForkName, U256};

#[tokio::test]
async fn v3_blinded_through_the_relay_then_local_full_blocks_across_forks() {
    let env = Env::start_with(
        "v3",
        Options {
            blobs_per_payload: 1,
            ..Options::default()
        },
    )
    .await;
    // A relay bid wins: blinded, valued, published blinded (JSON), unblinded by the relay.
    let produced = env.propose(1, false).await;
    assert!(produced.execution_payload_blinded);
    assert_eq!(produced.version, ForkName::Capella);
    assert!(produced.execution_payload_value > U256::ZERO);
    assert!(matches!(produced.data, ProducedBlockData::Blinded(_)));
    assert_eq!(env.relay.stats().payloads_revealed, 1);

    // The same over SSZ, values from the headers.
    let produced = env.propose(2, true).await;
    assert!(produced.execution_payload_blinded);
    assert!(produced.execution_payload_value > U256::ZERO);

    // No bid: the local payload, a full block (Capella: the block alone).
    env.relay.update_faults(|f| f.no_bid = true);
    let produced = env.propose(3, false).await;
    assert!(!produced.execution_payload_blinded);
    assert!(matches!(
        produced.data,
        ProducedBlockData::Full(FullBlockContents::Block(_))
    ));

    // Deneb on: full blocks travel with blobs and proofs, JSON and SSZ both ways.
    let deneb = E::slots_per_epoch();
    for slot in 4..deneb {
        env.enter_slot(slot).await;
    }
    let produced = env.propose(deneb, false).await;
    match &produced.data {
        ProducedBlockData::Full(FullBlockContents::Contents(contents)) => {
            assert_eq!(contents.blobs.len(), 1);
            assert_eq!(contents.kzg_proofs.len(), 1);
        }
        other => panic!("expected Deneb block contents, got {other:?}"),
    }
    assert_eq!(produced.version, ForkName::Deneb);
    let produced = env.propose(deneb + 1, true).await;
    assert!(matches!(
        produced.data,
        ProducedBlockData::Full(FullBlockContents::Contents(_))
    ));
    assert_eq!(
        env.chain
            .store()
            .get_blob_sidecars(&env.chain.head().block_root)
            .unwrap()
            .len(),
        1
    );
    // The relay bids again: a Deneb blinded block, its blobs revealed by the relay.
    env.relay.update_faults(|f| f.no_bid = false);
    let produced = env.propose(deneb + 2, true).await;
    assert!(produced.execution_payload_blinded);
}

#[tokio::test]
async fn v2_full_v1_blinded_and_the_aliases() {
    let env = Env::start("v2v1").await;
    let client = &env.client;

    // v2: a full block even with a bid at hand; published through v1.
    env.enter_slot(1).await;
    let v2 = client
        .get_validator_blocks_v2::<E>(1, &env.produce_query(1))
        .await
        .unwrap();
    let FullBlockContents::Block(block) = v2.data else {
        panic!("a Capella block");
    };
    let signed = block
        .clone()
        .into_signed(env.sign_block(1, block.canonical_root()));
    let status = client
        .post_beacon_blocks(&PublishBlockRequest::Block(signed))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(env.chain.head().slot, 1);

    // v1 blinded, published through v1.
    env.enter_slot(2).await;
    let blinded = client
        .get_validator_blinded_blocks::<E>(2, &env.produce_query(2), false)
        .await
        .unwrap();
    let signed = blinded
        .data
        .clone()
        .into_signed(env.sign_block(2, blinded.data.canonical_root()));
    assert_eq!(
        client
            .post_beacon_blinded_blocks(&signed, false)
            .await
            .unwrap(),
        200
    );

    // The seed's aliases: `GET /eth/v1/validator/blinded_block?slot=` and
    // `POST /eth/v1/beacon/blinded_block`.
    env.enter_slot(3).await;
    let blinded = client
        .get_validator_blinded_blocks::<E>(3, &env.produce_query(3), true)
        .await
        .unwrap();
    let signed = blinded
        .data
        .clone()
        .into_signed(env.sign_block(3, blinded.data.canonical_root()));
    assert_eq!(
        client
            .post_beacon_blinded_blocks(&signed, true)
            .await
            .unwrap(),
        200
    );
    assert_eq!(env.chain.head().slot, 3);

    // v1 blinded over SSZ (the slot's fork from the block when no header is given).
    env.enter_slot(4).await;
    let blinded = client
        .get_validator_blinded_blocks_ssz::<E>(4, &env.produce_query(4))
        .await
        .unwrap();
    let signed = blinded
        .clone()
        .into_signed(env.sign_block(4, blinded.canonical_root()));
    use ssz::Encode;
    let response = client
        .post_raw(
            "eth/v1/beacon/blinded_blocks",
            "application/octet-stream",
            signed.as_ssz_bytes(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(env.chain.head().slot, 4);
}

#[tokio::test]
async fn production_and_publication_errors() {
    let env = Env::start("produce_errors").await;
    let client = &env.client;
    env.enter_slot(1).await;
    let query = env.produce_query(1);

    let status = |e: beacon_api::Error| e.status();
    // builder_boost_factor beyond u64, or not a number.
    let randao = query.randao_reveal.to_string();
    for factor in ["18446744073709551616", "-1", "1e3"] {
        let error = client
            .get_with_accept(
                &format!("eth/v3/validator/blocks/1?randao_reveal={randao}&builder_boost_factor={factor}"),
                "application/json",
            )
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(400), "{factor}");
    }
    // A factor of 0 prefers the local payload over the relay's bid.
    let mut local = query.clone();
    local.builder_boost_factor = Some(0);
    let produced = client
        .get_validator_blocks_v3::<E>(1, &local)
        .await
        .unwrap();
    assert!(!produced.execution_payload_blinded);
    // A reveal by someone else, and a missing one.
    let wrong = ProduceQuery {
        randao_reveal: env.randao(9),
        ..ProduceQuery::default()
    };
    let error = client
        .get_validator_blocks_v3::<E>(1, &wrong)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.body().unwrap().message.contains("randao"));
    let missing = client
        .get_with_accept("eth/v3/validator/blocks/1", "application/json")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(400));
    // skip_randao_verification needs the infinity signature.
    let mut skip = query.clone();
    skip.skip_randao_verification = true;
    assert_eq!(
        status(
            client
                .get_validator_blocks_v3::<E>(1, &skip)
                .await
                .unwrap_err()
        ),
        Some(400)
    );
    let skipped = ProduceQuery {
        randao_reveal: types::SignatureBytes::infinity(),
        skip_randao_verification: true,
        ..ProduceQuery::default()
    };
    client
        .get_validator_blocks_v3::<E>(1, &skipped)
        .await
        .unwrap();
    // A slot not after the head, a slot far ahead, a slot that is no number.
    assert_eq!(
        status(
            client
                .get_validator_blocks_v3::<E>(0, &query)
                .await
                .unwrap_err()
        ),
        Some(400)
    );
    assert_eq!(
        status(
            client
                .get_validator_blocks_v3::<E>(50, &query)
                .await
                .unwrap_err()
        ),
        Some(400)
    );
    let nan = client
        .get_with_accept("eth/v3/validator/blocks/one", "application/json")
        .await
        .unwrap_err();
    assert_eq!(nan.status(), Some(400));

    // Publication: a real block, then broken forms of it.
    let produced = client
        .get_validator_blocks_v3::<E>(1, &query)
        .await
        .unwrap();
    let ProducedBlockData::Blinded(block) = produced.data else {
        panic!("the relay bids");
    };
    let signed = block
        .clone()
        .into_signed(env.sign_block(1, block.canonical_root()));
    let json = serde_json::to_vec(&signed).unwrap();
    let path = "eth/v2/beacon/blinded_blocks";
    let post = |content_type: &'static str, body: Vec<u8>, fork: Option<ForkName>| {
        client.post_raw(path, content_type, body, fork)
    };
    assert_eq!(
        post("text/plain", json.clone(), Some(ForkName::Capella))
            .await
            .unwrap_err()
            .status(),
        Some(415)
    );
    assert_eq!(
        post("application/json", json.clone(), None)
            .await
            .unwrap_err()
            .status(),
        Some(400),
        "v2 needs Eth-Consensus-Version"
    );
    assert_eq!(
        post("application/json", json.clone(), Some(ForkName::Deneb))
            .await
            .unwrap_err()
            .status(),
        Some(400),
        "a Capella block sent as Deneb"
    );
    assert_eq!(
        post(
            "application/json",
            b"{not json".to_vec(),
            Some(ForkName::Capella)
        )
        .await
        .unwrap_err()
        .status(),
        Some(400)
    );
    assert_eq!(
        post(
            "application/octet-stream",
            vec![1, 2, 3],
            Some(ForkName::Capella)
        )
        .await
        .unwrap_err()
        .status(),
        Some(400)
    );
    let bogus = client
        .post_raw(
            "eth/v2/beacon/blinded_blocks?broadcast_validation=sometimes",
            "application/json",
            json.clone(),
            Some(ForkName::Capella),
        )
        .await
        .unwrap_err();
    assert_eq!(bogus.status(), Some(400));
    // A signature by the wrong key: refused before anything goes to the relay.
    let forged = block
        .clone()
        .into_signed(env.sign_block(1, types::Hash256::ZERO));
    let error = client
        .post_beacon_blinded_blocks_v2(&forged, None)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(env.relay.stats().payloads_revealed, 0);
    // The real one goes through.
    assert_eq!(
        client
            .post_beacon_blinded_blocks_v2(&signed, None)
            .await
            .unwrap(),
        200
    );

    // A full block whose state root is wrong but whose signature is good: broadcast (202) under
    // gossip validation, refused (400) under consensus validation.
    env.relay.update_faults(|f| f.no_bid = true);
    env.enter_slot(2).await;
    let produced = client
        .get_validator_blocks_v3::<E>(2, &env.produce_query(2))
        .await
        .unwrap();
    let ProducedBlockData::Full(FullBlockContents::Block(mut block)) = produced.data else {
        panic!("a full Capella block");
    };
    if let types::BeaconBlock::Capella(b) = &mut block {
        b.state_root = types::Hash256::repeat_byte(1);
    }
    let bad = PublishBlockRequest::Block(
        block
            .clone()
            .into_signed(env.sign_block(2, block.canonical_root())),
    );
    let refused = client
        .post_beacon_blocks_v2(&bad, Some("consensus"))
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert_eq!(
        client
            .post_beacon_blocks_v2(&bad, Some("gossip"))
            .await
            .unwrap(),
        202
    );
    assert_eq!(env.chain.head().slot, 1);
    let _ = SignedBlockContents::<E>::from_value_by_fork;
}
