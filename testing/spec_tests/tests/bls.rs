//! consensus-spec-tests `general/phase0/bls`: the BLS operations the spec relies on, run against the `bls`
//! crate. One test per handler; each records every case in its own [`Summary`].

use bls::{
    hash_to_g2, verify_signature_sets, AggregateSignature, Error, PublicKey, SecretKey, Signature,
    SignatureSet,
};
use serde::Deserialize;
use spec_tests::{hex_bytes, name, read_yaml, subdirs, vectors_dir, Summary};

/// Run `check` on every case of `handler`, each reading its own `data.yaml`.
fn run<T: serde::de::DeserializeOwned>(handler: &str, check: impl Fn(T) -> Result<(), String>) {
    let dir = vectors_dir()
        .join("consensus-spec-tests/tests/general/phase0/bls")
        .join(handler)
        .join("bls");
    let mut summary = Summary::new(format!("bls/{handler}"));
    for case in subdirs(&dir) {
        let data: T = read_yaml(&case.join("data.yaml"));
        summary.record(name(&case), check(data));
    }
    summary.finish();
}

/// The vectors' convention: `output` is the expected value, or null when the operation must fail.
#[derive(Deserialize)]
struct Case<I, O> {
    input: I,
    output: O,
}

fn expect_eq<T: PartialEq + std::fmt::Debug>(actual: T, expected: T) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {actual:?}"))
    }
}

fn public_key(hex: &str) -> Option<PublicKey> {
    PublicKey::from_bytes(&hex_bytes(hex)).ok()
}

fn signature(hex: &str) -> Option<Signature> {
    Signature::from_bytes(&hex_bytes(hex)).ok()
}

/// All keys, or `None` if any fails `KeyValidate` (which makes the spec's verify functions return false).
fn public_keys(hexes: &[String]) -> Option<Vec<PublicKey>> {
    hexes.iter().map(|h| public_key(h)).collect()
}

#[derive(Deserialize)]
struct SignInput {
    privkey: String,
    message: String,
}

#[test]
fn sign() {
    run("sign", |case: Case<SignInput, Option<String>>| {
        let signature = SecretKey::from_bytes(&hex_bytes(&case.input.privkey))
            .ok()
            .map(|sk| sk.sign(&hex_bytes(&case.input.message)).to_bytes().to_hex());
        expect_eq(signature, case.output)
    });
}

#[derive(Deserialize)]
struct VerifyInput {
    pubkey: String,
    message: String,
    signature: String,
}

#[test]
fn verify() {
    run("verify", |case: Case<VerifyInput, bool>| {
        let valid = match (
            public_key(&case.input.pubkey),
            signature(&case.input.signature),
        ) {
            (Some(pk), Some(sig)) => sig.verify(&pk, &hex_bytes(&case.input.message)),
            _ => false,
        };
        expect_eq(valid, case.output)
    });
}

#[test]
fn aggregate() {
    run("aggregate", |case: Case<Vec<String>, Option<String>>| {
        let signatures: Option<Vec<Signature>> = case.input.iter().map(|h| signature(h)).collect();
        let aggregate = signatures
            .and_then(|sigs| AggregateSignature::aggregate(&sigs).ok())
            .map(|sig| sig.to_bytes().to_hex());
        expect_eq(aggregate, case.output)
    });
}

#[derive(Deserialize)]
struct FastAggregateVerifyInput {
    pubkeys: Vec<String>,
    message: String,
    signature: String,
}

#[test]
fn fast_aggregate_verify() {
    run(
        "fast_aggregate_verify",
        |case: Case<FastAggregateVerifyInput, bool>| {
            let valid = match (
                public_keys(&case.input.pubkeys),
                signature(&case.input.signature),
            ) {
                (Some(pks), Some(sig)) => {
                    let refs: Vec<&PublicKey> = pks.iter().collect();
                    sig.fast_aggregate_verify(&refs, &hex_bytes(&case.input.message))
                }
                _ => false,
            };
            expect_eq(valid, case.output)
        },
    );
}

#[derive(Deserialize)]
struct AggregateVerifyInput {
    pubkeys: Vec<String>,
    messages: Vec<String>,
    signature: String,
}

