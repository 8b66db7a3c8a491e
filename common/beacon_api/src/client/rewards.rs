//! The rewards, validator identities, Electra/Fulu state queues, blobs and data column calls.

use super::{consensus_version, Accept, BeaconNodeHttpClient, Error};
use crate::beacon::QuotedIndices;
use crate::envelopes::{ChainResponse, VersionedResponse};
use crate::ids::{BlockId, StateId, ValidatorId};
use crate::rewards::*;
use crate::{JSON_CONTENT_TYPE, SSZ_CONTENT_TYPE};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use ssz::Decode;
use types::{
    DataColumnSidecar, EthSpec, ForkName, Hash256, PendingConsolidation, PendingDeposit,
    PendingPartialWithdrawal,
};

fn ids_body(ids: &[ValidatorId]) -> Vec<String> {
    ids.iter().map(ValidatorId::to_string).collect()
}

fn decode_ssz<T: Decode>(bytes: &[u8]) -> Result<T, Error> {
    T::from_ssz_bytes(bytes).map_err(|e| Error::Decode(format!("{e:?}")))
}

fn list_query(key: &'static str, values: Option<Vec<String>>) -> Vec<(&'static str, String)> {
    values.map(|v| vec![(key, v.join(","))]).unwrap_or_default()
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v1/beacon/rewards/blocks/{block_id}`.
    pub async fn get_beacon_rewards_blocks(
        &self,
        block_id: BlockId,
    ) -> Result<ChainResponse<BlockRewardsData>, Error> {
        self.get_json(self.url(&format!("eth/v1/beacon/rewards/blocks/{block_id}"))?)
            .await
    }

    /// `POST /eth/v1/beacon/rewards/attestations/{epoch}` (every validator when `ids` is empty).
    pub async fn post_beacon_rewards_attestations(
        &self,
        epoch: u64,
        ids: &[ValidatorId],
    ) -> Result<ChainResponse<AttestationsRewardsData>, Error> {
        self.post_json_for(
            self.url(&format!("eth/v1/beacon/rewards/attestations/{epoch}"))?,
            &ids_body(ids),
        )
        .await
    }

    /// `POST /eth/v1/beacon/rewards/sync_committee/{block_id}` (every member when `ids` is empty).
    pub async fn post_beacon_rewards_sync_committee(
        &self,
        block_id: BlockId,
        ids: &[ValidatorId],
    ) -> Result<ChainResponse<Vec<SyncCommitteeRewardData>>, Error> {
        self.post_json_for(
            self.url(&format!("eth/v1/beacon/rewards/sync_committee/{block_id}"))?,
            &ids_body(ids),
        )
        .await
    }

    async fn post_identities(
        &self,
        state_id: StateId,
        ids: &[ValidatorId],
        accept: &str,
    ) -> Result<reqwest::Response, Error> {
        let url = self.url(&format!(
            "eth/v1/beacon/states/{state_id}/validator_identities"
        ))?;
        let body = serde_json::to_vec(&ids_body(ids)).map_err(|e| Error::Decode(e.to_string()))?;
        let request = self
            .client
            .post(url)
            .header(CONTENT_TYPE, JSON_CONTENT_TYPE)
            .header(ACCEPT, accept)
            .body(body);
        self.send(request).await
    }

    /// `POST /eth/v1/beacon/states/{state_id}/validator_identities` (JSON; every validator when `ids`
    /// is empty).
    pub async fn post_beacon_states_validator_identities(
        &self,
        state_id: StateId,
        ids: &[ValidatorId],
    ) -> Result<ChainResponse<Vec<ValidatorIdentityData>>, Error> {
        let bytes = self
            .post_identities(state_id, ids, JSON_CONTENT_TYPE)
            .await?
            .bytes()
            .await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// `POST /eth/v1/beacon/states/{state_id}/validator_identities` (SSZ answer).
    pub async fn post_beacon_states_validator_identities_ssz(
        &self,
        state_id: StateId,
        ids: &[ValidatorId],
    ) -> Result<Vec<ValidatorIdentityData>, Error> {
        let bytes = self
            .post_identities(state_id, ids, SSZ_CONTENT_TYPE)
            .await?
            .bytes()
            .await?;
        decode_ssz(&bytes)
    }

    async fn get_versioned_json<T: DeserializeOwned>(
        &self,
        url: url::Url,
    ) -> Result<VersionedResponse<T>, Error> {
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    async fn get_versioned_ssz<T: Decode>(&self, url: url::Url) -> Result<(ForkName, T), Error> {
        let response = self.get(url, Accept::Ssz).await?;
        let fork = consensus_version(response.headers())?;
        let bytes = response.bytes().await?;
        Ok((fork, decode_ssz(&bytes)?))
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_deposits` (JSON).
    pub async fn get_beacon_states_pending_deposits(
        &self,
        state_id: StateId,
    ) -> Result<VersionedResponse<Vec<PendingDeposit>>, Error> {
        self.get_versioned_json(
            self.url(&format!("eth/v1/beacon/states/{state_id}/pending_deposits"))?,
        )
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_deposits` (SSZ, with the fork).
    pub async fn get_beacon_states_pending_deposits_ssz(
        &self,
        state_id: StateId,
    ) -> Result<(ForkName, Vec<PendingDeposit>), Error> {
        self.get_versioned_ssz(
            self.url(&format!("eth/v1/beacon/states/{state_id}/pending_deposits"))?,
        )
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_partial_withdrawals` (JSON).
    pub async fn get_beacon_states_pending_partial_withdrawals(
        &self,
        state_id: StateId,
    ) -> Result<VersionedResponse<Vec<PendingPartialWithdrawal>>, Error> {
        self.get_versioned_json(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/pending_partial_withdrawals"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_partial_withdrawals` (SSZ, with the fork).
    pub async fn get_beacon_states_pending_partial_withdrawals_ssz(
        &self,
        state_id: StateId,
    ) -> Result<(ForkName, Vec<PendingPartialWithdrawal>), Error> {
        self.get_versioned_ssz(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/pending_partial_withdrawals"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_consolidations` (JSON).
    pub async fn get_beacon_states_pending_consolidations(
        &self,
        state_id: StateId,
    ) -> Result<VersionedResponse<Vec<PendingConsolidation>>, Error> {
        self.get_versioned_json(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/pending_consolidations"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/pending_consolidations` (SSZ, with the fork).
    pub async fn get_beacon_states_pending_consolidations_ssz(
        &self,
        state_id: StateId,
    ) -> Result<(ForkName, Vec<PendingConsolidation>), Error> {
        self.get_versioned_ssz(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/pending_consolidations"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/proposer_lookahead` (JSON).
    pub async fn get_beacon_states_proposer_lookahead(
        &self,
        state_id: StateId,
    ) -> Result<VersionedResponse<QuotedIndices>, Error> {
        self.get_versioned_json(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/proposer_lookahead"
        ))?)
        .await
    }

    /// `GET /eth/v1/beacon/states/{state_id}/proposer_lookahead` (SSZ, with the fork).
    pub async fn get_beacon_states_proposer_lookahead_ssz(
        &self,
        state_id: StateId,
    ) -> Result<(ForkName, Vec<u64>), Error> {
        self.get_versioned_ssz(self.url(&format!(
            "eth/v1/beacon/states/{state_id}/proposer_lookahead"
        ))?)
        .await
    }

    fn blobs_url(
        &self,
        block_id: BlockId,
        versioned_hashes: Option<&[Hash256]>,
    ) -> Result<url::Url, Error> {
        let hashes = versioned_hashes.map(|h| h.iter().map(|h| format!("{h:#x}")).collect());
        self.url_with_query(
            &format!("eth/v1/beacon/blobs/{block_id}"),
            &list_query("versioned_hashes", hashes),
        )
    }

    /// `GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes=` (JSON).
    pub async fn get_beacon_blobs<E: EthSpec>(
        &self,
        block_id: BlockId,
        versioned_hashes: Option<&[Hash256]>,
    ) -> Result<ChainResponse<BlobsData<E>>, Error> {
        self.get_json(self.blobs_url(block_id, versioned_hashes)?)
            .await
    }

    /// `GET /eth/v1/beacon/blobs/{block_id}?versioned_hashes=` (SSZ).
    pub async fn get_beacon_blobs_ssz<E: EthSpec>(
        &self,
        block_id: BlockId,
        versioned_hashes: Option<&[Hash256]>,
    ) -> Result<types::Blobs<E>, Error> {
        let url = self.blobs_url(block_id, versioned_hashes)?;
        let bytes = self.get(url, Accept::Ssz).await?.bytes().await?;
        decode_ssz(&bytes)
    }

    fn columns_url(&self, block_id: BlockId, indices: Option<&[u64]>) -> Result<url::Url, Error> {
        let indices = indices.map(|i| i.iter().map(u64::to_string).collect());
        self.url_with_query(
            &format!("eth/v1/debug/beacon/data_column_sidecars/{block_id}"),
            &list_query("indices", indices),
        )
    }

    /// `GET /eth/v1/debug/beacon/data_column_sidecars/{block_id}?indices=` (JSON).
    pub async fn get_debug_data_column_sidecars<E: EthSpec>(
        &self,
        block_id: BlockId,
        indices: Option<&[u64]>,
    ) -> Result<VersionedResponse<Vec<DataColumnSidecar<E>>>, Error> {
        self.get_versioned_json(self.columns_url(block_id, indices)?)
            .await
    }

    /// `GET /eth/v1/debug/beacon/data_column_sidecars/{block_id}?indices=` (SSZ, with the fork).
    pub async fn get_debug_data_column_sidecars_ssz<E: EthSpec>(
        &self,
        block_id: BlockId,
        indices: Option<&[u64]>,
    ) -> Result<(ForkName, Vec<DataColumnSidecar<E>>), Error> {
        self.get_versioned_ssz(self.columns_url(block_id, indices)?)
            .await
    }
}
