//! Rewards through the API, checked against what the chain itself paid or announced: a block's total
//! against the `Eth-Consensus-Block-Value` of its production, its sync aggregate part against the
//! participants it carries, a slashing's part, and an epoch's attestation rewards against the ideal.

use crate::harness::*;
use crate::pools::attest;
use beacon_api::{BlockId, ValidatorId};
use operation_pool::SyncCommitteeMessage;
use state_processing::common::get_domain;
use tree_hash::TreeHash;
use types::{
    compute_signing_root, BeaconBlockHeader, EthSpec, Hash256, ProposerSlashing,
    SignedBeaconBlockHeader, Slot, U256,
};

/// Every sync committee member signs the head block at `slot`.
async fn sync_messages(env: &Env, slot: Slot) -> usize {
    let state = env.state_at(slot);
    let head = env.chain.head();
    let domain = get_domain(
        &state,
        types::DOMAIN_SYNC_COMMITTEE,
        Some(slot / E::slots_per_epoch()),
    );
    let root = compute_signing_root(&head.block_root, domain);
    let mut members: Vec<u64> = state
        .current_sync_committee()
        .pubkeys
        .iter()
        .map(|k| {
            state
                .validators()
                .iter()
                .position(|v| v.pubkey == *k)
                .unwrap() as u64
        })
        .collect();
    members.sort_unstable();
    members.dedup();
    let messages: Vec<SyncCommitteeMessage> = members
        .iter()
        .map(|&v| SyncCommitteeMessage {
            slot,
            beacon_block_root: head.block_root,
            validator_index: v,
            signature: bls::interop_secret_key(v).sign(root.as_slice()).to_bytes(),
        })
        .collect();
    env.client
        .post_beacon_pool_sync_committees(&messages)
        .await
        .unwrap();
    members.len()
}

fn signed_header(env: &Env, proposer: u64, slot: Slot, body: u8) -> SignedBeaconBlockHeader {
    let state = env.state_at(slot);
    let message = BeaconBlockHeader {
        slot,
        proposer_index: proposer,
        parent_root: Hash256::repeat_byte(1),
        state_root: Hash256::repeat_byte(2),
        body_root: Hash256::repeat_byte(body),
    };
    let domain = get_domain(&state, types::DOMAIN_BEACON_PROPOSER, Some(0));
    SignedBeaconBlockHeader {
        signature: bls::interop_secret_key(proposer)
            .sign(compute_signing_root(&message.tree_hash_root(), domain).as_slice())
            .to_bytes(),
        message,
    }
}

