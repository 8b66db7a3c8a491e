//! mock-el over HTTP: JWT, every fault switch, the pool, blob transactions, newPayload's checks,
//! forkchoice, genesis files and the binary.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::{Encodable, Header};
use engine_api::auth::{encode_token, unix_now, Claims};
use engine_api::*;
use execution_block_hash::compute_execution_block_hash;
use mock_el::{Faults, ForkSchedule, Genesis, InjectedError, MockEl, MockElConfig};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use types::{ForkName, MainnetEthSpec};

type E = MainnetEthSpec;

fn secret() -> JwtSecret {
    JwtSecret::new([0x17; 32])
}

async fn start(fork: ForkName) -> (MockEl, EngineClient) {
    start_with(MockElConfig::new(secret()).with_last_fork(fork)).await
}

async fn start_with(config: MockElConfig) -> (MockEl, EngineClient) {
    let mock = MockEl::start(config).await.expect("mock starts");
    let client =
        EngineClient::new(mock.url().parse().unwrap(), JwtAuth::new(secret())).expect("client");
    (mock, client)
}

fn fc(head: B256) -> ForkchoiceStateV1 {
    ForkchoiceStateV1 {
        head_block_hash: head,
        ..Default::default()
    }
}

const ROOT: B256 = B256::repeat_byte(0x99);

fn attrs(fork: ForkName, timestamp: u64, fee_recipient: Address) -> PayloadAttributes {
    PayloadAttributes::new(
        fork,
        timestamp,
        B256::repeat_byte(5),
        fee_recipient,
        &[],
        ROOT,
    )
}

async fn build(
    client: &EngineClient,
    fork: ForkName,
    head: B256,
    timestamp: u64,
    fee_recipient: Address,
) -> GetPayloadResponse<E> {
    let fcu = client
        .forkchoice_updated(fork, fc(head), Some(&attrs(fork, timestamp, fee_recipient)))
        .await
        .expect("forkchoiceUpdated");
    let id = fcu.payload_id.expect("payload id");
    client.get_payload(fork, id).await.expect("getPayload")
}

fn hashes_of(built: &GetPayloadResponse<E>) -> Vec<B256> {
    built
        .blobs_bundle
        .iter()
        .flat_map(|b| &b.commitments)
        .map(|c| mock_el::kzg::versioned_hash(&c.0))
        .collect()
}

fn req(built: &GetPayloadResponse<E>) -> NewPayloadRequest<'_, E> {
    let fork = built.payload.fork_name();
    NewPayloadRequest {
        payload: &built.payload,
        versioned_hashes: hashes_of(built),
        parent_beacon_block_root: fork.deneb_enabled().then_some(ROOT),
        execution_requests: built.execution_requests.as_ref(),
    }
}

/// Re-computes the block hash after a change, so only the change is judged.
fn rehash(built: &mut GetPayloadResponse<E>) {
    let fork = built.payload.fork_name();
    let hash = compute_execution_block_hash(
        &built.payload,
        fork.deneb_enabled().then_some(ROOT),
        built.execution_requests.as_ref(),
    )
    .unwrap();
    *built.payload.block_hash_mut() = hash;
}

async fn post(url: &str, auth: Option<String>, body: Value) -> reqwest::Response {
    let mut r = reqwest::Client::new().post(url).json(&body);
    if let Some(a) = auth {
        r = r.header("authorization", a);
    }
    r.send().await.expect("a response")
}

fn call(method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

#[tokio::test]
async fn jwt_is_required_on_the_engine_endpoint() {
    let (mock, _) = start(ForkName::Deneb).await;
    let url = mock.url();
    let body = call("eth_blockNumber", json!([]));
    let now = unix_now();
    let bearer = |s: &JwtSecret, iat: u64| {
        format!(
            "Bearer {}",
            encode_token(
                s,
                &Claims {
                    iat,
                    id: None,
                    clv: None
                }
            )
            .unwrap()
        )
    };
    // alg "none" is refused: header {"alg":"none","typ":"JWT"} over a fresh iat (taken from a valid
    // token), so only the algorithm is wrong.
    let good = bearer(&secret(), now);
    let claims = good.split('.').nth(1).unwrap();
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
    let refused = [
        ("no token", None),
        ("garbage", Some("Bearer nonsense".to_string())),
        ("wrong secret", Some(bearer(&JwtSecret::new([1; 32]), now))),
        ("iat too old", Some(bearer(&secret(), now - 120))),
        ("iat too new", Some(bearer(&secret(), now + 120))),
        ("alg none", Some(format!("Bearer {none}"))),
    ];
    for (case, auth) in refused {
        let status = post(&url, auth, body.clone()).await.status();
        assert_eq!(status, 401, "{case}");
    }
    let ok = post(&url, Some(good), body.clone()).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["result"], "0x0");
    // Tools use /eth without JWT, for eth_ methods only.
    let eth = format!("http://{}/eth", mock.addr());
    let r: Value = post(&eth, None, body).await.json().await.unwrap();
    assert_eq!(r["result"], "0x0");
    let r: Value = post(&eth, None, call("engine_exchangeCapabilities", json!([[]])))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"]["code"], -32601);
}

