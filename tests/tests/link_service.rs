//! The Link service on SQLite always and on Postgres when LINK_TEST_PG_URL is
//! set: every test body runs once per database.

use link_runtime::{Db, Error, LinkValue, ListFilter, Selection};
use link_tests::databases;
use link_tests::service::setup;
use serde_json::{Value, json};

fn ps(product: &str, channel: &str) -> Value {
    json!({ "product": { "product_id": product }, "sales_channel": { "sales_channel_id": channel } })
}

fn pairs(rows: &[link_runtime::LinkRow]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.left.clone(), r.right.clone()))
        .collect();
    v.sort();
    v
}

fn p(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

/// Every row of a link table as text, ordered: for byte-for-byte comparisons.
async fn dump(db: &Db, table: &str) -> Vec<Vec<Value>> {
    use link_model::ScalarType::Text;
    let sql = link_runtime::db::Sql::raw(
        db.dialect(),
        format!(
            "SELECT CAST(\"id\" AS TEXT), CAST(\"created_at\" AS TEXT), CAST(\"updated_at\" AS TEXT), CAST(\"deleted_at\" AS TEXT) FROM \"{table}\" ORDER BY \"id\""
        ),
    );
    db.fetch(&sql, &[Text, Text, Text, Text]).await.unwrap()
}

#[tokio::test]
async fn create_single_bulk_and_with_extras_applies_defaults() {
    for db in databases().await {
        let link = setup(&db).await;
        let one = link.create(ps("p1", "sc1")).await.unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            one[0].id.starts_with("prefix_") && one[0].id.len() == "prefix_".len() + 26,
            "{}",
            one[0].id
        );
        assert_eq!(one[0].data["extra_field"], json!(-1), "default applied");
        assert_eq!(one[0].data["another_field"], Value::Null);
        assert_eq!(one[0].deleted_at, Value::Null);
        assert!(one[0].created_at.is_string());

        let mut with = ps("p1", "sc2");
        with["data"] = json!({ "extra_field": 333, "another_field": "x" });
        let rows = link.create(with).await.unwrap();
        assert_eq!(
            rows[0].data,
            json!({"extra_field": 333, "another_field": "x"})
                .as_object()
                .unwrap()
                .clone()
        );

        let bulk = link
            .create(json!([ps("p2", "sc1"), ps("p2", "sc2")]))
            .await
            .unwrap();
        assert_eq!(pairs(&bulk), vec![p("p2", "sc1"), p("p2", "sc2")]);

        let all = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1", "p2"])]),
                false,
            )
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert!(all.iter().all(|r| r.link == "product_sales_channel"));
    }
}

#[tokio::test]
async fn either_module_order_and_upsert_keeps_id() {
    for db in databases().await {
        let link = setup(&db).await;
        let a = link.create(ps("p1", "sc1")).await.unwrap();
        // Reversed order (Medusa issue #8217) resolves to the same link and row.
        let reversed = json!({ "sales_channel": { "sales_channel_id": "sc1" }, "product": { "product_id": "p1" } });
        let b = link.create(reversed).await.unwrap();
        assert_eq!(a[0].id, b[0].id, "an existing row keeps its id");
        assert_eq!(pairs(&b), vec![p("p1", "sc1")]);
    }
}

#[tokio::test]
async fn dismiss_single_and_bulk_returns_exactly_the_dismissed_rows() {
    for db in databases().await {
        let link = setup(&db).await;
        link.create(json!([ps("p1", "sc1"), ps("p1", "sc2"), ps("p2", "sc1")]))
            .await
            .unwrap();
        let one = link.dismiss(ps("p1", "sc1")).await.unwrap();
        assert_eq!(pairs(&one), vec![p("p1", "sc1")]);
        assert!(one[0].deleted_at.is_string());
        // Unknown pairs are ignored; dismissed ones are not dismissed twice.
        let bulk = link
            .dismiss(json!([
                ps("p1", "sc2"),
                ps("p2", "sc1"),
                ps("p9", "sc9"),
                ps("p1", "sc1")
            ]))
            .await
            .unwrap();
        assert_eq!(pairs(&bulk), vec![p("p1", "sc2"), p("p2", "sc1")]);
        let live = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1", "p2"])]),
                false,
            )
            .await
            .unwrap();
        assert!(live.is_empty());
        let with_deleted = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1", "p2"])]),
                true,
            )
            .await
            .unwrap();
        assert_eq!(with_deleted.len(), 3);
    }
}

#[tokio::test]
async fn dismiss_then_recreate_keeps_old_extra_and_updates_supplied() {
    for db in databases().await {
        let link = setup(&db).await;
        let mut v = ps("p1", "sc1");
        v["data"] = json!({ "extra_field": 333, "another_field": "original" });
        let first = link.create(v).await.unwrap();
        link.dismiss(ps("p1", "sc1")).await.unwrap();
        let mut again = ps("p1", "sc1");
        again["data"] = json!({ "another_field": "changed" });
        let revived = link.create(again).await.unwrap();
        assert_eq!(revived.len(), 1);
        assert_eq!(revived[0].id, first[0].id);
        assert_eq!(revived[0].data["extra_field"], json!(333));
        assert_eq!(revived[0].data["another_field"], json!("changed"));
        assert_eq!(revived[0].deleted_at, Value::Null);
        let live = link
            .list(
                &ListFilter::Pairs(vec![LinkValue::new(
                    "product_sales_channel",
                    "p1",
                    "sc1",
                    Default::default(),
                )]),
                false,
            )
            .await
            .unwrap();
        assert_eq!(live.len(), 1);
    }
}

#[tokio::test]
async fn typed_errors_name_the_valid_choices() {
    for db in databases().await {
        let link = setup(&db).await;
        // The seed document's stock-location example.
        let wrong = json!({
            "sales_channel": { "sales_channel_id": "sc_123" },
            "stock_location": { "sales_channel_id": "sloc_123" }
        });
        let e = link.create(wrong).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "stock_location has no linkable key `sales_channel_id`; expected `stock_location_id`"
        );
        let e = link
            .create(
                json!({"prodcut": {"product_id": "p"}, "sales_channel": {"sales_channel_id": "s"}}),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown module `prodcut`; expected one of `product`, `sales_channel`, `stock_location`, `cart`, `payment`, `brand`, `inventory` or `stock`"
        );
        let e = link
            .create(json!({"product": {"product_id": "p"}}))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid link value: a link names exactly two modules (plus optional `data`); found `product`"
        );
        let mut v = ps("p1", "sc1");
        v["data"] = json!({ "extra": 1 });
        let e = link.create(v).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "extra column `extra` of link `product_sales_channel` does not exist; expected `extra_field` or `another_field`"
        );
        let mut v = ps("p1", "sc1");
        v["data"] = json!({ "extra_field": "abc" });
        let e = link.create(v).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "extra column `extra_field` of link `product_sales_channel` expects an integer, found \"abc\""
        );
        let e = link
            .delete(&[Selection::new("product", "sku", ["x"])])
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "product has no linkable key `sku`; expected `product_id`"
        );
        // Nothing was written by any of these.
        let all = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1"])]),
                true,
            )
            .await
            .unwrap();
        assert!(all.is_empty());
    }
}

