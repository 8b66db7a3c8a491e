//! Electra's and Fulu's state queues, the proposer lookahead, validator identities, blobs (from blob
//! sidecars, and from Fulu's data columns) and data column sidecars, JSON and SSZ, through every fork.

use crate::harness::*;
use beacon_api::{BlockId, StateId, ValidatorId};
use tree_hash::TreeHash;
use types::{EthSpec, ForkName, Hash256};

#[tokio::test]
async fn queues_identities_blobs_and_columns_across_forks() {
    let env = Env::start_with(
        "state_data",
        Options {
            blobs_per_payload: 1,
            ..Options::default()
        },
    )
    .await;
    let spe = E::slots_per_epoch();
    for slot in 1..=3 * spe + 1 {
        env.propose(slot, slot % 2 == 0).await;
    }
    let client = &env.client;
    let head = env.chain.head();
    assert_eq!(head.state.fork_name(), ForkName::Fulu);

    // The queues: Electra on, the fork's version, JSON and SSZ agreeing with the state.
    let deposits = client
        .get_beacon_states_pending_deposits(StateId::Head)
        .await
        .unwrap();
    assert_eq!(deposits.version, ForkName::Fulu);
    assert_eq!(deposits.execution_optimistic, Some(false));
    assert_eq!(deposits.finalized, Some(false));
    let expected: Vec<_> = head
        .state
        .pending_deposits()
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(deposits.data, expected);
    let (fork, ssz) = client
        .get_beacon_states_pending_deposits_ssz(StateId::Head)
        .await
        .unwrap();
    assert_eq!((fork, ssz), (ForkName::Fulu, expected));
    let electra = StateId::Slot(2 * spe + 1);
    let withdrawals = client
        .get_beacon_states_pending_partial_withdrawals(electra)
        .await
        .unwrap();
    assert_eq!(withdrawals.version, ForkName::Electra);
    let (_, ssz) = client
        .get_beacon_states_pending_partial_withdrawals_ssz(electra)
        .await
        .unwrap();
    assert_eq!(ssz, withdrawals.data);
    let consolidations = client
        .get_beacon_states_pending_consolidations(StateId::Head)
        .await
        .unwrap();
    let (_, ssz) = client
        .get_beacon_states_pending_consolidations_ssz(StateId::Head)
        .await
        .unwrap();
    assert_eq!(ssz, consolidations.data);
    let capella = StateId::Slot(2);
    for error in [
        client
            .get_beacon_states_pending_deposits(capella)
            .await
            .unwrap_err(),
        client
            .get_beacon_states_pending_partial_withdrawals(capella)
            .await
            .unwrap_err(),
        client
            .get_beacon_states_pending_consolidations(StateId::Slot(spe + 1))
            .await
            .unwrap_err(),
        client
            .get_beacon_states_proposer_lookahead(electra)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(error.status(), Some(400), "{error}");
    }
    let unknown = client
        .get_beacon_states_pending_deposits(StateId::Root(Hash256::repeat_byte(3)))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));

    // The lookahead: two epochs of proposers, the current one's as the chain computes them.
    let lookahead = client
        .get_beacon_states_proposer_lookahead(StateId::Head)
        .await
        .unwrap();
    assert_eq!(lookahead.version, ForkName::Fulu);
    let expected: Vec<u64> = head
        .state
        .proposer_lookahead()
        .unwrap()
        .iter()
        .copied()
        .collect();
    assert_eq!(lookahead.data.0, expected);
    assert_eq!(expected.len() as u64, 2 * spe);
    let first = head.slot - head.slot % spe;
    assert_eq!(
        expected[(head.slot % spe) as usize],
        env.proposer(head.slot)
    );
    // The second half is the next epoch's, as the head state advanced into it computes them.
    assert_eq!(expected[spe as usize], env.proposer(first + spe));
    let (fork, ssz) = client
        .get_beacon_states_proposer_lookahead_ssz(StateId::Head)
        .await
        .unwrap();
    assert_eq!((fork, ssz), (ForkName::Fulu, expected));

    // Identities: all, some (unknown ones left out), SSZ alike, bad ids refused.
    let all = client
        .post_beacon_states_validator_identities(StateId::Head, &[])
        .await
        .unwrap();
    assert_eq!(all.data.len(), VALIDATORS as usize);
    assert!(all.data.iter().all(|v| v.activation_epoch == 0));
    let key = all.data[5].pubkey;
    let ids = [
        ValidatorId::Index(3),
        ValidatorId::Pubkey(key),
        ValidatorId::Index(999),
    ];
    let some = client
        .post_beacon_states_validator_identities(StateId::Head, &ids)
        .await
        .unwrap();
    let indices: Vec<u64> = some.data.iter().map(|v| v.index).collect();
    assert_eq!(indices, vec![3, 5]);
    assert_eq!(some.data[1].pubkey, key);
    let ssz = client
        .post_beacon_states_validator_identities_ssz(StateId::Head, &ids)
        .await
        .unwrap();
    assert_eq!(ssz, some.data);
    let genesis = client
        .post_raw(
            "eth/v1/beacon/states/genesis/validator_identities",
            "application/json",
            b"[]".to_vec(),
            None,
        )
        .await
        .unwrap();
    let genesis: serde_json::Value = genesis.json().await.unwrap();
    assert_eq!(
        genesis["data"].as_array().unwrap().len(),
        VALIDATORS as usize
    );
    assert_eq!(genesis["finalized"], true);
    // No body at all (no Content-Length): every validator, as the spec says.
    let no_body = client
        .post_raw(
            "eth/v1/beacon/states/head/validator_identities",
            "application/json",
            vec![],
            None,
        )
        .await
        .unwrap();
    let no_body: serde_json::Value = no_body.json().await.unwrap();
    assert_eq!(
        no_body["data"].as_array().unwrap().len(),
        VALIDATORS as usize
    );
    let bad = client
        .post_raw(
            "eth/v1/beacon/states/head/validator_identities",
            "application/json",
            br#"["0x12"]"#.to_vec(),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
    let unknown = client
        .post_beacon_states_validator_identities(StateId::Slot(10_000), &[])
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));

    // Blobs: from blob sidecars in Deneb and Electra, from the columns' cells in Fulu; each opens to
    // its block's commitment.
    for slot in [spe + 1, 2 * spe + 1, 3 * spe, 3 * spe + 1] {
        let block = client
            .get_beacon_blinded_blocks::<E>(BlockId::Slot(slot))
            .await
            .unwrap()
            .data
            .message_enum();
        let commitments: Vec<_> = block
            .body_ref()
            .blob_kzg_commitments()
            .unwrap()
            .iter()
            .copied()
            .collect();
        assert!(!commitments.is_empty(), "slot {slot} has blobs");
        let blobs = client
            .get_beacon_blobs::<E>(BlockId::Slot(slot), None)
            .await
            .unwrap();
        assert_eq!(blobs.data.0.len(), commitments.len(), "slot {slot}");
        for (blob, commitment) in blobs.data.0.iter().zip(&commitments) {
            assert_eq!(
                kzg::blob_to_kzg_commitment(blob).unwrap(),
                commitment.0,
                "slot {slot}"
            );
        }
        let ssz = client
            .get_beacon_blobs_ssz::<E>(BlockId::Slot(slot), None)
            .await
            .unwrap();
        assert_eq!(ssz, blobs.data.0);
        if slot < 3 * spe {
            let sidecars = client
                .get_blob_sidecars::<E>(BlockId::Slot(slot), None)
                .await
                .unwrap();
            assert_eq!(sidecars.data[0].blob, blobs.data.0[0]);
        }
        // By versioned hash: the block's own, and one it does not have.
        let hash = kzg::kzg_to_versioned_hash(&commitments[0]);
        let named = client
            .get_beacon_blobs::<E>(BlockId::Slot(slot), Some(&[hash]))
            .await
            .unwrap();
        assert_eq!(named.data.0[0], blobs.data.0[0]);
        let other = client
            .get_beacon_blobs::<E>(BlockId::Slot(slot), Some(&[Hash256::repeat_byte(1)]))
            .await
            .unwrap();
        assert!(other.data.0.is_empty());
    }
    let capella_blobs = client
        .get_beacon_blobs::<E>(BlockId::Slot(2), None)
        .await
        .unwrap();
    assert!(capella_blobs.data.0.is_empty());
    let bad_hash = client
        .get_with_accept(
            "eth/v1/beacon/blobs/head?versioned_hashes=0x12",
            "application/json",
        )
        .await
        .unwrap_err();
    assert_eq!(bad_hash.status(), Some(400));
    let unknown = client
        .get_beacon_blobs::<E>(BlockId::Root(Hash256::repeat_byte(4)), None)
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
    // The deprecated blob sidecars endpoint has no Fulu answer: 400, naming the replacements.
    let fulu = client
        .get_blob_sidecars::<E>(BlockId::Head, None)
        .await
        .unwrap_err();
    assert_eq!(fulu.status(), Some(400));
    assert!(fulu
        .body()
        .unwrap()
        .message
        .contains("/eth/v1/beacon/blobs"));

    // Data columns: every column of a Fulu block, or those named; none before Fulu.
    let columns = client
        .get_debug_data_column_sidecars::<E>(BlockId::Head, None)
        .await
        .unwrap();
    assert_eq!(columns.version, ForkName::Fulu);
    assert_eq!(columns.finalized, Some(false));
    assert_eq!(columns.data.len(), 128);
    assert!(columns
        .data
        .iter()
        .all(|c| c.signed_block_header.message.tree_hash_root() == head.block_root));
    let some = client
        .get_debug_data_column_sidecars::<E>(BlockId::Head, Some(&[0, 77]))
        .await
        .unwrap();
    let indices: Vec<u64> = some.data.iter().map(|c| c.index).collect();
    assert_eq!(indices, vec![0, 77]);
    let (fork, ssz) = client
        .get_debug_data_column_sidecars_ssz::<E>(BlockId::Head, Some(&[0, 77]))
        .await
        .unwrap();
    assert_eq!((fork, ssz), (ForkName::Fulu, some.data));
    for (id, indices) in [
        (BlockId::Slot(2 * spe + 1), None),
        (BlockId::Head, Some(&[128u64][..])),
    ] {
        let error = client
            .get_debug_data_column_sidecars::<E>(id, indices)
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(400), "{error}");
    }
    let unknown = client
        .get_debug_data_column_sidecars::<E>(BlockId::Root(Hash256::repeat_byte(4)), None)
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));
}
