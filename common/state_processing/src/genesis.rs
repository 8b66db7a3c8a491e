//! Genesis: the spec's deposit-based `initialize_beacon_state_from_eth1` and `is_valid_genesis_state`
//! for Capella to Fulu, and an *interop* genesis (the deterministic validator set every client's
//! interop/devnet mode starts from).
//!
//! # Which genesis
//! The markdown of the 1.7 specs keeps `initialize_beacon_state_from_eth1` only in phase0; the later
//! forks' forms live in the pyspec test helpers and the consensus-spec-tests `genesis` runner. Here:
//! - Capella and Deneb: phase0's function plus the fork's `latest_execution_payload_header` and the sync
//!   committees (the Altair/Bellatrix additions); deposits are applied directly to balances.
//! - Electra and Fulu: Electra's form — `deposit_requests_start_index` unset, every deposit goes through
//!   `pending_deposits`, which genesis then drains into balances; effective balances are capped by
//!   `get_max_effective_balance` and activation needs `MIN_ACTIVATION_BALANCE`. Fulu additionally fills
//!   `proposer_lookahead` with `initialize_proposer_lookahead`.
//!
//! The genesis fork is `Fork(previous_version=current_version=<fork's version>, epoch=GENESIS_EPOCH)`,
//! as in the spec's genesis functions.

use crate::common::{
    get_active_validator_indices, get_max_effective_balance, get_next_sync_committee,
    increase_balance, is_valid_deposit_signature, is_valid_merkle_branch,
};
use crate::upgrade::{initialize_proposer_lookahead, UNSET_DEPOSIT_REQUESTS_START_INDEX};
use crate::{Result, StateError};
use milhouse::{List, Vector};
use sha2::{Digest, Sha256};
use ssz_types::{BitVector, FixedVector, VariableList};
use std::collections::HashMap;
use std::sync::Arc;
use tree_hash::TreeHash;
use types::ssz_types::typenum::{Unsigned, U4294967296};
use types::{
    BeaconBlockBodyCapella, BeaconBlockBodyDeneb, BeaconBlockBodyElectra, BeaconBlockBodyFulu,
    BeaconBlockHeader, BeaconState, BeaconStateCapella, BeaconStateDeneb, BeaconStateElectra,
    BeaconStateFulu, ChainSpec, Checkpoint, Deposit, DepositData, Eth1Data, EthSpec,
    ExecutionPayloadHeader, ExecutionRequests, Fork, ForkName, Gwei, Hash256, ParticipationList,
    PendingDeposit, PublicKeyBytes, SignatureBytes, SyncAggregate, SyncCommittee, Validator,
    FAR_FUTURE_EPOCH, GENESIS_EPOCH, GENESIS_SLOT,
};

/// `DEPOSIT_CONTRACT_TREE_DEPTH`.
pub const DEPOSIT_CONTRACT_TREE_DEPTH: u64 = 32;

/// The eth1 block hash interop genesis records (and seeds RANDAO with): `0x4242..42`, as Lighthouse's
/// and Prysm's interop modes use.
pub const INTEROP_ETH1_BLOCK_HASH: Hash256 = Hash256::repeat_byte(0x42);

/// `List[DepositData, 2**DEPOSIT_CONTRACT_TREE_DEPTH]`: the deposit contract's tree, as an SSZ list.
type DepositDataList = List<DepositData, U4294967296>;

/// The withdrawal credentials interop validators get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InteropCredentials {
    /// `0x00 ++ sha256(pubkey)[1:]` (BLS credentials, the default of Lighthouse's and Prysm's interop
    /// genesis): no withdrawals until a `BLSToExecutionChange`, so the interop chain's balances only
    /// move by rewards and penalties.
    #[default]
    Bls,
    /// `0x01 ++ 0x00*11 ++ sha256(pubkey)[12:]` (an execution address derived from the key): the
    /// validators are swept for partial withdrawals, which exercises withdrawals in devnets.
    Eth1,
}

impl InteropCredentials {
    /// The credentials of the validator with `pubkey`.
    pub fn for_pubkey(self, pubkey: &PublicKeyBytes) -> Hash256 {
        let mut bytes: [u8; 32] = Sha256::digest(pubkey.0).into();
        match self {
            Self::Bls => bytes[0] = 0x00,
            Self::Eth1 => {
                bytes[0] = 0x01;
                bytes[1..12].fill(0);
            }
        }
        Hash256::from(bytes)
    }
}

