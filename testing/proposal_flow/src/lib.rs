//! A small harness that plays the beacon node's part in a proposal: real states and signatures over an in-process mock EE and mock relay.
//!
//! Blindfold has no beacon node yet, so this crate strings the separately tested pieces together the
//! way the node will (DESIGN "The flows", 2 to 5): advance the head state to the slot, derive the
//! [`PayloadRequest`] from it, feed the relay the `payload_attributes` event, ask
//! [`ExecutionLayer::get_payload`], build the (blinded) block and its state root before the payload is
//! known, sign it, record the builder, unblind, re-run the state transition on the full block with
//! signatures verified, and let the execution engine judge the payload (`newPayload`, then
//! `forkchoiceUpdated`). Each slot ends in an [`Outcome`] the tests assert on.
//!
//! From Fulu a builder may take the signed block through submitBlindedBlockV2 and publish it itself:
//! the harness is the beacon node it publishes to ([`Harness::beacon_api_url`]), and imports what
//! arrives there as it imports a block it unblinded.

mod beacon_api;
mod block;
mod chain;
mod outcome;

pub use beacon_api::PublishedBlock;
pub use block::payload_attributes_event;
pub use chain::{chain_health, HarnessChain};
pub use outcome::{Delivery, HarnessError, Outcome, SlotResult, Source};

use beacon_api::BeaconApi;
use block::{blinded_block, set_state_root};
use builder_api::{BuilderClient, BuilderConfig};
use engine_api::{
    EngineClient, ForkchoiceStateV1, JwtAuth, JwtSecret, NewPayloadRequest, PayloadStatusKind,
};
use execution_layer::{
    ExecutionLayer, ExecutionLayerConfig, MemoryBuilderBlockStore, PayloadRequest,
    ProposerRegistration, UnblindSource, Unblinded,
};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig, RelayFaults};
use state_processing::common::{
    get_beacon_proposer_index, get_current_epoch, get_domain, get_expected_withdrawals,
    get_randao_mix,
};
use state_processing::genesis::interop_genesis_state;
use state_processing::per_block::execution_payload::compute_time_at_slot;
use state_processing::per_block::{process_block, verify_block_signature, VerifySignatures};
use state_processing::process_slots;
use std::sync::Arc;
use std::time::Duration;
use tree_hash::TreeHash;
use types::{
    compute_signing_root, Address, BeaconState, BlindedBeaconBlock, ChainSpec, ExecutionBlockHash,
    ForkName, Hash256, MinimalEthSpec, SignedBeaconBlock, SignedBlindedBeaconBlock, Slot,
    DOMAIN_BEACON_PROPOSER, DOMAIN_RANDAO,
};

/// The preset of every harness chain: minimal, so epochs are 8 slots and states are small.
pub type E = MinimalEthSpec;

/// Interop validators at genesis.
pub const VALIDATOR_COUNT: u64 = 64;
/// Where every proposer's payloads pay, local or builder.
pub const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
/// A getHeader timeout that a debug build on a busy machine meets even when it builds blobs; a test
/// that wants a timeout sets a shorter one.
pub const GENEROUS_GET_HEADER_TIMEOUT: Duration = Duration::from_secs(20);

/// The JWT secret shared by the mock EE, the relay's engine client and the node's.
fn jwt() -> JwtSecret {
    JwtSecret::new([0x42; 32])
}

/// How to set a harness up.
#[derive(Debug, Clone)]
pub struct HarnessOptions {
    /// The fork at genesis (Electra or Fulu).
    pub fork: ForkName,
    /// Blobs in every payload the mock EE builds.
    pub blobs_per_payload: u64,
    /// The relay's fault switches at start.
    pub relay_faults: RelayFaults,
    /// The node's getHeader timeout.
    pub get_header_timeout: Duration,
    /// The node's submitBlindedBlock timeout.
    pub submit_timeout: Duration,
    /// How long unblinding keeps trying.
    pub unblind_budget: Duration,
    /// How long the harness waits for the block a builder publishes after taking it through
    /// submitBlindedBlockV2; the slot is missed past it.
    pub publish_wait: Duration,
}

