//! Query gives the single-database answer wherever the data lives: every
//! filter operator, `$not` over relations with empty key sets and NULL
//! keys, nested orders and per-parent limits, and paging, with root, link
//! table and target in one database, the link table elsewhere, the target
//! elsewhere, and all three apart, on SQLite always and on Postgres when
//! `LINK_TEST_PG_URL` is set (the second database on the server of
//! `LINK_TEST_PG_URL_2`, which CI starts). The single-database answers are
//! checked against exact expected rows.

use std::sync::Arc;

use link_runtime::{Databases, Db, Dialect, Graph, Link, Query};
use link_tests::{cursor_of, graph, link_migration};
use serde_json::{Value, json};

const LINKS: &str = r#"
[modules.product.models.product]
soft_delete = "deleted_at"
fields = { id = "text", title = "text", weight = "integer?", height = "float?", is_giftcard = "boolean", subtitle = "text?", metadata = "json?", created_at = "timestamp?", deleted_at = "timestamp?" }

[modules.sales_channel.models.sales_channel]
soft_delete = "deleted_at"
fields = { id = "text", name = "text", description = "text?", metadata = "json?", created_at = "timestamp?", deleted_at = "timestamp?" }

[modules.cart.models.cart]
soft_delete = "deleted_at"
fields = { id = "text", sales_channel_id = "text?", currency_code = "text", deleted_at = "timestamp?" }

[[links]]
left = { model = "product.product", key = "product_id", is_list = true }
right = { model = "sales_channel.sales_channel", key = "sales_channel_id", is_list = true }

# Read-only, both directions: cart.sales_channel and sales_channel.carts.
[[links]]
left = { model = "cart.cart", is_list = true }
right = { model = "sales_channel.sales_channel" }
read_only = true
field = "sales_channel_id"
"#;

/// Where root, link table and target live.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Placement {
    /// Everything in one database.
    One,
    /// Modules together, link tables in another database.
    PivotApart,
    /// sales_channel in another database than products, carts and links.
    TargetApart,
    /// products, sales channels and links (with carts) in three databases.
    AllApart,
}

const PLACEMENTS: [Placement; 4] = [
    Placement::One,
    Placement::PivotApart,
    Placement::TargetApart,
    Placement::AllApart,
];

fn links_toml(p: Placement) -> String {
    let ds = |m: &str, s: &str| format!("\n[modules.{m}]\ndata_source = \"{s}\"\n");
    let extra = match p {
        Placement::One => String::new(),
        Placement::PivotApart => {
            ds("product", "mods") + &ds("sales_channel", "mods") + &ds("cart", "mods")
        }
        Placement::TargetApart => ds("sales_channel", "channels"),
        Placement::AllApart => ds("product", "products") + &ds("sales_channel", "channels"),
    };
    format!("{LINKS}{extra}")
}

/// Fresh databases of one kind: SQLite in memory, or Postgres schemas (the
/// second and third on the second server when there is one).
async fn fresh(postgres: bool, n: usize) -> Vec<Db> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(if !postgres {
            link_tests::sqlite().await
        } else if i == 0 {
            link_tests::postgres().await.expect("LINK_TEST_PG_URL")
        } else {
            link_tests::second_postgres().await
        });
    }
    out
}

async fn databases(p: Placement, postgres: bool) -> Databases {
    match p {
        Placement::One => Databases::single(fresh(postgres, 1).await.remove(0)),
        Placement::PivotApart => {
            let mut v = fresh(postgres, 2).await;
            let (mods, links) = (v.remove(1), v.remove(0));
            Databases::single(links).with("mods", mods)
        }
        Placement::TargetApart => {
            let mut v = fresh(postgres, 2).await;
            let (channels, main) = (v.remove(1), v.remove(0));
            Databases::single(main).with("channels", channels)
        }
        Placement::AllApart => {
            let mut v = fresh(postgres, 3).await;
            let (channels, products, main) = (v.remove(2), v.remove(1), v.remove(0));
            Databases::single(main)
                .with("products", products)
                .with("channels", channels)
        }
    }
}

fn time_type(d: Dialect) -> &'static str {
    column_types(d).0
}

/// The column types of timestamps, JSON, booleans and floats in `d`.
fn column_types(d: Dialect) -> (&'static str, &'static str, &'static str, &'static str) {
    match d {
        Dialect::Sqlite => ("text", "text", "integer", "real"),
        Dialect::Postgres => ("timestamptz", "jsonb", "boolean", "real"),
    }
}

/// Module tables, each in its data source's database, and the link tables.
async fn tables(dbs: &Databases, g: &link_model::LinkGraph) {
    let ds = |m: &str| g.module(m).unwrap().data_source.to_string();
    let p = dbs.get(&ds("product"));
    let (ts, json_ty, bool_ty, float_ty) = column_types(p.dialect());
    p.execute_script(&format!(
        r#"CREATE TABLE "product" ("id" text PRIMARY KEY, "title" text NOT NULL, "weight" integer NULL, "height" {float_ty} NULL, "is_giftcard" {bool_ty} NOT NULL DEFAULT FALSE, "subtitle" text NULL, "metadata" {json_ty} NULL, "created_at" {ts} NULL, "deleted_at" {ts} NULL);"#
    ))
    .await
    .unwrap();
    let s = dbs.get(&ds("sales_channel"));
    let (ts, json_ty, ..) = column_types(s.dialect());
    s.execute_script(&format!(
        r#"CREATE TABLE "sales_channel" ("id" text PRIMARY KEY, "name" text NOT NULL, "description" text NULL, "metadata" {json_ty} NULL, "created_at" {ts} NULL, "deleted_at" {ts} NULL);"#
    ))
    .await
    .unwrap();
    let c = dbs.get(&ds("cart"));
    c.execute_script(&format!(
        r#"CREATE TABLE "cart" ("id" text PRIMARY KEY, "sales_channel_id" text NULL, "currency_code" text NOT NULL, "deleted_at" {} NULL);"#,
        time_type(c.dialect())
    ))
    .await
    .unwrap();
    let main = dbs.default_db();
    main.execute_script(&link_migration(g, main.dialect()))
        .await
        .unwrap();
}

