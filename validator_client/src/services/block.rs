//! Proposals: RANDAO reveal, the block from the beacon node (v3; the legacy endpoints against a node
//! without it), checked before signing, signed under slashing protection, published — blinded or full
//! as the node's answer says — and retried on the other nodes with the same signed block if the first
//! refuses, never produced again.

use super::Services;
use beacon_api::{
    BeaconNodeHttpClient, FullBlockContents, ProduceQuery, ProducedBlockData, ProposerData,
    PublishBlockRequest, SignedBlockContents,
};
use std::sync::Arc;
use types::{Address, BeaconBlock, BlindedBeaconBlock, EthSpec, SignedBlindedBeaconBlock, Slot};

/// What a proposal came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalOutcome {
    /// Published; `blinded` when it carried a builder's payload header.
    Published { blinded: bool },
    /// Not proposed, and why.
    Failed(String),
}

/// The block to sign.
enum Unsigned<E: EthSpec> {
    Full(FullBlockContents<E>),
    Blinded(BlindedBeaconBlock<E>),
}

impl<E: EthSpec> Services<E> {
    /// Proposes at `slot` for `duty`.
    pub async fn propose(self: &Arc<Self>, slot: Slot, duty: &ProposerData) -> ProposalOutcome {
        match self.try_propose(slot, duty).await {
            Ok(blinded) => {
                self.metrics
                    .proposals
                    .with_label_values(&[if blinded { "builder" } else { "local" }])
                    .inc();
                tracing::info!(
                    slot,
                    validator_index = duty.validator_index,
                    blinded,
                    "block published"
                );
                ProposalOutcome::Published { blinded }
            }
            Err(error) => {
                self.metrics.proposals.with_label_values(&["failed"]).inc();
                tracing::error!(slot, validator_index = duty.validator_index, %error, "proposal failed");
                ProposalOutcome::Failed(error)
            }
        }
    }

    async fn try_propose(
        self: &Arc<Self>,
        slot: Slot,
        duty: &ProposerData,
    ) -> Result<bool, String> {
        let epoch = slot / E::slots_per_epoch();
        let fork_info = self.context.fork_info(epoch);
        let pubkey = duty.pubkey;
        let settings = self.settings.of(&pubkey).clone();
        let store = self.store.clone();
        let randao_reveal = self
            .sign(move || store.randao_reveal(&pubkey, epoch, &fork_info))
            .await?
            .map_err(|e| e.to_string())?;
        let builders_allowed = self.blinded_payload_builder && settings.builder;
        let boost = if !builders_allowed {
            0
        } else if self.prefer_builder_proposals {
            u64::MAX
        } else {
            settings.builder_boost_factor
        };
        let query = ProduceQuery {
            randao_reveal,
            graffiti: settings.graffiti,
            skip_randao_verification: false,
            builder_boost_factor: Some(boost),
        };
        let unsigned = self.produce(slot, &query, builders_allowed).await?;
        self.check(
            slot,
            duty,
            &unsigned,
            builders_allowed,
            settings.fee_recipient,
        )?;

        let store = self.store.clone();
        match unsigned {
            Unsigned::Blinded(block) => {
                let signature = {
                    let block = block.clone();
                    self.sign(move || store.sign_block(&pubkey, &block, &fork_info))
                        .await?
                        .map_err(|e| e.to_string())?
                };
                let signed = block.into_signed(signature);
                self.publish_blinded(signed).await?;
                Ok(true)
            }
            Unsigned::Full(contents) => {
                let signature = {
                    let block = contents.block().clone();
                    self.sign(move || store.sign_block(&pubkey, &block, &fork_info))
                        .await?
                        .map_err(|e| e.to_string())?
                };
                let request = match contents {
                    FullBlockContents::Block(block) => {
                        PublishBlockRequest::Block(block.into_signed(signature))
                    }
                    FullBlockContents::Contents(contents) => {
                        PublishBlockRequest::Contents(SignedBlockContents {
                            signed_block: contents.block.into_signed(signature),
                            kzg_proofs: contents.kzg_proofs,
                            blobs: contents.blobs,
                        })
                    }
                };
                self.publish_full(request).await?;
                Ok(false)
            }
        }
    }

