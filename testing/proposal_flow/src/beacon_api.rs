//! The two beacon-API endpoints a relay uses on the node it serves, played by the harness on 127.0.0.1:
//! `POST /eth/v2/beacon/blocks`, where a builder that took a block through submitBlindedBlockV2
//! publishes it (the harness imports it like any other block), and `GET /eth/v1/events`, which the relay
//! follows for `payload_attributes` (an idle stream: the harness feeds those in process).

use crate::E;
use builder_api::{Encoding, CONSENSUS_VERSION_HEADER};
use execution_layer::BlobsBundle;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use types::{ChainSpec, ForkName, ForkVersioned, SignedBeaconBlock};
use warp::http::{header, HeaderValue, StatusCode};
use warp::hyper::body::{Body, Bytes};
use warp::reply::Response;
use warp::Filter;

/// A published block with its blobs, as hex JSON: a Fulu block with the maximum of blobs and all their
/// cell proofs is a few megabytes; anything much larger is refused before it is read.
const MAX_PUBLISH_BODY: u64 = 32 << 20;

/// Published blocks the harness has not taken yet. A relay publishes one block per submission, so a
/// full queue means something is flooding the endpoint: it is refused (503), not buffered.
const QUEUE: usize = 16;

/// How often the event stream sends a comment: well within the follower's idle timeout, so an idle
/// stream is not taken for a dead one.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// A block POSTed to `/eth/v2/beacon/blocks`, decoded and bounded but not yet checked.
#[derive(Debug)]
pub struct PublishedBlock {
    /// The signed full block.
    pub block: SignedBeaconBlock<E>,
    /// Its blobs and proofs (from Deneb on), under the block's own commitments.
    pub blobs_bundle: Option<BlobsBundle<E>>,
}

/// The listener; dropping it stops the server and ends the event streams.
pub(crate) struct BeaconApi {
    url: url::Url,
    blocks: mpsc::Receiver<PublishedBlock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    /// Dropping it ends every open event stream (their heartbeat tasks watch it).
    _streams: watch::Sender<()>,
}

impl BeaconApi {
    /// Binds a free port on 127.0.0.1 and serves on the current Tokio runtime.
    pub(crate) fn start(spec: Arc<ChainSpec>) -> Result<Self, String> {
        let (blocks_tx, blocks) = mpsc::channel(QUEUE);
        let (streams, streams_rx) = watch::channel(());
        let (shutdown, shutdown_rx) = oneshot::channel::<()>();
        let (addr, server) = warp::serve(routes(spec, blocks_tx, streams_rx))
            .try_bind_with_graceful_shutdown(([127, 0, 0, 1], 0), async {
                shutdown_rx.await.ok();
            })
            .map_err(|e| format!("cannot bind the harness's beacon API: {e}"))?;
        let url = format!("http://{addr}/")
            .parse()
            .map_err(|e| format!("bad listen URL: {e}"))?;
        tracing::info!(%addr, "harness beacon API listening");
        Ok(Self {
            url,
            blocks,
            shutdown: Some(shutdown),
            task: tokio::spawn(server),
            _streams: streams,
        })
    }

    /// `http://127.0.0.1:PORT/`, the relay's `beacon_node`.
    pub(crate) fn url(&self) -> url::Url {
        self.url.clone()
    }

    /// The next published block, or `None` once `wait` has passed without one.
    pub(crate) async fn next_block(&mut self, wait: Duration) -> Option<PublishedBlock> {
        tokio::time::timeout(wait, self.blocks.recv())
            .await
            .ok()
            .flatten()
    }

    /// Blocks published and not taken yet: left by an earlier slot (after the harness stopped waiting).
    pub(crate) fn take_pending(&mut self) -> Vec<PublishedBlock> {
        std::iter::from_fn(|| self.blocks.try_recv().ok()).collect()
    }
}

