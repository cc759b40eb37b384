//! Validation: spanned AST -> [`LinkGraph`], collecting every problem.
//!
//! Both front ends (`links.toml`, `#[define_link]`) end here, so the rules and
//! the resulting graph are identical whichever way a link was written.
//!
//! Laid out like serde_derive's `check.rs`: one small `check_*` function per
//! rule, grouped by what it checks (`codegen`, `modules`, `models`, `links`,
//! `sides`, `keys`, `extra_columns`, `defaults`, `names`, `relations`), all
//! reporting into a [`Ctxt`] that must be checked once every rule has run.
//! A rule runs whenever its inputs are valid, so one mistake never hides
//! another; a rule that would only repeat an earlier problem is skipped.

mod codegen;
mod ctxt;
mod defaults;
mod extra_columns;
mod idents;
mod keys;
mod links;
mod models;
mod modules;
mod names;
mod relations;
mod sides;

use std::collections::{HashMap, HashSet};

use link_model::{LinkGraph, Module};

use crate::ast::Document;
use crate::diagnostic::Diagnostics;

pub use ctxt::Ctxt;

/// Where generated files go, relative to the definition file's folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodegenConfig {
    /// Path of the generated Rust file.
    pub rust: Option<String>,
    /// Rust path of the generated module in the host crate (`crate::links` by default).
    pub module: Option<String>,
    /// Folder of the generated link migrations.
    pub migrations: Option<String>,
    /// Folder of the generated docs.
    pub docs: Option<String>,
    /// Path of the lock file.
    pub lock: Option<String>,
}

/// A valid definition: the link graph and the output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    /// Modules, models and links.
    pub graph: LinkGraph,
    /// Output settings of `[codegen]`.
    pub codegen: CodegenConfig,
    /// `[database] url`, as written.
    pub database_url: Option<String>,
    /// Links declared with `#[define_link]`: the macro provides their typed
    /// items, the generated file everything else.
    pub macro_links: Vec<String>,
    /// `(link name, Rust path of the module holding its items)` of the
    /// macro-declared links, for doc examples.
    pub macro_items: Vec<(String, String)>,
}

/// Columns every stored link table has besides its two keys.
pub const RESERVED_LINK_COLUMNS: [&str; 4] = ["id", "created_at", "updated_at", "deleted_at"];

/// Validates a document. Returns the graph when there is no problem, and
/// records every problem otherwise.
pub fn validate<S: Clone>(doc: &Document<S>, diags: &mut Diagnostics<S>) -> Option<Validated> {
    let cx = Ctxt::new();
    let codegen = doc
        .codegen
        .as_ref()
        .map(|c| codegen::check_codegen(&cx, c))
        .unwrap_or_default();
    let scope = modules::check_modules(&cx, &doc.modules);
    let model_names = names::check_model_names(&cx, &scope.modules);
    let mut links = Vec::new();
    let mut link_spans = Vec::new();
    for l in &doc.links {
        if let Some((link, spans)) = links::check_link(&cx, l, &scope) {
            links.push(link);
            link_spans.push(spans);
        }
    }
    let duplicate = names::check_link_uniqueness(&cx, &links, &link_spans);
    names::check_link_names(&cx, model_names, &links, &link_spans, &duplicate);
    relations::check_relations(&cx, &scope.modules, &links, &link_spans, &duplicate);
    if let Err(errors) = cx.check() {
        diags.list.extend(errors);
        return None;
    }
    Some(Validated {
        graph: LinkGraph::new(scope.modules.into_iter().map(|(m, _)| m).collect(), links),
        codegen,
        database_url: doc
            .database
            .as_ref()
            .and_then(|d| d.url.as_ref())
            .map(|u| u.value.clone()),
        macro_links: Vec::new(),
        macro_items: Vec::new(),
    })
}

/// The spans a validated link's names came from, for later checks.
pub(super) struct LinkSpans<S> {
    pub(super) table: S,
    /// Whether the link sets `table` (else `table` is the whole link's span).
    pub(super) has_table: bool,
    /// Span naming each side's relation on the other model (relation, alias or model).
    pub(super) relation: [S; 2],
    /// Span naming each side's alias.
    pub(super) alias: [S; 2],
    /// Whether each side sets `relation` (else `relation` is `alias`'s span).
    pub(super) has_relation: [bool; 2],
}

/// A validated module plus the spans of its model names.
pub(super) type ModuleWithSpans<S> = (Module, Vec<S>);

/// What the link rules know of the modules.
pub(super) struct Scope<S> {
    /// The valid modules (with only their valid models).
    pub(super) modules: Vec<ModuleWithSpans<S>>,
    /// `(module, model)` of models that are declared but invalid (already
    /// reported): links to them are skipped without a second error.
    pub(super) broken_models: HashSet<(String, String)>,
    /// Module -> names of every model it declares, valid or not (for hints).
    pub(super) declared_models: HashMap<String, Vec<String>>,
}
