//! `cargo xtask coldbuild`: how long a newcomer waits for the first debug build of a small
//! program using the SDK, next to the same program written on reqwest alone.
//!
//! Two throwaway programs are written to a temporary directory, each its own workspace (a
//! `[workspace]` table, so neither is taken as a member of this one) with a copy of this
//! workspace's `Cargo.lock`, so both build the dependency versions this workspace is tested with
//! (cargo trims what they do not use):
//!
//! - `sdk`: a path dependency on `crates/dintero-products` (default features) and tokio; `main`
//!   makes a client and lists one page of catalogs;
//! - `reqwest`: the same call with reqwest alone, with exactly the reqwest features the `sdk`
//!   program resolves (read from `cargo metadata`), tokio and serde_json for the body.
//!
//! Each is built cold (`cargo build`, debug, a new empty `CARGO_TARGET_DIR`, offline once the
//! sources are fetched, any `RUSTC_WRAPPER` such as sccache switched off), the rounds
//! interleaved with the order alternating, and the best time of each side is reported: the wall
//! time (what a newcomer waits, and the `ratio cold build sdk/reqwest` line) and, on Linux, the
//! processor time of cargo and all it ran, whose ratio moves much less when other builds share
//! the machine. The programs are only built, never run. This crate does not depend on the SDK
//! (it generates the SDK's client); cargo is driven as a subprocess.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

pub struct Options {
    pub root: PathBuf,
    pub rounds: usize,
    pub keep: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Sdk,
    Reqwest,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Sdk => "sdk",
            Side::Reqwest => "reqwest",
        }
    }
}

/// The order of the sides in round `round` (from 0): alternating, so neither side always builds
/// first on a machine whose load drifts.
fn order(round: usize) -> [Side; 2] {
    if round.is_multiple_of(2) {
        [Side::Sdk, Side::Reqwest]
    } else {
        [Side::Reqwest, Side::Sdk]
    }
}

pub fn run(options: &Options) -> Result<ExitCode, String> {
    let dir = scratch_dir()?;
    let result = measure(options, &dir);
    if options.keep {
        eprintln!("coldbuild: kept {}", dir.display());
    } else if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("coldbuild: could not remove {}: {e}", dir.display());
    }
    result
}

