//! The database lifecycle of link tables (`link_runtime::sync`, what
//! `cargo xtask db migrate|status|sync-links` runs) on a SQLite file always
//! and on a fresh Postgres schema when `LINK_TEST_PG_URL` is set.
//!
//! Every command's output of every scenario is snapshotted as a transcript
//! (`$ <command>  # exit <code>` then its output), one per dialect; the
//! outputs are deterministic (no paths, schema names or times).
//!
//! - `lifecycle`: fresh -> migrate -> in sync; links.toml edited (a link
//!   added, an extra column added, a link removed) -> exactly that drift ->
//!   sync-links applies the safe part and skips the drop (exit 2) -> with
//!   `--allow-destructive` drops it -> in sync, and the synced tables equal
//!   freshly migrated ones.
//! - `failed_sync_leaves_the_database_unchanged`: a user table's foreign key
//!   makes the last step (the drop) fail after the create and the column
//!   were applied: error, and the schema and rows are exactly as before.
//! - `rename_keeps_the_rows`, `hand_edited_table_is_repaired` (type
//!   narrowing, NOT NULL on NULLs, indexes, dropped column).
//! - `changed_migration_is_refused`.
//! - Postgres: `medusa_database_is_in_sync` (Medusa's DDL and tracking
//!   rows), `concurrent_migrate_runs_serialise`; both dialects:
//!   `concurrent_sync_links_runs_serialise`.

use crate::support;

use std::fmt::Write;
use std::path::PathBuf;

use link_model::LinkGraph;
use link_runtime::migrate::{MigrationSource, Migrations};
use link_runtime::sync::{self, ActionKind, Drift, Outcome};
use link_runtime::{Db, Dialect};
use link_tests::{graph, pg_url, seed_links_toml};
use sqlx::Connection;

const V2: &str = include_str!("../fixtures/db/links_v2.toml");
const RENAMED: &str = include_str!("../fixtures/db/links_renamed.toml");
const COLUMNS: &str = include_str!("../fixtures/db/links_columns.toml");
const MEDUSA_SQL: &str = include_str!("../fixtures/db/medusa_link_tables.sql");

/// The storefront's first generated migration: the seed's three link tables
/// of links.toml (later migrations add links declared with `#[define_link]`,
/// which these scenarios leave out).
fn migrations() -> &'static Migrations {
    static FIRST: std::sync::LazyLock<Migrations> = std::sync::LazyLock::new(|| Migrations {
        sqlite: &storefront::links::MIGRATIONS.sqlite[..1],
        postgres: &storefront::links::MIGRATIONS.postgres[..1],
    });
    &FIRST
}

fn seed() -> LinkGraph {
    graph(&seed_links_toml())
}

/// The seed migration with its file edited after it was applied.
static CHANGED: Migrations = Migrations {
    sqlite: &[MigrationSource {
        version: 1,
        description: "create_link_tables",
        sql: concat!(
            include_str!(
                "../../examples/storefront/migrations/links/sqlite/0001_create_link_tables.sql"
            ),
            "-- edited by hand\n"
        ),
    }],
    postgres: &[MigrationSource {
        version: 1,
        description: "create_link_tables",
        sql: concat!(
            include_str!(
                "../../examples/storefront/migrations/links/postgres/0001_create_link_tables.sql"
            ),
            "-- edited by hand\n"
        ),
    }],
};

// ------------------------------------------------------------------ harness

/// A database under test.
struct Target {
    db: Db,
    /// The SQLite file, for a second connection.
    sqlite: Option<PathBuf>,
}

