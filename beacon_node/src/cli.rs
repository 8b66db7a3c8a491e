//! The command line, as stakers know it from other clients (Lighthouse's names where one exists, the
//! mission's `--payload-builder`). Parsing only: [`crate::config`] turns it into checked settings.

use clap::{Parser, ValueEnum};
use std::net::IpAddr;
use std::path::PathBuf;

/// Default beacon-API port (every client's).
pub const DEFAULT_HTTP_PORT: u16 = 5052;
/// Default metrics port (Lighthouse's).
pub const DEFAULT_METRICS_PORT: u16 = 5054;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "bn",
    version,
    about = "Blindfold beacon node: blinded block production through external payload builders, \
             with the local execution engine as fallback.",
    after_help = "A new datadir needs a genesis: --testnet-dir DIR (config.yaml and genesis.ssz), or \
                  --interop-validators N --genesis-time T (interop keys; the genesis block's execution \
                  header is read from the execution engine). Give the same genesis flags on every start: \
                  an existing datadir resumes its chain, and one that holds another chain is refused."
)]
pub struct Cli {
    /// Directory of the node's database (created if missing).
    #[arg(long, value_name = "DIR", help_heading = "Chain")]
    pub datadir: PathBuf,

    /// A testnet directory: `config.yaml` and `genesis.ssz`. The preset is the config's PRESET_BASE.
    #[arg(
        long,
        value_name = "DIR",
        help_heading = "Chain",
        conflicts_with_all = ["interop_validators", "genesis_time", "config", "interop_fork"]
    )]
    pub testnet_dir: Option<PathBuf>,

    /// An interop genesis of N validators (the interop keys 0..N), for local networks.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Chain",
        requires = "genesis_time"
    )]
    pub interop_validators: Option<u64>,

    /// Unix seconds of the interop genesis.
    #[arg(
        long,
        value_name = "T",
        help_heading = "Chain",
        requires = "interop_validators"
    )]
    pub genesis_time: Option<u64>,

    /// The preset (container sizes). Default: the testnet config's PRESET_BASE, else mainnet.
    #[arg(long, value_enum, help_heading = "Chain")]
    pub preset: Option<Preset>,

    /// Interop only: a consensus-specs config.yaml for the fork schedule and other parameters.
    /// Default: the preset's bundled config with every fork up to --interop-fork at genesis.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Chain",
        requires = "interop_validators"
    )]
    pub config: Option<PathBuf>,

    /// Interop without --config: the last fork active from genesis (later ones never come).
    #[arg(
        long,
        value_enum,
        value_name = "FORK",
        help_heading = "Chain",
        requires = "interop_validators",
        conflicts_with = "config"
    )]
    pub interop_fork: Option<Fork>,

    /// The execution engine's authenticated engine API.
    #[arg(long, value_name = "URL", help_heading = "Execution engine")]
    pub execution_endpoint: String,

    /// The engine API's JWT secret: a file of 64 hex digits (`0x` optional).
    #[arg(long, value_name = "FILE", help_heading = "Execution engine")]
    pub execution_jwt: PathBuf,

    /// Fee recipient of local payloads for validators that sent no `prepare_beacon_proposer`.
    #[arg(long, value_name = "ADDR", help_heading = "Execution engine")]
    pub suggested_fee_recipient: Option<String>,

    /// How long a proposal waits for the local payload when a valid builder bid is at hand
    /// (0: always wait for it). Default 2000.
    #[arg(long, value_name = "MS", help_heading = "Execution engine")]
    pub local_payload_timeout: Option<u64>,

    /// Payload builders (relays, mev-boost), comma-separated. Pin a builder's key as
    /// `http://0xPUBKEY@host:port`: its bids must then be signed by that key.
    #[arg(
        long,
        value_name = "URL[,URL...]",
        value_delimiter = ',',
        help_heading = "Payload builders"
    )]
    pub payload_builder: Vec<String>,

    /// getHeader timeout per builder. Default 950.
    #[arg(long, value_name = "MS", help_heading = "Payload builders")]
    pub builder_header_timeout: Option<u64>,

    /// Circuit breaker: use the local payload when more than N slots are empty between the head and
    /// the proposal. Default 3.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Payload builders",
        conflicts_with = "builder_fallback_disable_checks"
    )]
    pub builder_fallback_skips: Option<u64>,

    /// Circuit breaker: use the local payload when more than N of the last 32 slots are empty.
    /// Default 8.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Payload builders",
        conflicts_with = "builder_fallback_disable_checks"
    )]
    pub builder_fallback_skips_per_epoch: Option<u64>,

    /// Circuit breaker: use the local payload when finality is more than N epochs behind. Default 3.
    #[arg(
        long,
        value_name = "N",
        help_heading = "Payload builders",
        conflicts_with = "builder_fallback_disable_checks"
    )]
    pub builder_fallback_epochs_since_finalization: Option<u64>,

    /// Circuit breaker: no liveness thresholds (an optimistic head or a syncing engine still
    /// forces the local payload: those are safety checks).
    #[arg(long, help_heading = "Payload builders")]
    pub builder_fallback_disable_checks: bool,

    /// Refuse bids whose header does not pay the registered fee recipient (default: accept them and
    /// count the mismatch, as many builders pay the proposer by a transaction).
    #[arg(long, help_heading = "Payload builders")]
    pub builder_require_fee_recipient: bool,

    /// Disable a builder that withheld its payload (or revealed a wrong one) for N epochs. Default:
    /// until restart.
    #[arg(long, value_name = "N", help_heading = "Payload builders")]
    pub builder_withhold_penalty_epochs: Option<u64>,

    /// Full-payload builders over `builder_getPayloadV1` (the OP builder-API draft), as
    /// `0xADDRESS@URL`, comma-separated or repeated: each answer must be signed by its ADDRESS.
    /// Needs --payload-builder-request-key.
    #[arg(
        long,
        value_name = "0xADDRESS@URL[,...]",
        help_heading = "Full-payload builders"
    )]
    pub payload_builder_rpc: Vec<String>,

    /// The proposer's secp256k1 secret key (64 hex digits, `0x` optional) that signs
    /// `builder_getPayloadV1` requests.
    #[arg(long, value_name = "FILE", help_heading = "Full-payload builders")]
    pub payload_builder_request_key: Option<PathBuf>,

    /// `builder_getPayloadV1` timeout (no retry). Default 200.
    #[arg(long, value_name = "MS", help_heading = "Full-payload builders")]
    pub payload_builder_rpc_timeout: Option<u64>,

    /// A full-payload builder's engine API (repeatable): head changes are mirrored to it and its
    /// getPayload competes with the relays. Each needs its own --payload-builder-engine-jwt, given
    /// in the same order.
    #[arg(long, value_name = "URL", help_heading = "Full-payload builders")]
    pub payload_builder_engine: Vec<String>,

    /// The JWT secret file of the --payload-builder-engine at the same position.
    #[arg(long, value_name = "FILE", help_heading = "Full-payload builders")]
    pub payload_builder_engine_jwt: Vec<PathBuf>,

    /// An engine builder's getPayload timeout. Default 500.
    #[arg(long, value_name = "MS", help_heading = "Full-payload builders")]
    pub payload_builder_engine_timeout: Option<u64>,

    /// Listen address of the beacon API.
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        help_heading = "HTTP API"
    )]
    pub http_address: IpAddr,

    /// Port of the beacon API (0: any free port).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_HTTP_PORT, help_heading = "HTTP API")]
    pub http_port: u16,

    /// `Access-Control-Allow-Origin` of the beacon API (`*` for any). Default: no CORS.
    #[arg(long, value_name = "ORIGIN", help_heading = "HTTP API")]
    pub http_allow_origin: Option<String>,

    /// Serve Ethereum JSON-RPC on this port: transactions (`eth_sendRawTransaction`) go to the
    /// execution engine and are forwarded to the full-payload builders; every other call is passed
    /// to the engine. Needs --execution-rpc.
    #[arg(long, value_name = "PORT", help_heading = "RPC gateway")]
    pub rpc_gateway_port: Option<u16>,

    /// Listen address of the RPC gateway (it forwards whatever it is sent: keep it private).
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        help_heading = "RPC gateway"
    )]
    pub rpc_gateway_address: IpAddr,

    /// The execution engine's JSON-RPC (not its engine API), e.g. http://127.0.0.1:8545.
    #[arg(long, value_name = "URL", help_heading = "RPC gateway")]
    pub execution_rpc: Option<String>,

    /// Serve Prometheus metrics on /metrics (also on when --metrics-address or --metrics-port is
    /// given).
    #[arg(long, help_heading = "Metrics")]
    pub metrics: bool,

    /// Listen address of the metrics server. Default 127.0.0.1.
    #[arg(long, value_name = "IP", help_heading = "Metrics")]
    pub metrics_address: Option<IpAddr>,

    /// Port of the metrics server (0: any free port). Default 5054.
    #[arg(long, value_name = "PORT", help_heading = "Metrics")]
    pub metrics_port: Option<u16>,

    /// Log level (RUST_LOG, when set, takes precedence).
    #[arg(long, value_enum, default_value = "info", help_heading = "Logging")]
    pub log_level: LogLevel,
}

/// A preset name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    Mainnet,
    Minimal,
}

impl Preset {
    /// The name configs use (`PRESET_BASE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mainnet => "mainnet",
            Self::Minimal => "minimal",
        }
    }
}

/// A fork Blindfold runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fork {
    Capella,
    Deneb,
    Electra,
    Fulu,
}

impl From<Fork> for types::ForkName {
    fn from(fork: Fork) -> Self {
        match fork {
            Fork::Capella => Self::Capella,
            Fork::Deneb => Self::Deneb,
            Fork::Electra => Self::Electra,
            Fork::Fulu => Self::Fulu,
        }
    }
}

/// `--log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    /// The level as a tracing filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }
}

/// For unit tests: `bn` with the flags every start needs, then `args`.
#[cfg(test)]
pub(crate) fn test_cli(args: &[&str]) -> Cli {
    use clap::Parser;
    let mut all = vec![
        "bn",
        "--datadir",
        "/tmp/x",
        "--execution-endpoint",
        "http://127.0.0.1:8551",
        "--execution-jwt",
        "/nonexistent/jwt.hex",
    ];
    all.extend_from_slice(args);
    Cli::try_parse_from(all).expect("the command line parses")
}
