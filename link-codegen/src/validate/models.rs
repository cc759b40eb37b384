//! Rules for one model: names, field types, the primary key, linkable keys
//! and the soft-delete column.

use std::collections::HashMap;

use link_model::{Field, LinkableKey, Model, ScalarType, list, s};

use super::Ctxt;
use super::idents::{check_ident, check_not_internal, parse_type, type_help};
use crate::ast::{LinkableKeyAst, ModelAst, Sp};
use crate::diagnostic::{Diagnostic, suggest};

/// Checks a model; returns it when it has no problem.
pub(super) fn check_model<S: Clone>(cx: &Ctxt<S>, module: &str, m: &ModelAst<S>) -> Option<Model> {
    let before = cx.count();
    check_ident(cx, &m.name, "model name");
    let table = match &m.table {
        Some(t) => {
            check_ident(cx, t, "table name");
            t.value.clone()
        }
        None => m.name.value.clone(),
    };
    let fields = check_fields(cx, m);
    check_has_fields(cx, module, m);
    let names: Vec<&str> = m.fields.iter().map(|f| f.name.value.as_str()).collect();
    let primary_key = m
        .primary_key
        .as_ref()
        .map_or("id", |p| p.value.as_str())
        .to_string();
    check_primary_key(cx, module, m, &primary_key, &names);
    check_primary_key_shown(cx, m, &primary_key);
    let linkable_keys = match &m.linkable_keys {
        None => vec![LinkableKey {
            name: s(format!("{}_{}", m.name.value, "id")),
            column: s(primary_key.clone()),
        }],
        Some(keys) => check_linkable_keys(cx, module, m, keys, &primary_key, &names),
    };
    if let Some(sd) = &m.soft_delete {
        check_soft_delete(cx, module, m, sd, &fields, &names);
    }
    (cx.count() == before).then(|| Model {
        name: s(m.name.value.clone()),
        table: s(table),
        primary_key: s(primary_key),
        linkable_keys: list(linkable_keys),
        fields: list(fields),
        soft_delete: m.soft_delete.as_ref().map(|sd| s(sd.value.clone())),
    })
}

/// Rule: each field has a snake_case name (not starting with `__`) and a
/// known type. Returns the fields whose type is known.
fn check_fields<S: Clone>(cx: &Ctxt<S>, m: &ModelAst<S>) -> Vec<Field> {
    let mut fields = Vec::new();
    for f in &m.fields {
        if check_ident(cx, &f.name, "field name") {
            check_not_internal(cx, &f.name, "field name");
        }
        match parse_type(&f.ty.value) {
            Some((ty, q)) => fields.push(Field {
                name: s(f.name.value.clone()),
                ty,
                nullable: q || f.nullable.as_ref().is_some_and(|n| n.value),
                hidden: f.hidden.as_ref().is_some_and(|h| h.value),
            }),
            None => cx.error(
                Diagnostic::new(
                    f.ty.span.clone(),
                    format!("unknown type `{}` for field `{}`", f.ty.value, f.name.value),
                    "unknown type",
                )
                .help_opt(type_help(&f.ty.value)),
            ),
        }
    }
    fields
}

/// Rule: the primary key is not hidden (every shape of a record carries it).
fn check_primary_key_shown<S: Clone>(cx: &Ctxt<S>, m: &ModelAst<S>, primary_key: &str) {
    let hidden = m
        .fields
        .iter()
        .find(|f| f.name.value == primary_key)
        .and_then(|f| f.hidden.as_ref())
        .filter(|h| h.value);
    if let Some(h) = hidden {
        cx.error(
            Diagnostic::new(
                h.span.clone(),
                format!(
                    "the primary key `{primary_key}` of `{}` cannot be hidden",
                    m.name.value
                ),
                "hidden primary key",
            )
            .help("remove `hidden = true`: records are always read with their key"),
        );
    }
}

/// Rule: a model declares at least one field.
fn check_has_fields<S: Clone>(cx: &Ctxt<S>, module: &str, m: &ModelAst<S>) {
    if m.fields.is_empty() {
        cx.error(
            Diagnostic::new(
                m.name.span.clone(),
                format!("model `{module}.{}` declares no fields", m.name.value),
                "no fields",
            )
            .help("add `fields = { id = \"text\", ... }` with at least the primary key"),
        );
    }
}

