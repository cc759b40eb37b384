//! The generated Rust module of every fixture compiles (warning-free under
//! `cargo clippy -- -D warnings`) against the real runtime, and its static
//! graph equals the graph codegen validated. The modules are the files
//! committed under `tests/fixtures/<case>/out/` (kept fresh by
//! `codegen.rs::committed_fixture_outputs_are_fresh`), compiled as
//! `link_tests::fixtures::<case>` (`tests/src/lib.rs`), where the examples of
//! their generated docs also compile as doctests.

use std::path::Path;

use link_tests::fixtures::{
    custom_pk, long_names, many_to_many_extras, one_to_many, one_to_one, read_only,
    same_pair_aliases, seed, self_link,
};

fn validated_graph(case: &str) -> link_model::LinkGraph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(case)
        .join("links.toml");
    let src = std::fs::read_to_string(&path).unwrap();
    link_codegen::check_toml("links.toml", &src)
        .unwrap_or_else(|e| panic!("{case}: {e}"))
        .graph
}

#[test]
fn static_graphs_equal_the_validated_graphs() {
    let cases: [(&str, &link_model::LinkGraph); 9] = [
        ("custom_pk", &custom_pk::GRAPH),
        ("long_names", &long_names::GRAPH),
        ("many_to_many_extras", &many_to_many_extras::GRAPH),
        ("one_to_many", &one_to_many::GRAPH),
        ("one_to_one", &one_to_one::GRAPH),
        ("read_only", &read_only::GRAPH),
        ("same_pair_aliases", &same_pair_aliases::GRAPH),
        ("seed", &seed::GRAPH),
        ("self_link", &self_link::GRAPH),
    ];
    for (case, graph) in cases {
        assert_eq!(*graph, validated_graph(case), "{case}");
    }
}

#[test]
fn typed_link_values_carry_their_extra_columns() {
    use link_runtime::__private::TypedLink;
    use many_to_many_extras::{CartId, ProductId, values::CartProduct};

    let value = CartProduct::new(CartId::from("cart_1"), ProductId::from("prod_1"))
        .with_quantity(3)
        .with_note(None)
        .with_type("gift".to_string())
        .with_self(Some("me".to_string()))
        .with_order(2);
    let v = value.into_value();
    assert_eq!(v.link, "cart_product");
    assert_eq!((v.left.as_str(), v.right.as_str()), ("cart_1", "prod_1"));
    let expected = serde_json::json!({
        "quantity": 3,
        "note": null,
        "type": "gift",
        "self": "me",
        "order": 2,
    });
    assert_eq!(serde_json::Value::Object(v.data), expected);
}

#[test]
fn entities_deserialise_keyword_fields_by_their_names() {
    let json = serde_json::json!({
        "cart_id": "cart_1",
        "product_id": "prod_1",
        "type": "gift",
        "self": "me",
        "order": 2,
    });
    let row: many_to_many_extras::entities::CartProduct = serde_json::from_value(json).unwrap();
    assert_eq!(row.r#type.as_deref(), Some("gift"));
    assert_eq!(row.self_.as_deref(), Some("me"));
    assert_eq!(row.order, Some(2));
    let back = serde_json::to_value(&row).unwrap();
    assert_eq!(back["self"], "me");
    assert_eq!(back["type"], "gift");
}

/// Every fixture module and every generated docs page is wired into
/// `tests/src/lib.rs` (modules, and doctests of the docs' examples).
#[test]
fn every_fixture_and_docs_page_is_compiled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let mut missing = Vec::new();
    for e in std::fs::read_dir(root.join("fixtures")).unwrap() {
        let dir = e.unwrap().path();
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !dir.join("out/links.rs").is_file() {
            continue;
        }
        let module = format!("\"../fixtures/{case}/out/links.rs\"");
        if !lib.contains(&module) {
            missing.push(module);
        }
        for page in std::fs::read_dir(dir.join("out/docs")).unwrap() {
            let name = page.unwrap().file_name().to_string_lossy().into_owned();
            let include = format!("\"../fixtures/{case}/out/docs/{name}\"");
            if name != "README.md" && !lib.contains(&include) {
                missing.push(include);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "add to tests/src/lib.rs (`fixtures` / `fixture_docs`):\n{}",
        missing.join("\n")
    );
}

/// A link table row (`values::XRecord`) deserialises by column names and
/// converts into the link value `values::X` with every extra column set.
#[test]
fn records_convert_into_link_values() {
    use link_runtime::__private::TypedLink;
    use self_link::ProductId;
    use self_link::values::{ProductRelatedProduct, ProductRelatedProductRecord};

    let json = serde_json::json!({
        "product_id": "prod_1",
        "related_product_id": "prod_2",
        "id": "prodrel_01",
        "rank": 3,
        "created_at": "2024-01-31T10:00:00Z",
        "updated_at": "2024-01-31T10:00:00Z",
        "deleted_at": null,
    });
    let row: ProductRelatedProductRecord = serde_json::from_value(json).unwrap();
    assert_eq!(row.rank, 3);
    let value = ProductRelatedProduct::from(row.clone());
    assert_eq!(
        value,
        ProductRelatedProduct::new(ProductId::from("prod_1"), ProductId::from("prod_2"))
            .with_rank(3)
    );
    assert_eq!(value.into_value().data["rank"], 3);
    assert_eq!(
        serde_json::to_value(&row).unwrap()["related_product_id"],
        "prod_2"
    );
}
