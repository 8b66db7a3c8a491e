//! Assembling a block of any fork from its parts: the same parts make a full block (with the payload)
//! or a blinded one (with its header), so production has one path for both.

use types::ssz_types::{typenum, VariableList};
use types::{
    AttestationBase, AttestationElectra, AttesterSlashingBase, AttesterSlashingElectra,
    BeaconBlock, BeaconBlockBodyCapella, BeaconBlockBodyDeneb, BeaconBlockBodyElectra,
    BeaconBlockBodyFulu, BeaconBlockCapella, BeaconBlockDeneb, BeaconBlockElectra, BeaconBlockFulu,
    BlindedBeaconBlock, BlindedBeaconBlockBodyCapella, BlindedBeaconBlockBodyDeneb,
    BlindedBeaconBlockBodyElectra, BlindedBeaconBlockBodyFulu, BlindedBeaconBlockCapella,
    BlindedBeaconBlockDeneb, BlindedBeaconBlockElectra, BlindedBeaconBlockFulu, Deposit, Eth1Data,
    EthSpec, ExecutionPayload, ExecutionPayloadHeader, ExecutionRequests, ForkName, Hash256,
    KzgCommitment, ProposerSlashing, SignatureBytes, SignedBlsToExecutionChange,
    SignedVoluntaryExit, Slot, SyncAggregate,
};

/// The attestations of a block, in the fork's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockAttestations<E: EthSpec> {
    /// Capella, Deneb.
    Base(Vec<AttestationBase<E>>),
    /// Electra on (on-chain aggregates with committee bits).
    Electra(Vec<AttestationElectra<E>>),
}

/// The attester slashings of a block, in the fork's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum BlockAttesterSlashings<E: EthSpec> {
    /// Capella, Deneb.
    Base(Vec<AttesterSlashingBase<E>>),
    /// Electra on.
    Electra(Vec<AttesterSlashingElectra<E>>),
}

/// Everything of a block body but the payload.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyParts<E: EthSpec> {
    pub randao_reveal: SignatureBytes,
    pub eth1_data: Eth1Data,
    pub graffiti: Hash256,
    pub proposer_slashings: Vec<ProposerSlashing>,
    pub attester_slashings: BlockAttesterSlashings<E>,
    pub attestations: BlockAttestations<E>,
    pub deposits: Vec<Deposit>,
    pub voluntary_exits: Vec<SignedVoluntaryExit>,
    pub sync_aggregate: SyncAggregate<E>,
    pub bls_to_execution_changes: Vec<SignedBlsToExecutionChange>,
    pub blob_kzg_commitments: Vec<KzgCommitment>,
    pub execution_requests: ExecutionRequests<E>,
}

impl<E: EthSpec> BodyParts<E> {
    /// An all-default body of `fork` (what genesis blocks carry, and a block without operations).
    pub fn empty(fork: ForkName) -> Self {
        Self {
            randao_reveal: SignatureBytes::empty(),
            eth1_data: Eth1Data::default(),
            graffiti: Hash256::ZERO,
            proposer_slashings: vec![],
            attester_slashings: if fork.electra_enabled() {
                BlockAttesterSlashings::Electra(vec![])
            } else {
                BlockAttesterSlashings::Base(vec![])
            },
            attestations: if fork.electra_enabled() {
                BlockAttestations::Electra(vec![])
            } else {
                BlockAttestations::Base(vec![])
            },
            deposits: vec![],
            voluntary_exits: vec![],
            sync_aggregate: SyncAggregate {
                sync_committee_bits: Default::default(),
                sync_committee_signature: SignatureBytes::empty(),
            },
            bls_to_execution_changes: vec![],
            blob_kzg_commitments: vec![],
            execution_requests: ExecutionRequests::default(),
        }
    }
}

/// The block header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeaderParts {
    pub slot: Slot,
    pub proposer_index: u64,
    pub parent_root: Hash256,
    pub state_root: Hash256,
}