impl Target {
    fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    fn name(&self) -> &'static str {
        self.dialect().name()
    }

    async fn sqlite() -> Target {
        let (db, path) = link_tests::sqlite_file().await;
        Target {
            db,
            sqlite: Some(path),
        }
    }

    /// A fresh Postgres schema; `None` (announced) when `LINK_TEST_PG_URL`
    /// is not set. When it is set, failing to connect fails the test.
    async fn postgres(test: &str) -> Option<Target> {
        match link_tests::postgres().await {
            Some(db) => Some(Target { db, sqlite: None }),
            None => {
                eprintln!("LINK_TEST_PG_URL is not set: Postgres skipped for {test}");
                None
            }
        }
    }

    /// SQLite always, Postgres when set.
    async fn all(test: &str) -> Vec<Target> {
        let mut v = vec![Target::sqlite().await];
        v.extend(Target::postgres(test).await);
        v
    }

    async fn exec(&self, sql: &str) {
        self.db
            .execute_script(sql)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\n{sql}", self.name()));
    }

    async fn texts(&self, sql: &str) -> Vec<String> {
        let sql = link_runtime::db::Sql::raw(self.db.dialect(), sql);
        self.db
            .fetch(&sql, &[link_model::ScalarType::Text])
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", sql.text))
            .into_iter()
            .map(|r| match &r[0] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    }

    /// A second connection reading the catalog (tests/support).
    async fn inspector(&self) -> support::Db {
        match &self.sqlite {
            Some(path) => support::Db::Sqlite(
                sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display()))
                    .await
                    .unwrap(),
            ),
            None => {
                let schema = self.texts("SELECT current_schema()::text").await.remove(0);
                let mut conn = sqlx::PgConnection::connect(&pg_url().unwrap())
                    .await
                    .unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "SET search_path TO \"{schema}\""
                )))
                .execute(&mut conn)
                .await
                .unwrap();
                support::Db::Postgres { conn, schema }
            }
        }
    }

    /// Schema and rows of every table, as text.
    async fn dump(&self) -> String {
        let mut i = self.inspector().await;
        let schema = i.schema().await;
        let mut out = support::render(&schema);
        for (name, table) in &schema {
            let cols: Vec<String> = table
                .columns
                .keys()
                .map(|c| match self.dialect() {
                    // quote(): blobs (sqlx's checksums) as X'..' literals.
                    Dialect::Sqlite => format!("quote(\"{c}\")"),
                    Dialect::Postgres => format!("CAST(\"{c}\" AS TEXT)"),
                })
                .collect();
            let order: Vec<String> = (1..=cols.len()).map(|n| n.to_string()).collect();
            let rows = i
                .rows(&format!(
                    "SELECT {} FROM \"{name}\" ORDER BY {}",
                    cols.join(", "),
                    order.join(", ")
                ))
                .await;
            writeln!(out, "rows of {name}:").unwrap();
            for r in rows {
                let r: Vec<String> = r
                    .into_iter()
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
                    .collect();
                writeln!(out, "  {}", r.join(" | ")).unwrap();
            }
        }
        out
    }

    /// The schema of the given tables.
    async fn schema_of(&self, tables: &[&str]) -> support::Schema {
        let mut s = self.inspector().await.schema().await;
        s.retain(|name, _| tables.contains(&name.as_str()));
        s
    }

    async fn count(&self, table: &str) -> i64 {
        self.texts(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM \"{table}\""))
            .await[0]
            .parse()
            .unwrap()
    }
}

/// The outputs of the commands of a scenario.
#[derive(Default)]
struct Transcript(String);

impl Transcript {
    fn add(&mut self, command: &str, exit: u8, output: &str) {
        writeln!(self.0, "$ {command}  # exit {exit}").unwrap();
        self.0.push_str(output);
        if !output.ends_with('\n') {
            self.0.push('\n');
        }
        self.0.push('\n');
    }

    /// `cargo xtask db status`.
    async fn status(
        &mut self,
        t: &Target,
        links: &str,
        g: &LinkGraph,
        m: &Migrations,
    ) -> sync::Status {
        let st = sync::status(&t.db, g, m).await.unwrap();
        self.add(
            &format!("cargo xtask db status --links {links}"),
            st.exit_code(),
            &st.render(),
        );
        st
    }

    /// `cargo xtask db migrate`.
    async fn migrate(&mut self, t: &Target, m: &Migrations) -> Result<sync::MigrateReport, String> {
        match sync::migrate(&t.db, m).await {
            Ok(r) => {
                self.add("cargo xtask db migrate", 0, &r.render());
                Ok(r)
            }
            Err(e) => {
                let msg = format!("error: {e}\n");
                self.add("cargo xtask db migrate", 1, &msg);
                Err(msg)
            }
        }
    }

