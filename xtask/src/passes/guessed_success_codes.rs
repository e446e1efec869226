//! A guessed success status accepts any 2xx.
//!
//! progenitor matches a success status exactly: an operation declared `201` treats a `200` as an
//! unexpected response, although the server did what was asked. Where the spec's status code is
//! a guess (the response carries `x-inferred: true`, as Dintero's unseen create and delete codes
//! do), the code becomes the range `2XX`, which progenitor generates as `200..=299` with the same
//! body type. Codes that were seen stay exact; an `x-inferred` on an error response, or on a body
//! schema rather than the response, says nothing about the status and is left alone.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Map, Value};

pub const PASS: Pass = Pass {
    name: "guessed-success-codes",
    why: "progenitor treats any success status but the declared one as unexpected",
    run,
};

const RANGE: &str = "2XX";

/// A single 2xx status code such as `201` (not a range, not `default`).
fn is_exact_success(code: &str) -> bool {
    code.len() == 3 && code.starts_with('2') && code.bytes().all(|b| b.is_ascii_digit())
}

fn is_guessed(doc: &Value, response: &Value) -> bool {
    spec::resolve(doc, response).get("x-inferred") == Some(&Value::Bool(true))
}

fn run(doc: &mut Value, log: &mut Log) {
    for op in spec::operations(doc) {
        let at = spec::join(&op.pointer, "responses");
        let Some(responses) = doc.pointer(&at).and_then(Value::as_object).cloned() else {
            continue;
        };
        let label = op.label();
        let mut range_body = responses
            .get(RANGE)
            .map(|r| spec::response_signature(doc, r));
        let mut rebuilt = Map::new();
        for (code, response) in &responses {
            if !is_exact_success(code) || !is_guessed(doc, response) {
                rebuilt.insert(code.clone(), response.clone());
                continue;
            }
            let body = spec::response_signature(doc, response);
            match &range_body {
                None => {
                    rebuilt.insert(RANGE.into(), response.clone());
                    range_body = Some(body);
                    log.note(
                        spec::join(&at, code),
                        format!("{label}: guessed success {code} is now {RANGE}"),
                    );
                }
                Some(existing) if *existing == body => {
                    log.note(
                        spec::join(&at, code),
                        format!("{label}: dropped guessed success {code}: {RANGE} already covers it with the same body"),
                    );
                }
                Some(_) => {
                    rebuilt.insert(code.clone(), response.clone());
                    log.note(
                        spec::join(&at, code),
                        format!(
                            "{label}: kept guessed success {code}: its body differs from {RANGE}'s"
                        ),
                    );
                }
            }
        }
        if rebuilt != responses
            && let Some(slot) = doc.pointer_mut(&at)
        {
            *slot = Value::Object(rebuilt);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    fn body(schema: &str) -> Value {
        json!({"description": "", "content": {"application/json": {"schema": {"$ref": schema}}}})
    }

    fn guessed(schema: &str) -> Value {
        let mut response = body(schema);
        response["x-inferred"] = json!(true);
        response
    }

    fn codes(doc: &Value, path: &str, method: &str) -> Vec<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn a_guessed_create_code_becomes_a_range_in_place() {
        let mut doc = json!({"paths": {"/c": {"post": {"operationId": "create_catalog", "responses": {
            "201": guessed("#/components/schemas/Catalog"),
            "400": body("#/components/schemas/Error"),
            "429": {"$ref": "#/components/responses/TooManyRequests"}
        }}}}});
        let found = run_one(&PASS, &mut doc);
        assert_eq!(codes(&doc, "/c", "post"), ["2XX", "400", "429"]);
        assert_eq!(
            doc["paths"]["/c"]["post"]["responses"]["2XX"],
            guessed("#/components/schemas/Catalog"),
            "the response itself is unchanged"
        );
        assert_eq!(found.len(), 1);
        assert!(found[0].what.contains("guessed success 201 is now 2XX"));
    }

    #[test]
    fn a_guessed_code_behind_a_ref_is_found() {
        let mut doc = json!({
            "paths": {"/g": {"delete": {"operationId": "delete_group", "responses": {
                "200": {"$ref": "#/components/responses/Deleted"}
            }}}},
            "components": {"responses": {"Deleted": guessed("#/components/schemas/Group")}}
        });
        run_one(&PASS, &mut doc);
        assert_eq!(
            doc["paths"]["/g"]["delete"]["responses"]["2XX"],
            json!({"$ref": "#/components/responses/Deleted"})
        );
    }

    #[test]
    fn seen_codes_errors_and_inferred_schemas_are_left_alone() {
        let mut inferred_schema = body("#/components/schemas/Catalog");
        inferred_schema["content"]["application/json"]["schema"]["x-inferred"] = json!(true);
        let mut guessed_error = body("#/components/schemas/Error");
        guessed_error["x-inferred"] = json!(true);
        let mut doc = json!({"paths": {
            "/a": {"get": {"operationId": "list", "responses": {
                "200": body("#/components/schemas/List"), "409": guessed_error
            }}},
            "/b": {"put": {"operationId": "update", "responses": {"200": inferred_schema}}},
            "/c": {"get": {"operationId": "other", "responses": {"2XX": body("#/components/schemas/A")}}}
        }});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn a_second_guess_is_dropped_when_the_range_covers_it_and_kept_otherwise() {
        let mut doc = json!({"paths": {
            "/same": {"post": {"operationId": "same", "responses": {
                "200": guessed("#/components/schemas/A"), "201": guessed("#/components/schemas/A")
            }}},
            "/other": {"post": {"operationId": "other", "responses": {
                "2XX": body("#/components/schemas/A"), "202": guessed("#/components/schemas/B")
            }}}
        }});
        let found = run_one(&PASS, &mut doc);
        assert_eq!(codes(&doc, "/same", "post"), ["2XX"]);
        assert_eq!(codes(&doc, "/other", "post"), ["2XX", "202"]);
        assert_eq!(found.len(), 3);
    }
}