fn list<T, N: typenum::Unsigned>(items: Vec<T>, what: &str) -> Result<VariableList<T, N>, String> {
    let len = items.len();
    VariableList::new(items).map_err(|_| format!("{len} {what} exceed the block's limit"))
}

macro_rules! body {
    ($Body:ident, $parts:expr, $payload_field:ident: $payload:expr, $slashings:expr, $attestations:expr, { $($extra:ident: $value:expr),* }) => {{
        let p = $parts;
        $Body {
            randao_reveal: p.randao_reveal,
            eth1_data: p.eth1_data,
            graffiti: p.graffiti,
            proposer_slashings: list(p.proposer_slashings, "proposer slashings")?,
            attester_slashings: list($slashings, "attester slashings")?,
            attestations: list($attestations, "attestations")?,
            deposits: list(p.deposits, "deposits")?,
            voluntary_exits: list(p.voluntary_exits, "voluntary exits")?,
            sync_aggregate: p.sync_aggregate,
            $payload_field: $payload,
            bls_to_execution_changes: list(p.bls_to_execution_changes, "BLS to execution changes")?,
            $($extra: $value,)*
        }
    }};
}

macro_rules! assemble {
    ($header:expr, $parts:expr, $payload:expr, $payload_field:ident,
     $Block:ident, [$($Fork:ident => $ForkBlock:ident, $ForkBody:ident, $PayloadVariant:ident);*]) => {{
        let h: BlockHeaderParts = $header;
        let mut parts: BodyParts<E> = $parts;
        let commitments = std::mem::take(&mut parts.blob_kzg_commitments);
        let requests = std::mem::take(&mut parts.execution_requests);
        let slashings = std::mem::replace(&mut parts.attester_slashings, BlockAttesterSlashings::Base(vec![]));
        let attestations = std::mem::replace(&mut parts.attestations, BlockAttestations::Base(vec![]));
        match ($payload, slashings, attestations) {
            $(
                ($PayloadVariant::$Fork(payload), s, a) => {
                    let body = assemble!(@body $Fork, $ForkBody, parts, $payload_field, payload, s, a, commitments, requests);
                    Ok($Block::$Fork($ForkBlock {
                        slot: h.slot,
                        proposer_index: h.proposer_index,
                        parent_root: h.parent_root,
                        state_root: h.state_root,
                        body,
                    }))
                }
            )*
        }
    }};
    (@body Capella, $Body:ident, $parts:expr, $field:ident, $payload:expr, $s:expr, $a:expr, $c:expr, $r:expr) => {{
        let (BlockAttesterSlashings::Base(s), BlockAttestations::Base(a)) = ($s, $a) else {
            return Err("Electra-shaped operations in a Capella block".into());
        };
        if !$c.is_empty() {
            return Err("blob commitments in a Capella block".into());
        }
        body!($Body, $parts, $field: $payload, s, a, {})
    }};
    (@body Deneb, $Body:ident, $parts:expr, $field:ident, $payload:expr, $s:expr, $a:expr, $c:expr, $r:expr) => {{
        let (BlockAttesterSlashings::Base(s), BlockAttestations::Base(a)) = ($s, $a) else {
            return Err("Electra-shaped operations in a Deneb block".into());
        };
        body!($Body, $parts, $field: $payload, s, a, {
            blob_kzg_commitments: list($c, "blob commitments")?
        })
    }};
    (@body $Fork:ident, $Body:ident, $parts:expr, $field:ident, $payload:expr, $s:expr, $a:expr, $c:expr, $r:expr) => {{
        let (BlockAttesterSlashings::Electra(s), BlockAttestations::Electra(a)) = ($s, $a) else {
            return Err(format!("pre-Electra operations in a {} block", stringify!($Fork)));
        };
        body!($Body, $parts, $field: $payload, s, a, {
            blob_kzg_commitments: list($c, "blob commitments")?,
            execution_requests: $r
        })
    }};
}

