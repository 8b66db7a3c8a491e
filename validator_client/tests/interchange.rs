//! Interchange import and export beyond the EIP's vectors: round trips, and typed refusals.

use crate::common::TempDir;
use bls::PublicKeyBytes;
use types::Root;
use validator_client::slashing_protection::{InterchangeError, NotSafe, SlashingDatabase};

fn pubkey(byte: u8) -> PublicKeyBytes {
    PublicKeyBytes([byte; 48])
}

fn root(byte: u8) -> Root {
    Root::repeat_byte(byte)
}

const GVR: Root = Root::repeat_byte(0x11);

#[test]
fn export_then_import_keeps_every_refusal() {
    let (dir_a, dir_b) = (TempDir::new("export-a"), TempDir::new("export-b"));
    let a = SlashingDatabase::open_in_datadir(dir_a.path()).unwrap();
    // Local history for one validator, imported history for another, both for a third.
    a.check_and_record_block(&pubkey(1), 10, root(1)).unwrap();
    a.check_and_record_block(&pubkey(1), 12, root(2)).unwrap();
    a.check_and_record_attestation(&pubkey(1), 3, 4, root(3))
        .unwrap();
    a.check_and_record_attestation(&pubkey(1), 4, 5, root(4))
        .unwrap();
    let imported = format!(
        r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"{GVR:?}"}},
        "data":[{{"pubkey":"{}","signed_blocks":[{{"slot":"100"}}],
                  "signed_attestations":[{{"source_epoch":"20","target_epoch":"21"}}]}},
                {{"pubkey":"{}","signed_blocks":[{{"slot":"7"}}],"signed_attestations":[]}}]}}"#,
        pubkey(2),
        pubkey(3)
    );
    a.import(imported.as_bytes(), GVR).unwrap();
    a.check_and_record_block(&pubkey(3), 8, root(5)).unwrap();

    let mut exported = Vec::new();
    a.export(&mut exported, GVR).unwrap();
    let b = SlashingDatabase::open_in_datadir(dir_b.path()).unwrap();
    let summary = b.import(exported.as_slice(), GVR).unwrap();
    assert_eq!(summary.validators, 3);

    for db in [&a, &b] {
        assert!(db.check_and_record_block(&pubkey(1), 12, root(9)).is_err());
        assert!(db.check_and_record_block(&pubkey(2), 100, root(9)).is_err());
        assert!(db.check_and_record_block(&pubkey(3), 8, root(9)).is_err());
        assert!(db
            .check_and_record_attestation(&pubkey(1), 4, 5, root(9))
            .is_err());
        assert!(db
            .check_and_record_attestation(&pubkey(1), 2, 6, root(9))
            .is_err());
        assert!(db
            .check_and_record_attestation(&pubkey(2), 19, 22, root(9))
            .is_err());
        assert!(db
            .check_and_record_attestation(&pubkey(2), 20, 21, root(9))
            .is_err());
        // And what is safe stays signable.
        db.check_and_record_block(&pubkey(2), 101, root(9)).unwrap();
        db.check_and_record_attestation(&pubkey(2), 21, 22, root(9))
            .unwrap();
    }
    // Exported twice, the document is the same: export is deterministic.
    let (mut first, mut second) = (Vec::new(), Vec::new());
    b.export(&mut first, GVR).unwrap();
    b.export(&mut second, GVR).unwrap();
    assert_eq!(first, second);
}

#[test]
fn an_interchange_for_another_network_is_refused_clearly() {
    let dir = TempDir::new("gvr");
    let db = SlashingDatabase::open_in_datadir(dir.path()).unwrap();
    let doc = format!(
        r#"{{"metadata":{{"interchange_format_version":"5","genesis_validators_root":"{:?}"}},"data":[
            {{"pubkey":"{}","signed_blocks":[{{"slot":"5"}}],"signed_attestations":[]}}]}}"#,
        root(0x22),
        pubkey(1)
    );
    let err = db.import(doc.as_bytes(), GVR).unwrap_err();
    assert!(
        matches!(err, InterchangeError::GenesisValidatorsRootMismatch { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("another network"), "{err}");
    // Nothing was imported.
    db.check_and_record_block(&pubkey(1), 5, root(1)).unwrap();
}

#[test]
fn malformed_interchanges_are_typed_errors() {
    let dir = TempDir::new("malformed");
    let db = SlashingDatabase::open_in_datadir(dir.path()).unwrap();
    let meta = format!(
        r#""metadata":{{"interchange_format_version":"5","genesis_validators_root":"{GVR:?}"}}"#
    );
    let cases = [
        "not json".to_string(),
        "{}".to_string(),
        format!(r#"{{{meta},"data":[{{"pubkey":"0x1234","signed_blocks":[]}}]}}"#),
        format!(
            r#"{{{meta},"data":[{{"pubkey":"{}","signed_blocks":[{{"slot":"-1"}}]}}]}}"#,
            pubkey(1)
        ),
        format!(
            r#"{{{meta},"data":[{{"pubkey":"{}","signed_blocks":[{{"slot":"1","signing_root":"0x12"}}]}}]}}"#,
            pubkey(1)
        ),
        format!(
            r#"{{{meta},"data":[{{"pubkey":"{}","signed_attestations":[{{"source_epoch":"1"}}]}}]}}"#,
            pubkey(1)
        ),
    ];
    for doc in &cases {
        match db.import(doc.as_bytes(), GVR) {
            Err(InterchangeError::Json(_)) => {}
            other => panic!("{doc}: {other:?}"),
        }
    }
    let v4 = format!(
        r#"{{"metadata":{{"interchange_format_version":"4","genesis_validators_root":"{GVR:?}"}},"data":[]}}"#
    );
    assert!(matches!(
        db.import(v4.as_bytes(), GVR),
        Err(InterchangeError::UnsupportedVersion(4))
    ));
    // The database is untouched and still works.
    assert!(db.check_and_record_block(&pubkey(1), 1, root(1)).is_ok());
    assert!(matches!(
        db.check_and_record_block(&pubkey(1), 1, root(2)),
        Err(NotSafe::DoubleBlockProposal { .. })
    ));
}
