//! The command line, as clap sees it. Scripts rely on these names: change them only with care.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use types::{ForkName, Hash256, PublicKeyBytes, Version};

#[derive(Debug, Parser)]
#[command(
    name = "cltool",
    version,
    about = "Blindfold's developer tool: SSZ roots and conversions, signature checks, execution block hashes",
    long_about = "Blindfold's developer tool: SSZ hash tree roots and format conversions for consensus-specs and \
                  builder-specs containers, BLS signature checks for builder bids, validator registrations and \
                  (blinded) blocks, execution block hashes recomputed from payload fields, state transitions \
                  (blocks and slots applied to a state) and interop genesis states.\n\n\
                  Input files are read by extension: .ssz (raw SSZ), .ssz_snappy (snappy block format, as in \
                  consensus-spec-tests), .json (beacon-API JSON, bare or in a {\"version\", \"data\"} envelope, or \
                  a builder-specs example wrapped as {\"value\": ...}) and .yaml (consensus-spec-tests value.yaml).\n\n\
                  Exit status: 0 on success (and for a valid signature), 1 for an invalid signature or block, 2 for bad \
                  input or usage, with one line on stderr starting `cltool: error:`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// SSZ containers: hash tree roots and conversions between SSZ and JSON
    #[command(subcommand)]
    Ssz(SszCommand),
    /// Check a BLS signature: prints `valid` (exit 0) or `invalid` (exit 1)
    #[command(
        long_about = "Check the BLS signature of a signed builder bid, validator registration(s) or (blinded) \
                      beacon block. Prints `valid` and exits 0, or prints `invalid` and exits 1 (with the reason \
                      on stderr). A key or signature that is not a valid curve point is `invalid`.\n\n\
                      builder-bid (SignedBuilderBid) and validator-registration (SignedValidatorRegistrationV1, or \
                      a JSON list / SSZ concatenation of them, all of which must verify) are signed under \
                      DOMAIN_APPLICATION_BUILDER over --genesis-fork-version and a zero genesis validators root, \
                      by the key inside the message (`message.pubkey`).\n\n\
                      block (SignedBeaconBlock) and blinded-block (SignedBlindedBeaconBlock) are signed under \
                      DOMAIN_BEACON_PROPOSER over --fork-version and --genesis-validators-root, by --pubkey; all \
                      three are required for them (--genesis-fork-version is accepted and unused).",
        after_help = "Examples:\n  \
                      cltool verify-signature --kind builder-bid --fork capella --genesis-fork-version 0x90000069 bid.json\n  \
                      cltool verify-signature --kind validator-registration --genesis-fork-version 0x00000000 regs.json\n  \
                      cltool verify-signature --kind blinded-block --fork deneb --genesis-fork-version 0x00001020 \\\n    \
                      --fork-version 0x04001020 --genesis-validators-root 0x043d...3efb --pubkey 0x8322...6148 block.json"
    )]
    VerifySignature(VerifyArgs),
    /// Recompute an execution block hash from an ExecutionPayload's fields
    #[command(
        long_about = "Recompute the execution-layer block hash (keccak256 of the RLP block header) from the fields \
                      of a beacon-API ExecutionPayload, and print it. The payload's own `block_hash` field is \
                      ignored, so comparing the output with it checks the payload.\n\n\
                      The header also commits to beacon-block context that the payload does not carry: from deneb \
                      on the parent beacon block root (--parent-beacon-block-root, required), and from electra on \
                      the execution requests (--execution-requests, required; an ExecutionRequests JSON with three \
                      empty lists stands for none). Giving either for a fork without it is an error.",
        after_help = "Examples:\n  \
                      cltool block-hash --fork capella payload.json\n  \
                      cltool block-hash --fork deneb --parent-beacon-block-root 0xa119...17fc payload.json\n  \
                      cltool block-hash --fork electra --parent-beacon-block-root 0x... --execution-requests requests.json payload.json"
    )]
    BlockHash(BlockHashArgs),
    /// Apply signed blocks (and empty slots) to a state: prints the post-state's `state_root=0x..`
    #[command(
        long_about = "Apply signed beacon blocks to a beacon state, in order, as the consensus-specs \
                      `state_transition` does: advance to each block's slot (epoch processing and scheduled \
                      fork upgrades included), check the proposer's signature (unless --no-signature-check), \
                      process the block (its execution payload taken as valid) and check the block's state \
                      root. With --slots N, then advance N more slots. Writes the post-state to --out (snappy \
                      compressed when it ends in .ssz_snappy) and prints `state_root=0x..`.\n\n\
                      The state and the blocks are SSZ (.ssz or .ssz_snappy); each block is of the fork \
                      active at its slot. Without --config, every fork up to the pre-state's fork is active \
                      from genesis and later forks never come; --config takes a consensus-specs config.yaml \
                      (its PRESET_BASE must match --preset) with its fork schedule.\n\n\
                      Exit status: 0 when every block is valid, 1 for an invalid block or a state root \
                      mismatch (the reason on stderr, nothing written), 2 for bad input.",
        after_help = "Examples:\n  \
                      cltool transition --preset minimal --pre pre.ssz_snappy --block blocks_0.ssz_snappy \\\n    \
                      --block blocks_1.ssz_snappy --out post.ssz\n  \
                      cltool transition --preset mainnet --config config.yaml --pre state.ssz --slots 64 --out post.ssz"
    )]
    Transition(TransitionArgs),
    /// Build an interop genesis state: prints `genesis_validators_root=0x..` and `state_root=0x..`
    #[command(
        long_about = "Build the interop genesis state of a fork: validators 0..N with the interop keys, BLS \
                      withdrawal credentials and 32 ETH each, all active from genesis, the eth1 block hash \
                      0x4242..42, every fork up to --fork active from genesis (the preset's bundled config). \
                      Writes the state to --out (snappy compressed when it ends in .ssz_snappy) and prints \
                      `genesis_validators_root=0x..` and `state_root=0x..`, one per line.",
        after_help = "Example:\n  \
                      cltool genesis --preset minimal --fork fulu --validators 64 --genesis-time 1700000000 --out genesis.ssz"
    )]
    Genesis(GenesisArgs),
}

