//! Predicates on validators, attestation data, Merkle branches and withdrawal credentials.

use super::math::hash;
use types::{
    AttestationData, BeaconState, ChainSpec, DepositMessage, Epoch, EthSpec, ForkName, Gwei,
    Hash256, PublicKeyBytes, SignatureBytes, Validator, DOMAIN_DEPOSIT, FAR_FUTURE_EPOCH,
};

/// `BLS_WITHDRAWAL_PREFIX` (phase0).
pub const BLS_WITHDRAWAL_PREFIX: u8 = 0x00;
/// `ETH1_ADDRESS_WITHDRAWAL_PREFIX` (bellatrix).
pub const ETH1_ADDRESS_WITHDRAWAL_PREFIX: u8 = 0x01;
/// `COMPOUNDING_WITHDRAWAL_PREFIX` (electra).
pub const COMPOUNDING_WITHDRAWAL_PREFIX: u8 = 0x02;

/// `is_active_validator` (phase0).
pub fn is_active_validator(validator: &Validator, epoch: Epoch) -> bool {
    validator.activation_epoch <= epoch && epoch < validator.exit_epoch
}

/// `is_eligible_for_activation_queue`: phase0's `effective_balance == MAX_EFFECTIVE_BALANCE` before Electra,
/// Electra's `effective_balance >= MIN_ACTIVATION_BALANCE` from Electra on.
pub fn is_eligible_for_activation_queue<E: EthSpec>(validator: &Validator, fork: ForkName) -> bool {
    validator.activation_eligibility_epoch == FAR_FUTURE_EPOCH
        && if fork.electra_enabled() {
            validator.effective_balance >= E::MIN_ACTIVATION_BALANCE
        } else {
            validator.effective_balance == E::MAX_EFFECTIVE_BALANCE
        }
}

/// `is_eligible_for_activation` (phase0): queued at or before the finalized epoch and not yet activated.
pub fn is_eligible_for_activation<E: EthSpec>(
    state: &BeaconState<E>,
    validator: &Validator,
) -> bool {
    validator.activation_eligibility_epoch <= state.finalized_checkpoint().epoch
        && validator.activation_epoch == FAR_FUTURE_EPOCH
}

/// `is_slashable_validator` (phase0).
pub fn is_slashable_validator(validator: &Validator, epoch: Epoch) -> bool {
    !validator.slashed
        && validator.activation_epoch <= epoch
        && epoch < validator.withdrawable_epoch
}

/// `is_slashable_attestation_data` (phase0): a double vote or a surround vote.
pub fn is_slashable_attestation_data(data_1: &AttestationData, data_2: &AttestationData) -> bool {
    (data_1 != data_2 && data_1.target.epoch == data_2.target.epoch)
        || (data_1.source.epoch < data_2.source.epoch && data_2.target.epoch < data_1.target.epoch)
}

/// `compute_merkle_branch_root` (phase0, factored out in 1.6): the root reached from `leaf` at `index`.
pub fn compute_merkle_branch_root(
    leaf: Hash256,
    branch: &[Hash256],
    depth: u64,
    index: u64,
) -> Hash256 {
    let mut value = leaf;
    for (i, node) in branch.iter().enumerate().take(depth as usize) {
        let right = i < 64 && (index >> i) & 1 == 1;
        value = Hash256::from(if right {
            hash(&[node.as_slice(), value.as_slice()])
        } else {
            hash(&[value.as_slice(), node.as_slice()])
        });
    }
    value
}

/// `is_valid_merkle_branch` (phase0): `branch` has `depth` nodes and proves `leaf` at `index` under `root`.
pub fn is_valid_merkle_branch(
    leaf: Hash256,
    branch: &[Hash256],
    depth: u64,
    index: u64,
    root: Hash256,
) -> bool {
    branch.len() as u64 == depth && compute_merkle_branch_root(leaf, branch, depth, index) == root
}

/// `has_eth1_withdrawal_credential` (capella): a `0x01` credential.
pub fn has_eth1_withdrawal_credential(validator: &Validator) -> bool {
    validator.withdrawal_credentials[0] == ETH1_ADDRESS_WITHDRAWAL_PREFIX
}

/// `is_compounding_withdrawal_credential` (electra): a `0x02` credential.
pub fn is_compounding_withdrawal_credential(withdrawal_credentials: &Hash256) -> bool {
    withdrawal_credentials[0] == COMPOUNDING_WITHDRAWAL_PREFIX
}

