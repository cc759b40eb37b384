//! `link_codegen::build()` (through `build_with`): the Rust module goes to
//! OUT_DIR only, includable and with a header naming the helper; stale
//! committed migrations or lock, and pending destructive changes, fail with
//! the command to run; invalid definitions fail with the rendered
//! diagnostics, in `Debug` too.

use std::path::Path;

use link_codegen::build::{BUILD_HEADER, BuildError, build_with};

const MODELS: &str = r#"[codegen]
rust = "src/links.rs"
module = "crate::links"
migrations = "migrations/links"
lock = "links.lock"

[modules.product.models.product]
fields = { id = "text", title = "text" }

[modules.sales_channel.models.sales_channel]
fields = { id = "text", name = "text" }
"#;

const LINK: &str = r#"
[[links]]
left = { model = "product.product", is_list = true }
right = { model = "sales_channel.sales_channel", is_list = true }
extra_columns = { note = "text?" }
"#;

const STEM: &str = "0001_create_product_product_sales_channel_sales_channel";

/// A project whose committed files were generated from `links.toml`.
fn project(links: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("links.toml"), links).unwrap();
    link_codegen::Codegen::new(dir.path().join("links.toml"))
        .write()
        .unwrap();
    dir
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn fresh_project_writes_only_the_module_into_out_dir() {
    let dir = project(&format!("{MODELS}{LINK}"));
    let before = files(dir.path());
    let out = tempfile::tempdir().unwrap();
    let mut cargo = Vec::new();
    let links = dir.path().join("links.toml");
    let module = build_with(&links, out.path(), &mut cargo).unwrap();
    assert_eq!(module, out.path().join("links.rs"));
    assert_eq!(files(out.path()), ["links.rs"]);
    assert_eq!(files(dir.path()), before, "nothing written outside OUT_DIR");
    assert_eq!(
        String::from_utf8(cargo).unwrap(),
        format!("cargo::rerun-if-changed={}\n", links.display())
    );
    let text = std::fs::read_to_string(&module).unwrap();
    assert!(text.starts_with(BUILD_HEADER), "{text}");
    assert!(
        !text.contains("\n//!") && !text.contains("#!["),
        "includable"
    );
    let migration = dir
        .path()
        .join(format!("migrations/links/sqlite/{STEM}.sql"));
    assert!(
        text.contains(&format!("include_str!(\"{}\")", migration.display())),
        "migrations embedded by absolute path"
    );
    // The module parses as items (what `include!` needs).
    syn::parse_file(&text).expect("the module parses");
}

#[test]
fn define_link_sources_are_watched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Cargo.toml"),
        "[package]\nname = \"host\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("src")).unwrap();
    std::fs::write(
        d.join("src/lib.rs"),
        "#[link_runtime::define_link(left(model = \"product.product\", is_list), right(model = \"sales_channel.sales_channel\", is_list))]\npub mod product_channel {}\n",
    )
    .unwrap();
    std::fs::write(d.join("links.toml"), MODELS).unwrap();
    link_codegen::Codegen::new(d.join("links.toml"))
        .write()
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut cargo = Vec::new();
    build_with(&d.join("links.toml"), out.path(), &mut cargo).unwrap();
    assert_eq!(
        String::from_utf8(cargo).unwrap(),
        format!(
            "cargo::rerun-if-changed={}\ncargo::rerun-if-changed={}\n",
            d.join("links.toml").display(),
            d.join("src/lib.rs").display()
        )
    );
}

#[test]
fn a_pending_change_fails_with_the_command_to_run() {
    let dir = project(MODELS);
    std::fs::write(dir.path().join("links.toml"), format!("{MODELS}{LINK}")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = build_with(&dir.path().join("links.toml"), out.path(), &mut Vec::new()).unwrap_err();
    let d = dir.path().display();
    let want = format!(
        "error: {d}/migrations/links/sqlite/{STEM}.sql is not up to date\n\
         error: {d}/migrations/links/postgres/{STEM}.sql is not up to date\n\
         error: {d}/links.lock is not up to date\n\
         help: run `cargo links codegen` and commit the result\n"
    );
    assert_eq!(err.to_string(), want);
    assert_eq!(format!("{err:?}"), want);
    assert_eq!(files(out.path()), Vec::<String>::new(), "nothing generated");
}

#[test]
fn a_destructive_change_is_not_skipped_silently() {
    let dir = project(&format!("{MODELS}{LINK}"));
    std::fs::write(
        dir.path().join("links.toml"),
        format!(
            "{MODELS}{}",
            LINK.replace("extra_columns = { note = \"text?\" }\n", "")
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = build_with(&dir.path().join("links.toml"), out.path(), &mut Vec::new()).unwrap_err();
    let BuildError::Stale { destructive, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(destructive.len(), 1, "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("error: destructive change not generated: "),
        "{text}"
    );
    assert!(
        text.ends_with(
            "help: run `cargo links codegen --allow-destructive` and commit the result\n"
        ),
        "{text}"
    );
}

#[test]
fn invalid_definitions_render_their_diagnostics_in_debug_too() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/invalid/six_mistakes.toml"
    ))
    .unwrap();
    std::fs::write(dir.path().join("links.toml"), &source).unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = build_with(&dir.path().join("links.toml"), out.path(), &mut Vec::new()).unwrap_err();
    let rendered = link_codegen::check_toml("links.toml", &source)
        .unwrap_err()
        .rendered;
    assert_eq!(err.to_string(), rendered);
    assert_eq!(format!("{err:?}"), rendered);
    let check = link_codegen::check_toml("links.toml", &source).unwrap_err();
    assert_eq!(format!("{check:?}"), rendered);
}
