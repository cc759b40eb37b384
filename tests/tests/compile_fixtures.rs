//! The generated Rust module of every fixture compiles (warning-free under
//! `cargo clippy -- -D warnings`) against the real runtime, and its static
//! graph equals the graph codegen validated. The modules are the files
//! committed under `tests/fixtures/<case>/out/`, kept fresh by
//! `codegen.rs::committed_fixture_outputs_are_fresh`. `#[rustfmt::skip]`
//! keeps `cargo fmt` from reformatting them (which would make them stale).

use std::path::Path;

#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/custom_pk/out/links.rs"]
mod custom_pk;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/long_names/out/links.rs"]
mod long_names;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/many_to_many_extras/out/links.rs"]
mod many_to_many_extras;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/one_to_many/out/links.rs"]
mod one_to_many;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/one_to_one/out/links.rs"]
mod one_to_one;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/read_only/out/links.rs"]
mod read_only;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/same_pair_aliases/out/links.rs"]
mod same_pair_aliases;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/seed/out/links.rs"]
mod seed;
#[rustfmt::skip] // generated: must stay byte-identical to codegen output
#[path = "../fixtures/self_link/out/links.rs"]
mod self_link;

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
    use many_to_many_extras::{CartId, ProductId, links::CartProduct};

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
