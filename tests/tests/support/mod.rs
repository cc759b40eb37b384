//! Shared by the SQL tests (`migrations.rs`, `sql_apply.rs`): one database
//! connection per test (in-memory SQLite, or a fresh Postgres schema when
//! `LINK_TEST_PG_URL` is set), running generated SQL and introspecting the
//! resulting schema.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AssertSqlSafe, Connection, PgConnection, Row, SqliteConnection};

/// `LINK_TEST_PG_URL`, if set and not empty. Unset in CI (`CI=true`), the
/// test fails instead of skipping its Postgres run.
pub fn pg_url() -> Option<String> {
    let url = std::env::var("LINK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty());
    assert!(
        url.is_some() || std::env::var("CI").as_deref() != Ok("true"),
        "LINK_TEST_PG_URL must be set in CI"
    );
    url
}

/// A column as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub ty: String,
    pub not_null: bool,
    pub default: Option<String>,
}

/// An index as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Index {
    pub unique: bool,
    /// Postgres: `pg_indexes.indexdef` without the schema; SQLite: the
    /// columns, `partial` and the index SQL (none for the primary key).
    pub definition: String,
}

/// A table: columns by name, primary key columns in order, indexes by name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Table {
    pub columns: BTreeMap<String, Column>,
    pub primary_key: Vec<String>,
    pub indexes: BTreeMap<String, Index>,
}

/// Every table of the database (SQLite) or of the test's schema (Postgres).
pub type Schema = BTreeMap<String, Table>;

/// The dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }
}

