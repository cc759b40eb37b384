//! Migration diffs through the real lock-file flow: one links.toml goes
//! v1 -> v2 -> v3 (`tests/fixtures/migrations/v*.toml`) in a temp dir, with
//! codegen writing migrations and the lock after each step.
//!
//! - v2 adds a link, adds extra columns (nullable, defaulted, NOT NULL
//!   without default) and changes a link's cardinality;
//! - v3 removes a link, drops an extra column, changes extra columns' types
//!   and nullability and renames a link table. Without `allow_destructive`
//!   the drops are reported as skipped and not generated (path A, which then
//!   generates them in a fourth migration with the flag); with it they are
//!   generated at once (path B).
//!
//! Every generated migration is snapshotted, and applying the migrations in
//! order to a fresh database (SQLite always, Postgres with
//! `LINK_TEST_PG_URL`) with rows in the tables must leave exactly the schema
//! that a fresh v3's single initial migration creates, keeping the rows.

use crate::support;

use std::path::{Path, PathBuf};

use link_codegen::{Codegen, Plan};
use support::{Db, Dialect, assert_same_schema};

fn fixture(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/migrations")
        .join(format!("{version}.toml"))
}

/// A project folder whose links.toml is replaced version after version.
struct Project {
    dir: tempfile::TempDir,
    /// File stems of the migrations generated so far, in order.
    migrations: Vec<String>,
}

impl Project {
    fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
            migrations: Vec::new(),
        }
    }

    fn links(&self) -> PathBuf {
        self.dir.path().join("links.toml")
    }

    fn codegen(&self, version: &str, allow_destructive: bool) -> Codegen {
        std::fs::copy(fixture(version), self.links()).unwrap();
        Codegen::new(self.links()).allow_destructive(allow_destructive)
    }

    /// Switches links.toml to `version` and generates and writes.
    fn write(&mut self, version: &str, allow_destructive: bool) -> Plan {
        let plan = self.codegen(version, allow_destructive).write().unwrap();
        if let Some(m) = &plan.new_migration {
            self.migrations.push(m.clone());
        }
        plan
    }

    /// Switches links.toml to `version` and plans without writing.
    fn plan(&self, version: &str, allow_destructive: bool) -> Plan {
        self.codegen(version, allow_destructive).plan().unwrap()
    }

    fn sql(&self, dialect: Dialect, stem: &str) -> String {
        let path = self
            .dir
            .path()
            .join("migrations")
            .join(dialect.name())
            .join(format!("{stem}.sql"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every migration file on disk per dialect, sorted.
    fn files_on_disk(&self, dialect: Dialect) -> Vec<String> {
        let mut v: Vec<String> =
            std::fs::read_dir(self.dir.path().join("migrations").join(dialect.name()))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
        v.sort();
        v
    }
}

const SKIPPED: [&str; 2] = [
    "DESTRUCTIVE: drop table customer_wishlist and all its rows",
    "DESTRUCTIVE: drop column product_sales_channel.note and its values",
];

/// The series up to v2 (two migrations written).
fn after_v2() -> Project {
    let mut p = Project::new();
    let v1 = p.write("v1", false);
    assert_eq!(v1.new_migration.as_deref(), Some("0001_create_link_tables"));
    assert!(v1.skipped.is_empty());
    let v2 = p.write("v2", false);
    assert!(v2.skipped.is_empty(), "{:?}", v2.skipped);
    assert!(
        v2.new_migration
            .as_deref()
            .is_some_and(|m| m.starts_with("0002_")),
        "{:?}",
        v2.new_migration
    );
    p
}

/// Path A: v3 without the flag (0003), then with it (0004).
fn path_a() -> Project {
    let mut p = after_v2();
    let plan = p.write("v3", false);
    assert_eq!(plan.skipped, SKIPPED);
    let plan = p.write("v3", true);
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    assert_eq!(p.migrations.len(), 4, "{:?}", p.migrations);
    p
}

/// Path B: v3 with the flag at once (0003).
fn path_b() -> Project {
    let mut p = after_v2();
    let plan = p.write("v3", true);
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    assert_eq!(p.migrations.len(), 3, "{:?}", p.migrations);
    p
}

/// A fresh project generated straight from v3.
fn fresh_v3() -> Project {
    let mut p = Project::new();
    let plan = p.write("v3", false);
    assert!(plan.skipped.is_empty());
    assert_eq!(p.migrations, ["0001_create_link_tables"]);
    p
}

#[test]
fn destructive_changes_are_skipped_without_the_flag() {
    let p = after_v2();
    let plan = p.plan("v3", false);
    assert_eq!(plan.skipped, SKIPPED);
    let stem = plan.new_migration.clone().expect("a third migration");
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        let name = format!("{}/{stem}.sql", dialect.name());
        let file = plan
            .files
            .iter()
            .find(|f| f.path.ends_with(&name))
            .unwrap_or_else(|| panic!("no {name}"));
        let sql = &file.contents;
        assert!(
            !sql.contains("DROP TABLE IF EXISTS \"customer_wishlist\""),
            "{sql}"
        );
        assert!(!sql.contains("DROP COLUMN"), "{sql}");
        assert!(!sql.contains("DESTRUCTIVE"), "{sql}");
        // The non-destructive changes are there.
        assert!(sql.contains("sales_channel_location"), "{sql}");
        assert!(sql.contains("\"rank\""), "{sql}");
    }
    // Planning writes nothing.
    assert_eq!(p.files_on_disk(Dialect::Sqlite).len(), 2);

    // With the flag the same step drops them, marked as destructive.
    let plan = p.plan("v3", true);
    assert!(plan.skipped.is_empty());
    let sql = &plan
        .files
        .iter()
        .find(|f| {
            f.path.ends_with(format!(
                "postgres/{}.sql",
                plan.new_migration.as_ref().unwrap()
            ))
        })
        .unwrap()
        .contents;
    assert!(
        sql.contains("DROP TABLE IF EXISTS \"customer_wishlist\";"),
        "{sql}"
    );
    assert!(
        sql.contains("ALTER TABLE \"product_sales_channel\" DROP COLUMN \"note\";"),
        "{sql}"
    );
    assert!(
        sql.contains("-- DESTRUCTIVE: drop table customer_wishlist"),
        "{sql}"
    );
}

#[test]
fn snapshot_every_generated_migration() {
    for (path, p) in [("a", path_a()), ("b", path_b())] {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            assert_eq!(
                p.files_on_disk(dialect),
                p.migrations
                    .iter()
                    .map(|m| format!("{m}.sql"))
                    .collect::<Vec<_>>(),
                "path {path}"
            );
            for stem in &p.migrations {
                let name = format!("path_{path}__{}__{stem}", dialect.name());
                insta::assert_snapshot!(name, p.sql(dialect, stem));
            }
        }
        // The lock after v3.
        let lock = std::fs::read_to_string(p.dir.path().join("links.lock")).unwrap();
        insta::assert_snapshot!(format!("path_{path}__links.lock"), lock);
    }
    let fresh = fresh_v3();
    for dialect in [Dialect::Sqlite, Dialect::Postgres] {
        insta::assert_snapshot!(
            format!("fresh_v3__{}", dialect.name()),
            fresh.sql(dialect, "0001_create_link_tables")
        );
    }
}

