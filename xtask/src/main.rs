//! Maintainer tasks for the dintero-products workspace, run as `cargo xtask <task>`.
//!
//! Hand-parsed arguments keep this crate's build to the generator itself; see `USAGE`.

mod passes;
mod preflight;
mod regenerate;
mod spec;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  regenerate      generate the client from openapi/products.yaml (and the other-shape fixture)
      --check         do not write; exit 1 with a unified diff if a checked-in file differs
      --spec PATH     read another spec (with --out)
      --out PATH      write another file (alone: from openapi/products.yaml)
      --explain       print each normalisation that fired, where, and why
  soak [ARGS]     list 10,000 products several times and create 1,000 against the fake server with
                  seeded faults on ~10% of requests; prints one `soak:` line (release build)
  bench [ARGS]    the SDK against a raw reqwest loop and the generated client, prefetch against a
                  sequential loop, and peak memory; prints a table and `ratio` lines (release build)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Ok(ExitCode::FAILURE);
    };
    match task.as_str() {
        "regenerate" => regenerate::run(&parse_regenerate(rest)?),
        "soak" | "bench" => run_e2e_binary(task, rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown task `{other}`\n{USAGE}")),
    }
}

fn parse_regenerate(args: &[String]) -> Result<regenerate::Options, String> {
    let root = workspace_root();
    let mut options = regenerate::Options {
        only: None,
        check: false,
        explain: false,
        root,
    };
    let (mut spec, mut out) = (None, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--explain" => options.explain = true,
            "--spec" | "--out" => {
                let value = args.next().ok_or_else(|| format!("`{arg}` needs a path"))?;
                let path = Some(PathBuf::from(value));
                if arg == "--spec" {
                    spec = path;
                } else {
                    out = path;
                }
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    options.only = match (spec, out) {
        (None, None) => None,
        (Some(spec), Some(out)) => Some((spec, out)),
        (Some(_), None) => {
            return Err("`--spec` needs `--out` too, so the repo is left alone".into());
        }
        (None, Some(out)) => Some((options.root.join(regenerate::TARGETS[0].0), out)),
    };
    Ok(options)
}

/// Runs one of the e2e crate's measuring programs, optimised. They live in `tests/` rather than
/// here so that this crate, which generates the client, never depends on the client.
fn run_e2e_binary(name: &str, args: &[String]) -> Result<ExitCode, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "run",
            "--quiet",
            "--release",
            "--locked",
            "--package",
            "dintero-products-e2e",
            "--bin",
            name,
            "--",
        ])
        .args(args)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
