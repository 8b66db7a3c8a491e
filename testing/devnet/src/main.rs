//! `devnet run`: a local chain of the real `mock-el`, two `mock-relay`s, `bn` and `vc`, shown live,
//! with a scenario's faults and expectations. Exit status: 0 when every expectation held, 1 when one
//! failed or a process died, 2 for bad arguments or a bad scenario file, 130 when interrupted.

use clap::{Parser, Subcommand};
use devnet::testnet::ForkEpochs;
use devnet::{Binaries, ExecutionEngine, NetworkOptions, RunOptions, Scenario};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "devnet",
    version,
    about = "A local chain of the real mock-el, mock-relay, bn and vc processes, with builders that misbehave on cue."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start mock-el, two mock-relays (relay-b pays by transaction), bn and vc; follow the chain slot by
    /// slot; stop everything at the end, on error or on Ctrl-C; print a summary.
    Run(RunArgs),
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Epochs to run (0: until Ctrl-C). Default: the scenario's, else 6.
    #[arg(long, value_name = "N")]
    epochs: Option<u64>,
    /// The Deneb, Electra and Fulu epochs (`never` for a fork that never comes); the chain starts at
    /// Capella. Default: the scenario's, else 1,2,3.
    #[arg(long, value_name = "D,E,F")]
    fork_epochs: Option<ForkEpochs>,
    /// Slot length (SLOT_DURATION_MS). Default: the scenario's, else 2000.
    #[arg(long, value_name = "MS")]
    slot_ms: Option<u64>,
    /// Interop validators, all in one vc.
    #[arg(long, value_name = "N", default_value_t = 64)]
    validators: u64,
    /// A scenario (TOML): actions at slots and expectations. Without it: builder blocks, few missed
    /// slots, and finality when the run is long enough.
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Also write the summary as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Keep the temporary directory (datadirs, logs, config); it is always kept when the run fails.
    #[arg(long)]
    keep: bool,
    /// Use this directory instead of a temporary one (kept).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Seconds from now to genesis, for the processes to start.
    #[arg(long, value_name = "S", default_value_t = 6)]
    genesis_delay: u64,
    /// Rebuild the programs first even when they exist (they are built when missing).
    #[arg(long)]
    rebuild: bool,
    /// The execution engine: `mock-el`, or `ethereumjs` (the real EthereumJS client, installed by
    /// ../shared/tools/install-ethereumjs.sh; Capella to Electra, so the forks default to 1,2,never;
    /// both relays pay by fee recipient).
    #[arg(long, value_name = "ENGINE", default_value = "mock-el", value_parser = ["mock-el", "ethereumjs"])]
    el: String,
}

fn bad_input(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("devnet: error: {message}");
    ExitCode::from(2)
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            return bad_input(first.trim_start_matches("error: "));
        }
    };
    let Command::Run(args) = cli.command;

    let mut scenario = match &args.scenario {
        Some(path) => match Scenario::from_file(path) {
            Ok(s) => Some(s),
            Err(e) => return bad_input(format!("--scenario {e}")),
        },
        None => None,
    };
    let epochs = args
        .epochs
        .or(scenario.as_ref().and_then(|s| s.epochs))
        .unwrap_or(6);
    let ethereumjs = args.el == "ethereumjs";
    let forks = args
        .fork_epochs
        .or(scenario.as_ref().and_then(|s| s.fork_epochs))
        .unwrap_or_else(|| {
            let mut forks = ForkEpochs::default();
            if ethereumjs {
                forks.fulu = devnet::testnet::FAR_FUTURE_EPOCH;
            }
            forks
        });
    if ethereumjs && forks.fulu != devnet::testnet::FAR_FUTURE_EPOCH {
        return bad_input(format!(
            "--fork-epochs: EthereumJS (--el ethereumjs) has no Osaka (engine V5): Fulu must be `never`, not epoch {}",
            forks.fulu
        ));
    }
    let slot_ms = args
        .slot_ms
        .or(scenario.as_ref().and_then(|s| s.slot_ms))
        .unwrap_or(2000);
    if slot_ms < 1000 {
        return bad_input(format!(
            "--slot-ms {slot_ms}: at least 1000 (the node's builder timeout is 950 ms)"
        ));
    }
    if args.validators == 0 {
        return bad_input("--validators: at least 1");
    }
    let scenario = scenario
        .take()
        .unwrap_or_else(|| Scenario::default_for(epochs));

    let binaries = match Binaries::locate_or_build(args.rebuild) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("devnet: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let engine = if ethereumjs {
        println!("devnet: installing EthereumJS (or finding it in its cache)");
        match devnet::ethereumjs::install() {
            Ok(bin) => ExecutionEngine::EthereumJs(bin),
            Err(e) => {
                eprintln!("devnet: error: --el ethereumjs: EthereumJS did not install ({e})");
                return ExitCode::FAILURE;
            }
        }
    } else {
        ExecutionEngine::MockEl
    };
    let stop = match devnet::stop_on_signals() {
        Ok(stop) => stop,
        Err(e) => {
            eprintln!("devnet: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = RunOptions {
        network: NetworkOptions {
            validators: args.validators,
            forks,
            slot_ms,
            genesis_delay_s: args.genesis_delay,
            dir: args.dir.clone(),
            engine,
            bn_args: Vec::new(),
            full_payload_builders: false,
        },
        epochs,
        keep: args.keep,
        quiet: false,
    };
    let summary = match devnet::run(&options, &binaries, &scenario, stop).await {
        Ok(summary) => summary,
        Err(devnet::Error::Stopped) => {
            eprintln!("devnet: stopped while starting; every process it started is stopped");
            return ExitCode::from(130);
        }
        Err(e) => {
            eprintln!("devnet: error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", summary.render());
    if let Some(path) = &args.json {
        if let Err(e) = devnet::write_json(&summary, path) {
            eprintln!("devnet: error: --json {e}");
            return ExitCode::FAILURE;
        }
    }
    match (summary.passed, summary.ended.as_str()) {
        (false, _) => ExitCode::FAILURE,
        (true, "interrupted") if epochs > 0 => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    }
}
