//! `cargo xtask db` end to end: the built binary on a SQLite file always,
//! and on a fresh Postgres schema when `LINK_TEST_PG_URL` is set. Every
//! invocation's exit code, stdout and stderr are snapshotted.
//!
//! The run: status of a fresh database (1) -> migrate -> status (0) ->
//! edited links (a link added, a column added, a link removed): status (1),
//! sync-links --dry-run (3), sync-links (3: the drop is skipped),
//! sync-links --allow-destructive (0), status (0); then the errors: an
//! unsupported URL (4: cannot connect) and an invalid links file (1).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the binary; the transcript entry of the call.
fn xtask(args: &[&str], shown: &str) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run xtask");
    let code = out.status.code().unwrap_or(-1);
    let mut t = format!("$ cargo xtask {shown}  # exit {code}\n");
    t.push_str(&String::from_utf8_lossy(&out.stdout));
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.is_empty() {
        t.push_str("[stderr]\n");
        t.push_str(&stderr);
    }
    t.push('\n');
    (code, t)
}

/// A project folder: the edited links.toml of the tests with the
/// workspace's link migrations.
fn edited_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let v2 = std::fs::read_to_string(root().join("tests/fixtures/db/links_v2.toml")).unwrap();
    std::fs::write(
        dir.path().join("links.toml"),
        format!("[codegen]\nmigrations = \"migrations\"\n\n{v2}"),
    )
    .unwrap();
    for d in ["sqlite", "postgres"] {
        let from = root().join("examples/storefront/migrations/links").join(d);
        let to = dir.path().join("migrations").join(d);
        std::fs::create_dir_all(&to).unwrap();
        for f in std::fs::read_dir(from).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
        }
    }
    dir
}

fn run(url: &str, name: &str) {
    let project = edited_project();
    let edited = project.path().join("links.toml");
    let edited = edited.to_str().unwrap();
    let mut transcript = String::new();
    let mut step = |args: &[&str], shown: &str, want: i32| {
        let mut full = vec!["db"];
        full.extend_from_slice(args);
        full.extend(["--database-url", url]);
        let (code, t) = xtask(&full, shown);
        assert_eq!(code, want, "{t}");
        transcript.push_str(&t);
    };
    let e = ["--links", edited];
    step(&["status"], "db status", 1);
    step(&["migrate"], "db migrate", 0);
    step(&["status"], "db status", 0);
    step(
        &["status", e[0], e[1]],
        "db status --links edited/links.toml",
        1,
    );
    step(
        &["sync-links", e[0], e[1], "--dry-run"],
        "db sync-links --links edited/links.toml --dry-run",
        3,
    );
    step(
        &["sync-links", e[0], e[1]],
        "db sync-links --links edited/links.toml",
        3,
    );
    step(
        &["sync-links", e[0], e[1], "--allow-destructive"],
        "db sync-links --links edited/links.toml --allow-destructive",
        0,
    );
    step(
        &["status", e[0], e[1]],
        "db status --links edited/links.toml",
        0,
    );

    // Errors: exit 4 (cannot connect) or 1 with the reason on stderr.
    let (code, t) = xtask(
        &["db", "status", "--database-url", "mysql://localhost/shop"],
        "db status --database-url mysql://localhost/shop",
    );
    assert_eq!(code, 4, "{t}");
    transcript.push_str(&t);
    let bad = project.path().join("bad.toml");
    std::fs::write(&bad, "[[links]]\nleft = { model = \"nope.nope\" }\n").unwrap();
    let (code, t) = xtask(
        &[
            "db",
            "sync-links",
            "--links",
            bad.to_str().unwrap(),
            "--database-url",
            url,
        ],
        "db sync-links --links bad.toml",
    );
    assert_eq!(code, 1, "{t}");
    // The rendered diagnostics name the file by its (temporary) path.
    transcript.push_str(&t.replace(bad.to_str().unwrap(), "bad.toml"));

    insta::assert_snapshot!(name, transcript);
}

#[test]
fn db_commands_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("shop.db").display());
    run(&url, "db_cli_sqlite");
}

#[test]
fn db_commands_on_postgres() {
    let Some(url) = std::env::var("LINK_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "LINK_TEST_PG_URL must be set in CI"
        );
        eprintln!("LINK_TEST_PG_URL is not set: Postgres skipped for db_cli");
        return;
    };
    let schema = format!("xtask_cli_{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let db = link_runtime::Db::connect(&url)
            .await
            .expect("LINK_TEST_PG_URL must reach a server");
        db.execute_script(&format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE; CREATE SCHEMA \"{schema}\";"
        ))
        .await
        .unwrap();
        db.close().await;
    });
    let sep = if url.contains('?') { '&' } else { '?' };
    let scoped = format!("{url}{sep}options=-csearch_path%3D{schema}");
    run(&scoped, "db_cli_postgres");
    rt.block_on(async {
        let db = link_runtime::Db::connect(&url).await.unwrap();
        let _ = db
            .execute_script(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;"))
            .await;
        db.close().await;
    });
}
