//! A chain through the fork schedule, with builder and local blocks; bad blocks refused; the
//! builder's verdict path across a restart.

use crate::harness::*;
use beacon_chain::{BlockError, BlockFormat, BlockProposal, PublishError, Published};
use mock_relay::{InvalidPayloadFault, RelayFaults};

use types::{EthSpec, ForkName};

fn imported(published: &Result<Published, PublishError>) -> types::Hash256 {
    match published {
        Ok(Published::Imported(imported)) => imported.block_root,
        other => panic!("expected an imported block, got {other:?}"),
    }
}

#[tokio::test]
async fn the_chain_passes_every_fork_on_builder_and_local_blocks() {
    let env = Env::start("forks", Options::default()).await;
    let slots = 4 * E::slots_per_epoch();
    let mut builder_blocks = 0;
    for slot in 1..=slots {
        // Every fourth slot the relay has no bid: the local payload.
        let no_bid = slot % 4 == 0;
        env.relays[0].update_faults(|f| f.no_bid = no_bid);
        let (produced, published) = env.propose(slot, BlockFormat::Either).await;
        let root = imported(&published);
        let head = env.chain().head();
        assert_eq!(head.block_root, root, "slot {slot}");
        assert_eq!(head.slot, slot);
        assert_eq!(
            head.state.fork_name(),
            env.spec.fork_name_at_slot::<E>(slot),
            "slot {slot}"
        );
        assert_eq!(
            env.el.head_hash(),
            head.execution_block_hash,
            "the engine follows"
        );
        if no_bid {
            assert!(
                matches!(produced.proposal, BlockProposal::Full { .. }),
                "slot {slot}"
            );
            assert_eq!(produced.builder, None);
        } else {
            assert!(
                produced.is_blinded(),
                "slot {slot}: {}",
                produced.source_reason
            );
            builder_blocks += 1;
            let attributed = env
                .chain()
                .execution_layer()
                .builder_of(root)
                .expect("readable")
                .expect("a builder block is attributed");
            assert_eq!(attributed.slot, slot);
        }
    }
    assert_eq!(env.chain().head().state.fork_name(), ForkName::Fulu);
    assert_eq!(builder_blocks, 24);
    let state = &env.chain().execution_layer().status().builders[0];
    assert_eq!(state.counters.wins, 24);
}

#[tokio::test]
async fn blobs_cross_deneb_electra_and_fulu() {
    let env = Env::start(
        "blobs",
        Options {
            blobs_per_payload: 1,
            ..Options::default()
        },
    )
    .await;
    for slot in 1..=4 * E::slots_per_epoch() {
        // Alternate builder and local payloads, both with blobs from Deneb on.
        env.relays[0].update_faults(|f| f.no_bid = slot % 2 == 0);
        let (_, published) = env.propose(slot, BlockFormat::Either).await;
        let root = imported(&published);
        let fork = env.spec.fork_name_at_slot::<E>(slot);
        let store = env.chain().store();
        match fork {
            ForkName::Capella => {}
            ForkName::Deneb | ForkName::Electra => {
                assert_eq!(
                    store.get_blob_sidecars(&root).unwrap().len(),
                    1,
                    "slot {slot}"
                )
            }
            ForkName::Fulu => assert_eq!(
                store.get_data_column_sidecars(&root).unwrap().len(),
                kzg::CELLS_PER_EXT_BLOB,
                "slot {slot}"
            ),
        }
    }
}

#[tokio::test]
async fn a_builder_block_the_engine_calls_invalid_disables_the_builder_across_a_restart() {
    let mut env = Env::start(
        "verdict",
        Options {
            relays: vec![RelayFaults {
                invalid_payload: InvalidPayloadFault::Once,
                ..relay()
            }],
            ..Options::default()
        },
    )
    .await;
    let builder = env.chain().execution_layer().builder_names()[0].clone();
    let (produced, published) = env.propose(1, BlockFormat::Either).await;
    assert!(produced.is_blinded());
    let root = produced.proposal.block_root();
    assert!(
        matches!(
            published,
            Err(PublishError::Block(BlockError::InvalidPayload { .. }))
        ),
        "{published:?}"
    );
    // Not imported, the head stays at genesis, the builder is disabled.
    assert_eq!(env.chain().head().slot, 0);
    assert!(!env.chain().is_known_block(&root));
    assert!(env.chain().execution_layer().is_builder_disabled(&builder));
    // The next slot goes local and the chain moves on.
    let (produced, published) = env.propose(2, BlockFormat::Either).await;
    assert!(!produced.is_blinded());
    imported(&published);

    env.restart().await;
    let layer = env.chain().execution_layer();
    assert!(
        !layer.is_builder_disabled(&builder),
        "a restart gives the builder a new chance"
    );
    let attributed = layer
        .builder_of(root)
        .expect("readable")
        .expect("the invalid block is still attributed");
    assert_eq!(attributed.builders, vec![builder]);
    assert_eq!(env.chain().head().slot, 2, "resumed at the last head");
    let (produced, published) = env.propose(3, BlockFormat::Either).await;
    assert!(produced.is_blinded(), "the builder is asked again");
    imported(&published);
}

