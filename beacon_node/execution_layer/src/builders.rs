//! Per-builder state: the client, what it did (bids, rejections, failures, wins, unblinding) and the
//! visible status served by the node's API.

use crate::bid_checks::BidRejection;
use crate::circuit_breaker::CircuitBreakerVerdict;
use crate::registry::BuilderState;
use builder_api::BuilderClient;
use parking_lot::Mutex;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use types::{Address, Epoch, ExecutionBlockHash, Hash256, PublicKeyBytes, Slot, U256};

/// What one builder answered for one proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuilderOutcome {
    /// A bid that passed every check.
    Bid {
        /// Wei to the proposer.
        value: U256,
        /// The offered payload's block hash.
        block_hash: ExecutionBlockHash,
        /// The header's fee recipient when it is not the registered one (the builder pays by
        /// transaction); recorded, not refused, unless the node requires the fee recipient.
        fee_recipient_mismatch: Option<Address>,
    },
    /// A bid that failed a check.
    Rejected(BidRejection),
    /// The builder answered 204: it has nothing for this slot.
    NoBid,
    /// No answer within the getHeader timeout: a late bid is ignored.
    Timeout,
    /// Any other failure (transport, HTTP status, undecodable answer).
    Error(String),
    /// Disabled (after an INVALID, withheld or mismatched payload): not asked.
    Disabled,
    /// Not asked, for the reason given (`not_registered`, `circuit_breaker`).
    Skipped(&'static str),
}

impl BuilderOutcome {
    /// A short, stable label for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Bid { .. } => "bid",
            Self::Rejected(rejection) => rejection.reason(),
            Self::NoBid => "no_bid",
            Self::Timeout => "timeout",
            Self::Error(_) => "error",
            Self::Disabled => "disabled",
            Self::Skipped(reason) => reason,
        }
    }
}

/// One builder's part in a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderReport {
    /// The builder's name.
    pub builder: String,
    /// What it answered.
    pub outcome: BuilderOutcome,
    /// How long getHeader (and the bid checks) took; zero when the builder was not asked.
    pub elapsed: Duration,
}

/// Counters of one builder since start. Integers are quoted in JSON, as the beacon API quotes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BuilderCounters {
    /// Valid bids.
    #[serde(with = "quoted_u64")]
    pub bids: u64,
    /// Rejected bids by failed check.
    #[serde(serialize_with = "quoted_u64::serialize_map")]
    pub rejections: BTreeMap<String, u64>,
    /// getHeader calls without an answer in time.
    #[serde(with = "quoted_u64")]
    pub timeouts: u64,
    /// getHeader calls that failed otherwise.
    #[serde(with = "quoted_u64")]
    pub errors: u64,
    /// getHeader calls answered 204 (no bid for the slot: not a failure).
    #[serde(with = "quoted_u64")]
    pub no_bids: u64,
    /// Accepted bids whose header pays another address than the registered fee recipient.
    #[serde(with = "quoted_u64")]
    pub fee_recipient_mismatches: u64,
    /// Proposals at which this builder's bid was chosen (the block may still go unsigned).
    #[serde(with = "quoted_u64")]
    pub chosen: u64,
    /// Signed blocks whose payload this builder revealed (or published): the proposals it won.
    #[serde(with = "quoted_u64")]
    pub wins: u64,
    /// Blocks revealed (or accepted for publishing) after signing.
    #[serde(with = "quoted_u64")]
    pub unblind_successes: u64,
    /// Revealed payloads whose root or blobs did not match the signed block.
    #[serde(with = "quoted_u64")]
    pub unblind_mismatches: u64,
    /// Signed blocks the builder never revealed (or published) within the budget.
    #[serde(with = "quoted_u64")]
    pub unblind_withheld: u64,
    /// Payloads the execution engine found INVALID.
    #[serde(with = "quoted_u64")]
    pub invalid_payloads: u64,
}

