//! Readable method names.
//!
//! progenitor names each method after its operationId. Dintero's ids (`aid_products_get`) read
//! badly in Rust, so a small table maps the known ones to verbs (`list_products`). An id the
//! table does not know still generates, under a sanitised snake_case name; the original id is
//! kept in `x-dintero-operation-id`.

use super::{Log, Pass};
use crate::spec;
use serde_json::Value;

pub const PASS: Pass = Pass {
    name: "rename-operations",
    why: "Dintero's operationIds make unidiomatic method names",
    run,
};

/// Dintero operationId -> method name. Ids the spec marks `x-inferred` (a whole operation) or
/// `x-inferred-operation-id` are our best guess; the others are Dintero's.
pub const RENAMES: &[(&str, &str)] = &[
    ("aid_catalogs_get", "list_catalogs"),
    ("aid_catalogs_post", "create_catalog"),
    ("aid_catalog_get", "get_catalog"),
    ("aid_catalogs_put", "update_catalog"),
    ("aid_catalogs_delete", "delete_catalog"),
    ("aid_groups_get", "list_groups"),
    ("aid_groups_post", "create_group"),
    ("aid_group_get", "get_group"),
    ("aid_group_put", "update_group"),
    ("aid_groups_delete", "delete_group"),
    ("aid_products_get", "list_products"),
    ("aid_products_post", "create_product"),
    ("aid_product_get", "get_product"),
    ("aid_products_put", "update_product"),
    ("aid_products_delete", "delete_product"),
];

/// A Rust identifier in snake_case made from any operationId.
pub fn sanitise(id: &str) -> String {
    let mut out = String::new();
    let mut previous_lower = false;
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && previous_lower {
                out.push('_');
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c.to_ascii_lowercase());
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            previous_lower = false;
        }
    }
    let trimmed = out.trim_end_matches('_');
    match trimmed.chars().next() {
        None => "operation".to_string(),
        Some(c) if c.is_ascii_digit() => format!("op_{trimmed}"),
        Some(_) => trimmed.to_string(),
    }
}

fn run(doc: &mut Value, log: &mut Log) {
    for op in spec::operations(doc) {
        let Some(id) = op.operation_id.clone() else {
            continue; // preflight reports it
        };
        let new = RENAMES
            .iter()
            .find(|(from, _)| *from == id)
            .map(|(_, to)| to.to_string())
            .unwrap_or_else(|| sanitise(&id));
        if new == id {
            continue;
        }
        let Some(operation) = spec::object_mut(doc, &op.pointer) else {
            continue;
        };
        operation.insert("operationId".into(), Value::String(new.clone()));
        operation.insert("x-dintero-operation-id".into(), Value::String(id.clone()));
        log.note(
            spec::join(&op.pointer, "operationId"),
            format!("renamed operation `{id}` to `{new}`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;
    use serde_json::json;

    #[test]
    fn known_ids_use_the_table_and_unknown_ones_are_sanitised() {
        let mut doc = json!({"paths": {
            "/a": {"get": {"operationId": "aid_products_get"}},
            "/b": {"get": {"operationId": "aid_locations-Get.v2"}},
            "/c": {"get": {"operationId": "already_fine"}}
        }});
        let found = run_one(&PASS, &mut doc);
        assert_eq!(doc["paths"]["/a"]["get"]["operationId"], "list_products");
        assert_eq!(
            doc["paths"]["/a"]["get"]["x-dintero-operation-id"],
            "aid_products_get"
        );
        assert_eq!(
            doc["paths"]["/b"]["get"]["operationId"],
            "aid_locations_get_v2"
        );
        assert_eq!(doc["paths"]["/c"]["get"]["operationId"], "already_fine");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn sanitise_makes_identifiers() {
        assert_eq!(sanitise("getProductById"), "get_product_by_id");
        assert_eq!(sanitise("2fa/enable"), "op_2fa_enable");
        assert_eq!(sanitise("--"), "operation");
    }
}
