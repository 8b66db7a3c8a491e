//! Block processing (`process_block` and its steps) for Capella to Fulu, on full or blinded bodies.
//!
//! Each step carries the spec's name; where a later fork changed a step, the state's fork picks the
//! version. Signatures follow a [`VerifySignatures`] policy through a [`SignatureVerifier`]. The
//! execution engine's verdict on the payload is an input (`payload_valid`), never decided here.

mod body;
pub mod execution_payload;
pub mod header;
pub mod operations;
pub mod signatures;
pub mod sync_aggregate;
pub mod withdrawals;

pub use body::{Attestations, AttesterSlashings, BlockBody, PayloadWithdrawals};
pub use execution_payload::process_execution_payload;
pub use header::process_block_header;
pub use operations::*;
pub use signatures::{DecompressedPubkeys, SignatureVerifier, VerifySignatures};
pub use sync_aggregate::process_sync_aggregate;
pub use withdrawals::process_withdrawals;

use crate::caches::StateCaches;
use crate::common::{get_current_epoch, get_randao_mix, hash, xor};
use crate::{ensure, Result};
use types::ssz_types::typenum::Unsigned;
use types::{
    BeaconBlock, BeaconBlockBodyRef, BeaconState, BlindedBeaconBlock, BlindedBeaconBlockBodyRef,
    ChainSpec, EthSpec, Hash256, ValidatorIndex, DOMAIN_RANDAO,
};

/// A block that `process_block` runs on: a full `BeaconBlock`, or a `BlindedBeaconBlock` (payload header
/// only), which is what a builder's block needs to get its state root before the payload is revealed.
pub trait ProcessableBlock<E: EthSpec> {
    /// The body, borrowed.
    type Body<'a>: BlockBody<E>
    where
        Self: 'a;
    fn slot(&self) -> u64;
    fn proposer_index(&self) -> ValidatorIndex;
    fn parent_root(&self) -> Hash256;
    fn body(&self) -> Self::Body<'_>;
}

macro_rules! impl_processable_block {
    ($Block:ident, $BodyRef:ident) => {
        impl<E: EthSpec> ProcessableBlock<E> for $Block<E> {
            type Body<'a> = $BodyRef<'a, E>;
            fn slot(&self) -> u64 {
                $Block::slot(self)
            }
            fn proposer_index(&self) -> ValidatorIndex {
                $Block::proposer_index(self)
            }
            fn parent_root(&self) -> Hash256 {
                $Block::parent_root(self)
            }
            fn body(&self) -> $BodyRef<'_, E> {
                self.body_ref()
            }
        }
    };
}
impl_processable_block!(BeaconBlock, BeaconBlockBodyRef);
impl_processable_block!(BlindedBeaconBlock, BlindedBeaconBlockBodyRef);

/// `process_block`: header, withdrawals, execution payload (with the engine's verdict `payload_valid`),
/// RANDAO, eth1 data, operations and sync aggregate, on a full or a blinded block. For a blinded block
/// `payload_valid` is the caller's stand-in for the engine's verdict (normally `true`: the payload is
/// checked once revealed). With [`VerifySignatures::Batch`] the block's signatures are verified together
/// at the end. The proposer's block signature is not part of `process_block` (see
/// [`verify_block_signature`]).
pub fn process_block<E: EthSpec, B: ProcessableBlock<E>>(
    state: &mut BeaconState<E>,
    block: &B,
    verify_signatures: VerifySignatures,
    payload_valid: bool,
    spec: &ChainSpec,
) -> Result<()> {
    process_block_with_caches(
        state,
        block,
        verify_signatures,
        payload_valid,
        spec,
        &mut StateCaches::new(),
    )
}

/// [`process_block`] with caches (committees, proposers, total balance, pubkeys), brought up to date
/// for the state's epoch first ([`StateCaches::prepare`]). On error, discard `state` (keep the pre-block
/// copy); the caches are rolled back to match that copy (see [`process_block_parts`]).
pub fn process_block_with_caches<E: EthSpec, B: ProcessableBlock<E>>(
    state: &mut BeaconState<E>,
    block: &B,
    verify_signatures: VerifySignatures,
    payload_valid: bool,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    caches.prepare(state)?;
    process_block_parts(
        state,
        block.slot(),
        block.proposer_index(),
        block.parent_root(),
        &block.body(),
        verify_signatures,
        payload_valid,
        spec,
        caches,
    )
}

/// `process_block` from a block's fields, generic over full and blinded bodies. `caches` must be empty
/// or prepared for the state's current epoch (see [`StateCaches::prepare`]); its progressive balances
/// are kept current as attestations and slashings are applied.
///
/// On error `state` is left part-way through the block and must be discarded (run blocks on a copy and
/// keep the pre-block state); `caches` are rolled back to what they were before the block, so they still
/// match the pre-block state and can stay with it.
#[allow(clippy::too_many_arguments)]
pub fn process_block_parts<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    slot: u64,
    proposer_index: ValidatorIndex,
    parent_root: Hash256,
    body: &B,
    verify_signatures: VerifySignatures,
    payload_valid: bool,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<()> {
    let checkpoint = caches.block_checkpoint();
    let result = process_block_steps(
        state,
        slot,
        proposer_index,
        parent_root,
        body,
        verify_signatures,
        payload_valid,
        spec,
        caches,
    )
    .and_then(|mut verifier| verifier.finish());
    if result.is_err() {
        caches.restore_block_checkpoint(checkpoint);
    }
    result
}

