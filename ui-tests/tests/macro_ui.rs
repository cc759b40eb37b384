//! Compile-fail cases: each mistake gets a targeted error at the offending
//! token (`ui/*.stderr`): `#[define_link]`, typed ids, rooted paths and
//! typed filters (`wrong_root_path`), and `#[derive(Select)]` (`select_*`:
//! unknown field or relation, `Vec`/`Option` against the relation's
//! cardinality, a nullable column without `Option`, wrong scalar and id
//! types, a nested selection of another entity, the macro's own checks).
//!
//! Each case is checked by rustc itself, against the very `link_runtime`
//! and `link_macros` artifacts this `cargo test --workspace` built (their
//! paths come from `cargo test --workspace --no-run --message-format=json`,
//! which finds everything fresh): no second build of the runtime and sqlx
//! in a folder of its own, as trybuild would do (run alone, as `cargo test
//! -p link-ui-tests`, the inner call builds the workspace's tests once so
//! that the artifacts match those of `cargo test --workspace`). The
//! errors are compared with `ui/<case>.stderr` after [`normalize`];
//! `UI_OVERWRITE=1` (or trybuild's `TRYBUILD=overwrite`) writes the files
//! instead.
//!
//! The cases read a copy of the seed fixture as their links.toml (the
//! macro looks for it from `CARGO_MANIFEST_DIR`, which points at a folder
//! under the target directory holding only that copy): they hold wherever
//! the target directory is, and editing the workspace's links.toml does not
//! change them.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The compiled crates a case links against.
struct Externs {
    runtime: PathBuf,
    macros: PathBuf,
    deps: PathBuf,
}

/// Asks cargo (the one running this test) for the artifacts of
/// `link-runtime` and `link-macros` in this workspace's test build.
fn externs(target_dir: &Path) -> Externs {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "test",
            "--workspace",
            "--no-run",
            "--quiet",
            "--message-format=json",
        ])
        .env("CARGO_TARGET_DIR", target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo test --no-run");
    assert!(
        out.status.success(),
        "cargo test --workspace --no-run failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut runtime = None;
    let mut macros = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" || msg["profile"]["test"] == true {
            continue;
        }
        let files: Vec<PathBuf> = msg["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(PathBuf::from))
            .collect();
        match msg["target"]["name"].as_str() {
            Some("link_runtime") => {
                runtime = files
                    .into_iter()
                    .find(|f| f.extension().is_some_and(|e| e == "rlib"))
            }
            Some("link_macros") => macros = files.into_iter().next(),
            _ => {}
        }
    }
    let runtime = runtime.expect("cargo reported no link_runtime rlib");
    let macros = macros.expect("cargo reported no link_macros proc-macro");
    let deps = runtime.parent().expect("deps folder").to_path_buf();
    Externs {
        runtime,
        macros,
        deps,
    }
}

/// The workspace's root folder.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("ui-tests sits in the workspace root")
}

