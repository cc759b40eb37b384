//! Query at scale (not run in CI): seeds `SCALE_PRODUCTS` products (default
//! 1,000,000), 10 sales channels and 3 links per product with set-based SQL
//! on Postgres (schema `bench_scale`, kept between runs when the size
//! matches) and on an SQLite file (`bench-scale.db` in the target directory), then times each
//! case of the scale issue beside its best hand-written statement through
//! sqlx and prints medians and ratios.
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test SCALE_PRODUCTS=1000000 \
//!     cargo bench -p link-tests --bench scale
//! ```
//!
//! `SCALE_DIALECTS=postgres` (or `sqlite`) limits the databases, `SCALE_CASES`
//! the cases (see `wanted`). The stream case runs each side in a process of
//! its own, which reports its time and peak RSS; beside the join read with
//! sqlx's `fetch` it runs the naive JSON stream (the join in product order,
//! grouped into JSON objects by hand). `SCALE_STREAM_CHUNK` sets the
//! stream's chunk (5,000), `SCALE_SHOW_SQL=1` prints the statements.

mod common;

use std::time::{Duration, Instant};

use link_runtime::{Count, Dir, Graph, Nested, Query};
use serde_json::{Value, json};
use sqlx::Row;

use common::{Fresh, Raw};

const CHANNELS: usize = 10;
const RUNS: usize = 7;
/// Runs of a case whose warm-up took under 50 ms.
const FAST_RUNS: usize = 51;

fn products() -> usize {
    std::env::var("SCALE_PRODUCTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut, T>(mut f: F) -> (Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let t = Instant::now();
    let mut out = f().await; // warm-up
    let runs = runs(t.elapsed());
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        out = f().await;
        times.push(t.elapsed());
    }
    (median(times), out)
}

/// Runs of a case whose warm-up took `warm`: millisecond cases take more,
/// their medians move with the machine.
fn runs(warm: Duration) -> usize {
    if warm < Duration::from_millis(50) {
        FAST_RUNS
    } else {
        RUNS
    }
}

/// [`time`] for two sides of one case, run alternately (`a`, `b`, `a`, …)
/// so that both see the same machine: the medians of each.
async fn time_pair<F, G, FutF, FutG, A, B>(mut a: F, mut b: G) -> ((Duration, A), (Duration, B))
where
    F: FnMut() -> FutF,
    G: FnMut() -> FutG,
    FutF: std::future::Future<Output = A>,
    FutG: std::future::Future<Output = B>,
{
    let t = Instant::now();
    let mut out_a = a().await; // warm-up
    let mut out_b = b().await;
    let runs = runs(t.elapsed() / 2);
    let (mut ta, mut tb) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        out_a = a().await;
        ta.push(t.elapsed());
        let t = Instant::now();
        out_b = b().await;
        tb.push(t.elapsed());
    }
    ((median(ta), out_a), (median(tb), out_b))
}

