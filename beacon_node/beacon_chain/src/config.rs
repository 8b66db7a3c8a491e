//! The chain's settings that are not in the `ChainSpec`.

use types::Address;

/// How many post-block states are kept in memory to import children without a store read.
pub const DEFAULT_STATE_CACHE_SIZE: usize = 16;

/// How far into the future (milliseconds) a block's slot may start and still be imported: clocks
/// differ a little between nodes (the p2p spec's `MAXIMUM_GOSSIP_CLOCK_DISPARITY` is 500 ms).
pub const MAXIMUM_CLOCK_DISPARITY_MS: u64 = 500;

/// The chain's settings.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// The fee recipient of local payloads for proposers that did not `prepare_beacon_proposer`
    /// (`--suggested-fee-recipient`). `None`: such proposers get no early local build, and a local
    /// payload pays the zero address, as the engine API's attributes require one.
    pub suggested_fee_recipient: Option<Address>,
    /// See [`DEFAULT_STATE_CACHE_SIZE`].
    pub state_cache_size: usize,
    /// Graffiti for blocks whose proposer sent none.
    pub default_graffiti: [u8; 32],
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self {
            suggested_fee_recipient: None,
            state_cache_size: DEFAULT_STATE_CACHE_SIZE,
            default_graffiti: graffiti("blindfold"),
        }
    }
}

/// `text` as block graffiti: its UTF-8 bytes, cut at 32, zero-padded.
pub fn graffiti(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    let bytes = text.as_bytes();
    let len = bytes.len().min(32);
    out[..len].copy_from_slice(&bytes[..len]);
    out
}
