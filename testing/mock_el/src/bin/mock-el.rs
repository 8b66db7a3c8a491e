//! `mock-el`: a mock execution engine serving the engine API on 127.0.0.1.

use alloy_primitives::{Address, Bytes, B256, U256};
use clap::Parser;
use engine_api::JwtSecret;
use mock_el::{ChainOptions, Faults, Genesis, InjectedError, MockEl, MockElConfig};
use std::path::PathBuf;

const ABOUT: &str =
    "A mock execution engine: the engine API on 127.0.0.1 with JWT, real block hashes, \
a transaction pool, real KZG blobs and fault switches.";

const LONG_ABOUT: &str = "\
A mock execution engine: the engine API on 127.0.0.1 with JWT, real block hashes, a transaction \
pool, real KZG blobs and fault switches.

ENDPOINTS (all on --port, bound to 127.0.0.1 only)
  POST /              JSON-RPC; needs `Authorization: Bearer <JWT>` (HS256, iat within 60 s),
                      answers 401 without a valid one. Methods:
                        engine_exchangeCapabilities, engine_getClientVersionV1,
                        engine_forkchoiceUpdatedV2/V3, engine_newPayloadV2/V3/V4,
                        engine_getPayloadV2/V3/V4/V5, engine_getBlobsV1/V2,
                        eth_blockNumber, eth_chainId, eth_syncing, eth_getBlockByNumber,
                        eth_getBlockByHash, eth_sendRawTransaction
  POST /eth           the eth_ methods above without JWT (for tools)
  GET  /admin/faults  the fault switches, as JSON
  POST /admin/faults  change some switches: a JSON object with any of the fields below
  PUT  /admin/faults  replace all switches
  DELETE /admin/faults  reset all switches
  GET  /admin/status  head, safe, finalized, genesis hash, block and pool counts
  The admin endpoints need no JWT.

FAULT SWITCHES (JSON fields of /admin/faults; flags set them at start)
  syncing: bool                       newPayload/forkchoiceUpdated answer SYNCING   (--syncing)
  invalid_block_hashes: [hash]        newPayload answers INVALID for these          (--invalid-block-hash)
  invalid_fee_recipients: [address]   ... for payloads paying these                 (--invalid-fee-recipient)
  invalid_extra_data: [hex]           ... for payloads with this extra-data         (--invalid-extra-data)
  delay_ms: {method: ms}              delay a method (\"*\" = every method)           (--delay M=MS)
  errors: {method: {code, message}}   answer a method with a JSON-RPC error          (--error M=CODE[:MSG])
  drop: [method]                      close the connection instead of answering      (--drop M)
  blobs_per_payload: n                built Deneb+ payloads carry n generated blobs  (--blobs-per-payload)
  should_override_builder: bool       shouldOverrideBuilder in getPayloadV3+         (--should-override-builder)
  optimistic: bool                    keep payloads but answer SYNCING (optimistic)  (--optimistic)
  invalid_heads: {head: lvh}          forkchoiceUpdated on head answers INVALID      (admin only)
  Example: curl -X POST 127.0.0.1:8551/admin/faults -d '{\"syncing\":true,\"delay_ms\":{\"engine_getPayloadV4\":1500}}'

CHAIN
  Forks follow the payload timestamp and the genesis file's shanghaiTime/cancunTime/pragueTime/
  osakaTime (Capella/Deneb/Electra/Fulu); without --genesis every fork is active from timestamp 0.
  The genesis state root is computed from `alloc`, so the genesis hash matches real clients'.
  Block hashes are real (keccak of the RLP header); there is no EVM: state and receipts roots are
  deterministic stand-ins, each transaction counts 21000 gas, and the block value is the number of
  transactions times --tip-per-tx-wei. eth_sendRawTransaction takes any RLP-shaped transaction
  (legacy or typed; blob transactions in network form with valid KZG proofs); they are included in
  order and leave the pool once in a canonical block. newPayload re-computes the block hash and
  checks the versioned hashes, the requests list, the parent (unknown: SYNCING), the number, the
  timestamp and the blob gas.";

/// `METHOD=VALUE`.
fn split_kv(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not METHOD=VALUE"))?;
    Ok((k.to_string(), v.to_string()))
}

fn parse_delay(s: &str) -> Result<(String, u64), String> {
    let (k, v) = split_kv(s)?;
    Ok((k, v.parse().map_err(|e| format!("{v:?}: {e}"))?))
}

fn parse_error(s: &str) -> Result<(String, InjectedError), String> {
    let (k, v) = split_kv(s)?;
    let (code, message) = match v.split_once(':') {
        Some((c, m)) => (c, m.to_string()),
        None => (v.as_str(), "injected error".to_string()),
    };
    let code = code.parse().map_err(|e| format!("{code:?}: {e}"))?;
    Ok((k, InjectedError { code, message }))
}

#[derive(Parser, Debug)]
#[command(name = "mock-el", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port; the chosen one is printed).
    #[arg(long, default_value_t = 8551)]
    port: u16,
    /// File with the hex JWT secret (32 bytes). Without it a random secret is written to --jwt-out.
    #[arg(long, value_name = "FILE")]
    jwt_secret: Option<PathBuf>,
    /// Where a generated secret is written.
    #[arg(long, value_name = "FILE", default_value = "jwt.hex")]
    jwt_out: PathBuf,
    /// A geth-style genesis.json (fork times, chain id, genesis block, alloc).
    #[arg(long, value_name = "FILE")]
    genesis: Option<PathBuf>,
    /// Extra-data of built payloads, hex.
    #[arg(long, value_name = "HEX", default_value = "0x6d6f636b2d656c")]
    extra_data: Bytes,
    /// Block value per included transaction, in wei.
    #[arg(long, value_name = "WEI", default_value = "21000000000000")]
    tip_per_tx_wei: U256,
    /// Built payloads (Deneb on) carry a generated blob transaction with this many blobs.
    #[arg(long, value_name = "N", default_value_t = 0)]
    blobs_per_payload: u64,
    /// Set shouldOverrideBuilder in getPayloadV3+.
    #[arg(long)]
    should_override_builder: bool,
    /// Fault: answer SYNCING to newPayload and forkchoiceUpdated.
    #[arg(long)]
    syncing: bool,
    /// Fault: validate and keep payloads, but answer SYNCING (the consensus client imports
    /// optimistically).
    #[arg(long)]
    optimistic: bool,
    /// Fault: newPayload answers INVALID for this block hash (repeatable).
    #[arg(long, value_name = "HASH")]
    invalid_block_hash: Vec<B256>,
    /// Fault: newPayload answers INVALID for payloads paying this fee recipient (repeatable).
    #[arg(long, value_name = "ADDRESS")]
    invalid_fee_recipient: Vec<Address>,
    /// Fault: newPayload answers INVALID for payloads with this extra-data, hex (repeatable).
    #[arg(long, value_name = "HEX")]
    invalid_extra_data: Vec<Bytes>,
    /// Fault: delay METHOD ("*" for all) by MS milliseconds (repeatable).
    #[arg(long, value_name = "METHOD=MS", value_parser = parse_delay)]
    delay: Vec<(String, u64)>,
    /// Fault: answer METHOD ("*" for all) with JSON-RPC error CODE (repeatable).
    #[arg(long, value_name = "METHOD=CODE[:MESSAGE]", value_parser = parse_error)]
    error: Vec<(String, InjectedError)>,
    /// Fault: drop the connection instead of answering METHOD ("*" for all; repeatable).
    #[arg(long, value_name = "METHOD")]
    drop: Vec<String>,
    /// Log filter (tracing env-filter syntax); RUST_LOG overrides it.
    #[arg(long, default_value = "info")]
    log: String,
}

