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

/// A fresh Postgres schema, when `LINK_TEST_PG_URL` is set. When it is not,
/// `None` (the Postgres run is skipped, saying so), except in CI
/// (`CI=true`), where the test fails instead.
///
/// Schemas are named `lt_<pid>_<n>`; each call first drops those left by
/// test processes that are gone (finished or killed), so the test database
/// does not fill up.
pub async fn postgres() -> Option<Db> {
    let Some(url) = pg_url() else {
        require_postgres();
        return None;
    };
    Some(postgres_at(&url).await)
}

/// A fresh schema on the second Postgres server (`LINK_TEST_PG_URL_2`,
/// which `.ci/run` starts), for tests whose databases must be two servers.
/// Without it, outside CI, a schema on the first server; in CI (`CI=true`)
/// a missing second server fails the test.
pub async fn second_postgres() -> Db {
    match std::env::var("LINK_TEST_PG_URL_2")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(url) => postgres_at(&url).await,
        None => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "LINK_TEST_PG_URL_2 must be set in CI (a second Postgres server)"
            );
            eprintln!(
                "LINK_TEST_PG_URL_2 is not set: the second database is a schema on the first server"
            );
            postgres_at(&pg_url().expect("LINK_TEST_PG_URL")).await
        }
    }
}

/// Fails in CI (`CI=true`), where Postgres must be configured; elsewhere
/// reports that the Postgres runs are skipped.
pub fn require_postgres() {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "LINK_TEST_PG_URL must be set in CI"
    );
    eprintln!("LINK_TEST_PG_URL is not set: Postgres runs skipped");
}

/// A fresh schema on the server at `url`.
async fn postgres_at(url: &str) -> Db {
    let schema = unique("lt");
    let admin = sqlx::PgPool::connect(url)
        .await
        .expect("the Postgres test URL must point at a running server");
    drop_stale_schemas(&admin).await;
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
    Db::from_postgres(pool)
}

/// Drops (CASCADE) every `lt_<pid>_<n>` schema whose process is not alive
/// (no `/proc/<pid>`). One catalog query; a drop only when there is a stale
/// schema. Failures (e.g. another test process dropping the same schema at
/// the same time) are only reported: cleanup never fails a test.
async fn drop_stale_schemas(admin: &sqlx::PgPool) {
    // One cleanup at a time in this process: tests starting together would
    // otherwise all drop the same schemas at once.
    static CLEANUP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _guard = CLEANUP.lock().await;
    let names: Vec<String> = match sqlx::query_scalar(
        r"SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'lt\_%'",
    )
    .fetch_all(admin)
    .await
    {
        Ok(names) => names,
        Err(e) => {
            eprintln!("listing stale test schemas failed: {e}");
            return;
        }
    };
    for name in names {
        let Some((pid, n)) = name.strip_prefix("lt_").and_then(|r| r.split_once('_')) else {
            continue;
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(pid) || !digits(n) || std::path::Path::new("/proc").join(pid).exists() {
            continue;
        }
        // `name` is `lt_<digits>_<digits>`: safe to quote into the statement.
        let drop = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(admin).await {
            eprintln!("dropping stale test schema {name} failed: {e}");
        }
    }
}

/// The databases a runtime test runs on: SQLite always, Postgres when set.
pub async fn databases() -> Vec<Db> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// The seed's modules and links: a fixture copy of the workspace's
/// links.toml, so editing the workspace file never breaks a test.
pub fn seed_links_toml() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/seed/links.toml"
    ))
    .expect("tests/fixtures/seed/links.toml")
}

/// Creates the storefront's module tables through each module's own migrations.
pub async fn create_module_tables(db: &Db, only: Option<&[&str]>) {
    for m in storefront::modules::MODULES {
        if only.is_some_and(|o| !o.contains(&m.module)) {
            continue;
        }
        storefront::modules::migrate(db, m)
            .await
            .unwrap_or_else(|e| panic!("module {}: {e}", m.module));
    }
}

