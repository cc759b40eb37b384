//! Applying the generated link-table migrations at start-up, through sqlx's
//! `Migrator` with the project's own tracking table.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::db::{Db, Dialect};
use crate::error::Error;

/// Tracking table of link migrations (distinct from the host's `_sqlx_migrations`).
pub const TRACKING_TABLE: &str = "_link_migrations";

/// One generated migration file, embedded by the generated code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationSource {
    /// Version, ascending from 1.
    pub version: i64,
    /// What the migration does (its file name without version).
    pub description: &'static str,
    /// The SQL it runs.
    pub sql: &'static str,
}

/// The migrations of both dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migrations {
    /// The SQLite migrations, in order.
    pub sqlite: &'static [MigrationSource],
    /// The Postgres migrations, in order.
    pub postgres: &'static [MigrationSource],
}

impl Migrations {
    /// The migrations of dialect `d`.
    pub fn for_dialect(&self, d: Dialect) -> &'static [MigrationSource] {
        match d {
            Dialect::Sqlite => self.sqlite,
            Dialect::Postgres => self.postgres,
        }
    }
}

/// A sqlx `Migrator` over the given migrations, tracked in `table`.
pub fn migrator(sources: &[MigrationSource], table: &'static str) -> Migrator {
    let migrations = sources
        .iter()
        .map(|m| {
            Migration::new(
                m.version,
                Cow::Borrowed(m.description),
                MigrationType::Simple,
                sqlx::AssertSqlSafe(m.sql).into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name(table);
    migrator
}

/// Applies the pending migrations of the database's dialect, each in a
/// transaction; refuses when an applied migration's file changed.
pub async fn run(db: &Db, migrations: &Migrations) -> Result<(), Error> {
    run_with_table(db, migrations.for_dialect(db.dialect()), TRACKING_TABLE).await
}

/// [`run`] with an explicit tracking table (e.g. for module migrations).
pub async fn run_with_table(
    db: &Db,
    sources: &[MigrationSource],
    table: &'static str,
) -> Result<(), Error> {
    let m = migrator(sources, table);
    let r = match db.dialect() {
        Dialect::Sqlite => m.run(db.sqlite_pool().expect("sqlite pool")).await,
        #[cfg(feature = "postgres")]
        Dialect::Postgres => m.run(db.pg_pool().expect("postgres pool")).await,
        #[cfg(not(feature = "postgres"))]
        Dialect::Postgres => unreachable!("postgres pools need the `postgres` feature"),
    };
    r.map_err(|e| Error::Migrate(e.to_string()))
}