impl Drop for BeaconApi {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

fn routes(
    spec: Arc<ChainSpec>,
    blocks: mpsc::Sender<PublishedBlock>,
    streams: watch::Receiver<()>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let publish = warp::path!("eth" / "v2" / "beacon" / "blocks")
        .and(warp::post())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::header::optional::<String>(CONSENSUS_VERSION_HEADER))
        .and(warp::body::content_length_limit(MAX_PUBLISH_BODY))
        .and(warp::body::bytes())
        .map(
            move |content_type: Option<String>, consensus_version: Option<String>, body: Bytes| {
                publish(
                    &spec,
                    &blocks,
                    content_type.as_deref(),
                    consensus_version.as_deref(),
                    &body,
                )
            },
        );
    let events = warp::path!("eth" / "v1" / "events")
        .and(warp::get())
        .map(move || idle_event_stream(streams.clone()));
    publish.or(events).unify().recover(answer_rejection).unify()
}

/// Decodes a published block and queues it for the harness: 200 once queued, 4xx for what cannot be
/// decoded (the checks against the signed block are the harness's, once it takes the block).
fn publish(
    spec: &ChainSpec,
    blocks: &mpsc::Sender<PublishedBlock>,
    content_type: Option<&str>,
    consensus_version: Option<&str>,
    body: &[u8],
) -> Response {
    match builder_api::content_type_encoding(content_type) {
        Ok(Encoding::Json) => {}
        Ok(Encoding::Ssz) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the harness takes published blocks as JSON only",
            )
        }
        Err(other) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported content type {:?}", excerpt(&other)),
            )
        }
    }
    let published = match decode_published(spec, consensus_version, body) {
        Ok(p) => p,
        Err(message) => {
            tracing::warn!(%message, "refusing a published block");
            return error(StatusCode::BAD_REQUEST, message);
        }
    };
    let (slot, root) = (published.block.slot(), published.block.message_root());
    match blocks.try_send(published) {
        Ok(()) => {
            tracing::info!(slot, block_root = %root, "block published to the harness");
            Response::new(Body::empty())
        }
        Err(mpsc::error::TrySendError::Full(_)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{QUEUE} published blocks are already waiting"),
        ),
        Err(mpsc::error::TrySendError::Closed(_)) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the harness is shutting down",
        ),
    }
}

/// The beacon-API body of `fork`: the bare signed block before Deneb, `{"signed_block", "kzg_proofs",
/// "blobs"}` from Deneb on. The fork comes from the required `Eth-Consensus-Version`, and must be the
/// one the block's slot is in.
pub(crate) fn decode_published(
    spec: &ChainSpec,
    consensus_version: Option<&str>,
    body: &[u8],
) -> Result<PublishedBlock, String> {
    let fork: ForkName = consensus_version
        .ok_or_else(|| format!("the {CONSENSUS_VERSION_HEADER} header is required"))?
        .parse()
        .map_err(|e| format!("bad {CONSENSUS_VERSION_HEADER}: {e}"))?;
    let mut value: Value =
        serde_json::from_slice(body).map_err(|e| format!("undecodable JSON: {e}"))?;
    let (block, blobs) = if fork.deneb_enabled() {
        let mut field = |name: &str| {
            value
                .get_mut(name)
                .map(Value::take)
                .ok_or_else(|| format!("a {fork} block needs the {name:?} field"))
        };
        let block = field("signed_block")?;
        let proofs = field("kzg_proofs")?;
        let blobs = field("blobs")?;
        (block, Some((proofs, blobs)))
    } else {
        (value, None)
    };
    let block = SignedBeaconBlock::<E>::from_value_by_fork(block, fork)
        .map_err(|e| format!("undecodable {fork} block: {e}"))?;
    let at_slot = spec.fork_name_at_slot::<E>(block.slot());
    if at_slot != fork {
        return Err(format!(
            "a {fork} block at slot {}, which is in {at_slot}",
            block.slot()
        ));
    }
    let blobs_bundle = match blobs {
        None => None,
        Some((proofs, blobs)) => {
            let commitments = block
                .message_enum()
                .body_enum()
                .blob_kzg_commitments()
                .map_err(|e| format!("a {fork} block without commitments: {e:?}"))?
                .iter()
                .map(|c| engine_api::Bytes48::from(c.0))
                .collect();
            let bundle = engine_api::BlobsBundle {
                commitments,
                proofs: serde_json::from_value(proofs).map_err(|e| format!("kzg_proofs: {e}"))?,
                blobs: serde_json::from_value(blobs).map_err(|e| format!("blobs: {e}"))?,
            };
            Some(BlobsBundle::from_engine(fork, &bundle).map_err(|e| e.to_string())?)
        }
    };
    Ok(PublishedBlock {
        block,
        blobs_bundle,
    })
}

