//! `states/{state_id}/*`: roots, forks, checkpoints, validators with filters, balances.

use crate::harness::*;
use beacon_api::{StateId, StatusFilter, ValidatorId, ValidatorStatus, ValidatorsRequestBody};

#[tokio::test]
async fn states_by_every_id() {
    let env = Env::start("states").await;
    for slot in 1..=3 {
        env.propose(slot, false).await;
    }
    let client = &env.client;
    let head = env.chain.head();

    let root = client.get_beacon_states_root(StateId::Head).await.unwrap();
    assert_eq!(root.data.root, head.state_root);
    assert!(!root.execution_optimistic);
    assert!(!root.finalized);
    let by_root = client
        .get_beacon_states_root(StateId::Root(head.state_root))
        .await
        .unwrap();
    assert_eq!(by_root.data.root, head.state_root);
    let by_slot = client
        .get_beacon_states_root(StateId::Slot(3))
        .await
        .unwrap();
    assert_eq!(by_slot.data.root, head.state_root);

    // The state of slot 2 is the post-state of its block.
    let block_2 = env
        .chain
        .store()
        .get_blinded_block(&env.chain.store().canonical_block_root(2).unwrap().unwrap())
        .unwrap()
        .unwrap();
    let slot_2 = client
        .get_beacon_states_root(StateId::Slot(2))
        .await
        .unwrap();
    assert_eq!(slot_2.data.root, block_2.message_enum().state_root());
    let by_old_root = client
        .get_beacon_states_root(StateId::Root(slot_2.data.root))
        .await
        .unwrap();
    assert_eq!(by_old_root.data.root, slot_2.data.root);

    let genesis = client
        .get_beacon_states_root(StateId::Genesis)
        .await
        .unwrap();
    assert!(genesis.finalized);
    let finalized = client
        .get_beacon_states_root(StateId::Finalized)
        .await
        .unwrap();
    assert_eq!(finalized.data.root, genesis.data.root);
    client
        .get_beacon_states_root(StateId::Justified)
        .await
        .unwrap();

    let fork = client.get_beacon_states_fork(StateId::Head).await.unwrap();
    assert_eq!(fork.data.current_version, env.spec.capella_fork_version);
    let checkpoints = client
        .get_beacon_states_finality_checkpoints(StateId::Head)
        .await
        .unwrap();
    assert_eq!(checkpoints.data.finalized.epoch, 0);

    // Unknown ids are 404, malformed ones 400, each with the error body.
    let unknown = client
        .get_beacon_states_root(StateId::Root(types::Hash256::repeat_byte(7)))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    assert_eq!(unknown.body().unwrap().code, 404);
    let future = client
        .get_beacon_states_root(StateId::Slot(1000))
        .await
        .unwrap_err();
    assert_eq!(future.status(), Some(404));
    let bad = client
        .get_with_accept("eth/v1/beacon/states/current/root", "application/json")
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
    assert!(bad.body().unwrap().message.contains("current"));
}

