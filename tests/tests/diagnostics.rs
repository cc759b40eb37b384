//! Every file in `fixtures/invalid/` must be rejected, and its rendered
//! diagnostics (file:line:column, underline, label, help, count) are
//! snapshotted in `snapshots/`.

use std::fs;

#[test]
fn invalid() {
    insta::glob!("../fixtures/invalid", "*.toml", |path| {
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
