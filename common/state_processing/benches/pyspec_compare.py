"""Time the official Python consensus spec (Fulu, minimal preset: see PRESET) on the operations that the
`pyspec_size` group of `benches/state.rs` times for Blindfold, so the two can be compared.

Minimal preset and 2^12 validators because the executable spec is deliberately unoptimised: its
process_epoch takes ~40 s at this size (per-validator reward helpers, full shuffles per proposer), and the
mainnet preset's 90 shuffle rounds and 32 proposer shufflings per epoch make it impractical there.

The state mirrors `build_state_with` in `benches/common/mod.rs` (same shape, not byte-identical):
VALIDATORS validators with synthetic public keys, at the last slot of epoch 10; ~95% of validators
with all three timely flags in both epochs; balances 31-33 ETH (~3% compounding with up to 64 ETH);
~60% 0x01 credentials; 64 slashed and 256 exiting validators; a few non-zero inactivity scores;
distinct block roots, state roots and RANDAO mixes; justified epoch 9, finalized 8. Its tree hash is
computed once before timing, as Blindfold's is (Blindfold then re-roots incrementally; the Python SSZ
library memoises roots per object as it sees fit).

Timed (each on a fresh copy of the prepared state; first, best and median of REPEATS runs: later
runs may hit the spec's own memoisation of e.g. active indices, keyed by state contents):
  (a) process_epoch, and process_epoch followed by hash_tree_root(state);
  (b) one empty slot advance inside the epoch (process_slots by one slot), then hash_tree_root(state).

Install the spec and run (about four minutes at the default 2^12 validators, 2 repeats):
  PY=$(bash /work/shared/tools/install-pyspec.sh | tail -1)
  $PY common/state_processing/benches/pyspec_compare.py [VALIDATORS] [REPEATS]
and for Blindfold:
  cargo bench -p state_processing --bench state -- pyspec_size
"""

import statistics
import sys
import time

import importlib

PRESET = "minimal"
spec = importlib.import_module(f"eth_consensus_specs.fulu.{PRESET}")

VALIDATORS = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 12
REPEATS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
EPOCH = 10


class Rng:
    """SplitMix64, as `common::Rng` in the Rust benches."""

    def __init__(self, seed):
        self.s = seed

    def next(self):
        m = (1 << 64) - 1
        self.s = (self.s + 0x9E3779B97F4A7C15) & m
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
        return z ^ (z >> 31)

    def below(self, n):
        return self.next() % n


def hash_of(tag, i):
    return tag.to_bytes(8, "little") + i.to_bytes(8, "little") + bytes(15) + b"\x01"


def put(state, name, items):
    """Assign a list or vector field from plain items (the SSZ library wants the field's own type)."""
    setattr(state, name, type(getattr(state, name))(data=list(items)))


