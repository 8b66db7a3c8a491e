//! `/eth/v*/validator/*` calls: duties, block production, attestation data and aggregates, sync
//! committee contributions, subscriptions, preparations, registrations and liveness.

use super::{consensus_version, Accept, BeaconNodeHttpClient, Error};
use crate::beacon::attestation_from_value;
use crate::block_contents::{
    decimal_u256, FullBlockContents, ProduceBlockV3Response, ProducedBlockData,
};
use crate::envelopes::*;
use crate::validator::*;
use crate::{
    CONSENSUS_BLOCK_VALUE_HEADER, EXECUTION_PAYLOAD_BLINDED_HEADER, EXECUTION_PAYLOAD_VALUE_HEADER,
};
use operation_pool::{Attestation, SignedContributionAndProof, SyncCommitteeContribution};
use reqwest::header::HeaderMap;
use types::{
    AttestationData, BlindedBeaconBlock, Epoch, EthSpec, ForkName, ForkVersioned, Hash256,
    SignatureBytes, SignedValidatorRegistrationV1, Slot, U256,
};

/// The query of a block production request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProduceQuery {
    pub randao_reveal: SignatureBytes,
    /// 32 bytes, `0x` hex.
    pub graffiti: Option<Hash256>,
    pub skip_randao_verification: bool,
    /// `builder_boost_factor`: 0 prefers the local payload, 100 compares values as they are.
    pub builder_boost_factor: Option<u64>,
}

impl ProduceQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("randao_reveal", self.randao_reveal.to_string())];
        if let Some(graffiti) = self.graffiti {
            query.push(("graffiti", format!("{graffiti:#x}")));
        }
        if self.skip_randao_verification {
            // The spec's flag takes no value.
            query.push(("skip_randao_verification", String::new()));
        }
        if let Some(factor) = self.builder_boost_factor {
            query.push(("builder_boost_factor", factor.to_string()));
        }
        query
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Error> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or(Error::Header(name))
}