#[tokio::test]
async fn bad_blocks_are_refused_and_change_nothing() {
    let env = Env::start(
        "bad_blocks",
        Options {
            relays: vec![],
            ..Options::default()
        },
    )
    .await;
    let (produced, published) = env.propose(1, BlockFormat::Full).await;
    imported(&published);
    let head = env.chain().head();
    let BlockProposal::Full { block, .. } = produced.proposal else {
        panic!("a full block");
    };

    // The same block again.
    let signed = block.clone().into_signed(types::SignatureBytes::empty());
    let error = env.chain().import_block(signed, None).await.unwrap_err();
    assert!(matches!(error, BlockError::AlreadyKnown(_)), "{error}");

    // A block on an unknown parent, in the future, with a bad signature, with a bad state root.
    let mut unknown_parent = block.clone();
    set(
        &mut unknown_parent,
        |b| b.parent_root = types::Hash256::repeat_byte(9),
        |_| {},
    );
    let error = env
        .chain()
        .import_block(
            unknown_parent.into_signed(types::SignatureBytes::empty()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, BlockError::UnknownParent(_)), "{error}");

    let mut future = block.clone();
    set(
        &mut future,
        |b| b.parent_root = head.block_root,
        |b| b.slot = 100,
    );
    let error = env
        .chain()
        .import_block(future.into_signed(types::SignatureBytes::empty()), None)
        .await
        .unwrap_err();
    assert!(matches!(error, BlockError::FutureSlot { .. }), "{error}");

    env.start_slot(2).await;
    let (produced, _) = {
        env.chain().prepare_slot(2).await;
        let proposer = env.proposer(2);
        let state = env.chain().state_at_slot(head.block_root, 2).unwrap();
        let key = bls::interop_secret_key(proposer);
        let domain = state_processing::common::get_domain(&state, types::DOMAIN_RANDAO, Some(0));
        let randao_reveal = key
            .sign(types::compute_signing_root(&0u64, domain).as_slice())
            .to_bytes();
        let produced = env
            .chain()
            .produce_block(
                2,
                beacon_chain::ProduceOptions {
                    randao_reveal,
                    graffiti: None,
                    skip_randao_verification: false,
                    builder_boost_factor: None,
                    format: BlockFormat::Full,
                },
            )
            .await
            .expect("a block");
        (produced, ())
    };
    let BlockProposal::Full { block, .. } = produced.proposal else {
        panic!("a full block");
    };
    let error = env
        .chain()
        .import_block(
            block.clone().into_signed(types::SignatureBytes::empty()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, BlockError::InvalidSignature), "{error}");

    let mut bad_root = block;
    set(
        &mut bad_root,
        |b| b.state_root = types::Hash256::repeat_byte(7),
        |_| {},
    );
    let proposer = env.proposer(2);
    let state = env.chain().state_at_slot(head.block_root, 2).unwrap();
    let domain = state_processing::common::get_domain(&state, types::DOMAIN_BEACON_PROPOSER, None);
    let root = tree_hash::TreeHash::tree_hash_root(&bad_root);
    let signature = bls::interop_secret_key(proposer)
        .sign(types::compute_signing_root(&root, domain).as_slice())
        .to_bytes();
    let error = env
        .chain()
        .import_block(bad_root.into_signed(signature), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, BlockError::StateRootMismatch { .. }),
        "{error}"
    );

    // Nothing changed.
    assert_eq!(env.chain().head().block_root, head.block_root);
    assert_eq!(env.el.head_hash(), head.execution_block_hash);
}

/// Edits the header fields of a Capella block (the bench's genesis fork).
fn set(
    block: &mut types::BeaconBlock<E>,
    first: impl FnOnce(&mut types::BeaconBlockCapella<E>),
    second: impl FnOnce(&mut types::BeaconBlockCapella<E>),
) {
    let types::BeaconBlock::Capella(b) = block else {
        panic!("the bench's first epoch is Capella");
    };
    first(b);
    second(b);
}

#[tokio::test]
async fn the_chain_finalizes_through_every_fork_with_builder_blocks() {
    let env = Env::start("finality", Options::default()).await;
    let epochs = 6;
    for slot in 1..=epochs * E::slots_per_epoch() {
        env.relays[0].update_faults(|f| f.no_bid = slot % 3 == 0);
        let (_, published) = env.propose(slot, BlockFormat::Either).await;
        imported(&published);
        assert_eq!(
            env.attest(slot).await,
            VALIDATORS as usize / E::slots_per_epoch() as usize
        );
    }
    let head = env.chain().head();
    assert_eq!(head.state.fork_name(), ForkName::Fulu);
    let finalized = env.chain().finalized_checkpoint();
    assert!(
        finalized.epoch >= 3,
        "finalized {finalized:?}, justified {:?}",
        env.chain().justified_checkpoint()
    );
    // The engine was told: its finalized block is the finalized checkpoint's payload.
    let finalized_hash = env
        .chain()
        .with_fork_choice(|fc| fc.block(&finalized.root).map(|n| n.execution_block_hash))
        .expect("the finalized block is known");
    assert_eq!(env.el.with_chain(|c| c.finalized_hash()), finalized_hash);
}
