//! Medusa's own answers (`tests/fixtures/medusa-oracle/`, a copy of the
//! reference's `medusa-oracle/`: its README, the dump, the answers and the
//! link rows after create): a dump of a
//! real Medusa 2.21.2 database is loaded into a fresh Postgres database, the
//! storefront's graph reads it in the Medusa shape, and each of the 15
//! `query.graph` calls of `answers.json`, normalised as the oracle's README
//! says, equals Medusa's answer, except where Medusa returns nothing for
//! sales_channel → `products` (it defines no such relation): there ours lists
//! the linked products, which the expected answer takes from q03's
//! `products_link.product.*`.
//!
//! The normalisation hides order and timestamp precision; both are checked
//! on the same database by their own tests.

use std::path::PathBuf;

use link_runtime::{Databases, Db, Graph, Query};
use serde_json::{Map, Value, json};
use sqlx::{Connection, Executor};

fn oracle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/medusa-oracle")
}

fn oracle_file(name: &str) -> String {
    let path = oracle_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh database holding the oracle's dump; dropped at the end of the
/// test (databases left by killed runs are dropped by the next run).
struct OracleDb {
    admin_url: String,
    name: String,
    db: Db,
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let server = &base[..base.rfind('/').expect("a database in the URL")];
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

async fn oracle_db() -> Option<OracleDb> {
    let Some(url) = link_tests::pg_url() else {
        link_tests::require_postgres();
        return None;
    };
    let mut admin = sqlx::PgConnection::connect(&url).await.expect("postgres");
    // Databases of runs that are gone.
    let old: Vec<(String,)> =
        sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'lt_medusa_oracle_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    for (name,) in old {
        let pid = name.rsplit('_').next().unwrap_or("");
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
            admin.execute(sqlx::AssertSqlSafe(drop)).await.unwrap();
        }
    }
    let name = format!(
        "lt_medusa_oracle_{}_{}",
        link_tests::unique("x").replace('_', ""),
        std::process::id()
    );
    let create = format!("CREATE DATABASE \"{name}\"");
    admin.execute(sqlx::AssertSqlSafe(create)).await.unwrap();
    let db_url = with_database(&url, &name);
    // The dump sets session settings (search_path among them): load it on
    // a connection of its own.
    let mut load = sqlx::PgConnection::connect(&db_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(oracle_file("medusa_oracle.sql")))
        .execute(&mut load)
        .await
        .expect("the oracle's dump loads");
    load.close().await.unwrap();
    let db = Db::connect(&db_url).await.unwrap();
    Some(OracleDb {
        admin_url: url,
        name,
        db,
    })
}

impl OracleDb {
    fn query(&self) -> Query {
        Query::new(
            storefront::links::GRAPH.clone(),
            Databases::single(self.db.clone()),
        )
    }

    async fn drop(self) {
        self.db.close().await;
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        admin.execute(sqlx::AssertSqlSafe(drop)).await.unwrap();
    }
}

// ------------------------------------------------------------ normalisation

const TIMESTAMPS: [&str; 6] = [
    "created_at",
    "updated_at",
    "deleted_at",
    "last_used_at",
    "revoked_at",
    "canceled_at",
];
const TOKENS: [&str; 3] = ["token", "redacted", "salt"];

/// `<lowercase prefix>_<26-character ULID>` → `<prefix>_<ULID>`.
fn mask_id(s: &str) -> Option<String> {
    let (prefix, ulid) = s.rsplit_once('_')?;
    let ok_prefix = !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
    let ok_ulid = ulid.len() == 26
        && ulid
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    (ok_prefix && ok_ulid).then(|| format!("{prefix}_<ULID>"))
}

/// The oracle README's normalisation (idempotent, so Medusa's normalised
/// answers go through it too).
fn normalise(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                let x = if TIMESTAMPS.contains(&k.as_str()) && !x.is_null() {
                    json!("<timestamp>")
                } else if TOKENS.contains(&k.as_str()) && x.as_str().is_some_and(|s| !s.is_empty())
                {
                    json!("<token>")
                } else {
                    normalise(x)
                };
                out.insert(k.clone(), x);
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(normalise).collect();
            if items.iter().all(Value::is_object) {
                let key = |x: &Value| match x.get("id").and_then(Value::as_str) {
                    Some(id) if !id.ends_with("<ULID>") => (0, id.to_string()),
                    _ => (1, x.to_string()),
                };
                items.sort_by_key(key);
            }
            Value::Array(items)
        }
        Value::String(s) => mask_id(s).map_or_else(|| v.clone(), Value::String),
        _ => v.clone(),
    }
}

