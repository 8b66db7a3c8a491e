//! `vc`: Blindfold's validator client.

use clap::Parser;
use std::process::ExitCode;
use types::{EthSpec, MainnetEthSpec, MinimalEthSpec};
use validator_client::cli::{Cli, Command, Preset, SlashingProtectionAction};

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("vc: error: {message}");
    ExitCode::from(1)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let (spec, preset) = match cli.spec() {
        Ok(found) => found,
        Err(error) => return fail(error),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(format!("cannot start the runtime: {error}")),
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Some(Command::SlashingProtection { action }) => slashing_protection(&cli, action).await,
            None => match preset {
                Preset::Mainnet => run::<MainnetEthSpec>(&cli, spec).await,
                Preset::Minimal => run::<MinimalEthSpec>(&cli, spec).await,
            },
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

async fn run<E: EthSpec>(cli: &Cli, spec: types::ChainSpec) -> Result<(), String> {
    let config = cli.client_config(spec).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&config.datadir)
        .map_err(|e| format!("--datadir: {}: {e}", config.datadir.display()))?;
    let keys = {
        let cli_keys = cli.keys();
        cli_keys.map_err(|e| e.to_string())?
    };
    validator_client::run::run::<E>(config, keys, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn slashing_protection(cli: &Cli, action: &SlashingProtectionAction) -> Result<(), String> {
    let datadir = cli.datadir();
    std::fs::create_dir_all(&datadir)
        .map_err(|e| format!("--datadir: {}: {e}", datadir.display()))?;
    let db = validator_client::SlashingDatabase::open_in_datadir(&datadir)
        .map_err(|e| format!("--datadir: {e}"))?;
    let (given, file) = match action {
        SlashingProtectionAction::Import {
            file,
            genesis_validators_root,
        }
        | SlashingProtectionAction::Export {
            file,
            genesis_validators_root,
        } => (*genesis_validators_root, file),
    };
    let root = match given {
        Some(root) => root,
        None => {
            let url = cli.beacon_nodes.first().ok_or("--beacon-nodes: none")?;
            let client = beacon_api::BeaconNodeHttpClient::new(url.clone())
                .map_err(|e| format!("--beacon-nodes: {e}"))?;
            client
                .get_beacon_genesis()
                .await
                .map_err(|e| format!("--genesis-validators-root not given, and the beacon node has no genesis: {e}"))?
                .genesis_validators_root
        }
    };
    match action {
        SlashingProtectionAction::Import { .. } => {
            let reader =
                std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let summary = db
                .import(reader, root)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            println!("imported: {summary:?}");
        }
        SlashingProtectionAction::Export { .. } => {
            // Write beside, then rename: a failed export never leaves a truncated file.
            let temporary = file.with_extension("partial");
            let writer = std::fs::File::create(&temporary)
                .map_err(|e| format!("{}: {e}", temporary.display()))?;
            db.export(writer, root)
                .map_err(|e| format!("{}: {e}", file.display()))?;
            std::fs::rename(&temporary, file).map_err(|e| format!("{}: {e}", file.display()))?;
            println!("exported to {}", file.display());
        }
    }
    Ok(())
}
