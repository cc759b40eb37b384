//! Library half of the xtask, so tests can call the same code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use link_codegen::{Codegen, Validated};

pub mod db;

/// The workspace root (the folder above `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// Reads and validates a definition file; the error is the rendered report.
pub fn load(path: &Path) -> Result<Validated, String> {
    let source = std::fs::read_to_string(path)
        .map_err(|e| format!("error: cannot read {}: {e}\n", path.display()))?;
    // With the `#[define_link]`s of the workspace when the file sits at a
    // workspace root, as codegen sees it.
    let root = path.parent().unwrap_or(Path::new("."));
    let sources = if root.join("Cargo.toml").is_file() {
        link_codegen::expand::workspace_sources(root)
            .map_err(|e| format!("error: cannot read sources: {e}\n"))?
    } else {
        Vec::new()
    };
    if sources.is_empty() {
        return link_codegen::check_toml(&display_name(path), &source).map_err(|e| e.rendered);
    }
    link_codegen::expand::check_sources(&display_name(path), &source, &sources)
        .map(|(v, _)| v)
        .map_err(|e| e.rendered)
}

pub fn display_name(path: &Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// `cargo xtask codegen [--check]`.
pub fn run_codegen(
    links: &Path,
    out: Option<&Path>,
    check: bool,
    allow_destructive: bool,
) -> ExitCode {
    let mut codegen = Codegen::new(links).allow_destructive(allow_destructive);
    if let Some(out) = out {
        codegen = codegen.out_root(out);
    }
    let plan = match codegen.plan() {
        Ok(plan) => plan,
        Err(e) => {
            eprint!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut written = 0;
    let mut unchanged = 0;
    let mut stale = Vec::new();
    let files = &plan.files;
    for f in files {
        match ensure_file_contents(&f.path, &f.contents, check) {
            Ok(FileState::Unchanged) => unchanged += 1,
            Ok(FileState::Written) => {
                written += 1;
                println!("  wrote {}", display_name(&f.path));
            }
            Ok(FileState::Stale(diff)) => stale.push((f.path.clone(), diff)),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", f.path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if !stale.is_empty() {
        for (path, diff) in &stale {
            eprintln!("stale: {}\n{diff}", display_name(path));
        }
        eprintln!(
            "error: {} generated file{} out of date; run `cargo xtask codegen` and commit the result",
            stale.len(),
            if stale.len() == 1 { " is" } else { "s are" }
        );
        return ExitCode::FAILURE;
    }
    for s in &plan.skipped {
        eprintln!("warning: not generated without --allow-destructive: {s}");
    }
    if let Some(m) = &plan.new_migration {
        println!("  new migration {m}");
    }
    let v = codegen.validated().ok();
    let links = v.map_or(0, |v| v.graph.links.len());
    if check {
        println!("codegen: {links} links, {} files up to date", files.len());
    } else {
        println!("codegen: {links} links, {written} files written, {unchanged} unchanged");
    }
    ExitCode::SUCCESS
}

/// What [`ensure_file_contents`] found.
pub enum FileState {
    Unchanged,
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
