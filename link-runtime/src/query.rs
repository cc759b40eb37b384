//! Query: `graph` over field paths across modules, with filters (including
//! filters on linked records that narrow the root), pagination, ordering by
//! to-one linked fields and per-parent limits on nested lists.
//!
//! Execution: one statement per relation hop (plus one for the count), never
//! one per row. A hop inside one database takes the parent rows' keys as a
//! list when there are few (at most 1,000), and is otherwise a
//! semi-join on the parent level's key query, so no long id lists travel
//! (the root's semi-joined relations are read while the root's statement
//! runs, the count alongside the relations); a hop into another database is
//! batched by keys with chunked `IN` lists and stitched in memory. On SQLite
//! a level's rows come back packed in one JSON value when their types allow
//! (see `fetch_rows`).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use link_model::{EntityRef, Field, LinkGraph, LinkKind, Relation, ScalarType, Via};

use crate::db::{Arg, Dialect, Sql, quote, select_expr};
use crate::error::{Error, one_of};
use crate::link::Databases;
use crate::path::{EntityPath, FieldPath};

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Dir {
    Asc,
    Desc,
}

/// Arguments of a nested list: filters narrowing only that list, a
/// per-parent limit and an order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nested {
    pub filters: Value,
    pub take: Option<u64>,
    pub order: Vec<(String, Dir)>,
}

/// A graph request.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub entity: String,
    pub fields: Vec<String>,
    /// Root filters; keys may be fields, relations (narrowing the root to
    /// records with a matching linked record), `$and`, `$or`, `$not`.
    pub filters: Value,
    pub skip: Option<u64>,
    pub take: Option<u64>,
    /// Root order: root fields or fields of to-one relations (`sales_channel.name`).
    pub order: Vec<(String, Dir)>,
    /// Nested list arguments by relation path (`products`, `sales_channels.stock_locations`).
    pub nested: BTreeMap<String, Nested>,
    /// Include soft-deleted records and links.
    pub with_deleted: bool,
}

impl Graph {
    pub fn new(entity: impl Into<String>) -> Graph {
        Graph {
            entity: entity.into(),
            fields: Vec::new(),
            filters: Value::Null,
            skip: None,
            take: None,
            order: Vec::new(),
            nested: BTreeMap::new(),
            with_deleted: false,
        }
    }

    /// A request for the entity of generated path type `P`.
    pub fn of<P: EntityPath>() -> Graph {
        Graph::new(P::ENTITY)
    }

    pub fn fields<I, S>(mut self, fields: I) -> Graph
    where
        I: IntoIterator<Item = S>,
        S: Into<FieldOrPath>,
    {
        self.fields.extend(fields.into_iter().map(|f| f.into().0));
        self
    }

    pub fn filters(mut self, filters: Value) -> Graph {
        self.filters = filters;
        self
    }

    pub fn skip(mut self, n: u64) -> Graph {
        self.skip = Some(n);
        self
    }

    pub fn take(mut self, n: u64) -> Graph {
        self.take = Some(n);
        self
    }

    pub fn order(mut self, path: impl Into<FieldOrPath>, dir: Dir) -> Graph {
        self.order.push((path.into().0, dir));
        self
    }

    pub fn nested(mut self, relation_path: impl Into<String>, nested: Nested) -> Graph {
        self.nested.insert(relation_path.into(), nested);
        self
    }

    pub fn with_deleted(mut self, yes: bool) -> Graph {
        self.with_deleted = yes;
        self
    }

    /// The dynamic form: `{"entity", "fields", "filters", "pagination":
    /// {"skip", "take", "order": {"<path>": "ASC"|"DESC"}}, "nested":
    /// {"<relation path>": {"filters", "take", "order"}}, "with_deleted"}`.
    pub fn from_json(v: &Value) -> Result<Graph, Error> {
        let bad = |m: String| Error::InvalidValue { message: m };
        let obj = v
            .as_object()
            .ok_or_else(|| bad(format!("a graph request is an object, found {v}")))?;
        for k in obj.keys() {
            if ![
                "entity",
                "fields",
                "filters",
                "pagination",
                "nested",
                "with_deleted",
            ]
            .contains(&k.as_str())
            {
                return Err(bad(format!(
                    "unknown key `{k}` in a graph request; expected one of `entity`, `fields`, `filters`, `pagination`, `nested` or `with_deleted`"
                )));
            }
        }
        let entity = obj
            .get("entity")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`entity` must be a string".to_string()))?;
        let mut g = Graph::new(entity);
        match obj.get("fields") {
            None => {}
            Some(Value::Array(a)) => {
                for f in a {
                    g.fields.push(
                        f.as_str()
                            .ok_or_else(|| bad(format!("`fields` holds strings, found {f}")))?
                            .to_string(),
                    );
                }
            }
            Some(other) => {
                return Err(bad(format!(
                    "`fields` must be an array of strings, found {other}"
                )));
            }
        }
        g.filters = obj.get("filters").cloned().unwrap_or(Value::Null);
        if let Some(p) = obj.get("pagination") {
            let p = p
                .as_object()
                .ok_or_else(|| bad("`pagination` must be an object".to_string()))?;
            g.skip = opt_u64(p.get("skip"), "skip")?;
            g.take = opt_u64(p.get("take"), "take")?;
            g.order = parse_order(p.get("order"))?;
        }
        if let Some(n) = obj.get("nested") {
            let n = n
                .as_object()
                .ok_or_else(|| bad("`nested` must be an object".to_string()))?;
            for (path, args) in n {
                let a = args
                    .as_object()
                    .ok_or_else(|| bad(format!("`nested.{path}` must be an object")))?;
                g.nested.insert(
                    path.clone(),
                    Nested {
                        filters: a.get("filters").cloned().unwrap_or(Value::Null),
                        take: opt_u64(a.get("take"), "take")?,
                        order: parse_order(a.get("order"))?,
                    },
                );
            }
        }
        g.with_deleted = obj
            .get("with_deleted")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        Ok(g)
    }
}

fn opt_u64(v: Option<&Value>, name: &str) -> Result<Option<u64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| Error::InvalidPagination {
                message: format!("`{name}` must be a non-negative integer, found {v}"),
            }),
    }
}

fn parse_order(v: Option<&Value>) -> Result<Vec<(String, Dir)>, Error> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let obj = v.as_object().ok_or_else(|| Error::InvalidPagination {
        message: format!("`order` must be an object like {{\"title\": \"ASC\"}}, found {v}"),
    })?;
    obj.iter()
        .map(|(k, d)| {
            let dir = match d.as_str().map(str::to_ascii_uppercase).as_deref() {
                Some("ASC") => Dir::Asc,
                Some("DESC") => Dir::Desc,
                _ => {
                    return Err(Error::InvalidPagination {
                        message: format!("order of `{k}` must be \"ASC\" or \"DESC\", found {d}"),
                    });
                }
            };
            Ok((k.clone(), dir))
        })
        .collect()
}

/// A field given as text or as a generated typed path.
pub struct FieldOrPath(String);

impl From<&str> for FieldOrPath {
    fn from(s: &str) -> Self {
        FieldOrPath(s.to_string())
    }
}

impl From<String> for FieldOrPath {
    fn from(s: String) -> Self {
        FieldOrPath(s)
    }
}

impl From<FieldPath> for FieldOrPath {
    fn from(p: FieldPath) -> Self {
        FieldOrPath(p.into())
    }
}

/// Pagination metadata of a root query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metadata {
    pub count: u64,
    pub skip: u64,
    pub take: Option<u64>,
}

/// Rows plus metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphResult<T = Value> {
    pub data: Vec<T>,
    pub metadata: Option<Metadata>,
}

/// The Query service.
#[derive(Clone)]
pub struct Query {
    graph: Arc<LinkGraph>,
    dbs: Databases,
}

// ---------------------------------------------------------------- planning

/// What a query level reads.
#[derive(Debug, Clone)]
struct EntityInfo {
    name: String,
    table: String,
    /// Primary key column (`id` for link rows).
    pk: String,
    data_source: String,
    fields: Vec<Field>,
    soft_delete: Option<String>,
    entity: EntityRef,
}

/// How a child level joins its parent.
#[derive(Debug, Clone)]
enum Hop {
    /// `child.col = parent.parent_col`.
    Direct {
        parent_col: String,
        child_col: String,
    },
    /// Through a link table: `pivot.parent_key = parent.parent_col AND
    /// pivot.target_key = child.child_col`.
    Pivot {
        parent_col: String,
        pivot_table: String,
        pivot_parent_key: String,
        pivot_target_key: String,
        child_col: String,
    },
}

impl Hop {
    fn parent_col(&self) -> &str {
        match self {
            Hop::Direct { parent_col, .. } | Hop::Pivot { parent_col, .. } => parent_col,
        }
    }
}

#[derive(Debug, Clone)]
struct Level {
    info: EntityInfo,
    /// Requested scalar fields, in request order.
    scalars: Vec<String>,
    children: Vec<Child>,
    nested: Nested,
    /// Dotted relation path from the root ("" at the root).
    path: String,
}

#[derive(Debug, Clone)]
struct Child {
    name: String,
    is_list: bool,
    hop: Hop,
    level: Level,
}

impl Query {
    pub fn new(graph: impl Into<Arc<LinkGraph>>, dbs: Databases) -> Query {
        Query {
            graph: graph.into(),
            dbs,
        }
    }

    pub fn graph_def(&self) -> &LinkGraph {
        &self.graph
    }

