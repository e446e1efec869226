//! Maintainer tasks for the dintero-products workspace, run as `cargo xtask <task>`.
//!
//! The grammar is the clap derive types below; `cargo xtask help <task>` shows each task's.

mod coldbuild;
mod deps;
mod mutants;
mod passes;
mod preflight;
mod regenerate;
mod replacements;
mod rewrites;
mod spec;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "xtask",
    bin_name = "cargo xtask",
    about = "Maintainer tasks for the dintero-products workspace",
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Generate the client from openapi/products.yaml (and the other-shape fixture)
    Regenerate(RegenerateArgs),
    /// The soak run against the fake server; prints one `soak:` line (release build)
    ///
    /// Lists 10,000 products several times and creates 1,000 against the fake server with seeded
    /// faults on ~10% of requests; prints one `soak:` line (release build).
    // Without its own help flag, so that `--help` too reaches the soak program like any ARGS.
    #[command(disable_help_flag = true)]
    Soak(PassThrough),
    /// The benchmark; prints a table and `ratio` lines (release build)
    ///
    /// The SDK against a raw reqwest loop and the generated client, prefetch against a
    /// sequential loop, and peak memory; prints a table and `ratio` lines (release build).
    #[command(disable_help_flag = true)]
    Bench(PassThrough),
    /// Time a cold debug build of a program using the SDK against one on reqwest alone
    ///
    /// Times a cold debug build of a small program using the SDK against the same program on
    /// reqwest alone, in a temporary directory; prints `ratio cold build sdk/reqwest: X` (wall
    /// time) and the ratio of processor time.
    Coldbuild(ColdbuildArgs),
    /// Mutation testing: cargo-mutants over the hand-written code; prints a table per file
    ///
    /// Runs cargo-mutants (the pinned version, installed when missing) over the SDK's modules
    /// and the command line's `files/` and `commands/` (or the files given), with the tests
    /// that exercise them; prints caught, missed, unviable and timeouts per file, then each
    /// missed or timed-out mutant. Exits 1 when there is one. About half a minute per mutant.
    Mutants(MutantsArgs),
}

#[derive(Debug, Args)]
struct MutantsArgs {
    /// A file to mutate, relative to the workspace (repeatable; default: all of them)
    #[arg(long = "file", value_name = "PATH")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct RegenerateArgs {
    /// Do not write; exit 1 with a unified diff if a checked-in file differs
    #[arg(long)]
    check: bool,
    /// Read another spec (with --out, so the repo is left alone)
    #[arg(long, value_name = "PATH", requires = "out")]
    spec: Option<PathBuf>,
    /// Write another file (alone: from openapi/products.yaml)
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// Print each normalisation that fired, where, and why
    #[arg(long)]
    explain: bool,
}

/// Everything after the task's name, handed to the e2e crate's program of that name unread.
#[derive(Debug, Args)]
struct PassThrough {
    /// Arguments for the program (soak: `--small`, `--seed N`; bench: `--quick`)
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
}

#[derive(Debug, Args)]
struct ColdbuildArgs {
    /// Interleaved rounds, the best of each side is reported
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = at_least_one
    )]
    rounds: usize,
    /// Keep the temporary directory (programs, build logs, target directories)
    #[arg(long)]
    keep: bool,
}

fn at_least_one(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "expected a number of at least 1".into())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help asked for is a success; any usage error exits 1, as every failure here does.
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli.task) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Task) -> Result<ExitCode, String> {
    match task {
        Task::Regenerate(args) => regenerate::run(&regenerate_options(args)?),
        Task::Soak(PassThrough { args }) => run_e2e_binary("soak", &args),
        Task::Bench(PassThrough { args }) => run_e2e_binary("bench", &args),
        Task::Coldbuild(ColdbuildArgs { rounds, keep }) => coldbuild::run(&coldbuild::Options {
            root: workspace_root()?,
            rounds,
            keep,
        }),
        Task::Mutants(MutantsArgs { files }) => mutants::run(&mutants::Options {
            root: workspace_root()?,
            files,
        }),
    }
}

fn regenerate_options(args: RegenerateArgs) -> Result<regenerate::Options, String> {
    let root = workspace_root()?;
    let only = match (args.spec, args.out) {
        (None, None) => None,
        (Some(spec), Some(out)) => Some((spec, out)),
        (None, Some(out)) => Some((root.join(regenerate::TARGETS[0].0), out)),
        // clap already refuses this; kept as an error rather than a panic all the same.
        (Some(_), None) => {
            return Err("`--spec` needs `--out` too, so the repo is left alone".into());
        }
    };
    Ok(regenerate::Options {
        only,
        check: args.check,
        explain: args.explain,
        root,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Task, clap::Error> {
        Cli::try_parse_from(std::iter::once("xtask").chain(args.iter().copied())).map(|c| c.task)
    }

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn regenerate_flags_and_their_pairing() {
        let Ok(Task::Regenerate(args)) = parse(&["regenerate", "--check", "--explain"]) else {
            panic!("regenerate with flags");
        };
        assert!(args.check && args.explain && args.spec.is_none() && args.out.is_none());
        let Ok(Task::Regenerate(args)) =
            parse(&["regenerate", "--spec", "a.yaml", "--out", "b.rs"])
        else {
            panic!("regenerate with --spec and --out");
        };
        assert_eq!(args.spec, Some(PathBuf::from("a.yaml")));
        assert_eq!(args.out, Some(PathBuf::from("b.rs")));
        // Alone, --spec would leave nowhere to write but the repo.
        assert!(parse(&["regenerate", "--spec", "a.yaml"]).is_err());
        assert!(parse(&["regenerate", "--out"]).is_err());
        assert!(parse(&["regenerate", "--nosuch"]).is_err());
    }

    #[test]
    fn soak_and_bench_pass_every_argument_through() {
        let Ok(Task::Soak(PassThrough { args })) =
            parse(&["soak", "--small", "--seed", "7", "--help"])
        else {
            panic!("soak with arguments");
        };
        assert_eq!(args, ["--small", "--seed", "7", "--help"]);
        let Ok(Task::Bench(PassThrough { args })) = parse(&["bench", "-q", "x", "--quick"]) else {
            panic!("bench with arguments");
        };
        assert_eq!(args, ["-q", "x", "--quick"]);
        let Ok(Task::Bench(PassThrough { args })) = parse(&["bench"]) else {
            panic!("bench alone");
        };
        assert!(args.is_empty());
    }

    #[test]
    fn coldbuild_rounds_default_to_one_and_must_be_at_least_one() {
        let Ok(Task::Coldbuild(args)) = parse(&["coldbuild", "--rounds", "3", "--keep"]) else {
            panic!("coldbuild with flags");
        };
        assert_eq!((args.rounds, args.keep), (3, true));
        let Ok(Task::Coldbuild(args)) = parse(&["coldbuild"]) else {
            panic!("coldbuild alone");
        };
        assert_eq!((args.rounds, args.keep), (1, false));
        for bad in [
            &["coldbuild", "--rounds"][..],
            &["coldbuild", "--rounds", "0"],
            &["coldbuild", "--rounds", "x"],
            &["coldbuild", "--fast"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_task_or_an_unknown_one_is_a_usage_error_and_help_is_not() {
        assert!(parse(&[]).unwrap_err().use_stderr());
        assert!(parse(&["nosuch"]).unwrap_err().use_stderr());
        for help in [
            &["--help"][..],
            &["help"],
            &["help", "regenerate"],
            &["regenerate", "-h"],
        ] {
            assert!(!parse(help).unwrap_err().use_stderr(), "{help:?}");
        }
    }
}
