//! The client against an in-process mock-el: every method at every fork, errors, timeouts, the
//! watchdog.

use crate::{client_for, secret};
use alloy_primitives::{Address, Bytes, B256, U256};
use engine_api::*;
use execution_block_hash::compute_execution_block_hash;
use mock_el::{Faults, InjectedError, MockEl, MockElConfig};
use serde_json::json;
use std::time::Duration;
use types::{ExecutionPayload, ForkName, MainnetEthSpec, Withdrawal};

type E = MainnetEthSpec;

async fn start(fork: ForkName, faults: Faults) -> (MockEl, EngineClient) {
    let mut config = MockElConfig::new(secret()).with_last_fork(fork);
    config.faults = faults;
    let mock = MockEl::start(config).await.expect("mock starts");
    let client = client_for(&mock.url(), secret());
    (mock, client)
}

fn fc(head: B256) -> ForkchoiceStateV1 {
    ForkchoiceStateV1 {
        head_block_hash: head,
        safe_block_hash: B256::ZERO,
        finalized_block_hash: B256::ZERO,
    }
}

fn withdrawals() -> Vec<Withdrawal> {
    vec![Withdrawal {
        index: 7,
        validator_index: 11,
        address: Address::repeat_byte(0xaa),
        amount: 32_000_000_000,
    }]
}

const PARENT_ROOT: B256 = B256::repeat_byte(0x99);

/// Builds a payload on the mock's head through the client: forkchoiceUpdated with attributes, then
/// getPayload.
async fn build(
    client: &EngineClient,
    fork: ForkName,
    head: B256,
    timestamp: u64,
) -> GetPayloadResponse<E> {
    let attrs = PayloadAttributes::new(
        fork,
        timestamp,
        B256::repeat_byte(0x55),
        Address::repeat_byte(0xfe),
        &withdrawals(),
        PARENT_ROOT,
    );
    let fcu = client
        .forkchoice_updated(fork, fc(head), Some(&attrs))
        .await
        .expect("forkchoiceUpdated");
    assert!(fcu.payload_status.is_valid(), "{fcu:?}");
    let id = fcu.payload_id.expect("a payload id");
    client.get_payload::<E>(fork, id).await.expect("getPayload")
}

fn versioned_hashes(bundle: &Option<BlobsBundle>) -> Vec<B256> {
    bundle
        .iter()
        .flat_map(|b| &b.commitments)
        .map(|c| mock_el::kzg::versioned_hash(&c.0))
        .collect()
}

fn request<'a>(built: &'a GetPayloadResponse<E>, fork: ForkName) -> NewPayloadRequest<'a, E> {
    NewPayloadRequest {
        payload: &built.payload,
        versioned_hashes: versioned_hashes(&built.blobs_bundle),
        parent_beacon_block_root: fork.deneb_enabled().then_some(PARENT_ROOT),
        execution_requests: built.execution_requests.as_ref(),
    }
}