    /// Entities the graph can be queried by: models and stored links.
    fn entity_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.graph.models().map(|(_, m)| m.name.as_ref()).collect();
        v.extend(self.graph.stored_links().map(|(l, _)| l.name.as_ref()));
        v
    }

    fn entity_info(&self, e: &EntityRef) -> Option<EntityInfo> {
        match e {
            EntityRef::Model { module, model } => {
                let m = self.graph.module(module)?;
                let model = m.models.iter().find(|x| x.name == *model)?;
                Some(EntityInfo {
                    name: model.name.to_string(),
                    table: model.table.to_string(),
                    pk: model.primary_key.to_string(),
                    data_source: m.data_source.to_string(),
                    fields: model.fields.to_vec(),
                    soft_delete: model.soft_delete.as_ref().map(|s| s.to_string()),
                    entity: e.clone(),
                })
            }
            EntityRef::Link { link } => {
                let l = self.graph.link(link)?;
                let LinkKind::Stored(st) = &l.kind else {
                    return None;
                };
                let text = |n: &str, nullable| Field {
                    name: n.to_string().into(),
                    ty: ScalarType::Text,
                    nullable,
                };
                let mut fields = vec![
                    text(&l.left.key, false),
                    text(&l.right.key, false),
                    text("id", false),
                ];
                fields.extend(st.extra_columns.iter().map(|c| Field {
                    name: c.name.clone(),
                    ty: c.ty,
                    nullable: c.nullable,
                }));
                for (n, nullable) in [
                    ("created_at", false),
                    ("updated_at", false),
                    ("deleted_at", true),
                ] {
                    fields.push(Field {
                        name: n.into(),
                        ty: ScalarType::Timestamp,
                        nullable,
                    });
                }
                Some(EntityInfo {
                    name: l.name.to_string(),
                    table: st.table.to_string(),
                    pk: "id".to_string(),
                    data_source: "default".to_string(),
                    fields,
                    soft_delete: Some("deleted_at".to_string()),
                    entity: e.clone(),
                })
            }
        }
    }

    fn root_entity(&self, name: &str) -> Result<EntityInfo, Error> {
        let found = self
            .graph
            .models()
            .find(|(_, m)| m.name == name)
            .map(|(module, m)| EntityRef::Model {
                module: module.name.clone(),
                model: m.name.clone(),
            })
            .or_else(|| {
                self.graph
                    .stored_links()
                    .find(|(l, _)| l.name == name)
                    .map(|(l, _)| EntityRef::Link {
                        link: l.name.clone(),
                    })
            });
        found
            .and_then(|e| self.entity_info(&e))
            .ok_or_else(|| Error::UnknownEntity {
                entity: name.to_string(),
                expected: one_of(self.entity_names()),
            })
    }

    /// The column holding a side's linkable key on its model.
    fn key_column(&self, module: &str, model: &str, key: &str) -> String {
        self.graph
            .model(module, model)
            .and_then(|m| {
                m.linkable_keys
                    .iter()
                    .find(|k| k.name == key)
                    .map(|k| k.column.to_string())
            })
            .unwrap_or_else(|| key.to_string())
    }

    fn hop(&self, r: &Relation) -> Hop {
        let link = self
            .graph
            .link(&r.link)
            .expect("relations name existing links");
        let stored_table = match &link.kind {
            LinkKind::Stored(st) => st.table.to_string(),
            LinkKind::ReadOnly(_) => String::new(),
        };
        match r.via {
            Via::Pivot { owner_side } => {
                let owner = link.side(owner_side);
                let target = link.side(owner_side.other());
                Hop::Pivot {
                    parent_col: self.key_column(&owner.module, &owner.model, &owner.key),
                    pivot_table: stored_table,
                    pivot_parent_key: owner.key.to_string(),
                    pivot_target_key: target.key.to_string(),
                    child_col: self.key_column(&target.module, &target.model, &target.key),
                }
            }
            Via::LinkRows { owner_side } => {
                let owner = link.side(owner_side);
                Hop::Direct {
                    parent_col: self.key_column(&owner.module, &owner.model, &owner.key),
                    child_col: owner.key.to_string(),
                }
            }
            Via::LinkSide { side } => {
                let s = link.side(side);
                Hop::Direct {
                    parent_col: s.key.to_string(),
                    child_col: self.key_column(&s.module, &s.model, &s.key),
                }
            }
            Via::ForeignKey => Hop::Direct {
                parent_col: link.left.key.to_string(),
                child_col: link.right.key.to_string(),
            },
            Via::ReverseForeignKey => Hop::Direct {
                parent_col: link.right.key.to_string(),
                child_col: link.left.key.to_string(),
            },
        }
    }

    fn relations_of(&self, e: &EntityRef) -> Vec<&Relation> {
        self.graph.relations_of(e).collect()
    }

    fn choices(&self, info: &EntityInfo) -> String {
        let mut v: Vec<String> = vec!["*".to_string()];
        v.extend(info.fields.iter().map(|f| f.name.to_string()));
        v.extend(
            self.relations_of(&info.entity)
                .iter()
                .map(|r| r.name.to_string()),
        );
        one_of(v)
    }

    fn plan(&self, req: &Graph) -> Result<Level, Error> {
        let info = self.root_entity(&req.entity)?;
        let mut root = Level {
            info,
            scalars: Vec::new(),
            children: Vec::new(),
            nested: Nested::default(),
            path: String::new(),
        };
        for f in &req.fields {
            self.add_field(&mut root, f, f)?;
        }
        for (path, n) in &req.nested {
            let level = self.find_level(&mut root, path)?;
            level.nested = n.clone();
        }
        Ok(root)
    }

    fn find_level<'l>(&self, root: &'l mut Level, path: &str) -> Result<&'l mut Level, Error> {
        let mut cur = root;
        for seg in path.split('.') {
            let choices = cur
                .children
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>();
            let entity = cur.info.name.clone();
            match cur.children.iter().position(|c| c.name == seg) {
                Some(i) => cur = &mut cur.children[i].level,
                None => {
                    return Err(Error::UnknownField {
                        entity,
                        name: seg.to_string(),
                        path: path.to_string(),
                        expected: format!("a requested relation: {}", one_of(choices)),
                    });
                }
            }
        }
        Ok(cur)
    }

    fn add_field(&self, level: &mut Level, rest: &str, full: &str) -> Result<(), Error> {
        let (head, tail) = match rest.split_once('.') {
            Some((h, t)) => (h, Some(t)),
            None => (rest, None),
        };
        if tail.is_none() && (head == "*" || level.info.fields.iter().any(|f| f.name == head)) {
            if head == "*" {
                for f in &level.info.fields {
                    if !level.scalars.iter().any(|s| s == f.name.as_ref()) {
                        level.scalars.push(f.name.to_string());
                    }
                }
            } else if !level.scalars.iter().any(|s| s == head) {
                level.scalars.push(head.to_string());
            }
            return Ok(());
        }
        let rel = self
            .relations_of(&level.info.entity)
            .into_iter()
            .find(|r| r.name == head)
            .cloned()
            .ok_or_else(|| Error::UnknownField {
                entity: level.info.name.clone(),
                name: head.to_string(),
                path: full.to_string(),
                expected: self.choices(&level.info),
            })?;
        let idx = match level.children.iter().position(|c| c.name == head) {
            Some(i) => i,
            None => {
                let info = self
                    .entity_info(&rel.target)
                    .expect("relation targets exist");
                let path = if level.path.is_empty() {
                    head.to_string()
                } else {
                    format!("{}.{head}", level.path)
                };
                level.children.push(Child {
                    name: head.to_string(),
                    is_list: rel.is_list,
                    hop: self.hop(&rel),
                    level: Level {
                        info,
                        scalars: Vec::new(),
                        children: Vec::new(),
                        nested: Nested::default(),
                        path,
                    },
                });
                level.children.len() - 1
            }
        };
        // `relation` alone means `relation.*`.
        self.add_field(&mut level.children[idx].level, tail.unwrap_or("*"), full)
    }
}

// ---------------------------------------------------------------- SQL building

/// A level's position in the query: how to write its row source as SQL.
#[derive(Clone, Copy)]
enum Source<'a> {
    Root {
        level: &'a Level,
        req: &'a Graph,
        resolved: &'a Resolved,
        /// The count of a paginated request: no order, no page.
        count: bool,
    },
    Child {
        parent: &'a Source<'a>,
        child: &'a Child,
        resolved: &'a Resolved,
    },
}

/// Values found by pre-queries in other databases, by filter location.
#[derive(Debug, Default, Clone)]
struct Resolved {
    /// Parent key values, by relation filter (or batched child) identity.
    in_lists: HashMap<usize, Vec<String>>,
    /// Target key values of a relation filter whose link table lives with
    /// the parent but whose target lives elsewhere.
    target_lists: HashMap<usize, Vec<String>>,
    /// SQLite: write the root level's relation filters through a link table
    /// as semi-joins (`key IN (SELECT …)`) rather than correlated `EXISTS`,
    /// so the link table's index drives the query instead of a probe per
    /// root row. Set when no field condition narrows the root, where the
    /// probes would be cheaper.
    root_semi_join: bool,
}

impl Source<'_> {
    fn level(&self) -> &Level {
        match self {
            Source::Root { level, .. } => level,
            Source::Child { child, .. } => &child.level,
        }
    }

    fn depth(&self) -> usize {
        match self {
            Source::Root { .. } => 0,
            Source::Child { parent, .. } => parent.depth() + 1,
        }
    }
}

fn alias(depth: usize) -> String {
    format!("t{depth}")
}

fn pivot_alias(depth: usize) -> String {
    format!("k{depth}")
}