    /// `cargo xtask db sync-links [--allow-destructive]`: the plan, then
    /// the report (or the error).
    async fn sync(
        &mut self,
        t: &Target,
        links: &str,
        g: &LinkGraph,
        allow: bool,
    ) -> Result<sync::SyncReport, String> {
        let command = format!(
            "cargo xtask db sync-links --links {links}{}",
            if allow { " --allow-destructive" } else { "" }
        );
        let plan = sync::plan_sync(&t.db, g).await.unwrap();
        let mut out = plan.render();
        match sync::execute(&t.db, &plan, allow).await {
            Ok(r) => {
                out.push_str(&r.render());
                self.add(&command, r.outcome().exit_code(), &out);
                Ok(r)
            }
            Err(e) => {
                let msg = format!("error: {e}\n");
                out.push_str(&msg);
                self.add(&command, 1, &out);
                Err(msg)
            }
        }
    }

    /// `cargo xtask db sync-links --dry-run`.
    async fn dry_run(&mut self, t: &Target, links: &str, g: &LinkGraph, allow: bool) {
        let plan = sync::plan_sync(&t.db, g).await.unwrap();
        let skips = !allow && plan.destructive().next().is_some();
        self.add(
            &format!(
                "cargo xtask db sync-links --links {links} --dry-run{}",
                if allow { " --allow-destructive" } else { "" }
            ),
            if skips { 2 } else { 0 },
            &plan.sql(allow),
        );
    }
}

/// `(table, drift)` of every table that is not in sync.
fn drift(st: &sync::Status) -> Vec<(String, Drift)> {
    st.drift()
        .map(|t| (t.table.clone(), t.drift.clone().unwrap()))
        .collect()
}

/// Rows in the seed's link tables.
async fn insert_rows(t: &Target) {
    t.exec(
        "INSERT INTO \"product_sales_channel\" (\"product_id\", \"sales_channel_id\", \"id\") \
           VALUES ('prod_1', 'sc_1', 'prodsc_1'), ('prod_2', 'sc_1', 'prodsc_2');
         INSERT INTO \"sales_channel_stock_location\" (\"sales_channel_id\", \"stock_location_id\", \"id\") \
           VALUES ('sc_1', 'sloc_1', 'scloc_1'), ('sc_1', 'sloc_2', 'scloc_2');
         INSERT INTO \"publishable_api_key_sales_channel\" (\"publishable_key_id\", \"sales_channel_id\", \"id\") \
           VALUES ('apk_1', 'sc_1', 'pksc_1');",
    )
    .await;
}

// -------------------------------------------------------------------- tests

