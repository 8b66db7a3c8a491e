//! Beacon blocks, full and blinded, for Capella to Fulu.
//!
//! A blinded block differs from a full one only in carrying the execution payload *header* where the full
//! one carries the payload. Both are defined by one macro so that they cannot drift apart; because a
//! payload and its header have the same hash tree root, a block and its blinded form have the same root,
//! and so the same proposer signature.

use crate::consensus::*;
use crate::execution::*;
use crate::primitives::*;
use crate::{EthSpec, ForkName};
use serde::{Deserialize, Serialize};
use ssz_derive::{Decode, Encode};
use ssz_types::VariableList;
use superstruct::superstruct;
use tree_hash::TreeHash;
use tree_hash_derive::TreeHash;

pub type BlobKzgCommitments<E> =
    VariableList<KzgCommitment, <E as EthSpec>::MaxBlobCommitmentsPerBlock>;

macro_rules! define_blocks {
    (
        $(#[$body_doc:meta])* body: $Body:ident, body_ref: $BodyRef:ident,
        $(#[$block_doc:meta])* block: $Block:ident,
        $(#[$signed_doc:meta])* signed: $Signed:ident,
        payload_field: $payload:ident,
        payload_types: [$PCapella:ident, $PDeneb:ident, $PElectra:ident, $PFulu:ident],
        getter_names: [$gCapella:literal, $gDeneb:literal, $gElectra:literal, $gFulu:literal] $(,)?
    ) => {
        $(#[$body_doc])*
        #[superstruct(
            variants(Capella, Deneb, Electra, Fulu),
            variant_attributes(
                derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash),
                serde(bound = "E: EthSpec", deny_unknown_fields),
            ),
            cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
            partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
        )]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, TreeHash)]
        #[serde(bound = "E: EthSpec", untagged)]
        #[ssz(enum_behaviour = "transparent")]
        #[tree_hash(enum_behaviour = "transparent")]
        pub struct $Body<E: EthSpec> {
            pub randao_reveal: SignatureBytes,
            pub eth1_data: Eth1Data,
            pub graffiti: Hash256,
            pub proposer_slashings: VariableList<ProposerSlashing, E::MaxProposerSlashings>,
            #[superstruct(only(Capella, Deneb), partial_getter(rename = "attester_slashings_base"))]
            pub attester_slashings: VariableList<AttesterSlashingBase<E>, E::MaxAttesterSlashings>,
            #[superstruct(only(Electra, Fulu), partial_getter(rename = "attester_slashings_electra"))]
            pub attester_slashings: VariableList<AttesterSlashingElectra<E>, E::MaxAttesterSlashingsElectra>,
            #[superstruct(only(Capella, Deneb), partial_getter(rename = "attestations_base"))]
            pub attestations: VariableList<AttestationBase<E>, E::MaxAttestations>,
            #[superstruct(only(Electra, Fulu), partial_getter(rename = "attestations_electra"))]
            pub attestations: VariableList<AttestationElectra<E>, E::MaxAttestationsElectra>,
            pub deposits: VariableList<Deposit, E::MaxDeposits>,
            pub voluntary_exits: VariableList<SignedVoluntaryExit, E::MaxVoluntaryExits>,
            pub sync_aggregate: SyncAggregate<E>,
            #[superstruct(only(Capella), partial_getter(rename = $gCapella))]
            pub $payload: $PCapella<E>,
            #[superstruct(only(Deneb), partial_getter(rename = $gDeneb))]
            pub $payload: $PDeneb<E>,
            #[superstruct(only(Electra), partial_getter(rename = $gElectra))]
            pub $payload: $PElectra<E>,
            #[superstruct(only(Fulu), partial_getter(rename = $gFulu))]
            pub $payload: $PFulu<E>,
            pub bls_to_execution_changes: VariableList<SignedBlsToExecutionChange, E::MaxBlsToExecutionChanges>,
            #[superstruct(only(Deneb, Electra, Fulu))]
            pub blob_kzg_commitments: BlobKzgCommitments<E>,
            #[superstruct(only(Electra, Fulu))]
            pub execution_requests: ExecutionRequests<E>,
        }

        $(#[$block_doc])*
        #[superstruct(
            variants(Capella, Deneb, Electra, Fulu),
            variant_attributes(
                derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash),
                serde(bound = "E: EthSpec", deny_unknown_fields),
            ),
            cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
            partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
        )]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, TreeHash)]
        #[serde(bound = "E: EthSpec", untagged)]
        #[ssz(enum_behaviour = "transparent")]
        #[tree_hash(enum_behaviour = "transparent")]
        pub struct $Block<E: EthSpec> {
            #[superstruct(getter(copy))]
            #[serde(with = "serde_utils::quoted_u64")]
            pub slot: Slot,
            #[superstruct(getter(copy))]
            #[serde(with = "serde_utils::quoted_u64")]
            pub proposer_index: ValidatorIndex,
            #[superstruct(getter(copy))]
            pub parent_root: Root,
            #[superstruct(getter(copy))]
            pub state_root: Root,
            #[superstruct(flatten)]
            pub body: $Body<E>,
        }

        $(#[$signed_doc])*
        #[superstruct(
            variants(Capella, Deneb, Electra, Fulu),
            variant_attributes(
                derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Encode, Decode, TreeHash),
                serde(bound = "E: EthSpec", deny_unknown_fields),
            ),
            cast_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork"),
            partial_getter_error(ty = "crate::Error", expr = "crate::Error::IncorrectFork")
        )]
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Encode, TreeHash)]
        #[serde(bound = "E: EthSpec", untagged)]
        #[ssz(enum_behaviour = "transparent")]
        #[tree_hash(enum_behaviour = "transparent")]
        pub struct $Signed<E: EthSpec> {
            #[superstruct(flatten)]
            pub message: $Block<E>,
            #[superstruct(getter(copy))]
            pub signature: SignatureBytes,
        }

        impl<E: EthSpec> $Body<E> {
            pub fn fork_name(&self) -> ForkName {
                match self {
                    Self::Capella(_) => ForkName::Capella,
                    Self::Deneb(_) => ForkName::Deneb,
                    Self::Electra(_) => ForkName::Electra,
                    Self::Fulu(_) => ForkName::Fulu,
                }
            }
        }

        impl<E: EthSpec> $Block<E> {
            pub fn fork_name(&self) -> ForkName {
                match self {
                    Self::Capella(_) => ForkName::Capella,
                    Self::Deneb(_) => ForkName::Deneb,
                    Self::Electra(_) => ForkName::Electra,
                    Self::Fulu(_) => ForkName::Fulu,
                }
            }

            /// The block's body, borrowed, as the fork's enum (no copy: block processing reads it).
            pub fn body_ref(&self) -> $BodyRef<'_, E> {
                match self {
                    Self::Capella(b) => $BodyRef::Capella(&b.body),
                    Self::Deneb(b) => $BodyRef::Deneb(&b.body),
                    Self::Electra(b) => $BodyRef::Electra(&b.body),
                    Self::Fulu(b) => $BodyRef::Fulu(&b.body),
                }
            }

            /// The block's body as the fork's enum (an owned copy).
            pub fn body_enum(&self) -> $Body<E> {
                match self {
                    Self::Capella(b) => $Body::Capella(b.body.clone()),
                    Self::Deneb(b) => $Body::Deneb(b.body.clone()),
                    Self::Electra(b) => $Body::Electra(b.body.clone()),
                    Self::Fulu(b) => $Body::Fulu(b.body.clone()),
                }
            }

            pub fn body_root(&self) -> Root {
                match self {
                    Self::Capella(b) => b.body.tree_hash_root(),
                    Self::Deneb(b) => b.body.tree_hash_root(),
                    Self::Electra(b) => b.body.tree_hash_root(),
                    Self::Fulu(b) => b.body.tree_hash_root(),
                }
            }

            /// The block's header: the same root as the block.
            pub fn block_header(&self) -> BeaconBlockHeader {
                BeaconBlockHeader {
                    slot: self.slot(),
                    proposer_index: self.proposer_index(),
                    parent_root: self.parent_root(),
                    state_root: self.state_root(),
                    body_root: self.body_root(),
                }
            }

            pub fn canonical_root(&self) -> Root {
                self.tree_hash_root()
            }
        }

        impl<E: EthSpec> $Signed<E> {
            pub fn fork_name(&self) -> ForkName {
                match self {
                    Self::Capella(_) => ForkName::Capella,
                    Self::Deneb(_) => ForkName::Deneb,
                    Self::Electra(_) => ForkName::Electra,
                    Self::Fulu(_) => ForkName::Fulu,
                }
            }

            /// The signed message as the fork's enum.
            pub fn message_enum(&self) -> $Block<E> {
                match self {
                    Self::Capella(b) => $Block::Capella(b.message.clone()),
                    Self::Deneb(b) => $Block::Deneb(b.message.clone()),
                    Self::Electra(b) => $Block::Electra(b.message.clone()),
                    Self::Fulu(b) => $Block::Fulu(b.message.clone()),
                }
            }

            /// The root of the signed message (not of the signed container).
            pub fn message_root(&self) -> Root {
                match self {
                    Self::Capella(b) => b.message.tree_hash_root(),
                    Self::Deneb(b) => b.message.tree_hash_root(),
                    Self::Electra(b) => b.message.tree_hash_root(),
                    Self::Fulu(b) => b.message.tree_hash_root(),
                }
            }

            pub fn slot(&self) -> Slot {
                match self {
                    Self::Capella(b) => b.message.slot,
                    Self::Deneb(b) => b.message.slot,
                    Self::Electra(b) => b.message.slot,
                    Self::Fulu(b) => b.message.slot,
                }
            }

            /// The signed header (same root and signature as the block), without copying the block.
            pub fn signed_block_header(&self) -> SignedBeaconBlockHeader {
                macro_rules! header {
                    ($m:expr) => {
                        BeaconBlockHeader {
                            slot: $m.slot,
                            proposer_index: $m.proposer_index,
                            parent_root: $m.parent_root,
                            state_root: $m.state_root,
                            body_root: $m.body.tree_hash_root(),
                        }
                    };
                }
                let message = match self {
                    Self::Capella(b) => header!(b.message),
                    Self::Deneb(b) => header!(b.message),
                    Self::Electra(b) => header!(b.message),
                    Self::Fulu(b) => header!(b.message),
                };
                SignedBeaconBlockHeader { message, signature: self.signature() }
            }
        }
    };
}

