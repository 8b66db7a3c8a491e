//! Duties, attestation data, subscriptions, preparations, registrations and liveness.

use crate::harness::*;
use beacon_api::{BeaconCommitteeSubscription, ProposerPreparationData, SyncCommitteeSubscription};
use std::collections::HashMap;
use types::{Address, EthSpec};

#[tokio::test]
async fn duties_match_the_state() {
    let env = Env::start("duties").await;
    env.propose(1, false).await;
    let client = &env.client;
    let spe = E::slots_per_epoch();

    for epoch in [0, 1] {
        let duties = client.get_validator_duties_proposer(epoch).await.unwrap();
        assert_eq!(duties.data.len(), spe as usize);
        assert!(!duties.execution_optimistic);
        for duty in &duties.data {
            if duty.slot == 0 {
                continue;
            }
            assert_eq!(
                duty.validator_index,
                env.proposer(duty.slot),
                "slot {}",
                duty.slot
            );
            assert_eq!(
                duty.pubkey,
                env.state_at(duty.slot)
                    .validators()
                    .get(duty.validator_index as usize)
                    .unwrap()
                    .pubkey
            );
        }
        let expected_dependent = if epoch == 0 {
            env.chain.genesis_block_root()
        } else {
            env.chain.head().block_root
        };
        assert_eq!(duties.dependent_root, expected_dependent, "epoch {epoch}");
    }
    let far = client.get_validator_duties_proposer(5).await.unwrap_err();
    assert_eq!(far.status(), Some(400));

    let all: Vec<u64> = (0..VALIDATORS).collect();
    let attesters = client
        .post_validator_duties_attester(0, &all)
        .await
        .unwrap();
    assert_eq!(
        attesters.data.len(),
        VALIDATORS as usize,
        "every validator attests once an epoch"
    );
    assert_eq!(attesters.dependent_root, env.chain.genesis_block_root());
    let state = env.state_at(1);
    for duty in &attesters.data {
        let committee =
            state_processing::common::get_beacon_committee(&state, duty.slot, duty.committee_index)
                .unwrap();
        assert_eq!(committee.len() as u64, duty.committee_length);
        assert_eq!(
            committee[duty.validator_committee_index as usize],
            duty.validator_index
        );
    }
    let some = client
        .post_validator_duties_attester(1, &[3, 3, 500])
        .await
        .unwrap();
    assert_eq!(
        some.data.len(),
        1,
        "repeats and unknown validators are left out"
    );
    // Epoch 1's committees were fixed by the end of epoch -1: the genesis block.
    assert_eq!(some.dependent_root, env.chain.genesis_block_root());

    let sync = client.post_validator_duties_sync(0, &all).await.unwrap();
    let seats: usize = sync
        .data
        .iter()
        .map(|d| d.validator_sync_committee_indices.len())
        .sum();
    assert_eq!(seats, E::sync_committee_size());
    let too_far = client
        .post_validator_duties_sync(10 * E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD, &all)
        .await
        .unwrap_err();
    assert_eq!(too_far.status(), Some(400));
    let bad = client
        .post_raw(
            "eth/v1/validator/duties/attester/0",
            "application/json",
            br#"["one"]"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400), "indices are numbers");
}

#[tokio::test]
async fn attestation_data_subscriptions_preparations_registrations() {
    let env = Env::start("validator").await;
    env.propose(1, false).await;
    let client = &env.client;

    let data = client.get_validator_attestation_data(1, 0).await.unwrap();
    assert_eq!(data.data, env.chain.produce_attestation_data(1, 0).unwrap());
    assert_eq!(data.data.beacon_block_root, env.chain.head().block_root);
    let future = client
        .get_validator_attestation_data(9, 0)
        .await
        .unwrap_err();
    assert_eq!(future.status(), Some(400));
    let index = client
        .get_validator_attestation_data(1, 64)
        .await
        .unwrap_err();
    assert_eq!(index.status(), Some(400));

    client
        .post_validator_beacon_committee_subscriptions(&[BeaconCommitteeSubscription {
            validator_index: 1,
            committee_index: 0,
            committees_at_slot: 1,
            slot: 2,
            is_aggregator: true,
        }])
        .await
        .unwrap();
    client
        .post_validator_sync_committee_subscriptions(&[SyncCommitteeSubscription {
            validator_index: 1,
            sync_committee_indices: vec![0],
            until_epoch: 2,
        }])
        .await
        .unwrap();

    let recipient = Address::repeat_byte(0x11);
    client
        .post_validator_prepare_beacon_proposer(&[ProposerPreparationData {
            validator_index: 7,
            fee_recipient: recipient,
        }])
        .await
        .unwrap();
    assert_eq!(env.chain.fee_recipient(7), Some(recipient));

    let mut registrations = env.registrations();
    client
        .post_validator_register_validator(&registrations)
        .await
        .unwrap();
    registrations[2].signature = registrations[3].signature;
    let error = client
        .post_validator_register_validator(&registrations)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    let failures = &error.body().unwrap().failures;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].index, 2);
}

#[tokio::test]
async fn liveness_from_proposals_and_participation() {
    let env = Env::start("liveness").await;
    env.propose(1, false).await;
    let proposer = env.proposer(1);
    let client = &env.client;
    let all: Vec<u64> = (0..VALIDATORS).collect();
    let live = client.post_validator_liveness(0, &all).await.unwrap();
    let live: HashMap<u64, bool> = live.iter().map(|l| (l.index, l.is_live)).collect();
    assert!(live[&proposer]);
    assert_eq!(live.values().filter(|l| **l).count(), 1);
    // Attestations of slot 1, included by the block of slot 2, make their attesters live.
    let attesters = crate::pools::attest(&env, 1).await;
    env.propose(2, false).await;
    // The block of slot 2 packed them.
    let packed = client
        .get_beacon_blocks_attestations::<E>(beacon_api::BlockId::Head)
        .await
        .unwrap();
    assert_eq!(packed.version, types::ForkName::Capella);
    let packed_attesters: usize = packed.data.iter().map(|a| a.num_attesters()).sum();
    assert_eq!(packed_attesters, attesters);
    let live = client.post_validator_liveness(0, &all).await.unwrap();
    assert!(live.iter().filter(|l| l.is_live).count() >= attesters);
    let future = client.post_validator_liveness(3, &all).await.unwrap_err();
    assert_eq!(future.status(), Some(400));
}
