//! The fake's modules are layered: each uses only modules of lower layers, so no two of them
//! import each other, even by way of a third, and each can be read knowing only what is below
//! it. These tests read `src/` and fail naming every import that breaks the order.
//!
//! A test rather than a lint, because nothing in rustc or clippy knows a crate's intended
//! layering; a scanner of its own rather than `syn`, because the fake should not take a parser
//! as a dependency for one test. The scanner knows Rust's comments and literals, which is enough
//! to find paths; `the_scanner_*` below are its own tests.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The top-level modules of `src/`, bottom layer first. A module may use the modules of the
/// layers below its own, and nothing else of the crate: not its peers (two peers allowed to
/// use each other could again form a circle), and not the crate root, which sits on top with
/// `main.rs`. ARCHITECTURE.md draws this, with what each layer owns.
const LAYERS: &[&[&str]] = &[
    &[
        "config",
        "dialect",
        "errors",
        "locks",
        "paths",
        "rate_limit",
    ],
    &["cursors", "ids", "tokens"],
    &["responses", "store"],
    &["faults"],
    &["state"],
    &["extract", "middleware"],
    &["routes"],
    &["server"],
];

#[test]
fn modules_use_only_lower_layers() {
    let found = violations(&source_files(), LAYERS);
    assert!(
        found.is_empty(),
        "imports against the layering declared in tests/it/layering.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_module_is_in_exactly_one_layer() {
    let modules = top_level_modules();
    let layered: Vec<&str> = LAYERS
        .iter()
        .flat_map(|layer| layer.iter().copied())
        .collect();
    let missing: Vec<&String> = modules
        .iter()
        .filter(|module| !layered.contains(&module.as_str()))
        .collect();
    let unknown: Vec<&str> = layered
        .iter()
        .copied()
        .filter(|module| !modules.contains(*module))
        .collect();
    let mut seen = BTreeSet::new();
    let twice: Vec<&str> = layered
        .iter()
        .copied()
        .filter(|module| !seen.insert(*module))
        .collect();
    assert!(
        missing.is_empty() && unknown.is_empty() && twice.is_empty(),
        "LAYERS in tests/it/layering.rs must list each module of src/ once: missing {missing:?}, \
         no such module {unknown:?}, listed twice {twice:?}"
    );
}

#[test]
fn the_scanner_sees_every_way_of_naming_a_module() {
    let source = r##"use crate::errors::ApiError;
use crate::{config::Config, paths};
use super::store;
// use crate::commented;
/* crate::block /* crate::nested */ crate::still_commented; */
const S: &str = "crate::in_a_string \" crate::after_an_escape";
const R: &str = r#"crate::in_a_raw_string " crate::still_raw"#;
const C: char = '{';
fn f<'a>(x: &'a str) { crate::middleware::gate(x); }
pub(crate) fn g() {}
mod tests {
    use super::*;
    use crate::server::FakeServer;
}
use crate::
    state::App;
"##;
    let found: Vec<(usize, String)> = references(source, &["tokens"])
        .into_iter()
        .map(|r| (r.line, r.target))
        .collect();
    let expected = [
        (1, "errors"),
        (2, "config"),
        (2, "paths"),
        (3, "store"),
        (9, "middleware"),
        (13, "server"),
        (15, "state"),
    ]
    .map(|(line, target)| (line, target.to_owned()));
    assert_eq!(found, expected);
}

#[test]
fn the_scanner_resolves_super_from_where_it_is_written() {
    let source = "use super::{Store, bumped};\nuse super::super::state::App;\n\
                  mod tests { use super::super::*; use super::super::super::server::FakeServer; }";
    let found: Vec<String> = references(source, &["store", "seeding"])
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert_eq!(found, ["state", "server"]);
}