/// One connection to a fresh database.
pub enum Db {
    Sqlite(SqliteConnection),
    Postgres { conn: PgConnection, schema: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Db {
    /// A fresh in-memory SQLite database.
    pub async fn sqlite() -> Db {
        Db::Sqlite(
            SqliteConnection::connect("sqlite::memory:")
                .await
                .expect("in-memory SQLite"),
        )
    }

    /// A fresh schema on the server at `url`, set as the search path.
    pub async fn postgres(url: &str, label: &str) -> Db {
        let mut conn = PgConnection::connect(url)
            .await
            .unwrap_or_else(|e| panic!("LINK_TEST_PG_URL={url} must reach a server: {e}"));
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let schema = format!("lt_{label}_{}_{n}", std::process::id());
        for sql in [
            format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"),
            format!("CREATE SCHEMA \"{schema}\""),
            format!("SET search_path TO \"{schema}\""),
        ] {
            sqlx::raw_sql(AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
        Db::Postgres { conn, schema }
    }

    /// Every database to run on: SQLite always, Postgres with
    /// `LINK_TEST_PG_URL` (announced on stderr when skipped).
    pub async fn all(label: &str) -> Vec<Db> {
        let mut v = vec![Db::sqlite().await];
        match pg_url() {
            Some(url) => v.push(Db::postgres(&url, label).await),
            None => eprintln!("LINK_TEST_PG_URL is not set: Postgres skipped for {label}"),
        }
        v
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres { .. } => Dialect::Postgres,
        }
    }

    /// Runs a script of several statements.
    pub async fn exec(&mut self, sql: &str) {
        let r = match self {
            Db::Sqlite(c) => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(&mut *c)
                .await
                .map(|_| ()),
            Db::Postgres { conn, .. } => sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
                .execute(&mut *conn)
                .await
                .map(|_| ()),
        };
        if let Err(e) = r {
            panic!("{} rejects the SQL: {e}\n{sql}", self.dialect().name());
        }
    }

    /// First column of every row of a query, as text (NULL as `None`).
    pub async fn texts(&mut self, sql: &str) -> Vec<Option<String>> {
        match self {
            Db::Sqlite(c) => sqlx::query(AssertSqlSafe(sql.to_string()))
                .fetch_all(&mut *c)
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"))
                .iter()
                .map(|r| r.get::<Option<String>, _>(0))
                .collect(),
            Db::Postgres { conn, .. } => sqlx::query(AssertSqlSafe(sql.to_string()))
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_else(|e| panic!("{e}\n{sql}"))
                .iter()
                .map(|r| r.get::<Option<String>, _>(0))
                .collect(),
        }
    }

    /// Rows of a query whose every column is text (cast it in the query).
    pub async fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        fn collect<R: Row>(rows: Vec<R>) -> Vec<Vec<Option<String>>>
        where
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }
        match self {
            Db::Sqlite(c) => collect(
                sqlx::query(AssertSqlSafe(sql.to_string()))
                    .fetch_all(&mut *c)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{sql}")),
            ),
            Db::Postgres { conn, .. } => collect(
                sqlx::query(AssertSqlSafe(sql.to_string()))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap_or_else(|e| panic!("{e}\n{sql}")),
            ),
        }
    }

    /// The schema as the database's catalog reports it.
    pub async fn schema(&mut self) -> Schema {
        match self.dialect() {
            Dialect::Sqlite => self.sqlite_schema().await,
            Dialect::Postgres => self.pg_schema().await,
        }
    }

    async fn sqlite_schema(&mut self) -> Schema {
        let mut out = Schema::new();
        let tables = self
            .texts(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
            )
            .await;
        for t in tables.into_iter().flatten() {
            let lit = t.replace('\'', "''");
            let mut table = Table::default();
            let cols = self
                .rows(&format!(
                    "SELECT name, type, CAST(\"notnull\" AS TEXT), dflt_value, CAST(pk AS TEXT) \
                     FROM pragma_table_info('{lit}') ORDER BY cid"
                ))
                .await;
            let mut pk: Vec<(i64, String)> = Vec::new();
            for c in cols {
                let name = c[0].clone().unwrap();
                let pk_pos: i64 = c[4].as_deref().unwrap().parse().unwrap();
                if pk_pos > 0 {
                    pk.push((pk_pos, name.clone()));
                }
                table.columns.insert(
                    name,
                    Column {
                        ty: c[1].clone().unwrap(),
                        not_null: c[2].as_deref() == Some("1"),
                        default: c[3].clone(),
                    },
                );
            }
            pk.sort();
            table.primary_key = pk.into_iter().map(|(_, n)| n).collect();
            let indexes = self
                .rows(&format!(
                    "SELECT name, CAST(\"unique\" AS TEXT), origin, CAST(partial AS TEXT) \
                     FROM pragma_index_list('{lit}')"
                ))
                .await;
            for i in indexes {
                let name = i[0].clone().unwrap();
                let ilit = name.replace('\'', "''");
                let cols: Vec<String> = self
                    .texts(&format!(
                        "SELECT name FROM pragma_index_info('{ilit}') ORDER BY seqno"
                    ))
                    .await
                    .into_iter()
                    .flatten()
                    .collect();
                let sql = self
                    .texts(&format!(
                        "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = '{ilit}'"
                    ))
                    .await
                    .into_iter()
                    .next()
                    .flatten();
                table.indexes.insert(
                    name,
                    Index {
                        unique: i[1].as_deref() == Some("1"),
                        definition: format!(
                            "origin={} partial={} columns=({}) sql={}",
                            i[2].as_deref().unwrap_or(""),
                            i[3].as_deref().unwrap_or(""),
                            cols.join(", "),
                            sql.unwrap_or_default()
                        ),
                    },
                );
            }
            out.insert(t, table);
        }
        out
    }

    async fn pg_schema(&mut self) -> Schema {
        let schema = match self {
            Db::Postgres { schema, .. } => schema.clone(),
            Db::Sqlite(_) => unreachable!(),
        };
        let mut out = Schema::new();
        let tables = self
            .texts(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 AND table_name::text NOT LIKE '\\_sqlx%' ORDER BY 1",
            )
            .await;
        for t in tables.into_iter().flatten() {
            let lit = t.replace('\'', "''");
            let mut table = Table::default();
            let cols = self
                .rows(&format!(
                    "SELECT column_name::text, \
                       CASE WHEN character_maximum_length IS NULL THEN data_type::text \
                       ELSE data_type::text || '(' || character_maximum_length::text || ')' END, \
                       is_nullable::text, column_default::text \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = '{lit}'"
                ))
                .await;
            for c in cols {
                table.columns.insert(
                    c[0].clone().unwrap(),
                    Column {
                        ty: c[1].clone().unwrap(),
                        not_null: c[2].as_deref() == Some("NO"),
                        default: c[3].clone(),
                    },
                );
            }
            table.primary_key = self
                .texts(&format!(
                    "SELECT a.attname::text FROM pg_index i \
                     JOIN pg_class c ON c.oid = i.indrelid \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true \
                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
                     WHERE i.indisprimary AND n.nspname = current_schema() AND c.relname = '{lit}' \
                     ORDER BY k.ord"
                ))
                .await
                .into_iter()
                .flatten()
                .collect();
            let indexes = self
                .rows(&format!(
                    "SELECT indexname::text, indexdef FROM pg_indexes \
                     WHERE schemaname = current_schema() AND tablename = '{lit}'"
                ))
                .await;
            for i in indexes {
                let def = i[1].clone().unwrap();
                table.indexes.insert(
                    i[0].clone().unwrap(),
                    Index {
                        unique: def.starts_with("CREATE UNIQUE"),
                        definition: def
                            .replace(&format!("\"{schema}\"."), "")
                            .replace(&format!("{schema}."), ""),
                    },
                );
            }
            out.insert(t, table);
        }
        out
    }

    /// Drops the test's Postgres schema (SQLite databases just go away).
    pub async fn close(self) {
        if let Db::Postgres { mut conn, schema } = self {
            let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
            let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
            let _ = conn.close().await;
        }
    }
}

/// Renders a schema for assertion messages and snapshots.
pub fn render(schema: &Schema) -> String {
    let mut out = String::new();
    for (name, t) in schema {
        out.push_str(&format!(
            "table {name} (pk: {})\n",
            t.primary_key.join(", ")
        ));
        for (c, col) in &t.columns {
            out.push_str(&format!(
                "  column {c} {}{}{}\n",
                col.ty,
                if col.not_null { " NOT NULL" } else { " NULL" },
                col.default
                    .as_ref()
                    .map(|d| format!(" DEFAULT {d}"))
                    .unwrap_or_default()
            ));
        }
        for (i, idx) in &t.indexes {
            out.push_str(&format!(
                "  index {i}{}: {}\n",
                if idx.unique { " UNIQUE" } else { "" },
                idx.definition
            ));
        }
    }
    out
}

/// Asserts two schemas are equal, showing both on failure.
pub fn assert_same_schema(what: &str, got: &Schema, want: &Schema) {
    if got != want {
        let (g, w) = (render(got), render(want));
        let diff: Vec<String> = g
            .lines()
            .filter(|l| !w.lines().any(|x| x == *l))
            .map(|l| format!("- {l}"))
            .chain(
                w.lines()
                    .filter(|l| !g.lines().any(|x| x == *l))
                    .map(|l| format!("+ {l}")),
            )
            .collect();
        panic!(
            "{what}: schemas differ (- got, + want):\n{}\n\ngot:\n{g}\nwant:\n{w}",
            diff.join("\n")
        );
    }
}

/// Runs a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}
