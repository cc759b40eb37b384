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
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let files = link_tests::fixture_files(&dir, Some("links.toml"), "links.toml");
    assert!(files.len() >= 9, "{files:?}");
    link_tests::for_each_fixture(&files, |path, label| {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(label);
        settings.set_input_file(path);
        let _guard = settings.bind_to_scope();
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
        "stale generated fixture files (run `UPDATE_FIXTURES=1 cargo test -p link-tests --test integration codegen::` to rewrite them):\n{}",
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

/// Pretty-printed items, to compare generated code whatever its layout.
fn unparse(items: Vec<syn::Item>) -> String {
    prettyplease::unparse(&syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items,
    })
}

/// The last identifier of a type path (`X` of `super::X`).
fn type_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The items of `module` that belong to the stored link whose value type is
/// `ty`: the structs `ty` and `<ty>Record` and the impls for them.
fn items_of_link(module: &syn::ItemMod, ty: &str) -> Vec<syn::Item> {
    let record = format!("{ty}Record");
    let ours = |name: &str| name == ty || name == record;
    module
        .content
        .as_ref()
        .expect("an inline module")
        .1
        .iter()
        .filter(|item| match item {
            syn::Item::Struct(s) => ours(&s.ident.to_string()),
            syn::Item::Impl(i) => type_ident(&i.self_ty).is_some_and(|n| ours(&n)),
            _ => false,
        })
        .cloned()
        .collect()
}

fn module<'f>(file: &'f syn::File, name: &str) -> &'f syn::ItemMod {
    file.items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no module `{name}`"))
}

/// `text` with every non-empty line indented by four spaces.
fn indented(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("    {l}\n")
            }
        })
        .collect()
}

/// What `#[define_link]` expands to for a stored link (`link_items`) is
/// exactly what the generated file holds for it in `values`: for every
/// fixture and every stored link, the text parses as a file and its items
/// equal, after formatting, that link's items in the `values` module of the
/// generated file; the text is even there verbatim (indented).
#[test]
fn link_items_are_the_links_items_in_the_generated_values_module() {
    let mut checked = 0;
    for links in fixtures() {
        let case = case_name(&links);
        let v = validate(&links);
        let (_root, plan) = plan_fresh(&v);
        let generated = &plan
            .files
            .iter()
            .find(|f| f.path.extension().is_some_and(|e| e == "rs"))
            .expect("a Rust module")
            .contents;
        let file = syn::parse_file(generated)
            .unwrap_or_else(|e| panic!("{case}: the generated module does not parse: {e}"));
        let values = module(&file, "values");
        let mut in_values = 0;
        for (link, _) in v.graph.stored_links() {
            let text = link_codegen::emit::rust::link_items(&v.graph, link);
            let parsed = syn::parse_file(&text).unwrap_or_else(|e| {
                panic!(
                    "{case}: link_items of `{}` does not parse: {e}\n{text}",
                    link.name
                )
            });
            assert!(parsed.attrs.is_empty(), "{case}: {}", link.name);
            let ty = link_codegen::emit::rust::type_name(&link.name);
            let expected = items_of_link(values, &ty);
            in_values += expected.len();
            assert_eq!(
                parsed.items.len(),
                6,
                "{case}: `{}`: value, impl, TypedLink impl, record, FromRow impl, From impl",
                link.name
            );
            assert_eq!(
                unparse(parsed.items),
                unparse(expected),
                "{case}: `{}`: link_items differ from the generated `values` items",
                link.name
            );
            assert!(
                generated.contains(&indented(&text)),
                "{case}: `{}`: link_items is not verbatim in the generated file",
                link.name
            );
            checked += 1;
        }
        // Nothing else in `values` but its two `use` lines.
        let total = values.content.as_ref().unwrap().1.len();
        assert_eq!(total, 2 + in_values, "{case}: stray items in `values`");
    }
    assert!(checked >= 10, "only {checked} stored links checked");
}

/// `link_items` is empty for a read-only link.
#[test]
fn link_items_of_a_read_only_link_is_empty() {
    let v = validate(&fixtures_dir().join("read_only/links.toml"));
    let mut read_only = 0;
    for link in v.graph.links.iter().filter(|l| l.is_read_only()) {
        assert_eq!(link_codegen::emit::rust::link_items(&v.graph, link), "");
        read_only += 1;
    }
    assert!(read_only > 0);
}

/// `skip_link_items` leaves a link's `values` items out (the macro emits
/// them) and nothing else: its id, entity, paths and graph entry stay.
#[test]
fn skipped_link_items_are_left_out_of_values_only() {
    use link_codegen::emit::rust::{RustOptions, emit_with, link_items, type_name};
    let v = validate(&fixtures_dir().join("seed/links.toml"));
    let skipped = v
        .graph
        .stored_links()
        .map(|(l, _)| l)
        .nth(1)
        .expect("two stored links");
    let full = emit_with(&v.graph, &RustOptions::default());
    let partial = emit_with(
        &v.graph,
        &RustOptions {
            migrations: None,
            skip_link_items: vec![skipped.name.to_string()],
        },
    );
    let items = format!("\n{}", indented(&link_items(&v.graph, skipped)));
    assert!(full.contains(&items));
    assert_eq!(partial, full.replacen(&items, "", 1));
    let file = syn::parse_file(&partial).unwrap();
    let ty = type_name(&skipped.name);
    assert!(items_of_link(module(&file, "values"), &ty).is_empty());
    for kept in ["entities", "paths"] {
        let m = module(&file, kept);
        let has = m.content.as_ref().unwrap().1.iter().any(|item| match item {
            syn::Item::Struct(s) => s.ident == ty,
            _ => false,
        });
        assert!(has, "`{kept}::{ty}` is missing");
    }
    assert!(partial.contains(&format!("name: B({:?}),", &*skipped.name)));
}