/// Rule: the primary key (`id` by default) is a declared field.
fn check_primary_key<S: Clone>(
    cx: &Ctxt<S>,
    module: &str,
    m: &ModelAst<S>,
    primary_key: &str,
    names: &[&str],
) {
    if m.fields.is_empty() || names.contains(&primary_key) {
        return;
    }
    let span = m
        .primary_key
        .as_ref()
        .map_or(&m.name.span, |p| &p.span)
        .clone();
    cx.error(
        Diagnostic::new(
            span,
            format!(
                "primary key `{primary_key}` is not a field of `{module}.{}`",
                m.name.value
            ),
            "not a declared field",
        )
        .help_opt(
            suggest(primary_key, names.iter().copied())
                .map(|h| format!("{h} (or declare `{primary_key}` in `fields`)")),
        ),
    );
}

/// Rule: `linkable_keys` is not empty, lists each key once, with snake_case
/// names and columns that are declared fields. Returns the keys read.
fn check_linkable_keys<S: Clone>(
    cx: &Ctxt<S>,
    module: &str,
    m: &ModelAst<S>,
    keys: &[LinkableKeyAst<S>],
    primary_key: &str,
    names: &[&str],
) -> Vec<LinkableKey> {
    if keys.is_empty() {
        cx.error(
            Diagnostic::new(
                m.name.span.clone(),
                format!(
                    "model `{module}.{}` has an empty `linkable_keys`",
                    m.name.value
                ),
                "no linkable keys",
            )
            .help(format!(
                "remove it to use the default `{}_id`",
                m.name.value
            )),
        );
    }
    let mut out = Vec::new();
    let mut seen: HashMap<&str, S> = HashMap::new();
    for k in keys {
        check_ident(cx, &k.name, "linkable key");
        if let Some(first) = seen.get(k.name.value.as_str()) {
            cx.error(
                Diagnostic::new(
                    k.name.span.clone(),
                    format!("linkable key `{}` is listed twice", k.name.value),
                    "listed again here",
                )
                .secondary(first.clone(), "first listed here"),
            );
            continue;
        }
        seen.insert(&k.name.value, k.name.span.clone());
        let column = match &k.column {
            Some(c) => {
                if !names.contains(&c.value.as_str()) && !m.fields.is_empty() {
                    cx.error(
                        Diagnostic::new(
                            c.span.clone(),
                            format!(
                                "linkable key column `{}` is not a field of `{module}.{}`",
                                c.value, m.name.value
                            ),
                            "not a declared field",
                        )
                        .help_opt(suggest(&c.value, names.iter().copied())),
                    );
                }
                c.value.clone()
            }
            None => primary_key.to_string(),
        };
        out.push(LinkableKey {
            name: s(k.name.value.clone()),
            column: s(column),
        });
    }
    out
}

/// Rule: the soft-delete column is a declared nullable timestamp.
fn check_soft_delete<S: Clone>(
    cx: &Ctxt<S>,
    module: &str,
    m: &ModelAst<S>,
    sd: &Sp<String, S>,
    fields: &[Field],
    names: &[&str],
) {
    match fields.iter().find(|f| f.name == sd.value) {
        // A declared field with an unknown type is reported on its type.
        None if !m.fields.is_empty() && !names.contains(&sd.value.as_str()) => cx.error(
            Diagnostic::new(
                sd.span.clone(),
                format!(
                    "soft-delete column `{}` is not a field of `{module}.{}`",
                    sd.value, m.name.value
                ),
                "not a declared field",
            )
            .help_opt(
                suggest(&sd.value, names.iter().copied())
                    .or_else(|| Some(format!("declare it: `{} = \"timestamp?\"`", sd.value))),
            ),
        ),
        Some(f) if f.ty != ScalarType::Timestamp || !f.nullable => cx.error(
            Diagnostic::new(
                sd.span.clone(),
                format!(
                    "soft-delete column `{}` must be a nullable timestamp, not `{}{}`",
                    sd.value,
                    f.ty.name(),
                    if f.nullable { "?" } else { "" }
                ),
                "wrong type",
            )
            .help(format!("declare it as `{} = \"timestamp?\"`", sd.value)),
        ),
        _ => {}
    }
}
