//! Query over the seed's modules and links, on SQLite always and Postgres
//! when LINK_TEST_PG_URL is set; plus modules split across two databases.

use std::sync::Arc;

use link_model::LinkGraph;
use link_runtime::{Databases, Db, Dir, Error, Graph, Link, Nested, Query};
use link_tests::{databases, graph, link_migration, seed_links_toml, seed_modules};
use serde_json::{Value, json};

async fn seed(dbs: Databases, g: Arc<LinkGraph>) -> (Link, Query) {
    let main = dbs.default_db().clone();
    main.execute_script(&link_migration(&g, main.dialect()))
        .await
        .unwrap();
    seed_modules(&g, &dbs).await;
    let link = Link::new(g.clone(), dbs.clone());
    let ps = |p: &str, s: &str| json!({"product": {"product_id": p}, "sales_channel": {"sales_channel_id": s}});
    link.create(json!([
        ps("prod_123", "sc_123"),
        ps("prod_123", "sc_456"),
        ps("prod_456", "sc_123")
    ]))
    .await
    .unwrap();
    link.create(json!({"api_key": {"publishable_key_id": "apk_123"}, "sales_channel": {"sales_channel_id": "sc_123"}}))
        .await
        .unwrap();
    let sl = |s: &str, l: &str| json!({"sales_channel": {"sales_channel_id": s}, "stock_location": {"stock_location_id": l}});
    link.create(json!([
        sl("sc_123", "sloc_123"),
        sl("sc_456", "sloc_123"),
        sl("sc_456", "sloc_456")
    ]))
    .await
    .unwrap();
    (link, Query::new(g, dbs))
}

fn seed_graph() -> Arc<LinkGraph> {
    Arc::new(graph(&seed_links_toml()))
}

async fn each(mut f: impl AsyncFnMut(Query, Db)) {
    for db in databases().await {
        let (_, q) = seed(Databases::single(db.clone()), seed_graph()).await;
        f(q, db).await;
    }
}

async fn run(q: &Query, req: Value) -> Value {
    let r = q
        .graph(Graph::from_json(&req).unwrap())
        .await
        .unwrap_or_else(|e| panic!("{req}: {e}"));
    serde_json::to_value(r).unwrap()
}

async fn data(q: &Query, req: Value) -> Value {
    run(q, req).await["data"].clone()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_seed_documents_five_queries() {
    each(async |q, _| {
        // sales_channel with publishable_api_keys.*
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["id", "publishable_api_keys.*"]})).await;
        assert_eq!(ids(&d), ["sc_123", "sc_456", "sc_789"]);
        let keys = &d[0]["publishable_api_keys"];
        assert_eq!(ids(keys), ["apk_123"]);
        assert_eq!(keys[0]["title"], "Storefront key");
        assert_eq!(keys[0]["type"], "publishable");
        assert!(keys[0].get("created_at").is_some(), "`*` is every field");
        assert_eq!(d[1]["publishable_api_keys"], json!([]), "lists are [] when empty");

        // sales_channel with products.* (missing in Medusa)
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["id", "products.id", "products.title"]})).await;
        assert_eq!(
            d,
            json!([
                {"id": "sc_123", "products": [{"id": "prod_123", "title": "Medusa T-Shirt"}, {"id": "prod_456", "title": "Medusa Sweatpants"}]},
                {"id": "sc_456", "products": [{"id": "prod_123", "title": "Medusa T-Shirt"}]},
                {"id": "sc_789", "products": []}
            ])
        );

        // sales_channel with stock_locations.*
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["stock_locations.name"], "filters": {"id": "sc_456"}})).await;
        assert_eq!(d, json!([{"stock_locations": [{"name": "European Warehouse"}, {"name": "US Warehouse"}]}]));

        // cart with sales_channel.* (read-only has-one)
        let d = data(&q, json!({"entity": "cart", "fields": ["id", "sales_channel.id", "sales_channel.name"]})).await;
        assert_eq!(
            d,
            json!([
                {"id": "cart_1", "sales_channel": {"id": "sc_123", "name": "Default Sales Channel"}},
                {"id": "cart_2", "sales_channel": {"id": "sc_456", "name": "Webshop"}},
                {"id": "cart_3", "sales_channel": null}
            ])
        );
        // join keys do not leak
        assert!(d[0].get("sales_channel_id").is_none());

        // order with sales_channel.*
        let d = data(&q, json!({"entity": "order", "fields": ["id", "sales_channel.*"]})).await;
        assert_eq!(ids(&d), ["order_1", "order_2"]);
        assert_eq!(d[0]["sales_channel"]["name"], "Default Sales Channel");
        assert_eq!(d[0]["sales_channel"]["is_disabled"], false);
        assert_eq!(d[0]["sales_channel"]["description"], "Created by default");
    })
    .await;
}

