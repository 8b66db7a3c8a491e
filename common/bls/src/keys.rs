//! Checked keys and signatures over `blst::min_pk` (public keys in G1, signatures in G2), with the
//! proof-of-possession ciphersuite the consensus layer uses.
//!
//! Every `PublicKey` and `Signature` value has passed decoding and the subgroup check once, when it was
//! built, so verification never repeats those checks.

use crate::{Error, PublicKeyBytes, SignatureBytes, DST};
use blst::BLST_ERROR;
use blst::{min_pk, MultiPoint};
use rand::RngCore;
use std::fmt;
use std::hash::{Hash, Hasher};
use zeroize::Zeroizing;

/// Map blst's decoding errors onto ours.
fn decode_error(e: BLST_ERROR) -> Error {
    match e {
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => Error::NotInSubgroup,
        BLST_ERROR::BLST_PK_IS_INFINITY => Error::InfinityPublicKey,
        _ => Error::InvalidPoint,
    }
}

/// A BLS secret key: a non-zero scalar below the curve order.
///
/// The scalar is wiped from memory on drop, and `Debug` never prints it, so a key cannot leak through
/// logs or freed memory.
#[derive(Clone)]
pub struct SecretKey(min_pk::SecretKey);

impl SecretKey {
    pub const LEN: usize = 32;

    /// Parse a big-endian 32-byte scalar. Zero and values at or above the curve order are rejected: a zero
    /// key would sign everything with the point at infinity.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength {
                expected: Self::LEN,
                got: bytes.len(),
            });
        }
        min_pk::SecretKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| Error::InvalidSecretKey)
    }

    /// The big-endian scalar, in a buffer that wipes itself when dropped.
    pub fn serialize(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.serialize())
    }

    /// A fresh key from 32 bytes of operating-system randomness (EIP-2333 `KeyGen`).
    pub fn random() -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(ikm.as_mut());
        // `key_gen` only fails for key material shorter than 32 bytes.
        Self(min_pk::SecretKey::key_gen(ikm.as_ref(), &[]).expect("32 bytes of key material"))
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(self.0.sk_to_pk())
    }

    /// Sign `msg` (for the consensus layer, a 32-byte signing root).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg, DST, &[]))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// A validated public key: a G1 point in the prime-order subgroup and not the point at infinity (the
/// consensus spec's `KeyValidate`), so it is safe to aggregate and verify against.
#[derive(Clone, Copy)]
pub struct PublicKey {
    point: min_pk::PublicKey,
    /// The compressed form, kept so that hashing, equality and serialisation cost nothing.
    bytes: [u8; 48],
}

impl PublicKey {
    pub const LEN: usize = 48;

    fn from_point(point: min_pk::PublicKey) -> Self {
        Self {
            bytes: point.compress(),
            point,
        }
    }

    /// Decode a compressed key and run `KeyValidate`.
    ///
    /// A well-formed encoding of the point at infinity fails with [`Error::InfinityPublicKey`], every
    /// malformed encoding with [`Error::InvalidPoint`], and a curve point outside the subgroup with
    /// [`Error::NotInSubgroup`], so callers can tell "not a point" from "a point we refuse".
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength {
                expected: Self::LEN,
                got: bytes.len(),
            });
        }
        let point = min_pk::PublicKey::uncompress(bytes).map_err(decode_error)?;
        point.validate().map_err(decode_error)?;
        Ok(Self::from_point(point))
    }

    /// The compressed encoding.
    pub fn serialize(&self) -> [u8; 48] {
        self.bytes
    }

    pub fn to_bytes(&self) -> PublicKeyBytes {
        PublicKeyBytes(self.bytes)
    }

    /// `0x`-prefixed lower-case hex of the compressed encoding.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.bytes))
    }

    pub(crate) fn point(&self) -> &min_pk::PublicKey {
        &self.point
    }
}

impl TryFrom<&PublicKeyBytes> for PublicKey {
    type Error = Error;
    fn try_from(bytes: &PublicKeyBytes) -> Result<Self, Error> {
        Self::from_bytes(&bytes.0)
    }
}

impl TryFrom<PublicKeyBytes> for PublicKey {
    type Error = Error;
    fn try_from(bytes: PublicKeyBytes) -> Result<Self, Error> {
        Self::from_bytes(&bytes.0)
    }
}

