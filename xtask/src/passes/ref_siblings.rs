//! `$ref` with sibling keys.
//!
//! openapiv3 cannot parse a `$ref` object that has other keys ("data did not match any variant of
//! untagged enum ReferenceOr", glademiller/openapiv3#85). In a schema the siblings carry meaning
//! (`nullable`, `description`, `readOnly`), so the reference moves into a one-part `allOf` beside
//! them, which typify reads as the referenced type. Elsewhere (a parameter, response or body
//! reference) OpenAPI 3.0 says siblings are ignored, so they are dropped.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Map, Value, json};

pub const PASS: Pass = Pass {
    name: "ref-siblings",
    why: "openapiv3 rejects `$ref` objects with sibling keys",
    run,
};

fn run(doc: &mut Value, log: &mut Log) {
    for root in spec::schema_roots(doc) {
        for at in spec::subschemas(doc, &root) {
            let Some(schema) = spec::object_mut(doc, &at) else {
                continue;
            };
            if schema.len() > 1
                && let Some(reference) = schema.remove("$ref")
            {
                schema.insert("allOf".into(), json!([{ "$ref": reference }]));
                log.note(&at, "moved `$ref` into `allOf` beside its sibling keys");
            }
        }
    }
    drop_siblings(doc, String::new(), log);
}

/// Non-schema references: keep only `$ref`.
fn drop_siblings(value: &mut Value, at: String, log: &mut Log) {
    match value {
        Value::Object(map) => {
            if map.len() > 1 && map.get("$ref").is_some_and(Value::is_string) {
                let reference = map.remove("$ref").unwrap_or_default();
                let dropped: Vec<_> = map.keys().cloned().collect();
                *map = Map::from_iter([("$ref".to_string(), reference)]);
                log.note(
                    &at,
                    format!("dropped keys beside `$ref`: {}", dropped.join(", ")),
                );
                return;
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    drop_siblings(child, spec::join(&at, key), log);
                }
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter_mut().enumerate() {
                drop_siblings(child, format!("{at}/{i}"), log);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;

    #[test]
    fn schema_ref_with_siblings_becomes_all_of() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"properties": {"b": {"$ref": "#/components/schemas/B", "nullable": true}}},
            "B": {"type": "string"}
        }}});
        let found = run_one(&PASS, &mut doc);
        assert_eq!(
            doc.pointer("/components/schemas/A/properties/b").unwrap(),
            &json!({"nullable": true, "allOf": [{"$ref": "#/components/schemas/B"}]})
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].at, "/components/schemas/A/properties/b");
    }

    #[test]
    fn parameter_ref_siblings_are_dropped() {
        let mut doc = json!({"paths": {"/x": {"get": {"operationId": "x", "parameters": [
            {"$ref": "#/components/parameters/p", "description": "ignored by OpenAPI 3.0"}
        ], "responses": {}}}}});
        run_one(&PASS, &mut doc);
        assert_eq!(
            doc.pointer("/paths/~1x/get/parameters/0").unwrap(),
            &json!({"$ref": "#/components/parameters/p"})
        );
    }

    #[test]
    fn plain_refs_and_examples_are_left_alone() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}},
                  "example": {"$ref": "literal", "x": 1}},
            "B": {"type": "string"}
        }}});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }
}
