//! Real captures from Flashbots' relay and boost projects and from mev-rs (`relay-captures/`), with real
//! BLS signatures. Every entry of each family's `EXPECTED.json` is handled: decoded into our types
//! (Capella onwards, mainnet preset) and checked against what the entry asserts, namely roots, SSZ bytes
//! and lengths, slots, block hashes (the field and the recomputed execution block hash), withdrawals
//! roots, JSON round trips and signatures, builder ones under `DOMAIN_APPLICATION_BUILDER` (genesis fork
//! version, zero genesis validators root) and proposer ones under `DOMAIN_BEACON_PROPOSER` (fork version
//! and genesis validators root). Every domain used is recomputed and compared with the one the entry and
//! `NETWORK_CONSTANTS_AND_DOMAINS.json` state. What is out of scope (Bellatrix containers, signatures whose
//! network is unknown) is skipped with its reason. One test per family.
//!
//! Flashbots' relay submission (`SubmitBlockRequest` with its `BidTrace`) is not a builder-specs
//! container, so it is defined here from our execution payload and blobs bundle types, field for field as
//! in go-builder-client.

use flate2::read::GzDecoder;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use spec_tests::{first_json_difference, hex_bytes, read, vectors_dir, Summary};
use ssz::{Decode, Encode};
use ssz_derive::{Decode, Encode};
use ssz_types::VariableList;
use std::fmt::Debug;
use std::io::Read;
use std::path::{Path, PathBuf};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;
use types::*;

type E = MainnetEthSpec;

// ---------------------------------------------------------------------------------------------------
// Flashbots relay containers (go-builder-client api/{capella,deneb,electra,fulu} and api/v1).
// ---------------------------------------------------------------------------------------------------

/// Integers as quoted decimal strings, the beacon-API form go-builder-client uses.
mod quoted {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    pub mod u64 {
        use super::*;
        pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&v.to_string())
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
            String::deserialize(d)?.parse().map_err(D::Error::custom)
        }
    }

    pub mod u256 {
        use super::*;
        use alloy_primitives::U256;
        pub fn serialize<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(&v.to_string())
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<U256, D::Error> {
            let s = String::deserialize(d)?;
            U256::from_str_radix(&s, 10).map_err(D::Error::custom)
        }
    }
}

/// `BidTrace` (go-builder-client api/v1): what a builder signs when it submits a block to a relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(deny_unknown_fields)]
struct BidTrace {
    #[serde(with = "quoted::u64")]
    slot: u64,
    parent_hash: Hash256,
    block_hash: Hash256,
    builder_pubkey: PublicKeyBytes,
    proposer_pubkey: PublicKeyBytes,
    proposer_fee_recipient: Address,
    #[serde(with = "quoted::u64")]
    gas_limit: u64,
    #[serde(with = "quoted::u64")]
    gas_used: u64,
    #[serde(with = "quoted::u256")]
    value: U256,
}

/// `SubmitBlockRequest` (capella).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct SubmitBlockRequestCapella<E: EthSpec> {
    message: BidTrace,
    execution_payload: ExecutionPayloadCapella<E>,
    signature: SignatureBytes,
}

/// `SubmitBlockRequest` (deneb): adds the blobs bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct SubmitBlockRequestDeneb<E: EthSpec> {
    message: BidTrace,
    execution_payload: ExecutionPayloadDeneb<E>,
    blobs_bundle: BlobsBundleDeneb<E>,
    signature: SignatureBytes,
}

/// `SubmitBlockRequest` (electra): adds the execution requests; Deneb's blobs bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct SubmitBlockRequestElectra<E: EthSpec> {
    message: BidTrace,
    execution_payload: ExecutionPayloadElectra<E>,
    blobs_bundle: BlobsBundleDeneb<E>,
    execution_requests: ExecutionRequests<E>,
    signature: SignatureBytes,
}

/// `SubmitBlockRequest` (fulu): Fulu's blobs bundle, with cell proofs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct SubmitBlockRequestFulu<E: EthSpec> {
    message: BidTrace,
    execution_payload: ExecutionPayloadFulu<E>,
    blobs_bundle: BlobsBundleFulu<E>,
    execution_requests: ExecutionRequests<E>,
    signature: SignatureBytes,
}

/// What the checks need of a submission, whatever its fork.
trait Submission:
    Encode + Decode + TreeHash + Serialize + DeserializeOwned + PartialEq + Debug
{
    fn message(&self) -> &BidTrace;
    fn payload(&self) -> ExecutionPayload<E>;
    fn signature(&self) -> SignatureBytes;
}

macro_rules! impl_submission {
    ($($ty:ident => $variant:ident),*) => {$(
        impl Submission for $ty<E> {
            fn message(&self) -> &BidTrace {
                &self.message
            }
            fn payload(&self) -> ExecutionPayload<E> {
                ExecutionPayload::$variant(self.execution_payload.clone())
            }
            fn signature(&self) -> SignatureBytes {
                self.signature
            }
        }
    )*};
}

impl_submission!(
    SubmitBlockRequestCapella => Capella,
    SubmitBlockRequestDeneb => Deneb,
    SubmitBlockRequestElectra => Electra,
    SubmitBlockRequestFulu => Fulu
);

/// The beacon-API `publishBlock` body from Deneb (`SignedBlockContents`); only the block is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
struct SignedBlockContentsDeneb<E: EthSpec> {
    signed_block: SignedBeaconBlockDeneb<E>,
    kzg_proofs: VariableList<KzgProof, E::MaxBlobCommitmentsPerBlock>,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    blobs: Blobs<E>,
}

// ---------------------------------------------------------------------------------------------------
// Reading the captures and their expectations.
// ---------------------------------------------------------------------------------------------------

fn captures_dir() -> PathBuf {
    vectors_dir().join("relay-captures")
}

/// A file's bytes, gunzipped when its name ends in `.gz`.
fn read_maybe_gz(path: &Path) -> Vec<u8> {
    let raw = read(path);
    if path.extension().and_then(|e| e.to_str()) != Some("gz") {
        return raw;
    }
    let mut out = Vec::with_capacity(raw.len() * 4);
    GzDecoder::new(&raw[..])
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("gunzipping {}: {e}", path.display()));
    out
}

fn read_value(path: &Path) -> Value {
    serde_json::from_slice(&read_maybe_gz(path))
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// `value[key]`, which must be present.
fn field<'a>(value: &'a Value, key: &str) -> Result<&'a Value, String> {
    value
        .get(key)
        .filter(|v| !v.is_null())
        .ok_or_else(|| format!("EXPECTED entry has no {key:?}"))
}

/// The one member of `value` whose key contains `needle` (EXPECTED's keys name a Go test and more).
fn find<'a>(value: &'a Value, needle: &str) -> Result<&'a Value, String> {
    let object = value.as_object().ok_or("EXPECTED: not an object")?;
    let mut hits = object.iter().filter(|(k, _)| k.contains(needle));
    match (hits.next(), hits.next()) {
        (Some((_, v)), None) => Ok(v),
        (None, _) => Err(format!("EXPECTED entry has no key containing {needle:?}")),
        _ => Err(format!(
            "EXPECTED entry has several keys containing {needle:?}"
        )),
    }
}