define_blocks! {
    /// `BeaconBlockBody` for each fork.
    body: BeaconBlockBody, body_ref: BeaconBlockBodyRef,
    /// `BeaconBlock` for each fork.
    block: BeaconBlock,
    /// `SignedBeaconBlock` for each fork.
    signed: SignedBeaconBlock,
    payload_field: execution_payload,
    payload_types: [ExecutionPayloadCapella, ExecutionPayloadDeneb, ExecutionPayloadElectra, ExecutionPayloadFulu],
    getter_names: ["execution_payload_capella", "execution_payload_deneb", "execution_payload_electra", "execution_payload_fulu"],
}

define_blocks! {
    /// `BlindedBeaconBlockBody` (builder-specs): the body with the payload header in place of the payload.
    body: BlindedBeaconBlockBody, body_ref: BlindedBeaconBlockBodyRef,
    /// `BlindedBeaconBlock` (builder-specs).
    block: BlindedBeaconBlock,
    /// `SignedBlindedBeaconBlock` (builder-specs): what a proposer signs and sends to a builder to unblind.
    signed: SignedBlindedBeaconBlock,
    payload_field: execution_payload_header,
    payload_types: [
        ExecutionPayloadHeaderCapella,
        ExecutionPayloadHeaderDeneb,
        ExecutionPayloadHeaderElectra,
        ExecutionPayloadHeaderFulu
    ],
    getter_names: [
        "execution_payload_header_capella",
        "execution_payload_header_deneb",
        "execution_payload_header_electra",
        "execution_payload_header_fulu"
    ],
}