#[tokio::test]
async fn lifecycle() {
    for t in Target::all("lifecycle").await {
        let mut tr = Transcript::default();
        let (seed, v2) = (seed(), graph(V2));
        let m = migrations();

        // Fresh database: every table missing, the migration available.
        let st = tr.status(&t, "links.toml", &seed, m).await;
        assert_eq!(st.exit_code(), 1);
        assert_eq!(drift(&st).len(), 3);
        assert!(
            drift(&st)
                .iter()
                .all(|(_, d)| *d == Drift::Missing { renamed_from: None })
        );

        let r = tr.migrate(&t, m).await.unwrap();
        assert_eq!(r.applied_now, [(1, "create_link_tables".to_string())]);
        let st = tr.status(&t, "links.toml", &seed, m).await;
        assert!(st.in_sync(), "{}", st.render());
        assert_eq!(st.exit_code(), 0);
        insert_rows(&t).await;

        // links.toml edited: exactly the three differences.
        let links = "tests/fixtures/db/links_v2.toml";
        let st = tr.status(&t, links, &v2, m).await;
        assert_eq!(st.exit_code(), 1);
        let position = sync::TableProblem::MissingColumn {
            column: "position".to_string(),
            expected: match t.dialect() {
                Dialect::Sqlite => "INTEGER NOT NULL",
                Dialect::Postgres => "integer NOT NULL",
            }
            .to_string(),
        };
        let shown = match t.dialect() {
            Dialect::Sqlite => "column position: missing (INTEGER NOT NULL)",
            Dialect::Postgres => "column position: missing (integer NOT NULL)",
        };
        assert_eq!(position.to_string(), shown);
        assert_eq!(
            drift(&st),
            [
                (
                    "product_sales_channel".to_string(),
                    Drift::Differs {
                        problems: vec![position]
                    }
                ),
                (
                    "product_stock_location".to_string(),
                    Drift::Missing { renamed_from: None }
                ),
                (
                    "sales_channel_stock_location".to_string(),
                    Drift::Extra {
                        rows: 2,
                        renamed_to: None
                    }
                ),
            ]
        );

        tr.dry_run(&t, links, &v2, false).await;

        // Safe part applied, the drop reported and skipped (exit 2).
        let r = tr.sync(&t, links, &v2, false).await.unwrap();
        assert_eq!(r.outcome(), Outcome::SkippedDestructive);
        assert_eq!(r.outcome().exit_code(), 2);
        assert_eq!(
            r.skipped
                .iter()
                .map(|(k, t, _)| (*k, t.as_str()))
                .collect::<Vec<_>>(),
            [(ActionKind::Delete, "sales_channel_stock_location")]
        );
        assert_eq!(t.count("product_stock_location").await, 0);
        assert_eq!(t.count("sales_channel_stock_location").await, 2);
        assert_eq!(
            t.texts(
                "SELECT CAST(\"position\" AS TEXT) FROM \"product_sales_channel\" ORDER BY \"id\""
            )
            .await,
            ["0", "0"]
        );
        let st = tr.status(&t, links, &v2, m).await;
        assert_eq!(
            drift(&st),
            [(
                "sales_channel_stock_location".to_string(),
                Drift::Extra {
                    rows: 2,
                    renamed_to: None
                }
            )]
        );

        // With the flag: dropped.
        let r = tr.sync(&t, links, &v2, true).await.unwrap();
        assert_eq!(r.outcome(), Outcome::Applied);
        let st = tr.status(&t, links, &v2, m).await;
        assert!(st.in_sync(), "{}", st.render());
        let r = tr.sync(&t, links, &v2, false).await.unwrap();
        assert_eq!(r.outcome(), Outcome::UpToDate);
        assert_eq!(t.count("product_sales_channel").await, 2);

        // The synced link tables equal freshly created ones.
        let tables = [
            "product_sales_channel",
            "product_stock_location",
            "publishable_api_key_sales_channel",
        ];
        let fresh = match t.dialect() {
            Dialect::Sqlite => Target::sqlite().await,
            Dialect::Postgres => Target::postgres("lifecycle").await.unwrap(),
        };
        fresh
            .exec(&link_tests::link_migration(&v2, t.dialect()))
            .await;
        support::assert_same_schema(
            &format!("{}: synced vs fresh", t.name()),
            &t.schema_of(&tables).await,
            &fresh.schema_of(&tables).await,
        );

        insta::assert_snapshot!(format!("lifecycle_{}", t.name()), tr.0);
    }
}

#[tokio::test]
async fn failed_sync_leaves_the_database_unchanged() {
    for t in Target::all("failed_sync").await {
        let mut tr = Transcript::default();
        let v2 = graph(V2);
        let links = "tests/fixtures/db/links_v2.toml";
        tr.migrate(&t, migrations()).await.unwrap();
        insert_rows(&t).await;
        // A table of the application referencing a link table: dropping it
        // fails, after the create and the new column succeeded.
        t.exec(
            "CREATE TABLE \"channel_location_note\" (\
               \"id\" TEXT PRIMARY KEY, \"sales_channel_id\" varchar(255) NOT NULL, \
               \"stock_location_id\" varchar(255) NOT NULL, \"note\" TEXT NOT NULL, \
               FOREIGN KEY (\"sales_channel_id\", \"stock_location_id\") \
                 REFERENCES \"sales_channel_stock_location\" (\"sales_channel_id\", \"stock_location_id\"));
             INSERT INTO \"channel_location_note\" VALUES ('n1', 'sc_1', 'sloc_1', 'ships fast');",
        )
        .await;
        let before = t.dump().await;
        let st_before = tr.status(&t, links, &v2, migrations()).await;

        let err = tr.sync(&t, links, &v2, true).await.unwrap_err();
        assert!(
            err.contains("links sync: step `delete sales_channel_stock_location")
                && err.contains("rolled back, the database is unchanged"),
            "{err}"
        );
        let plan = sync::plan_sync(&t.db, &v2).await.unwrap();
        let kinds: Vec<ActionKind> = plan.actions.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [
                ActionKind::Create,
                ActionKind::Update,
                ActionKind::Noop,
                ActionKind::Delete
            ],
            "the failing step comes after others that ran"
        );

        let after = t.dump().await;
        assert_eq!(
            before,
            after,
            "{}: the failed sync changed the database",
            t.name()
        );
        let st_after = tr.status(&t, links, &v2, migrations()).await;
        assert_eq!(st_before, st_after);
        insta::assert_snapshot!(format!("failed_sync_{}", t.name()), tr.0);
    }
}

