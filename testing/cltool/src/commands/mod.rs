//! One module per subcommand, each generic over the preset `E`.

pub mod block_hash;
pub mod genesis;
pub mod ssz;
pub mod transition;
pub mod verify;

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;
use types::Hash256;

/// `0x`-prefixed lower-case hex of a 32-byte hash.
pub fn hex_hash(hash: &Hash256) -> String {
    format!("0x{}", hex::encode(hash.as_slice()))
}

/// Print one line on stdout, reporting a failed write (e.g. a closed pipe) as an error.
pub fn print_line(line: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::write(Path::new("<stdout>"), e))
}
