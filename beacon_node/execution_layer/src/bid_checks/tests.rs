//! Unit tests of the bid checks (one per check), and the bids other modules' tests build on.

use super::*;
use types::{
    BuilderBid, BuilderBidCapella, BuilderBidElectra, DepositRequest,
    ExecutionPayloadHeaderElectra, KzgCommitment, MainnetEthSpec, SignedBuilderBidCapella,
    SignedBuilderBidElectra,
};

type E = MainnetEthSpec;

pub(crate) fn builder_key() -> bls::SecretKey {
    bls::interop_secret_key(7)
}

pub(crate) fn context() -> BidContext {
    BidContext {
        fork: ForkName::Electra,
        parent_hash: Hash256::repeat_byte(0x11),
        prev_randao: Hash256::repeat_byte(0x22),
        timestamp: 1_700_000_012,
        parent_block_number: 100,
        fee_recipient: Address::repeat_byte(0xfe),
        require_fee_recipient: false,
        gas_limit_target: 36_000_000,
        parent_gas_limit: 30_000_000,
        withdrawals_root: withdrawals_root::<E>(&[Withdrawal {
            index: 1,
            validator_index: 2,
            address: Address::repeat_byte(3),
            amount: 4,
        }])
        .expect("one withdrawal fits"),
        max_blobs_per_block: 9,
        pinned_pubkey: None,
    }
}

/// A bid message that passes every check against [`context`].
pub(crate) fn good_message(ctx: &BidContext, key: &bls::SecretKey) -> BuilderBidElectra<E> {
    BuilderBidElectra {
        header: ExecutionPayloadHeaderElectra {
            parent_hash: ctx.parent_hash,
            fee_recipient: ctx.fee_recipient,
            prev_randao: ctx.prev_randao,
            block_number: ctx.parent_block_number + 1,
            gas_limit: expected_gas_limit(ctx.parent_gas_limit, ctx.gas_limit_target),
            timestamp: ctx.timestamp,
            block_hash: Hash256::repeat_byte(0x33),
            withdrawals_root: ctx.withdrawals_root,
            ..Default::default()
        },
        blob_kzg_commitments: Default::default(),
        execution_requests: Default::default(),
        value: U256::from(1_000_000_000u64),
        pubkey: key.public_key().to_bytes(),
    }
}

pub(crate) fn sign(message: BuilderBidElectra<E>, key: &bls::SecretKey) -> SignedBuilderBid<E> {
    let spec = ChainSpec::mainnet();
    let root = compute_signing_root(
        &BuilderBid::<E>::Electra(message.clone()),
        spec.builder_domain(),
    );
    SignedBuilderBid::Electra(SignedBuilderBidElectra {
        message,
        signature: key.sign(root.as_slice()).to_bytes(),
    })
}

fn check_mutated(
    mutate: impl FnOnce(&mut BuilderBidElectra<E>),
) -> Result<VerifiedBid<E>, BidRejection> {
    let ctx = context();
    let key = builder_key();
    let mut message = good_message(&ctx, &key);
    mutate(&mut message);
    verify_bid(&sign(message, &key), &ctx, &ChainSpec::mainnet())
}

fn rejected(mutate: impl FnOnce(&mut BuilderBidElectra<E>)) -> BidRejection {
    match check_mutated(mutate) {
        Ok(_) => panic!("bid unexpectedly accepted"),
        Err(rejection) => rejection,
    }
}

#[test]
fn happy_path() {
    let verified = check_mutated(|_| {}).expect("good bid");
    assert_eq!(verified.value(), U256::from(1_000_000_000u64));
    assert_eq!(verified.block_hash(), Hash256::repeat_byte(0x33));
    assert_eq!(verified.pubkey(), builder_key().public_key().to_bytes());
}

#[test]
fn happy_path_with_pinned_key_blobs_and_requests() {
    let mut ctx = context();
    let key = builder_key();
    ctx.pinned_pubkey = Some(key.public_key().to_bytes());
    let mut message = good_message(&ctx, &key);
    message.blob_kzg_commitments =
        types::ssz_types::VariableList::new(vec![KzgCommitment::default(); 9]).unwrap();
    message.execution_requests.deposits = types::ssz_types::VariableList::new(vec![
        DepositRequest {
            amount: 32_000_000_000,
            index: 5,
            ..Default::default()
        },
        DepositRequest {
            amount: 1_000_000_000,
            index: 6,
            ..Default::default()
        },
    ])
    .unwrap();
    assert!(verify_bid(&sign(message, &key), &ctx, &ChainSpec::mainnet()).is_ok());
}

