//! Readable names for inline response bodies.
//!
//! Dintero's list responses are inline envelopes whose items are inline `allOf`s. Left inline,
//! progenitor names them after the operation (`AidProductsGetResponseProductsItem`), and each
//! operation returning the same shape gets its own copy. This pass moves them into
//! `components/schemas` under names made from the operation's noun (`list_products` ->
//! `Product`): `ProductList` for an envelope, `ProductResponse` for an entity (Dintero's own
//! convention), or `ProductDetails` when that name holds another shape. Identical shapes share
//! one name.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Value, json};

pub const PASS: Pass = Pass {
    name: "name-inline-responses",
    why: "inline envelopes and items get long, per-operation type names and duplicate types",
    run,
};

const VERBS: &[&str] = &["list_", "get_", "create_", "update_", "delete_"];

/// The singular resource noun of an operation (`list_products` -> `Product`), if it starts with
/// a known verb.
pub fn noun(operation_id: &str) -> Option<String> {
    let rest = VERBS.iter().find_map(|v| operation_id.strip_prefix(v))?;
    let singular = match rest.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with('s') => stem,
        _ => rest,
    };
    Some(spec::pascal_case(singular))
}

fn is_structured(schema: &Value) -> bool {
    schema.get("$ref").is_none()
        && ["properties", "allOf", "oneOf", "anyOf"]
            .iter()
            .any(|k| schema.get(*k).is_some())
}

/// The name of the envelope's one array property, if `schema` is a list envelope.
pub(super) fn envelope_array(schema: &Value) -> Option<String> {
    let properties = schema.get("properties")?.as_object()?;
    let mut arrays = properties
        .iter()
        .filter(|(_, p)| p.get("type").and_then(Value::as_str) == Some("array"));
    let (name, _) = arrays.next()?;
    arrays.next().is_none().then(|| name.clone())
}

/// A schema less what does not change the generated type: docs, examples, vendor extensions.
fn shape(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !k.starts_with("x-")
                        && !matches!(k.as_str(), "description" | "example" | "title")
                })
                .map(|(k, v)| (k.clone(), shape(v)))
                .collect(),
        ),
        Value::Array(list) => Value::Array(list.iter().map(shape).collect()),
        other => other.clone(),
    }
}

/// Puts `schema` into components under the first candidate that already holds the same shape,
/// or else the first free candidate; returns the name.
fn register(doc: &mut Value, schema: Value, candidates: &[String]) -> String {
    let schemas = spec::component_schemas_mut(doc);
    let wanted = shape(&schema);
    if let Some(same) = candidates
        .iter()
        .find(|c| schemas.get(*c).is_some_and(|s| shape(s) == wanted))
    {
        return same.clone();
    }
    let last = candidates
        .last()
        .cloned()
        .unwrap_or_else(|| "Response".into());
    let name = candidates
        .iter()
        .cloned()
        .chain((2..).map(|n| format!("{last}{n}")))
        .find(|c| !schemas.contains_key(c))
        .unwrap_or(last);
    schemas.insert(name.clone(), schema);
    name
}