/// An event stream that never carries an event, only a comment every [`HEARTBEAT`], until the client
/// goes away or the listener is dropped.
fn idle_event_stream(mut stop: watch::Receiver<()>) -> Response {
    let (mut sender, body) = Body::channel();
    tokio::spawn(async move {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                // The first tick is immediate: it opens the stream.
                _ = heartbeat.tick() => {
                    if sender.send_data(Bytes::from_static(b": idle\n\n")).await.is_err() {
                        break;
                    }
                }
                _ = stop.changed() => break,
            }
        }
    });
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The beacon-API error body `{"code", "message"}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"code": status.as_u16(), "message": message.into()});
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// At most 80 characters of an untrusted string, for an error message.
fn excerpt(s: &str) -> String {
    s.chars().take(80).collect()
}

/// What warp refuses before a handler runs, with the same error body.
async fn answer_rejection(rejection: warp::Rejection) -> Result<Response, Infallible> {
    use warp::reject::{LengthRequired, MethodNotAllowed, PayloadTooLarge};
    let (status, message) = if let Some(e) = rejection.find::<PayloadTooLarge>() {
        (StatusCode::PAYLOAD_TOO_LARGE, e.to_string())
    } else if let Some(e) = rejection.find::<LengthRequired>() {
        (StatusCode::LENGTH_REQUIRED, e.to_string())
    } else if let Some(e) = rejection.find::<MethodNotAllowed>() {
        (StatusCode::METHOD_NOT_ALLOWED, e.to_string())
    } else if rejection.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "the harness serves no such endpoint".into(),
        )
    } else {
        (StatusCode::BAD_REQUEST, format!("{rejection:?}"))
    };
    Ok(error(status, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::blinded_block;
    use state_processing::genesis::interop_genesis_state;
    use types::{ExecutionPayload, Hash256, SignatureBytes};

    fn fulu_spec() -> Arc<ChainSpec> {
        Arc::new(ChainSpec::minimal().with_forks_at_genesis_up_to(ForkName::Fulu))
    }

    /// A signed Fulu block at genesis on an empty payload: well-formed, not valid (nothing here
    /// checks more than its shape).
    fn fulu_block(spec: &ChainSpec) -> SignedBeaconBlock<E> {
        let state = interop_genesis_state::<E>(8, 0, ForkName::Fulu, None, spec).expect("genesis");
        let payload = ExecutionPayload::<E>::empty(ForkName::Fulu);
        blinded_block(
            &state,
            0,
            Hash256::ZERO,
            SignatureBytes::infinity(),
            payload.to_header(),
            &[],
            Default::default(),
        )
        .expect("a blinded block")
        .into_signed(SignatureBytes::infinity())
        .into_full_block(payload)
        .expect("the payload fits its own header")
    }

    fn contents(block: &SignedBeaconBlock<E>) -> Vec<u8> {
        json!({"signed_block": block, "kzg_proofs": [], "blobs": []})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn decodes_block_contents_by_consensus_version() {
        let spec = fulu_spec();
        let block = fulu_block(&spec);
        let published = decode_published(&spec, Some("fulu"), &contents(&block)).expect("decodes");
        assert_eq!(published.block, block);
        let bundle = published.blobs_bundle.expect("a Fulu block has a bundle");
        assert!(matches!(bundle, BlobsBundle::Fulu(_)) && bundle.is_empty());
    }

    #[test]
    fn refuses_what_does_not_say_or_fit_its_fork() {
        let spec = fulu_spec();
        let block = fulu_block(&spec);
        let body = contents(&block);
        let refused = |version: Option<&str>, body: &[u8]| {
            decode_published(&spec, version, body).expect_err("refused")
        };
        assert!(refused(None, &body).contains(CONSENSUS_VERSION_HEADER));
        assert!(refused(Some("altair"), &body).contains(CONSENSUS_VERSION_HEADER));
        // Decoded as Electra the Fulu body may pass; its slot is in Fulu all the same.
        assert!(refused(Some("electra"), &body).contains("electra"));
        let bare = serde_json::to_vec(&block).expect("JSON");
        assert!(refused(Some("fulu"), &bare).contains("signed_block"));
        assert!(refused(Some("fulu"), b"{").contains("JSON"));
        let bad_blob = json!({"signed_block": block, "kzg_proofs": [], "blobs": ["0x00"]});
        assert!(refused(Some("fulu"), bad_blob.to_string().as_bytes()).contains("blob 0"));
    }

    #[tokio::test]
    async fn published_blocks_are_queued_and_bad_ones_answered_with_errors() {
        let spec = fulu_spec();
        let block = fulu_block(&spec);
        let (tx, mut rx) = mpsc::channel(QUEUE);
        let (_streams, streams) = watch::channel(());
        let filter = routes(spec, tx, streams);
        let post = || {
            warp::test::request()
                .method("POST")
                .path("/eth/v2/beacon/blocks")
                .header("content-type", "application/json")
        };
        let ok = post()
            .header(CONSENSUS_VERSION_HEADER, "fulu")
            .body(contents(&block))
            .reply(&filter)
            .await;
        assert_eq!(ok.status(), StatusCode::OK);
        assert_eq!(rx.try_recv().expect("queued").block, block);

        let missing = post().body(contents(&block)).reply(&filter).await;
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
        let ssz = post()
            .header("content-type", "application/octet-stream")
            .header(CONSENSUS_VERSION_HEADER, "fulu")
            .body(vec![0u8; 8])
            .reply(&filter)
            .await;
        assert_eq!(ssz.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let unknown = warp::test::request()
            .path("/eth/v1/node/health")
            .reply(&filter)
            .await;
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        let body: Value = serde_json::from_slice(unknown.body()).expect("a JSON error");
        assert_eq!(body["code"], 404);
        assert!(rx.try_recv().is_err(), "nothing refused is queued");
    }

    /// Reads from `stream` until `wanted` has been seen, or fails after `within`.
    async fn read_until(
        stream: &tokio::net::TcpStream,
        seen: &mut Vec<u8>,
        wanted: &[u8],
        within: Duration,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + within;
        while !seen.windows(wanted.len()).any(|w| w == wanted) {
            tokio::time::timeout_at(deadline, stream.readable())
                .await
                .map_err(|_| format!("no {:?} within {within:?}", String::from_utf8_lossy(wanted)))?
                .map_err(|e| e.to_string())?;
            let mut buf = [0u8; 4096];
            match stream.try_read(&mut buf) {
                Ok(0) => return Err("the stream closed".into()),
                Ok(n) => seen.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    }

    /// The relay's event follower gets an open, idle stream (not a 404 to retry), which ends when the
    /// harness drops the listener.
    #[tokio::test]
    async fn the_event_stream_stays_open_and_idle_until_the_listener_is_dropped() {
        let api = BeaconApi::start(fulu_spec()).expect("listening");
        let addr = api.url().socket_addrs(|| None).expect("an address")[0];
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("connects");
        let request = "GET /eth/v1/events?topics=payload_attributes HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n";
        stream.writable().await.expect("writable");
        assert_eq!(
            stream.try_write(request.as_bytes()).expect("written"),
            request.len()
        );
        let mut seen = vec![];
        read_until(&stream, &mut seen, b": idle", Duration::from_secs(10))
            .await
            .expect("the stream opens");
        let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("content-type: text/event-stream"), "{head}");
        // Idle: no event and no end within a while.
        let before = seen.len();
        let quiet = read_until(&stream, &mut seen, b"\n\n\n", Duration::from_millis(300)).await;
        assert!(quiet.expect_err("nothing more").starts_with("no "));
        assert_eq!(seen.len(), before);

        drop(api);
        // The chunked body's last chunk, then the close.
        read_until(&stream, &mut seen, b"0\r\n\r\n", Duration::from_secs(10))
            .await
            .expect("the stream ends with the listener");
    }
}
