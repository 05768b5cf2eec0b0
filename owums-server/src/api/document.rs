//! The OpenAPI document as served: what poem-openapi generates, made to say exactly what
//! the API does where the generator cannot (checked by `bash scripts/schemathesis` and
//! `tests/it/api/contract.rs`):
//!
//! - request bodies refuse unknown fields (`#[oai(deny_unknown_fields)]`), so their schemas
//!   say `additionalProperties: false`;
//! - 415 (not JSON) is an answer only of operations that take a body;
//! - dates are `format: date` (the generator writes its own `naive-date`).
//!
//! It also yields the methods of every path, for the `Allow` header of a 405.

use poem::http::Method;
use serde_json::{Map, Value};

/// The methods of one path of the document (`/account/{id}` matches any one segment).
#[derive(Debug, Clone)]
pub(crate) struct PathMethods {
    segments: Vec<Option<String>>,
    allow: String,
}

/// Every path of the document with its methods.
#[derive(Debug, Clone, Default)]
pub(crate) struct AllowTable(Vec<PathMethods>);

/// `spec` (poem-openapi's JSON) made exact.
pub(crate) fn finish(spec: &str) -> Value {
    let mut doc: Value = serde_json::from_str(spec).expect("poem-openapi writes JSON");
    let mut bodies = Vec::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|ops| ops.values_mut())
            .filter_map(Value::as_object_mut)
        {
            let body_refs = operation
                .get("requestBody")
                .and_then(|b| b.get("content"))
                .and_then(Value::as_object)
                .map(|content| {
                    content
                        .values()
                        .filter_map(|m| m.pointer("/schema/$ref").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                });
            match body_refs {
                Some(refs) => bodies.extend(refs),
                None => {
                    if let Some(responses) = operation
                        .get_mut("responses")
                        .and_then(Value::as_object_mut)
                    {
                        responses.remove("415");
                    }
                }
            }
        }
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in bodies {
            let name = name.trim_start_matches("#/components/schemas/");
            if let Some(schema) = schemas.get_mut(name).and_then(Value::as_object_mut) {
                schema.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
        }
    }
    standard_formats(&mut doc);
    doc
}

/// `naive-date` → `date`, everywhere.
fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str) == Some("naive-date") {
                map.insert("format".to_owned(), Value::String("date".to_owned()));
            }
            map.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

impl AllowTable {
    /// The paths and methods of `doc`, plus `extra` paths that answer GET.
    pub(crate) fn new(doc: &Value, extra: &[&str]) -> AllowTable {
        let mut table = Vec::new();
        let empty = Map::new();
        let paths = doc
            .get("paths")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (path, ops) in paths {
            let mut methods: Vec<String> = ops
                .as_object()
                .unwrap_or(&empty)
                .keys()
                .filter_map(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
                .map(|m| m.to_string())
                .collect();
            table.push(PathMethods::new(path, &mut methods));
        }
        for path in extra {
            table.push(PathMethods::new(path, &mut vec!["GET".to_owned()]));
        }
        AllowTable(table)
    }

    /// The `Allow` header for `path` (relative to the API's base), when it is a known path.
    pub(crate) fn allow(&self, path: &str) -> Option<&str> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        self.0
            .iter()
            .find(|p| {
                p.segments.len() == segments.len()
                    && p.segments
                        .iter()
                        .zip(&segments)
                        .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
            })
            .map(|p| p.allow.as_str())
    }
}

impl PathMethods {
    fn new(path: &str, methods: &mut Vec<String>) -> PathMethods {
        // poem answers HEAD wherever there is a GET.
        if methods.iter().any(|m| m == "GET") {
            methods.push("HEAD".to_owned());
        }
        methods.sort();
        methods.dedup();
        PathMethods {
            segments: path
                .trim_end_matches('/')
                .split('/')
                .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                .collect(),
            allow: methods.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_the_methods_of_the_matching_path() {
        let doc = serde_json::json!({"paths": {
            "/account": {"get": {}, "patch": {}, "post": {}},
            "/item/{id}": {"delete": {}},
        }});
        let table = AllowTable::new(&doc, &["/openapi.json"]);
        assert_eq!(table.allow("/account"), Some("GET, HEAD, PATCH, POST"));
        assert_eq!(table.allow("/account/"), Some("GET, HEAD, PATCH, POST"));
        assert_eq!(table.allow("/item/42"), Some("DELETE"));
        assert_eq!(table.allow("/openapi.json"), Some("GET, HEAD"));
        assert_eq!(table.allow("/item"), None);
        assert_eq!(table.allow("/nothing"), None);
    }

    #[test]
    fn bodies_refuse_extra_fields_and_only_they_answer_415() {
        let spec = serde_json::json!({
            "paths": {"/a": {
                "post": {"requestBody": {"content": {"application/json": {"schema":
                    {"$ref": "#/components/schemas/Req"}}}},
                    "responses": {"200": {}, "415": {}}},
                "get": {"responses": {"200": {}, "415": {}}},
            }},
            "components": {"schemas": {
                "Req": {"type": "object"},
                "Resp": {"type": "object", "properties": {"d": {"format": "naive-date"}}},
            }},
        });
        let doc = finish(&spec.to_string());
        assert!(doc.pointer("/paths/~1a/post/responses/415").is_some());
        assert!(doc.pointer("/paths/~1a/get/responses/415").is_none());
        assert_eq!(
            doc.pointer("/components/schemas/Req/additionalProperties"),
            Some(&Value::Bool(false))
        );
        assert!(
            doc.pointer("/components/schemas/Resp/additionalProperties")
                .is_none()
        );
        assert_eq!(
            doc.pointer("/components/schemas/Resp/properties/d/format"),
            Some(&Value::String("date".to_owned()))
        );
    }
}
