//! Checks on a builder's `SignedBuilderBid` before it may compete with the local payload.
//!
//! Follows builder-specs `process_bid` (header consistency with the chain, signature under
//! `DOMAIN_APPLICATION_BUILDER`) plus what a careful proposer adds: the pinned builder key, the
//! registered gas limit, the blob limit of the epoch and the execution requests. Checks are ordered
//! cheap first; the BLS signature is checked last.
//!
//! Two checks follow mainnet rather than the letter of a careful proposer:
//! - **Fee recipient.** Many builders put their own address in `fee_recipient` and pay the proposer
//!   in the payload's last transaction, which a proposer cannot see before the reveal. By default a
//!   mismatch is recorded ([`VerifiedBid::fee_recipient_mismatch`]: logged, counted, shown in the
//!   builder's status) and the bid competes; [`BidContext::require_fee_recipient`] (the node's
//!   `--builder-require-fee-recipient`) refuses it instead.
//! - **Zero value.** builder-specs does not refuse a bid worth nothing, so it is valid here; the choice
//!   lets it lose to any local payload, and it can still save the slot when the engine fails.

use types::{
    compute_signing_root, Address, ChainSpec, EthSpec, ExecutionBlockHash, ExecutionPayloadHeader,
    ExecutionRequests, ForkName, Hash256, PublicKeyBytes, SignedBuilderBid, Withdrawal, U256,
};

pub use builder_api::{expected_gas_limit, GAS_LIMIT_BOUND_DIVISOR, MIN_GAS_LIMIT};

/// What the chain expects of a payload built on the current head for this proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidContext {
    /// The fork of the slot being proposed.
    pub fork: ForkName,
    /// The head's execution block hash: the bid's `parent_hash`.
    pub parent_hash: ExecutionBlockHash,
    /// `get_randao_mix` of the proposal's epoch.
    pub prev_randao: Hash256,
    /// `compute_timestamp_at_slot` of the proposal's slot.
    pub timestamp: u64,
    /// The head's execution block number; the bid must be one higher.
    pub parent_block_number: u64,
    /// The proposer's registered fee recipient (`ValidatorRegistrationV1.fee_recipient`).
    pub fee_recipient: Address,
    /// Refuse a header whose `fee_recipient` is not [`Self::fee_recipient`]; when false (the
    /// default) the mismatch is only recorded, since builders commonly pay by transaction.
    pub require_fee_recipient: bool,
    /// The proposer's registered gas limit target (`ValidatorRegistrationV1.gas_limit`).
    pub gas_limit_target: u64,
    /// The head's execution gas limit.
    pub parent_gas_limit: u64,
    /// `hash_tree_root` of the withdrawals the state expects (see [`withdrawals_root`]).
    pub withdrawals_root: Hash256,
    /// `get_max_blobs_per_block` at the proposal's epoch.
    pub max_blobs_per_block: u64,
    /// The key this builder was pinned to in configuration, if any.
    pub pinned_pubkey: Option<PublicKeyBytes>,
}

