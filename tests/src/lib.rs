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

/// The workspace's own links.toml (the seed's modules and links).
pub fn seed_links_toml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../links.toml"))
        .expect("workspace links.toml")
}

const MODULES: [(&str, &str); 6] = [
    ("api_key", "api_key"),
    ("sales_channel", "sales_channel"),
    ("cart", "cart"),
    ("order", "order"),
    ("product", "product"),
    ("stock_location", "stock_location"),
];

/// Creates the storefront's module tables (from its module migrations).
pub async fn create_module_tables(db: &Db, only: Option<&[&str]>) {
    let dialect = db.dialect().name();
    for (module, table) in MODULES {
        if only.is_some_and(|o| !o.contains(&module)) {
            continue;
        }
        let path = format!(
            "{}/../examples/storefront/migrations/modules/{module}/{dialect}/0001_create_{table}.sql",
            env!("CARGO_MANIFEST_DIR")
        );
        let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        db.execute_script(&sql)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    }
}

/// Seed records (the seed document's ids plus a few more).
pub fn seed_rows(module: &str) -> &'static str {
    match module {
        "sales_channel" => {
            r#"INSERT INTO "sales_channel" ("id", "name", "description", "is_disabled") VALUES
                ('sc_123', 'Default Sales Channel', 'Created by default', false),
                ('sc_456', 'Webshop', NULL, false),
                ('sc_789', 'Wholesale', 'B2B orders', true);"#
        }
        "api_key" => {
            r#"INSERT INTO "api_key" ("id", "token", "salt", "redacted", "title", "type", "created_by") VALUES
                ('apk_123', 'pk_0123', 'salt1', 'pk_***123', 'Storefront key', 'publishable', 'user_1'),
                ('apk_456', 'pk_0456', 'salt2', 'pk_***456', 'Mobile app key', 'publishable', 'user_1');"#
        }
        "product" => {
            r#"INSERT INTO "product" ("id", "title", "handle", "status", "weight") VALUES
                ('prod_123', 'Medusa T-Shirt', 't-shirt', 'published', 400),
                ('prod_456', 'Medusa Sweatpants', 'sweatpants', 'published', 600),
                ('prod_789', 'Medusa Shorts', 'shorts', 'draft', NULL);"#
        }
        "stock_location" => {
            r#"INSERT INTO "stock_location" ("id", "name") VALUES
                ('sloc_123', 'European Warehouse'),
                ('sloc_456', 'US Warehouse');"#
        }
        "cart" => {
            r#"INSERT INTO "cart" ("id", "sales_channel_id", "email", "currency_code") VALUES
                ('cart_1', 'sc_123', 'ada@example.com', 'eur'),
                ('cart_2', 'sc_456', NULL, 'usd'),
                ('cart_3', NULL, NULL, 'eur');"#
        }
        "order" => {
            r#"INSERT INTO "order" ("id", "display_id", "sales_channel_id", "email", "currency_code", "status") VALUES
                ('order_1', 1, 'sc_123', 'ada@example.com', 'eur', 'completed'),
                ('order_2', 2, 'sc_456', 'bob@example.com', 'usd', 'pending');"#
        }
        _ => "",
    }
}

/// Seeds every module table, in `dbs` by the graph's data sources.
pub async fn seed_modules(graph: &LinkGraph, dbs: &link_runtime::Databases) {
    for (module, _) in MODULES {
        let ds = graph
            .module(module)
            .map(|m| m.data_source.to_string())
            .unwrap_or_default();
        let db = dbs.get(&ds);
        create_module_tables(db, Some(&[module])).await;
        db.execute_script(seed_rows(module)).await.unwrap();
    }
}