/// `ORDER BY` of a nested list or the root.
fn order_exprs(
    q: &Query,
    d: Dialect,
    level: &Level,
    a: &str,
    order: &[(String, Dir)],
    full: bool,
) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for (path, dir) in order {
        let dir_sql = match dir {
            Dir::Asc => "ASC",
            Dir::Desc => "DESC",
        };
        let expr = match path.split_once('.') {
            None => {
                let f = level
                    .info
                    .fields
                    .iter()
                    .find(|f| f.name == path.as_str())
                    .ok_or_else(|| Error::InvalidPagination {
                        message: format!(
                            "cannot order `{}` by `{path}`; expected one of {}",
                            level.info.name,
                            one_of(level.info.fields.iter().map(|f| f.name.as_ref()))
                        ),
                    })?;
                select_expr(d, a, &f.name, f.ty)
            }
            Some((rel, field)) if full => {
                // A field of a to-one relation: correlated scalar subquery.
                let r = q
                    .relations_of(&level.info.entity)
                    .into_iter()
                    .find(|r| r.name == rel)
                    .ok_or_else(|| Error::InvalidPagination {
                        message: format!(
                            "cannot order `{}` by `{path}`: no relation `{rel}`; expected one of {}",
                            level.info.name,
                            one_of(q.relations_of(&level.info.entity).iter().map(|r| r.name.as_ref()))
                        ),
                    })?;
                if r.is_list {
                    return Err(Error::InvalidPagination {
                        message: format!(
                            "cannot order by `{path}`: `{rel}` is a list; only to-one relations can order"
                        ),
                    });
                }
                let target = q.entity_info(&r.target).expect("relation targets exist");
                if target.data_source != level.info.data_source {
                    return Err(Error::InvalidPagination {
                        message: format!(
                            "cannot order by `{path}`: `{}` lives in data source `{}`, `{}` in `{}`",
                            target.name,
                            target.data_source,
                            level.info.name,
                            level.info.data_source
                        ),
                    });
                }
                let f = target.fields.iter().find(|f| f.name == field).ok_or_else(|| Error::InvalidPagination {
                    message: format!(
                        "cannot order by `{path}`: `{}` has no field `{field}`; expected one of {}",
                        target.name,
                        one_of(target.fields.iter().map(|f| f.name.as_ref()))
                    ),
                })?;
                let hop = q.hop(r);
                let ob = "o";
                let col = select_expr(d, ob, &f.name, f.ty);
                let soft = target
                    .soft_delete
                    .as_ref()
                    .map(|s| format!(" AND {}.{} IS NULL", quote(ob), quote(s)))
                    .unwrap_or_default();
                match &hop {
                    Hop::Direct {
                        parent_col,
                        child_col,
                    } => format!(
                        "(SELECT {col} FROM {} {} WHERE {}.{} = {}.{}{soft} LIMIT 1)",
                        quote(&target.table),
                        quote(ob),
                        quote(ob),
                        quote(child_col),
                        quote(a),
                        quote(parent_col)
                    ),
                    Hop::Pivot {
                        parent_col,
                        pivot_table,
                        pivot_parent_key,
                        pivot_target_key,
                        child_col,
                    } => format!(
                        "(SELECT {col} FROM {} \"ok\" JOIN {} {} ON {}.{} = \"ok\".{} WHERE \"ok\".\"deleted_at\" IS NULL AND \"ok\".{} = {}.{}{soft} LIMIT 1)",
                        quote(pivot_table),
                        quote(&target.table),
                        quote(ob),
                        quote(ob),
                        quote(child_col),
                        quote(pivot_target_key),
                        quote(pivot_parent_key),
                        quote(a),
                        quote(parent_col)
                    ),
                }
            }
            Some(_) => {
                return Err(Error::InvalidPagination {
                    message: format!("nested lists order by their own fields only, not `{path}`"),
                });
            }
        };
        out.push(format!("{expr} {dir_sql}"));
    }
    Ok(out)
}