#[tokio::test]
async fn cardinality_is_enforced_and_identical_pairs_are_fine() {
    for db in databases().await {
        let link = setup(&db).await;
        let cp = |c: &str, pc: &str| json!({ "cart": { "cart_id": c }, "payment": { "payment_collection_id": pc } });
        link.create(cp("c1", "pay1")).await.unwrap();
        // The identical pair again is an upsert, not a violation.
        link.create(cp("c1", "pay1")).await.unwrap();
        let e = link.create(cp("c1", "pay2")).await.unwrap_err();
        assert!(matches!(e, Error::Cardinality(_)), "{e}");
        assert_eq!(
            e.to_string(),
            format!(
                "cannot link payment_collection pay2 to cart c1: `cart_payment_collection` allows one payment_collection per cart, and payment_collection pay1 is already linked (link {})",
                link.list(
                    &ListFilter::Pairs(vec![LinkValue::new(
                        "cart_payment_collection",
                        "c1",
                        "pay1",
                        Default::default()
                    )]),
                    false
                )
                .await
                .unwrap()[0]
                    .id
            )
        );
        let e = link.create(cp("c2", "pay1")).await.unwrap_err();
        assert!(matches!(e, Error::Cardinality(_)), "{e}");
        // one-to-many: a product has one brand, a brand many products.
        let bp = |b: &str, pr: &str| json!({ "brand": { "brand_id": b }, "product": { "product_id": pr } });
        link.create(json!([bp("b1", "p1"), bp("b1", "p2")]))
            .await
            .unwrap();
        let e = link.create(bp("b2", "p1")).await.unwrap_err();
        assert!(e.to_string().starts_with("cannot link brand b2 to product p1: `brand_product` allows one brand per product, and brand b1 is already linked"), "{e}");
        // Conflicts inside one batch are refused before writing.
        let e = link
            .create(json!([bp("b3", "p9"), bp("b4", "p9")]))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot link brand b4 to product p9: `brand_product` allows one brand per product, and brand b3 (earlier in the same batch) is already linked (link not yet written)"
        );
        // After dismissing, the other partner may be linked.
        link.dismiss(cp("c1", "pay1")).await.unwrap();
        link.create(cp("c1", "pay2")).await.unwrap();
        // Reviving the old pair now violates the one-to-one rule.
        let e = link.create(cp("c1", "pay1")).await.unwrap_err();
        assert!(matches!(e, Error::Cardinality(_)), "{e}");
    }
}

#[tokio::test]
async fn a_batch_with_one_bad_entry_writes_nothing() {
    for db in databases().await {
        let link = setup(&db).await;
        link.create(json!([ps("p1", "sc1"), ps("p2", "sc1")]))
            .await
            .unwrap();
        let before = dump(&db, "product_sales_channel").await;
        // A bad entry found before writing.
        let mut bad = ps("p3", "sc3");
        bad["data"] = json!({ "extra_field": "x" });
        assert!(link.create(json!([ps("p1", "sc9"), bad])).await.is_err());
        assert_eq!(dump(&db, "product_sales_channel").await, before);
        // A bad entry found by the database (cardinality) after earlier groups wrote.
        let bp = |b: &str, pr: &str| json!({ "brand": { "brand_id": b }, "product": { "product_id": pr } });
        link.create(bp("b1", "p1")).await.unwrap();
        let bp_before = dump(&db, "brand_product").await;
        assert!(
            link.create(json!([ps("p7", "sc7"), bp("b2", "p1")]))
                .await
                .is_err()
        );
        assert_eq!(dump(&db, "product_sales_channel").await, before);
        assert_eq!(dump(&db, "brand_product").await, bp_before);
    }
}

