//! [`ValidatorStore`]: the validator client's keys and the only code that signs with them.
//!
//! The client keeps no beacon state, so every signing method takes the fork it signs for as a
//! [`ForkInfo`] (the `Fork` at the message's epoch and the `genesis_validators_root`), and computes the
//! domain as the spec's `get_domain` would from a state with that fork.
//!
//! Blocks and attestations are signed only after slashing protection has recorded them (one committed
//! transaction; see [`crate::slashing_protection`]). There is deliberately no method that signs an
//! arbitrary root.
//!
//! Signing is blocking (BLS, and a database commit for blocks and attestations): async callers use
//! `tokio::task::spawn_blocking`.

use super::{KeyError, ValidatorKey};
use crate::slashing_protection::{NotSafe, SlashingDatabase};
use bls::{PublicKeyBytes, SignatureBytes};
use operation_pool::{ContributionAndProof, SyncAggregatorSelectionData};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::{
    compute_domain, compute_signing_root, get_domain, AttestationData, BeaconBlock,
    BeaconBlockHeader, BlindedBeaconBlock, ChainSpec, Domain, DomainType, Epoch, EthSpec, Fork,
    Root, Slot, ValidatorRegistrationV1, VoluntaryExit, DOMAIN_AGGREGATE_AND_PROOF,
    DOMAIN_BEACON_ATTESTER, DOMAIN_BEACON_PROPOSER, DOMAIN_CONTRIBUTION_AND_PROOF, DOMAIN_RANDAO,
    DOMAIN_SELECTION_PROOF, DOMAIN_SYNC_COMMITTEE, DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
    DOMAIN_VOLUNTARY_EXIT,
};

/// The fork a message is signed for: what `get_domain` reads from a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkInfo {
    pub fork: Fork,
    pub genesis_validators_root: Root,
}

impl ForkInfo {
    /// `get_domain(state, domain_type, epoch)` for a state with this fork.
    pub fn domain(&self, domain_type: DomainType, epoch: Epoch) -> Domain {
        get_domain(&self.fork, domain_type, epoch, self.genesis_validators_root)
    }
}

/// A block message a proposer signs: full, blinded, or its header (all three have the same root).
pub trait ProposalMessage: TreeHash {
    fn proposal_slot(&self) -> Slot;
}

impl<E: EthSpec> ProposalMessage for BeaconBlock<E> {
    fn proposal_slot(&self) -> Slot {
        self.slot()
    }
}

impl<E: EthSpec> ProposalMessage for BlindedBeaconBlock<E> {
    fn proposal_slot(&self) -> Slot {
        self.slot()
    }
}

impl ProposalMessage for BeaconBlockHeader {
    fn proposal_slot(&self) -> Slot {
        self.slot
    }
}

/// Why a message was not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("no key for validator {0}")]
    UnknownValidator(PublicKeyBytes),
    #[error("refused by slashing protection: {0}")]
    NotSafe(#[from] NotSafe),
}

/// The validator client's keys, its slashing protection, and every signature it makes.
pub struct ValidatorStore<E: EthSpec> {
    keys: HashMap<PublicKeyBytes, ValidatorKey>,
    slashing_protection: SlashingDatabase,
    spec: Arc<ChainSpec>,
    _spec: PhantomData<fn() -> E>,
}

impl<E: EthSpec> ValidatorStore<E> {
    /// A store over `keys` (keystores and interop keys together); the same validator twice is refused.
    pub fn new(
        keys: Vec<ValidatorKey>,
        slashing_protection: SlashingDatabase,
        spec: Arc<ChainSpec>,
    ) -> Result<Self, KeyError> {
        let mut map: HashMap<PublicKeyBytes, ValidatorKey> = HashMap::with_capacity(keys.len());
        for key in keys {
            if let Some(first) = map.get(key.pubkey()) {
                return Err(KeyError::DuplicatePubkey {
                    pubkey: *key.pubkey(),
                    first: first.source().clone(),
                    second: key.source().clone(),
                });
            }
            map.insert(*key.pubkey(), key);
        }
        Ok(Self {
            keys: map,
            slashing_protection,
            spec,
            _spec: PhantomData,
        })
    }

