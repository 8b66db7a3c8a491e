//! The full-payload builder flags (issue 14) checked into the module's settings: RPC builders with the
//! proposer's request key, engine builders each with its own JWT secret, and their timeouts. The
//! parsers are the module's ([`execution_layer::full_payload::config`]); each error names its flag.

use crate::cli::Cli;
use crate::config::StartupError;
use execution_layer::full_payload::{
    config::{ENGINE_FLAG, ENGINE_JWT_FLAG, REQUEST_KEY_FLAG, RPC_FLAG},
    load_request_key, parse_engine_builder, parse_rpc_builders, FlagError,
    FullPayloadBuildersConfig,
};
use std::time::Duration;
use types::ChainSpec;

const RPC_TIMEOUT_FLAG: &str = "--payload-builder-rpc-timeout";
const ENGINE_TIMEOUT_FLAG: &str = "--payload-builder-engine-timeout";

fn flag_error(error: FlagError) -> StartupError {
    StartupError::flag(error.flag, error.message)
}

/// A timeout flag: more than 0 ms and shorter than the slot.
fn timeout(flag: &'static str, ms: u64, spec: &ChainSpec) -> Result<Duration, StartupError> {
    if ms == 0 {
        return Err(StartupError::flag(flag, "must be more than 0 ms"));
    }
    if ms >= spec.slot_duration_ms {
        return Err(StartupError::flag(
            flag,
            format!(
                "{ms} ms is not shorter than the {} ms slot",
                spec.slot_duration_ms
            ),
        ));
    }
    Ok(Duration::from_millis(ms))
}

