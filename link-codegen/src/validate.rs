//! Validation: spanned AST -> [`LinkGraph`], collecting every problem.
//!
//! Both front ends (`links.toml`, `#[define_link]`) end here, so the rules and
//! the resulting graph are identical whichever way a link was written.

use std::collections::{HashMap, HashSet};

use link_model::naming;
use link_model::{
    DefaultValue, EntityRef, ExtraColumn, Field, Link, LinkGraph, LinkKind, LinkSide, LinkableKey,
    Model, Module, ReadOnlyLink, ScalarType, Side, StoredLink, Via, list, s,
};

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Diagnostics, one_of, suggest};
use crate::emit::rust::type_name;

/// Where generated files go, relative to the definition file's folder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodegenConfig {
    pub rust: Option<String>,
    /// Rust path of the generated module in the host crate (`crate::links` by default).
    pub module: Option<String>,
    pub migrations: Option<String>,
    pub docs: Option<String>,
    pub lock: Option<String>,
}

/// A valid definition: the link graph and the output settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validated {
    pub graph: LinkGraph,
    pub codegen: CodegenConfig,
    /// Links declared with `#[define_link]`: the macro provides their typed
    /// items, the generated file everything else.
    pub macro_links: Vec<String>,
    /// `(link name, Rust path of the module holding its items)` of the
    /// macro-declared links, for doc examples.
    pub macro_items: Vec<(String, String)>,
}

/// Columns every stored link table has besides its two keys.
pub const RESERVED_LINK_COLUMNS: [&str; 4] = ["id", "created_at", "updated_at", "deleted_at"];

/// Longest identifier Postgres keeps.
const MAX_IDENT: usize = 63;

/// Validates a document. Returns the graph when there is no problem, and
/// records every problem otherwise.
pub fn validate<S: Clone>(doc: &Document<S>, diags: &mut Diagnostics<S>) -> Option<Validated> {
    let before = diags.list.len();
    let mut v = Validator {
        diags,
        broken_models: HashSet::new(),
    };
    let codegen = doc
        .codegen
        .as_ref()
        .map(|c| v.codegen(c))
        .unwrap_or_default();
    let modules = v.modules(&doc.modules);
    let model_names = v.check_model_names(&modules);
    let mut links = Vec::new();
    let mut link_spans = Vec::new();
    for l in &doc.links {
        if let Some((link, spans)) = v.link(l, &modules) {
            links.push(link);
            link_spans.push(spans);
        }
    }
    let duplicate = v.check_link_uniqueness(&links, &link_spans, &doc.links);
    v.check_link_names(model_names, &links, &link_spans, &duplicate);
    v.check_relations(&modules, &links, &link_spans, &duplicate);
    if diags.list.len() > before {
        return None;
    }
    Some(Validated {
        graph: LinkGraph::new(modules.into_iter().map(|(m, _)| m).collect(), links),
        codegen,
        macro_links: Vec::new(),
        macro_items: Vec::new(),
    })
}

/// The spans a validated link's names came from, for later checks.
struct LinkSpans<S> {
    table: S,
    /// Whether the link sets `table` (else `table` is the whole link's span).
    has_table: bool,
    /// Span naming each side's relation on the other model (relation, alias or model).
    relation: [S; 2],
    /// Span naming each side's alias.
    alias: [S; 2],
    /// Whether each side sets `relation` (else `relation` is `alias`'s span).
    has_relation: [bool; 2],
}

/// A validated module plus the spans of its model names.
type ModuleWithSpans<S> = (Module, Vec<S>);

struct Validator<'d, S> {
    diags: &'d mut Diagnostics<S>,
    /// `(module, model)` of models that are declared but invalid (already
    /// reported): links to them are skipped without a second error.
    broken_models: HashSet<(String, String)>,
}

pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A type name with an optional `?` (nullable) suffix.
fn parse_type(raw: &str) -> Option<(ScalarType, bool)> {
    match raw.strip_suffix('?') {
        Some(base) => ScalarType::parse(base).map(|t| (t, true)),
        None => ScalarType::parse(raw).map(|t| (t, false)),
    }
}

