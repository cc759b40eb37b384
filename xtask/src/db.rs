//! `cargo xtask db <migrate|status|sync-links>`: the link tables' database
//! lifecycle ([`link_runtime::sync`]) on a SQLite file or Postgres.
//!
//! The graph comes from validating the definition file at run time, the
//! migrations from the `[codegen] migrations` folder it names.

use std::path::{Path, PathBuf};

use link_runtime::Db;
use link_runtime::migrate::{MigrationSource, Migrations};
use link_runtime::model::sql::Dialect;
use link_runtime::sync;

use crate::project_root;

/// The operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbCommand {
    Migrate,
    Status,
    SyncLinks,
}

/// Arguments of `cargo xtask db`.
#[derive(Debug, Clone)]
pub struct DbArgs {
    pub command: DbCommand,
    /// `sqlite:<file>` or `postgres://…` (default: [`default_database_url`]).
    pub database_url: Option<String>,
    /// The definition file.
    pub links: PathBuf,
    pub allow_destructive: bool,
    pub dry_run: bool,
}

/// What the command prints and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbOutput {
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
}

impl DbOutput {
    fn ok(code: u8, stdout: String) -> DbOutput {
        DbOutput {
            code,
            stdout,
            stderr: String::new(),
        }
    }

    fn error(stdout: String, message: impl std::fmt::Display) -> DbOutput {
        DbOutput {
            code: 1,
            stdout,
            stderr: format!("error: {message}\n"),
        }
    }
}

/// The workspace's embedded SQLite database, `storefront.db` at the root.
pub fn default_database_url() -> String {
    format!("sqlite:{}", project_root().join("storefront.db").display())
}

/// Runs a `db` command (on a runtime of its own).
pub fn run_blocking(args: &DbArgs) -> DbOutput {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(args))
}

/// Runs a `db` command. Exit codes: `status` 0 in sync, 1 not;
/// `sync-links` 0 done, 2 destructive steps skipped; 1 on any error.
pub async fn run(args: &DbArgs) -> DbOutput {
    let validated = match crate::load(&args.links) {
        Ok(v) => v,
        Err(rendered) => {
            return DbOutput {
                code: 1,
                stdout: String::new(),
                stderr: rendered,
            };
        }
    };
    let migrations = match load_migrations(&args.links, validated.codegen.migrations.as_deref()) {
        Ok(m) => m,
        Err(e) => return DbOutput::error(String::new(), e),
    };
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(default_database_url);
    let db = match Db::connect(&url).await {
        Ok(db) => db,
        Err(e) => return DbOutput::error(String::new(), format!("cannot open {url}: {e}")),
    };
    let out = run_on(&db, args, &validated.graph, &migrations).await;
    db.close().await;
    out
}

async fn run_on(
    db: &Db,
    args: &DbArgs,
    graph: &link_runtime::model::LinkGraph,
    migrations: &Migrations,
) -> DbOutput {
    match args.command {
        DbCommand::Migrate => match sync::migrate(db, migrations).await {
            Ok(report) => DbOutput::ok(0, report.render()),
            Err(e) => DbOutput::error(String::new(), e),
        },
        DbCommand::Status => match sync::status(db, graph, migrations).await {
            Ok(st) => DbOutput::ok(st.exit_code(), st.render()),
            Err(e) => DbOutput::error(String::new(), e),
        },
        DbCommand::SyncLinks => {
            let plan = match sync::plan_sync(db, graph).await {
                Ok(p) => p,
                Err(e) => return DbOutput::error(String::new(), e),
            };
            if args.dry_run {
                let skips = !args.allow_destructive && plan.destructive().next().is_some();
                return DbOutput::ok(if skips { 2 } else { 0 }, plan.sql(args.allow_destructive));
            }
            let mut stdout = plan.render();
            match sync::execute(db, &plan, args.allow_destructive).await {
                Ok(report) => {
                    stdout.push_str(&report.render());
                    DbOutput::ok(report.outcome().exit_code(), stdout)
                }
                Err(e) => DbOutput::error(stdout, e),
            }
        }
    }
}

/// The migrations of both dialects under `<folder of links>/<dir>/<dialect>/`
/// (`NNNN_description.sql`, sqlx's layout); none when `dir` is not set.
pub fn load_migrations(links: &Path, dir: Option<&str>) -> Result<Migrations, String> {
    let Some(dir) = dir else {
        return Ok(Migrations {
            sqlite: &[],
            postgres: &[],
        });
    };
    let root = links.parent().unwrap_or(Path::new(".")).join(dir);
    let read = |d: Dialect| -> Result<&'static [MigrationSource], String> {
        let folder = root.join(d.name());
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&folder) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "sql"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("cannot read {}: {e}", folder.display())),
        };
        files.sort();
        let mut out = Vec::new();
        for f in files {
            let stem = f
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let (version, description) = stem
                .split_once('_')
                .and_then(|(v, d)| Some((v.parse::<i64>().ok()?, d.to_string())))
                .ok_or_else(|| {
                    format!(
                        "{}: expected a migration named NNNN_description.sql",
                        f.display()
                    )
                })?;
            let sql = std::fs::read_to_string(&f)
                .map_err(|e| format!("cannot read {}: {e}", f.display()))?;
            // A short-lived CLI: the sources live as long as the process.
            out.push(MigrationSource {
                version,
                description: Box::leak(description.into_boxed_str()),
                sql: Box::leak(sql.into_boxed_str()),
            });
        }
        Ok(Box::leak(out.into_boxed_slice()))
    };
    Ok(Migrations {
        sqlite: read(Dialect::Sqlite)?,
        postgres: read(Dialect::Postgres)?,
    })
}
