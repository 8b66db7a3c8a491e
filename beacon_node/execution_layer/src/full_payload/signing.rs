//! The secp256k1 signatures of `builder_getPayloadV1`, both ways (`docs/full-payload-builders.md`).
//!
//! The OP draft says the proposer signs its `PayloadRequestV1` and the builder's answer must be signed,
//! but defines neither signature. Both are EIP-191 version `0x00` ("data with intended validator"):
//! `keccak256(0x19 ‖ 0x00 ‖ intended_validator ‖ tag ‖ fields)`, signed as a raw recoverable ECDSA
//! signature over that 32-byte digest, encoded `r ‖ s ‖ v` (65 bytes, `v` 0/1 or 27/28, low `s`).
//! The `0x19` prefix keeps the digest apart from any transaction's signing hash (RLP never starts
//! with `0x19`); the intended validator binds a request to one builder and an answer to one proposer;
//! the tag keeps requests and answers apart.
//!
//! - Request: validator = the builder's pinned address; fields = `blockNumber` (uint256 big-endian),
//!   `parentHash`, `pubKey` (the proposer's address, 20 bytes), `gasLimit` (uint256), and
//!   `parentBeaconBlockRoot`.
//! - Answer: validator = the proposer's address; fields = the builder's address, the payload's
//!   `blockHash` (which commits to every field of the payload, its transactions and so its blobs, the
//!   parent beacon block root and, from Electra, the execution requests), `value` (uint256, which the
//!   block hash does not commit to) and the request digest (so an answer serves one request only).

use super::wire::PayloadRequestV1;
use alloy_primitives::{keccak256, Address, B256, U256};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};

/// The tag of a request digest.
pub const REQUEST_TAG: &[u8] = b"builder_getPayloadV1 request";
/// The tag of an answer digest.
pub const PAYLOAD_TAG: &[u8] = b"builder_getPayloadV1 payload";
/// `r ‖ s ‖ v`.
pub const SIGNATURE_LEN: usize = 65;

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not 65 bytes.
    #[error("a signature is 65 bytes (r ‖ s ‖ v), not {0}")]
    Length(usize),
    /// `v` is not 0, 1, 27 or 28.
    #[error("recovery byte v = {0} (0, 1, 27 or 28 expected)")]
    RecoveryByte(u8),
    /// `r` or `s` out of range, or a high `s`.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// No key recovers from it.
    #[error("no key recovers from the signature: {0}")]
    Recovery(String),
}

/// A secp256k1 key that signs requests (the proposer's) or answers (a builder's). Its `Debug` shows
/// only the address.
#[derive(Clone)]
pub struct Secp256k1Key {
    key: SigningKey,
    address: Address,
}

impl std::fmt::Debug for Secp256k1Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secp256k1Key")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl Secp256k1Key {
    /// The key with this 32-byte secret; `None` for zero or a scalar not below the curve order.
    pub fn from_bytes(secret: &[u8; 32]) -> Option<Self> {
        let key = SigningKey::from_bytes(secret.into()).ok()?;
        let address = address_of(key.verifying_key());
        Some(Self { key, address })
    }

    /// Parses `0x`-prefixed (or bare) hex of 32 bytes, surrounding whitespace ignored (a key file).
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let digits = text.strip_prefix("0x").unwrap_or(text);
        if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a secp256k1 secret key is 32 bytes of hex (64 digits)".into());
        }
        let mut secret = [0u8; 32];
        for (i, byte) in secret.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|e| format!("bad hex: {e}"))?;
        }
        Self::from_bytes(&secret).ok_or_else(|| "not a valid secp256k1 secret key".to_string())
    }

    /// The Ethereum address of the key.
    pub fn address(&self) -> Address {
        self.address
    }

    /// `r ‖ s ‖ v` (v = 0 or 1, low s) over a 32-byte digest.
    pub fn sign_digest(&self, digest: B256) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        // A 32-byte prehash always signs (RFC 6979 nonces; k256 normalises s).
        if let Ok((signature, recovery)) = self.key.sign_prehash_recoverable(digest.as_slice()) {
            out[..64].copy_from_slice(&signature.to_bytes());
            out[64] = recovery.to_byte();
        }
        out
    }
}

/// The address of a public key: the last 20 bytes of keccak256 of its uncompressed point.
fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// The address that signed `digest`.
pub fn recover_signer(digest: B256, signature: &[u8]) -> Result<Address, SignatureError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(SignatureError::Length(signature.len()));
    }
    let v = match signature[64] {
        v @ (0 | 1) => v,
        v @ (27 | 28) => v - 27,
        v => return Err(SignatureError::RecoveryByte(v)),
    };
    let parsed = Signature::from_slice(&signature[..64])
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    if parsed.normalize_s().is_some() {
        return Err(SignatureError::Malformed("high s".into()));
    }
    let recovery = RecoveryId::from_byte(v).ok_or(SignatureError::RecoveryByte(v))?;
    let key = VerifyingKey::recover_from_prehash(digest.as_slice(), &parsed, recovery)
        .map_err(|e| SignatureError::Recovery(e.to_string()))?;
    Ok(address_of(&key))
}