/// Generated migrations are never rewritten: regenerating after every step
/// plans no new migration and leaves every file as it is, and a deleted
/// migration comes back byte for byte from the lock.
#[test]
fn migrations_are_stable_and_restorable() {
    let p = path_a();
    let before: Vec<(String, String)> = p
        .migrations
        .iter()
        .flat_map(|m| {
            [Dialect::Sqlite, Dialect::Postgres].map(|d| (format!("{}/{m}", d.name()), p.sql(d, m)))
        })
        .collect();
    let again = p.plan("v3", true);
    assert_eq!(again.new_migration, None);
    assert!(
        !again
            .files
            .iter()
            .any(|f| f.path.extension().is_some_and(|e| e == "sql")),
        "existing migrations must not be planned again"
    );
    let removed = p
        .dir
        .path()
        .join("migrations/postgres")
        .join(format!("{}.sql", p.migrations[1]));
    std::fs::remove_file(&removed).unwrap();
    Codegen::new(p.links())
        .allow_destructive(true)
        .write()
        .unwrap();
    for (name, contents) in before {
        let (d, m) = name.split_once('/').unwrap();
        let d = if d == "sqlite" {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        assert_eq!(p.sql(d, m), contents, "{name}");
    }
}

/// Inserts rows into the tables of `stem`'s schema so migrations carry data.
async fn insert_rows(db: &mut Db, step: usize) {
    match step {
        // After v1.
        0 => {
            db.exec(
                "INSERT INTO \"product_sales_channel\" (\"product_id\", \"sales_channel_id\", \"id\", \"note\", \"rank\", \"label\") \
                 VALUES ('prod_1', 'sc_1', 'prodsc_1', 'n1', 3, '7');
                 INSERT INTO \"product_sales_channel\" (\"product_id\", \"sales_channel_id\", \"id\") \
                 VALUES ('prod_2', 'sc_1', 'prodsc_2');
                 INSERT INTO \"product_product_brand_brand\" (\"product_id\", \"brand_id\", \"id\") \
                 VALUES ('prod_1', 'brand_1', 'link_1');
                 INSERT INTO \"customer_wishlist\" (\"customer_id\", \"product_id\", \"id\", \"added_by\") \
                 VALUES ('cus_1', 'prod_1', 'link_2', 'me');",
            )
            .await;
        }
        // After v2.
        1 => {
            db.exec(
                "UPDATE \"product_sales_channel\" SET \"label\" = '8' WHERE \"id\" = 'prodsc_2';
                 INSERT INTO \"sales_channel_sales_channel_stock_location_stock_location\" \
                 (\"sales_channel_id\", \"stock_location_id\", \"id\") VALUES ('sc_1', 'sloc_1', 'link_3');
                 INSERT INTO \"product_product_brand_brand\" (\"product_id\", \"brand_id\", \"id\") \
                 VALUES ('prod_1', 'brand_2', 'link_4');",
            )
            .await;
        }
        _ => {}
    }
}

/// Applies a project's migrations in order (inserting rows between the
/// versions) and checks the schema equals a fresh v3's and the rows survived.
async fn check_path(path: &str, p: &Project, mut db: Db, fresh: &mut Db, fresh_v3: &Project) {
    let dialect = db.dialect();
    for (i, stem) in p.migrations.iter().enumerate() {
        db.exec(&p.sql(dialect, stem)).await;
        insert_rows(&mut db, i).await;
    }
    fresh
        .exec(&fresh_v3.sql(dialect, "0001_create_link_tables"))
        .await;
    let (got, want) = (db.schema().await, fresh.schema().await);
    assert_same_schema(&format!("path {path} on {}", dialect.name()), &got, &want);
    if std::env::var_os("SHOW_SCHEMA").is_some() {
        eprintln!("{}", support::render(&got));
    }
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        [
            "product_product_brand_brand",
            "product_sales_channel",
            "sales_channel_location"
        ],
        "{}",
        dialect.name()
    );

    // Rows survived renames, rebuilds and type changes.
    let rows = db
        .rows(
            "SELECT \"id\", CAST(\"rank\" AS TEXT), CAST(\"label\" AS TEXT), \"code\", \
             CAST(\"priority\" AS TEXT), CASE WHEN \"starts_at\" IS NULL THEN 'null' ELSE 'set' END \
             FROM \"product_sales_channel\" ORDER BY \"id\"",
        )
        .await;
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        rows,
        [
            vec![s("prodsc_1"), s("3"), s("7"), s(""), s("5"), s("set")],
            vec![s("prodsc_2"), s("0"), s("8"), s(""), s("5"), s("set")],
        ],
        "{}",
        dialect.name()
    );
    let ids = db
        .texts("SELECT \"id\" FROM \"sales_channel_location\" ORDER BY \"id\"")
        .await;
    assert_eq!(ids, [s("link_3")]);
    let ids = db
        .texts("SELECT \"id\" FROM \"product_product_brand_brand\" ORDER BY \"id\"")
        .await;
    assert_eq!(ids, [s("link_1"), s("link_4")]);
    db.close().await;
}