/// Seeds every module (tables and records), each in the database of its
/// data source in `graph`.
pub async fn seed_modules(graph: &LinkGraph, dbs: &link_runtime::Databases) {
    for m in storefront::modules::MODULES {
        let ds = graph
            .module(m.module)
            .map(|x| x.data_source.to_string())
            .unwrap_or_default();
        let db = dbs.get(&ds);
        create_module_tables(db, Some(&[m.module])).await;
        db.execute_script(storefront::modules::seed_sql(m.module))
            .await
            .unwrap();
    }
}

/// The Link-service test graph (Medusa's link-module test link with extra
/// columns, one-to-one, one-to-many and a three-model cascade chain).
pub mod service {
    use std::sync::Arc;

    use link_model::LinkGraph;
    use link_runtime::{Databases, Db, Dialect, Link};

    use crate::{graph, link_migration};

    pub const LINKS: &str = r#"
    [modules.product.models.product]
    soft_delete = "deleted_at"
    fields = { id = "text", title = "text", deleted_at = "timestamp?" }

    [modules.sales_channel.models.sales_channel]
    soft_delete = "deleted_at"
    fields = { id = "text", name = "text", deleted_at = "timestamp?" }

    [modules.stock_location.models.stock_location]
    linkable_keys = ["stock_location_id", "location_id"]
    fields = { id = "text", name = "text" }

    [modules.cart.models.cart]
    fields = { id = "text" }

    [modules.payment.models.payment_collection]
    fields = { id = "text" }

    [modules.brand.models.brand]
    fields = { id = "text" }

    [modules.inventory.models.inventory_item]
    soft_delete = "deleted_at"
    fields = { id = "text", sku = "text", deleted_at = "timestamp?" }

    [modules.stock.models.inventory_level]
    soft_delete = "deleted_at"
    fields = { id = "text", deleted_at = "timestamp?" }

    # Medusa's link-module test link: m:n with two extra columns.
    [[links]]
    left = { model = "product.product", is_list = true }
    right = { model = "sales_channel.sales_channel", is_list = true }
    table = "product_sales_channel"
    id_prefix = "prefix"
    extra_columns = { extra_field = { type = "integer", default = -1 }, another_field = "text?" }

    [[links]]
    left = { model = "sales_channel.sales_channel", is_list = true }
    right = { model = "stock_location.stock_location", alias = "location", is_list = true, relation = "stock_locations" }
    table = "sales_channel_stock_location"
    id_prefix = "scloc"

    # one-to-one
    [[links]]
    left = { model = "cart.cart" }
    right = { model = "payment.payment_collection" }
    table = "cart_payment_collection"
    id_prefix = "cartpay"

    # one-to-many: a brand has many products, a product one brand
    [[links]]
    left = { model = "brand.brand" }
    right = { model = "product.product", is_list = true }
    table = "brand_product"
    id_prefix = "bp"

    # cascade chain: product -> inventory item -> inventory level
    [[links]]
    left = { model = "product.product" }
    right = { model = "inventory.inventory_item", is_list = true, delete_cascade = true }
    table = "product_inventory_item"
    id_prefix = "pii"

    [[links]]
    left = { model = "inventory.inventory_item", is_list = true }
    right = { model = "stock.inventory_level", is_list = true, delete_cascade = true }
    table = "inventory_item_level"
    id_prefix = "iil"
    "#;

    pub fn test_graph() -> Arc<LinkGraph> {
        Arc::new(graph(LINKS))
    }