/// The full-payload builders of the command line. `--payload-builder-rpc` needs
/// `--payload-builder-request-key`; the n-th `--payload-builder-engine` takes the n-th
/// `--payload-builder-engine-jwt`.
pub fn full_payload_builders(
    cli: &Cli,
    spec: &ChainSpec,
) -> Result<FullPayloadBuildersConfig, StartupError> {
    let mut config = FullPayloadBuildersConfig::default();
    if !cli.payload_builder_rpc.is_empty() {
        // Repeated flags are one list, so an address given twice is refused across them.
        config.rpc = parse_rpc_builders(&cli.payload_builder_rpc.join(",")).map_err(flag_error)?;
    }
    config.request_key = cli
        .payload_builder_request_key
        .as_deref()
        .map(load_request_key)
        .transpose()
        .map_err(flag_error)?;
    if !config.rpc.is_empty() && config.request_key.is_none() {
        return Err(StartupError::flag(
            REQUEST_KEY_FLAG,
            format!("required with {RPC_FLAG}: every builder_getPayloadV1 request is signed"),
        ));
    }
    if let Some(ms) = cli.payload_builder_rpc_timeout {
        let timeout = timeout(RPC_TIMEOUT_FLAG, ms, spec)?;
        config.rpc.iter_mut().for_each(|b| b.timeout = timeout);
    }

    let (engines, jwts) = (&cli.payload_builder_engine, &cli.payload_builder_engine_jwt);
    if jwts.len() > engines.len() {
        return Err(StartupError::flag(
            ENGINE_JWT_FLAG,
            format!(
                "{} secrets for {} {ENGINE_FLAG} endpoints: give one per endpoint, in the same order",
                jwts.len(),
                engines.len()
            ),
        ));
    }
    for (i, url) in engines.iter().enumerate() {
        let engine = parse_engine_builder(url.trim(), jwts.get(i).map(|p| p.as_path()))
            .map_err(flag_error)?;
        if config.engine.iter().any(|e| e.url == engine.url) {
            return Err(StartupError::flag(
                ENGINE_FLAG,
                format!("{} is given more than once", engine.url),
            ));
        }
        config.engine.push(engine);
    }
    if let Some(ms) = cli.payload_builder_engine_timeout {
        let timeout = timeout(ENGINE_TIMEOUT_FLAG, ms, spec)?;
        config.engine.iter_mut().for_each(|b| b.timeout = timeout);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use execution_layer::full_payload::DEFAULT_RPC_BUILDER_TIMEOUT;

    const A: &str = "0x1111111111111111111111111111111111111111";
    const B: &str = "0x2222222222222222222222222222222222222222";

    struct Files(std::path::PathBuf);

    impl Files {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!(
                "bn_full_payload_flags_{name}_{}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn write(&self, name: &str, content: &str) -> String {
            let path = self.0.join(name);
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn parse(args: &[&str]) -> Result<FullPayloadBuildersConfig, StartupError> {
        let cli = crate::cli::test_cli(args);
        full_payload_builders(&cli, &ChainSpec::minimal())
    }

    fn flag_of(result: Result<FullPayloadBuildersConfig, StartupError>) -> String {
        let error = result.expect_err("a startup error").to_string();
        error.split(':').next().unwrap_or_default().to_string()
    }

    #[test]
    fn none_by_default() {
        let config = parse(&[]).unwrap();
        assert!(config.rpc.is_empty() && config.engine.is_empty());
        assert!(config.request_key.is_none());
    }

    #[test]
    fn rpc_builders_with_their_request_key_and_timeout() {
        let files = Files::new("rpc");
        let key = files.write("key.hex", &format!("0x{}\n", "07".repeat(32)));
        let first = format!("{A}@http://127.0.0.1:9000");
        let second = format!("{B}@http://127.0.0.1:9001");
        let config = parse(&[
            "--payload-builder-rpc",
            &first,
            "--payload-builder-rpc",
            &second,
            "--payload-builder-request-key",
            &key,
        ])
        .unwrap();
        assert_eq!(config.rpc.len(), 2);
        assert_eq!(config.rpc[1].address, B.parse::<types::Address>().unwrap());
        assert_eq!(config.rpc[0].timeout, DEFAULT_RPC_BUILDER_TIMEOUT);
        assert!(config.request_key.is_some());
        let config = parse(&[
            "--payload-builder-rpc",
            &format!("{first},{second}"),
            "--payload-builder-request-key",
            &key,
            "--payload-builder-rpc-timeout",
            "350",
        ])
        .unwrap();
        assert_eq!(config.rpc[1].timeout, Duration::from_millis(350));

        assert_eq!(
            flag_of(parse(&["--payload-builder-rpc", &first])),
            REQUEST_KEY_FLAG
        );
        assert_eq!(
            flag_of(parse(&[
                "--payload-builder-rpc",
                &first,
                "--payload-builder-rpc",
                &first,
                "--payload-builder-request-key",
                &key
            ])),
            RPC_FLAG
        );
        let bad_key = files.write("bad.hex", "0x1234");
        assert_eq!(
            flag_of(parse(&["--payload-builder-request-key", &bad_key])),
            REQUEST_KEY_FLAG
        );
        for ms in ["0", "6000"] {
            assert_eq!(
                flag_of(parse(&[
                    "--payload-builder-rpc",
                    &first,
                    "--payload-builder-request-key",
                    &key,
                    "--payload-builder-rpc-timeout",
                    ms
                ])),
                RPC_TIMEOUT_FLAG
            );
        }
    }

    #[test]
    fn engine_builders_pair_with_their_secrets_in_order() {
        let files = Files::new("engine");
        let one = files.write("one.hex", &"11".repeat(32));
        let two = files.write("two.hex", &"22".repeat(32));
        let config = parse(&[
            "--payload-builder-engine",
            "http://127.0.0.1:8561",
            "--payload-builder-engine-jwt",
            &one,
            "--payload-builder-engine",
            "http://127.0.0.1:8562",
            "--payload-builder-engine-jwt",
            &two,
            "--payload-builder-engine-timeout",
            "700",
        ])
        .unwrap();
        assert_eq!(config.engine.len(), 2);
        assert_eq!(config.engine[1].jwt, engine_api::JwtSecret::new([0x22; 32]));
        assert_eq!(config.engine[0].timeout, Duration::from_millis(700));

        assert_eq!(
            flag_of(parse(&[
                "--payload-builder-engine",
                "http://127.0.0.1:8561"
            ])),
            ENGINE_JWT_FLAG
        );
        assert_eq!(
            flag_of(parse(&[
                "--payload-builder-engine",
                "http://127.0.0.1:8561",
                "--payload-builder-engine-jwt",
                &one,
                "--payload-builder-engine-jwt",
                &two
            ])),
            ENGINE_JWT_FLAG
        );
        assert_eq!(
            flag_of(parse(&[
                "--payload-builder-engine",
                "127.0.0.1:8561",
                "--payload-builder-engine-jwt",
                &one
            ])),
            ENGINE_FLAG
        );
        assert_eq!(
            flag_of(parse(&[
                "--payload-builder-engine",
                "http://127.0.0.1:8561",
                "--payload-builder-engine-jwt",
                &one,
                "--payload-builder-engine",
                "http://127.0.0.1:8561",
                "--payload-builder-engine-jwt",
                &two
            ])),
            ENGINE_FLAG
        );
    }
}