/// `hash_tree_root(BeaconBlockBody())` of `fork`: an all-default body (zero signatures, empty lists,
/// the empty payload).
pub fn empty_block_body_root<E: EthSpec>(fork: ForkName) -> Hash256 {
    macro_rules! body {
        ($Body:ident, { $($field:ident: $value:expr),* $(,)? }) => {
            $Body::<E> {
                randao_reveal: SignatureBytes::empty(),
                eth1_data: Eth1Data::default(),
                graffiti: Hash256::ZERO,
                proposer_slashings: VariableList::empty(),
                attester_slashings: VariableList::empty(),
                attestations: VariableList::empty(),
                deposits: VariableList::empty(),
                voluntary_exits: VariableList::empty(),
                sync_aggregate: SyncAggregate {
                    sync_committee_bits: BitVector::new(),
                    sync_committee_signature: SignatureBytes::empty(),
                },
                execution_payload: Default::default(),
                bls_to_execution_changes: VariableList::empty(),
                $($field: $value,)*
            }
            .tree_hash_root()
        };
    }
    match fork {
        ForkName::Capella => body!(BeaconBlockBodyCapella, {}),
        ForkName::Deneb => body!(BeaconBlockBodyDeneb, {
            blob_kzg_commitments: VariableList::empty(),
        }),
        ForkName::Electra => body!(BeaconBlockBodyElectra, {
            blob_kzg_commitments: VariableList::empty(),
            execution_requests: ExecutionRequests::default(),
        }),
        ForkName::Fulu => body!(BeaconBlockBodyFulu, {
            blob_kzg_commitments: VariableList::empty(),
            execution_requests: ExecutionRequests::default(),
        }),
    }
}

/// A `BeaconState()` of `fork` with the genesis fields every genesis sets: time, fork, eth1 data, the
/// latest block header of the empty body, RANDAO seeded with `eth1_block_hash`, the execution payload
/// header, and (Electra on) `deposit_requests_start_index` unset. No validators yet; the sync
/// committees and proposer lookahead are empty until [`finish_genesis`] computes them.
fn genesis_skeleton<E: EthSpec>(
    fork: ForkName,
    genesis_time: u64,
    eth1_data: Eth1Data,
    execution_payload_header: Option<ExecutionPayloadHeader<E>>,
    spec: &ChainSpec,
) -> Result<BeaconState<E>> {
    let header = execution_payload_header.unwrap_or_else(|| ExecutionPayloadHeader::empty(fork));
    if header.fork_name() != fork {
        return Err(StateError::Other(format!(
            "execution payload header of {} for a {fork} genesis",
            header.fork_name()
        )));
    }
    let version = spec.fork_version(fork);
    let fork_value = Fork {
        previous_version: version,
        current_version: version,
        epoch: GENESIS_EPOCH,
    };
    let empty_committee = Arc::new(SyncCommittee::<E> {
        pubkeys: FixedVector::from_elem(PublicKeyBytes::empty()),
        aggregate_pubkey: PublicKeyBytes::empty(),
    });
    let randao_mix = eth1_data.block_hash;

    macro_rules! state {
        ($State:ident, $header:expr, { $($field:ident: $value:expr),* $(,)? }) => {
            $State::<E> {
                genesis_time,
                genesis_validators_root: Hash256::ZERO,
                slot: GENESIS_SLOT,
                fork: fork_value,
                latest_block_header: BeaconBlockHeader {
                    body_root: empty_block_body_root::<E>(fork),
                    ..Default::default()
                },
                block_roots: Vector::from_elem(Hash256::ZERO)?,
                state_roots: Vector::from_elem(Hash256::ZERO)?,
                historical_roots: List::default(),
                eth1_data: eth1_data.clone(),
                eth1_data_votes: List::default(),
                eth1_deposit_index: 0,
                validators: List::default(),
                balances: List::default(),
                randao_mixes: Vector::from_elem(randao_mix)?,
                slashings: Vector::from_elem(0)?,
                previous_epoch_participation: ParticipationList::default(),
                current_epoch_participation: ParticipationList::default(),
                justification_bits: BitVector::new(),
                previous_justified_checkpoint: Checkpoint::default(),
                current_justified_checkpoint: Checkpoint::default(),
                finalized_checkpoint: Checkpoint::default(),
                inactivity_scores: List::default(),
                current_sync_committee: empty_committee.clone(),
                next_sync_committee: empty_committee.clone(),
                latest_execution_payload_header: $header,
                next_withdrawal_index: 0,
                next_withdrawal_validator_index: 0,
                historical_summaries: List::default(),
                $($field: $value,)*
            }
        };
    }
    macro_rules! electra_fields {
        ($State:ident, $header:expr, { $($field:ident: $value:expr),* $(,)? }) => {
            state!($State, $header, {
                deposit_requests_start_index: UNSET_DEPOSIT_REQUESTS_START_INDEX,
                deposit_balance_to_consume: 0,
                exit_balance_to_consume: 0,
                earliest_exit_epoch: 0,
                consolidation_balance_to_consume: 0,
                earliest_consolidation_epoch: 0,
                pending_deposits: List::default(),
                pending_partial_withdrawals: List::default(),
                pending_consolidations: List::default(),
                $($field: $value,)*
            })
        };
    }
    Ok(match header {
        ExecutionPayloadHeader::Capella(h) => {
            BeaconState::Capella(state!(BeaconStateCapella, h, {}))
        }
        ExecutionPayloadHeader::Deneb(h) => BeaconState::Deneb(state!(BeaconStateDeneb, h, {})),
        ExecutionPayloadHeader::Electra(h) => {
            BeaconState::Electra(electra_fields!(BeaconStateElectra, h, {}))
        }
        ExecutionPayloadHeader::Fulu(h) => BeaconState::Fulu(electra_fields!(BeaconStateFulu, h, {
            proposer_lookahead: Vector::from_elem(0)?,
        })),
    })
}

