//! `cargo xtask mutants`: cargo-mutants over the hand-written code, a table per file.
//!
//! cargo-mutants changes the code one mutant at a time and runs the tests; a mutant no test
//! notices is a gap. This task pins its version (installing it when missing), runs it on the
//! files asked for with the tests that exercise them, and reads its `outcomes.json` into one row
//! per file: caught, missed, unviable, timeouts. It exits 1 when a mutant was missed or made the
//! tests time out.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The cargo-mutants release the figures in the README were made with.
pub const VERSION: &str = "25.3.1";

/// Seconds a mutant's tests may take before it counts as a timeout: about three times what
/// the unmutated tests of the SDK and the e2e crate take on a two-core machine.
const TIMEOUT_SECS: u32 = 120;

/// Where the hand-written code lives, and which packages' tests exercise it. The SDK's own
/// tests do not drive the catalog jobs against the fake: the e2e crate's do.
const TARGETS: &[(&str, &[&str])] = &[
    (
        "crates/dintero-products/src",
        &["dintero-products", "dintero-products-e2e"],
    ),
    (
        "crates/dintero-products-cli/src/files",
        &["dintero-products-cli"],
    ),
    (
        "crates/dintero-products-cli/src/commands",
        &["dintero-products-cli"],
    ),
];

pub struct Options {
    pub root: PathBuf,
    /// Files to mutate, relative to the root; empty: every file under [`TARGETS`].
    pub files: Vec<PathBuf>,
}