#[tokio::test]
async fn path_forms_link_rows_and_link_entities() {
    each(async |q, _| {
        // several hops
        let d = data(&q, json!({"entity": "product", "fields": ["id", "sales_channels.stock_locations.name"], "filters": {"id": "prod_123"}})).await;
        assert_eq!(
            d,
            json!([{"id": "prod_123", "sales_channels": [
                {"stock_locations": [{"name": "European Warehouse"}]},
                {"stock_locations": [{"name": "European Warehouse"}, {"name": "US Warehouse"}]}
            ]}])
        );
        // <alias>_link rows with their columns, and a side of them
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["id", "products_link.product_id", "products_link.product.title"], "filters": {"id": "sc_123"}})).await;
        assert_eq!(
            d,
            json!([{"id": "sc_123", "products_link": [
                {"product_id": "prod_123", "product": {"title": "Medusa T-Shirt"}},
                {"product_id": "prod_456", "product": {"title": "Medusa Sweatpants"}}
            ]}])
        );
        // link table as an entity
        let d = data(&q, json!({"entity": "product_sales_channel", "fields": ["product.handle", "sales_channel.name"], "filters": {"sales_channel_id": "sc_456"}})).await;
        assert_eq!(d, json!([{"product": {"handle": "t-shirt"}, "sales_channel": {"name": "Webshop"}}]));
        let d = data(&q, json!({"entity": "product_sales_channel", "fields": ["*"], "filters": {"product_id": "prod_456"}})).await;
        assert!(d[0]["id"].as_str().unwrap().starts_with("prodsc_"));
        assert_eq!(d[0]["deleted_at"], Value::Null);
        // a relation alone means relation.*
        let d = data(&q, json!({"entity": "stock_location", "fields": ["sales_channels"], "filters": {"id": "sloc_456"}})).await;
        assert_eq!(d[0]["sales_channels"][0]["name"], "Webshop");
    })
    .await;
}

#[tokio::test]
async fn soft_deleted_links_and_records_are_invisible_unless_asked() {
    for db in databases().await {
        let (link, q) = seed(Databases::single(db.clone()), seed_graph()).await;
        link.dismiss(json!({"product": {"product_id": "prod_456"}, "sales_channel": {"sales_channel_id": "sc_123"}})).await.unwrap();
        db.execute_script(
            r#"UPDATE "sales_channel" SET "deleted_at" = CURRENT_TIMESTAMP WHERE "id" = 'sc_456'"#,
        )
        .await
        .unwrap();
        let d = data(
            &q,
            json!({"entity": "product", "fields": ["id", "sales_channels.id"]}),
        )
        .await;
        assert_eq!(
            d,
            json!([
                {"id": "prod_123", "sales_channels": [{"id": "sc_123"}]},
                {"id": "prod_456", "sales_channels": []},
                {"id": "prod_789", "sales_channels": []}
            ])
        );
        let d = data(&q, json!({"entity": "product", "fields": ["id", "sales_channels.id"], "with_deleted": true, "filters": {"id": "prod_456"}})).await;
        assert_eq!(
            d,
            json!([{"id": "prod_456", "sales_channels": [{"id": "sc_123"}]}])
        );
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["id"]})).await;
        assert_eq!(ids(&d), ["sc_123", "sc_789"]);
    }
}