#[derive(Debug, Subcommand)]
pub enum SszCommand {
    /// Print a container's hash tree root (0x-prefixed hex, one line)
    #[command(after_help = "Example:\n  \
                            cltool ssz root --preset minimal --fork deneb --type BeaconBlock \\\n    \
                            consensus-spec-tests/tests/minimal/deneb/ssz_static/BeaconBlock/ssz_random/case_0/serialized.ssz_snappy")]
    Root(RootArgs),
    /// Convert a container between SSZ and beacon-API JSON
    #[command(
        long_about = "Convert a container to SSZ or to beacon-API JSON. The input is any supported format. \
                      `--to ssz` writes raw SSZ, or snappy-compressed SSZ (block format) when OUT ends in \
                      .ssz_snappy. `--to json` writes pretty-printed beacon-API JSON: fork-dependent containers \
                      (blocks, block bodies, states, payloads, payload headers, bids, ExecutionPayloadAndBlobsBundle) \
                      in a {\"version\": \"<fork>\", \"data\": ...} envelope, all others as the bare object. \
                      OUT `-` writes to stdout.",
        after_help = "Example:\n  \
                      cltool ssz convert --fork capella --type SignedBuilderBid --to ssz bid.json bid.ssz"
    )]
    Convert(ConvertArgs),
}

/// The options that say which container a file holds.
#[derive(Debug, Args)]
pub struct TypeArgs {
    /// Preset of the list and vector lengths
    #[arg(long, value_enum, default_value_t = Preset::Mainnet)]
    pub preset: Preset,
    /// Fork of the container
    #[arg(long, value_enum)]
    pub fork: Fork,
    /// Container name, e.g. BeaconBlock, SignedBuilderBid (see the list below)
    #[arg(long = "type", value_name = "TYPE", long_help = crate::dispatch::types_help())]
    pub type_name: String,
}

