//! The full-payload builder flags (issue 14) through the binary: each malformed value stops the node
//! with one line naming its flag, and well-formed ones configure both kinds of builder.

use crate::harness::*;
use std::path::Path;

const ADDRESS: &str = "0x1111111111111111111111111111111111111111";

fn interop(dir: &TempDir, el: &str, jwt: &Path, extra: &[String]) -> Vec<String> {
    let mut args = base_args(&dir.path("datadir"), el, jwt);
    args.extend(
        [
            "--preset",
            "minimal",
            "--interop-validators",
            "4",
            "--genesis-time",
        ]
        .map(String::from),
    );
    args.push(now().to_string());
    args.extend(extra.iter().cloned());
    args
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_full_payload_builder_flags_name_their_flag() {
    let dir = TempDir::new("full_flags");
    let jwt_path = dir.path("jwt.hex");
    std::fs::write(&jwt_path, jwt().to_hex()).expect("a JWT file");
    let key = dir.path("key.hex");
    std::fs::write(&key, "07".repeat(32)).expect("a key file");
    let short = dir.path("short.hex");
    std::fs::write(&short, "0x1234").expect("a file");
    let (key, short, jwt_file) = (
        key.display().to_string(),
        short.display().to_string(),
        jwt_path.display().to_string(),
    );
    let rpc = format!("{ADDRESS}@http://127.0.0.1:1");
    let engine = "http://127.0.0.1:1/";
    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "RPC builder without an address",
            strings(&[
                "--payload-builder-rpc",
                "http://127.0.0.1:1",
                "--payload-builder-request-key",
                &key,
            ]),
            "--payload-builder-rpc",
        ),
        (
            "RPC builder with a short address",
            strings(&[
                "--payload-builder-rpc",
                "0x1234@http://127.0.0.1:1",
                "--payload-builder-request-key",
                &key,
            ]),
            "--payload-builder-rpc",
        ),
        (
            "RPC builder without a request key",
            strings(&["--payload-builder-rpc", &rpc]),
            "--payload-builder-request-key",
        ),
        (
            "request key not 32 bytes",
            strings(&[
                "--payload-builder-rpc",
                &rpc,
                "--payload-builder-request-key",
                &short,
            ]),
            "--payload-builder-request-key",
        ),
        (
            "request key file missing",
            strings(&[
                "--payload-builder-rpc",
                &rpc,
                "--payload-builder-request-key",
                &dir.path("absent.hex").display().to_string(),
            ]),
            "--payload-builder-request-key",
        ),
        (
            "RPC timeout of 0",
            strings(&[
                "--payload-builder-rpc",
                &rpc,
                "--payload-builder-request-key",
                &key,
                "--payload-builder-rpc-timeout",
                "0",
            ]),
            "--payload-builder-rpc-timeout",
        ),
        (
            "engine builder without its JWT",
            strings(&["--payload-builder-engine", engine]),
            "--payload-builder-engine-jwt",
        ),
        (
            "engine builder of another scheme",
            strings(&[
                "--payload-builder-engine",
                "ws://127.0.0.1:1",
                "--payload-builder-engine-jwt",
                &jwt_file,
            ]),
            "--payload-builder-engine",
        ),
        (
            "engine builder JWT not hex",
            strings(&[
                "--payload-builder-engine",
                engine,
                "--payload-builder-engine-jwt",
                &short,
            ]),
            "--payload-builder-engine-jwt",
        ),
        (
            "engine timeout past the slot",
            strings(&[
                "--payload-builder-engine",
                engine,
                "--payload-builder-engine-jwt",
                &jwt_file,
                "--payload-builder-engine-timeout",
                "60000",
            ]),
            "--payload-builder-engine-timeout",
        ),
    ];
    for (name, extra, flag) in cases {
        let mut bn = Bn::start(&interop(&dir, "http://127.0.0.1:1/", &jwt_path, &extra));
        let status = bn.wait_exit(WAIT).await;
        assert_eq!(status.code(), Some(1), "{name}: {status:?}\n{}", bn.dump());
        let stderr = bn.stderr();
        assert_eq!(stderr.len(), 1, "{name}: not one line:\n{}", bn.dump());
        let prefix = format!("bn: error: {flag}: ");
        assert!(stderr[0].starts_with(&prefix), "{name}: {}", stderr[0]);
    }
}

/// Both kinds configured (builders that are not up: a builder never stops the node), then a clean
/// stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rpc_and_engine_builders_are_configured_at_start() {
    let dir = TempDir::new("full_start");
    let (el, jwt_path) = mock_el(&dir, 0).await;
    let key = dir.path("key.hex");
    std::fs::write(&key, "07".repeat(32)).expect("a key file");
    let builder_jwt = dir.path("builder_jwt.hex");
    std::fs::write(&builder_jwt, "55".repeat(32)).expect("a JWT file");
    let (rpc_port, engine_port) = (free_port(), free_port());
    let extra = vec![
        "--payload-builder-rpc".into(),
        format!("{ADDRESS}@http://127.0.0.1:{rpc_port}"),
        "--payload-builder-request-key".into(),
        key.display().to_string(),
        "--payload-builder-engine".into(),
        format!("http://127.0.0.1:{engine_port}/"),
        "--payload-builder-engine-jwt".into(),
        builder_jwt.display().to_string(),
    ];
    let mut bn = Bn::start(&interop(&dir, &el.url(), &jwt_path, &extra));
    for kind in ["rpc", "engine"] {
        let line = bn
            .wait_for_line(&format!("the {kind} builder configured"), WAIT, |l| {
                l.contains("full-payload builder configured")
                    && field(l, "kind").map(|k| k.trim_matches('"')) == Some(kind)
            })
            .await;
        let expected = match kind {
            "rpc" => ADDRESS.to_string(),
            _ => format!("http://127.0.0.1:{engine_port}/"),
        };
        assert_eq!(field(&line, "builder"), Some(expected.as_str()), "{line}");
    }
    bn.wait_for_line("`started a new chain`", WAIT, |l| {
        l.contains("started a new chain")
    })
    .await;
    bn.signal("TERM");
    let status = bn.wait_exit(WAIT).await;
    assert_eq!(status.code(), Some(0), "{}", bn.dump());
}
