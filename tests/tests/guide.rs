//! `docs/guide.md` by its exact steps: a host crate in a temporary folder
//! (path dependencies on this workspace, its target directory shared so
//! nothing already built is rebuilt) gets the guide's files, `cargo links
//! init` and `cargo links codegen` (the `link_cli` calls the binary makes),
//! then `cargo run` on SQLite and, with `LINK_TEST_PG_URL`, on Postgres must
//! print the guide's output. Slow (it builds the host): `#[ignore]`d, run
//! by `.ci/run`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `(file name, contents)` of every block after `<!-- file: NAME -->`, and
/// the block after `<!-- output -->`.
fn guide() -> (Vec<(String, String)>, String) {
    let text = std::fs::read_to_string(workspace().join("docs/guide.md")).unwrap();
    let mut files = Vec::new();
    let mut output = None;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let marker = line.trim();
        let target = if let Some(name) = marker
            .strip_prefix("<!-- file: ")
            .and_then(|r| r.strip_suffix(" -->"))
        {
            Some(name.to_string())
        } else if marker == "<!-- output -->" {
            None
        } else {
            continue;
        };
        let fence = lines.next().expect("a code block follows the marker");
        assert!(fence.starts_with("```"), "{fence}");
        let mut block = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            block.push_str(l);
            block.push('\n');
        }
        match target {
            Some(name) => files.push((name, block)),
            None => output = Some(block),
        }
    }
    (files, output.expect("the guide shows the output"))
}

fn run_host(dir: &Path, database_url: &str) -> String {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .current_dir(dir)
        .args(["run", "--quiet", "--offline"])
        .env("CARGO_TARGET_DIR", target)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("cargo run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
#[ignore = "builds a host crate; run by .ci/run"]
fn the_guide_gives_a_running_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (files, output) = guide();
    let root = workspace();
    for (name, contents) in &files {
        let mut contents = contents.replace("LINKS_REPO", &root.display().to_string());
        if name == "Cargo.toml" {
            // Not part of the guide: the workspace's dev profile and lock
            // file, so the host reuses what is already built (offline).
            contents.push_str(
                "\n[workspace]\n\n[profile.dev.package.\"*\"]\ndebug = false\n\n[profile.dev]\ndebug = \"line-tables-only\"\n",
            );
            std::fs::copy(root.join("Cargo.lock"), d.join("Cargo.lock")).unwrap();
        }
        let path = d.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if name == "links.toml" {
            let init = link_cli::init::init(d);
            assert_eq!(init.code, 0, "{}", init.stderr);
        }
        std::fs::write(path, contents).unwrap();
    }
    let project = link_cli::Project {
        links: d.join("links.toml"),
        root: d.to_path_buf(),
        command: "cargo links".to_string(),
    };
    let generated = link_cli::codegen(&project, &link_cli::CodegenOptions::default());
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let sqlite = format!("sqlite:{}?mode=rwc", d.join("host.db").display());
    assert_eq!(run_host(d, &sqlite), output);
    if let Some(url) = link_tests::pg_url() {
        let schema = link_tests::unique("guide");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
        });
        let sep = if url.contains('?') { '&' } else { '?' };
        let scoped = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        let printed = run_host(d, &scoped);
        rt.block_on(async {
            let admin = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{schema}\" CASCADE"
            )))
            .execute(&admin)
            .await
            .unwrap();
            admin.close().await;
        });
        assert_eq!(printed, output);
    }
}
