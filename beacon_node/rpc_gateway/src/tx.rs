//! Decoding a submitted transaction before anything is sent on: the EIP-2718 envelope (legacy RLP
//! list, or a type byte 0x01..=0x04 and its RLP list, a blob transaction also in its network form
//! with the sidecar), the field count and kinds of each type, and the sender recovered from the
//! signature (EIP-155 for legacy, low s as EIP-2 requires). Junk is refused here with a reason, so
//! that neither the engine nor a builder is asked to look at it.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_rlp::{Encodable, Header};
use execution_layer::full_payload::signing::recover_signer;

/// A transaction without blobs is at most this large (geth's `txMaxSize`).
pub const MAX_TRANSACTION_BYTES: usize = 128 * 1024;
/// A blob transaction in its network form (blobs, commitments, proofs) is at most this large: nine
/// blobs of 128 KiB with cell proofs, and room to spare.
pub const MAX_BLOB_TRANSACTION_BYTES: usize = 2 * 1024 * 1024;

/// The transaction types the gateway accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxType {
    /// An RLP list without a type byte.
    Legacy,
    /// EIP-2930.
    AccessList,
    /// EIP-1559.
    DynamicFee,
    /// EIP-4844.
    Blob,
    /// EIP-7702.
    SetCode,
}

/// A decoded transaction: what the gateway logs and checks the engine's answer against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedTx {
    pub tx_type: TxType,
    /// keccak256 of the payload form (for a blob transaction, without its sidecar).
    pub hash: B256,
    /// `None` for a legacy transaction signed without EIP-155.
    pub chain_id: Option<u64>,
    pub nonce: u64,
    /// Recovered from the signature.
    pub sender: Address,
}

/// Why bytes are not a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("empty transaction")]
    Empty,
    #[error("{size} bytes exceeds the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("unknown transaction type {0:#04x}")]
    UnknownType(u8),
    #[error("malformed RLP: {0}")]
    Rlp(String),
    #[error("{tx_type:?} transaction has {found} fields, expected {expected}")]
    FieldCount {
        tx_type: TxType,
        found: usize,
        expected: usize,
    },
    #[error("field {index} ({name}): {why}")]
    Field {
        index: usize,
        name: &'static str,
        why: String,
    },
    #[error("blob sidecar: {0}")]
    Sidecar(String),
    #[error("bad signature: {0}")]
    Signature(String),
}

/// One RLP item inside a list: its kind, payload and whole encoding.
#[derive(Debug, Clone, Copy)]
struct Item<'a> {
    list: bool,
    payload: &'a [u8],
    raw: &'a [u8],
}

fn rlp(e: impl std::fmt::Display) -> TxError {
    TxError::Rlp(e.to_string())
}

fn next_item<'a>(buf: &mut &'a [u8]) -> Result<Item<'a>, TxError> {
    let start = *buf;
    let header = Header::decode(buf).map_err(rlp)?;
    if buf.len() < header.payload_length {
        return Err(TxError::Rlp("an item runs past its input".into()));
    }
    let (payload, rest) = buf.split_at(header.payload_length);
    *buf = rest;
    let raw = &start[..start.len() - rest.len()];
    Ok(Item {
        list: header.list,
        payload,
        raw,
    })
}

/// The items of the single RLP list that spans all of `buf`.
fn whole_list(buf: &[u8]) -> Result<Vec<Item<'_>>, TxError> {
    let mut rest = buf;
    let list = next_item(&mut rest)?;
    if !list.list || !rest.is_empty() {
        return Err(TxError::Rlp(
            "not a single RLP list spanning the input".into(),
        ));
    }
    let mut payload = list.payload;
    let mut items = Vec::new();
    while !payload.is_empty() {
        items.push(next_item(&mut payload)?);
    }
    Ok(items)
}

/// What each field must be.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A canonical integer of at most 8 bytes.
    U64,
    /// A canonical integer of at most 32 bytes.
    U256,
    /// Empty (contract creation) or 20 bytes.
    To,
    /// 20 bytes (blob and set-code transactions cannot create contracts).
    Address,
    /// Any byte string.
    Bytes,
    /// A list (access list, versioned hashes, authorizations).
    List,
}