    /// Applies the link tables and the module tables the cascade touches.
    pub async fn setup(db: &Db) -> Link {
        let g = test_graph();
        db.execute_script(&link_migration(&g, db.dialect()))
            .await
            .unwrap();
        let ts = match db.dialect() {
            Dialect::Sqlite => "TEXT",
            Dialect::Postgres => "timestamptz",
        };
        db.execute_script(&format!(
            r#"CREATE TABLE "product" ("id" text PRIMARY KEY, "title" text NOT NULL, "deleted_at" {ts} NULL);
               CREATE TABLE "inventory_item" ("id" text PRIMARY KEY, "sku" text NOT NULL, "deleted_at" {ts} NULL);
               CREATE TABLE "inventory_level" ("id" text PRIMARY KEY, "deleted_at" {ts} NULL);
               INSERT INTO "product" VALUES ('p1', 'Shirt', NULL), ('p2', 'Pants', NULL);
               INSERT INTO "inventory_item" VALUES ('i1', 'S1', NULL), ('i2', 'S2', NULL);
               INSERT INTO "inventory_level" VALUES ('l1', NULL), ('l2', NULL), ('l3', NULL);"#
        ))
        .await
        .unwrap();
        Link::new(g, Databases::single(db.clone()))
    }
}

/// The generated Rust module of every codegen fixture
/// (`tests/fixtures/<case>/out/links.rs`, kept fresh by `tests/codegen.rs`).
/// Compiled here so that `tests/compile_fixtures.rs` can use them and the
/// examples of their generated docs run as doctests (`fixture_docs`).
pub mod fixtures {
    pub use super::fixture_custom_pk as custom_pk;
    pub use super::fixture_long_names as long_names;
    pub use super::fixture_many_to_many_extras as many_to_many_extras;
    pub use super::fixture_one_to_many as one_to_many;
    pub use super::fixture_one_to_one as one_to_one;
    pub use super::fixture_read_only as read_only;
    pub use super::fixture_same_pair_aliases as same_pair_aliases;
    pub use super::fixture_seed as seed;
    pub use super::fixture_self_link as self_link;
}

// `#[rustfmt::skip]`: `cargo fmt` must not rewrite generated files.
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/custom_pk/out/links.rs"]
pub mod fixture_custom_pk;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/long_names/out/links.rs"]
pub mod fixture_long_names;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/many_to_many_extras/out/links.rs"]
pub mod fixture_many_to_many_extras;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/one_to_many/out/links.rs"]
pub mod fixture_one_to_many;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/one_to_one/out/links.rs"]
pub mod fixture_one_to_one;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/read_only/out/links.rs"]
pub mod fixture_read_only;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/same_pair_aliases/out/links.rs"]
pub mod fixture_same_pair_aliases;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/seed/out/links.rs"]
pub mod fixture_seed;
#[doc(hidden)]
#[rustfmt::skip]
#[path = "../fixtures/self_link/out/links.rs"]
pub mod fixture_self_link;

