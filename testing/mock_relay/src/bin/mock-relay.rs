//! `mock-relay`: a builder-specs relay on 127.0.0.1 that builds through an execution engine, with fault
//! switches.

use clap::Parser;
use engine_api::JwtSecret;
use mock_relay::{InvalidPayloadFault, MockRelay, MockRelayConfig, RelayFaults};
use std::path::{Path, PathBuf};
use types::{
    Address, BeaconState, ChainSpec, EthSpec, Hash256, MainnetEthSpec, MinimalEthSpec, U256,
};

const ABOUT: &str =
    "A mock builder-specs relay on 127.0.0.1: builds payloads through an execution \
engine, signs bids, checks proposer signatures before revealing, with fault switches.";

const LONG_ABOUT: &str = "\
A mock builder-specs relay on 127.0.0.1: builds payloads through an execution engine, signs bids,
checks proposer signatures before revealing, with fault switches.

ENDPOINTS (all on --listen, 127.0.0.1 only)
  GET  /eth/v1/builder/status
  POST /eth/v1/builder/validators        registrations (JSON or SSZ); signature and timestamp checked
  GET  /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}
                                         a bid when payload attributes for the slot and parent are
                                         known (from --beacon-node) and the proposer is registered
  POST /eth/v1/builder/blinded_blocks    reveal the payload (and blobs) after the proposer's signature
  POST /eth/v2/builder/blinded_blocks    publish the full block to --beacon-node, answer 202
  GET  /admin/faults                     the fault switches, as JSON
  POST /admin/faults                     change some switches (a JSON object of the fields below)
  PUT  /admin/faults                     replace all switches;  DELETE /admin/faults: reset them
  GET  /admin/stats                      counters;  GET /metrics: the same for Prometheus
  POST /admin/payload_attributes         feed a payload_attributes event ({\"version\",\"data\"}) by hand
  POST /                                 JSON-RPC: builder_getPayloadV1 (request signature checked first;
                                         answer signed with --secp256k1-key), builder_forwardTransactionV1
                                         (into the next payload), and with --engine-face-jwt the engine
                                         face (engine_forkchoiceUpdatedV2/V3, engine_getPayloadV2..V5)

FAULT SWITCHES (JSON fields of /admin/faults; the --fault-* flags set them at start)
  get_header_delay_ms, get_header_status, submit_status, malformed_json, no_bid, wrong_parent_hash,
  wrong_fee_recipient (the header only), pays_other_fee_recipient (a payload built to pay another
  address, header matching), wrong_gas_limit, wrong_prev_randao, wrong_timestamp, wrong_withdrawals_root,
  wrong_block_number, too_many_blobs, bad_signature, wrong_pubkey, zero_value, withhold_payload
  (answer 500 after the signature check), mismatched_payload, v2_unsupported (404 on v2),
  invalid_payload (off|once|always)
  Full payloads (POST /): unsigned_payload, wrong_signer (signed by another secp256k1 key),
  syncing_payload (extra-data mock-relay-syncing, for an engine that answers SYNCING to it)
  Blobs of the reveal (bids carry blobs when the engine builds them, e.g. mock-el's
  blobs_per_payload): blobs_missing (the last blob, commitment and proofs dropped),
  blobs_mismatched (first blob swapped for another with its own commitment and valid proofs),
  blobs_bad_proof (commitments match; the first proof is a wrong but valid G1 point)
  Example: curl -X POST 127.0.0.1:18550/admin/faults -d '{\"no_bid\":true}'

BUILDER-PAYS (JSON field builder_pays; --builder-pays sets it at start)
  The payload's fee_recipient is --builder-address and its last transaction is a signed EIP-1559
  transfer (fixed test key 0x4242..42, chain id from the engine, nonce = block number) of exactly
  the bid value to the proposer's registered fee recipient.";

#[derive(Parser, Debug)]
#[command(name = "mock-relay", version, about = ABOUT, long_about = LONG_ABOUT)]
struct Args {
    /// Where to listen: PORT or 127.0.0.1:PORT (0: any free port; the chosen one is printed).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:18550")]
    listen: String,
    /// A testnet directory with config.yaml and genesis.ssz (fork schedule, preset, genesis validators
    /// root). Without it: the mainnet config and a zero genesis validators root.
    #[arg(long, value_name = "DIR")]
    testnet_dir: Option<PathBuf>,
    /// The genesis validators root, hex (overrides the one of genesis.ssz).
    #[arg(long, value_name = "ROOT")]
    genesis_validators_root: Option<Hash256>,
    /// The builder's BLS secret key: 32 bytes hex, or a file holding it. Without it a random key.
    #[arg(long, value_name = "HEX|FILE")]
    secret_key: Option<String>,
    /// The execution engine that builds payloads (engine API, JWT).
    #[arg(long, value_name = "URL")]
    execution_endpoint: url::Url,
    /// The engine's JWT secret file (hex).
    #[arg(long, value_name = "FILE")]
    execution_jwt: PathBuf,
    /// A beacon node to follow for payload_attributes events and to publish v2 blocks to.
    #[arg(long, value_name = "URL")]
    beacon_node: Option<url::Url>,
    /// Build payloads paying --builder-address, with a last transaction that pays the bid value to the
    /// proposer's registered fee recipient (switchable later: admin field builder_pays).
    #[arg(long)]
    builder_pays: bool,
    /// The fee recipient of builder-pays payloads. Default: the address of the fixed key that signs
    /// the payments.
    #[arg(long, value_name = "ADDRESS")]
    builder_address: Option<Address>,
    /// Bid value = the engine's block value + this many wei.
    #[arg(long, value_name = "WEI", default_value = "1000000000")]
    bid_bonus_wei: U256,
    /// Fault: wait this many milliseconds before answering getHeader.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    fault_get_header_delay_ms: u64,
    /// Fault: answer getHeader with this HTTP status.
    #[arg(long, value_name = "STATUS", value_parser = clap::value_parser!(u16).range(100..=599))]
    fault_get_header_status: Option<u16>,
    /// Fault: answer submitBlindedBlock with this HTTP status.
    #[arg(long, value_name = "STATUS", value_parser = clap::value_parser!(u16).range(100..=599))]
    fault_submit_status: Option<u16>,
    /// Fault: getHeader answers 200 with a body that is not JSON.
    #[arg(long)]
    fault_malformed_json: bool,
    /// Fault: getHeader answers 204.
    #[arg(long)]
    fault_no_bid: bool,
    /// Fault: the bid's header has another parent hash.
    #[arg(long)]
    fault_wrong_parent_hash: bool,
    /// Fault: the bid's header pays another fee recipient.
    #[arg(long)]
    fault_wrong_fee_recipient: bool,
    /// Fault: the payload itself pays another address than the registered fee recipient.
    #[arg(long)]
    fault_pays_other_fee_recipient: bool,
    /// Fault: the bid's gas limit is off by one.
    #[arg(long)]
    fault_wrong_gas_limit: bool,
    /// Fault: the bid's header has another prev_randao.
    #[arg(long)]
    fault_wrong_prev_randao: bool,
    /// Fault: the bid's header timestamp is one second off.
    #[arg(long)]
    fault_wrong_timestamp: bool,
    /// Fault: the bid's header commits to other withdrawals.
    #[arg(long)]
    fault_wrong_withdrawals_root: bool,
    /// Fault: the bid's header block number is one too high.
    #[arg(long)]
    fault_wrong_block_number: bool,
    /// Fault: the bid carries more blob commitments than the fork allows.
    #[arg(long)]
    fault_too_many_blobs: bool,
    /// Fault: the bid's signature does not verify.
    #[arg(long)]
    fault_bad_signature: bool,
    /// Fault: the bid is from (and signed by) another builder key.
    #[arg(long)]
    fault_wrong_pubkey: bool,
    /// Fault: the bid's value is zero.
    #[arg(long)]
    fault_zero_value: bool,
    /// Fault: after checking the proposer's signature, answer 500 instead of the payload.
    #[arg(long)]
    fault_withhold_payload: bool,
    /// Fault: reveal a payload that does not match the signed header.
    #[arg(long)]
    fault_mismatched_payload: bool,
    /// Fault: answer submitBlindedBlockV2 with 404, like a relay that only knows v1.
    #[arg(long)]
    fault_v2_unsupported: bool,
    /// Fault: the revealed blobs bundle lacks the last blob (and its commitment and proofs).
    #[arg(long)]
    fault_blobs_missing: bool,
    /// Fault: the revealed bundle's first blob is another, with its own commitment and valid proofs.
    #[arg(long)]
    fault_blobs_mismatched: bool,
    /// Fault: the revealed bundle's first proof does not verify (commitments match the block's).
    #[arg(long)]
    fault_blobs_bad_proof: bool,
    /// Fault: builder_getPayloadV1 answers carry no signature.
    #[arg(long)]
    fault_unsigned_payload: bool,
    /// Fault: builder_getPayloadV1 answers are signed by another secp256k1 key.
    #[arg(long)]
    fault_wrong_signer: bool,
    /// Fault: full payloads carry the extra-data marker an engine proxy answers SYNCING to.
    #[arg(long)]
    fault_syncing_payload: bool,
    /// The secp256k1 key that signs builder_getPayloadV1 answers: 32 bytes hex, or a file holding it
    /// (default: the fixed test key 0x4343..43).
    #[arg(long, value_name = "HEX|FILE")]
    secp256k1_key: Option<String>,
    /// Answer builder_getPayloadV1 only to this proposer address (repeatable; default: any request
    /// whose signature recovers its own pubKey).
    #[arg(long, value_name = "ADDRESS")]
    proposer_address: Vec<Address>,
    /// Serve the engine-API face, authenticating callers with this JWT secret file (hex).
    #[arg(long, value_name = "FILE")]
    engine_face_jwt: Option<PathBuf>,
    /// Fault: bid with payloads the engine will find INVALID.
    #[arg(long, value_name = "off|once|always", default_value = "off")]
    fault_invalid_payload: InvalidPayloadFault,
    /// Log filter (tracing env-filter syntax); RUST_LOG overrides it.
    #[arg(long, default_value = "info")]
    log: String,
}

fn fail(message: impl std::fmt::Display) -> ! {
    eprintln!("mock-relay: {message}");
    std::process::exit(1)
}

/// `PORT` or `127.0.0.1:PORT` / `localhost:PORT`: the relay binds the loopback address only.
fn parse_listen(s: &str) -> Result<u16, String> {
    let port = match s.rsplit_once(':') {
        Some((host, port)) if ["127.0.0.1", "localhost"].contains(&host) => port,
        Some((host, _)) => {
            return Err(format!(
                "--listen {s:?}: the relay binds 127.0.0.1 only, not {host}"
            ))
        }
        None => s,
    };
    port.parse()
        .map_err(|e| format!("--listen {s:?}: bad port: {e}"))
}

fn parse_secret_key(value: &str) -> Result<bls::SecretKey, String> {
    let text = if Path::new(value).is_file() {
        std::fs::read_to_string(value).map_err(|e| format!("--secret-key {value}: {e}"))?
    } else {
        value.to_string()
    };
    let bytes = hex::decode(text.trim().trim_start_matches("0x"))
        .map_err(|e| format!("--secret-key: not hex and not a readable file: {e}"))?;
    bls::SecretKey::from_bytes(&bytes).map_err(|e| format!("--secret-key: {e:?}"))
}

/// The spec and genesis validators root from a testnet directory.
fn load_testnet(dir: &Path) -> Result<(ChainSpec, Hash256), String> {
    let spec = ChainSpec::from_file(&dir.join("config.yaml")).map_err(|e| e.to_string())?;
    let genesis = dir.join("genesis.ssz");
    let bytes = std::fs::read(&genesis).map_err(|e| format!("{}: {e}", genesis.display()))?;
    let root = match spec.preset_base.as_str() {
        "mainnet" => genesis_root::<MainnetEthSpec>(&bytes, &spec),
        "minimal" => genesis_root::<MinimalEthSpec>(&bytes, &spec),
        other => return Err(format!("unknown PRESET_BASE {other:?}")),
    }
    .map_err(|e| format!("{}: {e}", genesis.display()))?;
    Ok((spec, root))
}

fn genesis_root<E: EthSpec>(bytes: &[u8], spec: &ChainSpec) -> Result<Hash256, String> {
    BeaconState::<E>::from_ssz_bytes_with_spec(bytes, spec)
        .map(|state| state.genesis_validators_root())
        .map_err(|e| format!("undecodable genesis state: {e:?}"))
}

fn parse_args() -> Args {
    match Args::try_parse() {
        Ok(args) => args,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            std::process::exit(0)
        }
        Err(e) => {
            // clap's message up to its usage section, on one line.
            let text = e.to_string();
            let message = text.split("\n\n").next().unwrap_or("bad arguments");
            let line: Vec<&str> = message.lines().map(str::trim).collect();
            fail(line.join(" ").trim_start_matches("error: "))
        }
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&args.log));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let port = parse_listen(&args.listen).unwrap_or_else(|e| fail(e));
    let jwt = JwtSecret::from_file(&args.execution_jwt)
        .unwrap_or_else(|e| fail(format!("--execution-jwt: {e}")));
    let (spec, genesis_root) = match &args.testnet_dir {
        Some(dir) => load_testnet(dir).unwrap_or_else(|e| fail(format!("--testnet-dir: {e}"))),
        None => (ChainSpec::mainnet(), Hash256::ZERO),
    };
    let genesis_validators_root = args.genesis_validators_root.unwrap_or(genesis_root);
    let secret_key = match &args.secret_key {
        Some(value) => parse_secret_key(value).unwrap_or_else(|e| fail(e)),
        None => bls::SecretKey::random(),
    };
    let faults = RelayFaults {
        get_header_delay_ms: args.fault_get_header_delay_ms,
        get_header_status: args.fault_get_header_status,
        submit_status: args.fault_submit_status,
        malformed_json: args.fault_malformed_json,
        no_bid: args.fault_no_bid,
        wrong_parent_hash: args.fault_wrong_parent_hash,
        wrong_fee_recipient: args.fault_wrong_fee_recipient,
        pays_other_fee_recipient: args.fault_pays_other_fee_recipient,
        wrong_gas_limit: args.fault_wrong_gas_limit,
        wrong_prev_randao: args.fault_wrong_prev_randao,
        wrong_timestamp: args.fault_wrong_timestamp,
        wrong_withdrawals_root: args.fault_wrong_withdrawals_root,
        wrong_block_number: args.fault_wrong_block_number,
        too_many_blobs: args.fault_too_many_blobs,
        bad_signature: args.fault_bad_signature,
        wrong_pubkey: args.fault_wrong_pubkey,
        zero_value: args.fault_zero_value,
        withhold_payload: args.fault_withhold_payload,
        mismatched_payload: args.fault_mismatched_payload,
        v2_unsupported: args.fault_v2_unsupported,
        invalid_payload: args.fault_invalid_payload,
        blobs_missing: args.fault_blobs_missing,
        blobs_mismatched: args.fault_blobs_mismatched,
        blobs_bad_proof: args.fault_blobs_bad_proof,
        builder_pays: args.builder_pays,
        unsigned_payload: args.fault_unsigned_payload,
        wrong_signer: args.fault_wrong_signer,
        syncing_payload: args.fault_syncing_payload,
    };
    let preset = spec.preset_base.clone();
    let mut config = MockRelayConfig::new(
        spec,
        genesis_validators_root,
        secret_key,
        args.execution_endpoint,
        jwt,
    );
    config.port = port;
    config.beacon_node = args.beacon_node;
    config.faults = faults;
    config.bid_bonus_wei = args.bid_bonus_wei;
    if let Some(address) = args.builder_address {
        config.builder_address = address;
    }
    if let Some(value) = &args.secp256k1_key {
        let text = if Path::new(value).is_file() {
            std::fs::read_to_string(value)
                .unwrap_or_else(|e| fail(format!("--secp256k1-key {value}: {e}")))
        } else {
            value.clone()
        };
        config.secp256k1_key = mock_relay::Secp256k1Key::from_hex(&text)
            .unwrap_or_else(|e| fail(format!("--secp256k1-key: {e}")));
    }
    config.proposers = args.proposer_address.clone();
    if let Some(path) = &args.engine_face_jwt {
        config.engine_face_jwt = Some(
            JwtSecret::from_file(path).unwrap_or_else(|e| fail(format!("--engine-face-jwt: {e}"))),
        );
    }
    let builder_address = config.builder_address;
    let secp256k1_address = config.secp256k1_key.address();
    let started = match preset.as_str() {
        "minimal" => MockRelay::start::<MinimalEthSpec>(config).await,
        _ => MockRelay::start::<MainnetEthSpec>(config).await,
    };
    let relay = started.unwrap_or_else(|e| fail(e));
    println!(
        "mock-relay listening on {} with builder pubkey {} (preset {preset}, genesis validators root {genesis_validators_root}, builder-pays address {builder_address}, builder_getPayloadV1 address {secp256k1_address})",
        relay.url(),
        relay.pubkey()
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
    relay.stop().await;
}