fn measure(options: &Options, dir: &Path) -> Result<ExitCode, String> {
    let lock = std::fs::read_to_string(options.root.join("Cargo.lock"))
        .map_err(|e| format!("{}: {e}", options.root.join("Cargo.lock").display()))?;
    let sdk_path = options.root.join("crates/dintero-products");

    let sdk = dir.join("sdk");
    write_program(&sdk, &sdk_manifest(&sdk_path), SDK_MAIN, &lock)?;
    cargo(&sdk, &["fetch"])?;
    let (reqwest_version, features) = resolved_features(&sdk, "reqwest")?;
    eprintln!(
        "coldbuild: reqwest {reqwest_version}, features the sdk program resolves: {}",
        features.join(", ")
    );

    let plain = dir.join("reqwest");
    write_program(
        &plain,
        &reqwest_manifest(&reqwest_version, &features),
        REQWEST_MAIN,
        &lock,
    )?;
    cargo(&plain, &["fetch"])?;

    let mut best: [Option<Build>; 2] = [None, None];
    for round in 0..options.rounds {
        let mut builds = [Build::default(); 2];
        for side in order(round) {
            let program = match side {
                Side::Sdk => &sdk,
                Side::Reqwest => &plain,
            };
            let target = dir.join(format!("target-{}-{}", side.name(), round + 1));
            let build = cold_build(program, &target, dir, side, round + 1)?;
            if !options.keep {
                let _ = std::fs::remove_dir_all(&target);
            }
            builds[side as usize] = build;
            let slot = &mut best[side as usize];
            *slot = Some(slot.map_or(build, |b| b.best(build)));
        }
        let [sdk, plain] = builds;
        println!(
            "round {}: sdk {}, reqwest {}, ratio {}{}",
            round + 1,
            seconds(sdk.wall),
            seconds(plain.wall),
            ratio(sdk.wall, plain.wall),
            cpu_note(sdk, plain)
        );
    }
    let [Some(sdk), Some(plain)] = best else {
        return Err("no round was run".into());
    };
    println!("cold build sdk: {}", seconds(sdk.wall));
    println!("cold build reqwest: {}", seconds(plain.wall));
    println!(
        "ratio cold build sdk/reqwest: {}",
        ratio(sdk.wall, plain.wall)
    );
    if let (Some(sdk_cpu), Some(plain_cpu)) = (sdk.cpu, plain.cpu) {
        println!(
            "ratio cold build cpu sdk/reqwest: {} ({} / {})",
            ratio(sdk_cpu, plain_cpu),
            seconds(sdk_cpu),
            seconds(plain_cpu)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One cold build: its wall time, and the processor time cargo and everything it ran used
/// (Linux only). The processor time hardly depends on what else the machine is doing, so its
/// ratio is the steadier figure on a shared machine; the wall time is what a newcomer waits.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Build {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Build {
    /// The better of two builds of one side, each figure on its own.
    fn best(self, other: Build) -> Build {
        Build {
            wall: self.wall.min(other.wall),
            cpu: match (self.cpu, other.cpu) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
        }
    }
}

fn cpu_note(sdk: Build, plain: Build) -> String {
    match (sdk.cpu, plain.cpu) {
        (Some(a), Some(b)) => format!(
            " (cpu {} / {}, ratio {})",
            seconds(a),
            seconds(b),
            ratio(a, b)
        ),
        _ => String::new(),
    }
}

/// User and system time of this process's children that have been waited for, from
/// `/proc/self/stat` (fields 16 and 17, in clock ticks of 1/100 s on Linux); `None` elsewhere.
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    children_cpu_from(&stat)
}

fn children_cpu_from(stat: &str) -> Option<Duration> {
    // The command name (field 2) may hold spaces and parentheses: count from the last `)`.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(Duration::from_millis((ticks(16)? + ticks(17)?) * 10))
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
}

/// A new directory under the system's temporary directory, named after this process.
fn scratch_dir() -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "dintero-coldbuild-{}-{nanos:x}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

fn write_program(dir: &Path, manifest: &str, main: &str, lock: &str) -> Result<(), String> {
    let src = dir.join("src");
    std::fs::create_dir_all(&src).map_err(|e| format!("{}: {e}", src.display()))?;
    for (path, text) in [
        (dir.join("Cargo.toml"), manifest),
        (src.join("main.rs"), main),
        (dir.join("Cargo.lock"), lock),
    ] {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn sdk_manifest(sdk: &Path) -> String {
    // A TOML literal string: a path never holds `'` here, and backslashes stay as they are.
    format!(
        "[package]\nname = \"coldbuild-sdk\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\ndintero-products = {{ path = '{}' }}\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [workspace]\n",
        sdk.display()
    )
}

fn reqwest_manifest(version: &str, features: &[String]) -> String {
    let features: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        "[package]\nname = \"coldbuild-reqwest\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nreqwest = {{ version = \"{version}\", default-features = false, features = [{}] }}\n\
         serde_json = \"1\"\n\
         tokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n\n\
         [workspace]\n",
        features.join(", ")
    )
}

const SDK_MAIN: &str = r#"// Written by `cargo xtask coldbuild`: built, never run.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = dintero_products::Client::from_env()?;
    let page = client.catalogs().list().send().await?;
    println!("{} catalogs", page.len());
    Ok(())
}
"#;

const REQWEST_MAIN: &str = r#"// Written by `cargo xtask coldbuild`: built, never run.
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let account = std::env::var("DINTERO_ACCOUNT_ID")?;
    let token = std::env::var("DINTERO_ACCESS_TOKEN")?;
    let url = format!("https://api.dintero.com/v1/accounts/{account}/products/catalogs");
    let page: serde_json::Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let catalogs = page["catalogs"].as_array().map_or(0, Vec::len);
    println!("{catalogs} catalogs");
    Ok(())
}
"#;

/// A cargo command for the program in `dir`, with nothing from this process's build leaking in.
fn cargo_command(dir: &Path) -> Command {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        // A compiler cache would turn a cold build into a warm one.
        .env("RUSTC_WRAPPER", "")
        .env("CARGO_BUILD_RUSTC_WRAPPER", "")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR");
    command
}

