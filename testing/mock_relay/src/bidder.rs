//! Building bids: a real payload from the execution engine for the proposer's registered fee recipient
//! (or, builder-pays, for the relay's own address plus a last transaction paying the proposer),
//! re-targeted to the registered gas limit, re-hashed, wrapped in a signed `BuilderBid`, with the
//! header faults applied. Served bids are remembered by block hash until the proposer reveals.

use crate::faults::RelayFaults;
use crate::payment::{payment_transaction, PAYMENT_GAS};
use crate::state::Core;
use builder_api::expected_gas_limit;
use engine_api::{
    BlobsBundle, EngineClient, ForkchoiceStateV1, GetPayloadResponse, PayloadAttributes,
};
use execution_block_hash::compute_execution_block_hash;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::OnceCell;
use types::ssz_types::VariableList;
use types::tree_hash::TreeHash;
use types::*;

/// The extra-data of every payload this relay builds.
pub const EXTRA_DATA: &[u8] = b"mock-relay";
/// The extra-data of the `mismatched_payload` fault's reveal.
pub const MISMATCHED_EXTRA_DATA: &[u8] = b"mock-relay-mismatch";

/// Builds and served bids are kept for this many slots behind the newest.
const KEPT_SLOTS: u64 = 64;

/// What the engine built for one (slot, parent, fee recipient).
pub(crate) struct Built<E: EthSpec> {
    pub response: GetPayloadResponse<E>,
    pub parent_gas_limit: u64,
    pub parent_beacon_block_root: Option<Root>,
}

/// A bid this relay served, kept to check and answer the proposer's reveal.
pub(crate) struct Served<E: EthSpec> {
    pub slot: Slot,
    /// The proposer who asked for the bid: the only key whose signed block unblinds it.
    pub proposer: PublicKeyBytes,
    /// The root of the header in the bid (faults included): what the proposer must have signed.
    pub header_root: Root,
    pub payload: ExecutionPayload<E>,
    pub blobs_bundle: Option<BlobsBundle>,
    pub parent_beacon_block_root: Option<Root>,
    pub execution_requests: Option<ExecutionRequests<E>>,
}

type BuildKey = (Slot, ExecutionBlockHash, Address);
/// A build shared by the getHeader calls that wait for it.
type SharedBuild<E> = Arc<OnceCell<Arc<Built<E>>>>;

/// The bid side of the relay for preset `E`.
pub(crate) struct Bidder<E: EthSpec> {
    pub core: Arc<Core>,
    pub engine: EngineClient,
    /// Where v2 submissions publish full blocks.
    pub beacon_node: Option<url::Url>,
    /// The client that publishes to the beacon node.
    pub http: reqwest::Client,
    /// One engine build per key; concurrent getHeader calls for it wait for the same build.
    builds: Mutex<HashMap<BuildKey, SharedBuild<E>>>,
    /// By block hash: every (proposer, header) served with that payload. Proposers with the same
    /// preferences get the same payload, and one must not take the bid from another.
    served: Mutex<HashMap<ExecutionBlockHash, Vec<Arc<Served<E>>>>>,
    /// The extra-data of every payload it builds ([`EXTRA_DATA`] unless configured).
    pub extra_data: Vec<u8>,
    /// The fee recipient of builder-pays payloads.
    builder_address: Address,
    /// The engine's chain id, asked once, for builder-pays transactions.
    chain_id: OnceCell<u64>,
    /// The full-payload faces' state (`builder_getPayloadV1`, the engine face, forwarded transactions).
    pub full: Arc<crate::full::FullSide>,
}

/// Builder-pays: the transfer a payload ends with.
struct PaymentTo {
    chain_id: u64,
    to: Address,
    value: U256,
}

/// The outcome of a getHeader that did not fail.
pub(crate) enum BidOutcome<E: EthSpec> {
    Bid(ForkName, Box<SignedBuilderBid<E>>),
    /// No bid, and why (answered 204).
    NoBid(&'static str),
}

macro_rules! each_payload {
    ($Enum:ident, $value:expr, $p:ident => $body:expr) => {
        match $value {
            $Enum::Capella($p) => $body,
            $Enum::Deneb($p) => $body,
            $Enum::Electra($p) => $body,
            $Enum::Fulu($p) => $body,
        }
    };
}

impl<E: EthSpec> Bidder<E> {
    pub fn new(
        core: Arc<Core>,
        engine: EngineClient,
        beacon_node: Option<url::Url>,
        http: reqwest::Client,
        full: Arc<crate::full::FullSide>,
    ) -> Self {
        Self {
            core,
            engine,
            beacon_node,
            http,
            builds: Mutex::new(HashMap::new()),
            served: Mutex::new(HashMap::new()),
            extra_data: EXTRA_DATA.to_vec(),
            builder_address: crate::payment::default_builder_address(),
            chain_id: OnceCell::new(),
            full,
        }
    }

