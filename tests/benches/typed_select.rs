//! Derived selections against the JSON path and hand-written sqlx, on the
//! Query benches' data (10,000 products, 30,000 links, in-memory SQLite and
//! Postgres when `LINK_TEST_PG_URL` is set): every product with the id and
//! name of its channels, into the same structs three ways:
//!
//! - `fetch`: `Query::fetch::<ProductChannels>` (rows decoded into the
//!   structs from the fetched values);
//! - `graph_as`: `Query::graph_as::<ProductChannels>` of the same request
//!   (JSON objects, then serde);
//! - `hand_sqlx`: one hand-written join whose rows sqlx decodes, grouped by
//!   hand into the structs.
//!
//! All three are checked equal before timing.
//!
//! Medians measured on the shared 2-core machine (2026-12-02, noisy), rows
//! decoded into typed cells (`db::Cell`, no JSON value between the
//! database and the structs); two runs back to back, load average ≈ 4:
//!
//! | | fetch | graph_as | hand sqlx | fetch / graph_as | fetch / hand |
//! |---|---|---|---|---|---|
//! | SQLite, run 1 | 79.0 ms | 95.8 ms | 112.4 ms | 0.82 | 0.70 |
//! | Postgres, run 1 | 97.9 ms | 104.2 ms | 73.0 ms | 0.94 | 1.34 |
//! | SQLite, run 2 | 51.3 ms | 65.7 ms | 92.8 ms | 0.78 | 0.55 |
//! | Postgres, run 2 | 56.9 ms | 66.6 ms | 47.7 ms | 0.85 | 1.19 |
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p link-tests --bench typed_select
//! ```

mod common;

use std::sync::{Arc, LazyLock};

use divan::Bencher;
use link_runtime::{Query, Select};
use serde::Deserialize;
use sqlx::Row;
use storefront::links::{ProductId, SalesChannelId, paths};

use common::query_cases::{PRODUCTS, req_a, seed};
use common::{Fresh, RT, Raw};

fn main() {
    divan::main();
}

/// A product with its channels.
#[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
#[select(entity = paths::Product)]
struct ProductChannels {
    id: ProductId,
    sales_channels: Vec<ChannelRef>,
}

/// A channel's id and name.
#[derive(link_runtime::Select, Deserialize, Debug, PartialEq)]
#[select(entity = paths::SalesChannel)]
struct ChannelRef {
    id: SalesChannelId,
    name: String,
}

struct Fixture {
    fresh: Fresh,
    query: Query,
}

static SQLITE: LazyLock<Option<Arc<Fixture>>> =
    LazyLock::new(|| RT.block_on(Fixture::new("sqlite")).map(Arc::new));
static POSTGRES: LazyLock<Option<Arc<Fixture>>> =
    LazyLock::new(|| RT.block_on(Fixture::new("postgres")).map(Arc::new));

impl Fixture {
    async fn new(dialect: &str) -> Option<Fixture> {
        let fresh = common::fresh(dialect, "bench_typed_select").await?;
        let query = seed(&fresh).await;
        let f = Fixture { fresh, query };
        let a = fetch(&f.query).await;
        assert_eq!(a.len(), PRODUCTS);
        assert_eq!(a[0].sales_channels.len(), 3);
        assert_eq!(a, graph_as(&f.query).await, "fetch = graph_as");
        assert_eq!(a, hand_sqlx(&f.fresh.raw).await, "fetch = hand_sqlx");
        Some(f)
    }
}

fn fixture(dialect: &str) -> Arc<Fixture> {
    match dialect {
        "sqlite" => SQLITE.clone(),
        _ => POSTGRES.clone(),
    }
    .expect("database configured")
}

async fn fetch(q: &Query) -> Vec<ProductChannels> {
    q.fetch::<ProductChannels>(Select::new())
        .await
        .expect("fetch")
        .data
}

async fn graph_as(q: &Query) -> Vec<ProductChannels> {
    q.graph_as::<ProductChannels>(req_a())
        .await
        .expect("graph_as")
        .data
}

const JOIN: &str = r#"SELECT p."id", sc."id", sc."name" FROM "product" p
LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL
LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL
WHERE p."deleted_at" IS NULL ORDER BY p."id", l."created_at", l."id""#;

/// Rows `(product id, channel id, channel name)` in product order, grouped.
fn group(
    rows: impl Iterator<Item = (String, Option<String>, Option<String>)>,
) -> Vec<ProductChannels> {
    let mut out: Vec<ProductChannels> = Vec::with_capacity(PRODUCTS);
    for (pid, cid, name) in rows {
        if out.last().is_none_or(|p| p.id.as_str() != pid) {
            out.push(ProductChannels {
                id: ProductId::from(pid),
                sales_channels: Vec::new(),
            });
        }
        if let (Some(cid), Some(name), Some(p)) = (cid, name, out.last_mut()) {
            p.sales_channels.push(ChannelRef {
                id: SalesChannelId::from(cid),
                name,
            });
        }
    }
    out
}

async fn hand_sqlx(raw: &Raw) -> Vec<ProductChannels> {
    match raw {
        Raw::Sqlite(p) => {
            let rows = sqlx::query(JOIN).fetch_all(p).await.unwrap();
            group(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))))
        }
        Raw::Postgres(p) => {
            let rows = sqlx::query(JOIN).fetch_all(p).await.unwrap();
            group(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))))
        }
    }
}

fn bench<T, F: Future<Output = T>>(b: Bencher, dialect: &str, run: impl Fn(Arc<Fixture>) -> F) {
    let f = fixture(dialect);
    b.bench_local(|| RT.block_on(run(f.clone())));
}

#[divan::bench(args = common::dialects(), sample_count = 20)]
fn fetch_derived(b: Bencher, d: &str) {
    bench(b, d, async |f| fetch(&f.query).await);
}

#[divan::bench(args = common::dialects(), sample_count = 20)]
fn graph_as_serde(b: Bencher, d: &str) {
    bench(b, d, async |f| graph_as(&f.query).await);
}

#[divan::bench(args = common::dialects(), sample_count = 20)]
fn hand_sqlx_grouped(b: Bencher, d: &str) {
    bench(b, d, async |f| hand_sqlx(&f.fresh.raw).await);
}
