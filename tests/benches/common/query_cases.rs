//! Data, requests and baselines of the query benchmarks: the seed graph
//! with 10 sales channels and 10,000 products, each in 3 channels.

use serde_json::{Map, Value, json};
use sqlx::Row;

use link_runtime::{Databases, Dir, Graph, Link, LinkValue, Query};

use super::{Fresh, Raw};

pub const PRODUCTS: usize = 10_000;
pub const CHANNELS: usize = 10;
/// The channel of cases (b) and (d).
pub const CHANNEL: &str = "sc_03";

// ---------------------------------------------------------------- data

/// Seeds channels, products and the 30,000 links (through `Link::create`).
pub async fn seed(fresh: &Fresh) -> Query {
    let graph = super::seed_graph();
    link_tests::create_module_tables(&fresh.db, Some(&["product", "sales_channel"])).await;
    super::create_link_tables(&fresh.db, &graph).await;
    let mut sql = String::from(
        "INSERT INTO \"sales_channel\" (\"id\", \"name\", \"description\", \"is_disabled\") VALUES ",
    );
    for c in 0..CHANNELS {
        if c > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "('sc_{c:02}', 'Channel {c}', 'Channel number {c}', false)"
        ));
    }
    super::raw_execute(&fresh.raw, &sql).await;
    for chunk in (0..PRODUCTS).collect::<Vec<_>>().chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO \"product\" (\"id\", \"title\", \"handle\", \"subtitle\", \"status\", \"weight\", \"metadata\") VALUES ",
        );
        for (n, i) in chunk.iter().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            // Titles are a permutation of the ids, so title order differs.
            let title = (i * 7919) % PRODUCTS;
            let metadata = if i % 2 == 0 {
                format!("'{{\"rank\": {i}}}'")
            } else {
                "NULL".to_string()
            };
            sql.push_str(&format!(
                "('prod_{i:05}', 'Product {title:05}', 'product-{i}', 'Subtitle {i}', 'published', {}, {metadata})",
                100 + i % 900
            ));
        }
        super::raw_execute(&fresh.raw, &sql).await;
    }
    let link = Link::new(graph.clone(), Databases::single(fresh.db.clone()));
    let values: Vec<LinkValue> = (0..PRODUCTS)
        .flat_map(|i| {
            [0, 3, 7].map(|o| {
                LinkValue::new(
                    "product_sales_channel",
                    format!("prod_{i:05}"),
                    format!("sc_{:02}", (i + o) % CHANNELS),
                    Map::new(),
                )
            })
        })
        .collect();
    link.create(values).await.expect("links");
    for table in ["product", "sales_channel", "product_sales_channel"] {
        super::raw_execute(&fresh.raw, &format!("ANALYZE \"{table}\"")).await;
    }
    Query::new(graph, Databases::single(fresh.db.clone()))
}

// ---------------------------------------------------------------- requests

pub fn req_a() -> Graph {
    Graph::new("product").fields(["id", "sales_channels.id", "sales_channels.name"])
}

pub fn req_b() -> Graph {
    Graph::new("sales_channel")
        .fields(["id", "products.*"])
        .filters(json!({"id": CHANNEL}))
}

pub fn req_c() -> Graph {
    Graph::new("product")
        .fields(["id", "title", "sales_channels.id", "sales_channels.name"])
        .take(100)
        .order("title", Dir::Asc)
}

pub fn req_d() -> Graph {
    Graph::new("product")
        .fields(["id", "title"])
        .filters(json!({"sales_channels": {"id": CHANNEL}}))
}

pub async fn graph(q: &Query, req: Graph) -> (Vec<Value>, Option<u64>) {
    let r = q.graph(req).await.expect("graph");
    (r.data, r.metadata.and_then(|m| m.count))
}

// ---------------------------------------------------------------- baselines

/// Runs `$body` with `$p` bound to whichever raw pool `$raw` holds.
macro_rules! on_pool {
    ($raw:expr, $p:ident => $body:expr) => {
        match $raw {
            Raw::Sqlite($p) => $body,
            Raw::Postgres($p) => $body,
        }
    };
}