/// The end common to every genesis: `genesis_validators_root`, both sync committees (Altair) and, at
/// Fulu, the proposer lookahead.
fn finish_genesis<E: EthSpec>(state: &mut BeaconState<E>) -> Result<()> {
    state.apply_pending_mutations()?;
    let root = state.validators().tree_hash_root();
    *state.genesis_validators_root_mut() = root;
    let committee = Arc::new(get_next_sync_committee(state)?);
    *state.current_sync_committee_mut() = committee.clone();
    *state.next_sync_committee_mut() = committee;
    if state.fork_name() == ForkName::Fulu {
        let values = initialize_proposer_lookahead(state)?;
        *state.proposer_lookahead_mut()? = Vector::new(values)?;
    }
    state.apply_pending_mutations()?;
    Ok(())
}

/// `process_deposit` as genesis runs it: the Merkle proof against `state.eth1_data.deposit_root`, then
/// `apply_deposit` of the state's fork (a direct balance credit before Electra, a pending deposit from
/// Electra on). `index_of` maps the registry's public keys to their indices.
fn process_genesis_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &Deposit,
    index_of: &mut HashMap<PublicKeyBytes, usize>,
    spec: &ChainSpec,
) -> Result<()> {
    let leaf = deposit.data.tree_hash_root();
    if !is_valid_merkle_branch(
        leaf,
        &deposit.proof,
        DEPOSIT_CONTRACT_TREE_DEPTH + 1,
        state.eth1_deposit_index(),
        state.eth1_data().deposit_root,
    ) {
        return Err(StateError::InvalidBlock(format!(
            "genesis deposit {}: invalid Merkle proof",
            state.eth1_deposit_index()
        )));
    }
    *state.eth1_deposit_index_mut() += 1;

    let data = &deposit.data;
    let electra = state.fork_name().electra_enabled();
    match index_of.get(&data.pubkey) {
        None => {
            if !is_valid_deposit_signature(
                &data.pubkey,
                data.withdrawal_credentials,
                data.amount,
                &data.signature,
                spec,
            ) {
                return Ok(());
            }
            let index = state.validators().len();
            let amount = if electra { 0 } else { data.amount };
            crate::common::add_validator_to_registry(
                state,
                data.pubkey,
                data.withdrawal_credentials,
                amount,
            )?;
            index_of.insert(data.pubkey, index);
            if !electra {
                return Ok(());
            }
        }
        Some(&index) if !electra => {
            return increase_balance(state, index as u64, data.amount);
        }
        Some(_) => {}
    }
    state.pending_deposits_mut()?.push(PendingDeposit {
        pubkey: data.pubkey,
        withdrawal_credentials: data.withdrawal_credentials,
        amount: data.amount,
        signature: data.signature,
        slot: GENESIS_SLOT,
    })?;
    Ok(())
}