#[tokio::test]
async fn filters_on_root_fields_with_every_operator() {
    each(async |q, _| {
        let f = async |filters: Value| {
            ids(&data(
                &q,
                json!({"entity": "product", "fields": ["id"], "filters": filters}),
            )
            .await)
        };
        assert_eq!(f(json!({"id": {"$eq": "prod_123"}})).await, ["prod_123"]);
        assert_eq!(
            f(json!({"id": {"$ne": "prod_123"}})).await,
            ["prod_456", "prod_789"]
        );
        assert_eq!(
            f(json!({"id": ["prod_123", "prod_789"]})).await,
            ["prod_123", "prod_789"]
        );
        assert_eq!(f(json!({"id": {"$in": ["prod_456"]}})).await, ["prod_456"]);
        assert_eq!(
            f(json!({"id": {"$nin": ["prod_456"]}})).await,
            ["prod_123", "prod_789"]
        );
        assert_eq!(f(json!({"weight": {"$gt": 400}})).await, ["prod_456"]);
        assert_eq!(
            f(json!({"weight": {"$gte": 400}})).await,
            ["prod_123", "prod_456"]
        );
        assert_eq!(f(json!({"weight": {"$lt": 600}})).await, ["prod_123"]);
        assert_eq!(
            f(json!({"weight": {"$lte": 600, "$gt": 400}})).await,
            ["prod_456"]
        );
        assert_eq!(
            f(json!({"title": {"$like": "Medusa S%"}})).await,
            ["prod_456", "prod_789"]
        );
        assert_eq!(
            f(json!({"title": {"$like": "medusa s%"}})).await,
            Vec::<String>::new(),
            "$like is case-sensitive"
        );
        assert_eq!(
            f(json!({"title": {"$ilike": "medusa s%"}})).await,
            ["prod_456", "prod_789"]
        );
        assert_eq!(f(json!({"weight": null})).await, ["prod_789"]);
        assert_eq!(
            f(json!({"weight": {"$ne": null}})).await,
            ["prod_123", "prod_456"]
        );
        assert_eq!(
            f(json!({"$or": [{"id": "prod_123"}, {"status": "draft"}]})).await,
            ["prod_123", "prod_789"]
        );
        assert_eq!(
            f(json!({"$and": [{"status": "published"}, {"$not": {"id": "prod_123"}}]})).await,
            ["prod_456"]
        );
        assert_eq!(
            f(json!({"discountable": true, "is_giftcard": false})).await,
            ["prod_123", "prod_456", "prod_789"]
        );
    })
    .await;
}

#[tokio::test]
async fn filters_on_linked_fields_narrow_the_root() {
    each(async |q, _| {
        // The products of sales channel sc_456 (Medusa issues #13356, #14965).
        let d = data(&q, json!({"entity": "product", "fields": ["id"], "filters": {"sales_channels": {"id": "sc_456"}}})).await;
        assert_eq!(ids(&d), ["prod_123"]);
        // The channels that sell prod_456.
        let d = data(&q, json!({"entity": "sales_channel", "fields": ["id"], "filters": {"products": {"id": "prod_456"}}})).await;
        assert_eq!(ids(&d), ["sc_123"]);
        // Two hops and operators inside.
        let d = data(&q, json!({"entity": "product", "fields": ["id"], "filters": {"sales_channels": {"stock_locations": {"name": {"$like": "US%"}}}}})).await;
        assert_eq!(ids(&d), ["prod_123"]);
        // Read-only link.
        let d = data(&q, json!({"entity": "cart", "fields": ["id"], "filters": {"sales_channel": {"name": "Webshop"}}})).await;
        assert_eq!(ids(&d), ["cart_2"]);
        // Negated.
        let d = data(&q, json!({"entity": "product", "fields": ["id"], "filters": {"$not": {"sales_channels": {"id": "sc_123"}}}})).await;
        assert_eq!(ids(&d), ["prod_789"]);
        // A nested-only filter narrows the nested list, not the root.
        let d = data(&q, json!({
            "entity": "sales_channel", "fields": ["id", "products.id"],
            "nested": {"products": {"filters": {"status": "published", "id": "prod_456"}}}
        }))
        .await;
        assert_eq!(d, json!([{"id": "sc_123", "products": [{"id": "prod_456"}]}, {"id": "sc_456", "products": []}, {"id": "sc_789", "products": []}]));
    })
    .await;
}

