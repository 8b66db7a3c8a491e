//! Root of an ordered Merkle–Patricia trie (keys `rlp(index)`), as used for an execution block's
//! transactions and withdrawals roots. Only builds the root: no proofs, no updates.

use alloy_primitives::{keccak256, B256};
use alloy_rlp::{Encodable, Header};

/// Root of the Merkle–Patricia trie mapping `rlp(i)` to `items[i]`: the execution layer's
/// transactions root (items are raw transactions) and withdrawals root (items are RLP withdrawals).
pub fn ordered_trie_root<T: AsRef<[u8]>>(items: &[T]) -> B256 {
    root(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (nibbles(&alloy_rlp::encode(i)), item.as_ref()))
            .collect(),
    )
}

/// Root of the Merkle–Patricia trie mapping each (distinct) key to its value: e.g. the secure tries
/// of state and storage, keyed by `keccak256(address)` and `keccak256(slot)`, for a genesis state
/// root.
pub fn trie_root<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> B256 {
    root(
        pairs
            .iter()
            .map(|(k, v)| (nibbles(k.as_ref()), v.as_ref()))
            .collect(),
    )
}

/// The root over `(key nibbles, value)` leaves, in any order.
fn root(mut leaves: Vec<(Vec<u8>, &[u8])>) -> B256 {
    // Keys need not arrive sorted (rlp(i) does not sort like i: rlp(0) = 0x80), so order by nibbles.
    leaves.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if leaves.is_empty() {
        return keccak256([alloy_rlp::EMPTY_STRING_CODE]);
    }
    keccak256(node(&leaves, 0))
}

fn nibbles(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().flat_map(|b| [b >> 4, b & 0x0f]).collect()
}

/// RLP of the node holding `leaves` (sorted, non-empty, sharing their first `depth` nibbles).
fn node(leaves: &[(Vec<u8>, &[u8])], depth: usize) -> Vec<u8> {
    if let [(key, value)] = leaves {
        return list(&[&string(&hex_prefix(&key[depth..], true)), &string(value)]);
    }
    // Sorted keys: the common prefix of all is that of the first and the last.
    let (first, last) = (&leaves[0].0[depth..], &leaves[leaves.len() - 1].0[depth..]);
    let shared = first.iter().zip(last).take_while(|(a, b)| a == b).count();
    if shared > 0 {
        let child = reference(node(leaves, depth + shared));
        return list(&[&string(&hex_prefix(&first[..shared], false)), &child]);
    }
    // Branch: a key ending here goes in the value slot (sorted first); the rest split by nibble.
    let (ended, mut rest) =
        leaves.split_at(leaves.iter().take_while(|l| l.0.len() == depth).count());
    let mut slots: Vec<Vec<u8>> = Vec::with_capacity(17);
    for nibble in 0..16u8 {
        let n = rest.iter().take_while(|l| l.0[depth] == nibble).count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        slots.push(if group.is_empty() {
            vec![alloy_rlp::EMPTY_STRING_CODE]
        } else {
            reference(node(group, depth + 1))
        });
    }
    slots.push(string(ended.first().map_or(&[][..], |l| l.1)));
    list(&slots.iter().map(Vec::as_slice).collect::<Vec<_>>())
}

/// How a parent refers to a child node: inline if its RLP is under 32 bytes, else by hash.
fn reference(node_rlp: Vec<u8>) -> Vec<u8> {
    if node_rlp.len() < 32 {
        node_rlp
    } else {
        string(keccak256(&node_rlp).as_slice())
    }
}

/// Hex-prefix (compact) encoding of a nibble path, flagging leaf vs extension and odd length.
fn hex_prefix(path: &[u8], leaf: bool) -> Vec<u8> {
    let flag = if leaf { 2 } else { 0 } + (path.len() % 2) as u8;
    let (mut out, rest) = match path.len() % 2 {
        1 => (vec![(flag << 4) | path[0]], &path[1..]),
        _ => (vec![flag << 4], path),
    };
    out.extend(rest.chunks(2).map(|p| (p[0] << 4) | p[1]));
    out
}

fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 9);
    bytes.encode(&mut out);
    out
}

/// An RLP list of already-encoded items.
fn list(items: &[&[u8]]) -> Vec<u8> {
    let payload_length = items.iter().map(|i| i.len()).sum();
    let mut out = Vec::with_capacity(payload_length + 9);
    Header {
        list: true,
        payload_length,
    }
    .encode(&mut out);
    items.iter().for_each(|i| out.extend_from_slice(i));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_trie_root() {
        let empty: [&[u8]; 0] = [];
        assert_eq!(
            ordered_trie_root(&empty),
            alloy_primitives::b256!(
                "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
            )
        );
    }

    /// Roots from alloy-trie 0.9.9's `ordered_trie_root_with_encoder`, which agreed with this
    /// implementation on 1,216 random lists (0..300, 511, 512, 1000, 4097 items, 0..200 bytes each).
    #[test]
    fn matches_alloy_trie() {
        let short: Vec<Vec<u8>> = (0..300u32)
            .map(|i| i.to_be_bytes()[..(i % 4) as usize].to_vec())
            .collect();
        assert_eq!(
            ordered_trie_root(&short),
            alloy_primitives::b256!(
                "b9d9e7e03125ec0b445e4d509fb526befae55d74c013d1470370d8398eb4bb62"
            )
        );
        let mixed: Vec<Vec<u8>> = (0..200u32)
            .map(|i| vec![i as u8; (i % 70) as usize])
            .collect();
        assert_eq!(
            ordered_trie_root(&mixed),
            alloy_primitives::b256!(
                "e24f9d6cfff0902e949572fba8308a22fcfa1672fe485d8e27d96e09767be122"
            )
        );
    }

    #[test]
    fn keyed_root_agrees_with_ordered_root() {
        let items: Vec<Vec<u8>> = (0..130u32)
            .map(|i| vec![i as u8; (i % 40) as usize])
            .collect();
        let pairs: Vec<(Vec<u8>, &Vec<u8>)> = items
            .iter()
            .enumerate()
            .map(|(i, item)| (alloy_rlp::encode(i), item))
            .collect();
        assert_eq!(trie_root(&pairs), ordered_trie_root(&items));
        let none: [(&[u8], &[u8]); 0] = [];
        assert_eq!(trie_root(&none), ordered_trie_root::<&[u8]>(&[]));
    }

    #[test]
    fn hex_prefix_flags() {
        assert_eq!(hex_prefix(&[1, 2, 3, 4, 5], false), [0x11, 0x23, 0x45]);
        assert_eq!(
            hex_prefix(&[0, 1, 2, 3, 4, 5], false),
            [0x00, 0x01, 0x23, 0x45]
        );
        assert_eq!(
            hex_prefix(&[0, 0xf, 1, 0xc, 0xb, 8], true),
            [0x20, 0x0f, 0x1c, 0xb8]
        );
        assert_eq!(hex_prefix(&[0xf, 1, 0xc, 0xb, 8], true), [0x3f, 0x1c, 0xb8]);
    }
}
