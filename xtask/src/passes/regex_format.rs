//! A regular expression in `format`.
//!
//! Dintero writes the account id as `format: ^[PT]{1}\d{8}$`. Generators ignore formats they do
//! not know, so nothing would be validated; as a `pattern`, typify emits a checked newtype.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;

pub const PASS: Pass = Pass {
    name: "regex-format",
    why: "a regex in `format` is ignored by typify; as `pattern` it is enforced",
    run,
};

/// Formats typify or OpenAPI give a meaning to; these are never read as regexes.
const KNOWN_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "uuid",
    "uri",
    "uri-reference",
    "url",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "ip",
    "byte",
    "binary",
    "password",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float",
    "double",
];

pub fn looks_like_regex(format: &str) -> bool {
    !KNOWN_FORMATS.contains(&format)
        && (format.starts_with('^') || format.ends_with('$') || format.contains('\\'))
}

fn run(doc: &mut Value, log: &mut Log) {
    for root in spec::schema_roots(doc) {
        for at in spec::subschemas(doc, &root) {
            let Some(schema) = spec::object_mut(doc, &at) else {
                continue;
            };
            let regex = match schema.get("format").and_then(Value::as_str) {
                Some(format) if looks_like_regex(format) => format.to_string(),
                _ => continue,
            };
            schema.remove("format");
            if schema.contains_key("pattern") {
                log.note(
                    &at,
                    format!("dropped regex format `{regex}` beside a pattern"),
                );
            } else {
                schema.insert("pattern".into(), Value::String(regex.clone()));
                log.note(
                    &at,
                    format!("moved regex `{regex}` from `format` to `pattern`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    #[test]
    fn account_id_regex_becomes_pattern() {
        let mut doc = json!({"components": {"parameters": {"accountId": {
            "name": "aid", "in": "path",
            "schema": {"type": "string", "format": "^[PT]{1}\\d{8}$", "minLength": 9}
        }}}});
        let found = run_one(&PASS, &mut doc);
        assert_eq!(
            doc.pointer("/components/parameters/accountId/schema")
                .unwrap(),
            &json!({"type": "string", "minLength": 9, "pattern": "^[PT]{1}\\d{8}$"})
        );
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn known_and_unknown_non_regex_formats_stay() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"properties": {
                "when": {"type": "string", "format": "date-time"},
                "money": {"type": "string", "format": "iso4217-code"}
            }}
        }}});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn an_existing_pattern_wins() {
        let mut doc = json!({"components": {"schemas": {
            "A": {"type": "string", "format": "^a$", "pattern": "^b$"}
        }}});
        run_one(&PASS, &mut doc);
        assert_eq!(
            doc.pointer("/components/schemas/A").unwrap(),
            &json!({"type": "string", "pattern": "^b$"})
        );
    }
}
