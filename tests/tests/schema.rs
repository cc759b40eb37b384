//! `links.schema.json` (generated from the parser's key tables) is the
//! committed file; every valid fixture satisfies it, and the fixtures with
//! unknown keys or values of the wrong kind do not.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("links.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("links.schema.json is a valid schema")
}

/// A links.toml as the JSON value editors validate.
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Messages of every schema violation, `at <pointer>: <message>`.
fn errors(v: &jsonschema::Validator, path: &Path) -> Vec<String> {
    let doc = as_json(path);
    v.iter_errors(&doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
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
        (
            "unknown_top_level_key.toml",
            &["at : Additional properties are not allowed ('link' was unexpected)"],
        ),
        (
            "unknown_side_key.toml",
            &["at /links/0/left: Additional properties are not allowed ('is_lsit' was unexpected)"],
        ),
        (
            "several_errors.toml",
            &[
                "at /links/0/right: Additional properties are not allowed ('is_lsit' was unexpected)",
                "at /modules/product/models/product/fields/title: \"string\" is not valid under any of the schemas listed in the 'anyOf' keyword",
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
