//! `bn`: the Blindfold beacon node.
//!
//! - [`cli`]: the flags; [`config`]: the flags checked into the node's settings;
//! - [`run`]: start, run until SIGINT or SIGTERM, stop cleanly;
//! - [`notifier`]: a log line per slot; [`metrics`]: Prometheus on `/metrics`.
//!
//! Logs go to stdout. A startup error is one line on stderr, naming the flag at fault, and exit code
//! 1 (a malformed command line is clap's usage error, exit code 2). A clean stop exits 0.

mod cli;
mod config;
mod full_payload_config;
mod gateway;
mod metrics;
mod notifier;
mod run;

use clap::Parser;
use cli::{Cli, LogLevel, Preset};
use config::{NodeConfig, StartupError};
use std::process::ExitCode;
use std::time::Duration;
use types::{MainnetEthSpec, MinimalEthSpec};

/// How long the runtime may take, after the node stopped, to finish the blocking tasks still running.
const RUNTIME_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_level);
    let config = match NodeConfig::from_cli(&cli) {
        Ok(config) => config,
        Err(error) => return fail(&error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("bn")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return fail(&StartupError::Other(format!(
                "cannot start the async runtime: {error}"
            )))
        }
    };
    let result = runtime.block_on(async {
        match config.preset {
            Preset::Mainnet => run::run::<MainnetEthSpec>(config, signal()).await,
            Preset::Minimal => run::run::<MinimalEthSpec>(config, signal()).await,
        }
    });
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN_TIMEOUT);
    match result {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

/// The one line an operator reads when the node cannot start.
fn fail(error: &StartupError) -> ExitCode {
    let line = error.to_string().replace('\n', " ");
    eprintln!("bn: error: {line}");
    ExitCode::FAILURE
}

/// Logs at `level` (RUST_LOG, when set, wins), colours only on a terminal.
fn init_logging(level: LogLevel) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level.as_str()));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// Resolves with the name of the first SIGINT or SIGTERM.
async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut terminate), Ok(mut interrupt)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            return tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
        }
    }
    match tokio::signal::ctrl_c().await {
        Ok(()) => "SIGINT",
        // No way to hear signals: run until killed.
        Err(_) => std::future::pending().await,
    }
}