/// Moves every field but the payload from one body shape to the other.
macro_rules! convert_body {
    ($from:expr, $To:ident, $from_field:ident => $to_field:ident : $value:expr, [$($extra:ident),*]) => {{
        let value = $value;
        let b = $from;
        $To {
            randao_reveal: b.randao_reveal,
            eth1_data: b.eth1_data,
            graffiti: b.graffiti,
            proposer_slashings: b.proposer_slashings,
            attester_slashings: b.attester_slashings,
            attestations: b.attestations,
            deposits: b.deposits,
            voluntary_exits: b.voluntary_exits,
            sync_aggregate: b.sync_aggregate,
            $to_field: value,
            bls_to_execution_changes: b.bls_to_execution_changes,
            $($extra: b.$extra,)*
        }
    }};
}

/// Moves slot, proposer, roots and signature around a converted body.
macro_rules! convert_signed {
    ($signed:expr, $SignedTo:ident, $BlockTo:ident, $body:expr) => {{
        let s = $signed;
        let m = s.message;
        $SignedTo {
            message: $BlockTo {
                slot: m.slot,
                proposer_index: m.proposer_index,
                parent_root: m.parent_root,
                state_root: m.state_root,
                body: ($body)(m.body)?,
            },
            signature: s.signature,
        }
    }};
}

