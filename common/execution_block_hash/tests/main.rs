//! Checks block hashes (and the trie roots behind them) against the shared vectors.

use std::path::PathBuf;

use serde_json::Value;

/// `shared/vectors`, beside the repository; panics naming the path if it is missing.
fn vectors_dir(sub: &str) -> PathBuf {
    let base = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors"
    ));
    let dir = base.join(sub);
    assert!(
        dir.is_dir(),
        "test vectors folder missing: {}",
        dir.display()
    );
    dir
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON in {}: {e}", path.display()))
}

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("field {key} missing or not a string"))
}

fn parse<T: std::str::FromStr>(v: &Value, key: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    let s = str_field(v, key);
    s.parse()
        .unwrap_or_else(|e| panic!("field {key} = {s}: {e:?}"))
}

fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).unwrap_or_else(|e| panic!("bad hex {s}: {e}"))
}

/// Hive JSON-RPC fixtures: full blocks from `eth_getBlockBy*`, from London to Prague.
mod execution_apis {
    use super::*;
    use alloy_primitives::{Address, B256, U256};
    use execution_block_hash::{ordered_trie_root, withdrawals_root, ExecutionBlockHeader};

    fn quantity(v: &Value, key: &str) -> u64 {
        let s = str_field(v, key);
        u64::from_str_radix(s.trim_start_matches("0x"), 16)
            .unwrap_or_else(|e| panic!("field {key} = {s}: {e}"))
    }

    fn optional<T>(v: &Value, key: &str, f: impl Fn(&Value, &str) -> T) -> Option<T> {
        v.get(key).map(|_| f(v, key))
    }

    fn header(b: &Value) -> ExecutionBlockHeader {
        ExecutionBlockHeader {
            parent_hash: parse(b, "parentHash"),
            ommers_hash: parse(b, "sha3Uncles"),
            beneficiary: parse(b, "miner"),
            state_root: parse(b, "stateRoot"),
            transactions_root: parse(b, "transactionsRoot"),
            receipts_root: parse(b, "receiptsRoot"),
            logs_bloom: parse(b, "logsBloom"),
            difficulty: parse(b, "difficulty"),
            number: quantity(b, "number"),
            gas_limit: quantity(b, "gasLimit"),
            gas_used: quantity(b, "gasUsed"),
            timestamp: quantity(b, "timestamp"),
            extra_data: parse(b, "extraData"),
            mix_hash: parse(b, "mixHash"),
            nonce: parse(b, "nonce"),
            base_fee_per_gas: optional(b, "baseFeePerGas", parse::<U256>),
            withdrawals_root: optional(b, "withdrawalsRoot", parse::<B256>),
            blob_gas_used: optional(b, "blobGasUsed", quantity),
            excess_blob_gas: optional(b, "excessBlobGas", quantity),
            parent_beacon_block_root: optional(b, "parentBeaconBlockRoot", parse::<B256>),
            requests_hash: optional(b, "requestsHash", parse::<B256>),
        }
    }

    #[test]
    fn block_hashes_match_fixtures() {
        let dir = vectors_dir("el-block-hash/execution-apis-fixtures");
        let (mut hashes, mut tx_roots, mut wd_roots, mut skipped) = (0, 0, 0, 0);
        for method in ["eth_getBlockByNumber", "eth_getBlockByHash"] {
            let mut files: Vec<_> = std::fs::read_dir(dir.join(method))
                .unwrap_or_else(|e| panic!("cannot list {}/{method}: {e}", dir.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "io"))
                .collect();
            files.sort();
            for path in files {
                let name = path.display();
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter_map(|l| l.strip_prefix("<<")) {
                    let response: Value = serde_json::from_str(line.trim())
                        .unwrap_or_else(|e| panic!("{name}: bad response JSON: {e}"));
                    let block = &response["result"];
                    if !block.is_object() {
                        skipped += 1; // not-found responses: `result` is null
                        continue;
                    }
                    let header = header(block);
                    let expected: B256 = parse(block, "hash");
                    assert_eq!(header.hash().unwrap(), expected, "{name}: block hash");
                    hashes += 1;

                    // Raw transactions let us check the root; hashes or objects (RPC forms) do not.
                    let txs = block["transactions"].as_array().expect("transactions");
                    let raw: Option<Vec<Vec<u8>>> = txs
                        .iter()
                        .map(|t| t.get("raw").and_then(Value::as_str).map(hex_bytes))
                        .collect();
                    match raw {
                        Some(raw) => {
                            assert_eq!(
                                ordered_trie_root(&raw),
                                header.transactions_root,
                                "{name}: transactions root"
                            );
                            tx_roots += 1;
                        }
                        None => skipped += 1,
                    }

                    if let Some(withdrawals) = block.get("withdrawals").and_then(Value::as_array) {
                        let withdrawals: Vec<_> = withdrawals
                            .iter()
                            .map(|w| {
                                let address: Address = parse(w, "address");
                                let index = quantity(w, "index");
                                (
                                    index,
                                    quantity(w, "validatorIndex"),
                                    address,
                                    quantity(w, "amount"),
                                )
                            })
                            .collect();
                        assert_eq!(
                            Some(withdrawals_root(&withdrawals)),
                            header.withdrawals_root,
                            "{name}: withdrawals root"
                        );
                        wd_roots += 1;
                    }
                }
            }
        }
        println!(
            "execution-apis fixtures: {hashes} block hashes, {tx_roots} transactions roots, \
             {wd_roots} withdrawals roots passed; {skipped} skipped (no block, or no raw txs)"
        );
        assert!(hashes > 0 && wd_roots > 0, "no fixture block was checked");
    }
}

