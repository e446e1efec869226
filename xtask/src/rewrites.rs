//! Rewrites of progenitor's output, applied to the parsed `syn::File` before it is formatted.
//!
//! A pass fixes the spec; a rewrite fixes what progenitor makes of any spec. Each rewrite checks
//! that the generated code still has the shape it expects and fails generation otherwise, so a
//! progenitor bump cannot silently drop a fix.

use syn::visit::Visit;
use syn::{Expr, Item, UseTree};

/// A named rewrite of the generated code.
pub struct Rewrite {
    pub name: &'static str,
    /// What it protects against.
    pub why: &'static str,
    /// Edits the file and says what it did, or says why the file is not what it expects.
    pub run: fn(&mut syn::File) -> Result<Vec<String>, String>,
}

/// The rewrites, in order.
pub const REWRITES: &[Rewrite] = &[STRICT_PATH_ENCODING];

pub const STRICT_PATH_ENCODING: Rewrite = Rewrite {
    name: "strict-path-encoding",
    why: "progenitor_client::encode_path leaves `\\` and other characters a URL parser treats as a \
          path separator unencoded, so an id could leave its path segment",
    run: strict_path_encoding,
};

/// The function the generated code encodes path parameters with instead: it lives in the client
/// crate (`src/path.rs`); a client generated from another spec compiles in a crate that
/// re-exports the `path` module.
pub const STRICT_ENCODE_PATH: &str = "crate::path::encode_path";

const PROGENITOR_CLIENT: &str = "progenitor_client";
const ENCODE_PATH: &str = "encode_path";

/// What the rewrites did, as `(rewrite name, what)`, for `--explain`.
pub type Notes = Vec<(&'static str, String)>;

/// Runs every rewrite over `file`.
pub fn apply(file: &mut syn::File) -> Result<Notes, String> {
    let mut notes = Vec::new();
    for rewrite in REWRITES {
        let done = (rewrite.run)(file).map_err(|e| format!("rewrite `{}`: {e}", rewrite.name))?;
        notes.extend(done.into_iter().map(|what| (rewrite.name, what)));
    }
    Ok(notes)
}

/// Points every path-parameter encoding at [`STRICT_ENCODE_PATH`].
///
/// progenitor imports `encode_path` once, at the top of the file
/// (`use progenitor_client::{encode_path, ...}`), and its builders import it from there; every
/// URL is `format!("{}/a/{}", client.baseurl, encode_path(&x.to_string()), ...)`. This removes
/// `encode_path` from that import and imports the strict one under the same name. It fails when:
/// the import is not there exactly once; anything else still reaches progenitor's `encode_path`
/// (a qualified path, another import, a glob import of `progenitor_client`); or a URL
/// interpolates a value that does not go through `encode_path`.
fn strict_path_encoding(file: &mut syn::File) -> Result<Vec<String>, String> {
    let imports: Vec<usize> = file
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| matches!(item, Item::Use(u) if imports_encode_path(&u.tree)))
        .map(|(index, _)| index)
        .collect();
    let [index] = imports[..] else {
        return Err(format!(
            "expected the generated file to import `{PROGENITOR_CLIENT}::{{{ENCODE_PATH}, ..}}` \
             exactly once at its top level, found {} such imports; progenitor's output changed \
             shape, so path parameters cannot be pointed at `{STRICT_ENCODE_PATH}`: update \
             xtask/src/rewrites.rs",
            imports.len()
        ));
    };
    let Item::Use(original) = &mut file.items[index] else {
        return Err("the import found above is not a `use` item".into());
    };
    let attrs = original.attrs.clone();
    let emptied = remove_encode_path(&mut original.tree);
    let strict: syn::ItemUse = syn::parse_str(&format!("use {STRICT_ENCODE_PATH};"))
        .map_err(|e| format!("`{STRICT_ENCODE_PATH}` is not a path: {e}"))?;
    let strict = Item::Use(syn::ItemUse { attrs, ..strict });
    if emptied {
        file.items[index] = strict;
    } else {
        file.items.insert(index + 1, strict);
    }

    let mut check = EncodingCheck::default();
    check.visit_file(file);
    // On tokens rather than syntax: a visitor does not look inside macro calls such as `format!`.
    let tokens = quote::ToTokens::to_token_stream(&*file).to_string();
    if tokens.contains(&format!("{PROGENITOR_CLIENT} :: {ENCODE_PATH}")) {
        check.problems.push(format!(
            "a qualified `{PROGENITOR_CLIENT}::{ENCODE_PATH}` is used"
        ));
    }
    if !check.problems.is_empty() {
        return Err(format!(
            "the generated code does not encode every path parameter with `{STRICT_ENCODE_PATH}`:\n  - {}",
            check.problems.join("\n  - ")
        ));
    }
    Ok(vec![format!(
        "`{PROGENITOR_CLIENT}::{ENCODE_PATH}` replaced by `{STRICT_ENCODE_PATH}`; {} URL(s) \
         checked, {} path parameter(s) encoded by it",
        check.urls, check.parameters
    )])
}