// ------------------------------------------------------------ the calls

/// `query.graph({...})` → its argument.
fn call_body(call: &str) -> Value {
    let inner = call
        .strip_prefix("query.graph(")
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not a query.graph call: {call}"));
    serde_json::from_str(inner).unwrap()
}

/// sales_channel id → its linked products as q03 shows them (Medusa's
/// working path to the same records).
fn products_by_channel(answers: &Value) -> Map<String, Value> {
    let q03 = &answers["q03-sales_channel-products_link-product"]["normalized"]["data"];
    let mut out = Map::new();
    for sc in q03.as_array().unwrap() {
        let products: Vec<Value> = sc["products_link"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["product"].clone())
            .collect();
        out.insert(
            sc["id"].as_str().unwrap().to_string(),
            normalise(&Value::Array(products)),
        );
    }
    out
}

/// Medusa's answer, except for the `products` relation it lacks.
fn expected(name: &str, answers: &Value) -> Value {
    let mut want = answers[name]["normalized"].clone();
    let products = products_by_channel(answers);
    let pick = |p: &Value, fields: &[&str]| {
        Value::Object(
            fields
                .iter()
                .map(|f| (f.to_string(), p[*f].clone()))
                .collect(),
        )
    };
    match name {
        // `products.*` and `products.id, products.title`: the products of
        // q03 (all their fields, or the two asked for).
        "q02-sales_channel-products" | "q13-sales_channel-products-id-title" => {
            for sc in want["data"].as_array_mut().unwrap() {
                let list = products[sc["id"].as_str().unwrap()].as_array().unwrap();
                let list: Vec<Value> = if name.starts_with("q02") {
                    list.clone()
                } else {
                    list.iter().map(|p| pick(p, &["id", "title"])).collect()
                };
                sc["products"] = Value::Array(list);
            }
        }
        // Medusa answers `[null]`; the root asks no field of its own, so it
        // carries what the Medusa shape always adds: its id.
        "q14-sales_channel-sc_123-products" => {
            want = json!({"data": [{"id": "sc_123", "products": products["sc_123"]}]});
        }
        _ => {}
    }
    normalise(&want)
}

