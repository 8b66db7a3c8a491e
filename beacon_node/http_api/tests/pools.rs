//! The operation pools through the API: attestations and aggregates, slashings, exits, BLS changes,
//! sync committee messages and contributions.

use crate::harness::*;
use beacon_api::{
    AggregateAndProofBase, PoolAttestations, SignedAggregateAndProof, SignedAggregateAndProofBase,
};
use operation_pool::{AttesterSlashing, SyncCommitteeMessage};
use state_processing::common::{get_beacon_committee, get_committee_count_per_slot, get_domain};
use tree_hash::TreeHash;
use types::{
    compute_signing_root, AttestationBase, AttesterSlashingBase, BeaconBlockHeader, EthSpec,
    ForkName, IndexedAttestationBase, ProposerSlashing, SignedBeaconBlockHeader, Slot,
};

/// Every committee of `slot` attests (one aggregate per committee) through the API. Returns the
/// number of attesters.
pub async fn attest(env: &Env, slot: Slot) -> usize {
    let state = env.state_at(slot);
    let epoch = slot / E::slots_per_epoch();
    let mut attestations = Vec::new();
    let mut attesters = 0;
    for index in 0..get_committee_count_per_slot(&state, epoch) {
        let data = env
            .client
            .get_validator_attestation_data(slot, index)
            .await
            .unwrap()
            .data;
        let committee = get_beacon_committee(&state, slot, index).unwrap();
        let domain = get_domain(&state, types::DOMAIN_BEACON_ATTESTER, Some(epoch));
        let root = compute_signing_root(&data, domain);
        let signatures: Vec<bls::Signature> = committee
            .iter()
            .map(|v| bls::interop_secret_key(*v).sign(root.as_slice()))
            .collect();
        let mut bits = types::ssz_types::BitList::with_capacity(committee.len()).unwrap();
        for i in 0..committee.len() {
            bits.set(i, true).unwrap();
        }
        attesters += committee.len();
        attestations.push(AttestationBase {
            aggregation_bits: bits,
            data,
            signature: bls::AggregateSignature::aggregate(&signatures)
                .unwrap()
                .to_bytes(),
        });
    }
    env.client
        .post_beacon_pool_attestations(
            &PoolAttestations::<E>::Base(attestations),
            ForkName::Capella,
        )
        .await
        .unwrap();
    attesters
}

#[tokio::test]
async fn attestations_and_aggregates() {
    let env = Env::start("attestations").await;
    env.propose(1, false).await;
    env.enter_slot(2).await;
    let client = &env.client;
    attest(&env, 1).await;
    let pooled = client
        .get_beacon_pool_attestations::<E>(Some(1), None)
        .await
        .unwrap();
    assert_eq!(pooled.version, ForkName::Capella);
    assert!(!pooled.data.is_empty());
    let data = pooled.data[0].data().clone();
    let aggregate = client
        .get_validator_aggregate_attestation::<E>(1, data.tree_hash_root(), data.index)
        .await
        .unwrap();
    assert_eq!(aggregate.data.data(), &data);
    let none = client
        .get_validator_aggregate_attestation::<E>(1, types::Hash256::repeat_byte(3), 0)
        .await
        .unwrap_err();
    assert_eq!(none.status(), Some(404));

    // An aggregator's signed aggregate (minimal committees are small: everyone aggregates).
    let state = env.state_at(2);
    let committee = get_beacon_committee(&state, 1, data.index).unwrap();
    let aggregator = committee[0];
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
    let operation_pool::Attestation::Base(base) = aggregate.data.clone() else {
        panic!("a Capella aggregate");
    };
    let message = AggregateAndProofBase {
        aggregator_index: aggregator,
        aggregate: base,
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
    let good = SignedAggregateAndProof::Base(SignedAggregateAndProofBase { message, signature });
    let mut bad = good.clone();
    if let SignedAggregateAndProof::Base(b) = &mut bad {
        b.message.selection_proof = signature;
    }
    client
        .post_validator_aggregate_and_proofs(std::slice::from_ref(&good), ForkName::Capella)
        .await
        .unwrap();
    let error = client
        .post_validator_aggregate_and_proofs(&[good, bad], ForkName::Capella)
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.body().unwrap().failures.len(), 1);
    assert_eq!(error.body().unwrap().failures[0].index, 1);

    // Without the version header the body cannot be read.
    let missing = client
        .post_raw(
            "eth/v2/beacon/pool/attestations",
            "application/json",
            b"[]".to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(400));
}

fn signed_header(env: &Env, proposer: u64, slot: Slot, body_root: u8) -> SignedBeaconBlockHeader {
    let state = env.state_at(slot);
    let message = BeaconBlockHeader {
        slot,
        proposer_index: proposer,
        parent_root: types::Hash256::ZERO,
        state_root: types::Hash256::ZERO,
        body_root: types::Hash256::repeat_byte(body_root),
    };
    let domain = get_domain(
        &state,
        types::DOMAIN_BEACON_PROPOSER,
        Some(slot / E::slots_per_epoch()),
    );
    SignedBeaconBlockHeader {
        signature: bls::interop_secret_key(proposer)
            .sign(compute_signing_root(&message, domain).as_slice())
            .to_bytes(),
        message,
    }
}

