//! Names and types shared by the emitters: identifiers, type names, scalar
//! types and the relations of each entity.

use std::borrow::Cow;
use std::collections::HashMap;

use link_model::{
    EntityRef, ExtraColumn, Field, Link, LinkGraph, LinkKind, Model, Module, Relation, ScalarType,
    Via,
};

use super::writer::*;

/// Keywords that must be written as raw identifiers (`r#type`): syn's list
/// (strict and reserved keywords) and `gen`, reserved since edition 2024.
pub(super) fn is_raw_keyword(name: &str) -> bool {
    matches!(
        name,
        "abstract"
            | "as"
            | "async"
            | "await"
            | "become"
            | "box"
            | "break"
            | "const"
            | "continue"
            | "do"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "final"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "macro"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "override"
            | "priv"
            | "pub"
            | "ref"
            | "return"
            | "static"
            | "struct"
            | "trait"
            | "true"
            | "try"
            | "type"
            | "typeof"
            | "unsafe"
            | "unsized"
            | "use"
            | "virtual"
            | "where"
            | "while"
            | "yield"
    )
}

/// The Rust identifier of a field, column or relation name: raw identifiers
/// for keywords (`type`, `match`, ...); the keywords that cannot be raw
/// (`self`, `super`, `crate`, `_`) get a trailing `_`.
pub(super) fn ident(name: &str) -> Cow<'_, str> {
    match name {
        "self" | "Self" | "super" | "crate" | "_" => Cow::Owned(format!("{name}_")),
        _ if is_raw_keyword(name) => Cow::Owned(format!("r#{name}")),
        _ => Cow::Borrowed(name),
    }
}

/// Writes `#[serde(rename = "...")]` when a field's identifier is not its
/// name (serde already strips `r#` from raw identifiers).
pub(super) fn serde_rename(w: &mut Writer, name: &str) {
    if matches!(ident(name), Cow::Owned(id) if !id.starts_with("r#")) {
        w.line_fmt(format_args!("#[serde(rename = {})]", Lit(name)));
    }
}

pub(super) use crate::names::type_name;

pub(super) fn id_type(model: &str) -> String {
    let mut t = type_name(model);
    t.push_str("Id");
    t
}

pub(super) fn record_type(link: &str) -> String {
    let mut t = type_name(link);
    t.push_str("Record");
    t
}

/// The Rust type of an entity (a model or a stored link's rows).
pub(super) fn entity_type(e: &EntityRef) -> String {
    type_name(e.name())
}

/// Rust type of a scalar in records and link values.
pub(super) fn scalar_rust(t: ScalarType) -> &'static str {
    use ScalarType as T;
    match t {
        T::Text | T::Uuid | T::Decimal | T::Enum => "::std::string::String",
        T::Integer => "i32",
        T::BigInt => "i64",
        T::Float => "f32",
        T::Double => "f64",
        T::Boolean => "bool",
        T::Json => "__rt::serde_json::Value",
        T::Timestamp => "__rt::DateTime",
        T::Date => "__rt::Date",
    }
}

/// Rust type of an extra column's value.
pub(super) fn extra_rust(c: &ExtraColumn) -> Cow<'static, str> {
    let ty = scalar_rust(c.ty);
    if c.nullable {
        Cow::Owned(format!("Option<{ty}>"))
    } else {
        Cow::Borrowed(ty)
    }
}

// ---------------------------------------------------------------- relations

/// Relations grouped by owner, each group in declaration order.
pub(super) struct Relations<'g> {
    by_owner: HashMap<&'g EntityRef, Vec<&'g Relation>>,
}