#[tokio::test]
async fn rename_keeps_the_rows() {
    for t in Target::all("rename").await {
        let mut tr = Transcript::default();
        let renamed = graph(RENAMED);
        let links = "tests/fixtures/db/links_renamed.toml";
        tr.migrate(&t, migrations()).await.unwrap();
        insert_rows(&t).await;
        let st = tr.status(&t, links, &renamed, migrations()).await;
        assert_eq!(
            drift(&st),
            [
                (
                    "product_channel".to_string(),
                    Drift::Missing {
                        renamed_from: Some("product_sales_channel".into())
                    }
                ),
                (
                    "product_sales_channel".to_string(),
                    Drift::Extra {
                        rows: 2,
                        renamed_to: Some("product_channel".into())
                    }
                ),
            ]
        );
        let r = tr.sync(&t, links, &renamed, false).await.unwrap();
        assert_eq!(r.outcome(), Outcome::Applied);
        assert_eq!(t.count("product_channel").await, 2);
        let st = tr.status(&t, links, &renamed, migrations()).await;
        assert!(st.in_sync(), "{}", st.render());
        insta::assert_snapshot!(format!("rename_{}", t.name()), tr.0);
    }
}

#[tokio::test]
async fn hand_edited_table_is_repaired() {
    for t in Target::all("hand_edited").await {
        let mut tr = Transcript::default();
        let cols = graph(COLUMNS);
        let links = "tests/fixtures/db/links_columns.toml";
        tr.migrate(&t, migrations()).await.unwrap();
        insert_rows(&t).await;
        // `rank` exists as nullable text (the graph wants integer NOT NULL),
        // `legacy` is not in the graph, an index is missing, one is extra.
        t.exec(
            "ALTER TABLE \"product_sales_channel\" ADD COLUMN \"rank\" TEXT NULL;
             ALTER TABLE \"product_sales_channel\" ADD COLUMN \"legacy\" TEXT NULL;
             UPDATE \"product_sales_channel\" SET \"rank\" = '7', \"legacy\" = 'x' WHERE \"id\" = 'prodsc_1';
             DROP INDEX \"IDX_deleted_at_20b454295\";
             CREATE INDEX \"IDX_by_hand\" ON \"product_sales_channel\" (\"id\", \"product_id\");",
        )
        .await;
        let st = tr.status(&t, links, &cols, migrations()).await;
        let [(table, Drift::Differs { problems })] = &drift(&st)[..] else {
            panic!("{}", st.render());
        };
        assert_eq!(table, "product_sales_channel");
        assert_eq!(problems.len(), 5, "{problems:?}");

        tr.dry_run(&t, links, &cols, true).await;
        let r = tr.sync(&t, links, &cols, false).await.unwrap();
        assert_eq!(r.outcome(), Outcome::SkippedDestructive);
        let skipped: Vec<&str> = r.skipped.iter().map(|(_, _, s)| s.as_str()).collect();
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(
            skipped[0].contains("alter column product_sales_channel.rank")
                && skipped[0].contains("narrows the type of a table with 2 rows")
                && skipped[0].contains("NOT NULL on 1 row holding NULL"),
            "{skipped:?}"
        );
        assert!(
            skipped[1].starts_with("DESTRUCTIVE: drop column product_sales_channel.legacy"),
            "{skipped:?}"
        );
        // Safe part: `note` added, indexes fixed; `rank` and `legacy` untouched.
        let st = tr.status(&t, links, &cols, migrations()).await;
        let [(_, Drift::Differs { problems })] = &drift(&st)[..] else {
            panic!("{}", st.render());
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            t.texts(
                "SELECT COALESCE(\"rank\", 'NULL') FROM \"product_sales_channel\" ORDER BY \"id\""
            )
            .await,
            ["7", "NULL"]
        );

        let r = tr.sync(&t, links, &cols, true).await.unwrap();
        assert_eq!(r.outcome(), Outcome::Applied);
        assert_eq!(
            t.texts("SELECT CAST(\"rank\" AS TEXT) FROM \"product_sales_channel\" ORDER BY \"id\"")
                .await,
            ["7", "0"]
        );
        let st = tr.status(&t, links, &cols, migrations()).await;
        assert!(st.in_sync(), "{}", st.render());
        insta::assert_snapshot!(format!("hand_edited_{}", t.name()), tr.0);
    }
}

