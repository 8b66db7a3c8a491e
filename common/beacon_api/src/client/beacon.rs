//! `/eth/v*/beacon/*` and `/eth/v*/debug/*` calls.

use super::{consensus_version, Accept, BeaconNodeHttpClient, Error};
use crate::beacon::*;
use crate::block_contents::PublishBlockRequest;
use crate::debug::*;
use crate::envelopes::*;
use crate::ids::{BlockId, StateId, ValidatorId};
use operation_pool::{Attestation, AttesterSlashing, SyncCommitteeMessage};
use reqwest::StatusCode;
use ssz::Decode;
use types::{
    BeaconState, BlobSidecar, EthSpec, Fork, ForkName, ForkVersioned, Hash256, ProposerSlashing,
    SignedBeaconBlock, SignedBlindedBeaconBlock, SignedBlsToExecutionChange, SignedVoluntaryExit,
    Slot,
};

/// `broadcast_validation` of the publication endpoints (`gossip` when absent).
pub fn validation_query(validation: Option<&str>) -> Vec<(&'static str, String)> {
    validation
        .map(|v| vec![("broadcast_validation", v.to_string())])
        .unwrap_or_default()
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v1/beacon/genesis`.
    pub async fn get_beacon_genesis(&self) -> Result<GenesisData, Error> {
        let r: GenericResponse<GenesisData> =
            self.get_json(self.url("eth/v1/beacon/genesis")?).await?;
        Ok(r.data)
    }

    /// `GET /eth/v1/beacon/states/{state_id}/root`.
    pub async fn get_beacon_states_root(
        &self,
        state_id: StateId,
    ) -> Result<ChainResponse<RootData>, Error> {
        self.get_json(self.url(&format!("eth/v1/beacon/states/{state_id}/root"))?)
            .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/fork`.
    pub async fn get_beacon_states_fork(
        &self,
        state_id: StateId,
    ) -> Result<ChainResponse<Fork>, Error> {
        self.get_json(self.url(&format!("eth/v1/beacon/states/{state_id}/fork"))?)
            .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/finality_checkpoints`.
    pub async fn get_beacon_states_finality_checkpoints(
        &self,
        state_id: StateId,
    ) -> Result<ChainResponse<FinalityCheckpointsData>, Error> {
        self.get_json(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/finality_checkpoints"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators?id=&status=`.
    pub async fn get_beacon_states_validators(
        &self,
        state_id: StateId,
        ids: Option<&[ValidatorId]>,
        statuses: Option<&[StatusFilter]>,
    ) -> Result<ChainResponse<Vec<ValidatorData>>, Error> {
        let mut query = vec![];
        if let Some(ids) = ids {
            let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            query.push(("id", ids.join(",")));
        }
        if let Some(statuses) = statuses {
            let statuses: Vec<String> = statuses.iter().map(|s| String::from(*s)).collect();
            query.push(("status", statuses.join(",")));
        }
        let url = self.url_with_query(
            &format!("eth/v1/beacon/states/{state_id}/validators"),
            &query,
        )?;
        self.get_json(url).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators` with one `id=` parameter per id (OpenAPI's
    /// exploded form): nodes that read no comma lists (Lodestar 1.5.1) take this one.
    pub async fn get_beacon_states_validators_exploded(
        &self,
        state_id: StateId,
        ids: &[ValidatorId],
    ) -> Result<ChainResponse<Vec<ValidatorData>>, Error> {
        let query: Vec<(&str, String)> = ids.iter().map(|id| ("id", id.to_string())).collect();
        let url = self.url_with_query(
            &format!("eth/v1/beacon/states/{state_id}/validators"),
            &query,
        )?;
        self.get_json(url).await
    }

    /// `POST /eth/v1/beacon/states/{state_id}/validators`.
    pub async fn post_beacon_states_validators(
        &self,
        state_id: StateId,
        body: &ValidatorsRequestBody,
    ) -> Result<ChainResponse<Vec<ValidatorData>>, Error> {
        self.post_json_for(
            self.url(&format!("eth/v1/beacon/states/{state_id}/validators"))?,
            body,
        )
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validators/{validator_id}`.
    pub async fn get_beacon_states_validator_id(
        &self,
        state_id: StateId,
        validator_id: ValidatorId,
    ) -> Result<ChainResponse<ValidatorData>, Error> {
        self.get_json(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/validators/{validator_id}"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/validator_balances?id=`.
    pub async fn get_beacon_states_validator_balances(
        &self,
        state_id: StateId,
        ids: Option<&[ValidatorId]>,
    ) -> Result<ChainResponse<Vec<ValidatorBalanceData>>, Error> {
        let mut query = vec![];
        if let Some(ids) = ids {
            let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            query.push(("id", ids.join(",")));
        }
        let url = self.url_with_query(
            &format!("eth/v1/beacon/states/{state_id}/validator_balances"),
            &query,
        )?;
        self.get_json(url).await
    }

    /// `GET /eth/v1/beacon/headers?slot=&parent_root=`.
    pub async fn get_beacon_headers(
        &self,
        slot: Option<Slot>,
        parent_root: Option<Hash256>,
    ) -> Result<ChainResponse<Vec<BlockHeaderData>>, Error> {
        let mut query = vec![];
        if let Some(slot) = slot {
            query.push(("slot", slot.to_string()));
        }
        if let Some(root) = parent_root {
            query.push(("parent_root", format!("{root:#x}")));
        }
        self.get_json(self.url_with_query("eth/v1/beacon/headers", &query)?)
            .await
    }

    /// `GET /eth/v1/beacon/headers/{block_id}`.
    pub async fn get_beacon_headers_block_id(
        &self,
        block_id: BlockId,
    ) -> Result<ChainResponse<BlockHeaderData>, Error> {
        self.get_json(self.url(&format!("eth/v1/beacon/headers/{block_id}"))?)
            .await
    }

    /// `GET /eth/v2/beacon/blocks/{block_id}` (JSON).
    pub async fn get_beacon_blocks<E: EthSpec>(
        &self,
        block_id: BlockId,
    ) -> Result<VersionedResponse<SignedBeaconBlock<E>>, Error> {
        self.get_versioned(&format!("eth/v2/beacon/blocks/{block_id}"))
            .await
    }

    /// `GET /eth/v2/beacon/blocks/{block_id}` (SSZ; the fork from `Eth-Consensus-Version`).
    pub async fn get_beacon_blocks_ssz<E: EthSpec>(
        &self,
        block_id: BlockId,
    ) -> Result<SignedBeaconBlock<E>, Error> {
        self.get_ssz_versioned(&format!("eth/v2/beacon/blocks/{block_id}"))
            .await
    }

    /// `GET /eth/v1/beacon/blocks/{block_id}/root`.
    pub async fn get_beacon_blocks_root(
        &self,
        block_id: BlockId,
    ) -> Result<ChainResponse<RootData>, Error> {
        self.get_json(self.url(&format!("eth/v1/beacon/blocks/{block_id}/root"))?)
            .await
    }

    /// `GET /eth/v1/beacon/blinded_blocks/{block_id}` (JSON).
    pub async fn get_beacon_blinded_blocks<E: EthSpec>(
        &self,
        block_id: BlockId,
    ) -> Result<VersionedResponse<SignedBlindedBeaconBlock<E>>, Error> {
        self.get_versioned(&format!("eth/v1/beacon/blinded_blocks/{block_id}"))
            .await
    }

    /// `GET /eth/v1/beacon/blinded_blocks/{block_id}` (SSZ).
    pub async fn get_beacon_blinded_blocks_ssz<E: EthSpec>(
        &self,
        block_id: BlockId,
    ) -> Result<SignedBlindedBeaconBlock<E>, Error> {
        self.get_ssz_versioned(&format!("eth/v1/beacon/blinded_blocks/{block_id}"))
            .await
    }

    /// `GET /eth/v1/beacon/blob_sidecars/{block_id}?indices=` (JSON).
    pub async fn get_blob_sidecars<E: EthSpec>(
        &self,
        block_id: BlockId,
        indices: Option<&[u64]>,
    ) -> Result<VersionedResponse<Vec<BlobSidecar<E>>>, Error> {
        let url = self.url_with_query(
            &format!("eth/v1/beacon/blob_sidecars/{block_id}"),
            &indices_query(indices),
        )?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, |value, _| serde_json::from_value(value))
            .map_err(|e| Error::Decode(e.to_string()))
    }

    /// `GET /eth/v1/beacon/blob_sidecars/{block_id}?indices=` (SSZ).
    pub async fn get_blob_sidecars_ssz<E: EthSpec>(
        &self,
        block_id: BlockId,
        indices: Option<&[u64]>,
    ) -> Result<Vec<BlobSidecar<E>>, Error> {
        let url = self.url_with_query(
            &format!("eth/v1/beacon/blob_sidecars/{block_id}"),
            &indices_query(indices),
        )?;
        let bytes = self.get(url, Accept::Ssz).await?.bytes().await?;
        <Vec<BlobSidecar<E>>>::from_ssz_bytes(&bytes).map_err(|e| Error::Decode(format!("{e:?}")))
    }

    /// `POST /eth/v2/beacon/blocks` (JSON): 200 imported, 202 broadcast but not imported.
    pub async fn post_beacon_blocks_v2<E: EthSpec>(
        &self,
        block: &PublishBlockRequest<E>,
        broadcast_validation: Option<&str>,
    ) -> Result<StatusCode, Error> {
        let url = self.url_with_query(
            "eth/v2/beacon/blocks",
            &validation_query(broadcast_validation),
        )?;
        let response = self.post_json(url, block, Some(block.fork_name())).await?;
        Ok(response.status())
    }

    /// `POST /eth/v2/beacon/blocks` (SSZ).
    pub async fn post_beacon_blocks_v2_ssz<E: EthSpec>(
        &self,
        block: &PublishBlockRequest<E>,
        broadcast_validation: Option<&str>,
    ) -> Result<StatusCode, Error> {
        let url = self.url_with_query(
            "eth/v2/beacon/blocks",
            &validation_query(broadcast_validation),
        )?;
        let response = self
            .post_ssz(url, block.as_ssz_bytes(), block.fork_name())
            .await?;
        Ok(response.status())
    }

    /// `POST /eth/v1/beacon/blocks` (JSON; gossip validation).
    pub async fn post_beacon_blocks<E: EthSpec>(
        &self,
        block: &PublishBlockRequest<E>,
    ) -> Result<StatusCode, Error> {
        let response = self
            .post_json(
                self.url("eth/v1/beacon/blocks")?,
                block,
                Some(block.fork_name()),
            )
            .await?;
        Ok(response.status())
    }

    /// `POST /eth/v2/beacon/blinded_blocks` (JSON).
    pub async fn post_beacon_blinded_blocks_v2<E: EthSpec>(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
        broadcast_validation: Option<&str>,
    ) -> Result<StatusCode, Error> {
        let url = self.url_with_query(
            "eth/v2/beacon/blinded_blocks",
            &validation_query(broadcast_validation),
        )?;
        let response = self.post_json(url, block, Some(block.fork_name())).await?;
        Ok(response.status())
    }

    /// `POST /eth/v2/beacon/blinded_blocks` (SSZ).
    pub async fn post_beacon_blinded_blocks_v2_ssz<E: EthSpec>(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
        broadcast_validation: Option<&str>,
    ) -> Result<StatusCode, Error> {
        use ssz::Encode;
        let url = self.url_with_query(
            "eth/v2/beacon/blinded_blocks",
            &validation_query(broadcast_validation),
        )?;
        let response = self
            .post_ssz(url, block.as_ssz_bytes(), block.fork_name())
            .await?;
        Ok(response.status())
    }

    /// `POST /eth/v1/beacon/blinded_blocks` (JSON), or its alias `/eth/v1/beacon/blinded_block`.
    pub async fn post_beacon_blinded_blocks<E: EthSpec>(
        &self,
        block: &SignedBlindedBeaconBlock<E>,
        alias: bool,
    ) -> Result<StatusCode, Error> {
        let path = if alias {
            "eth/v1/beacon/blinded_block"
        } else {
            "eth/v1/beacon/blinded_blocks"
        };
        let response = self
            .post_json(self.url(path)?, block, Some(block.fork_name()))
            .await?;
        Ok(response.status())
    }

    // Pools.

    /// `GET /eth/v2/beacon/pool/attestations?slot=&committee_index=`.
    pub async fn get_beacon_pool_attestations<E: EthSpec>(
        &self,
        slot: Option<Slot>,
        committee_index: Option<u64>,
    ) -> Result<VersionedResponse<Vec<Attestation<E>>>, Error> {
        let mut query = vec![];
        if let Some(slot) = slot {
            query.push(("slot", slot.to_string()));
        }
        if let Some(index) = committee_index {
            query.push(("committee_index", index.to_string()));
        }
        let url = self.url_with_query("eth/v2/beacon/pool/attestations", &query)?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, |value, fork| {
            list_from_value(value, fork, attestation_from_value)
        })
        .map_err(|e| Error::Decode(e.to_string()))
    }

    /// `POST /eth/v2/beacon/pool/attestations`.
    pub async fn post_beacon_pool_attestations<E: EthSpec>(
        &self,
        attestations: &PoolAttestations<E>,
        fork: ForkName,
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v2/beacon/pool/attestations")?,
            attestations,
            Some(fork),
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/beacon/pool/attestations`: phase0-shaped attestations without a version header,
    /// for nodes that predate v2 (Lodestar 1.5.1). Pre-Electra only.
    pub async fn post_beacon_pool_attestations_v1<E: EthSpec>(
        &self,
        attestations: &PoolAttestations<E>,
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/beacon/pool/attestations")?,
            attestations,
            None,
        )
        .await?;
        Ok(())
    }

    /// `GET /eth/v2/beacon/pool/attester_slashings`.
    pub async fn get_beacon_pool_attester_slashings<E: EthSpec>(
        &self,
    ) -> Result<VersionedResponse<Vec<AttesterSlashing<E>>>, Error> {
        let url = self.url("eth/v2/beacon/pool/attester_slashings")?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, |value, fork| {
            list_from_value(value, fork, attester_slashing_from_value)
        })
        .map_err(|e| Error::Decode(e.to_string()))
    }

    /// `POST /eth/v2/beacon/pool/attester_slashings`.
    pub async fn post_beacon_pool_attester_slashings<E: EthSpec>(
        &self,
        slashing: &AttesterSlashing<E>,
        fork: ForkName,
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v2/beacon/pool/attester_slashings")?,
            slashing,
            Some(fork),
        )
        .await?;
        Ok(())
    }

    /// `GET /eth/v1/beacon/pool/proposer_slashings`.
    pub async fn get_beacon_pool_proposer_slashings(&self) -> Result<Vec<ProposerSlashing>, Error> {
        let r: GenericResponse<Vec<ProposerSlashing>> = self
            .get_json(self.url("eth/v1/beacon/pool/proposer_slashings")?)
            .await?;
        Ok(r.data)
    }

    /// `POST /eth/v1/beacon/pool/proposer_slashings`.
    pub async fn post_beacon_pool_proposer_slashings(
        &self,
        slashing: &ProposerSlashing,
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/beacon/pool/proposer_slashings")?,
            slashing,
            None,
        )
        .await?;
        Ok(())
    }

    /// `GET /eth/v1/beacon/pool/voluntary_exits`.
    pub async fn get_beacon_pool_voluntary_exits(&self) -> Result<Vec<SignedVoluntaryExit>, Error> {
        let r: GenericResponse<Vec<SignedVoluntaryExit>> = self
            .get_json(self.url("eth/v1/beacon/pool/voluntary_exits")?)
            .await?;
        Ok(r.data)
    }

    /// `POST /eth/v1/beacon/pool/voluntary_exits`.
    pub async fn post_beacon_pool_voluntary_exits(
        &self,
        exit: &SignedVoluntaryExit,
    ) -> Result<(), Error> {
        self.post_json(self.url("eth/v1/beacon/pool/voluntary_exits")?, exit, None)
            .await?;
        Ok(())
    }

    /// `GET /eth/v1/beacon/pool/bls_to_execution_changes`.
    pub async fn get_beacon_pool_bls_to_execution_changes(
        &self,
    ) -> Result<Vec<SignedBlsToExecutionChange>, Error> {
        let r: GenericResponse<Vec<SignedBlsToExecutionChange>> = self
            .get_json(self.url("eth/v1/beacon/pool/bls_to_execution_changes")?)
            .await?;
        Ok(r.data)
    }

    /// `POST /eth/v1/beacon/pool/bls_to_execution_changes`.
    pub async fn post_beacon_pool_bls_to_execution_changes(
        &self,
        changes: &[SignedBlsToExecutionChange],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/beacon/pool/bls_to_execution_changes")?,
            changes,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/beacon/pool/sync_committees`.
    pub async fn post_beacon_pool_sync_committees(
        &self,
        messages: &[SyncCommitteeMessage],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/beacon/pool/sync_committees")?,
            messages,
            None,
        )
        .await?;
        Ok(())
    }

    // Debug.

    /// `GET /eth/v2/debug/beacon/states/{state_id}` (JSON).
    pub async fn get_debug_beacon_states<E: EthSpec>(
        &self,
        state_id: StateId,
    ) -> Result<VersionedResponse<BeaconState<E>>, Error> {
        self.get_versioned(&format!("eth/v2/debug/beacon/states/{state_id}"))
            .await
    }

    /// `GET /eth/v2/debug/beacon/states/{state_id}` (SSZ).
    pub async fn get_debug_beacon_states_ssz<E: EthSpec>(
        &self,
        state_id: StateId,
    ) -> Result<BeaconState<E>, Error> {
        self.get_ssz_versioned(&format!("eth/v2/debug/beacon/states/{state_id}"))
            .await
    }

    /// `GET /eth/v2/debug/beacon/heads`.
    pub async fn get_debug_beacon_heads(&self) -> Result<Vec<ChainHeadData>, Error> {
        let r: GenericResponse<Vec<ChainHeadData>> = self
            .get_json(self.url("eth/v2/debug/beacon/heads")?)
            .await?;
        Ok(r.data)
    }

    /// `GET /eth/v1/debug/fork_choice`.
    pub async fn get_debug_fork_choice(&self) -> Result<ForkChoiceData, Error> {
        self.get_json(self.url("eth/v1/debug/fork_choice")?).await
    }

    async fn get_versioned<T: ForkVersioned>(
        &self,
        path: &str,
    ) -> Result<VersionedResponse<T>, Error> {
        let bytes = self
            .get(self.url(path)?, Accept::Json)
            .await?
            .bytes()
            .await?;
        VersionedResponse::from_json_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    async fn get_ssz_versioned<T: ForkVersioned>(&self, path: &str) -> Result<T, Error> {
        let response = self.get(self.url(path)?, Accept::Ssz).await?;
        let fork = consensus_version(response.headers())?;
        let bytes = response.bytes().await?;
        T::from_ssz_bytes_by_fork(&bytes, fork).map_err(|e| Error::Decode(format!("{e:?}")))
    }
}

fn indices_query(indices: Option<&[u64]>) -> Vec<(&'static str, String)> {
    indices
        .map(|indices| {
            let list: Vec<String> = indices.iter().map(u64::to_string).collect();
            vec![("indices", list.join(","))]
        })
        .unwrap_or_default()
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v1/beacon/states/{state_id}/committees?epoch=&index=&slot=`.
    pub async fn get_beacon_states_committees(
        &self,
        state_id: StateId,
        epoch: Option<u64>,
        index: Option<u64>,
        slot: Option<Slot>,
    ) -> Result<ChainResponse<Vec<CommitteeData>>, Error> {
        let mut query = vec![];
        for (key, value) in [("epoch", epoch), ("index", index), ("slot", slot)] {
            if let Some(value) = value {
                query.push((key, value.to_string()));
            }
        }
        let url = self.url_with_query(
            &format!("eth/v1/beacon/states/{state_id}/committees"),
            &query,
        )?;
        self.get_json(url).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/sync_committees?epoch=`.
    pub async fn get_beacon_states_sync_committees(
        &self,
        state_id: StateId,
        epoch: Option<u64>,
    ) -> Result<ChainResponse<SyncCommitteeData>, Error> {
        let query: Vec<_> = epoch
            .map(|e| ("epoch", e.to_string()))
            .into_iter()
            .collect();
        let url = self.url_with_query(
            &format!("eth/v1/beacon/states/{state_id}/sync_committees"),
            &query,
        )?;
        self.get_json(url).await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/randao?epoch=`.
    pub async fn get_beacon_states_randao(
        &self,
        state_id: StateId,
        epoch: Option<u64>,
    ) -> Result<ChainResponse<RandaoData>, Error> {
        let query: Vec<_> = epoch
            .map(|e| ("epoch", e.to_string()))
            .into_iter()
            .collect();
        let url =
            self.url_with_query(&format!("eth/v1/beacon/states/{state_id}/randao"), &query)?;
        self.get_json(url).await
    }

    /// `GET /eth/v1/builder/states/{state_id}/expected_withdrawals?proposal_slot=`.
    pub async fn get_expected_withdrawals(
        &self,
        state_id: StateId,
        proposal_slot: Option<Slot>,
    ) -> Result<ChainResponse<Vec<types::Withdrawal>>, Error> {
        let query: Vec<_> = proposal_slot
            .map(|s| ("proposal_slot", s.to_string()))
            .into_iter()
            .collect();
        let url = self.url_with_query(
            &format!("eth/v1/builder/states/{state_id}/expected_withdrawals"),
            &query,
        )?;
        self.get_json(url).await
    }
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v2/beacon/blocks/{block_id}/attestations`.
    pub async fn get_beacon_blocks_attestations<E: EthSpec>(
        &self,
        block_id: BlockId,
    ) -> Result<VersionedResponse<Vec<Attestation<E>>>, Error> {
        let url = self.url(&format!("eth/v2/beacon/blocks/{block_id}/attestations"))?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, |value, fork| {
            list_from_value(value, fork, attestation_from_value)
        })
        .map_err(|e| Error::Decode(e.to_string()))
    }
}
