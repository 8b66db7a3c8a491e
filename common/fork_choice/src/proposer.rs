//! Proposer re-orgs of late blocks: `get_proposer_head` (which block to build on) and
//! `should_override_forkchoice_update` (whether to keep the engine on the parent meanwhile), with
//! their helpers.

use crate::error::Error;
use crate::fork_choice::ForkChoice;
use crate::inputs::BalancesSource;
use state_processing::common::{get_beacon_committee, get_committee_count_per_slot, is_multiple};
use types::{BeaconState, EthSpec, Gwei, Hash256, Slot};

impl ForkChoice {
    fn node_or_err(&self, root: &Hash256) -> Result<&crate::ProtoNode, Error> {
        self.proto_array
            .node(root)
            .ok_or(Error::UnknownBlock(*root))
    }

    /// `is_head_late`: the head did not arrive in its slot before the attestation deadline.
    pub fn is_head_late(&self, head_root: &Hash256) -> Result<bool, Error> {
        Ok(!self.node_or_err(head_root)?.timely)
    }

    /// `is_shuffling_stable` (and `is_not_epoch_boundary`): `slot` is not an epoch's first. From
    /// Fulu the proposers of an epoch are fixed an epoch ahead (EIP-7917), so every slot is stable.
    pub fn is_shuffling_stable(&self, slot: Slot) -> bool {
        !is_multiple(slot, self.config.slots_per_epoch)
            || self.config.epoch_at_slot(slot) >= self.config.fulu_fork_epoch
    }

    /// `is_ffg_competitive`: head and parent pull up to the same justified checkpoint.
    pub fn is_ffg_competitive(
        &self,
        head_root: &Hash256,
        parent_root: &Hash256,
    ) -> Result<bool, Error> {
        Ok(self.node_or_err(head_root)?.unrealized_justified_checkpoint
            == self
                .node_or_err(parent_root)?
                .unrealized_justified_checkpoint)
    }

    /// `is_finalization_ok`: finality is at most `REORG_MAX_EPOCHS_SINCE_FINALIZATION` behind `slot`.
    pub fn is_finalization_ok(&self, slot: Slot) -> bool {
        self.config
            .epoch_at_slot(slot)
            .saturating_sub(self.finalized_checkpoint.epoch)
            <= self.config.reorg_max_epochs_since_finalization
    }

    /// `is_proposing_on_time`: the store's time is within the proposer re-org cutoff of its slot.
    pub fn is_proposing_on_time(&self) -> bool {
        self.time_into_slot_ms()
            <= self
                .config
                .slot_component_duration_ms(self.config.proposer_reorg_cutoff_bps)
    }

    /// `get_attestation_score` from the applied weights: the node's weight without the boost.
    fn attestation_score(&self, root: &Hash256) -> Result<Gwei, Error> {
        let node = self.node_or_err(root)?;
        let boost = match self.applied_boost {
            Some((boost_root, score)) if self.proto_array.is_ancestor(&boost_root, root) => score,
            _ => 0,
        };
        Ok(node.weight.saturating_sub(boost))
    }

    /// `is_head_weak`: the head's votes, with equivocators of its slot's committees counted (read
    /// from `head_state`, the head block's post-state), are below `REORG_HEAD_WEIGHT_THRESHOLD`.
    pub fn is_head_weak<E: EthSpec>(
        &self,
        head_root: &Hash256,
        head_state: &BeaconState<E>,
    ) -> Result<bool, Error> {
        let threshold = self.committee_fraction(self.config.reorg_head_weight_threshold)?;
        let head = self.node_or_err(head_root)?;
        let mut weight = self.attestation_score(head_root)?;
        if !self.equivocating_indices.is_empty() {
            let balances = &self
                .justified_balances
                .as_ref()
                .ok_or(Error::Inconsistent("no justified balances".into()))?
                .1
                .effective_balances;
            let epoch = self.config.epoch_at_slot(head.slot);
            for index in 0..get_committee_count_per_slot(head_state, epoch) {
                for i in get_beacon_committee(head_state, head.slot, index)? {
                    if self.equivocating_indices.contains(&i) {
                        let balance = balances.get(i as usize).copied().unwrap_or(0);
                        weight = weight.saturating_add(balance);
                    }
                }
            }
        }
        Ok(weight < threshold)
    }

    /// `is_parent_strong`: the parent of `root` has more than `REORG_PARENT_WEIGHT_THRESHOLD` of votes.
    pub fn is_parent_strong(&self, root: &Hash256) -> Result<bool, Error> {
        let threshold = self.committee_fraction(self.config.reorg_parent_weight_threshold)?;
        let parent = self
            .node_or_err(root)?
            .parent
            .map(|p| self.proto_array.nodes[p].root)
            .ok_or(Error::UnknownBlock(*root))?;
        Ok(self.attestation_score(&parent)? > threshold)
    }

