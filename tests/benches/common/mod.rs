//! Shared set-up of the runtime benchmarks: one Tokio runtime, fresh
//! databases (in-memory SQLite, a dedicated Postgres schema) with the raw
//! sqlx pool next to the runtime's `Db` so hand-written baselines run on the
//! very same connections, and the seed graph with its link tables.

#![allow(dead_code)]

pub mod create_cases;
pub mod query_cases;

use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use link_model::LinkGraph;
use link_runtime::{Db, Dialect};

/// The runtime every benchmark blocks on (pools are bound to it).
pub static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
});

/// The databases benchmarked: SQLite always, Postgres when
/// `LINK_TEST_PG_URL` is set.
pub const DIALECTS: &[&str] = &["sqlite", "postgres"];

/// The databases benchmarked (Postgres only when configured).
pub fn dialects() -> Vec<&'static str> {
    DIALECTS
        .iter()
        .copied()
        .filter(|d| *d != "postgres" || pg_url().is_some())
        .collect()
}

pub fn pg_url() -> Option<String> {
    std::env::var("LINK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A raw pool of one of the two drivers.
#[derive(Clone)]
pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// A fresh database: the runtime's handle and the raw pool behind it.
#[derive(Clone)]
pub struct Fresh {
    pub db: Db,
    pub raw: Raw,
}

impl Fresh {
    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }
}

/// A fresh in-memory SQLite database (one connection that never expires).
pub async fn sqlite_memory() -> Fresh {
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str("sqlite::memory:")
        .expect("sqlite url")
        .foreign_keys(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(opts)
        .await
        .expect("in-memory sqlite");
    Fresh {
        db: Db::from_sqlite(pool.clone()),
        raw: Raw::Sqlite(pool),
    }
}

/// A SQLite file database (created, or opened when it exists).
pub async fn sqlite_file(path: &std::path::Path) -> Fresh {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(30));
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts)
        .await
        .expect("sqlite file");
    Fresh {
        db: Db::from_sqlite(pool.clone()),
        raw: Raw::Sqlite(pool),
    }
}

/// The Postgres schema `name`, dropped and re-created when `fresh`.
pub async fn postgres_schema(name: &str, fresh: bool) -> Option<Fresh> {
    let url = pg_url()?;
    if fresh {
        let admin = sqlx::PgPool::connect(&url)
            .await
            .expect("LINK_TEST_PG_URL must point at a running server");
        for stmt in [
            format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"),
            format!("CREATE SCHEMA \"{name}\""),
        ] {
            sqlx::raw_sql(sqlx::AssertSqlSafe(stmt))
                .execute(&admin)
                .await
                .expect("bench schema");
        }
        admin.close().await;
    }
    let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("postgres url");
    let opts = opts.options([("search_path", name)]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect_with(opts)
        .await
        .expect("connect to bench schema");
    Some(Fresh {
        db: Db::from_postgres(pool.clone()),
        raw: Raw::Postgres(pool),
    })
}

/// A fresh database of `dialect` (`None`: Postgres is not configured).
pub async fn fresh(dialect: &str, pg_schema: &str) -> Option<Fresh> {
    match dialect {
        "sqlite" => Some(sqlite_memory().await),
        "postgres" => postgres_schema(pg_schema, true).await,
        other => panic!("unknown dialect {other}"),
    }
}

/// The workspace's links.toml as a graph.
pub fn seed_graph() -> Arc<LinkGraph> {
    Arc::new(link_tests::graph(&link_tests::seed_links_toml()))
}

/// Creates the link tables of `graph`.
pub async fn create_link_tables(db: &Db, graph: &LinkGraph) {
    db.execute_script(&link_tests::link_migration(graph, db.dialect()))
        .await
        .expect("link tables");
}

/// Runs one statement without arguments on the raw pool.
pub async fn raw_execute(raw: &Raw, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match raw {
        Raw::Sqlite(p) => {
            sqlx::raw_sql(sql).execute(p).await.expect("sql");
        }
        Raw::Postgres(p) => {
            sqlx::raw_sql(sql).execute(p).await.expect("sql");
        }
    }
}

/// Peak and current resident set size of this process, in KiB
/// (`VmHWM`, `VmRSS`).
pub fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets `VmHWM` to the current RSS (Linux ≥ 4.0); false when refused.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