/// `initialize_beacon_state_from_eth1` at `fork` (Capella to Fulu; see the module docs for each fork's
/// form). `execution_payload_header` defaults to the fork's empty header. An invalid deposit proof is an
/// error; a deposit with an invalid signature is skipped, as the spec's `apply_deposit` does.
pub fn initialize_beacon_state_from_eth1<E: EthSpec>(
    fork: ForkName,
    eth1_block_hash: Hash256,
    eth1_timestamp: u64,
    deposits: &[Deposit],
    execution_payload_header: Option<ExecutionPayloadHeader<E>>,
    spec: &ChainSpec,
) -> Result<BeaconState<E>> {
    let genesis_time = eth1_timestamp
        .checked_add(spec.genesis_delay)
        .ok_or(StateError::Overflow)?;
    let eth1_data = Eth1Data {
        deposit_root: Hash256::ZERO,
        deposit_count: deposits.len() as u64,
        block_hash: eth1_block_hash,
    };
    let mut state = genesis_skeleton::<E>(
        fork,
        genesis_time,
        eth1_data,
        execution_payload_header,
        spec,
    )?;

    // Process deposits, each against the deposit root of the tree up to and including it.
    let mut leaves = DepositDataList::default();
    let mut index_of = HashMap::new();
    for deposit in deposits {
        leaves.push(deposit.data.clone())?;
        leaves.apply_updates()?;
        state.eth1_data_mut().deposit_root = leaves.tree_hash_root();
        process_genesis_deposit(&mut state, deposit, &mut index_of, spec)?;
    }

    // Electra: credit the pending deposits to balances, then drop them.
    if fork.electra_enabled() {
        let pending: Vec<PendingDeposit> = state.pending_deposits()?.iter().cloned().collect();
        for deposit in pending {
            let index = *index_of
                .get(&deposit.pubkey)
                .ok_or_else(|| StateError::Other("pending deposit of an unknown key".into()))?;
            increase_balance(&mut state, index as u64, deposit.amount)?;
        }
        *state.pending_deposits_mut()? = List::default();
    }

    // Process activations.
    state.apply_pending_mutations()?;
    let balances: Vec<Gwei> = state.balances().iter().copied().collect();
    let validators = state.validators_mut();
    for (index, balance) in balances.into_iter().enumerate() {
        let validator = validators
            .get_mut(index)
            .ok_or(StateError::UnknownValidator(index as u64))?;
        let (cap, threshold) = if fork.electra_enabled() {
            (
                get_max_effective_balance::<E>(validator),
                E::MIN_ACTIVATION_BALANCE,
            )
        } else {
            (E::MAX_EFFECTIVE_BALANCE, E::MAX_EFFECTIVE_BALANCE)
        };
        validator.effective_balance = (balance - balance % E::EFFECTIVE_BALANCE_INCREMENT).min(cap);
        if validator.effective_balance >= threshold {
            validator.activation_eligibility_epoch = GENESIS_EPOCH;
            validator.activation_epoch = GENESIS_EPOCH;
        }
    }

    finish_genesis(&mut state)?;
    Ok(state)
}

/// `is_valid_genesis_state`: late enough and enough active validators.
pub fn is_valid_genesis_state<E: EthSpec>(state: &BeaconState<E>, spec: &ChainSpec) -> bool {
    state.genesis_time() >= spec.min_genesis_time
        && get_active_validator_indices(state, GENESIS_EPOCH).len() as u64
            >= spec.min_genesis_active_validator_count
}

/// The interop genesis with BLS withdrawal credentials ([`InteropCredentials::Bls`]); see
/// [`interop_genesis_state_with_credentials`].
pub fn interop_genesis_state<E: EthSpec>(
    validator_count: u64,
    genesis_time: u64,
    fork: ForkName,
    execution_payload_header: Option<ExecutionPayloadHeader<E>>,
    spec: &ChainSpec,
) -> Result<BeaconState<E>> {
    interop_genesis_state_with_credentials(
        validator_count,
        genesis_time,
        fork,
        execution_payload_header,
        InteropCredentials::Bls,
        spec,
    )
}

