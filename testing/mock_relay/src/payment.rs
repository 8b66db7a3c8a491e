//! Builder-pays mode: like many mainnet builders, the relay names itself the payload's fee recipient
//! and pays the proposer in the payload's last transaction, a signed EIP-1559 transfer of exactly the
//! bid value. [`last_transaction_payment`] decodes that transfer back, so tests of a client (which must
//! judge such a bid by the transaction, not the fee recipient) can check what it pays.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_rlp::{Decodable, Encodable, Header};
use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use types::{EthSpec, ExecutionPayload};

/// EIP-1559 transaction type.
pub const EIP1559_TX_TYPE: u8 = 0x02;
/// Gas of a plain value transfer: what the payment adds to the payload's `gas_used`.
pub const PAYMENT_GAS: u64 = 21_000;
/// The secp256k1 key that signs every payment. A fixed, public test key: the mock engine executes
/// nothing, so no balance stands behind it, and a fixed key keeps payloads reproducible.
pub const BUILDER_SECRET_KEY: [u8; 32] = [0x42; 32];

/// The address of [`BUILDER_SECRET_KEY`]: the default `--builder-address`, so that by default the
/// fee recipient is also the payment's sender, as on mainnet.
pub fn default_builder_address() -> Address {
    // A nonzero scalar below the curve order: the constant is a valid key.
    let key = SigningKey::from_bytes(&BUILDER_SECRET_KEY.into()).expect("a valid secp256k1 key");
    address_of(key.verifying_key())
}

fn address_of(key: &VerifyingKey) -> Address {
    let point = key.to_encoded_point(false);
    Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
}

/// A decoded payment: an EIP-1559 transaction with a recipient and a recovered sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub chain_id: u64,
    pub nonce: u64,
    /// The sender recovered from the signature.
    pub from: Address,
    pub to: Address,
    /// In wei.
    pub value: U256,
}

/// Why a transaction is not a payment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("the payload has no transactions")]
    NoTransactions,
    #[error("transaction type {0:#04x} is not EIP-1559 (0x02)")]
    NotEip1559(u8),
    #[error("malformed EIP-1559 transaction: {0}")]
    Malformed(String),
    #[error("the transaction creates a contract: it pays no one")]
    ContractCreation,
    #[error("the signature does not recover a sender: {0}")]
    BadSignature(String),
}

/// The payment made by `payload`'s last transaction: who sent how much to whom.
pub fn last_transaction_payment<E: EthSpec>(
    payload: &ExecutionPayload<E>,
) -> Result<Payment, PaymentError> {
    let last = payload
        .transactions()
        .last()
        .ok_or(PaymentError::NoTransactions)?;
    decode_payment(last)
}

/// The fields before the signature, for a transfer of `value` to `to`.
struct Unsigned {
    chain_id: u64,
    nonce: u64,
    max_fee_per_gas: U256,
    to: Address,
    value: U256,
}

impl Unsigned {
    /// `[chain_id, nonce, max_priority_fee_per_gas, max_fee_per_gas, gas_limit, to, value, data,
    /// access_list]` as RLP list items (without the list header).
    fn fields(&self) -> Vec<u8> {
        let mut out = vec![];
        self.chain_id.encode(&mut out);
        self.nonce.encode(&mut out);
        // No tip: the payment is the whole of what the proposer gets.
        0u64.encode(&mut out);
        self.max_fee_per_gas.encode(&mut out);
        PAYMENT_GAS.encode(&mut out);
        self.to.encode(&mut out);
        self.value.encode(&mut out);
        Bytes::new().encode(&mut out);
        out.push(alloy_rlp::EMPTY_LIST_CODE);
        out
    }
}

