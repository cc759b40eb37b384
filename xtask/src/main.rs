//! `cargo xtask`: the workspace's own tasks.
//!
//! - `cargo xtask check [--links PATH]`: parse and validate a definition file.
//! - `cargo xtask codegen [--check] [--links PATH] [--out DIR]`: regenerate
//!   every generated file (or, with `--check`, fail when one is stale).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { links } => check(&links.unwrap_or_else(default_links)),
        Command::Codegen {
            check,
            links,
            out,
            allow_destructive,
        } => xtask::run_codegen(
            &links.unwrap_or_else(default_links),
            out.as_deref(),
            check,
            allow_destructive,
        ),
    }
}

fn default_links() -> PathBuf {
    xtask::project_root().join("links.toml")
}

fn check(path: &Path) -> ExitCode {
    match xtask::load(path) {
        Ok(v) => {
            let stored = v.graph.stored_links().count();
            let read_only = v.graph.links.len() - stored;
            let models = v.graph.models().count();
            println!(
                "{}: ok: {} modules, {} models, {} links ({} stored, {} read-only), {} relations",
                xtask::display_name(path),
                v.graph.modules.len(),
                models,
                v.graph.links.len(),
                stored,
                read_only,
                v.graph.relations.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{e}");
            ExitCode::FAILURE
        }
    }
}
