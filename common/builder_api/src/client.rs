//! [`BuilderClient`]: the builder-specs calls against one builder (or mev-boost), each under its own
//! timeout, decoded and checked against the fork the caller expects.

use crate::config::BuilderConfig;
use crate::error::BuilderError;
use crate::http::{Encoding, Request, RequestBody, Response, Transport};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use types::ssz::Encode;
use types::{
    EthSpec, ExecutionBlockHash, ExecutionPayload, ExecutionPayloadAndBlobsBundle, ForkName,
    ForkVersioned, PublicKeyBytes, SignedBlindedBeaconBlock, SignedBuilderBid,
    SignedValidatorRegistrationV1, Slot,
};
use url::Url;

/// `GET` builder health.
pub const STATUS_PATH: &str = "/eth/v1/builder/status";
/// `POST` validator registrations.
pub const VALIDATORS_PATH: &str = "/eth/v1/builder/validators";
/// `GET {HEADER_PATH}/{slot}/{parent_hash}/{pubkey}`.
pub const HEADER_PATH: &str = "/eth/v1/builder/header";
/// `POST` a signed blinded block, get the payload back (deprecated from Fulu on).
pub const BLINDED_BLOCKS_V1_PATH: &str = "/eth/v1/builder/blinded_blocks";
/// `POST` a signed blinded block, the builder publishes (Fulu on).
pub const BLINDED_BLOCKS_V2_PATH: &str = "/eth/v2/builder/blinded_blocks";

/// Bound on answers other than payloads (bids, registration and status answers). The largest valid bid
/// (Electra on, with 8192 deposit requests and 4096 commitments) is about 4.3 MB of JSON.
pub const RESPONSE_LIMIT: usize = 10 * 1024 * 1024;
/// Bound on an execution payload's part of a submitBlindedBlock answer: twice (hex) EIP-7934's 10 MiB
/// block-size cap, plus room for withdrawals, requests and field names.
pub const PAYLOAD_RESPONSE_BASE_LIMIT: usize = 32 * 1024 * 1024;

/// EIP-7594's `CELLS_PER_EXT_BLOB`: the cell proofs a valid Fulu bundle carries per blob (the SSZ list
/// limit allows far more, `FIELD_ELEMENTS_PER_EXT_BLOB` per blob, so it cannot serve as the bound).
const CELLS_PER_EXT_BLOB: usize = 128;

/// What submitBlindedBlock (v1) reveals: the payload alone (Capella) or with its blobs (Deneb on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnblindedPayload<E: EthSpec> {
    /// Capella: the payload, nothing else to publish.
    Payload(ExecutionPayload<E>),
    /// Deneb on: the payload and the blobs bundle the block's commitments must open.
    PayloadAndBlobs(ExecutionPayloadAndBlobsBundle<E>),
}

impl<E: EthSpec> UnblindedPayload<E> {
    /// The payload's fork, to check against the signed block's.
    pub fn fork_name(&self) -> ForkName {
        match self {
            Self::Payload(p) => p.fork_name(),
            Self::PayloadAndBlobs(p) => p.fork_name(),
        }
    }

    /// The payload, to put back into the signed blinded block (which checks it against the header).
    pub fn execution_payload(&self) -> ExecutionPayload<E> {
        match self {
            Self::Payload(p) => p.clone(),
            Self::PayloadAndBlobs(p) => p.execution_payload_enum(),
        }
    }
}

/// A client for one builder. Cheap to clone; clones share the connection pool and what was learnt about
/// the builder's encodings.
#[derive(Clone)]
pub struct BuilderClient {
    config: Arc<BuilderConfig>,
    transport: Arc<Transport>,
}

impl std::fmt::Debug for BuilderClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuilderClient")
            .field("url", &self.config.url.as_str())
            .field("pubkey", &self.config.pubkey)
            .field("uses_ssz", &self.uses_ssz())
            .finish()
    }
}

