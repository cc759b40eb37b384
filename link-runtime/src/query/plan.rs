//! Planning: a [`Graph`] request becomes a [`Plan`], an arena of levels (the
//! root and one level per requested relation) with ids, each holding what it
//! reads, how it joins its parent, its typed filter and its order. Every
//! name, filter and order is checked here, before any statement runs.

use link_model::{EntityRef, Field, LinkGraph, LinkKind, Relation, ScalarType, Via};

use super::cursor::{self, Keyset};
use super::filter::{self, Filter};
use super::request::{Dir, Graph, Shape};
use crate::error::{Error, one_of};

/// Index of a level in [`Plan::levels`].
pub(super) type LevelId = usize;

/// The prefix of the names [`Level::columns`] gives the key columns a
/// level reads beyond its requested fields.
pub(super) const KEY_PREFIX: &str = "__k_";

/// The table column a [`Level::columns`] name reads: the name itself, or a
/// key column's name without [`KEY_PREFIX`].
pub(super) fn column_of(name: &str) -> &str {
    name.strip_prefix(KEY_PREFIX).unwrap_or(name)
}

/// What a level reads.
#[derive(Debug, Clone)]
pub(super) struct EntityInfo {
    pub name: String,
    pub table: String,
    /// Primary key column (`id` for link rows).
    pub pk: String,
    pub data_source: String,
    pub fields: Vec<Field>,
    pub soft_delete: Option<String>,
    pub entity: EntityRef,
}

impl EntityInfo {
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The type of a column (text for a key column the model does not
    /// declare as a field).
    pub fn ty(&self, name: &str) -> ScalarType {
        self.field(name).map_or(ScalarType::Text, |f| f.ty)
    }
}

/// How a level joins its parent.
#[derive(Debug, Clone)]
pub(super) enum Hop {
    /// `child.child_col = parent.parent_col`.
    Direct {
        parent_col: String,
        child_col: String,
    },
    /// Through a link table (in the `default` data source):
    /// `pivot.parent_key = parent.parent_col AND pivot.target_key = child.child_col`.
    Pivot {
        parent_col: String,
        pivot_table: String,
        pivot_parent_key: String,
        pivot_target_key: String,
        child_col: String,
    },
}

impl Hop {
    pub fn parent_col(&self) -> &str {
        match self {
            Hop::Direct { parent_col, .. } | Hop::Pivot { parent_col, .. } => parent_col,
        }
    }

    /// The child's column the join matches.
    pub fn child_col(&self) -> &str {
        match self {
            Hop::Direct { child_col, .. } | Hop::Pivot { child_col, .. } => child_col,
        }
    }
}

/// Where a child level hangs.
#[derive(Debug, Clone)]
pub(super) struct Edge {
    pub parent: LevelId,
    pub name: String,
    pub is_list: bool,
    pub hop: Hop,
}

/// One term of an `ORDER BY`.
#[derive(Debug, Clone)]
pub(super) struct OrderTerm {
    pub dir: Dir,
    pub by: OrderBy,
}

#[derive(Debug, Clone)]
pub(super) enum OrderBy {
    /// A column of the level itself.
    Field {
        col: String,
        ty: ScalarType,
        nullable: bool,
    },
    /// A column of a to-one relation in the same database (root order only).
    ToOne {
        target: Box<EntityInfo>,
        hop: Hop,
        col: String,
        ty: ScalarType,
    },
}

impl OrderBy {
    /// Whether the term can be NULL (a to-one relation can be absent).
    pub fn nullable(&self) -> bool {
        match self {
            OrderBy::Field { nullable, .. } => *nullable,
            OrderBy::ToOne { .. } => true,
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Level {
    pub info: EntityInfo,
    /// Requested scalar fields, in request order.
    pub scalars: Vec<String>,
    pub children: Vec<LevelId>,
    /// Relation names of `children`, in the same order.
    pub child_names: Vec<String>,
    /// `None` at the root.
    pub edge: Option<Edge>,
    /// Root filters, or a nested list's own filters.
    pub filter: Filter,
    /// Per-parent limit of a nested list.
    pub take: Option<u64>,
    pub order: Vec<OrderTerm>,
    /// Dotted relation path from the root ("" at the root).
    pub path: String,
    pub depth: usize,
    /// What the level's rows hold (the request's shape).
    pub shape: Shape,
}

impl Level {
    /// Key columns the level must read for its children beyond the
    /// requested fields.
    pub fn needed_keys(&self, plan: &Plan) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        let keyset = match (&self.edge, &plan.keyset) {
            (None, Some(ks)) => ks.cols.iter().map(|(c, ..)| c.clone()).collect(),
            _ => Vec::new(),
        };
        let children = self
            .children
            .iter()
            .map(|&c| plan.edge(c).hop.parent_col().to_string());
        for k in children.chain(keyset) {
            if !v.contains(&k) && !self.scalars.contains(&k) {
                v.push(k);
            }
        }
        v
    }

    /// `(output name, type)` of the columns the level reads: requested
    /// scalars, then join keys of its children that are not requested
    /// (`__k_<col>`).
    pub fn columns(&self, plan: &Plan) -> Vec<(String, ScalarType)> {
        let mut cols: Vec<(String, ScalarType)> = self
            .scalars
            .iter()
            .map(|s| (s.clone(), self.info.ty(s)))
            .collect();
        cols.extend(
            self.needed_keys(plan)
                .into_iter()
                .map(|k| (format!("{KEY_PREFIX}{k}"), self.info.ty(&k))),
        );
        cols
    }

    /// Where [`Level::columns`] puts the value of key column `col`.
    pub fn key_index(&self, plan: &Plan, col: &str) -> usize {
        match self.scalars.iter().position(|s| s == col) {
            Some(i) => i,
            None => {
                self.scalars.len()
                    + self
                        .needed_keys(plan)
                        .iter()
                        .position(|k| k == col)
                        .unwrap_or(0)
            }
        }
    }
}

/// A planned request.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// Levels; the root is `levels[0]`, a parent comes before its children.
    pub levels: Vec<Level>,
    pub skip: Option<u64>,
    pub take: Option<u64>,
    pub with_deleted: bool,
    /// The root's keyset, when the page can have a cursor.
    pub keyset: Option<Keyset>,
}

impl Plan {
    pub fn root(&self) -> &Level {
        &self.levels[0]
    }