/// Why a bid was rejected. One variant per check; [`BidRejection::reason`] gives a stable label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidRejection {
    /// The response's fork is not the slot's fork (by its `Eth-Consensus-Version` or `version`, or
    /// by the bid's shape).
    #[error("bid is for fork {got}, expected {expected}")]
    WrongFork {
        /// The fork of the proposal's slot.
        expected: ForkName,
        /// The fork the builder answered with, as it named it (it may name no known fork).
        got: String,
    },
    /// The signature does not verify under `DOMAIN_APPLICATION_BUILDER` (or the key or signature bytes
    /// are not valid BLS points).
    #[error("invalid builder signature")]
    InvalidSignature,
    /// The bid's `pubkey` is not the key the builder was pinned to.
    #[error("bid signed by {got}, but the builder is pinned to {expected}")]
    UnexpectedBuilderPubkey {
        /// The pinned key.
        expected: PublicKeyBytes,
        /// The bid's `pubkey`.
        got: PublicKeyBytes,
    },
    /// The header does not build on the head's execution block.
    #[error("parent hash {got}, expected {expected}")]
    WrongParentHash {
        /// The head's execution block hash.
        expected: ExecutionBlockHash,
        /// The header's `parent_hash`.
        got: ExecutionBlockHash,
    },
    /// The header's `prev_randao` is not the state's randao mix.
    #[error("prev_randao {got}, expected {expected}")]
    WrongPrevRandao {
        /// `get_randao_mix` of the proposal's epoch.
        expected: Hash256,
        /// The header's `prev_randao`.
        got: Hash256,
    },
    /// The header's timestamp is not the slot's.
    #[error("timestamp {got}, expected {expected}")]
    WrongTimestamp {
        /// `compute_timestamp_at_slot` of the proposal's slot.
        expected: u64,
        /// The header's `timestamp`.
        got: u64,
    },
    /// The header's block number is not the parent's plus one.
    #[error("block number {got}, expected {expected}")]
    WrongBlockNumber {
        /// The parent's block number plus one.
        expected: u64,
        /// The header's `block_number`.
        got: u64,
    },
    /// The header pays another address than the proposer registered (only with
    /// [`BidContext::require_fee_recipient`]).
    #[error("fee recipient {got}, expected {expected}")]
    WrongFeeRecipient {
        /// The registered fee recipient.
        expected: Address,
        /// The header's `fee_recipient`.
        got: Address,
    },
    /// The header's gas limit is not the step from the parent's towards the registered target.
    #[error("gas limit {got}, expected {expected}")]
    WrongGasLimit {
        /// [`expected_gas_limit`] of the parent's limit and the registered target.
        expected: u64,
        /// The header's `gas_limit`.
        got: u64,
    },
    /// The header commits to other withdrawals than the state expects.
    #[error("withdrawals root {got}, expected {expected}")]
    WrongWithdrawalsRoot {
        /// `hash_tree_root` of `get_expected_withdrawals`.
        expected: Hash256,
        /// The header's `withdrawals_root`.
        got: Hash256,
    },
    /// More blob commitments than the fork allows per block.
    #[error("{got} blob commitments, at most {max} allowed")]
    TooManyBlobCommitments {
        /// `get_max_blobs_per_block` at the proposal's epoch.
        max: u64,
        /// The bid's commitment count.
        got: u64,
    },
    /// Execution requests no execution layer could have produced; the text says which invariant failed.
    #[error("malformed execution requests: {0}")]
    MalformedExecutionRequests(&'static str),
    /// A full-payload builder's answer carries no signature.
    #[error("the answer is not signed")]
    Unsigned,
    /// A full-payload builder's answer names, or is signed by, another address than the pinned one.
    #[error("answer from {got}, but the builder is pinned to {expected}")]
    WrongSigner {
        /// The pinned address.
        expected: Address,
        /// The answer's `pubKey`, or the address its signature recovers.
        got: Address,
    },
    /// A secp256k1 signature that recovers no key (bad length, bytes, or recovery byte).
    #[error("malformed builder signature: {0}")]
    MalformedSignature(String),
    /// A full payload that does not decode into the fork's types.
    #[error("malformed payload: {0}")]
    MalformedPayload(String),
    /// A full payload's blobs bundle does not verify (shape, count, KZG proofs).
    #[error("blobs bundle: {0}")]
    BadBlobsBundle(String),
    /// The local engine's `newPayload` on a full payload answered SYNCING (or ACCEPTED): not verified.
    #[error("the execution engine could not verify the payload ({0})")]
    EngineSyncing(String),
    /// The local engine's `newPayload` answered INVALID: the builder is disabled.
    #[error("the execution engine found the payload {block_hash} INVALID: {error}")]
    EngineInvalid {
        /// The payload's block hash.
        block_hash: ExecutionBlockHash,
        /// The engine's validation error.
        error: String,
    },
    /// The local engine's `newPayload` failed or missed its deadline.
    #[error("no verdict from the execution engine: {0}")]
    EngineCheckFailed(String),
}

impl BidRejection {
    /// A short, stable label for logs and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::WrongFork { .. } => "wrong_fork",
            Self::InvalidSignature => "invalid_signature",
            Self::UnexpectedBuilderPubkey { .. } => "unexpected_builder_pubkey",
            Self::WrongParentHash { .. } => "wrong_parent_hash",
            Self::WrongPrevRandao { .. } => "wrong_prev_randao",
            Self::WrongTimestamp { .. } => "wrong_timestamp",
            Self::WrongBlockNumber { .. } => "wrong_block_number",
            Self::WrongFeeRecipient { .. } => "wrong_fee_recipient",
            Self::WrongGasLimit { .. } => "wrong_gas_limit",
            Self::WrongWithdrawalsRoot { .. } => "wrong_withdrawals_root",
            Self::TooManyBlobCommitments { .. } => "too_many_blob_commitments",
            Self::MalformedExecutionRequests(_) => "malformed_execution_requests",
            Self::Unsigned => "unsigned",
            Self::WrongSigner { .. } => "wrong_signer",
            Self::MalformedSignature(_) => "malformed_signature",
            Self::MalformedPayload(_) => "malformed_payload",
            Self::BadBlobsBundle(_) => "bad_blobs_bundle",
            Self::EngineSyncing(_) => "engine_syncing",
            Self::EngineInvalid { .. } => "engine_invalid",
            Self::EngineCheckFailed(_) => "engine_check_failed",
        }
    }
}