/// Whether a `use` tree is `progenitor_client::{.., encode_path, ..}` (or `::encode_path`).
fn imports_encode_path(tree: &UseTree) -> bool {
    match tree {
        UseTree::Path(path) if path.ident == PROGENITOR_CLIENT => {
            names(&path.tree).iter().any(|name| name == ENCODE_PATH)
        }
        _ => false,
    }
}

fn names(tree: &UseTree) -> Vec<String> {
    match tree {
        UseTree::Name(name) => vec![name.ident.to_string()],
        UseTree::Rename(rename) => vec![rename.ident.to_string()],
        UseTree::Group(group) => group.items.iter().flat_map(names).collect(),
        UseTree::Path(_) | UseTree::Glob(_) => Vec::new(),
    }
}

/// Removes `encode_path` from `progenitor_client::{..}`; whether nothing is left.
fn remove_encode_path(tree: &mut UseTree) -> bool {
    let UseTree::Path(path) = tree else {
        return false;
    };
    match &mut *path.tree {
        UseTree::Group(group) => {
            group.items = std::mem::take(&mut group.items)
                .into_pairs()
                .map(syn::punctuated::Pair::into_value)
                .filter(|item| !matches!(item, UseTree::Name(n) if n.ident == ENCODE_PATH))
                .collect();
            group.items.is_empty()
        }
        UseTree::Name(name) => name.ident == ENCODE_PATH,
        _ => false,
    }
}

/// Walks the rewritten file for anything that would still encode a path parameter another way.
#[derive(Default)]
struct EncodingCheck {
    problems: Vec<String>,
    urls: usize,
    parameters: usize,
}

impl<'ast> Visit<'ast> for EncodingCheck {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if let Some(problem) = progenitor_use_problem(&item.tree, false) {
            self.problems.push(problem);
        }
        syn::visit::visit_item_use(self, item);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        if mac.path.is_ident("format") {
            self.check_url(mac);
        }
        syn::visit::visit_macro(self, mac);
    }
}

impl EncodingCheck {
    /// A `format!` whose first value is `<client>.baseurl` builds a URL: every later value is a
    /// path parameter and must be `encode_path(..)`.
    fn check_url(&mut self, mac: &syn::Macro) {
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let Ok(args) = syn::parse::Parser::parse2(parser, mac.tokens.clone()) else {
            return;
        };
        let mut args = args.iter().skip(1);
        let is_base = |e: &Expr| matches!(e, Expr::Field(f) if matches!(&f.member, syn::Member::Named(n) if n == "baseurl"));
        if !args.next().is_some_and(is_base) {
            return;
        }
        self.urls += 1;
        for arg in args {
            let encoded = matches!(arg, Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident(ENCODE_PATH)));
            if encoded {
                self.parameters += 1;
            } else {
                let shown = quote::ToTokens::to_token_stream(arg).to_string();
                self.problems.push(format!(
                    "a URL interpolates `{shown}` without `{ENCODE_PATH}`"
                ));
            }
        }
    }
}

