//! `#[define_link]` compile-fail cases: each mistake gets a targeted error at
//! the offending token (`tests/ui/*.stderr`).

#[test]
fn define_link_compile_fail() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
