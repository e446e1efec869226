//! Separate request and response copies of a schema both directions use.
//!
//! typify applies a schema's constraints when decoding as well as when encoding, and has no
//! notion of `readOnly`. A schema used both in a request body and in a response (Dintero's
//! `Catalog`, `Product`, `Location`) therefore cannot both validate what we send and decode
//! leniently what the server returns. When such a schema carries constraints, or requires a
//! read-only property, the request side gets its own copy, `<Name>Input`; the response side keeps
//! the name users read most. The passes after this one edit each side alone.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const PASS: Pass = Pass {
    name: "split-shared-schemas",
    why: "one typify type cannot validate requests and decode responses leniently",
    run,
};

/// Whether one (sub)schema, not following `$ref`s, means something different to a request.
fn has_request_semantics(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return false;
    };
    let constrained = spec::VALIDATION_KEYWORDS
        .iter()
        .any(|k| map.contains_key(*k))
        || map.get("additionalProperties") == Some(&Value::Bool(false))
        || (map.contains_key("minItems") && map.get("minItems") == map.get("maxItems"));
    let read_only_required =
        map.get("required")
            .and_then(Value::as_array)
            .is_some_and(|required| {
                required.iter().filter_map(Value::as_str).any(|name| {
                    map.get("properties")
                        .and_then(|p| p.get(name))
                        .and_then(|p| p.get("readOnly"))
                        == Some(&Value::Bool(true))
                })
            });
    constrained || read_only_required
}

fn run(doc: &mut Value, log: &mut Log) {
    let spec::DirectionRoots {
        requests: request_roots,
        responses: response_roots,
    } = spec::direction_roots(doc);
    let request_side = spec::reachable_schemas(doc, &request_roots);
    let response_side = spec::reachable_schemas(doc, &response_roots);
    let shared: BTreeSet<&String> = request_side.intersection(&response_side).collect();

    let schema_of = |name: &str| doc.pointer(&spec::join("/components/schemas", name));
    let direct_refs = |name: &str| {
        let mut refs = BTreeSet::new();
        if let Some(schema) = schema_of(name) {
            spec::referenced_schemas(schema, &mut refs);
        }
        refs
    };
    // Schemas that differ by direction themselves, then those that reference one (fixed point).
    let mut split: BTreeSet<String> = shared
        .iter()
        .filter(|name| {
            let at = spec::join("/components/schemas", name);
            spec::subschemas(doc, &at)
                .iter()
                .any(|p| doc.pointer(p).is_some_and(has_request_semantics))
        })
        .map(|name| name.to_string())
        .collect();
    loop {
        let more: Vec<String> = shared
            .iter()
            .filter(|name| !split.contains(**name))
            .filter(|name| direct_refs(name).iter().any(|r| split.contains(r)))
            .map(|name| name.to_string())
            .collect();
        if more.is_empty() {
            break;
        }
        split.extend(more);
    }
    if split.is_empty() {
        return;
    }

    let schemas = spec::component_schemas_mut(doc);
    let mut renames = BTreeMap::new();
    for name in &split {
        let input = (0..)
            .map(|n| {
                if n == 0 {
                    format!("{name}Input")
                } else {
                    format!("{name}Input{n}")
                }
            })
            .find(|candidate| !schemas.contains_key(candidate))
            .unwrap_or_else(|| format!("{name}Input"));
        renames.insert(name.clone(), input);
    }
    for (name, input) in &renames {
        if let Some(copy) = schemas.get(name).cloned() {
            schemas.insert(input.clone(), copy);
        }
    }
    // Rewrite the request side: the copies, request-only components and the request bodies.
    let request_only = request_side.difference(&response_side).cloned();
    let targets: Vec<String> = renames
        .values()
        .cloned()
        .chain(request_only)
        .map(|name| spec::join("/components/schemas", &name))
        .chain(request_roots)
        .collect();
    for at in targets {
        if let Some(value) = doc.pointer_mut(&at) {
            spec::rename_refs(value, &renames);
        }
    }
    for (name, input) in &renames {
        log.note(
            spec::join("/components/schemas", name),
            format!("request bodies now use `{input}`; responses keep `{name}`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/c": {"put": {
                "operationId": "update_catalog",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Catalog"}}}},
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CatalogResponse"}}}}}
            }}},
            "components": {"schemas": {
                "CatalogResponse": {"allOf": [{"$ref": "#/components/schemas/Catalog"}, {"$ref": "#/components/schemas/Entity"}]},
                "Catalog": {"properties": {"catalog_id": {"type": "string", "maxLength": 255},
                                           "location": {"$ref": "#/components/schemas/Tag"}}},
                "Tag": {"properties": {"name": {"type": "string"}}},
                "Entity": {"properties": {"id": {"type": "string", "readOnly": true}}}
            }}
        })
    }

    #[test]
    fn a_constrained_shared_schema_gets_a_request_copy() {
        let mut doc = doc();
        let found = run_one(&PASS, &mut doc);
        let body =
            &doc["paths"]["/c"]["put"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body, &json!({"$ref": "#/components/schemas/CatalogInput"}));
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["CatalogInput"], schemas["Catalog"]);
        assert_eq!(
            schemas["CatalogResponse"]["allOf"][0],
            json!({"$ref": "#/components/schemas/Catalog"}),
            "the response side keeps the original"
        );
        // Tag is shared but has nothing direction-specific: one type serves both.
        assert!(schemas.get("TagInput").is_none());
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn referencing_a_split_schema_splits_the_referrer() {
        let mut doc = doc();
        // Move the constraint down into Tag: Catalog must follow so requests reach TagInput.
        doc["components"]["schemas"]["Catalog"]["properties"]["catalog_id"] =
            json!({"type": "string"});
        doc["components"]["schemas"]["Tag"]["properties"]["name"]["maxLength"] = json!(3);
        run_one(&PASS, &mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["CatalogInput"]["properties"]["location"],
            json!({"$ref": "#/components/schemas/TagInput"})
        );
        assert_eq!(
            schemas["Catalog"]["properties"]["location"],
            json!({"$ref": "#/components/schemas/Tag"})
        );
    }

    #[test]
    fn unconstrained_shared_schemas_stay_shared() {
        let mut doc = doc();
        doc["components"]["schemas"]["Catalog"]["properties"]["catalog_id"] =
            json!({"type": "string"});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }
}
