//! Transactions as opaque bytes: a light RLP shape check (no signature check, no EVM), the blob
//! versioned hashes of EIP-4844 transactions, the network form of blob transactions, and a generated
//! blob transaction for payloads that should carry blobs.

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_rlp::{Encodable, Header};

/// EIP-4844 transaction type.
pub const BLOB_TX_TYPE: u8 = 0x03;

/// One RLP item: whether it is a list, its payload, and the whole encoded item.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    pub list: bool,
    pub payload: &'a [u8],
    pub raw: &'a [u8],
}

/// Decodes one item from the front of `buf`, returning it and the rest.
pub fn item(buf: &[u8]) -> Result<(Item<'_>, &[u8]), String> {
    let mut rest = buf;
    let header = Header::decode(&mut rest).map_err(|e| format!("rlp: {e}"))?;
    if rest.len() < header.payload_length {
        return Err("rlp: item longer than its input".into());
    }
    let header_len = buf.len() - rest.len();
    let (payload, rest) = rest.split_at(header.payload_length);
    let raw = &buf[..header_len + header.payload_length];
    Ok((
        Item {
            list: header.list,
            payload,
            raw,
        },
        rest,
    ))
}

/// The items of a list payload.
pub fn items(mut payload: &[u8]) -> Result<Vec<Item<'_>>, String> {
    let mut out = vec![];
    while !payload.is_empty() {
        let (i, rest) = item(payload)?;
        out.push(i);
        payload = rest;
    }
    Ok(out)
}

/// Decodes exactly one list spanning all of `buf`.
fn whole_list(buf: &[u8]) -> Result<Vec<Item<'_>>, String> {
    let (i, rest) = item(buf)?;
    if !i.list || !rest.is_empty() {
        return Err("not a single RLP list".into());
    }
    items(i.payload)
}

/// A transaction as submitted to the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolTx {
    /// The hash of the included (payload) form.
    pub hash: B256,
    /// The payload form: what goes into `transactions`.
    pub raw: Vec<u8>,
    /// For a blob transaction in network form: its sidecar.
    pub sidecar: Option<Sidecar>,
}

/// The blobs of a network-form blob transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    pub blobs: Vec<Vec<u8>>,
    pub commitments: Vec<[u8; 48]>,
    /// One proof per blob (wrapper version 0) or 128 cell proofs per blob (version 1).
    pub proofs: Vec<[u8; 48]>,
    pub cell_proofs: bool,
}

/// Checks that `raw` looks like a transaction (a legacy RLP list, or a type byte 0x01..=0x04 and an
/// RLP list) and splits off a blob sidecar. Nothing else is checked.
pub fn parse_submitted(raw: &[u8]) -> Result<PoolTx, String> {
    match raw.first() {
        None => Err("empty transaction".into()),
        Some(0xc0..) => {
            whole_list(raw)?;
            Ok(PoolTx {
                hash: keccak256(raw),
                raw: raw.to_vec(),
                sidecar: None,
            })
        }
        Some(&BLOB_TX_TYPE) => {
            let fields = whole_list(&raw[1..])?;
            if fields.first().is_some_and(|f| f.list) {
                return parse_blob_network_form(&fields);
            }
            blob_versioned_hashes_of_fields(&fields)?;
            Ok(PoolTx {
                hash: keccak256(raw),
                raw: raw.to_vec(),
                sidecar: None,
            })
        }
        Some(0x01..=0x04) => {
            whole_list(&raw[1..])?;
            Ok(PoolTx {
                hash: keccak256(raw),
                raw: raw.to_vec(),
                sidecar: None,
            })
        }
        Some(t) => Err(format!("unknown transaction type {t:#x}")),
    }
}

fn bytes48_list(item: &Item) -> Result<Vec<[u8; 48]>, String> {
    if !item.list {
        return Err("expected a list of 48-byte strings".into());
    }
    items(item.payload)?
        .iter()
        .map(|i| {
            <[u8; 48]>::try_from(i.payload).map_err(|_| "expected 48-byte strings".to_string())
        })
        .collect()
}

