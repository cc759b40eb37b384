//! `cargo links`: parses arguments and calls [`link_cli`].
//!
//! Exit codes: 0 ok, 1 problems or drift, 2 usage, 3 destructive steps
//! skipped, 4 cannot connect.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use link_cli::db::{DbArgs, DbCommand};
use link_cli::{CodegenOptions, Output, Project, colour, exit};

/// Module links for a host crate: define links in links.toml (or with
/// #[define_link]), generate typed Rust and migrations, manage link tables.
///
/// Exit codes: 0 ok, 1 problems or drift, 2 usage, 3 destructive steps
/// skipped, 4 cannot connect to the database.
#[derive(Parser)]
#[command(name = "cargo links", bin_name = "cargo links", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a commented links.toml with [codegen] for the crate here.
    Init,
    /// Parse and validate links.toml; print a summary or every problem.
    Check(LinksOpt),
    /// Generate the Rust module, migrations, docs and lock from links.toml.
    Codegen {
        #[command(flatten)]
        links: LinksOpt,
        /// Write nothing; exit 1 listing every stale file.
        #[arg(long)]
        check: bool,
        /// Allow migrations that drop tables or columns.
        #[arg(long)]
        allow_destructive: bool,
    },
    /// The link tables of a live database.
    Db {
        #[command(subcommand)]
        command: DbSub,
    },
}

#[derive(Args)]
struct LinksOpt {
    /// The definition file (default: links.toml here or in a parent folder).
    #[arg(long)]
    links: Option<PathBuf>,
}

#[derive(Args)]
struct DbOpts {
    #[command(flatten)]
    links: LinksOpt,
    /// `sqlite:<file>` or `postgres://…` (default: DATABASE_URL, from the
    /// environment or .env, else `[database] url` of links.toml).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum DbSub {
    /// Apply the pending link migrations, in order, each in a transaction.
    Migrate {
        #[command(flatten)]
        opts: DbOpts,
        /// Print the status (what would be applied) without applying.
        #[arg(long)]
        dry_run: bool,
    },
    /// Applied/pending migrations and drift of link tables; exit 1 when not in sync.
    Status(DbOpts),
    /// Bring link tables in line with links.toml in one transaction; exit 3
    /// when destructive steps were skipped.
    SyncLinks {
        #[command(flatten)]
        opts: DbOpts,
        /// Also run destructive steps (drop tables or columns, narrow types).
        #[arg(long)]
        allow_destructive: bool,
        /// Print the SQL only.
        #[arg(long)]
        dry_run: bool,
    },
}

fn main() -> ExitCode {
    // `cargo links …` runs `cargo-links links …`.
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "links") {
        args.remove(1);
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let out = run(cli);
    print!("{}", out.stdout);
    let no_color = std::env::var("NO_COLOR").ok();
    let stderr = if colour::enabled(std::io::stderr().is_terminal(), no_color.as_deref()) {
        colour::paint(&out.stderr)
    } else {
        out.stderr
    };
    let _ = std::io::stdout().flush();
    eprint!("{stderr}");
    ExitCode::from(out.code)
}

fn project(links: LinksOpt) -> Result<Project, Output> {
    let cwd =
        std::env::current_dir().map_err(|e| Output::error(exit::PROBLEMS, String::new(), e))?;
    let links = match links.links {
        Some(p) => cwd.join(p),
        None => link_codegen::expand::find_links_toml(&cwd).ok_or_else(|| {
            Output::error(
                exit::USAGE,
                String::new(),
                format!(
                    "no links.toml in {} or its parents: run `cargo links init`, or pass --links",
                    cwd.display()
                ),
            )
        })?,
    };
    Ok(Project {
        links,
        root: cwd,
        command: "cargo links".to_string(),
    })
}

/// Prints a progress line before a long step, on a terminal only.
fn progress(step: &str, what: &str) {
    if std::io::stderr().is_terminal() {
        let no_color = std::env::var("NO_COLOR").ok();
        let colour = colour::enabled(true, no_color.as_deref());
        eprint!("{}", colour::progress(step, what, colour));
    }
}

fn run(cli: Cli) -> Output {
    match cli.command {
        Command::Init => match std::env::current_dir() {
            Ok(dir) => link_cli::init::init(&dir),
            Err(e) => Output::error(exit::PROBLEMS, String::new(), e),
        },
        Command::Check(links) => match project(links) {
            Ok(p) => link_cli::check(&p),
            Err(out) => out,
        },
        Command::Codegen {
            links,
            check,
            allow_destructive,
        } => match project(links) {
            Ok(p) => {
                progress("Generating", &p.display_name(&p.links));
                link_cli::codegen(
                    &p,
                    &CodegenOptions {
                        out: None,
                        check,
                        allow_destructive,
                    },
                )
            }
            Err(out) => out,
        },
        Command::Db { command } => {
            let (command, opts, allow_destructive, dry_run) = match command {
                DbSub::Migrate { opts, dry_run } => {
                    let command = if dry_run {
                        DbCommand::Status
                    } else {
                        DbCommand::Migrate
                    };
                    (command, opts, false, false)
                }
                DbSub::Status(opts) => (DbCommand::Status, opts, false, false),
                DbSub::SyncLinks {
                    opts,
                    allow_destructive,
                    dry_run,
                } => (DbCommand::SyncLinks, opts, allow_destructive, dry_run),
            };
            let p = match project(opts.links) {
                Ok(p) => p,
                Err(out) => return out,
            };
            let from_links = p.load().ok().and_then(|v| v.database_url);
            let Some((database_url, _)) = link_cli::db::database_url(
                opts.database_url,
                std::env::var("DATABASE_URL").ok(),
                &p.root,
                from_links,
            ) else {
                return Output::error(
                    exit::USAGE,
                    String::new(),
                    "no database URL: pass --database-url, set DATABASE_URL (environment or .env), \
                     or set `[database] url` in links.toml",
                );
            };
            progress("Connecting", &database_url);
            link_cli::db::run_blocking(
                &p,
                &DbArgs {
                    command,
                    database_url,
                    allow_destructive,
                    dry_run,
                },
            )
        }
    }
}
