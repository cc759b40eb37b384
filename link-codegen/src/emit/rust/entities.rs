//! `entities`: one serde struct per model and stored link, for graph results.

use link_model::{Field, Link, Model, Module, Relation};

use super::names::*;
use super::writer::*;

pub(super) fn entity_derive(w: &mut Writer) {
    w.line("#[derive(");
    w.depth += 1;
    w.line("Debug, Clone, Default, PartialEq, __rt::serde::Serialize, __rt::serde::Deserialize,");
    w.depth -= 1;
    w.line(")]");
    w.line(SERDE_CRATE);
}

pub(super) const SERDE_CRATE: &str = "#[serde(crate = \"__rt::serde\")]";
pub(super) const SKIP_NONE: &str = "#[serde(default, skip_serializing_if = \"Option::is_none\")]";

/// The fields and relations of an entity struct (all optional).
pub(super) fn entity_members(
    w: &mut Writer,
    fields: &[Field],
    ids: &IdColumns,
    relations: &[&Relation],
) {
    for f in fields {
        w.doc(&column_doc(f));
        w.line(SKIP_NONE);
        serde_rename(w, &f.name);
        field_decl(w, &f.name, &format!("Option<{}>", column_rust(f, ids)));
    }
    for r in relations {
        w.doc(&relation_doc(r));
        w.line(SKIP_NONE);
        serde_rename(w, &r.name);
        let wrapper = if r.is_list { "Vec" } else { "Box" };
        field_decl(
            w,
            &r.name,
            &format!("Option<{wrapper}<{}>>", entity_type(&r.target)),
        );
    }
}

pub(super) fn model_entity(
    w: &mut Writer,
    relations: &Relations<'_>,
    module: &Module,
    model: &Model,
) {
    let ty = type_name(&model.name);
    w.doc(&format!(
        "`{}.{}` (table `{}`, data source `{}`).",
        module.name, model.name, model.table, module.data_source
    ));
    entity_derive(w);
    w.open_fmt(format_args!("pub struct {ty} {{"));
    entity_members(
        w,
        &model.fields,
        &model_ids(model),
        relations.of_owner(&model_owner(module, model)),
    );
    w.close("}");
    w.blank();
    w.open_fmt(format_args!("impl __rt::Entity for {ty} {{"));
    str_const(w, "MODULE", &module.name);
    str_const(w, "NAME", &model.name);
    w.close("}");
    query_root(w, &ty, &model.name);
}

/// `impl __rt::QueryRoot`: the entity as the root of typed requests.
fn query_root(w: &mut Writer, ty: &str, entity: &str) {
    w.blank();
    w.open_fmt(format_args!("impl __rt::QueryRoot for {ty} {{"));
    str_const(w, "ENTITY", entity);
    w.close("}");
}

pub(super) fn link_entity(w: &mut Writer, relations: &Relations<'_>, link: &Link) {
    w.doc(&format!(
        "Rows of link `{}` between `{}.{}` and `{}.{}`, as graph results.",
        link.name, link.left.module, link.left.model, link.right.module, link.right.model
    ));
    entity_derive(w);
    w.open_fmt(format_args!("pub struct {} {{", type_name(&link.name)));
    entity_members(
        w,
        &link_columns(link),
        &link_ids(link),
        relations.of_owner(&link_owner(link)),
    );
    w.close("}");
    query_root(w, &type_name(&link.name), &link.name);
}