    /// The fee recipient of builder-pays payloads.
    pub fn with_builder_address(mut self, builder_address: Address) -> Self {
        self.builder_address = builder_address;
        self
    }

    /// Builds payloads with this extra-data, so that two relays on one engine offer different blocks.
    pub fn with_extra_data(mut self, extra_data: Vec<u8>) -> Self {
        self.extra_data = extra_data;
        self
    }

    /// getHeader: the signed bid for `(slot, parent_hash, pubkey)` under `faults`, or why there is none.
    pub async fn get_header(
        &self,
        slot: Slot,
        parent_hash: ExecutionBlockHash,
        pubkey: PublicKeyBytes,
        faults: &RelayFaults,
    ) -> Result<BidOutcome<E>, String> {
        // builder-specs `is_eligible_for_bid`, as far as a relay without a beacon state can: the slot and
        // parent are ones a beacon node announced, and the key is registered (not that it is the
        // slot's proposer).
        let Some(attributes) = self.core.attributes(slot, parent_hash) else {
            return Ok(BidOutcome::NoBid(
                "no payload attributes for this slot and parent",
            ));
        };
        let Some(registration) = self.core.registration(&pubkey) else {
            return Ok(BidOutcome::NoBid("the proposer is not registered"));
        };
        let fork = self.core.spec.fork_name_at_slot::<E>(slot);
        let fee_recipient = if faults.pays_other_fee_recipient {
            let mut bytes = registration.fee_recipient.0 .0;
            bytes[0] ^= 0x01;
            Address::from(bytes)
        } else if faults.builder_pays {
            self.builder_address
        } else {
            registration.fee_recipient
        };
        let built = self.build(fork, &attributes, fee_recipient).await?;
        let mut commitments = commitments_of::<E>(built.response.blobs_bundle.as_ref())?;
        let value = if faults.zero_value {
            U256::ZERO
        } else {
            built
                .response
                .block_value
                .saturating_add(self.core.bid_bonus_wei)
        };
        // Builder-pays: the bid's value is exactly what the proposer's transaction receives.
        let payment = if faults.builder_pays && !faults.pays_other_fee_recipient {
            Some(PaymentTo {
                chain_id: self.chain_id().await?,
                to: registration.fee_recipient,
                value,
            })
        } else {
            None
        };
        // The live switch, not the request's snapshot: with `once`, concurrent calls that all saw it
        // set must still spoil a single bid between them.
        let invalid = self.core.take_invalid_payload();
        let payload = finish_payload(
            &built,
            registration.gas_limit,
            invalid,
            &self.extra_data,
            payment,
        )?;

        let mut header = payload.to_header();
        apply_header_faults(&mut header, faults);
        let header_root = header.tree_hash_root();
        let block_hash = payload.block_hash();
        if faults.too_many_blobs && fork.deneb_enabled() {
            let max = self
                .core
                .spec
                .max_blobs_per_block(slot / E::slots_per_epoch());
            while (commitments.len() as u64) <= max {
                if commitments.push(KzgCommitment::default()).is_err() {
                    break;
                }
            }
        }
        let key = if faults.wrong_pubkey {
            &self.core.other_key
        } else {
            &self.core.secret_key
        };
        let requests = built.response.execution_requests.clone();
        let bid = get_bid(
            header,
            commitments,
            requests.clone().unwrap_or_default(),
            value,
            key.public_key().to_bytes(),
        );
        // builder-specs `get_bid_signature`; `bad_signature` signs under a zero domain instead.
        let domain = if faults.bad_signature {
            Hash256::ZERO
        } else {
            self.core.spec.builder_domain()
        };
        let signature = key
            .sign(compute_signing_root(&bid, domain).as_slice())
            .to_bytes();

        self.remember(
            block_hash,
            Served {
                slot,
                proposer: pubkey,
                header_root,
                payload,
                blobs_bundle: built.response.blobs_bundle.clone(),
                parent_beacon_block_root: built.parent_beacon_block_root,
                execution_requests: requests,
            },
        );
        tracing::info!(
            slot,
            block_hash = %block_hash,
            builder = %self.core.pubkey,
            value = %value,
            "serving a bid"
        );
        Ok(BidOutcome::Bid(fork, Box::new(sign_bid(bid, signature))))
    }