pub fn channel(id: String, name: String) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id));
    m.insert("name".into(), Value::String(name));
    Value::Object(m)
}

/// Groups `(parent fields, child)` rows, ordered by parent, into objects
/// with a `list` of children (`None`: a parent without children).
pub fn group(
    rows: impl Iterator<Item = (String, Map<String, Value>, Option<Value>)>,
    list: &str,
) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut current: Option<(String, Map<String, Value>, Vec<Value>)> = None;
    for (key, fields, child) in rows {
        if current.as_ref().is_none_or(|(k, _, _)| *k != key) {
            if let Some((_, mut m, children)) = current.take() {
                m.insert(list.into(), Value::Array(children));
                out.push(Value::Object(m));
            }
            current = Some((key, fields, Vec::new()));
        }
        if let (Some((_, _, children)), Some(c)) = (current.as_mut(), child) {
            children.push(c);
        }
    }
    if let Some((_, mut m, children)) = current {
        m.insert(list.into(), Value::Array(children));
        out.push(Value::Object(m));
    }
    out
}

const A_JOIN: &str = r#"SELECT p."id", sc."id", sc."name" FROM "product" p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
WHERE p."deleted_at" IS NULL ORDER BY p."id", l."created_at", l."id""#;

/// (a) hand-written: one join, grouped in Rust.
pub async fn a_hand_join(raw: &Raw) -> Vec<Value> {
    on_pool!(raw, p => {
        let rows = sqlx::query(A_JOIN).fetch_all(p).await.unwrap();
        group(
            rows.iter().map(|r| {
                let id: String = r.get(0);
                let mut m = Map::new();
                m.insert("id".into(), Value::String(id.clone()));
                let c = r
                    .get::<Option<String>, _>(1)
                    .map(|cid| channel(cid, r.get(2)));
                (id, m, c)
            }),
            "sales_channels",
        )
    })
}

const A_JSON_SQLITE: &str = r#"SELECT p."id", json_group_array(json_object('id', sc."id", 'name', sc."name") ORDER BY l."created_at", l."id") FILTER (WHERE sc."id" IS NOT NULL)
FROM "product" p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
WHERE p."deleted_at" IS NULL GROUP BY p."id" ORDER BY p."id""#;

const A_JSON_PG: &str = r#"SELECT p."id", COALESCE(json_agg(json_build_object('id', sc."id", 'name', sc."name") ORDER BY l."created_at", l."id") FILTER (WHERE sc."id" IS NOT NULL), '[]')::text
FROM "product" p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
WHERE p."deleted_at" IS NULL GROUP BY p."id" ORDER BY p."id""#;

/// Objects `{"id", <list>: parsed JSON}` of `(id, json text)` rows.
pub fn json_rows(rows: impl Iterator<Item = (String, String)>, list: &str) -> Vec<Value> {
    rows.map(|(id, text)| {
        let mut m = Map::new();
        m.insert("id".into(), Value::String(id));
        m.insert(list.into(), serde_json::from_str(&text).unwrap());
        Value::Object(m)
    })
    .collect()
}

/// (a) hand-written: json_group_array / json_agg per product.
pub async fn a_hand_json(raw: &Raw) -> Vec<Value> {
    let sql = match raw {
        Raw::Sqlite(_) => A_JSON_SQLITE,
        Raw::Postgres(_) => A_JSON_PG,
    };
    on_pool!(raw, p => {
        let rows = sqlx::query(sql).fetch_all(p).await.unwrap();
        json_rows(rows.iter().map(|r| (r.get(0), r.get(1))), "sales_channels")
    })
}

const CHANNELS_OF: &str = r#"SELECT sc."id", sc."name" FROM "product_sales_channel" l
JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id"
WHERE l."product_id" = $1 AND l."deleted_at" IS NULL AND sc."deleted_at" IS NULL
ORDER BY l."created_at", l."id""#;

