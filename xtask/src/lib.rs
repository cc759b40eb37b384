//! Library half of the xtask: the workspace's defaults over [`link_cli`],
//! which holds every command's logic (shared with `cargo links`).

use std::path::{Path, PathBuf};

pub use link_cli::{FileState, Output, ensure_file_contents};

/// The workspace root (the folder above `xtask/`).
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

/// The workspace's links.toml.
pub fn default_links() -> PathBuf {
    project_root().join("links.toml")
}

/// The workspace's embedded SQLite database, `storefront.db` at the root.
pub fn default_database_url() -> String {
    format!("sqlite:{}", project_root().join("storefront.db").display())
}

/// A [`link_cli::Project`] on `links` (default: the workspace's), paths
/// shown relative to the workspace root, hints naming `cargo xtask`.
pub fn project(links: Option<PathBuf>) -> link_cli::Project {
    link_cli::Project {
        links: links.unwrap_or_else(default_links),
        root: project_root(),
        command: "cargo xtask".to_string(),
    }
}

/// After the workspace's codegen (`out`): writes `links.schema.json` (from
/// the parser's key tables) at the root, or in check mode fails when it is
/// stale.
pub fn schema(mut out: Output, check: bool) -> Output {
    let path = project_root().join("links.schema.json");
    let schema = link_codegen::json_schema::links_schema();
    match ensure_file_contents(&path, &schema, check) {
        Ok(FileState::Unchanged) => {}
        Ok(FileState::Written) => out.stdout.insert_str(0, "  wrote links.schema.json\n"),
        Ok(FileState::Stale(diff)) => {
            out.stderr.push_str(&format!(
                "stale: links.schema.json\n{diff}\nerror: links.schema.json is out of date; \
                 run `cargo xtask codegen` and commit the result\n"
            ));
            out.code = link_cli::exit::PROBLEMS;
        }
        Err(e) => {
            out.stderr
                .push_str(&format!("error: cannot write {}: {e}\n", path.display()));
            out.code = link_cli::exit::PROBLEMS;
        }
    }
    out
}