#[test]
fn wrong_fork() {
    let ctx = context();
    let bid = SignedBuilderBid::<E>::Capella(SignedBuilderBidCapella {
        message: BuilderBidCapella {
            header: Default::default(),
            value: U256::from(1u64),
            pubkey: builder_key().public_key().to_bytes(),
        },
        signature: Default::default(),
    });
    let rejection = verify_bid(&bid, &ctx, &ChainSpec::mainnet()).unwrap_err();
    assert_eq!(
        rejection,
        BidRejection::WrongFork {
            expected: ForkName::Electra,
            got: "capella".into()
        }
    );
    assert_eq!(rejection.reason(), "wrong_fork");
}

#[test]
fn invalid_signature() {
    let ctx = context();
    let key = builder_key();
    let message = good_message(&ctx, &key);
    let mut other = message.clone();
    other.value = U256::from(2u64);
    // A signature over another message.
    let SignedBuilderBid::Electra(signed_other) = sign(other, &key) else {
        unreachable!()
    };
    let bid = SignedBuilderBid::Electra(SignedBuilderBidElectra {
        message,
        signature: signed_other.signature,
    });
    let rejection = verify_bid(&bid, &ctx, &ChainSpec::mainnet()).unwrap_err();
    assert_eq!(rejection, BidRejection::InvalidSignature);
    assert_eq!(rejection.reason(), "invalid_signature");
}

#[test]
fn signature_under_another_domain_is_invalid() {
    let ctx = context();
    let key = builder_key();
    let message = good_message(&ctx, &key);
    let root = compute_signing_root(
        &BuilderBid::<E>::Electra(message.clone()),
        ChainSpec::minimal().builder_domain(),
    );
    let bid = SignedBuilderBid::Electra(SignedBuilderBidElectra {
        message,
        signature: key.sign(root.as_slice()).to_bytes(),
    });
    assert_eq!(
        verify_bid(&bid, &ctx, &ChainSpec::mainnet()).unwrap_err(),
        BidRejection::InvalidSignature
    );
}

#[test]
fn garbage_signature_and_pubkey_bytes_are_invalid_not_panics() {
    let rejection = rejected(|m| m.pubkey = PublicKeyBytes([0xff; 48]));
    assert_eq!(rejection, BidRejection::InvalidSignature);
    let ctx = context();
    let key = builder_key();
    let bid = SignedBuilderBid::Electra(SignedBuilderBidElectra {
        message: good_message(&ctx, &key),
        signature: types::SignatureBytes([0x13; 96]),
    });
    assert_eq!(
        verify_bid(&bid, &ctx, &ChainSpec::mainnet()).unwrap_err(),
        BidRejection::InvalidSignature
    );
}

#[test]
fn unexpected_builder_pubkey() {
    let mut ctx = context();
    let pinned = bls::interop_secret_key(8).public_key().to_bytes();
    ctx.pinned_pubkey = Some(pinned);
    let key = builder_key();
    let bid = sign(good_message(&ctx, &key), &key);
    let rejection = verify_bid(&bid, &ctx, &ChainSpec::mainnet()).unwrap_err();
    assert_eq!(
        rejection,
        BidRejection::UnexpectedBuilderPubkey {
            expected: pinned,
            got: key.public_key().to_bytes()
        }
    );
    assert_eq!(rejection.reason(), "unexpected_builder_pubkey");
}

#[test]
fn wrong_parent_hash() {
    let r = rejected(|m| m.header.parent_hash = Hash256::repeat_byte(0x99));
    assert!(matches!(r, BidRejection::WrongParentHash { .. }));
    assert_eq!(r.reason(), "wrong_parent_hash");
}

#[test]
fn wrong_prev_randao() {
    let r = rejected(|m| m.header.prev_randao = Hash256::ZERO);
    assert!(matches!(r, BidRejection::WrongPrevRandao { .. }));
    assert_eq!(r.reason(), "wrong_prev_randao");
}

#[test]
fn wrong_timestamp() {
    let r = rejected(|m| m.header.timestamp += 12);
    assert_eq!(
        r,
        BidRejection::WrongTimestamp {
            expected: 1_700_000_012,
            got: 1_700_000_024
        }
    );
    assert_eq!(r.reason(), "wrong_timestamp");
}