/// (a) naive: the products, then one query per product for its channels.
pub async fn a_naive(raw: &Raw) -> Vec<Value> {
    on_pool!(raw, p => {
        let ids: Vec<String> = sqlx::query_scalar(
            r#"SELECT "id" FROM "product" WHERE "deleted_at" IS NULL ORDER BY "id""#,
        )
        .fetch_all(p)
        .await
        .unwrap();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let rows = sqlx::query(CHANNELS_OF).bind(id.as_str()).fetch_all(p).await.unwrap();
            let mut m = Map::new();
            m.insert("id".into(), Value::String(id));
            m.insert(
                "sales_channels".into(),
                Value::Array(rows.iter().map(|r| channel(r.get(0), r.get(1))).collect()),
            );
            out.push(Value::Object(m));
        }
        out
    })
}

const PRODUCT_COLS: &str = r#"p."id", p."title", p."handle", p."subtitle", p."description", p."is_giftcard", p."status", p."thumbnail", p."weight", p."origin_country", p."material", p."discountable", p."external_id", p."metadata", p."created_at", p."updated_at", p."deleted_at""#;

const PRODUCT_FIELDS: [&str; 17] = [
    "id",
    "title",
    "handle",
    "subtitle",
    "description",
    "is_giftcard",
    "status",
    "thumbnail",
    "weight",
    "origin_country",
    "material",
    "discountable",
    "external_id",
    "metadata",
    "created_at",
    "updated_at",
    "deleted_at",
];

pub fn text(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::String)
}

/// Every product column from `offset` on, typed as the runtime returns it.
pub fn product_sqlite(r: &sqlx::sqlite::SqliteRow, o: usize) -> Value {
    let mut m = Map::new();
    for (i, f) in PRODUCT_FIELDS.iter().enumerate() {
        let v = match *f {
            "is_giftcard" | "discountable" => Value::Bool(r.get(o + i)),
            "weight" => r
                .get::<Option<f64>, _>(o + i)
                .map_or(Value::Null, Value::from),
            "metadata" => r
                .get::<Option<String>, _>(o + i)
                .map_or(Value::Null, |t| serde_json::from_str(&t).unwrap()),
            _ => text(r.get(o + i)),
        };
        m.insert((*f).into(), v);
    }
    Value::Object(m)
}

pub fn product_pg(r: &sqlx::postgres::PgRow, o: usize) -> Value {
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or(Value::Null, |t| {
            Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        })
    };
    let mut m = Map::new();
    for (i, f) in PRODUCT_FIELDS.iter().enumerate() {
        let v = match *f {
            "is_giftcard" | "discountable" => Value::Bool(r.get(o + i)),
            "weight" => r
                .get::<Option<f32>, _>(o + i)
                .map_or(Value::Null, |w| Value::from(w as f64)),
            "metadata" => r
                .get::<Option<sqlx::types::Json<Value>>, _>(o + i)
                .map_or(Value::Null, |j| j.0),
            "created_at" | "updated_at" | "deleted_at" => ts(r.get(o + i)),
            _ => text(r.get(o + i)),
        };
        m.insert((*f).into(), v);
    }
    Value::Object(m)
}

pub fn b_join_sql() -> String {
    format!(
        r#"SELECT sc."id", {PRODUCT_COLS} FROM "sales_channel" sc
LEFT JOIN "product_sales_channel" l ON l."sales_channel_id" = sc."id" AND l."deleted_at" IS NULL
LEFT JOIN "product" p ON p."id" = l."product_id" AND p."deleted_at" IS NULL
WHERE sc."deleted_at" IS NULL AND sc."id" = $1 ORDER BY sc."id", l."created_at", l."id""#
    )
}

pub fn id_object(id: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id.to_string()));
    m
}

