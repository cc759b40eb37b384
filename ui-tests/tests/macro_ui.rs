//! Compile-fail cases: each mistake gets a targeted error at the offending
//! token (`ui/*.stderr`): `#[define_link]`, typed ids, rooted paths and
//! typed filters (`wrong_root_path`), and `#[derive(Select)]` (`select_*`:
//! unknown field or relation, `Vec`/`Option` against the relation's
//! cardinality, a nullable column without `Option`, wrong scalar and id
//! types, a nested selection of another entity, the macro's own checks).
//!
//! The cases read a copy of the seed fixture, not whatever links.toml lies
//! above trybuild's build folder: they hold wherever `CARGO_TARGET_DIR`
//! points, and editing the workspace's links.toml does not change them.

#[test]
fn define_link_compile_fail() {
    // trybuild builds the cases in `<target dir>/tests/trybuild/link-ui-tests`,
    // where the macro's walk up from `CARGO_MANIFEST_DIR` finds this copy
    // first; errors name it relative to the crate (`links.toml:…`).
    let target = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target dir>/tmp");
    let project = target.join("tests/trybuild/link-ui-tests");
    std::fs::create_dir_all(&project).expect("trybuild project folder");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/seed/links.toml"
        ),
        project.join("links.toml"),
    )
    .expect("copy the seed links.toml");
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
