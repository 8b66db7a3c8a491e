//! Signature verification costs: one signature, 64 one by one, 64 as a batch with random scalars
//! (the batch is what block import uses), and one signature by the sum of 512 keys (a sync
//! committee's contribution, and the shape of every attestation).

use bls::{
    interop_secret_key, verify_signature_sets, AggregateSignature, PublicKey, SecretKey, Signature,
    SignatureSet,
};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn benches(c: &mut Criterion) {
    let keys: Vec<SecretKey> = (0..64).map(interop_secret_key).collect();
    let pubkeys: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
    let messages: Vec<[u8; 32]> = (0..64u8).map(|i| [i; 32]).collect();
    let signatures: Vec<Signature> = keys.iter().zip(&messages).map(|(k, m)| k.sign(m)).collect();

    c.bench_function("bls/sign", |b| {
        b.iter(|| keys[0].sign(black_box(&messages[0])))
    });
    c.bench_function("bls/verify", |b| {
        b.iter(|| signatures[0].verify(&pubkeys[0], black_box(&messages[0])))
    });
    c.bench_function("bls/verify_64_one_by_one", |b| {
        b.iter(|| (0..64).all(|i| signatures[i].verify(&pubkeys[i], &messages[i])))
    });
    c.bench_function("bls/batch_verify_64", |b| {
        b.iter(|| {
            let sets: Vec<SignatureSet> = (0..64)
                .map(|i| SignatureSet::single(&signatures[i], &pubkeys[i], messages[i]))
                .collect();
            assert!(verify_signature_sets(black_box(&sets)));
        })
    });
    c.bench_function("bls/fast_aggregate_verify_512", |b| {
        let keys: Vec<SecretKey> = (0..512).map(interop_secret_key).collect();
        let pubkeys: Vec<PublicKey> = keys.iter().map(SecretKey::public_key).collect();
        let refs: Vec<&PublicKey> = pubkeys.iter().collect();
        let signature = AggregateSignature::aggregate(
            &keys
                .iter()
                .map(|k| k.sign(&messages[0]))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        b.iter(|| assert!(signature.fast_aggregate_verify(black_box(&refs), &messages[0])))
    });
    c.bench_function("bls/deserialize_pubkey", |b| {
        let bytes = pubkeys[0].serialize();
        b.iter(|| PublicKey::from_bytes(black_box(&bytes)).unwrap())
    });
}

criterion_group!(name = bls_benches; config = Criterion::default().sample_size(20); targets = benches);
criterion_main!(bls_benches);