/// `into_signed` for a block enum: the validator client signs the block root and pairs it with the
/// message; one place for the per-fork match that every signer would otherwise repeat.
macro_rules! impl_into_signed {
    ($Block:ident, $Signed:ident, [$($Fork:ident => $SignedFork:ident),*]) => {
        impl<E: EthSpec> $Block<E> {
            /// The signed block: this message with the proposer's signature over its root
            /// (`DOMAIN_BEACON_PROPOSER`).
            pub fn into_signed(self, signature: SignatureBytes) -> $Signed<E> {
                match self {
                    $(Self::$Fork(message) => $Signed::$Fork($SignedFork { message, signature }),)*
                }
            }
        }
    };
}

impl_into_signed!(BeaconBlock, SignedBeaconBlock, [
    Capella => SignedBeaconBlockCapella,
    Deneb => SignedBeaconBlockDeneb,
    Electra => SignedBeaconBlockElectra,
    Fulu => SignedBeaconBlockFulu
]);
impl_into_signed!(BlindedBeaconBlock, SignedBlindedBeaconBlock, [
    Capella => SignedBlindedBeaconBlockCapella,
    Deneb => SignedBlindedBeaconBlockDeneb,
    Electra => SignedBlindedBeaconBlockElectra,
    Fulu => SignedBlindedBeaconBlockFulu
]);

/// Why a payload could not be put back into a blinded block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnblindError {
    #[error("payload is for {payload} but the block is {block}")]
    ForkMismatch { block: ForkName, payload: ForkName },
    #[error("payload root {payload_root} does not match the signed header root {header_root}")]
    RootMismatch {
        header_root: Root,
        payload_root: Root,
    },
}

fn check_payload<P: TreeHash, H: TreeHash>(header: &H, payload: &P) -> Result<(), UnblindError> {
    let header_root = header.tree_hash_root();
    let payload_root = payload.tree_hash_root();
    if header_root != payload_root {
        return Err(UnblindError::RootMismatch {
            header_root,
            payload_root,
        });
    }
    Ok(())
}

impl<E: EthSpec> BeaconBlockBody<E> {
    /// The body's execution payload, as the fork's enum.
    pub fn execution_payload_enum(&self) -> ExecutionPayload<E> {
        match self {
            Self::Capella(b) => ExecutionPayload::Capella(b.execution_payload.clone()),
            Self::Deneb(b) => ExecutionPayload::Deneb(b.execution_payload.clone()),
            Self::Electra(b) => ExecutionPayload::Electra(b.execution_payload.clone()),
            Self::Fulu(b) => ExecutionPayload::Fulu(b.execution_payload.clone()),
        }
    }

