//! submitBlindedBlock: decode the signed blinded block, check it is the proposer's signature over a
//! header this relay bid (before anything is revealed), then reveal the payload (v1) or publish the
//! full block (v2).

use crate::bidder::{mismatched, Bidder, Served};
use crate::http::{self, Encoding};
use bls::{PublicKey, Signature};
use builder_api::CONSENSUS_VERSION_HEADER;
use engine_api::BlobsBundle;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use types::ssz_types::{FixedVector, VariableList};
use types::tree_hash::TreeHash;
use types::*;
use warp::http::StatusCode;
use warp::reply::Response;

/// How long a v2 submission waits for the beacon node to take the block.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// Which endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubmitVersion {
    /// `POST /eth/v1/builder/blinded_blocks`: answer with the payload (and blobs).
    V1,
    /// `POST /eth/v2/builder/blinded_blocks`: publish, answer 202.
    V2,
}

/// A submitBlindedBlock request as received.
pub(crate) struct Submission<'a> {
    pub version: SubmitVersion,
    pub content_type: Option<&'a str>,
    pub consensus_version: Option<&'a str>,
    pub accept: Option<&'a str>,
    pub body: &'a [u8],
}

/// Decode a signed blinded block as the fork `Eth-Consensus-Version` names (required for SSZ, which
/// does not say its fork; for JSON the block's slot tells it when the header is absent), and refuse a
/// block whose slot is in another fork than that name.
fn decode_block<E: EthSpec>(
    spec: &ChainSpec,
    encoding: Encoding,
    consensus_version: Option<&str>,
    body: &[u8],
) -> Result<SignedBlindedBeaconBlock<E>, String> {
    let named = consensus_version
        .map(|v| {
            v.parse::<ForkName>()
                .map_err(|e| format!("bad {CONSENSUS_VERSION_HEADER}: {e}"))
        })
        .transpose()?;
    let block = match encoding {
        Encoding::Ssz => {
            let fork = named.ok_or_else(|| {
                format!("an SSZ block needs the {CONSENSUS_VERSION_HEADER} header")
            })?;
            SignedBlindedBeaconBlock::from_ssz_bytes_by_fork(body, fork)
                .map_err(|e| format!("undecodable SSZ {fork} block: {e:?}"))?
        }
        Encoding::Json => {
            let value: Value =
                serde_json::from_slice(body).map_err(|e| format!("undecodable JSON: {e}"))?;
            let fork = match named {
                Some(fork) => fork,
                None => {
                    let slot = value["message"]["slot"]
                        .as_str()
                        .and_then(|s| s.parse::<Slot>().ok())
                        .ok_or("the block has no message.slot")?;
                    spec.fork_name_at_slot::<E>(slot)
                }
            };
            SignedBlindedBeaconBlock::from_value_by_fork(value, fork)
                .map_err(|e| format!("undecodable {fork} block: {e}"))?
        }
    };
    let at_slot = spec.fork_name_at_slot::<E>(block.slot());
    if block.fork_name() != at_slot {
        return Err(format!(
            "a {} block at slot {}, which is in {at_slot}",
            block.fork_name(),
            block.slot()
        ));
    }
    Ok(block)
}

/// builder-specs `verify_blinded_block_signature`, with the proposer's key taken from the getHeader
/// request that the bid answered (the relay has no beacon state to look it up in).
fn verify_blinded_block_signature<E: EthSpec>(
    spec: &ChainSpec,
    genesis_validators_root: Hash256,
    block: &SignedBlindedBeaconBlock<E>,
    proposer: &PublicKeyBytes,
) -> Result<(), String> {
    let epoch = block.slot() / E::slots_per_epoch();
    let domain = spec.domain_at_epoch(DOMAIN_BEACON_PROPOSER, epoch, genesis_validators_root);
    let signing_root = compute_signing_root(&block.message_root(), domain);
    let pubkey =
        PublicKey::try_from(proposer).map_err(|e| format!("the proposer key is invalid: {e:?}"))?;
    let signature = Signature::try_from(&block.signature())
        .map_err(|e| format!("the block signature is not a valid point: {e:?}"))?;
    if signature.verify(&pubkey, signing_root.as_slice()) {
        Ok(())
    } else {
        Err(format!(
            "the block signature does not verify for proposer {proposer}"
        ))
    }
}