#[tokio::test]
async fn pagination_count_order_by_linked_field_and_per_parent_limit() {
    each(async |q, _| {
        let r = run(&q, json!({"entity": "product", "fields": ["id"], "pagination": {"skip": 1, "take": 1, "order": {"title": "DESC"}}})).await;
        assert_eq!(
            r["metadata"],
            json!({"count": 3, "skip": 1, "take": 1, "next": link_tests::cursor_of(json!(["Medusa Sweatpants", "prod_456"]))})
        );
        assert_eq!(ids(&r["data"]), ["prod_456"]);
        // Order by a to-one linked field.
        let r = data(&q, json!({"entity": "cart", "fields": ["id"], "filters": {"sales_channel_id": {"$ne": null}}, "pagination": {"order": {"sales_channel.name": "DESC"}}})).await;
        assert_eq!(ids(&r), ["cart_2", "cart_1"]);
        let r = data(&q, json!({"entity": "cart", "fields": ["id"], "filters": {"sales_channel_id": {"$ne": null}}, "pagination": {"order": {"sales_channel.name": "ASC"}}})).await;
        assert_eq!(ids(&r), ["cart_1", "cart_2"]);
        // First product of each channel, ordered by title (Medusa issue #9516).
        let d = data(&q, json!({
            "entity": "sales_channel", "fields": ["id", "products.title"],
            "nested": {"products": {"take": 1, "order": {"title": "DESC"}}}
        }))
        .await;
        assert_eq!(
            d,
            json!([
                {"id": "sc_123", "products": [{"title": "Medusa T-Shirt"}]},
                {"id": "sc_456", "products": [{"title": "Medusa T-Shirt"}]},
                {"id": "sc_789", "products": []}
            ])
        );
        // Ordering by a list relation is refused with a reason.
        let e = q.graph(Graph::new("sales_channel").fields(["id"]).order("products.title", Dir::Asc)).await.unwrap_err();
        assert_eq!(e.to_string(), "invalid pagination: cannot order by `products.title`: `products` is a list; only to-one relations can order");
    })
    .await;
}

#[tokio::test]
async fn statement_count_does_not_depend_on_the_number_of_rows() {
    for db in databases().await {
        let (link, q) = seed(Databases::single(db.clone()), seed_graph()).await;
        let req = || {
            Graph::new("product").fields([
                "id",
                "sales_channels.name",
                "sales_channels.stock_locations.name",
            ])
        };
        let before = db.statements();
        let small = q.graph(req()).await.unwrap();
        let small_statements = db.statements() - before;
        // Ten times more products, all linked.
        let mut values = String::new();
        for i in 0..30 {
            values.push_str(&format!(
                "{}('p_{i}', 'P{i}', 'h{i}')",
                if i > 0 { ", " } else { "" }
            ));
        }
        db.execute_script(&format!(
            r#"INSERT INTO "product" ("id", "title", "handle") VALUES {values};"#
        ))
        .await
        .unwrap();
        let links: Vec<Value> = (0..30)
            .map(|i| json!({"product": {"product_id": format!("p_{i}")}, "sales_channel": {"sales_channel_id": if i % 2 == 0 { "sc_123" } else { "sc_456" }}}))
            .collect();
        link.create(Value::Array(links)).await.unwrap();
        let before = db.statements();
        let big = q.graph(req()).await.unwrap();
        let big_statements = db.statements() - before;
        assert_eq!(small.data.len(), 3);
        assert_eq!(big.data.len(), 33);
        assert_eq!(small_statements, 3, "root + one per hop");
        assert_eq!(big_statements, small_statements);
    }
}

#[tokio::test]
async fn unknown_names_and_bad_filters_get_errors_naming_the_choices() {
    each(async |q, _| {
        let err = async |req: Value| q.graph(Graph::from_json(&req).unwrap()).await.unwrap_err().to_string();
        assert_eq!(
            err(json!({"entity": "prodcut", "fields": ["id"]})).await,
            "unknown entity `prodcut`; expected one of `api_key`, `sales_channel`, `cart`, `order`, `product`, `stock_location`, `publishable_api_key_sales_channel`, `product_sales_channel` or `sales_channel_stock_location`"
        );
        assert_eq!(
            err(json!({"entity": "cart", "fields": ["sales_channel.nmae"]})).await,
            "`sales_channel` has no field or relation `nmae` (in `sales_channel.nmae`); expected one of `*`, `id`, `name`, `description`, `is_disabled`, `metadata`, `created_at`, `updated_at`, `deleted_at`, `publishable_api_keys`, `api_keys_link`, `products`, `products_link`, `stock_locations` or `locations_link`"
        );
        assert_eq!(
            err(json!({"entity": "product", "fields": ["id"], "filters": {"weight": {"$gtt": 1}}})).await,
            "invalid filter at `weight.$gtt`: unknown operator `$gtt`; expected one of `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, `$like` or `$ilike`"
        );
        assert_eq!(
            err(json!({"entity": "product", "fields": ["id"], "filters": {"weight": "heavy"}})).await,
            "invalid filter at `weight`: expected a number, found \"heavy\""
        );
        assert_eq!(
            err(json!({"entity": "cart", "fields": ["id"], "filters": {"sales_channels": {"id": "x"}}})).await,
            "invalid filter at `sales_channels`: `cart` has no field or relation `sales_channels`; expected one of `id`, `region_id`, `customer_id`, `sales_channel_id`, `email`, `currency_code`, `metadata`, `created_at`, `updated_at`, `deleted_at`, `completed_at`, `locale`, `sales_channel`, `$and`, `$or` or `$not`"
        );
        // Read-only links have no reverse relation unless declared.
        assert!(err(json!({"entity": "sales_channel", "fields": ["carts.id"]})).await.starts_with("`sales_channel` has no field or relation `carts`"));
    })
    .await;
}

