//! Shared test harness: databases for the runtime tests.
//!
//! Every runtime test body runs against an in-memory SQLite database always,
//! and against Postgres when `LINK_TEST_PG_URL` is set (CI sets it), each
//! Postgres run in a fresh schema so tests never see each other's tables.

use std::sync::atomic::{AtomicU64, Ordering};

use link_model::LinkGraph;
use link_runtime::Db;

/// Parses and validates a links.toml text, panicking with the rendered
/// diagnostics when it is invalid.
pub fn graph(source: &str) -> LinkGraph {
    match link_codegen::check_toml("links.toml", source) {
        Ok(v) => v.graph,
        Err(e) => panic!("invalid test links.toml:\n{}", e.rendered),
    }
}

/// The link-table migration (first migration of a fresh lock) for a graph.
pub fn link_migration(graph: &LinkGraph, dialect: link_runtime::Dialect) -> String {
    let mut lock = link_codegen::migrations::Lock::default();
    lock.advance(&link_codegen::schema::tables_of(graph), true);
    let d = match dialect {
        link_runtime::Dialect::Sqlite => link_codegen::emit::sql::Dialect::Sqlite,
        link_runtime::Dialect::Postgres => link_codegen::emit::sql::Dialect::Postgres,
    };
    link_codegen::migrations::render(&lock, 0, d)
}

/// Postgres URL from the environment, if any.
pub fn pg_url() -> Option<String> {
    std::env::var("LINK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique name for a schema or file.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{n}", std::process::id())
}

/// A fresh in-memory SQLite database.
pub async fn sqlite() -> Db {
    Db::connect("sqlite::memory:")
        .await
        .expect("in-memory sqlite")
}

/// A fresh SQLite file database (for tests with concurrent connections).
pub async fn sqlite_file() -> (Db, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("{}.db", unique("linktest")));
    let db = Db::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("sqlite file");
    (db, path)
}

/// A fresh Postgres schema, when `LINK_TEST_PG_URL` is set.
pub async fn postgres() -> Option<Db> {
    let url = pg_url()?;
    let schema = unique("lt");
    let admin = sqlx::PgPool::connect(&url)
        .await
        .expect("LINK_TEST_PG_URL must point at a running server");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&admin)
        .await
        .expect("create test schema");
    admin.close().await;
    let opts: sqlx::postgres::PgConnectOptions = url.parse().expect("postgres url");
    let opts = opts.options([("search_path", schema.as_str())]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(10)
        .connect_with(opts)
        .await
        .expect("connect to test schema");
    Some(Db::from_postgres(pool))
}

/// The databases a runtime test runs on: SQLite always, Postgres when set.
pub async fn databases() -> Vec<Db> {
    let mut v = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        v.push(pg);
    } else {
        eprintln!("LINK_TEST_PG_URL is not set: Postgres runs skipped");
    }
    v
}
