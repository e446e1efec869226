//! Helpers for walking an OpenAPI 3.0 document held as a `serde_json::Value`.
//!
//! Passes address places by JSON pointer (RFC 6901) rather than by borrowed references: a pointer
//! can be logged by `--explain`, and re-borrowing through `Value::pointer_mut` keeps each edit
//! free of the borrow of the walk that found it.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// One operation of the document, found under `paths`.
#[derive(Debug, Clone)]
pub struct Operation {
    pub path: String,
    pub method: String,
    /// JSON pointer to the operation object.
    pub pointer: String,
    pub operation_id: Option<String>,
}

impl Operation {
    /// How error messages name an operation: `GET /path (operationId)`.
    pub fn label(&self) -> String {
        let id = self.operation_id.as_deref().unwrap_or("no operationId");
        format!("{} {} ({id})", self.method.to_uppercase(), self.path)
    }
}

/// Escapes one segment of a JSON pointer.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Joins a pointer and a segment.
pub fn join(pointer: &str, segment: &str) -> String {
    format!("{pointer}/{}", escape(segment))
}

/// Every operation, in document order.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for method in METHODS {
            if let Some(op) = item.get(method).filter(|op| op.is_object()) {
                out.push(Operation {
                    path: path.clone(),
                    method: method.to_string(),
                    pointer: join(&join("/paths", path), method),
                    operation_id: op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
        }
    }
    out
}

/// The name of a local schema reference (`#/components/schemas/Name`), if `value` is one.
pub fn schema_ref_name(value: &Value) -> Option<&str> {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
}

/// The `$ref` string for a component schema.
pub fn schema_ref(name: &str) -> String {
    format!("{SCHEMA_REF_PREFIX}{name}")
}

/// Follows a local `$ref` (to any component) once; returns the value itself otherwise.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|pointer| doc.pointer(pointer))
            .unwrap_or(value),
        None => value,
    }
}

/// Keywords typify turns into checks when it decodes or encodes a value, or into a narrower type.
pub const VALIDATION_KEYWORDS: &[&str] = &[
    "maxLength",
    "minLength",
    "pattern",
    "enum",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
];

/// Keywords that make typify generate a validated newtype for a string.
const STRING_NEWTYPE_KEYWORDS: &[&str] = &["pattern", "minLength", "maxLength", "enum"];

/// Whether typify would make a validated newtype of `schema`: a string with a pattern, a length
/// bound or an enum.
pub fn is_constrained_string(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("string")
        && STRING_NEWTYPE_KEYWORDS
            .iter()
            .any(|k| schema.get(*k).is_some())
}

/// Two schemas make the same type when they differ at most in documentation.
pub fn same_type_ignoring_docs(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(map) = v.as_object_mut() {
            map.retain(|key, _| !is_documentation_key(key));
        }
        v
    };
    strip(a) == strip(b)
}

/// Keys that document a schema without changing the type generated from it.
pub fn is_documentation_key(key: &str) -> bool {
    key.starts_with("x-") || matches!(key, "description" | "example" | "examples" | "title")
}

/// Where the schemas of what a client sends, and of what it receives, start.
pub struct DirectionRoots {
    /// Parameters and request bodies.
    pub requests: Vec<String>,
    /// Response bodies.
    pub responses: Vec<String>,
}

/// Pointers to the schemas of what a client sends (parameters and request bodies) and of what
/// it receives (responses).
pub fn direction_roots(doc: &Value) -> DirectionRoots {
    let mut requests: Vec<String> = schema_roots(doc)
        .into_iter()
        .filter(|at| at.contains("/parameters/"))
        .collect();
    let mut responses = Vec::new();
    for op in operations(doc) {
        requests.extend(request_schemas(doc, &op));
        responses.extend(response_schemas(doc, &op).into_iter().flat_map(|(_, s)| s));
    }
    DirectionRoots {
        requests,
        responses,
    }
}

/// What type progenitor would make of a response: its JSON schema, `raw` for another media type,
/// or `none` for no body. Two responses with equal signatures decode into the same type.
pub fn response_signature(doc: &Value, response: &Value) -> Value {
    let response = resolve(doc, response);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Value::String("none".into());
    };
    let json = content
        .iter()
        .find(|(media, _)| media.starts_with("application/json") || media.ends_with("+json"));
    match json {
        Some((_, media)) => media.get("schema").cloned().unwrap_or(Value::Null),
        None if content.is_empty() => Value::String("none".into()),
        None => Value::String("raw".into()),
    }
}