fn indexed(env: &Env, validator: u64, root: u8) -> IndexedAttestationBase<E> {
    let state = env.state_at(1);
    let data = types::AttestationData {
        slot: 1,
        index: 0,
        beacon_block_root: types::Hash256::repeat_byte(root),
        source: types::Checkpoint::default(),
        target: types::Checkpoint {
            epoch: 0,
            root: types::Hash256::repeat_byte(root),
        },
    };
    let domain = get_domain(&state, types::DOMAIN_BEACON_ATTESTER, Some(0));
    IndexedAttestationBase {
        attesting_indices: types::ssz_types::VariableList::new(vec![validator]).unwrap(),
        signature: bls::interop_secret_key(validator)
            .sign(compute_signing_root(&data, domain).as_slice())
            .to_bytes(),
        data,
    }
}

#[tokio::test]
async fn slashings_exits_changes_and_sync_messages() {
    let env = Env::start("operations").await;
    env.propose(1, false).await;
    let client = &env.client;

    let slashing = ProposerSlashing {
        signed_header_1: signed_header(&env, 9, 1, 1),
        signed_header_2: signed_header(&env, 9, 1, 2),
    };
    client
        .post_beacon_pool_proposer_slashings(&slashing)
        .await
        .unwrap();
    assert_eq!(
        client.get_beacon_pool_proposer_slashings().await.unwrap(),
        vec![slashing.clone()]
    );
    // Two identical headers are no slashing.
    let header = signed_header(&env, 10, 1, 1);
    let same = ProposerSlashing {
        signed_header_1: header.clone(),
        signed_header_2: header,
    };
    assert_eq!(
        client
            .post_beacon_pool_proposer_slashings(&same)
            .await
            .unwrap_err()
            .status(),
        Some(400)
    );

    let double_vote = AttesterSlashing::<E>::Base(AttesterSlashingBase {
        attestation_1: indexed(&env, 11, 1),
        attestation_2: indexed(&env, 11, 2),
    });
    client
        .post_beacon_pool_attester_slashings(&double_vote, ForkName::Capella)
        .await
        .unwrap();
    let pooled = client
        .get_beacon_pool_attester_slashings::<E>()
        .await
        .unwrap();
    assert_eq!(pooled.version, ForkName::Capella);
    assert_eq!(pooled.data, vec![double_vote]);

    // Too young to exit (SHARD_COMMITTEE_PERIOD): refused with the reason.
    let exit = types::SignedVoluntaryExit {
        message: types::VoluntaryExit {
            epoch: 0,
            validator_index: 3,
        },
        signature: types::SignatureBytes::empty(),
    };
    let refused = client
        .post_beacon_pool_voluntary_exits(&exit)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(400));
    assert!(client
        .get_beacon_pool_voluntary_exits()
        .await
        .unwrap()
        .is_empty());

    let change = types::SignedBlsToExecutionChange {
        message: types::BlsToExecutionChange {
            validator_index: 4,
            from_bls_pubkey: types::PublicKeyBytes::empty(),
            to_execution_address: types::Address::repeat_byte(4),
        },
        signature: types::SignatureBytes::empty(),
    };
    let refused = client
        .post_beacon_pool_bls_to_execution_changes(&[change])
        .await
        .unwrap_err();
    assert_eq!(refused.body().unwrap().failures[0].index, 0);
    assert!(client
        .get_beacon_pool_bls_to_execution_changes()
        .await
        .unwrap()
        .is_empty());

    // A sync committee member's message for the head, then the subcommittee's contribution.
    let head = env.chain.head();
    let state = env.state_at(1);
    let member_key = state.current_sync_committee().pubkeys[0];
    let member = state
        .validators()
        .iter()
        .position(|v| v.pubkey == member_key)
        .unwrap() as u64;
    let domain = get_domain(&state, types::DOMAIN_SYNC_COMMITTEE, Some(0));
    let message = SyncCommitteeMessage {
        slot: 1,
        beacon_block_root: head.block_root,
        validator_index: member,
        signature: bls::interop_secret_key(member)
            .sign(compute_signing_root(&head.block_root, domain).as_slice())
            .to_bytes(),
    };
    let mut forged = message.clone();
    forged.validator_index = (member + 1) % VALIDATORS;
    client
        .post_beacon_pool_sync_committees(std::slice::from_ref(&message))
        .await
        .unwrap();
    let error = client
        .post_beacon_pool_sync_committees(&[message, forged])
        .await
        .unwrap_err();
    assert_eq!(error.body().unwrap().failures[0].index, 1);
    let contribution = client
        .get_validator_sync_committee_contribution::<E>(1, 0, head.block_root)
        .await
        .unwrap();
    assert_eq!(contribution.data.beacon_block_root, head.block_root);
    assert!(contribution.data.aggregation_bits.num_set_bits() >= 1);
    let none = client
        .get_validator_sync_committee_contribution::<E>(1, 3, types::Hash256::repeat_byte(5))
        .await
        .unwrap_err();
    assert_eq!(none.status(), Some(404));
    let out_of_range = client
        .get_validator_sync_committee_contribution::<E>(1, 9, head.block_root)
        .await
        .unwrap_err();
    assert_eq!(out_of_range.status(), Some(400));

    // A contribution whose proofs are not signatures: refused with its index.
    let signed = operation_pool::SignedContributionAndProof {
        message: operation_pool::ContributionAndProof {
            aggregator_index: member,
            contribution: contribution.data,
            selection_proof: types::SignatureBytes::empty(),
        },
        signature: types::SignatureBytes::empty(),
    };
    let error = client
        .post_validator_contribution_and_proofs(&[signed])
        .await
        .unwrap_err();
    assert_eq!(error.body().unwrap().failures[0].index, 0);
}
