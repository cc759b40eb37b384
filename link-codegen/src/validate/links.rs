//! Rules for one link: both sides present and valid, options that fit the
//! link's kind (read-only or stored), the read-only `field`, the stored
//! link's table name, id prefix and extra columns.
//!
//! A problem on one side (a model typo, say) never hides the link's other
//! problems: every rule whose inputs are valid runs. Only rules that compare
//! the two sides wait for both to be valid, since they would otherwise
//! repeat the side's problem.

use link_model::{Link, LinkKind, LinkSide, ReadOnlyLink, StoredLink, list, naming, s};

use super::extra_columns::check_extra_columns;
use super::idents::{check_ident, is_ident};
use super::keys::{
    alias_span, check_aliases_fit_link_entity, check_pivot_keys, check_self_link_aliases,
};
use super::sides::{Resolved, check_side, resolve_model};
use super::{Ctxt, LinkSpans, Scope};
use crate::ast::{LinkAst, SideAst, Sp};
use crate::diagnostic::{Diagnostic, suggest};

/// Both sides of a link, as written and as validated.
struct Sides<'a, 'm, S> {
    asts: [&'a SideAst<S>; 2],
    sides: [LinkSide; 2],
    resolved: [Resolved<'m>; 2],
}

/// Checks a link; returns it, with the spans later rules need, when it has
/// no problem.
pub(super) fn check_link<S: Clone>(
    cx: &Ctxt<S>,
    l: &LinkAst<S>,
    scope: &Scope<S>,
) -> Option<(Link, LinkSpans<S>)> {
    let before = cx.count();
    let read_only = l.read_only.as_ref().is_some_and(|r| r.value);
    let mut resolved = [None, None];
    for (i, (which, side)) in [("left", &l.left), ("right", &l.right)]
        .into_iter()
        .enumerate()
    {
        match side {
            None => check_side_present(cx, l, which),
            Some(side) => resolved[i] = resolve_model(cx, side, which, scope),
        }
    }
    if read_only {
        check_read_only_options(cx, l);
    } else {
        check_field_on_stored(cx, l);
    }
    let left = l
        .left
        .as_ref()
        .and_then(|ast| check_side(cx, ast, resolved[0], read_only, true));
    let right = l
        .right
        .as_ref()
        .and_then(|ast| check_side(cx, ast, resolved[1], read_only, false));
    let sides = match (&l.left, &l.right, left, right, resolved) {
        (Some(la), Some(ra), Some(left), Some(right), [Some(lr), Some(rr)]) => Some(Sides {
            asts: [la, ra],
            sides: [left, right],
            resolved: [lr, rr],
        }),
        _ => None,
    };
    // Rules comparing the two sides.
    let sides = sides.filter(|b| {
        let [left, right] = &b.sides;
        check_self_link_aliases(cx, b.asts, [left, right])
            && (read_only
                || check_pivot_keys(
                    cx,
                    b.asts,
                    [left, right],
                    [b.resolved[0].1, b.resolved[1].1],
                ))
    });
    let link = if read_only {
        sides.and_then(|b| read_only_link(cx, l, b))
    } else {
        stored_link(cx, l, sides)
    };
    let link = link.filter(|_| cx.count() == before)?;
    let relation_span = |side: &SideAst<S>| {
        side.relation
            .as_ref()
            .map(|r| r.span.clone())
            .or_else(|| side.alias.as_ref().map(|a| a.span.clone()))
            .or_else(|| side.model.as_ref().map(|m| m.span.clone()))
            .unwrap_or_else(|| side.span.clone())
    };
    let (lside, rside) = (l.left.as_ref()?, l.right.as_ref()?);
    let spans = LinkSpans {
        table: l.table.as_ref().map_or(&l.span, |t| &t.span).clone(),
        has_table: l.table.is_some(),
        relation: [relation_span(lside), relation_span(rside)],
        alias: [alias_span(lside), alias_span(rside)],
        has_relation: [lside.relation.is_some(), rside.relation.is_some()],
    };
    Some((link, spans))
}

/// Rule: a link has a `left` and a `right` side.
fn check_side_present<S: Clone>(cx: &Ctxt<S>, l: &LinkAst<S>, which: &str) {
    cx.error(
        Diagnostic::new(
            l.span.clone(),
            format!("link has no `{which}` side"),
            format!("missing `{which}`"),
        )
        .help(format!("add `{which} = {{ model = \"module.model\" }}`")),
    );
}

/// Rule: a read-only link has no table, id prefix, extra columns or
/// cascades.
fn check_read_only_options<S: Clone>(cx: &Ctxt<S>, l: &LinkAst<S>) {
    for (opt, name) in [(&l.table, "table"), (&l.id_prefix, "id_prefix")] {
        if let Some(o) = opt {
            cx.error(
                Diagnostic::new(
                    o.span.clone(),
                    format!("`{name}` is not allowed on a read-only link"),
                    "not allowed here",
                )
                .help("read-only links have no table; remove it or drop `read_only = true`"),
            );
        }
    }
    if let Some(c) = l.extra_columns.first() {
        cx.error(
            Diagnostic::new(
                c.name.span.clone(),
                "`extra_columns` are not allowed on a read-only link",
                "not allowed here",
            )
            .help("read-only links have no table; remove them or drop `read_only = true`"),
        );
    }
    for side in [&l.left, &l.right].into_iter().flatten() {
        if let Some(dc) = &side.delete_cascade {
            cx.error(
                Diagnostic::new(
                    dc.span.clone(),
                    "`delete_cascade` is not allowed on a read-only link",
                    "not allowed here",
                )
                .help("cascades follow stored links only"),
            );
        }
    }
}

/// Rule: `field` is only set on a read-only link.
fn check_field_on_stored<S: Clone>(cx: &Ctxt<S>, l: &LinkAst<S>) {
    if let Some(f) = &l.field {
        cx.error(
            Diagnostic::new(
                f.span.clone(),
                "`field` is only allowed on a read-only link",
                "not allowed here",
            )
            .help("add `read_only = true`, or remove `field` to store the link in a table"),
        );
    }
}

/// Rule: a read-only link names a `field` of its left model. Returns the
/// link when it does.
fn read_only_link<S: Clone>(cx: &Ctxt<S>, l: &LinkAst<S>, b: Sides<'_, '_, S>) -> Option<Link> {
    let [left, right] = b.sides;
    let lmodel = b.resolved[0].1;
    let Some(field) = &l.field else {
        cx.error(
            Diagnostic::new(
                l.span.clone(),
                "read-only link has no `field`",
                "missing `field`",
            )
            .help(format!(
                "name the column of `{}.{}` that holds the `{}.{}` key, e.g. `field = \"{}_id\"`",
                left.module, left.model, right.module, right.model, right.model
            )),
        );
        return None;
    };
    if !lmodel.fields.iter().any(|f| f.name == field.value) {
        cx.error(
            Diagnostic::new(
                field.span.clone(),
                format!(
                    "`{}.{}` has no field `{}`",
                    left.module, left.model, field.value
                ),
                "not a declared field",
            )
            .help_opt(suggest(
                &field.value,
                lmodel.fields.iter().map(|f| &*f.name),
            )),
        );
        return None;
    }
    Some(Link {
        name: s(format!("{}_{}", left.model, right.relation)),
        left: LinkSide {
            key: s(field.value.clone()),
            ..left
        },
        right,
        kind: LinkKind::ReadOnly(ReadOnlyLink {
            field: s(field.value.clone()),
        }),
    })
}

/// Checks a stored link's own settings (table name, id prefix, extra
/// columns) whatever its sides, and the aliases against the link's entity
/// when the sides are valid. Returns the link when everything is valid.
fn stored_link<S: Clone>(
    cx: &Ctxt<S>,
    l: &LinkAst<S>,
    sides: Option<Sides<'_, '_, S>>,
) -> Option<Link> {
    let table_ok = l.table.as_ref().is_none_or(|t| check_table_name(cx, t));
    let id_prefix = check_id_prefix(cx, l.id_prefix.as_ref());
    let extra_columns = check_extra_columns(
        cx,
        &l.extra_columns,
        sides.as_ref().map(|b| [&b.sides[0], &b.sides[1]]),
    );
    let b = sides.filter(|_| table_ok)?;
    let [left, right] = b.sides;
    let uncompressed = match &l.table {
        Some(t) => t.value.clone(),
        None => naming::default_table_name(&left.module, &left.key, &right.module, &right.key),
    };
    let table = naming::link_table_name(&uncompressed);
    if !check_aliases_fit_link_entity(cx, &table, b.asts, [&left, &right]) {
        return None;
    }
    Some(Link {
        name: s(table.clone()),
        left,
        right,
        kind: LinkKind::Stored(StoredLink {
            table: s(table),
            index_hash: s(naming::simple_hash(&uncompressed)),
            id_prefix: s(id_prefix?),
            extra_columns: list(extra_columns?),
        }),
    })
}

/// Rule: a link's `table` is a snake_case identifier (a long one is
/// compressed the way Medusa does, so length is not checked).
fn check_table_name<S: Clone>(cx: &Ctxt<S>, t: &Sp<String, S>) -> bool {
    is_ident(&t.value) || check_ident(cx, t, "table name")
}

/// Rule: an id prefix matches `[a-z0-9]+`. Returns the prefix (`link` by
/// default) when it does.
fn check_id_prefix<S: Clone>(cx: &Ctxt<S>, prefix: Option<&Sp<String, S>>) -> Option<String> {
    let Some(p) = prefix else {
        return Some("link".to_string());
    };
    if !p.value.is_empty()
        && p.value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Some(p.value.clone());
    }
    let fixed: String = p
        .value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    cx.error(
        Diagnostic::new(
            p.span.clone(),
            format!("invalid id prefix `{}`", p.value),
            "must match `[a-z0-9]+`",
        )
        .help(if fixed.is_empty() {
            "use lowercase letters and digits only, e.g. `prodsc`".to_string()
        } else {
            format!("use lowercase letters and digits only, e.g. `{fixed}`")
        }),
    );
    None
}
