//! Operator mistakes stop the node at once: a non-zero exit and one line on stderr naming the flag.
//! (A datadir of another chain is in `interop`, which has such a datadir at hand.)

use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_startup_error_is_one_line_naming_its_flag() {
    let dir = TempDir::new("errors");
    let good_jwt = dir.path("jwt.hex");
    std::fs::write(&good_jwt, jwt().to_hex()).expect("a JWT file");
    let not_hex = dir.path("not_hex.hex");
    std::fs::write(&not_hex, "this is not hex\n").expect("a file");
    let short = dir.path("short.hex");
    std::fs::write(&short, "0x1234").expect("a file");
    let empty_testnet = dir.path("empty_testnet");
    std::fs::create_dir_all(&empty_testnet).expect("a dir");
    let config_only = dir.path("config_only");
    std::fs::create_dir_all(&config_only).expect("a dir");
    std::fs::write(
        config_only.join("config.yaml"),
        crate::testnet_dir::minimal_config_at_fulu(),
    )
    .expect("config.yaml");

    let datadir = dir.path("datadir");
    let engine = "http://127.0.0.1:1/";
    let interop = ["--interop-validators", "4", "--genesis-time", "0"].map(String::from);
    let with = |jwt: &std::path::Path, endpoint: &str, extra: &[&str]| {
        let mut args = base_args(&datadir, endpoint, jwt);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let with_interop = |jwt: &std::path::Path, endpoint: &str, extra: &[&str]| {
        let mut args = with(jwt, endpoint, extra);
        args.extend(interop.iter().cloned());
        args
    };
    let testnet = |path: &std::path::Path| {
        with(
            &good_jwt,
            engine,
            &["--testnet-dir", &path.display().to_string()],
        )
    };
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "missing JWT file",
            with_interop(&dir.path("absent.hex"), engine, &[]),
            "--execution-jwt",
        ),
        (
            "JWT not hex",
            with_interop(&not_hex, engine, &[]),
            "--execution-jwt",
        ),
        (
            "JWT too short",
            with_interop(&short, engine, &[]),
            "--execution-jwt",
        ),
        (
            "engine URL without a scheme",
            with_interop(&good_jwt, "127.0.0.1:8551", &[]),
            "--execution-endpoint",
        ),
        (
            "engine URL of another scheme",
            with_interop(&good_jwt, "ws://127.0.0.1:8551", &[]),
            "--execution-endpoint",
        ),
        (
            "builder URL with a bad pinned key",
            with_interop(
                &good_jwt,
                engine,
                &["--payload-builder", "http://0xabcd@127.0.0.1:18550"],
            ),
            "--payload-builder",
        ),
        (
            "builder URL listed twice",
            with_interop(
                &good_jwt,
                engine,
                &[
                    "--payload-builder",
                    "http://127.0.0.1:18550,http://127.0.0.1:18550",
                ],
            ),
            "--payload-builder",
        ),
        (
            "fee recipient too short",
            with_interop(&good_jwt, engine, &["--suggested-fee-recipient", "0x1234"]),
            "--suggested-fee-recipient",
        ),
        (
            "testnet dir without files",
            testnet(&empty_testnet),
            "--testnet-dir",
        ),
        (
            "testnet dir without genesis.ssz",
            testnet(&config_only),
            "--testnet-dir",
        ),
        (
            "testnet dir that does not exist",
            testnet(&dir.path("absent")),
            "--testnet-dir",
        ),
        (
            "no genesis at all",
            with(&good_jwt, engine, &[]),
            "--testnet-dir",
        ),
    ];
    for (name, args, flag) in cases {
        let mut bn = Bn::start(&args);
        let status = bn.wait_exit(WAIT).await;
        assert_eq!(status.code(), Some(1), "{name}: {status:?}\n{}", bn.dump());
        let stderr = bn.stderr();
        assert_eq!(stderr.len(), 1, "{name}: not one line:\n{}", bn.dump());
        let prefix = format!("bn: error: {flag}: ");
        assert!(stderr[0].starts_with(&prefix), "{name}: {}", stderr[0]);
    }
}