fn fail(message: String) -> ! {
    eprintln!("mock-el: {message}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let secret = match &args.jwt_secret {
        Some(path) => JwtSecret::from_file(path).unwrap_or_else(|e| fail(e.to_string())),
        None => {
            let secret = JwtSecret::new(rand::random());
            std::fs::write(&args.jwt_out, secret.to_hex())
                .unwrap_or_else(|e| fail(format!("cannot write {}: {e}", args.jwt_out.display())));
            eprintln!(
                "mock-el: wrote a new JWT secret to {}",
                args.jwt_out.display()
            );
            secret
        }
    };
    if args.extra_data.len() > 32 {
        fail(format!(
            "--extra-data is {} bytes; at most 32",
            args.extra_data.len()
        ));
    }
    let genesis = match &args.genesis {
        Some(path) => Genesis::from_file(path).unwrap_or_else(|e| fail(e.to_string())),
        None => Genesis::default(),
    };
    let faults = Faults {
        syncing: args.syncing,
        invalid_block_hashes: args.invalid_block_hash.into_iter().collect(),
        invalid_fee_recipients: args.invalid_fee_recipient.into_iter().collect(),
        invalid_extra_data: args.invalid_extra_data.into_iter().collect(),
        delay_ms: args.delay.into_iter().collect(),
        errors: args.error.into_iter().collect(),
        drop: args.drop.into_iter().collect(),
        blobs_per_payload: args.blobs_per_payload,
        should_override_builder: args.should_override_builder,
        optimistic: args.optimistic,
        invalid_heads: Default::default(),
    };
    let config = MockElConfig {
        port: args.port,
        jwt_secret: secret,
        genesis,
        options: ChainOptions {
            extra_data: args.extra_data,
            tip_per_tx_wei: args.tip_per_tx_wei,
        },
        faults,
    };
    let mock = MockEl::start(config)
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    println!(
        "mock-el listening on http://{} (genesis {})",
        mock.addr(),
        mock.genesis_hash()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .unwrap_or_else(|e| fail(format!("cannot wait for SIGTERM: {e}")));
    tokio::select! {
        r = tokio::signal::ctrl_c() => {
            if let Err(e) = r {
                fail(format!("cannot wait for ctrl-c: {e}"));
            }
        }
        _ = term.recv() => {}
    }
    mock.stop().await;
}