    /// The bids served with this block hash, oldest first.
    pub fn served(&self, block_hash: &ExecutionBlockHash) -> Vec<Arc<Served<E>>> {
        self.served
            .lock()
            .get(block_hash)
            .cloned()
            .unwrap_or_default()
    }

    /// Keep a served bid, replacing the same proposer's same header (a repeated getHeader).
    fn remember(&self, block_hash: ExecutionBlockHash, served: Served<E>) {
        let mut map = self.served.lock();
        let oldest = served.slot.saturating_sub(KEPT_SLOTS);
        map.retain(|_, bids| {
            bids.retain(|s| s.slot >= oldest);
            !bids.is_empty()
        });
        let bids = map.entry(block_hash).or_default();
        bids.retain(|s| s.proposer != served.proposer || s.header_root != served.header_root);
        bids.push(Arc::new(served));
    }

    /// The engine's chain id (`eth_chainId`), which builder-pays transactions are signed for.
    async fn chain_id(&self) -> Result<u64, String> {
        self.chain_id
            .get_or_try_init(|| self.engine.eth_chain_id())
            .await
            .copied()
            .map_err(|e| format!("eth_chainId: {e}"))
    }

    /// The engine's payload for the attributes with `fee_recipient`, built once per key.
    pub(crate) async fn build(
        &self,
        fork: ForkName,
        attributes: &PayloadAttributesEvent,
        fee_recipient: Address,
    ) -> Result<Arc<Built<E>>, String> {
        let slot = attributes.proposal_slot;
        let key = (slot, attributes.parent_block_hash, fee_recipient);
        let cell = {
            let mut builds = self.builds.lock();
            let oldest = slot.saturating_sub(KEPT_SLOTS);
            builds.retain(|(s, _, _), _| *s >= oldest);
            builds.entry(key).or_default().clone()
        };
        cell.get_or_try_init(|| async {
            self.build_from_engine(fork, attributes, fee_recipient)
                .await
                .map(Arc::new)
        })
        .await
        .cloned()
    }

    /// `forkchoiceUpdated` on the parent with the proposer's attributes, then `getPayload`.
    async fn build_from_engine(
        &self,
        fork: ForkName,
        event: &PayloadAttributesEvent,
        fee_recipient: Address,
    ) -> Result<Built<E>, String> {
        let a = &event.payload_attributes;
        let parent_beacon_block_root = if fork.deneb_enabled() {
            Some(a.parent_beacon_block_root.ok_or_else(|| {
                format!("{fork} payload attributes lack the parent beacon block root")
            })?)
        } else {
            None
        };
        let attributes = PayloadAttributes::new(
            fork,
            a.timestamp,
            a.prev_randao,
            fee_recipient,
            &a.withdrawals,
            parent_beacon_block_root.unwrap_or_default(),
        );
        // Safe and finalized stay zero ("unknown"): the relay must not move the finality of an engine
        // it may share with a beacon node.
        let state = ForkchoiceStateV1 {
            head_block_hash: event.parent_block_hash,
            safe_block_hash: ExecutionBlockHash::ZERO,
            finalized_block_hash: ExecutionBlockHash::ZERO,
        };
        let updated = self
            .engine
            .forkchoice_updated(fork, state, Some(&attributes))
            .await
            .map_err(|e| format!("forkchoiceUpdated: {e}"))?;
        let id = updated.payload_id.ok_or_else(|| {
            format!(
                "the engine started no build (status {:?})",
                updated.payload_status.status
            )
        })?;
        let response = self.get_payload(fork, id).await?;
        let parent_gas_limit = self
            .engine
            .eth_get_block_by_hash(event.parent_block_hash)
            .await
            .ok()
            .flatten()
            .and_then(|block| {
                let text = block.get("gasLimit")?.as_str()?.to_string();
                u64::from_str_radix(text.trim_start_matches("0x"), 16).ok()
            })
            .unwrap_or_else(|| response.payload.gas_limit());
        Ok(Built {
            response,
            parent_gas_limit,
            parent_beacon_block_root,
        })
    }
}

/// `requestsHash` of an empty `executionRequests` list (EIP-7685: `sha256` of nothing).
const EMPTY_REQUESTS_HASH: &str =
    "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl<E: EthSpec> Bidder<E> {
    /// `engine_getPayloadV*`, read as JSON first for one engine's quirk: EthereumJS 0.10.5 answers a
    /// second `getPayloadV4` of the same payload id (the node and the other relay ask for the same
    /// attributes, so they share it) without `executionRequests`. Its payload still carries its
    /// `requestsHash`; when that is the empty list's, the list is known to be empty. Any other
    /// missing list stays an error.
    async fn get_payload(
        &self,
        fork: ForkName,
        id: engine_api::PayloadId,
    ) -> Result<GetPayloadResponse<E>, String> {
        let method = engine_api::methods_for(fork).get_payload;
        let mut json: serde_json::Value = self
            .engine
            .request(
                method,
                serde_json::json!([id]),
                engine_api::timeouts::GET_PAYLOAD,
            )
            .await
            .map_err(|e| format!("getPayload: {e}"))?;
        if fork.electra_enabled() && json.get("executionRequests").is_none() {
            let hash = json.pointer("/executionPayload/requestsHash");
            if hash.and_then(|h| h.as_str()) == Some(EMPTY_REQUESTS_HASH) {
                json["executionRequests"] = serde_json::json!([]);
            }
        }
        let json: engine_api::JsonGetPayloadResponse = serde_json::from_value(json)
            .map_err(|e| format!("getPayload: bad response to {method}: {e}"))?;
        GetPayloadResponse::from_json(json, fork)
            .map_err(|e| format!("getPayload: bad response to {method}: {e}"))
    }
}

