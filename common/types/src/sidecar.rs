//! Blob sidecars (Deneb p2p) and data column sidecars (Fulu DAS), and the Merkle proofs that tie their
//! KZG commitments to a block body whose root the signed header carries.
//!
//! A sidecar travels apart from its block, so a peer checks it against the proposer-signed header alone:
//! the inclusion proof is what makes that possible without the body.

use crate::block::*;
use crate::consensus::SignedBeaconBlockHeader;
use crate::primitives::*;
use crate::{Blob, EthSpec};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ssz_derive::{Decode, Encode};
use ssz_types::typenum::{Unsigned, U17, U2048, U4};
use ssz_types::{FixedVector, VariableList};
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

pub type BlobIndex = u64;
pub type ColumnIndex = u64;
/// `KZG_COMMITMENT_INCLUSION_PROOF_DEPTH` (deneb): `4 + 1 + ceillog2(MAX_BLOB_COMMITMENTS_PER_BLOCK)`, 17
/// in both presets (a test checks the formula against each preset).
pub type KzgCommitmentInclusionProofDepth = U17;
/// `KZG_COMMITMENTS_INCLUSION_PROOF_DEPTH` (fulu): the body's depth, 4 in both presets.
pub type KzgCommitmentsInclusionProofDepth = U4;
/// `BYTES_PER_FIELD_ELEMENT * FIELD_ELEMENTS_PER_CELL` (fulu), the same in both presets.
pub type BytesPerCell = U2048;
/// `NUMBER_OF_COLUMNS` (fulu), the same in both presets.
pub const NUMBER_OF_COLUMNS: u64 = 128;

/// `Cell` (fulu).
pub type Cell = FixedVector<u8, BytesPerCell>;
/// `DataColumn` (fulu): one cell of each blob.
pub type DataColumn<E> = VariableList<Cell, <E as EthSpec>::MaxBlobCommitmentsPerBlock>;
/// `KZGCommitmentInclusionProof` (deneb).
pub type KzgCommitmentInclusionProof = FixedVector<Hash256, KzgCommitmentInclusionProofDepth>;
/// `KZGCommitmentsInclusionProof` (fulu).
pub type KzgCommitmentsInclusionProof = FixedVector<Hash256, KzgCommitmentsInclusionProofDepth>;

/// `BlobSidecar` (deneb; unchanged in electra, replaced by columns in fulu).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct BlobSidecar<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: BlobIndex,
    #[serde(with = "ssz_types::serde_utils::hex_fixed_vec")]
    pub blob: Blob<E>,
    pub kzg_commitment: KzgCommitment,
    pub kzg_proof: KzgProof,
    pub signed_block_header: SignedBeaconBlockHeader,
    pub kzg_commitment_inclusion_proof: KzgCommitmentInclusionProof,
}

/// `DataColumnSidecar` (fulu).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash)]
#[serde(bound = "E: EthSpec", deny_unknown_fields)]
pub struct DataColumnSidecar<E: EthSpec> {
    #[serde(with = "serde_utils::quoted_u64")]
    pub index: ColumnIndex,
    #[serde(with = "ssz_types::serde_utils::list_of_hex_fixed_vec")]
    pub column: DataColumn<E>,
    pub kzg_commitments: BlobKzgCommitments<E>,
    pub kzg_proofs: VariableList<KzgProof, E::MaxBlobCommitmentsPerBlock>,
    pub signed_block_header: SignedBeaconBlockHeader,
    pub kzg_commitments_inclusion_proof: KzgCommitmentsInclusionProof,
}

/// Why a proof could not be computed or a sidecar built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MerkleProofError {
    #[error("a {0} block body has no blob KZG commitments")]
    NoBlobs(ForkName),
    #[error("blob index {index} is out of range ({count} commitments)")]
    BlobIndexOutOfRange { index: u64, count: usize },
    #[error("generalized index {0} is not a node this proof can reach in a BeaconBlockBody")]
    UnsupportedIndex(u64),
    #[error("{got} cells or proofs for {expected} commitments")]
    LengthMismatch { expected: usize, got: usize },
}

