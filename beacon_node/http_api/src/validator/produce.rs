//! Block production: `GET /eth/v3/validator/blocks/{slot}` (full or blinded, whichever the builder module
//! chose), `GET /eth/v2/validator/blocks/{slot}` (full only), `GET /eth/v1/validator/blinded_blocks/{slot}`
//! (always blinded) and the seed's alias `GET /eth/v1/validator/blinded_block?slot=`. The spec's headers
//! (`Eth-Consensus-Version`, `Eth-Execution-Payload-Blinded`, `Eth-Execution-Payload-Value`,
//! `Eth-Consensus-Block-Value`) carry what the SSZ body cannot.

use crate::errors::{ApiError, ApiResult};
use crate::filters::{
    json_response, negotiate, parse_path_u64, parse_root, ssz_response, with_header, with_version,
    Encoding, Query,
};
use crate::Context;
use beacon_api::{
    BlockContents, FullBlockContents, ProduceBlockV3Response, ProducedBlockData, VersionedResponse,
    CONSENSUS_BLOCK_VALUE_HEADER, EXECUTION_PAYLOAD_BLINDED_HEADER, EXECUTION_PAYLOAD_VALUE_HEADER,
};
use beacon_chain::{BlockFormat, BlockProposal, ProduceError, ProduceOptions, ProducedBlock};
use execution_layer::BlobsBundle;
use ssz_types::VariableList;
use std::sync::Arc;
use types::{EthSpec, SignatureBytes, Slot};
use warp::http::HeaderMap;
use warp::reply::Response;

/// Which endpoint asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    V3,
    V2,
    BlindedV1,
}

/// The production options from the query.
fn options(query: &Query, format: BlockFormat) -> ApiResult<ProduceOptions> {
    let randao = query
        .get("randao_reveal")
        .ok_or_else(|| ApiError::bad_request("missing randao_reveal"))?;
    let randao_reveal: SignatureBytes = randao
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid randao_reveal: {randao:?}")))?;
    let graffiti = query.get("graffiti").map(parse_graffiti).transpose()?;
    let skip_randao_verification = query.flag("skip_randao_verification")?;
    if skip_randao_verification && randao_reveal != SignatureBytes::infinity() {
        return Err(ApiError::bad_request(
            "skip_randao_verification needs the infinity signature as randao_reveal",
        ));
    }
    let builder_boost_factor = query.u64("builder_boost_factor")?;
    Ok(ProduceOptions {
        randao_reveal,
        graffiti,
        skip_randao_verification,
        builder_boost_factor,
        format,
    })
}

/// The `graffiti` query: 32 bytes in hex as the spec writes it, or up to 32 bytes of text, zero-padded
/// (what Lodestar 1.5.1's validator client sends).
fn parse_graffiti(text: &str) -> ApiResult<types::Hash256> {
    if text.starts_with("0x") {
        return parse_root("graffiti", text);
    }
    let bytes = text.as_bytes();
    if bytes.len() > 32 {
        return Err(ApiError::bad_request(format!(
            "invalid graffiti: {text:?} is longer than 32 bytes"
        )));
    }
    let mut graffiti = [0u8; 32];
    graffiti[..bytes.len()].copy_from_slice(bytes);
    Ok(types::Hash256::from(graffiti))
}

fn produce_error(error: ProduceError) -> ApiError {
    match &error {
        ProduceError::SlotNotAfterHead { .. }
        | ProduceError::TooFarAhead { .. }
        | ProduceError::InvalidRandaoReveal { .. } => ApiError::bad_request(error.to_string()),
        ProduceError::Payload(_) | ProduceError::NoLocalPayload(_) => {
            ApiError::service_unavailable(error.to_string())
        }
        _ => ApiError::internal(error.to_string()),
    }
}