/// With `SCALE_SHOW_SQL` set, runs `request` once and prints the
/// statements it sent to `db`.
async fn show_sql<T>(db: &link_runtime::Db, request: impl std::future::Future<Output = T>) {
    if std::env::var_os("SCALE_SHOW_SQL").is_none() {
        return;
    }
    db.record_statements(true);
    request.await;
    for stmt in db.recorded_statements() {
        eprintln!("{stmt}");
    }
    db.record_statements(false);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn exec(raw: &Raw, sql: &str) {
    common::raw_execute(raw, sql).await;
}

async fn count_rows(raw: &Raw, sql: &str) -> i64 {
    match raw {
        Raw::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(p)
            .await
            .unwrap()
            .get(0),
        Raw::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(p)
            .await
            .unwrap()
            .get(0),
    }
}

/// Rows of a hand-written statement, as text columns (all cases select text).
async fn rows(raw: &Raw, sql: &str) -> Vec<Vec<Option<String>>> {
    match raw {
        Raw::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
            .collect(),
        Raw::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(p)
            .await
            .unwrap()
            .iter()
            .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
            .collect(),
    }
}

async fn seed(fresh: &Fresh, n: usize) {
    let raw = &fresh.raw;
    let graph = common::seed_graph();
    link_tests::create_module_tables(&fresh.db, Some(&["product", "sales_channel"])).await;
    common::create_link_tables(&fresh.db, &graph).await;
    if count_rows(raw, "SELECT COUNT(*) FROM \"product\"").await == n as i64 {
        eprintln!("# reusing {n} products");
        return;
    }
    let t = Instant::now();
    exec(raw, "DELETE FROM \"product_sales_channel\"").await;
    exec(raw, "DELETE FROM \"product\"").await;
    exec(raw, "DELETE FROM \"sales_channel\"").await;
    let series = |n: usize| match raw {
        Raw::Postgres(_) => format!("generate_series(0, {}) AS s(g)", n - 1),
        Raw::Sqlite(_) => format!(
            "(WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {}) SELECT g FROM s) s",
            n - 1
        ),
    };
    let (pad, cat) = match raw {
        Raw::Postgres(_) => ("lpad(g::text, 7, '0')", "||"),
        Raw::Sqlite(_) => ("printf('%07d', g)", "||"),
    };
    exec(raw, &format!(
        "INSERT INTO \"sales_channel\" (\"id\", \"name\", \"is_disabled\") SELECT 'sc_' {cat} g, 'Channel ' {cat} g, false FROM {}",
        series(CHANNELS)
    ))
    .await;
    // Titles are a permutation of the ids, so title order differs from id order.
    exec(raw, &format!(
        "INSERT INTO \"product\" (\"id\", \"title\", \"handle\", \"status\") SELECT 'prod_' {cat} {pad}, 'Product ' {cat} {}, 'h' {cat} g, 'published' FROM {}",
        pad.replace("g", &format!("((g * CAST(7919 AS BIGINT)) % {n})")),
        series(n)
    ))
    .await;
    let now = match raw {
        Raw::Postgres(_) => "now()",
        Raw::Sqlite(_) => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
    };
    for (k, o) in [0, 3, 7].iter().enumerate() {
        exec(raw, &format!(
            "INSERT INTO \"product_sales_channel\" (\"id\", \"product_id\", \"sales_channel_id\", \"created_at\", \"updated_at\") SELECT 'prodsc_{k}_' {cat} {pad}, 'prod_' {cat} {pad}, 'sc_' {cat} ((g + {o}) % {CHANNELS}), {now}, {now} FROM {}",
            series(n)
        ))
        .await;
    }
    for table in ["product", "sales_channel", "product_sales_channel"] {
        exec(raw, &format!("ANALYZE \"{table}\"")).await;
    }
    eprintln!(
        "# seeded {n} products, {} links in {:.1} s",
        3 * n,
        t.elapsed().as_secs_f64()
    );
}

struct Report {
    lines: Vec<String>,
}

impl Report {
    fn case(&mut self, name: &str, ours: Duration, hand: Option<(&str, Duration)>) {
        let line = match hand {
            Some((h, d)) => format!(
                "{name:<58} ours {:>9.2} ms   {h:<24} {:>9.2} ms   ratio {:>5.2}",
                ms(ours),
                ms(d),
                ms(ours) / ms(d)
            ),
            None => format!("{name:<58} ours {:>9.2} ms", ms(ours)),
        };
        println!("{line}");
        self.lines.push(line);
    }
}

async fn run(dialect: &str, n: usize) {
    let Some(fresh) = connect(dialect).await else {
        return;
    };
    seed(&fresh, n).await;
    let q = Query::new(
        common::seed_graph(),
        link_runtime::Databases::single(fresh.db.clone()),
    );
    let raw = fresh.raw.clone();
    let mut r = Report { lines: Vec::new() };
    println!(
        "\n## {dialect}: {n} products, {CHANNELS} channels, {} links",
        3 * n
    );
    let graph = |g: Graph| {
        let q = q.clone();
        async move { q.graph(g).await.expect("graph") }
    };
    let page = || {
        Graph::new("product")
            .fields(["id", "title", "sales_channels.id", "sales_channels.name"])
            .take(100)
    };

    if wanted("page") {
        // 1. a page of 100 by id with channels, with and without the count.
        let (count_only, _) = time(|| {
            count_rows(
                &raw,
                "SELECT COUNT(*) FROM \"product\" WHERE \"deleted_at\" IS NULL",
            )
        })
        .await;
        let page_sql = r#"SELECT p."id", p."title", sc."id", sc."name" FROM (SELECT "id", "title" FROM "product" WHERE "deleted_at" IS NULL ORDER BY "id" LIMIT 100) p LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL ORDER BY p."id", l."created_at", l."id""#;
        let (hand_page, hand_rows) = time(|| rows(&raw, page_sql)).await;
        assert_eq!(hand_rows.len(), 300);
        let (ours_exact, res) = time(|| graph(page())).await;
        assert_eq!(res.metadata.as_ref().and_then(|m| m.count), Some(n as u64));
        r.case(
            "page 100 by id + channels + exact count",
            ours_exact,
            Some(("count + page", count_only + hand_page)),
        );
        show_sql(&fresh.db, graph(page().count(Count::None))).await;
        let ((hand_page, _), (ours_none, _)) =
            time_pair(|| rows(&raw, page_sql), || graph(page().count(Count::None))).await;
        r.case(
            "page 100 by id + channels, count none",
            ours_none,
            Some(("page", hand_page)),
        );
        let (ours_est, _) = time(|| graph(page().count(Count::Estimate))).await;
        r.case(
            "page 100 by id + channels, count estimate",
            ours_est,
            Some(("page", hand_page)),
        );
    }
    if wanted("channel") {
        // 2. products of one channel, page 100 by id (+ count), and by title.
        let chan = || {
            Graph::new("product")
                .fields(["id", "title"])
                .filters(json!({"sales_channels": {"id": "sc_3"}}))
                .take(100)
        };
        let chan_sql = r#"SELECT p."id", p."title" FROM "product" p WHERE p."deleted_at" IS NULL AND p."id" IN (SELECT l."product_id" FROM "product_sales_channel" l WHERE l."sales_channel_id" = 'sc_3' AND l."deleted_at" IS NULL) ORDER BY p."id" LIMIT 100"#;
        // Exact: links to a deleted or missing channel do not count.
        let chan_count = r#"SELECT COUNT(*) FROM "product" p WHERE p."deleted_at" IS NULL AND p."id" IN (SELECT l."product_id" FROM "product_sales_channel" l JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL WHERE l."sales_channel_id" = 'sc_3' AND l."deleted_at" IS NULL)"#;
        let (hand_chan, _) = time(|| rows(&raw, chan_sql)).await;
        let (hand_chan_count, expected) = time(|| count_rows(&raw, chan_count)).await;
        let (ours, res) = time(|| graph(chan())).await;
        assert_eq!(
            res.metadata.as_ref().and_then(|m| m.count),
            Some(expected as u64)
        );
        r.case(
            "one channel's products, page 100 by id + count",
            ours,
            Some(("page + count", hand_chan + hand_chan_count)),
        );
        show_sql(&fresh.db, graph(chan().count(Count::None))).await;
        let ((hand_chan, _), (ours, _)) =
            time_pair(|| rows(&raw, chan_sql), || graph(chan().count(Count::None))).await;
        r.case(
            "one channel's products, page 100 by id",
            ours,
            Some(("page", hand_chan)),
        );
        let (ours, _) = time(|| graph(chan().order("title", Dir::Asc))).await;
        r.case(
            "one channel's products, page 100 by title + count",
            ours,
            None,
        );
    }
    if wanted("deep") {
        // 3. a deep page: skip n/2, and the same page by cursor.
        let skip = (n / 2) as u64;
        let deep_sql = format!(
            r#"SELECT "id" FROM "product" WHERE "deleted_at" IS NULL ORDER BY "id" LIMIT 100 OFFSET {skip}"#
        );
        let (hand_deep, deep) = time(|| rows(&raw, &deep_sql)).await;
        let (ours, _) = time(|| {
            graph(
                Graph::new("product")
                    .fields(["id"])
                    .skip(skip)
                    .take(100)
                    .count(Count::None),
            )
        })
        .await;
        r.case(
            &format!("skip {skip}, take 100 (no count)"),
            ours,
            Some(("offset page", hand_deep)),
        );
        let before = deep[0][0].clone().unwrap();
        let cursor_at = link_tests::cursor_of(json!([before]));
        let keyset_sql = format!(
            r#"SELECT "id" FROM "product" WHERE "deleted_at" IS NULL AND "id" > '{}' ORDER BY "id" LIMIT 100"#,
            deep[0][0].as_deref().unwrap()
        );
        let ((hand_keyset, _), (ours, _)) = time_pair(
            || rows(&raw, &keyset_sql),
            || {
                graph(
                    Graph::new("product")
                        .fields(["id"])
                        .take(100)
                        .after(cursor_at.clone())
                        .count(Count::None),
                )
            },
        )
        .await;
        r.case(
            "cursor page at n/2, take 100",
            ours,
            Some(("keyset page", hand_keyset)),
        );
    }
    if wanted("top") {
        // 4. every channel with its first 5 products, by id and by title.
        let top = |order: &str| {
            Graph::new("sales_channel")
                .fields(["id", "products.id"])
                .nested(
                    "products",
                    Nested {
                        take: Some(5),
                        order: vec![(order.to_string(), Dir::Asc)],
                        ..Nested::default()
                    },
                )
        };
        let lateral = |order: &str| {
            format!(
                r#"SELECT sc."id", x."id" FROM "sales_channel" sc CROSS JOIN LATERAL (SELECT p."id" FROM "product_sales_channel" l JOIN "product" p ON p."id" = l."product_id" WHERE l."sales_channel_id" = sc."id" AND l."deleted_at" IS NULL AND p."deleted_at" IS NULL ORDER BY p."{order}", p."id" LIMIT 5) x WHERE sc."deleted_at" IS NULL ORDER BY sc."id""#
            )
        };
        show_sql(&fresh.db, graph(top("id"))).await;
        if dialect == "postgres" {
            let by_id = lateral("id");
            let ((hand, _), (ours, _)) =
                time_pair(|| rows(&raw, &by_id), || graph(top("id"))).await;
            r.case(
                "channels with first 5 products by id",
                ours,
                Some(("lateral", hand)),
            );
            let by_title = lateral("title");
            let (hand, _) = time(|| rows(&raw, &by_title)).await;
            let (ours, _) = time(|| graph(top("title"))).await;
            r.case(
                "channels with first 5 products by title",
                ours,
                Some(("lateral", hand)),
            );
        } else {
            let (ours, _) = time(|| graph(top("id"))).await;
            r.case("channels with first 5 products by id", ours, None);
        }
    }
    if wanted("one") {
        // 5. one product by id with its channels.
        let one_sql = r#"SELECT p."id", sc."name" FROM "product" p LEFT JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL LEFT JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" WHERE p."id" = 'prod_0000042'"#;
        let ((hand, _), (ours, res)) = time_pair(
            || rows(&raw, one_sql),
            || {
                graph(
                    Graph::new("product")
                        .fields(["id", "sales_channels.name"])
                        .filters(json!({"id": "prod_0000042"})),
                )
            },
        )
        .await;
        assert_eq!(res.data.len(), 1);
        show_sql(
            &fresh.db,
            graph(
                Graph::new("product")
                    .fields(["id", "sales_channels.name"])
                    .filters(json!({"id": "prod_0000042"})),
            ),
        )
        .await;
        r.case(
            "one product by id with channels",
            ours,
            Some(("join", hand)),
        );
    }
    if wanted("stream") {
        // 6. every product with its channels, streamed in chunks of 10,000:
        // each side in a process of its own (time and peak RSS), alternating.
        fresh.db.close().await;
        let sides = ["ours", "text", "typed", "hand", "hand-json"];
        let mut times: [Vec<Duration>; 5] = Default::default();
        let mut rss = [0u64; 5];
        for _ in 0..STREAM_RUNS {
            for (i, side) in sides.iter().enumerate() {
                let (t, kib) = stream_child(side, dialect, n);
                times[i].push(t);
                rss[i] = rss[i].max(kib);
            }
        }
        let [ours, text, typed, hand, hand_json] = times.map(median);
        let [ours_rss, text_rss, typed_rss, hand_rss, hand_json_rss] = rss;
        r.case(
            "stream all products with channels (own process)",
            ours,
            Some(("sqlx fetch stream", hand)),
        );
        r.case(
            "JSON text stream (stream_json) of the same (own process)",
            text,
            Some(("sqlx fetch stream", hand)),
        );
        r.case(
            "typed stream (fetch_stream) of the same (own process)",
            typed,
            Some(("sqlx fetch stream", hand)),
        );
        // The naive JSON stream: the join in product order, each product's
        // rows grouped into the JSON object `stream` yields.
        r.case(
            "stream as JSON, against JSON grouped by hand",
            ours,
            Some(("ordered join as JSON", hand_json)),
        );
        println!(
            "peak RSS of the stream process: ours {} MiB, JSON text {} MiB, typed {} MiB, sqlx fetch stream {} MiB, ordered join as JSON {} MiB",
            ours_rss / 1024,
            text_rss / 1024,
            typed_rss / 1024,
            hand_rss / 1024,
            hand_json_rss / 1024
        );
    }
}

/// Whether case `name` runs: `SCALE_CASES` (comma-separated: `page`,
/// `channel`, `deep`, `top`, `one`, `stream`) or every case.
fn wanted(name: &str) -> bool {
    std::env::var("SCALE_CASES")
        .map(|v| v.is_empty() || v.split(',').any(|c| c.trim() == name))
        .unwrap_or(true)
}

/// Runs of each stream case (each in a new process).
const STREAM_RUNS: usize = 3;

/// Runs this binary again to stream every product with its channels
/// (`which`: `ours` through `Query::stream`, `text` through
/// `Query::stream_json`, `typed` through
/// `Query::fetch_stream::<ProductChannelIds>`, `hand` through sqlx's
/// `fetch`);
/// returns the stream's time and the child's peak RSS (KiB).
fn stream_child(which: &str, dialect: &str, n: usize) -> (Duration, u64) {
    let out = std::process::Command::new(std::env::current_exe().expect("exe"))
        .args(["--stream-child", which, dialect, &n.to_string()])
        .output()
        .expect("run stream child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stream child failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nums: Vec<u64> = stdout
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (Duration::from_micros(nums[0]), nums[1])
}

/// The child side of [`stream_child`]: prints `<microseconds> <peak KiB>`.
async fn stream_main(which: &str, dialect: &str, n: usize) {
    let fresh = connect(dialect).await.expect("database");
    // Warm the pool so connection set-up is not counted.
    exec(&fresh.raw, "SELECT 1").await;
    let q = Query::new(
        common::seed_graph(),
        link_runtime::Databases::single(fresh.db.clone()),
    );
    let req = Graph::new("product").fields(["id", "sales_channels.id"]);
    let t = Instant::now();
    match which {
        "ours" => {
            let mut s = q.stream(req, stream_chunk());
            let show = std::env::var_os("SCALE_SHOW_SQL").is_some();
            fresh.db.record_statements(show);
            let (mut roots, mut links) = (0usize, 0usize);
            while let Some(chunk) = s.next().await {
                let chunk: Vec<Value> = chunk.expect("stream");
                roots += chunk.len();
                links += chunk
                    .iter()
                    .map(|p| p["sales_channels"].as_array().map_or(0, Vec::len))
                    .sum::<usize>();
            }
            assert_eq!((roots, links), (n, 3 * n));
            for stmt in fresh.db.recorded_statements().iter().take(4) {
                eprintln!("{stmt}");
            }
        }
        "text" => {
            let mut s = q.stream_json(req, stream_chunk());
            let (mut roots, mut links) = (0usize, 0usize);
            while let Some(chunk) = s.next().await {
                let chunk = chunk.expect("stream");
                roots += chunk.len();
                // Each channel is one `{"id":…}` beside the product's own.
                links += chunk
                    .iter()
                    .map(|p| p.get().matches(r#"{"id":"#).count() - 1)
                    .sum::<usize>();
            }
            assert_eq!((roots, links), (n, 3 * n));
        }
        "typed" => {
            let mut s =
                q.fetch_stream::<ProductChannelIds>(link_runtime::Select::new(), stream_chunk());
            let (mut roots, mut links) = (0usize, 0usize);
            while let Some(chunk) = s.next().await {
                let chunk = chunk.expect("stream");
                roots += chunk.len();
                links += chunk.iter().map(|p| p.sales_channels.len()).sum::<usize>();
            }
            assert_eq!((roots, links), (n, 3 * n));
        }
        "hand-json" => {
            let (roots, links) = hand_json_stream(&fresh.raw, stream_chunk().max(1) as usize).await;
            assert_eq!((roots, links), (n, 3 * n));
        }
        _ => {
            let streamed = hand_stream(&fresh.raw).await;
            assert_eq!(streamed, 3 * n);
        }
    }
    let us = t.elapsed().as_micros();
    println!("{us} {}", peak_rss_kib());
}

/// Roots per chunk of the streams: `SCALE_STREAM_CHUNK`, 5,000 unless set
/// (a JSON chunk of 10,000 products holds about 30 MB of `Value`s; at
/// 5,000 the stream is as fast and its peak RSS half).
fn stream_chunk() -> u64 {
    std::env::var("SCALE_STREAM_CHUNK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

/// A product's id and its channels' ids: the stream case's request as a
/// derived selection (the seed's paths, which the storefront's are).
#[derive(link_runtime::Select)]
#[select(entity = storefront::links::paths::Product)]
struct ProductChannelIds {
    #[allow(dead_code)]
    id: storefront::links::ProductId,
    sales_channels: Vec<ChannelId>,
}

/// A channel's id.
#[derive(link_runtime::Select)]
#[select(entity = storefront::links::paths::SalesChannel)]
struct ChannelId {
    #[allow(dead_code)]
    id: storefront::links::SalesChannelId,
}

/// The bench database of `dialect` (`None`: Postgres is not configured).
async fn connect(dialect: &str) -> Option<Fresh> {
    match dialect {
        "postgres" => create_schema("bench_scale").await,
        _ => {
            // In the target directory (`CARGO_TARGET_DIR` when set).
            let dir = std::env::var_os("CARGO_TARGET_DIR")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| {
                    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target")
                });
            std::fs::create_dir_all(&dir).expect("target directory");
            Some(common::sqlite_file(&dir.join("bench-scale.db")).await)
        }
    }
}

/// The Postgres schema `name` (created when missing), kept between runs.
async fn create_schema(name: &str) -> Option<Fresh> {
    let url = common::pg_url()?;
    let admin = sqlx::PgPool::connect(&url).await.expect("postgres");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS \"{name}\""
    )))
    .execute(&admin)
    .await
    .expect("bench schema");
    admin.close().await;
    common::postgres_schema(name, false).await
}

/// The join of every product with its channels, read with sqlx's `fetch`
/// stream, both ids of each row decoded (rows counted, none kept): the
/// stream's rows (a link to a
/// soft-deleted or missing channel is no channel), in no order.
async fn hand_stream(raw: &Raw) -> usize {
    use futures_util::TryStreamExt;
    let sql = r#"SELECT p."id", sc."id" FROM "product" p JOIN "product_sales_channel" l ON l."product_id" = p."id" AND l."deleted_at" IS NULL JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL WHERE p."deleted_at" IS NULL"#;
    let mut n = 0;
    match raw {
        Raw::Sqlite(p) => {
            let mut s = sqlx::query(sql).fetch(p);
            while let Some(row) = s.try_next().await.unwrap() {
                let _: (String, String) = (row.get(0), row.get(1));
                n += 1;
            }
        }
        Raw::Postgres(p) => {
            let mut s = sqlx::query(sql).fetch(p);
            while let Some(row) = s.try_next().await.unwrap() {
                let _: (String, String) = (row.get(0), row.get(1));
                n += 1;
            }
        }
    }
    n
}

/// The naive JSON stream: every product (channels or not) with its
/// channels in link order, read as one statement in product order with
/// sqlx's `fetch`, each product's rows grouped into the object
/// [`Query::stream`] yields (`{"id", "sales_channels": [{"id"}]}`), held
/// in chunks of `chunk` objects; returns the products and links seen.
async fn hand_json_stream(raw: &Raw, chunk: usize) -> (usize, usize) {
    use futures_util::TryStreamExt;
    let sql = r#"SELECT p."id", sc."id" FROM "product" p LEFT JOIN ("product_sales_channel" l JOIN "sales_channel" sc ON sc."id" = l."sales_channel_id" AND sc."deleted_at" IS NULL) ON l."product_id" = p."id" AND l."deleted_at" IS NULL WHERE p."deleted_at" IS NULL ORDER BY p."id", l."created_at", l."id""#;
    let mut held: Vec<Value> = Vec::with_capacity(chunk);
    // The product being grouped; `None` (the end) flushes the last one.
    let mut current: Option<(String, Vec<Value>)> = None;
    let (mut roots, mut links) = (0, 0);
    let mut row = |r: Option<(String, Option<String>)>| {
        let same = matches!((&current, &r), (Some((id, _)), Some((p, _))) if id == p);
        if !same && let Some((id, channels)) = current.take() {
            held.push(json!({"id": id, "sales_channels": channels}));
            roots += 1;
            if held.len() == chunk {
                held.clear();
            }
        }
        let Some((p, c)) = r else { return };
        let channels = &mut current.get_or_insert_with(|| (p, Vec::new())).1;
        if let Some(c) = c {
            channels.push(json!({ "id": c }));
            links += 1;
        }
    };
    match raw {
        Raw::Sqlite(pool) => {
            let mut s = sqlx::query(sql).fetch(pool);
            while let Some(r) = s.try_next().await.unwrap() {
                row(Some((r.get(0), r.get(1))));
            }
        }
        Raw::Postgres(pool) => {
            let mut s = sqlx::query(sql).fetch(pool);
            while let Some(r) = s.try_next().await.unwrap() {
                row(Some((r.get(0), r.get(1))));
            }
        }
    }
    row(None);
    (roots, links)
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--stream-child") {
        let n = args[i + 3].parse().expect("products");
        common::RT.block_on(stream_main(&args[i + 1], &args[i + 2], n));
        return;
    }
    let n = products();
    let only = std::env::var("SCALE_DIALECTS").unwrap_or_default();
    common::RT.block_on(async {
        for d in common::dialects() {
            if !only.is_empty() && !only.contains(d) {
                continue;
            }
            run(d, n).await;
        }
    });
}
