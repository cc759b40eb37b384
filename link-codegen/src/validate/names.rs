//! Rules for entity names: link names are unique, model names are unique
//! across modules, and no two entities generate the same Rust type.

use std::collections::HashMap;

use link_model::Link;

use super::{Ctxt, LinkSpans, ModuleWithSpans};
use crate::diagnostic::Diagnostic;
use crate::names::type_name;

/// Rule: link names (stored: the table) are unique. Returns, per link,
/// whether it repeats an earlier link's name (already reported).
pub(super) fn check_link_uniqueness<S: Clone>(
    cx: &Ctxt<S>,
    links: &[Link],
    spans: &[LinkSpans<S>],
) -> Vec<bool> {
    let mut duplicate = vec![false; links.len()];
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, link) in links.iter().enumerate() {
        let Some(&first) = names.get(&*link.name) else {
            names.insert(&link.name, i);
            continue;
        };
        duplicate[i] = true;
        // A read-only link is named after its left model and right relation.
        let span_of = |j: usize| {
            if links[j].is_read_only() {
                spans[j].relation[1].clone()
            } else {
                spans[j].table.clone()
            }
        };
        let d = match (links[first].is_read_only(), link.is_read_only()) {
            (false, false) => Diagnostic::new(
                span_of(i),
                format!("two links produce the table `{}`", link.name),
                "second link with this table",
            )
            .secondary(span_of(first), "first link with this table")
            .help("set a distinct `table` on one of them"),
            (true, true) => Diagnostic::new(
                span_of(i),
                format!("two read-only links are both named `{}`", link.name),
                "second link with this name",
            )
            .secondary(span_of(first), "first link with this name")
            .help(
                "read-only links are named `<left model>_<right relation>`; \
                 give one of them another `relation` on its right side",
            ),
            _ => Diagnostic::new(
                span_of(i),
                format!("two links are both named `{}`", link.name),
                "second link with this name",
            )
            .secondary(span_of(first), "first link with this name")
            .help(
                "a read-only link is named `<left model>_<right relation>`; \
                 set another `table` on the stored link or another `relation` \
                 on the read-only link's right side",
            ),
        };
        cx.error(d);
    }
    duplicate
}

/// Rule: Query entities (models and stored links) share one namespace, and
/// each gets a generated Rust type named after it (models also an id
/// type `<Model>Id`): model names must be unique across modules, and no
/// two models may produce the same Rust type. Returns the names taken,
/// for [`check_link_names`].
pub(super) fn check_model_names<S: Clone>(
    cx: &Ctxt<S>,
    modules: &[ModuleWithSpans<S>],
) -> EntityNames<S> {
    let mut names: EntityNames<S> = EntityNames {
        models: HashMap::new(),
        types: HashMap::new(),
        ids: HashMap::new(),
    };
    let EntityNames { models, types, ids } = &mut names;
    for (module, model_spans) in modules {
        for (model, span) in module.models.iter().zip(model_spans) {
            let qualified = format!("{}.{}", module.name, model.name);
            let ty = type_name(&model.name);
            if let Some((first, first_span)) = models.get(&*model.name) {
                let renamed = format!("{}_{}", module.name, model.name);
                let keep = if renamed == *model.table {
                    String::new()
                } else {
                    format!(" with `table = \"{}\"` to keep its table", model.table)
                };
                cx.error(
                    Diagnostic::new(
                        span.clone(),
                        format!("model name `{}` is declared in two modules", model.name),
                        format!("`{qualified}` declared here"),
                    )
                    .secondary(first_span.clone(), format!("`{first}` declared here"))
                    .help(format!(
                        "generated Rust types (`{ty}`) and Query entities are named after the \
                         model alone, so model names must be unique across modules; rename \
                         one, e.g. `{renamed}`{keep}"
                    )),
                );
                continue;
            }
            models.insert(model.name.to_string(), (qualified.clone(), span.clone()));
            let what = format!("model `{qualified}`");
            if let Some((first, first_span)) = types.get(&ty) {
                cx.error(
                    Diagnostic::new(
                        span.clone(),
                        format!("{what} generates the Rust type `{ty}`, like {first}"),
                        format!("also generates `{ty}`"),
                    )
                    .secondary(first_span.clone(), format!("generates `{ty}`"))
                    .help("generated Rust types are the PascalCase of entity names; rename one of the models"),
                );
                continue;
            }
            ids.insert(
                format!("{ty}Id"),
                (format!("the id type of {what}"), span.clone()),
            );
            types.insert(ty, (what, span.clone()));
        }
    }
    names
}

/// Rule: a stored link is not named like a model (Query entities share one
/// namespace), nor produce the Rust type of a model, of a model's id or
/// of another link. Links whose name repeats an earlier one (`duplicate`,
/// already reported) are skipped.
pub(super) fn check_link_names<S: Clone>(
    cx: &Ctxt<S>,
    names: EntityNames<S>,
    links: &[Link],
    spans: &[LinkSpans<S>],
    duplicate: &[bool],
) {
    let EntityNames {
        models,
        mut types,
        ids,
    } = names;
    for (i, link) in links.iter().enumerate() {
        if duplicate[i] || link.is_read_only() {
            continue;
        }
        let span = spans[i].table.clone();
        let example = format!("{}_{}", link.left.alias, link.right.alias);
        let rename = if example != *link.name && !models.contains_key(example.as_str()) {
            format!("set another `table` on the link, e.g. `{example}`")
        } else {
            "set another `table` on the link".to_string()
        };
        if let Some((model, model_span)) = models.get(&*link.name) {
            cx.error(
                Diagnostic::new(
                    span,
                    format!("link `{}` has the name of model `{model}`", link.name),
                    if spans[i].has_table {
                        "link table named like a model".to_string()
                    } else {
                        format!("its table defaults to `{}`", link.name)
                    },
                )
                .secondary(model_span.clone(), "model declared here")
                .help(format!(
                    "Query entities share one namespace: model names and stored links' \
                     names (their tables); {rename}"
                )),
            );
            continue;
        }
        let ty = type_name(&link.name);
        if let Some((first, first_span)) = types.get(&ty).or_else(|| ids.get(&ty)) {
            cx.error(
                Diagnostic::new(
                    span,
                    format!(
                        "link `{}` generates the Rust type `{ty}`, like {first}",
                        link.name
                    ),
                    format!("also generates `{ty}`"),
                )
                .secondary(first_span.clone(), format!("generates `{ty}`"))
                .help(format!(
                    "generated Rust types are the PascalCase of entity names; {rename}"
                )),
            );
            continue;
        }
        types.insert(ty, (format!("link `{}`", link.name), span));
    }
}

/// Entity names and generated Rust types taken by models.
pub(super) struct EntityNames<S> {
    /// Model name -> (`module.model`, span).
    models: HashMap<String, (String, S)>,
    /// Rust type of a model -> (description of the model, span).
    types: HashMap<String, (String, S)>,
    /// Id type of a model -> (description, span). Id types live in another
    /// generated module than entities, but the link records' modules import
    /// them.
    ids: HashMap<String, (String, S)>,
}