impl From<&PublicKey> for PublicKeyBytes {
    fn from(key: &PublicKey) -> Self {
        key.to_bytes()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        // The compressed encoding of a point is unique.
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl std::str::FromStr for PublicKey {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::try_from(&s.parse::<PublicKeyBytes>()?)
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_bytes().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = PublicKeyBytes::deserialize(deserializer)?;
        Self::try_from(&bytes).map_err(serde::de::Error::custom)
    }
}

/// A validated signature: a G2 point in the prime-order subgroup. The point at infinity is accepted: it is
/// a valid encoding (the signature of an empty sync aggregate), and it simply fails to verify against any
/// real key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(min_pk::Signature);

impl Signature {
    pub const LEN: usize = 96;

    /// Decode a compressed signature and check it is in the subgroup.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() != Self::LEN {
            return Err(Error::InvalidLength {
                expected: Self::LEN,
                got: bytes.len(),
            });
        }
        let point = min_pk::Signature::uncompress(bytes).map_err(decode_error)?;
        point.validate(false).map_err(decode_error)?;
        Ok(Self(point))
    }

    /// The point at infinity: the identity of aggregation.
    pub fn infinity() -> Self {
        Self::from_bytes(&SignatureBytes::infinity().0).expect("the infinity encoding is valid")
    }

    pub fn is_infinity(&self) -> bool {
        self.serialize() == SignatureBytes::infinity().0
    }

    /// The compressed encoding.
    pub fn serialize(&self) -> [u8; 96] {
        self.0.compress()
    }

    pub fn to_bytes(&self) -> SignatureBytes {
        SignatureBytes(self.serialize())
    }

    /// The spec's `Verify`: `msg` signed by `public_key`.
    pub fn verify(&self, public_key: &PublicKey, msg: &[u8]) -> bool {
        // Both points were checked when they were built.
        self.0
            .verify(false, msg, DST, &[], public_key.point(), false)
            == BLST_ERROR::BLST_SUCCESS
    }

    /// The spec's `FastAggregateVerify`: every key signed the same `msg`. An empty key list is invalid.
    pub fn fast_aggregate_verify(&self, public_keys: &[&PublicKey], msg: &[u8]) -> bool {
        if public_keys.is_empty() {
            return false;
        }
        let Some(key) = verifying_sum(public_keys) else {
            return false;
        };
        self.0.verify(false, msg, DST, &[], &key, false) == BLST_ERROR::BLST_SUCCESS
    }

    /// The spec's `AggregateVerify`: key `i` signed message `i`. Empty or mismatched lists are invalid.
    /// Messages need not be distinct: proof of possession protects against rogue keys.
    pub fn aggregate_verify(&self, public_keys: &[&PublicKey], msgs: &[&[u8]]) -> bool {
        if public_keys.is_empty() || public_keys.len() != msgs.len() {
            return false;
        }
        let points: Vec<&min_pk::PublicKey> = public_keys.iter().map(|k| k.point()).collect();
        self.0.aggregate_verify(false, msgs, DST, &points, false) == BLST_ERROR::BLST_SUCCESS
    }

    pub(crate) fn point(&self) -> &min_pk::Signature {
        &self.0
    }
}

impl TryFrom<&SignatureBytes> for Signature {
    type Error = Error;
    fn try_from(bytes: &SignatureBytes) -> Result<Self, Error> {
        Self::from_bytes(&bytes.0)
    }
}

impl TryFrom<SignatureBytes> for Signature {
    type Error = Error;
    fn try_from(bytes: SignatureBytes) -> Result<Self, Error> {
        Self::from_bytes(&bytes.0)
    }
}

