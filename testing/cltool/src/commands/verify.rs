//! `cltool verify-signature`: BLS checks of builder bids, validator registrations and (blinded) blocks.

use crate::cli::{Kind, VerifyArgs};
use crate::dispatch::{decode, Versioned};
use crate::error::{Error, Result};
use crate::input::{self, Input};
use serde_json::Value;
use std::path::Path;
use types::ssz::Decode;
use types::*;

/// The outcome of a check that could be carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    /// Why not, for stderr.
    Invalid(String),
}

/// Check the file named by `args`. `Err` means the check could not be made (bad input or usage).
pub fn run<E: EthSpec>(args: &VerifyArgs) -> Result<Verdict> {
    match args.kind {
        Kind::BuilderBid => builder_bid::<E>(args),
        Kind::ValidatorRegistration => registrations(args),
        Kind::BlindedBlock => {
            let (fork, domain, pubkey) = block_context(args)?;
            let input = input::read(&args.file)?;
            let block = decode::<Versioned<SignedBlindedBeaconBlock<E>>>(
                &args.file,
                input,
                fork,
                "SignedBlindedBeaconBlock",
            )?;
            Ok(check(
                &pubkey,
                &block.signature(),
                compute_signing_root(&block.message_root(), domain),
            ))
        }
        Kind::Block => {
            let (fork, domain, pubkey) = block_context(args)?;
            let input = input::read(&args.file)?;
            let block = decode::<Versioned<SignedBeaconBlock<E>>>(
                &args.file,
                input,
                fork,
                "SignedBeaconBlock",
            )?;
            Ok(check(
                &pubkey,
                &block.signature(),
                compute_signing_root(&block.message_root(), domain),
            ))
        }
    }
}

fn missing(kind: Kind, option: &str, what: &str) -> Error {
    Error::usage(format!("--kind {} needs {option} ({what})", kind.as_str()))
}

fn unused(kind: Kind, option: &str, why: &str) -> Error {
    Error::usage(format!(
        "--kind {} does not use {option}: {why}",
        kind.as_str()
    ))
}

/// The builder domain from `--genesis-fork-version`, refusing the block-only options.
fn builder_domain(args: &VerifyArgs) -> Result<Domain> {
    let kind = args.kind;
    let zero_root =
        "the builder domain uses a zero genesis validators root and the genesis fork version";
    if args.pubkey.is_some() {
        return Err(unused(
            kind,
            "--pubkey",
            "the signer's key is the one in the message",
        ));
    }
    if args.genesis_validators_root.is_some() {
        return Err(unused(kind, "--genesis-validators-root", zero_root));
    }
    if args.fork_version.is_some() {
        return Err(unused(kind, "--fork-version", zero_root));
    }
    let version = args.genesis_fork_version.ok_or_else(|| {
        missing(
            kind,
            "--genesis-fork-version",
            "the network's GENESIS_FORK_VERSION, e.g. 0x00000000 for mainnet",
        )
    })?;
    Ok(compute_domain(
        DOMAIN_APPLICATION_BUILDER,
        version,
        Hash256::ZERO,
    ))
}

/// Fork, proposer domain and proposer key of a block check.
fn block_context(args: &VerifyArgs) -> Result<(ForkName, Domain, PublicKeyBytes)> {
    let kind = args.kind;
    let fork = args
        .fork
        .ok_or_else(|| missing(kind, "--fork", "the block's fork"))?;
    let fork_version = args.fork_version.ok_or_else(|| {
        missing(
            kind,
            "--fork-version",
            "the network's fork version at the block's epoch",
        )
    })?;
    let genesis_validators_root = args.genesis_validators_root.ok_or_else(|| {
        missing(
            kind,
            "--genesis-validators-root",
            "the network's genesis validators root",
        )
    })?;
    let pubkey = args
        .pubkey
        .ok_or_else(|| missing(kind, "--pubkey", "the proposer's public key"))?;
    let domain = compute_domain(
        DOMAIN_BEACON_PROPOSER,
        fork_version,
        genesis_validators_root,
    );
    Ok((fork.into(), domain, pubkey))
}

fn builder_bid<E: EthSpec>(args: &VerifyArgs) -> Result<Verdict> {
    let domain = builder_domain(args)?;
    let fork = args
        .fork
        .ok_or_else(|| missing(args.kind, "--fork", "the bid's fork"))?;
    let input = input::read(&args.file)?;
    let bid = decode::<Versioned<SignedBuilderBid<E>>>(
        &args.file,
        input,
        fork.into(),
        "SignedBuilderBid",
    )?;
    let message = bid.message_enum();
    Ok(check(
        &message.pubkey(),
        &bid.signature(),
        compute_signing_root(&message, domain),
    ))
}

/// One registration, a JSON list of them, or an SSZ concatenation of them: all must verify.
fn registrations(args: &VerifyArgs) -> Result<Verdict> {
    let domain = builder_domain(args)?;
    let path = &args.file;
    let registrations = read_registrations(path, input::read(path)?)?;
    let count = registrations.len();
    for (i, registration) in registrations.iter().enumerate() {
        let verdict = check(
            &registration.message.pubkey,
            &registration.signature,
            compute_signing_root(&registration.message, domain),
        );
        if let Verdict::Invalid(why) = verdict {
            return Ok(Verdict::Invalid(format!(
                "registration {} of {count} (pubkey {}): {why}",
                i + 1,
                registration.message.pubkey
            )));
        }
    }
    Ok(Verdict::Valid)
}

const REGISTRATION: &str = "SignedValidatorRegistrationV1";

fn read_registrations(path: &Path, input: Input) -> Result<Vec<SignedValidatorRegistrationV1>> {
    let parse = |value: Value, which: &str| {
        serde_json::from_value::<SignedValidatorRegistrationV1>(value)
            .map_err(|e| Error::in_file(path, format!("{which}not a valid {REGISTRATION}: {e}")))
    };
    let list = match input {
        Input::Ssz(bytes) => {
            Vec::<SignedValidatorRegistrationV1>::from_ssz_bytes(&bytes).map_err(|e| {
                Error::in_file(
                    path,
                    format!(
                        "not a {REGISTRATION} or a list of them in SSZ ({} bytes): {e:?}",
                        bytes.len()
                    ),
                )
            })?
        }
        // The envelope's version, if any, does not matter: registrations are the same at every fork.
        Input::Value {
            value: Value::Array(items),
            ..
        } => items
            .into_iter()
            .enumerate()
            .map(|(i, value)| parse(value, &format!("item {} of the list is ", i + 1)))
            .collect::<Result<_>>()?,
        Input::Value { value, .. } => vec![parse(value, "")?],
    };
    if list.is_empty() {
        return Err(Error::in_file(path, "holds no registrations"));
    }
    Ok(list)
}

/// Verify `signature` by `pubkey` over `root`; bytes that are not valid points make it invalid.
fn check(pubkey: &PublicKeyBytes, signature: &SignatureBytes, root: Root) -> Verdict {
    let pubkey = match bls::PublicKey::from_bytes(pubkey.as_bytes()) {
        Ok(key) => key,
        Err(e) => return Verdict::Invalid(format!("public key {pubkey} is not usable: {e}")),
    };
    let signature = match bls::Signature::from_bytes(signature.as_bytes()) {
        Ok(sig) => sig,
        Err(e) => return Verdict::Invalid(format!("signature is not usable: {e}")),
    };
    if signature.verify(&pubkey, root.as_slice()) {
        Verdict::Valid
    } else {
        Verdict::Invalid("the signature does not verify for this key and domain".into())
    }
}
