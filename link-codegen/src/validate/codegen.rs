//! Rules for `[codegen]`: a Rust module path and relative output paths.

use super::{CodegenConfig, Ctxt};
use crate::ast::{CodegenAst, Sp};
use crate::diagnostic::Diagnostic;

/// Checks `[codegen]` and returns the settings that are valid.
pub(super) fn check_codegen<S: Clone>(cx: &Ctxt<S>, c: &CodegenAst<S>) -> CodegenConfig {
    CodegenConfig {
        module: c.module.as_ref().and_then(|m| check_module_path(cx, m)),
        rust: c.rust.as_ref().and_then(|p| check_output_path(cx, p)),
        migrations: c.migrations.as_ref().and_then(|p| check_output_path(cx, p)),
        docs: c.docs.as_ref().and_then(|p| check_output_path(cx, p)),
        lock: c.lock.as_ref().and_then(|p| check_output_path(cx, p)),
    }
}

/// Rule: `module` is a Rust path (`my_app::links`).
fn check_module_path<S: Clone>(cx: &Ctxt<S>, m: &Sp<String, S>) -> Option<String> {
    let ok = !m.value.is_empty()
        && m.value.split("::").all(|seg| {
            let mut ch = seg.chars();
            matches!(ch.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && ch.all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    if !ok {
        cx.error(
            Diagnostic::new(
                m.span.clone(),
                format!("invalid Rust module path `{}`", m.value),
                "not a path",
            )
            .help("write it like `my_app::links`"),
        );
    }
    ok.then(|| m.value.clone())
}

/// Rule: an output path is non-empty, relative and has no `..`.
fn check_output_path<S: Clone>(cx: &Ctxt<S>, p: &Sp<String, S>) -> Option<String> {
    if p.value.is_empty() || p.value.starts_with('/') || p.value.split('/').any(|c| c == "..") {
        cx.error(
            Diagnostic::new(
                p.span.clone(),
                format!("invalid output path `{}`", p.value),
                "here",
            )
            .help("use a non-empty path relative to links.toml, without `..`"),
        );
        return None;
    }
    Some(p.value.clone())
}