/// The whole round trip at `fork`, with `blobs` generated blobs per payload.
async fn round_trip(fork: ForkName, blobs: u64) {
    let faults = Faults {
        blobs_per_payload: blobs,
        ..Faults::default()
    };
    let (mock, client) = start(fork, faults).await;
    let genesis = mock.genesis_hash();

    let caps = client
        .exchange_capabilities(SUPPORTED_METHODS)
        .await
        .unwrap();
    let m = methods_for(fork);
    for method in [
        m.forkchoice_updated,
        m.new_payload,
        m.get_payload,
        m.get_blobs,
    ] {
        assert!(
            caps.iter().any(|c| c == method),
            "{method} missing from {caps:?}"
        );
    }
    let versions = client
        .get_client_version_v1(&ClientVersionV1::blindfold())
        .await
        .unwrap();
    assert_eq!(versions[0].code, "MK");
    assert_eq!(client.eth_chain_id().await.unwrap(), 1337);
    assert!(!client.eth_syncing().await.unwrap());

    // A transaction from the pool is included.
    let tx = Bytes::from_static(&[0xc3, 0x01, 0x02, 0x03]);
    let tx_hash: B256 = client
        .request("eth_sendRawTransaction", json!([tx]), timeouts::ETH)
        .await
        .unwrap();
    assert_eq!(tx_hash, alloy_primitives::keccak256(&tx));

    let fcu = client
        .forkchoice_updated(fork, fc(genesis), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status, PayloadStatusV1::valid(genesis));
    assert_eq!(fcu.payload_id, None);

    let built = build(&client, fork, genesis, 12).await;
    let payload = &built.payload;
    assert_eq!(payload.fork_name(), fork);
    assert_eq!(payload.block_number(), 1);
    assert_eq!(payload.parent_hash(), genesis);
    assert_eq!(payload.fee_recipient(), Address::repeat_byte(0xfe));
    assert_eq!(&payload.withdrawals()[..], &withdrawals()[..]);
    assert_eq!(&payload.transactions()[0][..], &tx[..]);
    let n_txs = payload.transactions().len();
    assert_eq!(
        n_txs,
        if fork.deneb_enabled() && blobs > 0 {
            2
        } else {
            1
        }
    );
    assert_eq!(
        built.block_value,
        U256::from(n_txs as u64 * 21_000 * 1_000_000_000)
    );
    // The block hash is real: the consensus-side code agrees with it.
    let hash = compute_execution_block_hash(
        payload,
        fork.deneb_enabled().then_some(PARENT_ROOT),
        built.execution_requests.as_ref(),
    )
    .unwrap();
    assert_eq!(hash, payload.block_hash());
    assert_eq!(built.blobs_bundle.is_some(), fork.deneb_enabled());
    assert_eq!(built.execution_requests.is_some(), fork.electra_enabled());
    if let Some(bundle) = &built.blobs_bundle {
        let n = if fork.deneb_enabled() {
            blobs as usize
        } else {
            0
        };
        assert_eq!(bundle.commitments.len(), n);
        assert_eq!(bundle.blobs.len(), n);
        let per_blob = if fork.fulu_enabled() { 128 } else { 1 };
        assert_eq!(bundle.proofs.len(), n * per_blob);
        assert_eq!(payload.blob_gas_used().unwrap(), n as u64 * 131_072);
        let blobs: Vec<Vec<u8>> = bundle.blobs.iter().map(|b| b.to_vec()).collect();
        let commitments: Vec<[u8; 48]> = bundle.commitments.iter().map(|c| c.0).collect();
        let proofs: Vec<[u8; 48]> = bundle.proofs.iter().map(|c| c.0).collect();
        let ok = if fork.fulu_enabled() {
            mock_el::kzg::verify_cell_proofs(&blobs, &commitments, &proofs)
        } else {
            mock_el::kzg::verify_blob_proofs(&blobs, &commitments, &proofs)
        };
        assert!(ok.unwrap(), "KZG proofs verify");
    }

    // The wrong getPayload version for this payload's fork: -38005.
    let id = client
        .forkchoice_updated(
            fork,
            fc(genesis),
            Some(&PayloadAttributes::new(
                fork,
                12,
                B256::repeat_byte(0x55),
                Address::repeat_byte(0xfe),
                &withdrawals(),
                PARENT_ROOT,
            )),
        )
        .await
        .unwrap()
        .payload_id
        .unwrap();
    let other = if fork == ForkName::Capella {
        ForkName::Deneb
    } else {
        ForkName::Capella
    };
    let err = client.get_payload::<E>(other, id).await.unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::UnsupportedFork), "{err}");
    let err = client
        .get_payload::<E>(fork, PayloadId::repeat_byte(1))
        .await
        .unwrap_err();
    assert!(err.is_unknown_payload(), "{err}");

    // A tampered payload is INVALID; the real one VALID.
    let mut tampered = built.clone();
    *tampered.payload.gas_used_mut() += 1;
    let status = client.new_payload(&request(&tampered, fork)).await.unwrap();
    assert_eq!(status.status, PayloadStatusKind::Invalid, "{status:?}");
    let status = client.new_payload(&request(&built, fork)).await.unwrap();
    assert_eq!(status, PayloadStatusV1::valid(payload.block_hash()));
    // Known block again: still VALID.
    let status = client.new_payload(&request(&built, fork)).await.unwrap();
    assert!(status.is_valid());

    // Blobs from the pool.
    let hashes = versioned_hashes(&built.blobs_bundle);
    if fork.fulu_enabled() {
        let got = client.get_blobs_v2(&hashes).await.unwrap();
        if !hashes.is_empty() {
            assert_eq!(got.expect("all blobs").len(), hashes.len());
        }
        assert_eq!(
            client.get_blobs_v2(&[B256::repeat_byte(3)]).await.unwrap(),
            None
        );
    } else if fork.deneb_enabled() {
        let mut ask = hashes.clone();
        ask.push(B256::repeat_byte(3));
        let got = client.get_blobs_v1(&ask).await.unwrap();
        assert_eq!(got.len(), ask.len());
        assert!(got[..hashes.len()].iter().all(Option::is_some));
        assert!(got[hashes.len()].is_none());
    }

    // The head moves; the included transaction leaves the pool.
    let block_hash = payload.block_hash();
    let fcu = client
        .forkchoice_updated(fork, fc(block_hash), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status, PayloadStatusV1::valid(block_hash));
    assert_eq!(client.eth_block_number().await.unwrap(), 1);
    assert_eq!(mock.head_hash(), block_hash);
    assert_eq!(mock.with_chain(|c| c.pool_len()), 0);
    let block = client
        .eth_get_block_by_number("latest")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block["hash"], json!(block_hash));
    let block = client
        .eth_get_block_by_hash(block_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block["number"], "0x1");

    // A second block on top, without transactions.
    let second = build(&client, fork, block_hash, 24).await;
    assert_eq!(second.payload.block_number(), 2);
    assert!(client
        .new_payload(&request(&second, fork))
        .await
        .unwrap()
        .is_valid());
    assert_eq!(client.state(), EngineState::Online);
    mock.stop().await;
}