/// A produced block in the API's shape: from Deneb a full block comes with its blobs and proofs.
pub fn block_data<E: EthSpec>(proposal: BlockProposal<E>) -> ApiResult<ProducedBlockData<E>> {
    Ok(match proposal {
        BlockProposal::Blinded { block } => ProducedBlockData::Blinded(block),
        BlockProposal::Full {
            block,
            blobs_bundle,
        } => {
            if !block.fork_name().deneb_enabled() {
                ProducedBlockData::Full(FullBlockContents::Block(block))
            } else {
                let (proofs, blobs) = match blobs_bundle {
                    Some(BlobsBundle::Deneb(b)) => (b.proofs.to_vec(), b.blobs),
                    Some(BlobsBundle::Fulu(b)) => (b.proofs.to_vec(), b.blobs),
                    None => (vec![], VariableList::default()),
                };
                let kzg_proofs = VariableList::new(proofs)
                    .map_err(|_| ApiError::internal("too many KZG proofs in the bundle"))?;
                ProducedBlockData::Full(FullBlockContents::Contents(BlockContents {
                    block,
                    kzg_proofs,
                    blobs,
                }))
            }
        }
    })
}

fn value_headers<E: EthSpec>(response: Response, produced: &ProducedBlock<E>) -> Response {
    let response = with_version(response, produced.fork);
    let response = with_header(
        response,
        EXECUTION_PAYLOAD_BLINDED_HEADER,
        if produced.is_blinded() {
            "true"
        } else {
            "false"
        },
    );
    let response = with_header(
        response,
        EXECUTION_PAYLOAD_VALUE_HEADER,
        &produced.execution_payload_value.to_string(),
    );
    with_header(
        response,
        CONSENSUS_BLOCK_VALUE_HEADER,
        &produced.consensus_block_value.to_string(),
    )
}

/// Produces a block for `slot` (a path segment, or the alias's `slot` query parameter).
pub async fn produce<E: EthSpec>(
    ctx: Arc<Context<E>>,
    endpoint: Endpoint,
    slot: Option<String>,
    query: Query,
    headers: HeaderMap,
) -> ApiResult {
    let encoding = negotiate(&headers, true)?;
    let slot: Slot = match slot {
        Some(slot) => parse_path_u64("slot", &slot)?,
        None => query.required_u64("slot")?,
    };
    let format = match endpoint {
        Endpoint::V3 => BlockFormat::Either,
        Endpoint::V2 => BlockFormat::Full,
        Endpoint::BlindedV1 => BlockFormat::Blinded,
    };
    let options = options(&query, format)?;
    let produced = ctx
        .chain
        .produce_block(slot, options)
        .await
        .map_err(produce_error)?;
    let data = block_data(produced.proposal.clone())?;
    let response = match (encoding, endpoint) {
        (Encoding::Ssz, _) => ssz_response(data.as_ssz_bytes()),
        (Encoding::Json, Endpoint::V3) => json_response(&ProduceBlockV3Response {
            version: produced.fork,
            execution_payload_blinded: produced.is_blinded(),
            execution_payload_value: produced.execution_payload_value,
            consensus_block_value: produced.consensus_block_value,
            data,
        })?,
        (Encoding::Json, _) => {
            let mut body = serde_json::to_value(VersionedResponse {
                version: produced.fork,
                execution_optimistic: None,
                finalized: None,
                data,
            })
            .map_err(|e| ApiError::internal(e.to_string()))?;
            // Validator clients that predate v3's value headers (Lodestar 1.5.1) require the
            // payload's value here, as `block_value` in wei; others ignore the extra field.
            body["block_value"] = produced.execution_payload_value.to_string().into();
            json_response(&body)?
        }
    };
    Ok(value_headers(response, &produced))
}

#[cfg(test)]
mod tests {
    use super::parse_graffiti;

    #[test]
    fn graffiti_is_hex_or_short_text() {
        let hex = format!("0x{}", "61".repeat(32));
        assert_eq!(parse_graffiti(&hex).unwrap().0, [b'a'; 32]);
        let text = parse_graffiti("Lodestar-v1.5.1/2115aa7").unwrap().0;
        assert_eq!(&text[..23], b"Lodestar-v1.5.1/2115aa7");
        assert!(text[23..].iter().all(|b| *b == 0));
        assert!(parse_graffiti(&"x".repeat(33)).is_err());
        assert!(parse_graffiti("0x1234").is_err());
    }
}