#[tokio::test]
async fn delete_cascades_over_a_chain_and_restore_exact_undoes_it() {
    for db in databases().await {
        let link = setup(&db).await;
        let pii = |pr: &str, i: &str| json!({ "product": { "product_id": pr }, "inventory": { "inventory_item_id": i } });
        let iil = |i: &str, l: &str| json!({ "inventory": { "inventory_item_id": i }, "stock": { "inventory_level_id": l } });
        link.create(json!([
            ps("p1", "sc1"),
            ps("p2", "sc1"),
            pii("p1", "i1"),
            pii("p2", "i2"),
            iil("i1", "l1"),
            iil("i1", "l2"),
            iil("i2", "l3")
        ]))
        .await
        .unwrap();
        // An older dismissal that restore_exact must leave alone.
        link.create(ps("p1", "sc9")).await.unwrap();
        link.dismiss(ps("p1", "sc9")).await.unwrap();
        let before: Vec<Vec<Vec<Value>>> = futures_dump(&db).await;

        let report = link
            .delete(&Selection::from_json(&json!({"product": {"product_id": ["p1"]}})).unwrap())
            .await
            .unwrap();
        assert_eq!(
            pairs(&report.links["product_sales_channel"]),
            vec![p("p1", "sc1")]
        );
        assert_eq!(
            pairs(&report.links["product_inventory_item"]),
            vec![p("p1", "i1")]
        );
        assert_eq!(
            pairs(&report.links["inventory_item_level"]),
            vec![p("i1", "l1"), p("i1", "l2")]
        );
        assert_eq!(
            report.records["inventory.inventory_item"],
            vec!["i1".to_string()]
        );
        let mut levels = report.records["stock.inventory_level"].clone();
        levels.sort();
        assert_eq!(levels, vec!["l1".to_string(), "l2".to_string()]);
        assert!(
            !report.records.contains_key("product.product"),
            "the deleted side's own record is the caller's"
        );
        // p2's chain is untouched.
        let live = link
            .list(
                &ListFilter::Of(vec![Selection::new(
                    "inventory",
                    "inventory_item_id",
                    ["i2"],
                )]),
                false,
            )
            .await
            .unwrap();
        assert_eq!(live.len(), 2);

        let restored = link
            .restore_exact(&[Selection::new("product", "product_id", ["p1"])], &report)
            .await
            .unwrap();
        assert_eq!(
            restored.links.values().map(Vec::len).sum::<usize>(),
            4,
            "{:#?}",
            restored.links
        );
        assert_eq!(
            futures_dump(&db)
                .await
                .iter()
                .map(|t| t.iter().map(|r| r[0].clone()).collect::<Vec<_>>())
                .collect::<Vec<_>>(),
            before
                .iter()
                .map(|t| t.iter().map(|r| r[0].clone()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        );
        // Exactly the previous state: deleted_at of every row as before.
        let now_state = futures_dump(&db).await;
        for (t_before, t_now) in before.iter().zip(&now_state) {
            for (a, b) in t_before.iter().zip(t_now) {
                assert_eq!(a[0], b[0]);
                assert_eq!(a[3], b[3], "deleted_at of {}", a[0]);
            }
        }
        // Module rows came back too.
        assert_eq!(
            module_deleted(&db, "inventory_item").await,
            vec![(json!("i1"), Value::Null), (json!("i2"), Value::Null)]
        );
        // Medusa-style restore revives older dismissals as well.
        link.restore(&[Selection::new("product", "product_id", ["p1"])])
            .await
            .unwrap();
        let live = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p1"])]),
                false,
            )
            .await
            .unwrap();
        assert!(live.iter().any(|r| r.right == "sc9"));
    }
}

async fn futures_dump(db: &Db) -> Vec<Vec<Vec<Value>>> {
    let mut out = Vec::new();
    for t in [
        "product_sales_channel",
        "product_inventory_item",
        "inventory_item_level",
    ] {
        out.push(dump(db, t).await);
    }
    out
}

async fn module_deleted(db: &Db, table: &str) -> Vec<(Value, Value)> {
    use link_model::ScalarType::Text;
    let sql = link_runtime::db::Sql::raw(
        db.dialect(),
        format!("SELECT \"id\", CAST(\"deleted_at\" AS TEXT) FROM \"{table}\" ORDER BY \"id\""),
    );
    db.fetch(&sql, &[Text, Text])
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[tokio::test]
async fn list_converts_back_to_link_values_and_purge_hard_deletes() {
    for db in databases().await {
        let link = setup(&db).await;
        let mut v = ps("p1", "sc1");
        v["data"] = json!({ "extra_field": 5 });
        link.create(json!([v, ps("p2", "sc1")])).await.unwrap();
        let rows = link
            .list(
                &ListFilter::Of(vec![Selection::new(
                    "sales_channel",
                    "sales_channel_id",
                    ["sc1"],
                )]),
                false,
            )
            .await
            .unwrap();
        let g = link.graph();
        let mut shapes: Vec<Value> = rows.iter().map(|r| r.to_json(g)).collect();
        shapes.sort_by_key(|v| v["product"]["product_id"].to_string());
        assert_eq!(
            shapes,
            vec![
                json!({"product": {"product_id": "p1"}, "sales_channel": {"sales_channel_id": "sc1"}, "data": {"extra_field": 5, "another_field": null}}),
                json!({"product": {"product_id": "p2"}, "sales_channel": {"sales_channel_id": "sc1"}, "data": {"extra_field": -1, "another_field": null}}),
            ]
        );
        link.dismiss(ps("p2", "sc1")).await.unwrap();
        let cutoff_before = chrono::Utc::now() - chrono::Duration::hours(1);
        let none = link.purge(Some(cutoff_before)).await.unwrap();
        assert_eq!(none["product_sales_channel"], 0);
        let purged = link.purge(None).await.unwrap();
        assert_eq!(purged["product_sales_channel"], 1);
        let all = link
            .list(
                &ListFilter::Of(vec![Selection::new(
                    "sales_channel",
                    "sales_channel_id",
                    ["sc1"],
                )]),
                true,
            )
            .await
            .unwrap();
        assert_eq!(pairs(&all), vec![p("p1", "sc1")]);
    }
}

#[tokio::test]
async fn events_are_delivered_after_commit_for_every_write() {
    for db in databases().await {
        let link = setup(&db).await;
        let mut rx = link.subscribe();
        link.create(json!([ps("p1", "sc1"), ps("p2", "sc1")]))
            .await
            .unwrap();
        link.dismiss(ps("p1", "sc1")).await.unwrap();
        let report = link
            .delete(&[Selection::new("product", "product_id", ["p2"])])
            .await
            .unwrap();
        link.restore_exact(&[Selection::new("product", "product_id", ["p2"])], &report)
            .await
            .unwrap();
        // A failed write emits nothing.
        let _ = link.create(json!([ps("p3", "sc3"), {"product": {"product_id": "x"}, "sales_channel": {"sales_channel_id": "y"}, "data": {"nope": 1}}])).await;
        let mut names = Vec::new();
        while let Ok(e) = rx.try_recv() {
            names.push(format!("{} {}-{}", e.name, e.left, e.right));
        }
        assert_eq!(
            names,
            vec![
                "LinkProductSalesChannel.attached p1-sc1",
                "LinkProductSalesChannel.attached p2-sc1",
                "LinkProductSalesChannel.detached p1-sc1",
                "LinkProductSalesChannel.detached p2-sc1",
                "LinkProductSalesChannel.attached p2-sc1",
            ]
        );
    }
}

#[tokio::test]
async fn concurrent_creates_never_duplicate_or_violate_cardinality() {
    let mut dbs = Vec::new();
    let (file_db, path) = link_tests::sqlite_file().await;
    dbs.push(file_db);
    if let Some(pg) = link_tests::postgres().await {
        dbs.push(pg);
    }
    for db in dbs {
        let link = setup(&db).await;
        let mut tasks = Vec::new();
        for t in 0..8 {
            let link = link.clone();
            tasks.push(tokio::spawn(async move {
                // Everyone creates the same m:n pairs, and fights over a one-to-one cart.
                let same = link.create(json!([ps("p1", "sc1"), ps("p1", "sc2"), ps("p2", "sc1")])).await;
                let one = link
                    .create(json!({ "cart": { "cart_id": "c1" }, "payment": { "payment_collection_id": format!("pay{t}") } }))
                    .await;
                (same.is_ok(), one)
            }));
        }
        let mut winners = 0;
        for t in tasks {
            let (same_ok, one) = t.await.unwrap();
            assert!(same_ok, "identical pairs never fail");
            match one {
                Ok(_) => winners += 1,
                Err(Error::Cardinality(_)) => {}
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        assert_eq!(winners, 1, "exactly one cart-payment link wins");
        assert_eq!(dump(&db, "product_sales_channel").await.len(), 3);
        assert_eq!(dump(&db, "cart_payment_collection").await.len(), 1);
    }
    let _ = std::fs::remove_file(path);
}

/// A batch resolves each shape once; items that differ from a cached shape
/// still get their own error, and a failed batch writes nothing.
#[tokio::test]
async fn json_batches_resolve_every_item() {
    for db in databases().await {
        let link = setup(&db).await;
        let reversed = json!({ "sales_channel": { "sales_channel_id": "sc2" }, "product": { "product_id": "p2" } });
        let rows = link
            .create(json!([ps("p1", "sc1"), reversed, ps("p3", "sc3")]))
            .await
            .unwrap();
        assert_eq!(
            pairs(&rows),
            vec![p("p1", "sc1"), p("p2", "sc2"), p("p3", "sc3")]
        );
        let bad_key =
            json!({ "product": { "product_id": "p4" }, "sales_channel": { "channel_id": "sc4" } });
        let e = link
            .create(json!([ps("p4", "sc4"), bad_key]))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "sales_channel has no linkable key `channel_id`; expected `sales_channel_id`"
        );
        let bad_id = json!({ "product": { "product_id": true }, "sales_channel": { "sales_channel_id": "sc5" } });
        let e = link
            .create(json!([ps("p5", "sc5"), bad_id]))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid link value: `product.product_id` must be a string id, found true"
        );
        let mut with_data = ps("p6", "sc6");
        with_data["data"] = json!({ "extra_field": 6 });
        let rows = link
            .create(json!([ps("p7", "sc7"), with_data]))
            .await
            .unwrap();
        assert_eq!(rows[1].data["extra_field"], json!(6));
        let all = link
            .list(
                &ListFilter::Of(vec![Selection::new("product", "product_id", ["p4", "p5"])]),
                true,
            )
            .await
            .unwrap();
        assert!(all.is_empty(), "failed batches wrote nothing");
    }
}

/// A graph for the checks below: a link with two required extra columns
/// (NOT NULL, no default), and a self-link of nodes whose child side
/// cascades (chains, rings and fan-outs of any depth).
const EXTRA: &str = r#"
[modules.product.models.product]
soft_delete = "deleted_at"
fields = { id = "text", deleted_at = "timestamp?" }

[modules.tag.models.tag]
fields = { id = "text" }

[modules.node.models.node]
linkable_keys = ["node_id", "child_node_id"]
soft_delete = "deleted_at"
fields = { id = "text", deleted_at = "timestamp?" }

[[links]]
left = { model = "product.product", is_list = true }
right = { model = "tag.tag", is_list = true }
table = "product_tag"
id_prefix = "pt"
extra_columns = { x = "integer", y = "text" }

[[links]]
left = { model = "node.node", key = "node_id", is_list = true, relation = "parents" }
right = { model = "node.node", key = "child_node_id", alias = "child", is_list = true, delete_cascade = true }
table = "node_chain"
id_prefix = "nc"
"#;

/// The link tables of [`EXTRA`] plus a `node` table holding `nodes` records.
async fn setup_extra(db: &Db, nodes: usize) -> link_runtime::Link {
    let g = std::sync::Arc::new(link_tests::graph(EXTRA));
    db.execute_script(&link_tests::link_migration(&g, db.dialect()))
        .await
        .unwrap();
    let ts = match db.dialect() {
        link_runtime::Dialect::Sqlite => "TEXT",
        link_runtime::Dialect::Postgres => "timestamptz",
    };
    let mut script = format!(
        r#"CREATE TABLE "node" ("id" text PRIMARY KEY, "deleted_at" {ts} NULL);
           CREATE TABLE "product" ("id" text PRIMARY KEY, "deleted_at" {ts} NULL);"#
    );
    if nodes > 0 {
        script.push_str("INSERT INTO \"node\" (\"id\") VALUES ");
        let values: Vec<String> = (0..nodes).map(|i| format!("('n{i}')")).collect();
        script.push_str(&values.join(", "));
        script.push(';');
    }
    db.execute_script(&script).await.unwrap();
    link_runtime::Link::new(g, link_runtime::Databases::single(db.clone()))
}

fn pt(product: &str, tag: &str, data: Value) -> Value {
    json!({ "product": { "product_id": product }, "tag": { "tag_id": tag }, "data": data })
}

/// (left, right, x, y, live) of every product_tag row.
async fn pt_rows(link: &link_runtime::Link) -> Vec<(String, String, Value, Value, bool)> {
    let mut rows: Vec<_> = link
        .list(
            &ListFilter::Of(vec![Selection::new("tag", "tag_id", ["t1", "t2"])]),
            true,
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            (
                r.left,
                r.right,
                r.data["x"].clone(),
                r.data["y"].clone(),
                r.deleted_at.is_null(),
            )
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows
}

fn row(l: &str, r: &str, x: Value, y: Value, live: bool) -> (String, String, Value, Value, bool) {
    (l.into(), r.into(), x, y, live)
}

#[tokio::test]
async fn merges_keep_omitted_columns_and_new_pairs_must_supply_required_ones() {
    for db in databases().await {
        let link = setup_extra(&db, 0).await;
        let first = link
            .create(pt("p1", "t1", json!({"x": 1, "y": "a"})))
            .await
            .unwrap();
        // The same pair with only `y`: `x` keeps its value, the id stays.
        let merged = link
            .create(pt("p1", "t1", json!({"y": "b"})))
            .await
            .unwrap();
        assert_eq!(merged[0].id, first[0].id);
        assert_eq!(merged[0].data["x"], json!(1));
        assert_eq!(merged[0].data["y"], json!("b"));
        // Dismissed, then re-created with only `x`: revived, `y` kept.
        link.dismiss(pt("p1", "t1", json!({}))).await.unwrap();
        let revived = link.create(pt("p1", "t1", json!({"x": 2}))).await.unwrap();
        assert_eq!(revived[0].id, first[0].id);
        assert_eq!(
            pt_rows(&link).await,
            vec![row("p1", "t1", json!(2), json!("b"), true)]
        );
        // A new pair omitting a required column: typed error before any write
        // (one read of the batch's pairs, no write), nothing written, even
        // with an existing pair earlier in the batch.
        let before = db.statements();
        let e = link
            .create(json!([
                pt("p1", "t1", json!({"y": "c"})),
                pt("p2", "t1", json!({"y": "c"}))
            ]))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::MissingColumn { .. }), "{e}");
        assert_eq!(
            e.to_string(),
            "extra column `x` of link `product_tag` is required for the new pair p2 - t1: it is NOT NULL and has no default"
        );
        assert_eq!(db.statements() - before, 1, "one read, no write");
        let e = link
            .create(pt("p2", "t2", json!({"x": 5})))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "extra column `y` of link `product_tag` is required for the new pair p2 - t2: it is NOT NULL and has no default"
        );
        assert_eq!(
            pt_rows(&link).await,
            vec![row("p1", "t1", json!(2), json!("b"), true)]
        );
        // Supplying both is fine; a batch that merges a pair given twice too.
        link.create(json!([
            pt("p2", "t2", json!({"x": 5})),
            pt("p2", "t2", json!({"y": "z"}))
        ]))
        .await
        .unwrap();
        assert_eq!(
            pt_rows(&link).await,
            vec![
                row("p1", "t1", json!(2), json!("b"), true),
                row("p2", "t2", json!(5), json!("z"), true)
            ]
        );
    }
}