/// `0x02 || rlp(list)` over `fields` (the list's items, already encoded).
fn typed(fields: &[u8]) -> Vec<u8> {
    let mut out = vec![EIP1559_TX_TYPE];
    Header {
        list: true,
        payload_length: fields.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(fields);
    out
}

/// A signed EIP-1559 transfer of `value` wei to `to`, by [`BUILDER_SECRET_KEY`]. `max_fee_per_gas`
/// should be the block's base fee, so that the transaction is includable and pays no tip.
pub fn payment_transaction(
    chain_id: u64,
    nonce: u64,
    max_fee_per_gas: U256,
    to: Address,
    value: U256,
) -> Vec<u8> {
    let unsigned = Unsigned {
        chain_id,
        nonce,
        max_fee_per_gas,
        to,
        value,
    };
    let mut fields = unsigned.fields();
    let key = SigningKey::from_bytes(&BUILDER_SECRET_KEY.into()).expect("a valid secp256k1 key");
    let hash = keccak256(typed(&fields));
    // RFC 6979 nonces, low-s (k256 normalises): deterministic, and valid under EIP-2.
    let (signature, recovery) = key
        .sign_prehash_recoverable(hash.as_slice())
        .expect("a 32-byte prehash signs");
    (recovery.is_y_odd() as u8).encode(&mut fields);
    U256::from_be_slice(&signature.r().to_bytes()).encode(&mut fields);
    U256::from_be_slice(&signature.s().to_bytes()).encode(&mut fields);
    typed(&fields)
}

/// Decodes an EIP-1559 transaction in payload form and recovers its sender.
pub fn decode_payment(raw: &[u8]) -> Result<Payment, PaymentError> {
    let malformed = |e: alloy_rlp::Error| PaymentError::Malformed(e.to_string());
    match raw.first() {
        Some(&EIP1559_TX_TYPE) => {}
        Some(&other) => return Err(PaymentError::NotEip1559(other)),
        None => return Err(PaymentError::Malformed("empty transaction".into())),
    }
    let mut outer = &raw[1..];
    let header = Header::decode(&mut outer).map_err(malformed)?;
    if !header.list || header.payload_length != outer.len() {
        return Err(PaymentError::Malformed(
            "not one RLP list spanning the transaction".into(),
        ));
    }
    let body = outer;
    let mut buf = body;
    let chain_id = u64::decode(&mut buf).map_err(malformed)?;
    let nonce = u64::decode(&mut buf).map_err(malformed)?;
    U256::decode(&mut buf).map_err(malformed)?; // max_priority_fee_per_gas
    U256::decode(&mut buf).map_err(malformed)?; // max_fee_per_gas
    u64::decode(&mut buf).map_err(malformed)?; // gas_limit
    let to = Bytes::decode(&mut buf).map_err(malformed)?;
    let to = match to.len() {
        0 => return Err(PaymentError::ContractCreation),
        20 => Address::from_slice(&to),
        n => return Err(PaymentError::Malformed(format!("a {n}-byte recipient"))),
    };
    let value = U256::decode(&mut buf).map_err(malformed)?;
    Bytes::decode(&mut buf).map_err(malformed)?; // data
    let access_list = Header::decode(&mut buf).map_err(malformed)?;
    if !access_list.list || buf.len() < access_list.payload_length {
        return Err(PaymentError::Malformed("bad access list".into()));
    }
    buf = &buf[access_list.payload_length..];
    let unsigned_len = body.len() - buf.len();
    let y_parity = u8::decode(&mut buf).map_err(malformed)?;
    let r = U256::decode(&mut buf).map_err(malformed)?;
    let s = U256::decode(&mut buf).map_err(malformed)?;
    if !buf.is_empty() {
        return Err(PaymentError::Malformed("fields after the signature".into()));
    }
    let bad = |e: String| PaymentError::BadSignature(e);
    if y_parity > 1 {
        return Err(bad(format!("y parity {y_parity}")));
    }
    let signature = Signature::from_scalars(r.to_be_bytes::<32>(), s.to_be_bytes::<32>())
        .map_err(|e| bad(e.to_string()))?;
    if signature.normalize_s().is_some() {
        return Err(bad("high s (EIP-2)".into()));
    }
    let hash: B256 = keccak256(typed(&body[..unsigned_len]));
    let key = VerifyingKey::recover_from_prehash(
        hash.as_slice(),
        &signature,
        RecoveryId::new(y_parity == 1, false),
    )
    .map_err(|e| bad(e.to_string()))?;
    Ok(Payment {
        chain_id,
        nonce,
        from: address_of(&key),
        to,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_round_trips_and_recovers_the_builder() {
        let to = Address::repeat_byte(0xfe);
        let value = U256::from(123_456_789_000_000_000u128);
        let raw = payment_transaction(7, 3, U256::from(1_000_000_007u64), to, value);
        assert_eq!(raw[0], EIP1559_TX_TYPE);
        let payment = decode_payment(&raw).unwrap();
        assert_eq!(
            payment,
            Payment {
                chain_id: 7,
                nonce: 3,
                from: default_builder_address(),
                to,
                value,
            }
        );
        // Deterministic: the same transfer is the same bytes.
        assert_eq!(
            raw,
            payment_transaction(7, 3, U256::from(1_000_000_007u64), to, value)
        );
    }

    #[test]
    fn a_changed_field_changes_the_sender_or_breaks_the_decode() {
        let raw = payment_transaction(1, 0, U256::from(7u64), Address::ZERO, U256::from(1u64));
        // `0x02, 0xf8, length, chain_id = 0x01, ...`: another chain id under the same signature.
        assert_eq!((raw[1], raw[3]), (0xf8, 0x01));
        let mut tampered = raw.clone();
        tampered[3] = 0x05;
        let payment = decode_payment(&tampered).unwrap();
        assert_eq!(payment.chain_id, 5);
        assert_ne!(payment.from, default_builder_address());
        assert!(matches!(
            decode_payment(&raw[..raw.len() - 1]),
            Err(PaymentError::Malformed(_))
        ));
        assert_eq!(
            decode_payment(&[0x03, 0xc0]),
            Err(PaymentError::NotEip1559(3))
        );
    }
}
