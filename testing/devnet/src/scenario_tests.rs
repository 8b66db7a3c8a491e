//! The scenario format: the documented example, mistakes named in one line, the shipped files.

use super::*;

#[test]
fn the_documented_example_parses() {
    let s = Scenario::from_toml(
        r#"
        name = "relay-a withholds"
        epochs = 6
        fork_epochs = "1,2,3"
        [[action]]
        slot = 12
        target = "relay-a"
        set_faults = { withhold_payload = true, get_header_delay_ms = 1500 }
        [[action]]
        slot = 20
        target = "bn"
        restart = true
        [[expect]]
        slot = 20
        source = "local"
        [[expect]]
        after_epoch = 1
        builder = "relay-a"
        state = "disabled"
        reason = "withheld"
        [[expect]]
        finalized_epoch_at_least = 3
        [[expect]]
        from_slot = 10
        to_slot = 20
        source = "builder"
        at_least = 2
        [[expect]]
        source = "relay-b"
        at_least = 1
        [[expect]]
        missed_slots_at_most = 1
        "#,
        "x",
    )
    .unwrap();
    assert_eq!(s.name, "relay-a withholds");
    assert_eq!(s.epochs, Some(6));
    assert_eq!(s.actions.len(), 2);
    assert_eq!(
        s.actions[0].op,
        Op::SetFaults(serde_json::json!({"withhold_payload": true, "get_header_delay_ms": 1500}))
    );
    assert_eq!(s.actions[1].target, Target::Bn);
    assert_eq!(s.expectations.len(), 6);
    assert_eq!(
        s.expectations[1].to_string(),
        "relay-a disabled after epoch 1 (withheld)"
    );
    assert_eq!(s.expectations[1].last_slot(), Some(16));
}

#[test]
fn mistakes_are_one_line_naming_them() {
    let cases = [
        (
            "[[action]]\nslot = 1\ntarget = \"relay-c\"\nkill = true",
            "relay-c",
        ),
        (
            "[[action]]\nslot = 1\ntarget = \"bn\"\nreset_faults = true",
            "no fault switches",
        ),
        (
            "[[action]]\nslot = 1\ntarget = \"el\"\nkill = true",
            "not killed",
        ),
        ("[[action]]\nslot = 1\ntarget = \"bn\"", "exactly one"),
        (
            "[[action]]\nslot = 1\ntarget = \"bn\"\nkill = true\nrestart = true",
            "exactly one",
        ),
        ("[[expect]]\nslot = 3", "needs a source"),
        ("[[expect]]\nslot = 3\nsource = \"mev\"", "mev"),
        (
            "[[expect]]\nfrom_slot = 3\nsource = \"local\"",
            "go together",
        ),
        (
            "[[expect]]\nafter_epoch = 3\nbuilder = \"relay-a\"\nstate = \"off\"",
            "off",
        ),
        (
            "[[expect]]\nslot = 3\nsource = \"local\"\nfinalized_epoch_at_least = 2",
            "one of",
        ),
        ("[[expect]]\nfinalized_epoch_at_least = -1", "expect"),
        ("[[expect]]\nbogus = 1", "bogus"),
        ("fork_epochs = \"3,2,1\"", "fork_epochs"),
        ("epochs = \"six\"", "epochs"),
        ("[[action]\nslot = 1", ""),
    ];
    for (text, needle) in cases {
        let error = Scenario::from_toml(text, "t").unwrap_err();
        assert!(!error.contains('\n'), "{error:?} spans lines");
        assert!(error.contains(needle), "{error:?} lacks {needle:?}");
    }
}

