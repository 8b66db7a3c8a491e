//! `kill -9` at random moments never leads to a double signature.
//!
//! The parent runs this test binary again as a child ([`kill9_child_signer`]) that signs blocks and
//! attestations in a loop through `ValidatorStore` and prints each signature once it has it. The parent
//! reads those lines, SIGKILLs the child after a random number of them (plus a random few hundred
//! microseconds, so the kill lands anywhere in the loop: inside a commit, between commit and print,
//! ...), then reopens the database and requires every printed (released) signature to be protected:
//! a conflicting block or attestation is refused, a surrounding vote is refused, the same message is
//! allowed again. Then the next round starts a new child on the same database.

use crate::common::TempDir;
use rand::Rng;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use types::{
    AttestationData, BeaconBlockHeader, ChainSpec, Checkpoint, Fork, MinimalEthSpec, Root,
};
use validator_client::keys::interop_keys;
use validator_client::slashing_protection::{NotSafe, Safe, SlashingDatabase};
use validator_client::{ForkInfo, SignError, ValidatorStore};

const CHILD_DB_ENV: &str = "BLINDFOLD_VC_KILL9_DB";
/// `<first block step>,<first attestation step>,<run>`.
const CHILD_START_ENV: &str = "BLINDFOLD_VC_KILL9_START";
const ROUNDS: usize = 12;

fn fork_info(spec: &ChainSpec) -> ForkInfo {
    ForkInfo {
        fork: Fork {
            previous_version: spec.capella_fork_version,
            current_version: spec.capella_fork_version,
            epoch: 0,
        },
        genesis_validators_root: Root::repeat_byte(0x42),
    }
}

/// The attestation the child of run `run` signs at step `n`: source `n`, target `n + 1`, and a block
/// root that differs between runs, so a later child's vote conflicts with an earlier child's.
fn attestation(n: u64, run: u8) -> AttestationData {
    AttestationData {
        slot: n * 8,
        index: 0,
        beacon_block_root: Root::repeat_byte(run),
        source: Checkpoint {
            epoch: n,
            root: Root::repeat_byte(2),
        },
        target: Checkpoint {
            epoch: n + 1,
            root: Root::repeat_byte(3),
        },
    }
}

/// The child: sign from the start step on, printing each released signature. Run only by the parent.
#[test]
#[ignore = "the child process of kill9_never_double_signs"]
fn kill9_child_signer() {
    let (Ok(db_path), Ok(start)) = (std::env::var(CHILD_DB_ENV), std::env::var(CHILD_START_ENV))
    else {
        return;
    };
    let parsed: Vec<u64> = start
        .split(',')
        .map(|s| s.parse().expect("start"))
        .collect();
    let (block_start, attestation_start, run) = (parsed[0], parsed[1], parsed[2] as u8);
    let spec = Arc::new(ChainSpec::minimal());
    let fork_info = fork_info(&spec);
    let db = SlashingDatabase::open(std::path::Path::new(&db_path)).expect("open database");
    let store = ValidatorStore::<MinimalEthSpec>::new(interop_keys(0..1), db, spec).expect("store");
    let pubkey = *store.voting_pubkeys().next().expect("one key");
    println!("READY");
    for n in block_start.min(attestation_start)..1_000_000 {
        // The block root differs between runs too (its parent root names the run).
        let header = BeaconBlockHeader {
            slot: n,
            proposer_index: 0,
            parent_root: Root::repeat_byte(run),
            state_root: Root::from_slice(&[n as u8; 32]),
            body_root: Root::ZERO,
        };
        // A refusal: an earlier child recorded this step and was killed before it printed.
        if n >= block_start {
            match store.sign_block(&pubkey, &header, &fork_info) {
                Ok(signature) => println!("BLOCK {n} {signature}"),
                Err(SignError::NotSafe(NotSafe::DoubleBlockProposal { .. })) => {
                    println!("REFUSED-BLOCK {n}")
                }
                Err(e) => panic!("block {n}: {e}"),
            }
        }
        if n >= attestation_start {
            match store.sign_attestation(&pubkey, &attestation(n, run), &fork_info) {
                Ok(signature) => println!("ATTESTATION {n} {signature}"),
                Err(SignError::NotSafe(NotSafe::DoubleVote { .. })) => {
                    println!("REFUSED-ATTESTATION {n}")
                }
                Err(e) => panic!("attestation {n}: {e}"),
            }
        }
    }
}

/// Kills the child on every exit path, including a failed assertion.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_child(db_path: &std::path::Path, start: &str) -> (ChildGuard, BufReader<ChildStdout>) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "kill9::kill9_child_signer",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB_ENV, db_path)
        .env(CHILD_START_ENV, start)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    (ChildGuard(child), BufReader::new(stdout))
}

