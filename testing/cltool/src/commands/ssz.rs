//! `cltool ssz root` and `cltool ssz convert`.

use super::{hex_hash, print_line};
use crate::cli::{ConvertArgs, OutputFormat, RootArgs, TypeArgs};
use crate::dispatch::{loader, AnyContainer};
use crate::error::{Error, Result};
use crate::input;
use std::io::Write;
use std::path::Path;
use types::{EthSpec, ForkName};

/// Resolve the type (before touching the file, so that a bad `--type` is reported as such), then read
/// and decode the file.
fn load<E: EthSpec>(which: &TypeArgs, path: &Path) -> Result<Box<dyn AnyContainer>> {
    let fork = ForkName::from(which.fork);
    let (info, load) = loader::<E>(&which.type_name, fork)?;
    let input = input::read(path)?;
    load(path, input, fork, info.name)
}

pub fn root<E: EthSpec>(args: &RootArgs) -> Result<()> {
    let container = load::<E>(&args.which, &args.file)?;
    print_line(&hex_hash(&container.hash_tree_root()))
}

pub fn convert<E: EthSpec>(args: &ConvertArgs) -> Result<()> {
    let container = load::<E>(&args.which, &args.input)?;
    let out = &args.output;
    let bytes = match args.to {
        OutputFormat::Ssz => input::ssz_for_output(out, container.ssz_bytes())?,
        OutputFormat::Json => {
            let mut text = container
                .to_json_pretty()
                .map_err(|e| Error::input(format!("cannot serialise as JSON: {e}")))?;
            text.push('\n');
            text.into_bytes()
        }
    };
    if out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(&bytes)
            .and_then(|()| stdout.flush())
            .map_err(|e| Error::write(Path::new("<stdout>"), e))
    } else {
        std::fs::write(out, &bytes).map_err(|e| Error::write(out, e))
    }
}