/// A write step that needs recursion through the filter tree.
type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Query {
    /// Writes `SELECT <select> FROM <source> WHERE …` for a level. `select`
    /// receives the row alias and returns the select list.
    fn write_rows(
        &self,
        sql: &mut Sql,
        d: Dialect,
        src: &Source<'_>,
        select: &dyn Fn(&str) -> String,
        with_order: bool,
        mut pack: Option<&mut Vec<String>>,
    ) -> Result<(), Error> {
        let depth = src.depth();
        let a = alias(depth);
        let level = src.level();
        match src {
            Source::Root {
                req,
                resolved,
                count,
                ..
            } => {
                let paged = !count && (req.take.is_some() || req.skip.is_some());
                sql.push("SELECT ").push(&select(&a));
                if let Some(out) = pack.as_deref_mut() {
                    let mut order = order_exprs(self, d, level, &a, &req.order, true)?;
                    order.push(format!("{}.{} ASC", quote(&a), quote(&primary(level))));
                    order_columns(sql, &order, out);
                }
                sql.push(" FROM ")
                    .ident(&level.info.table)
                    .push(" ")
                    .ident(&a);
                sql.push(" WHERE 1=1");
                self.write_soft(sql, &level.info, &a, req.with_deleted);
                if !req.filters.is_null() {
                    sql.push(" AND ");
                    self.write_filter(
                        sql,
                        d,
                        &level.info,
                        &a,
                        &req.filters,
                        "",
                        req.with_deleted,
                        depth,
                        resolved,
                    )?;
                }
                let mut order = order_exprs(self, d, level, &a, &req.order, true)?;
                // Packed rows are ordered by the aggregate; a page still needs
                // its order here.
                if (with_order && pack.is_none()) || paged {
                    order.push(format!("{}.{} ASC", quote(&a), quote(&primary(level))));
                    sql.push(" ORDER BY ").push(&order.join(", "));
                    if let Some(t) = req.take {
                        sql.push(" LIMIT ").arg(Arg::Int(t as i64));
                    } else if req.skip.is_some() && d == Dialect::Sqlite {
                        sql.push(" LIMIT -1");
                    }
                    if let Some(s) = req.skip {
                        sql.push(" OFFSET ").arg(Arg::Int(s as i64));
                    }
                }
            }
            Source::Child {
                parent,
                child,
                resolved,
            } => {
                let with_deleted = root_req(src).with_deleted;
                let per_parent = child.level.nested.take.is_some();
                let parent_expr = match &child.hop {
                    Hop::Direct { child_col, .. } => format!("{}.{}", quote(&a), quote(child_col)),
                    Hop::Pivot {
                        pivot_parent_key, ..
                    } => format!("{}.{}", quote(&pivot_alias(depth)), quote(pivot_parent_key)),
                };
                let mut order = order_exprs(self, d, level, &a, &child.level.nested.order, false)?;
                match &child.hop {
                    Hop::Pivot { .. } => {
                        let k = pivot_alias(depth);
                        order.push(format!("{}.\"created_at\" ASC", quote(&k)));
                        order.push(format!("{}.\"id\" ASC", quote(&k)));
                    }
                    Hop::Direct { .. } => {
                        order.push(format!("{}.{} ASC", quote(&a), quote(&primary(level))))
                    }
                }
                let w = format!("w{depth}");
                if per_parent {
                    // Inner query with a row number per parent; outer keeps the first N.
                    sql.push("SELECT ").push(&select(&w)).push(" FROM (SELECT ");
                    let cols: Vec<String> = level
                        .info
                        .fields
                        .iter()
                        .map(|f| format!("{}.{}", quote(&a), quote(&f.name)))
                        .collect();
                    sql.push(&cols.join(", "));
                    sql.push(", ")
                        .push(&parent_expr)
                        .push(" AS \"__p\", ROW_NUMBER() OVER (PARTITION BY ")
                        .push(&parent_expr);
                    sql.push(" ORDER BY ")
                        .push(&order.join(", "))
                        .push(") AS \"__rn\"");
                } else {
                    sql.push("SELECT ").push(&select(&a));
                    if let Some(out) = pack.as_deref_mut() {
                        let mut all = vec![format!("{parent_expr} ASC")];
                        all.extend(order.iter().cloned());
                        order_columns(sql, &all, out);
                    }
                }
                sql.push(" FROM ");
                match &child.hop {
                    Hop::Direct { .. } => {
                        sql.ident(&level.info.table).push(" ").ident(&a);
                    }
                    Hop::Pivot {
                        pivot_table,
                        pivot_target_key,
                        child_col,
                        ..
                    } => {
                        let k = pivot_alias(depth);
                        sql.ident(pivot_table)
                            .push(" ")
                            .ident(&k)
                            .push(" JOIN ")
                            .ident(&level.info.table)
                            .push(" ")
                            .ident(&a);
                        sql.push(" ON ")
                            .ident(&a)
                            .push(".")
                            .ident(child_col)
                            .push(" = ")
                            .ident(&k)
                            .push(".")
                            .ident(pivot_target_key);
                    }
                }
                sql.push(" WHERE ");
                if let Hop::Pivot { .. } = &child.hop
                    && !with_deleted
                {
                    sql.ident(&pivot_alias(depth))
                        .push(".\"deleted_at\" IS NULL AND ");
                }
                sql.push(&parent_expr).push(" IN (");
                let parent_src = **parent;
                let pc = child.hop.parent_col().to_string();
                let parent_level = parent_src.level();
                let pty = parent_level
                    .info
                    .fields
                    .iter()
                    .find(|f| f.name == pc.as_str())
                    .map_or(ScalarType::Text, |f| f.ty);
                match resolved.in_lists.get(&(*child as *const Child as usize)) {
                    Some(values) => push_values(sql, values),
                    None => self.write_rows(
                        sql,
                        d,
                        &parent_src,
                        &|pa| select_expr(d, pa, &pc, pty),
                        false,
                        None,
                    )?,
                }
                sql.push(")");
                self.write_soft(sql, &level.info, &a, with_deleted);
                if !child.level.nested.filters.is_null() {
                    sql.push(" AND ");
                    self.write_filter(
                        sql,
                        d,
                        &level.info,
                        &a,
                        &child.level.nested.filters,
                        &child.level.path,
                        with_deleted,
                        depth,
                        resolved,
                    )?;
                }
                if per_parent {
                    sql.push(") ")
                        .ident(&w)
                        .push(" WHERE ")
                        .ident(&w)
                        .push(".\"__rn\" <= ");
                    sql.arg(Arg::Int(child.level.nested.take.unwrap_or(0) as i64));
                    if with_order {
                        sql.push(" ORDER BY ")
                            .ident(&w)
                            .push(".\"__p\", ")
                            .ident(&w)
                            .push(".\"__rn\"");
                    }
                } else if with_order && pack.is_none() {
                    sql.push(" ORDER BY ")
                        .push(&parent_expr)
                        .push(", ")
                        .push(&order.join(", "));
                }
            }
        }
        Ok(())
    }

    fn write_soft(&self, sql: &mut Sql, info: &EntityInfo, a: &str, with_deleted: bool) {
        if let (Some(sd), false) = (&info.soft_delete, with_deleted) {
            sql.push(" AND ")
                .ident(a)
                .push(".")
                .ident(sd)
                .push(" IS NULL");
        }
    }

    /// Writes a boolean SQL expression for a filter object on `info` (alias `a`).
    #[allow(clippy::too_many_arguments)]
    fn write_filter(
        &self,
        sql: &mut Sql,
        d: Dialect,
        info: &EntityInfo,
        a: &str,
        filter: &Value,
        path: &str,
        with_deleted: bool,
        depth: usize,
        resolved: &Resolved,
    ) -> Result<(), Error> {
        let here = |k: &str| {
            if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            }
        };
        let Value::Object(obj) = filter else {
            return Err(Error::InvalidFilter {
                path: if path.is_empty() {
                    "filters".to_string()
                } else {
                    path.to_string()
                },
                message: format!(
                    "expected an object of fields, relations and `$and`/`$or`/`$not`, found {filter}"
                ),
            });
        };
        if obj.is_empty() {
            sql.push("1=1");
            return Ok(());
        }
        sql.push("(");
        for (i, (k, v)) in obj.iter().enumerate() {
            if i > 0 {
                sql.push(" AND ");
            }
            match k.as_str() {
                "$and" | "$or" => {
                    let items = v.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                        Error::InvalidFilter {
                            path: here(k),
                            message: format!(
                                "`{k}` takes a non-empty array of filter objects, found {v}"
                            ),
                        }
                    })?;
                    sql.push("(");
                    for (j, item) in items.iter().enumerate() {
                        if j > 0 {
                            sql.push(if k == "$and" { " AND " } else { " OR " });
                        }
                        self.write_filter(
                            sql,
                            d,
                            info,
                            a,
                            item,
                            &here(k),
                            with_deleted,
                            depth,
                            resolved,
                        )?;
                    }
                    sql.push(")");
                }
                "$not" => {
                    sql.push("NOT ");
                    self.write_filter(sql, d, info, a, v, &here(k), with_deleted, depth, resolved)?;
                }
                _ if k.starts_with('$') => {
                    return Err(Error::InvalidFilter {
                        path: here(k),
                        message: format!(
                            "unknown operator `{k}` here; expected `$and`, `$or`, `$not`, a field or a relation"
                        ),
                    });
                }
                _ => {
                    if let Some(f) = info.fields.iter().find(|f| f.name == k.as_str()) {
                        let col = format!("{}.{}", quote(a), quote(&f.name));
                        write_condition(sql, d, &col, f.ty, v, &here(k))?;
                    } else if let Some(r) = self
                        .relations_of(&info.entity)
                        .into_iter()
                        .find(|r| r.name == k.as_str())
                    {
                        self.write_relation_filter(
                            sql,
                            d,
                            info,
                            a,
                            r,
                            v,
                            &here(k),
                            with_deleted,
                            depth,
                            resolved,
                        )?;
                    } else {
                        let mut choices: Vec<String> =
                            info.fields.iter().map(|f| f.name.to_string()).collect();
                        choices.extend(
                            self.relations_of(&info.entity)
                                .iter()
                                .map(|r| r.name.to_string()),
                        );
                        choices.extend(["$and", "$or", "$not"].map(String::from));
                        return Err(Error::InvalidFilter {
                            path: here(k),
                            message: format!(
                                "`{}` has no field or relation `{k}`; expected one of {}",
                                info.name,
                                one_of(choices)
                            ),
                        });
                    }
                }
            }
        }
        sql.push(")");
        Ok(())
    }

    /// `EXISTS` over a relation: narrows the records of this level to those
    /// with a matching linked record.
    #[allow(clippy::too_many_arguments)]
    fn write_relation_filter(
        &self,
        sql: &mut Sql,
        d: Dialect,
        _info: &EntityInfo,
        a: &str,
        r: &Relation,
        v: &Value,
        path: &str,
        with_deleted: bool,
        depth: usize,
        resolved: &Resolved,
    ) -> Result<(), Error> {
        let target = self.entity_info(&r.target).expect("relation targets exist");
        let hop = self.hop(r);
        let key = v as *const Value as usize;
        if let Some(values) = resolved.in_lists.get(&key) {
            // Resolved in another database beforehand.
            sql.ident(a).push(".").ident(hop.parent_col()).push(" IN (");
            push_values(sql, values);
            sql.push(")");
            return Ok(());
        }
        let sa = format!("f{}", depth + 1);
        let ka = format!("fk{}", depth + 1);
        if let (
            Some(keys),
            Hop::Pivot {
                parent_col,
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                ..
            },
        ) = (resolved.target_lists.get(&key), &hop)
        {
            sql.push("EXISTS (SELECT 1 FROM ")
                .ident(pivot_table)
                .push(" ")
                .ident(&ka);
            sql.push(" WHERE ")
                .ident(&ka)
                .push(".")
                .ident(pivot_parent_key)
                .push(" = ")
                .ident(a)
                .push(".")
                .ident(parent_col);
            if !with_deleted {
                sql.push(" AND ").ident(&ka).push(".\"deleted_at\" IS NULL");
            }
            sql.push(" AND ")
                .ident(&ka)
                .push(".")
                .ident(pivot_target_key)
                .push(" IN (");
            push_values(sql, keys);
            sql.push("))");
            return Ok(());
        }
        if let (
            true,
            Hop::Pivot {
                parent_col,
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                child_col,
            },
        ) = (
            resolved.root_semi_join && d == Dialect::Sqlite && depth == 0,
            &hop,
        ) {
            // `EXISTS (… WHERE fk.key = a.col …)` as a semi-join that means
            // the same: a null key matches nothing (also under `$not`), and
            // keys compare with the link column's collation (BINARY).
            sql.push("(")
                .ident(a)
                .push(".")
                .ident(parent_col)
                .push(" IS NOT NULL AND ")
                .ident(a)
                .push(".")
                .ident(parent_col)
                .push(" COLLATE BINARY IN (SELECT ")
                .ident(&ka)
                .push(".")
                .ident(pivot_parent_key)
                .push(" FROM ")
                .ident(pivot_table)
                .push(" ")
                .ident(&ka)
                .push(" JOIN ")
                .ident(&target.table)
                .push(" ")
                .ident(&sa);
            sql.push(" ON ")
                .ident(&sa)
                .push(".")
                .ident(child_col)
                .push(" = ")
                .ident(&ka)
                .push(".")
                .ident(pivot_target_key);
            sql.push(" WHERE ")
                .ident(&ka)
                .push(".")
                .ident(pivot_parent_key)
                .push(" IS NOT NULL");
            if !with_deleted {
                sql.push(" AND ").ident(&ka).push(".\"deleted_at\" IS NULL");
            }
            self.write_soft(sql, &target, &sa, with_deleted);
            sql.push(" AND ");
            self.write_filter(
                sql,
                d,
                &target,
                &sa,
                v,
                path,
                with_deleted,
                depth + 1,
                resolved,
            )?;
            sql.push("))");
            return Ok(());
        }
        sql.push("EXISTS (SELECT 1 FROM ");
        match &hop {
            Hop::Direct {
                parent_col,
                child_col,
            } => {
                sql.ident(&target.table)
                    .push(" ")
                    .ident(&sa)
                    .push(" WHERE ");
                sql.ident(&sa)
                    .push(".")
                    .ident(child_col)
                    .push(" = ")
                    .ident(a)
                    .push(".")
                    .ident(parent_col);
            }
            Hop::Pivot {
                parent_col,
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                child_col,
            } => {
                sql.ident(pivot_table)
                    .push(" ")
                    .ident(&ka)
                    .push(" JOIN ")
                    .ident(&target.table)
                    .push(" ")
                    .ident(&sa);
                sql.push(" ON ")
                    .ident(&sa)
                    .push(".")
                    .ident(child_col)
                    .push(" = ")
                    .ident(&ka)
                    .push(".")
                    .ident(pivot_target_key);
                sql.push(" WHERE ")
                    .ident(&ka)
                    .push(".")
                    .ident(pivot_parent_key)
                    .push(" = ")
                    .ident(a)
                    .push(".")
                    .ident(parent_col);
                if !with_deleted {
                    sql.push(" AND ").ident(&ka).push(".\"deleted_at\" IS NULL");
                }
            }
        }
        self.write_soft(sql, &target, &sa, with_deleted);
        sql.push(" AND ");
        self.write_filter(
            sql,
            d,
            &target,
            &sa,
            v,
            path,
            with_deleted,
            depth + 1,
            resolved,
        )?;
        sql.push(")");
        Ok(())
    }

    /// Runs, in other databases, the relation filters and hops that cannot be
    /// joined in SQL, recording their key values. Returns the statements run.
    fn resolve_cross<'a>(
        &'a self,
        info: &'a EntityInfo,
        filter: &'a Value,
        with_deleted: bool,
        out: &'a mut Resolved,
    ) -> BoxFut<'a, Result<(), Error>> {
        Box::pin(async move {
            let Value::Object(obj) = filter else {
                return Ok(());
            };
            for (k, v) in obj {
                match k.as_str() {
                    "$and" | "$or" => {
                        if let Some(items) = v.as_array() {
                            for item in items {
                                self.resolve_cross(info, item, with_deleted, out).await?;
                            }
                        }
                    }
                    "$not" => self.resolve_cross(info, v, with_deleted, out).await?,
                    _ => {
                        let Some(r) = self
                            .relations_of(&info.entity)
                            .into_iter()
                            .find(|r| r.name == k.as_str())
                        else {
                            continue;
                        };
                        let target = self.entity_info(&r.target).expect("relation targets exist");
                        let hop = self.hop(r);
                        // Deeper relation filters first, with the target as their root.
                        self.resolve_cross(&target, v, with_deleted, out).await?;
                        let key = v as *const Value as usize;
                        let root_target = self.same_db(&info.data_source, &target.data_source);
                        match &hop {
                            Hop::Direct { .. } if root_target => {}
                            Hop::Direct { .. } => {
                                let values = self
                                    .matching_parent_keys(&target, &hop, v, with_deleted, out)
                                    .await?;
                                out.in_lists.insert(key, values);
                            }
                            Hop::Pivot { .. } => {
                                let root_pivot = self.same_db(&info.data_source, "default");
                                let pivot_target = self.same_db("default", &target.data_source);
                                if root_target && root_pivot {
                                } else if root_pivot {
                                    let keys = self
                                        .matching_target_keys(&target, &hop, v, with_deleted, out)
                                        .await?;
                                    out.target_lists.insert(key, keys);
                                } else if pivot_target {
                                    let values = self
                                        .matching_parent_keys(&target, &hop, v, with_deleted, out)
                                        .await?;
                                    out.in_lists.insert(key, values);
                                } else {
                                    let keys = self
                                        .matching_target_keys(&target, &hop, v, with_deleted, out)
                                        .await?;
                                    let values =
                                        self.pivot_parents(&hop, &keys, with_deleted).await?;
                                    out.in_lists.insert(key, values);
                                }
                            }
                        }
                    }
                }
            }
            Ok(())
        })
    }

    /// Key values (the column a link table references) of `target` records
    /// matching `filter`, computed in the target's database.
    async fn matching_target_keys(
        &self,
        target: &EntityInfo,
        hop: &Hop,
        filter: &Value,
        with_deleted: bool,
        resolved: &Resolved,
    ) -> Result<Vec<String>, Error> {
        let Hop::Pivot { child_col, .. } = hop else {
            return Ok(Vec::new());
        };
        let db = self.dbs.get(&target.data_source);
        let d = db.dialect();
        let sa = "x1";
        let mut sql = Sql::new();
        sql.push("SELECT DISTINCT ")
            .push(&select_expr(d, sa, child_col, ScalarType::Text));
        sql.push(" FROM ")
            .ident(&target.table)
            .push(" ")
            .ident(sa)
            .push(" WHERE 1=1");
        self.write_soft(&mut sql, target, sa, with_deleted);
        sql.push(" AND ");
        self.write_filter(
            &mut sql,
            d,
            target,
            sa,
            filter,
            &target.name,
            with_deleted,
            1,
            resolved,
        )?;
        let rows = db.fetch(&sql, &[ScalarType::Text]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .filter_map(|v| value_key(&v))
            .collect())
    }

    /// Parent keys of live link rows pointing at `targets`, in the link database.
    async fn pivot_parents(
        &self,
        hop: &Hop,
        targets: &[String],
        with_deleted: bool,
    ) -> Result<Vec<String>, Error> {
        let Hop::Pivot {
            pivot_table,
            pivot_parent_key,
            pivot_target_key,
            ..
        } = hop
        else {
            return Ok(Vec::new());
        };
        let db = self.dbs.get("default");
        let mut out = Vec::new();
        for chunk in targets.chunks(1000) {
            let mut sql = Sql::new();
            sql.push("SELECT DISTINCT ")
                .ident(pivot_parent_key)
                .push(" FROM ")
                .ident(pivot_table);
            sql.push(" WHERE ").ident(pivot_target_key).push(" IN (");
            push_values(&mut sql, chunk);
            sql.push(")");
            if !with_deleted {
                sql.push(" AND \"deleted_at\" IS NULL");
            }
            let rows = db.fetch(&sql, &[ScalarType::Text]).await?;
            out.extend(
                rows.into_iter()
                    .filter_map(|r| r.into_iter().next())
                    .filter_map(|v| value_key(&v)),
            );
        }
        Ok(out)
    }

    /// Parent key values whose linked `target` record matches `filter`,
    /// computed in the target's (and the link table's) database.
    async fn matching_parent_keys(
        &self,
        target: &EntityInfo,
        hop: &Hop,
        filter: &Value,
        with_deleted: bool,
        resolved: &Resolved,
    ) -> Result<Vec<String>, Error> {
        let db = self.dbs.get(&target.data_source);
        let d = db.dialect();
        let mut sql = Sql::new();
        let sa = "x1";
        sql.push("SELECT DISTINCT ");
        match hop {
            Hop::Direct { child_col, .. } => {
                sql.push(&select_expr(d, sa, child_col, ScalarType::Text))
                    .push(" FROM ")
                    .ident(&target.table)
                    .push(" ")
                    .ident(sa);
                sql.push(" WHERE 1=1");
            }
            Hop::Pivot {
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                child_col,
                ..
            } => {
                let pivot_db = self.dbs.get("default");
                if !std::ptr::eq(pivot_db, db) {
                    return Err(Error::InvalidFilter {
                        path: target.name.clone(),
                        message: format!(
                            "filtering through link table `{pivot_table}` needs `{}` in the link tables' database",
                            target.name
                        ),
                    });
                }
                sql.push(&format!("\"xk\".{}", quote(pivot_parent_key)))
                    .push(" FROM ")
                    .ident(pivot_table)
                    .push(" \"xk\" JOIN ");
                sql.ident(&target.table)
                    .push(" ")
                    .ident(sa)
                    .push(" ON ")
                    .ident(sa)
                    .push(".")
                    .ident(child_col);
                sql.push(" = \"xk\".")
                    .ident(pivot_target_key)
                    .push(" WHERE 1=1");
                if !with_deleted {
                    sql.push(" AND \"xk\".\"deleted_at\" IS NULL");
                }
            }
        }
        self.write_soft(&mut sql, target, sa, with_deleted);
        sql.push(" AND ");
        self.write_filter(
            &mut sql,
            d,
            target,
            sa,
            filter,
            &target.name,
            with_deleted,
            1,
            resolved,
        )?;
        let rows = db.fetch(&sql, &[ScalarType::Text]).await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    }
}

