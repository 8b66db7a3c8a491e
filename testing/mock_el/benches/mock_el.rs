//! mock-el throughput: payload building (forkchoiceUpdated with attributes) and newPayload
//! validation (JSON decoding, versioned hashes, header rebuild and block hash), per second, on the
//! chain directly (no HTTP).

use alloy_primitives::{Address, B256};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use engine_api::json::{ForkchoiceStateV1, PayloadAttributes};
use mock_el::{Chain, ChainOptions, Faults, ForkSchedule, Genesis};
use serde_json::{json, Value};
use types::ForkName;

fn chain_with_txs(n: usize) -> Chain {
    let genesis = Genesis {
        schedule: ForkSchedule::all_from(ForkName::Electra),
        ..Genesis::default()
    };
    let mut chain = Chain::new(genesis, ChainOptions::default());
    for i in 0..n {
        // A 120-byte typed transaction, unique per i.
        let mut tx = vec![0x02, 0xf8, 0x75];
        tx.extend(
            (0..117)
                .map(|j| (i * 31 + j) as u8 | 0x01)
                .map(|b| b.min(0x7f)),
        );
        tx[3] = (i % 127) as u8;
        tx[4] = (i / 127) as u8;
        chain.submit_transaction(&tx).expect("accepted");
    }
    chain
}

fn bench(c: &mut Criterion) {
    let faults = Faults::default();
    let mut group = c.benchmark_group("mock_el");
    group.throughput(Throughput::Elements(1));
    for n in [0usize, 200] {
        let mut chain = chain_with_txs(n);
        let g = chain.genesis_hash();
        let state = ForkchoiceStateV1 {
            head_block_hash: g,
            ..Default::default()
        };
        let attrs = PayloadAttributes::new(
            ForkName::Electra,
            12,
            B256::repeat_byte(1),
            Address::ZERO,
            &[],
            B256::repeat_byte(2),
        );
        let fcu = json!([state, attrs]);
        let fcu = fcu.as_array().expect("array");
        group.bench_function(format!("build payload ({n} txs)"), |b| {
            b.iter(|| {
                chain
                    .dispatch("engine_forkchoiceUpdatedV3", fcu, &faults)
                    .expect("built")
            })
        });
        let answer = chain
            .dispatch("engine_forkchoiceUpdatedV3", fcu, &faults)
            .expect("built");
        let id = answer["payloadId"].clone();
        let got = chain
            .dispatch("engine_getPayloadV4", &[id], &faults)
            .expect("payload");
        let params: Vec<Value> = vec![
            got["executionPayload"].clone(),
            json!([]),
            json!(B256::repeat_byte(2)),
            json!([]),
        ];
        let status = chain
            .dispatch("engine_newPayloadV4", &params, &faults)
            .expect("status");
        assert_eq!(status["status"], "VALID");
        group.bench_function(format!("newPayload validation ({n} txs)"), |b| {
            b.iter(|| {
                chain
                    .dispatch("engine_newPayloadV4", &params, &faults)
                    .expect("status")
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
