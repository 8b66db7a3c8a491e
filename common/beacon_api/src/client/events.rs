//! `GET /eth/v1/events`: a server-sent event stream, read chunk by chunk and cut into events at blank
//! lines (`event: <topic>`, `data: <json>`).

use super::{BeaconNodeHttpClient, Error};
use reqwest::header::ACCEPT;
use reqwest::Response;

/// One event of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    /// The topic (`head`, `block`, `payload_attributes`, ...).
    pub event: String,
    /// The event's JSON data.
    pub data: serde_json::Value,
}

/// The longest event kept while waiting for its end: a stream that never ends an event must not grow
/// without bound.
const MAX_PENDING_BYTES: usize = 16 * 1024 * 1024;

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    response: Response,
    buffer: Vec<u8>,
}

impl EventStream {
    /// The next event; `None` when the node closed the stream.
    pub async fn next(&mut self) -> Option<Result<SseEvent, Error>> {
        loop {
            if let Some(event) = self.take_event() {
                match event {
                    Ok(Some(event)) => return Some(Ok(event)),
                    Ok(None) => continue,
                    Err(e) => return Some(Err(e)),
                }
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => {
                    self.buffer.extend_from_slice(&chunk);
                    if self.buffer.len() > MAX_PENDING_BYTES {
                        return Some(Err(Error::Decode("event too long".into())));
                    }
                }
                Ok(None) => return None,
                Err(e) => return Some(Err(e.into())),
            }
        }
    }

    /// Cuts one event block off the buffer (bytes up to a blank line, so a character split across
    /// chunks stays whole): `Some(Ok(None))` for a block without data (a keep-alive comment).
    fn take_event(&mut self) -> Option<Result<Option<SseEvent>, Error>> {
        let (end, separator) = find_blank_line(&self.buffer)?;
        let block: Vec<u8> = self.buffer.drain(..end + separator).take(end).collect();
        let text = String::from_utf8_lossy(&block);
        let mut event = String::from("message");
        let mut data = Vec::new();
        for line in text.lines() {
            if let Some(value) = line.strip_prefix("event:") {
                event = value.trim().to_string();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push(value.strip_prefix(' ').unwrap_or(value).to_string());
            }
        }
        if data.is_empty() {
            return Some(Ok(None));
        }
        Some(
            serde_json::from_str(&data.join("\n"))
                .map(|data| Some(SseEvent { event, data }))
                .map_err(|e| Error::Decode(e.to_string())),
        )
    }
}

/// The first blank line: its position and the separator's length (`\n\n` or `\r\n\r\n`).
fn find_blank_line(bytes: &[u8]) -> Option<(usize, usize)> {
    let lf = bytes.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

impl BeaconNodeHttpClient {
    /// `GET /eth/v1/events?topics=...`: opens the stream.
    pub async fn get_events(&self, topics: &[&str]) -> Result<EventStream, Error> {
        let url = self.url_with_query("eth/v1/events", &[("topics", topics.join(","))])?;
        // The stream outlives any call timeout: a client without one.
        let client = reqwest::Client::builder().build()?;
        let response = self
            .send(client.get(url).header(ACCEPT, "text/event-stream"))
            .await?;
        Ok(EventStream {
            response,
            buffer: Vec::new(),
        })
    }
}
