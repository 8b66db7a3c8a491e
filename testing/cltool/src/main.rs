//! `cltool`: Blindfold's developer command-line tool — SSZ hash tree roots and SSZ/JSON conversions of
//! consensus-specs and builder-specs containers, BLS signature checks of bids, registrations and blocks,
//! and execution block hashes recomputed from payload fields.
//!
//! Exit status: 0 on success (a valid signature included), 1 for an invalid signature or (`transition`)
//! an invalid block, 2 for bad input or usage. Every error is one line on stderr, `cltool: error: ...`;
//! clap reports command-line syntax errors itself (also with status 2).

mod cli;
mod commands;
mod dispatch;
mod error;
mod input;

use clap::Parser;
use cli::{Cli, Command, Preset, SszCommand};
use commands::transition::Outcome;
use commands::verify::Verdict;
use error::Result;
use std::process::ExitCode;
use types::{EthSpec, MainnetEthSpec, MinimalEthSpec};

const EXIT_INVALID: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    install_panic_hook();
    let cli = Cli::parse();
    let preset = match &cli.command {
        Command::Ssz(SszCommand::Root(args)) => args.which.preset,
        Command::Ssz(SszCommand::Convert(args)) => args.which.preset,
        Command::VerifySignature(args) => args.preset,
        Command::BlockHash(args) => args.preset,
        Command::Transition(args) => args.preset,
        Command::Genesis(args) => args.preset,
    };
    let outcome = match preset {
        Preset::Mainnet => run::<MainnetEthSpec>(&cli.command),
        Preset::Minimal => run::<MinimalEthSpec>(&cli.command),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("cltool: error: {}", one_line(&e.to_string()));
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Run a command with the preset `E`, returning the exit status.
fn run<E: EthSpec>(command: &Command) -> Result<u8> {
    match command {
        Command::Ssz(SszCommand::Root(args)) => commands::ssz::root::<E>(args).map(|()| 0),
        Command::Ssz(SszCommand::Convert(args)) => commands::ssz::convert::<E>(args).map(|()| 0),
        Command::BlockHash(args) => commands::block_hash::run::<E>(args).map(|()| 0),
        Command::Genesis(args) => commands::genesis::run::<E>(args).map(|()| 0),
        Command::Transition(args) => match commands::transition::run::<E>(args)? {
            Outcome::Done(root) => commands::transition::print_root(&root).map(|()| 0),
            Outcome::Invalid(why) => {
                eprintln!("cltool: error: {}", one_line(&why));
                Ok(EXIT_INVALID)
            }
        },
        Command::VerifySignature(args) => match commands::verify::run::<E>(args)? {
            Verdict::Valid => commands::print_line("valid").map(|()| 0),
            Verdict::Invalid(why) => {
                commands::print_line("invalid")?;
                eprintln!("cltool: {}", one_line(&why));
                Ok(EXIT_INVALID)
            }
        },
    }
}

/// Messages from parsers may span lines; the contract is one line per error.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A panic is a cltool bug, but it still gets the one-line error form (and no backtrace).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "cltool: error: internal error (a cltool bug): {}{location}",
            one_line(&payload)
        );
        std::process::exit(i32::from(EXIT_ERROR));
    }));
}