fn run(doc: &mut Value, log: &mut Log) {
    for op in spec::operations(doc) {
        let Some(id) = op.operation_id.clone() else {
            continue;
        };
        let whole = format!("{}Response", spec::pascal_case(&id));
        // Candidate names for an entity body, a list item and a list envelope.
        let (single, item, list) = match noun(&id) {
            Some(noun) => {
                let entity = [format!("{noun}Response"), format!("{noun}Details")];
                (
                    [&entity[..], std::slice::from_ref(&whole)].concat(),
                    entity.to_vec(),
                    vec![format!("{noun}List"), whole.clone()],
                )
            }
            None => (
                vec![whole.clone()],
                vec![format!("{whole}Item")],
                vec![whole.clone()],
            ),
        };
        let responses = spec::join(&op.pointer, "responses");
        let Some(codes) = doc.pointer(&responses).and_then(Value::as_object) else {
            continue;
        };
        let success_schemas: Vec<String> = codes
            .iter()
            .filter(|(code, r)| code.starts_with('2') && r.get("$ref").is_none())
            .flat_map(|(code, r)| {
                let at = spec::join(&responses, code);
                r.get("content")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|c| c.keys())
                    .map(move |media| {
                        spec::join(&spec::join(&spec::join(&at, "content"), media), "schema")
                    })
            })
            .collect();
        for at in success_schemas {
            let Some(schema) = doc.pointer(&at).cloned().filter(is_structured) else {
                continue;
            };
            let name = if let Some(array) = envelope_array(&schema) {
                let items_at =
                    spec::join(&spec::join(&spec::join(&at, "properties"), &array), "items");
                let mut envelope = schema;
                if let Some(items) = doc.pointer(&items_at).cloned().filter(is_structured) {
                    let item = register(doc, items, &item);
                    envelope["properties"][array.as_str()]["items"] =
                        json!({ "$ref": spec::schema_ref(&item) });
                    log.note(
                        &items_at,
                        format!("{}: list item is now `{item}`", op.label()),
                    );
                }
                register(doc, envelope, &list)
            } else {
                register(doc, schema, &single)
            };
            if let Some(slot) = doc.pointer_mut(&at) {
                *slot = json!({ "$ref": spec::schema_ref(&name) });
            }
            log.note(
                &at,
                format!("{}: response body is now `{name}`", op.label()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;

    fn ok(schema: Value) -> Value {
        json!({"200": {"description": "", "content": {"application/json": {"schema": schema}}}})
    }

    #[test]
    fn nouns_come_from_verbs() {
        assert_eq!(noun("list_products").as_deref(), Some("Product"));
        assert_eq!(noun("get_catalog").as_deref(), Some("Catalog"));
        assert_eq!(noun("delete_address").as_deref(), Some("Address"));
        assert_eq!(noun("aid_locations_get"), None);
    }

    #[test]
    fn envelopes_and_items_get_shared_readable_names() {
        let item = json!({"allOf": [{"$ref": "#/components/schemas/ProductResponse"},
                                    {"properties": {"groups": {"type": "array"}}}]});
        let mut doc = json!({
            "paths": {
                "/p": {"get": {"operationId": "list_products", "responses": ok(json!({
                    "type": "object",
                    "properties": {"products": {"type": "array", "items": item.clone()},
                                   "starting_after": {"type": "string"}}
                }))}},
                "/p/{id}": {"get": {"operationId": "get_product", "responses": ok(item.clone())}}
            },
            "components": {"schemas": {"ProductResponse": {"type": "object"}}}
        });
        run_one(&PASS, &mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["ProductDetails"], item,
            "ProductResponse was taken by another shape"
        );
        assert_eq!(
            schemas["ProductList"]["properties"]["products"]["items"],
            json!({"$ref": "#/components/schemas/ProductDetails"})
        );
        assert_eq!(
            doc["paths"]["/p/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/ProductDetails"}),
            "the single get reuses the list item's name"
        );
        assert_eq!(schemas.as_object().unwrap().len(), 3);
    }

    #[test]
    fn shapes_differing_only_in_docs_share_a_name() {
        let entity = json!({"allOf": [{"$ref": "#/components/schemas/Catalog"}]});
        let mut annotated = entity.clone();
        annotated["x-inferred"] = json!(true);
        annotated["description"] = json!("Catalog updated");
        let mut doc = json!({"paths": {
            "/c": {"get": {"operationId": "get_catalog", "responses": ok(entity)}},
            "/d": {"put": {"operationId": "update_catalog", "responses": ok(annotated)}}
        }});
        run_one(&PASS, &mut doc);
        assert_eq!(doc["components"]["schemas"].as_object().unwrap().len(), 1);
        assert_eq!(
            doc["paths"]["/d"]["put"]["responses"]["200"]["content"]["application/json"]["schema"]
                ["$ref"],
            "#/components/schemas/CatalogResponse"
        );
    }

    #[test]
    fn refs_and_primitive_bodies_are_left_alone() {
        let mut doc = json!({"paths": {
            "/a": {"get": {"operationId": "get_a", "responses": ok(json!({"$ref": "#/components/schemas/A"}))}},
            "/b": {"get": {"operationId": "get_b", "responses": ok(json!({"type": "string"}))}}
        }});
        let before = doc.clone();
        assert!(run_one(&PASS, &mut doc).is_empty());
        assert_eq!(doc, before);
    }

    #[test]
    fn unknown_operation_names_fall_back_to_the_operation() {
        let mut doc = json!({"paths": {"/l": {"get": {"operationId": "aid_locations_get",
            "responses": ok(json!({"type": "object", "properties": {"name": {"type": "string"}}}))}}}});
        run_one(&PASS, &mut doc);
        assert!(doc["components"]["schemas"]["AidLocationsGetResponse"].is_object());
        let mut doc = json!({"paths": {"/l": {"get": {"operationId": "aid_locations_get",
            "responses": ok(json!({"type": "object", "properties": {"locations": {"type": "array",
                "items": {"properties": {"name": {"type": "string"}}}}}}))}}}});
        run_one(&PASS, &mut doc);
        let names: Vec<_> = doc["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            names,
            ["AidLocationsGetResponseItem", "AidLocationsGetResponse"]
        );
    }
}
