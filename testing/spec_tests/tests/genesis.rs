//! Genesis: `initialize_beacon_state_from_eth1` on signed deposits against the interop genesis, and the
//! genesis block header against the vectors' genesis states.
//!
//! The 1.7.0b4 vector set here has no `genesis` runner for Capella to Fulu (the 1.7 specs generate
//! genesis vectors only for phase0), so there is no `genesis/initialization` or `genesis/validity`
//! runner: one that found no case would pass without checking anything.

use crate::state_utils::{load_state, minimal_spec, State, FORKS};
use spec_tests::{name, subdirs, vectors_dir, Summary};
use state_processing::common::get_active_validator_indices;
use state_processing::genesis::{
    initialize_beacon_state_from_eth1, interop_genesis_state, is_valid_genesis_state,
    InteropCredentials,
};
use tree_hash::TreeHash;
use types::{
    compute_domain, compute_signing_root, Deposit, DepositData, DepositMessage, ForkName, Hash256,
    MinimalEthSpec, DOMAIN_DEPOSIT,
};

/// Signed deposits (with proofs against each prefix of the deposit tree) for the first `count` interop
/// validators with BLS credentials and `amount` each.
fn interop_deposits(count: u64, amount: u64, fork: ForkName) -> Vec<Deposit> {
    let spec = minimal_spec(fork);
    let domain = compute_domain(DOMAIN_DEPOSIT, spec.genesis_fork_version, Hash256::ZERO);
    let data: Vec<DepositData> = (0..count)
        .map(|i| {
            let sk = bls::interop_secret_key(i);
            let pubkey = sk.public_key().to_bytes();
            let withdrawal_credentials = InteropCredentials::Bls.for_pubkey(&pubkey);
            let message = DepositMessage {
                pubkey,
                withdrawal_credentials,
                amount,
            };
            let root = compute_signing_root(&message, domain);
            DepositData {
                pubkey,
                withdrawal_credentials,
                amount,
                signature: sk.sign(root.as_slice()).to_bytes(),
            }
        })
        .collect();
    let leaves: Vec<Hash256> = data.iter().map(|d| d.tree_hash_root()).collect();
    (0..data.len())
        .map(|i| Deposit {
            proof: ssz_types::FixedVector::new(deposit_proof(&leaves[..=i], i))
                .unwrap_or_else(|e| panic!("proof length: {e:?}")),
            data: data[i].clone(),
        })
        .collect()
}

/// The 33-node proof of leaf `index` in `List[DepositData, 2**32]` holding `leaves`: 32 siblings, then
/// the length mix-in.
fn deposit_proof(leaves: &[Hash256], index: usize) -> Vec<Hash256> {
    let hash = |a: &Hash256, b: &Hash256| {
        Hash256::from(state_processing::common::hash(&[
            a.as_slice(),
            b.as_slice(),
        ]))
    };
    let mut level: Vec<Hash256> = leaves.to_vec();
    let mut zero = Hash256::ZERO;
    let mut proof = Vec::with_capacity(33);
    let mut i = index;
    for _ in 0..32 {
        let sibling = level.get(i ^ 1).copied().unwrap_or(zero);
        proof.push(sibling);
        level = level
            .chunks(2)
            .map(|pair| hash(&pair[0], pair.get(1).unwrap_or(&zero)))
            .collect();
        zero = hash(&zero, &zero);
        i /= 2;
    }
    let mut length = [0u8; 32];
    length[..8].copy_from_slice(&(leaves.len() as u64).to_le_bytes());
    proof.push(Hash256::from(length));
    proof
}

#[test]
fn eth1_genesis_matches_interop_registry() {
    let count = 16;
    for fork in FORKS {
        let spec = minimal_spec(fork);
        let deposits = interop_deposits(count, 32_000_000_000, fork);
        let state: State = initialize_beacon_state_from_eth1(
            fork,
            Hash256::repeat_byte(0x42),
            spec.min_genesis_time,
            &deposits,
            None,
            &spec,
        )
        .unwrap_or_else(|e| panic!("{fork}: {e}"));
        assert_eq!(state.fork_name(), fork);
        assert_eq!(state.eth1_deposit_index(), count);
        assert_eq!(
            get_active_validator_indices(&state, 0).len() as u64,
            count,
            "{fork}"
        );
        // Too few validators for the minimal config's MIN_GENESIS_ACTIVE_VALIDATOR_COUNT (64).
        assert!(!is_valid_genesis_state(&state, &spec), "{fork}");
        if let Ok(pending) = state.pending_deposits() {
            assert!(pending.is_empty());
        }
        let interop =
            interop_genesis_state::<MinimalEthSpec>(count, state.genesis_time(), fork, None, &spec)
                .unwrap_or_else(|e| panic!("{fork}: {e}"));
        assert_eq!(
            state.validators().tree_hash_root(),
            interop.validators().tree_hash_root(),
            "{fork}: the registries differ"
        );
        assert_eq!(
            state.genesis_validators_root(),
            interop.genesis_validators_root()
        );
        assert_eq!(
            state.current_sync_committee(),
            interop.current_sync_committee()
        );
        if fork == ForkName::Fulu {
            assert_eq!(
                state.proposer_lookahead().map(|l| l.tree_hash_root()),
                interop.proposer_lookahead().map(|l| l.tree_hash_root())
            );
        }

        // A deposit with a bad proof is an error.
        let mut bad_proof = deposits.clone();
        bad_proof[3].proof[0] = Hash256::repeat_byte(1);
        assert!(initialize_beacon_state_from_eth1::<MinimalEthSpec>(
            fork,
            Hash256::ZERO,
            0,
            &bad_proof,
            None,
            &spec
        )
        .is_err());
    }
}

/// `hash_tree_root(BeaconBlockBody())`, which genesis puts in `latest_block_header`, against the vector
/// states still carrying their genesis header (pyspec's genesis sets the same body root).
#[test]
fn empty_block_body_root_matches_vector_genesis_headers() {
    let mut summary = Summary::new("genesis/empty_body_root");
    let root = vectors_dir().join("consensus-spec-tests/tests/minimal");
    for fork in FORKS {
        let expected = state_processing::genesis::empty_block_body_root::<MinimalEthSpec>(fork);
        for handler in ["sanity/slots", "sanity/blocks", "finality/finality"] {
            for case in subdirs(&root.join(fork.as_str()).join(handler).join("pyspec_tests")) {
                let Ok(Some(state)) = load_state(&case.join("pre.ssz_snappy"), fork) else {
                    continue;
                };
                let header = state.latest_block_header();
                if header.slot != 0 || header.parent_root != Hash256::ZERO {
                    continue;
                }
                let result = if header.body_root == expected {
                    Ok(())
                } else {
                    Err(format!(
                        "body root {:?}, expected {expected:?}",
                        header.body_root
                    ))
                };
                summary.record(format!("{fork}/{handler}/{}", name(&case)), result);
            }
        }
    }
    summary.finish();
}
