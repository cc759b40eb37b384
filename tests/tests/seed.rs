//! The seed (six modules and five links, a fixture copy of the workspace's
//! `links.toml` so editing that file keeps these tests green) validates
//! cleanly and grafts exactly Medusa's relation names.

use std::collections::BTreeMap;

use link_model::{EntityRef, LinkKind};

fn seed() -> link_codegen::Validated {
    let source = link_tests::seed_links_toml();
    match link_codegen::check_toml("links.toml", &source) {
        Ok(v) => v,
        Err(e) => panic!("links.toml has problems:\n{e}"),
    }
}

fn owner_name(owner: &EntityRef) -> String {
    match owner {
        EntityRef::Model { module, model } => format!("{module}.{model}"),
        EntityRef::Link { link } => format!("link {link}"),
    }
}

#[test]
fn seed_links_toml_validates_without_diagnostics() {
    let v = seed();
    let modules: Vec<&str> = v.graph.modules.iter().map(|m| &*m.name).collect();
    assert_eq!(
        modules,
        [
            "api_key",
            "sales_channel",
            "cart",
            "order",
            "product",
            "stock_location"
        ]
    );
    let links: Vec<(&str, bool)> = v
        .graph
        .links
        .iter()
        .map(|l| (&*l.name, l.is_read_only()))
        .collect();
    assert_eq!(
        links,
        [
            ("publishable_api_key_sales_channel", false),
            ("cart_sales_channel", true),
            ("order_sales_channel", true),
            ("product_sales_channel", false),
            ("sales_channel_stock_location", false),
        ]
    );
    let prefixes: Vec<(&str, &str)> = v
        .graph
        .stored_links()
        .map(|(l, s)| (&*l.name, &*s.id_prefix))
        .collect();
    assert_eq!(
        prefixes,
        [
            ("publishable_api_key_sales_channel", "pksc"),
            ("product_sales_channel", "prodsc"),
            ("sales_channel_stock_location", "scloc"),
        ]
    );
    for link in v.graph.links.iter() {
        if let LinkKind::ReadOnly(r) = &link.kind {
            assert_eq!(&*r.field, "sales_channel_id", "{}", link.name);
        }
    }
}

#[test]
fn seed_relation_names_per_owner() {
    let v = seed();
    let mut got: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in v.graph.relations.iter() {
        got.entry(owner_name(&r.owner))
            .or_default()
            .push(r.name.to_string());
    }
    let expected: BTreeMap<String, Vec<String>> = [
        (
            "product.product",
            &["sales_channels", "sales_channels_link"][..],
        ),
        (
            "sales_channel.sales_channel",
            &[
                "publishable_api_keys",
                "api_keys_link",
                "products",
                "products_link",
                "stock_locations",
                "locations_link",
            ],
        ),
        (
            "api_key.api_key",
            &["sales_channels", "sales_channels_link"],
        ),
        (
            "stock_location.stock_location",
            &["sales_channels", "sales_channels_link"],
        ),
        ("cart.cart", &["sales_channel"]),
        ("order.order", &["sales_channel"]),
        (
            "link publishable_api_key_sales_channel",
            &["api_key", "sales_channel"],
        ),
        ("link product_sales_channel", &["product", "sales_channel"]),
        (
            "link sales_channel_stock_location",
            &["sales_channel", "location"],
        ),
    ]
    .into_iter()
    .map(|(owner, names)| {
        (
            owner.to_string(),
            names.iter().map(|n| n.to_string()).collect(),
        )
    })
    .collect();
    assert_eq!(got, expected);
}

#[test]
fn seed_relations_point_at_the_right_targets() {
    let v = seed();
    let find = |owner: &str, name: &str| {
        v.graph
            .relations
            .iter()
            .find(|r| owner_name(&r.owner) == owner && r.name == name)
            .unwrap_or_else(|| panic!("no relation {owner}.{name}"))
    };
    let cases = [
        (
            "product.product",
            "sales_channels",
            "sales_channel.sales_channel",
            true,
        ),
        (
            "product.product",
            "sales_channels_link",
            "link product_sales_channel",
            true,
        ),
        (
            "sales_channel.sales_channel",
            "publishable_api_keys",
            "api_key.api_key",
            true,
        ),
        (
            "sales_channel.sales_channel",
            "api_keys_link",
            "link publishable_api_key_sales_channel",
            true,
        ),
        (
            "sales_channel.sales_channel",
            "products",
            "product.product",
            true,
        ),
        (
            "sales_channel.sales_channel",
            "stock_locations",
            "stock_location.stock_location",
            true,
        ),
        (
            "sales_channel.sales_channel",
            "locations_link",
            "link sales_channel_stock_location",
            true,
        ),
        (
            "api_key.api_key",
            "sales_channels",
            "sales_channel.sales_channel",
            true,
        ),
        (
            "stock_location.stock_location",
            "sales_channels",
            "sales_channel.sales_channel",
            true,
        ),
        (
            "cart.cart",
            "sales_channel",
            "sales_channel.sales_channel",
            false,
        ),
        (
            "order.order",
            "sales_channel",
            "sales_channel.sales_channel",
            false,
        ),
        (
            "link product_sales_channel",
            "product",
            "product.product",
            false,
        ),
        (
            "link sales_channel_stock_location",
            "location",
            "stock_location.stock_location",
            false,
        ),
        (
            "link publishable_api_key_sales_channel",
            "api_key",
            "api_key.api_key",
            false,
        ),
    ];
    for (owner, name, target, is_list) in cases {
        let r = find(owner, name);
        assert_eq!(owner_name(&r.target), target, "{owner}.{name}");
        assert_eq!(r.is_list, is_list, "{owner}.{name} is_list");
    }
}