    /// `is_proposer_equivocation`: another block of the same proposer at the same slot is known.
    pub fn is_proposer_equivocation(&self, root: &Hash256) -> Result<bool, Error> {
        let node = self.node_or_err(root)?;
        Ok(self.proto_array.nodes.iter().any(|n| {
            n.root != node.root && n.slot == node.slot && n.proposer_index == node.proposer_index
        }))
    }

    fn parent_of(&self, root: &Hash256) -> Result<(Hash256, Slot), Error> {
        let head = self.node_or_err(root)?;
        let parent = head
            .parent
            .map(|p| &self.proto_array.nodes[p])
            .ok_or(Error::UnknownBlock(*root))?;
        Ok((parent.root, parent.slot))
    }

    /// `get_proposer_head`: the block a proposer at `slot` should build on, the head or, to re-org a
    /// late and weak head, its parent. `head_state` is the head block's post-state.
    pub fn get_proposer_head<E: EthSpec>(
        &mut self,
        head_root: &Hash256,
        slot: Slot,
        head_state: &BeaconState<E>,
        balances: &mut impl BalancesSource,
    ) -> Result<Hash256, Error> {
        self.apply_changes(balances)?;
        let head_slot = self.node_or_err(head_root)?.slot;
        let (parent_root, parent_slot) = self.parent_of(head_root)?;
        let head_late = self.is_head_late(head_root)?;
        let not_epoch_boundary = self.is_shuffling_stable(slot);
        let ffg_competitive = self.is_ffg_competitive(head_root, &parent_root)?;
        let finalization_ok = self.is_finalization_ok(slot);
        let proposing_on_time = self.is_proposing_on_time();
        let parent_slot_ok = parent_slot + 1 == head_slot;
        let current_time_ok = head_slot + 1 == slot;
        let single_slot_reorg = parent_slot_ok && current_time_ok;
        if self.proposer_boost_root == *head_root {
            return Err(Error::HeadHasProposerBoost(*head_root));
        }
        let head_weak = self.is_head_weak(head_root, head_state)?;
        let parent_strong = self.is_parent_strong(head_root)?;
        let proposer_equivocation = self.is_proposer_equivocation(head_root)?;
        let reorg = head_late
            && not_epoch_boundary
            && ffg_competitive
            && finalization_ok
            && proposing_on_time
            && single_slot_reorg
            && head_weak
            && parent_strong;
        if reorg || (head_weak && current_time_ok && proposer_equivocation) {
            Ok(parent_root)
        } else {
            Ok(*head_root)
        }
    }

    /// `should_override_forkchoice_update`: whether to withhold the `forkchoiceUpdated` to `head_root`
    /// because the next proposer (one of ours: `proposing_reorg_slot`, which the caller finds from the
    /// parent state advanced to `head.slot + 1`) will likely re-org it.
    pub fn should_override_forkchoice_update<E: EthSpec>(
        &mut self,
        head_root: &Hash256,
        head_state: &BeaconState<E>,
        proposing_reorg_slot: bool,
        balances: &mut impl BalancesSource,
    ) -> Result<bool, Error> {
        self.apply_changes(balances)?;
        let head_slot = self.node_or_err(head_root)?.slot;
        let (parent_root, parent_slot) = self.parent_of(head_root)?;
        let current_slot = self.current_slot();
        let proposal_slot = head_slot + 1;
        let head_late = self.is_head_late(head_root)?;
        let shuffling_stable = self.is_shuffling_stable(proposal_slot);
        let ffg_competitive = self.is_ffg_competitive(head_root, &parent_root)?;
        let finalization_ok = self.is_finalization_ok(proposal_slot);
        let parent_slot_ok = parent_slot + 1 == head_slot;
        let proposing_on_time = self.is_proposing_on_time();
        let current_time_ok =
            head_slot == current_slot || (proposal_slot == current_slot && proposing_on_time);
        let single_slot_reorg = parent_slot_ok && current_time_ok;
        let (head_weak, parent_strong) = if current_slot > head_slot {
            (
                self.is_head_weak(head_root, head_state)?,
                self.is_parent_strong(head_root)?,
            )
        } else {
            (true, true)
        };
        Ok(head_late
            && shuffling_stable
            && ffg_competitive
            && finalization_ok
            && proposing_reorg_slot
            && single_slot_reorg
            && head_weak
            && parent_strong)
    }
}