fn root_req<'a>(src: &Source<'a>) -> &'a Graph {
    match src {
        Source::Root { req, .. } => req,
        Source::Child { parent, .. } => root_req(parent),
    }
}

fn primary(level: &Level) -> String {
    level.info.pk.clone()
}

fn push_values(sql: &mut Sql, values: &[String]) {
    if values.is_empty() {
        sql.push("NULL");
        return;
    }
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(Arg::Text(v.clone()));
    }
}

/// Converts a filter value for a column type.
fn filter_arg(ty: ScalarType, v: &Value, path: &str) -> Result<Arg, Error> {
    use ScalarType as T;
    let bad = |expected: &str| Error::InvalidFilter {
        path: path.to_string(),
        message: format!("expected {expected}, found {v}"),
    };
    if v.as_str().is_some_and(|s| s.contains('\0')) {
        return Err(bad("a string without NUL characters"));
    }
    Ok(match ty {
        T::Text | T::Uuid | T::Date => {
            Arg::Text(v.as_str().ok_or_else(|| bad("a string"))?.to_string())
        }
        T::Decimal => match v {
            Value::Number(n) => Arg::Float(n.as_f64().unwrap_or(0.0)),
            _ => return Err(bad("a number")),
        },
        T::Integer | T::BigInt => Arg::Int(v.as_i64().ok_or_else(|| bad("an integer"))?),
        T::Float | T::Double => Arg::Float(v.as_f64().ok_or_else(|| bad("a number"))?),
        T::Boolean => Arg::Bool(v.as_bool().ok_or_else(|| bad("a boolean"))?),
        T::Timestamp => {
            let s = v.as_str().ok_or_else(|| bad("an RFC 3339 timestamp"))?;
            Arg::Time(
                chrono::DateTime::parse_from_rfc3339(s)
                    .map_err(|_| bad("an RFC 3339 timestamp"))?
                    .with_timezone(&chrono::Utc),
            )
        }
        T::Json => return Err(bad("no filter: json fields cannot be filtered")),
    })
}

/// Longest `$like`/`$ilike` pattern (SQLite's own limit is 50,000 bytes).
const MAX_PATTERN: usize = 10_000;

/// LIKE pattern -> GLOB pattern (SQLite's LIKE ignores case).
fn like_to_glob(p: &str) -> String {
    let mut out = String::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('*') => out.push_str("[*]"),
                Some('?') => out.push_str("[?]"),
                Some('[') => out.push_str("[[]"),
                Some(n) => out.push(n),
                None => out.push('\\'),
            },
            '%' => out.push('*'),
            '_' => out.push('?'),
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