/// Runs an untimed cargo command (`fetch`, `metadata`) and returns its standard output.
fn cargo(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = cargo_command(dir)
        .args(args)
        .env("CARGO_TARGET_DIR", dir.join("target-untimed"))
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` in {} failed:\n{}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The version of `package` in the program's resolved graph and the public features it has there
/// (cargo's unified set, without `default` and the `__`-prefixed internal ones).
fn resolved_features(dir: &Path, package: &str) -> Result<(String, Vec<String>), String> {
    let metadata = cargo(dir, &["metadata", "--format-version", "1", "--offline"])?;
    let metadata: Value = serde_json::from_str(&metadata)
        .map_err(|e| format!("`cargo metadata` printed something that is not JSON: {e}"))?;
    features_of(&metadata, package)
}

fn features_of(metadata: &Value, package: &str) -> Result<(String, Vec<String>), String> {
    let found = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == package)
        .collect::<Vec<_>>();
    let [found] = found.as_slice() else {
        return Err(format!(
            "expected one `{package}` in the sdk program's graph, found {}",
            found.len()
        ));
    };
    let id = &found["id"];
    let version = found["version"]
        .as_str()
        .ok_or("`cargo metadata` gave a package without a version")?
        .to_string();
    let node = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|n| &n["id"] == id)
        .ok_or_else(|| format!("`{package}` is not in the resolved graph"))?;
    let features = node["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|f| *f != "default" && !f.starts_with("__"))
        .map(String::from)
        .collect();
    Ok((version, features))
}

/// One timed cold build of the program in `dir` into the empty `target`. Cargo's output goes to
/// a log file beside it; on failure its tail is shown.
fn cold_build(
    dir: &Path,
    target: &Path,
    scratch: &Path,
    side: Side,
    round: usize,
) -> Result<Build, String> {
    if target.exists() {
        std::fs::remove_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    let log_path = scratch.join(format!("build-{}-{round}.log", side.name()));
    let log =
        std::fs::File::create(&log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("{}: {e}", log_path.display()))?;
    eprintln!("coldbuild: round {round}, building {} cold...", side.name());
    let cpu_before = children_cpu();
    let start = Instant::now();
    let status = cargo_command(dir)
        .args(["build", "--offline", "--locked"])
        .env("CARGO_TARGET_DIR", target)
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    let wall = start.elapsed();
    let cpu = children_cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    if !status.success() {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "the cold build of the {} program failed ({}):\n{}",
            side.name(),
            log_path.display(),
            tail.join("\n")
        ));
    }
    Ok(Build { wall, cpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_alternate_which_side_builds_first() {
        assert_eq!(order(0), [Side::Sdk, Side::Reqwest]);
        assert_eq!(order(1), [Side::Reqwest, Side::Sdk]);
        assert_eq!(order(2), order(0));
    }

    #[test]
    fn programs_are_workspaces_of_their_own() {
        let sdk = sdk_manifest(Path::new("/w/crates/dintero-products"));
        assert!(sdk.contains("dintero-products = { path = '/w/crates/dintero-products' }"));
        let plain = reqwest_manifest("0.13.5", &["json".into(), "rustls".into()]);
        assert!(plain.contains(
            "reqwest = { version = \"0.13.5\", default-features = false, features = [\"json\", \"rustls\"] }"
        ));
        for manifest in [sdk, plain] {
            assert!(manifest.ends_with("[workspace]\n"), "{manifest}");
            assert!(manifest.contains("features = [\"macros\", \"rt-multi-thread\"]"));
        }
    }

    #[test]
    fn the_resolved_public_features_are_read_from_metadata() {
        let metadata = serde_json::json!({
            "packages": [
                {"name": "reqwest", "id": "r", "version": "0.13.5"},
                {"name": "tokio", "id": "t", "version": "1.0.0"}
            ],
            "resolve": {"nodes": [
                {"id": "t", "features": ["rt"]},
                {"id": "r", "features": ["__rustls", "default", "json", "rustls"]}
            ]}
        });
        let (version, features) = features_of(&metadata, "reqwest").unwrap();
        assert_eq!(version, "0.13.5");
        assert_eq!(features, ["json", "rustls"]);
        assert!(features_of(&metadata, "hyper").is_err());
    }

    #[test]
    fn children_cpu_time_is_read_past_an_awkward_command_name() {
        let stat = "4242 (x) (y) S 1 2 3 4 5 6 7 8 9 10 11 12 1234 566 20 0 1 0 100";
        assert_eq!(children_cpu_from(stat), Some(Duration::from_millis(18_000)));
        assert_eq!(children_cpu_from("4242 (x) S 1"), None);
        if cfg!(target_os = "linux") {
            assert!(children_cpu().is_some());
        }
    }

    #[test]
    fn the_best_build_takes_each_figure_on_its_own() {
        let s = Duration::from_secs;
        let a = Build {
            wall: s(50),
            cpu: Some(s(90)),
        };
        let b = Build {
            wall: s(60),
            cpu: Some(s(80)),
        };
        assert_eq!(
            a.best(b),
            Build {
                wall: s(50),
                cpu: Some(s(80))
            }
        );
    }

    #[test]
    fn ratios_and_seconds_are_printed_as_the_readme_quotes_them() {
        let (a, b) = (Duration::from_millis(71_240), Duration::from_millis(60_100));
        assert_eq!(seconds(a), "71.2 s");
        assert_eq!(ratio(a, b), "1.19");
    }
}
