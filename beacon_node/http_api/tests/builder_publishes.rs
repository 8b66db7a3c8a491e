//! Fulu's submitBlindedBlockV2 end to end: the relay follows this node's event stream for payload
//! attributes, takes the signed blinded block (202), and publishes the full block itself through this
//! node's `POST /eth/v2/beacon/blocks`, where it is imported.

use crate::harness::*;
use beacon_api::ProducedBlockData;
use std::time::Duration;
use types::{EthSpec, ForkName};

#[tokio::test]
async fn the_relay_publishes_fulu_blocks_through_the_api() {
    let env = Env::start_with(
        "v2",
        Options {
            relay_publishes: true,
            blobs_per_payload: 1,
            ..Options::default()
        },
    )
    .await;
    let fulu = 3 * E::slots_per_epoch();
    // Before Fulu the relay reveals as usual (v1); local blocks fill in when it has no bid.
    for slot in 1..fulu {
        env.propose(slot, false).await;
    }
    let client = &env.client;
    for slot in fulu..fulu + 2 {
        env.enter_slot(slot).await;
        let produced = client
            .get_validator_blocks_v3::<E>(slot, &env.produce_query(slot))
            .await
            .unwrap();
        assert_eq!(produced.version, ForkName::Fulu);
        let ProducedBlockData::Blinded(_) = &produced.data else {
            panic!("slot {slot}: the relay's bid should win");
        };
        // 200: the builder took the block to publish.
        assert_eq!(env.publish(slot, &produced.data, slot % 2 == 0).await, 200);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while env.chain.head().slot != slot {
            assert!(
                tokio::time::Instant::now() < deadline,
                "slot {slot}: the relay's block never arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(env.relay.stats().blocks_published, 2);
    // The published blocks carried their blobs: Fulu keeps them as columns.
    let head = env.chain.head().block_root;
    assert!(!env
        .chain
        .store()
        .get_data_column_sidecars(&head)
        .unwrap()
        .is_empty());
}
