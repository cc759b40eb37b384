//! `cargo xtask`: the workspace's own tasks.
//!
//! - `cargo xtask check [--links PATH]`: parse and validate a definition file.
//! - `cargo xtask codegen [--check] [--links PATH] [--out DIR]`: regenerate
//!   every generated file (or, with `--check`, fail when one is stale); for
//!   the workspace's own links.toml also `links.schema.json`.
//! - `cargo xtask db <migrate|status|sync-links> [--database-url URL]
//!   [--links PATH] [--allow-destructive] [--dry-run]`: the link tables of a
//!   live database (default: the workspace's `storefront.db`).
//!
//! Every command's logic is in `link_cli` (shared with `cargo links`); exit
//! codes are its: 0 ok, 1 problems or drift, 3 destructive steps skipped,
//! 4 cannot connect.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Tasks of the module-links workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and validate links.toml; print a summary or every problem.
    Check {
        /// The definition file (default: the workspace's links.toml).
        #[arg(long)]
        links: Option<PathBuf>,
    },
    /// Regenerate every generated file from links.toml.
    Codegen {
        /// Write nothing; exit 1 listing every stale file.
        #[arg(long)]
        check: bool,
        /// The definition file (default: the workspace's links.toml).
        #[arg(long)]
        links: Option<PathBuf>,
        /// Folder the `[codegen]` paths are relative to (default: the
        /// folder of the definition file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Allow migrations that drop tables or columns.
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Link tables of a live database: migrate, status, sync-links.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Apply the pending link migrations, in order, each in a transaction.
    Migrate(DbOpts),
    /// Applied/pending migrations and drift of link tables; exit 1 when not in sync.
    Status(DbOpts),
    /// Bring link tables in line with links.toml in one transaction; exit 3
    /// when destructive steps were skipped.
    SyncLinks {
        #[command(flatten)]
        opts: DbOpts,
        /// Also run destructive steps (drop tables or columns, narrow types,
        /// NOT NULL on columns holding NULLs).
        #[arg(long)]
        allow_destructive: bool,
        /// Print the SQL only.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args)]
struct DbOpts {
    /// `sqlite:<file>` or `postgres://…` (default: the workspace's
    /// embedded SQLite database `storefront.db`).
    #[arg(long)]
    database_url: Option<String>,
    /// The definition file (default: the workspace's links.toml).
    #[arg(long)]
    links: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = match cli.command {
        Command::Check { links } => link_cli::check(&xtask::project(links)),
        Command::Codegen {
            check,
            links,
            out,
            allow_destructive,
        } => {
            let workspace = links.is_none() && out.is_none();
            let out = link_cli::codegen(
                &xtask::project(links),
                &link_cli::CodegenOptions {
                    out,
                    check,
                    allow_destructive,
                },
            );
            if workspace {
                xtask::schema(out, check)
            } else {
                out
            }
        }
        Command::Db { command } => db(command),
    };
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    ExitCode::from(out.code)
}

fn db(command: DbCommand) -> xtask::Output {
    let (command, opts, allow_destructive, dry_run) = match command {
        DbCommand::Migrate(o) => (link_cli::db::DbCommand::Migrate, o, false, false),
        DbCommand::Status(o) => (link_cli::db::DbCommand::Status, o, false, false),
        DbCommand::SyncLinks {
            opts,
            allow_destructive,
            dry_run,
        } => (
            link_cli::db::DbCommand::SyncLinks,
            opts,
            allow_destructive,
            dry_run,
        ),
    };
    link_cli::db::run_blocking(
        &xtask::project(opts.links),
        &link_cli::db::DbArgs {
            command,
            database_url: opts
                .database_url
                .unwrap_or_else(xtask::default_database_url),
            allow_destructive,
            dry_run,
        },
    )
}