impl<E: EthSpec> Bidder<E> {
    /// submitBlindedBlock, v1 or v2.
    pub async fn submit_blinded_block(&self, submission: Submission<'_>) -> Response {
        let core = &self.core;
        core.metrics.submissions.inc();
        let faults = core.faults();
        if faults.v2_unsupported && submission.version == SubmitVersion::V2 {
            return http::error(
                StatusCode::NOT_FOUND,
                "submitBlindedBlockV2 is not served (v2_unsupported fault)",
            );
        }
        if let Some(status) = faults.submit_status {
            return http::error(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "submit_status fault",
            );
        }
        let reject = |message: String| {
            core.metrics.rejections.inc();
            tracing::warn!(builder = %core.pubkey, %message, "refusing a blinded block");
            http::error(StatusCode::BAD_REQUEST, message)
        };
        let encoding = match http::request_encoding(submission.content_type) {
            Ok(e) => e,
            Err(other) => {
                return http::error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("unsupported content type {:?}", http::excerpt(&other)),
                )
            }
        };
        // v2 answers 202 without a body: there is nothing to negotiate, and its spec has no 406.
        let answer_encoding = match submission.version {
            SubmitVersion::V1 => match http::negotiate(submission.accept) {
                Some(encoding) => encoding,
                None => {
                    return http::error(StatusCode::NOT_ACCEPTABLE, "only JSON and SSZ are served")
                }
            },
            SubmitVersion::V2 => Encoding::Json,
        };
        let block = match decode_block::<E>(
            &core.spec,
            encoding,
            submission.consensus_version,
            submission.body,
        ) {
            Ok(b) => b,
            Err(e) => return reject(e),
        };
        let slot = block.slot();
        let block_root = block.message_root();
        let served = match self.served_to_signer(&block) {
            Ok(served) => served,
            Err(e) => return reject(e),
        };
        tracing::info!(slot, %block_root, builder = %core.pubkey, "proposer signature verified");
        if faults.withhold_payload {
            tracing::warn!(slot, %block_root, "withholding the payload (fault)");
            return http::error(StatusCode::INTERNAL_SERVER_ERROR, "payload withheld");
        }
        let blobs_bundle = match served
            .blobs_bundle
            .as_ref()
            .map(|b| crate::blobs::apply_blob_faults(b, &faults))
            .transpose()
        {
            Ok(b) => b,
            Err(e) => return http::error(StatusCode::INTERNAL_SERVER_ERROR, e),
        };
        let payload = if faults.mismatched_payload {
            match mismatched(&served) {
                Ok(p) => p,
                Err(e) => return http::error(StatusCode::INTERNAL_SERVER_ERROR, e),
            }
        } else {
            served.payload.clone()
        };
        match submission.version {
            SubmitVersion::V1 => reveal(
                &served,
                payload,
                blobs_bundle.as_ref(),
                answer_encoding,
                core,
            ),
            SubmitVersion::V2 => {
                let full = match block.into_full_block(payload) {
                    Ok(full) => full,
                    Err(e) => {
                        // A reveal that does not fit the signed header (the mismatched fault, or a
                        // header fault's bid): accept, as a withholding relay would, and publish nothing.
                        tracing::warn!(slot, %block_root, error = %e, "not publishing (fault)");
                        return http::empty(StatusCode::ACCEPTED);
                    }
                };
                match self.publish(&full, blobs_bundle.as_ref()).await {
                    Ok(()) => {
                        core.record_published(block_root);
                        tracing::info!(slot, %block_root, "published the full block");
                        http::empty(StatusCode::ACCEPTED)
                    }
                    Err(e) => http::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!("publishing failed: {e}"),
                    ),
                }
            }
        }
    }

    /// The bid `block` unblinds: one this relay served for the block's payload and slot, to a key whose
    /// signature the block carries (checked before anything else is compared: only a key that asked for
    /// the payload may learn more), with the very header that was signed.
    fn served_to_signer(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
    ) -> Result<Arc<Served<E>>, String> {
        let core = &self.core;
        let slot = block.slot();
        let header = block.execution_payload_header();
        let served = self.served(&header.block_hash());
        if served.is_empty() {
            return Err(format!(
                "unknown payload {}: this relay made no such bid",
                header.block_hash()
            ));
        }
        let for_slot: Vec<_> = served.into_iter().filter(|s| s.slot == slot).collect();
        if for_slot.is_empty() {
            return Err(format!("this relay made no such bid for slot {slot}"));
        }
        let mut proposers: Vec<PublicKeyBytes> = vec![];
        for bid in &for_slot {
            if !proposers.contains(&bid.proposer) {
                proposers.push(bid.proposer);
            }
        }
        let mut refusal = String::new();
        let signed_by = proposers.iter().copied().find(|proposer| {
            verify_blinded_block_signature(
                &core.spec,
                core.genesis_validators_root,
                block,
                proposer,
            )
            .map_err(|e| refusal = e)
            .is_ok()
        });
        if proposers.len() > 1 {
            refusal = format!(
                "the block signature verifies for none of the {} keys this bid was served to",
                proposers.len()
            );
        }
        let proposer = signed_by.ok_or(refusal)?;
        let header_root = header.tree_hash_root();
        for_slot
            .into_iter()
            .find(|s| s.proposer == proposer && s.header_root == header_root)
            .ok_or_else(|| "the signed header differs from the bid's header".to_string())
    }

    /// v2: POST the full block (with blobs and proofs from Deneb on) to the beacon node's
    /// `/eth/v2/beacon/blocks`, or keep it when no beacon node is configured.
    async fn publish(
        &self,
        block: &SignedBeaconBlock<E>,
        blobs_bundle: Option<&BlobsBundle>,
    ) -> Result<(), String> {
        let Some(bn) = &self.beacon_node else {
            return Ok(());
        };
        let fork = block.fork_name();
        let body = if fork.deneb_enabled() {
            let bundle = blobs_bundle.cloned().unwrap_or_default();
            json!({"signed_block": block, "kzg_proofs": bundle.proofs, "blobs": bundle.blobs})
        } else {
            json!(block)
        };
        let mut url = bn.clone();
        let path = format!("{}/eth/v2/beacon/blocks", bn.path().trim_end_matches('/'));
        url.set_path(&path);
        let response = self
            .http
            .post(url)
            .header(CONSENSUS_VERSION_HEADER, fork.as_str())
            .json(&body)
            .timeout(PUBLISH_TIMEOUT)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the beacon node answered {}", response.status()))
        }
    }
}

