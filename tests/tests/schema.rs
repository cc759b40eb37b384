//! `links.schema.json` (generated from the parser's key tables) is the
//! committed file; every valid fixture satisfies it, and the fixtures with
//! unknown keys or values of the wrong kind do not.
//!
//! The schema is checked by [`Validator`], a JSON Schema validator for the
//! keywords the generated schema uses (`type`, `properties`,
//! `additionalProperties`, `required`, `enum`, `anyOf`, `items` and the
//! annotations); a schema holding any other keyword is refused, so the
//! validator never ignores a rule silently. A full JSON Schema crate would
//! cost the cold test build more than the rest of this test crate's
//! dependencies together (it brings a regex engine).

use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn validator() -> Validator {
    let text = std::fs::read_to_string(root().join("links.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    Validator::new(schema).expect("links.schema.json uses only the keywords the validator knows")
}

/// A JSON Schema (draft 2020-12) restricted to the keywords the generated
/// schema uses.
struct Validator {
    schema: Value,
}

/// The keywords [`Validator`] implements, and the annotations it skips.
const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "anyOf",
    "items",
];
const ANNOTATIONS: &[&str] = &["$schema", "title", "description"];

impl Validator {
    /// The validator of `schema`, or the first unsupported keyword.
    fn new(schema: Value) -> Result<Validator, String> {
        fn check(s: &Value, at: &str) -> Result<(), String> {
            let Value::Object(map) = s else {
                return Err(format!("{at}: a schema must be an object"));
            };
            for (k, v) in map {
                if ANNOTATIONS.contains(&k.as_str()) {
                    continue;
                }
                if !KEYWORDS.contains(&k.as_str()) {
                    return Err(format!("{at}: unsupported keyword `{k}`"));
                }
                match (k.as_str(), v) {
                    ("properties", Value::Object(props)) => {
                        for (name, sub) in props {
                            check(sub, &format!("{at}/properties/{name}"))?;
                        }
                    }
                    ("additionalProperties", Value::Bool(_)) => {}
                    ("additionalProperties" | "items", sub) => check(sub, &format!("{at}/{k}"))?,
                    ("anyOf", Value::Array(subs)) => {
                        for (i, sub) in subs.iter().enumerate() {
                            check(sub, &format!("{at}/anyOf/{i}"))?;
                        }
                    }
                    ("type", Value::String(_)) | ("required" | "enum", Value::Array(_)) => {}
                    _ => return Err(format!("{at}: `{k}` has an unexpected form: {v}")),
                }
            }
            Ok(())
        }
        check(&schema, "#")?;
        Ok(Validator { schema })
    }

    /// Every violation in `doc`, as `(JSON pointer, message)`.
    fn errors(&self, doc: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        validate(&self.schema, doc, "", &mut out);
        out
    }
}

fn validate(schema: &Value, v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    if let Some(Value::String(ty)) = schema.get("type") {
        let ok = match ty.as_str() {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "null" => v.is_null(),
            _ => false,
        };
        if !ok {
            out.push((at.to_string(), format!("{v} is not of type \"{ty}\"")));
            return;
        }
    }
    if let Some(Value::Array(allowed)) = schema.get("enum")
        && !allowed.contains(v)
    {
        out.push((
            at.to_string(),
            format!("{v} is not one of {}", Value::Array(allowed.clone())),
        ));
    }
    if let Some(Value::Array(subs)) = schema.get("anyOf")
        && !subs.iter().any(|sub| {
            let mut errs = Vec::new();
            validate(sub, v, at, &mut errs);
            errs.is_empty()
        })
    {
        out.push((
            at.to_string(),
            format!("{v} matches none of the schemas of `anyOf`"),
        ));
    }
    if let Value::Object(map) = v {
        let props = schema.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = schema.get("required") {
            for r in required.iter().filter_map(Value::as_str) {
                if !map.contains_key(r) {
                    out.push((at.to_string(), format!("the required key `{r}` is missing")));
                }
            }
        }
        for (k, child) in map {
            let here = format!("{at}/{k}");
            match (
                props.and_then(|p| p.get(k)),
                schema.get("additionalProperties"),
            ) {
                (Some(sub), _) => validate(sub, child, &here, out),
                (None, Some(Value::Bool(false))) => {
                    out.push((at.to_string(), format!("unknown key `{k}`")))
                }
                (None, Some(sub)) if sub.is_object() => validate(sub, child, &here, out),
                (None, _) => {}
            }
        }
    }
    if let (Value::Array(items), Some(sub)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            validate(sub, item, &format!("{at}/{i}"), out);
        }
    }
}

/// A links.toml as the JSON value editors validate.
fn as_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Messages of every schema violation, `at <pointer>: <message>`.
fn errors(v: &Validator, path: &Path) -> Vec<String> {
    v.errors(&as_json(path))
        .into_iter()
        .map(|(at, e)| format!("at {at}: {e}"))
        .collect()
}

