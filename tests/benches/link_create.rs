//! `Link::create` of 30,000 product <-> sales channel links in one call
//! (typed values, a JSON `Value`, and Medusa's JSON read from bytes with
//! `MedusaLinks`), against hand-written baselines of the same rows on the
//! same pool: a batched INSERT (multi-row VALUES in chunks of 1,000, one
//! transaction, straight through sqlx) on both databases, and on Postgres
//! one `INSERT … SELECT … FROM unnest($1::text[], $2::text[], $3::text[])
//! ON CONFLICT DO NOTHING`. In-memory SQLite and Postgres (a dedicated
//! schema; set `LINK_TEST_PG_URL`). The link table is emptied before every
//! iteration, outside the timing.
//!
//! ```text
//! LINK_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p link-tests --bench link_create
//! ```

mod common;

use std::sync::{Arc, LazyLock};

use divan::Bencher;
use link_runtime::{Databases, Link, LinkValue, MedusaLinks};
use serde_json::{Map, Value, json};

use common::create_cases::{N, hand_insert, hand_unnest, pairs};
use common::{Fresh, RT, Raw};

fn main() {
    divan::main();
}

struct Fixture {
    fresh: Fresh,
    link: Link,
    values: Vec<LinkValue>,
    json: Value,
    bytes: Vec<u8>,
    pairs: Vec<(String, String)>,
}

impl Fixture {
    async fn new(dialect: &str) -> Option<Fixture> {
        let fresh = common::fresh(dialect, "bench_link_create").await?;
        let graph = common::seed_graph();
        common::create_link_tables(&fresh.db, &graph).await;
        let link = Link::new(graph, Databases::single(fresh.db.clone()));
        let pairs = pairs();
        let values = pairs
            .iter()
            .map(|(p, s)| LinkValue::new("product_sales_channel", p, s, Map::new()))
            .collect();
        let json = Value::Array(
            pairs
                .iter()
                .map(|(p, s)| {
                    json!({"product": {"product_id": p}, "sales_channel": {"sales_channel_id": s}})
                })
                .collect(),
        );
        let bytes = serde_json::to_vec(&json).expect("json");
        let f = Fixture {
            fresh,
            link,
            values,
            json,
            bytes,
            pairs,
        };
        // Both sides write the same rows.
        f.reset().await;
        let rows = f.link.create(f.values.clone()).await.expect("create");
        assert_eq!(rows.len(), N);
        f.check_rows(&rows).await;
        // Again, with some pairs dismissed and some new: existing rows keep
        // their ids, dismissed ones come back, and what create returns is
        // what is stored.
        f.link
            .dismiss(f.values[..100].to_vec())
            .await
            .expect("dismiss");
        let mut again = f.values[..N / 2].to_vec();
        again.push(LinkValue::new(
            "product_sales_channel",
            "prod_new",
            "sc_00",
            Map::new(),
        ));
        let rows2 = f.link.create(again).await.expect("create again");
        assert_eq!(rows2.len(), N / 2 + 1);
        for (a, b) in rows[..N / 2].iter().zip(&rows2) {
            assert_eq!(
                (&a.id, &a.left, &a.right, &a.created_at),
                (&b.id, &b.left, &b.right, &b.created_at)
            );
            assert_eq!(b.deleted_at, Value::Null);
        }
        f.check_rows(&rows2).await;
        f.reset().await;
        hand_insert(&f.fresh.raw, &f.pairs).await;
        assert_eq!(f.count().await, N as i64);
        f.reset().await;
        if let Some(n) = hand_unnest(&f.fresh.raw, &f.pairs).await {
            assert_eq!(n, N as u64);
            f.reset().await;
        }
        // Statements per call, and the Medusa bytes write the same rows.
        let before = f.fresh.db.statements();
        let medusa: MedusaLinks = serde_json::from_slice(&f.bytes).expect("medusa links");
        let rows = f.link.create(medusa).await.expect("create medusa");
        assert_eq!(rows.len(), N);
        eprintln!(
            "{}: create of {N} new pairs: {} statement(s)",
            dialect,
            f.fresh.db.statements() - before
        );
        f.reset().await;
        Some(f)
    }

    /// `rows` are exactly the stored rows of their pairs.
    async fn check_rows(&self, rows: &[link_runtime::LinkRow]) {
        let values: Vec<LinkValue> = rows.iter().map(|r| r.to_value()).collect();
        let mut stored = self
            .link
            .list(&link_runtime::ListFilter::Pairs(values), false)
            .await
            .expect("list");
        let mut rows = rows.to_vec();
        rows.sort_by(|a, b| a.id.cmp(&b.id));
        stored.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(rows, stored);
    }