impl BuilderClient {
    /// Build a client. Fails on a configuration that could never work (so at startup, not at the
    /// first proposal): a URL with a user part or an unsupported scheme, a zero batch size or timeout,
    /// an unreadable extra CA certificates file.
    pub fn new(config: BuilderConfig) -> Result<Self, BuilderError> {
        let url = &config.url;
        if !crate::url::SUPPORTED_SCHEMES.contains(&url.scheme()) {
            return Err(BuilderError::Config(format!(
                "unsupported scheme {:?} in {url}",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(BuilderError::Config(
                "the URL has a user part: parse it with parse_builder_url, which moves a pinned key \
                 into the config's pubkey"
                    .into(),
            ));
        }
        if config.registration_batch_size == 0 {
            return Err(BuilderError::Config(
                "registration batch size must be at least 1".into(),
            ));
        }
        let t = &config.timeouts;
        if [
            t.status,
            t.register_validator,
            t.get_header,
            t.submit_blinded_block,
        ]
        .contains(&Duration::ZERO)
        {
            return Err(BuilderError::Config("timeouts must be non-zero".into()));
        }
        let extra_roots = match &config.extra_ca_certificates {
            Some(path) => crate::tls::load_ca_certificates(path)?,
            None => vec![],
        };
        let transport = Transport::new(
            url.clone(),
            &config.user_agent,
            config.prefer_ssz,
            extra_roots,
        )?;
        Ok(Self {
            config: Arc::new(config),
            transport: Arc::new(transport),
        })
    }

    /// The settings the client was built with.
    pub fn config(&self) -> &BuilderConfig {
        &self.config
    }

    /// The URL requests go to (no user part).
    pub fn url(&self) -> &Url {
        &self.config.url
    }

    /// The builder key pinned in the URL, which every bid must carry.
    pub fn pinned_pubkey(&self) -> Option<PublicKeyBytes> {
        self.config.pubkey
    }

    /// Whether the next request will offer SSZ: false once the builder showed it only speaks JSON.
    pub fn uses_ssz(&self) -> bool {
        self.transport.uses_ssz()
    }

    /// `GET /eth/v1/builder/status`: Ok when the builder says it is healthy.
    pub async fn status(&self) -> Result<(), BuilderError> {
        let request = Request {
            operation: "status",
            method: Method::GET,
            path: STATUS_PATH.to_string(),
            consensus_version: None,
            body: None,
            ssz_response: false,
            timing_headers: None,
            limit: RESPONSE_LIMIT,
        };
        let timeout = self.config.timeouts.status;
        with_timeout(request.operation, timeout, async {
            self.transport.execute(&request).await.map(drop)
        })
        .await
    }

    /// `POST /eth/v1/builder/validators`, in batches of `registration_batch_size`, in order, each under
    /// the registration timeout.
    ///
    /// A batch the builder refuses does not stop the others (one bad registration must not keep the rest
    /// from the builder); an unreachable or slow builder does, as further batches would only time out.
    /// Returns the first error.
    pub async fn register_validators(
        &self,
        registrations: &[SignedValidatorRegistrationV1],
    ) -> Result<(), BuilderError> {
        let mut first_error = None;
        for batch in registrations.chunks(self.config.registration_batch_size) {
            match self.register_batch(batch).await {
                Ok(()) => {}
                Err(e) if e.is_unavailable() => return Err(first_error.unwrap_or(e)),
                Err(e) => {
                    tracing::warn!(builder = %self.config.url, error = %e, "validator registration batch refused");
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn register_batch(
        &self,
        batch: &[SignedValidatorRegistrationV1],
    ) -> Result<(), BuilderError> {
        let body = Registrations(batch);
        let request = Request {
            operation: "registerValidator",
            method: Method::POST,
            path: VALIDATORS_PATH.to_string(),
            consensus_version: None,
            body: Some(&body),
            ssz_response: false,
            timing_headers: None,
            limit: RESPONSE_LIMIT,
        };
        let timeout = self.config.timeouts.register_validator;
        with_timeout(request.operation, timeout, async {
            self.transport.execute(&request).await.map(drop)
        })
        .await
    }

    /// `GET /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}`: the builder's bid for `fork`, or
    /// `None` when it has none (204).
    ///
    /// The answer must be for `fork` (its `Eth-Consensus-Version` header and `version` field), and carry
    /// the pinned builder key if there is one. The bid's signature and contents are the caller's to check.
    pub async fn get_header<E: EthSpec>(
        &self,
        slot: Slot,
        parent_hash: ExecutionBlockHash,
        pubkey: &PublicKeyBytes,
        fork: ForkName,
    ) -> Result<Option<SignedBuilderBid<E>>, BuilderError> {
        let timeout = self.config.timeouts.get_header;
        let request = Request {
            operation: "getHeader",
            method: Method::GET,
            path: format!("{HEADER_PATH}/{slot}/{parent_hash:#x}/{pubkey}"),
            consensus_version: None,
            body: None,
            ssz_response: true,
            timing_headers: Some(timeout.as_millis()),
            limit: RESPONSE_LIMIT,
        };
        let operation = request.operation;
        with_timeout(operation, timeout, async {
            let response = self.transport.execute(&request).await?;
            match response.status {
                StatusCode::NO_CONTENT => return Ok(None),
                StatusCode::OK => {}
                status => {
                    return Err(BuilderError::UnexpectedStatus {
                        operation,
                        status: status.as_u16(),
                    })
                }
            }
            // The spec's way to learn whether a builder speaks SSZ: it answers getHeader in JSON even
            // though we preferred SSZ. Submitting in JSON then saves a refused round trip when it counts.
            if response.offered_ssz && response.encoding == Encoding::Json {
                self.transport
                    .use_json(operation, "answered getHeader in JSON");
            }
            let bid: SignedBuilderBid<E> = decode_versioned(operation, &response, fork)?;
            if let Some(pinned) = self.config.pubkey {
                let got = bid.message_enum().pubkey();
                if got != pinned {
                    return Err(BuilderError::UnexpectedBuilderKey { pinned, got });
                }
            }
            Ok(Some(bid))
        })
        .await
    }

    /// `POST /eth/v1/builder/blinded_blocks`: reveal the block to the builder and get its payload back
    /// (with the blobs from Deneb on), for the block's fork.
    ///
    /// The payload is not checked against the signed header here: putting it back into the block does
    /// that (`SignedBlindedBeaconBlock::into_full_block`).
    pub async fn submit_blinded_block_v1<E: EthSpec>(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
    ) -> Result<UnblindedPayload<E>, BuilderError> {
        let fork = block.fork_name();
        let blobs = self
            .config
            .max_blobs_per_block
            .min(E::max_blob_commitments_per_block());
        let body = Block(block);
        let request = Request {
            operation: "submitBlindedBlock",
            method: Method::POST,
            path: BLINDED_BLOCKS_V1_PATH.to_string(),
            consensus_version: Some(fork),
            body: Some(&body),
            ssz_response: true,
            timing_headers: None,
            limit: payload_response_limit::<E>(fork, blobs),
        };
        let operation = request.operation;
        let timeout = self.config.timeouts.submit_blinded_block;
        with_timeout(operation, timeout, async {
            let response = self.transport.execute(&request).await?;
            if response.status != StatusCode::OK {
                return Err(BuilderError::UnexpectedStatus {
                    operation,
                    status: response.status.as_u16(),
                });
            }
            if fork.deneb_enabled() {
                decode_versioned(operation, &response, fork).map(UnblindedPayload::PayloadAndBlobs)
            } else {
                decode_versioned(operation, &response, fork).map(UnblindedPayload::Payload)
            }
        })
        .await
    }

    /// `POST /eth/v2/builder/blinded_blocks` (Fulu on): reveal the block; the builder publishes the full
    /// block and its blobs itself and answers 202 with no body.
    pub async fn submit_blinded_block_v2<E: EthSpec>(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
    ) -> Result<(), BuilderError> {
        let fork = block.fork_name();
        if !fork.fulu_enabled() {
            return Err(BuilderError::InvalidRequest(format!(
                "submitBlindedBlockV2 exists from Fulu on; the block is {fork}"
            )));
        }
        let body = Block(block);
        let request = Request {
            operation: "submitBlindedBlockV2",
            method: Method::POST,
            path: BLINDED_BLOCKS_V2_PATH.to_string(),
            consensus_version: Some(fork),
            body: Some(&body),
            ssz_response: false,
            timing_headers: None,
            limit: RESPONSE_LIMIT,
        };
        let operation = request.operation;
        let timeout = self.config.timeouts.submit_blinded_block;
        with_timeout(operation, timeout, async {
            let response = self.transport.execute(&request).await?;
            // 202 is the spec's answer; 200 is taken too, as it also means the block was accepted.
            match response.status {
                StatusCode::ACCEPTED | StatusCode::OK => Ok(()),
                status => Err(BuilderError::UnexpectedStatus {
                    operation,
                    status: status.as_u16(),
                }),
            }
        })
        .await
    }
}

/// The largest valid submitBlindedBlock answer for `fork` with at most `max_blobs` blobs, in JSON (the
/// larger encoding): the payload bound plus, per blob, the hex blob, its commitment and its proofs (one
/// before Fulu, a cell proof per extended-blob cell from Fulu on).
pub fn payload_response_limit<E: EthSpec>(fork: ForkName, max_blobs: usize) -> usize {
    if !fork.deneb_enabled() {
        return PAYLOAD_RESPONSE_BASE_LIMIT;
    }
    use types::ssz_types::typenum::Unsigned;
    // `"0x…",` around hex of n bytes.
    let hex_item = |bytes: usize| 2 * bytes + 6;
    let proofs_per_blob = if fork.fulu_enabled() {
        CELLS_PER_EXT_BLOB
    } else {
        1
    };
    let per_blob = hex_item(E::BytesPerBlob::to_usize()) + (1 + proofs_per_blob) * hex_item(48);
    PAYLOAD_RESPONSE_BASE_LIMIT.saturating_add(max_blobs.saturating_mul(per_blob))
}

async fn with_timeout<T>(
    operation: &'static str,
    timeout: Duration,
    call: impl Future<Output = Result<T, BuilderError>>,
) -> Result<T, BuilderError> {
    tokio::time::timeout(timeout, call)
        .await
        .unwrap_or(Err(BuilderError::Timeout { operation, timeout }))
}

/// Decode a fork-versioned answer as `expected`'s variant, refusing one that says it is of another fork:
/// SSZ needs the `Eth-Consensus-Version` header; JSON is the `{"version","data"}` envelope, and a header,
/// if sent, must agree too.
fn decode_versioned<T: ForkVersioned>(
    operation: &'static str,
    response: &Response,
    expected: ForkName,
) -> Result<T, BuilderError> {
    let check = |got: &str| match got.parse::<ForkName>() {
        Ok(fork) if fork == expected => Ok(()),
        _ => Err(BuilderError::WrongFork {
            operation,
            expected,
            got: got.to_string(),
        }),
    };
    let decode_error = |message: String| BuilderError::Decode { operation, message };
    if let Some(version) = &response.consensus_version {
        check(version)?;
    }
    match response.encoding {
        Encoding::Ssz => {
            if response.consensus_version.is_none() {
                return Err(BuilderError::MissingConsensusVersion { operation });
            }
            T::from_ssz_bytes_by_fork(&response.body, expected)
                .map_err(|e| decode_error(format!("SSZ: {e:?}")))
        }
        Encoding::Json => {
            #[derive(Deserialize)]
            struct Envelope {
                version: String,
                data: serde_json::Value,
            }
            let envelope: Envelope = serde_json::from_slice(&response.body)
                .map_err(|e| decode_error(format!("JSON: {e}")))?;
            check(&envelope.version)?;
            T::from_value_by_fork(envelope.data, expected)
                .map_err(|e| decode_error(format!("JSON: {e}")))
        }
    }
}

/// A registration batch as a request body: a JSON array, or the SSZ
/// `List[SignedValidatorRegistrationV1, VALIDATOR_REGISTRY_LIMIT]` (fixed-size items, concatenated).
struct Registrations<'a>(&'a [SignedValidatorRegistrationV1]);

impl RequestBody for Registrations<'_> {
    fn ssz(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.0.iter().map(Encode::ssz_bytes_len).sum());
        for registration in self.0 {
            registration.ssz_append(&mut bytes);
        }
        bytes
    }

    fn json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self.0)
    }
}

/// A signed blinded block as a request body.
struct Block<'a, E: EthSpec>(&'a SignedBlindedBeaconBlock<E>);

impl<E: EthSpec> RequestBody for Block<'_, E> {
    fn ssz(&self) -> Vec<u8> {
        self.0.as_ssz_bytes()
    }