#[test]
fn the_committed_schema_is_generated() {
    let committed = std::fs::read_to_string(root().join("links.schema.json")).unwrap();
    assert_eq!(
        committed,
        link_codegen::json_schema::links_schema(),
        "run `cargo xtask codegen`"
    );
}

#[test]
fn every_valid_fixture_satisfies_the_schema() {
    let v = validator();
    let mut files = vec![
        root().join("links.toml"),
        root().join("tests/fixtures/db/links_v2.toml"),
    ];
    for e in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let p = e.unwrap().path().join("links.toml");
        if p.is_file() {
            files.push(p);
        }
    }
    for m in ["v1", "v2", "v3"] {
        files.push(root().join(format!("tests/fixtures/migrations/{m}.toml")));
    }
    files.sort();
    assert!(files.len() > 10, "{files:?}");
    for f in files {
        assert_eq!(errors(&v, &f), Vec::<String>::new(), "{}", f.display());
    }
}

#[test]
fn unknown_keys_and_wrong_kinds_fail() {
    let v = validator();
    let invalid = root().join("tests/fixtures/invalid");
    let cases: [(&str, &[&str]); 5] = [
        ("unknown_top_level_key.toml", &["at : unknown key `link`"]),
        (
            "unknown_side_key.toml",
            &["at /links/0/left: unknown key `is_lsit`"],
        ),
        (
            "several_errors.toml",
            &[
                "at /links/0/right: unknown key `is_lsit`",
                "at /modules/product/models/product/fields/title: \"string\" matches none of the schemas of `anyOf`",
            ],
        ),
        (
            "wrong_value_type.toml",
            &["at /links/0/left/is_list: \"yes\" is not of type \"boolean\""],
        ),
        (
            "links_not_array.toml",
            &[
                "at /links: {\"id_prefix\":\"prodsc\",\"left\":{\"is_list\":true,\"model\":\"product.product\"},\"right\":{\"is_list\":true,\"model\":\"sales_channel.sales_channel\"},\"table\":\"product_sales_channel\"} is not of type \"array\"",
            ],
        ),
    ];
    for (file, want) in cases {
        assert_eq!(errors(&v, &invalid.join(file)), want, "{file}");
    }
}

/// `docs/links-toml.md` lists every key of every table.
#[test]
fn the_reference_lists_every_key() {
    use link_codegen::parse::keys;
    let doc = std::fs::read_to_string(root().join("docs/links-toml.md")).unwrap();
    for table in [
        keys::TOP_LEVEL,
        keys::CODEGEN,
        keys::DATABASE,
        keys::MODULE,
        keys::MODEL,
        keys::LINK,
        keys::SIDE,
    ] {
        for k in table {
            assert!(
                doc.contains(&format!("| `{}` |", k.name)),
                "docs/links-toml.md has no row for `{}`",
                k.name
            );
        }
    }
    for table in [keys::FIELD, keys::LINKABLE_KEY, keys::EXTRA_COLUMN] {
        for k in table {
            assert!(doc.contains(&format!("`{}`", k.name)), "`{}`", k.name);
        }
    }
    for t in link_model::ScalarType::ALL {
        assert!(
            doc.contains(&format!("`{}`", t.name())),
            "type {}",
            t.name()
        );
    }
}

/// The validator refuses a schema with a keyword it does not implement,
/// and checks each keyword it does.
#[test]
fn the_validator_knows_its_keywords() {
    let err = Validator::new(serde_json::json!({"type": "object", "patternProperties": {}}))
        .err()
        .unwrap();
    assert_eq!(err, "#: unsupported keyword `patternProperties`");
    let v = Validator::new(serde_json::json!({
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"enum": ["x", "y"]},
            "b": {"type": "array", "items": {"type": "boolean"}},
            "c": {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": false}]}
        },
        "additionalProperties": {"type": "string"}
    }))
    .unwrap();
    assert_eq!(
        v.errors(&serde_json::json!({"a": "z", "b": [true, 1], "c": 3, "d": 4})),
        vec![
            (
                "/a".to_string(),
                "\"z\" is not one of [\"x\",\"y\"]".to_string()
            ),
            (
                "/b/1".to_string(),
                "1 is not of type \"boolean\"".to_string()
            ),
            (
                "/c".to_string(),
                "3 matches none of the schemas of `anyOf`".to_string()
            ),
            ("/d".to_string(), "4 is not of type \"string\"".to_string()),
        ]
    );
    assert_eq!(
        v.errors(&serde_json::json!({"c": {"e": 1}})),
        vec![
            (
                "".to_string(),
                "the required key `a` is missing".to_string()
            ),
            (
                "/c".to_string(),
                "{\"e\":1} matches none of the schemas of `anyOf`".to_string()
            ),
        ]
    );
}
