//! One log line per slot (clock, head, finality, engine) and the node's gauges: the operator's view
//! that the node is alive and following its clock, without a beacon-API call.

use crate::metrics::NodeMetrics;
use beacon_chain::BeaconChain;
use engine_api::EngineState;
use std::sync::Arc;
use std::time::Duration;
use types::EthSpec;

/// Logs at the start of every slot until the handle is aborted; before genesis, how long is left.
pub fn spawn<E: EthSpec>(
    chain: Arc<BeaconChain<E>>,
    metrics: NodeMetrics,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let clock = chain.slot_clock().clone();
        loop {
            match clock.now() {
                None => {
                    let wait = clock.duration_to_slot(0);
                    tracing::info!(seconds = wait.as_secs(), "waiting for genesis");
                    tokio::time::sleep(wait.min(clock.slot_duration())).await;
                    continue;
                }
                Some(slot) => notify(&chain, &metrics, slot),
            }
            let next = clock.now().map_or(0, |slot| slot + 1);
            // A hair past the start, so that the slot has begun by the clock when we read it again.
            tokio::time::sleep(clock.duration_to_slot(next) + Duration::from_millis(5)).await;
        }
    })
}

fn notify<E: EthSpec>(chain: &BeaconChain<E>, metrics: &NodeMetrics, slot: u64) {
    let head = chain.head();
    let finalized = chain.finalized_checkpoint();
    let justified = chain.justified_checkpoint();
    let engine = chain.execution_layer().engine().state();
    metrics.current_slot.set(slot as i64);
    metrics.head_slot.set(head.slot as i64);
    metrics.finalized_epoch.set(finalized.epoch as i64);
    metrics.justified_epoch.set(justified.epoch as i64);
    metrics
        .engine_online
        .set(i64::from(engine == EngineState::Online));
    tracing::info!(
        slot,
        epoch = slot / E::slots_per_epoch(),
        head_slot = head.slot,
        head_block = %head.block_root,
        justified_epoch = justified.epoch,
        finalized_epoch = finalized.epoch,
        execution_engine = %engine,
        "slot"
    );
}
