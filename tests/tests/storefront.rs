//! The storefront end to end, on SQLite and (with LINK_TEST_PG_URL) Postgres:
//! its printed output is snapshotted with timestamps redacted, and running it
//! twice prints the same.

fn redact(out: &str) -> String {
    out.lines()
        .map(|l| {
            let t = l.trim_start();
            let is_time = ["\"created_at\": \"", "\"updated_at\": \""]
                .iter()
                .any(|p| t.starts_with(p));
            if is_time {
                let indent = &l[..l.len() - t.len()];
                let key = &t[..t.find(':').unwrap_or(0)];
                let comma = if t.ends_with(',') { "," } else { "" };
                format!("{indent}{key}: \"[timestamp]\"{comma}")
            } else {
                l.replace("(postgres)", "(sqlite)")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn storefront_runs_twice_on_sqlite_and_prints_the_seed_queries() {
    let (db, path) = link_tests::sqlite_file().await;
    let first = storefront::app::run_on(db.clone()).await.unwrap();
    let second = storefront::app::run_on(db.clone()).await.unwrap();
    assert_eq!(redact(&first), redact(&second), "idempotent");
    insta::assert_snapshot!("storefront_output", redact(&first));
    // The README's sample is the output's first lines, verbatim.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let start = readme
        .find("```text\n# migrations:")
        .expect("the README shows the storefront's output")
        + "```text\n".len();
    let sample = &readme[start..start + readme[start..].find("```").expect("block end")];
    assert!(
        first.starts_with(sample),
        "README sample differs from the output:\n{sample}\n---\n{first}"
    );
    db.close().await;
    let _ = std::fs::remove_file(path);
}

#[tokio::test]
async fn storefront_runs_on_postgres_with_the_same_output() {
    let Some(pg) = link_tests::postgres().await else {
        eprintln!("LINK_TEST_PG_URL is not set: Postgres run skipped");
        return;
    };
    let (db, path) = link_tests::sqlite_file().await;
    let sqlite = storefront::app::run_on(db.clone()).await.unwrap();
    let first = storefront::app::run_on(pg.clone()).await.unwrap();
    let second = storefront::app::run_on(pg).await.unwrap();
    assert_eq!(redact(&first), redact(&second));
    assert_eq!(redact(&first), redact(&sqlite));
    db.close().await;
    let _ = std::fs::remove_file(path);
}

/// The typed form: generated paths build the request, generated entity
/// structs receive the rows.
#[tokio::test]
async fn typed_paths_and_generated_entities() {
    use link_runtime::{Databases, Graph, Query};
    use std::sync::Arc;
    use storefront::links::{entities, paths};

    let (db, path) = link_tests::sqlite_file().await;
    storefront::app::run_on(db.clone()).await.unwrap();
    let q = Query::new(
        Arc::new(storefront::links::GRAPH.clone()),
        Databases::single(db.clone()),
    );
    let p = paths::SalesChannel::root();
    let req = Graph::of::<paths::SalesChannel>()
        .fields([p.products().title(), p.stock_locations().name()])
        .fields([p.id()])
        .filters(serde_json::json!({"id": "sc_123"}));
    let r = q.graph_as::<entities::SalesChannel>(req).await.unwrap();
    assert_eq!(r.data.len(), 1);
    let sc = &r.data[0];
    assert_eq!(sc.id.as_ref().map(|i| i.as_str()), Some("sc_123"));
    assert_eq!(sc.name, None, "only requested fields are filled");
    let titles: Vec<_> = sc
        .products
        .as_ref()
        .unwrap()
        .iter()
        .map(|p| p.title.clone().unwrap())
        .collect();
    assert_eq!(titles, ["Medusa T-Shirt", "Medusa Sweatpants"]);
    let locations: Vec<_> = sc
        .stock_locations
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| l.name.clone().unwrap())
        .collect();
    assert_eq!(locations, ["European Warehouse"]);
    assert_eq!(
        p.products().sales_channels().name().as_str(),
        "products.sales_channels.name"
    );
    db.close().await;
    let _ = std::fs::remove_file(path);
}

/// Typed ids select records for list and delete.
#[tokio::test]
async fn typed_selections_list_and_delete() {
    use link_runtime::{Databases, Link, ListFilter, Selection};
    use std::sync::Arc;
    use storefront::links::{ProductId, entities};

    let (db, path) = link_tests::sqlite_file().await;
    storefront::app::run_on(db.clone()).await.unwrap();
    let link = Link::new(
        Arc::new(storefront::links::GRAPH.clone()),
        Databases::single(db.clone()),
    );
    let of_prod = Selection::of::<entities::Product>("product_id", [ProductId::from("prod_123")]);
    let rows = link
        .list(&ListFilter::Of(vec![of_prod.clone()]), false)
        .await
        .unwrap();
    let mut channels: Vec<_> = rows.iter().map(|r| r.right.as_str()).collect();
    channels.sort();
    assert_eq!(channels, ["sc_123", "sc_456"]);
    let report = link.delete(std::slice::from_ref(&of_prod)).await.unwrap();
    assert_eq!(report.links["product_sales_channel"].len(), 2);
    assert!(
        link.list(&ListFilter::Of(vec![of_prod.clone()]), false)
            .await
            .unwrap()
            .is_empty()
    );
    link.restore_exact(std::slice::from_ref(&of_prod), &report)
        .await
        .unwrap();
    assert_eq!(
        link.list(&ListFilter::Of(vec![of_prod]), false)
            .await
            .unwrap()
            .len(),
        2
    );
    db.close().await;
    let _ = std::fs::remove_file(path);
}

/// The Medusa shape answers the same on SQLite and Postgres: nested ids and
/// join keys, `*` with the module's own relations, hidden fields left out,
/// timestamps with milliseconds.
#[tokio::test]
async fn the_medusa_shape_is_the_same_on_both_databases() {
    use link_runtime::{Databases, Graph, Query};
    use serde_json::{Value, json};
    let (lite, path) = link_tests::sqlite_file().await;
    let mut dbs = vec![lite.clone()];
    dbs.extend(link_tests::postgres().await);
    let requests = [
        json!({"entity": "cart", "fields": ["id", "sales_channel.name"], "shape": "medusa"}),
        json!({"entity": "sales_channel", "fields": ["id", "carts.id", "stock_locations.*"],
               "filters": {"id": "sc_123"}, "shape": "medusa"}),
        json!({"entity": "api_key", "fields": ["*"], "filters": {"id": "apk_123"}, "shape": "medusa"}),
        // A hidden field is read when asked for by name.
        json!({"entity": "api_key", "fields": ["salt"], "filters": {"id": "apk_123"}}),
    ];
    let mut answers = Vec::new();
    for db in &dbs {
        storefront::app::run_on(db.clone()).await.unwrap();
        let q = Query::new(
            storefront::links::GRAPH.clone(),
            Databases::single(db.clone()),
        );
        let mut out = Vec::new();
        for r in &requests {
            out.push(Value::Array(
                q.graph(Graph::from_json(r).unwrap()).await.unwrap().data,
            ));
        }
        answers.push(out);
    }
    let millis = |v: &Value| {
        let s = v.as_str().unwrap();
        s.len() == "2026-12-01T19:00:02.619Z".len() && s.ends_with('Z') && &s[19..20] == "."
    };
    let lite_answers = &answers[0];
    assert_eq!(
        lite_answers[0],
        json!([
            {"id": "cart_1", "sales_channel": {"id": "sc_123", "name": "Default Sales Channel"}, "sales_channel_id": "sc_123"},
            {"id": "cart_2", "sales_channel": {"id": "sc_456", "name": "Webshop"}, "sales_channel_id": "sc_456"},
            {"id": "cart_3", "sales_channel": null, "sales_channel_id": null},
        ])
    );
    let sc = &lite_answers[1][0];
    assert_eq!(
        sc["carts"],
        json!([{"id": "cart_1", "sales_channel_id": "sc_123"}])
    );
    let loc = &sc["stock_locations"][0];
    assert_eq!(loc["address"], Value::Null);
    assert!(loc.get("address_id").is_none(), "{loc}");
    assert!(millis(&loc["created_at"]), "{loc}");
    let key = &lite_answers[2][0];
    assert!(key.get("salt").is_none(), "{key}");
    assert!(millis(&key["created_at"]), "{key}");
    assert_eq!(lite_answers[3], json!([{"salt": "salt1"}]));
    if let Some(pg_answers) = answers.get(1) {
        let strip = |v: &Value| {
            let mut v = v.clone();
            strip_times(&mut v);
            v
        };
        for (i, (a, b)) in lite_answers.iter().zip(pg_answers).enumerate() {
            assert_eq!(strip(a), strip(b), "request {i}");
        }
    }
    for db in dbs {
        db.close().await;
    }
    let _ = std::fs::remove_file(path);
}

fn strip_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k.ends_with("_at") && x.is_string() {
                    *x = serde_json::Value::from("[timestamp]");
                } else {
                    strip_times(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_times),
        _ => {}
    }
}
