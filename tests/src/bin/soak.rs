//! `cargo xtask soak [--small] [--seed N]`: prints a `soak:` line and a `sync-soak:` line;
//! exits non-zero unless both runs were exact and faults were injected.

use dintero_products_e2e::soak::{SoakConfig, run, sync_soak};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = if args.iter().any(|a| a == "--small") {
        SoakConfig::small()
    } else {
        SoakConfig::full()
    };
    if let Some(seed) = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
    {
        match seed.parse() {
            Ok(seed) => config.seed = seed,
            Err(_) => {
                eprintln!("--seed takes a number");
                return ExitCode::FAILURE;
            }
        }
    }
    let started = std::time::Instant::now();
    let report = run(&config).await;
    println!("{}", report.line());
    eprintln!(
        "seed {}, {:.1} s, {} list resumes from the last good cursor",
        config.seed,
        started.elapsed().as_secs_f64(),
        report.resumes
    );
    let started = std::time::Instant::now();
    let sync = sync_soak(&config).await;
    println!("{}", sync.line());
    eprintln!(
        "seed {}, {:.1} s, {} plan/apply rounds",
        config.seed,
        started.elapsed().as_secs_f64(),
        sync.rounds
    );
    if report.is_exact() && report.faults > 0 && sync.is_exact() && sync.interrupted > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
