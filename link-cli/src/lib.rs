//! `cargo links`: the command-line tool of module links, as a library.
//!
//! The `cargo-links` binary (and this workspace's `cargo xtask`) only parse
//! arguments and call the functions here, which return what to print and the
//! exit code ([`Output`]) instead of printing, so tests call the same code.
//!
//! Exit codes ([`exit`]): 0 ok, 1 problems or drift, 2 usage, 3 destructive
//! steps skipped, 4 cannot connect to the database.

use std::path::{Path, PathBuf};

use link_codegen::{Codegen, Validated};

pub mod colour;
pub mod db;
pub mod init;

/// The documented exit codes.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Problems in the definitions, stale generated files, drift, or a
    /// failed operation.
    pub const PROBLEMS: u8 = 1;
    /// Wrong arguments, or a setting is missing (e.g. no database URL).
    pub const USAGE: u8 = 2;
    /// `db sync-links` left destructive steps out (rerun with
    /// `--allow-destructive`).
    pub const DESTRUCTIVE_SKIPPED: u8 = 3;
    /// The database cannot be reached.
    pub const CANNOT_CONNECT: u8 = 4;
}

/// What a command prints and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit code, one of [`exit`].
    pub code: u8,
    /// Text for standard output.
    pub stdout: String,
    /// Text for standard error (diagnostics, errors, warnings).
    pub stderr: String,
}

impl Output {
    /// Success with `stdout`.
    pub fn ok(stdout: String) -> Output {
        Output {
            code: exit::OK,
            stdout,
            stderr: String::new(),
        }
    }

    /// Failure with code `code`, `stdout` printed so far and an error line.
    pub fn error(code: u8, stdout: String, message: impl std::fmt::Display) -> Output {
        Output {
            code,
            stdout,
            stderr: format!("error: {message}\n"),
        }
    }
}

/// Where a command runs: the definition file, the folder paths are shown
/// relative to, and the command users run (named in hints).
#[derive(Debug, Clone)]
pub struct Project {
    /// The definition file (`links.toml`).
    pub links: PathBuf,
    /// Paths in messages are shown relative to this folder.
    pub root: PathBuf,
    /// The command to suggest, e.g. `cargo links` or `cargo xtask`.
    pub command: String,
}