pub fn run(options: &Options) -> Result<ExitCode, String> {
    ensure_installed()?;
    let files = if options.files.is_empty() {
        default_files(&options.root)?
    } else {
        options.files.clone()
    };
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut gaps = Vec::new();
    for (dir, packages) in TARGETS {
        let here: Vec<&PathBuf> = files.iter().filter(|f| f.starts_with(dir)).collect();
        if here.is_empty() {
            continue;
        }
        let output = options
            .root
            .join("target/mutants")
            .join(dir.replace('/', "_"));
        std::fs::create_dir_all(&output)
            .map_err(|e| format!("could not create {}: {e}", output.display()))?;
        let mut command = Command::new(cargo());
        command
            .current_dir(&options.root)
            .args(["mutants", "--no-shuffle", "--jobs", "1"])
            .arg(format!("--timeout={TIMEOUT_SECS}"))
            .arg("--output")
            .arg(&output);
        for file in &here {
            command.arg("--file").arg(file);
        }
        for package in *packages {
            command.args(["--test-package", package]);
        }
        // The slowest tests wait on timers (backoffs, slow replies, a soak's faults), not on
        // the CPU: four at a time on two cores take a mutant's test run from about 28 s to 19 s.
        // A caller's own setting wins.
        if std::env::var_os("RUST_TEST_THREADS").is_none() {
            command.env("RUST_TEST_THREADS", "4");
        }
        // Its own exit status says missed (2) or timeouts (3): the outcomes say which, per file.
        command
            .status()
            .map_err(|e| format!("could not run cargo mutants: {e}"))?;
        let outcomes =
            std::fs::read_to_string(output.join("mutants.out/outcomes.json")).map_err(|e| {
                format!(
                    "cargo mutants wrote no outcomes under {}: {e}",
                    output.display()
                )
            })?;
        let (found, missed) = tally(&outcomes)?;
        for (file, row) in found {
            rows.entry(file).or_default().add(&row);
        }
        gaps.extend(missed);
    }
    print!("{}", table(&rows));
    for gap in &gaps {
        println!("{gap}");
    }
    Ok(if gaps.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Every `.rs` file under the [`TARGETS`] directories, sorted.
fn default_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for (dir, _) in TARGETS {
        collect_rs(root, Path::new(dir), &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect_rs(root: &Path, dir: &Path, into: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(root.join(dir)).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(entry.file_name());
        if entry.path().is_dir() {
            collect_rs(root, &path, into)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
    Ok(())
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Installs the pinned cargo-mutants when `cargo mutants --version` is not it.
fn ensure_installed() -> Result<(), String> {
    let found = Command::new(cargo())
        .args(["mutants", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if found.as_deref().is_some_and(is_pinned) {
        return Ok(());
    }
    eprintln!("installing cargo-mutants {VERSION} (found: {found:?})");
    let status = Command::new(cargo())
        .args(["install", "cargo-mutants", "--locked", "--version", VERSION])
        .status()
        .map_err(|e| format!("could not run cargo install: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("cargo install cargo-mutants {VERSION} failed"))
    }
}

/// Whether `cargo mutants --version` printed the pinned version (`cargo-mutants 25.3.1`).
fn is_pinned(version_output: &str) -> bool {
    version_output.split_whitespace().nth(1) == Some(VERSION)
}

/// What happened to the mutants of one file.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Row {
    caught: usize,
    missed: usize,
    unviable: usize,
    timeouts: usize,
}

impl Row {
    fn add(&mut self, other: &Row) {
        self.caught += other.caught;
        self.missed += other.missed;
        self.unviable += other.unviable;
        self.timeouts += other.timeouts;
    }
}

/// Reads cargo-mutants' `outcomes.json`: a row per mutated file, and a line per mutant missed
/// or timed out (`MISSED  file:line: what`), in the order tested. The baseline is no mutant.
fn tally(outcomes_json: &str) -> Result<(BTreeMap<String, Row>, Vec<String>), String> {
    let outcomes: Value = serde_json::from_str(outcomes_json)
        .map_err(|e| format!("outcomes.json is not JSON: {e}"))?;
    let list = outcomes["outcomes"]
        .as_array()
        .ok_or("outcomes.json has no `outcomes` list")?;
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut gaps = Vec::new();
    for outcome in list {
        let Some(mutant) = outcome["scenario"].get("Mutant") else {
            continue;
        };
        let file = mutant["file"].as_str().ok_or("a mutant without its file")?;
        let row = rows.entry(file.to_string()).or_default();
        let summary = outcome["summary"].as_str().unwrap_or_default();
        let gap = match summary {
            "CaughtMutant" => {
                row.caught += 1;
                None
            }
            "Unviable" => {
                row.unviable += 1;
                None
            }
            "MissedMutant" => {
                row.missed += 1;
                Some("MISSED ")
            }
            "Timeout" => {
                row.timeouts += 1;
                Some("TIMEOUT")
            }
            other => {
                return Err(format!(
                    "an outcome cargo-mutants {VERSION} does not write: {other:?}"
                ));
            }
        };
        if let Some(label) = gap {
            let line = mutant["span"]["start"]["line"].as_u64().unwrap_or_default();
            let function = mutant["function"]["function_name"].as_str().unwrap_or("?");
            let replacement = mutant["replacement"].as_str().unwrap_or("?");
            gaps.push(format!(
                "{label}  {file}:{line}: in {function}, replaced with `{replacement}`"
            ));
        }
    }
    Ok((rows, gaps))
}

/// The per-file table, with a total row.
fn table(rows: &BTreeMap<String, Row>) -> String {
    let width = rows
        .keys()
        .map(String::len)
        .max()
        .unwrap_or(4)
        .max("total".len());
    let mut out = format!(
        "{:width$}  {:>6}  {:>6}  {:>8}  {:>8}\n",
        "file", "caught", "missed", "unviable", "timeouts"
    );
    let mut total = Row::default();
    let mut line = |name: &str, r: &Row| {
        out.push_str(&format!(
            "{name:width$}  {:>6}  {:>6}  {:>8}  {:>8}\n",
            r.caught, r.missed, r.unviable, r.timeouts
        ));
    };
    for (file, row) in rows {
        line(file, row);
        total.add(row);
    }
    line("total", &total);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutant(file: &str, line: u64, summary: &str) -> Value {
        serde_json::json!({
            "scenario": {"Mutant": {
                "file": file,
                "function": {"function_name": "Scheduler::fill"},
                "span": {"start": {"line": line, "column": 9}},
                "replacement": "()",
            }},
            "summary": summary,
        })
    }

    #[test]
    fn outcomes_are_counted_per_file_and_gaps_are_named() {
        let outcomes = serde_json::json!({"outcomes": [
            {"scenario": "Baseline", "summary": "Success"},
            mutant("src/a.rs", 1, "CaughtMutant"),
            mutant("src/a.rs", 2, "CaughtMutant"),
            mutant("src/a.rs", 3, "MissedMutant"),
            mutant("src/b.rs", 4, "Unviable"),
            mutant("src/b.rs", 5, "Timeout"),
        ]});
        let (rows, gaps) = tally(&outcomes.to_string()).unwrap();
        let row = |caught, missed, unviable, timeouts| Row {
            caught,
            missed,
            unviable,
            timeouts,
        };
        assert_eq!(rows["src/a.rs"], row(2, 1, 0, 0));
        assert_eq!(rows["src/b.rs"], row(0, 0, 1, 1));
        assert_eq!(
            gaps,
            [
                "MISSED   src/a.rs:3: in Scheduler::fill, replaced with `()`",
                "TIMEOUT  src/b.rs:5: in Scheduler::fill, replaced with `()`",
            ]
        );
        let table = table(&rows);
        assert_eq!(
            table
                .lines()
                .last()
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["total", "2", "1", "1", "1"]
        );
        assert!(
            table.lines().nth(1).unwrap().starts_with("src/a.rs"),
            "{table}"
        );
    }

    #[test]
    fn an_outcome_it_does_not_know_is_an_error_not_a_silent_zero() {
        let outcomes = serde_json::json!({"outcomes": [mutant("src/a.rs", 1, "Exploded")]});
        assert!(tally(&outcomes.to_string()).is_err());
        assert!(tally("not json").is_err());
        assert!(tally("{}").is_err());
    }

    #[test]
    fn only_the_pinned_version_counts_as_installed() {
        assert!(is_pinned("cargo-mutants 25.3.1\n"));
        assert!(!is_pinned("cargo-mutants 25.3.0\n"));
        assert!(!is_pinned("cargo-mutants 25.3.10\n"));
        assert!(!is_pinned(""));
    }

    #[test]
    fn the_default_files_are_the_hand_written_ones() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let files = default_files(root).unwrap();
        let has = |f: &str| files.iter().any(|p| p == Path::new(f));
        assert!(has("crates/dintero-products/src/bulk.rs"));
        assert!(has("crates/dintero-products/src/sync/plan.rs"));
        assert!(has("crates/dintero-products-cli/src/files/csv.rs"));
        assert!(
            files
                .iter()
                .all(|f| !f.starts_with("crates/dintero-products-client"))
        );
    }
}
