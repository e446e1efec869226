//! Responses decode leniently.
//!
//! typify enforces `maxLength`, `pattern`, `enum` and numeric bounds when it deserialises, so a
//! server that returns a longer name, or an enum value the spec does not list yet, would make a
//! whole page fail to decode (the problem async-stripe#636 and #627 describe). On the response
//! side those keywords are removed (an enum's values move into the description), and
//! `additionalProperties: false` is dropped so unknown fields are ignored. Requests keep every
//! check: `split-shared-schemas` gave them their own copies.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;

pub const PASS: Pass = Pass {
    name: "lenient-responses",
    why: "typify's decoders enforce the spec's constraints, so a new server value breaks a page",
    run,
};

fn run(doc: &mut Value, log: &mut Log) {
    let spec::DirectionRoots {
        requests: request_roots,
        responses: response_roots,
    } = spec::direction_roots(doc);
    let request_side = spec::reachable_schemas(doc, &request_roots);
    let response_only = spec::reachable_schemas(doc, &response_roots)
        .into_iter()
        .filter(|name| !request_side.contains(name))
        .map(|name| spec::join("/components/schemas", &name));
    let pointers: Vec<String> = response_roots
        .iter()
        .cloned()
        .chain(response_only)
        .flat_map(|root| spec::subschemas(doc, &root))
        .collect();
    for at in pointers {
        let Some(schema) = spec::object_mut(doc, &at) else {
            continue;
        };
        let mut relaxed: Vec<&str> = Vec::new();
        if let Some(Value::Array(values)) = schema.remove("enum") {
            let known: Vec<String> = values
                .iter()
                .map(|v| {
                    v.as_str()
                        .map_or_else(|| v.to_string(), |s| format!("`{s}`"))
                })
                .collect();
            let note = format!("Known values: {}.", known.join(", "));
            let description = match schema.get("description").and_then(Value::as_str) {
                Some(text) => format!("{}\n\n{note}", text.trim_end()),
                None => note,
            };
            schema.insert("description".into(), Value::String(description));
            relaxed.push("enum");
        }
        for keyword in spec::VALIDATION_KEYWORDS
            .iter()
            .chain(&["minItems", "maxItems"])
        {
            if schema.remove(*keyword).is_some() {
                relaxed.push(keyword);
            }
        }
        if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
            schema.remove("additionalProperties");
            relaxed.push("additionalProperties: false");
        }
        if !relaxed.is_empty() {
            log.note(
                &at,
                format!("response side: dropped {}", relaxed.join(", ")),
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
    fn response_constraints_are_relaxed_and_request_ones_kept() {
        let mut doc = json!({
            "paths": {"/t": {"post": {
                "operationId": "create_token",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
                "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Token"}}}}}
            }}},
            "components": {"schemas": {
                "Req": {"properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}}},
                "Token": {"additionalProperties": false, "properties": {
                    "token_type": {"type": "string", "enum": ["Bearer"], "description": "The type."},
                    "name": {"type": "string", "maxLength": 10},
                    "expires_in": {"type": "integer", "minimum": 1}
                }}
            }}
        });
        let found = run_one(&PASS, &mut doc);
        let token = &doc["components"]["schemas"]["Token"];
        assert_eq!(
            token["properties"]["token_type"],
            json!({"type": "string", "description": "The type.\n\nKnown values: `Bearer`."})
        );
        assert_eq!(token["properties"]["name"], json!({"type": "string"}));
        assert_eq!(
            token["properties"]["expires_in"],
            json!({"type": "integer"})
        );
        assert!(token.get("additionalProperties").is_none());
        assert_eq!(
            doc["components"]["schemas"]["Req"]["properties"]["grant_type"]["enum"],
            json!(["client_credentials"])
        );
        assert_eq!(found.len(), 4);
    }
}