#[tokio::test]
async fn changed_migration_is_refused() {
    for t in Target::all("changed_migration").await {
        let mut tr = Transcript::default();
        let seed = seed();
        tr.migrate(&t, migrations()).await.unwrap();
        let before = t.dump().await;
        let st = tr.status(&t, "links.toml", &seed, &CHANGED).await;
        assert_eq!(st.exit_code(), 1);
        assert_eq!(st.migrations.changed.len(), 1);
        let err = tr.migrate(&t, &CHANGED).await.unwrap_err();
        assert!(
            err.contains("0001_create_link_tables was changed after it was applied"),
            "{err}"
        );
        assert_eq!(before, t.dump().await);
        insta::assert_snapshot!(format!("changed_migration_{}", t.name()), tr.0);
    }
}

#[tokio::test]
async fn medusa_database_is_in_sync() {
    let Some(t) = Target::postgres("medusa_database_is_in_sync").await else {
        return;
    };
    let mut tr = Transcript::default();
    t.exec(MEDUSA_SQL).await;
    let tracking = "SELECT id::text || ' ' || table_name || ' ' || link_descriptor::text || ' ' || created_at::text \
                    FROM link_module_migrations ORDER BY id";
    let rows_before = t.texts(tracking).await;
    assert_eq!(rows_before.len(), 3);
    let before = t.dump().await;

    let st = tr.status(&t, "links.toml", &seed(), migrations()).await;
    assert!(st.in_sync(), "{}", st.render());
    assert_eq!(st.exit_code(), 0);
    let plan = sync::plan_sync(&t.db, &seed()).await.unwrap();
    assert!(
        plan.actions
            .iter()
            .all(|a| a.kind == ActionKind::Noop && a.steps.is_empty()),
        "{}",
        plan.render()
    );
    let r = tr.sync(&t, "links.toml", &seed(), true).await.unwrap();
    assert_eq!(r.outcome(), Outcome::UpToDate);
    assert!(!r.replanned);
    assert_eq!(t.texts(tracking).await, rows_before);
    assert_eq!(
        t.dump().await,
        before,
        "sync-links changed a Medusa database"
    );

    // Editing the links keeps Medusa's tracking rows up to date.
    let links = "tests/fixtures/db/links_v2.toml";
    let r = tr.sync(&t, links, &graph(V2), true).await.unwrap();
    assert_eq!(r.outcome(), Outcome::Applied);
    let rows = t
        .texts(
            "SELECT table_name || ' ' || link_descriptor::text FROM link_module_migrations ORDER BY table_name",
        )
        .await;
    tr.add(
        "psql -c 'SELECT table_name, link_descriptor FROM link_module_migrations'",
        0,
        &rows.join("\n"),
    );
    assert_eq!(
        rows,
        [
            "product_sales_channel {\"toModel\": \"sales_channel\", \"toModule\": \"sales_channel\", \"fromModel\": \"product\", \"fromModule\": \"product\"}",
            "product_stock_location {\"toModel\": \"location\", \"toModule\": \"stock_location\", \"fromModel\": \"product\", \"fromModule\": \"product\"}",
            "publishable_api_key_sales_channel {\"toModel\": \"sales_channel\", \"toModule\": \"sales_channel\", \"fromModel\": \"api_key\", \"fromModule\": \"api_key\"}",
        ]
    );
    let st = tr.status(&t, links, &graph(V2), migrations()).await;
    assert!(st.in_sync(), "{}", st.render());

    // Renaming a link table renames its tracking row too.
    let r = tr
        .sync(
            &t,
            "tests/fixtures/db/links_renamed.toml",
            &graph(RENAMED),
            true,
        )
        .await
        .unwrap();
    assert_eq!(r.outcome(), Outcome::Applied);
    let rows = t
        .texts("SELECT id::text || ' ' || table_name FROM link_module_migrations ORDER BY id")
        .await;
    tr.add(
        "psql -c 'SELECT id, table_name FROM link_module_migrations'",
        0,
        &rows.join("\n"),
    );
    assert_eq!(
        rows,
        [
            "1 product_channel",
            "2 publishable_api_key_sales_channel",
            "5 sales_channel_stock_location"
        ]
    );
    insta::assert_snapshot!("medusa_postgres", tr.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sync_links_runs_serialise() {
    for t in Target::all("concurrent_sync").await {
        let seed = seed();
        // Both plans are made before either runs: both plan the creates.
        let a = sync::plan_sync(&t.db, &seed).await.unwrap();
        let b = sync::plan_sync(&t.db, &seed).await.unwrap();
        assert_eq!(a, b);
        let (ra, rb) = tokio::join!(
            sync::execute(&t.db, &a, false),
            sync::execute(&t.db, &b, false)
        );
        let (ra, rb) = (ra.unwrap(), rb.unwrap());
        let mut outcomes = [ra.outcome(), rb.outcome()];
        outcomes.sort_by_key(|o| *o as u8);
        assert_eq!(outcomes, [Outcome::UpToDate, Outcome::Applied]);
        // The one that waited found the work done and planned again.
        let (first, second) = if ra.outcome() == Outcome::Applied {
            (&ra, &rb)
        } else {
            (&rb, &ra)
        };
        assert!(second.replanned && second.plan.is_noop());
        let creates = first
            .applied
            .iter()
            .filter(|(k, _, _)| *k == ActionKind::Create)
            .count();
        assert_eq!(creates, 3, "tables created once");
        let st = sync::status(&t.db, &seed, migrations()).await.unwrap();
        assert!(st.drift().next().is_none(), "{}", st.render());
        let mut tr = Transcript::default();
        tr.add(
            "cargo xtask db sync-links  # the run that took the lock first",
            first.outcome().exit_code(),
            &first.render(),
        );
        tr.add(
            "cargo xtask db sync-links  # the run that waited",
            second.outcome().exit_code(),
            &second.render(),
        );
        insta::assert_snapshot!(format!("concurrent_sync_{}", t.name()), tr.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrate_runs_serialise() {
    let Some(t) = Target::postgres("concurrent_migrate_runs_serialise").await else {
        return;
    };
    let (ra, rb) = tokio::join!(
        sync::migrate(&t.db, migrations()),
        sync::migrate(&t.db, migrations())
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let mut applied = [ra.applied_now.len(), rb.applied_now.len()];
    applied.sort();
    assert_eq!(applied, [0, 1], "applied once");
    assert_eq!(t.count("_link_migrations").await, 1);
    let st = sync::status(&t.db, &seed(), migrations()).await.unwrap();
    assert!(st.in_sync(), "{}", st.render());
    let (first, second) = if ra.applied_now.is_empty() {
        (&rb, &ra)
    } else {
        (&ra, &rb)
    };
    let mut tr = Transcript::default();
    tr.add(
        "cargo xtask db migrate  # the run that took the lock first",
        0,
        &first.render(),
    );
    tr.add(
        "cargo xtask db migrate  # the run that waited",
        0,
        &second.render(),
    );
    insta::assert_snapshot!("concurrent_migrate_postgres", tr.0);
}
