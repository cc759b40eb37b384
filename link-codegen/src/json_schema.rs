//! `links.schema.json`: a JSON Schema of `links.toml` for editors (taplo /
//! Even Better TOML validate and complete with it), generated from the key
//! tables the parser uses ([`crate::parse::keys`]), so the two never differ.

use link_model::ScalarType;
use serde_json::{Map, Value, json};

use crate::parse::keys::{self, Key, Kind};

/// The schema's `$id`-less draft-07 document, pretty-printed, ending in a
/// newline.
pub fn links_schema() -> String {
    let mut root = table(keys::TOP_LEVEL);
    let obj = root.as_object_mut().expect("a table is an object");
    obj.insert(
        "$schema".to_string(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    obj.insert("title".to_string(), json!("links.toml"));
    obj.insert(
        "description".to_string(),
        json!("Module links: modules, their linkable models and the links between them."),
    );
    let mut text = serde_json::to_string_pretty(&root).expect("a JSON value serialises");
    text.push('\n');
    text
}

fn table(keys: &[Key]) -> Value {
    let mut properties = Map::new();
    for k in keys {
        let mut schema = kind(&k.kind);
        if let Some(obj) = schema.as_object_mut() {
            obj.insert("description".to_string(), json!(k.doc));
        }
        properties.insert(k.name.to_string(), schema);
    }
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut obj = Map::new();
    obj.insert("type".to_string(), json!("object"));
    obj.insert("properties".to_string(), Value::Object(properties));
    obj.insert("additionalProperties".to_string(), json!(false));
    if !required.is_empty() {
        obj.insert("required".to_string(), json!(required));
    }
    Value::Object(obj)
}

fn kind(k: &Kind) -> Value {
    match k {
        Kind::String => json!({ "type": "string" }),
        Kind::Boolean => json!({ "type": "boolean" }),
        Kind::Any => json!({}),
        Kind::TypeName => {
            let names: Vec<String> = ScalarType::ALL
                .iter()
                .flat_map(|t| [t.name().to_string(), format!("{}?", t.name())])
                .collect();
            json!({ "type": "string", "enum": names })
        }
        Kind::Table(keys) => table(keys),
        Kind::Map(value) => json!({ "type": "object", "additionalProperties": kind(value) }),
        Kind::Array(item) => json!({ "type": "array", "items": kind(item) }),
        Kind::OneOf(kinds) => json!({ "anyOf": kinds.iter().map(kind).collect::<Vec<_>>() }),
    }
}
