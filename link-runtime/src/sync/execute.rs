//! `execute` / `sync_links`: a plan run in one transaction, destructive steps only when allowed.

use super::*;

/// How a sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do.
    UpToDate,
    /// Every step ran.
    Applied,
    /// Some destructive steps were skipped (the others ran).
    SkippedDestructive,
}

impl Outcome {
    /// Exit code of the runtime's own callers: 0 done, 2 destructive steps
    /// skipped (`cargo links` and `cargo xtask` exit 3 then, see `link_cli::exit`).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::UpToDate | Outcome::Applied => 0,
            Outcome::SkippedDestructive => 2,
        }
    }
}

/// What [`execute`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The plan executed: the given one, or a new one when the database had
    /// changed by the time the lock was taken.
    pub plan: SyncPlan,
    /// Whether the plan was made again under the lock.
    pub replanned: bool,
    /// `(action kind, table, step summary)` of every step that ran.
    pub applied: Vec<(ActionKind, String, String)>,
    /// The destructive steps left out.
    pub skipped: Vec<(ActionKind, String, String)>,
}

impl SyncReport {
    /// What the run did, in short.
    pub fn outcome(&self) -> Outcome {
        if !self.skipped.is_empty() {
            Outcome::SkippedDestructive
        } else if self.applied.is_empty() {
            Outcome::UpToDate
        } else {
            Outcome::Applied
        }
    }

    /// The report as `cargo links db sync-links` prints it.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.replanned {
            out.push_str(
                "note: the database changed after planning; planned again under the lock:\n",
            );
            out.push_str(&self.plan.render());
        }
        for (kind, table, summary) in &self.applied {
            writeln!(out, "done     {} {table}: {summary}", kind.name()).unwrap();
        }
        if !self.skipped.is_empty() {
            writeln!(
                out,
                "skipped {} (run again with --allow-destructive to apply):",
                plural(self.skipped.len() as u64, "destructive step")
            )
            .unwrap();
            for (kind, table, summary) in &self.skipped {
                writeln!(out, "  {} {table}: {summary}", kind.name()).unwrap();
            }
        }
        out.push_str(match self.outcome() {
            Outcome::UpToDate => "links sync: database already up to date\n",
            Outcome::Applied => "links sync: completed\n",
            Outcome::SkippedDestructive => "links sync: completed except destructive steps\n",
        });
        out
    }
}

/// Runs a plan in one transaction. On Postgres the transaction first takes
/// `pg_advisory_xact_lock`, so concurrent syncs (and [`migrate()`]) run one
/// after the other. The database is planned again under the lock; when it
/// changed since `plan` was made, the new plan runs instead (reported).
/// Destructive steps run only with `allow_destructive`. When a statement
/// fails, the transaction is rolled back: the database is as before.
pub async fn execute(
    db: &Db,
    plan: &SyncPlan,
    allow_destructive: bool,
) -> Result<SyncReport, Error> {
    let mut tx = db.begin().await?;
    if db.dialect() == Dialect::Postgres {
        tx.execute(&Sql::raw(Dialect::Postgres, lock_sql(false)))
            .await?;
    }
    let fresh = analyze(&mut Conn::Tx(&mut tx), &plan.target).await?.actions;
    let replanned = fresh != plan.actions;
    let plan = SyncPlan {
        dialect: plan.dialect,
        target: plan.target.clone(),
        actions: fresh,
    };
    let mut applied = Vec::new();
    let mut skipped = Vec::new();
    for a in &plan.actions {
        for s in &a.steps {
            if s.destructive && !allow_destructive {
                skipped.push((a.kind, a.table.clone(), s.to_string()));
                continue;
            }
            if let Err(e) = tx.execute_script(&s.sql).await {
                let _ = tx.rollback().await;
                return Err(Error::Migrate(format!(
                    "links sync: step `{} {}: {}` failed: {}; rolled back, the database is unchanged",
                    a.kind.name(),
                    a.table,
                    s,
                    db_message(&e)
                )));
            }
            applied.push((a.kind, a.table.clone(), s.to_string()));
        }
    }
    tx.commit().await?;
    Ok(SyncReport {
        plan,
        replanned,
        applied,
        skipped,
    })
}

/// The database's message (and Postgres' detail), without driver noise
/// such as the server's source line.
pub(super) fn db_message(e: &DbError) -> String {
    match e {
        DbError::Sqlx(sqlx::Error::Database(d)) => {
            #[cfg(feature = "postgres")]
            if let Some(pg) = d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                && let Some(detail) = pg.detail()
            {
                return format!("{} ({detail})", pg.message());
            }
            d.message().to_string()
        }
        other => other.to_string(),
    }
}

/// [`plan_sync`] then [`execute`].
pub async fn sync_links(
    db: &Db,
    graph: &LinkGraph,
    allow_destructive: bool,
) -> Result<(SyncPlan, SyncReport), Error> {
    let plan = plan_sync(db, graph).await?;
    let report = execute(db, &plan, allow_destructive).await?;
    Ok((plan, report))
}
