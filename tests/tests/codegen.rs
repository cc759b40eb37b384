//! Code generation of every fixture under `tests/fixtures/<case>/links.toml`:
//! every output file (Rust module, SQL migrations per dialect, lock file,
//! docs) is snapshotted, generation is deterministic and idempotent, and the
//! outputs committed under `tests/fixtures/<case>/out/` (whose Rust modules
//! `tests/tests/compile_fixtures.rs` compiles) are fresh.

use std::path::{Path, PathBuf};

use link_codegen::generate::plan_for;
use link_codegen::{Codegen, OutputFile, Plan, Validated};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every fixture's `links.toml`, sorted by case name.
fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path().join("links.toml"))
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

fn case_name(links: &Path) -> String {
    links
        .parent()
        .and_then(Path::file_name)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn validate(links: &Path) -> Validated {
    let src = std::fs::read_to_string(links).unwrap();
    link_codegen::check_toml("links.toml", &src)
        .unwrap_or_else(|e| panic!("{} is invalid:\n{e}", links.display()))
}

/// Plans a fixture into an empty output root, so no lock exists yet.
fn plan_fresh(v: &Validated) -> (tempfile::TempDir, Plan) {
    let root = tempfile::tempdir().unwrap();
    let plan = plan_for(v, root.path(), false).unwrap();
    (root, plan)
}

/// `(path relative to root with `/`, contents)` of every planned file.
fn relative(root: &Path, files: &[OutputFile]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|f| {
            let rel = f
                .path
                .strip_prefix(root)
                .unwrap_or_else(|_| panic!("{} is outside {}", f.path.display(), root.display()));
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            (name, f.contents.clone())
        })
        .collect()
}

fn render(files: &[(String, String)]) -> String {
    let mut out = String::from("files:\n");
    for (name, _) in files {
        out.push_str(&format!("  {name}\n"));
    }
    for (name, contents) in files {
        out.push_str(&format!("\n======== {name} ========\n{contents}"));
        if !contents.ends_with('\n') {
            out.push_str("\n<no newline at end of file>\n");
        }
    }
    out
}

#[test]
fn snapshot_every_output_of_every_fixture() {
    insta::glob!("../fixtures", "*/links.toml", |path| {
        let v = validate(path);
        let (root, plan) = plan_fresh(&v);
        assert!(
            plan.skipped.is_empty(),
            "a first migration skips nothing: {:?}",
            plan.skipped
        );
        let files = relative(root.path(), &plan.files);
        insta::assert_snapshot!(render(&files));
    });
}

#[test]
fn there_are_fixtures_for_every_case() {
    let names: Vec<String> = fixtures().iter().map(|p| case_name(p)).collect();
    for case in [
        "seed",
        "one_to_one",
        "one_to_many",
        "many_to_many_extras",
        "read_only",
        "same_pair_aliases",
        "self_link",
        "long_names",
        "custom_pk",
    ] {
        assert!(names.iter().any(|n| n == case), "missing fixture {case}");
    }
}

/// Every fixture produces the outputs its `[codegen]` asks for: the Rust
/// module, the lock, docs, and one initial migration per dialect when it has
/// stored links (none otherwise).
#[test]
fn fresh_plan_has_every_output() {
    for links in fixtures() {
        let case = case_name(&links);
        let v = validate(&links);
        let (root, plan) = plan_fresh(&v);
        let files = relative(root.path(), &plan.files);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        let stored = v.graph.stored_links().count();
        let migrations: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("out/migrations/"))
            .collect();
        if stored == 0 {
            assert!(migrations.is_empty(), "{case}: {migrations:?}");
            assert_eq!(plan.new_migration, None, "{case}");
        } else {
            let stem = plan.new_migration.clone().expect("an initial migration");
            assert!(stem.starts_with("0001_create_"), "{case}: {stem}");
            assert_eq!(
                migrations,
                [
                    format!("out/migrations/sqlite/{stem}.sql"),
                    format!("out/migrations/postgres/{stem}.sql"),
                ],
                "{case}"
            );
        }
        for wanted in ["out/links.lock", "out/links.rs", "out/docs/README.md"] {
            assert!(names.contains(&wanted), "{case}: no {wanted} in {names:?}");
        }
        // No two outputs share a path.
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "{case}: {names:?}");
        // Every output ends with a newline and carries the @generated marker.
        for (name, contents) in &files {
            assert!(contents.ends_with('\n'), "{case}: {name}");
            assert!(
                contents.lines().take(2).any(|l| l.contains("@generated")),
                "{case}: {name} has no @generated header"
            );
        }
    }
}

