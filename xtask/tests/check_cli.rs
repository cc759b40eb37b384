//! `cargo xtask check`: exit 0 and a one-line summary when valid; exit 1 with
//! every rendered diagnostic on stderr, and nothing written, when not.

use std::process::Command;

fn xtask(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("run xtask");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The seed fixture (a copy of the workspace's links.toml, so editing that
/// file keeps this test green).
#[test]
fn check_accepts_the_seed() {
    let path = root().join("tests/fixtures/seed/links.toml");
    let (code, stdout, stderr) = xtask(&["check", "--links", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "tests/fixtures/seed/links.toml: ok: 6 modules, 6 models, 5 links (3 stored, 2 read-only), 20 relations\n"
    );
}

#[test]
fn check_reports_every_problem_and_writes_nothing() {
    let path = root().join("tests/fixtures/invalid/several_errors.toml");
    let before = std::fs::read_dir(root().join("tests/fixtures/invalid"))
        .unwrap()
        .count();
    let (code, stdout, stderr) = xtask(&["check", "--links", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty(), "{stdout}");
    let expected = link_codegen::check_toml(
        "tests/fixtures/invalid/several_errors.toml",
        &std::fs::read_to_string(&path).unwrap(),
    )
    .unwrap_err()
    .rendered;
    assert_eq!(stderr, expected);
    assert!(stderr.contains("has 6 problems"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(root().join("tests/fixtures/invalid"))
            .unwrap()
            .count(),
        before
    );
}

#[test]
fn codegen_refuses_an_invalid_file_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("xtask_cli_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let links = dir.join("links.toml");
    std::fs::write(
        &links,
        "[codegen]\nrust = \"out.rs\"\n\n[modules.a.models.a]\nfields = { id = \"txet\" }\n",
    )
    .unwrap();
    let (code, _, stderr) = xtask(&["codegen", "--links", links.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("unknown type `txet`"), "{stderr}");
    assert!(!dir.join("out.rs").exists());
    std::fs::remove_dir_all(dir).unwrap();
}