#[tokio::test]
async fn applied_migrations_equal_a_fresh_v3() {
    let (a, b, fresh) = (path_a(), path_b(), fresh_v3());
    let mut dbs: Vec<(Db, Db, Db)> =
        vec![(Db::sqlite().await, Db::sqlite().await, Db::sqlite().await)];
    match support::pg_url() {
        Some(url) => dbs.push((
            Db::postgres(&url, "mig_a").await,
            Db::postgres(&url, "mig_b").await,
            Db::postgres(&url, "mig_fresh").await,
        )),
        None => eprintln!("LINK_TEST_PG_URL is not set: Postgres skipped"),
    }
    for (db_a, db_b, mut db_fresh) in dbs {
        check_path("a", &a, db_a, &mut db_fresh, &fresh).await;
        // The fresh schema is built once per database; check B against a
        // second fresh copy of it.
        let mut db_fresh2 = match db_fresh.dialect() {
            Dialect::Sqlite => Db::sqlite().await,
            Dialect::Postgres => Db::postgres(&support::pg_url().unwrap(), "mig_fresh2").await,
        };
        check_path("b", &b, db_b, &mut db_fresh2, &fresh).await;
        db_fresh.close().await;
        db_fresh2.close().await;
    }
}

/// The unique indexes v1's one-to-many link gets are enforced, and v2's
/// change to many-to-many drops them.
#[tokio::test]
async fn cardinality_indexes_follow_the_links() {
    let mut p = Project::new();
    p.write("v1", false);
    let mut dbs = vec![Db::sqlite().await];
    if let Some(url) = support::pg_url() {
        dbs.push(Db::postgres(&url, "mig_card").await);
    }
    for mut db in dbs {
        let d = db.dialect();
        db.exec(&p.sql(d, "0001_create_link_tables")).await;
        let insert = |id: &str, brand: &str| {
            format!(
                "INSERT INTO \"product_product_brand_brand\" (\"product_id\", \"brand_id\", \"id\") \
                 VALUES ('prod_1', '{brand}', '{id}')"
            )
        };
        db.exec(&insert("link_1", "brand_1")).await;
        // A second live brand for the same product violates the unique index...
        let second = match &mut db {
            Db::Sqlite(c) => sqlx::raw_sql(sqlx::AssertSqlSafe(insert("link_2", "brand_2")))
                .execute(&mut *c)
                .await
                .map(|_| ()),
            Db::Postgres { conn, .. } => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(insert("link_2", "brand_2")))
                    .execute(&mut *conn)
                    .await
                    .map(|_| ())
            }
        };
        let err = second.expect_err("one brand per product").to_string();
        assert!(err.to_lowercase().contains("unique"), "{err}");
        // ...unless the first one is soft-deleted.
        db.exec("UPDATE \"product_product_brand_brand\" SET \"deleted_at\" = CURRENT_TIMESTAMP")
            .await;
        db.exec(&insert("link_2", "brand_2")).await;
        db.close().await;
    }
}