/// A bid that passed every check of [`verify_bid`]. Only this module constructs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBid<E: EthSpec> {
    bid: SignedBuilderBid<E>,
    // Read from the message once, at verification: `message_enum` clones the whole message (header,
    // commitments, requests), too much for accessors that bid comparisons call.
    header: ExecutionPayloadHeader<E>,
    value: U256,
    pubkey: PublicKeyBytes,
    fee_recipient_mismatch: Option<Address>,
}

impl<E: EthSpec> VerifiedBid<E> {
    /// The header's `fee_recipient` when it is not the registered one (and the policy let the bid
    /// through): the builder says it pays the proposer another way, usually by a transaction.
    pub fn fee_recipient_mismatch(&self) -> Option<Address> {
        self.fee_recipient_mismatch
    }

    /// The bid as received.
    pub fn bid(&self) -> &SignedBuilderBid<E> {
        &self.bid
    }

    /// The payload header the bid offers.
    pub fn header(&self) -> &ExecutionPayloadHeader<E> {
        &self.header
    }

    /// Wei to the proposer.
    pub fn value(&self) -> U256 {
        self.value
    }

    /// The offered payload's block hash.
    pub fn block_hash(&self) -> ExecutionBlockHash {
        self.header.block_hash()
    }

    /// The builder key that signed the bid.
    pub fn pubkey(&self) -> PublicKeyBytes {
        self.pubkey
    }

    /// The bid, for the blinded block.
    pub fn into_bid(self) -> SignedBuilderBid<E> {
        self.bid
    }

    /// Skips every check: for tests of code that consumes verified bids.
    #[cfg(test)]
    pub(crate) fn new_unchecked(bid: SignedBuilderBid<E>) -> Self {
        let message = bid.message_enum();
        Self {
            header: message.header_enum(),
            value: message.value(),
            pubkey: message.pubkey(),
            fee_recipient_mismatch: None,
            bid,
        }
    }
}

/// `hash_tree_root` of an expected withdrawals list, as a payload header commits to it. `None` when
/// the list exceeds `MAX_WITHDRAWALS_PER_PAYLOAD`.
pub fn withdrawals_root<E: EthSpec>(withdrawals: &[Withdrawal]) -> Option<Hash256> {
    use tree_hash::TreeHash;
    types::Withdrawals::<E>::new(withdrawals.to_vec())
        .ok()
        .map(|list| list.tree_hash_root())
}

/// Checks that Electra's execution requests could have come from a real execution layer. The list
/// lengths are bounded by their SSZ types (`MAX_*_REQUESTS_PER_PAYLOAD`), so a decoded bid is always
/// within limits. The consensus specs accept any withdrawal or consolidation request (invalid ones are
/// skipped at processing), so the only invariants enforced are those of the deposit contract: each
/// deposit is at least `MIN_DEPOSIT_AMOUNT` and deposit indices strictly increase within a payload.
pub fn check_execution_requests<E: EthSpec>(
    requests: &ExecutionRequests<E>,
) -> Result<(), BidRejection> {
    let mut previous_index: Option<u64> = None;
    for deposit in requests.deposits.iter() {
        if deposit.amount < E::MIN_DEPOSIT_AMOUNT {
            return Err(BidRejection::MalformedExecutionRequests(
                "deposit amount below MIN_DEPOSIT_AMOUNT",
            ));
        }
        if previous_index.is_some_and(|previous| deposit.index <= previous) {
            return Err(BidRejection::MalformedExecutionRequests(
                "deposit indices not strictly increasing",
            ));
        }
        previous_index = Some(deposit.index);
    }
    Ok(())
}