#[tokio::test]
async fn capella_round_trip() {
    round_trip(ForkName::Capella, 0).await;
}

#[tokio::test]
async fn deneb_round_trip_with_blobs() {
    round_trip(ForkName::Deneb, 2).await;
}

#[tokio::test]
async fn electra_round_trip_with_blobs() {
    round_trip(ForkName::Electra, 1).await;
}

#[tokio::test]
async fn fulu_round_trip_with_blobs() {
    round_trip(ForkName::Fulu, 1).await;
}

#[tokio::test]
async fn fulu_round_trip_without_blobs() {
    round_trip(ForkName::Fulu, 0).await;
}

#[tokio::test]
async fn caller_mistakes_are_bad_requests() {
    let (mock, client) = start(ForkName::Deneb, Faults::default()).await;
    let attrs = PayloadAttributes::new(
        ForkName::Capella,
        5,
        B256::ZERO,
        Address::ZERO,
        &[],
        B256::ZERO,
    );
    let err = client
        .forkchoice_updated(ForkName::Deneb, fc(mock.genesis_hash()), Some(&attrs))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::BadRequest(_)), "{err}");
    let payload = ExecutionPayload::<E>::empty(ForkName::Deneb);
    let req = NewPayloadRequest {
        payload: &payload,
        versioned_hashes: vec![],
        parent_beacon_block_root: None,
        execution_requests: None,
    };
    assert!(matches!(
        client.new_payload(&req).await,
        Err(EngineError::BadRequest(_))
    ));
    // The EE's own verdicts on bad attributes: a timestamp not after the head's, a wrong version.
    let attrs = PayloadAttributes::new(
        ForkName::Deneb,
        0,
        B256::ZERO,
        Address::ZERO,
        &[],
        B256::ZERO,
    );
    let err = client
        .forkchoice_updated(ForkName::Deneb, fc(mock.genesis_hash()), Some(&attrs))
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::InvalidPayloadAttributes));
    let attrs = PayloadAttributes::new(
        ForkName::Capella,
        5,
        B256::ZERO,
        Address::ZERO,
        &[],
        B256::ZERO,
    );
    let err = client
        .forkchoice_updated(ForkName::Capella, fc(mock.genesis_hash()), Some(&attrs))
        .await
        .unwrap_err();
    assert_eq!(err.rpc_code(), Some(RpcErrorCode::UnsupportedFork));
}

#[tokio::test]
async fn unknown_parent_is_syncing_and_state_follows() {
    let (mock, client) = start(ForkName::Electra, Faults::default()).await;
    let genesis = mock.genesis_hash();
    let built = build(&client, ForkName::Electra, genesis, 12).await;
    let second = {
        assert!(client
            .new_payload(&request(&built, ForkName::Electra))
            .await
            .unwrap()
            .is_valid());
        client
            .forkchoice_updated(ForkName::Electra, fc(built.payload.block_hash()), None)
            .await
            .unwrap();
        build(&client, ForkName::Electra, built.payload.block_hash(), 24).await
    };
    // A fresh mock that has not seen the parent.
    let (_other, client2) = start(ForkName::Electra, Faults::default()).await;
    let status = client2
        .new_payload(&request(&second, ForkName::Electra))
        .await
        .unwrap();
    assert_eq!(status, PayloadStatusV1::syncing());
    assert_eq!(client2.state(), EngineState::Syncing);
    let fcu = client2
        .forkchoice_updated(ForkName::Electra, fc(second.payload.block_hash()), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusKind::Syncing);
    client2
        .exchange_capabilities(SUPPORTED_METHODS)
        .await
        .unwrap();
    assert_eq!(client2.state(), EngineState::Online);
}

