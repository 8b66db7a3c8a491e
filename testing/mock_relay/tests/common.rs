//! The test rig: an in-process mock-el, a relay building through it, a proposer key and a
//! `BuilderClient`, with helpers to register, feed attributes, ask for bids and sign blinded blocks.

use bls::SecretKey;
use builder_api::{BuilderClient, BuilderConfig, BuilderError};
use engine_api::{JwtSecret, NewPayloadRequest, PayloadStatusV1};
use mock_el::{MockEl, MockElConfig};
use mock_relay::{MockRelay, MockRelayConfig};
use types::*;

pub type E = MinimalEthSpec;

pub const GAS_LIMIT_TARGET: u64 = 36_000_000;
pub const PARENT_ROOT: Hash256 = Hash256::repeat_byte(0x42);

pub fn jwt() -> JwtSecret {
    JwtSecret::new([0x33; 32])
}

pub fn gvr() -> Hash256 {
    Hash256::repeat_byte(0x77)
}

pub struct Rig {
    pub el: MockEl,
    pub relay: MockRelay,
    pub client: BuilderClient,
    pub spec: ChainSpec,
    pub fork: ForkName,
    pub proposer: SecretKey,
    pub fee_recipient: Address,
}

/// Options of a rig.
pub struct RigOptions {
    pub fork: ForkName,
    pub blobs_per_payload: u64,
    pub prefer_ssz: bool,
    pub beacon_node: Option<url::Url>,
}

impl RigOptions {
    pub fn new(fork: ForkName) -> Self {
        Self {
            fork,
            blobs_per_payload: 0,
            prefer_ssz: true,
            beacon_node: None,
        }
    }
}

impl Rig {
    pub async fn new(fork: ForkName) -> Self {
        Self::with(RigOptions::new(fork)).await
    }

    pub async fn with(options: RigOptions) -> Self {
        let mut el_config = MockElConfig::new(jwt()).with_last_fork(options.fork);
        el_config.faults.blobs_per_payload = options.blobs_per_payload;
        let el = MockEl::start(el_config).await.expect("mock-el starts");
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(options.fork);
        let mut config = MockRelayConfig::new(
            spec.clone(),
            gvr(),
            SecretKey::random(),
            el.url().parse().unwrap(),
            jwt(),
        );
        config.beacon_node = options.beacon_node;
        let relay = MockRelay::start::<E>(config).await.expect("relay starts");
        let mut client_config = BuilderConfig::new(relay.url(), None);
        client_config.prefer_ssz = options.prefer_ssz;
        generous_timeouts(&mut client_config);
        let client = BuilderClient::new(client_config).expect("client");
        Self {
            el,
            relay,
            client,
            spec,
            fork: options.fork,
            proposer: bls::interop_secret_key(0),
            fee_recipient: Address::repeat_byte(0xfe),
        }
    }

    pub fn proposer_pubkey(&self) -> PublicKeyBytes {
        self.proposer.public_key().to_bytes()
    }

    /// A client for the relay with other settings.
    pub fn client_with(&self, f: impl FnOnce(&mut BuilderConfig)) -> BuilderClient {
        let mut config = BuilderConfig::new(self.relay.url(), None);
        generous_timeouts(&mut config);
        f(&mut config);
        BuilderClient::new(config).expect("client")
    }

    pub fn registration(&self, key: &SecretKey, timestamp: u64) -> SignedValidatorRegistrationV1 {
        mock_relay::sign_registration(
            &self.spec,
            key,
            self.fee_recipient,
            GAS_LIMIT_TARGET,
            timestamp,
        )
    }

    pub async fn register(&self) {
        let registration = self.registration(&self.proposer, now());
        self.client
            .register_validators(&[registration])
            .await
            .expect("registration accepted");
    }

