//! Following a beacon node's `payload_attributes` events over Server-Sent Events
//! (`GET {bn}/eth/v1/events?topics=payload_attributes`), reconnecting with backoff when the stream ends.

use std::time::Duration;
use types::{PayloadAttributesEnvelope, PayloadAttributesEvent, PAYLOAD_ATTRIBUTES_TOPIC};

/// A line longer than this is dropped with the event it belongs to (an untrusted stream must not make
/// us buffer without bound; a real `payload_attributes` event with 16 withdrawals is about 3 KB).
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// First wait before reconnecting; it doubles on each failure up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// One dispatched SSE event: its `event:` name (`message` when absent) and its joined `data:` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// An incremental SSE parser (the WHATWG event-stream format): feed it bytes as they arrive, in chunks
/// split anywhere, and take the complete events.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    overlong: bool,
    event: Option<String>,
    data: Vec<String>,
}

impl SseParser {
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
                    // The event that had an overlong line is incomplete: drop it.
                    self.event = None;
                    self.data.clear();
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

    fn line_done(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            let event = self.event.take();
            if self.data.is_empty() {
                return None;
            }
            let data = std::mem::take(&mut self.data).join("\n");
            return Some(SseEvent {
                event: event.unwrap_or_else(|| "message".into()),
                data,
            });
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
            "data" => self.data.push(value.to_string()),
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

/// Follow `beacon_node`'s events for ever, handing each `payload_attributes` event to `on_event`.
/// Reconnects after any error or end of stream, waiting 250 ms at first and doubling up to 10 s; the
/// wait resets once a stream delivers an event.
pub async fn follow(beacon_node: url::Url, on_event: impl Fn(PayloadAttributesEvent)) {
    let url = events_url(&beacon_node);
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
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
        match stream_once(&client, &url, &on_event).await {
            Ok(got_events) => {
                if got_events {
                    backoff = MIN_BACKOFF;
                }
                tracing::info!(url = %url, "event stream ended; reconnecting");
            }
            Err(e) => tracing::warn!(url = %url, error = %e, "event stream failed; reconnecting"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection: read until the stream ends. Ok(true) if any event arrived.
async fn stream_once(
    client: &reqwest::Client,
    url: &url::Url,
    on_event: &impl Fn(PayloadAttributesEvent),
) -> Result<bool, String> {
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
    let mut got = false;
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        for event in parser.push(&chunk) {
            if event.event != PAYLOAD_ATTRIBUTES_TOPIC {
                continue;
            }
            got = true;
            match parse_payload_attributes(&event.data) {
                Ok(attributes) => on_event(attributes),
                Err(e) => tracing::warn!(error = %e, "skipping an event"),
            }
        }
    }
    Ok(got)
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
    fn stream_url_keeps_a_base_path() {
        let url = events_url(&"http://127.0.0.1:5052/bn/".parse().unwrap());
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:5052/bn/eth/v1/events?topics=payload_attributes"
        );
    }
}