#[test]
fn wrong_block_number() {
    let r = rejected(|m| m.header.block_number = 100);
    assert_eq!(
        r,
        BidRejection::WrongBlockNumber {
            expected: 101,
            got: 100
        }
    );
    assert_eq!(r.reason(), "wrong_block_number");
}

#[test]
fn fee_recipient_mismatch_is_recorded_by_default() {
    let ctx = context();
    let key = builder_key();
    let mut message = good_message(&ctx, &key);
    let builder_address = Address::repeat_byte(0x01);
    message.header.fee_recipient = builder_address;
    let verified = verify_bid(&sign(message, &key), &ctx, &ChainSpec::mainnet())
        .expect("a builder paying by transaction is accepted by default");
    assert_eq!(verified.fee_recipient_mismatch(), Some(builder_address));
    let good = verify_bid(
        &sign(good_message(&ctx, &key), &key),
        &ctx,
        &ChainSpec::mainnet(),
    )
    .unwrap();
    assert_eq!(good.fee_recipient_mismatch(), None);
}

#[test]
fn wrong_fee_recipient_when_required() {
    let ctx = BidContext {
        require_fee_recipient: true,
        ..context()
    };
    let key = builder_key();
    let mut message = good_message(&ctx, &key);
    message.header.fee_recipient = Address::repeat_byte(0x01);
    let r = verify_bid(&sign(message, &key), &ctx, &ChainSpec::mainnet()).unwrap_err();
    assert!(matches!(r, BidRejection::WrongFeeRecipient { .. }));
    assert_eq!(r.reason(), "wrong_fee_recipient");
}

#[test]
fn wrong_gas_limit() {
    // Jumping straight to the target exceeds the protocol step.
    let r = rejected(|m| m.header.gas_limit = 36_000_000);
    assert_eq!(
        r,
        BidRejection::WrongGasLimit {
            expected: 30_029_295,
            got: 36_000_000
        }
    );
    assert_eq!(r.reason(), "wrong_gas_limit");
    // Staying at the parent's limit when a move is expected is wrong too.
    assert!(matches!(
        rejected(|m| m.header.gas_limit = 30_000_000),
        BidRejection::WrongGasLimit { .. }
    ));
}

#[test]
fn wrong_withdrawals_root() {
    let r = rejected(|m| m.header.withdrawals_root = withdrawals_root::<E>(&[]).unwrap());
    assert!(matches!(r, BidRejection::WrongWithdrawalsRoot { .. }));
    assert_eq!(r.reason(), "wrong_withdrawals_root");
}

#[test]
fn too_many_blob_commitments() {
    let r = rejected(|m| {
        m.blob_kzg_commitments =
            types::ssz_types::VariableList::new(vec![KzgCommitment::default(); 10]).unwrap()
    });
    assert_eq!(r, BidRejection::TooManyBlobCommitments { max: 9, got: 10 });
    assert_eq!(r.reason(), "too_many_blob_commitments");
}

#[test]
fn malformed_execution_requests() {
    let r = rejected(|m| {
        m.execution_requests.deposits = types::ssz_types::VariableList::new(vec![DepositRequest {
            amount: 0,
            ..Default::default()
        }])
        .unwrap()
    });
    assert_eq!(
        r,
        BidRejection::MalformedExecutionRequests("deposit amount below MIN_DEPOSIT_AMOUNT")
    );
    assert_eq!(r.reason(), "malformed_execution_requests");
    let r = rejected(|m| {
        m.execution_requests.deposits = types::ssz_types::VariableList::new(vec![
            DepositRequest {
                amount: 32_000_000_000,
                index: 4,
                ..Default::default()
            },
            DepositRequest {
                amount: 32_000_000_000,
                index: 4,
                ..Default::default()
            },
        ])
        .unwrap()
    });
    assert_eq!(
        r,
        BidRejection::MalformedExecutionRequests("deposit indices not strictly increasing")
    );
}

#[test]
fn zero_value_is_a_valid_bid() {
    let ctx = context();
    let key = builder_key();
    let mut message = good_message(&ctx, &key);
    message.value = U256::ZERO;
    let verified = verify_bid(&sign(message, &key), &ctx, &ChainSpec::mainnet())
        .expect("builder-specs does not refuse a zero-value bid");
    assert!(verified.value().is_zero());
}