fn check_eq<T: PartialEq + Copy>(
    expected: T,
    got: T,
    rejection: impl FnOnce(T, T) -> BidRejection,
) -> Result<(), BidRejection> {
    if expected == got {
        Ok(())
    } else {
        Err(rejection(expected, got))
    }
}

/// The checks a payload header must pass against the chain, shared by relay bids and full payloads:
/// parent hash, `prev_randao`, timestamp, block number, the fee recipient policy, gas limit and
/// withdrawals root, in that order. Returns the header's fee recipient when it is not the registered
/// one and the policy let it through.
pub fn check_header<E: EthSpec>(
    header: &ExecutionPayloadHeader<E>,
    ctx: &BidContext,
) -> Result<Option<Address>, BidRejection> {
    check_eq(ctx.parent_hash, header.parent_hash(), |expected, got| {
        BidRejection::WrongParentHash { expected, got }
    })?;
    check_eq(ctx.prev_randao, header.prev_randao(), |expected, got| {
        BidRejection::WrongPrevRandao { expected, got }
    })?;
    check_eq(ctx.timestamp, header.timestamp(), |expected, got| {
        BidRejection::WrongTimestamp { expected, got }
    })?;
    check_eq(
        ctx.parent_block_number.saturating_add(1),
        header.block_number(),
        |expected, got| BidRejection::WrongBlockNumber { expected, got },
    )?;
    let fee_recipient = header.fee_recipient();
    if ctx.require_fee_recipient {
        check_eq(ctx.fee_recipient, fee_recipient, |expected, got| {
            BidRejection::WrongFeeRecipient { expected, got }
        })?;
    }
    check_eq(
        expected_gas_limit(ctx.parent_gas_limit, ctx.gas_limit_target),
        header.gas_limit(),
        |expected, got| BidRejection::WrongGasLimit { expected, got },
    )?;
    check_eq(
        ctx.withdrawals_root,
        header.withdrawals_root(),
        |expected, got| BidRejection::WrongWithdrawalsRoot { expected, got },
    )?;
    Ok((fee_recipient != ctx.fee_recipient).then_some(fee_recipient))
}

/// The blob commitment count (from Deneb) and the execution requests (from Electra) of a bid or a
/// full payload, shared by both.
pub fn check_contents<E: EthSpec>(
    blob_commitments: Option<usize>,
    requests: Option<&ExecutionRequests<E>>,
    ctx: &BidContext,
) -> Result<(), BidRejection> {
    if let Some(got) = blob_commitments {
        let got = got as u64;
        if got > ctx.max_blobs_per_block {
            return Err(BidRejection::TooManyBlobCommitments {
                max: ctx.max_blobs_per_block,
                got,
            });
        }
    }
    if let Some(requests) = requests {
        check_execution_requests::<E>(requests)?;
    }
    Ok(())
}

/// Verifies a builder's bid against what the chain expects. Returns the first failed check.
pub fn verify_bid<E: EthSpec>(
    bid: &SignedBuilderBid<E>,
    ctx: &BidContext,
    spec: &ChainSpec,
) -> Result<VerifiedBid<E>, BidRejection> {
    let fork = bid.fork_name();
    if fork != ctx.fork {
        return Err(BidRejection::WrongFork {
            expected: ctx.fork,
            got: fork.to_string(),
        });
    }
    let message = bid.message_enum();
    let pubkey = message.pubkey();
    if let Some(expected) = ctx.pinned_pubkey {
        check_eq(expected, pubkey, |expected, got| {
            BidRejection::UnexpectedBuilderPubkey { expected, got }
        })?;
    }

    let header = message.header_enum();
    let fee_recipient_mismatch = check_header(&header, ctx)?;

    check_contents::<E>(
        message.blob_kzg_commitments().ok().map(|c| c.len()),
        message.execution_requests().ok(),
        ctx,
    )?;

    let public_key =
        bls::PublicKey::try_from(&pubkey).map_err(|_| BidRejection::InvalidSignature)?;
    let signature =
        bls::Signature::try_from(&bid.signature()).map_err(|_| BidRejection::InvalidSignature)?;
    let signing_root = compute_signing_root(&message, spec.builder_domain());
    if !signature.verify(&public_key, signing_root.as_slice()) {
        return Err(BidRejection::InvalidSignature);
    }

    Ok(VerifiedBid {
        bid: bid.clone(),
        header,
        value: message.value(),
        pubkey,
        fee_recipient_mismatch,
    })
}

#[cfg(test)]
pub(crate) mod tests;