#[tokio::test]
async fn hostile_input_yields_errors_or_no_match_never_sql() {
    each(async |q, db| {
        let hostile = [
            "'; DROP TABLE \"product\"; --",
            "\" OR 1=1 --",
            "/* */ id",
            "💥\u{0}\u{202e}",
            &"x".repeat(100_000),
        ];
        for h in hostile {
            // As a field, entity or relation name: an error.
            assert!(q.graph(Graph::new("product").fields([h])).await.is_err());
            assert!(q.graph(Graph::new(h).fields(["id"])).await.is_err());
            assert!(
                q.graph(Graph::new("product").fields([format!("sales_channels.{h}")]))
                    .await
                    .is_err()
            );
            assert!(
                q.graph(
                    Graph::new("product")
                        .fields(["id"])
                        .filters(json!({ h: "x" }))
                )
                .await
                .is_err()
            );
            // As a value: no match, or a typed error (NUL bytes, oversized patterns).
            match q
                .graph(
                    Graph::new("product")
                        .fields(["id"])
                        .filters(json!({"title": h})),
                )
                .await
            {
                Ok(r) => assert!(r.data.is_empty()),
                Err(e) => assert!(matches!(e, Error::InvalidFilter { .. }), "{e}"),
            }
            match q
                .graph(
                    Graph::new("product")
                        .fields(["id"])
                        .filters(json!({"sales_channels": {"name": {"$like": h}}})),
                )
                .await
            {
                Ok(r) => assert!(r.data.is_empty()),
                Err(e) => assert!(matches!(e, Error::InvalidFilter { .. }), "{e}"),
            }
        }
        // The tables are intact.
        let all = q.graph(Graph::new("product").fields(["id"])).await.unwrap();
        assert_eq!(all.data.len(), 3);
        let _ = db;
    })
    .await;
}

#[tokio::test]
async fn typed_paths_deserialise_into_serde_types() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Channel {
        id: String,
        products: Vec<ProductTitle>,
    }
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct ProductTitle {
        title: String,
    }
    each(async |q, _| {
        let r = q
            .graph_as::<Channel>(
                Graph::new("sales_channel")
                    .fields(["id", "products.title"])
                    .filters(json!({"id": "sc_456"})),
            )
            .await
            .unwrap();
        assert_eq!(
            r.data,
            vec![Channel {
                id: "sc_456".into(),
                products: vec![ProductTitle {
                    title: "Medusa T-Shirt".into()
                }]
            }]
        );
    })
    .await;
}

/// Modules split across two databases give the same results as one.
#[tokio::test]
async fn split_databases_give_the_same_results() {
    let split_toml = format!(
        "{}\n[modules.sales_channel]\ndata_source = \"channels\"\n",
        seed_links_toml()
    );
    let requests = [
        json!({"entity": "product", "fields": ["id", "sales_channels.name", "sales_channels.stock_locations.name"]}),
        json!({"entity": "sales_channel", "fields": ["id", "products.title", "publishable_api_keys.title"]}),
        json!({"entity": "cart", "fields": ["id", "sales_channel.name"]}),
        json!({"entity": "product", "fields": ["id"], "filters": {"sales_channels": {"name": "Webshop"}}}),
        json!({"entity": "product", "fields": ["id"], "filters": {"sales_channels": {"name": {"$like": "%"}}}, "pagination": {"take": 1, "skip": 1}}),
        json!({"entity": "sales_channel", "fields": ["id"], "filters": {"products": {"id": "prod_456"}}}),
        json!({"entity": "cart", "fields": ["id"], "filters": {"sales_channel": {"name": {"$ilike": "web%"}}}}),
        json!({"entity": "sales_channel", "fields": ["id", "products.title"], "nested": {"products": {"take": 1, "order": {"title": "DESC"}}}}),
        json!({"entity": "product_sales_channel", "fields": ["product_id", "sales_channel.name"], "filters": {"product_id": "prod_123"}}),
    ];
    let mut setups: Vec<(Databases, Databases)> = Vec::new();
    // Two SQLite files.
    let (a, pa) = link_tests::sqlite_file().await;
    let (b, pb) = link_tests::sqlite_file().await;
    setups.push((
        Databases::single(link_tests::sqlite().await),
        Databases::single(a).with("channels", b),
    ));
    // SQLite plus Postgres.
    if let Some(pg) = link_tests::postgres().await {
        setups.push((
            Databases::single(link_tests::sqlite().await),
            Databases::single(link_tests::sqlite().await).with("channels", pg),
        ));
    }
    for (one, split) in setups {
        let (_, q1) = seed(one, seed_graph()).await;
        let (_, q2) = seed(split, Arc::new(graph(&split_toml))).await;
        for req in &requests {
            assert_eq!(
                run(&q1, req.clone()).await,
                run(&q2, req.clone()).await,
                "{req}"
            );
        }
    }
    let _ = (std::fs::remove_file(pa), std::fs::remove_file(pb));
}

