//! Deterministic "interop" validator keys, shared by every client so that test networks can start from
//! the same genesis without exchanging key files.
//!
//! `privkey = int.from_bytes(sha256(index.to_bytes(32, "little")), "little") % r`.

use crate::SecretKey;
use sha2::{Digest, Sha256};

/// The BLS12-381 group order r, as big-endian 64-bit limbs (most significant first).
const CURVE_ORDER: [u64; 4] = [
    0x73ed_a753_299d_7d48,
    0x3339_d808_09a1_d805,
    0x53bd_a402_fffe_5bfe,
    0xffff_ffff_0000_0001,
];

/// Whether `a >= b`, both as big-endian limbs.
fn geq(a: &[u64; 4], b: &[u64; 4]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x > y;
        }
    }
    true
}

/// `a - b` for `a >= b`, both as big-endian limbs.
fn sub(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in (0..4).rev() {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        out[i] = d2;
        borrow = b1 || b2;
    }
    out
}

fn limbs_from_be(bytes: &[u8; 32]) -> [u64; 4] {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_be_bytes(chunk.try_into().expect("8-byte chunk"));
    }
    limbs
}

fn be_from_limbs(limbs: &[u64; 4]) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (chunk, limb) in bytes.chunks_exact_mut(8).zip(limbs) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    bytes
}

/// The interop secret key of validator `index`.
pub fn interop_secret_key(index: u64) -> SecretKey {
    let mut preimage = [0u8; 32];
    preimage[..8].copy_from_slice(&index.to_le_bytes());
    let mut digest: [u8; 32] = Sha256::digest(preimage).into();
    // Read the digest as a little-endian integer by reversing it into big-endian order.
    digest.reverse();
    let mut value = limbs_from_be(&digest);
    // 2^256 < 3r, so at most two subtractions reduce the value.
    while geq(&value, &CURVE_ORDER) {
        value = sub(&value, &CURVE_ORDER);
    }
    // A zero key would need a SHA-256 preimage of a multiple of r: it cannot happen.
    SecretKey::from_bytes(&be_from_limbs(&value)).expect("interop key is a non-zero scalar below r")
}

/// `r - sk`, whose public key is the negation of `sk`'s: lets tests build keys that cancel out.
#[cfg(test)]
pub(crate) fn negated_secret_key(sk: &SecretKey) -> SecretKey {
    let value = limbs_from_be(&sk.serialize());
    SecretKey::from_bytes(&be_from_limbs(&sub(&CURVE_ORDER, &value)))
        .expect("r - sk is a valid key")
}

/// The interop secret keys of validators `0..count`.
pub fn interop_secret_keys(count: u64) -> Vec<SecretKey> {
    (0..count).map(interop_secret_key).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_interop_keys() {
        let sk0 = interop_secret_key(0);
        assert_eq!(
            hex::encode(sk0.serialize().as_ref()),
            "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866"
        );
        assert_eq!(
            sk0.public_key().to_hex(),
            "0xa99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c"
        );
        assert_eq!(
            interop_secret_key(1).public_key().to_hex(),
            "0xb89bebc699769726a318c8e9971bd3171297c61aea4a6578a7a4f94b547dcba5bac16a89108b6b6a1fe3695d1a874a0b"
        );
    }

    #[test]
    fn reduction_wraps_modulo_r() {
        assert!(geq(&CURVE_ORDER, &CURVE_ORDER));
        assert_eq!(sub(&CURVE_ORDER, &CURVE_ORDER), [0; 4]);
        assert_eq!(
            sub(&[1, 0, 0, 0], &[0, 0, 0, 1]),
            [0, u64::MAX, u64::MAX, u64::MAX]
        );
        let max = [u64::MAX; 4];
        let once = sub(&max, &CURVE_ORDER);
        let twice = sub(&once, &CURVE_ORDER);
        assert!(geq(&once, &CURVE_ORDER));
        assert!(!geq(&twice, &CURVE_ORDER));
    }

    #[test]
    fn interop_keys_are_distinct() {
        let keys = interop_secret_keys(4);
        assert_eq!(keys.len(), 4);
        assert_ne!(keys[2].public_key(), keys[3].public_key());
    }
}
