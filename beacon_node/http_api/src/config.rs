//! `/eth/v1/config/*`: the network's configuration and preset as the spec names them, the fork
//! schedule, and the deposit contract.

use crate::errors::respond;
use crate::filters::{json_response, with_ctx};
use crate::Context;
use beacon_api::{DepositContractData, GenericResponse};
use serde_json::Value;
use ssz_types::typenum::Unsigned;
use std::collections::BTreeMap;
use std::sync::Arc;
use types::*;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::Filter;

pub fn routes<E: EthSpec>(ctx: Arc<Context<E>>) -> BoxedFilter<(Response,)> {
    let base = warp::path!("eth" / "v1" / "config" / ..).and(warp::get());
    let spec = base
        .and(warp::path!("spec"))
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| {
            respond(json_response(&GenericResponse::from(
                config_and_preset::<E>(ctx.chain.spec()),
            )))
        });
    let schedule = base
        .and(warp::path!("fork_schedule"))
        .and(with_ctx(ctx.clone()))
        .map(|ctx: Arc<Context<E>>| {
            respond(json_response(&GenericResponse::from(fork_schedule(
                ctx.chain.spec(),
            ))))
        });
    let deposit = base
        .and(warp::path!("deposit_contract"))
        .and(with_ctx(ctx))
        .map(|ctx: Arc<Context<E>>| {
            let spec = ctx.chain.spec();
            respond(json_response(&GenericResponse::from(DepositContractData {
                chain_id: spec.deposit_chain_id,
                address: spec.deposit_contract_address,
            })))
        });
    spec.or(schedule).unify().or(deposit).unify().boxed()
}

/// Every fork from phase0 on, each with the version before it.
pub fn fork_schedule(spec: &ChainSpec) -> Vec<Fork> {
    let versions = [
        (spec.genesis_fork_version, GENESIS_EPOCH),
        (spec.altair_fork_version, spec.altair_fork_epoch),
        (spec.bellatrix_fork_version, spec.bellatrix_fork_epoch),
        (spec.capella_fork_version, spec.capella_fork_epoch),
        (spec.deneb_fork_version, spec.deneb_fork_epoch),
        (spec.electra_fork_version, spec.electra_fork_epoch),
        (spec.fulu_fork_version, spec.fulu_fork_epoch),
    ];
    let mut previous = spec.genesis_fork_version;
    versions
        .iter()
        .map(|(version, epoch)| {
            let fork = Fork {
                previous_version: previous,
                current_version: *version,
                epoch: *epoch,
            };
            previous = *version;
            fork
        })
        .collect()
}

