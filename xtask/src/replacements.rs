//! Schemas the client crate implements by hand, which progenitor is told not to generate.
//!
//! typify would make each id schema a newtype with its own checks (and, for the account id's
//! pattern, a dependency on `regress`). The client crate's `ids` module has the same ids with
//! stricter, documented rules and the conversions callers need, so the generated code refers to
//! those through `GenerationSettings::with_replacement`. A schema is replaced only when the
//! hand-written type enforces exactly what it says; a schema of the same name but another shape
//! (another spec, or a changed one) is generated as usual, and `--explain` says why.

use crate::spec;
use progenitor::TypeImpl;
use serde_json::{Value, json};

/// A schema the client crate implements by hand.
pub struct HandWritten {
    /// The component schema's name.
    pub schema: &'static str,
    /// The Rust path the generated code uses instead.
    pub rust_type: &'static str,
    /// The keywords the hand-written type enforces, with their values: a replaced schema may
    /// hold only these (besides documentation) ...
    pub enforces: fn() -> Value,
    /// ... and must hold these.
    pub requires: &'static [&'static str],
}

fn account_id_rule() -> Value {
    json!({"type": "string", "pattern": "^[PT]{1}\\d{8}$", "minLength": 9, "maxLength": 9})
}

fn resource_id_rule() -> Value {
    json!({"type": "string", "maxLength": 255})
}

const fn resource_id(schema: &'static str, rust_type: &'static str) -> HandWritten {
    HandWritten {
        schema,
        rust_type,
        enforces: resource_id_rule,
        requires: &["type", "maxLength"],
    }
}

/// The hand-written types, by the schema they stand for. Paths start at `crate::` so that a
/// client generated from another spec compiles in a crate that re-exports these names.
pub const HAND_WRITTEN: &[HandWritten] = &[
    HandWritten {
        schema: "AccountId",
        rust_type: "crate::AccountId",
        enforces: account_id_rule,
        requires: &["type", "pattern"],
    },
    resource_id("CatalogId", "crate::CatalogId"),
    resource_id("GroupId", "crate::GroupId"),
    resource_id("ProductId", "crate::ProductId"),
    resource_id("LocationId", "crate::LocationId"),
];

/// What progenitor needs to know of a replacement type: parameters are turned into strings with
/// `Display`, and typify asks for `FromStr` of string-like types.
pub fn impls() -> impl Iterator<Item = TypeImpl> {
    [TypeImpl::FromStr, TypeImpl::Display].into_iter()
}

/// Why a hand-written type does not stand for `schema`, if it does not.
fn mismatch(hand_written: &HandWritten, schema: &Value) -> Option<String> {
    let Some(map) = schema.as_object() else {
        return Some("it is not a schema object".into());
    };
    let enforces = (hand_written.enforces)();
    for (key, value) in map {
        if spec::is_documentation_key(key) {
            continue;
        }
        match enforces.get(key) {
            Some(expected) if expected == value => {}
            Some(expected) => {
                return Some(format!(
                    "the hand-written type enforces `{key}: {expected}`, the schema says `{key}: {value}`"
                ));
            }
            None => return Some(format!("the hand-written type does not enforce `{key}`")),
        }
    }
    hand_written
        .requires
        .iter()
        .find(|key| !map.contains_key(**key))
        .map(|key| format!("the schema has no `{key}`, which the hand-written type enforces"))
}

/// The replacements that apply to `doc` as `(schema, Rust type)`, and a line per hand-written
/// type whose schema is present, for `--explain`.
pub fn for_document(doc: &Value) -> (Vec<(&'static str, &'static str)>, Vec<String>) {
    let mut replace = Vec::new();
    let mut notes = Vec::new();
    for hand_written in HAND_WRITTEN {
        let at = spec::join("/components/schemas", hand_written.schema);
        let Some(schema) = doc.pointer(&at) else {
            continue;
        };
        match mismatch(hand_written, schema) {
            None => {
                replace.push((hand_written.schema, hand_written.rust_type));
                notes.push(format!(
                    "{at}\n      `{}` is the hand-written `{}`",
                    hand_written.schema, hand_written.rust_type
                ));
            }
            Some(why) => notes.push(format!(
                "{at}\n      `{}` is generated, not `{}`: {why}",
                hand_written.schema, hand_written.rust_type
            )),
        }
    }
    (replace, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(schemas: Value) -> Value {
        json!({"components": {"schemas": schemas}})
    }

    #[test]
    fn schemas_the_hand_written_types_enforce_are_replaced() {
        let (replace, notes) = for_document(&doc(json!({
            "AccountId": {"type": "string", "pattern": "^[PT]{1}\\d{8}$", "minLength": 9,
                          "maxLength": 9, "description": "The account."},
            "CatalogId": {"type": "string", "maxLength": 255, "x-inferred": true},
            "LocationId": {"type": "string", "maxLength": 255}
        })));
        assert_eq!(
            replace,
            [
                ("AccountId", "crate::AccountId"),
                ("CatalogId", "crate::CatalogId"),
                ("LocationId", "crate::LocationId")
            ]
        );
        assert_eq!(notes.len(), 3);
    }

    #[test]
    fn another_shape_under_the_same_name_is_generated_and_explained() {
        let (replace, notes) = for_document(&doc(json!({
            "AccountId": {"type": "string", "pattern": "^[PT]{1}(?=(?:.{3}|.{8})$)[0-9]*$"},
            "CatalogId": {"type": "string", "maxLength": 64},
            "GroupId": {"type": "string"},
            "ProductId": {"type": "string", "maxLength": 255, "nullable": true},
            "Unrelated": {"type": "integer"}
        })));
        assert!(replace.is_empty(), "{replace:?}");
        let all = notes.join("\n");
        assert!(all.contains("`AccountId` is generated"), "{all}");
        assert!(
            all.contains("enforces `pattern: \"^[PT]{1}\\\\d{8}$\"`"),
            "{all}"
        );
        assert!(
            all.contains("enforces `maxLength: 255`, the schema says `maxLength: 64`"),
            "{all}"
        );
        assert!(all.contains("the schema has no `maxLength`"), "{all}");
        assert!(all.contains("does not enforce `nullable`"), "{all}");
        assert_eq!(
            notes.len(),
            4,
            "no note for schemas no hand-written type claims"
        );
    }
}