#[tokio::test]
async fn ids_the_key_column_cannot_hold_are_refused_by_every_entry_point() {
    for db in databases().await {
        let link = setup(&db).await;
        let long = "a".repeat(256);
        let longest = "b".repeat(255);
        let cases = [
            ("", "it is empty"),
            ("p\0x", "it contains a NUL character (at character 2)"),
            (long.as_str(), "it is 256 characters long"),
        ];
        let tail = "; an id is 1 to 255 characters without NUL (the key column's limit)";
        for (id, problem) in cases {
            let product = format!("invalid id for `product.product_id`: {problem}{tail}");
            let channel =
                format!("invalid id for `sales_channel.sales_channel_id`: {problem}{tail}");
            let before = db.statements();
            let pair = LinkValue::new("product_sales_channel", id, "sc1", Default::default());
            let reversed = LinkValue::new("product_sales_channel", "p1", id, Default::default());
            let sel = || vec![Selection::new("product", "product_id", ["p1", id])];
            let errors: Vec<String> = vec![
                link.create(ps(id, "sc1")).await.unwrap_err().to_string(),
                link.create(json!([ps("p1", "sc1"), ps("p1", id)]))
                    .await
                    .unwrap_err()
                    .to_string(),
                link.dismiss(pair.clone()).await.unwrap_err().to_string(),
                link.erase(reversed.clone()).await.unwrap_err().to_string(),
                link.delete(&sel()).await.unwrap_err().to_string(),
                link.restore(&sel()).await.unwrap_err().to_string(),
                link.restore_exact(
                    &sel(),
                    &link_runtime::CascadeReport {
                        at: Some(chrono::Utc::now()),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err()
                .to_string(),
                link.list(&ListFilter::Pairs(vec![pair.clone()]), true)
                    .await
                    .unwrap_err()
                    .to_string(),
                link.list(&ListFilter::Of(sel()), false)
                    .await
                    .unwrap_err()
                    .to_string(),
            ];
            assert_eq!(
                errors,
                vec![
                    product.clone(),
                    channel.clone(),
                    product.clone(),
                    channel.clone(),
                    product.clone(),
                    product.clone(),
                    product.clone(),
                    product.clone(),
                    product.clone(),
                ]
            );
            assert_eq!(
                db.statements(),
                before,
                "refused before the first statement"
            );
        }
        // 255 characters fit on both databases.
        let rows = link.create(ps(&longest, "sc1")).await.unwrap();
        assert_eq!(rows[0].left, longest);
        assert_eq!(dump(&db, "product_sales_channel").await.len(), 1);
    }
}

#[tokio::test]
async fn events_only_for_rows_that_changed_saying_what_changed() {
    use link_runtime::link::Change;
    for db in databases().await {
        let link = setup(&db).await;
        let mut rx = link.subscribe();
        let with = |p: &str, s: &str, data: Value| {
            let mut v = ps(p, s);
            v["data"] = data;
            v
        };
        let first = link
            .create(json!([ps("p1", "sc1"), ps("p2", "sc1")]))
            .await
            .unwrap();
        // Unchanged: no event, no write, same row.
        let stored = dump(&db, "product_sales_channel").await;
        let again = link.create(ps("p1", "sc1")).await.unwrap();
        assert_eq!(again[0], first[0]);
        let same = link
            .create(with("p2", "sc1", json!({"extra_field": -1})))
            .await
            .unwrap();
        assert_eq!(same[0], first[1]);
        assert_eq!(dump(&db, "product_sales_channel").await, stored);
        // Data changed; dismissed; revived (same id); new beside unchanged.
        link.create(with(
            "p1",
            "sc1",
            json!({"extra_field": 5, "another_field": null}),
        ))
        .await
        .unwrap();
        link.dismiss(ps("p1", "sc1")).await.unwrap();
        let revived = link.create(ps("p1", "sc1")).await.unwrap();
        assert_eq!(revived[0].id, first[0].id, "re-creating keeps the id");
        link.create(json!([ps("p1", "sc1"), ps("p3", "sc1")]))
            .await
            .unwrap();
        let mut seen = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seen.push((e.name, e.change, format!("{}-{}", e.left, e.right)));
        }
        let a = "LinkProductSalesChannel.attached".to_string();
        assert_eq!(
            seen,
            vec![
                (a.clone(), Change::New, "p1-sc1".to_string()),
                (a.clone(), Change::New, "p2-sc1".to_string()),
                (
                    a.clone(),
                    Change::Data {
                        columns: vec!["extra_field".into()]
                    },
                    "p1-sc1".to_string()
                ),
                (
                    "LinkProductSalesChannel.detached".to_string(),
                    Change::Dismissed,
                    "p1-sc1".to_string()
                ),
                (
                    a.clone(),
                    Change::Revived { columns: vec![] },
                    "p1-sc1".to_string()
                ),
                (a.clone(), Change::New, "p3-sc1".to_string()),
            ]
        );
        // The same on a link without extra columns (the insert-only path).
        let bp = |b: &str, pr: &str| json!({ "brand": { "brand_id": b }, "product": { "product_id": pr } });
        link.create(json!([bp("b1", "p1")])).await.unwrap();
        link.dismiss(bp("b1", "p1")).await.unwrap();
        let rows = link
            .create(json!([bp("b1", "p1"), bp("b1", "p2"), bp("b1", "p2")]))
            .await
            .unwrap();
        assert_eq!(pairs(&rows), vec![p("b1", "p1"), p("b1", "p2")]);
        link.create(bp("b1", "p2")).await.unwrap();
        let mut seen = Vec::new();
        while let Ok(e) = rx.try_recv() {
            seen.push((e.change, format!("{}-{}", e.left, e.right)));
        }
        assert_eq!(
            seen,
            vec![
                (Change::New, "b1-p1".to_string()),
                (Change::Dismissed, "b1-p1".to_string()),
                (Change::Revived { columns: vec![] }, "b1-p1".to_string()),
                (Change::New, "b1-p2".to_string()),
            ]
        );
    }
}

fn chain_link(parent: &str, child: &str) -> LinkValue {
    LinkValue::new("node_chain", parent, child, Default::default())
}

/// Ids of live nodes, sorted.
async fn live_nodes(db: &Db) -> usize {
    use link_model::ScalarType::BigInt;
    let sql = link_runtime::db::Sql::raw(
        db.dialect(),
        "SELECT CAST(COUNT(*) AS BIGINT) FROM \"node\" WHERE \"deleted_at\" IS NULL",
    );
    db.fetch(&sql, &[BigInt]).await.unwrap()[0][0]
        .as_u64()
        .unwrap() as usize
}

/// Deletes `n0`, checks what it reached and that the statements are
/// `expected` (never growing with records or depth), restores exactly.
async fn delete_and_restore(db: &Db, link: &link_runtime::Link, links: usize, records: usize) {
    let sel = [Selection::new("node", "node_id", ["n0"])];
    let live_before = live_nodes(db).await;
    let before = db.statements();
    let started = std::time::Instant::now();
    let report = link.delete(&sel).await.unwrap();
    let took = started.elapsed();
    // One recursive statement, one UPDATE of the link table, one of the node table.
    assert_eq!(db.statements() - before, 3);
    eprintln!(
        "{:?}: delete reaching {links} links / {records} records: 3 statements, {took:?}",
        db.dialect()
    );
    assert_eq!(report.links["node_chain"].len(), links);
    assert_eq!(report.records["node.node"].len(), records);
    assert_eq!(live_nodes(db).await, live_before - records);
    let before = db.statements();
    let restored = link.restore_exact(&sel, &report).await.unwrap();
    assert_eq!(db.statements() - before, 3);
    assert_eq!(restored.links["node_chain"].len(), links);
    assert_eq!(restored.records["node.node"].len(), records);
    assert_eq!(live_nodes(db).await, live_before);
}

#[tokio::test]
async fn cascades_take_the_same_statements_whatever_the_depth_or_fan_out() {
    for db in databases().await {
        let link = setup_extra(&db, 10_001).await;
        // A chain 400 deep: n0 -> n1 -> … -> n400.
        let chain: Vec<LinkValue> = (0..400)
            .map(|i| chain_link(&format!("n{i}"), &format!("n{}", i + 1)))
            .collect();
        link.create(chain).await.unwrap();
        delete_and_restore(&db, &link, 400, 400).await;
        // Closed into a ring: n400 -> n0; n0 itself is reached too.
        link.create(chain_link("n400", "n0")).await.unwrap();
        delete_and_restore(&db, &link, 401, 401).await;
        link.erase(chain_link("n400", "n0")).await.unwrap();
        // A node already deleted stops the cascade there (and keeps its links).
        let stop = [Selection::new("node", "node_id", ["n200"])];
        link.delete(&stop).await.unwrap();
        let report = link
            .delete(&[Selection::new("node", "node_id", ["n0"])])
            .await
            .unwrap();
        // n1..n200 (n200 was the first delete's seed, so still live), the
        // links n0->n1 … n199->n200; n200->n201 was already deleted.
        assert_eq!(report.records["node.node"].len(), 200);
        assert_eq!(report.links["node_chain"].len(), 200);
        assert_eq!(live_nodes(&db).await, 10_001 - 200 - 200);
    }
}

#[tokio::test]
async fn a_cascade_fanning_out_to_10_000_records_takes_three_statements() {
    for db in databases().await {
        let link = setup_extra(&db, 10_001).await;
        let fan: Vec<LinkValue> = (1..=10_000)
            .map(|i| chain_link("n0", &format!("n{i}")))
            .collect();
        link.create(fan).await.unwrap();
        delete_and_restore(&db, &link, 10_000, 10_000).await;
    }
}

/// Product links in the default database, inventory items (cascaded) in
/// another one.
const SPLIT: &str = r#"
[modules.product.models.product]
fields = { id = "text" }

[modules.inventory]
data_source = "inv"

[modules.inventory.models.inventory_item]
soft_delete = "deleted_at"
fields = { id = "text", deleted_at = "timestamp?" }

[[links]]
left = { model = "product.product" }
right = { model = "inventory.inventory_item", is_list = true, delete_cascade = true }
table = "product_inventory_item"
id_prefix = "pii"
"#;

async fn item_deleted(db: &Db) -> Vec<(Value, Value)> {
    use link_model::ScalarType::Text;
    let sql = link_runtime::db::Sql::raw(
        db.dialect(),
        "SELECT \"id\", CAST(\"deleted_at\" AS TEXT) FROM \"inventory_item\" ORDER BY \"id\"",
    );
    db.fetch(&sql, &[Text, Text])
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[tokio::test]
async fn a_failed_commit_in_the_second_database_puts_the_first_one_back() {
    let mut pairs_of_dbs = vec![(link_tests::sqlite().await, link_tests::sqlite().await)];
    if let Some(pg) = link_tests::postgres().await {
        pairs_of_dbs.push((pg, link_tests::second_postgres().await));
    }
    for (main, inv) in pairs_of_dbs {
        let g = std::sync::Arc::new(link_tests::graph(SPLIT));
        main.execute_script(&link_tests::link_migration(&g, main.dialect()))
            .await
            .unwrap();
        let ts = match inv.dialect() {
            link_runtime::Dialect::Sqlite => "TEXT",
            link_runtime::Dialect::Postgres => "timestamptz",
        };
        inv.execute_script(&format!(
            r#"CREATE TABLE "inventory_item" ("id" text PRIMARY KEY, "deleted_at" {ts} NULL);
               INSERT INTO "inventory_item" VALUES ('i1', NULL), ('i2', NULL);"#
        ))
        .await
        .unwrap();
        // The link tables' database (committed last) refuses to commit an
        // update of the link table.
        let (inject, remove, reason) = match main.dialect() {
            link_runtime::Dialect::Sqlite => (
                r#"CREATE TABLE "guard_parent" ("id" integer PRIMARY KEY);
                   CREATE TABLE "guard" ("p" integer REFERENCES "guard_parent"("id") DEFERRABLE INITIALLY DEFERRED);
                   CREATE TRIGGER "fail_commit" AFTER UPDATE ON "product_inventory_item" BEGIN INSERT INTO "guard" VALUES (1); END;"#,
                r#"DROP TRIGGER "fail_commit";"#,
                "(code: 787) FOREIGN KEY constraint failed",
            ),
            link_runtime::Dialect::Postgres => (
                r#"CREATE FUNCTION "fail_commit"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected commit failure'; END $$;
                   CREATE CONSTRAINT TRIGGER "fail_commit" AFTER UPDATE ON "product_inventory_item" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "fail_commit"();"#,
                r#"DROP TRIGGER "fail_commit" ON "product_inventory_item";"#,
                "injected commit failure",
            ),
        };
        main.execute_script(inject).await.unwrap();
        let link = link_runtime::Link::new(
            g,
            link_runtime::Databases::single(main.clone()).with("inv", inv.clone()),
        );
        let pii = |p: &str, i: &str| json!({ "product": { "product_id": p }, "inventory": { "inventory_item_id": i } });
        link.create(json!([pii("p1", "i1"), pii("p1", "i2")]))
            .await
            .unwrap();
        let links_before = dump(&main, "product_inventory_item").await;
        let items_before = item_deleted(&inv).await;
        let sel = [Selection::new("product", "product_id", ["p1"])];
        let e = link.delete(&sel).await.unwrap_err();
        assert!(matches!(e, Error::CommitFailed { .. }), "{e}");
        // (sqlx adds the server's source line to Postgres errors: not compared.)
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "commit of the `default` database failed: database error: error returned from database: {reason}"
            )) && text.ends_with("; what `inv` had committed was put back"),
            "{text}"
        );
        // Neither database shows the delete.
        assert_eq!(dump(&main, "product_inventory_item").await, links_before);
        assert_eq!(item_deleted(&inv).await, items_before);
        assert_eq!(
            items_before,
            vec![(json!("i1"), Value::Null), (json!("i2"), Value::Null)]
        );
        // Without the fault the same delete goes through, and comes back exactly.
        main.execute_script(remove).await.unwrap();
        let report = link.delete(&sel).await.unwrap();
        assert_eq!(report.links["product_inventory_item"].len(), 2);
        let mut items = report.records["inventory.inventory_item"].clone();
        items.sort();
        assert_eq!(items, vec!["i1".to_string(), "i2".to_string()]);
        assert!(item_deleted(&inv).await.iter().all(|(_, d)| !d.is_null()));
        link.restore_exact(&sel, &report).await.unwrap();
        assert_eq!(item_deleted(&inv).await, items_before);
        assert_eq!(
            dump(&main, "product_inventory_item")
                .await
                .iter()
                .map(|r| r[3].clone())
                .collect::<Vec<_>>(),
            vec![Value::Null, Value::Null]
        );
    }
}