impl Default for HarnessOptions {
    fn default() -> Self {
        Self {
            fork: ForkName::Electra,
            blobs_per_payload: 0,
            relay_faults: RelayFaults::default(),
            get_header_timeout: GENEROUS_GET_HEADER_TIMEOUT,
            submit_timeout: Duration::from_secs(5),
            unblind_budget: Duration::from_secs(6),
            // The relay publishes before it answers 202, so the block is normally already there.
            publish_wait: Duration::from_secs(4),
        }
    }
}

/// A beacon node's proposal path over one mock EE and one mock relay.
pub struct Harness {
    /// Minimal preset, every fork up to the genesis fork at epoch 0.
    pub spec: Arc<ChainSpec>,
    /// The execution engine (the node's and the relay's).
    pub el: MockEl,
    /// The one builder.
    pub relay: MockRelay,
    /// The module under test.
    pub layer: ExecutionLayer<E>,
    /// The relay's name in the layer.
    pub builder: String,
    chain: Arc<HarnessChain>,
    engine: EngineClient,
    beacon_api: BeaconApi,
    publish_wait: Duration,
    keys: Vec<bls::SecretKey>,
    genesis_hash: ExecutionBlockHash,
    head: BeaconState<E>,
}

impl Harness {
    /// Starts the mock EE, builds the interop genesis on its genesis block, starts the relay on the
    /// same EE and the execution layer over both.
    pub async fn start(options: HarnessOptions) -> Result<Self, HarnessError> {
        let setup = |e: &dyn std::fmt::Display| HarnessError::Setup(e.to_string());
        let fork = options.fork;
        let spec = Arc::new(ChainSpec::minimal().with_forks_at_genesis_up_to(fork));
        // Up before the relay, which follows its event stream from the start.
        let beacon_api = BeaconApi::start(spec.clone()).map_err(|e| setup(&e))?;
        let el = MockEl::start(MockElConfig::new(jwt()).with_last_fork(fork))
            .await
            .map_err(|e| setup(&e))?;
        if options.blobs_per_payload > 0 {
            // Load the trusted setup before the first proposal, outside any timeout.
            let _ = kzg::settings();
            el.update_faults(|f| f.blobs_per_payload = options.blobs_per_payload);
        }
        // The genesis state's latest header is the EE's genesis block, so the chain's execution
        // parent is real (what `cltool genesis --execution-payload-header` takes).
        let mut genesis_block = el.with_chain(|c| c.head().payload());
        genesis_block.withdrawals.get_or_insert_with(Vec::new);
        let genesis_header = genesis_block
            .try_into_payload::<E>(fork)
            .map_err(|e| setup(&e))?
            .to_header();
        let genesis_hash = genesis_header.block_hash();
        let head = interop_genesis_state::<E>(
            VALIDATOR_COUNT,
            genesis_header.timestamp(),
            fork,
            Some(genesis_header),
            &spec,
        )?;
        let engine_url: url::Url = el.url().parse().map_err(|e| setup(&e))?;
        let mut relay_config = MockRelayConfig::new(
            (*spec).clone(),
            head.genesis_validators_root(),
            bls::interop_secret_key(1000),
            engine_url.clone(),
            jwt(),
        );
        relay_config.faults = options.relay_faults;
        relay_config.beacon_node = Some(beacon_api.url());
        let relay = MockRelay::start::<E>(relay_config)
            .await
            .map_err(|e| setup(&e))?;
        let mut builder_config = BuilderConfig::new(relay.url(), Some(relay.pubkey()));
        builder_config.timeouts.get_header = options.get_header_timeout;
        builder_config.timeouts.submit_blinded_block = options.submit_timeout;
        let client = BuilderClient::new(builder_config).map_err(|e| setup(&e))?;
        let engine = EngineClient::new(engine_url, JwtAuth::new(jwt()))?;
        let mut config = ExecutionLayerConfig::new((*spec).clone());
        config.unblind_budget = options.unblind_budget;
        config.unblind_retry_interval = Duration::from_millis(100);
        let chain = Arc::new(HarnessChain::default());
        let layer = ExecutionLayer::new(
            config,
            engine.clone(),
            vec![client],
            Box::<MemoryBuilderBlockStore>::default(),
            chain.clone(),
        )
        .map_err(|e| setup(&e))?;
        let builder = layer
            .builder_names()
            .first()
            .cloned()
            .ok_or_else(|| HarnessError::Setup("the layer has no builder".into()))?;
        Ok(Self {
            spec,
            el,
            relay,
            layer,
            builder,
            chain,
            engine,
            beacon_api,
            publish_wait: options.publish_wait,
            keys: bls::interop_secret_keys(VALIDATOR_COUNT),
            genesis_hash,
            head,
        })
    }

