//! One type per id in request bodies, shared with the parameters.
//!
//! typify makes a newtype for every constrained string property (`CreateProductBodyProductId`,
//! `CatalogInputCatalogId`, `LocationInputLocationId`, ...), so the same product id is a
//! different type in a path, in each body, and in the caller's code, and every conversion
//! between them is an error path that cannot fire. On the request side only, an `<name>_id`
//! property that is a constrained string now refers to the shared schema named after it
//! (`product_id` -> `ProductId`, the one `shared-param-types` made for the parameters), which is
//! created when no parameter made it (`LocationId`). A shared schema of another shape is left
//! alone, and so is the property. Response schemas keep their plain, lenient strings.
//!
//! Runs after `split-shared-schemas`, so the request side has its own copies to edit.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

pub const PASS: Pass = Pass {
    name: "shared-body-id-types",
    why: "typify makes one newtype per body property for the same constrained id",
    run,
};

/// Keys of a property schema that describe the property, not the id's type: they stay beside the
/// reference.
fn is_property_key(key: &str) -> bool {
    spec::is_documentation_key(key)
        || matches!(
            key,
            "readOnly" | "writeOnly" | "nullable" | "default" | "deprecated"
        )
}

/// The property's schema as a shared type: its type and constraints, with its description.
fn shared_schema(property: &Map<String, Value>) -> Value {
    let mut out: Map<String, Value> = property
        .iter()
        .filter(|(key, _)| !is_property_key(key))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(description) = property.get("description") {
        out.insert("description".into(), description.clone());
    }
    Value::Object(out)
}

/// Pointers to the schemas only requests use: request bodies, and the component schemas they
/// reach that no response reaches.
fn request_only_schemas(doc: &Value) -> Vec<String> {
    let roots = spec::direction_roots(doc);
    let response_side = spec::reachable_schemas(doc, &roots.responses);
    let bodies: Vec<String> = roots
        .requests
        .into_iter()
        .filter(|at| !at.contains("/parameters/"))
        .collect();
    let components: BTreeSet<String> = spec::reachable_schemas(doc, &bodies)
        .into_iter()
        .filter(|name| !response_side.contains(name))
        .collect();
    bodies
        .into_iter()
        .chain(
            components
                .iter()
                .map(|name| spec::join("/components/schemas", name)),
        )
        .flat_map(|root| spec::subschemas(doc, &root))
        .collect()
}

