//! `values`: per stored link, its typed link value and the row of its table.

use std::borrow::Cow;

use link_model::{ExtraColumn, Link, LinkKind, ScalarType};

use super::entities::SERDE_CRATE;
use super::names::*;
use super::writer::*;

pub(super) const RECORD_DERIVE: &str =
    "#[derive(Debug, Clone, PartialEq, __rt::serde::Serialize, __rt::serde::Deserialize)]";

pub(super) fn write_link_items(w: &mut Writer, link: &Link) {
    let LinkKind::Stored(st) = &link.kind else {
        return;
    };
    let ty = type_name(&link.name);
    let record = record_type(&link.name);
    link_value(w, link, &st.extra_columns, &ty);
    w.blank();
    link_record(w, link, &st.table, &st.extra_columns, &ty, &record);
}

/// JSON conversion of an extra column's `value` (of the type [`extra_rust`]).
pub(super) fn to_json(ty: ScalarType) -> &'static str {
    use ScalarType as T;
    match ty {
        T::Timestamp => "__rt::serde_json::Value::String(value.to_rfc3339())",
        T::Date => "__rt::serde_json::Value::String(value.to_string())",
        T::Json => "value",
        T::Float => "__rt::serde_json::Value::from(f64::from(value))",
        _ => "__rt::serde_json::Value::from(value)",
    }
}

pub(super) fn link_value(w: &mut Writer, link: &Link, extras: &[ExtraColumn], ty: &str) {
    let name = &*link.name;
    let (lk, rk) = (ident(&link.left.key), ident(&link.right.key));
    let (lid, rid) = (id_type(&link.left.model), id_type(&link.right.model));
    w.doc(&format!(
        "A `{name}` link: `{}.{}` ({}) <> `{}.{}` ({}).",
        link.left.module,
        link.left.model,
        link.left.key,
        link.right.module,
        link.right.model,
        link.right.key
    ));
    w.line("#[derive(Debug, Clone, PartialEq)]");
    w.open_fmt(format_args!("pub struct {ty} {{"));
    w.doc(&format!(
        "The `{}.{}` record.",
        link.left.module, link.left.model
    ));
    field_decl(w, &link.left.key, &lid);
    w.doc(&format!(
        "The `{}.{}` record.",
        link.right.module, link.right.model
    ));
    field_decl(w, &link.right.key, &rid);
    for c in extras {
        w.doc(&format!(
            "Extra column `{}`: `None` keeps the stored value (or the default on insert).",
            c.name
        ));
        field_decl(w, &c.name, &format!("Option<{}>", extra_rust(c)));
    }
    w.close("}");

    w.blank();
    w.open_fmt(format_args!("impl {ty} {{"));
    w.line("/// A link between these two records.");
    w.signature(
        "pub fn new(",
        &[format!("{lk}: {lid}"), format!("{rk}: {rid}")],
        ") -> Self {",
    );
    let mut fields = vec![lk.to_string(), rk.to_string()];
    fields.extend(extras.iter().map(|c| format!("{}: None", ident(&c.name))));
    w.struct_lit("Self {", &fields, "");
    w.close("}");
    for c in extras {
        w.blank();
        w.doc(&format!("Sets extra column `{}`.", c.name));
        w.signature(
            &format!("pub fn with_{}(", c.name),
            &["mut self".to_string(), format!("value: {}", extra_rust(c))],
            ") -> Self {",
        );
        w.line_fmt(format_args!("self.{} = Some(value);", ident(&c.name)));
        w.line("self");
        w.close("}");
    }
    w.close("}");

    w.blank();
    w.open_fmt(format_args!("impl __rt::TypedLink for {ty} {{"));
    str_const(w, "LINK", name);
    w.line_fmt(format_args!("type Record = {};", record_type(name)));
    w.blank();
    w.open("fn into_value(self) -> __rt::LinkValue {");
    let data_mut = if extras.is_empty() { "" } else { "mut " };
    w.line_fmt(format_args!(
        "let {data_mut}data = __rt::serde_json::Map::new();"
    ));
    for c in extras {
        w.open_fmt(format_args!(
            "if let Some(value) = self.{} {{",
            ident(&c.name)
        ));
        let key = format!("{}.to_string()", Lit(&c.name));
        let conv = to_json(c.ty);
        if c.nullable {
            w.open("data.insert(");
            w.line_fmt(format_args!("{key},"));
            w.open("match value {");
            w.line_fmt(format_args!("Some(value) => {conv},"));
            w.line("None => __rt::serde_json::Value::Null,");
            w.close("},");
            w.close(");");
        } else {
            w.call("data.insert(", &[key, conv.to_string()], ");");
        }
        w.close("}");
    }
    let (left, right) = (format!("self.{lk}"), format!("self.{rk}"));
    let args = [
        Lit(name).to_string(),
        format!("{left}.into_string()"),
        format!("{right}.into_string()"),
        "data".to_string(),
    ];
    let inline = args.iter().map(|a| a.len() + 2).sum::<usize>() - 2;
    let head = "__rt::LinkValue::new(";
    if inline <= FN_CALL_WIDTH && w.fits(head.len() + inline + 1) {
        w.line_fmt(format_args!("{head}{})", args.join(", ")));
    } else {
        w.open(head);
        w.line_fmt(format_args!("{},", args[0]));
        w.chain("", &left, ".into_string()", ",");
        w.chain("", &right, ".into_string()", ",");
        w.line("data,");
        w.close(")");
    }
    w.close("}");
    w.close("}");
}