#[derive(Debug, Args)]
pub struct RootArgs {
    #[command(flatten)]
    pub which: TypeArgs,
    /// Input file: .ssz, .ssz_snappy, .json or .yaml
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub which: TypeArgs,
    /// Output format
    #[arg(long, value_enum)]
    pub to: OutputFormat,
    /// Input file: .ssz, .ssz_snappy, .json or .yaml
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// Output file (`-` for stdout)
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// What the file holds
    #[arg(long, value_enum)]
    pub kind: Kind,
    /// Fork of the bid or block (required except for validator-registration)
    #[arg(long, value_enum)]
    pub fork: Option<Fork>,
    /// Preset of the list and vector lengths
    #[arg(long, value_enum, default_value_t = Preset::Mainnet)]
    pub preset: Preset,
    /// The network's GENESIS_FORK_VERSION, for the builder domain (bids and registrations)
    #[arg(long, value_name = "0xXXXXXXXX", value_parser = parse_version)]
    pub genesis_fork_version: Option<Version>,
    /// The network's genesis validators root (blocks only)
    #[arg(long, value_name = "0x..", value_parser = parse_root)]
    pub genesis_validators_root: Option<Hash256>,
    /// The fork version at the block's epoch (blocks only)
    #[arg(long, value_name = "0xXXXXXXXX", value_parser = parse_version)]
    pub fork_version: Option<Version>,
    /// The proposer's public key (blocks only; bids and registrations carry their key)
    #[arg(long, value_name = "0x..", value_parser = parse_pubkey)]
    pub pubkey: Option<PublicKeyBytes>,
    /// Input file: .ssz, .ssz_snappy, .json or .yaml
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct BlockHashArgs {
    /// Fork of the payload
    #[arg(long, value_enum)]
    pub fork: Fork,
    /// Preset of the list and vector lengths
    #[arg(long, value_enum, default_value_t = Preset::Mainnet)]
    pub preset: Preset,
    /// The beacon block's parent_root (required from deneb on)
    #[arg(long, value_name = "0x..", value_parser = parse_root)]
    pub parent_beacon_block_root: Option<Hash256>,
    /// The beacon block's execution requests, a beacon-API ExecutionRequests JSON (required from electra on)
    #[arg(long, value_name = "FILE.json")]
    pub execution_requests: Option<PathBuf>,
    /// The ExecutionPayload: beacon-API JSON (bare, {"version","data"} or {"value": ...}); SSZ and YAML work too
    #[arg(value_name = "PAYLOAD.json")]
    pub payload: PathBuf,
}

#[derive(Debug, Args)]
pub struct TransitionArgs {
    /// Preset of the list and vector lengths
    #[arg(long, value_enum)]
    pub preset: Preset,
    /// A consensus-specs config.yaml (fork schedule and other parameters); default: the preset's
    /// bundled config with every fork up to the pre-state's at genesis
    #[arg(long, value_name = "CONFIG.yaml")]
    pub config: Option<PathBuf>,
    /// The pre-state (BeaconState SSZ, .ssz or .ssz_snappy)
    #[arg(long, value_name = "STATE.ssz")]
    pub pre: PathBuf,
    /// Where to write the post-state (SSZ; snappy compressed if it ends in .ssz_snappy)
    #[arg(long, value_name = "POST.ssz")]
    pub out: PathBuf,
    /// A SignedBeaconBlock to apply (SSZ, .ssz or .ssz_snappy); repeat for several, applied in order
    #[arg(long = "block", value_name = "B.ssz")]
    pub blocks: Vec<PathBuf>,
    /// Advance this many slots after the last block
    #[arg(long, value_name = "N")]
    pub slots: Option<u64>,
    /// Do not verify any signature (the proposer's nor those inside the blocks)
    #[arg(long)]
    pub no_signature_check: bool,
}

#[derive(Debug, Args)]
pub struct GenesisArgs {
    /// Preset of the list and vector lengths
    #[arg(long, value_enum)]
    pub preset: Preset,
    /// Fork of the genesis state
    #[arg(long, value_enum)]
    pub fork: Fork,
    /// Number of interop validators
    #[arg(long, value_name = "N")]
    pub validators: u64,
    /// The genesis time (Unix seconds), taken as given
    #[arg(long, value_name = "T")]
    pub genesis_time: u64,
    /// The genesis execution payload header (beacon-API JSON; SSZ and YAML work too); default: the
    /// fork's empty header
    #[arg(long, value_name = "FILE.json")]
    pub execution_payload_header: Option<PathBuf>,
    /// Where to write the state (SSZ; snappy compressed if it ends in .ssz_snappy)
    #[arg(long, value_name = "STATE.ssz")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Preset {
    Mainnet,
    Minimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fork {
    Capella,
    Deneb,
    Electra,
    Fulu,
}

impl From<Fork> for ForkName {
    fn from(fork: Fork) -> Self {
        match fork {
            Fork::Capella => ForkName::Capella,
            Fork::Deneb => ForkName::Deneb,
            Fork::Electra => ForkName::Electra,
            Fork::Fulu => ForkName::Fulu,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Ssz,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// A SignedBuilderBid
    BuilderBid,
    /// A SignedValidatorRegistrationV1, or a list of them
    ValidatorRegistration,
    /// A SignedBlindedBeaconBlock
    BlindedBlock,
    /// A SignedBeaconBlock
    Block,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BuilderBid => "builder-bid",
            Kind::ValidatorRegistration => "validator-registration",
            Kind::BlindedBlock => "blinded-block",
            Kind::Block => "block",
        }
    }
}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(digits).map_err(|e| format!("invalid hex: {e}"))?;
    bytes.try_into().map_err(|b: Vec<u8>| {
        format!(
            "expected {N} bytes (0x and {} hex digits), got {}",
            2 * N,
            b.len()
        )
    })
}

fn parse_version(s: &str) -> Result<Version, String> {
    parse_hex::<4>(s)
}

fn parse_root(s: &str) -> Result<Hash256, String> {
    parse_hex::<32>(s).map(Hash256::from)
}

fn parse_pubkey(s: &str) -> Result<PublicKeyBytes, String> {
    parse_hex::<48>(s).map(PublicKeyBytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn hex_options() {
        assert_eq!(parse_version("0x90000069").unwrap(), [0x90, 0, 0, 0x69]);
        assert_eq!(parse_version("00000001").unwrap(), [0, 0, 0, 1]);
        assert!(parse_version("0x900000").is_err());
        assert!(parse_version("0xzz000069").is_err());
        assert!(parse_root("0x00").is_err());
        assert!(parse_pubkey(&format!("0x{}", "ab".repeat(48))).is_ok());
    }
}
