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
pub const REWRITES: &[Rewrite] = &[STRICT_PATH_ENCODING, EXTRA_FIELDS_DEFAULT];

pub const STRICT_PATH_ENCODING: Rewrite = Rewrite {
    name: "strict-path-encoding",
    why: "progenitor_client::encode_path leaves `\\` and other characters a URL parser treats as a \
          path separator unencoded, so an id could leave its path segment",
    run: strict_path_encoding,
};

pub const EXTRA_FIELDS_DEFAULT: Rewrite = Rewrite {
    name: "extra-fields-default",
    why: "typify counts the flattened map of unknown fields as required, so a struct that keeps \
          unknown fields loses `Default` and its builder demands the map; an absent map is an \
          empty one",
    run: extra_fields_default,
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

/// The field typify gives a struct whose schema keeps unknown fields (`additionalProperties`).
const EXTRA: &str = "extra";

/// What a field's `#[serde(..)]` attributes say about it.
#[derive(Default)]
struct SerdeField {
    flatten: bool,
    /// `Some(None)` for `#[serde(default)]`, `Some(Some(path))` for `#[serde(default = "path")]`.
    default: Option<Option<syn::ExprPath>>,
}

fn serde_field(field: &syn::Field) -> Result<SerdeField, String> {
    let mut found = SerdeField::default();
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("flatten") {
                found.flatten = true;
            } else if meta.path.is_ident("default") {
                found.default = Some(if meta.input.peek(syn::Token![=]) {
                    let path: syn::LitStr = meta.value()?.parse()?;
                    Some(path.parse()?)
                } else {
                    None
                });
            } else if meta.input.peek(syn::Token![=]) {
                let _: Expr = meta.value()?.parse()?;
            }
            Ok(())
        })
        .map_err(|e| {
            let shown = quote::ToTokens::to_token_stream(attr).to_string();
            format!("cannot read `{shown}`: {e}")
        })?;
    }
    Ok(found)
}

fn named_fields(item: &syn::ItemStruct) -> impl Iterator<Item = &syn::Field> {
    match &item.fields {
        syn::Fields::Named(named) => Some(named.named.iter()),
        _ => None,
    }
    .into_iter()
    .flatten()
}

fn last_ident(path: &syn::Path) -> Option<&syn::Ident> {
    path.segments.last().map(|segment| &segment.ident)
}

/// The name of the type an `impl Default for X` is for, if `item` is one.
fn default_impl_for(item: &Item) -> Option<&syn::Ident> {
    let Item::Impl(item) = item else {
        return None;
    };
    let (trait_, _) = item.trait_.as_ref()?;
    if last_ident(trait_)? != "Default" {
        return None;
    }
    match &*item.self_ty {
        syn::Type::Path(ty) if ty.qself.is_none() => ty.path.get_ident(),
        _ => None,
    }
}

fn module_items_mut<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(module) if module.ident == name => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    })
}

/// How a struct that keeps unknown fields gets its `Default`.
enum NewDefault {
    /// Every field defaults to `Default::default()`: `Default` joins the derive list.
    Derive,
    /// Some field has `#[serde(default = "path")]`: an impl calls `path()` for it.
    Impl(Box<Item>),
}