/// The last valid bid of a builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LastBid {
    /// The proposal's slot.
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    /// Wei, as a decimal string (beacon-API style).
    pub value: String,
    /// The offered payload's block hash.
    pub block_hash: ExecutionBlockHash,
    /// The header's fee recipient, when it is not the registered one.
    pub fee_recipient_mismatch: Option<Address>,
}

/// Whether a builder is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BuilderStatusState {
    /// Asked at every proposal.
    Enabled,
    /// Disabled because of the block `block_root`: its payload was INVALID, withheld after signing,
    /// or revealed not matching the signed block.
    Disabled {
        /// `invalid_payload`, `withheld` or `reveal_mismatch`.
        reason: String,
        /// The block whose payload was INVALID.
        block_root: Hash256,
        /// Its slot.
        #[serde(with = "quoted_u64")]
        slot: Slot,
        /// Its payload's block hash.
        execution_block_hash: ExecutionBlockHash,
        /// The epoch from which it is asked again; absent: until restart.
        #[serde(
            with = "quoted_u64_option",
            skip_serializing_if = "Option::is_none",
            default
        )]
        until_epoch: Option<Epoch>,
    },
}

impl From<&BuilderState> for BuilderStatusState {
    fn from(state: &BuilderState) -> Self {
        match state {
            BuilderState::Enabled => Self::Enabled,
            BuilderState::Disabled(disabled) => Self::Disabled {
                reason: disabled.reason.label().into(),
                block_root: disabled.block_root,
                slot: disabled.slot,
                execution_block_hash: disabled.execution_block_hash,
                until_epoch: disabled.until_epoch,
            },
        }
    }
}

/// A builder's visible state, as `GET /blindfold/v1/builders` serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuilderStatus {
    /// The builder's identity in logs, metrics and the registry: its pinned key, or its URL.
    pub name: String,
    /// The URL requests go to (never with credentials: a pinned key is moved out of it).
    pub url: String,
    /// The key its bids must carry, when pinned.
    pub pubkey: Option<PublicKeyBytes>,
    /// Enabled, or disabled with the reason.
    pub state: BuilderStatusState,
    /// Its last valid bid.
    pub last_bid: Option<LastBid>,
    /// What it did since start.
    pub counters: BuilderCounters,
    /// `relay` (builder-specs), `rpc` (`builder_getPayloadV1`) or `engine` (engine API).
    pub kind: &'static str,
    /// An RPC builder's pinned secp256k1 address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// The circuit breaker's last verdict, for visibility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CircuitBreakerStatus {
    /// The proposal's slot.
    #[serde(with = "quoted_u64")]
    pub slot: Slot,
    /// Whether builders were kept out.
    pub tripped: bool,
    /// The exceeded threshold, e.g. `"5 skipped slots at the head exceed 3"`.
    pub reason: Option<String>,
    /// A stable label for the reason, e.g. `skipped_slots_at_head`.
    pub reason_label: Option<&'static str>,
}

impl CircuitBreakerStatus {
    pub(crate) fn new(slot: Slot, verdict: &CircuitBreakerVerdict) -> Self {
        match verdict {
            CircuitBreakerVerdict::Closed => Self {
                slot,
                tripped: false,
                reason: None,
                reason_label: None,
            },
            CircuitBreakerVerdict::Tripped(reason) => Self {
                slot,
                tripped: true,
                reason: Some(reason.to_string()),
                reason_label: Some(reason.reason()),
            },
        }
    }
}

/// The whole module's visible state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecutionLayerStatus {
    /// Every builder, in configuration order.
    pub builders: Vec<BuilderStatus>,
    /// `None` before the first proposal.
    pub circuit_breaker: Option<CircuitBreakerStatus>,
}

/// A configured builder and what it did since start.
#[derive(Debug)]
pub(crate) struct Builder {
    pub name: String,
    pub client: BuilderClient,
    pub record: Mutex<BuilderRecord>,
}

/// The mutable part of a [`Builder`].
#[derive(Debug, Default)]
pub(crate) struct BuilderRecord {
    pub counters: BuilderCounters,
    pub last_bid: Option<LastBid>,
}