#[tokio::test]
async fn a_locked_sqlite_file_waits_for_the_busy_timeout_then_fails_typed() {
    let path = std::env::temp_dir().join(format!("{}.db", link_tests::unique("linkbusy")));
    let url = format!("sqlite:{}", path.display());
    let timeout = std::time::Duration::from_millis(300);
    let db = Db::connect_with(&url, timeout).await.unwrap();
    assert_eq!(db.busy_timeout(), Some(timeout));
    let link = setup(&db).await;
    link.create(ps("p1", "sc1")).await.unwrap();
    // Another connection holds the write lock.
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let e = link.create(ps("p2", "sc1")).await.unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(e, Error::Busy { timeout_ms: 300 }), "{e}");
    assert_eq!(
        e.to_string(),
        "the database stayed locked by another connection for the busy timeout (300 ms); nothing was written"
    );
    assert!(waited >= timeout, "waited {waited:?}");
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    // Released: the next call goes through; nothing lost or duplicated.
    link.create(ps("p2", "sc1")).await.unwrap();
    assert_eq!(
        pairs(
            &link
                .list(
                    &ListFilter::Of(vec![Selection::new(
                        "sales_channel",
                        "sales_channel_id",
                        ["sc1"]
                    )]),
                    true
                )
                .await
                .unwrap()
        ),
        vec![p("p1", "sc1"), p("p2", "sc1")]
    );
    drop(other);
    let _ = std::fs::remove_file(path);
}