pub(super) fn link_record(
    w: &mut Writer,
    link: &Link,
    table: &str,
    extras: &[ExtraColumn],
    ty: &str,
    record: &str,
) {
    let (lk, rk) = (ident(&link.left.key), ident(&link.right.key));
    let (lid, rid) = (id_type(&link.left.model), id_type(&link.right.model));
    w.doc(&format!(
        "A row of link table `{table}` (`{}.{}` <> `{}.{}`).",
        link.left.module, link.left.model, link.right.module, link.right.model
    ));
    w.line(RECORD_DERIVE);
    w.line(SERDE_CRATE);
    w.open_fmt(format_args!("pub struct {record} {{"));
    w.doc(&format!(
        "Column `{}`: the `{}.{}` record.",
        link.left.key, link.left.module, link.left.model
    ));
    serde_rename(w, &link.left.key);
    field_decl(w, &link.left.key, &lid);
    w.doc(&format!(
        "Column `{}`: the `{}.{}` record.",
        link.right.key, link.right.module, link.right.model
    ));
    serde_rename(w, &link.right.key);
    field_decl(w, &link.right.key, &rid);
    w.line("/// Column `id`: the link row's id.");
    w.line("pub id: ::std::string::String,");
    for c in extras {
        w.doc(&format!("Extra column `{}`.", c.name));
        serde_rename(w, &c.name);
        field_decl(w, &c.name, &extra_rust(c));
    }
    w.line("/// Column `created_at`: when the pair was first linked.");
    w.line("pub created_at: __rt::DateTime,");
    w.line("/// Column `updated_at`: the last write of the row.");
    w.line("pub updated_at: __rt::DateTime,");
    w.line("/// Column `deleted_at`: when the pair was dismissed or deleted, if it was.");
    w.line("pub deleted_at: Option<__rt::DateTime>,");
    w.close("}");

    // Distinct field types for the FromRow bounds, in field order (both
    // sides of a self link share their id type).
    let mut bound_types: Vec<Cow<'_, str>> = Vec::with_capacity(5 + extras.len());
    let all = [
        Cow::Borrowed("::std::string::String"),
        Cow::Borrowed(lid.as_str()),
        Cow::Borrowed(rid.as_str()),
        Cow::Borrowed("__rt::DateTime"),
        Cow::Borrowed("Option<__rt::DateTime>"),
    ];
    let extra_types = extras.iter().map(|c| -> Cow<'_, str> { extra_rust(c) });
    for t in all.into_iter().chain(extra_types) {
        if !bound_types.contains(&t) {
            bound_types.push(t);
        }
    }
    w.blank();
    // rustfmt keeps this impl header on one line up to 100 columns,
    // indentation not counted.
    let head = "impl<'r, R: __rt::sqlx::Row> __rt::sqlx::FromRow<'r, R>";
    if head.len() + 5 + record.len() <= MAX_WIDTH {
        w.line_fmt(format_args!("{head} for {record}"));
    } else {
        w.line(head);
        w.depth += 1;
        w.line_fmt(format_args!("for {record}"));
        w.depth -= 1;
    }
    w.line("where");
    w.depth += 1;
    w.line("&'r str: __rt::sqlx::ColumnIndex<R>,");
    for t in &bound_types {
        w.split(
            &format!("{t}:"),
            "__rt::sqlx::Decode<'r, R::Database> + __rt::sqlx::Type<R::Database>,",
        );
    }
    w.depth -= 1;
    w.open("{");
    w.open("fn from_row(row: &'r R) -> Result<Self, __rt::sqlx::Error> {");
    w.open("Ok(Self {");
    let get = |w: &mut Writer, name: &str| {
        w.chain(
            &format!("{}: ", ident(name)),
            "row",
            &format!(".try_get({})?", Lit(name)),
            ",",
        );
    };
    get(w, &link.left.key);
    get(w, &link.right.key);
    get(w, "id");
    for c in extras {
        get(w, &c.name);
    }
    get(w, "created_at");
    get(w, "updated_at");
    get(w, "deleted_at");
    w.close("})");
    w.close("}");
    w.close("}");

    w.blank();
    // rustfmt keeps `impl Trait for Type {` on one line up to 101 columns,
    // indentation not counted.
    let head = format!("impl From<{record}> for {ty} {{");
    if head.len() <= MAX_WIDTH + 1 {
        w.open(&head);
    } else {
        w.line_fmt(format_args!("impl From<{record}>"));
        w.depth += 1;
        w.line_fmt(format_args!("for {ty}"));
        w.depth -= 1;
        w.open("{");
    }
    w.line("/// The link value of this row, e.g. to re-create it.");
    w.open_fmt(format_args!("fn from(row: {record}) -> Self {{"));
    let mut inline: Vec<String> = vec![format!("{lk}: row.{lk}"), format!("{rk}: row.{rk}")];
    inline.extend(extras.iter().map(|c| {
        let n = ident(&c.name);
        format!("{n}: Some(row.{n})")
    }));
    let width = inline.iter().map(|f| f.len() + 2).sum::<usize>() - 2;
    if width <= STRUCT_LIT_WIDTH && w.fits(width + 9) {
        w.line_fmt(format_args!("Self {{ {} }}", inline.join(", ")));
    } else {
        w.open("Self {");
        w.chain(&format!("{lk}: "), "row", &format!(".{lk}"), ",");
        w.chain(&format!("{rk}: "), "row", &format!(".{rk}"), ",");
        for c in extras {
            let n = ident(&c.name);
            w.call(&format!("{n}: Some("), &[format!("row.{n}")], "),");
        }
        w.close("}");
    }
    w.close("}");
    w.close("}");
}