#[test]
fn aggregate_verify() {
    run(
        "aggregate_verify",
        |case: Case<AggregateVerifyInput, bool>| {
            let valid = match (
                public_keys(&case.input.pubkeys),
                signature(&case.input.signature),
            ) {
                (Some(pks), Some(sig)) => {
                    let refs: Vec<&PublicKey> = pks.iter().collect();
                    let messages: Vec<Vec<u8>> =
                        case.input.messages.iter().map(|m| hex_bytes(m)).collect();
                    let message_refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
                    sig.aggregate_verify(&refs, &message_refs)
                }
                _ => false,
            };
            expect_eq(valid, case.output)
        },
    );
}

#[derive(Deserialize)]
struct BatchVerifyInput {
    pubkeys: Vec<String>,
    messages: Vec<String>,
    signatures: Vec<String>,
}

#[test]
fn batch_verify() {
    run("batch_verify", |case: Case<BatchVerifyInput, bool>| {
        let input = case.input;
        if input.pubkeys.len() != input.messages.len()
            || input.pubkeys.len() != input.signatures.len()
        {
            return Err("malformed case: list lengths differ".into());
        }
        let signatures: Option<Vec<Signature>> =
            input.signatures.iter().map(|h| signature(h)).collect();
        let messages: Option<Vec<[u8; 32]>> = input
            .messages
            .iter()
            .map(|m| hex_bytes(m).try_into().ok())
            .collect();
        let valid = match (public_keys(&input.pubkeys), signatures, messages) {
            (Some(pks), Some(sigs), Some(msgs)) => {
                let sets: Vec<SignatureSet> = (0..pks.len())
                    .map(|i| SignatureSet::single(&sigs[i], &pks[i], msgs[i]))
                    .collect();
                verify_signature_sets(&sets)
            }
            _ => false,
        };
        expect_eq(valid, case.output)
    });
}

#[derive(Deserialize)]
struct PubkeyInput {
    pubkey: String,
}

#[test]
fn deserialization_g1() {
    run("deserialization_G1", |case: Case<PubkeyInput, bool>| {
        // These vectors test decoding alone, where the point at infinity is a valid encoding. `PublicKey`
        // goes on to apply `KeyValidate`, which refuses infinity with its own error, so that error still
        // means "decoded".
        let decoded = match PublicKey::from_bytes(&hex_bytes(&case.input.pubkey)) {
            Ok(_) | Err(Error::InfinityPublicKey) => true,
            Err(_) => false,
        };
        expect_eq(decoded, case.output)
    });
}

#[derive(Deserialize)]
struct SignatureInput {
    signature: String,
}

#[test]
fn deserialization_g2() {
    run("deserialization_G2", |case: Case<SignatureInput, bool>| {
        expect_eq(signature(&case.input.signature).is_some(), case.output)
    });
}

#[derive(Deserialize)]
struct HashToG2Input {
    msg: String,
}

#[derive(Deserialize)]
struct HashToG2Output {
    /// `"0x<c0>,0x<c1>"`: the Fp2 coordinate as its two Fp components, real part first.
    x: String,
    y: String,
}

/// An Fp2 coordinate as the vectors print it, re-encoded in blst's serialisation order (`c1` then `c0`).
fn fp2(coordinate: &str) -> Result<Vec<u8>, String> {
    let (c0, c1) = coordinate
        .split_once(',')
        .ok_or_else(|| format!("malformed Fp2 {coordinate:?}"))?;
    let (c0, c1) = (hex_bytes(c0), hex_bytes(c1));
    if c0.len() != 48 || c1.len() != 48 {
        return Err(format!("malformed Fp2 {coordinate:?}"));
    }
    Ok([c1, c0].concat())
}

/// These vectors are RFC 9380's own (appendix J.10.1), made with the RFC's test DST, not the consensus one.
const RFC9380_TEST_DST: &[u8] = b"QUUX-V01-CS02-with-BLS12381G2_XMD:SHA-256_SSWU_RO_";

#[test]
fn hash_to_g2_vectors() {
    run("hash_to_G2", |case: Case<HashToG2Input, HashToG2Output>| {
        let point = hash_to_g2(case.input.msg.as_bytes(), RFC9380_TEST_DST);
        let expected = [fp2(&case.output.x)?, fp2(&case.output.y)?].concat();
        expect_eq(hex::encode(point), hex::encode(expected))
    });
}
