//! The sync committee: at one third of the slot each member signs the head block root; at two thirds
//! the members whose selection proof makes them aggregators of a subcommittee publish its best
//! contribution.

use super::Services;
use beacon_api::BlockId;
use operation_pool::{
    is_sync_committee_aggregator, sync_subcommittee_size, ContributionAndProof,
    SignedContributionAndProof, SyncAggregatorSelectionData, SyncCommitteeMessage,
};
use std::collections::BTreeSet;
use std::sync::Arc;
use types::{EthSpec, Hash256, Slot};

impl<E: EthSpec> Services<E> {
    /// Signs and publishes our sync committee messages for `slot`; returns the root they signed.
    pub async fn sync_messages(self: &Arc<Self>, slot: Slot) -> Option<Hash256> {
        let epoch = slot / E::slots_per_epoch();
        let duties = self.duties.sync_at(epoch);
        if duties.is_empty() {
            return None;
        }
        let root = match self
            .nodes
            .first_success("head block root", |client| async move {
                client.get_beacon_blocks_root(BlockId::Head).await
            })
            .await
        {
            Ok(response) => response.data.root,
            Err(error) => {
                tracing::warn!(slot, %error, "no head root for the sync committee");
                return None;
            }
        };
        let fork_info = self.context.fork_info(epoch);
        let mut messages = Vec::new();
        for duty in &duties {
            let store = self.store.clone();
            let pubkey = duty.pubkey;
            let Ok(Ok(signature)) = self
                .sign(move || store.sync_committee_signature(&pubkey, slot, root, &fork_info))
                .await
            else {
                continue;
            };
            messages.push(SyncCommitteeMessage {
                slot,
                beacon_block_root: root,
                validator_index: duty.validator_index,
                signature,
            });
        }
        let count = messages.len() as u64;
        match self
            .nodes
            .first_success("sync committee messages", |client| {
                let messages = messages.clone();
                async move { client.post_beacon_pool_sync_committees(&messages).await }
            })
            .await
        {
            Ok(()) => self
                .metrics
                .sync_messages
                .with_label_values(&["published"])
                .inc_by(count),
            Err(error) => {
                self.metrics
                    .sync_messages
                    .with_label_values(&["failed"])
                    .inc_by(count);
                tracing::error!(slot, %error, "sync committee messages not published");
            }
        }
        Some(root)
    }

    /// Our aggregators' contributions for `slot` on the block `root` the messages signed.
    pub async fn sync_contributions(self: &Arc<Self>, slot: Slot, root: Hash256) {
        let epoch = slot / E::slots_per_epoch();
        let fork_info = self.context.fork_info(epoch);
        let size = sync_subcommittee_size::<E>() as u64;
        let mut published = Vec::new();
        for duty in self.duties.sync_at(epoch) {
            let subcommittees: BTreeSet<u64> = duty
                .validator_sync_committee_indices
                .iter()
                .map(|i| i / size.max(1))
                .collect();
            for subcommittee_index in subcommittees {
                let data = SyncAggregatorSelectionData {
                    slot,
                    subcommittee_index,
                };
                let store = self.store.clone();
                let pubkey = duty.pubkey;
                let Ok(Ok(selection_proof)) = self
                    .sign(move || store.sync_selection_proof(&pubkey, &data, &fork_info))
                    .await
                else {
                    continue;
                };
                if !is_sync_committee_aggregator::<E>(&selection_proof) {
                    continue;
                }
                let contribution = match self
                    .nodes
                    .first_success("sync contribution", |client| async move {
                        client
                            .get_validator_sync_committee_contribution::<E>(
                                slot,
                                subcommittee_index,
                                root,
                            )
                            .await
                    })
                    .await
                {
                    Ok(response) => response.data,
                    Err(error) => {
                        tracing::debug!(slot, subcommittee_index, %error, "no contribution to publish");
                        continue;
                    }
                };
                let message = ContributionAndProof {
                    aggregator_index: duty.validator_index,
                    contribution,
                    selection_proof,
                };
                let store = self.store.clone();
                let to_sign = message.clone();
                let Ok(Ok(signature)) = self
                    .sign(move || store.sign_contribution_and_proof(&pubkey, &to_sign, &fork_info))
                    .await
                else {
                    continue;
                };
                published.push(SignedContributionAndProof { message, signature });
            }
        }
        if published.is_empty() {
            return;
        }
        if let Err(error) = self
            .nodes
            .first_success("sync contributions", |client| {
                let published = published.clone();
                async move {
                    client
                        .post_validator_contribution_and_proofs(&published)
                        .await
                }
            })
            .await
        {
            tracing::error!(slot, %error, "sync contributions not published");
        }
    }
}