#[tokio::test]
async fn json_rpc_envelope_errors_and_batches() {
    let (mock, client) = start(ForkName::Capella).await;
    let auth = JwtAuth::new(secret()).bearer().unwrap();
    let raw = reqwest::Client::new()
        .post(mock.url())
        .header("authorization", &auth)
        .body("{not json")
        .send()
        .await
        .unwrap();
    let v: Value = raw.json().await.unwrap();
    assert_eq!(v["error"]["code"], -32700);
    let v: Value = post(
        &mock.url(),
        Some(auth.clone()),
        json!([
            call("eth_chainId", json!([])),
            call("engine_nope", json!([]))
        ]),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(v[0]["result"], "0x539");
    assert_eq!(v[1]["error"]["code"], -32601);
    let err = client
        .request::<Value>(
            "engine_newPayloadV2",
            json!([{"bad": 1}]),
            timeouts::NEW_PAYLOAD,
        )
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidParams));
}

#[tokio::test]
async fn admin_endpoint_reads_patches_replaces_and_resets() {
    let (mock, _) = start(ForkName::Deneb).await;
    let url = format!("http://{}/admin/faults", mock.addr());
    let http = reqwest::Client::new();
    let f: Faults = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(f, Faults::default());
    let f: Faults = http
        .post(&url)
        .body(r#"{"syncing":true,"delay_ms":{"eth_chainId":5}}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(f.syncing);
    assert_eq!(mock.faults().delay_for("eth_chainId"), 5);
    let f: Faults = http
        .post(&url)
        .body(r#"{"blobs_per_payload":2}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(f.syncing && f.blobs_per_payload == 2);
    let bad = http
        .post(&url)
        .body(r#"{"sincing":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let f: Faults = http
        .put(&url)
        .body(r#"{"drop":["*"]}"#)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!f.syncing && f.drops("anything"));
    http.delete(&url).send().await.unwrap();
    assert_eq!(mock.faults(), Faults::default());
    let status: Value = http
        .get(format!("http://{}/admin/status", mock.addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["head_number"], 0);
    assert_eq!(status["genesis_hash"], json!(mock.genesis_hash()));
}

#[tokio::test]
async fn fault_syncing() {
    let (mock, client) = start(ForkName::Electra).await;
    let g = mock.genesis_hash();
    let built = build(&client, ForkName::Electra, g, 12, Address::ZERO).await;
    mock.update_faults(|f| f.syncing = true);
    assert_eq!(
        client.new_payload(&req(&built)).await.unwrap(),
        PayloadStatusV1::syncing()
    );
    let fcu = client
        .forkchoice_updated(ForkName::Electra, fc(g), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status, PayloadStatusV1::syncing());
    assert!(client.eth_syncing().await.unwrap());
    assert_eq!(client.state(), EngineState::Syncing);
    // Even while syncing, bad versioned hashes are INVALID at once.
    let mut bad = req(&built);
    bad.versioned_hashes.push(B256::repeat_byte(1));
    assert!(client.new_payload(&bad).await.unwrap().is_invalid());
    mock.update_faults(|f| f.syncing = false);
    assert!(client.new_payload(&req(&built)).await.unwrap().is_valid());
}

#[tokio::test]
async fn fault_invalid_block_hash() {
    let (mock, client) = start(ForkName::Deneb).await;
    let g = mock.genesis_hash();
    let built = build(&client, ForkName::Deneb, g, 12, Address::ZERO).await;
    let hash = built.payload.block_hash();
    mock.update_faults(|f| {
        f.invalid_block_hashes.insert(hash);
    });
    let status = client.new_payload(&req(&built)).await.unwrap();
    assert_eq!(status.status, PayloadStatusKind::Invalid);
    assert_eq!(status.latest_valid_hash, Some(g));
    let fcu = client
        .forkchoice_updated(ForkName::Deneb, fc(hash), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusKind::Invalid);
    assert_eq!(fcu.payload_status.latest_valid_hash, Some(g));
    // Another block is fine.
    let other = build(&client, ForkName::Deneb, g, 13, Address::ZERO).await;
    assert!(client.new_payload(&req(&other)).await.unwrap().is_valid());
}

#[tokio::test]
async fn fault_invalid_fee_recipient_and_extra_data() {
    let (mock, client) = start(ForkName::Fulu).await;
    let g = mock.genesis_hash();
    let bad = Address::repeat_byte(0xbd);
    mock.update_faults(|f| {
        f.invalid_fee_recipients.insert(bad);
    });
    let built = build(&client, ForkName::Fulu, g, 12, bad).await;
    let status = client.new_payload(&req(&built)).await.unwrap();
    assert!(status.is_invalid(), "{status:?}");
    assert!(status.validation_error.unwrap().contains("fee recipient"));
    let good = build(&client, ForkName::Fulu, g, 12, Address::ZERO).await;
    assert!(client.new_payload(&req(&good)).await.unwrap().is_valid());

    mock.update_faults(|f| {
        f.invalid_extra_data.insert(Bytes::from_static(b"mock-el"));
    });
    let built = build(&client, ForkName::Fulu, g, 14, Address::ZERO).await;
    let status = client.new_payload(&req(&built)).await.unwrap();
    assert!(status.validation_error.unwrap().contains("extra-data"));
}

#[tokio::test]
async fn fault_delay() {
    let (mock, client) = start(ForkName::Capella).await;
    mock.update_faults(|f| {
        f.delay_ms.insert("eth_chainId".into(), 300);
    });
    let t = Instant::now();
    client.eth_chain_id().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    client.eth_block_number().await.unwrap();
    assert!(t.elapsed() < Duration::from_millis(300));
    mock.update_faults(|f| {
        f.delay_ms.insert("*".into(), 200);
    });
    let t = Instant::now();
    client.eth_block_number().await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn fault_errors() {
    let (mock, client) = start(ForkName::Deneb).await;
    mock.update_faults(|f| {
        f.errors.insert(
            "engine_forkchoiceUpdatedV3".into(),
            InjectedError {
                code: -38002,
                message: "boom".into(),
            },
        );
    });
    let err = client
        .forkchoice_updated(ForkName::Deneb, fc(mock.genesis_hash()), None)
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidForkchoiceState));
    assert!(err.to_string().contains("boom"));
    client.eth_block_number().await.unwrap();
    mock.update_faults(|f| {
        f.errors.insert(
            "*".into(),
            InjectedError {
                code: -32603,
                message: "x".into(),
            },
        );
    });
    let err = client.eth_block_number().await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InternalError));
}

#[tokio::test]
async fn fault_drop_connections() {
    let (mock, client) = start(ForkName::Deneb).await;
    mock.update_faults(|f| {
        f.drop.insert("eth_chainId".into());
    });
    let err = client.eth_chain_id().await.unwrap_err();
    assert!(matches!(err, EngineError::Transport { .. }), "{err}");
    client.eth_block_number().await.unwrap();
    let r = reqwest::Client::new()
        .post(mock.url())
        .header("authorization", JwtAuth::new(secret()).bearer().unwrap())
        .json(&call("eth_chainId", json!([])))
        .send()
        .await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the connection is dropped");
}

#[tokio::test]
async fn blobs_per_payload_and_should_override_builder() {
    let mut config = MockElConfig::new(secret()).with_last_fork(ForkName::Deneb);
    config.faults.blobs_per_payload = 9; // over Deneb's maximum of 6: capped
    config.faults.should_override_builder = true;
    let (mock, client) = start_with(config).await;
    let built = build(
        &client,
        ForkName::Deneb,
        mock.genesis_hash(),
        12,
        Address::ZERO,
    )
    .await;
    assert_eq!(built.blobs_bundle.as_ref().unwrap().blobs.len(), 6);
    assert!(built.should_override_builder);
    assert_eq!(built.payload.blob_gas_used().unwrap(), 6 * 131_072);
    assert!(client.new_payload(&req(&built)).await.unwrap().is_valid());
    // Without their versioned hashes the same payload is INVALID.
    let mut r = req(&built);
    r.versioned_hashes.pop();
    assert!(client.new_payload(&r).await.unwrap().is_invalid());
    // Capella payloads carry none.
    let (mock, client) = start(ForkName::Capella).await;
    mock.update_faults(|f| f.blobs_per_payload = 2);
    let built = build(
        &client,
        ForkName::Capella,
        mock.genesis_hash(),
        12,
        Address::ZERO,
    )
    .await;
    assert!(built.payload.transactions().is_empty());
}

async fn send(client: &EngineClient, raw: &[u8]) -> Result<B256, EngineError> {
    client
        .request(
            "eth_sendRawTransaction",
            json!([Bytes::copy_from_slice(raw)]),
            timeouts::ETH,
        )
        .await
}

#[tokio::test]
async fn pool_includes_in_order_and_forgets_included() {
    let (mock, client) = start(ForkName::Electra).await;
    let g = mock.genesis_hash();
    let txs: Vec<Vec<u8>> = vec![vec![0xc1, 0x01], vec![0x02, 0xc1, 0x02], vec![0xc1, 0x03]];
    for tx in &txs {
        assert_eq!(send(&client, tx).await.unwrap(), keccak256(tx));
    }
    let err = send(&client, &txs[0]).await.unwrap_err();
    assert_eq!(
        err.rpc_code(),
        Some(RpcErrorCode::ServerError),
        "duplicate: {err}"
    );
    for bad in [&[][..], &[0x80], &[0x07, 0xc0], &[0xc2, 0x01]] {
        let err = send(&client, bad).await.unwrap_err();
        assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidParams), "{bad:?}");
    }
    let a = build(&client, ForkName::Electra, g, 12, Address::ZERO).await;
    let included: Vec<Vec<u8>> = a
        .payload
        .transactions()
        .iter()
        .map(|t| t.to_vec())
        .collect();
    assert_eq!(included, txs);
    assert_eq!(a.block_value, U256::from(3u64 * 21_000 * 1_000_000_000));
    assert!(client.new_payload(&req(&a)).await.unwrap().is_valid());
    // Not canonical yet: still pooled.
    assert_eq!(mock.with_chain(|c| c.pool_len()), 3);
    client
        .forkchoice_updated(ForkName::Electra, fc(a.payload.block_hash()), None)
        .await
        .unwrap();
    assert_eq!(mock.with_chain(|c| c.pool_len()), 0);
    let next = build(
        &client,
        ForkName::Electra,
        a.payload.block_hash(),
        24,
        Address::ZERO,
    )
    .await;
    assert!(next.payload.transactions().is_empty());
    assert_eq!(next.block_value, U256::ZERO);
    // A reorg back to genesis re-pools them.
    client
        .forkchoice_updated(ForkName::Electra, fc(g), None)
        .await
        .unwrap();
    assert_eq!(mock.with_chain(|c| c.pool_len()), 3);
    assert_eq!(client.eth_block_number().await.unwrap(), 0);
}

