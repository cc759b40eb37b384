//! `GRAPH` and `MIGRATIONS`: the link graph and the migrations as static data.

use std::fmt;

use link_model::{DefaultValue, EntityRef, LinkGraph, LinkKind, LinkSide, ScalarType, Side, Via};

use super::EmbeddedMigrations;
use super::writer::*;

/// `B("text")`: a borrowed `Cow` (`B` is `Cow::Borrowed` in `GRAPH`).
pub(super) struct B<'a>(pub(super) &'a str);

impl fmt::Display for B<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "B({})", Lit(self.0))
    }
}

pub(super) fn scalar_variant(t: ScalarType) -> &'static str {
    use ScalarType as T;
    match t {
        T::Text => "Text",
        T::Integer => "Integer",
        T::BigInt => "BigInt",
        T::Float => "Float",
        T::Double => "Double",
        T::Decimal => "Decimal",
        T::Boolean => "Boolean",
        T::Json => "Json",
        T::Timestamp => "Timestamp",
        T::Date => "Date",
        T::Uuid => "Uuid",
        T::Enum => "Enum",
    }
}

pub(super) fn side_variant(s: Side) -> &'static str {
    match s {
        Side::Left => "Side::Left",
        Side::Right => "Side::Right",
    }
}

pub(super) struct DefaultLit<'a>(pub(super) &'a Option<DefaultValue>);

impl fmt::Display for DefaultLit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("None"),
            Some(DefaultValue::Bool(b)) => write!(f, "Some(DefaultValue::Bool({b}))"),
            Some(DefaultValue::Int(i)) => write!(f, "Some(DefaultValue::Int({i}))"),
            Some(DefaultValue::Float(v)) => write!(f, "Some(DefaultValue::Float({}))", B(v)),
            Some(DefaultValue::Text(v)) => write!(f, "Some(DefaultValue::Text({}))", B(v)),
            Some(DefaultValue::Json(v)) => write!(f, "Some(DefaultValue::Json({}))", B(v)),
            Some(DefaultValue::Now) => f.write_str("Some(DefaultValue::Now)"),
        }
    }
}

pub(super) struct EntityRefLit<'a>(pub(super) &'a EntityRef);

impl fmt::Display for EntityRefLit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            EntityRef::Model { module, model } => write!(
                f,
                "EntityRef::Model {{ module: {}, model: {} }}",
                B(module),
                B(model)
            ),
            EntityRef::Link { link } => write!(f, "EntityRef::Link {{ link: {} }}", B(link)),
        }
    }
}

pub(super) struct LinkSideLit<'a>(pub(super) &'a LinkSide);

impl fmt::Display for LinkSideLit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(
            f,
            "LinkSide {{ module: {}, model: {}, key: {}, alias: {}, relation: {}, is_list: {}, delete_cascade: {} }}",
            B(&s.module),
            B(&s.model),
            B(&s.key),
            B(&s.alias),
            B(&s.relation),
            s.is_list,
            s.delete_cascade
        )
    }
}

pub(super) struct ViaLit(pub(super) Via);

impl fmt::Display for ViaLit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Via::Pivot { owner_side } => {
                write!(
                    f,
                    "Via::Pivot {{ owner_side: {} }}",
                    side_variant(owner_side)
                )
            }
            Via::LinkRows { owner_side } => {
                write!(
                    f,
                    "Via::LinkRows {{ owner_side: {} }}",
                    side_variant(owner_side)
                )
            }
            Via::LinkSide { side } => {
                write!(f, "Via::LinkSide {{ side: {} }}", side_variant(side))
            }
            Via::ForeignKey => f.write_str("Via::ForeignKey"),
            Via::ReverseForeignKey => f.write_str("Via::ReverseForeignKey"),
        }
    }
}

/// The `GRAPH` static: the graph as a constant expression, one line per
/// linkable key, field, extra column, link side and relation.
pub fn graph_static(graph: &LinkGraph) -> String {
    let mut w = Writer::with_capacity(1024 + graph.relations.len() * 300);
    write_graph(&mut w, graph);
    w.out
}