/// go-boost-utils' `TestComputeHash`: beacon-API JSON payloads for Bellatrix, Capella, Deneb.
mod go_boost_utils {
    use super::*;
    use alloy_primitives::{Address, B256, U256};
    use execution_block_hash::{execution_block_hash, PayloadFields, Withdrawal};

    fn expected_hashes() -> Vec<(String, B256, Option<B256>)> {
        let path = vectors_dir("relay-captures/go-boost-utils").join("EXPECTED.json");
        let expected = read_json(&path);
        let asserts = &expected["files"]
            ["testdata/executionpayload/{bellatrix,capella,deneb}-case0.json"]["go_test_asserts"]
            ["utils/utils_test.go TestComputeHash (EL block hash = keccak(rlp(header)))"];
        let asserts = asserts
            .as_object()
            .unwrap_or_else(|| panic!("{}: no TestComputeHash", path.display()));
        asserts
            .iter()
            .map(|(key, hash)| {
                // Keys are `<file>` or `<file> (parent_beacon_block_root=0x..)`.
                let (file, root) = match key.split_once(" (parent_beacon_block_root=") {
                    Some((file, rest)) => (file, Some(rest.trim_end_matches(')').parse().unwrap())),
                    None => (key.as_str(), None),
                };
                (
                    file.to_string(),
                    hash.as_str().unwrap().parse().unwrap(),
                    root,
                )
            })
            .collect()
    }

    fn decimal(v: &Value, key: &str) -> u64 {
        parse(v, key)
    }

    #[test]
    fn block_hashes_match_go_boost_utils() {
        let dir = vectors_dir("el-block-hash/go-boost-utils-executionpayload");
        let mut passed = 0;
        for (file, expected, parent_beacon_block_root) in expected_hashes() {
            let p = read_json(&dir.join(&file));
            let txs: Vec<Vec<u8>> = p["transactions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| hex_bytes(t.as_str().unwrap()))
                .collect();
            let txs: Vec<&[u8]> = txs.iter().map(Vec::as_slice).collect();
            let withdrawals: Option<Vec<Withdrawal>> = p.get("withdrawals").map(|ws| {
                ws.as_array()
                    .unwrap()
                    .iter()
                    .map(|w| {
                        let address: Address = parse(w, "address");
                        (
                            decimal(w, "index"),
                            decimal(w, "validator_index"),
                            address,
                            decimal(w, "amount"),
                        )
                    })
                    .collect()
            });
            let logs_bloom: [u8; 256] = hex_bytes(str_field(&p, "logs_bloom")).try_into().unwrap();
            let extra_data = hex_bytes(str_field(&p, "extra_data"));
            let fields = PayloadFields {
                parent_hash: parse(&p, "parent_hash"),
                fee_recipient: parse(&p, "fee_recipient"),
                state_root: parse(&p, "state_root"),
                receipts_root: parse(&p, "receipts_root"),
                logs_bloom: &logs_bloom,
                prev_randao: parse(&p, "prev_randao"),
                block_number: decimal(&p, "block_number"),
                gas_limit: decimal(&p, "gas_limit"),
                gas_used: decimal(&p, "gas_used"),
                timestamp: decimal(&p, "timestamp"),
                extra_data: &extra_data,
                base_fee_per_gas: parse::<U256>(&p, "base_fee_per_gas"),
                transactions: &txs,
                withdrawals: withdrawals.as_deref(),
                blob_gas_used: p.get("blob_gas_used").map(|_| decimal(&p, "blob_gas_used")),
                excess_blob_gas: p
                    .get("excess_blob_gas")
                    .map(|_| decimal(&p, "excess_blob_gas")),
                parent_beacon_block_root,
                execution_requests: None,
            };
            let hash = execution_block_hash(&fields).unwrap();
            assert_eq!(hash, expected, "{file}: block hash vs EXPECTED.json");
            assert_eq!(
                hash,
                parse::<B256>(&p, "block_hash"),
                "{file}: block hash vs payload"
            );
            passed += 1;
        }
        println!("go-boost-utils payloads: {passed} block hashes passed, 0 skipped");
        assert_eq!(passed, 3, "expected bellatrix, capella and deneb cases");
    }
}
