//! The full-payload faces on `POST /`: `builder_getPayloadV1` answers only a request whose signature
//! recovers a known proposer, signs its answer as `docs/full-payload-builders.md` defines, and
//! `builder_forwardTransactionV1` refuses junk; the engine face exists only with its secret.

use crate::common::{gvr, jwt, E};
use execution_layer::full_payload::signing::{
    payload_digest, recover_signer, request_digest, Secp256k1Key,
};
use execution_layer::full_payload::{BuilderPayloadV1, PayloadRequestV1};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig};
use serde_json::{json, Value};
use types::*;

const FORK: ForkName = ForkName::Electra;

fn key(byte: u8) -> Secp256k1Key {
    Secp256k1Key::from_bytes(&[byte; 32]).unwrap()
}

struct FullRig {
    el: MockEl,
    relay: MockRelay,
}

impl FullRig {
    async fn start(proposers: Vec<Address>) -> Self {
        let el = MockEl::start(MockElConfig::new(jwt()).with_last_fork(FORK))
            .await
            .unwrap();
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(FORK);
        let mut config = MockRelayConfig::new(
            spec,
            gvr(),
            bls::SecretKey::random(),
            el.url().parse().unwrap(),
            jwt(),
        );
        config.proposers = proposers;
        let relay = MockRelay::start::<E>(config).await.unwrap();
        let (parent, number, timestamp) = el.with_chain(|c| {
            let head = c.head();
            (head.hash, head.header.number, head.header.timestamp)
        });
        relay.on_payload_attributes(PayloadAttributesEvent {
            proposer_index: 0,
            proposal_slot: 1,
            parent_block_number: number,
            parent_block_root: Hash256::repeat_byte(0x42),
            parent_block_hash: parent,
            payload_attributes: EventPayloadAttributes {
                timestamp: timestamp + 6,
                prev_randao: Hash256::repeat_byte(1),
                suggested_fee_recipient: Address::repeat_byte(0xfe),
                withdrawals: vec![],
                parent_beacon_block_root: Some(Hash256::repeat_byte(0x42)),
            },
        });
        Self { el, relay }
    }

    fn request(&self, proposer: &Secp256k1Key) -> PayloadRequestV1 {
        let (parent, number, gas_limit) = self.el.with_chain(|c| {
            let head = c.head();
            (head.hash, head.header.number, head.header.gas_limit)
        });
        PayloadRequestV1 {
            block_number: number + 1,
            parent_hash: parent,
            pub_key: proposer.address(),
            gas_limit,
            parent_beacon_block_root: Hash256::repeat_byte(0x42),
        }
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
        reqwest::Client::new()
            .post(self.relay.url())
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn get_payload(&self, request: &PayloadRequestV1, signer: &Secp256k1Key) -> Value {
        let digest = request_digest(request, self.relay.secp256k1_address());
        let signature = alloy_primitives::Bytes::copy_from_slice(&signer.sign_digest(digest));
        self.call("builder_getPayloadV1", json!([request, signature]))
            .await
    }
}

#[tokio::test]
async fn only_known_proposers_get_a_signed_payload() {
    let proposer = key(0x31);
    let rig = FullRig::start(vec![proposer.address()]).await;
    // A stranger's self-consistent request: refused before anything is built.
    let stranger = key(0x32);
    let answer = rig.get_payload(&rig.request(&stranger), &stranger).await;
    assert_eq!(
        answer["error"]["code"],
        mock_relay::UNAUTHORIZED_CODE,
        "{answer}"
    );
    assert_eq!(rig.relay.full_stats().payloads_served, 0);

    let request = rig.request(&proposer);
    let answer = rig.get_payload(&request, &proposer).await;
    assert_eq!(answer["id"], 7);
    let payload: BuilderPayloadV1 = serde_json::from_value(answer["result"].clone()).unwrap();
    let builder = rig.relay.secp256k1_address();
    assert_eq!(payload.pub_key, builder);
    assert_eq!(payload.execution_payload.gas_limit, request.gas_limit);
    assert_eq!(payload.execution_payload.block_number, request.block_number);
    let digest = payload_digest(
        proposer.address(),
        builder,
        payload.execution_payload.block_hash,
        payload.value,
        request_digest(&request, builder),
    );
    let signature = payload.signature.expect("signed");
    assert_eq!(recover_signer(digest, &signature), Ok(builder));
    assert!(payload.blobs_bundle.is_some() && payload.execution_requests.is_some());
    assert_eq!(rig.relay.full_stats().payloads_served, 1);
}

#[tokio::test]
async fn unknown_parents_are_answered_null_and_bad_params_refused() {
    let proposer = key(0x31);
    let rig = FullRig::start(vec![]).await;
    let mut request = rig.request(&proposer);
    request.parent_hash = Hash256::repeat_byte(0x99);
    let answer = rig.get_payload(&request, &proposer).await;
    assert!(
        answer["result"].is_null() && answer.get("error").is_none(),
        "{answer}"
    );
    let answer = rig
        .call("builder_getPayloadV1", json!([{"blockNumber": 1}]))
        .await;
    assert!(answer["error"].is_object(), "{answer}");
    let answer = rig.call("builder_nothing", json!([])).await;
    assert_eq!(answer["error"]["code"], -32601);
}

#[tokio::test]
async fn the_engine_face_is_off_without_its_secret() {
    let rig = FullRig::start(vec![]).await;
    let answer = rig
        .call("engine_forkchoiceUpdatedV3", json!([{}, null]))
        .await;
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
}

#[tokio::test]
async fn forwarded_transactions_are_kept_once_and_junk_refused() {
    let rig = FullRig::start(vec![]).await;
    let tx = mock_relay::payment::payment_transaction(
        1,
        1,
        U256::from(7u64),
        Address::repeat_byte(2),
        U256::from(1u64),
    );
    let hex: String = tx.iter().map(|b| format!("{b:02x}")).collect();
    for _ in 0..2 {
        let answer = rig
            .call("builder_forwardTransactionV1", json!([format!("0x{hex}")]))
            .await;
        assert_eq!(answer["result"], true, "{answer}");
    }
    assert_eq!(rig.relay.full_stats().transactions_forwarded, 1);
    for junk in [json!(["0x"]), json!(["0x80"]), json!([42]), json!([])] {
        let answer = rig.call("builder_forwardTransactionV1", junk).await;
        assert!(answer["error"].is_object(), "{answer}");
    }
    // The next served payload carries it, once.
    let proposer = key(0x31);
    let answer = rig.get_payload(&rig.request(&proposer), &proposer).await;
    let transactions = answer["result"]["executionPayload"]["transactions"]
        .as_array()
        .unwrap()
        .clone();
    assert!(transactions.contains(&json!(format!("0x{hex}"))));
    assert_eq!(rig.relay.full_stats().transactions_included, 1);
}