/// `0x03 || rlp([body, blobs, commitments, proofs])` with real KZG data.
fn network_blob_tx(seed: u8) -> (Vec<u8>, B256) {
    let blob = mock_el::kzg::blob_from_seed(&[seed]);
    let stored = mock_el::kzg::commit(blob, true, false).unwrap();
    let hash = mock_el::kzg::versioned_hash(&stored.commitment);
    let payload_form = mock_el::tx::make_blob_tx(1337, seed as u64, &[hash]);
    let body = &payload_form[1..];
    let list = |items: &[Vec<u8>]| {
        let mut out = vec![];
        Header {
            list: true,
            payload_length: items.iter().map(Vec::len).sum(),
        }
        .encode(&mut out);
        items.iter().for_each(|i| out.extend_from_slice(i));
        out
    };
    let string = |b: &[u8]| {
        let mut out = vec![];
        b.encode(&mut out);
        out
    };
    let blobs = list(&[string(&stored.blob)]);
    let commitments = list(&[string(&stored.commitment)]);
    let proofs = list(&[string(&stored.proof.unwrap())]);
    let mut raw = vec![0x03];
    raw.extend(list(&[body.to_vec(), blobs, commitments, proofs]));
    (raw, hash)
}

#[tokio::test]
async fn blob_transactions_in_network_form() {
    let (mock, client) = start(ForkName::Deneb).await;
    let (raw, hash) = network_blob_tx(1);
    send(&client, &raw).await.unwrap();
    // Payload form alone (no blobs) is refused, as is a wrong proof.
    let payload_form = mock_el::tx::make_blob_tx(1337, 9, &[hash]);
    assert!(send(&client, &payload_form).await.is_err());
    let (mut bad, _) = network_blob_tx(2);
    let n = bad.len();
    bad[n - 1] ^= 1;
    assert!(send(&client, &bad).await.is_err());

    let got = client.get_blobs_v1(&[hash]).await.unwrap();
    assert!(got[0].is_some());
    let built = build(
        &client,
        ForkName::Deneb,
        mock.genesis_hash(),
        12,
        Address::ZERO,
    )
    .await;
    assert_eq!(hashes_of(&built), vec![hash]);
    assert_eq!(built.payload.transactions().len(), 1);
    assert!(client.new_payload(&req(&built)).await.unwrap().is_valid());
}