/// An interop genesis at `fork`: validators `0..validator_count` with the interop keys
/// (`bls::interop_secret_key`), `credentials`, a balance and effective balance of 32 ETH
/// (`MAX_EFFECTIVE_BALANCE` = `MIN_ACTIVATION_BALANCE`), all active from genesis.
///
/// The registry is built directly (no deposit signatures or proofs are computed, so it is quick for
/// large counts); the result is what `initialize_beacon_state_from_eth1` gives for the same validators
/// except for the eth1 data: `block_hash` is [`INTEROP_ETH1_BLOCK_HASH`] (also the RANDAO seed),
/// `deposit_count` and `eth1_deposit_index` are `validator_count` (no deposits outstanding), and
/// `deposit_root` is the root of the unsigned deposit data list. The genesis time is taken as given
/// (no `GENESIS_DELAY` added). `execution_payload_header` defaults to the fork's empty header (block
/// hash zero).
pub fn interop_genesis_state_with_credentials<E: EthSpec>(
    validator_count: u64,
    genesis_time: u64,
    fork: ForkName,
    execution_payload_header: Option<ExecutionPayloadHeader<E>>,
    credentials: InteropCredentials,
    spec: &ChainSpec,
) -> Result<BeaconState<E>> {
    if validator_count as usize > E::ValidatorRegistryLimit::to_usize() {
        return Err(StateError::Other("too many interop validators".into()));
    }
    let balance = E::MIN_ACTIVATION_BALANCE;
    let mut leaves = DepositDataList::default();
    let mut validators = Vec::with_capacity(validator_count as usize);
    for index in 0..validator_count {
        let pubkey = bls::interop_secret_key(index).public_key().to_bytes();
        let withdrawal_credentials = credentials.for_pubkey(&pubkey);
        leaves.push(DepositData {
            pubkey,
            withdrawal_credentials,
            amount: balance,
            signature: SignatureBytes::empty(),
        })?;
        validators.push(Validator {
            pubkey,
            withdrawal_credentials,
            effective_balance: balance,
            slashed: false,
            activation_eligibility_epoch: GENESIS_EPOCH,
            activation_epoch: GENESIS_EPOCH,
            exit_epoch: FAR_FUTURE_EPOCH,
            withdrawable_epoch: FAR_FUTURE_EPOCH,
        });
    }
    leaves.apply_updates()?;
    let eth1_data = Eth1Data {
        deposit_root: leaves.tree_hash_root(),
        deposit_count: validator_count,
        block_hash: INTEROP_ETH1_BLOCK_HASH,
    };
    let mut state = genesis_skeleton::<E>(
        fork,
        genesis_time,
        eth1_data,
        execution_payload_header,
        spec,
    )?;
    let n = validators.len();
    *state.eth1_deposit_index_mut() = validator_count;
    *state.validators_mut() = List::new(validators)?;
    *state.balances_mut() = List::new(vec![balance; n])?;
    *state.previous_epoch_participation_mut() = ParticipationList::repeat_zero(n)?;
    *state.current_epoch_participation_mut() = ParticipationList::repeat_zero(n)?;
    *state.inactivity_scores_mut() = List::new(vec![0; n])?;
    finish_genesis(&mut state)?;
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process_slots;
    use types::MinimalEthSpec;

    const FORKS: [ForkName; 4] = [
        ForkName::Capella,
        ForkName::Deneb,
        ForkName::Electra,
        ForkName::Fulu,
    ];

    #[test]
    fn interop_genesis_at_each_fork_advances_and_is_deterministic() {
        for fork in FORKS {
            let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(fork);
            let build = || {
                interop_genesis_state::<MinimalEthSpec>(64, 1_600_000_000, fork, None, &spec)
                    .unwrap_or_else(|e| panic!("{fork}: {e}"))
            };
            let mut a = build();
            let mut b = build();
            assert_eq!(a.fork_name(), fork);
            let root_a = a.update_tree_hash_cache().unwrap();
            assert_eq!(root_a, b.update_tree_hash_cache().unwrap(), "{fork}");
            assert!(is_valid_genesis_state(&a, &spec), "{fork}");
            assert_eq!(get_active_validator_indices(&a, GENESIS_EPOCH).len(), 64);
            assert_ne!(a.genesis_validators_root(), Hash256::ZERO);
            assert_ne!(
                a.current_sync_committee().aggregate_pubkey,
                PublicKeyBytes::empty()
            );
            let target = 3 * MinimalEthSpec::slots_per_epoch() + 1;
            process_slots(&mut a, target, &spec).unwrap_or_else(|e| panic!("{fork}: {e}"));
            assert_eq!(a.slot(), target);
            process_slots(&mut b, target, &spec).unwrap();
            assert_eq!(
                a.update_tree_hash_cache().unwrap(),
                b.update_tree_hash_cache().unwrap()
            );
        }
    }

    #[test]
    fn wrong_fork_header_is_rejected() {
        let spec = ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Fulu);
        let header = ExecutionPayloadHeader::<MinimalEthSpec>::empty(ForkName::Deneb);
        assert!(
            interop_genesis_state::<MinimalEthSpec>(8, 0, ForkName::Fulu, Some(header), &spec)
                .is_err()
        );
    }

    #[test]
    fn credentials() {
        let pk = bls::interop_secret_key(0).public_key().to_bytes();
        let bls = InteropCredentials::Bls.for_pubkey(&pk);
        let eth1 = InteropCredentials::Eth1.for_pubkey(&pk);
        assert_eq!(bls.0[0], 0);
        assert_eq!(eth1.0[0], 1);
        assert!(eth1.0[1..12].iter().all(|&b| b == 0));
        assert_eq!(bls.0[12..], eth1.0[12..]);
    }
}