impl Builder {
    pub fn new(name: String, client: BuilderClient) -> Self {
        Self {
            name,
            client,
            record: Mutex::new(BuilderRecord::default()),
        }
    }
}

/// A builder's identity: its pinned BLS key (`0x...`) when the URL pins one, else its URL (which
/// never holds credentials: the client moves a pinned key out of it). Never its position in the
/// configuration, so that attributions in the store survive a reordered or extended builder list.
pub fn builder_identity(client: &BuilderClient) -> String {
    match client.pinned_pubkey() {
        Some(pubkey) => pubkey.to_string(),
        None => client.url().to_string(),
    }
}

/// The identities of `clients`, in order; an error names the first one configured twice.
pub(crate) fn builder_names(clients: &[BuilderClient]) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = Vec::with_capacity(clients.len());
    for client in clients {
        let name = builder_identity(client);
        if names.contains(&name) {
            return Err(name);
        }
        names.push(name);
    }
    Ok(names)
}

/// Serde for a `u64` as a quoted decimal string (beacon-API style).
pub(crate) mod quoted_u64 {
    use serde::Serializer;
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&value.to_string())
    }

    /// A map of counters, each value quoted.
    pub fn serialize_map<S: Serializer>(
        map: &BTreeMap<String, u64>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_map(map.iter().map(|(key, value)| (key, value.to_string())))
    }
}

/// Serde for an optional `u64` as a quoted decimal string.
pub(crate) mod quoted_u64_option {
    use serde::Serializer;

    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_str(&value.to_string()),
            None => serializer.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use builder_api::BuilderConfig;

    fn client(url: &str) -> BuilderClient {
        BuilderClient::new(BuilderConfig::from_flag(url, "--builder").unwrap()).unwrap()
    }

    #[test]
    fn identities_are_pinned_keys_or_urls_and_unique() {
        let key = bls::interop_secret_key(3).public_key().to_bytes();
        let pinned = format!("http://{key:?}@127.0.0.1:18551");
        let clients = [
            client("http://127.0.0.1:18550"),
            client("https://relay.example"),
            client("http://127.0.0.1:18550/other"),
            client(&pinned),
        ];
        assert_eq!(
            builder_names(&clients).unwrap(),
            [
                "http://127.0.0.1:18550/".to_string(),
                "https://relay.example/".to_string(),
                "http://127.0.0.1:18550/other".to_string(),
                key.to_string(),
            ]
        );
        // The same builder twice is a configuration error, not a `#2` whose meaning depends on order.
        let twice = [
            client("http://127.0.0.1:18550"),
            client("http://127.0.0.1:18550/"),
        ];
        assert_eq!(
            builder_names(&twice).unwrap_err(),
            "http://127.0.0.1:18550/"
        );
    }

    #[test]
    fn status_serializes_with_state_tag_and_quoted_integers() {
        let status = BuilderStatus {
            name: "a:1".into(),
            url: "http://a:1/".into(),
            pubkey: None,
            state: BuilderStatusState::Disabled {
                reason: "invalid_payload".into(),
                block_root: Hash256::repeat_byte(1),
                slot: 7,
                execution_block_hash: Hash256::repeat_byte(2),
                until_epoch: Some(9),
            },
            last_bid: Some(LastBid {
                slot: 6,
                value: "1000".into(),
                block_hash: Hash256::repeat_byte(3),
                fee_recipient_mismatch: None,
            }),
            counters: BuilderCounters {
                rejections: [("zero_value".to_string(), 2)].into(),
                ..BuilderCounters::default()
            },
            kind: "relay",
            address: None,
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(json["state"]["status"], "disabled");
        assert_eq!(json["state"]["slot"], "7");
        assert_eq!(json["state"]["until_epoch"], "9");
        assert_eq!(json["last_bid"]["slot"], "6");
        assert_eq!(json["last_bid"]["value"], "1000");
        assert_eq!(json["counters"]["wins"], "0");
        assert_eq!(json["counters"]["rejections"]["zero_value"], "2");
    }
}
