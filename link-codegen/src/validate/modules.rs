//! Rules for `[modules]`: each module declared once, with valid names and at
//! least one model, and each table owned by one model per data source.

use std::collections::{HashMap, HashSet};

use link_model::{Module, list, s};

use super::idents::check_ident;
use super::models::check_model;
use super::{Ctxt, Scope};
use crate::ast::{ModelAst, ModuleAst};
use crate::diagnostic::Diagnostic;

/// Checks every module and its models; returns the valid ones and the names
/// of every declared model (valid or not), for the link rules.
pub(super) fn check_modules<S: Clone>(cx: &Ctxt<S>, modules: &[ModuleAst<S>]) -> Scope<S> {
    let mut scope = Scope {
        modules: Vec::new(),
        broken_models: HashSet::new(),
        declared_models: HashMap::new(),
    };
    let mut seen: HashMap<&str, S> = HashMap::new();
    // (data source, table) -> span of the model that owns it
    let mut tables: HashMap<(String, String), S> = HashMap::new();
    for m in modules {
        if let Some(first) = seen.get(m.name.value.as_str()) {
            cx.error(
                Diagnostic::new(
                    m.name.span.clone(),
                    format!("module `{}` is declared twice", m.name.value),
                    "declared again here",
                )
                .secondary(first.clone(), "first declared here")
                .help("merge the two declarations"),
            );
            continue;
        }
        seen.insert(&m.name.value, m.name.span.clone());
        scope.declared_models.insert(
            m.name.value.clone(),
            m.models.iter().map(|x| x.name.value.clone()).collect(),
        );
        check_ident(cx, &m.name, "module name");
        let data_source = match &m.data_source {
            Some(ds) => {
                check_ident(cx, ds, "data source name");
                ds.value.clone()
            }
            None => "default".to_string(),
        };
        check_has_models(cx, m);
        let mut models = Vec::new();
        let mut spans = Vec::new();
        let mut model_names: HashMap<&str, S> = HashMap::new();
        for model in &m.models {
            if let Some(first) = model_names.get(model.name.value.as_str()) {
                cx.error(
                    Diagnostic::new(
                        model.name.span.clone(),
                        format!(
                            "model `{}.{}` is declared twice",
                            m.name.value, model.name.value
                        ),
                        "declared again here",
                    )
                    .secondary(first.clone(), "first declared here"),
                );
                continue;
            }
            model_names.insert(&model.name.value, model.name.span.clone());
            let Some(vm) = check_model(cx, &m.name.value, model) else {
                scope
                    .broken_models
                    .insert((m.name.value.clone(), model.name.value.clone()));
                continue;
            };
            check_table_owner(cx, &mut tables, &data_source, &vm.table, model);
            models.push(vm);
            spans.push(model.name.span.clone());
        }
        scope.modules.push((
            Module {
                name: s(m.name.value.clone()),
                data_source: s(data_source),
                models: list(models),
            },
            spans,
        ));
    }
    scope
}

/// Rule: a module declares at least one model.
fn check_has_models<S: Clone>(cx: &Ctxt<S>, m: &ModuleAst<S>) {
    if m.models.is_empty() {
        cx.error(
            Diagnostic::new(
                m.name.span.clone(),
                format!("module `{}` declares no models", m.name.value),
                "no linkable models",
            )
            .help(format!(
                "add `[modules.{0}.models.{0}]` with its table, keys and fields",
                m.name.value
            )),
        );
    }
}

/// Rule: within a data source, each table belongs to one model.
fn check_table_owner<S: Clone>(
    cx: &Ctxt<S>,
    tables: &mut HashMap<(String, String), S>,
    data_source: &str,
    table: &str,
    model: &ModelAst<S>,
) {
    let key = (data_source.to_string(), table.to_string());
    let span = model
        .table
        .as_ref()
        .map_or(&model.name.span, |t| &t.span)
        .clone();
    if let Some(first) = tables.get(&key) {
        cx.error(
            Diagnostic::new(
                span,
                format!("table `{table}` belongs to two models"),
                "used again here",
            )
            .secondary(first.clone(), "first used here")
            .help("each model owns its own table; set a distinct `table`"),
        );
    } else {
        tables.insert(key, span);
    }
}

/// Model names of the declared module `module`, valid or not.
pub(super) fn declared_models<'s, S>(scope: &'s Scope<S>, module: &str) -> &'s [String] {
    scope
        .declared_models
        .get(module)
        .map_or(&[], |names| names.as_slice())
}
