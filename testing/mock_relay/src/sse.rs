//! Following a beacon node's `payload_attributes` events over Server-Sent Events
//! (`GET {bn}/eth/v1/events?topics=payload_attributes`), reconnecting with backoff when the stream ends.

use std::time::Duration;
use types::{PayloadAttributesEnvelope, PayloadAttributesEvent, PAYLOAD_ATTRIBUTES_TOPIC};

/// A line longer than this is dropped with the event it belongs to (an untrusted stream must not make
/// us buffer without bound; a real `payload_attributes` event with 16 withdrawals is about 3 KB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// An event whose `data` lines add up to more than this is dropped whole, for the same reason: many
/// short lines must not add up to what one long line may not.
pub const MAX_EVENT_BYTES: usize = 2 << 20;

/// First wait before reconnecting; it doubles on each failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One dispatched SSE event: its `event:` name (`message` when absent) and its joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The topic, for a beacon node's stream (`payload_attributes`, `head`, ...).
    pub event: String,
    /// The `data:` lines joined by `\n`: the event's JSON for a beacon node.
    pub data: String,
}

/// An incremental SSE parser (the WHATWG event-stream format): feed it bytes as they arrive, in chunks
/// split anywhere, and take the complete events. Memory is bounded by [`MAX_LINE_BYTES`] plus
/// [`MAX_EVENT_BYTES`] whatever the stream sends.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The current line passed [`MAX_LINE_BYTES`]: its bytes are no longer kept.
    overlong: bool,
    /// The current event lost a line or passed [`MAX_EVENT_BYTES`]: everything up to the blank line
    /// that ends it is skipped, since a part of an event could be read as another, valid one.
    discarding: bool,
    event: Option<String>,
    data: Vec<String>,
    data_bytes: usize,
}

impl SseParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Take `chunk` and return the events it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut out = vec![];
        for &byte in chunk {
            if byte == b'\n' {
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if std::mem::take(&mut self.overlong) {
                    self.discard();
                    continue;
                }
                if let Some(event) = self.line_done(&line) {
                    out.push(event);
                }
            } else if self.line.len() < MAX_LINE_BYTES {
                self.line.push(byte);
            } else {
                self.overlong = true;
            }
        }
        out
    }

    /// Bytes held for the line and event in progress.
    pub fn buffered_bytes(&self) -> usize {
        self.line.len() + self.data_bytes
    }

    /// Drop the event in progress and skip the rest of it.
    fn discard(&mut self) {
        self.discarding = true;
        self.event = None;
        self.data.clear();
        self.data_bytes = 0;
    }

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            if std::mem::take(&mut self.discarding) {
                return None;
            }
            let event = self.event.take();
            self.data_bytes = 0;
            if self.data.is_empty() {
                return None;
            }
            let data = std::mem::take(&mut self.data).join("\n");
            return Some(SseEvent {
                event: event.unwrap_or_else(|| "message".into()),
                data,
            });
        }
        if self.discarding {
            return None;
        }
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                self.data_bytes += value.len() + 1;
                if self.data_bytes > MAX_EVENT_BYTES {
                    self.discard();
                } else {
                    self.data.push(value.to_string());
                }
            }
            _ => {}
        }
        None
    }
}

/// Decode the data of a `payload_attributes` event (the `{"version","data"}` envelope).
pub fn parse_payload_attributes(data: &str) -> Result<PayloadAttributesEvent, String> {
    serde_json::from_str::<PayloadAttributesEnvelope>(data)
        .map(|envelope| envelope.data)
        .map_err(|e| format!("bad payload_attributes event: {e}"))
}