impl Project {
    /// `path` relative to [`Project::root`] when inside it.
    pub fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Reads and validates the definition file, with the `#[define_link]`s
    /// of the crate or workspace when the file sits next to a `Cargo.toml`
    /// (as codegen sees it); the error is the rendered report.
    pub fn load(&self) -> Result<Validated, String> {
        let path = &self.links;
        let source = std::fs::read_to_string(path)
            .map_err(|e| format!("error: cannot read {}: {e}\n", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let sources = if dir.join("Cargo.toml").is_file() {
            link_codegen::expand::workspace_sources(dir)
                .map_err(|e| format!("error: cannot read sources: {e}\n"))?
        } else {
            Vec::new()
        };
        let name = self.display_name(path);
        if sources.is_empty() {
            return link_codegen::check_toml(&name, &source).map_err(|e| e.rendered);
        }
        link_codegen::expand::check_sources(&name, &source, &sources)
            .map(|(v, _)| v)
            .map_err(|e| e.rendered)
    }
}

/// `check`: validates the definitions; a one-line summary, or every problem.
pub fn check(project: &Project) -> Output {
    match project.load() {
        Ok(v) => {
            let stored = v.graph.stored_links().count();
            let read_only = v.graph.links.len() - stored;
            let models = v.graph.models().count();
            Output::ok(format!(
                "{}: ok: {} modules, {} models, {} links ({} stored, {} read-only), {} relations\n",
                project.display_name(&project.links),
                v.graph.modules.len(),
                models,
                v.graph.links.len(),
                stored,
                read_only,
                v.graph.relations.len()
            ))
        }
        Err(rendered) => Output {
            code: exit::PROBLEMS,
            stdout: String::new(),
            stderr: rendered,
        },
    }
}

/// Options of [`codegen`].
#[derive(Debug, Clone, Default)]
pub struct CodegenOptions {
    /// Folder the `[codegen]` paths are relative to (default: the folder of
    /// the definition file).
    pub out: Option<PathBuf>,
    /// Write nothing; fail listing every stale file.
    pub check: bool,
    /// Allow migrations that drop tables or columns.
    pub allow_destructive: bool,
}

/// `codegen [--check]`: regenerates every generated file, or (check) fails
/// with a diff of each stale one.
pub fn codegen(project: &Project, opts: &CodegenOptions) -> Output {
    let mut codegen = Codegen::new(&project.links).allow_destructive(opts.allow_destructive);
    if let Some(out) = &opts.out {
        codegen = codegen.out_root(out);
    }
    let plan = match codegen.plan() {
        Ok(plan) => plan,
        Err(e) => {
            return Output {
                code: exit::PROBLEMS,
                stdout: String::new(),
                stderr: e.to_string(),
            };
        }
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    let (mut written, mut unchanged) = (0, 0);
    let mut stale = Vec::new();
    for f in &plan.files {
        match ensure_file_contents(&f.path, &f.contents, opts.check) {
            Ok(FileState::Unchanged) => unchanged += 1,
            Ok(FileState::Written) => {
                written += 1;
                stdout.push_str(&format!("  wrote {}\n", project.display_name(&f.path)));
            }
            Ok(FileState::Stale(diff)) => stale.push((f.path.clone(), diff)),
            Err(e) => {
                return Output::error(
                    exit::PROBLEMS,
                    stdout,
                    format!("cannot write {}: {e}", f.path.display()),
                );
            }
        }
    }
    if !stale.is_empty() {
        for (path, diff) in &stale {
            stderr.push_str(&format!("stale: {}\n{diff}\n", project.display_name(path)));
        }
        stderr.push_str(&format!(
            "error: {} generated file{} out of date; run `{} codegen` and commit the result\n",
            stale.len(),
            if stale.len() == 1 { " is" } else { "s are" },
            project.command
        ));
        return Output {
            code: exit::PROBLEMS,
            stdout,
            stderr,
        };
    }
    for s in &plan.skipped {
        stderr.push_str(&format!(
            "warning: not generated without --allow-destructive: {s}\n"
        ));
    }
    if let Some(m) = &plan.new_migration {
        stdout.push_str(&format!("  new migration {m}\n"));
    }
    let links = codegen.validated().map_or(0, |v| v.graph.links.len());
    if opts.check {
        stdout.push_str(&format!(
            "codegen: {links} links, {} files up to date\n",
            plan.files.len()
        ));
    } else {
        stdout.push_str(&format!(
            "codegen: {links} links, {written} files written, {unchanged} unchanged\n"
        ));
    }
    Output {
        code: exit::OK,
        stdout,
        stderr,
    }
}

/// What [`ensure_file_contents`] found.
pub enum FileState {
    /// The file already holds the contents.
    Unchanged,
    /// The file was written.
    Written,
    /// Check mode, file differs: a unified diff (old -> new).
    Stale(String),
}

/// rust-analyzer's helper: write `contents` to `path` unless it is already
/// there; in check mode never write and report the difference instead.
pub fn ensure_file_contents(
    path: &Path,
    contents: &str,
    check: bool,
) -> std::io::Result<FileState> {
    let old = std::fs::read_to_string(path).ok();
    if old.as_deref() == Some(contents) {
        return Ok(FileState::Unchanged);
    }
    if check {
        let old = old.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&old, contents)
            .unified_diff()
            .context_radius(2)
            .header("committed", "generated")
            .to_string();
        return Ok(FileState::Stale(diff));
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents)?;
    Ok(FileState::Written)
}
