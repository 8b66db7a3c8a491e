//! Following a beacon node: a tiny SSE server in the test feeds `payload_attributes` events, and takes
//! the v2 publication.

use crate::common::*;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};
use types::*;
use warp::Filter;

/// A fake beacon node: serves `events` once per connection as an SSE body, and records published
/// blocks (their `Eth-Consensus-Version` and JSON body).
async fn fake_beacon_node(
    events: Arc<Mutex<String>>,
    published: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
) -> (url::Url, tokio::sync::oneshot::Sender<()>) {
    let stream = warp::path!("eth" / "v1" / "events")
        .and(warp::get())
        .and(warp::query::raw())
        .map(move |query: String| {
            assert_eq!(query, "topics=payload_attributes");
            let body = events.lock().clone();
            warp::http::Response::builder()
                .header("content-type", "text/event-stream")
                .body(body)
                .unwrap()
        });
    let publish = warp::path!("eth" / "v2" / "beacon" / "blocks")
        .and(warp::post())
        .and(warp::header::<String>("eth-consensus-version"))
        .and(warp::body::json())
        .map(move |version: String, body: serde_json::Value| {
            published.lock().push((version, body));
            warp::http::Response::builder().body(String::new()).unwrap()
        });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) =
        warp::serve(stream.or(publish)).bind_with_graceful_shutdown(([127, 0, 0, 1], 0), async {
            rx.await.ok();
        });
    tokio::spawn(server);
    (format!("http://{addr}/").parse().unwrap(), tx)
}

#[tokio::test]
async fn relay_follows_payload_attributes_and_publishes_to_the_beacon_node() {
    let events = Arc::new(Mutex::new(String::new()));
    let published = Arc::new(Mutex::new(vec![]));
    let (bn, _stop) = fake_beacon_node(events.clone(), published.clone()).await;
    let mut options = RigOptions::new(ForkName::Fulu);
    options.beacon_node = Some(bn);
    options.blobs_per_payload = 1;
    let rig = Rig::with(options).await;
    rig.register().await;

    // The event the relay's engine head builds on, in the SSE envelope.
    let slot = 12;
    let mut event = rig.feed(slot);
    event.proposal_slot = slot + 1;
    event.payload_attributes.timestamp += 6;
    let envelope = PayloadAttributesEnvelope {
        version: ForkName::Fulu,
        data: event,
    };
    *events.lock() = format!(
        ": hello\n\nevent: head\ndata: {{}}\n\nevent: payload_attributes\ndata: {}\n\n",
        serde_json::to_string(&envelope).unwrap()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let bid = loop {
        if let Some(bid) = rig.get_header(slot + 1).await.unwrap() {
            break bid;
        }
        assert!(Instant::now() < deadline, "the event never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(rig.relay.stats().payload_attributes >= 2);

    let block = rig.blinded_block(&bid, slot + 1, &rig.proposer);
    rig.client.submit_blinded_block_v2(&block).await.unwrap();
    let published = published.lock().clone();
    assert_eq!(published.len(), 1);
    let (version, body) = &published[0];
    assert_eq!(version, "fulu");
    assert_eq!(
        body["signed_block"]["message"]["slot"],
        (slot + 1).to_string()
    );
    assert_eq!(body["blobs"].as_array().unwrap().len(), 1);
    // Fulu: a cell proof per cell of the extended blob.
    assert_eq!(body["kzg_proofs"].as_array().unwrap().len(), 128);
    assert_eq!(rig.relay.published_blocks(), 1);
}