fn type_names() -> Vec<&'static str> {
    ScalarType::ALL.iter().map(|t| t.name()).collect()
}

impl<S: Clone> Validator<'_, S> {
    fn err(&mut self, d: Diagnostic<S>) {
        self.diags.push(d);
    }

    /// Checks an identifier; returns whether it is valid.
    fn ident(&mut self, name: &Sp<String, S>, what: &str) -> bool {
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
            self.err(
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
            self.err(
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

    fn codegen(&mut self, c: &CodegenAst<S>) -> CodegenConfig {
        let module = c.module.as_ref().and_then(|m| {
            let ok = !m.value.is_empty()
                && m.value.split("::").all(|seg| {
                    let mut ch = seg.chars();
                    matches!(ch.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                        && ch.all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if !ok {
                self.diags.push(
                    Diagnostic::new(
                        m.span.clone(),
                        format!("invalid Rust module path `{}`", m.value),
                        "not a path",
                    )
                    .help("write it like `my_app::links`"),
                );
            }
            ok.then(|| m.value.clone())
        });
        let mut path = |p: &Option<Sp<String, S>>| -> Option<String> {
            let p = p.as_ref()?;
            if p.value.is_empty()
                || p.value.starts_with('/')
                || p.value.split('/').any(|c| c == "..")
            {
                self.diags.push(
                    Diagnostic::new(
                        p.span.clone(),
                        format!("invalid output path `{}`", p.value),
                        "here",
                    )
                    .help("use a non-empty path relative to links.toml, without `..`"),
                );
                return None;
            }
            Some(p.value.clone())
        };
        CodegenConfig {
            module,
            rust: path(&c.rust),
            migrations: path(&c.migrations),
            docs: path(&c.docs),
            lock: path(&c.lock),
        }
    }

    fn modules(&mut self, modules: &[ModuleAst<S>]) -> Vec<ModuleWithSpans<S>> {
        let mut out: Vec<ModuleWithSpans<S>> = Vec::new();
        let mut seen: HashMap<&str, S> = HashMap::new();
        // (data source, table) -> span of the model that owns it
        let mut tables: HashMap<(String, String), S> = HashMap::new();
        for m in modules {
            if let Some(first) = seen.get(m.name.value.as_str()) {
                let d = Diagnostic::new(
                    m.name.span.clone(),
                    format!("module `{}` is declared twice", m.name.value),
                    "declared again here",
                )
                .secondary(first.clone(), "first declared here")
                .help("merge the two declarations");
                self.err(d);
                continue;
            }
            seen.insert(&m.name.value, m.name.span.clone());
            self.ident(&m.name, "module name");
            let data_source = match &m.data_source {
                Some(ds) => {
                    self.ident(ds, "data source name");
                    ds.value.clone()
                }
                None => "default".to_string(),
            };
            if m.models.is_empty() {
                self.err(
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
            let mut models = Vec::new();
            let mut spans = Vec::new();
            let mut model_names: HashMap<&str, S> = HashMap::new();
            for model in &m.models {
                if let Some(first) = model_names.get(model.name.value.as_str()) {
                    let d = Diagnostic::new(
                        model.name.span.clone(),
                        format!(
                            "model `{}.{}` is declared twice",
                            m.name.value, model.name.value
                        ),
                        "declared again here",
                    )
                    .secondary(first.clone(), "first declared here");
                    self.err(d);
                    continue;
                }
                model_names.insert(&model.name.value, model.name.span.clone());
                if let Some(vm) = self.model(&m.name.value, model) {
                    let key = (data_source.clone(), vm.table.to_string());
                    let span = model
                        .table
                        .as_ref()
                        .map_or(&model.name.span, |t| &t.span)
                        .clone();
                    if let Some(first) = tables.get(&key) {
                        let d = Diagnostic::new(
                            span,
                            format!("table `{}` belongs to two models", vm.table),
                            "used again here",
                        )
                        .secondary(first.clone(), "first used here")
                        .help("each model owns its own table; set a distinct `table`");
                        self.err(d);
                    } else {
                        tables.insert(key, span);
                    }
                    models.push(vm);
                    spans.push(model.name.span.clone());
                } else {
                    self.broken_models
                        .insert((m.name.value.clone(), model.name.value.clone()));
                }
            }
            out.push((
                Module {
                    name: s(m.name.value.clone()),
                    data_source: s(data_source),
                    models: list(models),
                },
                spans,
            ));
        }
        out
    }

    fn model(&mut self, module: &str, m: &ModelAst<S>) -> Option<Model> {
        let mut ok = self.ident(&m.name, "model name");
        let table = match &m.table {
            Some(t) => {
                ok &= self.ident(t, "table name");
                t.value.clone()
            }
            None => m.name.value.clone(),
        };
        let mut fields: Vec<Field> = Vec::new();
        for f in &m.fields {
            ok &= self.ident(&f.name, "field name");
            match parse_type(&f.ty.value) {
                Some((ty, q)) => fields.push(Field {
                    name: s(f.name.value.clone()),
                    ty,
                    nullable: q || f.nullable.as_ref().is_some_and(|n| n.value),
                }),
                None => {
                    ok = false;
                    self.err(
                        Diagnostic::new(
                            f.ty.span.clone(),
                            format!("unknown type `{}` for field `{}`", f.ty.value, f.name.value),
                            "unknown type",
                        )
                        .help_opt(type_help(&f.ty.value)),
                    );
                }
            }
        }
        let names: Vec<&str> = m.fields.iter().map(|f| f.name.value.as_str()).collect();
        if m.fields.is_empty() {
            ok = false;
            self.err(
                Diagnostic::new(
                    m.name.span.clone(),
                    format!("model `{module}.{}` declares no fields", m.name.value),
                    "no fields",
                )
                .help("add `fields = { id = \"text\", ... }` with at least the primary key"),
            );
        }
        let primary_key = m
            .primary_key
            .as_ref()
            .map_or("id", |p| p.value.as_str())
            .to_string();
        if !m.fields.is_empty() && !names.contains(&primary_key.as_str()) {
            ok = false;
            let span = m
                .primary_key
                .as_ref()
                .map_or(&m.name.span, |p| &p.span)
                .clone();
            self.err(
                Diagnostic::new(
                    span,
                    format!(
                        "primary key `{primary_key}` is not a field of `{module}.{}`",
                        m.name.value
                    ),
                    "not a declared field",
                )
                .help_opt(
                    suggest(&primary_key, names.iter().copied())
                        .map(|h| format!("{h} (or declare `{primary_key}` in `fields`)")),
                ),
            );
        }
        let mut linkable_keys = Vec::new();
        match &m.linkable_keys {
            None => linkable_keys.push(LinkableKey {
                name: s(format!("{}_{}", m.name.value, "id")),
                column: s(primary_key.clone()),
            }),
            Some(keys) => {
                if keys.is_empty() {
                    self.err(
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
                    ok = false;
                }
                let mut seen: HashMap<&str, S> = HashMap::new();
                for k in keys {
                    ok &= self.ident(&k.name, "linkable key");
                    if let Some(first) = seen.get(k.name.value.as_str()) {
                        let d = Diagnostic::new(
                            k.name.span.clone(),
                            format!("linkable key `{}` is listed twice", k.name.value),
                            "listed again here",
                        )
                        .secondary(first.clone(), "first listed here");
                        self.err(d);
                        ok = false;
                        continue;
                    }
                    seen.insert(&k.name.value, k.name.span.clone());
                    let column = match &k.column {
                        Some(c) => {
                            if !names.contains(&c.value.as_str()) && !m.fields.is_empty() {
                                ok = false;
                                self.err(
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
                        None => primary_key.clone(),
                    };
                    linkable_keys.push(LinkableKey {
                        name: s(k.name.value.clone()),
                        column: s(column),
                    });
                }
            }
        }
        if let Some(sd) = &m.soft_delete {
            match fields.iter().find(|f| f.name == sd.value) {
                None if !m.fields.is_empty() => {
                    ok = false;
                    self.err(
                        Diagnostic::new(
                            sd.span.clone(),
                            format!(
                                "soft-delete column `{}` is not a field of `{module}.{}`",
                                sd.value, m.name.value
                            ),
                            "not a declared field",
                        )
                        .help_opt(
                            suggest(&sd.value, names.iter().copied()).or_else(|| {
                                Some(format!("declare it: `{} = \"timestamp?\"`", sd.value))
                            }),
                        ),
                    );
                }
                Some(f) if f.ty != ScalarType::Timestamp || !f.nullable => {
                    ok = false;
                    self.err(
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
                    );
                }
                _ => {}
            }
        }
        ok.then(|| Model {
            name: s(m.name.value.clone()),
            table: s(table),
            primary_key: s(primary_key),
            linkable_keys: list(linkable_keys),
            fields: list(fields),
            soft_delete: m.soft_delete.as_ref().map(|sd| s(sd.value.clone())),
        })
    }

    /// Resolves `module.model` of a side.
    fn resolve_model<'m>(
        &mut self,
        side: &SideAst<S>,
        which: &str,
        modules: &'m [ModuleWithSpans<S>],
    ) -> Option<(&'m Module, &'m Model)> {
        let Some(target) = &side.model else {
            self.err(
                Diagnostic::new(side.span.clone(), format!("`{which}` has no `model`"), "missing `model`")
                    .help("name the model as `model = \"module.model\"`, e.g. `model = \"product.product\"`"),
            );
            return None;
        };
        let Some((module_name, model_name)) = target.value.split_once('.') else {
            let help = modules
                .iter()
                .find(|(m, _)| m.name == target.value)
                .and_then(|(m, _)| m.models.first())
                .map(|model| format!("write `{}.{}`", target.value, model.name))
                .unwrap_or_else(|| {
                    "write it as `module.model`, e.g. `product.product`".to_string()
                });
            self.err(
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
            self.err(
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
            if self.broken_models.contains(&broken) {
                // Declared but invalid: its own errors say why.
                return None;
            }
            self.err(
                Diagnostic::new(
                    target.span.clone(),
                    format!("module `{module_name}` has no model `{model_name}`"),
                    "unknown model",
                )
                .help_opt(suggest(model_name, module.models.iter().map(|m| &*m.name))),
            );
            return None;
        };
        Some((module, model))
    }

    fn link(
        &mut self,
        l: &LinkAst<S>,
        modules: &[ModuleWithSpans<S>],
    ) -> Option<(Link, LinkSpans<S>)> {
        let read_only = l.read_only.as_ref().is_some_and(|r| r.value);
        let mut sides = Vec::new();
        for (which, side) in [("left", &l.left), ("right", &l.right)] {
            match side {
                None => self.err(
                    Diagnostic::new(
                        l.span.clone(),
                        format!("link has no `{which}` side"),
                        format!("missing `{which}`"),
                    )
                    .help(format!("add `{which} = {{ model = \"module.model\" }}`")),
                ),
                Some(side) => sides.push((side, self.resolve_model(side, which, modules))),
            }
        }
        if sides.len() != 2 {
            return None;
        }
        let (lside, lres) = sides.remove(0);
        let (rside, rres) = sides.remove(0);
        // Options that only make sense for one kind.
        if read_only {
            for (opt, name) in [(&l.table, "table"), (&l.id_prefix, "id_prefix")] {
                if let Some(o) = opt {
                    self.err(
                        Diagnostic::new(
                            o.span.clone(),
                            format!("`{name}` is not allowed on a read-only link"),
                            "not allowed here",
                        )
                        .help(
                            "read-only links have no table; remove it or drop `read_only = true`",
                        ),
                    );
                }
            }
            if let Some(c) = l.extra_columns.first() {
                self.err(
                    Diagnostic::new(
                        c.name.span.clone(),
                        "`extra_columns` are not allowed on a read-only link",
                        "not allowed here",
                    )
                    .help("read-only links have no table; remove them or drop `read_only = true`"),
                );
            }
            for side in [lside, rside] {
                if let Some(dc) = &side.delete_cascade {
                    self.err(
                        Diagnostic::new(
                            dc.span.clone(),
                            "`delete_cascade` is not allowed on a read-only link",
                            "not allowed here",
                        )
                        .help("cascades follow stored links only"),
                    );
                }
            }
        } else if let Some(f) = &l.field {
            self.err(
                Diagnostic::new(
                    f.span.clone(),
                    "`field` is only allowed on a read-only link",
                    "not allowed here",
                )
                .help("add `read_only = true`, or remove `field` to store the link in a table"),
            );
        }
        let ((lmod, lmodel), (rmod, rmodel)) = (lres?, rres?);
        let left = self.side(lside, lmod, lmodel, read_only, true, l)?;
        let right = self.side(rside, rmod, rmodel, read_only, false, l)?;
        let relation_span = |side: &SideAst<S>| {
            side.relation
                .as_ref()
                .map(|r| r.span.clone())
                .or_else(|| side.alias.as_ref().map(|a| a.span.clone()))
                .or_else(|| side.model.as_ref().map(|m| m.span.clone()))
                .unwrap_or_else(|| side.span.clone())
        };
        if left.module == right.module && left.model == right.model && left.alias == right.alias {
            self.err(
                Diagnostic::new(
                    alias_span(rside),
                    format!(
                        "self-link on `{}.{}` needs two distinct aliases",
                        left.module, left.model
                    ),
                    format!("both sides are called `{}`", left.alias),
                )
                .secondary(alias_span(lside), "same alias here")
                .help(
                    "give each side an `alias`, e.g. `alias = \"parent\"` and `alias = \"child\"`",
                ),
            );
            return None;
        }
        if !read_only && !self.pivot_keys([lside, rside], [&left, &right], [lmodel, rmodel]) {
            return None;
        }
        let spans = LinkSpans {
            table: l.table.as_ref().map_or(&l.span, |t| &t.span).clone(),
            has_table: l.table.is_some(),
            relation: [relation_span(lside), relation_span(rside)],
            alias: [alias_span(lside), alias_span(rside)],
            has_relation: [lside.relation.is_some(), rside.relation.is_some()],
        };
        let link = if read_only {
            let Some(field) = &l.field else {
                self.err(
                    Diagnostic::new(l.span.clone(), "read-only link has no `field`", "missing `field`").help(format!(
                        "name the column of `{}.{}` that holds the `{}.{}` key, e.g. `field = \"{}_id\"`",
                        left.module, left.model, right.module, right.model, right.model
                    )),
                );
                return None;
            };
            if !lmodel.fields.iter().any(|f| f.name == field.value) {
                self.err(
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
            let name = format!("{}_{}", left.model, right.relation);
            Link {
                name: s(name),
                left: LinkSide {
                    key: s(field.value.clone()),
                    ..left
                },
                right,
                kind: LinkKind::ReadOnly(ReadOnlyLink {
                    field: s(field.value.clone()),
                }),
            }
        } else {
            let uncompressed = match &l.table {
                Some(t) => {
                    if !self.ident_table(t) {
                        return None;
                    }
                    t.value.clone()
                }
                None => {
                    naming::default_table_name(&left.module, &left.key, &right.module, &right.key)
                }
            };
            let table = naming::link_table_name(&uncompressed);
            let id_prefix = match &l.id_prefix {
                Some(p) => {
                    if p.value.is_empty()
                        || !p
                            .value
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                    {
                        let fixed: String = p
                            .value
                            .chars()
                            .filter(|c| c.is_ascii_alphanumeric())
                            .map(|c| c.to_ascii_lowercase())
                            .collect();
                        self.err(
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
                        return None;
                    }
                    p.value.clone()
                }
                None => "link".to_string(),
            };
            let extra_columns = self.extra_columns(&l.extra_columns, &left, &right)?;
            if !self.aliases_fit_link_entity(&table, [lside, rside], [&left, &right]) {
                return None;
            }
            Link {
                name: s(table.clone()),
                left,
                right,
                kind: LinkKind::Stored(StoredLink {
                    table: s(table),
                    index_hash: s(naming::simple_hash(&uncompressed)),
                    id_prefix: s(id_prefix),
                    extra_columns: list(extra_columns),
                }),
            }
        };
        Some((link, spans))
    }

    fn ident_table(&mut self, t: &Sp<String, S>) -> bool {
        if !is_ident(&t.value) {
            return self.ident(t, "table name");
        }
        true
    }

    /// A stored link's table has one column per side named after the side's
    /// key, next to `id` and the timestamps: the two keys must differ from
    /// each other and from those columns. Reports the problems; returns
    /// whether there is none.
    fn pivot_keys(
        &mut self,
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
            self.err(
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
        self.err(
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

    /// A stored link is queried as an entity (under the link's name) with
    /// the table's columns and a relation to each side named after the
    /// side's alias: an alias must not be one of those columns. (Extra
    /// columns named like an alias are reported on the column.)
    fn aliases_fit_link_entity(
        &mut self,
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
            self.err(
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

    fn side(
        &mut self,
        side: &SideAst<S>,
        module: &Module,
        model: &Model,
        read_only: bool,
        is_left: bool,
        _link: &LinkAst<S>,
    ) -> Option<LinkSide> {
        let mut ok = true;
        let key = if read_only {
            if is_left {
                if let Some(k) = &side.key {
                    self.err(
                        Diagnostic::new(
                            k.span.clone(),
                            "`key` is not used on the left side of a read-only link",
                            "not allowed here",
                        )
                        .help("the left side joins on the link's `field`; remove `key`"),
                    );
                    ok = false;
                }
                String::new()
            } else {
                match &side.key {
                    Some(k) => {
                        if !model.fields.iter().any(|f| f.name == k.value) {
                            self.err(
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
                            ok = false;
                        }
                        k.value.clone()
                    }
                    None => model.primary_key.to_string(),
                }
            }
        } else {
            match &side.key {
                Some(k) => {
                    if !model.linkable_keys.iter().any(|lk| lk.name == k.value) {
                        let valid: Vec<&str> =
                            model.linkable_keys.iter().map(|lk| &*lk.name).collect();
                        let hint = match suggest(&k.value, valid.iter().copied()) {
                            Some(h) if h.starts_with("did you mean") => h,
                            _ => format!("expected {}", one_of(&valid)),
                        };
                        self.err(
                            Diagnostic::new(
                                k.span.clone(),
                                format!("{} has no linkable key `{}`", model.name, k.value),
                                "unknown linkable key",
                            )
                            .help(hint),
                        );
                        ok = false;
                    }
                    k.value.clone()
                }
                None => model
                    .linkable_keys
                    .first()
                    .map(|k| k.name.to_string())
                    .unwrap_or_default(),
            }
        };
        let alias = match &side.alias {
            Some(a) => {
                ok &= self.ident(a, "alias");
                a.value.clone()
            }
            None => model.name.to_string(),
        };
        let is_list = side.is_list.as_ref().is_some_and(|b| b.value);
        let relation = match &side.relation {
            Some(r) => {
                ok &= self.ident(r, "relation name");
                r.value.clone()
            }
            None if is_list => naming::pluralize(&alias),
            None => alias.clone(),
        };
        ok.then(|| LinkSide {
            module: module.name.clone(),
            model: model.name.clone(),
            key: s(key),
            alias: s(alias),
            relation: s(relation),
            is_list,
            delete_cascade: side.delete_cascade.as_ref().is_some_and(|b| b.value),
        })
    }

    fn extra_columns(
        &mut self,
        cols: &[ExtraColumnAst<S>],
        left: &LinkSide,
        right: &LinkSide,
    ) -> Option<Vec<ExtraColumn>> {
        let mut ok = true;
        let mut out = Vec::new();
        for c in cols {
            ok &= self.ident(&c.name, "extra column name");
            let reserved = RESERVED_LINK_COLUMNS.contains(&c.name.value.as_str())
                || c.name.value == *left.key
                || c.name.value == *right.key;
            if reserved {
                ok = false;
                self.err(
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
                ok = false;
                self.err(
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
            let Some(ty_sp) = &c.ty else {
                ok = false;
                continue;
            };
            let Some((ty, q)) = parse_type(&ty_sp.value) else {
                ok = false;
                self.err(
                    Diagnostic::new(
                        ty_sp.span.clone(),
                        format!("unsupported extra-column type `{}`", ty_sp.value),
                        "unknown type",
                    )
                    .help_opt(type_help(&ty_sp.value)),
                );
                continue;
            };
            let nullable = q || c.nullable.as_ref().is_some_and(|n| n.value);
            let default = match &c.default {
                None => None,
                Some(d) => match default_for(ty, &d.value) {
                    Ok(v) => Some(v),
                    Err(why) => {
                        ok = false;
                        self.err(
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
                nullable,
                default,
            });
        }
        ok.then_some(out)
    }

    /// Link names (stored: the table) must be unique. Returns, per link,
    /// whether it repeats an earlier link's name (already reported).
    fn check_link_uniqueness(
        &mut self,
        links: &[Link],
        spans: &[LinkSpans<S>],
        _asts: &[LinkAst<S>],
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
            self.err(d);
        }
        duplicate
    }

    /// Query entities (models and stored links) share one namespace, and
    /// each gets a generated Rust type named after it (models also an id
    /// type `<Model>Id`): model names must be unique across modules, and no
    /// two models may produce the same Rust type. Returns the names taken,
    /// for [`Self::check_link_names`].
    fn check_model_names(&mut self, modules: &[ModuleWithSpans<S>]) -> EntityNames<S> {
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
                    self.err(
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
                    self.err(
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

    /// A stored link must not be named like a model (Query entities share one
    /// namespace), nor produce the Rust type of a model, of a model's id or
    /// of another link. Links whose name repeats an earlier one (`duplicate`,
    /// already reported) are skipped.
    fn check_link_names(
        &mut self,
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
                self.err(
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
                self.err(
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

    /// Every relation name must be unique on its owner and distinct from the
    /// owner's fields. Links whose name repeats an earlier one (`duplicate`)
    /// are skipped: their clashes follow from the error already reported.
    fn check_relations(
        &mut self,
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
                        self.err(
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
                self.err(
                    Diagnostic::new(c.span, message, label)
                        .secondary(c.first, first_label)
                        .help(help),
                );
            }
        }
    }
}

/// Entity names and generated Rust types taken by models.
struct EntityNames<S> {
    /// Model name -> (`module.model`, span).
    models: HashMap<String, (String, S)>,
    /// Rust type of a model -> (description of the model, span).
    types: HashMap<String, (String, S)>,
    /// Id type of a model -> (description, span). Id types live in another
    /// generated module than entities, but the link records' modules import
    /// them.
    ids: HashMap<String, (String, S)>,
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
fn alias_span<S: Clone>(side: &SideAst<S>) -> S {
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

fn side_index(side: Side) -> usize {
    match side {
        Side::Left => 0,
        Side::Right => 1,
    }
}

struct DefaultError {
    label: String,
    help: String,
}

fn default_for(ty: ScalarType, d: &DefaultAst) -> Result<DefaultValue, DefaultError> {
    let bad = |label: &str, help: &str| DefaultError {
        label: label.to_string(),
        help: help.to_string(),
    };
    use ScalarType as T;
    match (ty, d) {
        (T::Boolean, DefaultAst::Bool(b)) => Ok(DefaultValue::Bool(*b)),
        (T::Integer, DefaultAst::Int(i)) => {
            if i32::try_from(*i).is_ok() {
                Ok(DefaultValue::Int(*i))
            } else {
                Err(bad(
                    "out of range for a 32-bit integer",
                    "use type `bigint` or a value within ±2147483647",
                ))
            }
        }
        (T::BigInt, DefaultAst::Int(i)) => Ok(DefaultValue::Int(*i)),
        (T::Float | T::Double | T::Decimal, DefaultAst::Int(i)) => {
            Ok(DefaultValue::Float(s(i.to_string())))
        }
        (T::Float | T::Double | T::Decimal, DefaultAst::Float(f)) => {
            let clean = f.replace('_', "");
            match clean.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(DefaultValue::Float(s(clean))),
                _ => Err(bad(
                    "not a finite number",
                    "use a finite number such as `0.5`",
                )),
            }
        }
        (T::Text, DefaultAst::Str(t)) => Ok(DefaultValue::Text(s(t.clone()))),
        (T::Uuid, DefaultAst::Str(t)) => {
            if is_uuid(t) {
                Ok(DefaultValue::Text(s(t.to_ascii_lowercase())))
            } else {
                Err(bad(
                    "not a UUID",
                    "write a UUID such as `\"00000000-0000-0000-0000-000000000000\"`",
                ))
            }
        }
        (T::Timestamp, DefaultAst::Str(t)) if t == "now" => Ok(DefaultValue::Now),
        (T::Timestamp, _) => Err(bad(
            "timestamps default only to `\"now\"`",
            "write `default = \"now\"`",
        )),
        (T::Date, DefaultAst::Str(t)) => {
            if is_date(t) {
                Ok(DefaultValue::Text(s(t.clone())))
            } else {
                Err(bad("not a date", "write a date as `\"2024-01-31\"`"))
            }
        }
        (T::Json, DefaultAst::Json(j)) => Ok(DefaultValue::Json(s(j.clone()))),
        (T::Json, DefaultAst::Str(t)) => Ok(DefaultValue::Json(s(serde_json::Value::String(
            t.clone(),
        )
        .to_string()))),
        (T::Json, DefaultAst::Int(i)) => Ok(DefaultValue::Json(s(i.to_string()))),
        (T::Json, DefaultAst::Bool(b)) => Ok(DefaultValue::Json(s(b.to_string()))),
        (T::Json, DefaultAst::Float(f)) => Ok(DefaultValue::Json(s(f.replace('_', "")))),
        (T::Boolean, _) => Err(bad("expected `true` or `false`", "write `default = false`")),
        (T::Integer | T::BigInt, _) => Err(bad("expected an integer", "write `default = 0`")),
        (T::Float | T::Double | T::Decimal, _) => {
            Err(bad("expected a number", "write `default = 0.0`"))
        }
        (T::Text, _) => Err(bad("expected a string", "write `default = \"\"`")),
        (T::Uuid, _) => Err(bad(
            "expected a UUID string",
            "write a UUID such as `\"00000000-0000-0000-0000-000000000000\"`",
        )),
        (T::Date, _) => Err(bad(
            "expected a date string",
            "write a date as `\"2024-01-31\"`",
        )),
    }
}

fn is_uuid(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_date(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!((num(0..4), num(5..7), num(8..10)), (Some(_), Some(m), Some(d)) if (1..=12).contains(&m) && (1..=31).contains(&d))
}

fn type_help(raw: &str) -> Option<String> {
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
    let names = type_names();
    suggest(base, names.iter().copied()).map(|h| {
        if h.starts_with("did you mean") {
            h
        } else {
            format!("{h} (append `?` for nullable)")
        }
    })
}