fn ps(p: &str, s: &str) -> Value {
    json!({"product": {"product_id": p}, "sales_channel": {"sales_channel_id": s}})
}

/// Databases for placement `p` with the module tables and link tables,
/// each module's `rows` script run in its own database, and the link
/// batches created in order (one `Link::create` each).
async fn placed(
    p: Placement,
    postgres: bool,
    rows: &[(&str, String)],
    batches: Vec<Value>,
) -> (Link, Query) {
    let g = Arc::new(graph(&links_toml(p)));
    let dbs = databases(p, postgres).await;
    tables(&dbs, &g).await;
    for (module, script) in rows {
        let ds = g.module(module).unwrap().data_source.to_string();
        dbs.get(&ds).execute_script(script).await.unwrap();
    }
    let link = Link::new(g.clone(), dbs.clone());
    for batch in batches {
        link.create(batch).await.unwrap();
    }
    (link, Query::new(g, dbs))
}

/// Inserts products `p0000`… with `title(i)` and weight `i`.
fn products_sql(n: usize, title: impl Fn(usize) -> String) -> String {
    let values: Vec<String> = (0..n)
        .map(|i| format!("('p{i:04}', '{}', {i})", title(i)))
        .collect();
    format!(
        r#"INSERT INTO "product" ("id", "title", "weight") VALUES {};"#,
        values.join(", ")
    )
}

/// The data: soft-deleted records, NULL and dangling keys, a dismissed link.
async fn setup(p: Placement, postgres: bool) -> Query {
    let rows = [
        (
            "product",
            r#"INSERT INTO "product" ("id", "title", "weight") VALUES
                ('p1', 'Shirt', 100), ('p2', 'Pants', NULL), ('p3', 'socks', 300), ('p4', 'Hat', 50), ('p5', 'Gone', 10);
               UPDATE "product" SET "deleted_at" = CURRENT_TIMESTAMP WHERE "id" = 'p5';"#
                .to_string(),
        ),
        (
            "sales_channel",
            r#"INSERT INTO "sales_channel" ("id", "name", "description") VALUES
                ('sc_1', 'Web', 'Online'), ('sc_2', 'Shop', NULL), ('sc_3', 'Wholesale', 'B2B'), ('sc_4', 'Old', NULL);
               UPDATE "sales_channel" SET "deleted_at" = CURRENT_TIMESTAMP WHERE "id" = 'sc_4';"#
                .to_string(),
        ),
        (
            "cart",
            r#"INSERT INTO "cart" ("id", "sales_channel_id", "currency_code") VALUES
                ('c1', 'sc_1', 'eur'), ('c2', 'sc_1', 'usd'), ('c3', 'sc_2', 'eur'),
                ('c4', NULL, 'eur'), ('c5', 'sc_3', 'usd'), ('c6', 'sc_missing', 'eur');"#
                .to_string(),
        ),
    ];
    // One create per pair: link order is creation order.
    let pairs = vec![
        ps("p1", "sc_1"),
        ps("p1", "sc_2"),
        ps("p2", "sc_1"),
        ps("p3", "sc_3"),
        ps("p5", "sc_1"),
        ps("p4", "sc_4"),
        ps("p3", "sc_1"),
    ];
    let (link, q) = placed(p, postgres, &rows, pairs).await;
    link.dismiss(ps("p3", "sc_1")).await.unwrap();
    q
}