#[test]
fn an_import_up_sideways_or_to_the_root_fails_the_check_and_is_named() {
    let layers: &[&[&str]] = &[&["low"], &["mid", "peer"], &["high"]];
    let file = |path: &str, source: &str| (path.to_owned(), source.to_owned());
    let files = [
        file("low.rs", "// crate::high in a comment is no import\n"),
        file("mid.rs", "use crate::low::A;\n\nuse crate::high::B;\n"),
        file("mid/inner.rs", "use super::super::{low, peer};\n"),
        file("peer.rs", "fn f() { crate::mid::C::new(); }\n"),
        file(
            "high.rs",
            "use crate::{low::A, mid::B, peer};\nuse crate::Reexported;\n",
        ),
    ];
    let found = violations(&files, layers);
    assert_eq!(found.len(), 4, "{found:#?}");
    assert!(found[0].starts_with("src/mid.rs:3: `use crate::high::B;`"));
    assert!(found[0].contains("`mid` (layer 1) uses `high` (layer 2)"));
    assert!(found[1].starts_with("src/mid/inner.rs:1: "));
    assert!(found[1].contains("`mid` (layer 1) uses `peer` (layer 1)"));
    assert!(found[2].starts_with("src/peer.rs:1: "));
    assert!(found[3].starts_with("src/high.rs:2: `use crate::Reexported;`"));
    assert!(found[3].contains("`Reexported`"));
}

/// `src/` of the fake.
fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every file of the library's modules: path under `src/` (with `/`) and text. The crate roots,
/// `lib.rs` and `main.rs`, sit above every layer and are not checked; nor are `src/bin`'s
/// programs, which are crates of their own.
fn source_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, prefix: &str, files: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .expect("a UTF-8 file name");
            let relative = format!("{prefix}{name}");
            if path.is_dir() {
                if relative != "bin" {
                    walk(&path, &format!("{relative}/"), files);
                }
            } else if name.ends_with(".rs") && relative != "lib.rs" && relative != "main.rs" {
                let text = fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                files.push((relative, text));
            }
        }
    }
    let mut files = Vec::new();
    walk(&src(), "", &mut files);
    files
}

/// The library's top-level modules: those with a file (`x.rs`, `x/mod.rs`) and those `lib.rs`
/// declares, so that neither a file lib.rs forgot nor an inline or `#[path]` module escapes.
fn top_level_modules() -> BTreeSet<String> {
    let mut modules: BTreeSet<String> = source_files()
        .into_iter()
        .map(|(path, _)| module_path(&path)[0].clone())
        .collect();
    let lib = fs::read_to_string(src().join("lib.rs")).expect("read src/lib.rs");
    let tokens = tokens(&lib);
    let mut depth = 0_usize;
    for (i, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => depth = depth.saturating_sub(1),
            "mod" if depth == 0 => {
                if let Some(name) = tokens.get(i + 1) {
                    modules.insert(name.text.clone());
                }
            }
            _ => {}
        }
    }
    modules
}

