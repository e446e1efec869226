//! `cargo xtask regenerate` as a maintainer runs it: the real binary on real files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace, found as the xtask finds it: from what cargo sets at run time.
fn root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets it");
    Path::new(&manifest_dir).parent().unwrap().to_path_buf()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .unwrap()
}

/// The binary without the `CARGO_MANIFEST_DIR` cargo sets, run from `dir`.
fn xtask_outside_cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("CARGO_MANIFEST_DIR")
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_fails_with_a_diff_when_the_spec_changes() {
    let dir = scratch("check");
    let spec = dir.join("products.yaml");
    let out = dir.join("generated.rs");
    std::fs::copy(root().join("openapi/products.yaml"), &spec).unwrap();
    let (spec_arg, out_arg) = (spec.to_str().unwrap(), out.to_str().unwrap());

    assert!(
        xtask(&["regenerate", "--spec", spec_arg, "--out", out_arg])
            .status
            .success()
    );
    let first = std::fs::read_to_string(&out).unwrap();
    let clean = xtask(&[
        "regenerate",
        "--check",
        "--spec",
        spec_arg,
        "--out",
        out_arg,
    ]);
    assert!(clean.status.success(), "{}", text(&clean.stderr));

    let changed = std::fs::read_to_string(&spec).unwrap().replacen(
        "        group_name:\n          type: string\n          description: Name of the group",
        "        group_name:\n          type: string\n          description: Name of the group\n        group_colour:\n          type: string",
        1,
    );
    std::fs::write(&spec, changed).unwrap();
    let stale = xtask(&[
        "regenerate",
        "--check",
        "--spec",
        spec_arg,
        "--out",
        out_arg,
    ]);
    assert!(!stale.status.success());
    let diff = text(&stale.stdout);
    assert!(
        diff.contains("(checked in)") && diff.contains("(regenerated)"),
        "{diff}"
    );
    assert!(
        diff.lines()
            .any(|l| l.starts_with('+') && l.contains("group_colour")),
        "{diff}"
    );
    assert!(text(&stale.stderr).contains("out of date: run `cargo xtask regenerate`"));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        first,
        "--check writes nothing"
    );
}

#[test]
fn output_is_deterministic_and_names_the_spec_hash() {
    let dir = scratch("determinism");
    let (a, b) = (dir.join("a.rs"), dir.join("b.rs"));
    for out in [&a, &b] {
        assert!(
            xtask(&["regenerate", "--out", out.to_str().unwrap()])
                .status
                .success()
        );
    }
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(a, b);
    let checked_in =
        std::fs::read(root().join("crates/dintero-products-client/src/generated.rs")).unwrap();
    assert_eq!(
        a, checked_in,
        "regenerating from the repo's spec reproduces the checked-in file"
    );
    let header = text(&a[..200]);
    assert!(header.contains("from openapi/products.yaml"), "{header}");
    assert!(header.contains("spec sha256: "), "{header}");
}

#[test]
fn a_bad_spec_is_reported_by_operation_and_never_panics() {
    let dir = scratch("bad");
    let spec = dir.join("bad.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n  /b:\n    post:\n      operationId: upload\n      requestBody:\n        content:\n          multipart/form-data:\n            schema: {type: object}\n      responses:\n        '200': {description: ok}\n",
    )
    .unwrap();
    let out = dir.join("out.rs");
    let result = xtask(&[
        "regenerate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(stderr.contains("2 problem(s)"), "{stderr}");
    assert!(stderr.contains("GET /a (no operationId)"), "{stderr}");
    assert!(
        stderr.contains("POST /b (upload): request media type `multipart/form-data`"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists());

    std::fs::write(&spec, "- a list\n- is no spec\n").unwrap();
    let result = xtask(&[
        "regenerate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = text(&result.stderr);
    assert!(stderr.contains("the top level is not a map"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    std::fs::write(&spec, "openapi: [not, a, spec").unwrap();
    let result = xtask(&[
        "regenerate",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text(&result.stderr).contains("not valid YAML"),
        "{}",
        text(&result.stderr)
    );
}

#[test]
fn explain_names_each_pass_that_fired() {
    let dir = scratch("explain");
    let out = dir.join("out.rs");
    let result = xtask(&["regenerate", "--explain", "--out", out.to_str().unwrap()]);
    let stdout = text(&result.stdout);
    for expected in [
        "[regex-format]",
        "moved regex `^[PT]{1}\\d{8}$` from `format` to `pattern`",
        "[shared-param-types]",
        "[rename-operations]",
        "renamed operation `aid_products_get` to `list_products`",
        "list item is now `ProductDetails`",
        "[split-shared-schemas]",
        "[lenient-responses]",
        "[guessed-success-codes]",
        "guessed success 201 is now 2XX",
        "[shared-body-id-types]",
        "request body id now uses the new shared type `LocationId`",
        "[keep-unknown-fields]",
        "unknown fields kept: `additionalProperties: {}`",
        "[hand-written types] 5",
        "`AccountId` is the hand-written `crate::AccountId`",
        "[rewrites: strict-path-encoding] 1",
        "replaced by `crate::path::encode_path`",
        "[rewrites: extra-fields-default] 7",
        "`Location` implements `Default` with `is_available_for_shipping: defaults::default_bool::<true>()`",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
}

#[test]
fn both_checked_in_files_match_a_fresh_generation() {
    let result = xtask(&["regenerate", "--check"]);
    let stdout = text(&result.stdout);
    assert!(result.status.success(), "{stdout}{}", text(&result.stderr));
    for target in [
        "crates/dintero-products-client/src/generated.rs: up to date",
        "crates/dintero-products-client/tests/it/other_shape/generated.rs: up to date",
    ] {
        assert!(stdout.contains(target), "missing {target:?} in:\n{stdout}");
    }
}

#[test]
fn the_workspace_is_the_one_cargo_names_at_run_time() {
    // Another checkout, as `cargo run` from it would describe it: the xtask works on that tree
    // (which has no spec), not on the one it was compiled in.
    let other = scratch("other-checkout");
    std::fs::create_dir_all(other.join("xtask")).unwrap();
    std::fs::write(other.join("Cargo.toml"), "[workspace]\n").unwrap();
    let result = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["regenerate", "--check"])
        .env("CARGO_MANIFEST_DIR", other.join("xtask"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    let stderr = text(&result.stderr);
    assert!(stderr.contains("openapi/products.yaml: "), "{stderr}");

    // A manifest directory whose parent is no workspace is refused, not guessed around.
    let lonely = scratch("lonely");
    let result = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["regenerate", "--check"])
        .env("CARGO_MANIFEST_DIR", lonely.join("xtask"))
        .output()
        .unwrap();
    assert!(!result.status.success());
    assert!(
        text(&result.stderr).contains("has no Cargo.toml"),
        "{}",
        text(&result.stderr)
    );
}

#[test]
fn without_cargo_manifest_dir_cargo_is_asked() {
    // From a directory inside the workspace, `cargo locate-project` finds it.
    let inside = xtask_outside_cargo(&root().join("crates"), &["regenerate", "--check"]);
    assert!(
        inside.status.success(),
        "{}{}",
        text(&inside.stdout),
        text(&inside.stderr)
    );
    assert!(
        text(&inside.stdout)
            .contains("crates/dintero-products-client/src/generated.rs: up to date")
    );

    // Outside any workspace there is nothing to find: a clear error.
    let outside = xtask_outside_cargo(&scratch("nowhere"), &["regenerate", "--check"]);
    assert!(!outside.status.success());
    let stderr = text(&outside.stderr);
    assert!(stderr.contains("cannot find the workspace"), "{stderr}");
}