#[tokio::test]
async fn errors_are_classified() {
    let (mock, client) = start(ForkName::Deneb, Faults::default()).await;
    // Injected JSON-RPC errors keep their codes.
    for code in RpcErrorCode::NAMED {
        mock.update_faults(|f| {
            f.errors.insert(
                "engine_exchangeCapabilities".into(),
                InjectedError {
                    code: code.code(),
                    message: code.message().into(),
                },
            );
        });
        let err = client.exchange_capabilities(&[]).await.unwrap_err();
        assert_eq!(err.rpc_code(), Some(code));
        assert_eq!(client.state(), EngineState::Online);
    }
    mock.set_faults(Faults::default());

    // A dropped connection is a transport error, and the EE counts as offline.
    mock.update_faults(|f| {
        f.drop.insert("*".into());
    });
    let err = client.eth_block_number().await.unwrap_err();
    assert!(matches!(err, EngineError::Transport { .. }), "{err}");
    assert_eq!(client.state(), EngineState::Offline);
    mock.set_faults(Faults::default());
    client.eth_block_number().await.unwrap();
    assert_eq!(client.state(), EngineState::Online);

    // getPayload's timeout is 1 s: a 1.5 s delay times out.
    mock.update_faults(|f| {
        f.delay_ms.insert("engine_getPayloadV3".into(), 1500);
    });
    let started = std::time::Instant::now();
    let err = client
        .get_payload::<E>(ForkName::Deneb, PayloadId::repeat_byte(1))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Timeout { .. }), "{err}");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(1400),
        "{took:?}"
    );
    // newPayload's is 8 s: a 1.5 s delay is waited out.
    mock.update_faults(|f| {
        f.delay_ms.insert("engine_forkchoiceUpdatedV3".into(), 1500);
    });
    let fcu = client
        .forkchoice_updated(ForkName::Deneb, fc(mock.genesis_hash()), None)
        .await
        .unwrap();
    assert!(fcu.payload_status.is_valid());

    // Nothing listening: transport error.
    mock.stop().await;
    let err = client.eth_chain_id().await.unwrap_err();
    assert!(err.is_unreachable(), "{err}");
    assert_eq!(client.state(), EngineState::Offline);
}

#[tokio::test]
async fn wrong_secret_and_missing_token_are_auth_errors() {
    let (mock, _client) = start(ForkName::Capella, Faults::default()).await;
    let wrong = client_for(&mock.url(), JwtSecret::new([1; 32]));
    let err = wrong.exchange_capabilities(&[]).await.unwrap_err();
    assert!(matches!(err, EngineError::Auth { status: 401 }), "{err}");
    assert_eq!(wrong.state(), EngineState::AuthFailed);
    let none = EngineClient::new_unauthenticated(mock.url().parse().unwrap()).unwrap();
    let err = none.eth_block_number().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
}

#[tokio::test]
async fn watchdog_tracks_the_engine() {
    let (mock, client) = start(ForkName::Deneb, Faults::default()).await;
    let mut rx = client.subscribe_state();
    assert_eq!(client.state(), EngineState::Offline);
    assert_eq!(watchdog::probe(&client).await, EngineState::Online);
    mock.update_faults(|f| f.syncing = true);
    assert_eq!(watchdog::probe(&client).await, EngineState::Syncing);
    mock.set_faults(Faults::default());
    let _dog = Watchdog::spawn(client.clone(), Duration::from_millis(50));
    tokio::time::timeout(Duration::from_secs(5), async {
        while *rx.borrow_and_update() != EngineState::Online {
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("watchdog sees the engine online");
    mock.stop().await;
    tokio::time::timeout(Duration::from_secs(5), async {
        while *rx.borrow_and_update() != EngineState::Offline {
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("watchdog sees the engine offline");
}
