//! A small real chain for the store's tests: an interop genesis on the minimal preset and blocks that
//! pass the state transition (payloads that build on the latest header, empty operations, optional
//! blob commitments). Signatures are not made: the store never verifies them.

use state_processing::common::{get_beacon_proposer_index, get_current_epoch, get_randao_mix};
use state_processing::genesis::interop_genesis_state;
use state_processing::per_block::execution_payload::compute_time_at_slot;
use state_processing::per_block::{process_block, VerifySignatures};
use state_processing::process_slots;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::ssz_types::VariableList;
use types::*;

pub type E = MinimalEthSpec;

pub const VALIDATORS: u64 = 64;

/// A block with its post-state.
#[derive(Clone)]
pub struct Built {
    pub block: SignedBeaconBlock<E>,
    pub root: Hash256,
    pub state: BeaconState<E>,
    pub state_root: Hash256,
}

/// A spec with every fork up to `fork` at genesis.
pub fn spec(fork: ForkName) -> Arc<ChainSpec> {
    Arc::new(ChainSpec::minimal().with_forks_at_genesis_up_to(fork))
}

/// The genesis state and block of a `fork` chain.
pub fn genesis(spec: &ChainSpec, fork: ForkName) -> Built {
    let mut state = interop_genesis_state::<E>(VALIDATORS, 1_700_000_000, fork, None, spec)
        .expect("interop genesis");
    let state_root = state.update_tree_hash_cache().expect("state root");
    let block = make_signed(
        fork,
        0,
        0,
        Hash256::ZERO,
        state_root,
        Body {
            randao_reveal: SignatureBytes::empty(),
            eth1_data: Eth1Data::default(),
            graffiti: Hash256::ZERO,
            sync_aggregate: SyncAggregate {
                sync_committee_bits: Default::default(),
                sync_committee_signature: SignatureBytes::empty(),
            },
            payload: ExecutionPayload::empty(fork),
            commitments: Default::default(),
        },
    );
    let mut header = state.latest_block_header().clone();
    header.state_root = state_root;
    assert_eq!(
        block.message_root(),
        header.tree_hash_root(),
        "the genesis block matches the state's header"
    );
    Built {
        root: block.message_root(),
        block,
        state,
        state_root,
    }
}

struct Body {
    randao_reveal: SignatureBytes,
    eth1_data: Eth1Data,
    graffiti: Hash256,
    sync_aggregate: SyncAggregate<E>,
    payload: ExecutionPayload<E>,
    commitments: BlobKzgCommitments<E>,
}

fn make_signed(
    fork: ForkName,
    slot: Slot,
    proposer_index: u64,
    parent_root: Hash256,
    state_root: Hash256,
    body: Body,
) -> SignedBeaconBlock<E> {
    macro_rules! block {
        ($Variant:ident, $Signed:ident, $Block:ident, $Body:ident, $p:expr, { $($extra:tt)* }) => {
            SignedBeaconBlock::$Variant($Signed {
                message: $Block {
                    slot,
                    proposer_index,
                    parent_root,
                    state_root,
                    body: $Body {
                        randao_reveal: body.randao_reveal,
                        eth1_data: body.eth1_data,
                        graffiti: body.graffiti,
                        proposer_slashings: Default::default(),
                        attester_slashings: Default::default(),
                        attestations: Default::default(),
                        deposits: Default::default(),
                        voluntary_exits: Default::default(),
                        sync_aggregate: body.sync_aggregate,
                        execution_payload: $p,
                        bls_to_execution_changes: Default::default(),
                        blob_kzg_commitments: body.commitments,
                        $($extra)*
                    },
                },
                signature: SignatureBytes::empty(),
            })
        };
    }
    match (fork, body.payload.clone()) {
        (ForkName::Deneb, ExecutionPayload::Deneb(p)) => block!(
            Deneb,
            SignedBeaconBlockDeneb,
            BeaconBlockDeneb,
            BeaconBlockBodyDeneb,
            p,
            {}
        ),
        (ForkName::Electra, ExecutionPayload::Electra(p)) => block!(
            Electra,
            SignedBeaconBlockElectra,
            BeaconBlockElectra,
            BeaconBlockBodyElectra,
            p,
            { execution_requests: Default::default() }
        ),
        (ForkName::Fulu, ExecutionPayload::Fulu(p)) => block!(
            Fulu,
            SignedBeaconBlockFulu,
            BeaconBlockFulu,
            BeaconBlockBodyFulu,
            p,
            { execution_requests: Default::default() }
        ),
        (fork, _) => panic!("the test chain builds deneb, electra and fulu blocks, not {fork}"),
    }
}