    async fn reset(&self) {
        let sql = match self.fresh.raw {
            Raw::Sqlite(_) => "DELETE FROM \"product_sales_channel\"",
            Raw::Postgres(_) => "TRUNCATE \"product_sales_channel\"",
        };
        common::raw_execute(&self.fresh.raw, sql).await;
    }

    async fn count(&self) -> i64 {
        let sql = "SELECT COUNT(*) FROM \"product_sales_channel\" WHERE \"deleted_at\" IS NULL";
        match &self.fresh.raw {
            Raw::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
            Raw::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        }
    }
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

/// `link.create(Vec<LinkValue>)`: 30,000 links in one call.
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn create_values(b: Bencher, dialect: &str) {
    let f = fixture(dialect);
    b.with_inputs(|| {
        RT.block_on(f.reset());
        f.values.clone()
    })
    .bench_local_values(|v| RT.block_on(f.link.create(v)).expect("create"));
}

/// `link.create(json!([...]))`: the same 30,000 links in Medusa's JSON shape.
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn create_json(b: Bencher, dialect: &str) {
    let f = fixture(dialect);
    b.with_inputs(|| {
        RT.block_on(f.reset());
        f.json.clone()
    })
    .bench_local_values(|v| RT.block_on(f.link.create(v)).expect("create"));
}

/// `link.create(serde_json::from_slice::<MedusaLinks>(body))`: the same
/// links parsed from the request body's bytes (parsing timed too).
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn create_medusa_bytes(b: Bencher, dialect: &str) {
    let f = fixture(dialect);
    b.with_inputs(|| RT.block_on(f.reset()))
        .bench_local_values(|()| {
            let links: MedusaLinks = serde_json::from_slice(&f.bytes).expect("medusa links");
            RT.block_on(f.link.create(links)).expect("create")
        });
}

/// Baseline (Postgres): one hand-written `INSERT … SELECT … FROM unnest(…)`.
#[divan::bench(args = common::dialects().into_iter().filter(|d| *d == "postgres").collect::<Vec<_>>(), sample_count = 10, sample_size = 1)]
fn hand_unnest_baseline(b: Bencher, dialect: &str) {
    let f = fixture(dialect);
    b.with_inputs(|| RT.block_on(f.reset()))
        .bench_local_values(|()| RT.block_on(hand_unnest(&f.fresh.raw, &f.pairs)));
}

/// Baseline: hand-written multi-row INSERTs of the same rows.
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn hand_insert_baseline(b: Bencher, dialect: &str) {
    let f = fixture(dialect);
    b.with_inputs(|| RT.block_on(f.reset()))
        .bench_local_values(|()| RT.block_on(hand_insert(&f.fresh.raw, &f.pairs)));
}

/// Nodes whose child side cascades: a fan-out of one node to 10,000
/// children, and a chain 400 deep.
const CASCADE: &str = r#"
[modules.node.models.node]
linkable_keys = ["node_id", "child_node_id"]
soft_delete = "deleted_at"
fields = { id = "text", deleted_at = "timestamp?" }

[[links]]
left = { model = "node.node", key = "node_id", is_list = true, relation = "parents" }
right = { model = "node.node", key = "child_node_id", alias = "child", is_list = true, delete_cascade = true }
table = "node_chain"
id_prefix = "nc"
"#;

/// Children of the fan-out root `f`.
const FAN: usize = 10_000;
/// Depth of the chain from `c0`.
const DEPTH: usize = 400;

struct Cascade {
    db: link_runtime::Db,
    link: Link,
}

impl Cascade {
    async fn new(dialect: &str) -> Option<Cascade> {
        let fresh = common::fresh(dialect, "bench_link_cascade").await?;
        let graph = Arc::new(link_tests::graph(CASCADE));
        common::create_link_tables(&fresh.db, &graph).await;
        let ts = match fresh.db.dialect() {
            link_runtime::Dialect::Sqlite => "TEXT",
            link_runtime::Dialect::Postgres => "timestamptz",
        };
        let mut nodes: Vec<String> = vec!["('f')".into()];
        nodes.extend((1..=FAN).map(|i| format!("('f{i}')")));
        nodes.extend((0..=DEPTH).map(|i| format!("('c{i}')")));
        common::raw_execute(
            &fresh.raw,
            &format!(
                "CREATE TABLE \"node\" (\"id\" text PRIMARY KEY, \"deleted_at\" {ts} NULL); INSERT INTO \"node\" (\"id\") VALUES {};",
                nodes.join(", ")
            ),
        )
        .await;
        let link = Link::new(graph, Databases::single(fresh.db.clone()));
        let mut values: Vec<LinkValue> = (1..=FAN)
            .map(|i| LinkValue::new("node_chain", "f", format!("f{i}"), Map::new()))
            .collect();
        values.extend((0..DEPTH).map(|i| {
            LinkValue::new(
                "node_chain",
                format!("c{i}"),
                format!("c{}", i + 1),
                Map::new(),
            )
        }));
        link.create(values).await.expect("create");
        let c = Cascade {
            db: fresh.db.clone(),
            link,
        };
        for (root, n) in [("f", FAN), ("c0", DEPTH)] {
            let sel = [link_runtime::Selection::new("node", "node_id", [root])];
            let before = c.db.statements();
            let started = std::time::Instant::now();
            let report = c.link.delete(&sel).await.expect("delete");
            eprintln!(
                "{dialect}: delete of {root} reaching {n} links/records: {} statements, {:?}",
                c.db.statements() - before,
                started.elapsed()
            );
            assert_eq!(report.links["node_chain"].len(), n);
            assert_eq!(report.records["node.node"].len(), n);
            c.link.restore(&sel).await.expect("restore");
        }
        Some(c)
    }
}

static CASCADE_SQLITE: LazyLock<Option<Arc<Cascade>>> =
    LazyLock::new(|| RT.block_on(Cascade::new("sqlite")).map(Arc::new));
static CASCADE_POSTGRES: LazyLock<Option<Arc<Cascade>>> =
    LazyLock::new(|| RT.block_on(Cascade::new("postgres")).map(Arc::new));

fn cascade(dialect: &str) -> Arc<Cascade> {
    match dialect {
        "sqlite" => CASCADE_SQLITE.clone(),
        _ => CASCADE_POSTGRES.clone(),
    }
    .expect("database configured")
}

/// `link.delete` of one node whose link fans out to 10,000 cascading
/// children (restored outside the timing).
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn delete_fan_out(b: Bencher, dialect: &str) {
    let c = cascade(dialect);
    let sel = [link_runtime::Selection::new("node", "node_id", ["f"])];
    b.with_inputs(|| RT.block_on(c.link.restore(&sel)).expect("restore"))
        .bench_local_values(|_| RT.block_on(c.link.delete(&sel)).expect("delete"));
}

/// `link.delete` of the head of a cascading chain 400 deep.
#[divan::bench(args = common::dialects(), sample_count = 10, sample_size = 1)]
fn delete_chain(b: Bencher, dialect: &str) {
    let c = cascade(dialect);
    let sel = [link_runtime::Selection::new("node", "node_id", ["c0"])];
    b.with_inputs(|| RT.block_on(c.link.restore(&sel)).expect("restore"))
        .bench_local_values(|_| RT.block_on(c.link.delete(&sel)).expect("delete"));
}

/// Part of `create_medusa_bytes`: parsing the body alone.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn part_medusa_parse(b: Bencher) {
    let f = fixture("sqlite");
    b.bench_local(|| serde_json::from_slice::<MedusaLinks>(&f.bytes).expect("medusa links"));
}

