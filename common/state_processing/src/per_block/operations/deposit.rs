//! `process_deposit` and `apply_deposit` (Capella form; Electra's pending-deposit form).

use crate::caches::StateCaches;
use crate::common::{
    add_validator_to_registry, increase_balance, is_valid_deposit_signature,
    is_valid_merkle_branch, safe_add,
};
use crate::{ensure, Result};
use tree_hash::TreeHash;
use types::{
    BeaconState, ChainSpec, Deposit, EthSpec, Gwei, Hash256, PendingDeposit, PublicKeyBytes,
    SignatureBytes, GENESIS_SLOT,
};

/// `DEPOSIT_CONTRACT_TREE_DEPTH`.
const DEPOSIT_CONTRACT_TREE_DEPTH: u64 = 32;

/// `process_deposit`: the deposit data is the next leaf of the deposit tree under `eth1_data`; apply it.
pub fn process_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    deposit: &Deposit,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    ensure!(
        is_valid_merkle_branch(
            deposit.data.tree_hash_root(),
            &deposit.proof,
            DEPOSIT_CONTRACT_TREE_DEPTH + 1,
            state.eth1_deposit_index(),
            state.eth1_data().deposit_root,
        ),
        "deposit: invalid merkle proof"
    );
    *state.eth1_deposit_index_mut() = safe_add(state.eth1_deposit_index(), 1)?;
    apply_deposit(
        state,
        deposit.data.pubkey,
        deposit.data.withdrawal_credentials,
        deposit.data.amount,
        deposit.data.signature,
        caches,
        spec,
    )
}

/// `apply_deposit`: a new key with a valid proof of possession joins the registry. Before Electra the
/// amount is credited at once (to the new or existing validator); from Electra a pending deposit is
/// queued instead (the new validator starts with a zero balance).
pub fn apply_deposit<E: EthSpec>(
    state: &mut BeaconState<E>,
    pubkey: PublicKeyBytes,
    withdrawal_credentials: Hash256,
    amount: Gwei,
    signature: SignatureBytes,
    caches: &StateCaches,
    spec: &ChainSpec,
) -> Result<()> {
    let existing = caches.find_validator_index(state, &pubkey);
    if state.fork_name().electra_enabled() {
        if existing.is_none() {
            if !is_valid_deposit_signature(
                &pubkey,
                withdrawal_credentials,
                amount,
                &signature,
                spec,
            ) {
                return Ok(());
            }
            add_validator_to_registry(state, pubkey, withdrawal_credentials, 0)?;
        }
        state.pending_deposits_mut()?.push(PendingDeposit {
            pubkey,
            withdrawal_credentials,
            amount,
            signature,
            slot: GENESIS_SLOT,
        })?;
        return Ok(());
    }
    match existing {
        None => {
            if is_valid_deposit_signature(&pubkey, withdrawal_credentials, amount, &signature, spec)
            {
                add_validator_to_registry(state, pubkey, withdrawal_credentials, amount)?;
            }
            Ok(())
        }
        Some(index) => increase_balance(state, index, amount),
    }
}
