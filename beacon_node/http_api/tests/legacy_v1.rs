//! What pre-Electra validator clients that predate the v2 attestation endpoints send (Lodestar 1.5.1,
//! found by the interop tests): v1 attestations and aggregates without `Eth-Consensus-Version`, and
//! graffiti as text.

use crate::harness::*;
use crate::pools::attest;
use state_processing::common::{get_beacon_committee, get_domain};
use tree_hash::TreeHash;
use types::{compute_signing_root, AttestationBase};

async fn get_json(env: &Env, path: &str) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!("http://{}/{path}", env.addr))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn v1_attestations_aggregates_and_text_graffiti() {
    let env = Env::start("legacy-v1").await;
    env.propose(1, false).await;
    env.enter_slot(2).await;
    attest(&env, 1).await;

    // POST /eth/v1/beacon/pool/attestations: phase0 attestations, no version header.
    let pooled = env
        .client
        .get_beacon_pool_attestations::<E>(Some(1), None)
        .await
        .unwrap()
        .data;
    let operation_pool::Attestation::Base(base) = pooled[0].clone() else {
        panic!("a Capella attestation");
    };
    env.client
        .post_beacon_pool_attestations_v1(&beacon_api::PoolAttestations::<E>::Base(vec![
            base.clone()
        ]))
        .await
        .unwrap();

    // GET /eth/v1/validator/aggregate_attestation: no committee_index (it is in the data).
    let root = base.data.tree_hash_root();
    let (status, aggregate) = get_json(
        &env,
        &format!("eth/v1/validator/aggregate_attestation?attestation_data_root={root:?}&slot=1"),
    )
    .await;
    assert_eq!(status, 200, "{aggregate}");
    let aggregate: AttestationBase<E> = serde_json::from_value(aggregate["data"].clone()).unwrap();
    assert_eq!(aggregate.data, base.data);
    let (status, _) = get_json(
        &env,
        &format!(
            "eth/v1/validator/aggregate_attestation?attestation_data_root={:?}&slot=1",
            types::Hash256::repeat_byte(3)
        ),
    )
    .await;
    assert_eq!(status, 404);

    // POST /eth/v1/validator/aggregate_and_proofs: phase0 aggregates, no version header.
    let state = env.state_at(2);
    let aggregator = get_beacon_committee(&state, 1, base.data.index).unwrap()[0];
    let key = bls::interop_secret_key(aggregator);
    let selection_proof = key
        .sign(
            compute_signing_root(
                &1u64,
                get_domain(&state, types::DOMAIN_SELECTION_PROOF, Some(0)),
            )
            .as_slice(),
        )
        .to_bytes();
    let message = beacon_api::AggregateAndProofBase {
        aggregator_index: aggregator,
        aggregate,
        selection_proof,
    };
    let signature = key
        .sign(
            compute_signing_root(
                &message,
                get_domain(&state, types::DOMAIN_AGGREGATE_AND_PROOF, Some(0)),
            )
            .as_slice(),
        )
        .to_bytes();
    let signed = beacon_api::SignedAggregateAndProofBase { message, signature };
    env.client
        .post_validator_aggregate_and_proofs_v1(&[beacon_api::SignedAggregateAndProof::<E>::Base(
            signed,
        )])
        .await
        .unwrap();
    // The typed client's v1 read of the aggregate.
    let read = env
        .client
        .get_validator_aggregate_attestation_v1::<E>(1, root, types::ForkName::Capella)
        .await
        .unwrap();
    assert_eq!(read.data.data(), &base.data);

    // Graffiti as text, zero-padded.
    let (status, block) = get_json(
        &env,
        &format!(
            "eth/v2/validator/blocks/2?randao_reveal={}&graffiti=Lodestar-v1.5.1%2F2115aa7",
            env.randao(2)
        ),
    )
    .await;
    assert_eq!(status, 200, "{block}");
    let value = block["block_value"].as_str().expect("block_value");
    assert!(value.parse::<u128>().is_ok(), "{value}");
    let mut expected = [0u8; 32];
    expected[..23].copy_from_slice(b"Lodestar-v1.5.1/2115aa7");
    assert_eq!(
        block["data"]["body"]["graffiti"],
        format!(
            "0x{}",
            expected
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    );
}
