//! Exactly one success type and one error type per operation.
//!
//! progenitor asserts `response_types.len() <= 1` for each direction and panics otherwise
//! (progenitor#950, #344). It counts `default` as both a success and an error. This pass:
//! - turns `default` into `4XX`/`5XX` when the operation documents a 2xx, since then `default`
//!   can only mean the errors;
//! - keeps the first success with a body and drops successes of another shape (a bodiless 204
//!   beside a 200 with JSON, a 201 with a different schema);
//! - keeps the error shape most responses share and drops the others.
//!
//! A dropped status is not lost at run time: it arrives as an undocumented response, which the
//! facade decodes itself, keeping the status and the body.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;

pub const PASS: Pass = Pass {
    name: "single-response-type",
    why: "progenitor panics when an operation's successes, or its errors, differ in type",
    run,
};

fn is_success(code: &str) -> bool {
    code.starts_with('2')
}

fn is_error(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5')
}

fn has_body(sig: &Value) -> bool {
    !matches!(sig.as_str(), Some("none"))
}

fn run(doc: &mut Value, log: &mut Log) {
    for op in spec::operations(doc) {
        let at = spec::join(&op.pointer, "responses");
        let Some(responses) = doc.pointer(&at).and_then(Value::as_object).cloned() else {
            continue;
        };
        let mut keep = responses.clone();
        let label = op.label();

        let has_2xx = responses.keys().any(|c| is_success(c));
        if has_2xx && let Some(default) = keep.remove("default") {
            for range in ["4XX", "5XX"] {
                keep.entry(range).or_insert_with(|| default.clone());
            }
            log.note(
                spec::join(&at, "default"),
                format!("{label}: `default` beside a 2xx means the errors; now `4XX` and `5XX`"),
            );
        }

        let successes: Vec<(String, Value)> = keep
            .iter()
            .filter(|(code, _)| is_success(code) || (!has_2xx && *code == "default"))
            .map(|(code, r)| (code.clone(), spec::response_signature(doc, r)))
            .collect();
        if let Some(chosen) = successes
            .iter()
            .find(|(_, sig)| has_body(sig))
            .or(successes.first())
            .map(|(_, sig)| sig.clone())
        {
            for (code, sig) in &successes {
                if *sig != chosen {
                    keep.remove(code);
                    log.note(
                        spec::join(&at, code),
                        format!("{label}: dropped success {code}: its body differs from the first success with a body"),
                    );
                }
            }
        }

        let errors: Vec<(String, Value)> = keep
            .iter()
            .filter(|(code, _)| is_error(code) || *code == "default")
            .map(|(code, r)| (code.clone(), spec::response_signature(doc, r)))
            .collect();
        // The error shape most responses share; among equals, one with a body, then the first.
        let chosen = errors
            .iter()
            .enumerate()
            .max_by_key(|(index, (_, sig))| {
                let count = errors.iter().filter(|(_, other)| other == sig).count();
                (count, has_body(sig), std::cmp::Reverse(*index))
            })
            .map(|(_, (_, sig))| sig.clone());
        if let Some(chosen) = chosen {
            for (code, sig) in &errors {
                if *sig != chosen {
                    keep.remove(code);
                    log.note(
                        spec::join(&at, code),
                        format!(
                            "{label}: dropped error {code}: its body differs from the other errors'"
                        ),
                    );
                }
            }
        }

        if keep != responses
            && let Some(slot) = doc.pointer_mut(&at)
        {
            *slot = Value::Object(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    fn body(schema: Value) -> Value {
        json!({"description": "", "content": {"application/json": {"schema": schema}}})
    }

    fn codes(doc: &Value) -> Vec<String> {
        doc["paths"]["/x"]["delete"]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    }

    fn doc_with(responses: Value) -> Value {
        json!({
            "paths": {"/x": {"delete": {"operationId": "x", "responses": responses}}},
            "components": {"responses": {
                "Bad": body(json!({"$ref": "#/components/schemas/Error"}))
            }}
        })
    }

    #[test]
    fn default_beside_a_success_becomes_error_ranges() {
        let mut doc = doc_with(json!({
            "204": {"description": "gone"},
            "default": {"$ref": "#/components/responses/Bad"}
        }));
        run_one(&PASS, &mut doc);
        assert_eq!(codes(&doc), ["204", "4XX", "5XX"]);
    }

    #[test]
    fn a_bodiless_success_beside_a_json_success_is_dropped() {
        let mut doc = doc_with(json!({
            "200": body(json!({"type": "object"})),
            "201": body(json!({"type": "object"})),
            "204": {"description": "no body"},
            "400": {"$ref": "#/components/responses/Bad"}
        }));
        let found = run_one(&PASS, &mut doc);
        assert_eq!(codes(&doc), ["200", "201", "400"]);
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn the_most_common_error_shape_wins() {
        let mut doc = doc_with(json!({
            "200": body(json!({"type": "object"})),
            "400": {"$ref": "#/components/responses/Bad"},
            "404": body(json!({"type": "object", "properties": {"detail": {"type": "string"}}})),
            "500": {"$ref": "#/components/responses/Bad"}
        }));
        run_one(&PASS, &mut doc);
        assert_eq!(codes(&doc), ["200", "400", "500"]);
    }

    #[test]
    fn a_consistent_operation_is_left_alone() {
        let mut doc = doc_with(json!({
            "200": body(json!({"type": "object"})),
            "400": {"$ref": "#/components/responses/Bad"},
            "500": body(json!({"$ref": "#/components/schemas/Error"}))
        }));
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }
}