fn as_str<'a>(value: &'a Value, what: &str) -> Result<&'a str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("{what}: not a string"))
}

fn h256(value: &Value, what: &str) -> Result<Hash256, String> {
    as_str(value, what)?
        .parse()
        .map_err(|e| format!("{what}: bad 32-byte hex: {e}"))
}

fn bytes4(value: &Value, what: &str) -> Result<[u8; 4], String> {
    let bytes = hex_bytes(as_str(value, what)?);
    bytes.try_into().map_err(|_| format!("{what}: not 4 bytes"))
}

fn u64_of(value: &Value, what: &str) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{what}: not an integer"))
}

fn expect_eq<T: PartialEq + Debug>(what: &str, actual: T, expected: T) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {actual:?}, expected {expected:?}"))
    }
}

fn expect_true(what: &str, value: &Value) -> Result<(), String> {
    expect_eq(what, value, &Value::Bool(true))
}

fn decode_json<T: DeserializeOwned>(json: &Value) -> Result<T, String> {
    serde_json::from_value(json.clone()).map_err(|e| format!("decoding the JSON: {e}"))
}

/// Hex is case-insensitive (the captures carry EIP-55 checksummed addresses, Go writes lower case), so
/// JSON round trips compare with every string lower-cased, as the upstream tests do.
fn lowercased(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_ascii_lowercase()),
        Value::Array(a) => Value::Array(a.iter().map(lowercased).collect()),
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, v)| (k.clone(), lowercased(v))).collect())
        }
        other => other.clone(),
    }
}

/// Our JSON of `value` equals the capture's (up to hex case).
fn json_round_trip<T: Serialize>(value: &T, input: &Value) -> Result<(), String> {
    let ours = serde_json::to_value(value).map_err(|e| format!("to JSON: {e}"))?;
    let (ours, theirs) = (lowercased(&ours), lowercased(input));
    if ours == theirs {
        return Ok(());
    }
    Err(format!(
        "JSON round trip differs: {}",
        first_json_difference(&theirs, &ours, "")
    ))
}

/// Expand `a/{x,y}-b.json` and `c{0..4}.json` in an EXPECTED key to the files it names.
fn expand_braces(pattern: &str) -> Vec<String> {
    let (Some(open), Some(close)) = (pattern.find('{'), pattern.find('}')) else {
        return vec![pattern.to_string()];
    };
    let (head, inner, tail) = (
        &pattern[..open],
        &pattern[open + 1..close],
        &pattern[close + 1..],
    );
    let items: Vec<String> = match inner.split_once("..") {
        Some((lo, hi)) => {
            let (lo, hi): (u32, u32) = (lo.parse().unwrap(), hi.parse().unwrap());
            (lo..=hi).map(|i| i.to_string()).collect()
        }
        None => inner.split(',').map(str::to_string).collect(),
    };
    items.iter().map(|i| format!("{head}{i}{tail}")).collect()
}

// ---------------------------------------------------------------------------------------------------
// Networks, domains and signatures.
// ---------------------------------------------------------------------------------------------------

/// `NETWORK_CONSTANTS_AND_DOMAINS.json`.
struct Networks(Value);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SigKind {
    /// `DOMAIN_APPLICATION_BUILDER` over the genesis fork version and a zero genesis validators root.
    Builder,
    /// `DOMAIN_BEACON_PROPOSER` over the block's fork version and the chain's genesis validators root.
    Proposer,
}

impl Networks {
    fn load() -> Self {
        let networks = Networks(read_value(
            &captures_dir().join("NETWORK_CONSTANTS_AND_DOMAINS.json"),
        ));
        // The domain types themselves, as the file states them.
        assert_eq!(
            hex_bytes(networks.0["DOMAIN_APPLICATION_BUILDER"].as_str().unwrap()),
            DOMAIN_APPLICATION_BUILDER
        );
        assert_eq!(
            hex_bytes(networks.0["DOMAIN_BEACON_PROPOSER"].as_str().unwrap()),
            DOMAIN_BEACON_PROPOSER
        );
        networks
    }

    fn network(&self, name: &str) -> Option<&Value> {
        self.0["networks"].get(name)
    }

    /// Every known network's builder domain: (name, domain), the domain recomputed (and equal to the
    /// stated one: see [`network_constants`]).
    fn builder_networks(&self) -> Vec<(String, Hash256)> {
        let networks = self.0["networks"].as_object().expect("networks");
        networks
            .iter()
            .map(|(name, n)| {
                let genesis = bytes4(&n["genesis"], name).unwrap();
                let domain = compute_domain(DOMAIN_APPLICATION_BUILDER, genesis, Hash256::ZERO);
                (name.clone(), domain)
            })
            .collect()
    }

    /// Recompute the domain of one `*_signature_verifies_with` item, compare it with the item's and
    /// with the network's stated domain, and return it.
    fn domain_of(&self, kind: SigKind, item: &Value) -> Result<Hash256, String> {
        let network = as_str(field(item, "network")?, "network")?;
        let version = bytes4(field(item, "fork_version")?, "fork_version")?;
        let stated = h256(field(item, "domain")?, "domain")?;
        let (domain_type, gvr) = match kind {
            SigKind::Builder => (DOMAIN_APPLICATION_BUILDER, Hash256::ZERO),
            SigKind::Proposer => (
                DOMAIN_BEACON_PROPOSER,
                h256(
                    field(item, "genesis_validators_root")?,
                    "genesis_validators_root",
                )?,
            ),
        };
        let domain = compute_domain(domain_type, version, gvr);
        expect_eq(&format!("{network} domain"), domain, stated)?;
        if let Some(n) = self.network(network) {
            let listed = match kind {
                SigKind::Builder => {
                    expect_eq(
                        &format!("{network} genesis fork version"),
                        version,
                        bytes4(&n["genesis"], network)?,
                    )?;
                    &n["domain_builder"]
                }
                SigKind::Proposer => {
                    expect_eq(
                        &format!("{network} genesis validators root"),
                        gvr,
                        h256(&n["gvr"], network)?,
                    )?;
                    let fork = ["bellatrix", "capella", "deneb", "electra", "fulu"]
                        .into_iter()
                        .find(|f| {
                            n.get(*f).and_then(Value::as_str).map(hex_bytes)
                                == Some(version.to_vec())
                        })
                        .ok_or_else(|| format!("{network} has no fork with version {version:?}"))?;
                    &n[format!("domain_beacon_proposer_{fork}")]
                }
            };
            expect_eq(
                &format!("{network} domain in the network constants"),
                domain,
                h256(listed, network)?,
            )?;
        }
        Ok(domain)
    }
}