fn write_condition(
    sql: &mut Sql,
    d: Dialect,
    col: &str,
    ty: ScalarType,
    v: &Value,
    path: &str,
) -> Result<(), Error> {
    // Postgres compares uuid/numeric columns as text for bound text values.
    let col_expr = match (d, ty) {
        (Dialect::Postgres, ScalarType::Uuid | ScalarType::Date) => format!("{col}::text"),
        (Dialect::Sqlite, ScalarType::Timestamp) => col.to_string(),
        _ => col.to_string(),
    };
    match v {
        Value::Null => {
            sql.push(&col_expr).push(" IS NULL");
        }
        Value::Array(items) => write_in(sql, &col_expr, ty, items, path, false)?,
        Value::Object(ops) => {
            if ops.is_empty() {
                return Err(Error::InvalidFilter {
                    path: path.to_string(),
                    message: "empty operator object".to_string(),
                });
            }
            sql.push("(");
            for (i, (op, x)) in ops.iter().enumerate() {
                if i > 0 {
                    sql.push(" AND ");
                }
                let p = format!("{path}.{op}");
                match op.as_str() {
                    "$eq" if x.is_null() => {
                        sql.push(&col_expr).push(" IS NULL");
                    }
                    "$ne" if x.is_null() => {
                        sql.push(&col_expr).push(" IS NOT NULL");
                    }
                    "$eq" | "$ne" | "$gt" | "$gte" | "$lt" | "$lte" => {
                        let sym = match op.as_str() {
                            "$eq" => "=",
                            "$ne" => "<>",
                            "$gt" => ">",
                            "$gte" => ">=",
                            "$lt" => "<",
                            _ => "<=",
                        };
                        let arg = filter_arg(ty, x, &p)?;
                        if op == "$ne" {
                            // SQL's <> is unknown for NULL; `$ne` keeps nulls.
                            sql.push("(")
                                .push(&col_expr)
                                .push(" IS NULL OR ")
                                .push(&col_expr)
                                .push(" <> ")
                                .arg(arg)
                                .push(")");
                        } else {
                            sql.push(&col_expr).push(&format!(" {sym} ")).arg(arg);
                        }
                    }
                    "$in" | "$nin" => {
                        let items = x.as_array().ok_or_else(|| Error::InvalidFilter {
                            path: p.clone(),
                            message: format!("`{op}` takes an array, found {x}"),
                        })?;
                        write_in(sql, &col_expr, ty, items, &p, op == "$nin")?;
                    }
                    "$like" | "$ilike" => {
                        if !matches!(ty, ScalarType::Text | ScalarType::Uuid) {
                            return Err(Error::InvalidFilter {
                                path: p,
                                message: format!(
                                    "`{op}` applies to text fields, not {}",
                                    ty.name()
                                ),
                            });
                        }
                        let pat = x.as_str().ok_or_else(|| Error::InvalidFilter {
                            path: p.clone(),
                            message: format!("`{op}` takes a string pattern, found {x}"),
                        })?;
                        if pat.contains('\0') {
                            return Err(Error::InvalidFilter {
                                path: p,
                                message: "patterns cannot contain NUL characters".to_string(),
                            });
                        }
                        if pat.len() > MAX_PATTERN {
                            return Err(Error::InvalidFilter {
                                path: p,
                                message: format!(
                                    "`{op}` patterns are limited to {MAX_PATTERN} bytes, found {}",
                                    pat.len()
                                ),
                            });
                        }
                        match (d, op.as_str()) {
                            (Dialect::Postgres, "$like") => {
                                sql.push(&col_expr)
                                    .push(" LIKE ")
                                    .arg(Arg::Text(pat.to_string()));
                            }
                            (Dialect::Postgres, _) => {
                                sql.push(&col_expr)
                                    .push(" ILIKE ")
                                    .arg(Arg::Text(pat.to_string()));
                            }
                            (Dialect::Sqlite, "$like") => {
                                sql.push(&col_expr)
                                    .push(" GLOB ")
                                    .arg(Arg::Text(like_to_glob(pat)));
                            }
                            (Dialect::Sqlite, _) => {
                                sql.push(&col_expr)
                                    .push(" LIKE ")
                                    .arg(Arg::Text(pat.to_string()))
                                    .push(" ESCAPE '\\'");
                            }
                        }
                    }
                    other => {
                        return Err(Error::InvalidFilter {
                            path: p,
                            message: format!(
                                "unknown operator `{other}`; expected one of `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, `$like` or `$ilike`"
                            ),
                        });
                    }
                }
            }
            sql.push(")");
        }
        scalar => {
            let arg = filter_arg(ty, scalar, path)?;
            sql.push(&col_expr).push(" = ").arg(arg);
        }
    }
    Ok(())
}

fn write_in(
    sql: &mut Sql,
    col: &str,
    ty: ScalarType,
    items: &[Value],
    path: &str,
    negate: bool,
) -> Result<(), Error> {
    if items.is_empty() {
        sql.push(if negate { "1=1" } else { "1=0" });
        return Ok(());
    }
    sql.push(col)
        .push(if negate { " NOT IN (" } else { " IN (" });
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.arg(filter_arg(ty, x, path)?);
    }
    sql.push(")");
    Ok(())
}

// ---------------------------------------------------------------- execution

/// A fetched row: column values in [`columns_of`] order, the parent key it
/// belongs to (child levels) and one slot per child relation, filled by
/// `fill_children`.
#[derive(Debug, Clone)]
struct Row {
    vals: Vec<Value>,
    parent: Value,
    rels: Vec<Value>,
}

impl Row {
    fn new(level: &Level, vals: Vec<Value>, parent: Value) -> Row {
        Row {
            vals,
            parent,
            rels: vec![Value::Null; level.children.len()],
        }
    }

    /// A child row: the parent key is the last column.
    fn with_parent(level: &Level, mut vals: Vec<Value>) -> Row {
        let parent = vals.pop().unwrap_or(Value::Null);
        Row::new(level, vals, parent)
    }
}

impl Query {
    /// Runs a graph request; rows are JSON objects holding exactly the
    /// requested fields and relations.
    pub async fn graph(&self, req: Graph) -> Result<GraphResult, Error> {
        let plan = self.plan(&req)?;
        let mut resolved = Resolved {
            root_semi_join: self.dbs.get(&plan.info.data_source).dialect() == Dialect::Sqlite
                && !narrows_by_field(&plan.info, &req.filters),
            ..Resolved::default()
        };
        if !req.filters.is_null() {
            self.resolve_cross(&plan.info, &req.filters, req.with_deleted, &mut resolved)
                .await?;
        }
        self.resolve_nested_filters(&plan, req.with_deleted, &mut resolved)
            .await?;
        let db = self.dbs.get(&plan.info.data_source).clone();
        let d = db.dialect();
        let src = Source::Root {
            level: &plan,
            req: &req,
            resolved: &resolved,
            count: false,
        };
        let cols = columns_of(&plan);
        let types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        let root = self.fetch_rows(&db, &types, true, |pack| {
            let packed = pack.is_some();
            let select = |a: &str| select_columns(d, a, &cols, packed);
            let mut sql = Sql::new();
            self.write_rows(&mut sql, d, &src, &select, true, pack)?;
            Ok(sql)
        });
        // Relations that semi-join on the root's query are read meanwhile
        // (on another connection when the pool has one).
        let (raw, prefetched) = tokio::join!(root, self.prefetch_children(&src, &plan, &req));
        let raw = raw?;
        let mut rows: Vec<Row> = raw
            .into_iter()
            .map(|r| Row::new(&plan, r, Value::Null))
            .collect();
        // The count reads the same filters (their pre-resolved keys are
        // found by address), without order or page.
        let count_sql = match req.skip.is_some() || req.take.is_some() {
            true => {
                let count_src = Source::Root {
                    level: &plan,
                    req: &req,
                    resolved: &resolved,
                    count: true,
                };
                let mut count = Sql::new();
                self.write_rows(
                    &mut count,
                    d,
                    &count_src,
                    &|_| "COUNT(*)".to_string(),
                    false,
                    None,
                )?;
                Some(count)
            }
            false => None,
        };
        // The count and the relations are independent reads: run together
        // (on two connections when the pool has them).
        let count = async {
            match &count_sql {
                Some(sql) => db.fetch(sql, &[ScalarType::BigInt]).await.map(Some),
                None => Ok(None),
            }
        };
        let (count, children) = tokio::join!(
            count,
            self.fill_children(&src, &plan, &mut rows, true, prefetched)
        );
        let metadata = count?.map(|n| Metadata {
            count: n
                .first()
                .and_then(|r| r.first())
                .and_then(Value::as_u64)
                .unwrap_or(0),
            skip: req.skip.unwrap_or(0),
            take: req.take,
        });
        children?;
        let data = rows
            .into_iter()
            .map(|r| Value::Object(shape(&plan, r)))
            .collect();
        Ok(GraphResult { data, metadata })
    }

