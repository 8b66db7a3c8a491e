//! Fulu data column checks for the fork-choice vectors' availability (`is_data_available`):
//! `verify_data_column_sidecar` and `verify_data_column_sidecar_kzg_proofs`.

use types::sidecar::NUMBER_OF_COLUMNS;
use types::{DataColumnSidecar, EthSpec, Hash256};

/// `verify_data_column_sidecar` and `verify_data_column_sidecar_kzg_proofs`, and that the sidecar
/// belongs to the block: its header's root and its commitments are the block's
/// (`retrieve_column_sidecars` is by block root).
pub fn verify_column<E: EthSpec>(
    sidecar: &DataColumnSidecar<E>,
    block_root: Hash256,
    block_commitments: &[[u8; 48]],
) -> bool {
    let n = sidecar.kzg_commitments.len();
    if sidecar.block_root() != block_root
        || sidecar.index >= NUMBER_OF_COLUMNS
        || n == 0
        || sidecar.column.len() != n
        || sidecar.kzg_proofs.len() != n
    {
        return false;
    }
    let commitments: Vec<[u8; 48]> = sidecar
        .kzg_commitments
        .iter()
        .map(|c| *c.as_bytes())
        .collect();
    if commitments != block_commitments {
        return false;
    }
    let bytes48 = |b: &[u8]| c_kzg::Bytes48::from_bytes(b);
    let (Ok(commitments), Ok(proofs), Ok(cells)) = (
        commitments
            .iter()
            .map(|c| bytes48(c))
            .collect::<Result<Vec<_>, _>>(),
        sidecar
            .kzg_proofs
            .iter()
            .map(|p| bytes48(p.as_bytes()))
            .collect::<Result<Vec<_>, _>>(),
        sidecar
            .column
            .iter()
            .map(|c| c_kzg::Cell::from_bytes(c))
            .collect::<Result<Vec<_>, _>>(),
    ) else {
        return false;
    };
    let indices = vec![sidecar.index; n];
    kzg::settings()
        .verify_cell_kzg_proof_batch(&commitments, &indices, &cells, &proofs)
        .unwrap_or(false)
}
