//! Every file in `fixtures/invalid/` must be rejected, and its rendered
//! diagnostics (file:line:column, underline, label, help, count) are
//! snapshotted in `snapshots/`.

use std::fs;

#[test]
fn invalid() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid");
    let files = link_tests::fixture_files(&dir, None, ".toml");
    assert!(files.len() >= 49, "{}", files.len());
    link_tests::for_each_fixture(&files, |path, label| {
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(label);
        settings.set_input_file(path);
        let _guard = settings.bind_to_scope();
        let source = fs::read_to_string(path).expect("fixture is readable");
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("fixture has a UTF-8 name");
        let err = match link_codegen::check_toml(file_name, &source) {
            Ok(_) => panic!("{file_name} validated, but it is an invalid fixture"),
            Err(e) => e,
        };
        assert!(
            !err.diagnostics.is_empty(),
            "{file_name}: error without diagnostics"
        );
        assert_eq!(err.rendered, err.to_string());
        insta::assert_snapshot!(err.rendered);
    });
}
