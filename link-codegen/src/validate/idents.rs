//! Rules for names and type names as written: snake_case identifiers no
//! longer than PostgreSQL keeps, and the field types.

use link_model::{ScalarType, naming};

use super::Ctxt;
use crate::ast::Sp;
use crate::diagnostic::{Diagnostic, suggest};

/// Longest identifier Postgres keeps.
const MAX_IDENT: usize = 63;

/// Whether `s` is a lowercase snake_case identifier.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Rule: a name is a snake_case identifier of at most 63 characters.
/// Returns whether it is.
pub(super) fn check_ident<S: Clone>(cx: &Ctxt<S>, name: &Sp<String, S>, what: &str) -> bool {
    if !is_ident(&name.value) {
        let fixed = naming::snake_case(&name.value)
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect::<String>();
        let help = if is_ident(&fixed) {
            format!(
                "use lowercase letters, digits and `_`, starting with a letter or `_`, e.g. `{fixed}`"
            )
        } else {
            "use lowercase letters, digits and `_`, starting with a letter or `_`".to_string()
        };
        cx.error(
            Diagnostic::new(
                name.span.clone(),
                format!("invalid {what} `{}`", name.value),
                "not a lowercase snake_case identifier",
            )
            .help(help),
        );
        return false;
    }
    if name.value.len() > MAX_IDENT {
        cx.error(
            Diagnostic::new(
                name.span.clone(),
                format!(
                    "{what} `{}` is longer than {MAX_IDENT} characters",
                    name.value
                ),
                format!("{} characters", name.value.len()),
            )
            .help("PostgreSQL truncates longer identifiers; choose a shorter name"),
        );
        return false;
    }
    true
}

/// Rule: a column's name (a field, an extra column) does not start with
/// `__`. Query's statements name the columns they add that way (`__c0`,
/// `__o0`, `__hit`, `__rn`, `__k_…`), and a field of such a name would make
/// a statement's column ambiguous on the database.
pub(super) fn check_not_internal<S: Clone>(cx: &Ctxt<S>, name: &Sp<String, S>, what: &str) {
    if name.value.starts_with("__") {
        cx.error(
            Diagnostic::new(
                name.span.clone(),
                format!("{what} `{}` starts with `__`", name.value),
                "reserved prefix",
            )
            .help("names starting with `__` are kept for the columns Query adds to its statements (`__c0`, `__o0`, `__hit`, ...); choose another name"),
        );
    }
}

/// A type name with an optional `?` (nullable) suffix.
pub(super) fn parse_type(raw: &str) -> Option<(ScalarType, bool)> {
    match raw.strip_suffix('?') {
        Some(base) => ScalarType::parse(base).map(|t| (t, true)),
        None => ScalarType::parse(raw).map(|t| (t, false)),
    }
}

/// The hint for an unknown type name: the type meant by a common alias
/// (`string`, `int`, `jsonb`, ...), else the closest type name.
pub(super) fn type_help(raw: &str) -> Option<String> {
    let base = raw.strip_suffix('?').unwrap_or(raw);
    let aliases = [
        ("string", "text"),
        ("varchar", "text"),
        ("int", "integer"),
        ("int4", "integer"),
        ("int8", "bigint"),
        ("bool", "boolean"),
        ("jsonb", "json"),
        ("datetime", "timestamp"),
        ("timestamptz", "timestamp"),
        ("real", "float"),
        ("numeric", "decimal"),
    ];
    if let Some((_, to)) = aliases.iter().find(|(from, _)| *from == base) {
        return Some(format!("did you mean `{to}`? (append `?` for nullable)"));
    }
    let names: Vec<&str> = ScalarType::ALL.iter().map(|t| t.name()).collect();
    suggest(base, names.iter().copied()).map(|h| {
        if h.starts_with("did you mean") {
            h
        } else {
            format!("{h} (append `?` for nullable)")
        }
    })
}