    /// Runs a graph request and deserialises every row into `T` (a generated
    /// entity struct or the caller's own serde type).
    pub async fn graph_as<T: DeserializeOwned>(&self, req: Graph) -> Result<GraphResult<T>, Error> {
        let r = self.graph(req).await?;
        let data = r
            .data
            .into_iter()
            .map(|v| {
                serde_json::from_value(v).map_err(|e| Error::InvalidValue {
                    message: format!("cannot deserialise a row: {e}"),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(GraphResult {
            data,
            metadata: r.metadata,
        })
    }

    /// The rows of a level's statement, built by `build` (given where to
    /// record the order of a packed statement).
    ///
    /// On SQLite, sqlx hands rows over one by one from a worker thread,
    /// copying every value: that costs more than the query for large reads.
    /// When every column has a type that JSON carries exactly, the rows come
    /// back packed in one JSON array (`json_group_array`, ordered like the
    /// statement) and are decoded as the row decoder would; anything that
    /// does not map back exactly, or a failing packed statement, falls back
    /// to the plain statement.
    async fn fetch_rows(
        &self,
        db: &crate::db::Db,
        types: &[ScalarType],
        packable: bool,
        build: impl Fn(Option<&mut Vec<String>>) -> Result<Sql, Error>,
    ) -> Result<Vec<Vec<Value>>, Error> {
        if packable
            && db.dialect() == Dialect::Sqlite
            && !types.is_empty()
            && types.iter().all(|t| crate::db::json_exact(*t))
        {
            let mut order = Vec::new();
            if let Ok(inner) = build(Some(&mut order)) {
                let mut sql = Sql::new();
                sql.push("SELECT json_group_array(json_array(");
                for i in 0..types.len() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push(&format!("\"__c{i}\""));
                }
                sql.push(")");
                if !order.is_empty() {
                    sql.push(" ORDER BY ").push(&order.join(", "));
                }
                sql.push(") FROM (").push(&inner.text).push(")");
                sql.args = inner.args;
                if let Ok(packed) = db.fetch(&sql, &[ScalarType::Text]).await
                    && let Some(Value::String(text)) = packed.first().and_then(|r| r.first())
                    && let Some(rows) = crate::db::unpack_rows(text, types)
                {
                    return Ok(rows);
                }
            }
        }
        let sql = build(None)?;
        Ok(db.fetch(&sql, types).await?)
    }

    fn same_db(&self, a: &str, b: &str) -> bool {
        std::ptr::eq(self.dbs.get(a), self.dbs.get(b))
    }

    fn resolve_nested_filters<'a>(
        &'a self,
        level: &'a Level,
        with_deleted: bool,
        out: &'a mut Resolved,
    ) -> BoxFut<'a, Result<(), Error>> {
        Box::pin(async move {
            for c in &level.children {
                if !c.level.nested.filters.is_null() {
                    self.resolve_cross(&c.level.info, &c.level.nested.filters, with_deleted, out)
                        .await?;
                }
                self.resolve_nested_filters(&c.level, with_deleted, out)
                    .await?;
            }
            Ok(())
        })
    }

    /// Fetches every child level of `level` (one statement per hop, or
    /// chunked key batches across databases) and stitches them into `rows`.
    /// `inline`: the level's rows can be re-expressed as SQL in its database
    /// (every level above it lives there too), so children may semi-join.
    fn fill_children<'a>(
        &'a self,
        src: &'a Source<'a>,
        level: &'a Level,
        rows: &'a mut [Row],
        inline: bool,
        mut prefetched: Vec<Option<Result<Vec<Row>, Error>>>,
    ) -> BoxFut<'a, Result<(), Error>> {
        Box::pin(async move {
            for (ci, child) in level.children.iter().enumerate() {
                let child_db = self.dbs.get(&child.level.info.data_source).clone();
                let same_db = self.joins_in_sql(level, child, inline);
                let cols = columns_of(&child.level);
                let kpos = key_index(level, child.hop.parent_col());
                let mut child_rows: Vec<Row> = Vec::new();
                let mut child_resolved: Option<Resolved> = None;
                let res_ref: &Resolved = match src {
                    Source::Root { resolved, .. } | Source::Child { resolved, .. } => resolved,
                };
                let mut local_resolved = Resolved {
                    root_semi_join: res_ref.root_semi_join,
                    ..Resolved::default()
                };
                let has_parent = rows
                    .iter()
                    .any(|r| r.vals.get(kpos).and_then(key_of).is_some());
                if let Some(fetched) = prefetched.get_mut(ci).and_then(Option::take) {
                    child_rows = fetched?;
                } else if !has_parent {
                    // No parent: nothing to fetch.
                } else if same_db {
                    // A few parents: their keys as a list, so the parent
                    // level's query does not run again inside this one;
                    // many: a semi-join on the parent level's key query.
                    if let Some(keys) = few_parent_keys(level, rows, kpos, child.hop.parent_col()) {
                        let mut r = res_ref.clone();
                        r.in_lists.insert(child as *const Child as usize, keys);
                        child_resolved = Some(r);
                    }
                    let csrc = Source::Child {
                        parent: src,
                        child,
                        resolved: child_resolved.as_ref().unwrap_or(res_ref),
                    };
                    child_rows = self.fetch_same_db(&csrc, child, &cols, &child_db).await?;
                } else {
                    // Another database: batches of parent keys.
                    let mut parent_values: Vec<String> = rows
                        .iter()
                        .filter_map(|r| r.vals.get(kpos).and_then(key_of))
                        .map(|k| k.into_owned())
                        .collect();
                    parent_values.sort();
                    parent_values.dedup();
                    for chunk in parent_values.chunks(1000) {
                        local_resolved.in_lists.clear();
                        local_resolved
                            .in_lists
                            .insert(child as *const Child as usize, chunk.to_vec());
                        for (k, v) in &res_ref.in_lists {
                            local_resolved.in_lists.insert(*k, v.clone());
                        }
                        let fetched = self
                            .fetch_child_batch(src, child, &cols, &local_resolved)
                            .await?;
                        child_rows.extend(fetched);
                    }
                }
                // Grandchildren: the child level's own source.
                let csrc_for_children = Source::Child {
                    parent: src,
                    child,
                    resolved: child_resolved.as_ref().unwrap_or(res_ref),
                };
                if !child.level.children.is_empty() && !child_rows.is_empty() {
                    self.fill_children(
                        &csrc_for_children,
                        &child.level,
                        &mut child_rows,
                        same_db,
                        Vec::new(),
                    )
                    .await?;
                }
                stitch(rows, ci, kpos, child, child_rows);
            }
            Ok(())
        })
    }

    /// Whether a child level is read in its parent's database with a
    /// statement over the parent level's own query (`inline`: the parent's
    /// rows can be written as SQL there).
    fn joins_in_sql(&self, level: &Level, child: &Child, inline: bool) -> bool {
        inline
            && self.same_db(&child.level.info.data_source, &level.info.data_source)
            && (matches!(child.hop, Hop::Direct { .. })
                || self.same_db("default", &child.level.info.data_source))
    }

    /// The rows of a child level in its parent's database, one statement.
    async fn fetch_same_db(
        &self,
        csrc: &Source<'_>,
        child: &Child,
        cols: &[(String, ScalarType)],
        child_db: &crate::db::Db,
    ) -> Result<Vec<Row>, Error> {
        let d = child_db.dialect();
        let windowed = child.level.nested.take.is_some();
        let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
        types.push(ScalarType::Text);
        Ok(self
            // Per-parent windows are never packed.
            .fetch_rows(child_db, &types, !windowed, |pack| {
                let packed = pack.is_some();
                let select = |a: &str| {
                    let mut s = select_columns(d, a, cols, packed);
                    s.push_str(", ");
                    s.push_str(&parent_select(
                        &child.hop,
                        a,
                        &pivot_alias(csrc.depth()),
                        windowed,
                    ));
                    if packed {
                        s.push_str(&format!(" AS \"__c{}\"", cols.len()));
                    }
                    s
                };
                let mut sql = Sql::new();
                self.write_rows(&mut sql, d, csrc, &select, true, pack)?;
                Ok(sql)
            })
            .await?
            .into_iter()
            .map(|r| Row::with_parent(&child.level, r))
            .collect())
    }

    /// Child rows of the root read while the root's own statement runs: the
    /// children that semi-join on the root's query (in its database, and
    /// more roots than [`KEY_LIST_MAX`] may come), which do not need its rows.
    async fn prefetch_children(
        &self,
        src: &Source<'_>,
        plan: &Level,
        req: &Graph,
    ) -> Vec<Option<Result<Vec<Row>, Error>>> {
        let mut out = Vec::with_capacity(plan.children.len());
        let many = req.take.is_none_or(|t| t > KEY_LIST_MAX as u64);
        for child in &plan.children {
            if !(many && self.joins_in_sql(plan, child, true)) {
                out.push(None);
                continue;
            }
            let child_db = self.dbs.get(&child.level.info.data_source).clone();
            let res_ref: &Resolved = match src {
                Source::Root { resolved, .. } | Source::Child { resolved, .. } => resolved,
            };
            let csrc = Source::Child {
                parent: src,
                child,
                resolved: res_ref,
            };
            let cols = columns_of(&child.level);
            out.push(Some(
                self.fetch_same_db(&csrc, child, &cols, &child_db).await,
            ));
        }
        out
    }

    /// Child rows for one batch of parent keys when the hop crosses
    /// databases. A pivot in another database than the target takes two
    /// statements (link rows, then targets).
    async fn fetch_child_batch(
        &self,
        src: &Source<'_>,
        child: &Child,
        cols: &[(String, ScalarType)],
        resolved: &Resolved,
    ) -> Result<Vec<Row>, Error> {
        let target_db = self.dbs.get(&child.level.info.data_source).clone();
        let pivot_db = self.dbs.get("default").clone();
        let parent_keys = resolved
            .in_lists
            .get(&(child as *const Child as usize))
            .cloned()
            .unwrap_or_default();
        match &child.hop {
            Hop::Pivot {
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                child_col,
                ..
            } if !std::ptr::eq(
                self.dbs.get("default"),
                self.dbs.get(&child.level.info.data_source),
            ) =>
            {
                let with_deleted = root_req(src).with_deleted;
                // 1. link rows in the link database.
                let mut sql = Sql::new();
                sql.push("SELECT ")
                    .ident(pivot_parent_key)
                    .push(", ")
                    .ident(pivot_target_key)
                    .push(" FROM ")
                    .ident(pivot_table);
                sql.push(" WHERE ").ident(pivot_parent_key).push(" IN (");
                push_values(&mut sql, &parent_keys);
                sql.push(")");
                if !with_deleted {
                    sql.push(" AND \"deleted_at\" IS NULL");
                }
                sql.push(" ORDER BY \"created_at\", \"id\"");
                let pairs = pivot_db
                    .fetch(&sql, &[ScalarType::Text, ScalarType::Text])
                    .await?;
                let mut targets: Vec<String> = pairs
                    .iter()
                    .filter_map(|r| r.get(1).and_then(value_key))
                    .collect();
                targets.sort();
                targets.dedup();
                // 2. targets in their database, by key, with nested filters.
                let d = target_db.dialect();
                let a = "t";
                let mut rows_by_key: HashMap<String, Vec<Value>> = HashMap::new();
                for chunk in targets.chunks(1000) {
                    let mut sql = Sql::new();
                    let mut list = select_list(d, a, cols);
                    list.push_str(&format!(
                        ", {} AS \"__t\"",
                        select_expr(d, a, child_col, ScalarType::Text)
                    ));
                    sql.push("SELECT ")
                        .push(&list)
                        .push(" FROM ")
                        .ident(&child.level.info.table)
                        .push(" ")
                        .ident(a);
                    sql.push(" WHERE ")
                        .ident(a)
                        .push(".")
                        .ident(child_col)
                        .push(" IN (");
                    push_values(&mut sql, chunk);
                    sql.push(")");
                    self.write_soft(&mut sql, &child.level.info, a, with_deleted);
                    if !child.level.nested.filters.is_null() {
                        sql.push(" AND ");
                        self.write_filter(
                            &mut sql,
                            d,
                            &child.level.info,
                            a,
                            &child.level.nested.filters,
                            &child.level.path,
                            with_deleted,
                            1,
                            resolved,
                        )?;
                    }
                    let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
                    types.push(ScalarType::Text);
                    for mut r in target_db.fetch(&sql, &types).await? {
                        let t = r.pop().as_ref().and_then(value_key).unwrap_or_default();
                        r.truncate(cols.len());
                        rows_by_key.insert(t, r);
                    }
                }
                let mut out = Vec::new();
                let mut per_parent: HashMap<String, u64> = HashMap::new();
                for p in pairs {
                    let (Some(parent), Some(t)) =
                        (p.first().and_then(value_key), p.get(1).and_then(value_key))
                    else {
                        continue;
                    };
                    if let Some(row) = rows_by_key.get(&t) {
                        if let Some(limit) = child.level.nested.take {
                            let n = per_parent.entry(parent.clone()).or_default();
                            if *n >= limit {
                                continue;
                            }
                            *n += 1;
                        }
                        out.push(Row::new(&child.level, row.clone(), Value::String(parent)));
                    }
                }
                Ok(out)
            }
            _ => {
                let csrc = Source::Child {
                    parent: src,
                    child,
                    resolved,
                };
                let d = target_db.dialect();
                let mut sql = Sql::new();
                let select = |a: &str| {
                    let mut s = select_list(d, a, cols);
                    s.push_str(", ");
                    s.push_str(&parent_select(
                        &child.hop,
                        a,
                        &pivot_alias(csrc.depth()),
                        child.level.nested.take.is_some(),
                    ));
                    s
                };
                self.write_rows(&mut sql, d, &csrc, &select, true, None)?;
                let mut types: Vec<ScalarType> = cols.iter().map(|(_, t)| *t).collect();
                types.push(ScalarType::Text);
                Ok(target_db
                    .fetch(&sql, &types)
                    .await?
                    .into_iter()
                    .map(|r| Row::with_parent(&child.level, r))
                    .collect())
            }
        }
    }
}