/// A Postgres Db on the schema of `db` whose connections carry
/// `application_name`, so another connection can find (and terminate) them.
async fn pg_named(db: &Db, name: &str) -> Db {
    let schema = db
        .fetch(
            &link_runtime::db::Sql::raw(db.dialect(), "SELECT CAST(current_schema() AS text)"),
            &[link_model::ScalarType::Text],
        )
        .await
        .unwrap()[0][0]
        .as_str()
        .unwrap()
        .to_string();
    let opts: sqlx::postgres::PgConnectOptions = link_tests::pg_url().unwrap().parse().unwrap();
    let opts = opts
        .options([("search_path", schema.as_str())])
        .application_name(name);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(opts)
        .await
        .unwrap();
    Db::from_postgres(pool)
}

#[tokio::test]
async fn a_backend_terminated_mid_batch_is_a_typed_error_and_the_next_call_succeeds() {
    let Some(pg) = link_tests::postgres().await else {
        link_tests::require_postgres();
        return;
    };
    setup(&pg).await;
    let name = link_tests::unique("linkterm");
    let db = pg_named(&pg, &name).await;
    let link = link_runtime::Link::new(
        link_tests::service::test_graph(),
        link_runtime::Databases::single(db.clone()),
    );
    // Each insert into the link table takes a while, so the batch is in flight
    // when its backend is terminated.
    db.execute_script(
        r#"CREATE FUNCTION "slow"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(2); RETURN NULL; END $$;
           CREATE TRIGGER "slow" AFTER INSERT ON "brand_product" FOR EACH STATEMENT EXECUTE FUNCTION "slow"();"#,
    )
    .await
    .unwrap();
    let bp =
        |b: &str, pr: &str| json!({ "brand": { "brand_id": b }, "product": { "product_id": pr } });
    let batch: Vec<Value> = (0..500).map(|i| bp("b1", &format!("p{i}"))).collect();
    let killer = {
        let url = link_tests::pg_url().unwrap();
        let name = name.clone();
        tokio::spawn(async move {
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            for _ in 0..100 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                let killed: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
                )
                .bind(&name)
                .fetch_all(&admin)
                .await
                .unwrap();
                if killed.contains(&true) {
                    return true;
                }
            }
            false
        })
    };
    let e = link.create(Value::Array(batch.clone())).await.unwrap_err();
    assert!(killer.await.unwrap(), "the backend was terminated");
    assert!(matches!(e, Error::ConnectionLost { .. }), "{e}");
    assert!(
        e.to_string().starts_with(
            "the database connection was lost before the call committed (nothing was written): "
        ),
        "{e}"
    );
    assert_eq!(dump(&pg, "brand_product").await.len(), 0, "nothing written");
    // The next call gets a fresh connection; nothing lost or duplicated.
    pg.execute_script(r#"DROP TRIGGER "slow" ON "brand_product";"#)
        .await
        .unwrap();
    let rows = link.create(Value::Array(batch)).await.unwrap();
    assert_eq!(rows.len(), 500);
    assert_eq!(dump(&pg, "brand_product").await.len(), 500);
}

