//! Read-only properties are not required in request bodies.
//!
//! typify ignores `readOnly`, so a property both `readOnly` and `required` would have to be
//! sent. A server sets such properties; a client cannot be asked for them. After
//! `split-shared-schemas`, request-side schemas are the request's own, so editing them leaves
//! responses untouched.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;
use std::collections::BTreeSet;

pub const PASS: Pass = Pass {
    name: "read-only-not-required",
    why: "typify ignores readOnly, so a required read-only property would have to be sent",
    run,
};

/// Pointers to every schema on the request side: request bodies and the components they reach.
fn request_side(doc: &Value) -> Vec<String> {
    let request_roots = spec::direction_roots(doc).requests;
    let components = spec::reachable_schemas(doc, &request_roots)
        .into_iter()
        .map(|name| spec::join("/components/schemas", &name));
    request_roots
        .iter()
        .cloned()
        .chain(components)
        .flat_map(|root| spec::subschemas(doc, &root))
        .collect()
}

fn run(doc: &mut Value, log: &mut Log) {
    let pointers = request_side(doc);
    // allOf parts may require a property another part defines, so names are gathered first.
    let read_only: BTreeSet<String> = pointers
        .iter()
        .filter_map(|p| doc.pointer(p)?.get("properties")?.as_object())
        .flat_map(|props| props.iter())
        .filter(|(_, prop)| prop.get("readOnly") == Some(&Value::Bool(true)))
        .map(|(name, _)| name.clone())
        .collect();
    for at in pointers {
        let Some(schema) = spec::object_mut(doc, &at) else {
            continue;
        };
        let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) else {
            continue;
        };
        let before = required.len();
        let mut dropped = Vec::new();
        required.retain(|name| {
            let keep = name.as_str().is_none_or(|n| !read_only.contains(n));
            if !keep {
                dropped.push(name.as_str().unwrap_or_default().to_string());
            }
            keep
        });
        if required.len() != before {
            if required.is_empty() {
                schema.remove("required");
            }
            log.note(
                &at,
                format!(
                    "read-only properties no longer required in a request: {}",
                    dropped.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    #[test]
    fn read_only_properties_leave_request_required_lists_only() {
        let mut doc = json!({
            "paths": {"/g": {"post": {
                "operationId": "create_group",
                "requestBody": {"content": {"application/json": {"schema": {"allOf": [
                    {"$ref": "#/components/schemas/GroupInput"},
                    {"required": ["group_id", "group_name"]}
                ]}}}},
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Group"}}}}}
            }}},
            "components": {"schemas": {
                "GroupInput": {"properties": {"group_id": {"type": "string", "readOnly": true},
                                              "group_name": {"type": "string"}}},
                "Group": {"required": ["group_id"],
                          "properties": {"group_id": {"type": "string", "readOnly": true}}}
            }}
        });
        let found = run_one(&PASS, &mut doc);
        let body =
            &doc["paths"]["/g"]["post"]["requestBody"]["content"]["application/json"]["schema"];
        assert_eq!(body["allOf"][1]["required"], json!(["group_name"]));
        assert_eq!(
            doc["components"]["schemas"]["Group"]["required"],
            json!(["group_id"]),
            "a response-only schema keeps its required read-only property"
        );
        assert_eq!(found.len(), 1);
    }
}