/// Part of `create_medusa_bytes`: parsed links into link values.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn part_medusa_resolve(b: Bencher) {
    use link_runtime::IntoLinkValues;
    let f = fixture("sqlite");
    b.with_inputs(|| serde_json::from_slice::<MedusaLinks>(&f.bytes).expect("medusa links"))
        .bench_local_values(|m| m.into_link_values(f.link.graph()).expect("values"));
}

/// Part of `create_json`: a JSON `Value` into link values (dropping it).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn part_json_resolve(b: Bencher) {
    use link_runtime::IntoLinkValues;
    let f = fixture("sqlite");
    b.with_inputs(|| f.json.clone())
        .bench_local_values(|v| v.into_link_values(f.link.graph()).expect("values"));
}

/// Part of `create_json`: `create` of link values resolved from the JSON
/// `Value` beforehand (the resolution untimed).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn part_json_create_resolved(b: Bencher) {
    use link_runtime::IntoLinkValues;
    let f = fixture("sqlite");
    b.with_inputs(|| {
        RT.block_on(f.reset());
        f.json
            .clone()
            .into_link_values(f.link.graph())
            .expect("values")
    })
    .bench_local_values(|v| RT.block_on(f.link.create(v)).expect("create"));
}

/// Part of `create_medusa_bytes`: `create` of link values resolved from the
/// parsed body beforehand (parsing and resolution untimed).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn part_medusa_create_resolved(b: Bencher) {
    use link_runtime::IntoLinkValues;
    let f = fixture("sqlite");
    b.with_inputs(|| {
        RT.block_on(f.reset());
        serde_json::from_slice::<MedusaLinks>(&f.bytes)
            .expect("medusa links")
            .into_link_values(f.link.graph())
            .expect("values")
    })
    .bench_local_values(|v| RT.block_on(f.link.create(v)).expect("create"));
}
