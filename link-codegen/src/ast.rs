//! The spanned AST both front ends produce. It mirrors what a user wrote, with
//! every value's span, before any defaulting or resolution.

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T, S> {
    pub value: T,
    pub span: S,
}

impl<T, S> Sp<T, S> {
    pub fn new(value: T, span: S) -> Self {
        Sp { value, span }
    }
}

/// A whole definition file (or the models a macro knows plus its links).
#[derive(Debug, Clone, PartialEq)]
pub struct Document<S> {
    pub codegen: Option<CodegenAst<S>>,
    /// `[database]`: the project's database, for the CLI's `db` commands.
    pub database: Option<DatabaseAst<S>>,
    pub modules: Vec<ModuleAst<S>>,
    pub links: Vec<LinkAst<S>>,
}

impl<S> Default for Document<S> {
    fn default() -> Self {
        Document {
            codegen: None,
            database: None,
            modules: Vec::new(),
            links: Vec::new(),
        }
    }
}

/// `[codegen]`: where generated files go (paths relative to `links.toml`).
#[derive(Debug, Clone, PartialEq)]
pub struct CodegenAst<S> {
    pub rust: Option<Sp<String, S>>,
    /// Rust path of the generated module in the host crate (for doc examples).
    pub module: Option<Sp<String, S>>,
    pub migrations: Option<Sp<String, S>>,
    pub docs: Option<Sp<String, S>>,
    pub lock: Option<Sp<String, S>>,
}

/// `[database]`: where the project's database is.
#[derive(Debug, Clone, PartialEq)]
pub struct DatabaseAst<S> {
    /// `url`: `sqlite:<file>` or `postgres://…`.
    pub url: Option<Sp<String, S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModuleAst<S> {
    pub name: Sp<String, S>,
    pub data_source: Option<Sp<String, S>>,
    pub models: Vec<ModelAst<S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelAst<S> {
    pub name: Sp<String, S>,
    pub table: Option<Sp<String, S>>,
    pub primary_key: Option<Sp<String, S>>,
    pub linkable_keys: Option<Vec<LinkableKeyAst<S>>>,
    pub fields: Vec<FieldAst<S>>,
    pub soft_delete: Option<Sp<String, S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkableKeyAst<S> {
    pub name: Sp<String, S>,
    pub column: Option<Sp<String, S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FieldAst<S> {
    pub name: Sp<String, S>,
    /// Type name; a trailing `?` means nullable.
    pub ty: Sp<String, S>,
    pub nullable: Option<Sp<bool, S>>,
    /// Left out of `*`.
    pub hidden: Option<Sp<bool, S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LinkAst<S> {
    /// The whole link definition.
    pub span: S,
    pub left: Option<SideAst<S>>,
    pub right: Option<SideAst<S>>,
    pub read_only: Option<Sp<bool, S>>,
    pub field: Option<Sp<String, S>>,
    pub table: Option<Sp<String, S>>,
    pub id_prefix: Option<Sp<String, S>>,
    pub extra_columns: Vec<ExtraColumnAst<S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SideAst<S> {
    pub span: S,
    /// `module.model`
    pub model: Option<Sp<String, S>>,
    pub key: Option<Sp<String, S>>,
    pub alias: Option<Sp<String, S>>,
    pub relation: Option<Sp<String, S>>,
    pub is_list: Option<Sp<bool, S>>,
    pub delete_cascade: Option<Sp<bool, S>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExtraColumnAst<S> {
    pub name: Sp<String, S>,
    pub ty: Option<Sp<String, S>>,
    pub nullable: Option<Sp<bool, S>>,
    pub default: Option<Sp<DefaultAst, S>>,
    /// Left out of the link rows' `*`.
    pub hidden: Option<Sp<bool, S>>,
}

/// A default value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultAst {
    Bool(bool),
    Int(i64),
    /// Text of a float literal.
    Float(String),
    Str(String),
    /// Array or table, serialised as JSON.
    Json(String),
}

// ---------------------------------------------------------------- span mapping
//
// The `#[define_link]` front end validates its link together with the models
// (and links) of `links.toml`, so the two documents' spans are mapped into one
// span type first.

impl<T, S> Sp<T, S> {
    pub fn map_span<U>(self, f: &impl Fn(S) -> U) -> Sp<T, U> {
        Sp {
            value: self.value,
            span: f(self.span),
        }
    }
}

fn opt<T, S, U>(v: Option<Sp<T, S>>, f: &impl Fn(S) -> U) -> Option<Sp<T, U>> {
    v.map(|s| s.map_span(f))
}

impl<S> Document<S> {
    /// The same document with every span mapped through `f`.
    pub fn map_span<U>(self, f: &impl Fn(S) -> U) -> Document<U> {
        Document {
            codegen: self.codegen.map(|c| CodegenAst {
                rust: opt(c.rust, f),
                module: opt(c.module, f),
                migrations: opt(c.migrations, f),
                docs: opt(c.docs, f),
                lock: opt(c.lock, f),
            }),
            database: self.database.map(|d| DatabaseAst { url: opt(d.url, f) }),
            modules: self.modules.into_iter().map(|m| m.map_span(f)).collect(),
            links: self.links.into_iter().map(|l| l.map_span(f)).collect(),
        }
    }
}

impl<S> ModuleAst<S> {
    pub fn map_span<U>(self, f: &impl Fn(S) -> U) -> ModuleAst<U> {
        ModuleAst {
            name: self.name.map_span(f),
            data_source: opt(self.data_source, f),
            models: self
                .models
                .into_iter()
                .map(|m| ModelAst {
                    name: m.name.map_span(f),
                    table: opt(m.table, f),
                    primary_key: opt(m.primary_key, f),
                    linkable_keys: m.linkable_keys.map(|keys| {
                        keys.into_iter()
                            .map(|k| LinkableKeyAst {
                                name: k.name.map_span(f),
                                column: opt(k.column, f),
                            })
                            .collect()
                    }),
                    fields: m
                        .fields
                        .into_iter()
                        .map(|x| FieldAst {
                            name: x.name.map_span(f),
                            ty: x.ty.map_span(f),
                            nullable: opt(x.nullable, f),
                            hidden: opt(x.hidden, f),
                        })
                        .collect(),
                    soft_delete: opt(m.soft_delete, f),
                })
                .collect(),
        }
    }
}

impl<S> SideAst<S> {
    pub fn map_span<U>(self, f: &impl Fn(S) -> U) -> SideAst<U> {
        SideAst {
            span: f(self.span),
            model: opt(self.model, f),
            key: opt(self.key, f),
            alias: opt(self.alias, f),
            relation: opt(self.relation, f),
            is_list: opt(self.is_list, f),
            delete_cascade: opt(self.delete_cascade, f),
        }
    }
}

impl<S> LinkAst<S> {
    pub fn map_span<U>(self, f: &impl Fn(S) -> U) -> LinkAst<U> {
        LinkAst {
            span: f(self.span),
            left: self.left.map(|s| s.map_span(f)),
            right: self.right.map(|s| s.map_span(f)),
            read_only: opt(self.read_only, f),
            field: opt(self.field, f),
            table: opt(self.table, f),
            id_prefix: opt(self.id_prefix, f),
            extra_columns: self
                .extra_columns
                .into_iter()
                .map(|c| ExtraColumnAst {
                    name: c.name.map_span(f),
                    ty: opt(c.ty, f),
                    nullable: opt(c.nullable, f),
                    default: opt(c.default, f),
                    hidden: opt(c.hidden, f),
                })
                .collect(),
        }
    }
}
