//! Rules for one side of a link: its `model` names a declared model, its
//! `key` is one of the model's keys, and its alias and relation are names.

use link_model::{LinkSide, Model, Module, naming, s};

use super::idents::check_ident;
use super::modules::declared_models;
use super::{Ctxt, Scope};
use crate::ast::SideAst;
use crate::diagnostic::{Diagnostic, one_of, suggest};

/// A side's model once resolved.
pub(super) type Resolved<'m> = (&'m Module, &'m Model);

/// Rule: `model` is `module.model` of a declared, valid model. A declared
/// model with problems of its own resolves to `None` without a second
/// report.
pub(super) fn resolve_model<'m, S: Clone>(
    cx: &Ctxt<S>,
    side: &SideAst<S>,
    which: &str,
    scope: &'m Scope<S>,
) -> Option<Resolved<'m>> {
    let modules = &scope.modules;
    let Some(target) = &side.model else {
        cx.error(
            Diagnostic::new(
                side.span.clone(),
                format!("`{which}` has no `model`"),
                "missing `model`",
            )
            .help(
                "name the model as `model = \"module.model\"`, e.g. `model = \"product.product\"`",
            ),
        );
        return None;
    };
    let Some((module_name, model_name)) = target.value.split_once('.') else {
        let help = declared_models(scope, &target.value)
            .first()
            .map(|model| format!("write `{}.{model}`", target.value))
            .unwrap_or_else(|| "write it as `module.model`, e.g. `product.product`".to_string());
        cx.error(
            Diagnostic::new(
                target.span.clone(),
                format!("`{}` is not of the form `module.model`", target.value),
                "expected `module.model`",
            )
            .help(help),
        );
        return None;
    };
    let Some((module, _)) = modules.iter().find(|(m, _)| m.name == module_name) else {
        cx.error(
            Diagnostic::new(
                target.span.clone(),
                format!("unknown module `{module_name}`"),
                "not declared in `[modules]`",
            )
            .help_opt(suggest(module_name, modules.iter().map(|(m, _)| &*m.name))),
        );
        return None;
    };
    let Some(model) = module.models.iter().find(|m| m.name == model_name) else {
        let broken = (module_name.to_string(), model_name.to_string());
        if scope.broken_models.contains(&broken) {
            // Declared but invalid: its own errors say why.
            return None;
        }
        // Suggest among every declared model, valid or not: a typo of a
        // model that has problems of its own still gets its hint.
        let declared = declared_models(scope, module_name);
        cx.error(
            Diagnostic::new(
                target.span.clone(),
                format!("module `{module_name}` has no model `{model_name}`"),
                "unknown model",
            )
            .help_opt(suggest(model_name, declared.iter().map(String::as_str))),
        );
        return None;
    };
    Some((module, model))
}

/// Checks a side's `key`, `alias` and `relation`. The names are checked even
/// when the side's model did not resolve (`resolved` is `None`); the key
/// only against a resolved model. Returns the side when it resolved and has
/// no problem.
pub(super) fn check_side<S: Clone>(
    cx: &Ctxt<S>,
    side: &SideAst<S>,
    resolved: Option<Resolved<'_>>,
    read_only: bool,
    is_left: bool,
) -> Option<LinkSide> {
    let before = cx.count();
    let key = if read_only && is_left {
        check_no_key_on_read_only_left(cx, side);
        Some(String::new())
    } else {
        resolved.map(|(module, model)| check_key(cx, side, module, model, read_only))
    };
    let alias = match &side.alias {
        Some(a) => {
            check_ident(cx, a, "alias");
            Some(a.value.clone())
        }
        None => resolved.map(|(_, model)| model.name.to_string()),
    };
    let is_list = side.is_list.as_ref().is_some_and(|b| b.value);
    let relation = match &side.relation {
        Some(r) => {
            check_ident(cx, r, "relation name");
            Some(r.value.clone())
        }
        None => alias.as_ref().map(|alias| {
            if is_list {
                naming::pluralize(alias)
            } else {
                alias.clone()
            }
        }),
    };
    let (module, model) = resolved?;
    if cx.count() > before {
        return None;
    }
    Some(LinkSide {
        module: module.name.clone(),
        model: model.name.clone(),
        key: s(key?),
        alias: s(alias?),
        relation: s(relation?),
        is_list,
        delete_cascade: side.delete_cascade.as_ref().is_some_and(|b| b.value),
    })
}

/// Rule: the left side of a read-only link has no `key` (it joins on the
/// link's `field`).
fn check_no_key_on_read_only_left<S: Clone>(cx: &Ctxt<S>, side: &SideAst<S>) {
    if let Some(k) = &side.key {
        cx.error(
            Diagnostic::new(
                k.span.clone(),
                "`key` is not used on the left side of a read-only link",
                "not allowed here",
            )
            .help("the left side joins on the link's `field`; remove `key`"),
        );
    }
}

/// Rule: a side's `key` is a linkable key of its model (on the right side of
/// a read-only link: a field). Returns the key, defaulted when not written.
fn check_key<S: Clone>(
    cx: &Ctxt<S>,
    side: &SideAst<S>,
    module: &Module,
    model: &Model,
    read_only: bool,
) -> String {
    let Some(k) = &side.key else {
        return if read_only {
            model.primary_key.to_string()
        } else {
            model
                .linkable_keys
                .first()
                .map(|k| k.name.to_string())
                .unwrap_or_default()
        };
    };
    if read_only {
        if !model.fields.iter().any(|f| f.name == k.value) {
            cx.error(
                Diagnostic::new(
                    k.span.clone(),
                    format!(
                        "`{}.{}` has no field `{}`",
                        module.name, model.name, k.value
                    ),
                    "not a declared field",
                )
                .help_opt(suggest(&k.value, model.fields.iter().map(|f| &*f.name))),
            );
        }
    } else if !model.linkable_keys.iter().any(|lk| lk.name == k.value) {
        let valid: Vec<&str> = model.linkable_keys.iter().map(|lk| &*lk.name).collect();
        let hint = match suggest(&k.value, valid.iter().copied()) {
            Some(h) if h.starts_with("did you mean") => h,
            _ => format!("expected {}", one_of(&valid)),
        };
        cx.error(
            Diagnostic::new(
                k.span.clone(),
                format!("{} has no linkable key `{}`", model.name, k.value),
                "unknown linkable key",
            )
            .help(hint),
        );
    }
    k.value.clone()
}
