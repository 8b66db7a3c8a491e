//! Reading blocks: full (JSON and SSZ), blinded, roots, headers, blob sidecars.

use crate::harness::*;
use beacon_api::BlockId;
use types::{EthSpec, ForkName};

#[tokio::test]
async fn blocks_headers_and_roots() {
    let env = Env::start("blocks").await;
    env.propose(1, false).await;
    // Slot 2 is skipped; slot 3 has a block.
    env.enter_slot(2).await;
    env.propose(3, true).await;
    let client = &env.client;
    let head = env.chain.head();
    let stored = env
        .chain
        .store()
        .get_full_block(&head.block_root)
        .unwrap()
        .unwrap();

    let json = client.get_beacon_blocks::<E>(BlockId::Head).await.unwrap();
    assert_eq!(json.version, ForkName::Capella);
    assert_eq!(json.data, stored);
    assert_eq!(json.execution_optimistic, Some(false));
    assert_eq!(json.finalized, Some(false));
    let ssz = client
        .get_beacon_blocks_ssz::<E>(BlockId::Slot(3))
        .await
        .unwrap();
    assert_eq!(ssz, stored);
    let by_root = client
        .get_beacon_blocks::<E>(BlockId::Root(head.block_root))
        .await
        .unwrap();
    assert_eq!(by_root.data, stored);

    let blinded = client
        .get_beacon_blinded_blocks::<E>(BlockId::Head)
        .await
        .unwrap();
    assert_eq!(blinded.data, stored.to_blinded());
    let blinded_ssz = client
        .get_beacon_blinded_blocks_ssz::<E>(BlockId::Head)
        .await
        .unwrap();
    assert_eq!(blinded_ssz, stored.to_blinded());

    let root = client
        .get_beacon_blocks_root(BlockId::Slot(1))
        .await
        .unwrap();
    let block_1 = env.chain.store().canonical_block_root(1).unwrap().unwrap();
    assert_eq!(root.data.root, block_1);
    let genesis = client
        .get_beacon_blocks_root(BlockId::Genesis)
        .await
        .unwrap();
    assert_eq!(genesis.data.root, env.chain.genesis_block_root());
    assert!(genesis.finalized);
    let finalized = client
        .get_beacon_blocks_root(BlockId::Finalized)
        .await
        .unwrap();
    assert_eq!(finalized.data.root, env.chain.genesis_block_root());

    let skipped = client
        .get_beacon_blocks::<E>(BlockId::Slot(2))
        .await
        .unwrap_err();
    assert_eq!(skipped.status(), Some(404));
    let unknown = client
        .get_beacon_blocks_root(BlockId::Root(types::Hash256::repeat_byte(9)))
        .await
        .unwrap_err();
    assert_eq!(unknown.status(), Some(404));

    let header = client
        .get_beacon_headers_block_id(BlockId::Head)
        .await
        .unwrap();
    assert_eq!(header.data.root, head.block_root);
    assert!(header.data.canonical);
    assert_eq!(header.data.header, stored.signed_block_header());
    let at_head = client.get_beacon_headers(None, None).await.unwrap();
    assert_eq!(at_head.data.len(), 1);
    assert_eq!(at_head.data[0].root, head.block_root);
    let at_slot = client.get_beacon_headers(Some(1), None).await.unwrap();
    assert_eq!(at_slot.data.len(), 1);
    assert_eq!(at_slot.data[0].root, block_1);
    let children = client
        .get_beacon_headers(None, Some(block_1))
        .await
        .unwrap();
    assert_eq!(children.data.len(), 1);
    assert_eq!(children.data[0].root, head.block_root);
    let none = client.get_beacon_headers(Some(2), None).await.unwrap();
    assert!(none.data.is_empty());

    // Capella blocks have no blobs.
    let capella = client
        .get_blob_sidecars::<E>(BlockId::Head, None)
        .await
        .unwrap_err();
    assert_eq!(capella.status(), Some(400));
}

#[tokio::test]
async fn blob_sidecars_of_a_deneb_block() {
    let env = Env::start_with(
        "blobs",
        Options {
            blobs_per_payload: 2,
            ..Options::default()
        },
    )
    .await;
    let first_deneb = E::slots_per_epoch();
    for slot in 1..=first_deneb {
        env.propose(slot, slot % 2 == 0).await;
    }
    let client = &env.client;
    let head = env.chain.head();
    let stored = env
        .chain
        .store()
        .get_blob_sidecars(&head.block_root)
        .unwrap();
    assert_eq!(stored.len(), 2);
    let json = client
        .get_blob_sidecars::<E>(BlockId::Head, None)
        .await
        .unwrap();
    assert_eq!(json.version, ForkName::Deneb);
    assert_eq!(json.data, stored);
    let ssz = client
        .get_blob_sidecars_ssz::<E>(BlockId::Slot(first_deneb), Some(&[1]))
        .await
        .unwrap();
    assert_eq!(ssz.len(), 1);
    assert_eq!(ssz[0], stored[1]);
    let bad = client
        .get_with_accept(
            "eth/v1/beacon/blob_sidecars/head?indices=x",
            "application/json",
        )
        .await
        .unwrap_err();
    assert_eq!(bad.status(), Some(400));
}