def build_state(n):
    spe = spec.SLOTS_PER_EPOCH
    rng = Rng(0x00B11DFD)
    inc = spec.EFFECTIVE_BALANCE_INCREMENT
    validators, balances, previous, current, scores = [], [], [], [], []
    for i in range(n):
        kind = rng.below(100)
        cred = bytearray(32)
        cred[12:20] = i.to_bytes(8, "little")
        cred[0] = 0x02 if kind < 3 else (0x01 if kind < 63 else 0x00)
        if kind < 3:
            balance = 32_000_000_000 + rng.below(32_000_000_000)
            cap = spec.MAX_EFFECTIVE_BALANCE_ELECTRA
        else:
            balance = 31_000_000_000 + rng.below(2_000_000_000)
            cap = spec.MIN_ACTIVATION_BALANCE
        validators.append(
            spec.Validator(
                pubkey=spec.BLSPubkey(b"\xb0" + i.to_bytes(8, "little") + bytes(39)),
                withdrawal_credentials=spec.Bytes32(bytes(cred)),
                effective_balance=min(balance - balance % inc, cap),
                slashed=False,
                activation_eligibility_epoch=0,
                activation_epoch=0,
                exit_epoch=spec.FAR_FUTURE_EPOCH,
                withdrawable_epoch=spec.FAR_FUTURE_EPOCH,
            )
        )
        balances.append(balance)

        def flags():
            return 0b111 if rng.below(100) < 95 else (rng.below(8) & rng.below(8))

        previous.append(flags())
        current.append(flags())
        scores.append(rng.below(64) if rng.below(256) == 0 else 0)
    half_vector = spec.EPOCHS_PER_SLASHINGS_VECTOR // 2
    for k in range(64):
        v = validators[(1000 + k * 15_013) % n]
        v.slashed = True
        v.exit_epoch = EPOCH - 2
        v.withdrawable_epoch = EPOCH + 1 + half_vector
    for k in range(256):
        v = validators[(5000 + k * 4001) % n]
        if not v.slashed:
            v.exit_epoch = EPOCH + 1 + k % 8
            v.withdrawable_epoch = v.exit_epoch + spec.config.MIN_VALIDATOR_WITHDRAWABILITY_DELAY

    state = spec.BeaconState()
    slot = EPOCH * spe + spe - 1
    state.genesis_time = 1_606_824_023
    state.slot = slot
    version = spec.config.FULU_FORK_VERSION
    state.fork = spec.Fork(previous_version=version, current_version=version, epoch=0)
    put(state, "validators", validators)
    put(state, "balances", balances)
    put(state, "previous_epoch_participation", previous)
    put(state, "current_epoch_participation", current)
    put(state, "inactivity_scores", scores)
    put(state, "block_roots", [hash_of(1, i) for i in range(spec.SLOTS_PER_HISTORICAL_ROOT)])
    put(state, "state_roots", [hash_of(2, i) for i in range(spec.SLOTS_PER_HISTORICAL_ROOT)])
    put(state, "randao_mixes", [hash_of(3, i) for i in range(spec.EPOCHS_PER_HISTORICAL_VECTOR)])
    put(
        state,
        "slashings",
        [32_000_000_000 if i % 7 == 0 else 0 for i in range(spec.EPOCHS_PER_SLASHINGS_VECTOR)],
    )
    state.previous_justified_checkpoint = spec.Checkpoint(
        epoch=EPOCH - 2, root=hash_of(1, (EPOCH - 2) * spe)
    )
    state.current_justified_checkpoint = spec.Checkpoint(
        epoch=EPOCH - 1, root=hash_of(1, (EPOCH - 1) * spe)
    )
    state.finalized_checkpoint = spec.Checkpoint(epoch=EPOCH - 2, root=hash_of(1, (EPOCH - 2) * spe))
    state.justification_bits[0] = True
    state.justification_bits[1] = True
    state.latest_block_header.slot = slot - 1
    state.latest_block_header.body_root = spec.hash_tree_root(spec.BeaconBlockBody())
    put(state, "proposer_lookahead", spec.initialize_proposer_lookahead(state))
    spec.hash_tree_root(state)  # warm the tree hash, as Blindfold's benches do
    return state


def timed(name, prepared, op):
    times = []
    for _ in range(REPEATS):
        state = prepared.copy()
        start = time.perf_counter()
        op(state)
        times.append(time.perf_counter() - start)
    print(
        f"pyspec {name}: first {times[0] * 1e3:.1f} ms, best {min(times) * 1e3:.1f} ms,"
        f" median {statistics.median(times) * 1e3:.1f} ms ({REPEATS} runs)",
        flush=True,
    )


def epoch_with_root(state):
    spec.process_epoch(state)
    spec.hash_tree_root(state)


def empty_slot(state):
    spec.process_slots(state, state.slot + 1)
    spec.hash_tree_root(state)


if __name__ == "__main__":
    start = time.perf_counter()
    state = build_state(VALIDATORS)
    print(f"built a {VALIDATORS}-validator {PRESET}-preset Fulu state in {time.perf_counter() - start:.1f} s")
    mid_epoch = state.copy()
    mid_epoch.slot -= spec.SLOTS_PER_EPOCH // 2
    spec.hash_tree_root(mid_epoch)
    timed("a_process_epoch", state, spec.process_epoch)
    timed("a_process_epoch_with_state_root", state, epoch_with_root)
    timed("b_empty_slot_with_state_root", mid_epoch, empty_slot)
