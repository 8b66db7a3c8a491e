//! consensus-spec-tests `operations` (minimal, Capella to Fulu): one test per handler. Each case applies
//! one operation to `pre` and compares with `post` (no `post`: the operation must fail). Every case runs
//! twice, verifying signatures one by one and as a batch, and both runs must agree. The
//! `execution_payload` and `withdrawals` handlers also run the blinded path (payload header only).

use crate::state_utils::{compare_states, load_state, minimal_spec, State, FORKS};
use spec_tests::{name, read_ssz_snappy, read_yaml, subdirs, vectors_dir, Summary};
use ssz::Decode;
use state_processing::caches::StateCaches;
use state_processing::common::attestation::AttestationRef;
use state_processing::common::IndexedAttestationRef;
use state_processing::per_block::{self, PayloadWithdrawals, SignatureVerifier, VerifySignatures};
use state_processing::ProgressiveBalancesCache;
use std::ops::RangeBounds;
use std::path::Path;
use types::{
    AttestationBase, AttestationElectra, AttesterSlashingBase, AttesterSlashingElectra,
    BeaconBlock, BeaconBlockBody, ChainSpec, ExecutionPayload, ForkName, ForkVersioned,
    MinimalEthSpec,
};
use ForkName::{Capella, Electra, Fulu};

type E = MinimalEthSpec;

/// What one case asks for besides the operation.
struct Ctx<'a> {
    case: &'a Path,
    fork: ForkName,
    spec: ChainSpec,
    /// The payload variant of `execution_payload` / `withdrawals`: the blinded path.
    blinded: bool,
}

/// Decode `<file>.ssz_snappy` of the case.
fn ssz<T: Decode>(ctx: &Ctx<'_>, file: &str) -> Result<T, String> {
    let bytes = read_ssz_snappy(&ctx.case.join(format!("{file}.ssz_snappy")));
    T::from_ssz_bytes(&bytes).map_err(|e| format!("decoding {file}: {e:?}"))
}

fn ssz_by_fork<T: ForkVersioned>(ctx: &Ctx<'_>, file: &str) -> Result<T, String> {
    let bytes = read_ssz_snappy(&ctx.case.join(format!("{file}.ssz_snappy")));
    T::from_ssz_bytes_by_fork(&bytes, ctx.fork).map_err(|e| format!("decoding {file}: {e:?}"))
}