impl<'g> Relations<'g> {
    pub(super) fn of(graph: &'g LinkGraph) -> Relations<'g> {
        let mut by_owner: HashMap<&EntityRef, Vec<&Relation>> = HashMap::new();
        for r in graph.relations.iter() {
            by_owner.entry(&r.owner).or_default().push(r);
        }
        Relations { by_owner }
    }

    pub(super) fn of_owner(&self, owner: &EntityRef) -> &[&'g Relation] {
        self.by_owner.get(owner).map_or(&[], Vec::as_slice)
    }
}

pub(super) fn relation_doc(r: &Relation) -> String {
    let kind = match r.via {
        Via::Pivot { .. } => "through the link table",
        Via::LinkRows { .. } => "rows of the link table",
        Via::LinkSide { .. } => "record of one side",
        Via::ForeignKey => "read-only link",
        Via::ReverseForeignKey => "read-only link, has-many direction",
    };
    format!("`{}` ({kind}, link `{}`).", r.name, r.link)
}

/// `const NAME: &'static str = "value";`
pub(super) fn str_const(w: &mut Writer, name: &str, value: &str) {
    w.split(
        &format!("const {name}: &'static str ="),
        &format!("{};", Lit(value)),
    );
}

/// `pub name: Type,`
pub(super) fn field_decl(w: &mut Writer, name: &str, ty: &str) {
    w.split(&format!("pub {}:", ident(name)), &format!("{ty},"));
}

pub(super) fn model_owner(module: &Module, model: &Model) -> EntityRef {
    EntityRef::Model {
        module: module.name.clone(),
        model: model.name.clone(),
    }
}

pub(super) fn link_owner(link: &Link) -> EntityRef {
    EntityRef::Link {
        link: link.name.clone(),
    }
}

/// Scalar columns of a link table, in table order.
pub(super) fn link_columns(link: &Link) -> Vec<Field> {
    let LinkKind::Stored(st) = &link.kind else {
        return Vec::new();
    };
    let field = |name: &str, ty, nullable| Field {
        name: name.to_string().into(),
        ty,
        nullable,
        hidden: false,
    };
    let mut cols = Vec::with_capacity(6 + st.extra_columns.len());
    cols.push(field(&link.left.key, ScalarType::Text, false));
    cols.push(field(&link.right.key, ScalarType::Text, false));
    cols.push(field("id", ScalarType::Text, false));
    cols.extend(st.extra_columns.iter().map(|c| Field {
        name: c.name.clone(),
        ty: c.ty,
        nullable: c.nullable,
        hidden: c.hidden,
    }));
    cols.push(field("created_at", ScalarType::Timestamp, false));
    cols.push(field("updated_at", ScalarType::Timestamp, false));
    cols.push(field("deleted_at", ScalarType::Timestamp, true));
    cols
}

/// Columns of an entity that hold a typed id, with the id type: a model's
/// text primary key, the two key columns of a link table.
pub(super) type IdColumns = Vec<(String, String)>;

/// The typed-id columns of a model (its primary key when it is text).
pub(super) fn model_ids(model: &Model) -> IdColumns {
    model
        .fields
        .iter()
        .filter(|f| {
            f.name == model.primary_key && matches!(f.ty, ScalarType::Text | ScalarType::Uuid)
        })
        .map(|f| (f.name.to_string(), id_type(&model.name)))
        .collect()
}

/// The typed-id columns of a stored link's table (its two key columns).
pub(super) fn link_ids(link: &Link) -> IdColumns {
    vec![
        (link.left.key.to_string(), id_type(&link.left.model)),
        (link.right.key.to_string(), id_type(&link.right.model)),
    ]
}

/// Rust type of a column's value (without the `Option` of a nullable
/// column), as entities and paths name it from their modules: the typed id
/// (`super::ProductId`) or the scalar type.
pub(super) fn column_rust(f: &Field, ids: &IdColumns) -> Cow<'static, str> {
    match ids.iter().find(|(c, _)| *c == *f.name) {
        Some((_, id)) => Cow::Owned(format!("super::{id}")),
        None => Cow::Borrowed(scalar_rust(f.ty)),
    }
}

/// Doc line of a column: `Column `name` (`text`, nullable).`
pub(super) fn column_doc(f: &Field) -> String {
    let null = if f.nullable { ", nullable" } else { "" };
    format!("Column `{}` (`{}`{null}).", f.name, f.ty.name())
}