fn run(doc: &mut Value, log: &mut Log) {
    for at in request_only_schemas(doc) {
        let Some(properties) = doc
            .pointer(&spec::join(&at, "properties"))
            .and_then(Value::as_object)
            .cloned()
        else {
            continue;
        };
        for (name, property) in properties {
            let Some(property) = property.as_object() else {
                continue;
            };
            let is_id = name.ends_with("_id")
                && spec::is_constrained_string(&Value::Object(property.clone()))
                && !property.contains_key("enum");
            if !is_id {
                continue;
            }
            let pointer = spec::join(&spec::join(&at, "properties"), &name);
            let shared = spec::pascal_case(&name);
            let wanted = shared_schema(property);
            let schemas = spec::component_schemas_mut(doc);
            let created = match schemas.get(&shared) {
                Some(existing) if !spec::same_type_ignoring_docs(existing, &wanted) => {
                    log.note(
                        &pointer,
                        format!("left inline: the shared `{shared}` is another type"),
                    );
                    continue;
                }
                Some(_) => false,
                None => {
                    schemas.insert(shared.clone(), wanted);
                    true
                }
            };
            // Documentation and flags such as `readOnly` stay on the property, beside a one-part
            // `allOf` (a `$ref` cannot have siblings), which typify reads as the shared type.
            let reference = json!({ "$ref": spec::schema_ref(&shared) });
            let mut replacement: Map<String, Value> = property
                .iter()
                .filter(|(key, _)| is_property_key(key))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let replacement = if replacement.is_empty() {
                reference
            } else {
                replacement.insert("allOf".into(), json!([reference]));
                Value::Object(replacement)
            };
            if let Some(slot) = doc.pointer_mut(&pointer) {
                *slot = replacement;
                let how = if created { "the new" } else { "the" };
                log.note(
                    pointer,
                    format!("request body id now uses {how} shared type `{shared}`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;

    fn json_body(schema: Value) -> Value {
        json!({"content": {"application/json": {"schema": schema}}})
    }

    fn ok(schema: Value) -> Value {
        json!({"200": {"description": "", "content": {"application/json": {"schema": schema}}}})
    }

    fn doc() -> Value {
        json!({
            "paths": {
                "/c": {"post": {
                    "operationId": "create_catalog",
                    "requestBody": json_body(json!({"allOf": [{"properties": {
                        "catalog_id": {"type": "string", "maxLength": 255, "description": "Yours.", "example": "S23"},
                        "catalog_name": {"type": "string", "maxLength": 255}
                    }}]})),
                    "responses": ok(json!({"$ref": "#/components/schemas/Catalog"}))
                }},
                "/c/{id}": {"put": {
                    "operationId": "update_catalog",
                    "requestBody": json_body(json!({"$ref": "#/components/schemas/CatalogInput"})),
                    "responses": ok(json!({"$ref": "#/components/schemas/Catalog"}))
                }}
            },
            "components": {"schemas": {
                "CatalogId": {"type": "string", "maxLength": 255, "description": "From the parameter."},
                "CatalogInput": {"properties": {
                    "catalog_id": {"type": "string", "maxLength": 255, "readOnly": true},
                    "location": {"$ref": "#/components/schemas/LocationInput"}
                }},
                "LocationInput": {"properties": {"location_id": {"type": "string", "maxLength": 255}}},
                "Catalog": {"properties": {
                    "catalog_id": {"type": "string", "maxLength": 255},
                    "location": {"$ref": "#/components/schemas/Location"}
                }},
                "Location": {"properties": {"location_id": {"type": "string", "maxLength": 255}}}
            }}
        })
    }

    #[test]
    fn request_body_ids_refer_to_the_shared_types() {
        let mut doc = doc();
        let found = run_one(&PASS, &mut doc);
        let body =
            &doc["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            body["allOf"][0]["properties"]["catalog_id"],
            json!({"description": "Yours.", "example": "S23",
                   "allOf": [{"$ref": "#/components/schemas/CatalogId"}]})
        );
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["CatalogInput"]["properties"]["catalog_id"],
            json!({"readOnly": true, "allOf": [{"$ref": "#/components/schemas/CatalogId"}]}),
            "readOnly stays on the property, where read-only-not-required looks for it"
        );
        assert_eq!(
            schemas["LocationInput"]["properties"]["location_id"],
            json!({"$ref": "#/components/schemas/LocationId"})
        );
        assert_eq!(
            schemas["LocationId"],
            json!({"type": "string", "maxLength": 255}),
            "a shared type no parameter made is created"
        );
        assert_eq!(
            schemas["CatalogId"]["description"], "From the parameter.",
            "an existing shared type is reused unchanged"
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn responses_and_other_properties_are_left_alone() {
        let mut doc = doc();
        run_one(&PASS, &mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Catalog"]["properties"]["catalog_id"],
            json!({"type": "string", "maxLength": 255})
        );
        assert_eq!(
            schemas["Location"]["properties"]["location_id"],
            json!({"type": "string", "maxLength": 255})
        );
        let body =
            &doc["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(
            body["allOf"][0]["properties"]["catalog_name"],
            json!({"type": "string", "maxLength": 255}),
            "not an id"
        );
    }

    #[test]
    fn unconstrained_ids_and_a_shared_type_of_another_shape_stay_inline() {
        let mut doc = doc();
        doc["components"]["schemas"]["CatalogId"] = json!({"type": "string", "maxLength": 64});
        doc["components"]["schemas"]["LocationInput"]["properties"]["location_id"] =
            json!({"type": "string", "readOnly": true});
        let found = run_one(&PASS, &mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["CatalogInput"]["properties"]["catalog_id"],
            json!({"type": "string", "maxLength": 255, "readOnly": true})
        );
        assert_eq!(
            schemas["LocationInput"]["properties"]["location_id"],
            json!({"type": "string", "readOnly": true})
        );
        assert!(schemas.get("LocationId").is_none());
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|f| f.what.contains("another type")));
    }
}