/// The engine's payload made the relay's: the payment appended (builder-pays), gas limit towards the
/// registered target, the relay's extra-data, `gas_used` past the limit if `invalid`, and the block
/// hash recomputed (the transactions root changes with the payment).
fn finish_payload<E: EthSpec>(
    built: &Built<E>,
    target_gas_limit: u64,
    invalid: bool,
    extra_data: &[u8],
    payment: Option<PaymentTo>,
) -> Result<ExecutionPayload<E>, String> {
    let mut payload = built.response.payload.clone();
    if let Some(payment) = payment {
        // The block number as nonce: one payment per block, and the same bytes for the same bid.
        let raw = payment_transaction(
            payment.chain_id,
            payload.block_number(),
            payload.base_fee_per_gas(),
            payment.to,
            payment.value,
        );
        let tx = VariableList::new(raw).map_err(|e| format!("payment transaction: {e:?}"))?;
        each_payload!(ExecutionPayload, &mut payload, p => {
            p.transactions
                .push(tx)
                .map_err(|e| format!("no room for the payment transaction: {e:?}"))?;
            p.gas_used = p.gas_used.saturating_add(PAYMENT_GAS);
        });
    }
    let gas_used = payload.gas_used();
    // A full block cannot go below its own gas used; the bound still holds, as the engine's limit did.
    let gas_limit = expected_gas_limit(built.parent_gas_limit, target_gas_limit).max(gas_used);
    let extra_data = VariableList::new(extra_data.to_vec())
        .map_err(|e| format!("extra-data of {} bytes: {e:?}", extra_data.len()))?;
    each_payload!(ExecutionPayload, &mut payload, p => {
        p.gas_limit = gas_limit;
        p.extra_data = extra_data;
        if invalid {
            p.gas_used = gas_limit.saturating_add(1);
        }
    });
    rehash(
        &mut payload,
        built.parent_beacon_block_root,
        built.response.execution_requests.as_ref(),
    )?;
    Ok(payload)
}

/// Recompute and set the payload's block hash.
pub(crate) fn rehash<E: EthSpec>(
    payload: &mut ExecutionPayload<E>,
    parent_beacon_block_root: Option<Root>,
    execution_requests: Option<&ExecutionRequests<E>>,
) -> Result<(), String> {
    let hash = compute_execution_block_hash(payload, parent_beacon_block_root, execution_requests)
        .map_err(|e| format!("cannot hash the payload: {e}"))?;
    each_payload!(ExecutionPayload, payload, p => p.block_hash = hash);
    Ok(())
}

/// The `mismatched_payload` fault's reveal: the served payload with other extra-data, re-hashed, so
/// its root differs from the signed header's.
pub(crate) fn mismatched<E: EthSpec>(served: &Served<E>) -> Result<ExecutionPayload<E>, String> {
    let mut payload = served.payload.clone();
    let extra = VariableList::new(MISMATCHED_EXTRA_DATA.to_vec()).map_err(|e| format!("{e:?}"))?;
    each_payload!(ExecutionPayload, &mut payload, p => p.extra_data = extra);
    rehash(
        &mut payload,
        served.parent_beacon_block_root,
        served.execution_requests.as_ref(),
    )?;
    Ok(payload)
}