pub(super) fn write_graph(w: &mut Writer, graph: &LinkGraph) {
    w.line("/// The link graph the runtime plans queries and writes with.");
    w.line("#[rustfmt::skip]");
    w.open("pub static GRAPH: __rt::LinkGraph = {");
    w.line("use __rt::Cow::Borrowed as B;");
    w.line("use __rt::{");
    w.depth += 1;
    w.line("DefaultValue, EntityRef, ExtraColumn, Field, Link, LinkGraph, LinkKind, LinkSide,");
    w.line(
        "LinkableKey, Model, Module, ReadOnlyLink, Relation, ScalarType, Side, StoredLink, Via,",
    );
    w.depth -= 1;
    w.line("};");
    w.open("LinkGraph {");

    w.open_slice("modules", graph.modules.is_empty());
    for m in graph.modules.iter() {
        w.open("Module {");
        w.line_fmt(format_args!("name: {},", B(&m.name)));
        w.line_fmt(format_args!("data_source: {},", B(&m.data_source)));
        w.open_slice("models", m.models.is_empty());
        for model in m.models.iter() {
            w.open("Model {");
            w.line_fmt(format_args!("name: {},", B(&model.name)));
            w.line_fmt(format_args!("table: {},", B(&model.table)));
            w.line_fmt(format_args!("primary_key: {},", B(&model.primary_key)));
            w.open_slice("linkable_keys", model.linkable_keys.is_empty());
            for k in model.linkable_keys.iter() {
                w.line_fmt(format_args!(
                    "LinkableKey {{ name: {}, column: {} }},",
                    B(&k.name),
                    B(&k.column)
                ));
            }
            w.close_slice(model.linkable_keys.is_empty());
            w.open_slice("fields", model.fields.is_empty());
            for f in model.fields.iter() {
                w.line_fmt(format_args!(
                    "Field {{ name: {}, ty: ScalarType::{}, nullable: {}, hidden: {} }},",
                    B(&f.name),
                    scalar_variant(f.ty),
                    f.nullable,
                    f.hidden
                ));
            }
            w.close_slice(model.fields.is_empty());
            match &model.soft_delete {
                Some(sd) => w.line_fmt(format_args!("soft_delete: Some({}),", B(sd))),
                None => w.line("soft_delete: None,"),
            }
            w.close("},");
        }
        w.close_slice(m.models.is_empty());
        w.close("},");
    }
    w.close_slice(graph.modules.is_empty());

    w.open_slice("links", graph.links.is_empty());
    for l in graph.links.iter() {
        w.open("Link {");
        w.line_fmt(format_args!("name: {},", B(&l.name)));
        w.line_fmt(format_args!("left: {},", LinkSideLit(&l.left)));
        w.line_fmt(format_args!("right: {},", LinkSideLit(&l.right)));
        match &l.kind {
            LinkKind::Stored(st) => {
                w.open("kind: LinkKind::Stored(StoredLink {");
                w.line_fmt(format_args!("table: {},", B(&st.table)));
                w.line_fmt(format_args!("index_hash: {},", B(&st.index_hash)));
                w.line_fmt(format_args!("id_prefix: {},", B(&st.id_prefix)));
                w.open_slice("extra_columns", st.extra_columns.is_empty());
                for c in st.extra_columns.iter() {
                    w.line_fmt(format_args!(
                            "ExtraColumn {{ name: {}, ty: ScalarType::{}, nullable: {}, default: {}, hidden: {} }},",
                            B(&c.name),
                            scalar_variant(c.ty),
                            c.nullable,
                        DefaultLit(&c.default),
                        c.hidden
                    ));
                }
                w.close_slice(st.extra_columns.is_empty());
                w.close("}),");
            }
            LinkKind::ReadOnly(ro) => {
                w.line_fmt(format_args!(
                    "kind: LinkKind::ReadOnly(ReadOnlyLink {{ field: {} }}),",
                    B(&ro.field)
                ));
            }
        }
        w.close("},");
    }
    w.close_slice(graph.links.is_empty());

    w.open_slice("relations", graph.relations.is_empty());
    for r in graph.relations.iter() {
        w.line_fmt(format_args!(
            "Relation {{ owner: {}, name: {}, target: {}, is_list: {}, link: {}, via: {} }},",
            EntityRefLit(&r.owner),
            B(&r.name),
            EntityRefLit(&r.target),
            r.is_list,
            B(&r.link),
            ViaLit(r.via)
        ));
    }
    w.close_slice(graph.relations.is_empty());

    w.close("}");
    w.close("};");
}

pub(super) fn migrations_static(w: &mut Writer, m: &EmbeddedMigrations) {
    w.line("/// The generated link-table migrations, for `link_runtime::migrate::run`.");
    w.line("#[rustfmt::skip]");
    w.open("pub static MIGRATIONS: __rt::Migrations = __rt::Migrations {");
    for dialect in ["sqlite", "postgres"] {
        w.open_fmt(format_args!("{dialect}: &["));
        for (version, description) in &m.list {
            let path = format!("{}/{dialect}/{version:04}_{description}.sql", m.dir);
            w.open("__rt::MigrationSource {");
            w.line_fmt(format_args!("version: {version},"));
            w.line_fmt(format_args!("description: {},", Lit(description)));
            w.line_fmt(format_args!("sql: include_str!({}),", Lit(&path)));
            w.close("},");
        }
        w.close("],");
    }
    w.close("};");
}
