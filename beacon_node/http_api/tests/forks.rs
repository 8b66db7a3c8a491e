//! Through Capella, Deneb, Electra and Fulu on the API alone: builder and local blocks, JSON and SSZ,
//! blobs; Electra's single attestations and the versioned pool.

use crate::harness::*;
use beacon_api::{BlockId, PoolAttestations, StateId};
use operation_pool::SingleAttestation;
use state_processing::common::{get_beacon_committee, get_domain};
use types::{compute_signing_root, EthSpec, ForkName};

#[tokio::test]
async fn every_fork_through_the_api() {
    let env = Env::start_with(
        "forks",
        Options {
            blobs_per_payload: 1,
            ..Options::default()
        },
    )
    .await;
    let spe = E::slots_per_epoch();
    let mut blinded = 0;
    for slot in 1..=3 * spe + 2 {
        env.relay.update_faults(|f| f.no_bid = slot % 3 == 0);
        let produced = env.propose(slot, slot % 2 == 0).await;
        assert_eq!(
            produced.version,
            env.spec.fork_name_at_slot::<E>(slot),
            "slot {slot}"
        );
        // Without a bid the block is local; with one it is usually the relay's (a loaded machine
        // can make the relay miss its getHeader deadline, and then the local payload stands in).
        if slot % 3 == 0 {
            assert!(!produced.execution_payload_blinded, "slot {slot}");
        }
        blinded += usize::from(produced.execution_payload_blinded);
        let block = env
            .client
            .get_beacon_blocks_ssz::<E>(BlockId::Slot(slot))
            .await
            .unwrap();
        assert_eq!(block.message_root(), env.chain.head().block_root);
    }
    let client = &env.client;
    assert_eq!(env.chain.head().state.fork_name(), ForkName::Fulu);
    assert_eq!(env.relay.stats().payloads_revealed as usize, blinded);
    assert!(blinded > 0);

    let electra_block = BlockId::Slot(2 * spe + 1);
    let sidecars = client
        .get_blob_sidecars::<E>(electra_block, None)
        .await
        .unwrap();
    assert_eq!(sidecars.version, ForkName::Electra);
    assert_eq!(sidecars.data.len(), 1);
    let fulu = client
        .get_blob_sidecars::<E>(BlockId::Head, None)
        .await
        .unwrap_err();
    assert_eq!(fulu.status(), Some(400));
    let state = client
        .get_debug_beacon_states_ssz::<E>(StateId::Head)
        .await
        .unwrap();
    assert_eq!(state.fork_name(), ForkName::Fulu);
    let duties = client.get_validator_duties_proposer(3).await.unwrap();
    for duty in duties.data.iter().filter(|d| d.slot > 3 * spe + 2) {
        assert_eq!(
            duty.validator_index,
            env.proposer(duty.slot),
            "slot {}",
            duty.slot
        );
    }

    // Single attestations (Electra on) for the head's slot, then the versioned pool.
    let slot = env.chain.head().slot;
    env.enter_slot(slot + 1).await;
    let state = env.state_at(slot);
    let data = client
        .get_validator_attestation_data(slot, 0)
        .await
        .unwrap()
        .data;
    assert_eq!(
        data.index, 0,
        "Electra puts the committee in committee_bits"
    );
    let committee = get_beacon_committee(&state, slot, 0).unwrap();
    let domain = get_domain(
        &state,
        types::DOMAIN_BEACON_ATTESTER,
        Some(data.target.epoch),
    );
    let singles: Vec<SingleAttestation> = committee
        .iter()
        .map(|v| SingleAttestation {
            committee_index: 0,
            attester_index: *v,
            data: data.clone(),
            signature: bls::interop_secret_key(*v)
                .sign(compute_signing_root(&data, domain).as_slice())
                .to_bytes(),
        })
        .collect();
    client
        .post_beacon_pool_attestations(
            &PoolAttestations::<E>::Single(singles.clone()),
            ForkName::Fulu,
        )
        .await
        .unwrap();
    let pooled = client
        .get_beacon_pool_attestations::<E>(Some(slot), Some(0))
        .await
        .unwrap();
    assert_eq!(pooled.version, ForkName::Fulu);
    assert_eq!(pooled.data.len(), 1);
    assert_eq!(pooled.data[0].num_attesters(), committee.len());
    // Phase0 attestations are not what a Fulu pool takes.
    let wrong = client
        .post_raw(
            "eth/v2/beacon/pool/attestations",
            "application/json",
            serde_json::to_vec(&singles).unwrap(),
            Some(ForkName::Capella),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong.status(), Some(400));
}