/// (b) hand-written: one join, grouped in Rust.
pub async fn b_hand_join(raw: &Raw, sql: &str) -> Vec<Value> {
    match raw {
        Raw::Sqlite(p) => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(CHANNEL)
                .fetch_all(p)
                .await
                .unwrap();
            group(
                rows.iter().map(|r| {
                    let id: String = r.get(0);
                    let child = r.get::<Option<String>, _>(1).map(|_| product_sqlite(r, 1));
                    (id.clone(), id_object(&id), child)
                }),
                "products",
            )
        }
        Raw::Postgres(p) => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(CHANNEL)
                .fetch_all(p)
                .await
                .unwrap();
            group(
                rows.iter().map(|r| {
                    let id: String = r.get(0);
                    let child = r.get::<Option<String>, _>(1).map(|_| product_pg(r, 1));
                    (id.clone(), id_object(&id), child)
                }),
                "products",
            )
        }
    }
}

const CHANNEL_PRODUCT_IDS: &str = r#"SELECT l."product_id" FROM "product_sales_channel" l
JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id"
WHERE sc."id" = $1 AND l."deleted_at" IS NULL AND sc."deleted_at" IS NULL
ORDER BY l."created_at", l."id""#;

/// (b) naive: the channel, its link rows, then one query per product.
pub async fn b_naive(raw: &Raw) -> Vec<Value> {
    let one = format!(
        r#"SELECT {PRODUCT_COLS} FROM "product" p WHERE p."id" = $1 AND p."deleted_at" IS NULL"#
    );
    let channel_sql =
        r#"SELECT "id" FROM "sales_channel" WHERE "id" = $1 AND "deleted_at" IS NULL"#;
    macro_rules! body {
        ($p:ident, $decode:ident) => {{
            let channels: Vec<String> = sqlx::query_scalar(channel_sql)
                .bind(CHANNEL)
                .fetch_all($p)
                .await
                .unwrap();
            let mut out = Vec::new();
            for c in channels {
                let ids: Vec<String> = sqlx::query_scalar(CHANNEL_PRODUCT_IDS)
                    .bind(c.as_str())
                    .fetch_all($p)
                    .await
                    .unwrap();
                let mut products = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(r) = sqlx::query(sqlx::AssertSqlSafe(one.as_str()))
                        .bind(id)
                        .fetch_optional($p)
                        .await
                        .unwrap()
                    {
                        products.push($decode(&r, 0));
                    }
                }
                let mut m = id_object(&c);
                m.insert("products".into(), Value::Array(products));
                out.push(Value::Object(m));
            }
            out
        }};
    }
    match raw {
        Raw::Sqlite(p) => body!(p, product_sqlite),
        Raw::Postgres(p) => body!(p, product_pg),
    }
}

const C_JOIN: &str = r#"SELECT p."id", p."title", p."total", sc."id", sc."name" FROM (
    SELECT "id", "title", COUNT(*) OVER () AS "total" FROM "product"
    WHERE "deleted_at" IS NULL ORDER BY "title", "id" LIMIT 100
) p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
ORDER BY p."title", p."id", l."created_at", l."id""#;

/// (c) hand-written: the page (with a window count) joined to its channels.
pub async fn c_hand_join(raw: &Raw) -> (Vec<Value>, Option<u64>) {
    on_pool!(raw, p => {
        let rows = sqlx::query(C_JOIN).fetch_all(p).await.unwrap();
        let count = rows.first().map(|r| r.get::<i64, _>(2) as u64).or(Some(0));
        let data = group(
            rows.iter().map(|r| {
                let id: String = r.get(0);
                let mut m = id_object(&id);
                m.insert("title".into(), Value::String(r.get(1)));
                let c = r
                    .get::<Option<String>, _>(3)
                    .map(|cid| channel(cid, r.get(4)));
                (id, m, c)
            }),
            "sales_channels",
        );
        (data, count)
    })
}

const C_JSON_SQLITE: &str = r#"SELECT p."id", p."title", p."total", json_group_array(json_object('id', sc."id", 'name', sc."name") ORDER BY l."created_at", l."id") FILTER (WHERE sc."id" IS NOT NULL) FROM (
    SELECT "id", "title", COUNT(*) OVER () AS "total" FROM "product"
    WHERE "deleted_at" IS NULL ORDER BY "title", "id" LIMIT 100
) p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
GROUP BY p."id", p."title", p."total" ORDER BY p."title", p."id""#;