#[tokio::test]
async fn nested_arguments_need_a_requested_relation() {
    each(async |q, _| {
        let e = q
            .graph(Graph::new("sales_channel").fields(["id"]).nested("products", Nested::default()))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::UnknownField { .. }));
        assert_eq!(e.to_string(), "`sales_channel` has no field or relation `products` (in `products`); expected one of a requested relation: nothing");
    })
    .await;
}

const READ_ONLY_LINKS: &str = r#"
[modules.product.models.product]
fields = { id = "text", title = "text" }

[modules.product.models.variant]
fields = { id = "text", sku = "text", product_id = "text" }

[modules.cart.models.line_item]
fields = { id = "text", variant_id = "text?", quantity = "integer" }

# Inside one module, declared in both directions: variant.product and product.variants.
[[links]]
left = { model = "product.variant", is_list = true, relation = "variants" }
right = { model = "product.product" }
read_only = true
field = "product_id"

# Across modules: line_item.variant.
[[links]]
left = { model = "cart.line_item" }
right = { model = "product.variant" }
read_only = true
field = "variant_id"
"#;

#[tokio::test]
async fn read_only_links_inside_one_module_and_has_many() {
    for db in databases().await {
        let g = Arc::new(graph(READ_ONLY_LINKS));
        db.execute_script(
            r#"CREATE TABLE "product" ("id" text PRIMARY KEY, "title" text NOT NULL);
               CREATE TABLE "variant" ("id" text PRIMARY KEY, "sku" text NOT NULL, "product_id" text NOT NULL);
               CREATE TABLE "line_item" ("id" text PRIMARY KEY, "variant_id" text NULL, "quantity" integer NOT NULL);
               INSERT INTO "product" VALUES ('p1', 'Shirt'), ('p2', 'Pants'), ('p3', 'Socks');
               INSERT INTO "variant" VALUES ('v1', 'SHIRT-S', 'p1'), ('v2', 'SHIRT-M', 'p1'), ('v3', 'PANTS-L', 'p2');
               INSERT INTO "line_item" VALUES ('li1', 'v2', 2), ('li2', NULL, 1);"#,
        )
        .await
        .unwrap();
        let q = Query::new(g, Databases::single(db.clone()));
        // has-many direction, declared with is_list on the left side
        let d = data(
            &q,
            json!({"entity": "product", "fields": ["id", "variants.sku"]}),
        )
        .await;
        assert_eq!(
            d,
            json!([
                {"id": "p1", "variants": [{"sku": "SHIRT-S"}, {"sku": "SHIRT-M"}]},
                {"id": "p2", "variants": [{"sku": "PANTS-L"}]},
                {"id": "p3", "variants": []}
            ])
        );
        // has-one inside the module, then across modules, two hops
        let d = data(&q, json!({"entity": "line_item", "fields": ["id", "quantity", "variant.sku", "variant.product.title"]})).await;
        assert_eq!(
            d,
            json!([
                {"id": "li1", "quantity": 2, "variant": {"sku": "SHIRT-M", "product": {"title": "Shirt"}}},
                {"id": "li2", "quantity": 1, "variant": null}
            ])
        );
        // filters through read-only links narrow the root
        let d = data(&q, json!({"entity": "product", "fields": ["id"], "filters": {"variants": {"sku": {"$like": "SHIRT%"}}}})).await;
        assert_eq!(ids(&d), ["p1"]);
        // a per-parent limit on the has-many side
        let d = data(&q, json!({"entity": "product", "fields": ["id", "variants.sku"], "filters": {"id": "p1"}, "nested": {"variants": {"take": 1, "order": {"sku": "ASC"}}}})).await;
        assert_eq!(d, json!([{"id": "p1", "variants": [{"sku": "SHIRT-M"}]}]));
    }
}