    /// The validators this client signs for.
    pub fn voting_pubkeys(&self) -> impl Iterator<Item = &PublicKeyBytes> {
        self.keys.keys()
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn contains(&self, pubkey: &PublicKeyBytes) -> bool {
        self.keys.contains_key(pubkey)
    }

    /// For interchange import and export.
    pub fn slashing_protection(&self) -> &SlashingDatabase {
        &self.slashing_protection
    }

    fn key(&self, pubkey: &PublicKeyBytes) -> Result<&ValidatorKey, SignError> {
        self.keys
            .get(pubkey)
            .ok_or(SignError::UnknownValidator(*pubkey))
    }

    fn sign<T: TreeHash + ?Sized>(
        &self,
        pubkey: &PublicKeyBytes,
        object: &T,
        domain: Domain,
    ) -> Result<SignatureBytes, SignError> {
        let key = self.key(pubkey)?;
        let signing_root = compute_signing_root(object, domain);
        Ok(key.secret_key.sign(signing_root.as_slice()).to_bytes())
    }

    fn epoch(slot: Slot) -> Epoch {
        slot / E::slots_per_epoch()
    }

    /// A block (full, blinded, or its header) under `DOMAIN_BEACON_PROPOSER`, after slashing protection
    /// has recorded it.
    pub fn sign_block<B: ProposalMessage>(
        &self,
        pubkey: &PublicKeyBytes,
        block: &B,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let key = self.key(pubkey)?;
        let slot = block.proposal_slot();
        let domain = fork_info.domain(DOMAIN_BEACON_PROPOSER, Self::epoch(slot));
        let signing_root = compute_signing_root(block, domain);
        self.slashing_protection
            .check_and_record_block(pubkey, slot, signing_root)?;
        Ok(key.secret_key.sign(signing_root.as_slice()).to_bytes())
    }

    /// `AttestationData` under `DOMAIN_BEACON_ATTESTER` at the target epoch, after slashing protection
    /// has recorded it.
    pub fn sign_attestation(
        &self,
        pubkey: &PublicKeyBytes,
        data: &AttestationData,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let key = self.key(pubkey)?;
        let domain = fork_info.domain(DOMAIN_BEACON_ATTESTER, data.target.epoch);
        let signing_root = compute_signing_root(data, domain);
        self.slashing_protection.check_and_record_attestation(
            pubkey,
            data.source.epoch,
            data.target.epoch,
            signing_root,
        )?;
        Ok(key.secret_key.sign(signing_root.as_slice()).to_bytes())
    }

    /// The RANDAO reveal for `epoch` (`get_epoch_signature`).
    pub fn randao_reveal(
        &self,
        pubkey: &PublicKeyBytes,
        epoch: Epoch,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        self.sign(pubkey, &epoch, fork_info.domain(DOMAIN_RANDAO, epoch))
    }

    /// An attestation aggregator's selection proof for `slot` (`get_slot_signature`).
    pub fn selection_proof(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = fork_info.domain(DOMAIN_SELECTION_PROOF, Self::epoch(slot));
        self.sign(pubkey, &slot, domain)
    }

    /// An `AggregateAndProof` of either shape (phase0's or Electra's; the container lives with the beacon
    /// API types), under `DOMAIN_AGGREGATE_AND_PROOF` at the aggregate's epoch
    /// (`get_aggregate_and_proof_signature`). Not slashable: it only wraps an attestation already signed.
    pub fn sign_aggregate_and_proof<T: TreeHash>(
        &self,
        pubkey: &PublicKeyBytes,
        aggregate_and_proof: &T,
        aggregate_slot: Slot,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = fork_info.domain(DOMAIN_AGGREGATE_AND_PROOF, Self::epoch(aggregate_slot));
        self.sign(pubkey, aggregate_and_proof, domain)
    }

    /// A `SyncCommitteeMessage`'s signature: the block root under `DOMAIN_SYNC_COMMITTEE`
    /// (`get_sync_committee_message`).
    pub fn sync_committee_signature(
        &self,
        pubkey: &PublicKeyBytes,
        slot: Slot,
        beacon_block_root: Root,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = fork_info.domain(DOMAIN_SYNC_COMMITTEE, Self::epoch(slot));
        self.sign(pubkey, &beacon_block_root, domain)
    }

    /// A sync committee aggregator's selection proof (`get_sync_committee_selection_proof`).
    pub fn sync_selection_proof(
        &self,
        pubkey: &PublicKeyBytes,
        data: &SyncAggregatorSelectionData,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = fork_info.domain(
            DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
            Self::epoch(data.slot),
        );
        self.sign(pubkey, data, domain)
    }

    /// A `ContributionAndProof` under `DOMAIN_CONTRIBUTION_AND_PROOF`
    /// (`get_contribution_and_proof_signature`).
    pub fn sign_contribution_and_proof(
        &self,
        pubkey: &PublicKeyBytes,
        message: &ContributionAndProof<E>,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = fork_info.domain(
            DOMAIN_CONTRIBUTION_AND_PROOF,
            Self::epoch(message.contribution.slot),
        );
        self.sign(pubkey, message, domain)
    }

    /// A builder registration under the builder domain (`DOMAIN_APPLICATION_BUILDER`, genesis fork
    /// version, zero genesis validators root), by the validator it names.
    pub fn sign_validator_registration(
        &self,
        registration: &ValidatorRegistrationV1,
    ) -> Result<SignatureBytes, SignError> {
        self.sign(
            &registration.pubkey,
            registration,
            self.spec.builder_domain(),
        )
    }

    /// A `VoluntaryExit`. From Deneb on (EIP-7044) exits are signed for `CAPELLA_FORK_VERSION` whatever
    /// the fork, so that a signed exit stays valid; before, with the fork at the exit's epoch.
    pub fn sign_voluntary_exit(
        &self,
        pubkey: &PublicKeyBytes,
        exit: &VoluntaryExit,
        fork_info: &ForkInfo,
    ) -> Result<SignatureBytes, SignError> {
        let domain = if fork_info.fork.current_version == self.spec.capella_fork_version {
            fork_info.domain(DOMAIN_VOLUNTARY_EXIT, exit.epoch)
        } else {
            compute_domain(
                DOMAIN_VOLUNTARY_EXIT,
                self.spec.capella_fork_version,
                fork_info.genesis_validators_root,
            )
        };
        self.sign(pubkey, exit, domain)
    }
}

#[cfg(test)]
mod tests;