#[tokio::test]
async fn validators_with_filters() {
    let env = Env::start("validators").await;
    let client = &env.client;
    let all = client
        .get_beacon_states_validators(StateId::Head, None, None)
        .await
        .unwrap();
    assert_eq!(all.data.len(), VALIDATORS as usize);
    assert!(all
        .data
        .iter()
        .all(|v| v.status == ValidatorStatus::ActiveOngoing));
    let key = all.data[5].validator.pubkey;

    let some = client
        .get_beacon_states_validators(
            StateId::Head,
            Some(&[
                ValidatorId::Index(1),
                ValidatorId::Pubkey(key),
                ValidatorId::Index(999),
            ]),
            None,
        )
        .await
        .unwrap();
    let indices: Vec<u64> = some.data.iter().map(|v| v.index).collect();
    assert_eq!(indices, vec![1, 5], "unknown ids are left out");

    let pending = client
        .get_beacon_states_validators(
            StateId::Head,
            None,
            Some(&["pending".parse::<StatusFilter>().unwrap()]),
        )
        .await
        .unwrap();
    assert!(pending.data.is_empty());
    let active = client
        .post_beacon_states_validators(
            StateId::Head,
            &ValidatorsRequestBody {
                ids: Some(vec!["0".into(), "2".into()]),
                statuses: Some(vec!["active".parse().unwrap()]),
            },
        )
        .await
        .unwrap();
    assert_eq!(active.data.len(), 2);

    let one = client
        .get_beacon_states_validator_id(StateId::Head, ValidatorId::Pubkey(key))
        .await
        .unwrap();
    assert_eq!(one.data.index, 5);
    assert_eq!(one.data.balance, 32_000_000_000);
    let missing = client
        .get_beacon_states_validator_id(StateId::Head, ValidatorId::Index(64))
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));

    let balances = client
        .get_beacon_states_validator_balances(StateId::Genesis, Some(&[ValidatorId::Index(3)]))
        .await
        .unwrap();
    assert_eq!(balances.data.len(), 1);
    assert_eq!(balances.data[0].index, 3);
    let all_balances = client
        .get_beacon_states_validator_balances(StateId::Head, None)
        .await
        .unwrap();
    assert_eq!(all_balances.data.len(), VALIDATORS as usize);
    let posted = client
        .post_raw(
            "eth/v1/beacon/states/head/validator_balances",
            "application/json",
            br#"["4","5"]"#.to_vec(),
            None,
        )
        .await
        .unwrap();
    let body: serde_json::Value = posted.json().await.unwrap();
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));

    for bad in [
        "eth/v1/beacon/states/head/validators?id=abc",
        "eth/v1/beacon/states/head/validators?status=sleeping",
        "eth/v1/beacon/states/head/validators/0x1234",
    ] {
        let error = client
            .get_with_accept(bad, "application/json")
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(400), "{bad}");
    }
    let bad_body = client
        .post_raw(
            "eth/v1/beacon/states/head/validators",
            "application/json",
            br#"{"ids": 5}"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_body.status(), Some(400));
}

#[tokio::test]
async fn committees_sync_committees_randao_and_withdrawals() {
    let env = Env::start("committees").await;
    env.propose(1, false).await;
    let client = &env.client;
    let state = env.state_at(1);

    let all = client
        .get_beacon_states_committees(StateId::Head, None, None, None)
        .await
        .unwrap();
    let per_slot = state_processing::common::get_committee_count_per_slot(&state, 0);
    assert_eq!(all.data.len() as u64, per_slot * 8);
    let members: usize = all.data.iter().map(|c| c.validators.len()).sum();
    assert_eq!(members, VALIDATORS as usize);
    let one = client
        .get_beacon_states_committees(StateId::Head, Some(0), Some(0), Some(3))
        .await
        .unwrap();
    assert_eq!(one.data.len(), 1);
    assert_eq!(
        one.data[0].validators,
        state_processing::common::get_beacon_committee(&state, 3, 0).unwrap()
    );
    for bad in [
        client
            .get_beacon_states_committees(StateId::Head, Some(5), None, None)
            .await,
        client
            .get_beacon_states_committees(StateId::Head, Some(0), Some(0), Some(9))
            .await,
        client
            .get_beacon_states_committees(StateId::Head, None, Some(99), None)
            .await,
    ] {
        assert_eq!(bad.unwrap_err().status(), Some(400));
    }

    let sync = client
        .get_beacon_states_sync_committees(StateId::Head, None)
        .await
        .unwrap();
    assert_eq!(sync.data.validators.len(), 32);
    assert_eq!(sync.data.validator_aggregates.len(), 4);
    let far = client
        .get_beacon_states_sync_committees(StateId::Head, Some(1000))
        .await
        .unwrap_err();
    assert_eq!(far.status(), Some(400));

    let randao = client
        .get_beacon_states_randao(StateId::Head, None)
        .await
        .unwrap();
    assert_eq!(
        randao.data.randao,
        state_processing::common::get_randao_mix(&state, 0).unwrap()
    );
    let future = client
        .get_beacon_states_randao(StateId::Head, Some(3))
        .await
        .unwrap_err();
    assert_eq!(future.status(), Some(400));

    // Interop validators hold BLS credentials: no withdrawals, but the answer is well formed.
    let withdrawals = client
        .get_expected_withdrawals(StateId::Head, Some(2))
        .await
        .unwrap();
    let advanced = env.state_at(2);
    assert_eq!(
        withdrawals.data,
        state_processing::common::get_expected_withdrawals(&advanced)
            .unwrap()
            .withdrawals
    );
    let behind = client
        .get_expected_withdrawals(StateId::Head, Some(1))
        .await
        .unwrap_err();
    assert_eq!(behind.status(), Some(400));
}