/// Flip one bit of a hash-like value: different, and obviously so in a diff.
pub(crate) fn flip(h: Hash256) -> Hash256 {
    let mut bytes = h.0;
    bytes[0] ^= 0x01;
    Hash256::from(bytes)
}

fn apply_header_faults<E: EthSpec>(header: &mut ExecutionPayloadHeader<E>, f: &RelayFaults) {
    each_payload!(ExecutionPayloadHeader, header, h => {
        if f.wrong_parent_hash {
            h.parent_hash = flip(h.parent_hash);
        }
        if f.wrong_fee_recipient {
            let mut bytes = h.fee_recipient.0 .0;
            bytes[0] ^= 0x01;
            h.fee_recipient = Address::from(bytes);
        }
        if f.wrong_gas_limit {
            h.gas_limit = h.gas_limit.saturating_add(1);
        }
        if f.wrong_prev_randao {
            h.prev_randao = flip(h.prev_randao);
        }
        if f.wrong_timestamp {
            h.timestamp = h.timestamp.saturating_add(1);
        }
        if f.wrong_withdrawals_root {
            h.withdrawals_root = flip(h.withdrawals_root);
        }
        if f.wrong_block_number {
            h.block_number = h.block_number.saturating_add(1);
        }
    });
}

/// The engine's blob commitments as the bid's list.
pub(crate) fn commitments_of<E: EthSpec>(
    bundle: Option<&BlobsBundle>,
) -> Result<BlobKzgCommitments<E>, String> {
    let list = bundle
        .map(|b| b.commitments.iter().map(|c| PublicKeyBytes(c.0)).collect())
        .unwrap_or_default();
    VariableList::new(list).map_err(|e| format!("too many blob commitments: {e:?}"))
}

/// builder-specs `get_bid` for the header's fork.
fn get_bid<E: EthSpec>(
    header: ExecutionPayloadHeader<E>,
    blob_kzg_commitments: BlobKzgCommitments<E>,
    execution_requests: ExecutionRequests<E>,
    value: U256,
    pubkey: PublicKeyBytes,
) -> BuilderBid<E> {
    match header {
        ExecutionPayloadHeader::Capella(header) => BuilderBid::Capella(BuilderBidCapella {
            header,
            value,
            pubkey,
        }),
        ExecutionPayloadHeader::Deneb(header) => BuilderBid::Deneb(BuilderBidDeneb {
            header,
            blob_kzg_commitments,
            value,
            pubkey,
        }),
        ExecutionPayloadHeader::Electra(header) => BuilderBid::Electra(BuilderBidElectra {
            header,
            blob_kzg_commitments,
            execution_requests,
            value,
            pubkey,
        }),
        ExecutionPayloadHeader::Fulu(header) => BuilderBid::Fulu(BuilderBidFulu {
            header,
            blob_kzg_commitments,
            execution_requests,
            value,
            pubkey,
        }),
    }
}

fn sign_bid<E: EthSpec>(bid: BuilderBid<E>, signature: SignatureBytes) -> SignedBuilderBid<E> {
    match bid {
        BuilderBid::Capella(message) => {
            SignedBuilderBid::Capella(SignedBuilderBidCapella { message, signature })
        }
        BuilderBid::Deneb(message) => {
            SignedBuilderBid::Deneb(SignedBuilderBidDeneb { message, signature })
        }
        BuilderBid::Electra(message) => {
            SignedBuilderBid::Electra(SignedBuilderBidElectra { message, signature })
        }
        BuilderBid::Fulu(message) => {
            SignedBuilderBid::Fulu(SignedBuilderBidFulu { message, signature })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_faults_change_only_their_field() {
        let base = ExecutionPayloadHeader::<MainnetEthSpec>::empty(ForkName::Deneb);
        let mut h = base.clone();
        apply_header_faults(
            &mut h,
            &RelayFaults {
                wrong_timestamp: true,
                ..Default::default()
            },
        );
        assert_eq!(h.timestamp(), base.timestamp() + 1);
        assert_eq!(h.parent_hash(), base.parent_hash());
        apply_header_faults(&mut h, &RelayFaults::default());
        assert_eq!(h.timestamp(), base.timestamp() + 1);
        let mut h = base.clone();
        apply_header_faults(
            &mut h,
            &RelayFaults {
                wrong_fee_recipient: true,
                wrong_withdrawals_root: true,
                ..Default::default()
            },
        );
        assert_ne!(h.fee_recipient(), base.fee_recipient());
        assert_ne!(h.withdrawals_root(), base.withdrawals_root());
        assert_eq!(h.block_number(), base.block_number());
    }
}
