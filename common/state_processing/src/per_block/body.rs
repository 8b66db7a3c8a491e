//! [`BlockBody`]: what block processing reads from a body, implemented for both the full body and the
//! blinded body (payload header only), so that `process_block` runs on either.

use types::{
    AttestationBase, AttestationElectra, AttesterSlashingBase, AttesterSlashingElectra,
    BeaconBlockBody, BeaconBlockBodyRef, BlindedBeaconBlockBody, BlindedBeaconBlockBodyRef,
    BlobKzgCommitments, Deposit, Eth1Data, EthSpec, ExecutionPayloadHeader, ExecutionRequests,
    ForkName, ProposerSlashing, Root, SignatureBytes, SignedBlsToExecutionChange,
    SignedVoluntaryExit, SyncAggregate, Withdrawal,
};

/// A body's attester slashings, in its fork's shape.
#[derive(Debug, Clone, Copy)]
pub enum AttesterSlashings<'a, E: EthSpec> {
    Base(&'a [AttesterSlashingBase<E>]),
    Electra(&'a [AttesterSlashingElectra<E>]),
}

/// A body's attestations, in its fork's shape.
#[derive(Debug, Clone, Copy)]
pub enum Attestations<'a, E: EthSpec> {
    Base(&'a [AttestationBase<E>]),
    Electra(&'a [AttestationElectra<E>]),
}

/// The payload's withdrawals: the list itself (full body) or only its root (blinded body).
#[derive(Debug, Clone, Copy)]
pub enum PayloadWithdrawals<'a> {
    Full(&'a [Withdrawal]),
    Root(Root),
}

/// What block processing needs from a `BeaconBlockBody` or a `BlindedBeaconBlockBody`.
pub trait BlockBody<E: EthSpec> {
    fn fork_name(&self) -> ForkName;
    fn randao_reveal(&self) -> &SignatureBytes;
    fn eth1_data(&self) -> &Eth1Data;
    fn proposer_slashings(&self) -> &[ProposerSlashing];
    fn attester_slashings(&self) -> AttesterSlashings<'_, E>;
    fn attestations(&self) -> Attestations<'_, E>;
    fn deposits(&self) -> &[Deposit];
    fn voluntary_exits(&self) -> &[SignedVoluntaryExit];
    fn sync_aggregate(&self) -> &SyncAggregate<E>;
    fn bls_to_execution_changes(&self) -> &[SignedBlsToExecutionChange];
    /// `None` before Deneb.
    fn blob_kzg_commitments(&self) -> Option<&BlobKzgCommitments<E>>;
    /// `None` before Electra.
    fn execution_requests(&self) -> Option<&ExecutionRequests<E>>;
    /// The payload's header (for a full body, computed from the payload: same root).
    fn execution_payload_header(&self) -> ExecutionPayloadHeader<E>;
    fn payload_withdrawals(&self) -> PayloadWithdrawals<'_>;
    /// `hash_tree_root(body)` (equal for a body and its blinded form).
    fn body_root(&self) -> Root;
}

macro_rules! impl_block_body {
    ($Body:ty, |$b:ident| header: $header:expr, withdrawals: $withdrawals:expr) => {
        impl<'r, E: EthSpec> BlockBody<E> for $Body {
            fn fork_name(&self) -> ForkName {
                match self {
                    Self::Capella(_) => ForkName::Capella,
                    Self::Deneb(_) => ForkName::Deneb,
                    Self::Electra(_) => ForkName::Electra,
                    Self::Fulu(_) => ForkName::Fulu,
                }
            }
            fn randao_reveal(&self) -> &SignatureBytes {
                <$Body>::randao_reveal(self)
            }
            fn eth1_data(&self) -> &Eth1Data {
                <$Body>::eth1_data(self)
            }
            fn proposer_slashings(&self) -> &[ProposerSlashing] {
                <$Body>::proposer_slashings(self)
            }
            fn attester_slashings(&self) -> AttesterSlashings<'_, E> {
                match self {
                    Self::Capella(b) => AttesterSlashings::Base(&b.attester_slashings),
                    Self::Deneb(b) => AttesterSlashings::Base(&b.attester_slashings),
                    Self::Electra(b) => AttesterSlashings::Electra(&b.attester_slashings),
                    Self::Fulu(b) => AttesterSlashings::Electra(&b.attester_slashings),
                }
            }
            fn attestations(&self) -> Attestations<'_, E> {
                match self {
                    Self::Capella(b) => Attestations::Base(&b.attestations),
                    Self::Deneb(b) => Attestations::Base(&b.attestations),
                    Self::Electra(b) => Attestations::Electra(&b.attestations),
                    Self::Fulu(b) => Attestations::Electra(&b.attestations),
                }
            }
            fn deposits(&self) -> &[Deposit] {
                <$Body>::deposits(self)
            }
            fn voluntary_exits(&self) -> &[SignedVoluntaryExit] {
                <$Body>::voluntary_exits(self)
            }
            fn sync_aggregate(&self) -> &SyncAggregate<E> {
                <$Body>::sync_aggregate(self)
            }
            fn bls_to_execution_changes(&self) -> &[SignedBlsToExecutionChange] {
                <$Body>::bls_to_execution_changes(self)
            }
            fn blob_kzg_commitments(&self) -> Option<&BlobKzgCommitments<E>> {
                <$Body>::blob_kzg_commitments(self).ok()
            }
            fn execution_requests(&self) -> Option<&ExecutionRequests<E>> {
                <$Body>::execution_requests(self).ok()
            }
            fn execution_payload_header(&self) -> ExecutionPayloadHeader<E> {
                match self {
                    Self::Capella($b) => ExecutionPayloadHeader::Capella($header),
                    Self::Deneb($b) => ExecutionPayloadHeader::Deneb($header),
                    Self::Electra($b) => ExecutionPayloadHeader::Electra($header),
                    Self::Fulu($b) => ExecutionPayloadHeader::Fulu($header),
                }
            }
            fn payload_withdrawals(&self) -> PayloadWithdrawals<'_> {
                match self {
                    Self::Capella($b) => $withdrawals,
                    Self::Deneb($b) => $withdrawals,
                    Self::Electra($b) => $withdrawals,
                    Self::Fulu($b) => $withdrawals,
                }
            }
            fn body_root(&self) -> Root {
                use tree_hash::TreeHash;
                match self {
                    Self::Capella(b) => b.tree_hash_root(),
                    Self::Deneb(b) => b.tree_hash_root(),
                    Self::Electra(b) => b.tree_hash_root(),
                    Self::Fulu(b) => b.tree_hash_root(),
                }
            }
        }
    };
}

// Owned bodies (decoded operations in tests and tools) and borrowed ones (`block.body_ref()`, what
// `process_block` uses so that it never copies a payload).
impl_block_body!(BeaconBlockBody<E>, |b|
    header: (&b.execution_payload).into(),
    withdrawals: PayloadWithdrawals::Full(&b.execution_payload.withdrawals));
impl_block_body!(BeaconBlockBodyRef<'r, E>, |b|
    header: (&b.execution_payload).into(),
    withdrawals: PayloadWithdrawals::Full(&b.execution_payload.withdrawals));
impl_block_body!(BlindedBeaconBlockBody<E>, |b|
    header: b.execution_payload_header.clone(),
    withdrawals: PayloadWithdrawals::Root(b.execution_payload_header.withdrawals_root));
impl_block_body!(BlindedBeaconBlockBodyRef<'r, E>, |b|
    header: b.execution_payload_header.clone(),
    withdrawals: PayloadWithdrawals::Root(b.execution_payload_header.withdrawals_root));