fn header_u256(headers: &HeaderMap, name: &'static str) -> Result<U256, Error> {
    decimal_u256::parse(header_str(headers, name)?).map_err(|_| Error::Header(name))
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v1/validator/duties/proposer/{epoch}`.
    pub async fn get_validator_duties_proposer(
        &self,
        epoch: Epoch,
    ) -> Result<DutiesResponse<Vec<ProposerData>>, Error> {
        self.get_json(self.url(&format!("eth/v1/validator/duties/proposer/{epoch}"))?)
            .await
    }

    /// `POST /eth/v1/validator/duties/attester/{epoch}`.
    pub async fn post_validator_duties_attester(
        &self,
        epoch: Epoch,
        indices: &[u64],
    ) -> Result<DutiesResponse<Vec<AttesterData>>, Error> {
        self.post_json_for(
            self.url(&format!("eth/v1/validator/duties/attester/{epoch}"))?,
            &ValidatorIndices(indices.to_vec()),
        )
        .await
    }

    /// `POST /eth/v1/validator/duties/sync/{epoch}`.
    pub async fn post_validator_duties_sync(
        &self,
        epoch: Epoch,
        indices: &[u64],
    ) -> Result<OptimisticResponse<Vec<SyncDutyData>>, Error> {
        self.post_json_for(
            self.url(&format!("eth/v1/validator/duties/sync/{epoch}"))?,
            &ValidatorIndices(indices.to_vec()),
        )
        .await
    }

    /// `GET /eth/v3/validator/blocks/{slot}` (JSON).
    pub async fn get_validator_blocks_v3<E: EthSpec>(
        &self,
        slot: Slot,
        query: &ProduceQuery,
    ) -> Result<ProduceBlockV3Response<E>, Error> {
        let url =
            self.url_with_query(&format!("eth/v3/validator/blocks/{slot}"), &query.pairs())?;
        let response = self.get(url, Accept::Json).await?;
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let parsed = ProduceBlockV3Response::from_json_slice(&bytes)
            .map_err(|e| Error::Decode(e.to_string()))?;
        // The headers must agree with the body.
        let fork = consensus_version(&headers)?;
        let blinded = header_str(&headers, EXECUTION_PAYLOAD_BLINDED_HEADER)? == "true";
        if fork != parsed.version || blinded != parsed.execution_payload_blinded {
            return Err(Error::Decode("headers and body disagree".into()));
        }
        Ok(parsed)
    }

    /// `GET /eth/v3/validator/blocks/{slot}` (SSZ: everything but the block from the headers).
    pub async fn get_validator_blocks_v3_ssz<E: EthSpec>(
        &self,
        slot: Slot,
        query: &ProduceQuery,
    ) -> Result<ProduceBlockV3Response<E>, Error> {
        let url =
            self.url_with_query(&format!("eth/v3/validator/blocks/{slot}"), &query.pairs())?;
        let response = self.get(url, Accept::Ssz).await?;
        let headers = response.headers().clone();
        let version = consensus_version(&headers)?;
        let blinded = match header_str(&headers, EXECUTION_PAYLOAD_BLINDED_HEADER)? {
            "true" => true,
            "false" => false,
            _ => return Err(Error::Header(EXECUTION_PAYLOAD_BLINDED_HEADER)),
        };
        let bytes = response.bytes().await?;
        Ok(ProduceBlockV3Response {
            version,
            execution_payload_blinded: blinded,
            execution_payload_value: header_u256(&headers, EXECUTION_PAYLOAD_VALUE_HEADER)?,
            consensus_block_value: header_u256(&headers, CONSENSUS_BLOCK_VALUE_HEADER)?,
            data: ProducedBlockData::from_ssz_bytes_by_fork(&bytes, version, blinded)
                .map_err(|e| Error::Decode(format!("{e:?}")))?,
        })
    }

    /// `GET /eth/v2/validator/blocks/{slot}`: a full block only.
    pub async fn get_validator_blocks_v2<E: EthSpec>(
        &self,
        slot: Slot,
        query: &ProduceQuery,
    ) -> Result<VersionedResponse<FullBlockContents<E>>, Error> {
        let url =
            self.url_with_query(&format!("eth/v2/validator/blocks/{slot}"), &query.pairs())?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, FullBlockContents::from_value_by_fork)
            .map_err(|e| Error::Decode(e.to_string()))
    }

    /// `GET /eth/v1/validator/blinded_blocks/{slot}`, or with `alias` the seed's
    /// `GET /eth/v1/validator/blinded_block?slot=`.
    pub async fn get_validator_blinded_blocks<E: EthSpec>(
        &self,
        slot: Slot,
        query: &ProduceQuery,
        alias: bool,
    ) -> Result<VersionedResponse<BlindedBeaconBlock<E>>, Error> {
        let url = if alias {
            let mut pairs = query.pairs();
            pairs.push(("slot", slot.to_string()));
            self.url_with_query("eth/v1/validator/blinded_block", &pairs)?
        } else {
            self.url_with_query(
                &format!("eth/v1/validator/blinded_blocks/{slot}"),
                &query.pairs(),
            )?
        };
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))
    }

    /// `GET /eth/v1/validator/blinded_blocks/{slot}` (SSZ).
    pub async fn get_validator_blinded_blocks_ssz<E: EthSpec>(
        &self,
        slot: Slot,
        query: &ProduceQuery,
    ) -> Result<BlindedBeaconBlock<E>, Error> {
        let url = self.url_with_query(
            &format!("eth/v1/validator/blinded_blocks/{slot}"),
            &query.pairs(),
        )?;
        let response = self.get(url, Accept::Ssz).await?;
        let fork = consensus_version(response.headers())?;
        let bytes = response.bytes().await?;
        BlindedBeaconBlock::from_ssz_bytes_by_fork(&bytes, fork)
            .map_err(|e| Error::Decode(format!("{e:?}")))
    }

    /// `GET /eth/v1/validator/attestation_data?slot=&committee_index=`.
    pub async fn get_validator_attestation_data(
        &self,
        slot: Slot,
        committee_index: u64,
    ) -> Result<GenericResponse<AttestationData>, Error> {
        let url = self.url_with_query(
            "eth/v1/validator/attestation_data",
            &[
                ("slot", slot.to_string()),
                ("committee_index", committee_index.to_string()),
            ],
        )?;
        self.get_json(url).await
    }

    /// `GET /eth/v2/validator/aggregate_attestation?attestation_data_root=&slot=&committee_index=`.
    pub async fn get_validator_aggregate_attestation<E: EthSpec>(
        &self,
        slot: Slot,
        attestation_data_root: Hash256,
        committee_index: u64,
    ) -> Result<VersionedResponse<Attestation<E>>, Error> {
        let url = self.url_with_query(
            "eth/v2/validator/aggregate_attestation",
            &[
                (
                    "attestation_data_root",
                    format!("{attestation_data_root:#x}"),
                ),
                ("slot", slot.to_string()),
                ("committee_index", committee_index.to_string()),
            ],
        )?;
        let bytes = self.get(url, Accept::Json).await?.bytes().await?;
        VersionedResponse::from_json_slice_with(&bytes, attestation_from_value)
            .map_err(|e| Error::Decode(e.to_string()))
    }

    /// `GET /eth/v1/validator/aggregate_attestation?attestation_data_root=&slot=`, for nodes that
    /// predate v2 (Lodestar 1.5.1). Pre-Electra only: the answer is read as `fork`'s attestation.
    pub async fn get_validator_aggregate_attestation_v1<E: EthSpec>(
        &self,
        slot: Slot,
        attestation_data_root: Hash256,
        fork: ForkName,
    ) -> Result<VersionedResponse<Attestation<E>>, Error> {
        let url = self.url_with_query(
            "eth/v1/validator/aggregate_attestation",
            &[
                (
                    "attestation_data_root",
                    format!("{attestation_data_root:#x}"),
                ),
                ("slot", slot.to_string()),
            ],
        )?;
        let response: GenericResponse<serde_json::Value> = self.get_json(url).await?;
        let data = attestation_from_value(response.data, fork)
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(VersionedResponse {
            version: fork,
            execution_optimistic: None,
            finalized: None,
            data,
        })
    }

    /// `POST /eth/v1/validator/aggregate_and_proofs`: phase0-shaped aggregates without a version
    /// header, for nodes that predate v2 (Lodestar 1.5.1). Pre-Electra only.
    pub async fn post_validator_aggregate_and_proofs_v1<E: EthSpec>(
        &self,
        aggregates: &[SignedAggregateAndProof<E>],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/aggregate_and_proofs")?,
            aggregates,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v2/validator/aggregate_and_proofs`.
    pub async fn post_validator_aggregate_and_proofs<E: EthSpec>(
        &self,
        aggregates: &[SignedAggregateAndProof<E>],
        fork: ForkName,
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v2/validator/aggregate_and_proofs")?,
            aggregates,
            Some(fork),
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/validator/beacon_committee_subscriptions`.
    pub async fn post_validator_beacon_committee_subscriptions(
        &self,
        subscriptions: &[BeaconCommitteeSubscription],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/beacon_committee_subscriptions")?,
            subscriptions,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/validator/sync_committee_subscriptions`.
    pub async fn post_validator_sync_committee_subscriptions(
        &self,
        subscriptions: &[SyncCommitteeSubscription],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/sync_committee_subscriptions")?,
            subscriptions,
            None,
        )
        .await?;
        Ok(())
    }

    /// `GET /eth/v1/validator/sync_committee_contribution?slot=&subcommittee_index=&beacon_block_root=`.
    pub async fn get_validator_sync_committee_contribution<E: EthSpec>(
        &self,
        slot: Slot,
        subcommittee_index: u64,
        beacon_block_root: Hash256,
    ) -> Result<GenericResponse<SyncCommitteeContribution<E>>, Error> {
        let url = self.url_with_query(
            "eth/v1/validator/sync_committee_contribution",
            &[
                ("slot", slot.to_string()),
                ("subcommittee_index", subcommittee_index.to_string()),
                ("beacon_block_root", format!("{beacon_block_root:#x}")),
            ],
        )?;
        self.get_json(url).await
    }

    /// `POST /eth/v1/validator/contribution_and_proofs`.
    pub async fn post_validator_contribution_and_proofs<E: EthSpec>(
        &self,
        contributions: &[SignedContributionAndProof<E>],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/contribution_and_proofs")?,
            contributions,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/validator/prepare_beacon_proposer`.
    pub async fn post_validator_prepare_beacon_proposer(
        &self,
        preparations: &[ProposerPreparationData],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/prepare_beacon_proposer")?,
            preparations,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/validator/register_validator`.
    pub async fn post_validator_register_validator(
        &self,
        registrations: &[SignedValidatorRegistrationV1],
    ) -> Result<(), Error> {
        self.post_json(
            self.url("eth/v1/validator/register_validator")?,
            registrations,
            None,
        )
        .await?;
        Ok(())
    }

    /// `POST /eth/v1/validator/liveness/{epoch}`.
    pub async fn post_validator_liveness(
        &self,
        epoch: Epoch,
        indices: &[u64],
    ) -> Result<Vec<LivenessData>, Error> {
        let r: GenericResponse<Vec<LivenessData>> = self
            .post_json_for(
                self.url(&format!("eth/v1/validator/liveness/{epoch}"))?,
                &ValidatorIndices(indices.to_vec()),
            )
            .await?;
        Ok(r.data)
    }
}
