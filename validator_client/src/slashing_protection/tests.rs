use super::*;

struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "blindfold-vc-unit-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pk(byte: u8) -> PublicKeyBytes {
    PublicKeyBytes([byte; 48])
}

fn root(byte: u8) -> Root {
    Root::repeat_byte(byte)
}

fn db(label: &str) -> (TempDir, SlashingDatabase) {
    let dir = TempDir::new(label);
    let db = SlashingDatabase::open_in_datadir(&dir.0).unwrap();
    (dir, db)
}

#[test]
fn blocks_double_proposals_are_refused_repeats_allowed() {
    let (_dir, db) = db("blocks");
    assert_eq!(
        db.check_and_record_block(&pk(1), 5, root(1)).unwrap(),
        Safe::Valid
    );
    assert_eq!(
        db.check_and_record_block(&pk(1), 5, root(1)).unwrap(),
        Safe::SameData
    );
    assert!(matches!(
        db.check_and_record_block(&pk(1), 5, root(2)),
        Err(NotSafe::DoubleBlockProposal { slot: 5, .. })
    ));
    // A zero root is "unknown": never a repeat.
    assert!(db.check_and_record_block(&pk(1), 5, Root::ZERO).is_err());
    // Other validators and other slots are independent; lower slots are not slashable.
    db.check_and_record_block(&pk(2), 5, root(2)).unwrap();
    db.check_and_record_block(&pk(1), 6, root(3)).unwrap();
    db.check_and_record_block(&pk(1), 4, root(4)).unwrap();
}

#[test]
fn attestations_double_and_surround_votes_are_refused() {
    let (_dir, db) = db("attestations");
    let v = pk(1);
    db.check_and_record_attestation(&v, 10, 20, root(1))
        .unwrap();
    assert_eq!(
        db.check_and_record_attestation(&v, 10, 20, root(1))
            .unwrap(),
        Safe::SameData
    );
    assert!(matches!(
        db.check_and_record_attestation(&v, 10, 20, root(2)),
        Err(NotSafe::DoubleVote {
            target_epoch: 20,
            ..
        })
    ));
    assert!(matches!(
        db.check_and_record_attestation(&v, 11, 20, root(2)),
        Err(NotSafe::DoubleVote { .. })
    ));
    assert!(matches!(
        db.check_and_record_attestation(&v, 9, 21, root(2)),
        Err(NotSafe::SurroundsExisting {
            existing_source: 10,
            existing_target: 20
        })
    ));
    assert!(matches!(
        db.check_and_record_attestation(&v, 11, 19, root(2)),
        Err(NotSafe::SurroundedByExisting {
            existing_source: 10,
            existing_target: 20
        })
    ));
    assert!(matches!(
        db.check_and_record_attestation(&v, 8, 7, root(2)),
        Err(NotSafe::SourceAfterTarget { .. })
    ));
    // Not slashable: same source, later target; earlier non-overlapping votes; sharing a boundary.
    db.check_and_record_attestation(&v, 10, 21, root(3))
        .unwrap();
    db.check_and_record_attestation(&v, 2, 3, root(4)).unwrap();
    db.check_and_record_attestation(&v, 21, 22, root(5))
        .unwrap();
    db.check_and_record_attestation(&v, 3, 10, root(6)).unwrap();
    // The extreme epochs do not overflow.
    db.check_and_record_attestation(&pk(2), u64::MAX, u64::MAX, root(7))
        .unwrap();
    db.check_and_record_attestation(&pk(2), 0, 0, root(8))
        .unwrap();
    assert!(db
        .check_and_record_attestation(&pk(2), 0, u64::MAX - 1, root(9))
        .is_ok());
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let (dir, _db) = db("in-use");
    let err = SlashingDatabase::open_in_datadir(&dir.0).unwrap_err();
    assert!(matches!(err, DbError::InUse { .. }), "{err}");
}

#[test]
fn records_survive_a_reopen() {
    let dir = TempDir::new("reopen");
    {
        let db = SlashingDatabase::open_in_datadir(&dir.0).unwrap();
        db.check_and_record_block(&pk(1), 5, root(1)).unwrap();
        db.check_and_record_attestation(&pk(1), 1, 2, root(1))
            .unwrap();
    }
    let db = SlashingDatabase::open_in_datadir(&dir.0).unwrap();
    assert!(db.check_and_record_block(&pk(1), 5, root(2)).is_err());
    assert!(db
        .check_and_record_attestation(&pk(1), 1, 2, root(2))
        .is_err());
}

#[test]
fn corrupt_rows_and_other_schemas_are_typed_errors() {
    let (_dir, db) = db("corrupt");
    {
        let txn = db.db.begin_write().unwrap();
        txn.open_table(BLOCKS)
            .unwrap()
            .insert((pk(1).as_bytes().as_slice(), 5), [1u8; 7].as_slice())
            .unwrap();
        txn.open_table(ATTESTATIONS)
            .unwrap()
            .insert((pk(1).as_bytes().as_slice(), 9), [1u8; 3].as_slice())
            .unwrap();
        txn.open_table(WATERMARKS)
            .unwrap()
            .insert(
                pk(2).as_bytes().as_slice(),
                [7u8; Watermarks::LEN].as_slice(),
            )
            .unwrap();
        txn.commit().unwrap();
    }
    let corrupt =
        |r: Result<Safe, NotSafe>| matches!(r, Err(NotSafe::Database(DbError::Corrupt(_))));
    assert!(corrupt(db.check_and_record_block(&pk(1), 5, root(1))));
    assert!(corrupt(db.check_and_record_attestation(
        &pk(1),
        9,
        9,
        root(1)
    )));
    assert!(corrupt(db.check_and_record_attestation(
        &pk(1),
        1,
        10,
        root(1)
    )));
    assert!(corrupt(db.check_and_record_block(&pk(2), 5, root(1))));
    assert!(matches!(
        db.export_interchange(Root::ZERO),
        Err(InterchangeError::Database(DbError::Corrupt(_)))
    ));

    let txn = db.db.begin_write().unwrap();
    txn.open_table(META)
        .unwrap()
        .insert(SCHEMA_VERSION_KEY, SCHEMA_VERSION + 1)
        .unwrap();
    txn.commit().unwrap();
    let path = db.path().to_path_buf();
    drop(db);
    assert!(matches!(
        SlashingDatabase::open(&path),
        Err(DbError::SchemaVersion { found }) if found == SCHEMA_VERSION + 1
    ));
}

#[test]
fn watermarks_round_trip() {
    for w in [
        Watermarks::default(),
        Watermarks {
            block_slot: Some(0),
            source_epoch: None,
            target_epoch: Some(u64::MAX),
        },
    ] {
        assert_eq!(Watermarks::decode(&w.encode()).unwrap(), w);
    }
    assert!(Watermarks::decode(&[0; 5]).is_err());
}