/// Every domain `NETWORK_CONSTANTS_AND_DOMAINS.json` states, recomputed with `compute_domain` (builder
/// and each fork's proposer domain per network), and its other vectors.
fn network_constants(summary: &mut Summary, networks: &Networks) {
    let file = "NETWORK_CONSTANTS_AND_DOMAINS.json";
    for (name, n) in networks.0["networks"].as_object().expect("networks") {
        let result = (|| -> Result<(), String> {
            let genesis = bytes4(field(n, "genesis")?, "genesis")?;
            expect_eq(
                "builder domain",
                compute_domain(DOMAIN_APPLICATION_BUILDER, genesis, Hash256::ZERO),
                h256(field(n, "domain_builder")?, "domain_builder")?,
            )?;
            for fork in ["bellatrix", "capella", "deneb", "electra", "fulu"] {
                let Some(stated) = n.get(format!("domain_beacon_proposer_{fork}")) else {
                    continue;
                };
                let version = bytes4(field(n, fork)?, fork)?;
                let gvr = h256(field(n, "gvr")?, "gvr")?;
                expect_eq(
                    &format!("{fork} proposer domain"),
                    compute_domain(DOMAIN_BEACON_PROPOSER, version, gvr),
                    h256(stated, fork)?,
                )?;
            }
            Ok(())
        })();
        summary.record(format!("{file}/{name}"), result);
    }
    let other = &networks.0["other_vectors"];
    let result = (|| -> Result<(), String> {
        let vector = find(other, "compute_domain(0x07000000")?;
        let domain = compute_domain(
            [7, 0, 0, 0],
            [1, 0, 0, 0],
            h256(field(vector, "gvr")?, "gvr")?,
        );
        expect_eq(
            "domain",
            domain,
            h256(field(vector, "expected")?, "expected")?,
        )?;
        let vector = find(other, "empty transactions list root")?;
        expect_eq(
            "empty transactions root",
            Transactions::<E>::empty().tree_hash_root(),
            h256(field(vector, "expected")?, "expected")?,
        )
    })();
    summary.record(format!("{file}/other_vectors"), result);
}

/// `Verify(pubkey, compute_signing_root(object, domain), signature)`; undecodable points are errors.
fn signature_valid(
    pubkey: &PublicKeyBytes,
    signature: &SignatureBytes,
    object_root: Hash256,
    domain: Hash256,
) -> Result<bool, String> {
    let pk = bls::PublicKey::from_bytes(pubkey.as_bytes())
        .map_err(|e| format!("public key {pubkey}: {e}"))?;
    let sig =
        bls::Signature::from_bytes(signature.as_bytes()).map_err(|e| format!("signature: {e}"))?;
    let signing_root = compute_signing_root(&object_root, domain);
    Ok(sig.verify(&pk, signing_root.as_slice()))
}

/// The signature must verify under every item of `verifies_with`; a builder signature must also fail
/// under the builder domain of every other known network (the captures' "verifies ONLY with" claims).
/// An empty `verifies_with` is recorded as a skipped check, with `why_empty`, after checking that the
/// signature indeed verifies under no known network.
#[allow(clippy::too_many_arguments)]
fn check_signature(
    summary: &mut Summary,
    networks: &Networks,
    case: &str,
    kind: SigKind,
    verifies_with: &Value,
    pubkey: &PublicKeyBytes,
    signature: &SignatureBytes,
    object_root: Hash256,
    why_empty: &str,
) -> Result<(), String> {
    let items = verifies_with
        .as_array()
        .ok_or("signature_verifies_with: not a list")?;
    let mut valid_under = vec![];
    for item in items {
        let domain = networks.domain_of(kind, item)?;
        if !signature_valid(pubkey, signature, object_root, domain)? {
            return Err(format!("{kind:?} signature does not verify under {item}"));
        }
        valid_under.push(domain);
    }
    if kind == SigKind::Builder {
        for (name, domain) in networks.builder_networks() {
            if !valid_under.contains(&domain)
                && signature_valid(pubkey, signature, object_root, domain)?
            {
                return Err(format!(
                    "builder signature unexpectedly verifies under {name}'s builder domain"
                ));
            }
        }
    }
    if items.is_empty() {
        summary.skip(format!("{case}: {kind:?} signature"), why_empty);
    }
    Ok(())
}