/// The stream URL of a beacon node.
pub fn events_url(beacon_node: &url::Url) -> url::Url {
    let mut url = beacon_node.clone();
    let path = format!("{}/eth/v1/events", beacon_node.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(Some(&format!("topics={PAYLOAD_ATTRIBUTES_TOPIC}")));
    url
}

/// A stream silent for this long is taken for dead and reconnected: a beacon node that proposes
/// sends `payload_attributes` every slot, while a dead peer or a stuck proxy may never close the
/// connection. Reconnecting a merely quiet stream costs nothing.
pub const STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Follow `beacon_node`'s events for ever, handing each `payload_attributes` event to `on_event`.
/// Reconnects after any error, end of stream or [`STREAM_IDLE_TIMEOUT`] of silence, waiting 250 ms at
/// first and doubling up to 10 s; the wait resets once a stream delivers a valid event.
pub async fn follow(beacon_node: url::Url, on_event: impl Fn(PayloadAttributesEvent)) {
    follow_with(beacon_node, STREAM_IDLE_TIMEOUT, on_event).await
}

/// [`follow`] with another idle timeout.
async fn follow_with(
    beacon_node: url::Url,
    idle_timeout: Duration,
    on_event: impl Fn(PayloadAttributesEvent),
) {
    let url = events_url(&beacon_node);
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .read_timeout(idle_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the event-stream client");
            return;
        }
    };
    let mut backoff = MIN_BACKOFF;
    loop {
        let (got_events, result) = stream_once(&client, &url, &on_event).await;
        if got_events {
            backoff = MIN_BACKOFF;
        }
        match result {
            Ok(()) => tracing::info!(url = %url, "event stream ended; reconnecting"),
            Err(e) => tracing::warn!(url = %url, error = %e, "event stream failed; reconnecting"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection, read until the stream ends or fails: whether any valid event arrived (a stream
/// that delivered events and then timed out still resets the backoff), and how it ended.
async fn stream_once(
    client: &reqwest::Client,
    url: &url::Url,
    on_event: &impl Fn(PayloadAttributesEvent),
) -> (bool, Result<(), String>) {
    let mut got = false;
    let result = async {
        let mut response = client
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let mut parser = SseParser::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            for event in parser.push(&chunk) {
                if event.event != PAYLOAD_ATTRIBUTES_TOPIC {
                    continue;
                }
                match parse_payload_attributes(&event.data) {
                    Ok(attributes) => {
                        got = true;
                        on_event(attributes)
                    }
                    Err(e) => tracing::warn!(error = %e, "skipping an event"),
                }
            }
        }
        Ok(())
    }
    .await;
    (got, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"version":"deneb","data":{"proposer_index":"1","proposal_slot":"2","parent_block_number":"1","parent_block_root":"0x0000000000000000000000000000000000000000000000000000000000000001","parent_block_hash":"0x0000000000000000000000000000000000000000000000000000000000000002","payload_attributes":{"timestamp":"24","prev_randao":"0x0000000000000000000000000000000000000000000000000000000000000003","suggested_fee_recipient":"0x0000000000000000000000000000000000000004","withdrawals":[],"parent_beacon_block_root":"0x0000000000000000000000000000000000000000000000000000000000000001"}}}"#;

    #[test]
    fn events_split_anywhere_are_reassembled() {
        let stream = format!(
            ": keep-alive\r\nevent: head\ndata: {{\"slot\":\"1\"}}\n\nevent: payload_attributes\r\ndata: {EVENT}\r\n\r\n"
        );
        for split in [1, 7, 50, stream.len()] {
            let mut parser = SseParser::new();
            let mut events = vec![];
            for chunk in stream.as_bytes().chunks(split) {
                events.extend(parser.push(chunk));
            }
            assert_eq!(events.len(), 2, "split {split}");
            assert_eq!(events[0].event, "head");
            assert_eq!(events[1].event, "payload_attributes");
            let attrs = parse_payload_attributes(&events[1].data).unwrap();
            assert_eq!(attrs.proposal_slot, 2);
            assert_eq!(attrs.payload_attributes.timestamp, 24);
        }
    }

    #[test]
    fn multi_line_data_and_defaults() {
        let mut parser = SseParser::new();
        let events = parser.push(b"data: a\ndata:b\n\n\n\nevent: x\n\n");
        // The second block has no data, so it dispatches nothing.
        assert_eq!(
            events,
            vec![SseEvent {
                event: "message".into(),
                data: "a\nb".into()
            }]
        );
    }

    #[test]
    fn overlong_lines_drop_their_event() {
        let mut parser = SseParser::new();
        let mut stream = b"event: payload_attributes\ndata: ".to_vec();
        stream.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        stream.extend(b"\n\nevent: ok\ndata: 1\n\n");
        let events = parser.push(&stream);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "ok");
        assert!(parse_payload_attributes("{").is_err());
    }

    #[test]
    fn an_overlong_line_drops_the_rest_of_its_event_too() {
        let mut parser = SseParser::new();
        let mut stream = b"data: ".to_vec();
        stream.extend(std::iter::repeat_n(b'x', MAX_LINE_BYTES + 10));
        stream.extend(format!("\nevent: payload_attributes\ndata: {EVENT}\n\n").as_bytes());
        stream.extend(b"event: ok\ndata: 1\n\n");
        let events = parser.push(&stream);
        assert_eq!(
            events.len(),
            1,
            "{:?}",
            events.iter().map(|e| &e.event).collect::<Vec<_>>()
        );
        assert_eq!(events[0].event, "ok");
    }

    #[test]
    fn an_event_larger_than_the_bound_is_dropped() {
        let mut parser = SseParser::new();
        let line = format!("data: {}\n", "y".repeat(64 * 1024));
        for _ in 0..(MAX_EVENT_BYTES / (64 * 1024) + 2) {
            assert!(parser.push(line.as_bytes()).is_empty());
        }
        // Nothing of the oversized event is kept, so memory stays bounded by the limit.
        assert!(parser.buffered_bytes() <= MAX_EVENT_BYTES + MAX_LINE_BYTES);
        let events = parser.push(b"\nevent: ok\ndata: 1\n\n");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event, "ok");
    }

    /// A beacon node that stops sending without closing (a dead peer, a stuck proxy) is given up on
    /// after the idle timeout, and the follower reconnects and hears the next connection's events.
    #[tokio::test]
    async fn a_silent_stream_is_dropped_and_reconnected() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use warp::Filter;
        let connections = Arc::new(AtomicUsize::new(0));
        let senders = Arc::new(parking_lot::Mutex::new(vec![]));
        let (count, keep) = (connections.clone(), senders.clone());
        let route = warp::path!("eth" / "v1" / "events").map(move || {
            let n = count.fetch_add(1, Ordering::SeqCst);
            let (mut sender, body) = warp::hyper::Body::channel();
            let event = EVENT.replace(
                "\"proposal_slot\":\"2\"",
                &format!("\"proposal_slot\":\"{}\"", 100 + n),
            );
            let chunk = format!("event: payload_attributes\ndata: {event}\n\n");
            // The first event goes out, then the connection stays open and silent.
            let _ = sender.try_send_data(chunk.into());
            keep.lock().push(sender);
            warp::http::Response::new(body)
        });
        let (addr, server) = warp::serve(route).bind_ephemeral(([127, 0, 0, 1], 0));
        let server = tokio::spawn(server);
        let slots = Arc::new(parking_lot::Mutex::new(vec![]));
        let seen = slots.clone();
        let follower = tokio::spawn(follow_with(
            format!("http://{addr}/").parse().unwrap(),
            Duration::from_millis(300),
            move |event| seen.lock().push(event.proposal_slot),
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while slots.lock().len() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "no reconnection after a silent stream: {:?}",
                slots.lock()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        follower.abort();
        server.abort();
        assert_eq!(slots.lock()[..2], [100, 101]);
    }

    #[test]
    fn stream_url_keeps_a_base_path() {
        let url = events_url(&"http://127.0.0.1:5052/bn/".parse().unwrap());
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5052/bn/eth/v1/events?topics=payload_attributes"
        );
    }
}
