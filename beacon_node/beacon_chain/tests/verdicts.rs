//! The builder's verdict path (seed 004) when the verdict comes late: a builder block imported
//! optimistically (the engine was syncing) that a later forkchoiceUpdated calls INVALID.

use crate::harness::*;
use beacon_chain::{BlockFormat, Published};

#[tokio::test]
async fn an_optimistic_builder_block_found_invalid_later_leaves_the_head_and_its_builder_is_disabled(
) {
    let mut env = Env::start("later_verdict", Options::default()).await;
    let builder = env.chain().execution_layer().builder_names()[0].clone();
    // Slot 1: a local block, valid.
    env.relays[0].update_faults(|f| f.no_bid = true);
    let (_, published) = env.propose(1, BlockFormat::Either).await;
    assert!(matches!(published, Ok(Published::Imported(_))));
    let valid = env.chain().head();
    assert!(!valid.optimistic);

    // Slot 2: the builder's block is produced while the engine is well, then the engine falls
    // behind: the block is imported optimistically.
    env.relays[0].update_faults(|f| f.no_bid = false);
    let (produced, published) = env
        .propose_with(2, BlockFormat::Either, || {
            env.el.update_faults(|f| f.optimistic = true)
        })
        .await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
    assert!(produced.is_blinded(), "{}", produced.source_reason);
    let root = produced.proposal.block_root();
    let head = env.chain().head();
    assert_eq!(head.block_root, root);
    assert!(head.optimistic, "imported optimistically");
    let builder_hash = head.execution_block_hash;

    // The engine catches up and finds the builder's payload INVALID; the head goes back.
    env.el.update_faults(|f| {
        f.optimistic = false;
        f.invalid_heads
            .insert(builder_hash, valid.execution_block_hash);
    });
    env.start_slot(3).await;
    assert_eq!(
        env.chain().head().block_root,
        valid.block_root,
        "the invalid block left the head"
    );
    let layer = env.chain().execution_layer();
    assert!(layer.is_builder_disabled(&builder));
    let status = serde_json::to_value(layer.status()).unwrap();
    assert_eq!(status["builders"][0]["state"]["reason"], "invalid_payload");
    assert_eq!(
        status["builders"][0]["state"]["block_root"],
        format!("{root:?}")
    );

    // A restart: the root is still the builder's, the builder is enabled again.
    env.el.update_faults(|f| f.invalid_heads.clear());
    env.restart().await;
    let layer = env.chain().execution_layer();
    assert!(!layer.is_builder_disabled(&builder));
    assert_eq!(
        layer.builder_of(root).unwrap().map(|b| b.builders),
        Some(vec![builder])
    );
    assert_ne!(env.chain().head().block_root, root);
}