    /// The attributes of `slot` on the engine's head, fed to the relay.
    pub fn feed(&self, slot: Slot) -> PayloadAttributesEvent {
        let event = PayloadAttributesEvent {
            proposer_index: 0,
            proposal_slot: slot,
            parent_block_number: 0,
            parent_block_root: PARENT_ROOT,
            parent_block_hash: self.el.head_hash(),
            payload_attributes: EventPayloadAttributes {
                timestamp: 1_000 + slot * 6,
                prev_randao: Hash256::repeat_byte(slot as u8),
                // The relay must use the registered fee recipient, not this one.
                suggested_fee_recipient: Address::repeat_byte(0x01),
                withdrawals: vec![Withdrawal {
                    index: slot,
                    validator_index: 3,
                    address: Address::repeat_byte(0x0d),
                    amount: 1_000,
                }],
                parent_beacon_block_root: self.fork.deneb_enabled().then_some(PARENT_ROOT),
            },
        };
        self.relay.on_payload_attributes(event.clone());
        event
    }

    pub async fn get_header(
        &self,
        slot: Slot,
    ) -> Result<Option<SignedBuilderBid<E>>, BuilderError> {
        self.get_header_with(&self.client, slot).await
    }

    pub async fn get_header_with(
        &self,
        client: &BuilderClient,
        slot: Slot,
    ) -> Result<Option<SignedBuilderBid<E>>, BuilderError> {
        let fork = self.spec.fork_name_at_slot::<E>(slot);
        client
            .get_header::<E>(slot, self.el.head_hash(), &self.proposer_pubkey(), fork)
            .await
    }

    /// Register, feed `slot` and get its bid, which must exist.
    pub async fn bid(&self, slot: Slot) -> SignedBuilderBid<E> {
        self.register().await;
        self.feed(slot);
        self.get_header(slot)
            .await
            .expect("getHeader succeeds")
            .expect("a bid")
    }

    /// [`Rig::bid`], and the blinded block of `slot` on it that the proposer signed.
    pub async fn bid_and_block(
        &self,
        slot: Slot,
    ) -> (SignedBuilderBid<E>, SignedBlindedBeaconBlock<E>) {
        let bid = self.bid(slot).await;
        let block = self.blinded_block(&bid, slot, &self.proposer);
        (bid, block)
    }

    /// A blinded block of `slot` carrying the bid's header, signed by `key` as proposer.
    pub fn blinded_block(
        &self,
        bid: &SignedBuilderBid<E>,
        slot: Slot,
        key: &SecretKey,
    ) -> SignedBlindedBeaconBlock<E> {
        let message = blinded_block(bid.message_enum(), slot);
        let epoch = slot / E::slots_per_epoch();
        let domain = self
            .spec
            .domain_at_epoch(DOMAIN_BEACON_PROPOSER, epoch, gvr());
        let signature = key
            .sign(compute_signing_root(&message, domain).as_slice())
            .to_bytes();
        message.into_signed(signature)
    }

    /// The HTTP status with which the relay refuses to reveal `block` through submitBlindedBlock v1.
    pub async fn refused_v1(&self, block: &SignedBlindedBeaconBlock<E>) -> u16 {
        let e = self
            .client
            .submit_blinded_block_v1(block)
            .await
            .expect_err("the relay refuses the block");
        status_of(&e).unwrap_or_else(|| panic!("no HTTP status in {e:?}"))
    }

    /// POST `body` to `path` (relative to the relay's URL) with `headers`, as a client that does not
    /// go through `BuilderClient` would: the status and the body's text.
    pub async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (u16, String) {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.relay.url()))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("the relay answers");
        let status = response.status().as_u16();
        (status, response.text().await.expect("a body"))
    }

    /// newPayload of a revealed payload on the mock-el.
    pub async fn new_payload(
        &self,
        payload: &ExecutionPayload<E>,
        commitments: &[KzgCommitment],
        requests: Option<&ExecutionRequests<E>>,
    ) -> PayloadStatusV1 {
        let engine = engine_api::EngineClient::new(
            self.el.url().parse().unwrap(),
            engine_api::JwtAuth::new(jwt()),
        )
        .unwrap();
        let fork = payload.fork_name();
        let request = NewPayloadRequest {
            payload,
            versioned_hashes: commitments
                .iter()
                .map(|c| mock_el::kzg::versioned_hash(&c.0))
                .collect(),
            parent_beacon_block_root: fork.deneb_enabled().then_some(PARENT_ROOT),
            execution_requests: requests,
        };
        engine.new_payload(&request).await.expect("newPayload")
    }
}

