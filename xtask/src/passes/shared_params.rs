//! One named type for a parameter schema many operations share.
//!
//! typify turns a constrained inline parameter schema into a newtype per operation
//! (`ListProductsAid`, `CreateProductAid`, ...), even when every operation `$ref`s the same
//! `components/parameters` entry. Moving the schema to `components/schemas` gives one
//! `types::AccountId` that every operation takes. The type is named after the parameter
//! component, less a `Path`/`Query` suffix, so `groupId` and `groupIdPath` share `GroupId` when
//! their schemas agree.

use super::{Log, Pass};
use crate::spec;
use serde_json::{Value, json};

pub const PASS: Pass = Pass {
    name: "shared-param-types",
    why: "typify makes one newtype per operation for a shared constrained parameter",
    run,
};

fn type_name(component: &str) -> String {
    let base = spec::pascal_case(component);
    for suffix in ["Path", "Query", "Param", "Parameter"] {
        if let Some(stripped) = base.strip_suffix(suffix).filter(|s| !s.is_empty()) {
            return stripped.to_string();
        }
    }
    base
}

fn run(doc: &mut Value, log: &mut Log) {
    let Some(params) = doc
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    for (component, param) in params {
        let Some(schema) = param
            .get("schema")
            .filter(|s| spec::is_constrained_string(s))
        else {
            continue;
        };
        let mut schema = schema.clone();
        if schema.get("description").is_none()
            && let Some(description) = param.get("description")
        {
            schema["description"] = description.clone();
        }
        let base = type_name(&component);
        let schemas = spec::component_schemas_mut(doc);
        // Reuse an identical schema under the base name; otherwise find a free name.
        let name = (0..)
            .map(|n| {
                if n == 0 {
                    base.clone()
                } else {
                    format!("{base}{n}")
                }
            })
            .find(|name| {
                schemas
                    .get(name)
                    .is_none_or(|existing| spec::same_type_ignoring_docs(existing, &schema))
            })
            .unwrap_or(base);
        schemas.entry(name.clone()).or_insert(schema);
        let at = spec::join(&spec::join("/components/parameters", &component), "schema");
        if let Some(slot) = doc.pointer_mut(&at) {
            *slot = json!({ "$ref": spec::schema_ref(&name) });
            log.note(
                at,
                format!("parameter schema is now the shared type `{name}`"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::passes::run_one;

    #[test]
    fn constrained_parameter_schemas_become_shared_types() {
        let mut doc = json!({"components": {"parameters": {
            "accountId": {"name": "aid", "in": "path", "description": "The account.",
                          "schema": {"type": "string", "pattern": "^[PT]\\d{8}$"}},
            "groupId": {"name": "group_id", "in": "query",
                        "schema": {"type": "string", "maxLength": 255}},
            "groupIdPath": {"name": "group_id", "in": "path",
                            "schema": {"type": "string", "maxLength": 255}},
            "limit": {"name": "limit", "in": "query",
                      "schema": {"type": "integer", "minimum": 1}},
            "name": {"name": "name", "in": "query", "schema": {"type": "string"}}
        }}});
        let found = run_one(&PASS, &mut doc);
        let schemas = doc.pointer("/components/schemas").unwrap();
        assert_eq!(
            schemas["AccountId"],
            json!({"type": "string", "pattern": "^[PT]\\d{8}$", "description": "The account."})
        );
        assert_eq!(schemas.as_object().unwrap().len(), 2, "{schemas:#}");
        for p in ["groupId", "groupIdPath"] {
            assert_eq!(
                doc["components"]["parameters"][p]["schema"],
                json!({"$ref": "#/components/schemas/GroupId"})
            );
        }
        // Integers and unconstrained strings make no newtype, so they stay inline.
        assert_eq!(
            doc["components"]["parameters"]["limit"]["schema"]["type"],
            "integer"
        );
        assert_eq!(
            doc["components"]["parameters"]["name"]["schema"]["type"],
            "string"
        );
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn a_different_schema_under_the_same_name_gets_its_own_type() {
        let mut doc = json!({"components": {
            "schemas": {"GroupId": {"type": "integer"}},
            "parameters": {"groupId": {"name": "g", "in": "query",
                                       "schema": {"type": "string", "maxLength": 5}}}
        }});
        run_one(&PASS, &mut doc);
        assert_eq!(
            doc["components"]["parameters"]["groupId"]["schema"]["$ref"],
            "#/components/schemas/GroupId1"
        );
        assert_eq!(doc["components"]["schemas"]["GroupId"]["type"], "integer");
    }
}
