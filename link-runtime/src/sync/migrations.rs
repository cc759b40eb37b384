//! `migrate()`: the versioned migrations, under a Postgres advisory lock.

use super::*;

/// What [`migrate()`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    /// The dialect of the database.
    pub dialect: Dialect,
    /// `(version, description)` applied by this run.
    pub applied_now: Vec<(i64, String)>,
    /// The state of the migrations after the run.
    pub status: MigrationStatus,
}

impl MigrateReport {
    /// The report as `cargo links db migrate` prints it.
    pub fn render(&self) -> String {
        let mut out = format!("migrate ({})\n", self.dialect.name());
        for (v, d) in &self.applied_now {
            writeln!(out, "applied  {}", stem(*v, d)).unwrap();
        }
        writeln!(
            out,
            "migrate: {}; {} applied in total, {} pending",
            if self.applied_now.is_empty() {
                "nothing to apply".to_string()
            } else {
                format!(
                    "{} applied",
                    plural(self.applied_now.len() as u64, "migration")
                )
            },
            self.status.applied.len(),
            self.status.pending.len()
        )
        .unwrap();
        out
    }
}

/// Applies the pending link migrations of the database's dialect, each in
/// a transaction (sqlx's `Migrator`, tracked in `_link_migrations`).
/// Refuses, changing nothing, when an applied migration's file changed (or
/// one is recorded as failed or missing). On Postgres the run holds the
/// advisory lock of [`execute`], so concurrent runs serialise.
pub async fn migrate(db: &Db, migrations: &Migrations) -> Result<MigrateReport, Error> {
    #[cfg(feature = "postgres")]
    if let Some(pool) = db.pg_pool() {
        use sqlx::Connection;
        let mut lock = pool.acquire().await.map_err(DbError::from)?;
        sqlx::query(sqlx::AssertSqlSafe(lock_sql(true)))
            .execute(&mut *lock)
            .await
            .map_err(DbError::from)?;
        let result = migrate_locked(db, migrations).await;
        let unlock = format!("SELECT pg_advisory_unlock({LOCK_CLASS}, hashtext(current_schema()))");
        if sqlx::query(sqlx::AssertSqlSafe(unlock))
            .execute(&mut *lock)
            .await
            .is_err()
        {
            // The session lock must not outlive the run: close the connection.
            let _ = lock.detach().close().await;
        }
        return result;
    }
    migrate_locked(db, migrations).await
}

pub(super) async fn migrate_locked(
    db: &Db,
    migrations: &Migrations,
) -> Result<MigrateReport, Error> {
    let sources = migrations.for_dialect(db.dialect());
    let before = migrations_now(db, sources).await?;
    if let Some(refusal) = before.refusal() {
        return Err(Error::Migrate(format!("refused: {refusal}")));
    }
    migrate::run(db, migrations).await?;
    let after = migrations_now(db, sources).await?;
    let applied_now = after
        .applied
        .iter()
        .filter(|m| !before.applied.contains(m))
        .cloned()
        .collect();
    Ok(MigrateReport {
        dialect: db.dialect(),
        applied_now,
        status: after,
    })
}

pub(super) async fn migrations_now(
    db: &Db,
    sources: &[MigrationSource],
) -> Result<MigrationStatus, Error> {
    let mut c = Conn::Db(db);
    let tracked = table_exists(&mut c, TRACKING_TABLE).await?;
    Ok(migration_status(&mut c, sources, tracked).await?)
}

pub(super) async fn table_exists(c: &mut Conn<'_>, table: &str) -> Result<bool, DbError> {
    let sql = match c.dialect() {
        Dialect::Sqlite => format!(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = {}",
            literal(table)
        ),
        Dialect::Postgres => format!(
            "SELECT COUNT(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = {}",
            literal(table)
        ),
    };
    let rows = c.fetch(&sql, &[ScalarType::BigInt]).await?;
    Ok(rows.first().and_then(|r| r[0].as_i64()).unwrap_or(0) > 0)
}
