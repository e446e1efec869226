//! Products keep the fields the SDK does not know.
//!
//! typify ignores the unknown fields of an object whose schema has no `additionalProperties` (or
//! `true`), so a field Dintero adds after the SDK was generated is dropped when a product is
//! read, and lost when the SDK writes that product back (modify, replace, sync). For
//! `additionalProperties: {}` typify generates a `#[serde(flatten)] extra` map that keeps them.
//!
//! Which schemas: the request bodies and success bodies of the operations on products (those
//! whose operationId names the noun `Product`; a `list_` operation's envelope gives its items
//! instead, so the envelope stays as it is), and the component schemas they reach through
//! `$ref`, less those any other operation reaches too (`Entity`, a group's fields, the error
//! body): a group, catalog or list type does not change. In those, every object schema with
//! named properties (a struct, or through `allOf` a part of one) and no `additionalProperties`
//! gets `additionalProperties: {}`; an explicit one (`false`, or a schema) is the spec's word and
//! stays. It runs last, so what it notes carries the names the SDK sees.
//!
//! typify merges an `allOf` into one struct, and once a part has `additionalProperties: {}` it
//! merges every other part's properties with that schema, which drops their docs and defaults
//! (`is_virtual_product: bool` would become an `Option<bool>`). So an `allOf` of these schemas
//! whose properties come from two or more places is first merged here into one object, when its
//! parts are plain objects that do not define a property twice: the struct typify makes of it is
//! the one it made of the `allOf`.

use super::name_inline_responses::{envelope_array, noun};
use super::{Log, Pass};
use crate::spec;
use serde_json::{Map, Value};

pub const PASS: Pass = Pass {
    name: "keep-unknown-fields",
    why: "typify drops the unknown fields of an object without additionalProperties, so a \
          product read and written back would lose the fields the SDK does not know",
    run,
};

/// The resource whose objects keep their unknown fields.
const RESOURCE: &str = "Product";

/// Pointers to where the product's schemas start, and to every other schema use of the document.
fn roots(doc: &Value) -> (Vec<String>, Vec<String>) {
    let mut products = Vec::new();
    let mut others: Vec<String> = spec::direction_roots(doc)
        .requests
        .into_iter()
        .filter(|at| at.contains("/parameters/"))
        .collect();
    for op in spec::operations(doc) {
        let id = op.operation_id.as_deref().unwrap_or_default();
        let is_product = noun(id).as_deref() == Some(RESOURCE);
        let requests = spec::request_schemas(doc, &op);
        if is_product {
            products.extend(requests);
        } else {
            others.extend(requests);
        }
        for (code, schemas) in spec::response_schemas(doc, &op) {
            if !(is_product && code.starts_with('2')) {
                others.extend(schemas);
                continue;
            }
            for at in schemas {
                let target = spec::follow_ref_pointer(doc, &at);
                let envelope = id
                    .starts_with("list_")
                    .then(|| doc.pointer(&target).and_then(envelope_array))
                    .flatten();
                products.push(match envelope {
                    Some(array) => spec::join(
                        &spec::join(&spec::join(&target, "properties"), &array),
                        "items",
                    ),
                    None => at,
                });
            }
        }
    }
    products.retain(|at| !others.contains(at));
    (products, others)
}

/// Pointers to the product's schemas and all their inline subschemas, parents first.
fn product_schemas(doc: &Value) -> Vec<String> {
    let (product_roots, other_roots) = roots(doc);
    let shared = spec::reachable_schemas(doc, &other_roots);
    let components = spec::reachable_schemas(doc, &product_roots)
        .into_iter()
        .filter(|name| !shared.contains(name))
        .map(|name| spec::join("/components/schemas", &name));
    product_roots
        .iter()
        .cloned()
        .chain(components)
        .flat_map(|root| spec::subschemas(doc, &root))
        .collect()
}