fn set_state_root(block: &mut SignedBeaconBlock<E>, root: Hash256) {
    match block {
        SignedBeaconBlock::Capella(b) => b.message.state_root = root,
        SignedBeaconBlock::Deneb(b) => b.message.state_root = root,
        SignedBeaconBlock::Electra(b) => b.message.state_root = root,
        SignedBeaconBlock::Fulu(b) => b.message.state_root = root,
    }
}

/// A block at `slot` on `parent` (its post-state), with `blobs` fake commitments; `graffiti` tells
/// sibling blocks apart.
pub fn make_block(
    spec: &ChainSpec,
    parent: &BeaconState<E>,
    slot: Slot,
    blobs: usize,
    graffiti: u8,
) -> Built {
    let mut state = parent.clone();
    process_slots(&mut state, slot, spec).expect("process_slots");
    let fork = state.fork_name();
    let parent_root = state.latest_block_header().tree_hash_root();
    let proposer_index = get_beacon_proposer_index(&state).expect("proposer");
    let withdrawals = state_processing::common::get_expected_withdrawals(&state)
        .expect("withdrawals")
        .withdrawals;
    let mut payload = ExecutionPayload::<E>::empty(fork);
    macro_rules! fill {
        ($p:expr) => {{
            let p = $p;
            p.parent_hash = state.latest_execution_payload_header().block_hash();
            p.prev_randao = get_randao_mix(&state, get_current_epoch(&state)).expect("randao mix");
            p.timestamp = compute_time_at_slot(&state, slot, spec).expect("time");
            p.block_number = slot;
            p.gas_limit = 30_000_000;
            p.block_hash = Hash256::from_slice(&[graffiti; 32]).tree_hash_root();
            p.block_hash.0[..8].copy_from_slice(&slot.to_le_bytes());
            p.withdrawals = VariableList::new(withdrawals.clone()).expect("withdrawals fit");
        }};
    }
    match &mut payload {
        ExecutionPayload::Deneb(p) => fill!(p),
        ExecutionPayload::Electra(p) => fill!(p),
        ExecutionPayload::Fulu(p) => fill!(p),
        ExecutionPayload::Capella(p) => fill!(p),
    }
    let commitments: Vec<KzgCommitment> = (0..blobs)
        .map(|i| {
            let mut bytes = [0u8; 48];
            bytes[0] = 0xc0;
            bytes[1] = i as u8;
            bytes[2..10].copy_from_slice(&slot.to_le_bytes());
            PublicKeyBytes(bytes)
        })
        .collect();
    let mut block = make_signed(
        fork,
        slot,
        proposer_index,
        parent_root,
        Hash256::ZERO,
        Body {
            randao_reveal: SignatureBytes::empty(),
            eth1_data: state.eth1_data().clone(),
            graffiti: Hash256::repeat_byte(graffiti),
            sync_aggregate: SyncAggregate::empty(),
            payload,
            commitments: VariableList::new(commitments).expect("commitments fit"),
        },
    );
    process_block(
        &mut state,
        &block.message_enum(),
        VerifySignatures::Skip,
        true,
        spec,
    )
    .expect("process_block");
    let state_root = state.update_tree_hash_cache().expect("state root");
    set_state_root(&mut block, state_root);
    Built {
        root: block.message_root(),
        block,
        state,
        state_root,
    }
}

/// The state at `slot` with no block there (an epoch-boundary state of a skipped slot, say).
pub fn advance(parent: &BeaconState<E>, slot: Slot, spec: &ChainSpec) -> (BeaconState<E>, Hash256) {
    let mut state = parent.clone();
    process_slots(&mut state, slot, spec).expect("process_slots");
    let root = state.update_tree_hash_cache().expect("state root");
    (state, root)
}

/// A blob sidecar of `built`'s block (the blob itself is zeros: the store does not check KZG).
pub fn blob_sidecar(built: &Built, index: u64) -> BlobSidecar<E> {
    let message = built.block.message_enum();
    BlobSidecar::new(
        index,
        Default::default(),
        Default::default(),
        &message.body_ref(),
        built.block.signed_block_header(),
    )
    .expect("blob sidecar")
}

/// A column sidecar of `built`'s block with `index`.
pub fn column_sidecar(built: &Built, index: u64) -> DataColumnSidecar<E> {
    let message = built.block.message_enum();
    let count = message
        .body_ref()
        .blob_kzg_commitments()
        .map(|c| c.len())
        .unwrap_or(0);
    DataColumnSidecar::new(
        index,
        vec![Default::default(); count],
        vec![Default::default(); count],
        &message.body_ref(),
        built.block.signed_block_header(),
    )
    .expect("column sidecar")
}