/// `[tx_payload_body, blobs, commitments, proofs]` (EIP-4844) or
/// `[tx_payload_body, wrapper_version = 1, blobs, commitments, cell_proofs]` (EIP-7594).
fn parse_blob_network_form(fields: &[Item]) -> Result<PoolTx, String> {
    let (body, rest, cell_proofs) = match fields {
        [body, blobs, commitments, proofs] => (body, [blobs, commitments, proofs], false),
        [body, version, blobs, commitments, proofs] if version.payload == [1] => {
            (body, [blobs, commitments, proofs], true)
        }
        _ => return Err("blob transaction network form has the wrong shape".into()),
    };
    let mut raw = vec![BLOB_TX_TYPE];
    raw.extend_from_slice(body.raw);
    let hashes = blob_versioned_hashes_of_fields(&items(body.payload)?)?;
    if !rest[0].list {
        return Err("blobs must be a list".into());
    }
    let blobs: Vec<Vec<u8>> = items(rest[0].payload)?
        .iter()
        .map(|b| b.payload.to_vec())
        .collect();
    let commitments = bytes48_list(rest[1])?;
    let proofs = bytes48_list(rest[2])?;
    let per_blob = if cell_proofs {
        ::kzg::CELLS_PER_EXT_BLOB
    } else {
        1
    };
    if blobs.len() != hashes.len()
        || commitments.len() != hashes.len()
        || proofs.len() != hashes.len() * per_blob
    {
        return Err("blob, commitment, proof and versioned hash counts differ".into());
    }
    if blobs.iter().any(|b| b.len() != ::kzg::BYTES_PER_BLOB) {
        return Err("a blob is not 131072 bytes".into());
    }
    for (c, h) in commitments.iter().zip(&hashes) {
        if crate::kzg::versioned_hash(c) != *h {
            return Err("a commitment does not match its versioned hash".into());
        }
    }
    Ok(PoolTx {
        hash: keccak256(&raw),
        raw,
        sidecar: Some(Sidecar {
            blobs,
            commitments,
            proofs,
            cell_proofs,
        }),
    })
}

/// Field 10 of an EIP-4844 transaction body: its blob versioned hashes.
fn blob_versioned_hashes_of_fields(fields: &[Item]) -> Result<Vec<B256>, String> {
    let hashes = fields
        .get(10)
        .filter(|f| f.list)
        .ok_or("blob transaction lacks blob_versioned_hashes")?;
    items(hashes.payload)?
        .iter()
        .map(|h| {
            B256::try_from(h.payload).map_err(|_| "a versioned hash is not 32 bytes".to_string())
        })
        .collect()
}

/// The blob versioned hashes of an included transaction (empty unless it is a blob transaction).
pub fn blob_versioned_hashes(raw: &[u8]) -> Result<Vec<B256>, String> {
    match raw.first() {
        Some(&BLOB_TX_TYPE) => blob_versioned_hashes_of_fields(&whole_list(&raw[1..])?),
        _ => Ok(vec![]),
    }
}

/// The versioned hashes of all blob transactions of a payload, in order.
pub fn payload_versioned_hashes<T: AsRef<[u8]>>(txs: &[T]) -> Result<Vec<B256>, String> {
    let mut out = vec![];
    for tx in txs {
        out.extend(blob_versioned_hashes(tx.as_ref())?);
    }
    Ok(out)
}

/// An unsigned-looking (dummy signature) EIP-4844 transaction carrying `hashes`, in payload form.
/// Only the mock reads it; it is not a valid signed transaction.
pub fn make_blob_tx(chain_id: u64, nonce: u64, hashes: &[B256]) -> Vec<u8> {
    let mut hashes_rlp = vec![];
    Header {
        list: true,
        payload_length: hashes.iter().map(|h| h.length()).sum(),
    }
    .encode(&mut hashes_rlp);
    hashes.iter().for_each(|h| h.encode(&mut hashes_rlp));
    let to = Address::with_last_byte(0x4b);
    let empty_list = [alloy_rlp::EMPTY_LIST_CODE];
    let fields: [&dyn Encodable; 14] = [
        &chain_id,
        &nonce,
        &1_000_000_000u64,
        &10_000_000_000u64,
        &21_000u64,
        &to,
        &U256::ZERO,
        &alloy_primitives::Bytes::new(),
        &alloy_primitives::Bytes::new(), // the access list slot, filled in below
        &1_000_000_000u64,
        &alloy_primitives::Bytes::new(), // the versioned hashes slot, filled in below
        &0u8,
        &1u8,
        &1u8,
    ];
    let mut payload = vec![];
    for (i, f) in fields.iter().enumerate() {
        match i {
            8 => payload.extend_from_slice(&empty_list),
            10 => payload.extend_from_slice(&hashes_rlp),
            _ => f.encode(&mut payload),
        }
    }
    let mut out = vec![BLOB_TX_TYPE];
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_checked() {
        assert!(parse_submitted(&[]).is_err());
        assert!(parse_submitted(&[0xc0]).is_ok());
        assert!(parse_submitted(&[0x02, 0xc1, 0x80]).is_ok());
        assert!(parse_submitted(&[0x02, 0xc1, 0x80, 0x00]).is_err());
        assert!(parse_submitted(&[0x05, 0xc0]).is_err());
        assert!(parse_submitted(&[0xc3, 0x80]).is_err());
        assert!(parse_submitted(&[0x80]).is_err());
    }

    #[test]
    fn blob_tx_hashes_round_trip() {
        let hashes = [B256::repeat_byte(1), B256::repeat_byte(2)];
        let tx = make_blob_tx(1, 0, &hashes);
        assert_eq!(blob_versioned_hashes(&tx).unwrap(), hashes);
        assert_eq!(parse_submitted(&tx).unwrap().raw, tx);
        assert_eq!(
            payload_versioned_hashes(&[vec![0xc0], tx.clone(), tx])
                .unwrap()
                .len(),
            4
        );
        assert!(blob_versioned_hashes(&[0x03, 0xc0]).is_err());
    }
}
