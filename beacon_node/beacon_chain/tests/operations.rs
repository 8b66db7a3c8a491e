//! Operations through the chain: a BLS-to-execution change and a proposer slashing, checked into the
//! pools, announced, packed into the next block, and applied by it; a bad one refused with a reason.

use crate::harness::*;
use beacon_chain::{BlockFormat, PoolOperation, Published};
use types::{
    compute_domain, compute_signing_root, Address, BeaconBlockHeader, BlsToExecutionChange,
    Hash256, ProposerSlashing, SignedBeaconBlockHeader, SignedBlsToExecutionChange,
    DOMAIN_BEACON_PROPOSER, DOMAIN_BLS_TO_EXECUTION_CHANGE,
};

fn bls_change(env: &Env, validator: u64, address: Address) -> SignedBlsToExecutionChange {
    let key = bls::interop_secret_key(validator);
    let message = BlsToExecutionChange {
        validator_index: validator,
        from_bls_pubkey: key.public_key().to_bytes(),
        to_execution_address: address,
    };
    let domain = compute_domain(
        DOMAIN_BLS_TO_EXECUTION_CHANGE,
        env.spec.genesis_fork_version,
        env.chain().genesis_validators_root(),
    );
    SignedBlsToExecutionChange {
        signature: key
            .sign(compute_signing_root(&message, domain).as_slice())
            .to_bytes(),
        message,
    }
}

fn proposer_slashing(env: &Env, validator: u64, slot: u64) -> ProposerSlashing {
    let key = bls::interop_secret_key(validator);
    let head = env.chain().head();
    let domain = state_processing::common::get_domain(&head.state, DOMAIN_BEACON_PROPOSER, Some(0));
    let header = |byte: u8| {
        let message = BeaconBlockHeader {
            slot,
            proposer_index: validator,
            parent_root: Hash256::repeat_byte(byte),
            state_root: Hash256::repeat_byte(byte),
            body_root: Hash256::repeat_byte(byte),
        };
        SignedBeaconBlockHeader {
            signature: key
                .sign(compute_signing_root(&message, domain).as_slice())
                .to_bytes(),
            message,
        }
    };
    ProposerSlashing {
        signed_header_1: header(1),
        signed_header_2: header(2),
    }
}

#[tokio::test]
async fn operations_are_checked_pooled_announced_and_included() {
    let env = Env::start("operations", Options::default()).await;
    let (_, published) = env.propose(1, BlockFormat::Either).await;
    assert!(matches!(published, Ok(Published::Imported(_))));
    let mut events = env.chain().events().subscribe();

    let address = Address::repeat_byte(0xab);
    let mut bad = bls_change(&env, 7, address);
    bad.message.to_execution_address = Address::repeat_byte(0xcd);
    let failures = env
        .chain()
        .insert_operations(vec![
            PoolOperation::BlsToExecutionChange(bls_change(&env, 5, address)),
            PoolOperation::BlsToExecutionChange(bad),
            PoolOperation::ProposerSlashing(proposer_slashing(&env, 9, 1)),
        ])
        .await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].0, 1, "the tampered change is refused");
    let mut topics = Vec::new();
    while let Ok(event) = events.try_recv() {
        topics.push(event.topic());
    }
    assert_eq!(topics, ["bls_to_execution_change", "proposer_slashing"]);
    assert_eq!(env.chain().op_pool().bls_to_execution_changes().len(), 1);

    // The next block carries both, and its state applies them.
    let (_, published) = env.propose(2, BlockFormat::Either).await;
    assert!(
        matches!(published, Ok(Published::Imported(_))),
        "{published:?}"
    );
    let head = env.chain().head();
    let validators = head.state.validators();
    let credentials = validators
        .get(5)
        .expect("validator 5")
        .withdrawal_credentials;
    assert_eq!(credentials.as_slice()[0], 0x01, "the change is applied");
    assert_eq!(&credentials.as_slice()[12..], address.as_slice());
    assert!(
        validators.get(9).expect("validator 9").slashed,
        "the slashing is applied"
    );
    // Included operations leave the pool.
    assert!(env.chain().op_pool().bls_to_execution_changes().is_empty());
    assert!(env.chain().op_pool().proposer_slashings().is_empty());
}