    fn json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::MainnetEthSpec;

    #[test]
    fn payload_limits_grow_with_blobs() {
        type E = MainnetEthSpec;
        assert_eq!(
            payload_response_limit::<E>(ForkName::Capella, 128),
            PAYLOAD_RESPONSE_BASE_LIMIT
        );
        let deneb = payload_response_limit::<E>(ForkName::Deneb, 6) - PAYLOAD_RESPONSE_BASE_LIMIT;
        assert_eq!(deneb, 6 * (2 * 131072 + 6 + 2 * 102));
        let fulu = payload_response_limit::<E>(ForkName::Fulu, 6) - PAYLOAD_RESPONSE_BASE_LIMIT;
        assert_eq!(fulu, 6 * (2 * 131072 + 6 + 129 * 102));
        // An absurd blob count saturates instead of overflowing.
        assert_eq!(
            payload_response_limit::<E>(ForkName::Fulu, usize::MAX),
            usize::MAX
        );
    }

    #[test]
    fn zero_batch_size_is_a_config_error() {
        let mut config = BuilderConfig::from_flag("http://127.0.0.1:1", "--b").unwrap();
        config.registration_batch_size = 0;
        assert!(matches!(
            BuilderClient::new(config),
            Err(BuilderError::Config(_))
        ));
    }
}
