//! Rules for relation names: unique on their owner and distinct from the
//! owner's fields.

use std::collections::HashMap;

use link_model::{EntityRef, Link, Side, Via};

use super::{Ctxt, LinkSpans, ModuleWithSpans};
use crate::diagnostic::Diagnostic;

/// Rule: every relation name is unique on its owner and distinct from the
/// owner's fields. Links whose name repeats an earlier one (`duplicate`)
/// are skipped: their clashes follow from the error already reported.
pub(super) fn check_relations<S: Clone>(
    cx: &Ctxt<S>,
    modules: &[ModuleWithSpans<S>],
    links: &[Link],
    spans: &[LinkSpans<S>],
    duplicate: &[bool],
) {
    // owner -> name -> span of the first relation with it, and its id
    let mut seen: HashMap<(EntityRef, String), (S, SpanId)> = HashMap::new();
    for (i, link) in links.iter().enumerate() {
        if duplicate[i] {
            continue;
        }
        let relation_span = |side: usize| -> (S, SpanId) {
            let id = (i, side, spans[i].has_relation[side]);
            (spans[i].relation[side].clone(), id)
        };
        let alias_span =
            |side: usize| -> (S, SpanId) { (spans[i].alias[side].clone(), (i, side, false)) };
        let span_of = |rel: &link_model::Relation| -> (S, SpanId) {
            match rel.via {
                Via::Pivot { owner_side } => relation_span(side_index(owner_side.other())),
                Via::LinkRows { owner_side } => alias_span(side_index(owner_side.other())),
                Via::LinkSide { side } => alias_span(side_index(side)),
                Via::ForeignKey => relation_span(1),
                Via::ReverseForeignKey => relation_span(0),
            }
        };
        // Clashes of this link, merged when one edit (same span) fixes them.
        let mut clashes: Vec<Clash<S>> = Vec::new();
        for rel in link_model::derive_relations(std::slice::from_ref(link)) {
            let (span, span_id) = span_of(&rel);
            let owner_name = match &rel.owner {
                EntityRef::Model { module, model } => format!("{module}.{model}"),
                EntityRef::Link { link } => format!("link `{link}`"),
            };
            // Link-row and link-side relations are named after aliases.
            let by_alias = matches!(rel.via, Via::LinkRows { .. } | Via::LinkSide { .. });
            if let EntityRef::Model { module, model } = &rel.owner {
                let fields = modules
                    .iter()
                    .find(|(m, _)| m.name == *module)
                    .and_then(|(m, _)| m.models.iter().find(|x| x.name == *model))
                    .map(|m| m.fields.clone());
                if fields.is_some_and(|f| f.iter().any(|f| f.name == rel.name)) {
                    cx.error(
                        Diagnostic::new(
                            span.clone(),
                            format!("relation `{}` on {owner_name} has the name of one of its fields", rel.name),
                            format!("`{owner_name}.{}` is already a field", rel.name),
                        )
                        .help(if by_alias {
                            "set `alias` on this side to another name (link-row relations are named `<alias>_link`)"
                        } else {
                            "set `relation` (or `alias`) on this side to another name"
                        }),
                    );
                    continue;
                }
            }
            let key = (rel.owner.clone(), rel.name.to_string());
            if let Some((first, first_id)) = seen.get(&key) {
                let (first, first_id) = (first.clone(), *first_id);
                match clashes.iter_mut().find(|c| {
                    c.owner == rel.owner && c.span_id == span_id && c.first_id == first_id
                }) {
                    Some(c) => {
                        c.names.push(rel.name.to_string());
                        c.by_alias |= by_alias;
                    }
                    None => clashes.push(Clash {
                        owner: rel.owner.clone(),
                        owner_name,
                        names: vec![rel.name.to_string()],
                        span,
                        span_id,
                        first,
                        first_id,
                        by_alias,
                    }),
                }
            } else {
                seen.insert(key, (span, span_id));
            }
        }
        for c in clashes {
            let quoted: Vec<String> = c.names.iter().map(|n| format!("`{n}`")).collect();
            let (message, label, first_label) = if quoted.len() == 1 {
                (
                    format!("duplicate relation {} on {}", quoted[0], c.owner_name),
                    "second relation with this name",
                    "first relation with this name",
                )
            } else {
                let names = format!(
                    "{} and {}",
                    quoted[..quoted.len() - 1].join(", "),
                    quoted[quoted.len() - 1]
                );
                (
                    format!("duplicate relations {names} on {}", c.owner_name),
                    "second relations with these names",
                    "first relations with these names",
                )
            };
            let help = match (&c.owner, c.by_alias) {
                (EntityRef::Link { .. }, _) => {
                    "the link's sides are named after their aliases; set a distinct `alias` on one side"
                }
                (_, true) => {
                    "set a distinct `alias` on this side, which names both relations; see Medusa issue #10827"
                }
                (_, false) => {
                    "set a distinct `relation` (or `alias`) on this side; see Medusa issue #10827"
                }
            };
            cx.error(
                Diagnostic::new(c.span, message, label)
                    .secondary(c.first, first_label)
                    .help(help),
            );
        }
    }
}

/// Relation-name clashes of one link on one owner that one edit fixes.
struct Clash<S> {
    owner: EntityRef,
    owner_name: String,
    names: Vec<String>,
    span: S,
    span_id: SpanId,
    first: S,
    first_id: SpanId,
    by_alias: bool,
}

/// Identifies a relation's span without comparing spans (macro spans cannot
/// be): link index, side index, and whether it is the side's `relation`.
type SpanId = (usize, usize, bool);

/// 0 for the left side, 1 for the right.
fn side_index(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}