/// The codegen fixtures' generated docs: their Rust examples compile as
/// doctests against `fixtures` (every page must be listed here; checked by
/// `tests/compile_fixtures.rs`).
#[cfg(doctest)]
pub mod fixture_docs {
    pub mod custom_pk {
        #[doc = include_str!("../fixtures/custom_pk/out/docs/currency.md")]
        pub mod currency {}
        #[doc = include_str!("../fixtures/custom_pk/out/docs/region.md")]
        pub mod region {}
        #[doc = include_str!("../fixtures/custom_pk/out/docs/store.md")]
        pub mod store {}
    }
    pub mod long_names {
        #[doc = include_str!("../fixtures/long_names/out/docs/customer_relationship_management.md")]
        pub mod customer_relationship_management {}
        #[doc = include_str!("../fixtures/long_names/out/docs/fulfillment_orchestration_provider.md")]
        pub mod fulfillment_orchestration_provider {}
        #[doc = include_str!("../fixtures/long_names/out/docs/product.md")]
        pub mod product {}
    }
    pub mod many_to_many_extras {
        #[doc = include_str!("../fixtures/many_to_many_extras/out/docs/cart.md")]
        pub mod cart {}
        #[doc = include_str!("../fixtures/many_to_many_extras/out/docs/product.md")]
        pub mod product {}
    }
    pub mod one_to_many {
        #[doc = include_str!("../fixtures/one_to_many/out/docs/brand.md")]
        pub mod brand {}
        #[doc = include_str!("../fixtures/one_to_many/out/docs/fulfillment.md")]
        pub mod fulfillment {}
        #[doc = include_str!("../fixtures/one_to_many/out/docs/order.md")]
        pub mod order {}
        #[doc = include_str!("../fixtures/one_to_many/out/docs/product.md")]
        pub mod product {}
    }
    pub mod one_to_one {
        #[doc = include_str!("../fixtures/one_to_one/out/docs/cart.md")]
        pub mod cart {}
        #[doc = include_str!("../fixtures/one_to_one/out/docs/customer.md")]
        pub mod customer {}
        #[doc = include_str!("../fixtures/one_to_one/out/docs/order.md")]
        pub mod order {}
        #[doc = include_str!("../fixtures/one_to_one/out/docs/payment.md")]
        pub mod payment {}
    }
    pub mod read_only {
        #[doc = include_str!("../fixtures/read_only/out/docs/cart.md")]
        pub mod cart {}
        #[doc = include_str!("../fixtures/read_only/out/docs/customer.md")]
        pub mod customer {}
        #[doc = include_str!("../fixtures/read_only/out/docs/order.md")]
        pub mod order {}
        #[doc = include_str!("../fixtures/read_only/out/docs/product.md")]
        pub mod product {}
    }
    pub mod same_pair_aliases {
        #[doc = include_str!("../fixtures/same_pair_aliases/out/docs/customer.md")]
        pub mod customer {}
        #[doc = include_str!("../fixtures/same_pair_aliases/out/docs/product.md")]
        pub mod product {}
    }
    pub mod seed {
        #[doc = include_str!("../fixtures/seed/out/docs/api_key.md")]
        pub mod api_key {}
        #[doc = include_str!("../fixtures/seed/out/docs/cart.md")]
        pub mod cart {}
        #[doc = include_str!("../fixtures/seed/out/docs/order.md")]
        pub mod order {}
        #[doc = include_str!("../fixtures/seed/out/docs/product.md")]
        pub mod product {}
        #[doc = include_str!("../fixtures/seed/out/docs/sales_channel.md")]
        pub mod sales_channel {}
        #[doc = include_str!("../fixtures/seed/out/docs/stock_location.md")]
        pub mod stock_location {}
    }
    pub mod self_link {
        #[doc = include_str!("../fixtures/self_link/out/docs/product.md")]
        pub mod product {}
    }
}

/// The cursor Query gives a page's last root whose keyset values (order
/// fields, then primary key) are `values`: `c1` and the hex of their JSON.
pub fn cursor_of(values: serde_json::Value) -> String {
    let hex: String = values
        .to_string()
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("c1{hex}")
}

/// The files `<dir>/<entry>/<name>` (`name = Some`) or `<dir>/<entry>`
/// ending in `suffix` (`name = None`), sorted, each with the snapshot
/// suffix insta's `glob!` gave it (the path below `dir`, `/` as `__`), so
/// a test loops over fixtures without insta's glob feature (and its regex
/// engine) in the build.
pub fn fixture_files(
    dir: &std::path::Path,
    name: Option<&str>,
    suffix: &str,
) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.expect("fixture entry").path();
        let (file, label) = match name {
            Some(n) => (p.join(n), format!("{}__{n}", file_label(&p))),
            None => (p.clone(), file_label(&p)),
        };
        if file.is_file() && file.to_string_lossy().ends_with(suffix) {
            out.push((file, label));
        }
    }
    out.sort();
    out
}

fn file_label(p: &std::path::Path) -> String {
    p.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// Runs `f` for every `(file, label)` and panics afterwards with the labels
/// of all that failed (each failure's message is printed as it happens),
/// as insta's `glob!` does.
pub fn for_each_fixture(
    files: &[(std::path::PathBuf, String)],
    mut f: impl FnMut(&std::path::Path, &str),
) {
    let mut failed = Vec::new();
    for (file, label) in files {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(file, label)));
        if r.is_err() {
            failed.push(label.clone());
        }
    }
    assert!(failed.is_empty(), "failed fixtures: {failed:?}");
}