type Outcome = Result<state_processing::Result<()>, String>;
type Apply = fn(&mut State, &Ctx<'_>, &mut SignatureVerifier, &mut StateCaches) -> Outcome;

fn apply_attestation(
    state: &mut State,
    ctx: &Ctx<'_>,
    v: &mut SignatureVerifier,
    c: &mut StateCaches,
) -> Outcome {
    Ok(if ctx.fork.electra_enabled() {
        let a: AttestationElectra<E> = ssz(ctx, "attestation")?;
        per_block::process_attestation(state, AttestationRef::Electra(&a), v, c)
    } else {
        let a: AttestationBase<E> = ssz(ctx, "attestation")?;
        per_block::process_attestation(state, AttestationRef::Base(&a), v, c)
    })
}

fn apply_attester_slashing(
    state: &mut State,
    ctx: &Ctx<'_>,
    v: &mut SignatureVerifier,
    c: &mut StateCaches,
) -> Outcome {
    Ok(if ctx.fork.electra_enabled() {
        let s: AttesterSlashingElectra<E> = ssz(ctx, "attester_slashing")?;
        per_block::process_attester_slashing(
            state,
            IndexedAttestationRef::Electra(&s.attestation_1),
            IndexedAttestationRef::Electra(&s.attestation_2),
            v,
            c,
            &ctx.spec,
        )
    } else {
        let s: AttesterSlashingBase<E> = ssz(ctx, "attester_slashing")?;
        per_block::process_attester_slashing(
            state,
            IndexedAttestationRef::Base(&s.attestation_1),
            IndexedAttestationRef::Base(&s.attestation_2),
            v,
            c,
            &ctx.spec,
        )
    })
}

fn apply_block_header(
    state: &mut State,
    ctx: &Ctx<'_>,
    _: &mut SignatureVerifier,
    c: &mut StateCaches,
) -> Outcome {
    let block: BeaconBlock<E> = ssz_by_fork(ctx, "block")?;
    Ok(per_block::process_block_header(
        state,
        block.slot(),
        block.proposer_index(),
        block.parent_root(),
        block.body_root(),
        c,
    ))
}

fn apply_execution_payload(
    state: &mut State,
    ctx: &Ctx<'_>,
    _: &mut SignatureVerifier,
    _: &mut StateCaches,
) -> Outcome {
    #[derive(serde::Deserialize)]
    struct Execution {
        execution_valid: bool,
    }
    let execution: Execution = read_yaml(&ctx.case.join("execution.yaml"));
    let body: BeaconBlockBody<E> = ssz_by_fork(ctx, "body")?;
    Ok(if ctx.blinded {
        per_block::process_execution_payload(
            state,
            &body.to_blinded(),
            execution.execution_valid,
            &ctx.spec,
        )
    } else {
        per_block::process_execution_payload(state, &body, execution.execution_valid, &ctx.spec)
    })
}

fn apply_withdrawals(
    state: &mut State,
    ctx: &Ctx<'_>,
    _: &mut SignatureVerifier,
    _: &mut StateCaches,
) -> Outcome {
    let payload: ExecutionPayload<E> = ssz_by_fork(ctx, "execution_payload")?;
    Ok(if ctx.blinded {
        let root = payload.to_header().withdrawals_root();
        per_block::process_withdrawals(state, PayloadWithdrawals::Root(root))
    } else {
        per_block::process_withdrawals(state, PayloadWithdrawals::Full(payload.withdrawals()))
    })
}

/// `bls_setting` of `meta.yaml`: 2 means the case's signatures are not meant to be checked.
fn verify_mode(case: &Path, mode: VerifySignatures) -> VerifySignatures {
    #[derive(serde::Deserialize)]
    struct Meta {
        bls_setting: Option<u8>,
    }
    let meta = case.join("meta.yaml");
    if meta.exists() {
        let meta: Meta = read_yaml(&meta);
        if meta.bls_setting == Some(2) {
            return VerifySignatures::Skip;
        }
    }
    mode
}

/// Run the operation once under `mode` and check the outcome against `post`.
fn run_once(ctx: &Ctx<'_>, apply: Apply, mode: VerifySignatures) -> Result<(), String> {
    let mut state = load_state(&ctx.case.join("pre.ssz_snappy"), ctx.fork)?.ok_or("pre missing")?;
    let expected = load_state(&ctx.case.join("post.ssz_snappy"), ctx.fork)?;
    let mut verifier = SignatureVerifier::new(verify_mode(ctx.case, mode));
    // The batch run also uses prepared caches; the one-by-one run the spec-direct paths.
    let mut caches = if mode == VerifySignatures::Batch {
        // A state without active validators (`withdrawals/all_withdrawal`) has no committees or
        // proposer to cache; the operations that do not need them still run.
        match StateCaches::build(&state) {
            Ok(caches) => caches,
            Err(state_processing::StateError::NoActiveValidators) => StateCaches::default(),
            Err(e) => return Err(format!("building caches: {e}")),
        }
    } else {
        StateCaches::default()
    };
    let result =
        apply(&mut state, ctx, &mut verifier, &mut caches)?.and_then(|()| verifier.finish());
    // The progressive balances the operation kept current equal a recomputation.
    if let (Ok(()), Some(progressive)) = (&result, caches.progressive_balances()) {
        let fresh = ProgressiveBalancesCache::new(&state).map_err(|e| e.to_string())?;
        if *progressive != fresh {
            return Err(format!(
                "progressive balances {progressive:?} != recomputed {fresh:?}"
            ));
        }
    }
    match (result, expected) {
        (Ok(()), Some(mut expected)) => compare_states(&mut state, &mut expected),
        (Err(e), Some(_)) => Err(format!("failed: {e}")),
        (Ok(()), None) => Err("succeeded but the case expects failure".into()),
        (Err(_), None) => Ok(()),
    }
}

fn check_case(case: &Path, fork: ForkName, apply: Apply, with_blinded: bool) -> Result<(), String> {
    let mut ctx = Ctx {
        case,
        fork,
        spec: minimal_spec(fork),
        blinded: false,
    };
    run_once(&ctx, apply, VerifySignatures::Individually)?;
    run_once(&ctx, apply, VerifySignatures::Batch)
        .map_err(|e| format!("batch verification: {e}"))?;
    if with_blinded {
        ctx.blinded = true;
        run_once(&ctx, apply, VerifySignatures::Individually)
            .map_err(|e| format!("blinded: {e}"))?;
    }
    Ok(())
}

/// `forks`: the forks whose vectors must have cases for `handler`.
fn run_handler(handler: &str, apply: Apply, forks: impl RangeBounds<ForkName>, with_blinded: bool) {
    let mut summary = Summary::new(format!("operations/{handler}"));
    for fork in FORKS {
        let dir = vectors_dir()
            .join("consensus-spec-tests/tests/minimal")
            .join(fork.as_str())
            .join("operations")
            .join(handler)
            .join("pyspec_tests");
        let cases = subdirs(&dir);
        if forks.contains(&fork) && cases.is_empty() {
            summary.fail(format!("{fork}"), format!("no cases in {}", dir.display()));
        }
        let mut passed = summary.passed();
        for case in cases {
            summary.record(
                format!("{fork}/{}", name(&case)),
                check_case(&case, fork, apply, with_blinded),
            );
        }
        passed = summary.passed() - passed;
        println!("[operations/{handler}] {fork}: {passed} passed");
    }
    summary.finish();
}

/// One test per handler: `handler: forks with cases, whether the blinded path also runs, apply`.
macro_rules! handler_tests {
    ($($handler:ident: $forks:expr, $blinded:expr, $apply:expr;)*) => {
        $(
            #[test]
            fn $handler() {
                run_handler(stringify!($handler), $apply, $forks, $blinded);
            }
        )*
    };
}

handler_tests! {
    attestation: Capella.., false, apply_attestation;
    attester_slashing: Capella.., false, apply_attester_slashing;
    block_header: Capella.., false, apply_block_header;
    // Fulu has no `deposit` vectors: eth1-bridge deposits are gone (`process_operations` rejects them).
    deposit: Capella..Fulu, false, |state, ctx, _, c| {
        Ok(per_block::process_deposit(state, &ssz(ctx, "deposit")?, c, &ctx.spec))
    };
    proposer_slashing: Capella.., false, |state, ctx, v, c| {
        let op = ssz(ctx, "proposer_slashing")?;
        Ok(per_block::process_proposer_slashing(state, &op, v, c, &ctx.spec))
    };
    voluntary_exit: Capella.., false, |state, ctx, v, _| {
        let op = ssz(ctx, "voluntary_exit")?;
        Ok(per_block::process_voluntary_exit(state, &op, v, &ctx.spec))
    };
    sync_aggregate: Capella.., false, |state, ctx, v, c| {
        Ok(per_block::process_sync_aggregate(state, &ssz(ctx, "sync_aggregate")?, v, c))
    };
    execution_payload: Capella.., true, apply_execution_payload;
    withdrawals: Capella.., true, apply_withdrawals;
    bls_to_execution_change: Capella.., false, |state, ctx, v, _| {
        let op = ssz(ctx, "address_change")?;
        Ok(per_block::process_bls_to_execution_change(state, &op, v, &ctx.spec))
    };
    deposit_request: Electra.., false, |state, ctx, _, _| {
        Ok(per_block::process_deposit_request(state, &ssz(ctx, "deposit_request")?))
    };
    withdrawal_request: Electra.., false, |state, ctx, _, c| {
        let op = ssz(ctx, "withdrawal_request")?;
        Ok(per_block::process_withdrawal_request(state, &op, c, &ctx.spec))
    };
    consolidation_request: Electra.., false, |state, ctx, _, c| {
        let op = ssz(ctx, "consolidation_request")?;
        Ok(per_block::process_consolidation_request(state, &op, c, &ctx.spec))
    };
}

// `sanity/blocks` (the whole `process_block` with its blinded twin) is in `blocks.rs`.