    pub fn edge(&self, id: LevelId) -> &Edge {
        self.levels[id]
            .edge
            .as_ref()
            .expect("only the root has no edge")
    }

    pub fn paged(&self) -> bool {
        self.skip.is_some() || self.take.is_some()
    }
}

/// Whether a relation is a to-one relation between two models of one module
/// (a read-only link inside a module: Medusa's `belongsTo`).
fn within_module(r: &Relation) -> bool {
    let same_module = match (&r.owner, &r.target) {
        (EntityRef::Model { module: a, .. }, EntityRef::Model { module: b, .. }) => a == b,
        _ => false,
    };
    same_module && !r.is_list && r.via == Via::ForeignKey
}

/// The Medusa shape's keys: every record reads its primary key (a link
/// row its two keys instead), and both ends of each requested relation's
/// join (the cart's `sales_channel_id`), unless the field is hidden.
fn medusa_keys(graph: &LinkGraph, plan: &mut Plan) {
    fn add(level: &mut Level, col: &str) {
        let shown = level.info.field(col).is_some_and(|f| !f.hidden);
        if shown && !level.scalars.iter().any(|s| s == col) {
            level.scalars.push(col.to_string());
        }
    }
    for id in 0..plan.levels.len() {
        let keys: Vec<String> = match &plan.levels[id].info.entity {
            EntityRef::Link { link } => graph
                .link(link)
                .map(|l| vec![l.left.key.to_string(), l.right.key.to_string()])
                .unwrap_or_default(),
            EntityRef::Model { .. } => vec![plan.levels[id].info.pk.clone()],
        };
        for k in &keys {
            add(&mut plan.levels[id], k);
        }
        let Some(edge) = plan.levels[id].edge.clone() else {
            continue;
        };
        add(&mut plan.levels[id], edge.hop.child_col());
        add(&mut plan.levels[edge.parent], edge.hop.parent_col());
    }
}

/// Reads the link graph for the planner and the filter parser.
pub(super) struct Schema<'g> {
    pub graph: &'g LinkGraph,
}

impl<'g> Schema<'g> {
    /// Entities the graph can be queried by: models and stored links.
    fn entity_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.graph.models().map(|(_, m)| m.name.as_ref()).collect();
        v.extend(self.graph.stored_links().map(|(l, _)| l.name.as_ref()));
        v
    }

