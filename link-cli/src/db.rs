//! `db <migrate|status|sync-links>`: the link tables' database lifecycle
//! ([`link_runtime::sync`]) on a SQLite file or Postgres.
//!
//! The graph comes from validating the definition file at run time, the
//! migrations from the `[codegen] migrations` folder it names, the database
//! URL from [`database_url`].

use std::path::{Path, PathBuf};

use link_runtime::Db;
use link_runtime::migrate::{MigrationSource, Migrations};
use link_runtime::model::sql::Dialect;
use link_runtime::sync;

use crate::{Output, Project, exit};

/// The operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbCommand {
    /// Apply the pending link migrations.
    Migrate,
    /// Applied/pending migrations and drift of link tables.
    Status,
    /// Bring link tables in line with the definitions.
    SyncLinks,
}

/// Arguments of a `db` command.
#[derive(Debug, Clone)]
pub struct DbArgs {
    /// The operation.
    pub command: DbCommand,
    /// `sqlite:<file>` or `postgres://…`.
    pub database_url: String,
    /// `sync-links`: also run destructive steps.
    pub allow_destructive: bool,
    /// `sync-links`: print the SQL only.
    pub dry_run: bool,
}

/// Where a database URL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlSource {
    /// `--database-url`.
    Argument,
    /// The `DATABASE_URL` environment variable.
    Environment,
    /// `DATABASE_URL` in a `.env` file.
    DotEnv,
    /// `[database] url` of the project's links.toml.
    LinksToml,
}

/// The database URL: `--database-url` (`argument`), else `DATABASE_URL`
/// (`env`), else `DATABASE_URL` in the `.env` file of `dir` (as sqlx-cli
/// reads it), else `[database] url` of the project's links.toml.
pub fn database_url(
    argument: Option<String>,
    env: Option<String>,
    dir: &Path,
    links_toml: Option<String>,
) -> Option<(String, UrlSource)> {
    let set = |v: Option<String>| v.filter(|v| !v.is_empty());
    if let Some(url) = set(argument) {
        return Some((url, UrlSource::Argument));
    }
    if let Some(url) = set(env) {
        return Some((url, UrlSource::Environment));
    }
    if let Some(url) = set(dotenv_database_url(dir)) {
        return Some((url, UrlSource::DotEnv));
    }
    set(links_toml).map(|url| (url, UrlSource::LinksToml))
}

/// `DATABASE_URL` of `dir/.env` (`KEY=value` lines, optional `export`,
/// optional quotes, `#` comments).
pub fn dotenv_database_url(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(".env")).ok()?;
    text.lines().rev().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (key, value) = line.split_once('=')?;
        if key.trim() != "DATABASE_URL" {
            return None;
        }
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        Some(unquoted.to_string())
    })
}

/// Runs a `db` command (on a runtime of its own).
pub fn run_blocking(project: &Project, args: &DbArgs) -> Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(project, args))
}

/// Runs a `db` command. Exit codes ([`exit`]): `status` 0 in sync, 1 not;
/// `sync-links` 0 done, 3 destructive steps skipped; 4 when the database
/// cannot be opened; 1 on any other error.
pub async fn run(project: &Project, args: &DbArgs) -> Output {
    let validated = match project.load() {
        Ok(v) => v,
        Err(rendered) => {
            return Output {
                code: exit::PROBLEMS,
                stdout: String::new(),
                stderr: rendered,
            };
        }
    };
    let migrations = match load_migrations(&project.links, validated.codegen.migrations.as_deref())
    {
        Ok(m) => m,
        Err(e) => return Output::error(exit::PROBLEMS, String::new(), e),
    };
    let url = &args.database_url;
    let db = match Db::connect(url).await {
        Ok(db) => db,
        Err(e) => {
            return Output::error(
                exit::CANNOT_CONNECT,
                String::new(),
                format!("cannot open {url}: {e}"),
            );
        }
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
) -> Output {
    match args.command {
        DbCommand::Migrate => match sync::migrate(db, migrations).await {
            Ok(report) => Output::ok(report.render()),
            Err(e) => Output::error(exit::PROBLEMS, String::new(), e),
        },
        DbCommand::Status => match sync::status(db, graph, migrations).await {
            Ok(st) => Output {
                code: if st.in_sync() {
                    exit::OK
                } else {
                    exit::PROBLEMS
                },
                stdout: st.render(),
                stderr: String::new(),
            },
            Err(e) => Output::error(exit::PROBLEMS, String::new(), e),
        },
        DbCommand::SyncLinks => {
            let plan = match sync::plan_sync(db, graph).await {
                Ok(p) => p,
                Err(e) => return Output::error(exit::PROBLEMS, String::new(), e),
            };
            if args.dry_run {
                let skips = !args.allow_destructive && plan.destructive().next().is_some();
                return Output {
                    code: if skips {
                        exit::DESTRUCTIVE_SKIPPED
                    } else {
                        exit::OK
                    },
                    stdout: plan.sql(args.allow_destructive),
                    stderr: String::new(),
                };
            }
            let mut stdout = plan.render();
            match sync::execute(db, &plan, args.allow_destructive).await {
                Ok(report) => {
                    stdout.push_str(&report.render());
                    let code = match report.outcome() {
                        sync::Outcome::SkippedDestructive => exit::DESTRUCTIVE_SKIPPED,
                        sync::Outcome::UpToDate | sync::Outcome::Applied => exit::OK,
                    };
                    Output {
                        code,
                        stdout,
                        stderr: String::new(),
                    }
                }
                Err(e) => Output::error(exit::PROBLEMS, stdout, e),
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