/// What the children released, read from their output.
#[derive(Default)]
struct Released {
    /// Steps of released blocks (slot = step).
    blocks: Vec<u64>,
    /// `(step, run)` of released attestations (source = step, target = step + 1).
    attestations: Vec<(u64, u8)>,
    run: u8,
    /// Messages a child found already recorded: an earlier child was killed after the commit and
    /// before it printed (the kill landed in that window).
    recorded_unreleased: usize,
}

impl Released {
    /// Record a line; returns whether it was a signature.
    fn record(&mut self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        let (kind, step) = (words.next(), words.next().and_then(|s| s.parse().ok()));
        match (kind, step) {
            (Some("BLOCK"), Some(n)) => self.blocks.push(n),
            (Some("ATTESTATION"), Some(n)) => self.attestations.push((n, self.run)),
            (Some("REFUSED-BLOCK" | "REFUSED-ATTESTATION"), Some(_)) => {
                self.recorded_unreleased += 1;
                return false;
            }
            _ => return false,
        }
        true
    }
}

#[test]
fn kill9_never_double_signs() {
    let dir = TempDir::new("kill9");
    let db_path = dir.path().join("slashing_protection.redb");
    let spec = ChainSpec::minimal();
    let fork_info = fork_info(&spec);
    let pubkey = *interop_keys(0..1)[0].pubkey();
    let mut rng = rand::thread_rng();
    let mut released = Released::default();

    for round in 0..ROUNDS {
        let kill_after = rng.gen_range(1..60);
        released.run = round as u8 + 1;
        let block_start = released.blocks.iter().max().map_or(1, |n| n + 1);
        let attestation_start = released
            .attestations
            .iter()
            .map(|a| a.0)
            .max()
            .map_or(1, |n| n + 1);
        let start = format!("{block_start},{attestation_start},{}", released.run);
        let (mut child, mut stdout) = spawn_child(&db_path, &start);
        let mut seen = 0;
        let mut line = String::new();
        while seen < kill_after {
            line.clear();
            let read = stdout.read_line(&mut line).expect("read child output");
            assert!(
                read > 0,
                "round {round}: the child exited after {seen} signatures"
            );
            if released.record(&line) {
                seen += 1;
            }
        }
        std::thread::sleep(Duration::from_micros(rng.gen_range(0..800)));
        child.0.kill().expect("SIGKILL the child");
        child.0.wait().expect("reap the child");
        // Signatures the child printed before it died were released too.
        loop {
            line.clear();
            if stdout.read_line(&mut line).expect("drain child output") == 0 {
                break;
            }
            released.record(&line);
        }
        drop(child);

        let db = SlashingDatabase::open(&db_path)
            .unwrap_or_else(|e| panic!("round {round}: database does not open after kill: {e}"));
        check_protected(&db, &pubkey, &fork_info, &released, round);
        drop(db);
    }
    println!(
        "[kill9] {ROUNDS} kills; {} blocks and {} attestations released, none re-signable with \
         another root; {} recorded but killed before release",
        released.blocks.len(),
        released.attestations.len(),
        released.recorded_unreleased
    );
}

/// Every released message is in the database: conflicting ones are refused, the same one is not.
fn check_protected(
    db: &SlashingDatabase,
    pubkey: &bls::PublicKeyBytes,
    fork_info: &ForkInfo,
    released: &Released,
    round: usize,
) {
    use types::{compute_signing_root, DOMAIN_BEACON_ATTESTER};
    let other_root = Root::repeat_byte(0xee);
    for &n in &released.blocks {
        match db.check_and_record_block(pubkey, n, other_root) {
            Err(NotSafe::DoubleBlockProposal { .. }) => {}
            other => panic!("round {round}: a conflicting block at released slot {n}: {other:?}"),
        }
    }
    for &(n, _) in &released.attestations {
        match db.check_and_record_attestation(pubkey, n, n + 1, other_root) {
            Err(NotSafe::DoubleVote { .. }) => {}
            other => panic!(
                "round {round}: a double vote at released target {}: {other:?}",
                n + 1
            ),
        }
    }
    if let Some(&(n, run)) = released.attestations.iter().max() {
        // The same message again is allowed (a restarted client may re-broadcast it)...
        let data = attestation(n, run);
        let domain = fork_info.domain(DOMAIN_BEACON_ATTESTER, data.target.epoch);
        let root = compute_signing_root(&data, domain);
        assert_eq!(
            db.check_and_record_attestation(pubkey, n, n + 1, root)
                .unwrap_or_else(|e| panic!("round {round}: repeat of {n}: {e}")),
            Safe::SameData
        );
        // ...a vote surrounding it is not.
        if n > 0 {
            match db.check_and_record_attestation(pubkey, n - 1, n + 2, other_root) {
                Err(NotSafe::SurroundsExisting { .. }) | Err(NotSafe::DoubleVote { .. }) => {}
                other => panic!("round {round}: a vote surrounding {n}: {other:?}"),
            }
        }
    }
}