    pub fn entity_info(&self, e: &EntityRef) -> Option<EntityInfo> {
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
                let text = |n: &str| Field {
                    name: n.to_string().into(),
                    ty: ScalarType::Text,
                    nullable: false,
                    hidden: false,
                };
                let mut fields = vec![text(&l.left.key), text(&l.right.key), text("id")];
                fields.extend(st.extra_columns.iter().map(|c| Field {
                    name: c.name.clone(),
                    ty: c.ty,
                    nullable: c.nullable,
                    hidden: c.hidden,
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
                        hidden: false,
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

    /// How a relation joins: `None` only for a graph whose relations name
    /// links it does not have (never for a validated graph).
    pub fn hop(&self, r: &Relation) -> Option<Hop> {
        let link = self.graph.link(&r.link)?;
        let stored_table = match &link.kind {
            LinkKind::Stored(st) => st.table.to_string(),
            LinkKind::ReadOnly(_) => String::new(),
        };
        Some(match r.via {
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
        })
    }

    pub fn relations_of(&self, e: &EntityRef) -> Vec<&'g Relation> {
        self.graph.relations_of(e).collect()
    }

    /// A relation of `info` by name, with its target and hop.
    pub fn relation(
        &self,
        info: &EntityInfo,
        name: &str,
    ) -> Option<(&'g Relation, EntityInfo, Hop)> {
        let r = self
            .relations_of(&info.entity)
            .into_iter()
            .find(|r| r.name == name)?;
        Some((r, self.entity_info(&r.target)?, self.hop(r)?))
    }

    pub fn choices(&self, info: &EntityInfo) -> String {
        let mut v: Vec<String> = vec!["*".to_string()];
        v.extend(info.fields.iter().map(|f| f.name.to_string()));
        v.extend(
            self.relations_of(&info.entity)
                .iter()
                .map(|r| r.name.to_string()),
        );
        one_of(v)
    }

    /// Plans a request: every field path, nested argument, filter and order
    /// is resolved against the graph.
    pub fn plan(&self, req: &Graph) -> Result<Plan, Error> {
        let info = self.root_entity(&req.entity)?;
        let mut plan = Plan {
            levels: vec![Level {
                info,
                scalars: Vec::new(),
                children: Vec::new(),
                child_names: Vec::new(),
                edge: None,
                filter: Filter::Const(true),
                take: None,
                order: Vec::new(),
                path: String::new(),
                depth: 0,
                shape: req.shape,
            }],
            skip: req.skip,
            take: req.take,
            with_deleted: req.with_deleted,
            keyset: None,
        };
        for f in &req.fields {
            self.add_field(&mut plan, 0, f, f)?;
        }
        if req.shape == Shape::Medusa {
            medusa_keys(self.graph, &mut plan);
        }
        let mut ids = filter::Ids::default();
        let root_info = plan.levels[0].info.clone();
        plan.levels[0].filter = filter::parse(self, &mut ids, &root_info, &req.filters, "")?;
        plan.levels[0].order = self.order(&root_info, &req.order, true)?;
        if req.take.is_some() || req.after.is_some() {
            plan.keyset = cursor::keyset(&root_info, &plan.levels[0].order);
        }
        if let Some(after) = &req.after {
            if req.skip.is_some() {
                return Err(Error::InvalidPagination {
                    message: "`after` and `skip` exclude each other".to_string(),
                });
            }
            let ks = plan.keyset.as_mut().ok_or_else(|| Error::InvalidPagination {
                message: format!(
                    "`after` needs a root order of fields that are never NULL, of text, number, boolean, date or timestamp type (and such a primary key); `{}` is ordered otherwise",
                    root_info.name
                ),
            })?;
            ks.after = Some(cursor::decode(after, ks)?);
        }
        for (path, n) in &req.nested {
            let id = self.find_level(&plan, path)?;
            let info = plan.levels[id].info.clone();
            let level_path = plan.levels[id].path.clone();
            plan.levels[id].filter = filter::parse(self, &mut ids, &info, &n.filters, &level_path)?;
            plan.levels[id].take = n.take;
            plan.levels[id].order = self.order(&info, &n.order, false)?;
        }
        Ok(plan)
    }

    fn find_level(&self, plan: &Plan, path: &str) -> Result<LevelId, Error> {
        let mut cur = 0;
        for seg in path.split('.') {
            let level = &plan.levels[cur];
            match level.children.iter().find(|&&c| plan.edge(c).name == seg) {
                Some(&c) => cur = c,
                None => {
                    let choices = level.children.iter().map(|&c| plan.edge(c).name.clone());
                    return Err(Error::UnknownField {
                        entity: level.info.name.clone(),
                        name: seg.to_string(),
                        path: path.to_string(),
                        expected: format!("a requested relation: {}", one_of(choices)),
                    });
                }
            }
        }
        Ok(cur)
    }

    fn add_field(&self, plan: &mut Plan, at: LevelId, rest: &str, full: &str) -> Result<(), Error> {
        self.add_path(plan, at, rest, full, true)
    }

    /// Adds field path `rest` (of request path `full`) under level `at`;
    /// `own_relations`: a Medusa-shaped `*` there also reads the model's
    /// relations inside its module.
    fn add_path(
        &self,
        plan: &mut Plan,
        at: LevelId,
        rest: &str,
        full: &str,
        own_relations: bool,
    ) -> Result<(), Error> {
        let (head, tail) = match rest.split_once('.') {
            Some((h, t)) => (h, Some(t)),
            None => (rest, None),
        };
        let level = &mut plan.levels[at];
        if tail.is_none() && (head == "*" || level.info.field(head).is_some()) {
            if head == "*" {
                for f in level.info.fields.iter().filter(|f| !f.hidden) {
                    if !level.scalars.iter().any(|s| s == f.name.as_ref()) {
                        level.scalars.push(f.name.to_string());
                    }
                }
                // Medusa's `*` also reads the model's to-one relations
                // inside its module, each with its own fields (one level:
                // a relation's `*` is its fields only).
                if level.shape == Shape::Medusa && own_relations {
                    let own: Vec<String> = self
                        .relations_of(&level.info.entity)
                        .into_iter()
                        .filter(|r| within_module(r))
                        .map(|r| r.name.to_string())
                        .collect();
                    for r in own {
                        self.add_path(plan, at, &format!("{r}.*"), full, false)?;
                    }
                }
            } else if !level.scalars.iter().any(|s| s == head) {
                level.scalars.push(head.to_string());
            }
            return Ok(());
        }
        let (rel, target, hop) =
            self.relation(&level.info, head)
                .ok_or_else(|| Error::UnknownField {
                    entity: level.info.name.clone(),
                    name: head.to_string(),
                    path: full.to_string(),
                    expected: self.choices(&level.info),
                })?;
        let existing = level
            .child_names
            .iter()
            .position(|n| n == head)
            .map(|i| level.children[i]);
        let child = match existing {
            Some(c) => c,
            None => {
                let parent = &plan.levels[at];
                let path = if parent.path.is_empty() {
                    head.to_string()
                } else {
                    format!("{}.{head}", parent.path)
                };
                let id = plan.levels.len();
                let depth = parent.depth + 1;
                plan.levels.push(Level {
                    info: target,
                    scalars: Vec::new(),
                    children: Vec::new(),
                    child_names: Vec::new(),
                    edge: Some(Edge {
                        parent: at,
                        name: head.to_string(),
                        is_list: rel.is_list,
                        hop,
                    }),
                    filter: Filter::Const(true),
                    take: None,
                    order: Vec::new(),
                    path,
                    depth,
                    shape: parent.shape,
                });
                plan.levels[at].children.push(id);
                plan.levels[at].child_names.push(head.to_string());
                id
            }
        };
        // `relation` alone means `relation.*`.
        self.add_path(plan, child, tail.unwrap_or("*"), full, own_relations)
    }

    /// Order terms of the root (`root`: fields of to-one relations in the
    /// same database allowed) or of a nested list (own fields only).
    fn order(
        &self,
        info: &EntityInfo,
        order: &[(String, Dir)],
        root: bool,
    ) -> Result<Vec<OrderTerm>, Error> {
        let bad = |message: String| Error::InvalidPagination { message };
        let mut out = Vec::new();
        for (path, dir) in order {
            let by = match path.split_once('.') {
                None => {
                    let f = info.field(path).ok_or_else(|| {
                        bad(format!(
                            "cannot order `{}` by `{path}`; expected one of {}",
                            info.name,
                            one_of(info.fields.iter().map(|f| f.name.as_ref()))
                        ))
                    })?;
                    OrderBy::Field {
                        col: f.name.to_string(),
                        ty: f.ty,
                        nullable: f.nullable,
                    }
                }
                Some((rel, field)) if root => {
                    let (r, target, hop) = self.relation(info, rel).ok_or_else(|| {
                        bad(format!(
                            "cannot order `{}` by `{path}`: no relation `{rel}`; expected one of {}",
                            info.name,
                            one_of(self.relations_of(&info.entity).iter().map(|r| r.name.as_ref()))
                        ))
                    })?;
                    if r.is_list {
                        return Err(bad(format!(
                            "cannot order by `{path}`: `{rel}` is a list; only to-one relations can order"
                        )));
                    }
                    if target.data_source != info.data_source {
                        return Err(bad(format!(
                            "cannot order by `{path}`: `{}` lives in data source `{}`, `{}` in `{}`",
                            target.name, target.data_source, info.name, info.data_source
                        )));
                    }
                    let f = target.field(field).ok_or_else(|| {
                        bad(format!(
                            "cannot order by `{path}`: `{}` has no field `{field}`; expected one of {}",
                            target.name,
                            one_of(target.fields.iter().map(|f| f.name.as_ref()))
                        ))
                    })?;
                    OrderBy::ToOne {
                        col: f.name.to_string(),
                        ty: f.ty,
                        target: Box::new(target.clone()),
                        hop,
                    }
                }
                Some(_) => {
                    return Err(bad(format!(
                        "nested lists order by their own fields only, not `{path}`"
                    )));
                }
            };
            out.push(OrderTerm { dir: *dir, by });
        }
        Ok(out)
    }
}