/// The properties and required names of a plain object schema, its `allOf` parts merged.
#[derive(Default)]
struct Fields {
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl Fields {
    fn add(&mut self, other: Fields) -> Result<(), String> {
        for (name, schema) in other.properties {
            match self.properties.get(&name) {
                Some(known) if *known != schema => {
                    return Err(format!("`{name}` is defined twice, differently"));
                }
                Some(_) => {}
                None => {
                    self.properties.insert(name, schema);
                }
            }
        }
        for name in other.required {
            if !self.required.contains(&name) {
                self.required.push(name);
            }
        }
        Ok(())
    }
}

/// What `schema` (through `$ref`s and nested `allOf`s) defines, when it is a plain object: no
/// keyword but `type: object`, `properties`, `required`, `allOf` and documentation. Otherwise
/// why not. `seen` holds the schemas on the way, against a cycle.
fn fields(doc: &Value, schema: &Value, seen: &mut Vec<String>) -> Result<Fields, String> {
    if let Some(name) = spec::schema_ref_name(schema) {
        if seen.iter().any(|s| s == name) {
            return Err(format!("`{name}` contains itself"));
        }
        let target = doc
            .pointer(&spec::join("/components/schemas", name))
            .ok_or_else(|| format!("`{name}` is not a component schema"))?;
        seen.push(name.to_string());
        let found = fields(doc, target, seen);
        seen.pop();
        return found;
    }
    let map = schema.as_object().ok_or("a part is not a schema object")?;
    if let Some(key) = map.keys().find(|key| {
        !matches!(key.as_str(), "type" | "properties" | "required" | "allOf")
            && !spec::is_documentation_key(key)
    }) {
        return Err(format!("a part has `{key}`"));
    }
    if map.get("type").is_some_and(|t| t != "object") {
        return Err("a part is not an object".into());
    }
    let mut out = Fields {
        properties: map
            .get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        required: map
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    for part in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.add(fields(doc, part, seen)?)?;
    }
    Ok(out)
}

/// Whether the properties of the `allOf` at `schema` come from two or more places (the schema
/// itself and its parts), so typify would merge parts with one another.
fn merges_parts(doc: &Value, schema: &Map<String, Value>) -> bool {
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return false;
    };
    let own = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    let with_properties = parts
        .iter()
        .filter(|part| {
            fields(doc, part, &mut Vec::new()).map_or(true, |f| !f.properties.is_empty())
        })
        .count();
    usize::from(own) + with_properties >= 2
}