/// Whether a `use` tree reaches progenitor's `encode_path` (by name or by glob). `inside` is
/// whether the tree is already below `progenitor_client`.
fn progenitor_use_problem(tree: &UseTree, inside: bool) -> Option<String> {
    match tree {
        UseTree::Path(path) => {
            progenitor_use_problem(&path.tree, inside || path.ident == PROGENITOR_CLIENT)
        }
        UseTree::Group(group) => group
            .items
            .iter()
            .find_map(|item| progenitor_use_problem(item, inside)),
        UseTree::Name(name) if inside && name.ident == ENCODE_PATH => Some(format!(
            "`{ENCODE_PATH}` is still imported from `{PROGENITOR_CLIENT}`"
        )),
        UseTree::Rename(rename) if inside && rename.ident == ENCODE_PATH => Some(format!(
            "`{ENCODE_PATH}` is still imported from `{PROGENITOR_CLIENT}` under another name"
        )),
        UseTree::Glob(_) if inside => Some(format!(
            "a glob import of `{PROGENITOR_CLIENT}` would bring its `{ENCODE_PATH}` back"
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape progenitor 0.15.1 generates, in miniature.
    const GENERATED: &str = r#"
        #[allow(unused_imports)]
        pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};
        #[allow(unused_imports)]
        use progenitor_client::{encode_path, ClientHooks, OperationInfo, RequestBuilderExt};
        pub mod builder {
            #[allow(unused_imports)]
            use super::{encode_path, ByteStream};
            fn send(client: &Client, aid: &str, group_id: &str) -> String {
                format!("{}/accounts/{}/groups/{}", client.baseurl, encode_path(&aid.to_string()),
                        encode_path(&group_id.to_string()))
            }
            fn message(x: u8) -> String { format!("{} bytes", x) }
        }
    "#;

    fn rewrite(source: &str) -> Result<(String, Vec<String>), String> {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let notes = strict_path_encoding(&mut file)?;
        Ok((prettyplease::unparse(&file), notes))
    }

    #[test]
    fn the_import_is_pointed_at_the_strict_encoder() {
        let (code, notes) = rewrite(GENERATED).unwrap();
        assert!(
            code.contains(
                "use progenitor_client::{ClientHooks, OperationInfo, RequestBuilderExt};"
            ),
            "{code}"
        );
        assert!(
            code.contains("#[allow(unused_imports)]\nuse crate::path::encode_path;"),
            "{code}"
        );
        assert!(!code.contains("progenitor_client::{encode_path"), "{code}");
        assert_eq!(
            code.matches("encode_path(&").count(),
            2,
            "the calls are unchanged"
        );
        assert_eq!(notes.len(), 1);
        assert!(
            notes[0].contains("1 URL(s) checked, 2 path parameter(s)"),
            "{notes:?}"
        );
    }

    #[test]
    fn an_import_of_encode_path_alone_is_replaced_whole() {
        let source = GENERATED.replace(
            "use progenitor_client::{encode_path, ClientHooks, OperationInfo, RequestBuilderExt};",
            "use progenitor_client::encode_path;",
        );
        let (code, _) = rewrite(&source).unwrap();
        assert!(
            !code.contains("use progenitor_client::encode_path"),
            "{code}"
        );
        assert!(code.contains("use crate::path::encode_path;"), "{code}");
    }

    #[test]
    fn an_unexpected_shape_is_an_error() {
        let cases = [
            (
                GENERATED.replace(
                    "use progenitor_client::{encode_path, ",
                    "use progenitor_client::{",
                ),
                "exactly once",
            ),
            (
                GENERATED.replace(
                    "encode_path(&aid.to_string())",
                    "progenitor_client::encode_path(&aid.to_string())",
                ),
                "a qualified `progenitor_client::encode_path` is used",
            ),
            (
                GENERATED.replace(
                    "use super::{encode_path, ByteStream};",
                    "use progenitor_client::*;",
                ),
                "a glob import of `progenitor_client`",
            ),
            (
                GENERATED.replace(
                    "use super::{encode_path, ByteStream};",
                    "use progenitor_client::{encode_path as enc};",
                ),
                "under another name",
            ),
            (
                GENERATED.replace("encode_path(&group_id.to_string())", "group_id.to_string()"),
                "a URL interpolates `group_id . to_string ()` without `encode_path`",
            ),
        ];
        for (source, expected) in cases {
            let error = rewrite(&source).unwrap_err();
            assert!(
                error.contains(expected),
                "expected {expected:?} in: {error}"
            );
        }
    }
}