/// The keys under which a schema holds subschemas, and whether each holds a map, a list or one.
enum Children {
    Map,
    List,
    One,
}

const SUBSCHEMA_KEYS: [(&str, Children); 7] = [
    ("properties", Children::Map),
    ("items", Children::One),
    ("additionalProperties", Children::One),
    ("allOf", Children::List),
    ("anyOf", Children::List),
    ("oneOf", Children::List),
    ("not", Children::One),
];

/// Pointers to a schema and to all its inline subschemas, parents first.
pub fn subschemas(doc: &Value, pointer: &str) -> Vec<String> {
    let mut out = Vec::new();
    collect_subschemas(doc, pointer.to_string(), &mut out);
    out
}

fn collect_subschemas(doc: &Value, pointer: String, out: &mut Vec<String>) {
    let Some(schema) = doc.pointer(&pointer).and_then(Value::as_object) else {
        return;
    };
    let mut children = Vec::new();
    for (key, kind) in &SUBSCHEMA_KEYS {
        let Some(child) = schema.get(*key) else {
            continue;
        };
        let at = join(&pointer, key);
        match (kind, child) {
            (Children::Map, Value::Object(map)) => {
                children.extend(map.keys().map(|name| join(&at, name)));
            }
            (Children::List, Value::Array(list)) => {
                children.extend((0..list.len()).map(|i| format!("{at}/{i}")));
            }
            (Children::One, Value::Object(_)) => children.push(at),
            _ => {}
        }
    }
    out.push(pointer);
    for child in children {
        collect_subschemas(doc, child, out);
    }
}

/// Pointers to every place a schema starts: component schemas, and the `schema` of every
/// parameter, header, request body and response, in components and in operations.
pub fn schema_roots(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        out.extend(schemas.keys().map(|name| join("/components/schemas", name)));
    }
    for (kind, shape) in [
        ("parameters", "param"),
        ("headers", "param"),
        ("requestBodies", "content"),
        ("responses", "response"),
    ] {
        let base = join("/components", kind);
        if let Some(map) = doc.pointer(&base).and_then(Value::as_object) {
            for name in map.keys() {
                push_holder_schemas(doc, &join(&base, name), shape, &mut out);
            }
        }
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for path in paths.keys() {
            push_parameter_list(doc, &join(&join("/paths", path), "parameters"), &mut out);
        }
    }
    for op in operations(doc) {
        push_parameter_list(doc, &join(&op.pointer, "parameters"), &mut out);
        push_holder_schemas(doc, &join(&op.pointer, "requestBody"), "content", &mut out);
        let responses = join(&op.pointer, "responses");
        if let Some(map) = doc.pointer(&responses).and_then(Value::as_object) {
            for code in map.keys() {
                push_holder_schemas(doc, &join(&responses, code), "response", &mut out);
            }
        }
    }
    out
}

fn push_parameter_list(doc: &Value, pointer: &str, out: &mut Vec<String>) {
    if let Some(list) = doc.pointer(pointer).and_then(Value::as_array) {
        for i in 0..list.len() {
            push_holder_schemas(doc, &format!("{pointer}/{i}"), "param", out);
        }
    }
}

fn push_holder_schemas(doc: &Value, pointer: &str, shape: &str, out: &mut Vec<String>) {
    let Some(holder) = doc.pointer(pointer) else {
        return;
    };
    if shape == "param" {
        if holder.get("schema").is_some() {
            out.push(join(pointer, "schema"));
        }
        return;
    }
    if let Some(content) = holder.get("content").and_then(Value::as_object) {
        for media in content.keys() {
            let at = join(&join(pointer, "content"), media);
            if doc.pointer(&join(&at, "schema")).is_some() {
                out.push(join(&at, "schema"));
            }
        }
    }
    if shape == "response"
        && let Some(headers) = holder.get("headers").and_then(Value::as_object)
    {
        for name in headers.keys() {
            push_holder_schemas(doc, &join(&join(pointer, "headers"), name), "param", out);
        }
    }
}

/// Pointers to the JSON schemas of an operation's request body (following a `$ref` body).
pub fn request_schemas(doc: &Value, op: &Operation) -> Vec<String> {
    let mut out = Vec::new();
    let at = join(&op.pointer, "requestBody");
    push_holder_schemas(doc, &follow_ref_pointer(doc, &at), "content", &mut out);
    out
}

