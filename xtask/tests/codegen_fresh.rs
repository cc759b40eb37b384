//! rust-analyzer style freshness check: runs the workspace's codegen in check
//! mode (nothing is written) and fails listing every committed generated
//! file that differs from what `cargo xtask codegen` would write, with a diff.

use std::path::{Path, PathBuf};

use link_codegen::Codegen;
use link_codegen::emit::sql::Dialect;
use link_codegen::migrations::{self, Lock};
use xtask::{FileState, ensure_file_contents, project_root};

/// `(path, why)` of every stale generated file of the workspace.
fn stale_files() -> Vec<(PathBuf, String)> {
    let root = project_root();
    let links = root.join("links.toml");
    let codegen = Codegen::new(&links);
    let plan = codegen
        .plan()
        .unwrap_or_else(|e| panic!("codegen of {} fails:\n{e}", links.display()));
    let mut stale = Vec::new();
    if let Some(m) = &plan.new_migration {
        stale.push((
            root.join("links.lock"),
            format!("links.toml changed: migration {m} is not generated yet"),
        ));
    }
    for f in &plan.files {
        // Check mode: never writes.
        match ensure_file_contents(&f.path, &f.contents, true).unwrap() {
            FileState::Unchanged => {}
            FileState::Stale(diff) => stale.push((f.path.clone(), diff)),
            FileState::Written => unreachable!("check mode wrote {}", f.path.display()),
        }
    }
    // Migrations already generated are not planned again; each must still be
    // what the lock renders.
    let v = codegen.validated().unwrap();
    if let (Some(dir), Ok(text)) = (
        &v.codegen.migrations,
        std::fs::read_to_string(root.join(v.codegen.lock.as_deref().unwrap_or("links.lock"))),
    ) {
        let lock = Lock::parse(&text).unwrap();
        for (i, m) in lock.migrations.iter().enumerate() {
            for d in Dialect::ALL {
                let path = root
                    .join(dir)
                    .join(d.name())
                    .join(format!("{}.sql", m.file_stem()));
                if plan.files.iter().any(|f| f.path == path) {
                    continue;
                }
                let want = migrations::render(&lock, i, d);
                if let FileState::Stale(diff) = ensure_file_contents(&path, &want, true).unwrap() {
                    stale.push((path, diff));
                }
            }
        }
    }
    // Generated docs pages that codegen no longer produces.
    if let Some(docs) = &v.codegen.docs {
        for path in files_in(&root.join(docs)) {
            if !plan.files.iter().any(|f| f.path == path) {
                stale.push((path, "no longer generated: delete it".to_string()));
            }
        }
    }
    stale
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn generated_files_are_fresh() {
    let stale = stale_files();
    if !stale.is_empty() {
        let root = project_root();
        let list: Vec<String> = stale
            .iter()
            .map(|(p, why)| {
                format!(
                    "stale: {}\n{why}",
                    p.strip_prefix(&root).unwrap_or(p).display()
                )
            })
            .collect();
        panic!(
            "{}\n{} generated file(s) out of date; run `cargo xtask codegen` and commit the result",
            list.join("\n"),
            stale.len()
        );
    }
}

/// Check mode reports a difference without touching the file.
#[test]
fn check_mode_never_writes() {
    let dir = std::env::temp_dir().join(format!("xtask_check_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("generated.txt");
    std::fs::write(&path, "old\n").unwrap();
    match ensure_file_contents(&path, "new\n", true).unwrap() {
        FileState::Stale(diff) => {
            assert!(diff.contains("-old") && diff.contains("+new"), "{diff}");
        }
        _ => panic!("a differing file is stale in check mode"),
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
    let missing = dir.join("missing.txt");
    assert!(matches!(
        ensure_file_contents(&missing, "x\n", true).unwrap(),
        FileState::Stale(_)
    ));
    assert!(!missing.exists());
    assert!(matches!(
        ensure_file_contents(&path, "old\n", true).unwrap(),
        FileState::Unchanged
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
