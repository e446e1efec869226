//! The crates the generated code names must be dependencies of the crate it is written into, and
//! a crate only generated code needs must not stay a dependency once the code stops needing it.
//!
//! progenitor's output names its runtime crates by path (`::chrono::DateTime`, `::regress::Regex`)
//! depending on the spec: a `format: uuid` adds `uuid`, a `pattern` adds `regress`. A missing
//! dependency would only show up when the client crate is built; a dependency left behind (as
//! `regress` was once the ids became hand-written types) costs every user its build time.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Crates generated code may name, as they appear in paths.
const RUNTIME_CRATES: &[&str] = &[
    "bytes",
    "chrono",
    "futures",
    "futures_core",
    "progenitor_client",
    "regress",
    "reqwest",
    "serde",
    "serde_json",
    "uuid",
];

/// Crates only generated code uses: declared in `[dependencies]` while the crate's generated code
/// does not use them, they are dead weight (`regress` is among the slowest crates to build).
const GENERATED_ONLY: &[&str] = &["regress"];

/// The runtime crates `code` names: `name::` at the start of a path (`::name::` or `name::`).
pub fn used_crates(code: &str) -> BTreeSet<&'static str> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    RUNTIME_CRATES
        .iter()
        .copied()
        .filter(|name| {
            let needle = format!("{name}::");
            code.match_indices(&needle).any(|(at, _)| {
                let before = &code[..at];
                match before.strip_suffix("::") {
                    // `::name::` is a crate path; `module::name::` is not.
                    Some(rest) => !rest.ends_with(ident),
                    None => !before.ends_with(ident),
                }
            })
        })
        .collect()
}

/// The dependency names a manifest declares in `sections`, with `-` read as `_`.
fn declared(manifest: &str, sections: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = header.trim().to_string();
            continue;
        }
        if line.starts_with('#') || !sections.contains(&current.as_str()) {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name.replace('-', "_"));
        }
    }
    out
}

/// The package whose code `out` is, below `root`: its manifest, and whether `out` is library
/// code (under `src/`) rather than a test's.
fn owning_package(root: &Path, out: &Path) -> Option<(PathBuf, bool)> {
    let mut dir = out.parent()?;
    while dir.starts_with(root) {
        let manifest = dir.join("Cargo.toml");
        if manifest.is_file() {
            let library = out.strip_prefix(dir).is_ok_and(|p| p.starts_with("src"));
            return Some((manifest, library));
        }
        dir = dir.parent()?;
    }
    None
}

/// Checks `code`, to be written to `out`, against the manifest of the package it belongs to. A
/// file outside the workspace (`--out /tmp/x.rs`) belongs to no package and is not checked.
pub fn check(root: &Path, out: &Path, code: &str) -> Result<(), String> {
    let Some((manifest_path, library)) = owning_package(root, out) else {
        return Ok(());
    };
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    check_manifest(&manifest, library, code)
        .map_err(|problems| format!("{}: {problems}", manifest_path.display()))
}

fn check_manifest(manifest: &str, library: bool, code: &str) -> Result<(), String> {
    let sections: &[&str] = if library {
        &["dependencies"]
    } else {
        &["dependencies", "dev-dependencies"]
    };
    let available = declared(manifest, sections);
    let used = used_crates(code);
    let mut problems = Vec::new();
    for name in &used {
        if !available.contains(*name) {
            problems.push(format!(
                "the generated code uses `{name}`, which is not in [{}]",
                sections.join("] or [")
            ));
        }
    }
    if library {
        let direct = declared(manifest, &["dependencies"]);
        for name in GENERATED_ONLY {
            if direct.contains(*name) && !used.contains(name) {
                problems.push(format!(
                    "`{name}` is in [dependencies] but the generated code no longer uses it: remove it"
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = "[package]\nname = \"client\"\n\n[dependencies]\nprogenitor-client.workspace = true\nserde = { workspace = true }\n# regress = \"0.12\"\n\n[dev-dependencies]\nregress.workspace = true\n";

    #[test]
    fn crate_paths_are_found_and_module_paths_are_not() {
        let code = "use progenitor_client::{Error};\nfn f() -> ::serde_json::Value { self::types::regress::x(); ::regress::Regex::new() }";
        assert_eq!(
            used_crates(code).into_iter().collect::<Vec<_>>(),
            ["progenitor_client", "regress", "serde_json"]
        );
        assert!(used_crates("my_uuid::x(); types::chrono::y()").is_empty());
    }

    #[test]
    fn library_code_needs_dependencies_and_test_code_may_use_dev_dependencies() {
        let code = "use progenitor_client::Error; ::regress::Regex::new(\"\")";
        let error = check_manifest(MANIFEST, true, code).unwrap_err();
        assert!(
            error.contains("uses `regress`, which is not in [dependencies]"),
            "{error}"
        );
        assert_eq!(check_manifest(MANIFEST, false, code), Ok(()));
        let error = check_manifest(MANIFEST, true, "::uuid::Uuid::nil()").unwrap_err();
        assert!(error.contains("`uuid`"), "{error}");
    }

    #[test]
    fn a_generated_only_dependency_the_code_no_longer_uses_is_reported() {
        let manifest = MANIFEST.replace(
            "serde = { workspace = true }",
            "serde.workspace = true\nregress = \"0.12\"",
        );
        let error = check_manifest(&manifest, true, "use progenitor_client::Error;").unwrap_err();
        assert!(
            error.contains(
                "`regress` is in [dependencies] but the generated code no longer uses it"
            ),
            "{error}"
        );
        assert_eq!(
            check_manifest(
                &manifest,
                true,
                "use progenitor_client::Error; ::regress::Regex::new(\"\")"
            ),
            Ok(())
        );
    }

    #[test]
    fn files_outside_the_workspace_are_not_checked() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        assert_eq!(
            check(
                root,
                &std::env::temp_dir().join("x.rs"),
                "::nonexistent::x()"
            ),
            Ok(())
        );
        let (manifest, library) = owning_package(
            root,
            &root.join("crates/dintero-products-client/tests/it/other_shape/generated.rs"),
        )
        .unwrap();
        assert!(manifest.ends_with("crates/dintero-products-client/Cargo.toml"));
        assert!(!library);
        let (_, library) = owning_package(
            root,
            &root.join("crates/dintero-products-client/src/generated.rs"),
        )
        .unwrap();
        assert!(library);
    }
}