async fn run(q: &Query, req: &Value) -> Value {
    let r = q
        .graph(Graph::from_json(req).unwrap())
        .await
        .unwrap_or_else(|e| panic!("{req}: {e}"));
    serde_json::to_value(r).unwrap()
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

/// `(entity, filters, expected root ids)`.
fn filter_cases() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    vec![
        ("product", json!({"title": "Shirt"}), vec!["p1"]),
        ("product", json!({"title": {"$eq": "Shirt"}}), vec!["p1"]),
        (
            "product",
            json!({"title": {"$ne": "Shirt"}}),
            vec!["p2", "p3", "p4"],
        ),
        (
            "product",
            json!({"title": {"$in": ["Shirt", "Hat"]}}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"title": ["Shirt", "Hat"]}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"title": {"$nin": ["Shirt", "Hat"]}}),
            vec!["p2", "p3"],
        ),
        ("product", json!({"title": {"$in": []}}), vec![]),
        (
            "product",
            json!({"title": {"$nin": []}}),
            vec!["p1", "p2", "p3", "p4"],
        ),
        ("product", json!({"weight": {"$gt": 100}}), vec!["p3"]),
        (
            "product",
            json!({"weight": {"$gte": 100}}),
            vec!["p1", "p3"],
        ),
        ("product", json!({"weight": {"$lt": 100}}), vec!["p4"]),
        (
            "product",
            json!({"weight": {"$lte": 100}}),
            vec!["p1", "p4"],
        ),
        ("product", json!({"weight": null}), vec!["p2"]),
        ("product", json!({"weight": {"$eq": null}}), vec!["p2"]),
        (
            "product",
            json!({"weight": {"$ne": null}}),
            vec!["p1", "p3", "p4"],
        ),
        // `$ne` and `$nin` keep NULLs; `$not` is the complement.
        (
            "product",
            json!({"weight": {"$ne": 100}}),
            vec!["p2", "p3", "p4"],
        ),
        (
            "product",
            json!({"weight": {"$nin": [100, 300]}}),
            vec!["p2", "p4"],
        ),
        (
            "product",
            json!({"$not": {"weight": {"$gt": 100}}}),
            vec!["p1", "p2", "p4"],
        ),
        (
            "product",
            json!({"$not": {"weight": {"$in": [100]}}}),
            vec!["p2", "p3", "p4"],
        ),
        (
            "product",
            json!({"$not": {"weight": null}}),
            vec!["p1", "p3", "p4"],
        ),
        (
            "product",
            json!({"$not": {"$not": {"weight": {"$gt": 100}}}}),
            vec!["p3"],
        ),
        ("product", json!({"title": {"$like": "S%"}}), vec!["p1"]),
        (
            "product",
            json!({"title": {"$ilike": "s%"}}),
            vec!["p1", "p3"],
        ),
        (
            "product",
            json!({"$not": {"title": {"$like": "S%"}}}),
            vec!["p2", "p3", "p4"],
        ),
        (
            "product",
            json!({"weight": {"$gte": 50, "$lte": 100}}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"$and": [{"weight": {"$gte": 50}}, {"weight": {"$lte": 100}}]}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"$or": [{"title": "Pants"}, {"weight": 300}]}),
            vec!["p2", "p3"],
        ),
        (
            "product",
            json!({"$not": {"$or": [{"title": "Pants"}, {"weight": 300}]}}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"$not": {"title": "Shirt", "weight": 100}}),
            vec!["p2", "p3", "p4"],
        ),
        ("product", json!({}), vec!["p1", "p2", "p3", "p4"]),
        ("product", json!({"$not": {}}), vec![]),
        // relation filters through the link table
        (
            "product",
            json!({"sales_channels": {"name": "Web"}}),
            vec!["p1", "p2"],
        ),
        (
            "product",
            json!({"$not": {"sales_channels": {"name": "Web"}}}),
            vec!["p3", "p4"],
        ),
        (
            "product",
            json!({"sales_channels": {"name": "Nope"}}),
            vec![],
        ),
        (
            "product",
            json!({"$not": {"sales_channels": {"name": "Nope"}}}),
            vec!["p1", "p2", "p3", "p4"],
        ),
        (
            "product",
            json!({"sales_channels": {"description": null}}),
            vec!["p1"],
        ),
        (
            "product",
            json!({"sales_channels": {"$not": {"name": "Web"}}}),
            vec!["p1", "p3"],
        ),
        (
            "product",
            json!({"$not": {"sales_channels": {}}}),
            vec!["p4"],
        ),
        (
            "product",
            json!({"$or": [{"sales_channels": {"name": "Shop"}}, {"title": "Hat"}]}),
            vec!["p1", "p4"],
        ),
        (
            "product",
            json!({"sales_channels": {"carts": {"currency_code": "usd"}}}),
            vec!["p1", "p2", "p3"],
        ),
        (
            "product",
            json!({"$not": {"sales_channels": {"carts": {"currency_code": "usd"}}}}),
            vec!["p4"],
        ),
        (
            "sales_channel",
            json!({"products": {"title": "No such product"}}),
            vec![],
        ),
        (
            "sales_channel",
            json!({"$not": {"products": {"title": "No such product"}}}),
            vec!["sc_1", "sc_2", "sc_3"],
        ),
        (
            "sales_channel",
            json!({"products": {"weight": {"$gt": 200}}}),
            vec!["sc_3"],
        ),
        (
            "sales_channel",
            json!({"$not": {"products": {"weight": {"$ne": null}}}}),
            vec![],
        ),
        // read-only relations, both directions
        (
            "sales_channel",
            json!({"carts": {"currency_code": "eur"}}),
            vec!["sc_1", "sc_2"],
        ),
        (
            "sales_channel",
            json!({"$not": {"carts": {"currency_code": "usd"}}}),
            vec!["sc_2"],
        ),
        (
            "cart",
            json!({"sales_channel": {"name": "Web"}}),
            vec!["c1", "c2"],
        ),
        (
            "cart",
            json!({"$not": {"sales_channel": {"name": "Web"}}}),
            vec!["c3", "c4", "c5", "c6"],
        ),
        (
            "cart",
            json!({"$not": {"sales_channel": {"name": "Nope"}}}),
            vec!["c1", "c2", "c3", "c4", "c5", "c6"],
        ),
        (
            "cart",
            json!({"$not": {"sales_channel": {}}}),
            vec!["c4", "c6"],
        ),
        (
            "cart",
            json!({"sales_channel": {"name": {"$ilike": "w%"}}}),
            vec!["c1", "c2", "c5"],
        ),
        (
            "cart",
            json!({"sales_channel": {"products": {"title": "Shirt"}}}),
            vec!["c1", "c2", "c3"],
        ),
        (
            "cart",
            json!({"$not": {"sales_channel": {"products": {"title": "Shirt"}}}}),
            vec!["c4", "c5", "c6"],
        ),
    ]
}