/// v1's answer: the payload (Capella) or `ExecutionPayloadAndBlobsBundle` (Deneb on).
fn reveal<E: EthSpec>(
    served: &Served<E>,
    payload: ExecutionPayload<E>,
    blobs_bundle: Option<&BlobsBundle>,
    encoding: Encoding,
    core: &crate::state::Core,
) -> Response {
    let fork = payload.fork_name();
    let answer = if fork.deneb_enabled() {
        payload_and_blobs(payload, blobs_bundle).map(|p| http::versioned(fork, &p, encoding))
    } else {
        Ok(http::versioned(fork, &payload, encoding))
    };
    match answer {
        Ok(response) => {
            core.metrics.payloads_revealed.inc();
            tracing::info!(slot = served.slot, builder = %core.pubkey, "revealed the payload");
            response
        }
        Err(e) => http::error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// The engine's blobs bundle and the payload as the builder-specs container of the payload's fork.
fn payload_and_blobs<E: EthSpec>(
    payload: ExecutionPayload<E>,
    bundle: Option<&BlobsBundle>,
) -> Result<ExecutionPayloadAndBlobsBundle<E>, String> {
    let empty = BlobsBundle::default();
    let bundle = bundle.unwrap_or(&empty);
    let commitments = crate::bidder::commitments_of::<E>(Some(bundle))?;
    let blobs = bundle
        .blobs
        .iter()
        .map(|b| FixedVector::new(b.to_vec()).map_err(|e| format!("bad blob length: {e:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    let blobs = VariableList::new(blobs).map_err(|e| format!("too many blobs: {e:?}"))?;
    let proofs: Vec<KzgProof> = bundle.proofs.iter().map(|p| PublicKeyBytes(p.0)).collect();
    let deneb_bundle = |proofs: Vec<KzgProof>| -> Result<BlobsBundleDeneb<E>, String> {
        Ok(BlobsBundleDeneb {
            commitments: commitments.clone(),
            proofs: VariableList::new(proofs).map_err(|e| format!("too many proofs: {e:?}"))?,
            blobs: blobs.clone(),
        })
    };
    Ok(match payload {
        ExecutionPayload::Capella(_) => {
            return Err("a capella payload has no blobs bundle".into());
        }
        ExecutionPayload::Deneb(execution_payload) => {
            ExecutionPayloadAndBlobsBundle::Deneb(ExecutionPayloadAndBlobsBundleDeneb {
                execution_payload,
                blobs_bundle: deneb_bundle(proofs)?,
            })
        }
        ExecutionPayload::Electra(execution_payload) => {
            ExecutionPayloadAndBlobsBundle::Electra(ExecutionPayloadAndBlobsBundleElectra {
                execution_payload,
                blobs_bundle: deneb_bundle(proofs)?,
            })
        }
        ExecutionPayload::Fulu(execution_payload) => {
            ExecutionPayloadAndBlobsBundle::Fulu(ExecutionPayloadAndBlobsBundleFulu {
                execution_payload,
                blobs_bundle: BlobsBundleFulu {
                    commitments,
                    proofs: VariableList::new(proofs)
                        .map_err(|e| format!("too many proofs: {e:?}"))?,
                    blobs,
                },
            })
        }
    })
}