fn hex4(bytes: [u8; 4]) -> Value {
    Value::String(format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// `GET /eth/v1/config/spec`: the config values and the preset, every number a decimal string.
pub fn config_and_preset<E: EthSpec>(spec: &ChainSpec) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    let mut num = |key: &str, value: u64| {
        map.insert(key.to_string(), Value::String(value.to_string()));
    };
    // Config.
    num(
        "MIN_GENESIS_ACTIVE_VALIDATOR_COUNT",
        spec.min_genesis_active_validator_count,
    );
    num("MIN_GENESIS_TIME", spec.min_genesis_time);
    num("GENESIS_DELAY", spec.genesis_delay);
    num("ALTAIR_FORK_EPOCH", spec.altair_fork_epoch);
    num("BELLATRIX_FORK_EPOCH", spec.bellatrix_fork_epoch);
    num("CAPELLA_FORK_EPOCH", spec.capella_fork_epoch);
    num("DENEB_FORK_EPOCH", spec.deneb_fork_epoch);
    num("ELECTRA_FORK_EPOCH", spec.electra_fork_epoch);
    num("FULU_FORK_EPOCH", spec.fulu_fork_epoch);
    num("SECONDS_PER_SLOT", spec.slot_duration_ms / 1000);
    num("SLOT_DURATION_MS", spec.slot_duration_ms);
    num("SECONDS_PER_ETH1_BLOCK", spec.seconds_per_eth1_block);
    num(
        "MIN_VALIDATOR_WITHDRAWABILITY_DELAY",
        spec.min_validator_withdrawability_delay,
    );
    num("SHARD_COMMITTEE_PERIOD", spec.shard_committee_period);
    num("ETH1_FOLLOW_DISTANCE", spec.eth1_follow_distance);
    num("INACTIVITY_SCORE_BIAS", spec.inactivity_score_bias);
    num(
        "INACTIVITY_SCORE_RECOVERY_RATE",
        spec.inactivity_score_recovery_rate,
    );
    num("EJECTION_BALANCE", spec.ejection_balance);
    num("MIN_PER_EPOCH_CHURN_LIMIT", spec.min_per_epoch_churn_limit);
    num("CHURN_LIMIT_QUOTIENT", spec.churn_limit_quotient);
    num(
        "MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT",
        spec.max_per_epoch_activation_churn_limit,
    );
    num(
        "MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA",
        spec.min_per_epoch_churn_limit_electra,
    );
    num(
        "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT",
        spec.max_per_epoch_activation_exit_churn_limit,
    );
    num("PROPOSER_SCORE_BOOST", spec.proposer_score_boost);
    num("DEPOSIT_CHAIN_ID", spec.deposit_chain_id);
    num("DEPOSIT_NETWORK_ID", spec.deposit_network_id);
    num("MAX_BLOBS_PER_BLOCK", spec.max_blobs_per_block);
    num(
        "MAX_BLOBS_PER_BLOCK_ELECTRA",
        spec.max_blobs_per_block_electra,
    );
    // Preset.
    num("MAX_COMMITTEES_PER_SLOT", E::MaxCommitteesPerSlot::to_u64());
    num("TARGET_COMMITTEE_SIZE", E::TARGET_COMMITTEE_SIZE);
    num(
        "MAX_VALIDATORS_PER_COMMITTEE",
        E::MaxValidatorsPerCommittee::to_u64(),
    );
    num("SHUFFLE_ROUND_COUNT", u64::from(E::SHUFFLE_ROUND_COUNT));
    num("HYSTERESIS_QUOTIENT", E::HYSTERESIS_QUOTIENT);
    num(
        "HYSTERESIS_DOWNWARD_MULTIPLIER",
        E::HYSTERESIS_DOWNWARD_MULTIPLIER,
    );
    num(
        "HYSTERESIS_UPWARD_MULTIPLIER",
        E::HYSTERESIS_UPWARD_MULTIPLIER,
    );
    num("MIN_DEPOSIT_AMOUNT", E::MIN_DEPOSIT_AMOUNT);
    num("MAX_EFFECTIVE_BALANCE", E::MAX_EFFECTIVE_BALANCE);
    num(
        "EFFECTIVE_BALANCE_INCREMENT",
        E::EFFECTIVE_BALANCE_INCREMENT,
    );
    num(
        "MIN_ATTESTATION_INCLUSION_DELAY",
        E::MIN_ATTESTATION_INCLUSION_DELAY,
    );
    num("SLOTS_PER_EPOCH", E::slots_per_epoch());
    num("MIN_SEED_LOOKAHEAD", E::MIN_SEED_LOOKAHEAD);
    num("MAX_SEED_LOOKAHEAD", E::MAX_SEED_LOOKAHEAD);
    num(
        "EPOCHS_PER_ETH1_VOTING_PERIOD",
        E::SlotsPerEth1VotingPeriod::to_u64() / E::slots_per_epoch(),
    );
    num(
        "SLOTS_PER_HISTORICAL_ROOT",
        E::SlotsPerHistoricalRoot::to_u64(),
    );
    num(
        "MIN_EPOCHS_TO_INACTIVITY_PENALTY",
        E::MIN_EPOCHS_TO_INACTIVITY_PENALTY,
    );
    num(
        "EPOCHS_PER_HISTORICAL_VECTOR",
        E::EpochsPerHistoricalVector::to_u64(),
    );
    num(
        "EPOCHS_PER_SLASHINGS_VECTOR",
        E::EpochsPerSlashingsVector::to_u64(),
    );
    num("HISTORICAL_ROOTS_LIMIT", E::HistoricalRootsLimit::to_u64());
    num(
        "VALIDATOR_REGISTRY_LIMIT",
        E::ValidatorRegistryLimit::to_u64(),
    );
    num("BASE_REWARD_FACTOR", E::BASE_REWARD_FACTOR);
    num(
        "WHISTLEBLOWER_REWARD_QUOTIENT",
        E::WHISTLEBLOWER_REWARD_QUOTIENT,
    );
    num("PROPOSER_REWARD_QUOTIENT", E::PROPOSER_REWARD_QUOTIENT);
    num("MAX_PROPOSER_SLASHINGS", E::MaxProposerSlashings::to_u64());
    num("MAX_ATTESTER_SLASHINGS", E::MaxAttesterSlashings::to_u64());
    num("MAX_ATTESTATIONS", E::MaxAttestations::to_u64());
    num("MAX_DEPOSITS", E::MaxDeposits::to_u64());
    num("MAX_VOLUNTARY_EXITS", E::MaxVoluntaryExits::to_u64());
    num("SYNC_COMMITTEE_SIZE", E::sync_committee_size() as u64);
    num(
        "EPOCHS_PER_SYNC_COMMITTEE_PERIOD",
        E::EPOCHS_PER_SYNC_COMMITTEE_PERIOD,
    );
    num(
        "MIN_SYNC_COMMITTEE_PARTICIPANTS",
        E::MIN_SYNC_COMMITTEE_PARTICIPANTS,
    );
    num(
        "INACTIVITY_PENALTY_QUOTIENT_BELLATRIX",
        E::INACTIVITY_PENALTY_QUOTIENT_BELLATRIX,
    );
    num(
        "MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX",
        E::MIN_SLASHING_PENALTY_QUOTIENT_BELLATRIX,
    );
    num(
        "PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX",
        E::PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX,
    );
    num(
        "MAX_BYTES_PER_TRANSACTION",
        E::MaxBytesPerTransaction::to_u64(),
    );
    num(
        "MAX_TRANSACTIONS_PER_PAYLOAD",
        E::MaxTransactionsPerPayload::to_u64(),
    );
    num("BYTES_PER_LOGS_BLOOM", E::BytesPerLogsBloom::to_u64());
    num("MAX_EXTRA_DATA_BYTES", E::MaxExtraDataBytes::to_u64());
    num(
        "MAX_BLS_TO_EXECUTION_CHANGES",
        E::MaxBlsToExecutionChanges::to_u64(),
    );
    num(
        "MAX_WITHDRAWALS_PER_PAYLOAD",
        E::MaxWithdrawalsPerPayload::to_u64(),
    );
    num(
        "MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP",
        E::MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP,
    );
    num(
        "MAX_BLOB_COMMITMENTS_PER_BLOCK",
        E::MaxBlobCommitmentsPerBlock::to_u64(),
    );
    num("FIELD_ELEMENTS_PER_BLOB", E::BytesPerBlob::to_u64() / 32);
    num("MIN_ACTIVATION_BALANCE", E::MIN_ACTIVATION_BALANCE);
    num(
        "MAX_EFFECTIVE_BALANCE_ELECTRA",
        E::MAX_EFFECTIVE_BALANCE_ELECTRA,
    );
    num(
        "MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA",
        E::MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA,
    );
    num(
        "WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA",
        E::WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA,
    );
    num("PENDING_DEPOSITS_LIMIT", E::PendingDepositsLimit::to_u64());
    num(
        "PENDING_PARTIAL_WITHDRAWALS_LIMIT",
        E::PendingPartialWithdrawalsLimit::to_u64(),
    );
    num(
        "PENDING_CONSOLIDATIONS_LIMIT",
        E::PendingConsolidationsLimit::to_u64(),
    );
    num(
        "MAX_ATTESTER_SLASHINGS_ELECTRA",
        E::MaxAttesterSlashingsElectra::to_u64(),
    );
    num(
        "MAX_ATTESTATIONS_ELECTRA",
        E::MaxAttestationsElectra::to_u64(),
    );
    num(
        "MAX_DEPOSIT_REQUESTS_PER_PAYLOAD",
        E::MaxDepositRequestsPerPayload::to_u64(),
    );
    num(
        "MAX_WITHDRAWAL_REQUESTS_PER_PAYLOAD",
        E::MaxWithdrawalRequestsPerPayload::to_u64(),
    );
    num(
        "MAX_CONSOLIDATION_REQUESTS_PER_PAYLOAD",
        E::MaxConsolidationRequestsPerPayload::to_u64(),
    );
    num(
        "MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP",
        E::MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP,
    );
    num(
        "MAX_PENDING_DEPOSITS_PER_EPOCH",
        E::MAX_PENDING_DEPOSITS_PER_EPOCH,
    );
    // Constants the validator client needs.
    num("TARGET_AGGREGATORS_PER_COMMITTEE", 16);
    num(
        "TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE",
        operation_pool::TARGET_AGGREGATORS_PER_SYNC_SUBCOMMITTEE,
    );
    num(
        "SYNC_COMMITTEE_SUBNET_COUNT",
        operation_pool::SYNC_COMMITTEE_SUBNET_COUNT,
    );
    let text = |map: &mut BTreeMap<String, Value>, key: &str, value: Value| {
        map.insert(key.to_string(), value);
    };
    text(
        &mut map,
        "CONFIG_NAME",
        Value::String(spec.config_name.clone()),
    );
    text(
        &mut map,
        "PRESET_BASE",
        Value::String(spec.preset_base.clone()),
    );
    for (key, version) in [
        ("GENESIS_FORK_VERSION", spec.genesis_fork_version),
        ("ALTAIR_FORK_VERSION", spec.altair_fork_version),
        ("BELLATRIX_FORK_VERSION", spec.bellatrix_fork_version),
        ("CAPELLA_FORK_VERSION", spec.capella_fork_version),
        ("DENEB_FORK_VERSION", spec.deneb_fork_version),
        ("ELECTRA_FORK_VERSION", spec.electra_fork_version),
        ("FULU_FORK_VERSION", spec.fulu_fork_version),
    ] {
        text(&mut map, key, hex4(version));
    }
    for (key, domain) in [
        ("DOMAIN_BEACON_PROPOSER", DOMAIN_BEACON_PROPOSER),
        ("DOMAIN_BEACON_ATTESTER", DOMAIN_BEACON_ATTESTER),
        ("DOMAIN_RANDAO", DOMAIN_RANDAO),
        ("DOMAIN_DEPOSIT", DOMAIN_DEPOSIT),
        ("DOMAIN_VOLUNTARY_EXIT", DOMAIN_VOLUNTARY_EXIT),
        ("DOMAIN_SELECTION_PROOF", DOMAIN_SELECTION_PROOF),
        ("DOMAIN_AGGREGATE_AND_PROOF", DOMAIN_AGGREGATE_AND_PROOF),
        ("DOMAIN_SYNC_COMMITTEE", DOMAIN_SYNC_COMMITTEE),
        (
            "DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF",
            DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF,
        ),
        (
            "DOMAIN_CONTRIBUTION_AND_PROOF",
            DOMAIN_CONTRIBUTION_AND_PROOF,
        ),
        (
            "DOMAIN_BLS_TO_EXECUTION_CHANGE",
            DOMAIN_BLS_TO_EXECUTION_CHANGE,
        ),
        ("DOMAIN_APPLICATION_MASK", DOMAIN_APPLICATION_MASK),
    ] {
        text(&mut map, key, hex4(domain));
    }
    text(
        &mut map,
        "DEPOSIT_CONTRACT_ADDRESS",
        Value::String(format!("{:#x}", spec.deposit_contract_address)),
    );
    let schedule: Vec<Value> = spec
        .blob_schedule
        .iter()
        .map(|entry| {
            serde_json::json!({
                "EPOCH": entry.epoch.to_string(),
                "MAX_BLOBS_PER_BLOCK": entry.max_blobs_per_block.to_string(),
            })
        })
        .collect();
    text(&mut map, "BLOB_SCHEDULE", Value::Array(schedule));
    map
}