/// The module a file under `src/` holds: `store/demo.rs` is `["store", "demo"]`.
fn module_path(relative: &str) -> Vec<String> {
    let mut path: Vec<String> = relative
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if path.len() > 1 && path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// A message for each reference in `files` to a module of the same or a higher layer than
/// the file's own top-level module, or to an item of the crate root.
fn violations(files: &[(String, String)], layers: &[&[&str]]) -> Vec<String> {
    let layer_of = |module: &str| layers.iter().position(|layer| layer.contains(&module));
    let mut found = Vec::new();
    for (relative, source) in files {
        let path = module_path(relative);
        let own = path[0].as_str();
        let Some(own_layer) = layer_of(own) else {
            found.push(format!("src/{relative}: module `{own}` is in no layer"));
            continue;
        };
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        for reference in references(source, &segments) {
            let target = reference.target.as_str();
            if target == own {
                continue;
            }
            let line = source.lines().nth(reference.line - 1).unwrap_or("").trim();
            let problem = match layer_of(target) {
                Some(layer) if layer < own_layer => continue,
                Some(layer) => {
                    format!("`{own}` (layer {own_layer}) uses `{target}` (layer {layer})")
                }
                None => format!(
                    "`{own}` (layer {own_layer}) uses `{target}` of the crate root, which is \
                     above every layer (use the module that defines it), or a module missing \
                     from LAYERS"
                ),
            };
            found.push(format!(
                "src/{relative}:{}: `{line}`: {problem}",
                reference.line
            ));
        }
    }
    found
}

/// A path from a file to a child of the crate root: `crate::x`, each of `crate::{x, y}`, or a
/// `super::` path that climbs to the root.
#[derive(Debug)]
struct Reference {
    /// Where the path starts (its `crate` or first `super`), 1-based.
    line: usize,
    /// The root's child it names: a top-level module, or an item of `lib.rs`.
    target: String,
}

/// The references to the crate root's children in the file of module `module` (the path
/// from the root, such as `["store", "demo"]`), inline modules (`mod tests { ... }`)
/// included, each `super` counted from where it is written.
fn references(source: &str, module: &[&str]) -> Vec<Reference> {
    let tokens = tokens(source);
    let text = |i: usize| tokens.get(i).map_or("", |t: &Token| t.text.as_str());
    let mut found = Vec::new();
    // The inline modules around the current token, with the brace depth inside each.
    let mut inline: Vec<(&str, usize)> = Vec::new();
    let mut depth = 0_usize;
    let mut opening_module = None;
    for (i, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "mod" if text(i + 2) == "{" => opening_module = Some(text(i + 1)),
            "{" => {
                depth += 1;
                if let Some(name) = opening_module.take() {
                    inline.push((name, depth));
                }
            }
            "}" => {
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            start @ ("crate" | "super")
                if text(i + 1) == "::" && text(i.wrapping_sub(1)) != "::" =>
            {
                let mut scope: Vec<&str> = module.to_vec();
                scope.extend(inline.iter().map(|&(name, _)| name));
                let mut next = i;
                if start == "crate" {
                    scope.clear();
                    next += 2;
                } else {
                    while text(next) == "super" && text(next + 1) == "::" {
                        scope.pop();
                        next += 2;
                    }
                }
                if scope.is_empty() {
                    found.extend(root_children(&tokens, next).into_iter().map(|target| {
                        Reference {
                            line: token.line,
                            target,
                        }
                    }));
                }
            }
            _ => {}
        }
    }
    found
}

/// The names a path continues with at `start`, just after `crate::`: one word, or the first
/// word of each element of a `{...}` group.
fn root_children(tokens: &[Token], start: usize) -> Vec<String> {
    let Some(first) = tokens.get(start) else {
        return Vec::new();
    };
    if first.text != "{" {
        return vec![first.text.clone()];
    }
    let mut names = Vec::new();
    let mut depth = 0_usize;
    let mut element_starts = true;
    for token in &tokens[start..] {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            "," if depth == 1 => element_starts = true,
            word if depth == 1 && element_starts => {
                names.push(word.to_owned());
                element_starts = false;
            }
            _ => {}
        }
    }
    names
}

/// A piece of code outside comments and literals: a word (identifier, keyword or number),
/// `::`, or one other punctuation character.
#[derive(Debug)]
struct Token {
    text: String,
    line: usize,
}

/// The tokens of `source`, skipping comments (nested block comments too), string, raw string
/// and character literals, so that a path in any of them is not taken for an import.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Moves `i` past one character, counting lines.
    let advance = |i: &mut usize, line: &mut usize| {
        if at(*i) == '\n' {
            *line += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = at(i);
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && at(i) != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut nesting = 0;
            while i < chars.len() {
                if at(i) == '/' && at(i + 1) == '*' {
                    nesting += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    nesting -= 1;
                    i += 2;
                    if nesting == 0 {
                        break;
                    }
                } else {
                    advance(&mut i, &mut line);
                }
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && at(i) != '"' {
                if at(i) == '\\' {
                    i += 1;
                }
                advance(&mut i, &mut line);
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}'); anything else is a lifetime or label.
            if at(i + 1) == '\\' {
                i += 3;
                while i < chars.len() && at(i) != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
            if matches!(word.as_str(), "r" | "br" | "cr") && at(i + hashes) == '"' {
                // A raw string ends at a quote followed by as many `#` as it opened with.
                i += hashes + 1;
                while i < chars.len() && !(at(i) == '"' && (1..=hashes).all(|k| at(i + k) == '#')) {
                    advance(&mut i, &mut line);
                }
                i += hashes + 1;
            } else {
                tokens.push(Token { text: word, line });
            }
        } else if c == ':' && at(i + 1) == ':' {
            tokens.push(Token {
                text: "::".to_owned(),
                line,
            });
            i += 2;
        } else {
            if !c.is_whitespace() {
                tokens.push(Token {
                    text: c.to_string(),
                    line,
                });
            }
            advance(&mut i, &mut line);
        }
    }
    tokens
}