/// Index of `blob_kzg_commitments` among the body's fields (Deneb to Fulu).
pub const BLOB_KZG_COMMITMENTS_FIELD_INDEX: u64 = 11;
/// `floorlog2` of a body field's generalized index: the body has 12 or 13 fields, padded to 16.
const BODY_DEPTH: u32 = 4;

/// A block body (full or blinded) seen as the leaves of its container tree.
pub trait BodyMerkleLeaves<E: EthSpec> {
    /// The hash tree roots of the body's fields, in SSZ order.
    fn field_roots(&self) -> Vec<Hash256>;
    /// The body's blob commitments, if its fork has them.
    fn blob_kzg_commitments(&self) -> Result<&BlobKzgCommitments<E>, MerkleProofError>;
}

macro_rules! field_roots {
    ($b:expr, $payload:ident, [$($extra:ident),*]) => {{
        let b = $b;
        vec![
            b.randao_reveal.tree_hash_root(),
            b.eth1_data.tree_hash_root(),
            b.graffiti.tree_hash_root(),
            b.proposer_slashings.tree_hash_root(),
            b.attester_slashings.tree_hash_root(),
            b.attestations.tree_hash_root(),
            b.deposits.tree_hash_root(),
            b.voluntary_exits.tree_hash_root(),
            b.sync_aggregate.tree_hash_root(),
            b.$payload.tree_hash_root(),
            b.bls_to_execution_changes.tree_hash_root(),
            $(b.$extra.tree_hash_root(),)*
        ]
    }};
}

macro_rules! impl_body_leaves {
    ($Ref:ident, $payload:ident) => {
        impl<E: EthSpec> BodyMerkleLeaves<E> for $Ref<'_, E> {
            fn field_roots(&self) -> Vec<Hash256> {
                match self {
                    Self::Capella(b) => field_roots!(b, $payload, []),
                    Self::Deneb(b) => field_roots!(b, $payload, [blob_kzg_commitments]),
                    Self::Electra(b) => {
                        field_roots!(b, $payload, [blob_kzg_commitments, execution_requests])
                    }
                    Self::Fulu(b) => {
                        field_roots!(b, $payload, [blob_kzg_commitments, execution_requests])
                    }
                }
            }

            fn blob_kzg_commitments(&self) -> Result<&BlobKzgCommitments<E>, MerkleProofError> {
                match self {
                    Self::Capella(_) => Err(MerkleProofError::NoBlobs(ForkName::Capella)),
                    Self::Deneb(b) => Ok(&b.blob_kzg_commitments),
                    Self::Electra(b) => Ok(&b.blob_kzg_commitments),
                    Self::Fulu(b) => Ok(&b.blob_kzg_commitments),
                }
            }
        }
    };
}

impl_body_leaves!(BeaconBlockBodyRef, execution_payload);
impl_body_leaves!(BlindedBeaconBlockBodyRef, execution_payload_header);

fn hash_pair(left: &Hash256, right: &Hash256) -> Hash256 {
    let mut hasher = Sha256::new();
    hasher.update(left.as_slice());
    hasher.update(right.as_slice());
    Hash256::from_slice(&hasher.finalize())
}

/// `zero_hashes[i]`: the root of a depth-`i` tree of zero chunks.
fn zero_hashes(depth: usize) -> Vec<Hash256> {
    let mut zeros = vec![Hash256::ZERO];
    for i in 0..depth {
        let next = hash_pair(&zeros[i], &zeros[i]);
        zeros.push(next);
    }
    zeros
}

