use super::*;
use crate::keys::interop_keys;
use bls::{PublicKey, Signature};
use std::path::PathBuf;
use types::{Checkpoint, MinimalEthSpec, SignedRoot};

type E = MinimalEthSpec;

struct Fixture {
    dir: PathBuf,
    store: ValidatorStore<E>,
    spec: Arc<ChainSpec>,
    pubkey: PublicKeyBytes,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(label: &str) -> Fixture {
    let dir =
        std::env::temp_dir().join(format!("blindfold-vc-store-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = SlashingDatabase::open_in_datadir(&dir).unwrap();
    let spec = Arc::new(ChainSpec::minimal());
    let store = ValidatorStore::<E>::new(interop_keys(0..2), db, spec.clone()).unwrap();
    let pubkey = *interop_keys(0..1)[0].pubkey();
    Fixture {
        dir,
        store,
        spec,
        pubkey,
    }
}

fn fork_info(spec: &ChainSpec, current: [u8; 4]) -> ForkInfo {
    ForkInfo {
        fork: Fork {
            previous_version: spec.capella_fork_version,
            current_version: current,
            epoch: 3,
        },
        genesis_validators_root: Root::repeat_byte(0x77),
    }
}

fn verifies(signature: SignatureBytes, pubkey: &PublicKeyBytes, signing_root: Root) -> bool {
    let signature = Signature::try_from(&signature).unwrap();
    let pubkey = PublicKey::try_from(pubkey).unwrap();
    signature.verify(&pubkey, signing_root.as_slice())
}

fn attestation(source: Epoch, target: Epoch) -> AttestationData {
    AttestationData {
        slot: target * 8,
        index: 0,
        beacon_block_root: Root::repeat_byte(1),
        source: Checkpoint {
            epoch: source,
            root: Root::repeat_byte(2),
        },
        target: Checkpoint {
            epoch: target,
            root: Root::repeat_byte(3),
        },
    }
}

#[test]
fn blocks_are_signed_once_under_the_proposer_domain_of_their_epoch() {
    let f = fixture("blocks");
    let fork = fork_info(&f.spec, f.spec.deneb_fork_version);
    let header = |slot, byte| BeaconBlockHeader {
        slot,
        proposer_index: 0,
        parent_root: Root::repeat_byte(byte),
        state_root: Root::ZERO,
        body_root: Root::ZERO,
    };
    // Slot 17 is epoch 2 (minimal: 8 slots), before the fork at epoch 3: the previous version.
    let block = header(17, 1);
    let signature = f.store.sign_block(&f.pubkey, &block, &fork).unwrap();
    let domain = get_domain(
        &fork.fork,
        DOMAIN_BEACON_PROPOSER,
        2,
        fork.genesis_validators_root,
    );
    assert_eq!(
        domain,
        compute_domain(
            DOMAIN_BEACON_PROPOSER,
            f.spec.capella_fork_version,
            fork.genesis_validators_root
        )
    );
    assert!(verifies(signature, &f.pubkey, block.signing_root(domain)));
    // The same block again: the same signature. Another block at the slot: refused.
    assert_eq!(
        f.store.sign_block(&f.pubkey, &block, &fork).unwrap(),
        signature
    );
    assert!(matches!(
        f.store.sign_block(&f.pubkey, &header(17, 2), &fork),
        Err(SignError::NotSafe(NotSafe::DoubleBlockProposal {
            slot: 17,
            ..
        }))
    ));
    // Another validator's block at the slot is its own business.
    let other = *interop_keys(1..2)[0].pubkey();
    f.store.sign_block(&other, &header(17, 2), &fork).unwrap();
}

#[test]
fn attestations_go_through_slashing_protection() {
    let f = fixture("attestations");
    let fork = fork_info(&f.spec, f.spec.deneb_fork_version);
    let data = attestation(4, 5);
    let signature = f.store.sign_attestation(&f.pubkey, &data, &fork).unwrap();
    let domain = fork.domain(DOMAIN_BEACON_ATTESTER, 5);
    assert!(verifies(signature, &f.pubkey, data.signing_root(domain)));
    let mut conflicting = data.clone();
    conflicting.beacon_block_root = Root::repeat_byte(9);
    assert!(matches!(
        f.store.sign_attestation(&f.pubkey, &conflicting, &fork),
        Err(SignError::NotSafe(NotSafe::DoubleVote { .. }))
    ));
    assert!(matches!(
        f.store
            .sign_attestation(&f.pubkey, &attestation(3, 6), &fork),
        Err(SignError::NotSafe(NotSafe::SurroundsExisting { .. }))
    ));
}

#[test]
fn unknown_validators_sign_nothing_and_record_nothing() {
    let f = fixture("unknown");
    let fork = fork_info(&f.spec, f.spec.deneb_fork_version);
    let stranger = PublicKeyBytes([7; 48]);
    assert!(matches!(
        f.store
            .sign_attestation(&stranger, &attestation(1, 2), &fork),
        Err(SignError::UnknownValidator(_))
    ));
    assert!(matches!(
        f.store.randao_reveal(&stranger, 1, &fork),
        Err(SignError::UnknownValidator(_))
    ));
    // Nothing was recorded for it.
    f.store
        .slashing_protection()
        .check_and_record_attestation(&stranger, 1, 2, Root::repeat_byte(5))
        .unwrap();
}

#[test]
fn the_other_messages_use_their_domains() {
    let f = fixture("domains");
    let fork = fork_info(&f.spec, f.spec.deneb_fork_version);
    let pk = &f.pubkey;

    let sig = f.store.randao_reveal(pk, 4, &fork).unwrap();
    assert!(verifies(
        sig,
        pk,
        4u64.signing_root(fork.domain(DOMAIN_RANDAO, 4))
    ));

    let sig = f.store.selection_proof(pk, 33, &fork).unwrap();
    assert!(verifies(
        sig,
        pk,
        33u64.signing_root(fork.domain(DOMAIN_SELECTION_PROOF, 4))
    ));

    let block_root = Root::repeat_byte(0xab);
    let sig = f
        .store
        .sync_committee_signature(pk, 33, block_root, &fork)
        .unwrap();
    assert!(verifies(
        sig,
        pk,
        block_root.signing_root(fork.domain(DOMAIN_SYNC_COMMITTEE, 4))
    ));

    let selection = SyncAggregatorSelectionData {
        slot: 33,
        subcommittee_index: 2,
    };
    let sig = f.store.sync_selection_proof(pk, &selection, &fork).unwrap();
    let domain = fork.domain(DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF, 4);
    assert!(verifies(sig, pk, selection.signing_root(domain)));

    // Any aggregate-and-proof shape: here a stand-in container with a root.
    let aggregate = attestation(1, 2);
    let sig = f
        .store
        .sign_aggregate_and_proof(pk, &aggregate, 16, &fork)
        .unwrap();
    let domain = fork.domain(DOMAIN_AGGREGATE_AND_PROOF, 2);
    assert!(verifies(sig, pk, aggregate.signing_root(domain)));

    let registration = ValidatorRegistrationV1 {
        gas_limit: 36_000_000,
        timestamp: 1_700_000_000,
        pubkey: *pk,
        ..Default::default()
    };
    let sig = f.store.sign_validator_registration(&registration).unwrap();
    assert!(verifies(
        sig,
        pk,
        registration.signing_root(f.spec.builder_domain())
    ));
}

#[test]
fn exits_use_the_capella_version_from_deneb_on() {
    let f = fixture("exits");
    let exit = VoluntaryExit {
        epoch: 5,
        validator_index: 0,
    };
    let deneb = fork_info(&f.spec, f.spec.deneb_fork_version);
    let sig = f
        .store
        .sign_voluntary_exit(&f.pubkey, &exit, &deneb)
        .unwrap();
    let capella_domain = compute_domain(
        DOMAIN_VOLUNTARY_EXIT,
        f.spec.capella_fork_version,
        deneb.genesis_validators_root,
    );
    assert!(verifies(sig, &f.pubkey, exit.signing_root(capella_domain)));
    // On Capella itself: the fork at the exit's epoch (here the current version).
    let capella = ForkInfo {
        fork: Fork {
            previous_version: f.spec.bellatrix_fork_version,
            current_version: f.spec.capella_fork_version,
            epoch: 6,
        },
        ..deneb
    };
    let sig = f
        .store
        .sign_voluntary_exit(&f.pubkey, &exit, &capella)
        .unwrap();
    let domain = capella.domain(DOMAIN_VOLUNTARY_EXIT, 5);
    assert!(verifies(sig, &f.pubkey, exit.signing_root(domain)));
}

#[test]
fn the_same_key_twice_is_refused() {
    let dir = std::env::temp_dir().join(format!("blindfold-vc-store-dup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = SlashingDatabase::open_in_datadir(&dir).unwrap();
    let mut keys = interop_keys(0..2);
    keys.extend(interop_keys(1..2));
    let err = ValidatorStore::<E>::new(keys, db, Arc::new(ChainSpec::minimal()))
        .err()
        .unwrap();
    assert!(matches!(err, KeyError::DuplicatePubkey { .. }), "{err}");
    assert!(err.to_string().contains("interop key 1"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