fn eip191_v0(validator: Address, tag: &[u8], fields: &[&[u8]]) -> B256 {
    let mut data =
        Vec::with_capacity(22 + tag.len() + fields.iter().map(|f| f.len()).sum::<usize>());
    data.extend_from_slice(&[0x19, 0x00]);
    data.extend_from_slice(validator.as_slice());
    data.extend_from_slice(tag);
    for field in fields {
        data.extend_from_slice(field);
    }
    keccak256(&data)
}

/// The digest a proposer signs for `request` to the builder at `builder`.
pub fn request_digest(request: &PayloadRequestV1, builder: Address) -> B256 {
    eip191_v0(
        builder,
        REQUEST_TAG,
        &[
            &U256::from(request.block_number).to_be_bytes::<32>(),
            request.parent_hash.as_slice(),
            request.pub_key.as_slice(),
            &U256::from(request.gas_limit).to_be_bytes::<32>(),
            request.parent_beacon_block_root.as_slice(),
        ],
    )
}

/// The digest a builder at `builder` signs for its answer to the request with digest
/// `request_digest` from `proposer`: a payload with `block_hash`, worth `value`.
pub fn payload_digest(
    proposer: Address,
    builder: Address,
    block_hash: B256,
    value: U256,
    request_digest: B256,
) -> B256 {
    eip191_v0(
        proposer,
        PAYLOAD_TAG,
        &[
            builder.as_slice(),
            block_hash.as_slice(),
            &value.to_be_bytes::<32>(),
            request_digest.as_slice(),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PayloadRequestV1 {
        PayloadRequestV1 {
            block_number: 101,
            parent_hash: B256::repeat_byte(1),
            pub_key: Address::repeat_byte(2),
            gas_limit: 30_000_000,
            parent_beacon_block_root: B256::repeat_byte(3),
        }
    }

    #[test]
    fn signatures_recover_their_signer_and_nothing_else() {
        let key = Secp256k1Key::from_bytes(&[7; 32]).unwrap();
        let builder = Address::repeat_byte(9);
        let digest = request_digest(&request(), builder);
        let signature = key.sign_digest(digest);
        assert_eq!(recover_signer(digest, &signature), Ok(key.address()));
        // Another builder, another field: another digest, another recovered address.
        assert_ne!(digest, request_digest(&request(), Address::repeat_byte(8)));
        let mut other = request();
        other.gas_limit += 1;
        assert_ne!(
            recover_signer(request_digest(&other, builder), &signature),
            Ok(key.address())
        );
        // 27/28 are accepted too.
        let mut legacy = signature;
        legacy[64] += 27;
        assert_eq!(recover_signer(digest, &legacy), Ok(key.address()));
    }

    #[test]
    fn malformed_signatures_are_errors() {
        let digest = B256::repeat_byte(5);
        assert_eq!(
            recover_signer(digest, &[0; 64]),
            Err(SignatureError::Length(64))
        );
        let mut bad_v = [1u8; 65];
        bad_v[64] = 2;
        assert_eq!(
            recover_signer(digest, &bad_v),
            Err(SignatureError::RecoveryByte(2))
        );
        assert!(recover_signer(digest, &[0; 65]).is_err());
        // A high s (n - s of a valid one) is refused (EIP-2).
        let key = Secp256k1Key::from_bytes(&[7; 32]).unwrap();
        let signature = key.sign_digest(digest);
        let parsed = Signature::from_slice(&signature[..64]).unwrap();
        let high =
            Signature::from_scalars(parsed.r().to_bytes(), (-*parsed.s()).to_bytes()).unwrap();
        let mut high_bytes = [0u8; 65];
        high_bytes[..64].copy_from_slice(&high.to_bytes());
        high_bytes[64] = signature[64] ^ 1;
        assert!(matches!(
            recover_signer(digest, &high_bytes),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn answer_digest_binds_value_request_and_parties() {
        let base = payload_digest(
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            B256::repeat_byte(3),
            U256::from(4u64),
            B256::repeat_byte(5),
        );
        for other in [
            payload_digest(
                Address::repeat_byte(9),
                Address::repeat_byte(2),
                B256::repeat_byte(3),
                U256::from(4u64),
                B256::repeat_byte(5),
            ),
            payload_digest(
                Address::repeat_byte(1),
                Address::repeat_byte(9),
                B256::repeat_byte(3),
                U256::from(4u64),
                B256::repeat_byte(5),
            ),
            payload_digest(
                Address::repeat_byte(1),
                Address::repeat_byte(2),
                B256::repeat_byte(9),
                U256::from(4u64),
                B256::repeat_byte(5),
            ),
            payload_digest(
                Address::repeat_byte(1),
                Address::repeat_byte(2),
                B256::repeat_byte(3),
                U256::from(5u64),
                B256::repeat_byte(5),
            ),
            payload_digest(
                Address::repeat_byte(1),
                Address::repeat_byte(2),
                B256::repeat_byte(3),
                U256::from(4u64),
                B256::repeat_byte(9),
            ),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn key_files_parse() {
        let key = Secp256k1Key::from_hex(&format!("0x{}\n", "07".repeat(32))).unwrap();
        assert_eq!(
            key.address(),
            Secp256k1Key::from_bytes(&[7; 32]).unwrap().address()
        );
        assert!(Secp256k1Key::from_hex("0x1234").is_err());
        assert!(Secp256k1Key::from_hex(&"00".repeat(32)).is_err());
        assert!(Secp256k1Key::from_hex(&"zz".repeat(32)).is_err());
        assert!(!format!("{key:?}").contains("0707"));
    }
}
