//! `Query::graph` on the seed graph (links.toml) with 10 sales channels and
//! 10,000 products, each product in 3 channels (30,000 link rows), against a
//! hand-written single SQL statement producing the same nested data and a
//! naive one-query-per-row loop, on in-memory SQLite and Postgres (a
//! dedicated schema; set `LINK_TEST_PG_URL`). Data is set up once per
//! database; every baseline's output is checked equal to graph's first.
//!
//! Cases:
//! - `a_all_products`: `product` with `id, sales_channels.id, sales_channels.name`;
//! - `b_one_channel`: one channel with `products.*`;
//! - `c_page`: 100 products ordered by title with their channels (and the count);
//! - `d_filter_by_channel`: products whose linked channel has a given id.
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p link-tests --bench query_graph
//! ```

mod common;

use std::sync::{Arc, LazyLock};

use divan::Bencher;
use link_runtime::Query;

use common::query_cases::*;
use common::{Fresh, RT};

fn main() {
    divan::main();
}

// ---------------------------------------------------------------- fixture

struct Fixture {
    fresh: Fresh,
    query: Query,
    b_sql: String,
}

impl Fixture {
    async fn new(dialect: &str) -> Option<Fixture> {
        let fresh = common::fresh(dialect, "bench_query_graph").await?;
        let query = seed(&fresh).await;
        let f = Fixture {
            fresh,
            query,
            b_sql: b_join_sql(),
        };
        f.check().await;
        if dialect == "sqlite" {
            check_sqlite_packing().await;
        }
        Some(f)
    }

    /// Every baseline returns exactly what graph returns.
    async fn check(&self) {
        let (q, raw) = (&self.query, &self.fresh.raw);
        let (a, _) = graph(q, req_a()).await;
        assert_eq!(a.len(), PRODUCTS);
        assert_eq!(a[0]["sales_channels"].as_array().map(Vec::len), Some(3));
        assert_eq!(a, a_hand_join(raw).await, "a: hand join");
        assert_eq!(a, a_hand_json(raw).await, "a: hand json");
        assert_eq!(a, a_naive(raw).await, "a: naive");
        let (b, _) = graph(q, req_b()).await;
        assert_eq!(
            b[0]["products"].as_array().map(Vec::len),
            Some(3 * PRODUCTS / CHANNELS)
        );
        assert_eq!(b, b_hand_join(raw, &self.b_sql).await, "b: hand join");
        assert_eq!(b, b_naive(raw).await, "b: naive");
        let c = graph(q, req_c()).await;
        assert_eq!(c.0.len(), 100);
        assert_eq!(c.1, Some(PRODUCTS as u64));
        assert_eq!(c, c_hand_join(raw).await, "c: hand join");
        assert_eq!(c, c_hand_json(raw).await, "c: hand json");
        assert_eq!(c, c_naive(raw).await, "c: naive");
        let (d, _) = graph(q, req_d()).await;
        assert_eq!(d.len(), 3 * PRODUCTS / CHANNELS);
        assert_eq!(d, d_hand(raw).await, "d: hand");
        assert_eq!(d, d_naive(raw).await, "d: naive");
    }
}

/// On SQLite, graph reads rows packed as JSON when every column's type
/// survives it: one statement, values as the row decoder gives them; values
/// the row decoder rejects fall back to reading rows (and fail the same).
async fn check_sqlite_packing() {
    use link_runtime::{Databases, Graph};
    use serde_json::json;
    let fresh = common::sqlite_memory().await;
    let graph = common::seed_graph();
    link_tests::create_module_tables(&fresh.db, Some(&["product", "sales_channel"])).await;
    common::create_link_tables(&fresh.db, &graph).await;
    common::raw_execute(
        &fresh.raw,
        r#"INSERT INTO "sales_channel" ("id", "name", "description", "is_disabled", "metadata", "created_at", "updated_at") VALUES
            ('sc_x', 'X', NULL, 1, '{"a": [1, 2]}', '2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z'),
            ('sc_y', 'Y', 'plain', 0, 'not json', '2024-01-02T03:04:05.678Z', '2024-01-02T03:04:05.678Z')"#,
    )
    .await;
    let q = Query::new(graph, Databases::single(fresh.db.clone()));
    let before = fresh.db.statements();
    let r = q
        .graph(Graph::new("sales_channel").fields(["*"]))
        .await
        .expect("graph");
    assert_eq!(fresh.db.statements() - before, 1, "packed: one statement");
    assert_eq!(
        serde_json::to_value(&r.data).unwrap(),
        json!([
            {"id": "sc_x", "name": "X", "description": null, "is_disabled": true, "metadata": {"a": [1, 2]},
             "created_at": "2024-01-02T03:04:05.678Z", "updated_at": "2024-01-02T03:04:05.678Z", "deleted_at": null},
            {"id": "sc_y", "name": "Y", "description": "plain", "is_disabled": false, "metadata": "not json",
             "created_at": "2024-01-02T03:04:05.678Z", "updated_at": "2024-01-02T03:04:05.678Z", "deleted_at": null}
        ])
    );
    // A boolean stored as text: the row decoder rejects it, so does graph.
    common::raw_execute(
        &fresh.raw,
        r#"UPDATE "sales_channel" SET "is_disabled" = 'yes' WHERE "id" = 'sc_y'"#,
    )
    .await;
    let before = fresh.db.statements();
    let r = q
        .graph(Graph::new("sales_channel").fields(["id", "is_disabled"]))
        .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(fresh.db.statements() - before, 2, "packed, then rows");
    fresh.db.close().await;
}