const C_JSON_PG: &str = r#"SELECT p."id", p."title", p."total", COALESCE(json_agg(json_build_object('id', sc."id", 'name', sc."name") ORDER BY l."created_at", l."id") FILTER (WHERE sc."id" IS NOT NULL), '[]')::text FROM (
    SELECT "id", "title", COUNT(*) OVER () AS "total" FROM "product"
    WHERE "deleted_at" IS NULL ORDER BY "title", "id" LIMIT 100
) p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
GROUP BY p."id", p."title", p."total" ORDER BY p."title", p."id""#;

/// (c) hand-written: the page with json_group_array / json_agg per product.
pub async fn c_hand_json(raw: &Raw) -> (Vec<Value>, Option<u64>) {
    let sql = match raw {
        Raw::Sqlite(_) => C_JSON_SQLITE,
        Raw::Postgres(_) => C_JSON_PG,
    };
    on_pool!(raw, p => {
        let rows = sqlx::query(sql).fetch_all(p).await.unwrap();
        let count = rows.first().map(|r| r.get::<i64, _>(2) as u64).or(Some(0));
        let data = rows
            .iter()
            .map(|r| {
                let mut m = id_object(r.get(0));
                m.insert("title".into(), Value::String(r.get(1)));
                m.insert(
                    "sales_channels".into(),
                    serde_json::from_str(r.get(3)).unwrap(),
                );
                Value::Object(m)
            })
            .collect();
        (data, count)
    })
}

/// (c) naive: the page, the count, then one query per product.
pub async fn c_naive(raw: &Raw) -> (Vec<Value>, Option<u64>) {
    on_pool!(raw, p => {
        let page = sqlx::query(
            r#"SELECT "id", "title" FROM "product" WHERE "deleted_at" IS NULL ORDER BY "title", "id" LIMIT 100"#,
        )
        .fetch_all(p)
        .await
        .unwrap();
        let count: i64 =
            sqlx::query_scalar(r#"SELECT COUNT(*) FROM "product" WHERE "deleted_at" IS NULL"#)
                .fetch_one(p)
                .await
                .unwrap();
        let mut out = Vec::with_capacity(page.len());
        for r in &page {
            let id: String = r.get(0);
            let rows = sqlx::query(CHANNELS_OF).bind(id.as_str()).fetch_all(p).await.unwrap();
            let mut m = id_object(&id);
            m.insert("title".into(), Value::String(r.get(1)));
            m.insert(
                "sales_channels".into(),
                Value::Array(rows.iter().map(|r| channel(r.get(0), r.get(1))).collect()),
            );
            out.push(Value::Object(m));
        }
        (out, Some(count as u64))
    })
}

const D_JOIN: &str = r#"SELECT p."id", p."title" FROM "product" p
JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
WHERE p."deleted_at" IS NULL AND sc."id" = $1 ORDER BY p."id""#;

pub fn id_title(id: String, title: String) -> Value {
    let mut m = id_object(&id);
    m.insert("title".into(), Value::String(title));
    Value::Object(m)
}

/// (d) hand-written: one join.
pub async fn d_hand(raw: &Raw) -> Vec<Value> {
    on_pool!(raw, p => {
        let rows = sqlx::query(D_JOIN).bind(CHANNEL).fetch_all(p).await.unwrap();
        rows.iter().map(|r| id_title(r.get(0), r.get(1))).collect()
    })
}

/// (d) naive: the channel's product ids, then one query per product.
pub async fn d_naive(raw: &Raw) -> Vec<Value> {
    on_pool!(raw, p => {
        let mut ids: Vec<String> = sqlx::query_scalar(CHANNEL_PRODUCT_IDS)
            .bind(CHANNEL)
            .fetch_all(p)
            .await
            .unwrap();
        ids.sort();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = sqlx::query(
                r#"SELECT "id", "title" FROM "product" WHERE "id" = $1 AND "deleted_at" IS NULL"#,
            )
            .bind(id)
            .fetch_optional(p)
            .await
            .unwrap()
            {
                out.push(id_title(r.get(0), r.get(1)));
            }
        }
        out
    })
}