/// Select expression of the parent key a child row belongs to.
fn parent_select(hop: &Hop, a: &str, k: &str, windowed: bool) -> String {
    if windowed {
        return format!("{}.\"__p\"", quote(a));
    }
    match hop {
        Hop::Direct { child_col, .. } => format!("{}.{}", quote(a), quote(child_col)),
        Hop::Pivot {
            pivot_parent_key, ..
        } => format!("{}.{}", quote(k), quote(pivot_parent_key)),
    }
}

/// Key columns a level must read for its children (beyond requested fields).
fn needed_keys(level: &Level) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for c in &level.children {
        let k = c.hop.parent_col().to_string();
        if !v.contains(&k) && !level.scalars.contains(&k) {
            v.push(k);
        }
    }
    v
}

/// `(output name, type)` of the columns a level reads: requested scalars,
/// then key columns its children join on that are not requested
/// (`__k_<col>`; a requested one is read once).
fn columns_of(level: &Level) -> Vec<(String, ScalarType)> {
    let ty = |name: &str| {
        level
            .info
            .fields
            .iter()
            .find(|f| f.name == name)
            .map_or(ScalarType::Text, |f| f.ty)
    };
    let mut cols: Vec<(String, ScalarType)> =
        level.scalars.iter().map(|s| (s.clone(), ty(s))).collect();
    cols.extend(
        needed_keys(level)
            .iter()
            .map(|k| (format!("__k_{k}"), ty(k))),
    );
    cols
}

/// Where [`columns_of`] puts the value of key column `col`.
fn key_index(level: &Level, col: &str) -> usize {
    match level.scalars.iter().position(|s| s == col) {
        Some(i) => i,
        None => {
            level.scalars.len()
                + needed_keys(level)
                    .iter()
                    .position(|k| k == col)
                    .unwrap_or(usize::MAX - level.scalars.len())
        }
    }
}

/// The select list of `cols`, aliased by name, or by position
/// (`"__c<i>"`) for a packed statement.
fn select_columns(d: Dialect, a: &str, cols: &[(String, ScalarType)], packed: bool) -> String {
    if !packed {
        return select_list(d, a, cols);
    }
    cols.iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let col = name.strip_prefix("__k_").unwrap_or(name);
            format!("{} AS \"__c{i}\"", select_expr(d, a, col, *ty))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Adds the `ORDER BY` terms (`<expr> ASC|DESC`) of a packed statement to
/// its select list (`"__o<i>"`) and records how the aggregate orders by them.
fn order_columns(sql: &mut Sql, order: &[String], out: &mut Vec<String>) {
    for (i, term) in order.iter().enumerate() {
        let (expr, dir) = term.rsplit_once(' ').unwrap_or((term.as_str(), "ASC"));
        sql.push(", ").push(expr).push(&format!(" AS \"__o{i}\""));
        out.push(format!("\"__o{i}\" {dir}"));
    }
}

fn select_list(d: Dialect, a: &str, cols: &[(String, ScalarType)]) -> String {
    if cols.is_empty() {
        return "1".to_string();
    }
    cols.iter()
        .map(|(name, ty)| {
            let col = name.strip_prefix("__k_").unwrap_or(name);
            format!("{} AS {}", select_expr(d, a, col, *ty), quote(name))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A key value as a map key.
fn value_key(v: &Value) -> Option<String> {
    key_of(v).map(|k| k.into_owned())
}

/// A key value as a map key, borrowed when it is a string.
fn key_of(v: &Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

/// The output object of a row: requested fields and relations only.
fn shape(level: &Level, mut row: Row) -> Map<String, Value> {
    let mut out = Map::new();
    for (s, v) in level.scalars.iter().zip(row.vals.iter_mut()) {
        out.insert(s.clone(), std::mem::take(v));
    }
    for (c, v) in level.children.iter().zip(row.rels) {
        out.insert(c.name.clone(), v);
    }
    out
}

/// Puts each parent's child objects (shaped) into relation slot `ci` of
/// `rows`: a list, or the first child (or null) of a to-one relation.
/// Parents are matched on the value at `kpos`.
fn stitch(rows: &mut [Row], ci: usize, kpos: usize, child: &Child, child_rows: Vec<Row>) {
    // Child objects by parent key; a run of rows of one parent (the usual
    // order) is collected before touching the map. The count is how many
    // parent rows take the list: the last one takes it, earlier ones a copy.
    let mut by_parent: HashMap<String, (Vec<Value>, usize)> = HashMap::new();
    let mut run: Option<(String, Vec<Value>)> = None;
    for mut r in child_rows {
        let p = match std::mem::take(&mut r.parent) {
            Value::String(s) => s,
            other => value_key(&other).unwrap_or_default(),
        };
        let obj = Value::Object(shape(&child.level, r));
        match &mut run {
            Some((k, objs)) if *k == p => objs.push(obj),
            _ => {
                if let Some((k, objs)) = run.replace((p, vec![obj])) {
                    add_run(&mut by_parent, k, objs);
                }
            }
        }
    }
    if let Some((k, objs)) = run {
        add_run(&mut by_parent, k, objs);
    }
    for row in rows.iter() {
        if let Some(k) = row.vals.get(kpos).and_then(key_of)
            && let Some(e) = by_parent.get_mut(k.as_ref())
        {
            e.1 += 1;
        }
    }
    for row in rows.iter_mut() {
        let found = match row.vals.get(kpos).and_then(key_of) {
            Some(k) => match by_parent.get_mut(k.as_ref()) {
                Some(e) if e.1 > 1 => {
                    e.1 -= 1;
                    e.0.clone()
                }
                Some(_) => by_parent
                    .remove(k.as_ref())
                    .map(|e| e.0)
                    .unwrap_or_default(),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        row.rels[ci] = if child.is_list {
            Value::Array(found)
        } else {
            found.into_iter().next().unwrap_or(Value::Null)
        };
    }
}

fn add_run(by_parent: &mut HashMap<String, (Vec<Value>, usize)>, k: String, objs: Vec<Value>) {
    match by_parent.entry(k) {
        std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().0.extend(objs),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert((objs, 0));
        }
    }
}

/// Whether a filter holds a condition on a field of `info` itself (not only
/// relation filters), through `$and`, `$or` and `$not`.
fn narrows_by_field(info: &EntityInfo, filter: &Value) -> bool {
    let Value::Object(obj) = filter else {
        return false;
    };
    obj.iter().any(|(k, v)| match k.as_str() {
        "$and" | "$or" => v
            .as_array()
            .is_some_and(|items| items.iter().any(|i| narrows_by_field(info, i))),
        "$not" => narrows_by_field(info, v),
        _ => info.fields.iter().any(|f| f.name == k.as_str()),
    })
}

/// Most parent keys a child statement takes as a list of values.
const KEY_LIST_MAX: usize = 1000;

/// The distinct text keys of at most [`KEY_LIST_MAX`] parent rows (at `kpos`,
/// column `col` of `level`); `None` for more rows or keys of another type.
fn few_parent_keys(level: &Level, rows: &[Row], kpos: usize, col: &str) -> Option<Vec<String>> {
    let text = level
        .info
        .fields
        .iter()
        .find(|f| f.name == col)
        .is_some_and(|f| f.ty == ScalarType::Text);
    if !text || rows.len() > KEY_LIST_MAX {
        return None;
    }
    let mut keys: Vec<String> = rows
        .iter()
        .filter_map(|r| match r.vals.get(kpos) {
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        })
        .collect();
    keys.sort();
    keys.dedup();
    Some(keys)
}