impl From<&Signature> for SignatureBytes {
    fn from(signature: &Signature) -> Self {
        signature.to_bytes()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.serialize()))
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A running sum of signatures, for building an aggregate one signature at a time (the aggregation duty
/// adds attestations as they arrive).
#[derive(Clone, Copy)]
pub struct AggregateSignature(min_pk::AggregateSignature);

impl AggregateSignature {
    /// The spec's `Aggregate`: the sum of `signatures`. Fails on an empty list, which has no defined
    /// aggregate in the spec.
    pub fn aggregate(signatures: &[Signature]) -> Result<Signature, Error> {
        let (first, rest) = signatures.split_first().ok_or(Error::EmptyAggregation)?;
        let mut sum = Self::from_signature(first);
        for signature in rest {
            sum.add(signature);
        }
        Ok(sum.to_signature())
    }

    /// An aggregate holding nothing yet (the point at infinity).
    pub fn infinity() -> Self {
        Self::from_signature(&Signature::infinity())
    }

    pub fn from_signature(signature: &Signature) -> Self {
        Self(min_pk::AggregateSignature::from_signature(
            signature.point(),
        ))
    }

    pub fn add(&mut self, signature: &Signature) {
        // Without the group check blst cannot fail: the signature was checked when it was built.
        let _ = self.0.add_signature(signature.point(), false);
    }

    pub fn to_signature(&self) -> Signature {
        Signature(self.0.to_signature())
    }
}

impl Default for AggregateSignature {
    fn default() -> Self {
        Self::infinity()
    }
}

impl fmt::Debug for AggregateSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AggregateSignature({:?})", self.to_signature())
    }
}

/// A sum of public keys (as in `eth_aggregate_pubkeys` for sync committees). The sum of valid keys can in
/// principle be the point at infinity, so it is a type of its own rather than a [`PublicKey`].
#[derive(Clone, Copy)]
pub struct AggregatePublicKey(min_pk::AggregatePublicKey);

impl AggregatePublicKey {
    /// Sum `public_keys`; fails on an empty list.
    pub fn aggregate(public_keys: &[&PublicKey]) -> Result<Self, Error> {
        if public_keys.is_empty() {
            return Err(Error::EmptyAggregation);
        }
        // blst's bulk addition (affine additions sharing one field inversion per round, spread over its
        // worker threads past a few hundred points) is several times faster than adding the keys one
        // at a time; an attestation names up to tens of thousands of them.
        let points: Vec<min_pk::PublicKey> = public_keys.iter().map(|k| *k.point()).collect();
        Ok(Self(points.as_slice().add()))
    }

    /// The sum as a key to verify with, or `None` at the point at infinity (keys that cancel out
    /// verify nothing). Unlike [`Self::to_public_key`] it does not re-check the subgroup: every key
    /// was checked when built, and so is their sum. That check costs more than the summing itself.
    pub(crate) fn verifying_key(&self) -> Option<min_pk::PublicKey> {
        let key = self.0.to_public_key();
        // blst writes the point at infinity as the all-zero affine point.
        (key != min_pk::PublicKey::default()).then_some(key)
    }

    pub fn add(&mut self, public_key: &PublicKey) {
        // Without validation blst cannot fail: the key was checked when it was built.
        let _ = self.0.add_public_key(public_key.point(), false);
    }

    /// The sum as a checked key; fails if it is the point at infinity.
    pub fn to_public_key(&self) -> Result<PublicKey, Error> {
        let point = self.0.to_public_key();
        point.validate().map_err(decode_error)?;
        Ok(PublicKey::from_point(point))
    }

    /// The compressed encoding of the sum (infinity included), as stored in a `SyncCommittee`.
    pub fn to_bytes(&self) -> PublicKeyBytes {
        PublicKeyBytes(self.0.to_public_key().compress())
    }
}

impl fmt::Debug for AggregatePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AggregatePublicKey({})", self.to_bytes())
    }
}

/// The sum of `keys` to verify with: `None` for no keys, or keys that cancel out.
pub(crate) fn verifying_sum(keys: &[&PublicKey]) -> Option<min_pk::PublicKey> {
    AggregatePublicKey::aggregate(keys).ok()?.verifying_key()
}