/// The node at `position` of level `level` (0 = leaves) in a depth-`depth` tree whose first leaves are
/// `leaves` (the rest zero), with the branch from that node up to the root (bottom first). Only the
/// non-zero part of each level is built, so a 4096-leaf list of a few commitments is cheap.
fn node_and_branch(
    leaves: &[Hash256],
    depth: usize,
    level: usize,
    position: usize,
) -> (Hash256, Vec<Hash256>) {
    let zeros = zero_hashes(depth);
    let mut layer = leaves.to_vec();
    let mut node = None;
    let mut branch = Vec::with_capacity(depth - level);
    let mut pos = position;
    for (l, zero) in zeros.iter().enumerate().take(depth) {
        if l == level {
            node = Some(layer.get(pos).copied().unwrap_or(*zero));
        }
        if l >= level {
            branch.push(layer.get(pos ^ 1).copied().unwrap_or(*zero));
            pos >>= 1;
        }
        layer = layer
            .chunks(2)
            .map(|pair| hash_pair(&pair[0], pair.get(1).unwrap_or(zero)))
            .collect();
    }
    let node = node.unwrap_or_else(|| layer.first().copied().unwrap_or(zeros[depth]));
    (node, branch)
}

/// The length chunk mixed into a list's root (`mix_in_length`).
fn length_chunk(length: usize) -> Hash256 {
    let mut chunk = [0u8; 32];
    chunk[..8].copy_from_slice(&(length as u64).to_le_bytes());
    Hash256::from(chunk)
}

/// `compute_merkle_proof(body, gindex)` for the nodes Blindfold serves proofs of: any field of the body
/// (`gindex` 16 to 31), and inside `blob_kzg_commitments` its data root, its length, or any node of its
/// data tree down to a single commitment. Returns the node at `gindex` (the leaf) and the branch, bottom
/// first, as `is_valid_merkle_branch` reads it.
pub fn compute_merkle_proof<E: EthSpec, B: BodyMerkleLeaves<E>>(
    body: &B,
    gindex: u64,
) -> Result<(Hash256, Vec<Hash256>), MerkleProofError> {
    let unsupported = || MerkleProofError::UnsupportedIndex(gindex);
    if gindex < 16 {
        return Err(unsupported());
    }
    let depth = 63 - gindex.leading_zeros();
    let field = ((gindex >> (depth - BODY_DEPTH)) - 16) as usize;
    let fields = body.field_roots();
    let (field_root, body_branch) = node_and_branch(&fields, BODY_DEPTH as usize, 0, field);
    if depth == BODY_DEPTH {
        return Ok((field_root, body_branch));
    }
    if field as u64 != BLOB_KZG_COMMITMENTS_FIELD_INDEX {
        return Err(unsupported());
    }
    let commitments = body.blob_kzg_commitments()?;
    let list_depth = E::MaxBlobCommitmentsPerBlock::to_usize()
        .next_power_of_two()
        .trailing_zeros();
    let below_field = depth - BODY_DEPTH; // >= 1: first step picks data (0) or length (1)
    let data_side = (gindex >> (below_field - 1)) & 1;
    let leaves: Vec<Hash256> = commitments.iter().map(|c| c.tree_hash_root()).collect();
    let (data_root, _) = node_and_branch(&leaves, list_depth as usize, list_depth as usize, 0);
    let length = length_chunk(commitments.len());
    if data_side == 1 {
        if below_field != 1 {
            return Err(unsupported());
        }
        let mut branch = vec![data_root];
        branch.extend(body_branch);
        return Ok((length, branch));
    }
    let in_data = below_field - 1;
    if in_data > list_depth {
        return Err(unsupported());
    }
    let position = (gindex & ((1u64 << in_data) - 1)) as usize;
    let (node, mut branch) = node_and_branch(
        &leaves,
        list_depth as usize,
        (list_depth - in_data) as usize,
        position,
    );
    branch.push(length);
    branch.extend(body_branch);
    Ok((node, branch))
}

/// `get_generalized_index(BeaconBlockBody, 'blob_kzg_commitments', index)`.
pub fn blob_kzg_commitment_gindex<E: EthSpec>(index: u64) -> u64 {
    let list_depth = E::MaxBlobCommitmentsPerBlock::to_u64()
        .next_power_of_two()
        .trailing_zeros();
    (((16 + BLOB_KZG_COMMITMENTS_FIELD_INDEX) * 2) << list_depth) + index
}

/// `get_generalized_index(BeaconBlockBody, 'blob_kzg_commitments')`.
pub const BLOB_KZG_COMMITMENTS_GINDEX: u64 = 16 + BLOB_KZG_COMMITMENTS_FIELD_INDEX;