/// [`process_block_with_caches`] with the block's signatures collected but not verified: the caller
/// verifies them ([`SignatureVerifier::finish`], a batch) while it does other work, such as computing
/// the state root on another thread. Until they verify, the block is not valid: if they do not, both
/// `state` and `caches` must be discarded (they are past the block). On any other error, `state` must
/// be discarded and `caches` are rolled back, as with [`process_block_parts`].
pub fn process_block_deferring_signatures<E: EthSpec, B: ProcessableBlock<E>>(
    state: &mut BeaconState<E>,
    block: &B,
    payload_valid: bool,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<SignatureVerifier> {
    caches.prepare(state)?;
    let checkpoint = caches.block_checkpoint();
    let result = process_block_steps(
        state,
        block.slot(),
        block.proposer_index(),
        block.parent_root(),
        &block.body(),
        VerifySignatures::Batch,
        payload_valid,
        spec,
        caches,
    );
    if result.is_err() {
        caches.restore_block_checkpoint(checkpoint);
    }
    result
}

/// The steps of [`process_block_parts`], which rolls the caches back if one fails; the block's
/// signatures are collected in the returned verifier (verified as they were met unless batching).
#[allow(clippy::too_many_arguments)]
fn process_block_steps<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    slot: u64,
    proposer_index: ValidatorIndex,
    parent_root: Hash256,
    body: &B,
    verify_signatures: VerifySignatures,
    payload_valid: bool,
    spec: &ChainSpec,
    caches: &mut StateCaches,
) -> Result<SignatureVerifier> {
    ensure!(
        body.fork_name() == state.fork_name(),
        "block body of {} on a {} state",
        body.fork_name(),
        state.fork_name()
    );
    let mut verifier = SignatureVerifier::new(verify_signatures)
        .with_decompressed_pubkeys(caches.decompressed_pubkeys.clone())
        .with_validator_keys(caches.pubkeys.keys());
    process_block_header(
        state,
        slot,
        proposer_index,
        parent_root,
        body.body_root(),
        caches,
    )?;
    process_withdrawals(state, body.payload_withdrawals())?;
    process_execution_payload(state, body, payload_valid, spec)?;
    process_randao(state, body, &mut verifier, caches)?;
    process_eth1_data(state, body.eth1_data())?;
    process_operations(state, body, &mut verifier, caches, spec)?;
    process_sync_aggregate(state, body.sync_aggregate(), &mut verifier, caches)?;
    Ok(verifier)
}

/// `verify_block_signature`: the proposer's signature over the block root under
/// `DOMAIN_BEACON_PROPOSER` (a blinded block has the same root, so the same signature).
pub fn verify_block_signature<E: EthSpec>(
    state: &BeaconState<E>,
    proposer_index: ValidatorIndex,
    block_root: Hash256,
    signature: &types::SignatureBytes,
) -> Result<()> {
    let proposer = state
        .validators()
        .get(proposer_index as usize)
        .ok_or(crate::StateError::UnknownValidator(proposer_index))?;
    let domain = crate::common::get_domain(state, types::DOMAIN_BEACON_PROPOSER, None);
    let signing_root = types::compute_signing_root(&block_root, domain);
    let mut verifier = SignatureVerifier::new(VerifySignatures::Individually);
    verifier.add(
        "block signature",
        signature,
        [&proposer.pubkey],
        signing_root,
    )
}

/// `process_randao`: check the reveal (the proposer's signature of the epoch) and mix it in.
pub fn process_randao<E: EthSpec, B: BlockBody<E>>(
    state: &mut BeaconState<E>,
    body: &B,
    verifier: &mut SignatureVerifier,
    caches: &StateCaches,
) -> Result<()> {
    let epoch = get_current_epoch(state);
    if verifier.enabled() {
        let proposer_index = caches.get_beacon_proposer_index(state)?;
        let proposer = state
            .validators()
            .get(proposer_index as usize)
            .ok_or(crate::StateError::UnknownValidator(proposer_index))?;
        let domain = crate::common::get_domain(state, DOMAIN_RANDAO, None);
        let signing_root = types::compute_signing_root(&epoch, domain);
        let pubkey = proposer.pubkey;
        verifier.add(
            "randao reveal",
            body.randao_reveal(),
            [&pubkey],
            signing_root,
        )?;
    }
    let mix = xor(
        &get_randao_mix(state, epoch)?,
        &Hash256::from(hash(&[&body.randao_reveal().0])),
    );
    let index = (epoch % E::epochs_per_historical_vector() as u64) as usize;
    let slot = state
        .randao_mixes_mut()
        .get_mut(index)
        .ok_or(crate::StateError::Other("randao mix index".into()))?;
    *slot = mix;
    Ok(())
}

/// `process_eth1_data`: record the vote; adopt it once more than half the voting period agrees.
pub fn process_eth1_data<E: EthSpec>(
    state: &mut BeaconState<E>,
    eth1_data: &types::Eth1Data,
) -> Result<()> {
    state.eth1_data_votes_mut().push(eth1_data.clone())?;
    let count = state
        .eth1_data_votes()
        .iter()
        .filter(|v| *v == eth1_data)
        .count() as u64;
    if count * 2 > E::SlotsPerEth1VotingPeriod::to_u64() {
        *state.eth1_data_mut() = eth1_data.clone();
    }
    Ok(())
}