/// A link whose key changes under the same (explicit) table name is a
/// different link: its table is dropped first and created again (with the
/// flag), or left alone entirely (without it) — never created as a no-op
/// `CREATE TABLE IF NOT EXISTS` and then dropped.
#[tokio::test]
async fn key_change_under_the_same_table_name_recreates_the_table() {
    let toml = |key: &str| {
        format!(
            "[codegen]\nmigrations = \"migrations\"\nlock = \"links.lock\"\n\n\
             [modules.sales_channel.models.sales_channel]\nfields = {{ id = \"text\" }}\n\n\
             [modules.stock_location.models.stock_location]\n\
             linkable_keys = [\"stock_location_id\", \"location_id\"]\nfields = {{ id = \"text\" }}\n\n\
             [[links]]\nleft = {{ model = \"sales_channel.sales_channel\", is_list = true }}\n\
             right = {{ model = \"stock_location.stock_location\", key = \"{key}\", is_list = true }}\n\
             table = \"sc_location\"\n"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links.toml");
    std::fs::write(&links, toml("stock_location_id")).unwrap();
    Codegen::new(&links).write().unwrap();
    std::fs::write(&links, toml("location_id")).unwrap();

    let kept = Codegen::new(&links).plan().unwrap();
    assert_eq!(
        kept.new_migration, None,
        "nothing can be done without the flag"
    );
    assert_eq!(
        kept.skipped,
        [
            "DESTRUCTIVE: drop table sc_location and all its rows",
            "create table sc_location (sales_channel.sales_channel.sales_channel_id <> stock_location.stock_location.location_id)",
        ]
    );

    let plan = Codegen::new(&links)
        .allow_destructive(true)
        .write()
        .unwrap();
    let stem = plan.new_migration.expect("a second migration");
    let mut dbs = vec![Db::sqlite().await];
    if let Some(url) = support::pg_url() {
        dbs.push(Db::postgres(&url, "mig_key").await);
    }
    for mut db in dbs {
        let d = db.dialect();
        let read = |s: &str| {
            std::fs::read_to_string(dir.path().join(format!("migrations/{}/{s}.sql", d.name())))
                .unwrap()
        };
        let second = read(&stem);
        let drop = second.find("DROP TABLE IF EXISTS \"sc_location\"").unwrap();
        let create = second
            .find("CREATE TABLE IF NOT EXISTS \"sc_location\"")
            .unwrap();
        assert!(drop < create, "{second}");
        db.exec(&read("0001_create_sc_location")).await;
        db.exec(&second).await;
        let schema = db.schema().await;
        let cols: Vec<&String> = schema["sc_location"].columns.keys().collect();
        assert!(cols.contains(&&"location_id".to_string()), "{cols:?}");
        assert!(
            !cols.contains(&&"stock_location_id".to_string()),
            "{cols:?}"
        );
        db.close().await;
    }
}