/// The same signature over a changed message must fail (a negative case for every valid signature).
fn check_rejects_other_message(
    pubkey: &PublicKeyBytes,
    signature: &SignatureBytes,
    other_root: Hash256,
    domain: Hash256,
) -> Result<(), String> {
    if signature_valid(pubkey, signature, other_root, domain)? {
        return Err("signature verifies over a changed message".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Checks per container.
// ---------------------------------------------------------------------------------------------------

/// The capture's fork: the entry's `fork`, else the first word of its `container`. `None` for Bellatrix.
fn fork_of(entry: &Value) -> Result<Option<ForkName>, String> {
    let word = match entry.get("fork").and_then(Value::as_str) {
        Some(fork) => fork,
        None => as_str(field(entry, "container")?, "container")?
            .split_whitespace()
            .next()
            .unwrap_or(""),
    };
    if word == "bellatrix" {
        return Ok(None);
    }
    word.parse()
        .map(Some)
        .map_err(|e| format!("fork of the capture: {e}"))
}

const BELLATRIX: &str = "Bellatrix container: Blindfold's types start at Capella";

fn payload_of_block(block: &SignedBeaconBlock<E>) -> ExecutionPayload<E> {
    block.message_enum().body_enum().execution_payload_enum()
}

/// An `ExecutionPayload`: its root, block hash field and recomputed execution block hash as stated.
fn check_payload(
    fork: ForkName,
    json: &Value,
    root: Option<Hash256>,
    block_hash: Option<Hash256>,
    recomputed: Option<(Hash256, Option<Hash256>)>,
) -> Result<ExecutionPayload<E>, String> {
    let payload = ExecutionPayload::<E>::from_value_by_fork(json.clone(), fork)
        .map_err(|e| format!("decoding: {e}"))?;
    let bytes = payload.as_ssz_bytes();
    let back = ExecutionPayload::<E>::from_ssz_bytes_by_fork(&bytes, fork)
        .map_err(|e| format!("SSZ: {e:?}"))?;
    expect_eq("SSZ round trip", &back, &payload)?;
    json_round_trip(&payload, json)?;
    if let Some(root) = root {
        expect_eq("payload hash_tree_root", payload.tree_hash_root(), root)?;
    }
    if let Some(hash) = block_hash {
        expect_eq("payload block_hash", payload.block_hash(), hash)?;
    }
    if let Some((expected, parent_beacon_block_root)) = recomputed {
        let hash = execution_block_hash::compute_execution_block_hash(
            &payload,
            parent_beacon_block_root,
            None,
        )
        .map_err(|e| format!("recomputing the block hash: {e}"))?;
        expect_eq("recomputed execution block hash", hash, expected)?;
        expect_eq("payload block_hash field", payload.block_hash(), expected)?;
    }
    Ok(payload)
}

/// A `SignedBlindedBeaconBlock`, decoded and round-tripped; returns it for further checks.
fn decode_blinded(fork: ForkName, json: &Value) -> Result<SignedBlindedBeaconBlock<E>, String> {
    let block = SignedBlindedBeaconBlock::<E>::from_value_by_fork(json.clone(), fork)
        .map_err(|e| format!("decoding: {e}"))?;
    let back = SignedBlindedBeaconBlock::<E>::from_ssz_bytes_by_fork(&block.as_ssz_bytes(), fork)
        .map_err(|e| format!("SSZ: {e:?}"))?;
    expect_eq("SSZ round trip", &back, &block)?;
    json_round_trip(&block, json)?;
    Ok(block)
}

/// A (blinded or full) signed block's message root and signed root as `computed` states them, the
/// latter under `signed_key`.
fn check_block_roots(
    computed: &Value,
    signed_key: &str,
    block_root: Hash256,
    signed_root: Hash256,
) -> Result<(), String> {
    expect_eq(
        "block root",
        block_root,
        h256(field(computed, "block_root")?, "block_root")?,
    )?;
    expect_eq(
        "signed block root",
        signed_root,
        h256(field(computed, signed_key)?, signed_key)?,
    )
}

/// A proposer's signature over a (blinded or full) block: valid as stated, and invalid over a changed
/// block (slot + 1) and with another real signature of the same proposer (its RANDAO reveal) in its place.
#[allow(clippy::too_many_arguments)]
fn check_proposer_signature(
    summary: &mut Summary,
    networks: &Networks,
    case: &str,
    verifies_with: &Value,
    pubkey: &PublicKeyBytes,
    signature: &SignatureBytes,
    block_root: Hash256,
    changed_root: Hash256,
    randao_reveal: &SignatureBytes,
) -> Result<(), String> {
    check_signature(
        summary,
        networks,
        case,
        SigKind::Proposer,
        verifies_with,
        pubkey,
        signature,
        block_root,
        "no network stated",
    )?;
    for item in verifies_with.as_array().into_iter().flatten() {
        let domain = networks.domain_of(SigKind::Proposer, item)?;
        check_rejects_other_message(pubkey, signature, changed_root, domain)?;
        if signature_valid(pubkey, randao_reveal, block_root, domain)? {
            return Err("the RANDAO reveal verifies as the block signature".into());
        }
    }
    Ok(())
}

fn blinded_changed_root(block: &SignedBlindedBeaconBlock<E>) -> Hash256 {
    let mut message = block.message_enum();
    *message.slot_mut() += 1;
    message.tree_hash_root()
}

fn randao_of_blinded(block: &SignedBlindedBeaconBlock<E>) -> SignatureBytes {
    *block.message_enum().body_enum().randao_reveal()
}

/// A relay submission of type `S`; `G` is the type the Go test's root was computed with (the same,
/// except for the Electra capture, whose Go root is its Fulu-typed root: see the entry's CAVEAT).
fn check_submission<S: Submission, G: Submission>(
    summary: &mut Summary,
    networks: &Networks,
    case: &str,
    entry: &Value,
    json: &Value,
    ssz_bytes: &[u8],
) -> Result<(), String> {
    let go = field(entry, "go_test_asserts")?;
    let computed = field(entry, "computed_here")?;
    let ssz_test = find(go, "TestSSZBuilderSubmission")?;

    let request: S = decode_json(json)?;
    expect_true(
        "json_to_ssz_equals_ssz_file",
        field(ssz_test, "json_to_ssz_equals_ssz_file")?,
    )?;
    expect_true("ssz_matches_file", field(computed, "ssz_matches_file")?)?;
    let encoded = request.as_ssz_bytes();
    if encoded != ssz_bytes {
        return Err(format!(
            "SSZ of the JSON ({} bytes) differs from the .ssz file ({} bytes)",
            encoded.len(),
            ssz_bytes.len()
        ));
    }
    let ssz_length = field(find(go, "TestBuilderSubmitBlockSSZ")?, "ssz_length")?;
    expect_eq(
        "SSZ length",
        encoded.len() as u64,
        u64_of(ssz_length, "ssz_length")?,
    )?;
    let from_ssz = S::from_ssz_bytes(ssz_bytes).map_err(|e| format!("decoding the .ssz: {e:?}"))?;
    expect_eq("the .ssz decodes to the JSON's object", &from_ssz, &request)?;

    // Roots: ours as typed, and the Go test's (typed as G).
    expect_eq(
        "hash_tree_root",
        request.tree_hash_root(),
        h256(field(computed, "hash_tree_root")?, "hash_tree_root")?,
    )?;
    let as_go: G = decode_json(json)?;
    expect_eq("SSZ of the Go test's typing", as_go.as_ssz_bytes(), encoded)?;
    expect_eq(
        "the Go test's hash_tree_root",
        as_go.tree_hash_root(),
        h256(field(ssz_test, "hash_tree_root")?, "hash_tree_root")?,
    )?;
    expect_true(
        "ssz_roundtrip_json_equal",
        field(ssz_test, "ssz_roundtrip_json_equal")?,
    )?;
    json_round_trip(&from_ssz, json)?;

    let message = request.message();
    let payload = request.payload();
    expect_eq(
        "bid trace root",
        message.tree_hash_root(),
        h256(
            field(computed, "bidtrace_hash_tree_root")?,
            "bidtrace_hash_tree_root",
        )?,
    )?;
    let slot = field(find(go, "TestGetSlotFromBuilder")?, "slot")?;
    expect_eq("slot", message.slot, u64_of(slot, "slot")?)?;
    let block_hash = h256(
        field(find(go, "TestBuildGetPayloadResponse")?, "block_hash")?,
        "block_hash",
    )?;
    expect_eq("bid trace block_hash", message.block_hash, block_hash)?;
    expect_eq("payload block_hash", payload.block_hash(), block_hash)?;
    let withdrawals_root = payload.withdrawals().tree_hash_root();
    let fixture = find(go, "payload attributes fixture")?;
    expect_eq(
        "withdrawals root (Go fixture)",
        withdrawals_root,
        h256(find(fixture, "withdrawals_root")?, "withdrawals_root")?,
    )?;
    expect_eq(
        "withdrawals root",
        withdrawals_root,
        h256(field(computed, "withdrawals_root")?, "withdrawals_root")?,
    )?;

    let root = message.tree_hash_root();
    check_signature(
        summary,
        networks,
        case,
        SigKind::Builder,
        field(computed, "builder_signature_verifies_with")?,
        &message.builder_pubkey,
        &request.signature(),
        root,
        "the builder domain of this local devnet is unknown: the signature verifies under no known \
         network's genesis fork version (checked invalid under each)",
    )?;
    for item in computed["builder_signature_verifies_with"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let mut changed = message.clone();
        changed.slot += 1;
        let domain = networks.domain_of(SigKind::Builder, item)?;
        check_rejects_other_message(
            &message.builder_pubkey,
            &request.signature(),
            changed.tree_hash_root(),
            domain,
        )?;
    }
    Ok(())
}

/// A `SignedBuilderBid` (bare or in a `{version, data}` envelope), with its `.ssz` if given.
#[allow(clippy::too_many_arguments)]
fn check_builder_bid(
    summary: &mut Summary,
    networks: &Networks,
    case: &str,
    fork: ForkName,
    json: &Value,
    ssz_bytes: Option<&[u8]>,
    roots: &[(&str, Hash256)],
    verifies_with: Option<&Value>,
) -> Result<(), String> {
    let (bid, data) = if json.get("version").is_some() {
        let response = ForkVersionedResponse::<SignedBuilderBid<E>>::from_json_value(json.clone())
            .map_err(|e| format!("decoding the envelope: {e}"))?;
        expect_eq("version", response.version, fork)?;
        json_round_trip(&ForkVersionedResponse::new(response.data.clone()), json)?;
        (response.data, &json["data"])
    } else {
        let bid = SignedBuilderBid::<E>::from_value_by_fork(json.clone(), fork)
            .map_err(|e| format!("decoding: {e}"))?;
        (bid, json)
    };
    json_round_trip(&bid, data)?;
    let encoded = bid.as_ssz_bytes();
    if let Some(ssz_bytes) = ssz_bytes {
        if encoded != ssz_bytes {
            return Err("SSZ of the JSON differs from the .ssz file".into());
        }
    }
    let back = SignedBuilderBid::<E>::from_ssz_bytes_by_fork(&encoded, fork)
        .map_err(|e| format!("SSZ: {e:?}"))?;
    expect_eq("SSZ round trip", &back, &bid)?;
    let message = bid.message_enum();
    for (what, root) in roots {
        let actual = match *what {
            "message" => message.tree_hash_root(),
            _ => bid.tree_hash_root(),
        };
        expect_eq(&format!("{what} root"), actual, *root)?;
    }
    if let Some(verifies_with) = verifies_with {
        let mut changed = message.clone();
        *changed.value_mut() += U256::from(1);
        check_signature(
            summary,
            networks,
            case,
            SigKind::Builder,
            verifies_with,
            &message.pubkey(),
            &bid.signature(),
            message.tree_hash_root(),
            "no network stated",
        )?;
        for item in verifies_with.as_array().into_iter().flatten() {
            let domain = networks.domain_of(SigKind::Builder, item)?;
            check_rejects_other_message(
                &message.pubkey(),
                &bid.signature(),
                changed.tree_hash_root(),
                domain,
            )?;
        }
    }
    Ok(())
}

/// A list of `SignedValidatorRegistrationV1`: each must verify under `network`'s builder domain (which
/// is recomputed and compared with the network constants); the first must fail under every other one.
fn check_registration_list(
    networks: &Networks,
    json: &Value,
    count: u64,
    network: &str,
    first_root: Option<Hash256>,
) -> Result<(), String> {
    let list: Vec<SignedValidatorRegistrationV1> = decode_json(json)?;
    expect_eq("number of registrations", list.len() as u64, count)?;
    json_round_trip(&list, json)?;
    let n = networks
        .network(network)
        .ok_or_else(|| format!("unknown network {network}"))?;
    let item = serde_json::json!({"network": network, "fork_version": n["genesis"], "domain": n["domain_builder"]});
    let domain = networks.domain_of(SigKind::Builder, &item)?;
    if let Some(root) = first_root {
        expect_eq(
            "first registration root",
            list[0].message.tree_hash_root(),
            root,
        )?;
    }
    for (i, registration) in list.iter().enumerate() {
        let root = registration.message.tree_hash_root();
        let bytes = registration.as_ssz_bytes();
        expect_eq(
            "SSZ round trip",
            &SignedValidatorRegistrationV1::from_ssz_bytes(&bytes).map_err(|e| format!("{e:?}"))?,
            registration,
        )?;
        if !signature_valid(
            &registration.message.pubkey,
            &registration.signature,
            root,
            domain,
        )? {
            return Err(format!(
                "registration {i} does not verify under {network}'s builder domain"
            ));
        }
    }
    let first = &list[0];
    for (name, other) in networks.builder_networks() {
        if other != domain
            && signature_valid(
                &first.message.pubkey,
                &first.signature,
                first.message.tree_hash_root(),
                other,
            )?
        {
            return Err(format!(
                "registration 0 also verifies under {name}'s builder domain"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// The four families.
// ---------------------------------------------------------------------------------------------------

fn family(name: &str) -> (PathBuf, serde_json::Map<String, Value>) {
    let dir = captures_dir().join(name);
    let expected = read_value(&dir.join("EXPECTED.json"));
    let files = expected["files"]
        .as_object()
        .expect("EXPECTED.json has files")
        .clone();
    (dir, files)
}

/// One mev-boost-relay capture, by its container.
fn check_relay_entry(
    summary: &mut Summary,
    networks: &Networks,
    dir: &Path,
    file: &str,
    entry: &Value,
    ssz_path: Option<&Path>,
) -> Result<(), String> {
    let container = entry["container"].as_str().unwrap_or("");
    let path = dir.join("testdata").join(file);
    let json = read_value(&path);
    let computed = field(entry, "computed_here")?;
    if container.contains("list of SignedValidatorRegistrationV1") {
        // "kiln (every checked signature verifies ONLY with the Kiln builder domain, ...)"
        let network = as_str(field(entry, "network")?, "network")?;
        let network = network.split_whitespace().next().unwrap_or("");
        let summary_of = field(computed, "verify_summary")?;
        expect_eq(
            "verify_summary networks",
            summary_of.as_object().map(|o| o.len()),
            Some(1),
        )?;
        summary_of
            .get(network)
            .ok_or("verify_summary names another network")?;
        let first_root = computed
            .get("first_registration_root")
            .map(|r| h256(r, "root"))
            .transpose()?;
        let count = u64_of(field(entry, "count")?, "count")?;
        return check_registration_list(networks, &json, count, network, first_root);
    }
    let fork = fork_of(entry)?.ok_or("no Bellatrix capture expected in this family")?;
    let ssz_bytes = ssz_path.map(read_maybe_gz);
    if container.contains("SubmitBlockRequest") {
        let ssz_bytes = ssz_bytes.ok_or("no .ssz for a submission")?;
        return match fork {
            ForkName::Capella => check_submission::<
                SubmitBlockRequestCapella<E>,
                SubmitBlockRequestCapella<E>,
            >(summary, networks, file, entry, &json, &ssz_bytes),
            ForkName::Deneb => check_submission::<
                SubmitBlockRequestDeneb<E>,
                SubmitBlockRequestDeneb<E>,
            >(summary, networks, file, entry, &json, &ssz_bytes),
            ForkName::Electra => {
                // The Go test decodes this Electra JSON as a Fulu request (same JSON shape): its root
                // is the Fulu-typed one, with Fulu's cell-proof limit on the blobs bundle.
                let caveat = as_str(field(entry, "CAVEAT")?, "CAVEAT")?;
                if !caveat.contains("decoded as a FULU SubmitBlockRequest") {
                    return Err(
                        "the Electra CAVEAT no longer says the Go root is Fulu-typed".into(),
                    );
                }
                check_submission::<SubmitBlockRequestElectra<E>, SubmitBlockRequestFulu<E>>(
                    summary, networks, file, entry, &json, &ssz_bytes,
                )
            }
            ForkName::Fulu => check_submission::<
                SubmitBlockRequestFulu<E>,
                SubmitBlockRequestFulu<E>,
            >(summary, networks, file, entry, &json, &ssz_bytes),
        };
    }
    if container.contains("versioned SignedBuilderBid") {
        let go = find(field(entry, "go_test_asserts")?, "TestSSZGetHeaderResponse")?;
        expect_true(
            "json_to_ssz_equals_ssz_file",
            field(go, "json_to_ssz_equals_ssz_file")?,
        )?;
        expect_true("ssz_matches_file", field(computed, "ssz_matches_file")?)?;
        let roots = [
            (
                "signed bid (Go test)",
                h256(find(go, "hash_tree_root")?, "hash_tree_root")?,
            ),
            (
                "signed bid",
                h256(field(computed, "hash_tree_root")?, "hash_tree_root")?,
            ),
            (
                "message",
                h256(
                    field(computed, "builder_bid_message_root")?,
                    "builder_bid_message_root",
                )?,
            ),
        ];
        return check_builder_bid(
            summary,
            networks,
            file,
            fork,
            &json,
            ssz_bytes.as_deref(),
            &roots,
            Some(field(computed, "builder_signature_verifies_with")?),
        );
    }
    if container.contains("SignedBlindedBeaconBlock") {
        let block = decode_blinded(fork, &json)?;
        expect_eq("slot", block.slot(), u64_of(field(entry, "slot")?, "slot")?)?;
        check_block_roots(
            computed,
            "signed_block_hash_tree_root",
            block.message_root(),
            block.tree_hash_root(),
        )?;
        let go = find(
            field(entry, "go_test_asserts")?,
            "TestCheckProposerSignature",
        )?;
        expect_true("valid", field(go, "valid")?)?;
        let pubkey: PublicKeyBytes = decode_json(field(go, "proposer_pubkey")?)?;
        return check_proposer_signature(
            summary,
            networks,
            file,
            field(computed, "proposer_signature_verifies_with")?,
            &pubkey,
            &block.signature(),
            block.message_root(),
            blinded_changed_root(&block),
            &randao_of_blinded(&block),
        );
    }
    if container.contains("SignedBlockContents") {
        let contents: SignedBlockContentsDeneb<E> = decode_json(&json)?;
        json_round_trip(&contents, &json)?;
        expect_eq(
            "number of KZG proofs",
            contents.kzg_proofs.len(),
            contents.blobs.len(),
        )?;
        expect_eq(
            "number of blobs",
            contents.blobs.len(),
            contents
                .signed_block
                .message
                .body
                .blob_kzg_commitments
                .len(),
        )?;
        let block = SignedBeaconBlock::Deneb(contents.signed_block);
        check_block_roots(
            computed,
            "signed_block_hash_tree_root",
            block.message_root(),
            block.tree_hash_root(),
        )?;
        let parent_root = block.message_enum().parent_root();
        let expected = h256(find(computed, "el_block_hash_recomputed")?, "el_block_hash")?;
        expect_eq(
            "execution_payload.block_hash",
            h256(
                field(computed, "execution_payload.block_hash")?,
                "block_hash",
            )?,
            expected,
        )?;
        let payload = payload_of_block(&block);
        let hash =
            execution_block_hash::compute_execution_block_hash(&payload, Some(parent_root), None)
                .map_err(|e| format!("recomputing the block hash: {e}"))?;
        expect_eq("recomputed execution block hash", hash, expected)?;
        expect_eq("payload block_hash", payload.block_hash(), expected)?;
        summary.skip(
            format!("{file}: Proposer signature"),
            "the capture gives no proposer pubkey (and the beacon state is not in the vectors)",
        );
        return Ok(());
    }
    if container.contains("SignedBeaconBlock") {
        let block = SignedBeaconBlock::<E>::from_value_by_fork(json.clone(), fork)
            .map_err(|e| format!("decoding: {e}"))?;
        json_round_trip(&block, &json)?;
        expect_eq(
            "block root",
            block.message_root(),
            h256(field(computed, "block_root")?, "block_root")?,
        )?;
        // It is the unblinded form of the blinded capture of the same slot: blinding it gives that block.
        let blinded_file = file.replace("signedBeaconBlock", "signedBlindedBeaconBlock");
        let blinded = decode_blinded(fork, &read_value(&dir.join("testdata").join(&blinded_file)))?;
        expect_eq(
            "blinded form equals the blinded capture",
            &block.to_blinded(),
            &blinded,
        )?;
        let payload = payload_of_block(&block);
        expect_eq(
            "execution payload root",
            payload.tree_hash_root(),
            h256(field(computed, "execution_payload_hash_tree_root")?, "root")?,
        )?;
        let hash = h256(
            field(computed, "execution_payload.block_hash")?,
            "block_hash",
        )?;
        let recomputed = h256(
            field(computed, "el_block_hash_recomputed_from_payload")?,
            "hash",
        )?;
        expect_eq("payload block_hash", payload.block_hash(), hash)?;
        let parent = fork
            .deneb_enabled()
            .then(|| block.message_enum().parent_root());
        let actual = execution_block_hash::compute_execution_block_hash(&payload, parent, None)
            .map_err(|e| format!("recomputing the block hash: {e}"))?;
        expect_eq("recomputed execution block hash", actual, recomputed)?;
        let pubkey: PublicKeyBytes = decode_json(field(computed, "proposer_pubkey")?)?;
        let mut changed = block.message_enum();
        *changed.slot_mut() += 1;
        return check_proposer_signature(
            summary,
            networks,
            file,
            field(computed, "proposer_signature_verifies_with")?,
            &pubkey,
            &block.signature(),
            block.message_root(),
            changed.tree_hash_root(),
            block.message_enum().body_enum().randao_reveal(),
        );
    }
    if container.contains("ExecutionPayloadAndBlobsBundle") {
        let bundle = ExecutionPayloadAndBlobsBundle::<E>::from_value_by_fork(json.clone(), fork)
            .map_err(|e| format!("decoding: {e}"))?;
        json_round_trip(&bundle, &json)?;
        let back = ExecutionPayloadAndBlobsBundle::<E>::from_ssz_bytes_by_fork(
            &bundle.as_ssz_bytes(),
            fork,
        )
        .map_err(|e| format!("SSZ: {e:?}"))?;
        expect_eq("SSZ round trip", &back, &bundle)?;
        expect_eq(
            "root",
            bundle.tree_hash_root(),
            h256(field(computed, "hash_tree_root")?, "root")?,
        )?;
        let payload = bundle.execution_payload_enum();
        expect_eq(
            "execution payload root",
            payload.tree_hash_root(),
            h256(field(computed, "execution_payload_hash_tree_root")?, "root")?,
        )?;
        let blobs_root = match &bundle {
            ExecutionPayloadAndBlobsBundle::Deneb(b) => b.blobs_bundle.tree_hash_root(),
            ExecutionPayloadAndBlobsBundle::Electra(b) => b.blobs_bundle.tree_hash_root(),
            ExecutionPayloadAndBlobsBundle::Fulu(b) => b.blobs_bundle.tree_hash_root(),
        };
        expect_eq(
            "blobs bundle root",
            blobs_root,
            h256(field(computed, "blobs_bundle_hash_tree_root")?, "root")?,
        )?;
        expect_eq(
            "block hash",
            payload.block_hash(),
            h256(field(computed, "block_hash_field")?, "hash")?,
        )?;
        return Ok(());
    }
    if container.contains("ExecutionPayload") {
        let recomputed = h256(field(computed, "el_block_hash_recomputed")?, "hash")?;
        check_payload(
            fork,
            &json,
            Some(h256(field(computed, "hash_tree_root")?, "root")?),
            Some(h256(field(computed, "block_hash_field")?, "hash")?),
            Some((recomputed, None)),
        )?;
        return Ok(());
    }
    Err(format!("no handler for container {container:?}"))
}

/// flashbots/mev-boost-relay `testdata/`.
#[test]
fn relay_captures_mev_boost_relay() {
    let networks = Networks::load();
    let (dir, entries) = family("mev-boost-relay");
    let mut summary = Summary::new("relay_captures/mev-boost-relay");
    network_constants(&mut summary, &networks);
    for (key, entry) in &entries {
        let file = key.split_whitespace().next().unwrap_or(key);
        let ssz_path = if key.contains("(+ .ssz.gz)") {
            Some(
                dir.join("testdata")
                    .join(file.replace(".json.gz", ".ssz.gz")),
            )
        } else if key.contains("(+ .ssz)") {
            Some(dir.join("testdata").join(file.replace(".json", ".ssz")))
        } else {
            None
        };
        let container = entry["container"].as_str().unwrap_or("");
        if container.starts_with("minimal/partial JSON") {
            summary.skip(
                file,
                "a partial JSON fragment (message.slot, execution_payload.parent_hash only), not a \
                 decodable container: the Go test only peeks its slot",
            );
            continue;
        }
        if container.starts_with("relay website template data") {
            summary.skip(
                file,
                "relay website template data, not a consensus or builder-specs object",
            );
            continue;
        }
        let result = check_relay_entry(
            &mut summary,
            &networks,
            &dir,
            file,
            entry,
            ssz_path.as_deref(),
        );
        summary.record(file, result);
    }
    summary.finish();
}

/// flashbots/mev-boost `testdata/`, history and index copies, and registrations from its Go tests.
#[test]
fn relay_captures_mev_boost() {
    let networks = Networks::load();
    let (dir, entries) = family("mev-boost");
    let mut summary = Summary::new("relay_captures/mev-boost");
    for (key, entry) in &entries {
        for file in expand_braces(key) {
            let path = dir.join(&file);
            let fork = match fork_of(entry) {
                Ok(Some(fork)) => Some(fork),
                Ok(None) => {
                    summary.skip(&file, BELLATRIX);
                    continue;
                }
                Err(_) => None,
            };
            // `signed-builder-bid-{bellatrix,capella}.json` names its fork in the file name.
            let fork = if file.contains("-bellatrix") {
                summary.skip(&file, BELLATRIX);
                continue;
            } else if file.contains("signed-builder-bid-capella") {
                Some(ForkName::Capella)
            } else {
                fork
            };
            let container = entry["container"].as_str().unwrap_or("");
            let result = (|| -> Result<(), String> {
                let json = read_value(&path);
                if container.contains("SignedBlindedBeaconBlock") {
                    let fork = fork.ok_or("no fork")?;
                    let block = decode_blinded(fork, &json)?;
                    if let Some(computed) = entry.get("computed_here") {
                        expect_eq(
                            "slot",
                            block.slot(),
                            u64_of(field(computed, "slot")?, "slot")?,
                        )?;
                        check_block_roots(
                            computed,
                            "signed_htr",
                            block.message_root(),
                            block.tree_hash_root(),
                        )?;
                    }
                    let network = entry["network"].as_str().unwrap_or("");
                    if network.contains("network constants unknown") {
                        summary.skip(
                            format!("{file}: Proposer signature"),
                            "early devnet: network constants (fork version, genesis validators root) unknown",
                        );
                    } else if !container.contains("synthetic") {
                        return Err("a real blinded block without a signature check".into());
                    }
                    return Ok(());
                }
                if container.contains("ExecutionPayload") {
                    let fork = fork.ok_or("no fork")?;
                    let hash = h256(
                        find(field(entry, "go_test_asserts")?, "ComputeBlockHash")?,
                        "hash",
                    )?;
                    check_payload(fork, &json, None, None, Some((hash, None)))?;
                    return Ok(());
                }
                if container.contains("versioned SignedBuilderBid") {
                    // TestGetHeaderResponseJSON: decode and re-encode give the same JSON (synthetic keys, so
                    // no signature).
                    return check_builder_bid(
                        &mut summary,
                        &networks,
                        &file,
                        fork.ok_or("no fork")?,
                        &json,
                        None,
                        &[],
                        None,
                    );
                }
                if container.contains("SignedValidatorRegistrationV1") {
                    let results = field(entry, "results")?
                        .as_array()
                        .ok_or("results: not a list")?;
                    let captures = json.as_array().ok_or("registrations: not a list")?;
                    expect_eq("number of registrations", captures.len(), results.len())?;
                    for (i, (capture, result)) in captures.iter().zip(results).enumerate() {
                        let mut capture = capture.clone();
                        let source = capture.as_object_mut().and_then(|o| o.remove("_source"));
                        expect_eq(
                            &format!("registration {i} source"),
                            source.as_ref(),
                            result.get("source"),
                        )?;
                        let registration: SignedValidatorRegistrationV1 = decode_json(&capture)?;
                        json_round_trip(&registration, &capture)?;
                        let computed = field(result, "computed_here")?;
                        let root = registration.message.tree_hash_root();
                        expect_eq(
                            &format!("registration {i} root"),
                            root,
                            h256(field(computed, "registration_root")?, "registration_root")?,
                        )?;
                        let verifies_with = field(computed, "signature_verifies_with")?;
                        let (pubkey, signature) =
                            (&registration.message.pubkey, &registration.signature);
                        if verifies_with.as_array().is_some_and(|a| a.is_empty()) {
                            // The negative vector: invalid under the builder domain mev-boost uses (mainnet's,
                            // genesis fork version 0x00000000) and under every other known one.
                            let note = as_str(field(entry, "note")?, "note")?;
                            if !note.contains("does NOT verify") {
                                return Err(format!(
                                    "registration {i}: unverified but not a stated negative vector"
                                ));
                            }
                            // (Its pubkey, 0xf9..., is not even a valid G1 encoding: decoding it must fail or
                            // the signature must not verify; either way the registration is refused.)
                            for (name, domain) in networks.builder_networks() {
                                if signature_valid(pubkey, signature, root, domain).unwrap_or(false)
                                {
                                    return Err(format!(
                                        "negative registration {i} verifies under {name}"
                                    ));
                                }
                            }
                            continue;
                        }
                        check_signature(
                            &mut summary,
                            &networks,
                            &file,
                            SigKind::Builder,
                            verifies_with,
                            pubkey,
                            signature,
                            root,
                            "",
                        )?;
                    }
                    return Ok(());
                }
                Err(format!("no handler for container {container:?}"))
            })();
            summary.record(&file, result);
        }
    }
    summary.finish();
}

/// ralexstokes/mev-rs: the Flashbots Sepolia relay's signed builder bid from its Rust tests.
#[test]
fn relay_captures_mev_rs() {
    let networks = Networks::load();
    let (dir, entries) = family("mev-rs");
    let mut summary = Summary::new("relay_captures/mev-rs");
    for (file, entry) in &entries {
        let result = (|| -> Result<(), String> {
            let container = as_str(field(entry, "container")?, "container")?;
            if !container.contains("SignedBuilderBid") {
                return Err(format!("no handler for container {container:?}"));
            }
            let fork = fork_of(entry)?.ok_or("Bellatrix bid")?;
            let computed = field(entry, "computed_here")?;
            let roots = [
                (
                    "message",
                    h256(field(computed, "builder_bid_root")?, "builder_bid_root")?,
                ),
                (
                    "signed bid",
                    h256(
                        field(computed, "signed_builder_bid_hash_tree_root")?,
                        "root",
                    )?,
                ),
            ];
            check_builder_bid(
                &mut summary,
                &networks,
                file,
                fork,
                &read_value(&dir.join(file)),
                None,
                &roots,
                Some(field(computed, "builder_signature_verifies_with")?),
            )
        })();
        summary.record(file, result);
    }
    summary.finish();
}

/// flashbots/go-boost-utils `testdata/` and vectors extracted from its Go tests.
#[test]
fn relay_captures_go_boost_utils() {
    let (dir, entries) = family("go-boost-utils");
    let mut summary = Summary::new("relay_captures/go-boost-utils");
    for (key, entry) in &entries {
        match key.as_str() {
            "testdata/executionpayload/{bellatrix,capella,deneb}-case0.json" => {
                let hashes =
                    find(field(entry, "go_test_asserts").unwrap(), "TestComputeHash").unwrap();
                for file in expand_braces(key) {
                    if file.contains("bellatrix") {
                        summary.skip(
                            &file,
                            format!("{BELLATRIX} (no Bellatrix ExecutionPayload)"),
                        );
                        continue;
                    }
                    let base = file.rsplit('/').next().unwrap();
                    let result = (|| -> Result<(), String> {
                        let fork: ForkName = base
                            .split('-')
                            .next()
                            .unwrap_or("")
                            .parse()
                            .map_err(|e| format!("{e}"))?;
                        // The Deneb case's key also gives the parent beacon block root the hash commits to.
                        let (label, expected) = hashes
                            .as_object()
                            .and_then(|o| o.iter().find(|(k, _)| k.starts_with(base)))
                            .ok_or("no expected hash")?;
                        let parent_beacon_block_root =
                            match label.split_once("parent_beacon_block_root=") {
                                Some((_, rest)) => Some(h256(
                                    &Value::String(rest.trim_end_matches(')').to_string()),
                                    label,
                                )?),
                                None => None,
                            };
                        let json = read_value(&dir.join(&file));
                        check_payload(
                            fork,
                            &json,
                            None,
                            None,
                            Some((h256(expected, label)?, parent_beacon_block_root)),
                        )?;
                        Ok(())
                    })();
                    summary.record(&file, result);
                }
            }
            "testdata/kiln-signedBlindedBeaconBlock-899730.json"
            | "extracted/kiln-signed-builder-bid-bellatrix.json"
            | "testdata/signed-blinded-beacon-block-with-deposit.json" => {
                summary.skip(key, BELLATRIX);
            }
            "testdata/signed-beacon-block-case{0..4}.json" => {
                for file in expand_braces(key) {
                    summary.skip(file, BELLATRIX);
                }
            }
            "testdata/deposit/case0.json, depositdata_case0.json, eth1data_case0.json" => {
                // Fork-independent (phase0) containers. Their roots are not checked: EXPECTED.json says the
                // upstream ones were never asserted ("unverified, do not rely on").
                fn check<T>(json: &Value) -> Result<(), String>
                where
                    T: DeserializeOwned + Serialize + Encode + Decode + PartialEq + Debug,
                {
                    let value: T = decode_json(json)?;
                    json_round_trip(&value, json)?;
                    let back = T::from_ssz_bytes(&value.as_ssz_bytes())
                        .map_err(|e| format!("SSZ: {e:?}"))?;
                    expect_eq("SSZ round trip", &back, &value)
                }
                let testdata = dir.join("testdata");
                let cases: [(&str, Check); 3] = [
                    ("deposit/case0.json", check::<Deposit>),
                    ("depositdata_case0.json", check::<DepositData>),
                    ("eth1data_case0.json", check::<Eth1Data>),
                ];
                for (file, run) in cases {
                    summary.record(
                        format!("testdata/{file}"),
                        run(&read_value(&testdata.join(file))),
                    );
                }
            }
            "extracted/bls-and-domain-vectors.json" => {
                bls_and_domain_vectors(&mut summary, &read_value(&dir.join(key)))
            }
            other => summary.fail(other, "no handler for this EXPECTED entry"),
        }
    }
    summary.finish();
}

/// One file's check, for tables of cases.
type Check = fn(&Value) -> Result<(), String>;

/// go-boost-utils' inline BLS and domain vectors.
fn bls_and_domain_vectors(summary: &mut Summary, v: &Value) {
    for (i, item) in v["secret_to_pubkey"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let result = (|| -> Result<(), String> {
            let sk = bls::SecretKey::from_bytes(&hex_bytes(as_str(&item["secret"], "secret")?))
                .map_err(|e| e.to_string())?;
            expect_eq(
                "public key",
                sk.public_key().to_hex(),
                as_str(&item["pubkey"], "pubkey")?.to_string(),
            )
        })();
        summary.record(format!("bls/secret_to_pubkey/{i}"), result);
    }

    let teku = &v["verify_real_values_from_teku"];
    let result = (|| -> Result<(), String> {
        let pubkey = bls::PublicKey::from_bytes(&hex_bytes(as_str(&teku["pubkey"], "pubkey")?))
            .map_err(|e| e.to_string())?;
        let signature =
            bls::Signature::from_bytes(&hex_bytes(as_str(&teku["signature"], "signature")?))
                .map_err(|e| e.to_string())?;
        let root = hex_bytes(as_str(&teku["signing_root"], "signing_root")?);
        expect_eq(
            "valid",
            signature.verify(&pubkey, &root),
            teku["valid"].as_bool() == Some(true),
        )?;
        let mut other = root.clone();
        other[0] ^= 1;
        expect_eq(
            "valid over a changed root",
            signature.verify(&pubkey, &other),
            false,
        )
    })();
    summary.record("bls/verify_real_values_from_teku", result);

    let raw = &v["sign_raw_registration_root_TestVerifySignatureManualPk"];
    let result = (|| -> Result<(), String> {
        // The message signed is the registration's root itself, with no domain.
        let registration: ValidatorRegistrationV1 = decode_json(&raw["registration"])?;
        let root = registration.tree_hash_root();
        expect_eq(
            "registration root",
            root,
            h256(&raw["registration_root_computed_here"], "root")?,
        )?;
        let sk = bls::SecretKey::from_bytes(&hex_bytes(as_str(&raw["secret_key"], "secret_key")?))
            .map_err(|e| e.to_string())?;
        let signature = sk.sign(root.as_slice());
        expect_eq(
            "signature",
            signature.to_bytes().to_hex(),
            as_str(&raw["expected_signature"], "expected_signature")?.to_string(),
        )?;
        expect_eq(
            "verifies",
            signature.verify(&sk.public_key(), root.as_slice()),
            true,
        )
    })();
    summary.record("bls/sign_raw_registration_root", result);

    for (i, item) in v["compute_domain"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let result = (|| -> Result<(), String> {
            let domain = compute_domain(
                bytes4(&item["domain_type"], "domain_type")?,
                bytes4(&item["fork_version"], "fork_version")?,
                h256(&item["genesis_validators_root"], "genesis_validators_root")?,
            );
            expect_eq("domain", domain, h256(&item["expected"], "expected")?)
        })();
        summary.record(format!("compute_domain/{i}"), result);
    }
}
