//! Signature checking for block processing: verify each signature as it is met, collect them and verify
//! the whole block's signatures as one blst batch, or skip them (block production, tests).

use crate::validator_keys::ValidatorKeys;
use crate::{Result, StateError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use types::ssz_types::typenum;
use types::RegistryList;
use types::{PublicKeyBytes, Root, SignatureBytes, Validator};

/// Decompressed (and `KeyValidate`d) public keys by their compressed bytes, shared by every clone of the
/// caches that hold it: decompressing a key costs tens of microseconds, and a block names thousands of
/// attesters and 512 sync committee members, nearly all seen before. Keyed by the bytes, not the
/// validator index, so that states of different branches (whose late deposits may differ) can share it.
/// Grows to one entry per key that has signed (about 200 bytes each: ~200 MiB at 2^20 validators). Only
/// registry keys reach it (a BLS-to-execution change's key is checked against the withdrawal credentials
/// first), so it is bounded by the registry; it is capped besides at [`DECOMPRESSED_PUBKEYS_MAX`] entries
/// (about 400 MiB), past which new keys are decoded without being remembered. Nothing is evicted: a
/// validator that signed once will sign again each epoch until it exits.
#[derive(Debug, Clone)]
pub struct DecompressedPubkeys {
    keys: Arc<Mutex<HashMap<PublicKeyBytes, Option<bls::PublicKey>>>>,
    limit: usize,
}

/// The most keys [`DecompressedPubkeys`] remembers: twice mainnet's 2^20 active validators.
pub const DECOMPRESSED_PUBKEYS_MAX: usize = 1 << 21;

impl Default for DecompressedPubkeys {
    fn default() -> Self {
        Self::with_limit(DECOMPRESSED_PUBKEYS_MAX)
    }
}

impl DecompressedPubkeys {
    /// An empty memory that remembers at most `limit` keys.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            keys: Arc::default(),
            limit,
        }
    }

    /// How many keys (valid or not) are remembered.
    pub fn len(&self) -> usize {
        self.keys.lock().map(|k| k.len()).unwrap_or(0)
    }

    /// Whether nothing is remembered yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Decode `pubkeys`, from memory where possible; `None` if any does not decode.
    fn decode<'a>(
        &self,
        pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
    ) -> Option<Vec<bls::PublicKey>> {
        let Ok(mut memo) = self.keys.lock() else {
            // A panic elsewhere poisoned the lock: decode without the memory.
            return pubkeys
                .into_iter()
                .map(|pk| bls::PublicKey::from_bytes(&pk.0).ok())
                .collect();
        };
        pubkeys
            .into_iter()
            .map(|pk| {
                if let Some(known) = memo.get(pk) {
                    return *known;
                }
                let decoded = bls::PublicKey::from_bytes(&pk.0).ok();
                if memo.len() < self.limit {
                    memo.insert(*pk, decoded);
                }
                decoded
            })
            .collect()
    }
}

/// Whether and how block processing checks BLS signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifySignatures {
    /// Verify every signature when it is met; the first bad one fails the step.
    Individually,
    /// Collect every signature of the block and verify them in one batch at the end
    /// ([`SignatureVerifier::finish`]); any bad one fails the block.
    Batch,
    /// Check no signature (block production, where the proposer has not signed yet; tests).
    Skip,
}

/// One collected signature set, owned (decoded keys and signature).
struct PendingSet {
    what: &'static str,
    signature: bls::Signature,
    keys: Vec<bls::PublicKey>,
    message: [u8; 32],
}

/// Applies a [`VerifySignatures`] policy to the signatures a block carries.
pub struct SignatureVerifier {
    mode: VerifySignatures,
    pending: Vec<PendingSet>,
    decompressed: Option<DecompressedPubkeys>,
    validator_keys: ValidatorKeys,
}

fn invalid(what: &str, reason: &str) -> StateError {
    StateError::InvalidBlock(format!("{what}: {reason}"))
}

impl SignatureVerifier {
    pub fn new(mode: VerifySignatures) -> Self {
        Self {
            mode,
            pending: vec![],
            decompressed: None,
            validator_keys: ValidatorKeys::default(),
        }
    }