/// `(request, expected result)` for nested lists and pages.
fn nested_cases() -> Vec<(Value, Value)> {
    vec![
        // A per-parent take keeps the first by the list's order, not the first links created.
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.title"], "nested": {"products": {"take": 1, "order": {"title": "ASC"}}}}),
            json!({"data": [
                {"id": "sc_1", "products": [{"title": "Pants"}]},
                {"id": "sc_2", "products": [{"title": "Shirt"}]},
                {"id": "sc_3", "products": [{"title": "socks"}]}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.title"], "nested": {"products": {"order": {"title": "DESC"}}}}),
            json!({"data": [
                {"id": "sc_1", "products": [{"title": "Shirt"}, {"title": "Pants"}]},
                {"id": "sc_2", "products": [{"title": "Shirt"}]},
                {"id": "sc_3", "products": [{"title": "socks"}]}
            ], "metadata": null}),
        ),
        // Without an order, link order.
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id"], "filters": {"id": "sc_1"}}),
            json!({"data": [{"id": "sc_1", "products": [{"id": "p1"}, {"id": "p2"}]}], "metadata": null}),
        ),
        (
            json!({"entity": "product", "fields": ["id", "sales_channels.name"], "nested": {"sales_channels": {"order": {"name": "DESC"}}}}),
            json!({"data": [
                {"id": "p1", "sales_channels": [{"name": "Web"}, {"name": "Shop"}]},
                {"id": "p2", "sales_channels": [{"name": "Web"}]},
                {"id": "p3", "sales_channels": [{"name": "Wholesale"}]},
                {"id": "p4", "sales_channels": []}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "carts.id"], "nested": {"carts": {"take": 1, "order": {"currency_code": "DESC"}}}}),
            json!({"data": [
                {"id": "sc_1", "carts": [{"id": "c2"}]},
                {"id": "sc_2", "carts": [{"id": "c3"}]},
                {"id": "sc_3", "carts": [{"id": "c5"}]}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "product", "fields": ["id", "sales_channels.carts.id"], "filters": {"id": "p1"}}),
            json!({"data": [{"id": "p1", "sales_channels": [
                {"carts": [{"id": "c1"}, {"id": "c2"}]},
                {"carts": [{"id": "c3"}]}
            ]}], "metadata": null}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"filters": {"weight": {"$ne": 100}}}}}),
            json!({"data": [
                {"id": "sc_1", "products": [{"id": "p2"}]},
                {"id": "sc_2", "products": []},
                {"id": "sc_3", "products": [{"id": "p3"}]}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "cart", "fields": ["id", "sales_channel.name"], "filters": {"currency_code": "eur"}}),
            json!({"data": [
                {"id": "c1", "sales_channel": {"name": "Web"}},
                {"id": "c3", "sales_channel": {"name": "Shop"}},
                {"id": "c4", "sales_channel": null},
                {"id": "c6", "sales_channel": null}
            ], "metadata": null}),
        ),
        // Per-parent takes in link order and by primary key (a lateral join on Postgres).
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"take": 1}}}),
            json!({"data": [
                {"id": "sc_1", "products": [{"id": "p1"}]},
                {"id": "sc_2", "products": [{"id": "p1"}]},
                {"id": "sc_3", "products": [{"id": "p3"}]}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id", "carts.id"], "nested": {"products": {"take": 1, "order": {"id": "DESC"}}, "carts": {"take": 1, "order": {"id": "DESC"}}}}),
            json!({"data": [
                {"id": "sc_1", "products": [{"id": "p2"}], "carts": [{"id": "c2"}]},
                {"id": "sc_2", "products": [{"id": "p1"}], "carts": [{"id": "c3"}]},
                {"id": "sc_3", "products": [{"id": "p3"}], "carts": [{"id": "c5"}]}
            ], "metadata": null}),
        ),
        (
            json!({"entity": "product", "fields": ["id", "sales_channels.carts.id"], "nested": {"sales_channels": {"take": 1}, "sales_channels.carts": {"take": 1}}, "filters": {"id": {"$in": ["p1", "p3"]}}}),
            json!({"data": [
                {"id": "p1", "sales_channels": [{"carts": [{"id": "c1"}]}]},
                {"id": "p3", "sales_channels": [{"carts": [{"id": "c5"}]}]}
            ], "metadata": null}),
        ),
        // NULLs sort last ascending, first descending, on both dialects.
        (
            json!({"entity": "product", "fields": ["id"], "pagination": {"order": {"weight": "ASC"}}}),
            json!({"data": [{"id": "p4"}, {"id": "p1"}, {"id": "p3"}, {"id": "p2"}], "metadata": null}),
        ),
        (
            json!({"entity": "product", "fields": ["id"], "pagination": {"order": {"weight": "DESC"}, "take": 2}}),
            json!({"data": [{"id": "p2"}, {"id": "p3"}], "metadata": {"count": 4, "skip": 0, "take": 2}}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id"], "filters": {"id": "sc_1"}, "nested": {"products": {"order": {"weight": "DESC"}}}}),
            json!({"data": [{"id": "sc_1", "products": [{"id": "p2"}, {"id": "p1"}]}], "metadata": null}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id", "products.id"], "filters": {"id": "sc_1"}, "nested": {"products": {"take": 1, "order": {"weight": "ASC"}}}}),
            json!({"data": [{"id": "sc_1", "products": [{"id": "p1"}]}], "metadata": null}),
        ),
        // pages through relation filters, counted
        (
            json!({"entity": "product", "fields": ["id"], "filters": {"$not": {"sales_channels": {"name": "Web"}}}, "pagination": {"skip": 1, "take": 1}}),
            json!({"data": [{"id": "p4"}], "metadata": {"count": 2, "skip": 1, "take": 1, "next": cursor_of(json!(["p4"]))}}),
        ),
        (
            json!({"entity": "sales_channel", "fields": ["id"], "filters": {"carts": {"currency_code": "eur"}}, "pagination": {"skip": 1, "take": 1}}),
            json!({"data": [{"id": "sc_2"}], "metadata": {"count": 2, "skip": 1, "take": 1, "next": cursor_of(json!(["sc_2"]))}}),
        ),
        (
            json!({"entity": "cart", "fields": ["id"], "filters": {"$not": {"sales_channel": {"name": "Web"}}}, "pagination": {"skip": 2}}),
            json!({"data": [{"id": "c5"}, {"id": "c6"}], "metadata": {"count": 4, "skip": 2, "take": null}}),
        ),
    ]
}

async fn check_placements(postgres: bool) {
    let mut failures = Vec::new();
    for p in PLACEMENTS {
        let q = setup(p, postgres).await;
        for (entity, filters, expected) in filter_cases() {
            let req = json!({"entity": entity, "fields": ["id"], "filters": filters});
            let got = ids(&run(&q, &req).await);
            if got != expected {
                failures.push(format!(
                    "{p:?}: {req}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        for (req, expected) in nested_cases() {
            let got = run(&q, &req).await;
            if got != expected {
                failures.push(format!(
                    "{p:?}: {req}\n  expected {expected}\n  got      {got}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn every_placement_gives_the_single_database_answer_on_sqlite() {
    check_placements(false).await;
}

#[tokio::test]
async fn every_placement_gives_the_single_database_answer_on_postgres() {
    if link_tests::pg_url().is_none() {
        link_tests::require_postgres();
        return;
    }
    check_placements(true).await;
}

/// SQLite 3.51–3.53 re-emits a parent once per extra matching child under
/// `OFFSET` when a correlated `EXISTS` becomes a join loop; the statements
/// Query writes must page right on the bundled version too.
#[tokio::test]
async fn pages_through_a_has_many_relation_filter() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        for p in [Placement::One, Placement::TargetApart] {
            let rows = [
                (
                    "sales_channel",
                    r#"INSERT INTO "sales_channel" ("id", "name") VALUES ('sc_1', 'A'), ('sc_2', 'B'), ('sc_3', 'C');"#.to_string(),
                ),
                (
                    "cart",
                    r#"INSERT INTO "cart" ("id", "sales_channel_id", "currency_code") VALUES
                        ('cart_1', 'sc_1', 'eur'), ('cart_2', 'sc_1', 'eur'), ('cart_3', 'sc_2', 'eur'), ('cart_4', 'sc_3', 'eur');"#.to_string(),
                ),
            ];
            let (_, q) = placed(p, postgres, &rows, Vec::new()).await;
            let mut pages = Vec::new();
            for skip in 0..3 {
                let r = run(&q, &json!({"entity": "sales_channel", "fields": ["id"], "filters": {"carts": {"currency_code": "eur"}}, "pagination": {"skip": skip, "take": 1}})).await;
                assert_eq!(r["metadata"]["count"], 3, "{p:?} postgres={postgres}");
                pages.extend(ids(&r));
            }
            assert_eq!(pages, ["sc_1", "sc_2", "sc_3"], "{p:?} postgres={postgres}");
        }
    }
}

/// More parents than one key list takes (1,000): the semi-join, prefetch
/// and bound-array paths, in every placement.
#[tokio::test]
async fn roots_above_the_key_list_threshold() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        for p in PLACEMENTS {
            let n = 1500;
            let pairs: Vec<Value> = (0..n)
                .map(|i| {
                    ps(
                        &format!("p{i:04}"),
                        if i % 3 == 0 { "sc_a" } else { "sc_b" },
                    )
                })
                .collect();
            let rows = [
                ("product", products_sql(n, |i| format!("T{}", n - i))),
                (
                    "sales_channel",
                    r#"INSERT INTO "sales_channel" ("id", "name") VALUES ('sc_a', 'A'), ('sc_b', 'B');"#.to_string(),
                ),
            ];
            let (_, q) = placed(p, postgres, &rows, vec![Value::Array(pairs)]).await;
            let all = run(
                &q,
                &json!({"entity": "product", "fields": ["id", "sales_channels.name"]}),
            )
            .await;
            let data = all["data"].as_array().unwrap();
            assert_eq!(data.len(), n, "{p:?}");
            for (i, row) in data.iter().enumerate() {
                let name = if i % 3 == 0 { "A" } else { "B" };
                assert_eq!(
                    row,
                    &json!({"id": format!("p{i:04}"), "sales_channels": [{"name": name}]}),
                    "{p:?}"
                );
            }
            // A page larger than the key list, through a relation filter.
            let page = run(&q, &json!({"entity": "product", "fields": ["id", "sales_channels.id"], "filters": {"$not": {"sales_channels": {"name": "A"}}}, "pagination": {"take": 1200, "skip": 10}})).await;
            assert_eq!(page["metadata"]["count"], 1000, "{p:?}");
            let got = ids(&page);
            let expected: Vec<String> = (0..n)
                .filter(|i| i % 3 != 0)
                .skip(10)
                .map(|i| format!("p{i:04}"))
                .collect();
            assert_eq!(got, expected, "{p:?}");
            // One parent with 1,000 children, ordered and cut.
            let chans = run(&q, &json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"take": 3, "order": {"weight": "DESC"}}}})).await;
            assert_eq!(
                chans["data"],
                json!([
                    {"id": "sc_a", "products": [{"id": "p1497"}, {"id": "p1494"}, {"id": "p1491"}]},
                    {"id": "sc_b", "products": [{"id": "p1499"}, {"id": "p1498"}, {"id": "p1496"}]}
                ]),
                "{p:?}"
            );
        }
    }
}

/// The statements of `req` on each database of `q`'s placement, in order.
async fn statements(q: &Query, dbs: &[&Db], req: Value) -> Vec<Vec<String>> {
    for db in dbs {
        db.record_statements(true);
    }
    run(q, &req).await;
    let out = dbs.iter().map(|db| db.recorded_statements()).collect();
    for db in dbs {
        db.record_statements(false);
    }
    out
}

/// The exact statements, per database, of three requests in three
/// placements on both dialects: a has-many relation filter under
/// `OFFSET` (SQLite's `EXISTS … LIMIT 1`), `$not` over keys resolved in
/// another database (NULL kept, one bound array), and a nested list whose
/// link table and target live apart (link rows, then ranked targets), and
/// a page with its only list (one statement with the page on Postgres).
#[tokio::test]
async fn statements_per_placement() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        let dialect = if postgres { "postgres" } else { "sqlite" };
        for p in [Placement::One, Placement::TargetApart, Placement::AllApart] {
            let q = setup(p, postgres).await;
            let dbs = q.databases().clone();
            let list = [dbs.default_db(), dbs.get("products"), dbs.get("channels")];
            // A page with its only list: one statement with the page on
            // Postgres in one database (and the count beside it).
            let page = json!({"entity": "product", "fields": ["id", "sales_channels.name"], "pagination": {"take": 2, "skip": 1}});
            let mut got = run(&q, &page).await;
            // A full page: a cursor after p3 (the same wherever it is read).
            let next = got["metadata"]["next"].take();
            assert_eq!(
                next,
                json!(link_tests::cursor_of(json!(["p3"]))),
                "{p:?} {dialect}"
            );
            got["metadata"].as_object_mut().unwrap().remove("next");
            assert_eq!(
                (&got["data"], &got["metadata"]),
                (
                    &json!([
                        {"id": "p2", "sales_channels": [{"name": "Web"}]},
                        {"id": "p3", "sales_channels": [{"name": "Wholesale"}]}
                    ]),
                    &json!({"count": 4, "skip": 1, "take": 2})
                ),
                "{p:?} {dialect}"
            );
            let mut out = String::new();
            for req in [
                json!({"entity": "sales_channel", "fields": ["id"], "filters": {"carts": {"currency_code": "eur"}}, "pagination": {"take": 1, "skip": 1}}),
                json!({"entity": "cart", "fields": ["id"], "filters": {"$not": {"sales_channel": {"name": "Web"}}}}),
                json!({"entity": "sales_channel", "fields": ["id", "products.title"], "nested": {"products": {"take": 1, "order": {"title": "ASC"}}}}),
                json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"take": 2}}}),
                json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"take": 2, "order": {"id": "DESC"}}}}),
                page.clone(),
            ] {
                out.push_str(&format!("# {req}\n"));
                let per_db = statements(&q, &list, req).await;
                for (name, sqls) in ["default", "products", "channels"].iter().zip(per_db) {
                    for sql in sqls {
                        out.push_str(&format!("[{name}] {sql}\n"));
                    }
                }
                out.push('\n');
            }
            insta::assert_snapshot!(format!("statements_{dialect}_{p:?}"), out);
        }
    }
}