/// Building blobs (KZG proofs, Fulu's cell proofs) in a debug build can take longer than a real
/// client's getHeader budget; these tests are about behaviour, not speed.
fn generous_timeouts(config: &mut BuilderConfig) {
    config.timeouts.get_header = std::time::Duration::from_secs(20);
    config.timeouts.submit_blinded_block = std::time::Duration::from_secs(20);
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Verify a bid's signature under the builder domain with the key it names.
pub fn bid_verifies(spec: &ChainSpec, bid: &SignedBuilderBid<E>) -> bool {
    let message = bid.message_enum();
    let Ok(pubkey) = bls::PublicKey::try_from(&message.pubkey()) else {
        return false;
    };
    let Ok(signature) = bls::Signature::try_from(&bid.signature()) else {
        return false;
    };
    let root = compute_signing_root(&message, spec.builder_domain());
    signature.verify(&pubkey, root.as_slice())
}

macro_rules! body {
    ($Body:ident, $header:expr $(, $extra:ident: $value:expr)*) => {
        $Body {
            randao_reveal: Default::default(),
            eth1_data: Default::default(),
            graffiti: Default::default(),
            proposer_slashings: Default::default(),
            attester_slashings: Default::default(),
            attestations: Default::default(),
            deposits: Default::default(),
            voluntary_exits: Default::default(),
            sync_aggregate: SyncAggregate::empty(),
            execution_payload_header: $header,
            bls_to_execution_changes: Default::default(),
            $($extra: $value,)*
        }
    };
}

macro_rules! block {
    ($Block:ident, $slot:expr, $body:expr) => {
        $Block {
            slot: $slot,
            proposer_index: 0,
            parent_root: PARENT_ROOT,
            state_root: Hash256::repeat_byte(0x5a),
            body: $body,
        }
    };
}

/// A blinded block with the bid's header (and commitments and requests).
pub fn blinded_block(bid: BuilderBid<E>, slot: Slot) -> BlindedBeaconBlock<E> {
    match bid {
        BuilderBid::Capella(b) => BlindedBeaconBlock::Capella(block!(
            BlindedBeaconBlockCapella,
            slot,
            body!(BlindedBeaconBlockBodyCapella, b.header)
        )),
        BuilderBid::Deneb(b) => BlindedBeaconBlock::Deneb(block!(
            BlindedBeaconBlockDeneb,
            slot,
            body!(BlindedBeaconBlockBodyDeneb, b.header, blob_kzg_commitments: b.blob_kzg_commitments)
        )),
        BuilderBid::Electra(b) => BlindedBeaconBlock::Electra(block!(
            BlindedBeaconBlockElectra,
            slot,
            body!(BlindedBeaconBlockBodyElectra, b.header,
                blob_kzg_commitments: b.blob_kzg_commitments,
                execution_requests: b.execution_requests)
        )),
        BuilderBid::Fulu(b) => BlindedBeaconBlock::Fulu(block!(
            BlindedBeaconBlockFulu,
            slot,
            body!(BlindedBeaconBlockBodyFulu, b.header,
                blob_kzg_commitments: b.blob_kzg_commitments,
                execution_requests: b.execution_requests)
        )),
    }
}

/// The HTTP status of a builder error, if it carries one.
pub fn status_of(e: &BuilderError) -> Option<u16> {
    match e {
        BuilderError::Http { status, .. }
        | BuilderError::UnexpectedStatus { status, .. }
        | BuilderError::UnsupportedMediaType { status, .. } => Some(*status),
        _ => None,
    }
}