const LEGACY: &[(&str, Kind)] = &[
    ("nonce", Kind::U64),
    ("gasPrice", Kind::U256),
    ("gas", Kind::U64),
    ("to", Kind::To),
    ("value", Kind::U256),
    ("data", Kind::Bytes),
    ("v", Kind::U64),
    ("r", Kind::U256),
    ("s", Kind::U256),
];
const ACCESS_LIST: &[(&str, Kind)] = &[
    ("chainId", Kind::U64),
    ("nonce", Kind::U64),
    ("gasPrice", Kind::U256),
    ("gas", Kind::U64),
    ("to", Kind::To),
    ("value", Kind::U256),
    ("data", Kind::Bytes),
    ("accessList", Kind::List),
    ("yParity", Kind::U64),
    ("r", Kind::U256),
    ("s", Kind::U256),
];
const DYNAMIC_FEE: &[(&str, Kind)] = &[
    ("chainId", Kind::U64),
    ("nonce", Kind::U64),
    ("maxPriorityFeePerGas", Kind::U256),
    ("maxFeePerGas", Kind::U256),
    ("gas", Kind::U64),
    ("to", Kind::To),
    ("value", Kind::U256),
    ("data", Kind::Bytes),
    ("accessList", Kind::List),
    ("yParity", Kind::U64),
    ("r", Kind::U256),
    ("s", Kind::U256),
];
const BLOB: &[(&str, Kind)] = &[
    ("chainId", Kind::U64),
    ("nonce", Kind::U64),
    ("maxPriorityFeePerGas", Kind::U256),
    ("maxFeePerGas", Kind::U256),
    ("gas", Kind::U64),
    ("to", Kind::Address),
    ("value", Kind::U256),
    ("data", Kind::Bytes),
    ("accessList", Kind::List),
    ("maxFeePerBlobGas", Kind::U256),
    ("blobVersionedHashes", Kind::List),
    ("yParity", Kind::U64),
    ("r", Kind::U256),
    ("s", Kind::U256),
];
const SET_CODE: &[(&str, Kind)] = &[
    ("chainId", Kind::U64),
    ("nonce", Kind::U64),
    ("maxPriorityFeePerGas", Kind::U256),
    ("maxFeePerGas", Kind::U256),
    ("gas", Kind::U64),
    ("to", Kind::Address),
    ("value", Kind::U256),
    ("data", Kind::Bytes),
    ("accessList", Kind::List),
    ("authorizationList", Kind::List),
    ("yParity", Kind::U64),
    ("r", Kind::U256),
    ("s", Kind::U256),
];