    /// v3, else (a node without it) the legacy pair: v1 blinded when builders are allowed, v2 full
    /// otherwise.
    async fn produce(
        &self,
        slot: Slot,
        query: &ProduceQuery,
        builders_allowed: bool,
    ) -> Result<Unsigned<E>, String> {
        let result = self
            .nodes
            .first_success("block production", |client: BeaconNodeHttpClient| {
                let query = query.clone();
                async move {
                    match client.get_validator_blocks_v3::<E>(slot, &query).await {
                        Ok(produced) => Ok(match produced.data {
                            ProducedBlockData::Full(contents) => Unsigned::Full(contents),
                            ProducedBlockData::Blinded(block) => Unsigned::Blinded(block),
                        }),
                        Err(error) if matches!(error.status(), Some(404 | 405)) => {
                            tracing::debug!(
                                slot,
                                "the node has no v3 block production; legacy endpoints"
                            );
                            if builders_allowed {
                                client
                                    .get_validator_blinded_blocks::<E>(slot, &query, false)
                                    .await
                                    .map(|r| Unsigned::Blinded(r.data))
                            } else {
                                client
                                    .get_validator_blocks_v2::<E>(slot, &query)
                                    .await
                                    .map(|r| Unsigned::Full(r.data))
                            }
                        }
                        Err(error) => Err(error),
                    }
                }
            })
            .await;
        result.map_err(|e| e.to_string())
    }

    /// The checks before signing: the block is for this slot and this proposer, a blinded block only
    /// when builders are allowed, and a local payload pays our fee recipient.
    fn check(
        &self,
        slot: Slot,
        duty: &ProposerData,
        unsigned: &Unsigned<E>,
        builders_allowed: bool,
        fee_recipient: Address,
    ) -> Result<(), String> {
        let (block_slot, proposer) = match unsigned {
            Unsigned::Full(contents) => {
                (contents.block().slot(), contents.block().proposer_index())
            }
            Unsigned::Blinded(block) => (block.slot(), block.proposer_index()),
        };
        if block_slot != slot {
            return Err(format!(
                "the node produced a block for slot {block_slot}, not {slot}"
            ));
        }
        if proposer != duty.validator_index {
            return Err(format!(
                "the node produced a block for proposer {proposer}, not {}",
                duty.validator_index
            ));
        }
        match unsigned {
            Unsigned::Blinded(_) if !builders_allowed => Err(
                "the node produced a blinded block, and builder payloads are not allowed (--blinded-payload-builder)"
                    .into(),
            ),
            Unsigned::Full(contents) => {
                let paid = payload_fee_recipient(contents.block());
                if paid != fee_recipient {
                    Err(format!(
                        "the local payload pays {paid}, not the fee recipient {fee_recipient}"
                    ))
                } else {
                    Ok(())
                }
            }
            Unsigned::Blinded(_) => Ok(()),
        }
    }

    async fn publish_full(&self, request: PublishBlockRequest<E>) -> Result<(), String> {
        self.nodes
            .first_success("block publication", |client| {
                let request = request.clone();
                async move {
                    match client.post_beacon_blocks_v2(&request, None).await {
                        Err(error) if matches!(error.status(), Some(404 | 405)) => {
                            client.post_beacon_blocks(&request).await
                        }
                        other => other,
                    }
                }
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn publish_blinded(&self, block: SignedBlindedBeaconBlock<E>) -> Result<(), String> {
        self.nodes
            .first_success("blinded block publication", |client| {
                let block = block.clone();
                async move {
                    match client.post_beacon_blinded_blocks_v2(&block, None).await {
                        Err(error) if matches!(error.status(), Some(404 | 405)) => {
                            client.post_beacon_blinded_blocks(&block, false).await
                        }
                        other => other,
                    }
                }
            })
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The fee recipient of a full block's payload.
fn payload_fee_recipient<E: EthSpec>(block: &BeaconBlock<E>) -> Address {
    match block {
        BeaconBlock::Capella(b) => b.body.execution_payload.fee_recipient,
        BeaconBlock::Deneb(b) => b.body.execution_payload.fee_recipient,
        BeaconBlock::Electra(b) => b.body.execution_payload.fee_recipient,
        BeaconBlock::Fulu(b) => b.body.execution_payload.fee_recipient,
    }
}