/// Replaces the `allOf` at `at` by one object with all its properties; `Ok(false)` when there is
/// nothing to merge.
fn merge_all_of(doc: &mut Value, at: &str) -> Result<bool, String> {
    let Some(schema) = doc.pointer(at).and_then(Value::as_object) else {
        return Ok(false);
    };
    if !merges_parts(doc, schema) {
        return Ok(false);
    }
    let merged = fields(doc, &Value::Object(schema.clone()), &mut Vec::new())?;
    let mut object: Map<String, Value> = schema
        .iter()
        .filter(|(key, _)| spec::is_documentation_key(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    object.insert("type".into(), Value::String("object".into()));
    if !merged.required.is_empty() {
        object.insert("required".into(), Value::Array(merged.required));
    }
    object.insert("properties".into(), Value::Object(merged.properties));
    if let Some(slot) = doc.pointer_mut(at) {
        *slot = Value::Object(object);
    }
    Ok(true)
}

/// Whether typify would make a struct (or a part of one) of `schema` that ignores unknown fields.
fn drops_unknown_fields(schema: &Map<String, Value>) -> bool {
    schema.get("properties").is_some_and(Value::is_object)
        && !schema.contains_key("additionalProperties")
        && !schema.contains_key("$ref")
}

fn run(doc: &mut Value, log: &mut Log) {
    // Merging one allOf moves properties (and any allOf inside them), so the walk starts again.
    let mut kept = Vec::new();
    'merge: loop {
        for at in product_schemas(doc) {
            if kept.contains(&at) {
                continue;
            }
            match merge_all_of(doc, &at) {
                Ok(false) => {}
                Ok(true) => {
                    log.note(
                        &at,
                        "allOf merged into one object, so that its properties keep their docs \
                         and defaults",
                    );
                    continue 'merge;
                }
                Err(why) => {
                    log.note(
                        &at,
                        format!(
                            "allOf kept ({why}): typify drops its properties' docs and defaults"
                        ),
                    );
                    kept.push(at);
                }
            }
        }
        break;
    }
    for at in product_schemas(doc) {
        let Some(schema) = spec::object_mut(doc, &at).filter(|s| drops_unknown_fields(s)) else {
            continue;
        };
        schema.insert("additionalProperties".into(), Value::Object(Map::new()));
        log.note(
            &at,
            "unknown fields kept: `additionalProperties: {}` (a flattened `extra` map)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    fn body(schema: Value) -> Value {
        json!({"content": {"application/json": {"schema": schema}}})
    }

    fn ok(schema: Value) -> Value {
        json!({"200": {"description": "", "content": {"application/json": {"schema": schema}}}})
    }

    fn schema_ref(name: &str) -> Value {
        json!({ "$ref": spec::schema_ref(name) })
    }

    /// Products, their locations and groups, and a group operation, as the passes before leave
    /// them.
    fn doc() -> Value {
        json!({
            "paths": {
                "/p": {
                    "get": {"operationId": "list_products", "responses": ok(schema_ref("ProductList"))},
                    "post": {
                        "operationId": "create_product",
                        "requestBody": body(schema_ref("ProductInput")),
                        "responses": {
                            "201": {"description": "", "content": {"application/json": {"schema": schema_ref("ProductDetails")}}},
                            "400": {"description": "", "content": {"application/json": {"schema": schema_ref("ErrorBody")}}}
                        }
                    }
                },
                "/g/{id}": {"put": {
                    "operationId": "update_group",
                    "requestBody": body(schema_ref("GroupFields")),
                    "responses": ok(schema_ref("GroupResponse"))
                }}
            },
            "components": {"schemas": {
                "Entity": {"type": "object", "properties": {"id": {"type": "string"}}},
                "GroupFields": {"type": "object", "properties": {"group_id": {"type": "string"}}},
                "GroupResponse": {"allOf": [schema_ref("Entity"), schema_ref("GroupFields")]},
                "ErrorBody": {"type": "object", "properties": {"message": {"type": "string"}}},
                "Location": {"type": "object", "properties": {"location_id": {"type": "string"}}},
                "Strict": {"type": "object", "additionalProperties": false,
                           "properties": {"a": {"type": "string"}}},
                "ProductInput": {"type": "object", "properties": {
                    "strict": schema_ref("Strict"),
                    "images": {"type": "array", "items": {"type": "object", "properties": {"href": {"type": "string"}}}}
                }},
                "ProductDetails": {"allOf": [
                    schema_ref("Entity"),
                    {"properties": {
                        "locations": {"type": "array", "items": schema_ref("Location")},
                        "groups": {"type": "array", "items": schema_ref("GroupFields")}
                    }}
                ]},
                "ProductList": {"type": "object", "properties": {
                    "products": {"type": "array", "items": schema_ref("ProductDetails")},
                    "starting_after": {"type": "string"}
                }}
            }}
        })
    }

    #[test]
    fn a_product_and_the_objects_only_it_reaches_keep_unknown_fields() {
        let mut doc = doc();
        let found = run_one(&PASS, &mut doc);
        let at: Vec<&str> = found.iter().map(|f| f.at.as_str()).collect();
        assert_eq!(
            at,
            [
                "/components/schemas/ProductDetails",
                "/components/schemas/Location",
                "/components/schemas/ProductDetails",
                "/components/schemas/ProductInput",
                "/components/schemas/ProductInput/properties/images/items",
            ]
        );
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Location"]["additionalProperties"], json!({}));
        assert_eq!(
            schemas["ProductInput"]["properties"]["images"]["items"]["additionalProperties"],
            json!({}),
            "a nested inline object too"
        );
    }

    #[test]
    fn an_all_of_becomes_one_object_with_its_properties_as_they_were() {
        let mut doc = doc();
        run_one(&PASS, &mut doc);
        let details = &doc["components"]["schemas"]["ProductDetails"];
        assert!(details.get("allOf").is_none());
        assert_eq!(details["additionalProperties"], json!({}));
        let names: Vec<&String> = details["properties"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["id", "locations", "groups"]);
        assert_eq!(
            doc["components"]["schemas"]["Entity"],
            json!({"type": "object", "properties": {"id": {"type": "string"}}}),
            "the shared part is copied, not changed"
        );
    }

    #[test]
    fn an_all_of_that_cannot_be_merged_is_kept_and_said() {
        let mut doc = doc();
        doc["components"]["schemas"]["ProductDetails"]["allOf"][0] = schema_ref("Strict");
        let found = run_one(&PASS, &mut doc);
        assert!(
            found
                .iter()
                .any(|f| f.at == "/components/schemas/ProductDetails"
                    && f.what
                        .contains("allOf kept (a part has `additionalProperties`)")),
            "{found:?}"
        );
        assert_eq!(
            doc["components"]["schemas"]["ProductDetails"]["allOf"][1]["additionalProperties"],
            json!({})
        );
    }

    #[test]
    fn an_explicit_additional_properties_stays() {
        let mut doc = doc();
        run_one(&PASS, &mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Strict"]["additionalProperties"],
            json!(false)
        );
    }

    #[test]
    fn group_shared_error_and_list_schemas_are_left_alone() {
        let mut doc = doc();
        let before = doc.clone();
        run_one(&PASS, &mut doc);
        for name in [
            "GroupFields",
            "GroupResponse",
            "Entity",
            "ErrorBody",
            "ProductList",
        ] {
            assert_eq!(
                doc["components"]["schemas"][name], before["components"]["schemas"][name],
                "{name}"
            );
        }
    }

    #[test]
    fn running_twice_changes_nothing() {
        let mut doc = doc();
        run_one(&PASS, &mut doc);
        let once = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, once);
    }
}