    /// The blinded form of this body: same root, the payload replaced by its header.
    pub fn to_blinded(&self) -> BlindedBeaconBlockBody<E> {
        self.clone().into_blinded()
    }

    /// [`Self::to_blinded`], consuming the body (moves the operations instead of copying them).
    pub fn into_blinded(self) -> BlindedBeaconBlockBody<E> {
        match self {
            Self::Capella(b) => BlindedBeaconBlockBody::Capella(convert_body!(
                b, BlindedBeaconBlockBodyCapella,
                execution_payload => execution_payload_header: (&b.execution_payload).into(), []
            )),
            Self::Deneb(b) => BlindedBeaconBlockBody::Deneb(convert_body!(
                b, BlindedBeaconBlockBodyDeneb,
                execution_payload => execution_payload_header: (&b.execution_payload).into(),
                [blob_kzg_commitments]
            )),
            Self::Electra(b) => BlindedBeaconBlockBody::Electra(convert_body!(
                b, BlindedBeaconBlockBodyElectra,
                execution_payload => execution_payload_header: (&b.execution_payload).into(),
                [blob_kzg_commitments, execution_requests]
            )),
            Self::Fulu(b) => BlindedBeaconBlockBody::Fulu(convert_body!(
                b, BlindedBeaconBlockBodyFulu,
                execution_payload => execution_payload_header: (&b.execution_payload).into(),
                [blob_kzg_commitments, execution_requests]
            )),
        }
    }
}

impl<E: EthSpec> BeaconBlock<E> {
    /// The blinded form of this block: same root.
    pub fn to_blinded(&self) -> BlindedBeaconBlock<E> {
        self.clone().into_blinded()
    }

    /// [`Self::to_blinded`], consuming the block.
    pub fn into_blinded(self) -> BlindedBeaconBlock<E> {
        let (slot, proposer_index, parent_root, state_root) = (
            self.slot(),
            self.proposer_index(),
            self.parent_root(),
            self.state_root(),
        );
        let body = match self {
            Self::Capella(b) => BeaconBlockBody::Capella(b.body),
            Self::Deneb(b) => BeaconBlockBody::Deneb(b.body),
            Self::Electra(b) => BeaconBlockBody::Electra(b.body),
            Self::Fulu(b) => BeaconBlockBody::Fulu(b.body),
        }
        .into_blinded();
        match body {
            BlindedBeaconBlockBody::Capella(body) => {
                BlindedBeaconBlock::Capella(BlindedBeaconBlockCapella {
                    slot,
                    proposer_index,
                    parent_root,
                    state_root,
                    body,
                })
            }
            BlindedBeaconBlockBody::Deneb(body) => {
                BlindedBeaconBlock::Deneb(BlindedBeaconBlockDeneb {
                    slot,
                    proposer_index,
                    parent_root,
                    state_root,
                    body,
                })
            }
            BlindedBeaconBlockBody::Electra(body) => {
                BlindedBeaconBlock::Electra(BlindedBeaconBlockElectra {
                    slot,
                    proposer_index,
                    parent_root,
                    state_root,
                    body,
                })
            }
            BlindedBeaconBlockBody::Fulu(body) => {
                BlindedBeaconBlock::Fulu(BlindedBeaconBlockFulu {
                    slot,
                    proposer_index,
                    parent_root,
                    state_root,
                    body,
                })
            }
        }
    }
}

impl<E: EthSpec> SignedBeaconBlock<E> {
    /// The blinded form of this signed block: the same signature stays valid, as the root is unchanged.
    pub fn to_blinded(&self) -> SignedBlindedBeaconBlock<E> {
        let signature = self.signature();
        match self.message_enum().into_blinded() {
            BlindedBeaconBlock::Capella(message) => {
                SignedBlindedBeaconBlock::Capella(SignedBlindedBeaconBlockCapella {
                    message,
                    signature,
                })
            }
            BlindedBeaconBlock::Deneb(message) => {
                SignedBlindedBeaconBlock::Deneb(SignedBlindedBeaconBlockDeneb {
                    message,
                    signature,
                })
            }
            BlindedBeaconBlock::Electra(message) => {
                SignedBlindedBeaconBlock::Electra(SignedBlindedBeaconBlockElectra {
                    message,
                    signature,
                })
            }
            BlindedBeaconBlock::Fulu(message) => {
                SignedBlindedBeaconBlock::Fulu(SignedBlindedBeaconBlockFulu { message, signature })
            }
        }
    }
}

