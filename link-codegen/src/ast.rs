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
    pub modules: Vec<ModuleAst<S>>,
    pub links: Vec<LinkAst<S>>,
}

impl<S> Default for Document<S> {
    fn default() -> Self {
        Document {
            codegen: None,
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
