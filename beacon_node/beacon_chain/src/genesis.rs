//! Where a new chain starts: a testnet directory (`config.yaml` and `genesis.ssz`, the layout every
//! client reads), or for local runs an interop genesis whose latest execution payload header is the
//! execution engine's own genesis block, asked over the engine endpoint, so that any engine can follow.

use crate::errors::StartError;
use engine_api::{EngineClient, JsonExecutionPayload};
use state_processing::genesis::interop_genesis_state;
use std::path::Path;
use std::time::Duration;
use types::{BeaconState, ChainSpec, EthSpec, ExecutionPayloadHeader, ForkName};

/// How to make the genesis state of a new chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenesisSource {
    /// `genesis.ssz` of a testnet directory.
    TestnetDir(std::path::PathBuf),
    /// Interop validators `0..validators` (the `bls::interop_secret_key`s) at `genesis_time`.
    Interop {
        /// How many.
        validators: u64,
        /// Unix seconds.
        genesis_time: u64,
    },
}

/// The `ChainSpec` of a testnet directory (`DIR/config.yaml`).
pub fn testnet_spec(dir: &Path) -> Result<ChainSpec, StartError> {
    let path = dir.join("config.yaml");
    ChainSpec::from_file(&path).map_err(|e| StartError::Genesis(format!("{}: {e}", path.display())))
}

/// The genesis state of a testnet directory (`DIR/genesis.ssz`), decoded as the fork `spec` schedules
/// at slot 0.
pub fn testnet_genesis_state<E: EthSpec>(
    dir: &Path,
    spec: &ChainSpec,
) -> Result<BeaconState<E>, StartError> {
    let path = dir.join("genesis.ssz");
    let bytes = std::fs::read(&path)
        .map_err(|e| StartError::Genesis(format!("{}: {e}", path.display())))?;
    BeaconState::from_ssz_bytes_with_spec(&bytes, spec).map_err(|e| {
        StartError::Genesis(format!(
            "{}: not a genesis state of this config: {e:?}",
            path.display()
        ))
    })
}

/// The execution engine's genesis block as a payload header of `fork`, asked over the engine API
/// (`eth_getBlockByNumber("0x0")`). A genesis block carries no transactions and no withdrawals, so the
/// header's SSZ roots of those lists are the empty lists'.
pub async fn engine_genesis_header<E: EthSpec>(
    engine: &EngineClient,
    fork: ForkName,
) -> Result<ExecutionPayloadHeader<E>, String> {
    let block = engine
        .eth_get_block_by_number("0x0")
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the execution engine has no genesis block")?;
    genesis_header_from_json(&block, fork)
}

/// [`engine_genesis_header`] from the block's JSON (`eth_getBlockByNumber` form).
pub fn genesis_header_from_json<E: EthSpec>(
    block: &serde_json::Value,
    fork: ForkName,
) -> Result<ExecutionPayloadHeader<E>, String> {
    let field = |name: &str| {
        block
            .get(name)
            .cloned()
            .ok_or_else(|| format!("the genesis block has no {name}"))
    };
    let transactions = block
        .get("transactions")
        .and_then(|t| t.as_array())
        .map(Vec::len)
        .unwrap_or(0);
    if transactions > 0 {
        return Err("the genesis block carries transactions".into());
    }
    let mut payload = serde_json::json!({
        "parentHash": field("parentHash")?,
        "feeRecipient": field("miner")?,
        "stateRoot": field("stateRoot")?,
        "receiptsRoot": field("receiptsRoot")?,
        "logsBloom": field("logsBloom")?,
        "prevRandao": field("mixHash")?,
        "blockNumber": field("number")?,
        "gasLimit": field("gasLimit")?,
        "gasUsed": field("gasUsed")?,
        "timestamp": field("timestamp")?,
        "extraData": field("extraData")?,
        "baseFeePerGas": field("baseFeePerGas")?,
        "blockHash": field("hash")?,
        "transactions": [],
        "withdrawals": [],
    });
    if fork.deneb_enabled() {
        payload["blobGasUsed"] = field("blobGasUsed")?;
        payload["excessBlobGas"] = field("excessBlobGas")?;
    }
    let json: JsonExecutionPayload = serde_json::from_value(payload)
        .map_err(|e| format!("the genesis block does not decode: {e}"))?;
    let payload = json
        .try_into_payload::<E>(fork)
        .map_err(|e| format!("the genesis block is not a {fork} payload: {e}"))?;
    Ok(payload.to_header())
}

/// An interop genesis state at the fork `spec` schedules at epoch 0, on the engine's genesis block.
/// An unreachable engine is retried (with a warning each time) until `attempts` run out.
pub async fn interop_genesis<E: EthSpec>(
    validators: u64,
    genesis_time: u64,
    spec: &ChainSpec,
    engine: &EngineClient,
    attempts: u32,
) -> Result<BeaconState<E>, StartError> {
    let fork = spec.fork_name_at_epoch(0);
    let mut attempt = 0;
    let header = loop {
        attempt += 1;
        match engine_genesis_header::<E>(engine, fork).await {
            Ok(header) => break header,
            Err(error) if attempt < attempts => {
                tracing::warn!(%error, attempt, "cannot read the execution engine's genesis block; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Err(error) => {
                return Err(StartError::Genesis(format!(
                "cannot read the execution engine's genesis block (--execution-endpoint): {error}"
            )))
            }
        }
    };
    Ok(interop_genesis_state::<E>(
        validators,
        genesis_time,
        fork,
        Some(header),
        spec,
    )?)
}