#[test]
fn every_shipped_scenario_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names = Vec::new();
    for dir in [dir.clone(), dir.join("faults")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let scenario = Scenario::from_file(&path).unwrap();
                assert!(!scenario.expectations.is_empty(), "{}", path.display());
                names.push(scenario.name);
            }
        }
    }
    names.sort();
    let faults = [
        "bad-signature",
        "fee-recipient",
        "header-5xx",
        "header-timeout",
        "invalid-payload",
        "malformed-json",
        "mismatched-payload",
        "no-bid",
        "withheld-after-signing",
        "wrong-gas-limit",
        "wrong-parent-hash",
        "wrong-prev-randao",
        "wrong-pubkey",
        "wrong-timestamp",
        "wrong-withdrawals-root",
        "zero-value",
    ]
    .map(|f| format!("fault-{f}"));
    let mut expected: Vec<String> = [
        "circuit-breaker",
        "fault-matrix",
        "full-payload-builders",
        "happy",
        "invalid-payload",
        "kill-9",
        "relay-delay",
        "restarts",
        "withheld",
    ]
    .map(String::from)
    .into_iter()
    .chain(faults)
    .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn the_matrix_includes_every_fault_at_its_own_slots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let matrix = Scenario::from_file(&dir.join("fault-matrix.toml")).unwrap();
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(dir.join("faults")).unwrap() {
        parts.push(Scenario::from_file(&entry.unwrap().path()).unwrap());
    }
    assert_eq!(parts.len(), 16);
    let slot_bound = |s: &Scenario| {
        s.expectations
            .iter()
            .filter(|x| x.last_slot().is_some())
            .count()
    };
    assert_eq!(
        matrix.actions.len(),
        parts.iter().map(|p| p.actions.len()).sum::<usize>()
    );
    // The included files' slot-bound expectations, and the matrix's own run-wide ones only.
    let own = 3;
    assert_eq!(
        matrix.expectations.len(),
        parts.iter().map(slot_bound).sum::<usize>() + own
    );
    assert_eq!(matrix.bn_args, ["--builder-withhold-penalty-epochs", "1"]);
    // No two cases switch faults at the same slots.
    let mut windows: Vec<(u64, u64, String)> = parts
        .iter()
        .map(|p| {
            let slots = p.actions.iter().map(|a| a.slot);
            (
                slots.clone().min().unwrap(),
                slots.max().unwrap(),
                p.name.clone(),
            )
        })
        .collect();
    windows.sort();
    for pair in windows.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "{pair:?} overlap");
    }
    let last = windows.last().unwrap().1;
    assert!(last < matrix.epochs.unwrap() * SLOTS_PER_EPOCH, "{last}");
}

#[test]
fn includes_restarts_and_new_expectations_parse_and_are_checked() {
    let s = Scenario::from_toml(
        r#"
        bn_args = ["--builder-fallback-skips", "1"]
        [restarts]
        count = 3
        from_slot = 8
        to_slot = 16
        seed = 5
        [[action]]
        slot = 4
        at_ms = 700
        target = "vc"
        restart = true
        [[expect]]
        from_slot = 2
        to_slot = 3
        builder = "relay-a"
        counter = "rejections.zero_value"
        [[expect]]
        from_slot = 2
        to_slot = 3
        source = "missed"
        at_most = 0
        [[expect]]
        from_slot = 2
        to_slot = 3
        source = "local"
        reason = "circuit breaker"
        [[expect]]
        finality_never_decreases = true
        [[expect]]
        no_double_signing = true
        "#,
        "t",
    )
    .unwrap();
    assert_eq!(s.bn_args, ["--builder-fallback-skips", "1"]);
    assert_eq!(s.actions[0].at_ms, Some(700));
    let r = s.restarts.as_ref().unwrap();
    assert_eq!((r.count, r.seed, r.targets.len()), (3, Some(5), 2));
    assert_eq!(
        s.expectations[0].to_string(),
        "relay-a rejections.zero_value up by at least 1 over slots 2..=3"
    );
    assert_eq!(
        s.expectations[1].to_string(),
        "at most 0 of slots 2..=3 from missed"
    );
    assert_eq!(s.expectations[3], Expectation::FinalityNeverDecreases);
    assert_eq!(s.expectations[4], Expectation::NoDoubleSigning);
    for (text, needle) in [
        ("include = [\"x\"]", "only a scenario file"),
        ("[restarts]\ncount = 0\nfrom_slot = 1\nto_slot = 2", "count"),
        ("[restarts]\ncount = 5\nfrom_slot = 1\nto_slot = 2", "kills need"),
        (
            "[restarts]\ncount = 1\nfrom_slot = 1\nto_slot = 2\ntargets = [\"el\"]",
            "not killed",
        ),
        (
            "[[expect]]\nno_double_signing = true\nslot = 3",
            "a check of its own",
        ),
        (
            "[[expect]]\nfrom_slot = 1\nto_slot = 2\nbuilder = \"relay-a\"\ncounter = \"x\"\nsource = \"local\"",
            "source does not belong",
        ),
        (
            "[[expect]]\nfrom_slot = 1\nto_slot = 2\nsource = \"local\"\nat_least = 1\nat_most = 2",
            "one of them",
        ),
    ] {
        let error = Scenario::from_toml(text, "t").unwrap_err();
        assert!(error.contains(needle), "{error:?} lacks {needle:?}");
    }
}

#[test]
fn sources_match_recorded_names() {
    assert!(SourceMatch::Builder.matches("relay-b"));
    assert!(SourceMatch::Builder.matches("builder"));
    assert!(!SourceMatch::Builder.matches("local"));
    assert!(SourceMatch::Relay("relay-a".into()).matches("relay-a"));
    assert!(!SourceMatch::Relay("relay-a".into()).matches("relay-b"));
    assert!(SourceMatch::Missed.matches("missed"));
}

#[test]
fn the_default_expects_finality_only_on_long_runs() {
    assert_eq!(Scenario::default_for(3).expectations.len(), 2);
    assert!(Scenario::default_for(6)
        .expectations
        .contains(&Expectation::FinalizedEpochAtLeast(3)));
}
