//! `links.toml` front end: toml's spanned document tree -> [`Document`].
//!
//! The walk never stops at the first problem: syntax errors (with toml's
//! recovery), unknown keys and wrong value types are all collected, and
//! whatever could be read is still returned for validation.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::keys::{self, names};
use crate::ast::*;
use crate::diagnostic::{Diagnostic, Diagnostics, suggest};

type Span = Range<usize>;
type Value<'i> = Spanned<DeValue<'i>>;

/// Parses `links.toml` text. Problems go to `diags`; the document holds
/// everything that could be read.
pub fn parse(source: &str, diags: &mut Diagnostics<Span>) -> Document<Span> {
    let (root, errors) = DeTable::parse_recoverable(source);
    let mut syntax_spans = Vec::new();
    // End of the last `[table]` header reported as a duplicate: the keys
    // under it then clash with the first table's, which is the same mistake.
    let mut duplicate_header: Option<usize> = None;
    for e in errors {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim();
        syntax_spans.push(span.clone());
        if message.starts_with("duplicate key") {
            let line = line_of(source, span.start);
            if line.trim_start().starts_with('[') {
                duplicate_header = Some(span.end);
            } else if let Some(h) = duplicate_header {
                let between = source.get(h..span.start).unwrap_or("");
                if !between
                    .lines()
                    .skip(1)
                    .any(|l| l.trim_start().starts_with('['))
                {
                    continue;
                }
                duplicate_header = None;
            }
        }
        diags.push(syntax_error(source, span, message));
    }
    // What toml recovered at a syntax error is a guess (`title = text` reads
    // as a boolean): drop the walker's complaints about it.
    let mut walked = Diagnostics::default();
    let mut w = Walker { diags: &mut walked };
    let doc = w.document(root.get_ref());
    for d in walked.list {
        let at_syntax_error = d.span.as_ref().is_some_and(|s| {
            syntax_spans
                .iter()
                .any(|e| s.start <= e.end && e.start <= s.end)
        });
        if !at_syntax_error {
            diags.push(d);
        }
    }
    doc
}

/// A syntax error with a message and hint for the usual mistakes.
fn syntax_error(source: &str, span: Span, message: &str) -> Diagnostic<Span> {
    let text = source.get(span.clone()).unwrap_or("");
    let bare_word = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' || c == '?')
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text != "true"
        && text != "false";
    if bare_word
        && (message.starts_with("invalid boolean")
            || message.starts_with("string values must be quoted"))
    {
        let help = match suggest(text, ["true", "false"]) {
            Some(h) if h.starts_with("did you mean") => {
                format!("{h} (for a string, write `\"{text}\"`)")
            }
            _ => format!("write `\"{text}\"`"),
        };
        return Diagnostic::new(
            span,
            format!("TOML syntax error: `{text}` is not a value; strings need double quotes"),
            "unquoted string",
        )
        .help(help);
    }
    if message.starts_with("duplicate key") {
        let line = line_of(source, span.start).trim();
        if line.starts_with('[') {
            let header = line.find(']').map_or(line, |end| {
                let end = if line[end + 1..].starts_with(']') {
                    end + 2
                } else {
                    end + 1
                };
                &line[..end]
            });
            return Diagnostic::new(
                span,
                format!("TOML syntax error: table `{header}` is defined twice"),
                "defined again here",
            )
            .help("a table may be defined only once; merge the two definitions");
        }
        return Diagnostic::new(
            span,
            format!("TOML syntax error: duplicate key `{text}`"),
            "defined again here",
        )
        .help("a key may appear only once in a table; remove or rename one of them");
    }
    Diagnostic::new(span, format!("TOML syntax error: {message}"), "here")
        .help("see https://toml.io for the syntax; strings need double quotes")
}

/// The line of `source` containing byte `at`.
fn line_of(source: &str, at: usize) -> &str {
    let at = at.min(source.len());
    let start = source
        .get(..at)
        .and_then(|s| s.rfind('\n'))
        .map_or(0, |i| i + 1);
    let end = source
        .get(at..)
        .and_then(|s| s.find('\n'))
        .map_or(source.len(), |i| at + i);
    source.get(start..end).unwrap_or("")
}

struct Walker<'d> {
    diags: &'d mut Diagnostics<Span>,
}

fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl Walker<'_> {
    fn wrong_type(&mut self, v: &Value<'_>, key: &str, expected: &str, example: &str) {
        self.diags.push(
            Diagnostic::new(
                v.span(),
                format!(
                    "`{key}` must be {expected}, found {}",
                    type_name(v.get_ref())
                ),
                format!("expected {expected}"),
            )
            .help(format!("write it like {example}")),
        );
    }

    /// Reports keys not in `allowed`.
    fn check_keys(&mut self, table: &DeTable<'_>, context: &str, allowed: &[&str]) {
        for (k, _) in table.iter() {
            let key: &str = k.get_ref();
            if !allowed.contains(&key) {
                self.diags.push(
                    Diagnostic::new(
                        k.span(),
                        format!("unknown key `{key}` in {context}"),
                        "unknown key",
                    )
                    .help_opt(suggest(key, allowed.iter().copied())),
                );
            }
        }
    }

    fn as_table<'a, 'i>(
        &mut self,
        v: &'a Value<'i>,
        key: &str,
        example: &str,
    ) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => {
                self.wrong_type(v, key, "a table", example);
                None
            }
        }
    }

    fn string(
        &mut self,
        table: &DeTable<'_>,
        key: &str,
        example: &str,
    ) -> Option<Sp<String, Span>> {
        let v = table.get(key)?;
        self.string_value(v, key, example)
    }

    fn string_value(
        &mut self,
        v: &Value<'_>,
        key: &str,
        example: &str,
    ) -> Option<Sp<String, Span>> {
        match v.get_ref() {
            DeValue::String(s) => Some(Sp::new(s.to_string(), v.span())),
            _ => {
                self.wrong_type(v, key, "a string", example);
                None
            }
        }
    }

    fn boolean(&mut self, table: &DeTable<'_>, key: &str) -> Option<Sp<bool, Span>> {
        let v = table.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Sp::new(*b, v.span())),
            _ => {
                self.wrong_type(v, key, "a boolean", &format!("`{key} = true`"));
                None
            }
        }
    }

    fn document(&mut self, root: &DeTable<'_>) -> Document<Span> {
        self.check_keys(root, "the top level", &names(keys::TOP_LEVEL));
        let mut doc = Document::default();
        if let Some(v) = root.get("database")
            && let Some(t) = self.as_table(v, "database", "`[database]`")
        {
            self.check_keys(t, "`[database]`", &names(keys::DATABASE));
            doc.database = Some(DatabaseAst {
                url: self.string(t, "url", "`url = \"sqlite:app.db\"`"),
            });
        }
        if let Some(v) = root.get("codegen")
            && let Some(t) = self.as_table(v, "codegen", "`[codegen]`")
        {
            doc.codegen = Some(self.codegen(t));
        }
        if let Some(v) = root.get("modules")
            && let Some(t) = self.as_table(v, "modules", "`[modules.product]`")
        {
            for (name, module) in t.iter() {
                if let Some(m) = self.module(name, module) {
                    doc.modules.push(m);
                }
            }
        }
        if let Some(v) = root.get("links") {
            match v.get_ref() {
                DeValue::Array(items) => {
                    for item in items.iter() {
                        if let Some(t) = self.as_table(item, "links", "`[[links]]`") {
                            let link = self.link(item.span(), t);
                            doc.links.push(link);
                        }
                    }
                }
                _ => self.wrong_type(v, "links", "an array of tables", "`[[links]]`"),
            }
        }
        doc
    }

    fn codegen(&mut self, t: &DeTable<'_>) -> CodegenAst<Span> {
        self.check_keys(t, "`[codegen]`", &names(keys::CODEGEN));
        CodegenAst {
            module: self.string(t, "module", "`module = \"my_app::links\"`"),
            rust: self.string(t, "rust", "`rust = \"src/links.rs\"`"),
            migrations: self.string(t, "migrations", "`migrations = \"migrations\"`"),
            docs: self.string(t, "docs", "`docs = \"docs/links\"`"),
            lock: self.string(t, "lock", "`lock = \"links.lock\"`"),
        }
    }

    fn module(
        &mut self,
        name: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<ModuleAst<Span>> {
        let t = self.as_table(v, name.get_ref(), "`[modules.product]`")?;
        self.check_keys(
            t,
            &format!("module `{}`", name.get_ref()),
            &names(keys::MODULE),
        );
        let mut module = ModuleAst {
            name: Sp::new(name.get_ref().to_string(), name.span()),
            data_source: self.string(t, "data_source", "`data_source = \"default\"`"),
            models: Vec::new(),
        };
        if let Some(models) = t.get("models")
            && let Some(models) =
                self.as_table(models, "models", "`[modules.product.models.product]`")
        {
            for (model_name, model) in models.iter() {
                if let Some(m) = self.model(model_name, model) {
                    module.models.push(m);
                }
            }
        }
        Some(module)
    }

    fn model(
        &mut self,
        name: &Spanned<std::borrow::Cow<'_, str>>,
        v: &Value<'_>,
    ) -> Option<ModelAst<Span>> {
        let t = self.as_table(v, name.get_ref(), "`[modules.product.models.product]`")?;
        self.check_keys(
            t,
            &format!("model `{}`", name.get_ref()),
            &names(keys::MODEL),
        );
        let mut model = ModelAst {
            name: Sp::new(name.get_ref().to_string(), name.span()),
            table: self.string(t, "table", "`table = \"product\"`"),
            primary_key: self.string(t, "primary_key", "`primary_key = \"id\"`"),
            linkable_keys: None,
            fields: Vec::new(),
            soft_delete: self.string(t, "soft_delete", "`soft_delete = \"deleted_at\"`"),
        };
        if let Some(keys) = t.get("linkable_keys") {
            model.linkable_keys = Some(self.linkable_keys(keys));
        }
        if let Some(fields) = t.get("fields")
            && let Some(fields) = self.as_table(
                fields,
                "fields",
                "`fields = { id = \"text\", title = \"text\" }`",
            )
        {
            for (fname, fv) in fields.iter() {
                let name = Sp::new(fname.get_ref().to_string(), fname.span());
                match fv.get_ref() {
                    DeValue::String(ty) => model.fields.push(FieldAst {
                        name,
                        ty: Sp::new(ty.to_string(), fv.span()),
                        nullable: None,
                        hidden: None,
                    }),
                    DeValue::Table(ft) => {
                        self.check_keys(
                            ft,
                            &format!("field `{}`", fname.get_ref()),
                            &names(keys::FIELD),
                        );
                        let ty = self.string(ft, "type", "`type = \"text\"`");
                        let nullable = self.boolean(ft, "nullable");
                        let hidden = self.boolean(ft, "hidden");
                        match ty {
                                Some(ty) => model.fields.push(FieldAst { name, ty, nullable, hidden }),
                                None if ft.get("type").is_none() => self.diags.push(
                                    Diagnostic::new(
                                        fv.span(),
                                        format!("field `{}` has no `type`", fname.get_ref()),
                                        "missing `type`",
                                    )
                                    .help("write it like `{ type = \"text\", nullable = true }` or `\"text?\"`"),
                                ),
                                None => {}
                            }
                    }
                    _ => self.wrong_type(
                        fv,
                        fname.get_ref(),
                        "a type name",
                        "`title = \"text\"` or `subtitle = \"text?\"` (nullable)",
                    ),
                }
            }
        }
        Some(model)
    }

    fn linkable_keys(&mut self, v: &Value<'_>) -> Vec<LinkableKeyAst<Span>> {
        let example =
            "`linkable_keys = [\"product_id\"]` or `[{ name = \"code_key\", column = \"code\" }]`";
        let mut out = Vec::new();
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, "linkable_keys", "an array", example);
            return out;
        };
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(LinkableKeyAst {
                    name: Sp::new(s.to_string(), item.span()),
                    column: None,
                }),
                DeValue::Table(t) => {
                    self.check_keys(t, "a linkable key", &names(keys::LINKABLE_KEY));
                    match self.string(t, "name", example) {
                        Some(name) => out.push(LinkableKeyAst {
                            name,
                            column: self.string(t, "column", example),
                        }),
                        None if t.get("name").is_none() => self.diags.push(
                            Diagnostic::new(
                                item.span(),
                                "linkable key has no `name`",
                                "missing `name`",
                            )
                            .help(format!("write it like {example}")),
                        ),
                        None => {}
                    }
                }
                _ => self.wrong_type(item, "linkable_keys", "a string or a table", example),
            }
        }
        out
    }

    fn link(&mut self, span: Span, t: &DeTable<'_>) -> LinkAst<Span> {
        self.check_keys(t, "a link", &names(keys::LINK));
        let mut link = LinkAst {
            span,
            left: None,
            right: None,
            read_only: self.boolean(t, "read_only"),
            field: self.string(t, "field", "`field = \"sales_channel_id\"`"),
            table: self.string(t, "table", "`table = \"product_sales_channel\"`"),
            id_prefix: self.string(t, "id_prefix", "`id_prefix = \"prodsc\"`"),
            extra_columns: Vec::new(),
        };
        for key in ["left", "right"] {
            let Some(v) = t.get(key) else { continue };
            let Some(st) = self.as_table(v, key, "`left = { model = \"product.product\" }`") else {
                continue;
            };
            let side = self.side(key, v.span(), st);
            if key == "left" {
                link.left = Some(side);
            } else {
                link.right = Some(side);
            }
        }
        if let Some(v) = t.get("extra_columns")
            && let Some(cols) = self.as_table(
                v,
                "extra_columns",
                "`extra_columns = { note = { type = \"text\" } }`",
            )
        {
            for (name, cv) in cols.iter() {
                let name_sp = Sp::new(name.get_ref().to_string(), name.span());
                match cv.get_ref() {
                    DeValue::String(ty) => link.extra_columns.push(ExtraColumnAst {
                        name: name_sp,
                        ty: Some(Sp::new(ty.to_string(), cv.span())),
                        nullable: None,
                        default: None,
                        hidden: None,
                    }),
                    DeValue::Table(ct) => {
                        self.check_keys(
                            ct,
                            &format!("extra column `{}`", name.get_ref()),
                            &names(keys::EXTRA_COLUMN),
                        );
                        let ty = self.string(ct, "type", "`type = \"integer\"`");
                        if ct.get("type").is_none() {
                            self.diags.push(
                                Diagnostic::new(
                                    cv.span(),
                                    format!("extra column `{}` has no `type`", name.get_ref()),
                                    "missing `type`",
                                )
                                .help("write it like `{ type = \"integer\", default = 0 }`"),
                            );
                        }
                        let nullable = self.boolean(ct, "nullable");
                        let default = ct.get("default").and_then(|d| self.default_value(d));
                        link.extra_columns.push(ExtraColumnAst {
                            name: name_sp,
                            ty,
                            nullable,
                            default,
                            hidden: self.boolean(ct, "hidden"),
                        });
                    }
                    _ => self.wrong_type(
                        cv,
                        name.get_ref(),
                        "a type name or a table",
                        "`note = \"text\"` or `rank = { type = \"integer\", default = 0 }`",
                    ),
                }
            }
        }
        link
    }

    fn side(&mut self, which: &str, span: Span, t: &DeTable<'_>) -> SideAst<Span> {
        self.check_keys(t, &format!("`{which}`"), &names(keys::SIDE));
        SideAst {
            span,
            model: self.string(t, "model", "`model = \"product.product\"`"),
            key: self.string(t, "key", "`key = \"product_id\"`"),
            alias: self.string(t, "alias", "`alias = \"product\"`"),
            relation: self.string(t, "relation", "`relation = \"products\"`"),
            is_list: self.boolean(t, "is_list"),
            delete_cascade: self.boolean(t, "delete_cascade"),
        }
    }

    fn default_value(&mut self, v: &Value<'_>) -> Option<Sp<DefaultAst, Span>> {
        let value = match v.get_ref() {
            DeValue::Boolean(b) => DefaultAst::Bool(*b),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => DefaultAst::Int(n),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::new(
                            v.span(),
                            "integer default does not fit in 64 bits",
                            "too large",
                        )
                        .help("use a value between -9223372036854775808 and 9223372036854775807"),
                    );
                    return None;
                }
            },
            DeValue::Float(f) => DefaultAst::Float(f.as_str().to_string()),
            DeValue::String(s) => DefaultAst::Str(s.to_string()),
            DeValue::Array(_) | DeValue::Table(_) => {
                DefaultAst::Json(to_json(v.get_ref()).to_string())
            }
            DeValue::Datetime(d) => DefaultAst::Str(d.to_string()),
        };
        Some(Sp::new(value, v.span()))
    }
}

/// Converts a TOML value to JSON (for JSON defaults).
fn to_json(v: &DeValue<'_>) -> serde_json::Value {
    match v {
        DeValue::String(s) => serde_json::Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(serde_json::Value::from)
            .unwrap_or(serde_json::Value::Null),
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(serde_json::Value::Number)
            .unwrap_or(serde_json::Value::Null),
        DeValue::Boolean(b) => serde_json::Value::Bool(*b),
        DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
        DeValue::Array(a) => {
            serde_json::Value::Array(a.iter().map(|x| to_json(x.get_ref())).collect())
        }
        DeValue::Table(t) => serde_json::Value::Object(
            t.iter()
                .map(|(k, x)| (k.get_ref().to_string(), to_json(x.get_ref())))
                .collect(),
        ),
    }
}
