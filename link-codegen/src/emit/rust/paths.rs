//! `paths`: typed field paths for Query.

use std::borrow::Cow;

use link_model::{Field, Link, Model, Module, Relation};

use super::names::*;
use super::writer::*;

/// Method name of a field path accessor (avoids the path types' own methods).
pub(super) fn field_method(name: &str) -> Cow<'_, str> {
    match name {
        "all" | "root" | "path" => Cow::Owned(format!("{name}_field")),
        _ => ident(name),
    }
}

/// Method name of a relation path accessor (avoids the path types' own methods).
pub(super) fn relation_method(name: &str) -> Cow<'_, str> {
    match name {
        "all" | "root" | "path" => Cow::Owned(format!("{name}_relation")),
        _ => ident(name),
    }
}

pub(super) fn path_struct(w: &mut Writer, entity: &str, fields: &[Field], relations: &[&Relation]) {
    let ty = type_name(entity);
    let this = ["&self".to_string()];
    w.doc(&format!("Field paths of `{entity}`."));
    w.line("#[derive(Debug, Clone, PartialEq, Eq)]");
    w.line_fmt(format_args!("pub struct {ty}(__rt::PathPrefix);"));
    w.blank();
    w.open_fmt(format_args!("impl {ty} {{"));
    w.line("/// Paths from the query's root entity.");
    w.open("pub fn root() -> Self {");
    w.line("Self(__rt::PathPrefix::root())");
    w.close("}");
    w.blank();
    w.line("/// `*`: every scalar field of this level.");
    w.open("pub fn all(&self) -> __rt::FieldPath {");
    w.line("self.0.field(\"*\")");
    w.close("}");
    for f in fields {
        w.blank();
        w.doc(&format!("Field `{}`.", f.name));
        w.signature(
            &format!("pub fn {}(", field_method(&f.name)),
            &this,
            ") -> __rt::FieldPath {",
        );
        w.chain("", "self.0", &format!(".field({})", Lit(&f.name)), "");
        w.close("}");
    }
    for r in relations {
        let target = entity_type(&r.target);
        w.blank();
        w.doc(&relation_doc(r));
        w.signature(
            &format!("pub fn {}(", relation_method(&r.name)),
            &this,
            &format!(") -> {target} {{"),
        );
        w.call_chain(
            &format!("{target}("),
            "self.0",
            &format!(".relation({})", Lit(&r.name)),
            ")",
        );
        w.close("}");
    }
    w.close("}");
    w.blank();
    w.open_fmt(format_args!("impl __rt::EntityPath for {ty} {{"));
    str_const(w, "ENTITY", entity);
    w.split("type Output =", &format!("super::entities::{ty};"));
    w.close("}");
}

pub(super) fn model_path(
    w: &mut Writer,
    relations: &Relations<'_>,
    module: &Module,
    model: &Model,
) {
    path_struct(
        w,
        &model.name,
        &model.fields,
        relations.of_owner(&model_owner(module, model)),
    );
}

pub(super) fn link_path(w: &mut Writer, relations: &Relations<'_>, link: &Link) {
    path_struct(
        w,
        &link.name,
        &link_columns(link),
        relations.of_owner(&link_owner(link)),
    );
}
