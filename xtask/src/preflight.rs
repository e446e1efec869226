//! Checks, after normalisation, for what would make progenitor fail or panic.
//!
//! progenitor reports some problems as errors without saying where, and panics on others
//! (`assert!`, `todo!`, `unimplemented!`). Every problem found here names the operation or the
//! place in the document, and all of them are reported at once.

use crate::spec;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Request media types progenitor can encode.
const REQUEST_MEDIA: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "application/octet-stream",
    "text/plain",
    "text/x-markdown",
];

pub fn check(doc: &Value) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        other => problems.push(format!(
            "`openapi: {}`: progenitor reads OpenAPI 3.0.x only",
            other.unwrap_or("(missing)")
        )),
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if item.get("$ref").is_some() {
                problems.push(format!("path {path}: a `$ref` path item is not supported"));
            }
        }
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for op in spec::operations(doc) {
        let label = op.label();
        match &op.operation_id {
            None => problems.push(format!("{label}: every operation needs an operationId")),
            Some(id) => {
                if let Some(first) = seen.insert(id.clone(), label.clone()) {
                    problems.push(format!(
                        "{label}: operationId `{id}` is also used by {first}"
                    ));
                }
            }
        }
        check_parameters(doc, &op, &label, &mut problems);
        check_request(doc, &op, &label, &mut problems);
        check_responses(doc, &op, &label, &mut problems);
    }
    check_refs(doc, doc, String::new(), &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn check_parameters(doc: &Value, op: &spec::Operation, label: &str, problems: &mut Vec<String>) {
    let Some(params) = doc
        .pointer(&spec::join(&op.pointer, "parameters"))
        .and_then(Value::as_array)
    else {
        return;
    };
    for param in params {
        let param = spec::resolve(doc, param);
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        match param.get("in").and_then(Value::as_str) {
            Some("cookie") => problems.push(format!(
                "{label}: cookie parameter `{name}` is not supported"
            )),
            Some("path" | "query" | "header") => {}
            other => problems.push(format!(
                "{label}: parameter `{name}` has location {other:?}; expected path, query or header"
            )),
        }
        if param.get("schema").is_none() {
            problems.push(format!("{label}: parameter `{name}` has no `schema`"));
        }
    }
}

fn check_request(doc: &Value, op: &spec::Operation, label: &str, problems: &mut Vec<String>) {
    let at = spec::follow_ref_pointer(doc, &spec::join(&op.pointer, "requestBody"));
    let Some(content) = doc
        .pointer(&at)
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
    else {
        return;
    };
    if content.len() > 1 {
        let media: Vec<_> = content.keys().map(String::as_str).collect();
        problems.push(format!(
            "{label}: request body offers {} media types ({}); progenitor takes exactly one",
            media.len(),
            media.join(", ")
        ));
    }
    for (media, body) in content {
        if !REQUEST_MEDIA.contains(&media.as_str()) {
            problems.push(format!(
                "{label}: request media type `{media}` is not supported"
            ));
        }
        if media.contains("json") && body.get("schema").is_none() {
            problems.push(format!("{label}: request body `{media}` has no schema"));
        }
    }
}

fn check_responses(doc: &Value, op: &spec::Operation, label: &str, problems: &mut Vec<String>) {
    let Some(responses) = doc
        .pointer(&spec::join(&op.pointer, "responses"))
        .and_then(Value::as_object)
    else {
        return;
    };
    let mut successes = BTreeSet::new();
    let mut errors = BTreeSet::new();
    for (code, response) in responses {
        let resolved = spec::resolve(doc, response);
        if let Some(content) = resolved.get("content").and_then(Value::as_object) {
            for (media, body) in content {
                if body.get("encoding").is_some() {
                    problems.push(format!("{label}: response {code} `{media}` has an `encoding`, which is not supported"));
                }
                if media.contains("json") && body.get("schema").is_none() {
                    problems.push(format!("{label}: response {code} `{media}` has no schema"));
                }
            }
        }
        let sig = spec::response_signature(doc, response).to_string();
        if code.starts_with('2') || code == "default" {
            successes.insert(sig.clone());
        }
        if code.starts_with('4') || code.starts_with('5') || code == "default" {
            errors.insert(sig);
        }
    }
    for (kind, set) in [("success", successes), ("error", errors)] {
        if set.len() > 1 {
            problems.push(format!(
                "{label}: {} different {kind} response types; progenitor allows one",
                set.len()
            ));
        }
    }
}

/// Every local `$ref` must point at something.
fn check_refs(doc: &Value, value: &Value, at: String, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                let found = reference
                    .strip_prefix('#')
                    .is_some_and(|pointer| doc.pointer(pointer).is_some());
                if !found {
                    problems.push(format!(
                        "{at}: `$ref: {reference}` does not resolve in this document"
                    ));
                }
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    check_refs(doc, child, spec::join(&at, key), problems);
                }
            }
        }
        Value::Array(list) => {
            for (i, child) in list.iter().enumerate() {
                check_refs(doc, child, format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_name_the_operation() {
        let doc = json!({
            "openapi": "3.0.3",
            "paths": {
                "/a": {"get": {"responses": {}},
                       "post": {"operationId": "dup", "requestBody": {"content": {
                           "multipart/form-data": {"schema": {"type": "object"}}}}, "responses": {}}},
                "/b": {"get": {"operationId": "dup", "parameters": [
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}}
                ], "responses": {"200": {"$ref": "#/components/responses/Missing"}}}}
            }
        });
        let problems = check(&doc).unwrap_err();
        let all = problems.join("\n");
        assert!(
            all.contains("GET /a (no operationId): every operation needs an operationId"),
            "{all}"
        );
        assert!(
            all.contains("GET /b (dup): operationId `dup` is also used by POST /a (dup)"),
            "{all}"
        );
        assert!(
            all.contains(
                "POST /a (dup): request media type `multipart/form-data` is not supported"
            ),
            "{all}"
        );
        assert!(all.contains("cookie parameter `session`"), "{all}");
        assert!(
            all.contains("`$ref: #/components/responses/Missing` does not resolve"),
            "{all}"
        );
        assert_eq!(problems.len(), 5, "{all}");
    }

    #[test]
    fn swagger_and_openapi_3_1_are_refused() {
        for version in ["3.1.0", "2.0"] {
            let problems = check(&json!({"openapi": version, "paths": {}})).unwrap_err();
            assert!(problems[0].contains("3.0.x only"), "{problems:?}");
        }
    }

    #[test]
    fn a_clean_document_passes() {
        let doc = json!({"openapi": "3.0.0", "paths": {"/a": {"get": {"operationId": "a",
            "responses": {"200": {"description": "", "content": {"application/json": {"schema": {"type": "string"}}}}}}}}});
        assert_eq!(check(&doc), Ok(()));
    }
}