#[test]
fn mistakes_in_a_graph_request_get_their_own_error() {
    let err = |v: Value| Graph::from_json(&v).unwrap_err();
    let e = err(json!({"entity": "product", "field": ["id"]}));
    assert!(matches!(e, Error::InvalidRequest { .. }));
    assert_eq!(
        e.to_string(),
        "invalid graph request: unknown key `field` in a graph request; expected one of `entity`, `fields`, `filters`, `pagination`, `nested`, `with_deleted` or `shape`"
    );
    assert_eq!(
        err(json!({"entity": "product", "pagination": {"limit": 1}})).to_string(),
        "invalid graph request: unknown key `limit` in `pagination`; expected one of `skip`, `take`, `order`, `count` or `after`"
    );
    assert_eq!(
        err(json!({"entity": "product", "nested": {"sales_channels": {"take": 1, "skip": 2}}}))
            .to_string(),
        "invalid graph request: unknown key `skip` in `nested.sales_channels`; expected one of `filters`, `take` or `order`"
    );
    assert_eq!(
        err(json!({"entity": "product", "with_deleted": "yes"})).to_string(),
        "invalid graph request: `with_deleted` must be a boolean, found \"yes\""
    );
    assert_eq!(
        err(json!({"fields": ["id"]})).to_string(),
        "invalid graph request: `entity` must be a string"
    );
}

/// Filter values follow the column type with the rules Link uses, before
/// any statement runs.
#[tokio::test]
async fn filter_values_are_checked_by_type_before_any_statement() {
    for db in databases().await {
        let (_, q) = seed(Databases::single(db.clone()), seed_graph()).await;
        let before = db.statements();
        let msg = async |filters: Value| {
            q.graph(Graph::new("order").fields(["id"]).filters(filters))
                .await
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            msg(json!({"display_id": 1_i64 << 40})).await,
            "invalid filter at `display_id`: expected a 32-bit integer, found 1099511627776"
        );
        assert_eq!(
            msg(json!({"email": "a\u{0}b"})).await,
            "invalid filter at `email`: expected a string without NUL characters, found \"a\\u0000b\""
        );
        assert_eq!(
            msg(json!({"created_at": {"$gt": "yesterday"}})).await,
            "invalid filter at `created_at.$gt`: expected an RFC 3339 timestamp, found \"yesterday\""
        );
        assert_eq!(
            msg(json!({"display_id": {"$in": [1, null]}})).await,
            "invalid filter at `display_id.$in`: lists hold values, not null (use `null` or `$ne: null` to test for NULL)"
        );
        assert_eq!(
            msg(json!({"sales_channel": {"name": {"$gt": 1}}})).await,
            "invalid filter at `sales_channel.name.$gt`: expected a string, found 1"
        );
        assert_eq!(db.statements(), before, "no statement ran");
    }
}

#[tokio::test]
async fn count_modes() {
    each(async |q, db| {
        let page = |count: &str| json!({"entity": "product", "fields": ["id"], "pagination": {"take": 1, "count": count}});
        assert_eq!(
            run(&q, page("exact")).await,
            json!({"data": [{"id": "prod_123"}], "metadata": {"count": 3, "skip": 0, "take": 1, "next": link_tests::cursor_of(json!(["prod_123"]))}})
        );
        let before = db.statements();
        assert_eq!(
            run(&q, page("none")).await,
            json!({"data": [{"id": "prod_123"}], "metadata": {"skip": 0, "take": 1, "next": link_tests::cursor_of(json!(["prod_123"]))}})
        );
        assert_eq!(db.statements() - before, 1, "no count statement");
        let estimate = run(&q, page("estimate")).await;
        assert_eq!(estimate["data"], json!([{"id": "prod_123"}]));
        let n = estimate["metadata"]["count"].as_u64().unwrap();
        match db.dialect() {
            // SQLite keeps no estimate: exact.
            link_runtime::Dialect::Sqlite => assert_eq!(n, 3),
            // The planner's estimate of a never-analysed table: some rows.
            link_runtime::Dialect::Postgres => assert!(n >= 1, "{estimate}"),
        }
        let e = Graph::from_json(&json!({"entity": "product", "pagination": {"count": "approx"}})).unwrap_err();
        assert_eq!(e.to_string(), "invalid pagination: `count` must be \"exact\", \"estimate\" or \"none\", found \"approx\"");
    })
    .await;
}

