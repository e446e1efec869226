//! Maintainer tasks for the dintero-products workspace, run as `cargo xtask <task>`.
//!
//! Hand-parsed arguments keep this crate's build to the generator itself; see `USAGE`.

mod coldbuild;
mod deps;
mod passes;
mod preflight;
mod regenerate;
mod replacements;
mod rewrites;
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
  coldbuild       time a cold debug build of a small program using the SDK against the same
                  program on reqwest alone, in a temporary directory; prints
                  `ratio cold build sdk/reqwest: X` (wall time) and the ratio of processor time
      --rounds N      interleaved rounds, the best of each side is reported (default 1)
      --keep          keep the temporary directory (programs, build logs, target directories)
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
        "coldbuild" => coldbuild::run(&coldbuild::parse(workspace_root()?, rest)?),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown task `{other}`\n{USAGE}")),
    }
}

fn parse_regenerate(args: &[String]) -> Result<regenerate::Options, String> {
    let root = workspace_root()?;
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
        .current_dir(workspace_root()?)
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

/// The workspace this run is about, found at run time: never the path the binary was compiled
/// in, since one build (one target directory) can serve two checkouts.
///
/// `cargo xtask` (`cargo run`) sets `CARGO_MANIFEST_DIR` to this package's directory for the
/// process, and the workspace is its parent. Run another way, cargo is asked which workspace the
/// current directory belongs to. Neither working is an error, never a guess.
fn workspace_root() -> Result<PathBuf, String> {
    if let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") {
        let manifest_dir = PathBuf::from(manifest_dir);
        let root = manifest_dir.parent().map(PathBuf::from).ok_or_else(|| {
            format!(
                "CARGO_MANIFEST_DIR ({}) has no parent directory, so the workspace cannot be found",
                manifest_dir.display()
            )
        })?;
        if !root.join("Cargo.toml").is_file() {
            return Err(format!(
                "CARGO_MANIFEST_DIR is {}, but {} has no Cargo.toml: run this through `cargo xtask` \
                 inside the workspace",
                manifest_dir.display(),
                root.display()
            ));
        }
        return Ok(root);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(&cargo)
        .args(["locate-project", "--workspace", "--message-format", "plain"])
        .output()
        .map_err(|e| {
            format!("cannot find the workspace: CARGO_MANIFEST_DIR is not set and `{cargo}` could not be run: {e}")
        })?;
    let located = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let root = Some(PathBuf::from(&located))
        .filter(|_| output.status.success() && !located.is_empty())
        .and_then(|manifest| manifest.parent().map(PathBuf::from));
    root.ok_or_else(|| {
        format!(
            "cannot find the workspace: CARGO_MANIFEST_DIR is not set and `cargo locate-project` \
             found none from {}: run `cargo xtask` inside the workspace ({})",
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "the current directory".into()),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })
}
