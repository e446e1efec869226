//! `cargo xtask regenerate`: spec YAML -> normalisation passes -> preflight -> progenitor ->
//! syn + prettyplease -> a checked-in file with a header naming the spec and its sha256.

use crate::{deps, passes, preflight, replacements, rewrites};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub struct Options {
    pub root: PathBuf,
    /// `None` for every target in [`TARGETS`]; otherwise one spec and one output file.
    pub only: Option<(PathBuf, PathBuf)>,
    pub check: bool,
    pub explain: bool,
}

/// What a plain `cargo xtask regenerate` keeps current: the client, and the client built from a
/// spec of the same family but another shape, which a test in the client crate compiles.
pub const TARGETS: &[(&str, &str)] = &[
    (
        "openapi/products.yaml",
        "crates/dintero-products-client/src/generated.rs",
    ),
    (
        "xtask/fixtures/other-shape.yaml",
        "crates/dintero-products-client/tests/it/other_shape/generated.rs",
    ),
];

pub fn run(options: &Options) -> Result<ExitCode, String> {
    let targets: Vec<(PathBuf, PathBuf)> = match &options.only {
        Some(pair) => vec![pair.clone()],
        None => TARGETS
            .iter()
            .map(|(spec, out)| (options.root.join(spec), options.root.join(out)))
            .collect(),
    };
    let mut stale = false;
    for (spec, out) in &targets {
        let generated = generate_file(&options.root, spec, options.explain)?;
        deps::check(&options.root, out, &generated)?;
        let current = std::fs::read_to_string(out).ok();
        let shown = display(&options.root, out);
        if current.as_deref() == Some(generated.as_str()) {
            println!("{shown}: up to date");
            continue;
        }
        if options.check {
            stale = true;
            print!(
                "{}",
                diff(current.as_deref().unwrap_or(""), &generated, &shown)
            );
            eprintln!("{shown} is out of date: run `cargo xtask regenerate`");
        } else {
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(out, &generated).map_err(|e| format!("{shown}: {e}"))?;
            println!("{shown}: written");
        }
    }
    Ok(if stale {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The whole generated file for one spec.
pub fn generate_file(root: &Path, spec_path: &Path, explain: bool) -> Result<String, String> {
    let shown = display(root, spec_path);
    let bytes = std::fs::read(spec_path).map_err(|e| format!("{shown}: {e}"))?;
    let mut explained = String::new();
    let result = generate_with(&bytes, &shown, passes::PASSES.iter(), &mut explained);
    if explain {
        // Printed whether or not generation succeeded: what fired helps explain a failure.
        print!("{explained}");
    }
    result
}

/// The generated file for a spec's bytes, with the given passes (the pipeline's, or in tests the
/// pipeline less one); appends the `--explain` text of what fired to `explained`.
pub fn generate_with<'a>(
    bytes: &[u8],
    shown: &str,
    passes: impl IntoIterator<Item = &'a passes::Pass>,
    explained: &mut String,
) -> Result<String, String> {
    let mut doc = parse_yaml(bytes).map_err(|e| format!("{shown}: {e}"))?;
    if !doc.is_object() {
        // The passes edit a document they can add components to; anything else is no spec.
        return Err(format!(
            "{shown}: not an OpenAPI document: the top level is not a map"
        ));
    }
    let log = passes::normalise_with(&mut doc, passes);
    explained.push_str(&explanation(shown, &log));
    preflight::check(&doc).map_err(|problems| {
        format!(
            "{shown}: {} problem(s) the generator cannot handle:\n  - {}",
            problems.len(),
            problems.join("\n  - ")
        )
    })?;
    let (replace, replace_notes) = replacements::for_document(&doc);
    if !replace_notes.is_empty() {
        let _ = writeln!(
            explained,
            "\n[hand-written types] {} (why: the client crate implements these ids by hand)",
            replace.len()
        );
        for note in &replace_notes {
            let _ = writeln!(explained, "  {note}");
        }
    }
    let (code, rewrite_notes) = generate(doc, &replace).map_err(|e| format!("{shown}: {e}"))?;
    for rewrite in rewrites::REWRITES {
        let done: Vec<_> = rewrite_notes
            .iter()
            .filter(|(name, _)| *name == rewrite.name)
            .collect();
        let _ = writeln!(
            explained,
            "\n[rewrites: {}] {} (why: {})",
            rewrite.name,
            done.len(),
            rewrite.why
        );
        for (_, what) in done {
            let _ = writeln!(explained, "  {what}");
        }
    }
    let sha = Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
    let code = format!(
        "// @generated by `cargo xtask regenerate` from {shown}\n\
         // spec sha256: {sha}\n\
         // Do not edit: change the spec or a pass in xtask/src/passes, then regenerate.\n\n{code}"
    );
    Ok(code)
}

/// YAML to JSON, with map keys as strings (YAML allows `200:` unquoted).
pub fn parse_yaml(bytes: &[u8]) -> Result<Value, String> {
    let yaml: serde_yaml::Value =
        serde_yaml::from_slice(bytes).map_err(|e| format!("not valid YAML: {e}"))?;
    yaml_to_json(yaml)
}

fn yaml_to_json(yaml: serde_yaml::Value) -> Result<Value, String> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(&n).map_err(|e| format!("number {n}: {e}"))?,
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .map(yaml_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => return Err(format!("unsupported map key {other:?}")),
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

/// Runs progenitor with `replace`'s hand-written types, rewrites its output and formats it;
/// returns the code and what each rewrite did.
fn generate(doc: Value, replace: &[(&str, &str)]) -> Result<(String, rewrites::Notes), String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc)
        .map_err(|e| format!("not an OpenAPI 3.0 document openapiv3 can read: {e}"))?;
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_inner_type(quote::quote!(crate::Hooks))
        // The client crate must implement `ClientHooks`; forgetting it is a compile error.
        .with_hooks(HooksMode::Expected)
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap");
    for (schema, rust_type) in replace {
        settings.with_replacement(schema, rust_type, replacements::impls());
    }
    // progenitor and typify still have `assert!`/`todo!` paths preflight cannot foresee; a
    // panic there is reported as an error, never passed on.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || Generator::new(&settings).generate_tokens(&spec));
    std::panic::set_hook(previous_hook);
    let tokens = match result {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(format!("progenitor: {e}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            return Err(format!("progenitor panicked: {message}"));
        }
    };
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code syn cannot parse: {e}"))?;
    let notes = rewrites::apply(&mut file)?;
    let code = prettyplease::unparse(&file);
    if let Some(line) = code.lines().find(|l| is_empty_enum(l)) {
        return Err(format!(
            "an allOf with contradicting parts became an uninhabited type: `{}`",
            line.trim()
        ));
    }
    Ok((code, notes))
}

/// typify's sign of an unsatisfiable schema: `pub enum Name {}`.
fn is_empty_enum(line: &str) -> bool {
    let line = line.trim();
    line.starts_with("pub enum ") && line.ends_with("{}")
}

fn explanation(spec: &str, log: &passes::Log) -> String {
    let mut out = format!("{spec}: {} normalisation(s)\n", log.findings.len());
    for pass in passes::PASSES {
        let fired: Vec<_> = log
            .findings
            .iter()
            .filter(|f| f.pass == pass.name)
            .collect();
        if fired.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n[{}] {} (why: {})", pass.name, fired.len(), pass.why);
        for finding in fired {
            let _ = writeln!(out, "  {}\n      {}", finding.at, finding.what);
        }
    }
    out
}

fn diff(old: &str, new: &str, name: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (regenerated)"),
        )
        .to_string()
}

/// A path as the header and messages show it: relative to the workspace when inside it.
fn display(root: &Path, path: &Path) -> String {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    absolute
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets it");
        PathBuf::from(manifest_dir)
            .parent()
            .expect("xtask lives in the workspace")
            .to_path_buf()
    }

    fn generate_targets<'a>(
        passes: impl Iterator<Item = &'a passes::Pass> + Clone,
    ) -> Vec<Result<String, String>> {
        TARGETS
            .iter()
            .map(|(spec, _)| {
                let bytes = std::fs::read(root().join(spec)).unwrap();
                generate_with(&bytes, spec, passes.clone(), &mut String::new())
            })
            .collect()
    }

    /// Every pass matters to some fixture: without it, the generated output of the main spec or
    /// of the other-shape fixture changes, or generation fails. A pass that changed nothing could
    /// be deleted without any test noticing.
    #[test]
    fn removing_any_pass_changes_the_output_or_fails() {
        let full = generate_targets(passes::PASSES.iter());
        for (result, (spec, _)) in full.iter().zip(TARGETS) {
            assert!(result.is_ok(), "{spec}: {result:?}");
        }
        for removed in passes::PASSES {
            let without =
                generate_targets(passes::PASSES.iter().filter(|p| p.name != removed.name));
            assert!(
                without != full,
                "removing `{}` changes no generated output: extend a fixture so it matters",
                removed.name
            );
        }
    }

    #[test]
    fn explain_names_the_rewrites_and_the_hand_written_types() {
        let bytes = std::fs::read(root().join(TARGETS[0].0)).unwrap();
        let mut explained = String::new();
        generate_with(&bytes, "spec", passes::PASSES.iter(), &mut explained).unwrap();
        assert!(
            explained.contains("[rewrites: strict-path-encoding] 1"),
            "{explained}"
        );
        assert!(
            explained.contains("`AccountId` is the hand-written `crate::AccountId`"),
            "{explained}"
        );
    }
}
