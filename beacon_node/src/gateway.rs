//! The RPC gateway's flags (`--rpc-gateway-port`, `--rpc-gateway-address`, `--execution-rpc`) checked,
//! and the full-payload builders turned into the gateway's forwarding targets.
//!
//! Which builders get forwarded transactions: every `--payload-builder-rpc` builder, by
//! `builder_forwardTransactionV1` at its URL (the OP draft's method); and every
//! `--payload-builder-engine` builder, by `eth_sendRawTransaction` at its engine endpoint with its
//! own JWT secret. An engine builder is an execution client: execution clients serve the `eth_`
//! namespace on their authenticated engine port as well, and that is the only address of it the
//! node knows, so its own pool gets the transaction the same way the local engine's does.
//! Relays (`--payload-builder`) get nothing: the builder-specs API has no such method.

use crate::cli::Cli;
use crate::config::StartupError;
use execution_layer::FullPayloadBuildersConfig;
use rpc_gateway::{ForwardTarget, GatewayConfig, TargetKind};
use std::future::Future;
use std::net::SocketAddr;
use url::Url;

/// `--rpc-gateway-port`.
pub const PORT_FLAG: &str = "--rpc-gateway-port";
/// `--execution-rpc`.
pub const EXECUTION_RPC_FLAG: &str = "--execution-rpc";

/// The gateway's checked settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewaySettings {
    /// `--rpc-gateway-address` (127.0.0.1 by default) and `--rpc-gateway-port`.
    pub listen: SocketAddr,
    /// The engine's JSON-RPC (not its engine API).
    pub execution_rpc: Url,
}

/// The gateway's settings from the command line; `None` without `--rpc-gateway-port`.
pub fn settings(cli: &Cli) -> Result<Option<GatewaySettings>, StartupError> {
    let (port, text) = match (cli.rpc_gateway_port, cli.execution_rpc.as_deref()) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(StartupError::flag(
                EXECUTION_RPC_FLAG,
                format!("required with {PORT_FLAG}: the gateway sends transactions and other calls to the execution engine's JSON-RPC (e.g. http://127.0.0.1:8545)"),
            ))
        }
        (None, Some(_)) => {
            return Err(StartupError::flag(
                PORT_FLAG,
                format!("required with {EXECUTION_RPC_FLAG}: it is the gateway's only use"),
            ))
        }
        (Some(port), Some(text)) => (port, text),
    };
    let execution_rpc: Url = text.parse().map_err(|e| {
        StartupError::flag(EXECUTION_RPC_FLAG, format!("invalid URL {text:?}: {e}"))
    })?;
    if !matches!(execution_rpc.scheme(), "http" | "https")
        || execution_rpc.host_str().is_none_or(str::is_empty)
    {
        return Err(StartupError::flag(
            EXECUTION_RPC_FLAG,
            format!("{text:?} is not an http(s) URL with a host"),
        ));
    }
    Ok(Some(GatewaySettings {
        listen: SocketAddr::new(cli.rpc_gateway_address, port),
        execution_rpc,
    }))
}

/// The builders that receive forwarded transactions, named as the builder module names them (an
/// RPC builder by its address, an engine builder by its URL without credentials).
pub fn targets(builders: &FullPayloadBuildersConfig) -> Vec<ForwardTarget> {
    let rpc = builders.rpc.iter().map(|b| ForwardTarget {
        name: b.address.to_string(),
        url: b.url.clone(),
        kind: TargetKind::Rpc,
    });
    let engine = builders.engine.iter().map(|b| {
        let mut name = b.url.clone();
        let _ = name.set_username("");
        let _ = name.set_password(None);
        ForwardTarget {
            name: name.to_string(),
            url: b.url.clone(),
            kind: TargetKind::Engine(b.jwt.clone()),
        }
    });
    rpc.chain(engine).collect()
}

/// Starts the gateway: binds, registers its metrics and starts forwarding. Returns the bound address
/// and the server's future.
pub fn serve(
    settings: &GatewaySettings,
    builders: &FullPayloadBuildersConfig,
    registry: &prometheus::Registry,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, impl Future<Output = ()> + Send + 'static), StartupError> {
    let config = GatewayConfig::new(
        settings.listen,
        settings.execution_rpc.clone(),
        targets(builders),
    );
    rpc_gateway::serve(config, registry, shutdown).map_err(|e| match e {
        rpc_gateway::GatewayError::Bind { .. } => StartupError::flag(PORT_FLAG, e),
        other => StartupError::Other(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Cli {
        crate::cli::test_cli(args)
    }

    #[test]
    fn the_gateway_is_off_by_default_and_local_when_on() {
        assert_eq!(settings(&parse(&[])).unwrap(), None);
        let on = settings(&parse(&[
            "--rpc-gateway-port",
            "8547",
            "--execution-rpc",
            "http://127.0.0.1:8545",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(on.listen, "127.0.0.1:8547".parse().unwrap());
        assert_eq!(on.execution_rpc.as_str(), "http://127.0.0.1:8545/");
        let public = settings(&parse(&[
            "--rpc-gateway-port",
            "8547",
            "--rpc-gateway-address",
            "0.0.0.0",
            "--execution-rpc",
            "http://el:8545",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(public.listen, "0.0.0.0:8547".parse().unwrap());
    }

    #[test]
    fn bad_gateway_flags_name_the_flag() {
        for (args, flag) in [
            (&["--rpc-gateway-port", "8547"][..], EXECUTION_RPC_FLAG),
            (&["--execution-rpc", "http://a:1"][..], PORT_FLAG),
            (
                &["--rpc-gateway-port", "1", "--execution-rpc", "not a url"][..],
                EXECUTION_RPC_FLAG,
            ),
            (
                &["--rpc-gateway-port", "1", "--execution-rpc", "ws://a:1"][..],
                EXECUTION_RPC_FLAG,
            ),
        ] {
            let error = settings(&parse(args)).unwrap_err();
            assert!(error.to_string().starts_with(flag), "{args:?}: {error}");
        }
    }

    #[test]
    fn every_full_payload_builder_is_a_target() {
        let builders = FullPayloadBuildersConfig {
            rpc: execution_layer::full_payload::parse_rpc_builders(
                "0x1111111111111111111111111111111111111111@http://127.0.0.1:9000",
            )
            .unwrap(),
            engine: vec![execution_layer::full_payload::EngineBuilderConfig {
                url: "http://user:pw@127.0.0.1:8551/".parse().unwrap(),
                jwt: engine_api::JwtSecret::new([1; 32]),
                timeout: std::time::Duration::from_millis(500),
            }],
            ..FullPayloadBuildersConfig::default()
        };
        let targets = targets(&builders);
        assert_eq!(targets.len(), 2);
        assert_eq!(targets[0].kind, TargetKind::Rpc);
        assert_eq!(
            targets[0].name,
            "0x1111111111111111111111111111111111111111"
        );
        assert_eq!(
            targets[1].kind,
            TargetKind::Engine(engine_api::JwtSecret::new([1; 32]))
        );
        assert_eq!(targets[1].name, "http://127.0.0.1:8551/");
    }
}