/// Two runs, into different roots and through both entry points, produce
/// byte-identical files.
#[test]
fn generation_is_deterministic() {
    for links in fixtures() {
        let case = case_name(&links);
        let v = validate(&links);
        let (root_a, a) = plan_fresh(&v);
        let (root_b, b) = plan_fresh(&validate(&links));
        let root_c = tempfile::tempdir().unwrap();
        let c = Codegen::new(&links).out_root(root_c.path()).plan().unwrap();
        let (a, b, c) = (
            relative(root_a.path(), &a.files),
            relative(root_b.path(), &b.files),
            relative(root_c.path(), &c.files),
        );
        assert!(a == b, "{case}: two plan_for runs differ");
        assert!(a == c, "{case}: plan_for and Codegen::plan differ");
    }
}

/// Writing a fresh plan and planning again changes nothing: no new
/// migration, no file that differs from disk.
#[test]
fn regeneration_after_write_is_a_no_op() {
    for links in fixtures() {
        let case = case_name(&links);
        let root = tempfile::tempdir().unwrap();
        let codegen = Codegen::new(&links).out_root(root.path());
        let first = codegen.write().unwrap();
        let second = codegen.plan().unwrap();
        assert_eq!(second.new_migration, None, "{case}");
        assert!(second.skipped.is_empty(), "{case}");
        for f in &second.files {
            let on_disk = std::fs::read_to_string(&f.path).unwrap();
            assert!(
                on_disk == f.contents,
                "{case}: {} changes on regeneration",
                f.path.display()
            );
        }
        // Migrations already on disk are not planned again.
        let again: Vec<_> = second
            .files
            .iter()
            .filter(|f| f.path.extension().is_some_and(|e| e == "sql"))
            .collect();
        assert!(again.is_empty(), "{case}: {again:?}");
        // Every first-run file is still produced or on disk unchanged.
        for f in &first.files {
            assert_eq!(std::fs::read_to_string(&f.path).unwrap(), f.contents);
        }
    }
}

/// The seed fixture is the workspace's links.toml (modules and links).
#[test]
fn seed_fixture_matches_the_workspace_links_toml() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("links.toml");
    let seed = validate(&fixtures_dir().join("seed/links.toml"));
    assert_eq!(seed.graph, validate(&workspace).graph);
}

/// Every fixture's generated files are committed under `fixtures/<case>/`
/// (`out/...`), so that `compile_fixtures.rs` compiles each Rust module with
/// the migrations it embeds. They must equal what codegen produces now into
/// an empty root, and nothing else may linger under `out/`. With
/// `UPDATE_FIXTURES=1` the committed files are rewritten instead.
#[test]
fn committed_fixture_outputs_are_fresh() {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut stale = Vec::new();
    for links in fixtures() {
        let dir = links.parent().unwrap().to_path_buf();
        let v = validate(&links);
        let (root, plan) = plan_fresh(&v);
        let files = relative(root.path(), &plan.files);
        if update {
            let _ = std::fs::remove_dir_all(dir.join("out"));
        }
        for (name, contents) in &files {
            assert!(name.starts_with("out/"), "{name} is outside out/");
            let path = dir.join(name);
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, contents).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
                stale.push(format!("{} (differs or is missing)", path.display()));
            }
        }
        for path in files_under(&dir.join("out")) {
            let rel = path
                .strip_prefix(&dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if !files.iter().any(|(n, _)| *n == rel) {
                stale.push(format!("{} (not generated any more)", path.display()));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated fixture files (run `UPDATE_FIXTURES=1 cargo test -p link-tests --test codegen` to rewrite them):\n{}",
        stale.join("\n")
    );
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