static SQLITE: LazyLock<Option<Arc<Fixture>>> =
    LazyLock::new(|| RT.block_on(Fixture::new("sqlite")).map(Arc::new));
static POSTGRES: LazyLock<Option<Arc<Fixture>>> =
    LazyLock::new(|| RT.block_on(Fixture::new("postgres")).map(Arc::new));

fn fixture(dialect: &str) -> Arc<Fixture> {
    match dialect {
        "sqlite" => SQLITE.clone(),
        _ => POSTGRES.clone(),
    }
    .expect("database configured")
}

/// Benchmarks `run` on the fixture of `dialect` (set up before timing).
fn bench<T, F: Future<Output = T>>(b: Bencher, dialect: &str, run: impl Fn(Arc<Fixture>) -> F) {
    let f = fixture(dialect);
    b.bench_local(|| RT.block_on(run(f.clone())));
}

// ---------------------------------------------------------------- benches

/// (a) every product with `sales_channels.id`, `sales_channels.name`.
mod a_all_products {
    use super::*;

    #[divan::bench(args = common::dialects(), sample_count = 20)]
    fn graph(b: Bencher, d: &str) {
        bench(b, d, async |f| super::graph(&f.query, req_a()).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 20)]
    fn hand_join(b: Bencher, d: &str) {
        bench(b, d, async |f| a_hand_join(&f.fresh.raw).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 20)]
    fn hand_json(b: Bencher, d: &str) {
        bench(b, d, async |f| a_hand_json(&f.fresh.raw).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 5)]
    fn naive(b: Bencher, d: &str) {
        bench(b, d, async |f| a_naive(&f.fresh.raw).await);
    }
}

/// (b) one channel with `products.*`.
mod b_one_channel {
    use super::*;

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn graph(b: Bencher, d: &str) {
        bench(b, d, async |f| super::graph(&f.query, req_b()).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn hand_join(b: Bencher, d: &str) {
        bench(b, d, async |f| b_hand_join(&f.fresh.raw, &f.b_sql).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 5)]
    fn naive(b: Bencher, d: &str) {
        bench(b, d, async |f| b_naive(&f.fresh.raw).await);
    }
}

/// (c) a 100-product page ordered by title, with channels and the count.
mod c_page {
    use super::*;

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn graph(b: Bencher, d: &str) {
        bench(b, d, async |f| super::graph(&f.query, req_c()).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn hand_join(b: Bencher, d: &str) {
        bench(b, d, async |f| c_hand_join(&f.fresh.raw).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn hand_json(b: Bencher, d: &str) {
        bench(b, d, async |f| c_hand_json(&f.fresh.raw).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn naive(b: Bencher, d: &str) {
        bench(b, d, async |f| c_naive(&f.fresh.raw).await);
    }
}

/// (d) products filtered by a linked channel's id.
mod d_filter_by_channel {
    use super::*;

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn graph(b: Bencher, d: &str) {
        bench(b, d, async |f| super::graph(&f.query, req_d()).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 30)]
    fn hand(b: Bencher, d: &str) {
        bench(b, d, async |f| d_hand(&f.fresh.raw).await);
    }

    #[divan::bench(args = common::dialects(), sample_count = 10)]
    fn naive(b: Bencher, d: &str) {
        bench(b, d, async |f| d_naive(&f.fresh.raw).await);
    }
}