/// `is_valid_merkle_branch` (phase0).
pub fn is_valid_merkle_branch(
    leaf: Hash256,
    branch: &[Hash256],
    depth: u64,
    index: u64,
    root: Hash256,
) -> bool {
    if branch.len() as u64 != depth {
        return false;
    }
    let mut value = leaf;
    for (i, node) in branch.iter().enumerate() {
        value = if i < 64 && (index >> i) & 1 == 1 {
            hash_pair(node, &value)
        } else {
            hash_pair(&value, node)
        };
    }
    value == root
}

/// `get_subtree_index`: a generalized index without its leading bit.
pub fn get_subtree_index(gindex: u64) -> u64 {
    gindex % (1 << (63 - gindex.leading_zeros()))
}

/// The `kzg_commitment_inclusion_proof` of blob `index` (deneb `get_blob_sidecars`).
pub fn kzg_commitment_inclusion_proof<E: EthSpec, B: BodyMerkleLeaves<E>>(
    body: &B,
    index: u64,
) -> Result<KzgCommitmentInclusionProof, MerkleProofError> {
    let count = body.blob_kzg_commitments()?.len();
    if index as usize >= count {
        return Err(MerkleProofError::BlobIndexOutOfRange { index, count });
    }
    let (_, branch) = compute_merkle_proof(body, blob_kzg_commitment_gindex::<E>(index))?;
    FixedVector::new(branch)
        .map_err(|_| MerkleProofError::UnsupportedIndex(blob_kzg_commitment_gindex::<E>(index)))
}

/// The `kzg_commitments_inclusion_proof` of a block's columns (fulu `get_data_column_sidecars`).
pub fn kzg_commitments_inclusion_proof<E: EthSpec, B: BodyMerkleLeaves<E>>(
    body: &B,
) -> Result<KzgCommitmentsInclusionProof, MerkleProofError> {
    body.blob_kzg_commitments()?;
    let (_, branch) = compute_merkle_proof(body, BLOB_KZG_COMMITMENTS_GINDEX)?;
    FixedVector::new(branch)
        .map_err(|_| MerkleProofError::UnsupportedIndex(BLOB_KZG_COMMITMENTS_GINDEX))
}

impl<E: EthSpec> BlobSidecar<E> {
    /// The sidecar of blob `index` of a signed block (deneb `get_blob_sidecars`); the blob and proof come
    /// from the blobs bundle.
    pub fn new<B: BodyMerkleLeaves<E>>(
        index: BlobIndex,
        blob: Blob<E>,
        kzg_proof: KzgProof,
        body: &B,
        signed_block_header: SignedBeaconBlockHeader,
    ) -> Result<Self, MerkleProofError> {
        let kzg_commitment_inclusion_proof = kzg_commitment_inclusion_proof(body, index)?;
        let kzg_commitment = body.blob_kzg_commitments()?[index as usize];
        Ok(Self {
            index,
            blob,
            kzg_commitment,
            kzg_proof,
            signed_block_header,
            kzg_commitment_inclusion_proof,
        })
    }

    /// The root of the block this sidecar belongs to.
    pub fn block_root(&self) -> Root {
        self.signed_block_header.message.tree_hash_root()
    }
}

/// `verify_blob_sidecar_inclusion_proof` (deneb p2p).
pub fn verify_blob_sidecar_inclusion_proof<E: EthSpec>(sidecar: &BlobSidecar<E>) -> bool {
    let gindex = get_subtree_index(blob_kzg_commitment_gindex::<E>(sidecar.index));
    sidecar.index < E::MaxBlobCommitmentsPerBlock::to_u64()
        && is_valid_merkle_branch(
            sidecar.kzg_commitment.tree_hash_root(),
            &sidecar.kzg_commitment_inclusion_proof,
            KzgCommitmentInclusionProofDepth::to_u64(),
            gindex,
            sidecar.signed_block_header.message.body_root,
        )
}

