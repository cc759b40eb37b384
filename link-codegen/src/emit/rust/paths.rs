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

pub(super) fn path_struct(
    w: &mut Writer,
    entity: &str,
    fields: &[Field],
    ids: &IdColumns,
    relations: &[&Relation],
) {
    let ty = type_name(entity);
    let this = ["&self".to_string()];
    w.doc(&format!(
        "Field paths of `{entity}` in requests rooted at `R`, reached through a relation of"
    ));
    w.doc("cardinality `C` (`__rt::One` at the root).");
    w.line("#[derive(Debug, Clone, PartialEq, Eq)]");
    w.open_fmt(format_args!(
        "pub struct {ty}<R = super::entities::{ty}, C = __rt::One>("
    ));
    w.line("__rt::PathPrefix,");
    w.line("::std::marker::PhantomData<fn() -> (R, C)>,");
    w.close(");");
    w.blank();
    w.open_fmt(format_args!("impl {ty} {{"));
    w.line("/// Paths from the query's root entity.");
    w.open("pub fn root() -> Self {");
    w.line("Self(__rt::PathPrefix::root(), ::std::marker::PhantomData)");
    w.close("}");
    w.close("}");
    w.blank();
    w.open_fmt(format_args!("impl<R, C> {ty}<R, C> {{"));
    w.line("/// `*`: every scalar field of this level.");
    w.open("pub fn all(&self) -> __rt::typed::AnyField<R> {");
    w.line("__rt::typed::AnyField::new(self.0.field(\"*\"))");
    w.close("}");
    for f in fields {
        let col = column_rust(f, ids);
        let col = if f.nullable {
            format!("Option<{col}>")
        } else {
            col.into_owned()
        };
        w.blank();
        w.doc(&column_doc(f));
        w.signature(
            &format!("pub fn {}(", field_method(&f.name)),
            &this,
            &format!(") -> __rt::typed::Field<R, {col}> {{"),
        );
        w.call_chain(
            "__rt::typed::Field::new(",
            "self.0",
            &format!(".field({})", Lit(&f.name)),
            ")",
        );
        w.close("}");
    }
    for r in relations {
        let target = entity_type(&r.target);
        let card = if r.is_list { "__rt::Many" } else { "__rt::One" };
        w.blank();
        w.doc(&relation_doc(r));
        w.signature(
            &format!("pub fn {}(", relation_method(&r.name)),
            &this,
            &format!(") -> {target}<R, {card}> {{"),
        );
        w.call(
            &format!("{target}("),
            &[
                format!("self.0.relation({})", Lit(&r.name)),
                "::std::marker::PhantomData".to_string(),
            ],
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
    w.blank();
    w.open_fmt(format_args!(
        "impl<R, C: __rt::Cardinality> __rt::RelationPath for {ty}<R, C> {{"
    ));
    w.line("type Root = R;");
    w.split("type Target =", &format!("super::entities::{ty};"));
    w.line("type Card = C;");
    w.blank();
    w.open("fn prefix(&self) -> &__rt::PathPrefix {");
    w.line("&self.0");
    w.close("}");
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
        &model_ids(model),
        relations.of_owner(&model_owner(module, model)),
    );
}

pub(super) fn link_path(w: &mut Writer, relations: &Relations<'_>, link: &Link) {
    path_struct(
        w,
        &link.name,
        &link_columns(link),
        &link_ids(link),
        relations.of_owner(&link_owner(link)),
    );
}
