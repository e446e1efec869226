//! One name, one type.
//!
//! The SDK (`dintero-products`) has its own `Product`, `Group` and `Catalog` (objects with
//! accessors) and `Error`, and re-exports the generated types as `dintero_products::types`.
//! Dintero's schemas of the same names would make two public types share a name; this pass gives
//! those schemas names that say what they are (the fields of a product, the error body) and
//! rewrites every `$ref` to them. It runs after the passes that derive names from a schema's
//! name (`CatalogInput`, ...), so those stay as they are.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const PASS: Pass = Pass {
    name: "distinct-names",
    why: "the SDK's own Product, Group, Catalog and Error must not share a name with a generated type",
    run,
};

/// Schema name -> the name it is generated under.
pub const RENAMES: &[(&str, &str)] = &[
    ("Catalog", "CatalogFields"),
    ("Group", "GroupFields"),
    ("Product", "ProductFields"),
    ("Error", "ErrorBody"),
];

fn run(doc: &mut Value, log: &mut Log) {
    let schemas = spec::component_schemas_mut(doc);
    let mut renames = BTreeMap::new();
    for (from, to) in RENAMES {
        if schemas.contains_key(*from) && !schemas.contains_key(*to) {
            renames.insert(from.to_string(), to.to_string());
        }
    }
    if renames.is_empty() {
        return;
    }
    // Rebuilt in order, so the generated file keeps the document's order of schemas.
    let renamed: Map<String, Value> = std::mem::take(schemas)
        .into_iter()
        .map(|(name, schema)| match renames.get(&name) {
            Some(new) => (new.clone(), schema),
            None => (name, schema),
        })
        .collect();
    *schemas = renamed;
    spec::rename_refs(doc, &renames);
    for (from, to) in &renames {
        log.note(
            spec::join("/components/schemas", from),
            format!("schema `{from}` generates as `{to}`: the SDK has its own `{from}`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    #[test]
    fn clashing_schemas_are_renamed_with_every_reference() {
        let mut doc = json!({
            "paths": {"/p": {"get": {"responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Product"}}}},
                "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }}}},
            "components": {"schemas": {
                "Product": {"type": "object", "properties": {"groups": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}}}},
                "Group": {"type": "object"},
                "Other": {"type": "object"},
                "Error": {"type": "object"}
            }}
        });
        let findings = run_one(&PASS, &mut doc);
        assert_eq!(findings.len(), 3);
        let names: Vec<&String> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(
            names,
            ["ProductFields", "GroupFields", "Other", "ErrorBody"]
        );
        assert_eq!(
            doc["components"]["schemas"]["ProductFields"]["properties"]["groups"]["items"]["$ref"],
            "#/components/schemas/GroupFields"
        );
        let get = &doc["paths"]["/p"]["get"]["responses"];
        assert_eq!(
            get["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ProductFields"
        );
        assert_eq!(
            get["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }

    #[test]
    fn a_taken_target_name_leaves_the_schema_alone() {
        let mut doc = json!({"components": {"schemas": {
            "Group": {"type": "object"},
            "GroupFields": {"type": "string"},
            "Unrelated": {"type": "object"}
        }}});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }
}