/// Gives every struct in `mod types` with a `#[serde(flatten)] extra` map the `Default` typify
/// would have given it without the map, and makes the map default to an empty one in its
/// builder (`mod types::builder`).
///
/// A struct gets `Default` only when serde accepts `{}` for it: every other field is an
/// `Option` or has `#[serde(default)]`/`#[serde(default = "path")]`, which the `Default` then
/// follows, so it equals what serde makes of `{}`. A struct with a required field keeps none.
/// It fails when a struct that keeps unknown fields has no builder `impl Default` setting
/// `extra: Err(..)`, or when a `#[serde(..)]` attribute cannot be read.
fn extra_fields_default(file: &mut syn::File) -> Result<Vec<String>, String> {
    let Some(types) = module_items_mut(&mut file.items, "types") else {
        return Ok(Vec::new());
    };
    let has_default: Vec<String> = types
        .iter()
        .filter_map(default_impl_for)
        .map(ToString::to_string)
        .collect();

    let mut notes = Vec::new();
    let mut kept = Vec::new();
    let mut new_defaults = Vec::new();
    for (index, item) in types.iter().enumerate() {
        let Item::Struct(item) = item else {
            continue;
        };
        let mut fields = Vec::new();
        for field in named_fields(item) {
            fields.push((field, serde_field(field)?));
        }
        let keeps_unknown = fields.iter().any(|(field, serde)| {
            serde.flatten && field.ident.as_ref().is_some_and(|i| i == EXTRA)
        });
        if !keeps_unknown {
            continue;
        }
        let name = item.ident.to_string();
        kept.push(name.clone());
        if derives(item, "Default") || has_default.contains(&name) {
            notes.push(format!("`{name}` already has `Default`"));
            continue;
        }
        let required: Vec<String> = fields
            .iter()
            .filter(|(field, serde)| {
                serde.default.is_none() && !serde.flatten && !is_option(&field.ty)
            })
            .filter_map(|(field, _)| field.ident.as_ref().map(ToString::to_string))
            .collect();
        if !required.is_empty() {
            notes.push(format!(
                "`{name}` keeps no `Default`: serde requires `{}`",
                required.join("`, `")
            ));
            continue;
        }
        let paths: Vec<_> = fields
            .iter()
            .filter_map(|(field, serde)| Some((field.ident.as_ref()?, serde.default.clone()??)))
            .collect();
        if paths.is_empty() {
            notes.push(format!("`{name}` derives `Default`"));
            new_defaults.push((index, NewDefault::Derive));
            continue;
        }
        let members = fields.iter().filter_map(|(field, serde)| {
            let ident = field.ident.as_ref()?;
            let value: Expr = match &serde.default {
                Some(Some(path)) => syn::parse_quote!(#path()),
                _ => syn::parse_quote!(Default::default()),
            };
            Some(quote::quote!(#ident: #value))
        });
        let ident = &item.ident;
        let implementation: Item = syn::parse_quote! {
            impl ::std::default::Default for #ident {
                fn default() -> Self {
                    Self { #(#members),* }
                }
            }
        };
        let shown: Vec<String> = paths
            .iter()
            .map(|(field, path)| {
                format!(
                    "{field}: {}()",
                    quote::ToTokens::to_token_stream(path)
                        .to_string()
                        .replace(' ', "")
                )
            })
            .collect();
        notes.push(format!(
            "`{name}` implements `Default` with `{}`",
            shown.join("`, `")
        ));
        new_defaults.push((index, NewDefault::Impl(Box::new(implementation))));
    }
    // From the back, so that an inserted impl does not move the structs still to come.
    for (index, new_default) in new_defaults.into_iter().rev() {
        match new_default {
            NewDefault::Derive => {
                let Item::Struct(item) = &mut types[index] else {
                    unreachable!("the index was taken from a struct");
                };
                add_derive(item, "Default")?;
            }
            NewDefault::Impl(implementation) => types.insert(index + 1, *implementation),
        }
    }

    if kept.is_empty() {
        return Ok(notes);
    }
    let Some(builders) = module_items_mut(types, "builder") else {
        return Err(format!(
            "`mod types` has no `mod builder`, so the builders of {} cannot default `{EXTRA}` to \
             an empty map; progenitor's output changed shape: update xtask/src/rewrites.rs",
            kept.join(", ")
        ));
    };
    let mut missing = Vec::new();
    for name in &kept {
        let extra = builders
            .iter_mut()
            .filter(|item| default_impl_for(item).is_some_and(|i| i == name))
            .find_map(builder_default_extra);
        match extra {
            Some(extra) => {
                *extra = syn::parse_quote!(Ok(Default::default()));
            }
            None => missing.push(format!("`builder::{name}`")),
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "expected the builders' `impl Default` to set `{EXTRA}: Err(..)`, but {} do(es) not; \
             progenitor's output changed shape, so a builder may still demand the map of \
             unknown fields: update xtask/src/rewrites.rs",
            missing.join(", ")
        ));
    }
    for note in notes.iter_mut() {
        note.push_str("; its builder's `extra` is an empty map unless set");
    }
    Ok(notes)
}

/// The `extra: Err(..)` value in a builder's `impl Default { fn default() -> Self { Self {..} } }`.
fn builder_default_extra(item: &mut Item) -> Option<&mut Expr> {
    let Item::Impl(item) = item else {
        return None;
    };
    item.items.iter_mut().find_map(|item| {
        let syn::ImplItem::Fn(function) = item else {
            return None;
        };
        if function.sig.ident != "default" {
            return None;
        }
        let Some(syn::Stmt::Expr(Expr::Struct(value), None)) = function.block.stmts.last_mut() else {
            return None;
        };
        let field = value
            .fields
            .iter_mut()
            .find(|f| matches!(&f.member, syn::Member::Named(n) if n == EXTRA))?;
        let is_err = matches!(&field.expr, Expr::Call(call) if matches!(&*call.func, Expr::Path(p) if p.path.is_ident("Err")));
        is_err.then_some(&mut field.expr)
    })
}

fn is_option(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(ty) if ty.qself.is_none() && last_ident(&ty.path).is_some_and(|i| i == "Option"))
}

fn derive_list(
    attr: &syn::Attribute,
) -> Option<syn::punctuated::Punctuated<syn::Path, syn::Token![,]>> {
    if !attr.path().is_ident("derive") {
        return None;
    }
    attr.parse_args_with(syn::punctuated::Punctuated::parse_terminated)
        .ok()
}

fn derives(item: &syn::ItemStruct, name: &str) -> bool {
    item.attrs.iter().filter_map(derive_list).any(|list| {
        list.iter()
            .any(|path| last_ident(path).is_some_and(|i| i == name))
    })
}

/// Adds `name` to the struct's derive list, after `Debug` as typify orders it.
fn add_derive(item: &mut syn::ItemStruct, name: &str) -> Result<(), String> {
    let struct_name = item.ident.to_string();
    let Some((attr, list)) = item
        .attrs
        .iter_mut()
        .find_map(|attr| derive_list(attr).map(|list| (attr, list)))
    else {
        return Err(format!(
            "`{struct_name}` has no `#[derive(..)]` to add `{name}` to"
        ));
    };
    let mut paths: Vec<syn::Path> = list.into_iter().collect();
    let at = paths
        .iter()
        .position(|path| path.is_ident("Debug"))
        .map_or(paths.len(), |debug| debug + 1);
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    paths.insert(at, ident.into());
    *attr = syn::parse_quote!(#[derive(#(#paths),*)]);
    Ok(())
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

    /// `source` after the rewrite `run`, formatted, with its notes.
    fn rewritten(
        run: fn(&mut syn::File) -> Result<Vec<String>, String>,
        source: &str,
    ) -> Result<(String, Vec<String>), String> {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let notes = run(&mut file)?;
        Ok((prettyplease::unparse(&file), notes))
    }

    fn rewrite(source: &str) -> Result<(String, Vec<String>), String> {
        rewritten(strict_path_encoding, source)
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

    /// typify's output for structs that keep unknown fields, in miniature.
    const TYPES: &str = r#"
        pub mod types {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
            pub struct Dimension {
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub color: ::std::option::Option<::std::string::String>,
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub tags: ::std::vec::Vec<::std::string::String>,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            impl Dimension {
                pub fn builder() -> builder::Dimension { Default::default() }
            }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
            pub struct Location {
                #[serde(default)]
                pub is_available_for_pickup: bool,
                #[serde(default = "defaults::default_bool::<true>")]
                pub is_available_for_shipping: bool,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]
            pub struct ImagesItem {
                pub href: ::std::string::String,
                #[serde(flatten)]
                pub extra: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]
            pub struct Plain {
                #[serde(skip_serializing_if = "::std::option::Option::is_none")]
                pub extra: ::std::option::Option<i64>,
            }
            pub mod builder {
                impl ::std::default::Default for Dimension {
                    fn default() -> Self {
                        Self {
                            color: Ok(Default::default()),
                            tags: Ok(Default::default()),
                            extra: Err("no value supplied for extra".to_string()),
                        }
                    }
                }
                impl ::std::default::Default for Location {
                    fn default() -> Self {
                        Self {
                            is_available_for_pickup: Ok(Default::default()),
                            is_available_for_shipping: Ok(super::defaults::default_bool::<true>()),
                            extra: Err("no value supplied for extra".to_string()),
                        }
                    }
                }
                impl ::std::default::Default for ImagesItem {
                    fn default() -> Self {
                        Self {
                            href: Err("no value supplied for href".to_string()),
                            extra: Err("no value supplied for extra".to_string()),
                        }
                    }
                }
                impl ::std::default::Default for Plain {
                    fn default() -> Self {
                        Self { extra: Ok(Default::default()) }
                    }
                }
            }
        }
    "#;

    fn rewrite_extra(source: &str) -> Result<(String, Vec<String>), String> {
        rewritten(extra_fields_default, source)
    }

    #[test]
    fn a_struct_of_defaultable_fields_derives_default() {
        let (code, notes) = rewrite_extra(TYPES).unwrap();
        assert!(
            code.contains(
                "#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, Default, PartialEq)]\n    pub struct Dimension {"
            ),
            "{code}"
        );
        assert!(
            !code.contains("impl ::std::default::Default for Dimension {\n        fn"),
            "{code}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("`Dimension` derives `Default`")),
            "{notes:?}"
        );
    }

    #[test]
    fn a_default_path_is_called_in_an_impl() {
        let (code, notes) = rewrite_extra(TYPES).unwrap();
        let expected = "    impl ::std::default::Default for Location {
        fn default() -> Self {
            Self {
                is_available_for_pickup: Default::default(),
                is_available_for_shipping: defaults::default_bool::<true>(),
                extra: Default::default(),
            }
        }
    }";
        assert!(code.contains(expected), "{code}");
        assert!(
            code.contains("#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]\n    pub struct Location {"),
            "the derive list is left alone: {code}"
        );
        assert!(
            notes.iter().any(|n| n.contains(
                "`Location` implements `Default` with `is_available_for_shipping: defaults::default_bool::<true>()`"
            )),
            "{notes:?}"
        );
    }

    #[test]
    fn a_struct_with_a_required_field_gets_no_default() {
        let (code, notes) = rewrite_extra(TYPES).unwrap();
        assert!(
            code.contains("#[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug, PartialEq)]\n    pub struct ImagesItem {"),
            "{code}"
        );
        assert_eq!(
            code.matches("impl ::std::default::Default for ImagesItem")
                .count(),
            1,
            "{code}"
        );
        assert!(
            notes
                .iter()
                .any(|n| n.contains("`ImagesItem` keeps no `Default`: serde requires `href`")),
            "{notes:?}"
        );
    }

    #[test]
    fn every_builder_defaults_extra_to_an_empty_map() {
        let (code, notes) = rewrite_extra(TYPES).unwrap();
        assert!(!code.contains("no value supplied for extra"), "{code}");
        assert_eq!(
            code.matches("extra: Ok(Default::default())").count(),
            4,
            "{code}"
        );
        assert!(
            code.contains("href: Err(\"no value supplied for href\""),
            "{code}"
        );
        // `Plain.extra` is a property called `extra`, not a flattened map: untouched.
        assert_eq!(notes.len(), 3, "{notes:?}");
    }

    #[test]
    fn a_struct_that_already_has_default_is_left_alone() {
        let source = TYPES.replace(
            "Clone, Debug, PartialEq)]\n            pub struct Dimension",
            "Clone, Debug, Default, PartialEq)]\n            pub struct Dimension",
        );
        let (code, notes) = rewrite_extra(&source).unwrap();
        assert_eq!(code.matches("Default, Default").count(), 0, "{code}");
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("`Dimension` already has `Default`")),
            "{notes:?}"
        );
    }

    #[test]
    fn no_struct_that_keeps_unknown_fields_is_no_change() {
        let unchanged = prettyplease::unparse(&syn::parse_str(GENERATED).unwrap());
        let (code, notes) = rewrite_extra(GENERATED).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(code, unchanged);
    }

    #[test]
    fn a_builder_that_does_not_demand_extra_is_an_error() {
        let cases = [
            (
                TYPES.replacen(
                    "extra: Err(\"no value supplied for extra\".to_string()),",
                    "extra: Ok(Default::default()),",
                    1,
                ),
                "`builder::Dimension` do(es) not",
            ),
            (
                TYPES.replace(
                    "impl ::std::default::Default for Location {",
                    "impl Location {",
                ),
                "`builder::Location` do(es) not",
            ),
            (
                TYPES.replace("pub mod builder {", "pub mod builders {"),
                "`mod types` has no `mod builder`",
            ),
            (
                TYPES.replace("#[serde(flatten)]", "#[serde(flatten(x))]"),
                "cannot read `# [serde (flatten (x))]`",
            ),
        ];
        for (source, expected) in cases {
            let error = rewrite_extra(&source).unwrap_err();
            assert!(
                error.contains(expected),
                "expected {expected:?} in: {error}"
            );
        }
    }
}
