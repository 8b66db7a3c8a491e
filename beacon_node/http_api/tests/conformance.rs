//! What schemathesis found against the spec (`testing/devnet/tests/api_fuzz.rs`), kept as tests: a batch
//! endpoint's 400 always names `failures`, every fork choice node has a parent root, and selection
//! proofs are a 501.

use crate::harness::*;
use serde_json::Value;

async fn post(env: &Env, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/{path}", env.addr))
        .header("content-type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

#[tokio::test]
async fn batch_errors_name_failures_fork_choice_nodes_have_parents_and_selections_are_501() {
    let env = Env::start("conformance").await;
    env.propose(1, false).await;

    // A body that does not parse is refused as a whole: `failures` is there, and empty.
    for (path, headers) in [
        (
            "eth/v2/beacon/pool/attestations",
            vec![("eth-consensus-version", "capella")],
        ),
        ("eth/v1/beacon/pool/sync_committees", vec![]),
        ("eth/v1/beacon/pool/bls_to_execution_changes", vec![]),
        (
            "eth/v2/validator/aggregate_and_proofs",
            vec![("eth-consensus-version", "capella")],
        ),
        ("eth/v1/validator/contribution_and_proofs", vec![]),
    ] {
        let (status, body) = post(&env, path, "{", &headers).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["code"], 400, "{path}: {body}");
        assert_eq!(body["failures"], serde_json::json!([]), "{path}: {body}");
    }
    // A bad header on a batch endpoint too.
    let (status, body) = post(
        &env,
        "eth/v2/validator/aggregate_and_proofs",
        "[]",
        &[("eth-consensus-version", "phase9")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body["failures"].is_array(), "{body}");
    // Single-operation endpoints keep the plain error body.
    let (status, body) = post(&env, "eth/v1/beacon/pool/voluntary_exits", "{", &[]).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("failures").is_none(), "{body}");

    // Every node names its parent; the anchor (the genesis block) names the genesis block's.
    let fork_choice: Value = reqwest::get(format!("http://{}/eth/v1/debug/fork_choice", env.addr))
        .await
        .expect("the API answers")
        .json()
        .await
        .expect("JSON");
    let nodes = fork_choice["fork_choice_nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2, "{fork_choice}");
    let genesis_root = format!("{:#x}", env.chain.genesis_block_root());
    for node in nodes {
        let expected_parent = if node["block_root"] == genesis_root.as_str() {
            format!("{:#x}", types::Hash256::ZERO)
        } else {
            genesis_root.clone()
        };
        assert_eq!(node["parent_root"], expected_parent.as_str(), "{node}");
    }

    for path in [
        "eth/v1/validator/beacon_committee_selections",
        "eth/v1/validator/sync_committee_selections",
    ] {
        let (status, body) = post(&env, path, "[]", &[]).await;
        assert_eq!(status, 501, "{path}: {body}");
        assert_eq!(body["code"], 501, "{path}: {body}");
    }
}