/// Cursor pages and streams read every root once, in order, in every
/// placement, with nested relations; counts follow the count mode.
#[tokio::test]
async fn cursor_pages_and_streams() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        for p in [Placement::One, Placement::AllApart] {
            let n = 1500;
            let pairs: Vec<Value> = (0..n)
                .step_by(2)
                .map(|i| ps(&format!("p{i:04}"), "sc_a"))
                .collect();
            let rows = [
                (
                    "product",
                    products_sql(n, |i| format!("T{:04}", (i * 7) % n)),
                ),
                (
                    "sales_channel",
                    r#"INSERT INTO "sales_channel" ("id", "name") VALUES ('sc_a', 'A');"#
                        .to_string(),
                ),
            ];
            let (_, q) = placed(p, postgres, &rows, vec![Value::Array(pairs)]).await;
            for order in [json!({}), json!({"title": "DESC"})] {
                let all = run(&q, &json!({"entity": "product", "fields": ["id", "title", "sales_channels.id"], "pagination": {"order": order}})).await;
                let mut pages = Vec::new();
                let mut after: Option<String> = None;
                loop {
                    let mut req = json!({"entity": "product", "fields": ["id", "title", "sales_channels.id"], "pagination": {"order": order, "take": 400}});
                    if let Some(a) = &after {
                        req["pagination"]["after"] = json!(a);
                    }
                    let page = run(&q, &req).await;
                    assert_eq!(page["metadata"]["count"], n, "{p:?}");
                    pages.extend(page["data"].as_array().unwrap().iter().cloned());
                    match page["metadata"]["next"].as_str() {
                        Some(next) => after = Some(next.to_string()),
                        None => break,
                    }
                }
                assert_eq!(Value::Array(pages), all["data"], "{p:?} {order}");
                let mut streamed = Vec::new();
                let mut s = q.stream(
                    Graph::from_json(&json!({"entity": "product", "fields": ["id", "title", "sales_channels.id"], "pagination": {"order": order}})).unwrap(),
                    500,
                );
                let mut chunks = 0;
                while let Some(chunk) = s.next().await {
                    chunks += 1;
                    streamed.extend(chunk.unwrap());
                }
                assert_eq!(chunks, 3, "{p:?}");
                assert_eq!(Value::Array(streamed), all["data"], "{p:?} {order}");
            }
            // A page that is not full has no next cursor; `count: none` still pages.
            let last = run(&q, &json!({"entity": "product", "fields": ["id"], "pagination": {"take": 1000, "count": "none", "after": link_cursor(&q, 1000).await}})).await;
            assert_eq!(last["data"].as_array().unwrap().len(), 500);
            assert_eq!(last["metadata"], json!({"skip": 0, "take": 1000}));
            // Mistakes are refused before any statement.
            let err = async |req: Value| {
                q.graph(Graph::from_json(&req).unwrap())
                    .await
                    .unwrap_err()
                    .to_string()
            };
            assert_eq!(
                err(json!({"entity": "product", "pagination": {"take": 1, "skip": 1, "after": "c15b5d"}})).await,
                "invalid pagination: `after` and `skip` exclude each other"
            );
            assert_eq!(
                err(json!({"entity": "product", "pagination": {"take": 1, "after": "c15b5d"}}))
                    .await,
                "invalid pagination: `after` is not a cursor of this request's order: \"c15b5d\""
            );
            assert_eq!(
                err(json!({"entity": "product", "pagination": {"take": 1, "after": "nope"}})).await,
                "invalid pagination: `after` is not a cursor of this request's order: \"nope\""
            );
            assert_eq!(
                err(json!({"entity": "product", "pagination": {"take": 1, "order": {"weight": "ASC"}, "after": "c15b5d"}})).await,
                "invalid pagination: `after` needs a root order of fields that are never NULL, of text, number, boolean, date or timestamp type (and such a primary key); `product` is ordered otherwise"
            );
            let mut s = q.stream(
                Graph::new("product")
                    .fields(["id"])
                    .order("weight", link_runtime::Dir::Asc),
                100,
            );
            assert_eq!(
                s.next().await.unwrap().unwrap_err().to_string(),
                "invalid pagination: cannot stream `product`: its order needs fields that are never NULL, of text, number, boolean, date or timestamp type"
            );
            assert!(s.next().await.is_none());
        }
    }
}