    /// Look validators' keys up by index in `keys` (a state's [`crate::caches::PubkeyCache`] keys),
    /// for [`Self::add_validators`].
    pub fn with_validator_keys(mut self, keys: &ValidatorKeys) -> Self {
        self.validator_keys = keys.clone();
        self
    }

    /// Decode keys through `decompressed` (remembering each key once decoded).
    pub fn with_decompressed_pubkeys(mut self, decompressed: DecompressedPubkeys) -> Self {
        self.decompressed = Some(decompressed);
        self
    }

    /// The policy.
    pub fn mode(&self) -> VerifySignatures {
        self.mode
    }

    /// Whether signatures are checked at all.
    pub fn enabled(&self) -> bool {
        self.mode != VerifySignatures::Skip
    }

    /// `FastAggregateVerify(pubkeys, signing_root, signature)` (a single key is plain `Verify`). Keys or a
    /// signature that do not decode make the signature invalid.
    pub fn add<'a>(
        &mut self,
        what: &'static str,
        signature: &SignatureBytes,
        pubkeys: impl IntoIterator<Item = &'a PublicKeyBytes>,
        signing_root: Root,
    ) -> Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        let keys = match &self.decompressed {
            Some(decompressed) => decompressed.decode(pubkeys),
            None => pubkeys
                .into_iter()
                .map(|pk| bls::PublicKey::from_bytes(&pk.0).ok())
                .collect(),
        }
        .ok_or_else(|| invalid(what, "public key does not decode"))?;
        self.add_decoded(what, signature, keys, signing_root)
    }

    /// [`Self::add`] for the keys of validators `indices` of `validators` (a state's registry): from the
    /// verifier's validator keys where they hold the index (no tree walk, decoded once), else read
    /// from the registry.
    pub fn add_validators<N: typenum::Unsigned>(
        &mut self,
        what: &'static str,
        signature: &SignatureBytes,
        indices: &[u64],
        validators: &RegistryList<Validator, N>,
        signing_root: Root,
    ) -> Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        let mut keys = Vec::with_capacity(indices.len());
        let mut unheld = Vec::new();
        for &index in indices {
            match self.validator_keys.get(index as usize) {
                Some(Some(key)) => keys.push(key),
                Some(None) => return Err(invalid(what, "public key does not decode")),
                None => {
                    let validator = validators
                        .get(index as usize)
                        .ok_or(StateError::UnknownValidator(index))?;
                    unheld.push(validator.pubkey);
                }
            }
        }
        if !unheld.is_empty() {
            let decoded = match &self.decompressed {
                Some(decompressed) => decompressed.decode(&unheld),
                None => unheld
                    .iter()
                    .map(|pk| bls::PublicKey::from_bytes(&pk.0).ok())
                    .collect(),
            }
            .ok_or_else(|| invalid(what, "public key does not decode"))?;
            keys.extend(decoded);
        }
        self.add_decoded(what, signature, keys, signing_root)
    }

    /// As [`Self::add`], with keys already decoded.
    pub fn add_decoded(
        &mut self,
        what: &'static str,
        signature: &SignatureBytes,
        keys: Vec<bls::PublicKey>,
        signing_root: Root,
    ) -> Result<()> {
        if !self.enabled() {
            return Ok(());
        }
        if keys.is_empty() {
            return Err(invalid(what, "no signing keys"));
        }
        let signature = bls::Signature::from_bytes(&signature.0)
            .map_err(|_| invalid(what, "signature does not decode"))?;
        let set = PendingSet {
            what,
            signature,
            keys,
            message: signing_root.0,
        };
        match self.mode {
            VerifySignatures::Individually => {
                let refs: Vec<&bls::PublicKey> = set.keys.iter().collect();
                if !set.signature.fast_aggregate_verify(&refs, &set.message) {
                    return Err(invalid(what, "invalid signature"));
                }
            }
            VerifySignatures::Batch => self.pending.push(set),
            VerifySignatures::Skip => {}
        }
        Ok(())
    }

    /// Verify the collected batch (a no-op unless batching). On failure, re-checks one by one to name
    /// the bad signature.
    pub fn finish(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let sets: Vec<bls::SignatureSet<'_>> = pending
            .iter()
            .map(|p| bls::SignatureSet::multiple(&p.signature, p.keys.iter().collect(), p.message))
            .collect();
        if bls::verify_signature_sets(&sets) {
            return Ok(());
        }
        let bad = sets
            .iter()
            .zip(&pending)
            .find(|(set, _)| !set.verify())
            .map(|(_, p)| p.what)
            .unwrap_or("batch");
        Err(invalid(bad, "invalid signature"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(index: u64, message: [u8; 32]) -> (PublicKeyBytes, SignatureBytes) {
        let sk = bls::interop_secret_key(index);
        (sk.public_key().to_bytes(), sk.sign(&message).to_bytes())
    }

    #[test]
    fn every_mode_accepts_good_signatures() {
        for mode in [
            VerifySignatures::Individually,
            VerifySignatures::Batch,
            VerifySignatures::Skip,
        ] {
            let mut verifier = SignatureVerifier::new(mode);
            for i in 0..3u64 {
                let message = [i as u8; 32];
                let (pk, sig) = signed(i, message);
                verifier
                    .add("test", &sig, [&pk], Root::from(message))
                    .unwrap();
            }
            verifier.finish().unwrap();
        }
    }

    #[test]
    fn remembered_keys_verify_alike_and_bad_keys_stay_bad() {
        let decompressed = DecompressedPubkeys::default();
        for round in 0..2 {
            let mut verifier = SignatureVerifier::new(VerifySignatures::Individually)
                .with_decompressed_pubkeys(decompressed.clone());
            let (pk, sig) = signed(3, [3; 32]);
            verifier
                .add("good", &sig, [&pk], Root::from([3; 32]))
                .unwrap();
            let (_, wrong) = signed(4, [3; 32]);
            assert!(verifier
                .add("bad", &wrong, [&pk], Root::from([3; 32]))
                .is_err());
            let not_a_key = PublicKeyBytes([0x11; 48]);
            assert!(verifier
                .add("undecodable", &sig, [&not_a_key], Root::from([3; 32]))
                .is_err());
            assert_eq!(decompressed.len(), 2, "round {round}");
        }
    }

    #[test]
    fn remembered_keys_stop_at_the_limit_and_the_rest_still_verify() {
        let decompressed = DecompressedPubkeys::with_limit(2);
        let mut verifier = SignatureVerifier::new(VerifySignatures::Individually)
            .with_decompressed_pubkeys(decompressed.clone());
        for i in 0..4u64 {
            let message = [i as u8; 32];
            let (pk, sig) = signed(i, message);
            verifier
                .add("good", &sig, [&pk], Root::from(message))
                .unwrap();
            let (_, wrong) = signed(i + 10, message);
            assert!(verifier
                .add("bad", &wrong, [&pk], Root::from(message))
                .is_err());
        }
        assert_eq!(decompressed.len(), 2);
    }

    #[test]
    fn a_bad_signature_fails_now_or_at_the_end_of_the_batch() {
        let (pk, _) = signed(0, [1; 32]);
        let (_, wrong) = signed(1, [1; 32]);
        let mut individually = SignatureVerifier::new(VerifySignatures::Individually);
        assert!(individually
            .add("bad", &wrong, [&pk], Root::from([1; 32]))
            .is_err());

        let mut batch = SignatureVerifier::new(VerifySignatures::Batch);
        let (good_pk, good_sig) = signed(2, [2; 32]);
        batch
            .add("good", &good_sig, [&good_pk], Root::from([2; 32]))
            .unwrap();
        batch
            .add("bad", &wrong, [&pk], Root::from([1; 32]))
            .unwrap();
        let err = batch.finish().unwrap_err();
        assert!(err.to_string().contains("bad"), "{err}");

        let mut skip = SignatureVerifier::new(VerifySignatures::Skip);
        skip.add("bad", &wrong, [&pk], Root::from([1; 32])).unwrap();
        skip.finish().unwrap();
    }
}