    /// The head state (the genesis state until a block is imported).
    pub fn head(&self) -> &BeaconState<E> {
        &self.head
    }

    /// The execution block hash of the head: the payload every next proposal builds on.
    pub fn head_execution_hash(&self) -> ExecutionBlockHash {
        self.head.latest_execution_payload_header().block_hash()
    }

    /// The EE's genesis block hash.
    pub fn genesis_hash(&self) -> ExecutionBlockHash {
        self.genesis_hash
    }

    /// The harness's beacon API, where the relay publishes v2 blocks and follows events.
    pub fn beacon_api_url(&self) -> url::Url {
        self.beacon_api.url()
    }

    /// Registers validator `index` with every builder through the layer (`ValidatorRegistrationV1`
    /// under `DOMAIN_APPLICATION_BUILDER`), once; the harness's chain then answers for it.
    pub async fn register(&self, index: u64) -> Result<(), HarnessError> {
        let key = self.key(index)?;
        let pubkey = key.public_key().to_bytes();
        if self.chain.registrations.lock().contains_key(&pubkey) {
            return Ok(());
        }
        let registration = ProposerRegistration {
            fee_recipient: FEE_RECIPIENT,
            gas_limit: self.head.latest_execution_payload_header().gas_limit(),
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let signed = mock_relay::sign_registration(
            &self.spec,
            key,
            registration.fee_recipient,
            registration.gas_limit,
            timestamp,
        );
        for (builder, result) in self.layer.register_validators(&[signed]).await {
            match result {
                // A disabled builder is not sent registrations; that is no failure of the proposer's.
                Ok(()) | Err(execution_layer::RegistrationError::Disabled) => {}
                Err(e) => {
                    return Err(HarnessError::Registration {
                        builder,
                        error: e.to_string(),
                    })
                }
            }
        }
        self.chain.registrations.lock().insert(pubkey, registration);
        Ok(())
    }

    /// Plays the beacon node's part in the proposal at `slot` (later than the head's), from payload
    /// attributes to the EE's verdict; the head moves only if the block is imported.
    pub async fn propose(&mut self, slot: Slot) -> Result<Outcome, HarnessError> {
        let spec = self.spec.clone();
        let mut state = self.head.clone();
        process_slots(&mut state, slot, &spec)?;
        let proposer_index = get_beacon_proposer_index(&state)?;
        self.register(proposer_index).await?;
        *self.chain.health.lock() = Some(chain_health(&state)?);
        // The head block's root: `process_slot` filled its state root in the latest header.
        let parent_root = state.latest_block_header().tree_hash_root();
        let request = self.payload_request(&state, proposer_index, parent_root)?;
        self.relay
            .on_payload_attributes(payload_attributes_event(&request));

        let produced = self.layer.get_payload(&request).await?;
        let (source, header, commitments, requests) = match &produced.winner {
            Some(winner) => {
                let message = winner.bid.bid().message_enum();
                (
                    Source::Builder(winner.builder.clone()),
                    winner.bid.header().clone(),
                    message
                        .blob_kzg_commitments()
                        .map(|c| c.to_vec())
                        .unwrap_or_default(),
                    message.execution_requests().cloned().unwrap_or_default(),
                )
            }
            None => {
                let local = produced
                    .local
                    .as_ref()
                    .ok_or_else(|| self.unexpected(slot, "neither a bid nor a local payload"))?;
                (
                    Source::Local,
                    local.payload.to_header(),
                    local
                        .blobs_bundle
                        .as_ref()
                        .map(|b| b.commitments().to_vec())
                        .unwrap_or_default(),
                    local.execution_requests.clone().unwrap_or_default(),
                )
            }
        };
        let outcome = |result| Outcome {
            slot,
            proposer_index,
            source: source.clone(),
            builders: produced.builders.clone(),
            result,
        };

        // The state root of the blinded block, before anyone knows its payload.
        let randao_reveal = self.randao_reveal(&state, proposer_index)?;
        let mut block = blinded_block(
            &state,
            proposer_index,
            parent_root,
            randao_reveal,
            header,
            &commitments,
            requests,
        )
        .map_err(|message| self.unexpected(slot, message))?;
        let mut blinded_post = state.clone();
        process_block(
            &mut blinded_post,
            &block,
            VerifySignatures::Skip,
            true,
            &spec,
        )?;
        let blinded_state_root = blinded_post.update_tree_hash_cache()?;
        set_state_root(&mut block, blinded_state_root);
        let block_root = block.tree_hash_root();
        let signed = self.sign(&state, proposer_index, block, block_root)?;

        // Unblinding (DESIGN flow 4): the builder's payload, or the local one put back.
        let (full, delivery) = match (&source, &produced.local) {
            // The layer records the builder block itself while it unblinds.
            (Source::Builder(builder), _) => {
                // Whatever an earlier slot's builder published after the harness stopped waiting
                // must not pass for this slot's block.
                for stale in self.beacon_api.take_pending() {
                    tracing::warn!(slot, stale_slot = %stale.block.slot(), stale_root = %stale.block.message_root(), "dropping a block published too late for its slot");
                }
                let execution_block_hash = signed.execution_payload_header().block_hash();
                match self.layer.unblind(signed).await {
                    Ok(Unblinded::Full { block, source, .. }) => {
                        let delivery = match source {
                            UnblindSource::LocalCache => Delivery::Local,
                            UnblindSource::Builder(_) => Delivery::Revealed,
                        };
                        (*block, delivery)
                    }
                    Ok(Unblinded::BuilderPublishes { builder }) => {
                        match self.await_published(slot, block_root, &builder).await? {
                            Ok(block) => {
                                self.layer.on_published_block_arrived(&builder);
                                (block, Delivery::Published)
                            }
                            Err(reason) => {
                                // Accepted after signing, never published: withheld, and it counts
                                // against the builder like any withholding.
                                self.layer.on_published_block_missing(
                                    &builder,
                                    block_root,
                                    slot,
                                    execution_block_hash,
                                );
                                tracing::warn!(slot, block_root = %block_root, builder = %builder, %reason, "slot missed: the builder's publication failed");
                                return Ok(outcome(SlotResult::Missed { reason }));
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(slot, block_root = %block_root, builder = %builder, %error, "slot missed: unblinding failed");
                        return Ok(outcome(SlotResult::Missed {
                            reason: error.to_string(),
                        }));
                    }
                }
            }
            (Source::Local, Some(local)) => (
                signed
                    .into_full_block(local.payload.clone())
                    .map_err(|e| self.unexpected(slot, e.to_string()))?,
                Delivery::Local,
            ),
            (Source::Local, None) => return Err(self.unexpected(slot, "no local payload")),
        };

        let imported = self
            .import(&state, full, parent_root, blinded_state_root, delivery)
            .await?;
        if let SlotResult::Imported { .. } = &imported {
            let builder = match &source {
                Source::Builder(name) => name.as_str(),
                Source::Local => "local",
            };
            tracing::info!(slot, block_root = %block_root, builder, "block imported");
        }
        Ok(outcome(imported))
    }

    /// Waits, up to [`HarnessOptions::publish_wait`], for the block `builder` took through
    /// submitBlindedBlockV2 to be published to the harness's beacon API, and checks it is the signed
    /// block (`block_root`) with blobs that open its commitments. `Ok(Err(reason))` is a missed slot: no
    /// block came, or its blobs are not available. A block of this slot with another root is an error:
    /// the builder published something the proposer did not sign.
    async fn await_published(
        &mut self,
        slot: Slot,
        block_root: Hash256,
        builder: &str,
    ) -> Result<Result<SignedBeaconBlock<E>, String>, HarnessError> {
        let deadline = tokio::time::Instant::now() + self.publish_wait;
        let published = loop {
            let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Some(published) = self.beacon_api.next_block(wait).await else {
                return Ok(Err(format!(
                    "{builder} took the block through submitBlindedBlockV2 but published none within {:?}",
                    self.publish_wait
                )));
            };
            // A late block of an earlier slot, published while this one was being unblinded.
            if published.block.slot() < slot {
                tracing::warn!(slot, stale_slot = %published.block.slot(), "dropping a block published too late for its slot");
                continue;
            }
            break published;
        };
        let PublishedBlock {
            block,
            blobs_bundle,
        } = published;
        let root = block.message_root();
        if root != block_root {
            return Err(self.unexpected(
                slot,
                format!(
                    "{builder} published block {root} at slot {}, not the signed block {block_root}",
                    block.slot()
                ),
            ));
        }
        if let Ok(commitments) = block.message_enum().body_enum().blob_kzg_commitments() {
            let Some(bundle) = blobs_bundle else {
                return Ok(Err(format!(
                    "{builder} published a {} block without blobs",
                    block.fork_name()
                )));
            };
            let epoch = slot / <E as types::EthSpec>::slots_per_epoch();
            if let Err(error) = kzg::verify_blobs_bundle(
                block.fork_name(),
                self.spec.max_blobs_per_block(epoch),
                commitments,
                bundle.as_ref(),
            ) {
                return Ok(Err(format!(
                    "{builder} published blobs that do not match the block's commitments: {error}"
                )));
            }
        }
        Ok(Ok(block))
    }

    /// Imports a full block on `pre` (the state at its slot): the proposer's signature, the state
    /// transition with every signature verified (which must reach the blinded block's state root),
    /// then the EE's `newPayload` verdict and `forkchoiceUpdated` to make it the head.
    async fn import(
        &mut self,
        pre: &BeaconState<E>,
        block: SignedBeaconBlock<E>,
        parent_root: Hash256,
        blinded_state_root: Hash256,
        delivery: Delivery,
    ) -> Result<SlotResult, HarnessError> {
        let slot = block.slot();
        let block_root = block.message_root();
        let message = block.message_enum();
        verify_block_signature(
            pre,
            message.proposer_index(),
            block_root,
            &block.signature(),
        )?;
        let mut post = pre.clone();
        process_block(
            &mut post,
            &message,
            VerifySignatures::Batch,
            true,
            &self.spec,
        )?;
        let full_state_root = post.update_tree_hash_cache()?;
        if full_state_root != blinded_state_root || full_state_root != message.state_root() {
            return Err(HarnessError::StateRootMismatch {
                slot,
                blinded: blinded_state_root,
                full: full_state_root,
            });
        }

        // `verify_and_notify_new_payload`: the EE's verdict on the payload.
        let body = message.body_enum();
        let payload = body.execution_payload_enum();
        let commitments = body
            .blob_kzg_commitments()
            .map(|c| c.to_vec())
            .unwrap_or_default();
        let requests = body.execution_requests().ok().cloned();
        let status = self
            .engine
            .new_payload(&NewPayloadRequest {
                payload: &payload,
                versioned_hashes: commitments.iter().map(kzg::kzg_to_versioned_hash).collect(),
                parent_beacon_block_root: Some(parent_root),
                execution_requests: requests.as_ref(),
            })
            .await?;
        let execution_block_hash = payload.block_hash();
        if status.is_invalid() {
            let chain = [execution_block_hash, payload.parent_hash()];
            let disabled = self
                .layer
                .on_new_payload_status(block_root, &status, &chain);
            tracing::warn!(slot, block_root = %block_root, builder = ?disabled.iter().map(|d| &d.builder).collect::<Vec<_>>(), "payload INVALID: block not imported");
            return Ok(SlotResult::InvalidPayload {
                block_root,
                execution_block_hash,
                disabled,
            });
        }
        if status.status != PayloadStatusKind::Valid {
            return Err(self.unexpected(slot, format!("newPayload answered {:?}", status.status)));
        }
        let forkchoice = ForkchoiceStateV1 {
            head_block_hash: execution_block_hash,
            safe_block_hash: self.genesis_hash,
            finalized_block_hash: self.genesis_hash,
        };
        let updated = self
            .engine
            .forkchoice_updated(payload.fork_name(), forkchoice, None)
            .await?;
        self.layer.on_forkchoice_status(
            &updated.payload_status,
            &[execution_block_hash, payload.parent_hash()],
        );
        if !updated.payload_status.is_valid() {
            return Err(self.unexpected(
                slot,
                format!(
                    "forkchoiceUpdated answered {:?}",
                    updated.payload_status.status
                ),
            ));
        }
        self.head = post;
        Ok(SlotResult::Imported {
            block_root,
            blinded_state_root,
            full_state_root,
            execution_block_hash,
            verdict: status.status,
            blobs: commitments.len(),
            delivery,
        })
    }

    /// The proposal's facts, all from the state at the slot (`prepare_execution_payload`).
    fn payload_request(
        &self,
        state: &BeaconState<E>,
        proposer_index: u64,
        parent_root: Hash256,
    ) -> Result<PayloadRequest, HarnessError> {
        let slot = state.slot();
        let epoch = get_current_epoch(state);
        let parent = state.latest_execution_payload_header();
        Ok(PayloadRequest {
            slot,
            fork: state.fork_name(),
            proposer_index,
            proposer_pubkey: self.key(proposer_index)?.public_key().to_bytes(),
            parent_hash: parent.block_hash(),
            safe_block_hash: self.genesis_hash,
            finalized_block_hash: self.genesis_hash,
            parent_block_number: parent.block_number(),
            parent_gas_limit: parent.gas_limit(),
            timestamp: compute_time_at_slot(state, slot, &self.spec)?,
            prev_randao: get_randao_mix(state, epoch)?,
            suggested_fee_recipient: FEE_RECIPIENT,
            withdrawals: get_expected_withdrawals(state)?.withdrawals,
            parent_beacon_block_root: parent_root,
            builder_boost_factor: None,
            max_blobs_per_block: self.spec.max_blobs_per_block(epoch),
            local_payload_deadline: None,
        })
    }

    /// The proposer's RANDAO reveal: its signature of the epoch under `DOMAIN_RANDAO`.
    fn randao_reveal(
        &self,
        state: &BeaconState<E>,
        proposer_index: u64,
    ) -> Result<types::SignatureBytes, HarnessError> {
        let epoch = get_current_epoch(state);
        let domain = get_domain(state, DOMAIN_RANDAO, Some(epoch));
        Ok(self
            .key(proposer_index)?
            .sign(compute_signing_root(&epoch, domain).as_slice())
            .to_bytes())
    }

    /// Signs the block root under `DOMAIN_BEACON_PROPOSER`, as the validator client does.
    fn sign(
        &self,
        state: &BeaconState<E>,
        proposer_index: u64,
        block: BlindedBeaconBlock<E>,
        block_root: Hash256,
    ) -> Result<SignedBlindedBeaconBlock<E>, HarnessError> {
        let domain = get_domain(state, DOMAIN_BEACON_PROPOSER, None);
        let signature = self
            .key(proposer_index)?
            .sign(compute_signing_root(&block_root, domain).as_slice())
            .to_bytes();
        Ok(block.into_signed(signature))
    }

    fn key(&self, index: u64) -> Result<&bls::SecretKey, HarnessError> {
        self.keys
            .get(index as usize)
            .ok_or(HarnessError::Unexpected {
                slot: self.head.slot(),
                message: format!("validator {index} is not an interop validator of the harness"),
            })
    }

    fn unexpected(&self, slot: Slot, message: impl Into<String>) -> HarnessError {
        HarnessError::Unexpected {
            slot,
            message: message.into(),
        }
    }
}