/// The cursor after the first `n` products by id.
async fn link_cursor(q: &Query, n: u64) -> String {
    let page = run(
        q,
        &json!({"entity": "product", "fields": ["id"], "pagination": {"take": n}}),
    )
    .await;
    page["metadata"]["next"].as_str().unwrap().to_string()
}

/// Top-N per parent by the target's primary key (a lateral join on
/// Postgres, in one statement with the roots when they are read whole) and
/// streams whose children are read by key range: the same rows as the
/// window plan and as one `graph`, in every placement, on both dialects
/// (soft-deleted products, a dismissed link, a deleted channel).
#[tokio::test]
async fn top_n_by_key_and_ranged_streams() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        for p in [Placement::One, Placement::TargetApart, Placement::AllApart] {
            let q = setup(p, postgres).await;
            let top = |dir: &str, take: u64| json!({"entity": "sales_channel", "fields": ["id", "products.id"], "nested": {"products": {"take": take, "order": {"id": dir}}}});
            assert_eq!(
                run(&q, &top("DESC", 2)).await["data"],
                json!([
                    {"id": "sc_1", "products": [{"id": "p2"}, {"id": "p1"}]},
                    {"id": "sc_2", "products": [{"id": "p1"}]},
                    {"id": "sc_3", "products": [{"id": "p3"}]}
                ]),
                "{p:?} postgres={postgres}"
            );
            assert_eq!(
                run(&q, &top("ASC", 1)).await["data"],
                json!([
                    {"id": "sc_1", "products": [{"id": "p1"}]},
                    {"id": "sc_2", "products": [{"id": "p1"}]},
                    {"id": "sc_3", "products": [{"id": "p3"}]}
                ]),
                "{p:?} postgres={postgres}"
            );
            // A page of roots keeps its own statement.
            let mut paged = top("ASC", 1);
            paged["pagination"] = json!({"take": 1, "skip": 1});
            assert_eq!(
                run(&q, &paged).await["data"],
                json!([{"id": "sc_2", "products": [{"id": "p1"}]}]),
                "{p:?} postgres={postgres}"
            );
            // Streams in chunks of 2: chunk ranges hold the soft-deleted
            // p5, whose link is dropped.
            let req = json!({"entity": "product", "fields": ["id", "sales_channels.id"]});
            let all = run(&q, &req).await;
            assert_eq!(
                all["data"],
                json!([
                    {"id": "p1", "sales_channels": [{"id": "sc_1"}, {"id": "sc_2"}]},
                    {"id": "p2", "sales_channels": [{"id": "sc_1"}]},
                    {"id": "p3", "sales_channels": [{"id": "sc_3"}]},
                    {"id": "p4", "sales_channels": []}
                ])
            );
            for chunk in [1, 2, 3, 4, 5] {
                assert_eq!(
                    streamed(&q, &req, chunk).await,
                    all["data"],
                    "{p:?} chunk {chunk}"
                );
            }
        }
    }
}

