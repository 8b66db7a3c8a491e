//! SSZ decode and hash_tree_root of the objects a builder-enabled proposer handles every slot: a
//! mainnet-size Fulu block with full attestations, a signed builder bid, and a signed blinded block.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ssz::Encode;
use ssz_types::{BitList, BitVector, VariableList};
use tree_hash::TreeHash;
use types::*;

type E = MainnetEthSpec;

/// Validators per slot on a 1,048,576-validator network: 32,768 (64 committees of 512).
const ATTESTERS_PER_SLOT: usize = 1_048_576 / 32;

fn full_attestation(slot: u64) -> AttestationElectra<E> {
    let mut aggregation_bits = BitList::with_capacity(ATTESTERS_PER_SLOT).unwrap();
    for i in 0..ATTESTERS_PER_SLOT {
        aggregation_bits.set(i, i % 17 != 0).unwrap();
    }
    let mut committee_bits = BitVector::new();
    for i in 0..64 {
        committee_bits.set(i, true).unwrap();
    }
    AttestationElectra {
        aggregation_bits,
        data: AttestationData {
            slot,
            index: 0,
            beacon_block_root: Hash256::repeat_byte(1),
            source: Checkpoint {
                epoch: 10,
                root: Hash256::repeat_byte(2),
            },
            target: Checkpoint {
                epoch: 11,
                root: Hash256::repeat_byte(3),
            },
        },
        signature: SignatureBytes::infinity(),
        committee_bits,
    }
}

fn payload() -> ExecutionPayloadFulu<E> {
    // ~300 transactions of 400 bytes: a busy mainnet block.
    let txs: Vec<Transaction<E>> = (0..300u32)
        .map(|i| VariableList::new((0..400u32).map(|b| (b ^ i) as u8).collect()).unwrap())
        .collect();
    let withdrawals = VariableList::new(
        (0..16u64)
            .map(|i| Withdrawal {
                index: i,
                validator_index: i * 7,
                address: Address::repeat_byte(9),
                amount: 18_000,
            })
            .collect(),
    )
    .unwrap();
    ExecutionPayloadFulu {
        gas_limit: 36_000_000,
        block_number: 22_000_000,
        timestamp: 1_750_000_000,
        transactions: VariableList::new(txs).unwrap(),
        withdrawals,
        ..Default::default()
    }
}

fn commitments() -> BlobKzgCommitments<E> {
    VariableList::new((0..9u8).map(|i| PublicKeyBytes([i; 48])).collect()).unwrap()
}

fn block() -> SignedBeaconBlock<E> {
    let body = BeaconBlockBodyFulu::<E> {
        randao_reveal: SignatureBytes::infinity(),
        eth1_data: Eth1Data::default(),
        graffiti: Hash256::repeat_byte(0x42),
        proposer_slashings: VariableList::empty(),
        attester_slashings: VariableList::empty(),
        attestations: VariableList::new((0..8).map(full_attestation).collect()).unwrap(),
        deposits: VariableList::empty(),
        voluntary_exits: VariableList::empty(),
        sync_aggregate: SyncAggregate {
            sync_committee_bits: BitVector::new(),
            sync_committee_signature: SignatureBytes::infinity(),
        },
        execution_payload: payload(),
        bls_to_execution_changes: VariableList::empty(),
        blob_kzg_commitments: commitments(),
        execution_requests: ExecutionRequests::default(),
    };
    let message = BeaconBlockFulu {
        slot: 12_000_000,
        proposer_index: 4242,
        parent_root: Hash256::repeat_byte(5),
        state_root: Hash256::repeat_byte(6),
        body,
    };
    SignedBeaconBlock::Fulu(SignedBeaconBlockFulu {
        message,
        signature: SignatureBytes::infinity(),
    })
}

fn bid() -> SignedBuilderBid<E> {
    let header: ExecutionPayloadHeaderFulu<E> = (&payload()).into();
    let message = BuilderBidFulu {
        header,
        blob_kzg_commitments: commitments(),
        execution_requests: ExecutionRequests::default(),
        value: U256::from(123_456_789_000_000_000u64),
        pubkey: PublicKeyBytes([7; 48]),
    };
    SignedBuilderBid::Fulu(SignedBuilderBidFulu {
        message,
        signature: SignatureBytes::infinity(),
    })
}

fn bench<T: ForkVersioned + Encode + TreeHash>(c: &mut Criterion, name: &str, value: &T) {
    let bytes = value.as_ssz_bytes();
    let fork = value.fork_name_of();
    println!("{name}: {} SSZ bytes", bytes.len());
    c.bench_function(&format!("{name}/ssz_decode"), |b| {
        b.iter(|| T::from_ssz_bytes_by_fork(black_box(&bytes), fork).unwrap())
    });
    c.bench_function(&format!("{name}/ssz_encode"), |b| {
        b.iter(|| black_box(value).as_ssz_bytes())
    });
    c.bench_function(&format!("{name}/hash_tree_root"), |b| {
        b.iter(|| black_box(value).tree_hash_root())
    });
}

fn benches(c: &mut Criterion) {
    let block = block();
    bench(c, "fulu_signed_beacon_block_full_attestations", &block);
    bench(c, "fulu_signed_builder_bid", &bid());
    bench(c, "fulu_signed_blinded_beacon_block", &block.to_blinded());
}

criterion_group!(name = ssz; config = Criterion::default().sample_size(30); targets = benches);
criterion_main!(ssz);