/// `has_compounding_withdrawal_credential` (electra).
pub fn has_compounding_withdrawal_credential(validator: &Validator) -> bool {
    is_compounding_withdrawal_credential(&validator.withdrawal_credentials)
}

/// `has_execution_withdrawal_credential` (electra): a `0x01` or `0x02` credential.
pub fn has_execution_withdrawal_credential(validator: &Validator) -> bool {
    has_eth1_withdrawal_credential(validator) || has_compounding_withdrawal_credential(validator)
}

/// `get_max_effective_balance` (electra): 2048 ETH for compounding credentials, else 32 ETH.
pub fn get_max_effective_balance<E: EthSpec>(validator: &Validator) -> Gwei {
    if has_compounding_withdrawal_credential(validator) {
        E::MAX_EFFECTIVE_BALANCE_ELECTRA
    } else {
        E::MIN_ACTIVATION_BALANCE
    }
}

/// `is_fully_withdrawable_validator`: capella's `0x01`-only form before Electra, Electra's `0x01`/`0x02`
/// form from Electra on.
pub fn is_fully_withdrawable_validator(
    validator: &Validator,
    balance: Gwei,
    epoch: Epoch,
    fork: ForkName,
) -> bool {
    let credential = if fork.electra_enabled() {
        has_execution_withdrawal_credential(validator)
    } else {
        has_eth1_withdrawal_credential(validator)
    };
    credential && validator.withdrawable_epoch <= epoch && balance > 0
}

/// `is_partially_withdrawable_validator`: capella's form (32 ETH cap, `0x01`) before Electra, Electra's
/// (`get_max_effective_balance`, `0x01`/`0x02`) from Electra on.
pub fn is_partially_withdrawable_validator<E: EthSpec>(
    validator: &Validator,
    balance: Gwei,
    fork: ForkName,
) -> bool {
    let (credential, max_effective_balance) = if fork.electra_enabled() {
        (
            has_execution_withdrawal_credential(validator),
            get_max_effective_balance::<E>(validator),
        )
    } else {
        (
            has_eth1_withdrawal_credential(validator),
            E::MAX_EFFECTIVE_BALANCE,
        )
    };
    credential
        && validator.effective_balance == max_effective_balance
        && balance > max_effective_balance
}

/// `is_eligible_for_partial_withdrawals` (electra, 1.7): not exiting, at least 32 ETH effective and more
/// than 32 ETH balance.
pub fn is_eligible_for_partial_withdrawals<E: EthSpec>(
    validator: &Validator,
    balance: Gwei,
) -> bool {
    validator.exit_epoch == FAR_FUTURE_EPOCH
        && validator.effective_balance >= E::MIN_ACTIVATION_BALANCE
        && balance > E::MIN_ACTIVATION_BALANCE
}

/// `is_valid_deposit_signature` (electra): the deposit's proof of possession, signed under the
/// fork-agnostic deposit domain (genesis fork version, zero genesis validators root). An undecodable key
/// or signature is invalid.
pub fn is_valid_deposit_signature(
    pubkey: &PublicKeyBytes,
    withdrawal_credentials: Hash256,
    amount: Gwei,
    signature: &SignatureBytes,
    spec: &ChainSpec,
) -> bool {
    let Ok(public_key) = bls::PublicKey::from_bytes(&pubkey.0) else {
        return false;
    };
    let Ok(signature) = bls::Signature::from_bytes(&signature.0) else {
        return false;
    };
    let message = DepositMessage {
        pubkey: *pubkey,
        withdrawal_credentials,
        amount,
    };
    let domain = types::compute_domain(DOMAIN_DEPOSIT, spec.genesis_fork_version, Hash256::ZERO);
    let signing_root = types::compute_signing_root(&message, domain);
    signature.verify(&public_key, signing_root.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_branch_of_two_leaves() {
        let a = Hash256::from([1; 32]);
        let b = Hash256::from([2; 32]);
        let root = Hash256::from(hash(&[a.as_slice(), b.as_slice()]));
        assert!(is_valid_merkle_branch(a, &[b], 1, 0, root));
        assert!(is_valid_merkle_branch(b, &[a], 1, 1, root));
        assert!(!is_valid_merkle_branch(a, &[b], 1, 1, root));
        assert!(!is_valid_merkle_branch(a, &[b], 2, 0, root));
    }
}
