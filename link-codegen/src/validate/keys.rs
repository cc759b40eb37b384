//! Rules for the two sides of a link together: distinct aliases on a
//! self-link, link-table key columns that neither clash with each other nor
//! with the reserved columns, and aliases that fit the link's entity.

use link_model::{LinkSide, Model};

use super::{Ctxt, RESERVED_LINK_COLUMNS};
use crate::ast::SideAst;
use crate::diagnostic::Diagnostic;

/// Rule: the two sides of a self-link have distinct aliases. Returns whether
/// they do.
pub(super) fn check_self_link_aliases<S: Clone>(
    cx: &Ctxt<S>,
    asts: [&SideAst<S>; 2],
    sides: [&LinkSide; 2],
) -> bool {
    let [left, right] = sides;
    if left.module != right.module || left.model != right.model || left.alias != right.alias {
        return true;
    }
    let [lside, rside] = asts;
    cx.error(
        Diagnostic::new(
            alias_span(rside),
            format!(
                "self-link on `{}.{}` needs two distinct aliases",
                left.module, left.model
            ),
            format!("both sides are called `{}`", left.alias),
        )
        .secondary(alias_span(lside), "same alias here")
        .help("give each side an `alias`, e.g. `alias = \"parent\"` and `alias = \"child\"`"),
    );
    false
}

/// Rule: a stored link's table has one column per side named after the side's
/// key, next to `id` and the timestamps: the two keys must differ from
/// each other and from those columns. Reports the problems; returns
/// whether there is none.
pub(super) fn check_pivot_keys<S: Clone>(
    cx: &Ctxt<S>,
    asts: [&SideAst<S>; 2],
    sides: [&LinkSide; 2],
    models: [&Model; 2],
) -> bool {
    let mut ok = true;
    for ((ast, side), (model, which)) in asts
        .into_iter()
        .zip(sides)
        .zip(models.into_iter().zip(["left", "right"]))
    {
        if !RESERVED_LINK_COLUMNS.contains(&&*side.key) {
            continue;
        }
        ok = false;
        let column = key_column(model, &side.key);
        let new_key = format!("{}_id", model.name);
        let label = if ast.key.is_some() {
            "reserved column name".to_string()
        } else {
            format!("its key defaults to `{}`, a reserved column name", side.key)
        };
        cx.error(
            Diagnostic::new(
                key_span(ast),
                format!(
                    "key `{}` of the {which} side clashes with a column every link table has",
                    side.key
                ),
                label,
            )
            .help(format!(
                "the link table names a column after each side's key, next to `id`, \
                 `created_at`, `updated_at` and `deleted_at`; declare a linkable key such as \
                 `linkable_keys = [{}]` on `{}.{}` and use it as this side's `key`",
                key_literal(model, &new_key, column),
                side.module,
                side.model
            )),
        );
    }
    let [left, right] = sides;
    if !ok || left.key != right.key {
        return ok;
    }
    let [last, rast] = asts;
    let model = models[1];
    let self_link = left.module == right.module && left.model == right.model;
    let other_key = model
        .linkable_keys
        .iter()
        .map(|k| &*k.name)
        .find(|k| *k != &*right.key);
    let fix = match other_key {
        Some(other) => format!("set `key = \"{other}\"` on this side"),
        None => {
            let column = key_column(model, &right.key);
            let new_key = [
                format!("{}_id", right.alias),
                format!("related_{}", right.key),
            ]
            .into_iter()
            .find(|k| *k != *right.key)
            .unwrap_or_default();
            let keys: Vec<String> = model
                .linkable_keys
                .iter()
                .map(|k| key_literal(model, &k.name, &k.column))
                .chain([key_literal(model, &new_key, column)])
                .collect();
            format!(
                "declare `linkable_keys = [{}]` on `{}.{}` (two keys may name the same \
                 column) and set `key = \"{new_key}\"` on this side",
                keys.join(", "),
                right.module,
                right.model
            )
        }
    };
    let (message, help) = if self_link {
        (
            format!(
                "self-link on `{}.{}` uses the key `{}` on both sides",
                right.module, right.model, right.key
            ),
            format!(
                "a self-link needs two distinct linkable keys, one per link-table column; {fix}"
            ),
        )
    } else {
        (
            format!("both sides of the link use the key `{}`", right.key),
            format!("the link table names a column after each side's key; {fix}"),
        )
    };
    let label = if rast.key.is_some() {
        format!("the link table would have two `{}` columns", right.key)
    } else {
        format!(
            "its key defaults to `{}`: the link table would have two such columns",
            right.key
        )
    };
    cx.error(
        Diagnostic::new(key_span(rast), message, label)
            .secondary(
                key_span(last),
                if last.key.is_some() {
                    "the left side's key".to_string()
                } else {
                    format!("the left side's key defaults to `{}`", left.key)
                },
            )
            .help(help),
    );
    false
}

/// Rule: a stored link is queried as an entity (under the link's name) with
/// the table's columns and a relation to each side named after the
/// side's alias: an alias must not be one of those columns. (Extra
/// columns named like an alias are reported on the column.)
pub(super) fn check_aliases_fit_link_entity<S: Clone>(
    cx: &Ctxt<S>,
    link: &str,
    asts: [&SideAst<S>; 2],
    sides: [&LinkSide; 2],
) -> bool {
    let [left, right] = sides;
    let columns = [
        &*left.key,
        &*right.key,
        "id",
        "created_at",
        "updated_at",
        "deleted_at",
    ];
    let mut ok = true;
    for ((ast, side), which) in asts.into_iter().zip(sides).zip(["left", "right"]) {
        if !columns.contains(&&*side.alias) {
            continue;
        }
        ok = false;
        let label = if ast.alias.is_some() {
            "also a column of the link's rows".to_string()
        } else {
            format!(
                "the alias defaults to the model name `{}`, also a column of the link's rows",
                side.alias
            )
        };
        cx.error(
            Diagnostic::new(
                alias_span(ast),
                format!(
                    "alias `{}` of the {which} side clashes with a column of link `{link}`",
                    side.alias
                ),
                label,
            )
            .help(format!(
                "link `{link}` is queried as an entity with the columns {} and a relation \
                 to each side named after its alias; set another `alias` on this side",
                all_of(&columns)
            )),
        );
    }
    ok
}

/// `a`, `b` and `c`.
fn all_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Where a side's key was written, or the side's model when it is defaulted.
fn key_span<S: Clone>(side: &SideAst<S>) -> S {
    side.key
        .as_ref()
        .map(|k| k.span.clone())
        .or_else(|| side.model.as_ref().map(|m| m.span.clone()))
        .unwrap_or_else(|| side.span.clone())
}

/// Where a side's alias was written, or the side's model when it is defaulted.
pub(super) fn alias_span<S: Clone>(side: &SideAst<S>) -> S {
    side.alias
        .as_ref()
        .map(|a| a.span.clone())
        .or_else(|| side.model.as_ref().map(|m| m.span.clone()))
        .unwrap_or_else(|| side.span.clone())
}

/// The column a model's linkable key stands for.
fn key_column<'m>(model: &'m Model, key: &str) -> &'m str {
    model
        .linkable_keys
        .iter()
        .find(|k| k.name == key)
        .map_or(&*model.primary_key, |k| &*k.column)
}

/// A linkable key as written in `linkable_keys`.
fn key_literal(model: &Model, name: &str, column: &str) -> String {
    if column == &*model.primary_key {
        format!("\"{name}\"")
    } else {
        format!("{{ name = \"{name}\", column = \"{column}\" }}")
    }
}
