//! A testnet directory (`config.yaml` + `genesis.ssz`, the layout every client reads) starts a chain.

use crate::harness::*;
use engine_api::{EngineClient, JwtAuth};
use std::path::Path;
use std::time::Duration;
use types::ssz::Encode;
use types::{ChainSpec, ForkName, MinimalEthSpec};

/// The consensus-specs minimal config (the shared specs' copy if present, else the bundled one) with
/// every fork up to Fulu at genesis.
pub fn minimal_config_at_fulu() -> String {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = manifest.join("../../shared/specs/consensus-specs/configs/minimal.yaml");
    let bundled = manifest.join("../common/types/configs/minimal.yaml");
    let text = std::fs::read_to_string(shared)
        .or_else(|_| std::fs::read_to_string(bundled))
        .expect("a minimal config");
    text.lines()
        .map(|line| {
            let forked = ["ALTAIR", "BELLATRIX", "CAPELLA", "DENEB", "ELECTRA", "FULU"]
                .iter()
                .any(|fork| line.starts_with(&format!("{fork}_FORK_EPOCH:")));
            match line.split_once(':') {
                Some((key, _)) if forked => format!("{key}: 0"),
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_testnet_dir_starts_a_chain() {
    let dir = TempDir::new("testnet");
    let (el, jwt) = mock_el(&dir, 0).await;
    let testnet = dir.path("testnet");
    std::fs::create_dir_all(&testnet).expect("the testnet dir");
    let config = minimal_config_at_fulu();
    std::fs::write(testnet.join("config.yaml"), &config).expect("config.yaml");
    let spec = ChainSpec::from_yaml_str(&config).expect("the config parses");
    assert_eq!(spec.fork_name_at_epoch(0), ForkName::Fulu);
    let engine = EngineClient::new(el.url().parse().expect("a URL"), JwtAuth::new(jwt_secret()))
        .expect("an engine client");
    let header =
        beacon_chain::genesis::engine_genesis_header::<MinimalEthSpec>(&engine, ForkName::Fulu)
            .await
            .expect("the engine's genesis header");
    let genesis = state_processing::genesis::interop_genesis_state::<MinimalEthSpec>(
        16,
        now() - 3,
        ForkName::Fulu,
        Some(header),
        &spec,
    )
    .expect("a genesis state");
    std::fs::write(testnet.join("genesis.ssz"), genesis.as_ssz_bytes()).expect("genesis.ssz");

    let mut args = base_args(&dir.path("datadir"), &el.url(), &jwt);
    args.extend(["--testnet-dir".to_string(), testnet.display().to_string()]);
    let mut bn = Bn::start(&args);
    let started = bn
        .wait_for_line("`started a new chain`", WAIT, |l| {
            l.contains("started a new chain")
        })
        .await;
    assert_eq!(
        field(&started, "genesis_time"),
        Some(genesis.genesis_time().to_string().as_str())
    );
    assert!(
        bn.lines()
            .iter()
            .any(|l| l.text.contains("preset=\"minimal\"")),
        "{}",
        bn.dump()
    );
    bn.wait_for_line("a slot", WAIT, |l| slot_of(l).is_some())
        .await;
    bn.signal("TERM");
    let status = bn.wait_exit(Duration::from_secs(20)).await;
    assert!(status.success(), "exit {status:?}; output:\n{}", bn.dump());

    // The testnet's preset is the config's; another one is refused, naming the flag.
    args.extend(["--preset".to_string(), "mainnet".to_string()]);
    let mut bn = Bn::start(&args);
    assert!(!bn.wait_exit(WAIT).await.success());
    let stderr = bn.stderr();
    assert_eq!(stderr.len(), 1, "{}", bn.dump());
    assert!(
        stderr[0].starts_with("bn: error: --preset: "),
        "{}",
        stderr[0]
    );
}

fn jwt_secret() -> engine_api::JwtSecret {
    crate::harness::jwt()
}