/// Runs a Postgres server binary, as user `postgres` when this is root.
fn pg_bin(bin: &str, args: &[&str]) -> std::process::Output {
    let path = format!("/usr/lib/postgresql/15/bin/{bin}");
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        std::process::Command::new(&path)
    };
    cmd.args(args).output().expect("postgres binary")
}

/// The server restarted between two calls: the next call reconnects. Runs
/// on a throwaway cluster of its own, never the shared server, on port
/// 25440: below the ephemeral ports (32768–60999) that client connections
/// take, one of which in `TIME_WAIT` kept the cluster from binding 55440.
#[tokio::test]
async fn after_a_server_restart_the_next_call_reconnects() {
    if link_tests::pg_url().is_none()
        || !std::path::Path::new("/usr/lib/postgresql/15/bin/initdb").exists()
    {
        link_tests::require_postgres();
        return;
    }
    let dir = std::env::temp_dir().join(link_tests::unique("linkrestart"));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::process::Command::new("chown")
        .args(["postgres:postgres", dir.to_str().unwrap()])
        .status();
    let data_dir = dir.join("data").to_str().unwrap().to_string();
    let log_file = dir.join("log").to_str().unwrap().to_string();
    let (data, log) = (data_dir.as_str(), log_file.as_str());
    let out = pg_bin("initdb", &["-D", data, "-A", "trust", "-U", "postgres"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let opts = "-p 25440 -k /tmp -c listen_addresses=127.0.0.1";
    let out = pg_bin(
        "pg_ctl",
        &["-D", data, "-o", opts, "-l", log, "-w", "start"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (d2, l2) = (data_dir.clone(), log_file.clone());
    let result = async move {
        let (data, log) = (d2.as_str(), l2.as_str());
        let db = Db::connect("postgres://postgres@127.0.0.1:25440/postgres")
            .await
            .unwrap();
        let link = setup(&db).await;
        link.create(ps("p1", "sc1")).await.unwrap();
        let out = pg_bin(
            "pg_ctl",
            &[
                "-D", data, "-o", opts, "-l", log, "-m", "fast", "-w", "restart",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The pooled connection died with the server; the next call opens a new one.
        link.create(ps("p2", "sc1")).await.unwrap();
        let rows = link
            .list(
                &ListFilter::Of(vec![Selection::new(
                    "sales_channel",
                    "sales_channel_id",
                    ["sc1"],
                )]),
                true,
            )
            .await
            .unwrap();
        assert_eq!(pairs(&rows), vec![p("p1", "sc1"), p("p2", "sc1")]);
        db.close().await;
    };
    let outcome = tokio::spawn(result).await;
    let _ = pg_bin("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test]
async fn medusa_links_read_from_bytes_create_and_dismiss_like_json_values() {
    use link_runtime::MedusaLinks;
    for db in databases().await {
        let link = setup(&db).await;
        let body = br#"[
            {"product": {"product_id": "p1"}, "sales_channel": {"sales_channel_id": "sc1"}},
            {"sales_channel": {"sales_channel_id": "sc2"}, "product": {"product_id": "p1"}, "data": {"extra_field": 4}},
            {"product": {"product_id": "p2"}, "sales_channel": {"sales_channel_id": 7}}
        ]"#;
        let links: MedusaLinks = serde_json::from_slice(body).unwrap();
        let rows = link.create(links).await.unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (
                    r.left.as_str(),
                    r.right.as_str(),
                    r.data["extra_field"].clone()
                ))
                .collect::<Vec<_>>(),
            // Grouped by the extra columns supplied.
            vec![
                ("p1", "sc1", json!(-1)),
                ("p2", "7", json!(-1)),
                ("p1", "sc2", json!(4))
            ]
        );
        // One object (not an array) works too, for dismiss as for create.
        let one: MedusaLinks = serde_json::from_slice(
            br#"{"product": {"product_id": "p1"}, "sales_channel": {"sales_channel_id": "sc1"}}"#,
        )
        .unwrap();
        assert_eq!(
            pairs(&link.dismiss(one).await.unwrap()),
            vec![p("p1", "sc1")]
        );
        // The same errors as the JSON value path, item by item.
        for body in [
            &br#"[{"product": {"product_id": "p4"}, "sales_channel": {"sales_channel_id": "s"}}, {"product": {"product_id": "p4"}, "sales_channel": {"channel_id": "sc4"}}]"#[..],
            br#"[{"product": {"product_id": true}, "sales_channel": {"sales_channel_id": "sc5"}}]"#,
            br#"{"product": {"product_id": "p"}}"#,
            br#"{"prodcut": {"product_id": "p"}, "sales_channel": {"sales_channel_id": "s"}}"#,
            br#"{"product": {"product_id": "p", "x": 1}, "sales_channel": {"sales_channel_id": "s"}}"#,
            br#"{"product": {"product_id": "p"}, "sales_channel": {"sales_channel_id": "s"}, "data": 3}"#,
            br#"{"product": {"product_id": ""}, "sales_channel": {"sales_channel_id": "s"}}"#,
        ] {
            let typed: MedusaLinks = serde_json::from_slice(body).unwrap();
            let value: Value = serde_json::from_slice(body).unwrap();
            let a = link.create(typed).await.unwrap_err().to_string();
            let b = link.create(value).await.unwrap_err().to_string();
            assert_eq!(a, b);
        }
        assert!(serde_json::from_slice::<MedusaLinks>(b"3").is_err());
        assert_eq!(
            dump(&db, "product_sales_channel").await.len(),
            3,
            "failed batches wrote nothing"
        );
    }
}

/// Typed values create and list the link's generated records: typed ids and
/// every extra column typed, defaults filled in, on both databases.
#[tokio::test]
async fn typed_values_create_and_list_their_generated_records() {
    use link_runtime::__private::TypedLink;
    use link_runtime::{Databases, Link};
    use link_tests::fixtures::many_to_many_extras::{
        self as m, CartId, ProductId,
        values::{CartProduct, CartProductRecord},
    };
    for db in databases().await {
        db.execute_script(&link_tests::link_migration(&m::GRAPH, db.dialect()))
            .await
            .unwrap();
        let link = Link::new(m::GRAPH.clone(), Databases::single(db.clone()));
        let value = CartProduct::new(CartId::from("cart_1"), ProductId::from("prod_1"))
            .with_quantity(3)
            .with_type("gift".to_string())
            .with_self(Some("me".to_string()));
        let created: Vec<CartProductRecord> =
            link.create_records(vec![value.clone()]).await.unwrap();
        let [r] = &created[..] else {
            panic!("{created:?}")
        };
        assert!(
            r.id.starts_with("cartprod_") && r.id.len() == 35,
            "{}",
            r.id
        );
        assert_eq!(r.deleted_at, None);
        let typed = (
            (&r.cart_id, &r.product_id, r.quantity, &r.r#type, &r.self_),
            (&r.label, r.position, r.big_count, r.ratio, r.weight),
            (
                &r.unit_price,
                &r.discount,
                r.is_gift,
                &r.metadata,
                &r.payload,
            ),
            (r.shipped_at, r.ship_date.to_string(), r.delivered_on),
            (&r.external_ref, &r.trace_id, r.order, &r.note),
        );
        let (cart, product) = (CartId::from("cart_1"), ProductId::from("prod_1"));
        let (gift, me) = ("gift".to_string(), Some("me".to_string()));
        let label = "it's new".to_string();
        let price = "10.25".to_string();
        let meta = json!({"source": "import", "tags": ["a", "b"]});
        let uuid = "123e4567-e89b-12d3-a456-426614174000".to_string();
        assert_eq!(
            typed,
            (
                (&cart, &product, 3, &gift, &me),
                (&label, None, 9007199254740993, 0.5, None),
                (&price, &None, false, &meta, &None),
                (None, "2024-01-31".to_string(), None),
                (&uuid, &None, 0, &None),
            ),
            "{:?}",
            db.dialect()
        );
        let listed = link
            .list_records::<CartProduct>(&ListFilter::Pairs(vec![value.into_value()]), false)
            .await
            .unwrap();
        assert_eq!(listed, created);
        db.close().await;
    }
}
