//! Math and slot/epoch arithmetic (phase0 and altair helpers, unchanged up to Fulu).

use crate::{Result, StateError};
use sha2::{Digest, Sha256};
use types::{Epoch, EthSpec, Hash256, Slot};

/// `hash` (phase0): SHA-256 of the concatenation of `parts`.
pub fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// `bytes_to_uint64` (phase0): little-endian `u64` from the first 8 bytes (fewer bytes are zero-padded).
pub fn bytes_to_uint64(bytes: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = bytes.len().min(8);
    buf[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(buf)
}

/// `integer_squareroot` (phase0, with the `UINT64_MAX` special case): the largest `x` with `x * x <= n`.
pub fn integer_squareroot(n: u64) -> u64 {
    if n == u64::MAX {
        return 4_294_967_295; // UINT64_MAX_SQRT
    }
    // Newton's method from the spec, in integers.
    let mut x = n;
    let mut y = x.div_ceil(2);
    while y < x {
        x = y;
        y = (x + n / x) / 2;
    }
    x
}

/// `xor` (phase0): bytewise XOR of two 32-byte values.
pub fn xor(a: &Hash256, b: &Hash256) -> Hash256 {
    let mut out = [0u8; 32];
    for (o, (x, y)) in out.iter_mut().zip(a.iter().zip(b.iter())) {
        *o = x ^ y;
    }
    Hash256::from(out)
}

/// `compute_epoch_at_slot` (phase0).
pub fn compute_epoch_at_slot<E: EthSpec>(slot: Slot) -> Epoch {
    slot / E::slots_per_epoch()
}

/// `compute_start_slot_at_epoch` (phase0). Fails on overflow (an epoch no chain reaches).
pub fn compute_start_slot_at_epoch<E: EthSpec>(epoch: Epoch) -> Result<Slot> {
    epoch
        .checked_mul(E::slots_per_epoch())
        .ok_or(StateError::Overflow)
}

/// `compute_activation_exit_epoch` (phase0): `epoch + 1 + MAX_SEED_LOOKAHEAD`.
pub fn compute_activation_exit_epoch<E: EthSpec>(epoch: Epoch) -> Result<Epoch> {
    epoch
        .checked_add(1 + E::MAX_SEED_LOOKAHEAD)
        .ok_or(StateError::Overflow)
}

/// Whether `a` is a multiple of `b` (false for `b == 0`). Stands in for `u64::is_multiple_of`, which is
/// newer than the workspace's minimum Rust version.
pub fn is_multiple(a: u64, b: u64) -> bool {
    a.checked_rem(b) == Some(0)
}

/// `saturating_sub` (altair).
pub fn saturating_sub(a: u64, b: u64) -> u64 {
    a.saturating_sub(b)
}

/// Checked `a + b` as a [`StateError::Overflow`].
pub fn safe_add(a: u64, b: u64) -> Result<u64> {
    a.checked_add(b).ok_or(StateError::Overflow)
}

/// Checked `a - b` as a [`StateError::Overflow`].
pub fn safe_sub(a: u64, b: u64) -> Result<u64> {
    a.checked_sub(b).ok_or(StateError::Overflow)
}

/// Checked `a * b` as a [`StateError::Overflow`].
pub fn safe_mul(a: u64, b: u64) -> Result<u64> {
    a.checked_mul(b).ok_or(StateError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_squareroot_is_exact() {
        for n in [
            0u64,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 40,
            (1 << 40) + 1,
            u64::MAX - 1,
        ] {
            let r = integer_squareroot(n);
            assert!(r.checked_mul(r).is_some_and(|sq| sq <= n), "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|sq| sq > n), "{n}");
        }
        assert_eq!(integer_squareroot(u64::MAX), 4_294_967_295);
    }

    #[test]
    fn bytes_to_uint64_is_little_endian() {
        assert_eq!(bytes_to_uint64(&[1, 0, 0, 0, 0, 0, 0, 0, 9]), 1);
        assert_eq!(bytes_to_uint64(&[0, 1]), 256);
    }
}