/// Links created at the same instant under one parent come in byte order
/// of their ids on both dialects, whatever the database's collation, and a
/// stream (whose chunk children Postgres leaves unsorted for the client to
/// sort) returns what `graph` returns.
#[tokio::test]
async fn link_order_ties_break_on_id_bytes() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        let q = setup(Placement::One, postgres).await;
        let db = q.databases().default_db().clone();
        // p1's links: sc_1 created first, sc_2 second; same instant now, and
        // the later one's id sorts first byte-wise (`B` < `b`), last in a
        // case-insensitive locale.
        db.execute_script(
            r#"UPDATE "product_product_sales_channel_sales_channel" SET "created_at" = (SELECT MIN("created_at") FROM "product_product_sales_channel_sales_channel"), "id" = CASE "sales_channel_id" WHEN 'sc_1' THEN 'l_b' ELSE 'l_B' END WHERE "product_id" = 'p1'"#,
        )
        .await
        .unwrap();
        let req = json!({"entity": "product", "fields": ["id", "sales_channels.id"]});
        let all = run(&q, &req).await;
        assert_eq!(
            all["data"][0],
            json!({"id": "p1", "sales_channels": [{"id": "sc_2"}, {"id": "sc_1"}]}),
            "postgres={postgres}"
        );
        for chunk in [1, 3] {
            assert_eq!(
                streamed(&q, &req, chunk).await,
                all["data"],
                "chunk {chunk} postgres={postgres}"
            );
        }
    }
}

/// A link table whose `created_at` is a `timestamp` without time zone (a
/// database made by hand, not by the generated DDL) streams in link order
/// as `graph` reads it: the client's sort reads either timestamp type.
#[tokio::test]
async fn streams_sort_links_of_either_timestamp_type() {
    if link_tests::pg_url().is_none() {
        link_tests::require_postgres();
        return;
    }
    let q = setup(Placement::One, true).await;
    let db = q.databases().default_db().clone();
    // p1's links created in the order sc_2, sc_1: not their key order.
    db.execute_script(
        r#"ALTER TABLE "product_product_sales_channel_sales_channel" ALTER COLUMN "created_at" TYPE timestamp;
           UPDATE "product_product_sales_channel_sales_channel" SET "created_at" = TIMESTAMP '2024-01-02 00:00:00' WHERE "product_id" = 'p1' AND "sales_channel_id" = 'sc_1';
           UPDATE "product_product_sales_channel_sales_channel" SET "created_at" = TIMESTAMP '2024-01-01 00:00:00' WHERE "product_id" = 'p1' AND "sales_channel_id" = 'sc_2'"#,
    )
    .await
    .unwrap();
    let req = json!({"entity": "product", "fields": ["id", "sales_channels.id"]});
    let all = run(&q, &req).await;
    assert_eq!(
        all["data"],
        json!([
            {"id": "p1", "sales_channels": [{"id": "sc_2"}, {"id": "sc_1"}]},
            {"id": "p2", "sales_channels": [{"id": "sc_1"}]},
            {"id": "p3", "sales_channels": [{"id": "sc_3"}]},
            {"id": "p4", "sales_channels": []}
        ])
    );
    for chunk in [1, 3, 10] {
        assert_eq!(
            streamed(&q, &req, chunk).await,
            all["data"],
            "chunk {chunk}"
        );
    }
}

/// Every root `req` streams in chunks of `chunk`, as one JSON array; the
/// JSON text stream of the same request writes each root's object as
/// `serde_json` writes it, in the same chunks.
async fn streamed(q: &Query, req: &Value, chunk: u64) -> Value {
    let mut s = q.stream(Graph::from_json(req).unwrap(), chunk);
    let mut t = q.stream_json(Graph::from_json(req).unwrap(), chunk);
    let mut all = Vec::new();
    while let Some(rows) = s.next().await {
        let rows = rows.unwrap();
        let texts: Vec<String> = t
            .next()
            .await
            .expect("a text chunk for each chunk")
            .unwrap()
            .iter()
            .map(|r| r.get().to_string())
            .collect();
        let written: Vec<String> = rows
            .iter()
            .map(|v| serde_json::to_string(v).unwrap())
            .collect();
        assert_eq!(texts, written, "{req} chunk {chunk}");
        all.extend(rows);
    }
    assert!(t.next().await.is_none(), "{req} chunk {chunk}");
    Value::Array(all)
}