#[tokio::test]
async fn new_payload_checks() {
    let (mock, client) = start(ForkName::Electra).await;
    let g = mock.genesis_hash();
    let built = build(&client, ForkName::Electra, g, 12, Address::ZERO).await;

    // Timestamp not after the parent's (hash recomputed so only the timestamp is wrong).
    let mut early = built.clone();
    *early.payload.timestamp_mut() = 0;
    rehash(&mut early);
    let s = client.new_payload(&req(&early)).await.unwrap();
    assert!(s.is_invalid() && s.validation_error.unwrap().contains("timestamp"));

    // Wrong block number.
    let mut skip = built.clone();
    *skip.payload.block_number_mut() = 5;
    rehash(&mut skip);
    assert!(client.new_payload(&req(&skip)).await.unwrap().is_invalid());

    // Unknown parent: SYNCING.
    let mut orphan = built.clone();
    *orphan.payload.parent_hash_mut() = B256::repeat_byte(7);
    rehash(&mut orphan);
    assert_eq!(
        client.new_payload(&req(&orphan)).await.unwrap(),
        PayloadStatusV1::syncing()
    );

    // The requests are part of the hash: other requests, same payload: INVALID.
    let other = types::ExecutionRequests::<E> {
        withdrawals: types::ssz_types::VariableList::new(vec![Default::default()]).unwrap(),
        ..Default::default()
    };
    let mut r = req(&built);
    r.execution_requests = Some(&other);
    assert!(client.new_payload(&r).await.unwrap().is_invalid());
    // The parent beacon block root too.
    let mut r = req(&built);
    r.parent_beacon_block_root = Some(B256::ZERO);
    assert!(client.new_payload(&r).await.unwrap().is_invalid());

    // Malformed requests lists: -32602.
    let payload = JsonExecutionPayload::from(&built.payload);
    for requests in [json!(["0x01"]), json!(["0x0200", "0x0100"]), json!(null)] {
        let err = client
            .request::<Value>(
                "engine_newPayloadV4",
                json!([payload, [], ROOT, requests]),
                timeouts::NEW_PAYLOAD,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.rpc_code(),
            Some(RpcErrorCode::InvalidParams),
            "{requests}"
        );
    }
    // The wrong method version for the payload's fork: -38005.
    let err = client
        .request::<Value>(
            "engine_newPayloadV3",
            json!([payload, [], ROOT]),
            timeouts::NEW_PAYLOAD,
        )
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::UnsupportedFork));
    // A V2 structure to V4: -32602.
    let mut v2 = payload.clone();
    v2.blob_gas_used = None;
    v2.excess_blob_gas = None;
    let err = client
        .request::<Value>(
            "engine_newPayloadV4",
            json!([v2, [], ROOT, []]),
            timeouts::NEW_PAYLOAD,
        )
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidParams));

    assert!(client.new_payload(&req(&built)).await.unwrap().is_valid());
}