impl<E: EthSpec> SignedBlindedBeaconBlock<E> {
    /// Put the revealed payload back: fails unless the payload is of the block's fork and its root equals
    /// the signed header's root (otherwise the signature would not cover it).
    pub fn into_full_block(
        self,
        payload: ExecutionPayload<E>,
    ) -> Result<SignedBeaconBlock<E>, UnblindError> {
        let block_fork = self.fork_name();
        let mismatch = || UnblindError::ForkMismatch {
            block: block_fork,
            payload: payload.fork_name(),
        };
        Ok(match (self, payload.clone()) {
            (Self::Capella(s), ExecutionPayload::Capella(p)) => {
                SignedBeaconBlock::Capella(convert_signed!(
                    s,
                    SignedBeaconBlockCapella,
                    BeaconBlockCapella,
                    |b: BlindedBeaconBlockBodyCapella<E>| -> Result<_, UnblindError> {
                        check_payload(&b.execution_payload_header, &p)?;
                        Ok(convert_body!(b, BeaconBlockBodyCapella,
                            execution_payload_header => execution_payload: p, []))
                    }
                ))
            }
            (Self::Deneb(s), ExecutionPayload::Deneb(p)) => {
                SignedBeaconBlock::Deneb(convert_signed!(
                    s,
                    SignedBeaconBlockDeneb,
                    BeaconBlockDeneb,
                    |b: BlindedBeaconBlockBodyDeneb<E>| -> Result<_, UnblindError> {
                        check_payload(&b.execution_payload_header, &p)?;
                        Ok(convert_body!(b, BeaconBlockBodyDeneb,
                            execution_payload_header => execution_payload: p, [blob_kzg_commitments]))
                    }
                ))
            }
            (Self::Electra(s), ExecutionPayload::Electra(p)) => {
                SignedBeaconBlock::Electra(convert_signed!(
                    s,
                    SignedBeaconBlockElectra,
                    BeaconBlockElectra,
                    |b: BlindedBeaconBlockBodyElectra<E>| -> Result<_, UnblindError> {
                        check_payload(&b.execution_payload_header, &p)?;
                        Ok(convert_body!(b, BeaconBlockBodyElectra,
                            execution_payload_header => execution_payload: p,
                            [blob_kzg_commitments, execution_requests]))
                    }
                ))
            }
            (Self::Fulu(s), ExecutionPayload::Fulu(p)) => SignedBeaconBlock::Fulu(convert_signed!(
                s,
                SignedBeaconBlockFulu,
                BeaconBlockFulu,
                |b: BlindedBeaconBlockBodyFulu<E>| -> Result<_, UnblindError> {
                    check_payload(&b.execution_payload_header, &p)?;
                    Ok(convert_body!(b, BeaconBlockBodyFulu,
                            execution_payload_header => execution_payload: p,
                            [blob_kzg_commitments, execution_requests]))
                }
            )),
            _ => return Err(mismatch()),
        })
    }

    /// The payload header the proposer signed.
    pub fn execution_payload_header(&self) -> ExecutionPayloadHeader<E> {
        match self {
            Self::Capella(s) => {
                ExecutionPayloadHeader::Capella(s.message.body.execution_payload_header.clone())
            }
            Self::Deneb(s) => {
                ExecutionPayloadHeader::Deneb(s.message.body.execution_payload_header.clone())
            }
            Self::Electra(s) => {
                ExecutionPayloadHeader::Electra(s.message.body.execution_payload_header.clone())
            }
            Self::Fulu(s) => {
                ExecutionPayloadHeader::Fulu(s.message.body.execution_payload_header.clone())
            }
        }
    }
}
