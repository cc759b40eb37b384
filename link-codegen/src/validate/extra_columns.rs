//! Rules for a stored link's extra columns: names that are identifiers and
//! clash with neither the link table's columns nor its relations, known
//! types, and defaults that fit them.

use link_model::{ExtraColumn, LinkSide, ScalarType, s};

use super::defaults::default_for;
use super::idents::{check_ident, check_not_internal, parse_type, type_help};
use super::{Ctxt, RESERVED_LINK_COLUMNS};
use crate::ast::ExtraColumnAst;
use crate::diagnostic::{Diagnostic, one_of};

/// Checks every extra column. The clashes with the sides' keys and aliases
/// are checked only when both sides are valid (`sides`). Returns the columns
/// when none has a problem.
pub(super) fn check_extra_columns<S: Clone>(
    cx: &Ctxt<S>,
    cols: &[ExtraColumnAst<S>],
    sides: Option<[&LinkSide; 2]>,
) -> Option<Vec<ExtraColumn>> {
    let before = cx.count();
    let mut typed = true;
    let mut out = Vec::new();
    for c in cols {
        if check_ident(cx, &c.name, "extra column name") {
            check_not_internal(cx, &c.name, "extra column name");
        }
        if let Some(sides) = sides {
            check_column_name_free(cx, c, sides);
        }
        let Some(ty_sp) = &c.ty else {
            // Reported by the front end (`extra column ... has no type`).
            typed = false;
            continue;
        };
        let Some((ty, q)) = parse_type(&ty_sp.value) else {
            cx.error(
                Diagnostic::new(
                    ty_sp.span.clone(),
                    format!("unsupported extra-column type `{}`", ty_sp.value),
                    "unknown type",
                )
                .help_opt(type_help(&ty_sp.value)),
            );
            continue;
        };
        if ty == ScalarType::Enum {
            cx.error(
                Diagnostic::new(
                    ty_sp.span.clone(),
                    format!("extra column `{}` cannot be an enum", c.name.value),
                    "enum in a link table",
                )
                .help("link tables belong to no module and hold no database enum; use `text`"),
            );
            continue;
        }
        let default = match &c.default {
            None => None,
            Some(d) => match default_for(ty, &d.value) {
                Ok(v) => Some(v),
                Err(why) => {
                    cx.error(
                        Diagnostic::new(
                            d.span.clone(),
                            format!(
                                "default does not fit type `{}` of extra column `{}`",
                                ty.name(),
                                c.name.value
                            ),
                            why.label,
                        )
                        .help(why.help),
                    );
                    continue;
                }
            },
        };
        out.push(ExtraColumn {
            name: s(c.name.value.clone()),
            ty,
            nullable: q || c.nullable.as_ref().is_some_and(|n| n.value),
            default,
            hidden: c.hidden.as_ref().is_some_and(|h| h.value),
        });
    }
    (typed && cx.count() == before).then_some(out)
}

/// Rule: an extra column is named neither like a column every link table
/// has (`id`, the timestamps, the two keys) nor like a side's alias (the
/// link rows' relation to that side).
fn check_column_name_free<S: Clone>(cx: &Ctxt<S>, c: &ExtraColumnAst<S>, sides: [&LinkSide; 2]) {
    let [left, right] = sides;
    let reserved = RESERVED_LINK_COLUMNS.contains(&c.name.value.as_str())
        || c.name.value == *left.key
        || c.name.value == *right.key;
    if reserved {
        cx.error(
            Diagnostic::new(
                c.name.span.clone(),
                format!(
                    "extra column `{}` clashes with a column every link table has",
                    c.name.value
                ),
                "reserved column name",
            )
            .help(format!(
                "the table already has {}; choose another name",
                one_of(&[
                    &left.key,
                    &right.key,
                    "id",
                    "created_at",
                    "updated_at",
                    "deleted_at"
                ])
            )),
        );
    } else if let Some((which, side)) = [("left", left), ("right", right)]
        .into_iter()
        .find(|(_, side)| *side.alias == c.name.value)
    {
        cx.error(
            Diagnostic::new(
                c.name.span.clone(),
                format!(
                    "extra column `{}` has the name of the link's relation to its {which} side",
                    c.name.value
                ),
                format!(
                    "also the relation from link rows to `{}.{}`",
                    side.module, side.model
                ),
            )
            .help(format!(
                "link rows reach each side through a relation named after the side's \
                 alias, and `{}` is the {which} side's alias; rename the column, e.g. \
                 `{}_note`, or set another `alias` on the {which} side",
                side.alias, c.name.value
            )),
        );
    }
}