impl<E: EthSpec> DataColumnSidecar<E> {
    /// Column `index` of a signed block (fulu `get_data_column_sidecars`): one cell and one cell proof
    /// per blob, from the cells and proofs the caller computed.
    pub fn new<B: BodyMerkleLeaves<E>>(
        index: ColumnIndex,
        column: Vec<Cell>,
        kzg_proofs: Vec<KzgProof>,
        body: &B,
        signed_block_header: SignedBeaconBlockHeader,
    ) -> Result<Self, MerkleProofError> {
        let kzg_commitments = body.blob_kzg_commitments()?.clone();
        let expected = kzg_commitments.len();
        for got in [column.len(), kzg_proofs.len()] {
            if got != expected {
                return Err(MerkleProofError::LengthMismatch { expected, got });
            }
        }
        let length = |got| MerkleProofError::LengthMismatch { expected, got };
        Ok(Self {
            index,
            column: VariableList::new(column).map_err(|_| length(expected))?,
            kzg_proofs: VariableList::new(kzg_proofs).map_err(|_| length(expected))?,
            kzg_commitments_inclusion_proof: kzg_commitments_inclusion_proof(body)?,
            kzg_commitments,
            signed_block_header,
        })
    }

    /// The root of the block this sidecar belongs to.
    pub fn block_root(&self) -> Root {
        self.signed_block_header.message.tree_hash_root()
    }
}

/// `verify_data_column_sidecar_inclusion_proof` (fulu p2p).
pub fn verify_data_column_sidecar_inclusion_proof<E: EthSpec>(
    sidecar: &DataColumnSidecar<E>,
) -> bool {
    is_valid_merkle_branch(
        sidecar.kzg_commitments.tree_hash_root(),
        &sidecar.kzg_commitments_inclusion_proof,
        KzgCommitmentsInclusionProofDepth::to_u64(),
        get_subtree_index(BLOB_KZG_COMMITMENTS_GINDEX),
        sidecar.signed_block_header.message.body_root,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MainnetEthSpec, MinimalEthSpec};

    #[test]
    fn proof_depths_follow_the_preset_formulas() {
        fn check<E: EthSpec>() {
            let list_depth = E::MaxBlobCommitmentsPerBlock::to_u64()
                .next_power_of_two()
                .trailing_zeros() as u64;
            assert_eq!(
                KzgCommitmentInclusionProofDepth::to_u64(),
                BODY_DEPTH as u64 + 1 + list_depth
            );
            assert_eq!(
                KzgCommitmentsInclusionProofDepth::to_u64(),
                BODY_DEPTH as u64
            );
            // floorlog2 of the commitment gindex is the proof depth.
            let gindex = blob_kzg_commitment_gindex::<E>(0);
            assert_eq!(
                63 - gindex.leading_zeros() as u64,
                KzgCommitmentInclusionProofDepth::to_u64()
            );
        }
        check::<MainnetEthSpec>();
        check::<MinimalEthSpec>();
    }

    #[test]
    fn sparse_tree_matches_tree_hash() {
        let leaves: Vec<Hash256> = (1..=5u8).map(Hash256::repeat_byte).collect();
        let list: VariableList<Hash256, ssz_types::typenum::U16> =
            VariableList::new(leaves.clone()).unwrap();
        let (data_root, _) = node_and_branch(&leaves, 4, 4, 0);
        assert_eq!(
            tree_hash::mix_in_length(&data_root, 5),
            list.tree_hash_root()
        );
        for i in 0..16 {
            let (leaf, branch) = node_and_branch(&leaves, 4, 0, i);
            assert!(is_valid_merkle_branch(
                leaf, &branch, 4, i as u64, data_root
            ));
            assert!(
                !is_valid_merkle_branch(leaf, &branch, 4, (i as u64) ^ 1, data_root)
                    || leaf == branch[0]
            );
        }
    }

    #[test]
    fn subtree_index_drops_the_leading_bit() {
        assert_eq!(get_subtree_index(27), 11);
        assert_eq!(get_subtree_index(221184), 221184 - (1 << 17));
    }
}
