//! Engine builders: forkchoiceUpdated mirrored to each (with attributes when the node proposes), the
//! build ids they answer kept for the proposal's getPayload. Mirroring never waits on a builder and
//! never fails the node's own call: a builder that is down only loses its chance to compete.

use super::FullClient;
use crate::chain::PayloadRequest;
use crate::ExecutionLayer;
use engine_api::{ForkchoiceStateV1, PayloadAttributes, PayloadId};
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use types::{Address, EthSpec, ExecutionBlockHash, ForkName};

/// Builds an engine builder started for coming proposals, by the attributes they were started with.
#[derive(Debug, Default)]
pub(crate) struct PreparedBuilds {
    entries: VecDeque<(ForkName, ExecutionBlockHash, PayloadAttributes, PayloadId)>,
}

/// Prepared builds kept per builder (a few proposals and re-orgs of the head).
const MAX_PREPARED: usize = 8;

impl PreparedBuilds {
    pub fn insert(
        &mut self,
        fork: ForkName,
        parent: ExecutionBlockHash,
        attributes: PayloadAttributes,
        id: PayloadId,
    ) {
        self.entries
            .retain(|(f, p, a, _)| !(*f == fork && *p == parent && *a == attributes));
        self.entries.push_back((fork, parent, attributes, id));
        while self.entries.len() > MAX_PREPARED {
            self.entries.pop_front();
        }
    }

    pub fn take(
        &mut self,
        fork: ForkName,
        parent: ExecutionBlockHash,
        attributes: &PayloadAttributes,
    ) -> Option<PayloadId> {
        let position = self
            .entries
            .iter()
            .position(|(f, p, a, _)| *f == fork && *p == parent && a == attributes)?;
        self.entries.remove(position).map(|(_, _, _, id)| id)
    }
}

/// The attributes an engine builder builds with: the proposal's, paying `fee_recipient` (the
/// registered one, as for relays).
pub(crate) fn builder_attributes(
    request: &PayloadRequest,
    fee_recipient: Address,
) -> PayloadAttributes {
    PayloadAttributes::new(
        request.fork,
        request.timestamp,
        request.prev_randao,
        fee_recipient,
        &request.withdrawals,
        request.parent_beacon_block_root,
    )
}

pub(crate) fn forkchoice_state(request: &PayloadRequest) -> ForkchoiceStateV1 {
    ForkchoiceStateV1 {
        head_block_hash: request.parent_hash,
        safe_block_hash: request.safe_block_hash,
        finalized_block_hash: request.finalized_block_hash,
    }
}

impl<E: EthSpec> ExecutionLayer<E> {
    /// Mirrors a forkchoiceUpdated without attributes (a head change) to every enabled engine builder,
    /// in the background. The node calls it beside its own forkchoiceUpdated to the local engine (the
    /// chain's head update); proposals mirror theirs through [`Self::prepare_payload`] and
    /// [`Self::get_payload`].
    pub fn mirror_forkchoice(&self, fork: ForkName, state: ForkchoiceStateV1) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        for builder in &self.full_builders {
            if !matches!(builder.client, FullClient::Engine { .. })
                || self.registry.is_disabled(&builder.name)
            {
                continue;
            }
            let builder = builder.clone();
            let failures = self.metrics.forkchoice_mirror_failures.clone();
            runtime.spawn(async move {
                let FullClient::Engine {
                    client,
                    timeout,
                    mirror_failing,
                    ..
                } = &builder.client
                else {
                    return;
                };
                let call = client.forkchoice_updated(fork, state, None);
                let failure = match tokio::time::timeout(*timeout, call).await {
                    Ok(Ok(_)) => None,
                    Ok(Err(error)) => Some(("error", error.to_string())),
                    Err(_) => Some(("timeout", format!("no answer in {timeout:?}"))),
                };
                let Some((kind, error)) = failure else {
                    mirror_failing.store(false, Ordering::Relaxed);
                    return;
                };
                failures.with_label_values(&[&builder.name, kind]).inc();
                let head = state.head_block_hash;
                if mirror_failing.swap(true, Ordering::Relaxed) {
                    tracing::debug!(builder = %builder.name, %head, %error, "forkchoiceUpdated to the engine builder failed");
                } else {
                    tracing::warn!(builder = %builder.name, %head, %error, "forkchoiceUpdated to the engine builder failed; it may not build on the head (further failures at debug level)");
                }
            });
        }
    }

    /// Starts every enabled engine builder's build for a coming proposal (forkchoiceUpdated with its
    /// attributes), in the background, keeping the build ids for [`Self::get_payload`]. Called by
    /// [`Self::prepare_payload`]; only for registered proposers, as builders are only asked for them.
    pub(crate) fn prepare_engine_builders(&self, request: &PayloadRequest) {
        let Some(registration) = self.chain.proposer_registration(&request.proposer_pubkey) else {
            return;
        };
        let attributes = builder_attributes(request, registration.fee_recipient);
        let state = forkchoice_state(request);
        for builder in &self.full_builders {
            if !matches!(builder.client, FullClient::Engine { .. })
                || self.registry.is_disabled(&builder.name)
            {
                continue;
            }
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            let builder = builder.clone();
            let attributes = attributes.clone();
            let (fork, parent) = (request.fork, request.parent_hash);
            runtime.spawn(async move {
                let FullClient::Engine {
                    client,
                    timeout,
                    prepared,
                    ..
                } = &builder.client
                else {
                    return;
                };
                let call = client.forkchoice_updated(fork, state, Some(&attributes));
                match tokio::time::timeout(*timeout, call).await {
                    Ok(Ok(response)) => match response.payload_id {
                        Some(id) => prepared.lock().insert(fork, parent, attributes, id),
                        None => tracing::debug!(builder = %builder.name, status = ?response.payload_status.status, "the engine builder started no build"),
                    },
                    Ok(Err(error)) => {
                        tracing::debug!(builder = %builder.name, %error, "forkchoiceUpdated with attributes to the engine builder failed")
                    }
                    Err(_) => {
                        tracing::debug!(builder = %builder.name, "forkchoiceUpdated with attributes to the engine builder timed out")
                    }
                }
            });
        }
    }
}