#[tokio::test]
async fn forkchoice_checks_safe_and_finalized() {
    let (mock, client) = start(ForkName::Deneb).await;
    let g = mock.genesis_hash();
    let a = build(&client, ForkName::Deneb, g, 12, Address::ZERO).await;
    client.new_payload(&req(&a)).await.unwrap();
    let a_hash = a.payload.block_hash();
    let state = ForkchoiceStateV1 {
        head_block_hash: a_hash,
        safe_block_hash: g,
        finalized_block_hash: B256::repeat_byte(3),
    };
    let err = client
        .forkchoice_updated(ForkName::Deneb, state, None)
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidForkchoiceState));
    let state = ForkchoiceStateV1 {
        finalized_block_hash: g,
        ..state
    };
    assert!(client
        .forkchoice_updated(ForkName::Deneb, state, None)
        .await
        .unwrap()
        .payload_status
        .is_valid());
    let safe = client
        .eth_get_block_by_number("safe")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(safe["hash"], json!(g));
    let latest = client
        .eth_get_block_by_number("latest")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest["hash"], json!(a_hash));
    assert_eq!(latest["parentBeaconBlockRoot"], json!(ROOT));
    assert_eq!(client.eth_get_block_by_number("0x9").await.unwrap(), None);
}

#[tokio::test]
async fn genesis_file_fork_times_switch_methods() {
    let genesis = Genesis::from_json_str(
        r#"{"config":{"chainId":5,"shanghaiTime":0,"cancunTime":24,"pragueTime":48,"osakaTime":72},
            "timestamp":"0x0","gasLimit":"0x1c9c380","baseFeePerGas":"0x7"}"#,
    )
    .unwrap();
    let mut config = MockElConfig::new(secret());
    config.genesis = genesis;
    let (mock, client) = start_with(config).await;
    assert_eq!(client.eth_chain_id().await.unwrap(), 5);
    let mut head = mock.genesis_hash();
    for (ts, fork) in [
        (12, ForkName::Capella),
        (24, ForkName::Deneb),
        (60, ForkName::Electra),
        (72, ForkName::Fulu),
    ] {
        // The previous fork's forkchoiceUpdated for this timestamp: -38005.
        if let Some(prev) = fork.previous() {
            if prev == ForkName::Capella {
                let err = client
                    .forkchoice_updated(prev, fc(head), Some(&attrs(prev, ts, Address::ZERO)))
                    .await
                    .unwrap_err();
                assert_eq!(err.rpc_code(), Some(RpcErrorCode::UnsupportedFork));
            }
        }
        let built = build(&client, fork, head, ts, Address::ZERO).await;
        assert_eq!(built.payload.fork_name(), fork);
        assert!(
            client.new_payload(&req(&built)).await.unwrap().is_valid(),
            "{fork}"
        );
        head = built.payload.block_hash();
        client
            .forkchoice_updated(fork, fc(head), None)
            .await
            .unwrap();
    }
    assert_eq!(client.eth_block_number().await.unwrap(), 4);
    let _ = ForkSchedule::default();
}