/// SQLite files rarely have `ANALYZE` statistics, and without them SQLite
/// takes `deleted_at IS NULL` on an indexed column for a selective equality
/// and walks the `deleted_at` index, which holds every live row (at
/// 1,000,000 products: one product with its channels took 480 ms instead
/// of 0.1 ms). The soft-delete tests the engine writes must leave the
/// planner on the key indexes. (A page of all products by id still walks
/// it without statistics; `Db::connect` gathers them, see
/// `sqlite_files_opened_by_connect_get_statistics`.)
#[tokio::test]
async fn sqlite_without_statistics_does_not_walk_deleted_at_indexes() {
    let db = link_tests::sqlite().await;
    let (_, q) = seed(Databases::single(db.clone()), seed_graph()).await;
    db.record_statements(true);
    for req in [
        json!({"entity": "product", "fields": ["id", "sales_channels.name"], "filters": {"id": "prod_123"}}),
        json!({"entity": "product", "fields": ["id"], "filters": {"sales_channels": {"id": "sc_123"}}}),
        json!({"entity": "sales_channel", "fields": ["id", "products.id"]}),
    ] {
        run(&q, req).await;
    }
    let statements = db.recorded_statements();
    assert_eq!(statements.len(), 5, "{statements:?}");
    let mut walks = Vec::new();
    for s in &statements {
        // Parameters as 1 (a key, a limit): plans do not depend on values.
        for detail in plan_details(&db, &s.replace('?', "1")).await {
            // Counting live rows on the narrow `deleted_at` index (a
            // covering index) is the cheap plan; a search through it is not.
            if detail.contains("deleted_at") && !detail.contains("COVERING INDEX") {
                walks.push(format!("{s}\n  {detail}"));
            }
        }
    }
    assert_eq!(walks, Vec::<String>::new());
}

/// `Db::connect` on an SQLite file runs `PRAGMA optimize=0x10002`, as
/// SQLite advises for long-lived connections: a file that never had
/// statistics gets them (once; later opens re-analyse only tables that
/// changed a lot), and a page of products by id then walks the primary key.
#[tokio::test]
async fn sqlite_files_opened_by_connect_get_statistics() {
    let (db, path) = link_tests::sqlite_file().await;
    seed(Databases::single(db.clone()), seed_graph()).await;
    let stats = |db: Db| async move {
        db.fetch(
            &link_runtime::db::Sql::raw(
                db.dialect(),
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'",
            ),
            &[link_model::ScalarType::BigInt],
        )
        .await
        .unwrap()[0][0]
            .as_i64()
            .unwrap()
    };
    db.execute_script("DROP TABLE IF EXISTS sqlite_stat1")
        .await
        .unwrap();
    assert_eq!(stats(db.clone()).await, 0);
    db.close().await;
    let db = Db::connect(&format!("sqlite:{}", path.display()))
        .await
        .unwrap();
    assert_eq!(stats(db.clone()).await, 1);
    let details = plan_details(
        &db,
        r#"SELECT "t0"."id" FROM "product" "t0" WHERE likelihood("t0"."deleted_at" IS NULL, 0.999) ORDER BY "t0"."id" LIMIT 100"#,
    )
    .await;
    assert_eq!(details, ["SCAN t0 USING INDEX sqlite_autoindex_product_1"]);
}

/// The detail lines of SQLite's `EXPLAIN QUERY PLAN` for `sql`.
async fn plan_details(db: &Db, sql: &str) -> Vec<String> {
    use link_model::ScalarType::{Integer, Text};
    let explain = link_runtime::db::Sql::raw(db.dialect(), format!("EXPLAIN QUERY PLAN {sql}"));
    db.fetch(&explain, &[Integer, Integer, Integer, Text])
        .await
        .unwrap()
        .into_iter()
        .map(|row| row[3].as_str().unwrap_or_default().to_string())
        .collect()
}