/// rustc's errors for `case` (a path relative to the workspace root), or `None`
/// when it compiles.
fn compile(case: &str, externs: &Externs, project: &Path, out_dir: &Path) -> Option<String> {
    let name = Path::new(case)
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("case file name");
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--crate-name",
            name,
        ])
        .args([
            "--emit",
            "metadata",
            "--color",
            "never",
            "--error-format",
            "human",
        ])
        .arg("-o")
        .arg(out_dir.join(format!("{name}.rmeta")))
        .arg("-L")
        .arg(format!("dependency={}", externs.deps.display()))
        .arg("--extern")
        .arg(format!("link_runtime={}", externs.runtime.display()))
        .arg("--extern")
        .arg(format!("link_macros={}", externs.macros.display()))
        .arg(case)
        .env("CARGO_MANIFEST_DIR", project)
        .env("CARGO_PKG_NAME", "link-ui-tests-case")
        .env("CARGO_CRATE_NAME", name)
        // Where cargo ran rustc for the workspace's crates, so that rustc
        // finds their sources (relative paths in their metadata).
        .current_dir(workspace_root())
        .output()
        .expect("run rustc");
    if out.status.success() {
        None
    } else {
        Some(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// rustc's output made independent of this machine and of files other
/// than the case: rustc's closing summary lines dropped, absolute paths
/// replaced (`$WORKSPACE`, `$RUST`, `$CARGO`), line and column numbers kept
/// only for the case file itself (the generated module and the runtime
/// may change without changing the error), and each diagnostic's gutter
/// re-aligned to the line numbers kept.
fn normalize(raw: &str, case: &str, workspace: &str) -> String {
    let raw = raw.replace('\\', "/");
    let lines: Vec<&str> = raw
        .lines()
        .filter(|l| {
            !(l.starts_with("error: aborting due to")
                || l.starts_with("For more information about")
                || l.starts_with("Some errors have detailed explanations")
                || (l.starts_with("warning: ") && l.ends_with(" emitted"))
                || l.contains("the full name for the type has been written to")
                || l.contains("consider using `--verbose` to print the full type name"))
        })
        .collect();
    let mut out = String::new();
    // Diagnostics start with an unindented `error` or `warning` line.
    let mut start = 0;
    for i in 1..=lines.len() {
        if i == lines.len() || lines[i].starts_with("error") || lines[i].starts_with("warning") {
            out.push_str(&diagnostic(&lines[start..i], case, workspace));
            start = i;
        }
    }
    out.trim_end().to_string() + "\n"
}

/// One diagnostic's lines, normalized (see [`normalize`]).
fn diagnostic(lines: &[&str], case: &str, workspace: &str) -> String {
    // The gutter's width: the indentation of the first `-->` or `:::`.
    let width = lines
        .iter()
        .find_map(|l| {
            let t = l.trim_start();
            (t.starts_with("--> ") || t.starts_with("::: ")).then(|| l.len() - t.len())
        })
        .unwrap_or(0);
    enum Line {
        Arrow(String),
        Gutter(Option<String>, String),
        Plain(String),
    }
    let mut parsed = Vec::new();
    let mut in_case = false;
    for l in lines {
        let t = l.trim_start();
        if width > 0
            && l.len() - t.len() == width
            && (t.starts_with("--> ") || t.starts_with("::: "))
        {
            let (arrow, location) = t.split_at(4);
            let location = paths(location, workspace);
            let file = strip_position(&location);
            in_case = file == case;
            let shown = if in_case {
                location.clone()
            } else {
                file.to_string()
            };
            parsed.push(Line::Arrow(format!("{arrow}{shown}")));
        } else if width > 0
            && l.len() > width
            && l.as_bytes()[width] == b' '
            && l[..width].trim_start().bytes().all(|b| b.is_ascii_digit())
        {
            let number = l[..width].trim_start();
            let number = (in_case && !number.is_empty()).then(|| number.to_string());
            parsed.push(Line::Gutter(number, paths(&l[width..], workspace)));
        } else {
            // A sub-diagnostic (`help: …`, `note: …`) without a location
            // shows a suggestion in the case itself.
            if l.starts_with("help") || l.starts_with("note") {
                in_case = true;
            }
            parsed.push(Line::Plain(paths(l, workspace)));
        }
    }
    let new_width = parsed
        .iter()
        .filter_map(|l| match l {
            Line::Gutter(Some(n), _) => Some(n.len()),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for l in parsed {
        match l {
            Line::Arrow(a) => out.push_str(&format!("{:new_width$}{a}", "")),
            Line::Gutter(n, body) => {
                out.push_str(&format!("{:>new_width$}{body}", n.unwrap_or_default()))
            }
            Line::Plain(p) => out.push_str(&p),
        }
        out.push('\n');
    }
    out
}

/// `path:line:col` without its position.
fn strip_position(location: &str) -> &str {
    let mut s = location;
    for _ in 0..2 {
        match s.rsplit_once(':') {
            Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => {
                s = head
            }
            _ => break,
        }
    }
    s
}

/// Absolute paths of this machine replaced by placeholders.
fn paths(text: &str, workspace: &str) -> String {
    let mut s = text.replace(workspace, "$WORKSPACE");
    for (marker, keep) in [
        ("/rustlib/src/rust/library/", "library/"),
        ("/library/", "library/"),
    ] {
        if let Some(i) = s.find(marker) {
            let start = s[..i].rfind([' ', '`', '\'']).map_or(0, |p| p + 1);
            if s[start..].starts_with('/') {
                let cut = i + marker.len() - keep.len();
                s.replace_range(start..cut, "$RUST/");
                break;
            }
        }
    }
    if let Some(i) = s.find("/registry/src/")
        && let Some(rel) = s[i + "/registry/src/".len()..].find('/')
    {
        let start = s[..i].rfind([' ', '`', '\'']).map_or(0, |p| p + 1);
        s.replace_range(start..i + "/registry/src/".len() + rel + 1, "$CARGO/");
    }
    s
}

#[test]
fn compile_fail_cases() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target dir>/tmp")
        .to_path_buf();
    let project = Path::new(env!("CARGO_TARGET_TMPDIR")).join("link-ui-tests");
    let out_dir = project.join("out");
    std::fs::create_dir_all(&out_dir).expect("case project folder");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/seed/links.toml"
        ),
        project.join("links.toml"),
    )
    .expect("copy the seed links.toml");
    let workspace = workspace_root()
        .canonicalize()
        .expect("workspace root path")
        .display()
        .to_string();
    let externs = externs(&target);
    let mut cases: Vec<String> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/ui"))
        .expect("ui folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rs"))
        .map(|n| format!("ui-tests/ui/{n}"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 17, "ui cases missing: {cases:?}");
    let overwrite = std::env::var("UI_OVERWRITE").is_ok_and(|v| v == "1")
        || std::env::var("TRYBUILD").is_ok_and(|v| v == "overwrite");

    // Two cases at a time (rustc runs single-threaded on a small crate).
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    let chunks: Vec<Vec<String>> = (0..threads)
        .map(|t| cases.iter().skip(t).step_by(threads).cloned().collect())
        .collect();
    let results: Vec<(String, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                let (externs, project, out_dir) = (&externs, &project, &out_dir);
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|c| (c.clone(), compile(c, externs, project, out_dir)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("case thread"))
            .collect()
    });

    let mut failures = Vec::new();
    for (case, stderr) in results {
        let expected_path = workspace_root().join(case.replace(".rs", ".stderr"));
        let Some(stderr) = stderr else {
            failures.push(format!("{case}: compiled, but it must fail"));
            continue;
        };
        let got = normalize(&stderr, &case, &workspace);
        if overwrite {
            std::fs::write(&expected_path, &got).expect("write .stderr");
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == got => {}
            Ok(expected) => failures.push(format!(
                "{case}: errors differ from {}\n--- expected\n{expected}\n--- got\n{got}",
                expected_path.display()
            )),
            Err(_) => failures.push(format!(
                "{case}: no {} (UI_OVERWRITE=1 writes it); got:\n{got}",
                expected_path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn normalize_keeps_the_case_and_hides_other_files() {
    let raw = "\
error[E0599]: no function named `nme`
   --> ui/x.rs:13:5
    |
 13 |     nme: String,
    |     ^^^ not found
    |
   ::: ui/../links.rs:895:5
    |
895 |     pub struct SalesChannel;
    |     ------------------------ not found for this struct
help: see
   --> /work/main/link-runtime/src/typed.rs:919:9
    |
919 |         pub fn name(&self) {}
    |         ^^^^^^^^^^^^^^^^^^
   ::: /root/.rustup/toolchains/stable/lib/rustlib/src/rust/library/core/src/ops.rs:1:1

error: aborting due to 1 previous error

For more information about this error, try `rustc --explain E0599`.
";
    assert_eq!(
        normalize(raw, "ui/x.rs", "/work/main"),
        "\
error[E0599]: no function named `nme`
  --> ui/x.rs:13:5
   |
13 |     nme: String,
   |     ^^^ not found
   |
  ::: ui/../links.rs
   |
   |     pub struct SalesChannel;
   |     ------------------------ not found for this struct
help: see
  --> $WORKSPACE/link-runtime/src/typed.rs
   |
   |         pub fn name(&self) {}
   |         ^^^^^^^^^^^^^^^^^^
  ::: $RUST/library/core/src/ops.rs
"
    );
}