#[tokio::test]
async fn the_fifteen_calls_answer_as_medusa_does() {
    let Some(oracle) = oracle_db().await else {
        return;
    };
    let answers: Value = serde_json::from_str(&oracle_file("answers.json")).unwrap();
    let query = oracle.query();
    let mut differ = Vec::new();
    let calls = answers.as_object().unwrap();
    assert_eq!(calls.len(), 15);
    for (name, case) in calls {
        assert_eq!(case["ok"], json!(true), "{name}: Medusa answered");
        let mut body = call_body(case["call"].as_str().unwrap());
        body["shape"] = json!("medusa");
        let req = Graph::from_json(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = match query.graph(req).await {
            Ok(r) => {
                let mut out = json!({"data": r.data});
                if let Some(m) = r.metadata {
                    out["metadata"] = serde_json::to_value(m).unwrap();
                }
                normalise(&out)
            }
            Err(e) => json!({"error": e.to_string()}),
        };
        let want = expected(name, &answers);
        if got != want {
            differ.push(format!("{name}:\n  ours:   {got}\n  medusa: {want}"));
        }
    }
    oracle.drop().await;
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// What the normalisation hides: roots come by id, a nested list in link
/// order (the link rows' creation, not the records' ids), timestamps with
/// milliseconds, truncated as Medusa's driver reads them; `metadata` only
/// with `skip`.
#[tokio::test]
async fn order_precision_and_metadata_follow_medusa() {
    let Some(oracle) = oracle_db().await else {
        return;
    };
    let db = oracle.db.clone();
    // sc_456's links: prod_789 linked before prod_456 (ids the other way).
    for (product, at) in [
        ("prod_789", "2026-12-01 18:00:00.123456+00"),
        ("prod_456", "2026-12-01 18:00:01.987654+00"),
    ] {
        let sql = format!(
            "UPDATE product_sales_channel SET created_at = '{at}' \
             WHERE product_id = '{product}' AND sales_channel_id = 'sc_456'"
        );
        db.execute_script(&sql).await.unwrap();
    }
    let query = oracle.query();
    let req = |shape| {
        Graph::from_json(&json!({
            "entity": "sales_channel",
            "fields": ["id", "products_link.created_at", "products.title"],
            "filters": {"id": ["sc_456", "sc_123"]},
            "shape": shape,
        }))
        .unwrap()
    };
    let r = query.graph(req("medusa")).await.unwrap();
    assert_eq!(r.metadata, None);
    assert_eq!(
        Value::Array(r.data),
        json!([
            {"id": "sc_123", "products_link": [
                {"created_at": "2026-12-01T18:56:30.619Z", "product_id": "prod_456", "sales_channel_id": "sc_123"},
                {"created_at": "2026-12-01T18:56:30.619Z", "product_id": "prod_123", "sales_channel_id": "sc_123"},
            ], "products": [
                {"id": "prod_456", "title": "Pants"},
                {"id": "prod_123", "title": "Shirt"},
            ]},
            {"id": "sc_456", "products_link": [
                {"created_at": "2026-12-01T18:00:00.123Z", "product_id": "prod_789", "sales_channel_id": "sc_456"},
                {"created_at": "2026-12-01T18:00:01.987Z", "product_id": "prod_456", "sales_channel_id": "sc_456"},
            ], "products": [
                {"id": "prod_789", "title": "Hat"},
                {"id": "prod_456", "title": "Pants"},
            ]},
        ])
    );
    // The exact shape keeps the database's precision and asks nothing more.
    let r = query.graph(req("exact")).await.unwrap();
    assert_eq!(
        r.data[1],
        json!({"id": "sc_456", "products_link": [
            {"created_at": "2026-12-01T18:00:00.123456Z"},
            {"created_at": "2026-12-01T18:00:01.987654Z"},
        ], "products": [{"title": "Hat"}, {"title": "Pants"}]})
    );
    // Metadata: with `skip` only.
    let paged = |pagination: Value| {
        Graph::from_json(&json!({
            "entity": "product",
            "fields": ["title"],
            "pagination": pagination,
            "shape": "medusa",
        }))
        .unwrap()
    };
    let r = query.graph(paged(json!({"take": 2}))).await.unwrap();
    assert_eq!(r.metadata, None);
    assert_eq!(
        Value::Array(r.data),
        json!([{"id": "prod_123", "title": "Shirt"}, {"id": "prod_456", "title": "Pants"}])
    );
    let r = query
        .graph(paged(json!({"take": 2, "skip": 1})))
        .await
        .unwrap();
    let m = r.metadata.unwrap();
    assert_eq!((m.count, m.skip, m.take), (Some(3), 1, Some(2)));
    oracle.drop().await;
}

/// `order.status` is Postgres's `order_status_enum`: an `enum` field reads
/// it as text, filters and orders it as text.
#[tokio::test]
async fn an_enum_column_reads_and_filters_as_text() {
    let Some(oracle) = oracle_db().await else {
        return;
    };
    let query = oracle.query();
    let r = query
        .graph(
            Graph::new("order")
                .fields(["id", "status"])
                .filters(json!({"status": {"$in": ["pending", "draft"]}}))
                .order("status", link_runtime::Dir::Desc),
        )
        .await
        .unwrap();
    assert_eq!(
        Value::Array(r.data),
        json!([{"id": "order_123", "status": "pending"}])
    );
    let r = query
        .graph(
            Graph::new("order")
                .fields(["id"])
                .filters(json!({"status": {"$like": "comp%"}})),
        )
        .await
        .unwrap();
    assert_eq!(r.data, Vec::<Value>::new());
    oracle.drop().await;
}

/// The rows our Link service writes into Medusa's own link tables are the
/// rows Medusa wrote for the same `link.create` (the oracle's
/// `link-rows-after-create.json`), and Medusa's answers read them back.
#[tokio::test]
async fn rows_we_write_have_medusas_shape() {
    let Some(oracle) = oracle_db().await else {
        return;
    };
    let db = oracle.db.clone();
    // Medusa's rows of the scenario go; the default channel's key link
    // (made at Medusa's first boot) stays, as it was before that call.
    db.execute_script(
        "DELETE FROM product_sales_channel;
         DELETE FROM sales_channel_stock_location;
         DELETE FROM publishable_api_key_sales_channel WHERE publishable_key_id IN ('apk_123', 'apk_456');",
    )
    .await
    .unwrap();
    let link = link_runtime::Link::new(
        storefront::links::GRAPH.clone(),
        Databases::single(db.clone()),
    );
    let body = br#"[
        {"product": {"product_id": "prod_123"}, "sales_channel": {"sales_channel_id": "sc_123"}},
        {"product": {"product_id": "prod_456"}, "sales_channel": {"sales_channel_id": "sc_123"}},
        {"product": {"product_id": "prod_456"}, "sales_channel": {"sales_channel_id": "sc_456"}},
        {"product": {"product_id": "prod_789"}, "sales_channel": {"sales_channel_id": "sc_456"}},
        {"api_key": {"publishable_key_id": "apk_123"}, "sales_channel": {"sales_channel_id": "sc_123"}},
        {"api_key": {"publishable_key_id": "apk_456"}, "sales_channel": {"sales_channel_id": "sc_123"}},
        {"api_key": {"publishable_key_id": "apk_456"}, "sales_channel": {"sales_channel_id": "sc_456"}},
        {"sales_channel": {"sales_channel_id": "sc_123"}, "stock_location": {"stock_location_id": "sloc_123"}},
        {"sales_channel": {"sales_channel_id": "sc_456"}, "stock_location": {"stock_location_id": "sloc_123"}},
        {"sales_channel": {"sales_channel_id": "sc_456"}, "stock_location": {"stock_location_id": "sloc_456"}}
    ]"#;
    let links: link_runtime::MedusaLinks = serde_json::from_slice(body).unwrap();
    assert_eq!(link.create(links).await.unwrap().len(), 10);
    let want: Value = serde_json::from_str(&oracle_file("link-rows-after-create.json")).unwrap();
    let query = oracle.query();
    for (table, case) in want.as_object().unwrap() {
        let rows = query
            .graph(Graph::new(table.as_str()).fields(["*"]).with_deleted(true))
            .await
            .unwrap();
        assert_eq!(
            normalise(&Value::Array(rows.data)),
            normalise(&case["normalized"]),
            "{table}"
        );
    }
    // Medusa's answer q07 holds on our rows.
    let answers: Value = serde_json::from_str(&oracle_file("answers.json")).unwrap();
    let name = "q07-product-sales_channels";
    let mut body = call_body(answers[name]["call"].as_str().unwrap());
    body["shape"] = json!("medusa");
    let r = query.graph(Graph::from_json(&body).unwrap()).await.unwrap();
    assert_eq!(
        normalise(&json!({"data": r.data})),
        expected(name, &answers)
    );
    oracle.drop().await;
}

/// A `text` field over Postgres's enum column is refused with a typed error
/// naming the field and what to declare, not the driver's decode error.
#[tokio::test]
async fn an_enum_column_declared_text_names_the_field() {
    let Some(oracle) = oracle_db().await else {
        return;
    };
    let mut graph = storefront::links::GRAPH.clone();
    let order = graph
        .modules
        .to_mut()
        .iter_mut()
        .find(|m| m.name == "order")
        .unwrap();
    let status = order.models.to_mut()[0]
        .fields
        .to_mut()
        .iter_mut()
        .find(|f| f.name == "status")
        .unwrap();
    status.ty = link_model::ScalarType::Text;
    let query = Query::new(graph, Databases::single(oracle.db.clone()));
    for req in [
        Graph::new("order").fields(["id", "status"]),
        Graph::new("sales_channel").fields(["id", "orders.status"]),
        // A per-parent take: on Postgres roots and children in one statement.
        Graph::new("sales_channel")
            .fields(["id", "orders.status"])
            .nested(
                "orders",
                link_runtime::Nested {
                    take: Some(1),
                    ..Default::default()
                },
            ),
    ] {
        let err = query.graph(req).await.unwrap_err();
        assert!(
            matches!(&err, link_runtime::Error::FieldType { entity, field, .. } if entity == "order" && field == "status"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "field `order.status` is declared `text`, but its column is of type `order_status_enum`; declare a Postgres enum column `enum`"
        );
    }
    oracle.drop().await;
}