#[tokio::test]
async fn rewards_match_what_the_chain_paid() {
    let env = Env::start("rewards").await;
    let client = &env.client;
    let gwei = U256::from(1_000_000_000u64);
    let spe = E::slots_per_epoch();

    // Epoch 0: every committee attests after each block, the sync committee signs block 1, and a
    // proposer slashing waits in the pool for block 4 (of a validator that proposes none of the
    // blocks to come: a slashed proposer's block is invalid).
    let mut values = vec![U256::ZERO];
    let mut slashed = None;
    for slot in 1..spe {
        let produced = env.propose(slot, false).await;
        values.push(produced.consensus_block_value);
        attest(&env, slot).await;
        if slot == 1 {
            assert!(sync_messages(&env, 1).await > 0);
        }
        if slot == 3 {
            let proposers: std::collections::HashSet<u64> =
                (4..2 * spe).map(|s| env.proposer(s)).collect();
            let victim = (0..VALIDATORS).find(|v| !proposers.contains(v)).unwrap();
            let slashing = ProposerSlashing {
                signed_header_1: signed_header(&env, victim, 1, 1),
                signed_header_2: signed_header(&env, victim, 1, 2),
            };
            client
                .post_beacon_pool_proposer_slashings(&slashing)
                .await
                .unwrap();
            slashed = Some(victim as usize);
        }
    }
    let slashed = slashed.unwrap();
    for slot in spe..2 * spe {
        env.propose(slot, false).await;
    }
    // Epoch 1's last slot is past: epoch 0's attestations are paid.
    env.enter_slot(2 * spe).await;

    // Each block's total is what its production announced as its consensus value, which is the
    // proposer's balance change: that also moves with the proposer's own sync committee duty, which
    // the API's `sync_aggregate` part (the proposer's reward for including the aggregate) leaves out.
    for slot in 1..spe {
        let rewards = client
            .get_beacon_rewards_blocks(BlockId::Slot(slot))
            .await
            .unwrap();
        let r = rewards.data;
        let own_duty: i64 = client
            .post_beacon_rewards_sync_committee(
                BlockId::Slot(slot),
                &[ValidatorId::Index(r.proposer_index)],
            )
            .await
            .unwrap()
            .data
            .iter()
            .map(|m| m.reward)
            .sum();
        let balance_change = (r.total as i64 + own_duty).max(0) as u64;
        assert_eq!(
            U256::from(balance_change) * gwei,
            values[slot as usize],
            "slot {slot}"
        );
        assert_eq!(
            r.total,
            r.attestations + r.sync_aggregate + r.proposer_slashings + r.attester_slashings
        );
        assert_eq!(
            r.proposer_index,
            env.chain
                .store()
                .get_blinded_block(
                    &env.chain
                        .store()
                        .canonical_block_root(slot)
                        .unwrap()
                        .unwrap()
                )
                .unwrap()
                .unwrap()
                .message_enum()
                .proposer_index()
        );
        if slot >= 3 {
            assert!(r.attestations > 0, "slot {slot} includes attestations");
        }
        if slot == 4 {
            assert!(r.proposer_slashings > 0, "block 4 carries the slashing");
        } else {
            assert_eq!(r.proposer_slashings, 0);
        }
        assert!(!rewards.finalized);
        assert!(!rewards.execution_optimistic);
    }

    // Block 2 carries block 1's sync signatures: `proposer_reward` (1_597 Gwei with 64 validators of
    // 32 ETH) per participating position, and each position's holder earns `participant_reward`
    // (11_180 Gwei).
    let block_2 = client
        .get_beacon_rewards_blocks(BlockId::Slot(2))
        .await
        .unwrap()
        .data;
    let committee_size = E::sync_committee_size() as u64;
    assert_eq!(block_2.sync_aggregate, 1_597 * committee_size);
    let sync = client
        .post_beacon_rewards_sync_committee(BlockId::Slot(2), &[])
        .await
        .unwrap()
        .data;
    let positions: i64 = sync.iter().map(|r| r.reward / 11_180).sum();
    assert_eq!(positions, committee_size as i64);
    assert!(sync.iter().all(|r| r.reward > 0));
    // Block 3 carries none: every position loses the participant reward.
    let absent = client
        .post_beacon_rewards_sync_committee(BlockId::Slot(3), &[])
        .await
        .unwrap()
        .data;
    assert!(absent.iter().all(|r| r.reward < 0));
    assert_eq!(
        client
            .get_beacon_rewards_blocks(BlockId::Slot(3))
            .await
            .unwrap()
            .data
            .sync_aggregate,
        0
    );
    let one = sync[0].validator_index;
    let filtered = client
        .post_beacon_rewards_sync_committee(BlockId::Slot(2), &[ValidatorId::Index(one)])
        .await
        .unwrap()
        .data;
    assert_eq!(filtered, vec![sync[0]]);

    // Epoch 0's attestations, paid when epoch 1 ended: the attesters whose votes were all timely
    // earned exactly the ideal reward of their effective balance; the slashed validator is no
    // participant and pays the source and target penalties.
    let epoch_0 = client
        .post_beacon_rewards_attestations(0, &[])
        .await
        .unwrap();
    let data = epoch_0.data;
    assert_eq!(data.total_rewards.len(), VALIDATORS as usize);
    let ideal = data
        .ideal_rewards
        .iter()
        .find(|i| i.effective_balance == 32_000_000_000)
        .expect("the ideal reward of 32 ETH");
    assert!(ideal.source > 0 && ideal.target > 0 && ideal.head > 0);
    let perfect = data
        .total_rewards
        .iter()
        .filter(|r| r.source == ideal.source && r.target == ideal.target && r.head == ideal.head)
        .count();
    assert!(
        perfect > VALIDATORS as usize / 2,
        "{perfect} perfect attesters"
    );
    assert!(data.total_rewards[slashed].source < 0);
    assert!(data.total_rewards[slashed].target < 0);
    let key = env.chain.head().state.validators().get(5).unwrap().pubkey;
    let some = client
        .post_beacon_rewards_attestations(0, &[ValidatorId::Index(1), ValidatorId::Pubkey(key)])
        .await
        .unwrap()
        .data;
    let indices: Vec<u64> = some
        .total_rewards
        .iter()
        .map(|r| r.validator_index)
        .collect();
    assert_eq!(indices, vec![1, 5]);
    assert_eq!(some.total_rewards[0], data.total_rewards[1]);

    // No body at all: every validator.
    let no_body = client
        .post_raw(
            "eth/v1/beacon/rewards/attestations/0",
            "application/json",
            vec![],
            None,
        )
        .await
        .unwrap();
    let no_body: serde_json::Value = no_body.json().await.unwrap();
    assert_eq!(
        no_body["data"]["total_rewards"].as_array().unwrap().len(),
        VALIDATORS as usize
    );

    // Errors: an epoch not yet paid, a bad epoch, a bad body, unknown and genesis blocks.
    let early = client
        .post_beacon_rewards_attestations(1, &[])
        .await
        .unwrap_err();
    assert_eq!(early.status(), Some(400));
    assert!(early.body().unwrap().message.contains("epoch 2"));
    let bad = client
        .post_raw(
            "eth/v1/beacon/rewards/attestations/one",
            "application/json",
            b"[]".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
    let huge = client
        .post_beacon_rewards_attestations(u64::MAX, &[])
        .await
        .unwrap_err();
    assert_eq!(huge.status(), Some(400));
    let bad_body = client
        .post_raw(
            "eth/v1/beacon/rewards/attestations/0",
            "application/json",
            br#"{"a":1}"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_body.status(), Some(400));
    let bad_id = client
        .post_raw(
            "eth/v1/beacon/rewards/sync_committee/head",
            "application/json",
            br#"["x"]"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad_id.status(), Some(400));
    let unknown = client
        .get_beacon_rewards_blocks(BlockId::Root(Hash256::repeat_byte(9)))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    let unknown = client
        .post_beacon_rewards_sync_committee(BlockId::Root(Hash256::repeat_byte(9)), &[])
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    let genesis = client
        .get_beacon_rewards_blocks(BlockId::Genesis)
        .await
        .unwrap_err();
    assert_eq!(genesis.status(), Some(400));
    let malformed = client
        .get_with_accept("eth/v1/beacon/rewards/blocks/current", "application/json")
        .await
        .unwrap_err();
    assert_eq!(malformed.status(), Some(400));
}