#[test]
fn binary_help_documents_everything() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mock-el"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--jwt-secret",
        "--genesis",
        "--syncing",
        "--invalid-block-hash",
        "--invalid-fee-recipient",
        "--invalid-extra-data",
        "--delay",
        "--error",
        "--drop",
        "/admin/faults",
        "eth_sendRawTransaction",
        "--blobs-per-payload",
        "osakaTime",
        "401",
    ] {
        assert!(help.contains(word), "--help lacks {word}");
    }
}

#[tokio::test]
async fn binary_serves_with_flags() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("mock-el-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwt = dir.join("jwt.hex");
    std::fs::write(&jwt, secret().to_hex()).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mock-el"))
        .args([
            "--port",
            "0",
            "--syncing",
            "--delay",
            "eth_chainId=1",
            "--error",
        ])
        .arg("eth_blockNumber=-38001:gone")
        .arg("--jwt-secret")
        .arg(&jwt)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let client = EngineClient::new(
        format!("http://{addr}/").parse().unwrap(),
        JwtAuth::new(secret()),
    )
    .unwrap();
    assert!(client.eth_syncing().await.unwrap());
    assert_eq!(client.eth_chain_id().await.unwrap(), 1337);
    assert!(client
        .eth_block_number()
        .await
        .unwrap_err()
        .is_unknown_payload());
    let _ = std::fs::remove_dir_all(&dir);
}