fn check_fields(
    tx_type: TxType,
    fields: &[Item],
    schema: &[(&'static str, Kind)],
) -> Result<(), TxError> {
    if fields.len() != schema.len() {
        return Err(TxError::FieldCount {
            tx_type,
            found: fields.len(),
            expected: schema.len(),
        });
    }
    for (index, (item, (name, kind))) in fields.iter().zip(schema).enumerate() {
        let field = |why: &str| TxError::Field {
            index,
            name,
            why: why.to_string(),
        };
        let integer = |max: usize| {
            if item.list {
                Err(field("a list where an integer belongs"))
            } else if item.payload.len() > max {
                Err(field(&format!("more than {max} bytes")))
            } else if item.payload.first() == Some(&0) {
                Err(field("leading zero bytes"))
            } else {
                Ok(())
            }
        };
        match kind {
            Kind::U64 => integer(8)?,
            Kind::U256 => integer(32)?,
            Kind::To if item.list || !matches!(item.payload.len(), 0 | 20) => {
                return Err(field("not empty or a 20-byte address"))
            }
            Kind::Address if item.list || item.payload.len() != 20 => {
                return Err(field("not a 20-byte address"))
            }
            Kind::Bytes if item.list => return Err(field("a list where bytes belong")),
            Kind::List if !item.list => return Err(field("not a list")),
            _ => {}
        }
    }
    Ok(())
}

/// A canonical integer already checked by [`check_fields`].
fn uint(item: &Item) -> U256 {
    U256::from_be_slice(item.payload)
}

fn as_u64(item: &Item) -> u64 {
    uint(item).saturating_to()
}

/// `list_header || items`.
fn list_of(items: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() + 9);
    Header {
        list: true,
        payload_length: items.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(items);
    out
}

fn concat(items: &[Item]) -> Vec<u8> {
    items.iter().flat_map(|i| i.raw.iter().copied()).collect()
}

/// The signer of `signing_hash` under (r, s, y parity); low s only (EIP-2).
fn recover(signing_hash: B256, y_odd: bool, r: &Item, s: &Item) -> Result<Address, TxError> {
    let mut signature = [0u8; 65];
    signature[..32].copy_from_slice(&uint(r).to_be_bytes::<32>());
    signature[32..64].copy_from_slice(&uint(s).to_be_bytes::<32>());
    signature[64] = y_odd as u8;
    recover_signer(signing_hash, &signature).map_err(|e| TxError::Signature(e.to_string()))
}

/// Decodes `raw` as `eth_sendRawTransaction` receives it (a blob transaction in network form).
pub fn decode(raw: &[u8]) -> Result<DecodedTx, TxError> {
    let limit = match raw.first() {
        None => return Err(TxError::Empty),
        Some(&0x03) => MAX_BLOB_TRANSACTION_BYTES,
        Some(_) => MAX_TRANSACTION_BYTES,
    };
    if raw.len() > limit {
        return Err(TxError::TooLarge {
            size: raw.len(),
            limit,
        });
    }
    match raw[0] {
        0xc0.. => decode_legacy(raw),
        0x01 => decode_typed(raw, TxType::AccessList, ACCESS_LIST, &raw[1..]),
        0x02 => decode_typed(raw, TxType::DynamicFee, DYNAMIC_FEE, &raw[1..]),
        0x03 => decode_blob(raw),
        0x04 => decode_typed(raw, TxType::SetCode, SET_CODE, &raw[1..]),
        other => Err(TxError::UnknownType(other)),
    }
}

// Spec: EIP-155 (legacy signing hash with the chain id), EIP-2 (low s).
fn decode_legacy(raw: &[u8]) -> Result<DecodedTx, TxError> {
    let fields = whole_list(raw)?;
    check_fields(TxType::Legacy, &fields, LEGACY)?;
    let v = as_u64(&fields[6]);
    let (chain_id, y_odd, signing) = match v {
        27 | 28 => (None, v == 28, list_of(&concat(&fields[..6]))),
        35.. => {
            let chain_id = (v - 35) / 2;
            let mut items = concat(&fields[..6]);
            chain_id.encode(&mut items);
            0u8.encode(&mut items);
            0u8.encode(&mut items);
            (Some(chain_id), (v - 35) % 2 == 1, list_of(&items))
        }
        _ => {
            return Err(TxError::Signature(format!(
                "v = {v} is neither 27/28 nor EIP-155"
            )))
        }
    };
    let sender = recover(keccak256(&signing), y_odd, &fields[7], &fields[8])?;
    Ok(DecodedTx {
        tx_type: TxType::Legacy,
        hash: keccak256(raw),
        chain_id,
        nonce: as_u64(&fields[0]),
        sender,
    })
}

// Spec: EIP-2718 envelope; the signing hash is keccak256(type || rlp(fields before yParity)).
fn decode_typed(
    payload_form: &[u8],
    tx_type: TxType,
    schema: &[(&'static str, Kind)],
    body: &[u8],
) -> Result<DecodedTx, TxError> {
    let fields = whole_list(body)?;
    check_fields(tx_type, &fields, schema)?;
    let n = fields.len();
    let y_parity = as_u64(&fields[n - 3]);
    if y_parity > 1 {
        return Err(TxError::Signature(format!("y parity {y_parity}")));
    }
    let mut signing = vec![payload_form[0]];
    signing.extend_from_slice(&list_of(&concat(&fields[..n - 3])));
    let sender = recover(
        keccak256(&signing),
        y_parity == 1,
        &fields[n - 2],
        &fields[n - 1],
    )?;
    Ok(DecodedTx {
        tx_type,
        hash: keccak256(payload_form),
        chain_id: Some(as_u64(&fields[0])),
        nonce: as_u64(&fields[1]),
        sender,
    })
}

// Spec: EIP-4844 network form `[tx_payload_body, blobs, commitments, proofs]`, EIP-7594's
// `[tx_payload_body, wrapper_version, blobs, commitments, cell_proofs]`; the hash is of the body.
fn decode_blob(raw: &[u8]) -> Result<DecodedTx, TxError> {
    let outer = whole_list(&raw[1..])?;
    if !outer.first().is_some_and(|f| f.list) {
        // The payload form: the body itself.
        return decode_typed(raw, TxType::Blob, BLOB, &raw[1..]);
    }
    let (body, sidecar, per_blob) = match outer.as_slice() {
        [body, blobs, commitments, proofs] => (body, [blobs, commitments, proofs], 1),
        [body, version, blobs, commitments, proofs] if version.payload == [1] && !version.list => {
            (body, [blobs, commitments, proofs], 128)
        }
        _ => {
            return Err(TxError::Sidecar(
                "the network form has the wrong shape".into(),
            ))
        }
    };
    let mut payload_form = vec![0x03];
    payload_form.extend_from_slice(body.raw);
    let decoded = decode_typed(&payload_form, TxType::Blob, BLOB, body.raw)?;
    let hashes = whole_list(whole_list(body.raw)?[10].raw)?.len();
    let count = |item: &Item, size: usize, what: &str| -> Result<usize, TxError> {
        let items = whole_list(item.raw)?;
        if items.iter().any(|i| i.list || i.payload.len() != size) {
            return Err(TxError::Sidecar(format!("a {what} is not {size} bytes")));
        }
        Ok(items.len())
    };
    let blobs = count(sidecar[0], 131_072, "blob")?;
    let commitments = count(sidecar[1], 48, "commitment")?;
    let proofs = count(sidecar[2], 48, "proof")?;
    if hashes == 0 || blobs != hashes || commitments != hashes || proofs != hashes * per_blob {
        return Err(TxError::Sidecar(format!(
            "{hashes} versioned hashes, {blobs} blobs, {commitments} commitments, {proofs} proofs"
        )));
    }
    Ok(decoded)
}

/// A signed EIP-1559 transfer of 5 wei by `secret` (a 32-byte secp256k1 key), as a wallet sends it:
/// for tests and the forwarding bench, which need transactions that decode for real.
pub fn signed_transfer(secret: &[u8; 32], chain_id: u64, nonce: u64) -> Result<Vec<u8>, TxError> {
    let key = k256::ecdsa::SigningKey::from_bytes(secret.into())
        .map_err(|e| TxError::Signature(e.to_string()))?;
    let mut fields = vec![];
    chain_id.encode(&mut fields);
    nonce.encode(&mut fields);
    1u64.encode(&mut fields);
    100u64.encode(&mut fields);
    21_000u64.encode(&mut fields);
    Address::repeat_byte(7).encode(&mut fields);
    U256::from(5u64).encode(&mut fields);
    alloy_primitives::Bytes::new().encode(&mut fields);
    fields.push(alloy_rlp::EMPTY_LIST_CODE);
    let mut unsigned = vec![0x02];
    unsigned.extend(list_of(&fields));
    let (signature, recovery) = key
        .sign_prehash_recoverable(keccak256(&unsigned).as_slice())
        .map_err(|e| TxError::Signature(e.to_string()))?;
    (recovery.is_y_odd() as u8).encode(&mut fields);
    U256::from_be_slice(&signature.r().to_bytes()).encode(&mut fields);
    U256::from_be_slice(&signature.s().to_bytes()).encode(&mut fields);
    let mut out = vec![0x02];
    out.extend(list_of(&fields));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::SigningKey;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[0x11; 32].into()).unwrap()
    }

    fn sign(hash: B256) -> (bool, U256, U256) {
        let (sig, rec) = key().sign_prehash_recoverable(hash.as_slice()).unwrap();
        (
            rec.is_y_odd(),
            U256::from_be_slice(&sig.r().to_bytes()),
            U256::from_be_slice(&sig.s().to_bytes()),
        )
    }

    fn dynamic_fee(chain_id: u64, nonce: u64) -> Vec<u8> {
        signed_transfer(&[0x11; 32], chain_id, nonce).unwrap()
    }

    fn address(key: &SigningKey) -> Address {
        let point = key.verifying_key().to_encoded_point(false);
        Address::from_slice(&keccak256(&point.as_bytes()[1..])[12..])
    }

    fn legacy_eip155(chain_id: u64) -> Vec<u8> {
        let mut fields = vec![];
        9u64.encode(&mut fields);
        1_000u64.encode(&mut fields);
        21_000u64.encode(&mut fields);
        Address::repeat_byte(7).encode(&mut fields);
        U256::from(1u64).encode(&mut fields);
        alloy_primitives::Bytes::new().encode(&mut fields);
        let mut unsigned = fields.clone();
        chain_id.encode(&mut unsigned);
        0u8.encode(&mut unsigned);
        0u8.encode(&mut unsigned);
        let (y, r, s) = sign(keccak256(list_of(&unsigned)));
        (chain_id * 2 + 35 + y as u64).encode(&mut fields);
        r.encode(&mut fields);
        s.encode(&mut fields);
        list_of(&fields)
    }

    #[test]
    fn signed_transactions_decode_with_their_sender_and_hash() {
        let raw = dynamic_fee(1, 3);
        let tx = decode(&raw).unwrap();
        assert_eq!(tx.tx_type, TxType::DynamicFee);
        assert_eq!((tx.chain_id, tx.nonce), (Some(1), 3));
        assert_eq!(tx.sender, address(&key()));
        assert_eq!(tx.hash, keccak256(&raw));

        let raw = legacy_eip155(5);
        let tx = decode(&raw).unwrap();
        assert_eq!(
            (tx.tx_type, tx.chain_id, tx.nonce),
            (TxType::Legacy, Some(5), 9)
        );
        assert_eq!(tx.sender, address(&key()));
    }

    #[test]
    fn truncated_and_mutated_transactions_never_panic() {
        let legacy = legacy_eip155(1);
        for good in [dynamic_fee(1, 0), legacy] {
            for end in 0..good.len() {
                assert!(
                    decode(&good[..end]).is_err(),
                    "a prefix of {end} bytes decoded"
                );
            }
            for at in 0..good.len() {
                for flip in [0x01u8, 0x80, 0xff] {
                    let mut mutated = good.clone();
                    mutated[at] ^= flip;
                    // Either an error or another (still well-formed) transaction: never a panic.
                    let _ = decode(&mutated);
                }
            }
        }
    }

    #[test]
    fn junk_is_refused_with_a_reason() {
        let good = dynamic_fee(1, 0);
        let mut tampered = good.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        // Another s: either no key recovers, or another sender does.
        assert!(decode(&tampered).map(|t| t.sender) != Ok(address(&key())));
        for junk in [
            vec![],
            vec![0x00],
            vec![0x05, 0xc0],
            vec![0x02, 0xc0],
            vec![0xc0],
            vec![0x02, 0xc1],
            good[..good.len() - 1].to_vec(),
            [good.clone(), vec![0]].concat(),
            vec![0x80; 10],
            vec![0x01; MAX_TRANSACTION_BYTES + 1],
        ] {
            assert!(decode(&junk).is_err(), "{junk:?}");
        }
        assert!(matches!(
            decode(&vec![0xc0; MAX_TRANSACTION_BYTES + 1]),
            Err(TxError::TooLarge { .. })
        ));
    }
}
