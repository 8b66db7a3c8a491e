//! Batch verification: check many signatures with one multi-pairing instead of one pairing check each.
//!
//! Each set is weighted by an independent random 64-bit scalar before the sets are summed, so a forger
//! cannot make invalid sets cancel each other out (the chance of an invalid batch passing is about 2^-64).

use crate::{PublicKey, Signature, DST};
use blst::{blst_scalar, min_pk, BLST_ERROR};
use rand::Rng;

/// Bits of randomness per set: enough for security, and fewer bits make the scalar multiplications cheaper.
const RAND_BITS: usize = 64;

/// One signature to check: `signature` over `message` by the sum of `signing_keys` (one key for a
/// proposal, many for an attestation).
#[derive(Debug, Clone)]
pub struct SignatureSet<'a> {
    pub signature: &'a Signature,
    pub signing_keys: Vec<&'a PublicKey>,
    /// The 32-byte signing root.
    pub message: [u8; 32],
}

impl<'a> SignatureSet<'a> {
    pub fn single(signature: &'a Signature, signing_key: &'a PublicKey, message: [u8; 32]) -> Self {
        Self {
            signature,
            signing_keys: vec![signing_key],
            message,
        }
    }

    pub fn multiple(
        signature: &'a Signature,
        signing_keys: Vec<&'a PublicKey>,
        message: [u8; 32],
    ) -> Self {
        Self {
            signature,
            signing_keys,
            message,
        }
    }

    /// Check this set on its own.
    pub fn verify(&self) -> bool {
        self.signature
            .fast_aggregate_verify(&self.signing_keys, &self.message)
    }
}

/// True only if every set is valid. An empty batch, or a set with no keys, is invalid: an empty batch
/// proves nothing, and treating it as valid would turn a caller's bug into an accepted block.
pub fn verify_signature_sets(sets: &[SignatureSet<'_>]) -> bool {
    if sets.is_empty() {
        return false;
    }
    if sets.len() == 1 {
        return sets[0].verify();
    }

    // Aggregate each set's keys into one key first: blst's multi-verification takes one key per signature.
    let mut keys = Vec::with_capacity(sets.len());
    for set in sets {
        let Some((first, rest)) = set.signing_keys.split_first() else {
            return false;
        };
        if rest.is_empty() {
            keys.push(*first.point());
            continue;
        }
        let Some(key) = crate::keys::verifying_sum(&set.signing_keys) else {
            return false;
        };
        keys.push(key);
    }

    let mut rng = rand::thread_rng();
    let rands: Vec<blst_scalar> = sets
        .iter()
        .map(|_| {
            let mut scalar = blst_scalar::default();
            let r: u64 = rng.gen_range(1..=u64::MAX);
            scalar.b[..8].copy_from_slice(&r.to_le_bytes());
            scalar
        })
        .collect();
    let key_refs: Vec<&min_pk::PublicKey> = keys.iter().collect();
    let signatures: Vec<&min_pk::Signature> = sets.iter().map(|s| s.signature.point()).collect();
    let messages: Vec<&[u8]> = sets.iter().map(|s| s.message.as_slice()).collect();

    // Keys and signatures were subgroup-checked when they were built.
    min_pk::Signature::verify_multiple_aggregate_signatures(
        &messages,
        DST,
        &key_refs,
        false,
        &signatures,
        false,
        &rands,
        RAND_BITS,
    ) == BLST_ERROR::BLST_SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AggregateSignature, SecretKey};

    struct Fixture {
        keys: Vec<SecretKey>,
        pubkeys: Vec<PublicKey>,
    }

    fn fixture(n: usize) -> Fixture {
        let keys: Vec<SecretKey> = (0..n).map(|_| SecretKey::random()).collect();
        let pubkeys = keys.iter().map(|k| k.public_key()).collect();
        Fixture { keys, pubkeys }
    }

    #[test]
    fn empty_batch_is_invalid() {
        assert!(!verify_signature_sets(&[]));
    }

    #[test]
    fn mixed_single_and_multi_key_sets() {
        let f = fixture(4);
        let single_msgs = [[1u8; 32], [2u8; 32]];
        let singles: Vec<Signature> = f.keys[..2]
            .iter()
            .zip(&single_msgs)
            .map(|(k, m)| k.sign(m))
            .collect();
        let multi_msg = [3u8; 32];
        let multi = AggregateSignature::aggregate(&[
            f.keys[2].sign(&multi_msg),
            f.keys[3].sign(&multi_msg),
        ])
        .unwrap();

        let mut sets = vec![
            SignatureSet::single(&singles[0], &f.pubkeys[0], single_msgs[0]),
            SignatureSet::single(&singles[1], &f.pubkeys[1], single_msgs[1]),
            SignatureSet::multiple(&multi, vec![&f.pubkeys[2], &f.pubkeys[3]], multi_msg),
        ];
        assert!(verify_signature_sets(&sets));
        assert!(verify_signature_sets(&sets[2..]));

        // A wrong message in any one set sinks the batch.
        sets[1].message = [9u8; 32];
        assert!(!verify_signature_sets(&sets));
        sets[1].message = single_msgs[1];

        // A missing key in the multi-key set sinks the batch.
        sets[2].signing_keys.pop();
        assert!(!verify_signature_sets(&sets));

        // A set without keys is invalid.
        sets[2].signing_keys.clear();
        assert!(!verify_signature_sets(&sets));
    }

    #[test]
    fn swapped_signatures_fail() {
        let f = fixture(2);
        let msgs = [[1u8; 32], [2u8; 32]];
        let sigs: Vec<Signature> = f.keys.iter().zip(&msgs).map(|(k, m)| k.sign(m)).collect();
        let sets = vec![
            SignatureSet::single(&sigs[1], &f.pubkeys[0], msgs[0]),
            SignatureSet::single(&sigs[0], &f.pubkeys[1], msgs[1]),
        ];
        assert!(!verify_signature_sets(&sets));
    }
}