/// `(status code, pointers to its schemas)` for each response of an operation, following a
/// `$ref` response into components.
pub fn response_schemas(doc: &Value, op: &Operation) -> Vec<(String, Vec<String>)> {
    let responses = join(&op.pointer, "responses");
    let Some(map) = doc.pointer(&responses).and_then(Value::as_object) else {
        return Vec::new();
    };
    map.keys()
        .map(|code| {
            let mut schemas = Vec::new();
            let at = follow_ref_pointer(doc, &join(&responses, code));
            push_holder_schemas(doc, &at, "content", &mut schemas);
            (code.clone(), schemas)
        })
        .collect()
}

/// Where a `$ref` at `pointer` leads (one step), or `pointer` itself.
pub fn follow_ref_pointer(doc: &Value, pointer: &str) -> String {
    doc.pointer(pointer)
        .and_then(|v| v.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .filter(|target| doc.pointer(target).is_some())
        .map(str::to_string)
        .unwrap_or_else(|| pointer.to_string())
}

/// Names of component schemas referenced anywhere inside `value`.
pub fn referenced_schemas(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = schema_ref_name(value) {
                out.insert(name.to_string());
            }
            for (key, child) in map {
                if key != "example" && key != "examples" {
                    referenced_schemas(child, out);
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| referenced_schemas(v, out)),
        _ => {}
    }
}

/// The component schemas reachable from the schemas at `roots`, following `$ref`s.
pub fn reachable_schemas(doc: &Value, roots: &[String]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = BTreeSet::new();
    for root in roots {
        if let Some(value) = doc.pointer(root) {
            referenced_schemas(value, &mut queue);
        }
    }
    while let Some(name) = queue.pop_first() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = doc.pointer(&join("/components/schemas", &name)) {
            let mut next = BTreeSet::new();
            referenced_schemas(schema, &mut next);
            queue.extend(next.into_iter().filter(|n| !seen.contains(n)));
        }
    }
    seen
}

/// Rewrites every `$ref` to a component schema named in `renames`, inside `value`.
pub fn rename_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            let target = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix(SCHEMA_REF_PREFIX))
                .and_then(|name| renames.get(name));
            if let Some(new) = target {
                map.insert("$ref".into(), Value::String(schema_ref(new)));
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    rename_refs(child, renames);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(|v| rename_refs(v, renames)),
        _ => {}
    }
}

/// The object at `pointer`, for editing.
pub fn object_mut<'a>(doc: &'a mut Value, pointer: &str) -> Option<&'a mut Map<String, Value>> {
    doc.pointer_mut(pointer).and_then(Value::as_object_mut)
}

/// `components/schemas`, created if missing.
pub fn component_schemas_mut(doc: &mut Value) -> &mut Map<String, Value> {
    let root = doc
        .as_object_mut()
        .expect("an OpenAPI document is a JSON object");
    let components = root
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let schemas = components
        .as_object_mut()
        .expect("set to an object above")
        .entry("schemas")
        .or_insert_with(|| Value::Object(Map::new()));
    if !schemas.is_object() {
        *schemas = Value::Object(Map::new());
    }
    schemas.as_object_mut().expect("set to an object above")
}

/// `snake_case`, `kebab-case` or `camelCase` to `PascalCase`.
pub fn pascal_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        assert_eq!(join("/paths", "/a/{b}~c"), "/paths/~1a~1{b}~0c");
    }

    #[test]
    fn pascal_case_handles_each_style() {
        assert_eq!(pascal_case("accountId"), "AccountId");
        assert_eq!(pascal_case("product_name"), "ProductName");
        assert_eq!(pascal_case("group-id.path"), "GroupIdPath");
    }

    #[test]
    fn reachability_follows_refs_transitively_and_skips_examples() {
        let doc = json!({
            "components": {"schemas": {
                "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
                "B": {"items": {"$ref": "#/components/schemas/C"}},
                "C": {"type": "string", "example": {"$ref": "#/components/schemas/D"}},
                "D": {"type": "string"}
            }},
            "root": {"$ref": "#/components/schemas/A"}
        });
        let reached = reachable_schemas(&doc, &["/root".to_string()]);
        assert_eq!(reached.into_iter().collect::<Vec<_>>(), ["A", "B", "C"]);
    }
}