/// The JSON text stream writes what the JSON stream yields, byte for byte,
/// for every kind of value (escaped text, floats, booleans, JSON columns,
/// NULLs, timestamps in both shapes, lists, an absent to-one relation),
/// with every module in one database and in three, on both dialects.
#[tokio::test]
async fn json_text_streams_write_what_stream_yields() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        for p in [Placement::One, Placement::AllApart] {
            let q = setup(p, postgres).await;
            let dbs = q.databases();
            let db = |m: &str| dbs.get(&q.graph_def().module(m).unwrap().data_source);
            db("product")
                .execute_script(
                    r#"UPDATE "product" SET "title" = 'A "quoted" \ shirt, ü', "height" = 0.25, "is_giftcard" = TRUE, "metadata" = '{"b": [1, 2.5, null], "a": "x"}', "created_at" = '2026-12-01 18:00:02.619531+00:00' WHERE "id" = 'p1'"#,
                )
                .await
                .unwrap();
            db("sales_channel")
                .execute_script(r#"UPDATE "sales_channel" SET "created_at" = '2026-11-30 08:15:00+00:00', "metadata" = '[true]' WHERE "id" = 'sc_1'"#)
                .await
                .unwrap();
            let product = json!({"entity": "product", "fields": ["id", "title", "weight", "height", "is_giftcard", "metadata", "subtitle", "created_at", "sales_channels.id", "sales_channels.name", "sales_channels.description", "sales_channels.metadata", "sales_channels.created_at"]});
            let cart = json!({"entity": "cart", "fields": ["id", "currency_code", "sales_channel.id", "sales_channel.name"]});
            let mut medusa = product.clone();
            medusa["shape"] = json!("medusa");
            for req in [&product, &cart, &medusa] {
                let all = run(&q, req).await;
                for chunk in [1, 2, 10] {
                    assert_eq!(streamed(&q, req, chunk).await, all["data"], "{p:?} {req}");
                }
            }
            // The first product as Medusa writes it, on both dialects.
            let mut t = q.stream_json(Graph::from_json(&medusa).unwrap(), 1);
            let first = t.next().await.unwrap().unwrap();
            assert_eq!(
                first[0].get(),
                r#"{"created_at":"2026-12-01T18:00:02.619Z","height":0.25,"id":"p1","is_giftcard":true,"metadata":{"a":"x","b":[1,2.5,null]},"sales_channels":[{"created_at":"2026-11-30T08:15:00.000Z","description":"Online","id":"sc_1","metadata":[true],"name":"Web"},{"created_at":null,"description":null,"id":"sc_2","metadata":null,"name":"Shop"}],"subtitle":null,"title":"A \"quoted\" \\ shirt, ü","weight":100}"#,
                "{p:?} postgres={postgres}"
            );
        }
    }
}

/// The statements of a stream in one database: each chunk's roots after
/// the last one's key, its children as a key range of the link table.
#[tokio::test]
async fn stream_statements() {
    for postgres in [false, true] {
        if postgres && link_tests::pg_url().is_none() {
            link_tests::require_postgres();
            continue;
        }
        let q = setup(Placement::One, postgres).await;
        let db = q.databases().default_db().clone();
        db.record_statements(true);
        let mut s = q.stream(Graph::new("product").fields(["id", "sales_channels.id"]), 3);
        let mut n = 0;
        while let Some(rows) = s.next().await {
            n += rows.unwrap().len();
        }
        assert_eq!(n, 4);
        let mut stmts = db.recorded_statements();
        db.record_statements(false);
        // Roots of chunk 2 and children of chunk 1 are read concurrently.
        stmts.sort();
        let dialect = if postgres { "postgres" } else { "sqlite" };
        insta::assert_snapshot!(format!("stream_statements_{dialect}"), stmts.join("\n"));
    }
}

/// Derived selections (checked against the storefront's generated paths,
/// whose names this graph shares) in every placement: exactly what the
/// equivalent JSON request returns, and the single-database answer, nested
/// lists across databases and `_link` rows included.
mod derived {
    use link_runtime::{Dir, NestedList, Select};
    use serde::Deserialize;
    use storefront::links::{ProductId, SalesChannelId, paths};

    use super::*;

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::Product)]
    struct ProductCard {
        id: ProductId,
        title: String,
        sales_channels: Vec<Channel>,
        sales_channels_link: Vec<LinkRow>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::SalesChannel)]
    struct Channel {
        id: SalesChannelId,
        name: String,
        description: Option<String>,
    }

    #[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
    #[select(entity = paths::ProductSalesChannel)]
    struct LinkRow {
        sales_channel_id: SalesChannelId,
    }

    #[tokio::test]
    async fn derived_selections_in_every_placement() {
        for postgres in [false, true] {
            if postgres && link_tests::pg_url().is_none() {
                link_tests::require_postgres();
                continue;
            }
            let mut single: Option<Vec<ProductCard>> = None;
            for p in PLACEMENTS {
                let q = setup(p, postgres).await;
                let at = format!("{p:?}, postgres: {postgres}");
                let root = paths::Product::root();
                let typed = Select::new().order_by(root.title(), Dir::Asc).nested(
                    root.sales_channels(),
                    NestedList::new().order_by(paths::SalesChannel::root().name(), Dir::Desc),
                );
                let a = q.fetch::<ProductCard>(typed).await.unwrap().data;
                let json = Graph::from_json(&json!({
                    "entity": "product",
                    "fields": ["id", "title", "sales_channels.id", "sales_channels.name",
                        "sales_channels.description", "sales_channels_link.sales_channel_id"],
                    "pagination": {"order": {"title": "ASC"}},
                    "nested": {"sales_channels": {"order": {"name": "DESC"}}},
                }))
                .unwrap();
                let b = q.graph_as::<ProductCard>(json).await.unwrap().data;
                assert_eq!(a, b, "{at}");
                match &single {
                    None => {
                        let rows: Vec<(&str, &str, Vec<&str>)> = a
                            .iter()
                            .map(|r| {
                                (
                                    r.id.as_str(),
                                    r.title.as_str(),
                                    r.sales_channels.iter().map(|c| c.name.as_str()).collect(),
                                )
                            })
                            .collect();
                        assert_eq!(
                            rows,
                            [
                                ("p4", "Hat", vec![]),
                                ("p2", "Pants", vec!["Web"]),
                                ("p1", "Shirt", vec!["Web", "Shop"]),
                                ("p3", "socks", vec!["Wholesale"]),
                            ],
                            "{at}"
                        );
                        assert_eq!(
                            a[2].sales_channels[0].description.as_deref(),
                            Some("Online")
                        );
                        assert_eq!(a[2].sales_channels[1].description, None);
                        let links: Vec<&str> = a[2]
                            .sales_channels_link
                            .iter()
                            .map(|l| l.sales_channel_id.as_str())
                            .collect();
                        assert_eq!(links, ["sc_1", "sc_2"], "{at}");
                        single = Some(a);
                    }
                    Some(one) => assert_eq!(&a, one, "{at}"),
                }
            }
        }
    }
}