/// RFC 9380 `hash_to_curve` (suite `BLS12381G2_XMD:SHA-256_SSWU_RO_`) of `msg` under domain separation tag
/// `dst`, as an uncompressed point: `x.c1`, `x.c0`, `y.c1`, `y.c0`, each 48 bytes big-endian. Signing uses
/// it with [`DST`]; it is exposed so the `hash_to_G2` vectors (which use the RFC's own test DST) can check
/// the step that every signature depends on.
pub fn hash_to_g2(msg: &[u8], dst: &[u8]) -> [u8; 192] {
    let mut point = blst::blst_p2::default();
    let mut out = [0u8; 192];
    // SAFETY: every pointer comes from a live slice or local with the length passed alongside it (the
    // empty augmentation included), and `out` is exactly the 192 bytes `blst_p2_serialize` writes.
    unsafe {
        blst::blst_hash_to_g2(
            &mut point,
            msg.as_ptr(),
            msg.len(),
            dst.as_ptr(),
            dst.len(),
            [].as_ptr(),
            0,
        );
        blst::blst_p2_serialize(out.as_mut_ptr(), &point);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infinity_pubkey() -> [u8; 48] {
        let mut bytes = [0; 48];
        bytes[0] = 0xc0;
        bytes
    }

    #[test]
    fn sign_verify_round_trip() {
        let sk = SecretKey::random();
        let pk = sk.public_key();
        let sig = sk.sign(b"hello");
        assert!(sig.verify(&pk, b"hello"));
        assert!(!sig.verify(&pk, b"hellp"));
        let other = SecretKey::random().public_key();
        assert!(!sig.verify(&other, b"hello"));
    }

    #[test]
    fn secret_key_bytes_round_trip_and_zero_rejected() {
        let sk = SecretKey::random();
        let again = SecretKey::from_bytes(sk.serialize().as_ref()).unwrap();
        assert_eq!(sk.public_key(), again.public_key());
        assert_eq!(
            SecretKey::from_bytes(&[0; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
        assert_eq!(
            SecretKey::from_bytes(&[0xff; 32]).unwrap_err(),
            Error::InvalidSecretKey
        );
        assert!(matches!(
            SecretKey::from_bytes(&[1; 31]),
            Err(Error::InvalidLength { .. })
        ));
    }

    #[test]
    fn secret_key_debug_is_redacted() {
        let sk = SecretKey::from_bytes(&[0x11; 32]).unwrap();
        let debug = format!("{sk:?}");
        assert!(!debug.contains("11"), "{debug}");
    }

    #[test]
    fn public_key_rejects_infinity_and_garbage() {
        assert_eq!(
            PublicKey::from_bytes(&infinity_pubkey()).unwrap_err(),
            Error::InfinityPublicKey
        );
        assert_eq!(
            PublicKey::from_bytes(&[0; 48]).unwrap_err(),
            Error::InvalidPoint
        );
        assert!(matches!(
            PublicKey::from_bytes(&[0xa0; 47]),
            Err(Error::InvalidLength { .. })
        ));
        let pk = SecretKey::random().public_key();
        let parsed = PublicKey::try_from(&pk.to_bytes()).unwrap();
        assert_eq!(parsed, pk);
        assert_eq!(parsed.to_hex().parse::<PublicKey>().unwrap(), pk);
    }

    #[test]
    fn public_key_serde_is_hex() {
        let pk = SecretKey::random().public_key();
        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(json, format!("\"{}\"", pk.to_hex()));
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), pk);
        let infinity = format!("\"0x{}\"", hex::encode(infinity_pubkey()));
        assert!(serde_json::from_str::<PublicKey>(&infinity).is_err());
    }

    #[test]
    fn signature_accepts_infinity() {
        let inf = Signature::from_bytes(&SignatureBytes::infinity().0).unwrap();
        assert!(inf.is_infinity());
        assert_eq!(inf, Signature::infinity());
        assert_eq!(inf.to_bytes(), SignatureBytes::infinity());
        let pk = SecretKey::random().public_key();
        assert!(!inf.verify(&pk, b"msg"));
        assert_eq!(
            Signature::from_bytes(&[0; 96]).unwrap_err(),
            Error::InvalidPoint
        );
    }

    #[test]
    fn hash_to_g2_is_what_signing_hashes() {
        // Signing with the scalar 1 yields the message's hash point itself.
        let mut one = [0u8; 32];
        one[31] = 1;
        let sig = SecretKey::from_bytes(&one).unwrap().sign(b"abc");
        assert_eq!(sig.0.serialize(), hash_to_g2(b"abc", DST));
        assert_ne!(hash_to_g2(b"abc", b"another DST"), hash_to_g2(b"abc", DST));
    }

    #[test]
    fn keys_that_cancel_out_verify_nothing() {
        // pk + (-pk) is the point at infinity, and so is the matching aggregate signature: the spec's
        // `FastAggregateVerify` must still say no, because the aggregate key fails `KeyValidate`.
        let sk = SecretKey::random();
        let neg = crate::interop::negated_secret_key(&sk);
        let (pk, neg_pk) = (sk.public_key(), neg.public_key());
        let msg = [5u8; 32];
        let agg = AggregateSignature::aggregate(&[sk.sign(&msg), neg.sign(&msg)]).unwrap();
        assert!(agg.is_infinity());
        assert!(!agg.fast_aggregate_verify(&[&pk, &neg_pk], &msg));
        let sum = AggregatePublicKey::aggregate(&[&pk, &neg_pk]).unwrap();
        assert_eq!(sum.to_public_key().unwrap_err(), Error::InfinityPublicKey);
        assert_eq!(
            sum.to_bytes(),
            PublicKeyBytes::from_slice(&infinity_pubkey()).unwrap()
        );

        let single = sk.sign(&[6u8; 32]);
        let sets = [
            crate::SignatureSet::multiple(&agg, vec![&pk, &neg_pk], msg),
            crate::SignatureSet::single(&single, &pk, [6u8; 32]),
        ];
        assert!(!crate::verify_signature_sets(&sets));
        assert!(!crate::verify_signature_sets(&sets[..1]));
        assert!(crate::verify_signature_sets(&sets[1..]));
    }

    #[test]
    fn bulk_key_sums_match_one_by_one_addition() {
        // Repeats (a doubling inside the bulk addition) and a count past blst's threading threshold.
        let pks: Vec<PublicKey> = (0..40).map(|_| SecretKey::random().public_key()).collect();
        for n in [1, 2, 3, 500] {
            let refs: Vec<&PublicKey> = (0..n).map(|i| &pks[(i * 7) % pks.len()]).collect();
            let mut serial =
                AggregatePublicKey(min_pk::AggregatePublicKey::from_public_key(refs[0].point()));
            refs[1..].iter().for_each(|k| serial.add(k));
            let bulk = AggregatePublicKey::aggregate(&refs).unwrap();
            assert_eq!(bulk.to_bytes(), serial.to_bytes(), "n = {n}");
        }
        let twice = AggregatePublicKey::aggregate(&[&pks[0], &pks[0]]).unwrap();
        let mut doubled = AggregatePublicKey::aggregate(&[&pks[0]]).unwrap();
        doubled.add(&pks[0]);
        assert_eq!(twice.to_bytes(), doubled.to_bytes());
    }

    #[test]
    fn aggregation() {
        let sks: Vec<SecretKey> = (0..3).map(|_| SecretKey::random()).collect();
        let pks: Vec<PublicKey> = sks.iter().map(|s| s.public_key()).collect();
        let pk_refs: Vec<&PublicKey> = pks.iter().collect();
        let msg = [7u8; 32];
        let sigs: Vec<Signature> = sks.iter().map(|s| s.sign(&msg)).collect();
        let agg = AggregateSignature::aggregate(&sigs).unwrap();
        assert!(agg.fast_aggregate_verify(&pk_refs, &msg));
        assert!(!agg.fast_aggregate_verify(&pk_refs[..2], &msg));
        assert!(!agg.fast_aggregate_verify(&[], &msg));
        assert_eq!(
            AggregateSignature::aggregate(&[]).unwrap_err(),
            Error::EmptyAggregation
        );

        let mut running = AggregateSignature::infinity();
        sigs.iter().for_each(|s| running.add(s));
        assert_eq!(running.to_signature(), agg);

        let agg_pk = AggregatePublicKey::aggregate(&pk_refs)
            .unwrap()
            .to_public_key()
            .unwrap();
        assert!(agg.verify(&agg_pk, &msg));
        assert!(AggregatePublicKey::aggregate(&[]).is_err());

        let msgs: Vec<[u8; 32]> = (0..3u8).map(|i| [i; 32]).collect();
        let sigs: Vec<Signature> = sks.iter().zip(&msgs).map(|(s, m)| s.sign(m)).collect();
        let agg = AggregateSignature::aggregate(&sigs).unwrap();
        let msg_refs: Vec<&[u8]> = msgs.iter().map(|m| m.as_slice()).collect();
        assert!(agg.aggregate_verify(&pk_refs, &msg_refs));
        assert!(!agg.aggregate_verify(&pk_refs, &msg_refs[..2]));
        assert!(!agg.aggregate_verify(&[], &[]));
    }
}
