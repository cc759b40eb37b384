//! `cargo links` end to end: the built binary in a fresh crate, piped (so
//! without colour); exit codes, stdout and stderr asserted exactly.

use std::path::Path;
use std::process::Command;

/// `(exit code, stdout, stderr)` of `cargo-links args` in `dir`.
fn links(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cargo-links"));
    cmd.current_dir(dir).args(args).env_remove("DATABASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run cargo-links");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// An empty binary crate `host`.
fn new_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"host\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    dir
}

const PROJECT: &str = r#"[codegen]
rust = "src/links.rs"
module = "crate::links"
migrations = "migrations/links"
lock = "links.lock"

[database]
url = "sqlite:from_toml.db?mode=rwc"

[modules.product.models.product]
fields = { id = "text", title = "text" }

[modules.sales_channel.models.sales_channel]
fields = { id = "text", name = "text" }
"#;

const LINK: &str = r#"
[[links]]
left = { model = "product.product", is_list = true }
right = { model = "sales_channel.sales_channel", is_list = true }
"#;

const MIGRATION: &str = "0001_create_product_product_sales_channel_sales_channel";

#[test]
fn version_and_help() {
    let dir = tempfile::tempdir().unwrap();
    let version = format!("cargo links {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        links(dir.path(), &["--version"], &[]),
        (0, version.clone(), String::new())
    );
    // As cargo runs it: `cargo links …` is `cargo-links links …`.
    assert_eq!(
        links(dir.path(), &["links", "--version"], &[]),
        (0, version, String::new())
    );
    for (args, usage) in [
        (&["--help"][..], "Usage: cargo links <COMMAND>\n"),
        (&["init", "--help"][..], "Usage: cargo links init\n"),
        (
            &["check", "--help"][..],
            "Usage: cargo links check [OPTIONS]\n",
        ),
        (
            &["codegen", "--help"][..],
            "Usage: cargo links codegen [OPTIONS]\n",
        ),
        (&["db", "--help"][..], "Usage: cargo links db <COMMAND>\n"),
        (
            &["db", "migrate", "--help"][..],
            "Usage: cargo links db migrate [OPTIONS]\n",
        ),
        (
            &["db", "status", "--help"][..],
            "Usage: cargo links db status [OPTIONS]\n",
        ),
        (
            &["db", "sync-links", "--help"][..],
            "Usage: cargo links db sync-links [OPTIONS]\n",
        ),
    ] {
        let (code, stdout, stderr) = links(dir.path(), args, &[]);
        assert_eq!((code, stderr.as_str()), (0, ""), "{args:?}");
        assert!(stdout.contains(usage), "{args:?}: {stdout}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = new_crate();
    let (code, stdout, _) = links(dir.path(), &[], &[]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    let (code, _, stderr) = links(dir.path(), &["frobnicate"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: unrecognized subcommand 'frobnicate'\n"),
        "{stderr}"
    );
    assert_eq!(
        links(dir.path(), &["check"], &[]).0,
        2,
        "no links.toml is a usage error"
    );
    std::fs::write(dir.path().join("links.toml"), "").unwrap();
    assert_eq!(
        links(dir.path(), &["db", "status"], &[]),
        (
            2,
            String::new(),
            "error: no database URL: pass --database-url, set DATABASE_URL (environment or .env), \
             or set `[database] url` in links.toml\n"
                .to_string()
        )
    );
}

#[test]
fn init_check_codegen() {
    let dir = new_crate();
    let d = dir.path();
    assert_eq!(
        links(d, &["init"], &[]),
        (
            0,
            "created links.toml: declare your modules and links, then run `cargo links codegen`\n"
                .to_string(),
            String::new()
        )
    );
    assert_eq!(
        std::fs::read_to_string(d.join("links.toml")).unwrap(),
        link_cli::init::TEMPLATE
    );
    assert_eq!(
        links(d, &["init"], &[]),
        (
            1,
            String::new(),
            "error: links.toml already exists; nothing written\n".to_string()
        )
    );
    assert_eq!(
        links(d, &["check"], &[]),
        (
            0,
            "links.toml: ok: 0 modules, 0 models, 0 links (0 stored, 0 read-only), 0 relations\n"
                .to_string(),
            String::new()
        )
    );
    assert_eq!(
        links(d, &["codegen"], &[]),
        (
            0,
            "  wrote links.lock\n  wrote src/links.rs\n  wrote docs/links/README.md\n\
             codegen: 0 links, 3 files written, 0 unchanged\n"
                .to_string(),
            String::new()
        )
    );
    assert_eq!(
        links(d, &["codegen", "--check"], &[]),
        (
            0,
            "codegen: 0 links, 3 files up to date\n".to_string(),
            String::new()
        )
    );
    // A stale file: exit 1, the diff and the command to run.
    std::fs::write(d.join("links.lock"), "").unwrap();
    let (code, stdout, stderr) = links(d, &["codegen", "--check"], &[]);
    assert_eq!((code, stdout.as_str()), (1, ""));
    assert!(stderr.starts_with("stale: links.lock\n"), "{stderr}");
    assert!(
        stderr.ends_with(
            "error: 1 generated file is out of date; run `cargo links codegen` and commit the result\n"
        ),
        "{stderr}"
    );
}

#[test]
fn check_reports_every_problem() {
    let dir = new_crate();
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/invalid/six_mistakes.toml"
    ))
    .unwrap();
    std::fs::write(dir.path().join("links.toml"), &source).unwrap();
    let rendered = link_codegen::check_toml("links.toml", &source)
        .unwrap_err()
        .rendered;
    assert!(rendered.ends_with("error: links.toml has 6 problems\n"));
    assert_eq!(
        links(dir.path(), &["check"], &[]),
        (1, String::new(), rendered)
    );
}

#[test]
fn db_commands_and_the_database_url() {
    let dir = new_crate();
    let d = dir.path();
    std::fs::write(d.join("links.toml"), format!("{PROJECT}{LINK}")).unwrap();
    assert_eq!(links(d, &["codegen"], &[]).0, 0);
    let status_fresh = format!(
        "status (sqlite)\n\
         migrations: _link_migrations absent (none applied by migrate); 1 available\n  \
         available {MIGRATION}\n\
         link tables: 1 in the graph, 1 difference\n  \
         missing  product_product_sales_channel_sales_channel (product.product <> sales_channel.sales_channel)\n\
         module tables: 2 declared, 0 present, 0 with problems (absent: product, sales_channel)\n\
         not in sync: 1 link table difference (db migrate, or db sync-links)\n"
    );
    // `[database] url` of links.toml.
    assert_eq!(
        links(d, &["db", "status"], &[]),
        (1, status_fresh.clone(), String::new())
    );
    assert!(d.join("from_toml.db").is_file());
    // `--dry-run` applies nothing: the status of what would be applied.
    assert_eq!(
        links(d, &["db", "migrate", "--dry-run"], &[]),
        (1, status_fresh.clone(), String::new())
    );
    // `.env` wins over links.toml.
    std::fs::write(
        d.join(".env"),
        "DATABASE_URL=\"sqlite:from_dotenv.db?mode=rwc\"\n",
    )
    .unwrap();
    assert_eq!(
        links(d, &["db", "migrate"], &[]),
        (
            0,
            format!(
                "migrate (sqlite)\napplied  {MIGRATION}\n\
                 migrate: 1 migration applied; 1 applied in total, 0 pending\n"
            ),
            String::new()
        )
    );
    assert!(d.join("from_dotenv.db").is_file());
    // The environment wins over `.env`, and `--database-url` over both.
    let env = [("DATABASE_URL", "sqlite:from_env.db?mode=rwc")];
    assert_eq!(links(d, &["db", "status"], &env).0, 1);
    assert!(d.join("from_env.db").is_file());
    let (code, stdout, _) = links(
        d,
        &["db", "status", "--database-url", "sqlite:from_dotenv.db"],
        &env,
    );
    assert_eq!(code, 0, "{stdout}");
    // Module tables are checked too (read-only): a declared field missing
    // from the live table, or of an incompatible type, is reported.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let url = format!("sqlite:{}", d.join("from_dotenv.db").display());
        let db = link_runtime::Db::connect(&url).await.unwrap();
        db.execute_script(
            "CREATE TABLE product (id TEXT PRIMARY KEY, title INTEGER NOT NULL);\n\
             CREATE TABLE sales_channel (id TEXT PRIMARY KEY);",
        )
        .await
        .unwrap();
        db.close().await;
    });
    assert_eq!(
        links(d, &["db", "status"], &[]),
        (
            1,
            format!(
                "status (sqlite)\n\
                 migrations: 1 applied, 0 pending (_link_migrations)\n  \
                 applied  {MIGRATION}\n\
                 link tables: 1 in the graph, 0 differences\n  \
                 ok       product_product_sales_channel_sales_channel (product.product <> sales_channel.sales_channel)\n\
                 module tables: 2 declared, 2 present, 2 with problems\n  \
                 differs  product (product.product)\n             \
                 field title: declared text, the column is INTEGER\n  \
                 differs  sales_channel (sales_channel.sales_channel)\n             \
                 field name: no such column\n\
                 not in sync: 2 module tables with problems (module tables are the modules' own: fix their migrations or links.toml)\n"
            ),
            String::new()
        )
    );
    // Removing the link: its table would be dropped, which sync-links skips
    // without --allow-destructive (exit 3).
    std::fs::write(d.join("links.toml"), PROJECT).unwrap();
    let (code, _, stderr) = links(d, &["db", "sync-links"], &[]);
    assert_eq!((code, stderr.as_str()), (3, ""));
    let (code, _, stderr) = links(d, &["db", "sync-links", "--allow-destructive"], &[]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    // A database that cannot be opened: exit 4.
    assert_eq!(
        links(
            d,
            &["db", "status", "--database-url", "sqlite:missing/dir/x.db"],
            &[]
        ),
        (
            4,
            String::new(),
            "error: cannot open sqlite:missing/dir/x.db: error returned from database: (code: 14) \
             unable to open database file\n"
                .to_string()
        )
    );
}
