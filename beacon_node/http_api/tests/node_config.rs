//! `node`, `config`, `genesis` and `blindfold`.

use crate::harness::*;
use types::EthSpec;

#[tokio::test]
async fn node_and_config_answer_on_a_fresh_chain() {
    let env = Env::start("node").await;
    let client = &env.client;

    let version = client.get_node_version().await.unwrap();
    assert!(
        version.version.starts_with("Blindfold/"),
        "{}",
        version.version
    );

    let syncing = client.get_node_syncing().await.unwrap();
    assert_eq!(syncing.head_slot, 0);
    assert!(!syncing.is_syncing);
    assert!(!syncing.is_optimistic);
    assert_eq!(client.get_node_health().await.unwrap(), 200);

    // No p2p stack: empty answers, not errors.
    assert_eq!(client.get_node_peer_count().await.unwrap().connected, 0);
    let peers = client.get_node_peers().await.unwrap();
    assert!(peers.data.is_empty());
    assert_eq!(peers.meta.count, 0);
    client.get_node_identity().await.unwrap();

    let spec = client.get_config_spec().await.unwrap();
    assert_eq!(spec["SLOTS_PER_EPOCH"], "8");
    assert_eq!(spec["PRESET_BASE"], "minimal");
    assert_eq!(spec["DENEB_FORK_EPOCH"], "1");
    assert_eq!(spec["FULU_FORK_EPOCH"], "3");
    assert_eq!(spec["DOMAIN_BEACON_PROPOSER"], "0x00000000");
    assert!(spec["BLOB_SCHEDULE"].is_array());

    let schedule = client.get_config_fork_schedule().await.unwrap();
    assert_eq!(schedule.len(), 7);
    assert_eq!(schedule[4].current_version, env.spec.deneb_fork_version);
    assert_eq!(schedule[4].previous_version, env.spec.capella_fork_version);
    assert_eq!(schedule[4].epoch, 1);

    let deposit = client.get_config_deposit_contract().await.unwrap();
    assert_eq!(deposit.chain_id, env.spec.deposit_chain_id);
    assert_eq!(deposit.address, env.spec.deposit_contract_address);

    let genesis = client.get_beacon_genesis().await.unwrap();
    assert_eq!(genesis.genesis_time, GENESIS_TIME);
    assert_eq!(
        genesis.genesis_validators_root,
        env.chain.genesis_validators_root()
    );
    assert_eq!(genesis.genesis_fork_version, env.spec.genesis_fork_version);

    let builders = client.get_blindfold_builders().await.unwrap();
    assert_eq!(builders["builders"].as_array().map(Vec::len), Some(1));

    // The head lagging the clock by more than the tolerance is syncing (206).
    env.clock
        .set_ms((GENESIS_TIME + 20 * env.spec.slot_duration_ms / 1000) * 1000);
    let syncing = client.get_node_syncing().await.unwrap();
    assert!(syncing.is_syncing);
    assert_eq!(syncing.sync_distance, 20);
    assert_eq!(client.get_node_health().await.unwrap(), 206);
    let custom = client
        .get_with_accept("eth/v1/node/health?syncing_status=299", "application/json")
        .await
        .unwrap();
    assert_eq!(custom.status(), 299);
    let _ = E::slots_per_epoch();
}