/// A full block of the payload's fork.
pub fn full_block<E: EthSpec>(
    header: BlockHeaderParts,
    parts: BodyParts<E>,
    payload: ExecutionPayload<E>,
) -> Result<BeaconBlock<E>, String> {
    assemble!(header, parts, payload, execution_payload, BeaconBlock, [
        Capella => BeaconBlockCapella, BeaconBlockBodyCapella, ExecutionPayload;
        Deneb => BeaconBlockDeneb, BeaconBlockBodyDeneb, ExecutionPayload;
        Electra => BeaconBlockElectra, BeaconBlockBodyElectra, ExecutionPayload;
        Fulu => BeaconBlockFulu, BeaconBlockBodyFulu, ExecutionPayload
    ])
}

/// A blinded block of the header's fork.
pub fn blinded_block<E: EthSpec>(
    header: BlockHeaderParts,
    parts: BodyParts<E>,
    payload_header: ExecutionPayloadHeader<E>,
) -> Result<BlindedBeaconBlock<E>, String> {
    assemble!(header, parts, payload_header, execution_payload_header, BlindedBeaconBlock, [
        Capella => BlindedBeaconBlockCapella, BlindedBeaconBlockBodyCapella, ExecutionPayloadHeader;
        Deneb => BlindedBeaconBlockDeneb, BlindedBeaconBlockBodyDeneb, ExecutionPayloadHeader;
        Electra => BlindedBeaconBlockElectra, BlindedBeaconBlockBodyElectra, ExecutionPayloadHeader;
        Fulu => BlindedBeaconBlockFulu, BlindedBeaconBlockBodyFulu, ExecutionPayloadHeader
    ])
}

/// The genesis block of a state of `fork`: header fields of the state's latest block header, an
/// all-default body (whose root the genesis state's header carries) and `state_root`.
pub fn genesis_block<E: EthSpec>(
    fork: ForkName,
    state_root: Hash256,
) -> Result<BeaconBlock<E>, String> {
    full_block(
        BlockHeaderParts {
            slot: 0,
            proposer_index: 0,
            parent_root: Hash256::ZERO,
            state_root,
        },
        BodyParts::empty(fork),
        ExecutionPayload::empty(fork),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tree_hash::TreeHash;
    use types::MinimalEthSpec;

    #[test]
    fn genesis_bodies_have_the_empty_body_root() {
        for fork in [
            ForkName::Capella,
            ForkName::Deneb,
            ForkName::Electra,
            ForkName::Fulu,
        ] {
            let block = genesis_block::<MinimalEthSpec>(fork, Hash256::repeat_byte(1)).unwrap();
            assert_eq!(block.fork_name(), fork);
            assert_eq!(
                block.body_root(),
                state_processing::genesis::empty_block_body_root::<MinimalEthSpec>(fork)
            );
        }
    }

    #[test]
    fn full_and_blinded_blocks_share_their_root() {
        for fork in [
            ForkName::Capella,
            ForkName::Deneb,
            ForkName::Electra,
            ForkName::Fulu,
        ] {
            let header = BlockHeaderParts {
                slot: 3,
                proposer_index: 2,
                parent_root: Hash256::repeat_byte(4),
                state_root: Hash256::repeat_byte(5),
            };
            let payload = ExecutionPayload::<MinimalEthSpec>::empty(fork);
            let full = full_block(header, BodyParts::empty(fork), payload.clone()).unwrap();
            let blinded =
                blinded_block(header, BodyParts::empty(fork), payload.to_header()).unwrap();
            assert_eq!(full.tree_hash_root(), blinded.tree_hash_root());
        }
        let err = full_block::<MinimalEthSpec>(
            BlockHeaderParts {
                slot: 0,
                proposer_index: 0,
                parent_root: Hash256::ZERO,
                state_root: Hash256::ZERO,
            },
            BodyParts::empty(ForkName::Capella),
            ExecutionPayload::empty(ForkName::Electra),
        );
        assert!(err.is_err());
    }
}
