//! Statements for one level of a plan, written with the statement builder
//! for the dialect of the database that runs them: the root's rows, page and
//! count; a child level's rows for a set of parent keys (one bound array) or
//! for its parent level's own query (a semi-join, inside one database);
//! filters, with relation filters as `EXISTS`, semi-joins or keys resolved in
//! another database; orders.

use std::collections::HashMap;

use link_model::ScalarType;

use serde_json::Value;

use super::cursor::{self, Keyset};
use super::filter::{Atom, Filter, FilterId, RelFilter, Test};
use super::plan::{self, EntityInfo, Hop, Level, LevelId, OrderBy, OrderTerm, Plan};
use super::request::Dir;
use crate::db::{Arg, Dialect, Sql, select_expr};

/// Keys found beforehand in other databases, by relation filter id.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    /// Values of the containing level's join column whose linked records
    /// match: the filter becomes `col ∈ keys`.
    pub parent_keys: HashMap<FilterId, Vec<String>>,
    /// Keys of matching target records, when the link table lives with the
    /// containing level but the target does not.
    pub target_keys: HashMap<FilterId, Vec<String>>,
    /// SQLite: write the root's relation filters through a link table as
    /// semi-joins (`key IN (SELECT …)`), so the link table's index drives
    /// the query instead of a probe per root row. Set when no field
    /// condition narrows the root (where probes would be cheaper).
    pub root_semi_join: bool,
}

/// Which parent rows a child statement reads children of.
#[derive(Clone, Copy)]
pub(super) enum Parents<'a> {
    /// These parent key values (one bound array).
    Keys(&'a [String]),
    /// The parent level's own query (same database, semi-join).
    Query,
    /// Every child row with a parent key: the parent level reads every row
    /// of its table but the soft-deleted, whose children stitching drops,
    /// so no semi-join is needed.
    All,
    /// Child rows whose parent key lies in `(after, upto]` (an open end
    /// when `None`): a stream chunk of roots read in key order with no
    /// filter (children of soft-deleted roots in the range are dropped by
    /// stitching). The link key column orders like the root's key (both
    /// text in the database's default collation, BINARY on SQLite), so the
    /// range is an index range scan on the link table. The rows come
    /// grouped by parent byte-wise on Postgres (`COLLATE "C"`: grouping
    /// needs no locale order, stitching regroups by key), then in the
    /// level's order; in link order the caller sorts them
    /// ([`sorted_by_caller`]).
    Range {
        after: Option<&'a Value>,
        upto: Option<&'a Value>,
    },
}

/// Whether the rows of child `id` read for `parents` come in no order, with
/// the link's `created_at` and `id` after the parent key, for the caller to
/// sort (`Db::fetch_link_ordered`): a Postgres range read through a
/// link table in link order (no order of its own, no per-parent take).
/// Sorting a stream chunk's children on the server cost three times the
/// statement itself; the client sorts rows that already come grouped by
/// the index they were read through.
pub(super) fn sorted_by_caller(
    plan: &Plan,
    id: LevelId,
    parents: Parents<'_>,
    select: Select<'_>,
    d: Dialect,
) -> bool {
    let level = &plan.levels[id];
    d == Dialect::Postgres
        && matches!(parents, Parents::Range { .. })
        && matches!(select, Select::Columns { packed: false, .. })
        && matches!(plan.edge(id).hop, Hop::Pivot { .. })
        && level.order.is_empty()
        && level.take.is_none()
}

/// What a statement selects.
#[derive(Clone, Copy)]
pub(super) enum Select<'a> {
    /// The level's columns (a child's parent key last), by name, or by
    /// position (`"__c<i>"`, plus order columns `"__o<i>"`) when packed.
    Columns {
        cols: &'a [(String, ScalarType)],
        packed: bool,
    },
    /// One column (a key for a semi-join).
    Key(&'a str),
    /// `COUNT(*)` (the root only).
    Count,
    /// The root's primary key, without order or page: the statement whose
    /// row estimate is the count's estimate.
    Estimate,
}

impl<'a> Select<'a> {
    /// The table columns a statement that selects this reads from its
    /// level's table (what a subquery under it must hand up), each once.
    fn read_columns(&self) -> Vec<&'a str> {
        match *self {
            Select::Columns { cols, .. } => read_columns(cols),
            Select::Key(col) => vec![col],
            Select::Count | Select::Estimate => Vec::new(),
        }
    }
}

/// The table columns of [`Level::columns`]-named `cols`, each once.
fn read_columns(cols: &[(String, ScalarType)]) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for (name, _) in cols {
        let col = plan::column_of(name);
        if !out.contains(&col) {
            out.push(col);
        }
    }
    out
}

/// Writes statements of one plan for one dialect.
pub(super) struct Writer<'a> {
    pub plan: &'a Plan,
    pub resolved: &'a Resolved,
    pub d: Dialect,
    aliases: usize,
}

/// `ASC`/`DESC` of an order term, with Postgres's NULL placement on SQLite.
fn way(d: Dialect, dir: Dir, nullable: bool) -> &'static str {
    match (d, dir, nullable) {
        (Dialect::Sqlite, Dir::Asc, true) => "ASC NULLS LAST",
        (Dialect::Sqlite, Dir::Desc, true) => "DESC NULLS FIRST",
        (_, Dir::Asc, _) => "ASC",
        (_, Dir::Desc, _) => "DESC",
    }
}

impl<'a> Writer<'a> {
    pub fn new(plan: &'a Plan, resolved: &'a Resolved, d: Dialect) -> Writer<'a> {
        Writer {
            plan,
            resolved,
            d,
            aliases: 0,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.aliases += 1;
        format!("{prefix}{}", self.aliases)
    }

    fn sql(&self) -> Sql {
        Sql::new(self.d)
    }

    fn with_deleted(&self) -> bool {
        self.plan.with_deleted
    }

    fn soft(&self, sql: &mut Sql, info: &EntityInfo, a: &str) {
        if let (Some(sd), false) = (&info.soft_delete, self.with_deleted()) {
            sql.push(" AND ").live(Some(a), sd);
        }
    }

    fn live_link(&self, sql: &mut Sql, k: &str) {
        if !self.with_deleted() {
            sql.push(" AND ").live(Some(k), "deleted_at");
        }
    }

    fn select_cols(&self, sql: &mut Sql, a: &str, cols: &[(String, ScalarType)], packed: bool) {
        if cols.is_empty() {
            sql.push("1");
            return;
        }
        sql.push_list(cols.iter().enumerate(), |s, (i, (name, ty))| {
            s.push(&select_expr(self.d, a, plan::column_of(name), *ty));
            if packed {
                s.push(&format!(" AS \"__c{i}\""));
            } else {
                s.push(" AS ").ident(name);
            }
        });
    }

    /// Order expressions with their direction.
    /// Order expressions with their direction (`ASC`, `DESC`; on SQLite a
    /// nullable term sorts NULLs as Postgres does: last ascending, first
    /// descending).
    fn order_terms(&mut self, level: LevelId, a: &str) -> Vec<(Sql, &'static str)> {
        let terms: Vec<OrderTerm> = self.plan.levels[level].order.clone();
        terms
            .iter()
            .map(|t| {
                let mut s = self.sql();
                self.order_expr(&mut s, a, &t.by);
                (s, way(self.d, t.dir, t.by.nullable()))
            })
            .collect()
    }

    fn order_expr(&mut self, sql: &mut Sql, a: &str, by: &OrderBy) {
        match by {
            OrderBy::Field { col, ty, .. } => {
                sql.push(&select_expr(self.d, a, col, *ty));
            }
            OrderBy::ToOne {
                target,
                hop,
                col,
                ty,
            } => {
                // A field of a to-one relation: a correlated scalar subquery.
                let o = self.fresh("o");
                sql.push("(SELECT ")
                    .push(&select_expr(self.d, &o, col, *ty))
                    .push(" FROM ");
                match hop {
                    Hop::Direct {
                        parent_col,
                        child_col,
                    } => {
                        sql.ident(&target.table)
                            .push(" ")
                            .ident(&o)
                            .push(" WHERE ")
                            .column(&o, child_col)
                            .push(" = ")
                            .column(a, parent_col);
                    }
                    Hop::Pivot {
                        parent_col,
                        pivot_table,
                        pivot_parent_key,
                        pivot_target_key,
                        child_col,
                    } => {
                        let ok = self.fresh("ok");
                        sql.ident(pivot_table)
                            .push(" ")
                            .ident(&ok)
                            .push(" JOIN ")
                            .ident(&target.table)
                            .push(" ")
                            .ident(&o)
                            .push(" ON ")
                            .column(&o, child_col)
                            .push(" = ")
                            .column(&ok, pivot_target_key)
                            .push(" WHERE ")
                            .live(Some(&ok), "deleted_at")
                            .push(" AND ")
                            .column(&ok, pivot_parent_key)
                            .push(" = ")
                            .column(a, parent_col);
                    }
                }
                if let Some(sd) = &target.soft_delete {
                    sql.push(" AND ").live(Some(&o), sd);
                }
                sql.push(" LIMIT 1)");
            }
        }
    }

    /// The root's statement: rows (ordered, paged), a key column (for a
    /// semi-join: paged, ordered only when paged) or the count (neither).
    /// Returns the order of a packed statement's aggregate.
    pub fn root(&mut self, sql: &mut Sql, select: Select<'_>) -> Vec<String> {
        let root = self.plan.root();
        let a = "t0";
        let mut packed_order = Vec::new();
        let mut order = self.order_terms(0, a);
        let mut pk = self.sql();
        pk.column(a, &root.info.pk);
        order.push((pk, "ASC"));
        sql.push("SELECT ");
        match select {
            Select::Columns { cols, packed } => {
                self.select_cols(sql, a, cols, packed);
                if packed {
                    for (i, (expr, dir)) in order.iter().enumerate() {
                        sql.push(", ")
                            .append(expr.clone())
                            .push(&format!(" AS \"__o{i}\""));
                        packed_order.push(format!("\"__o{i}\" {}", *dir));
                    }
                }
            }
            Select::Key(col) => {
                sql.push(&select_expr(self.d, a, col, root.info.ty(col)));
            }
            Select::Count => {
                sql.push("COUNT(*)");
            }
            Select::Estimate => {
                sql.column(a, &root.info.pk);
            }
        }
        sql.push(" FROM ")
            .ident(&root.info.table)
            .push(" ")
            .ident(a)
            .push(" WHERE 1=1");
        self.soft(sql, &root.info, a);
        if !root.filter.is_true() {
            sql.push(" AND ");
            let f = root.filter.clone();
            let info = root.info.clone();
            self.filter(sql, &info, a, &f, true);
        }
        let counting = matches!(select, Select::Count | Select::Estimate);
        if let (Some(ks), false) = (&self.plan.keyset, counting)
            && let Some(after) = &ks.after
        {
            sql.push(" AND ");
            self.keyset(sql, a, ks, after);
        }
        let paged = self.plan.paged() && !counting;
        let ordered = matches!(select, Select::Columns { packed: false, .. });
        if paged || ordered {
            sql.push(" ORDER BY ");
            sql.push_list(order, |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
            if paged {
                // The take is a literal (a prepared page keeps one plan);
                // the skip is bound: deep pages reuse one statement.
                if let Some(t) = self.plan.take {
                    sql.push(" LIMIT ").int(clamp(t));
                } else if self.d == Dialect::Sqlite {
                    sql.push(" LIMIT -1");
                }
                if let Some(s) = self.plan.skip {
                    sql.push(" OFFSET ").arg(Arg::Int(clamp(s)));
                }
            }
        }
        packed_order
    }

    /// Rows strictly after `after` in the keyset's order: a row comparison
    /// when every column goes one way, else the expanded form.
    fn keyset(&self, sql: &mut Sql, a: &str, ks: &Keyset, after: &[Value]) {
        let d = self.d;
        let one_way = ks.cols.iter().all(|(.., dir)| *dir == ks.cols[0].2);
        let op = |dir: Dir| if dir == Dir::Asc { " > " } else { " < " };
        if one_way {
            sql.push("(");
            sql.push_list(ks.cols.iter(), |s, (c, ..)| {
                s.column(a, c);
            });
            sql.push(")").push(op(ks.cols[0].2)).tuple(
                ks.cols
                    .iter()
                    .zip(after)
                    .map(|((_, ty, _), v)| cursor::arg(d, *ty, v)),
            );
            return;
        }
        // c1 > v1 OR (c1 = v1 AND (c2 > v2 OR (c2 = v2 AND …)))
        let n = ks.cols.len();
        for (i, ((c, ty, dir), v)) in ks.cols.iter().zip(after).enumerate() {
            sql.push("(")
                .column(a, c)
                .push(op(*dir))
                .arg(cursor::arg(d, *ty, v));
            if i + 1 < n {
                sql.push(" OR (")
                    .column(a, c)
                    .push(" = ")
                    .arg(cursor::arg(d, *ty, v))
                    .push(" AND ");
            }
        }
        for i in 0..n {
            sql.push(if i + 1 < n { "))" } else { ")" });
        }
    }

    /// A child level's statement for `parents`. Returns the order of a
    /// packed statement's aggregate.
    pub fn child(
        &mut self,
        sql: &mut Sql,
        id: LevelId,
        parents: Parents<'_>,
        select: Select<'_>,
    ) -> Vec<String> {
        let level = self.plan.levels[id].clone();
        let edge = self.plan.edge(id).clone();
        let a = format!("t{}", level.depth);
        let k = format!("k{}", level.depth);
        let w = format!("w{}", level.depth);
        let mut parent_expr = self.sql();
        let parent_ty = match &edge.hop {
            Hop::Direct { child_col, .. } => {
                parent_expr.column(&a, child_col);
                level.info.ty(child_col)
            }
            Hop::Pivot {
                pivot_parent_key, ..
            } => {
                parent_expr.column(&k, pivot_parent_key);
                ScalarType::Text
            }
        };
        let order = self.level_order(id, &a, &k);
        let windowed = level.take.is_some();
        if self.lateral_fits(&level, parent_ty) {
            let parent_query = (edge.parent, edge.hop.parent_col().to_string());
            self.child_lateral(
                sql,
                &level,
                &edge.hop,
                parents,
                select,
                parent_expr,
                order,
                parent_query,
            );
            return Vec::new();
        }
        if self.sqlite_top_fits(&level, &edge.hop, select) {
            let parent_query = (edge.parent, edge.hop.parent_col().to_string());
            self.child_sqlite_top(sql, id, &level, &edge.hop, parents, select, parent_query);
            return Vec::new();
        }
        let caller_sorts = sorted_by_caller(self.plan, id, parents, select, self.d);
        let mut packed_order = Vec::new();
        if windowed {
            // Inner query numbering rows per parent; the outer keeps the first N.
            sql.push("SELECT ");
            match select {
                Select::Columns { cols, .. } => {
                    self.select_cols(sql, &w, cols, false);
                    sql.push(", ").column(&w, "__p");
                }
                Select::Key(col) => {
                    sql.column(&w, col);
                }
                Select::Count | Select::Estimate => {
                    sql.push("COUNT(*)");
                }
            }
            // The inner query reads the columns the outer one selects, no
            // more (a model's other columns would be read for nothing).
            sql.push(" FROM (SELECT ");
            for col in select.read_columns() {
                sql.column(&a, col).push(", ");
            }
            sql.append(parent_expr.clone())
                .push(" AS \"__p\", ROW_NUMBER() OVER (PARTITION BY ")
                .append(parent_expr.clone())
                .push(" ORDER BY ");
            sql.push_list(order.clone(), |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
            sql.push(") AS \"__rn\"");
        } else {
            sql.push("SELECT ");
            match select {
                Select::Columns { cols, packed } => {
                    self.select_cols(sql, &a, cols, packed);
                    sql.push(", ").append(parent_expr.clone());
                    if caller_sorts {
                        sql.push(", ")
                            .column(&k, "created_at")
                            .push(", ")
                            .column(&k, "id");
                    }
                    if packed {
                        sql.push(&format!(" AS \"__c{}\"", cols.len()));
                        let mut all = vec![(parent_expr.clone(), "ASC")];
                        all.extend(order.iter().cloned());
                        for (i, (expr, dir)) in all.into_iter().enumerate() {
                            sql.push(", ").append(expr).push(&format!(" AS \"__o{i}\""));
                            packed_order.push(format!("\"__o{i}\" {}", dir));
                        }
                    }
                }
                Select::Key(col) => {
                    sql.push(&select_expr(self.d, &a, col, level.info.ty(col)));
                }
                Select::Count | Select::Estimate => {
                    sql.push("COUNT(*)");
                }
            }
        }
        self.write_source(sql, &level, &edge.hop, &a, &k);
        match parents {
            Parents::Keys(keys) => {
                sql.push_in_keys(parent_ty, keys, |s| {
                    s.append(parent_expr.clone());
                });
            }
            Parents::All => {
                sql.append(parent_expr.clone()).push(" IS NOT NULL");
            }
            Parents::Range { after, upto } => {
                sql.append(parent_expr.clone()).push(" IS NOT NULL");
                if let Some(v) = after {
                    sql.push(" AND ")
                        .append(parent_expr.clone())
                        .push(" > ")
                        .arg(cursor::arg(self.d, parent_ty, v));
                }
                if let Some(v) = upto {
                    sql.push(" AND ")
                        .append(parent_expr.clone())
                        .push(" <= ")
                        .arg(cursor::arg(self.d, parent_ty, v));
                }
            }
            Parents::Query => {
                sql.append(parent_expr.clone()).push(" IN (");
                let mut inner = self.sql();
                self.key_query(&mut inner, edge.parent, edge.hop.parent_col());
                sql.append(inner).push(")");
            }
        }
        self.soft(sql, &level.info, &a);
        if !level.filter.is_true() {
            sql.push(" AND ");
            self.filter(sql, &level.info, &a, &level.filter, false);
        }
        let rows = matches!(select, Select::Columns { packed: false, .. });
        if windowed {
            sql.push(") ")
                .ident(&w)
                .push(" WHERE ")
                .column(&w, "__rn")
                .push(" <= ")
                .arg(Arg::Int(clamp(level.take.unwrap_or(0))));
            if rows {
                sql.push(" ORDER BY ")
                    .column(&w, "__p")
                    .push(", ")
                    .column(&w, "__rn");
            }
        } else if rows && !caller_sorts {
            sql.push(" ORDER BY ").append(parent_expr);
            if matches!(parents, Parents::Range { .. })
                && self.d == Dialect::Postgres
                && parent_ty == ScalarType::Text
            {
                sql.push(" COLLATE \"C\"");
            }
            sql.push(" ASC, ");
            sql.push_list(order, |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
        }
        packed_order
    }

    /// A child level's order with its tie-breakers: link order (created_at,
    /// id) through a link table, else the primary key.
    fn level_order(&mut self, id: LevelId, a: &str, k: &str) -> Vec<(Sql, &'static str)> {
        let level = &self.plan.levels[id];
        // A link table's primary key is its pair: under one parent, the
        // target's primary key never ties, and link order breaks no tie.
        let by_target_pk = level
            .order
            .iter()
            .any(|t| matches!(&t.by, OrderBy::Field { col, .. } if *col == level.info.pk));
        let pk = level.info.pk.clone();
        let pivot = matches!(self.plan.edge(id).hop, Hop::Pivot { .. });
        let mut order = self.order_terms(id, a);
        match (pivot, by_target_pk) {
            (true, true) => {}
            (true, false) => {
                let mut c = self.sql();
                c.column(k, "created_at");
                order.push((c, "ASC"));
                // Byte order on both dialects (the link id is text), so a
                // caller sorting rows itself (`sorted_by_caller`) agrees.
                let mut i = self.sql();
                i.column(k, "id");
                if self.d == Dialect::Postgres {
                    i.push(" COLLATE \"C\"");
                }
                order.push((i, "ASC"));
            }
            (false, _) => {
                let mut p = self.sql();
                p.column(a, &pk);
                order.push((p, "ASC"));
            }
        }
        order
    }

    /// ` FROM <table or link table JOIN table> WHERE [live link AND ]` of a
    /// child level.
    fn write_source(&self, sql: &mut Sql, level: &Level, hop: &Hop, a: &str, k: &str) {
        sql.push(" FROM ");
        match hop {
            Hop::Direct { .. } => {
                sql.ident(&level.info.table).push(" ").ident(a);
            }
            Hop::Pivot {
                pivot_table,
                pivot_target_key,
                child_col,
                ..
            } => {
                sql.ident(pivot_table)
                    .push(" ")
                    .ident(k)
                    .push(" JOIN ")
                    .ident(&level.info.table)
                    .push(" ")
                    .ident(a)
                    .push(" ON ")
                    .column(a, child_col)
                    .push(" = ")
                    .column(k, pivot_target_key);
            }
        }
        sql.push(" WHERE ");
        if let Hop::Pivot { .. } = hop
            && !self.with_deleted()
        {
            sql.live(Some(k), "deleted_at").push(" AND ");
        }
    }

    /// Whether child level `id` is read with a lateral join (see
    /// `lateral_fits`).
    pub fn lateral(&self, id: LevelId) -> bool {
        let level = &self.plan.levels[id];
        let parent_ty = match &self.plan.edge(id).hop {
            Hop::Direct { child_col, .. } => level.info.ty(child_col),
            Hop::Pivot { .. } => ScalarType::Text,
        };
        self.lateral_fits(level, parent_ty)
    }

    /// Whether a page of roots reads its list `id` in the same statement
    /// (`root_with_lateral`): on Postgres, text keys, a page with a `take`
    /// and a list without one. One statement instead of the page's and a
    /// semi-join that runs the page again: a page of 100 products with
    /// their channels at 1,000,000 took twice the hand-written join.
    pub fn lateral_page(&self, id: LevelId) -> bool {
        let level = &self.plan.levels[id];
        let parent_ty = match &self.plan.edge(id).hop {
            Hop::Direct { child_col, .. } => level.info.ty(child_col),
            Hop::Pivot { .. } => ScalarType::Text,
        };
        self.d == Dialect::Postgres
            && self.plan.take.is_some()
            && level.take.is_none()
            && parent_ty == ScalarType::Text
    }

    /// Whether a per-parent `take` is read with a lateral join: on Postgres,
    /// text keys, and an order an index serves per parent (link order, or the
    /// target's primary key), where each parent's first N are found without
    /// ranking every child row.
    fn lateral_fits(&self, level: &Level, parent_ty: ScalarType) -> bool {
        self.d == Dialect::Postgres
            && level.take.is_some()
            && parent_ty == ScalarType::Text
            && level
                .order
                .iter()
                .all(|t| matches!(&t.by, OrderBy::Field { col, .. } if *col == level.info.pk))
    }

    /// Whether a per-parent `take` through a link table, ordered by the
    /// target's primary key, is read on SQLite as each parent's first
    /// targets in key order (`child_sqlite_top`) instead of ranking every
    /// child row in a window.
    fn sqlite_top_fits(&self, level: &Level, hop: &Hop, select: Select<'_>) -> bool {
        self.d == Dialect::Sqlite
            && level.take.is_some()
            && matches!(hop, Hop::Pivot { .. })
            && matches!(
                select,
                Select::Columns { packed: false, .. } | Select::Key(_)
            )
            && !level.order.is_empty()
            && level
                .order
                .iter()
                .all(|t| matches!(&t.by, OrderBy::Field { col, .. } if *col == level.info.pk))
    }

    /// SQLite's form of a per-parent `take` ordered by the target's primary
    /// key: for each parent key `p`, the targets whose key is among the
    /// first `n` targets in key order that a live link joins to `p` (the
    /// target's primary key index walked in order, each probing the link
    /// table's pair key, until `n` are found). The link table's primary key
    /// is its pair, so a target is linked to a parent at most once, as in
    /// the window form. Same columns as the window form, parent key last,
    /// in parent then list order.
    #[allow(clippy::too_many_arguments)]
    fn child_sqlite_top(
        &mut self,
        sql: &mut Sql,
        id: LevelId,
        level: &Level,
        hop: &Hop,
        parents: Parents<'_>,
        select: Select<'_>,
        parent_query: (LevelId, String),
    ) {
        let Hop::Pivot {
            pivot_table,
            pivot_parent_key,
            pivot_target_key,
            child_col,
            ..
        } = hop
        else {
            return;
        };
        let a = format!("t{}", level.depth);
        let x = format!("x{}", level.depth);
        let k = format!("k{}", level.depth);
        let pk = level.info.pk.clone();
        sql.push("SELECT ");
        match select {
            Select::Columns { cols, .. } => {
                self.select_cols(sql, &a, cols, false);
                sql.push(", ").column("p", "key");
            }
            Select::Key(col) => {
                sql.push(&select_expr(self.d, &a, col, level.info.ty(col)));
            }
            Select::Count | Select::Estimate => {
                sql.push("COUNT(*)");
            }
        }
        sql.push(" FROM ");
        match parents {
            Parents::Keys(keys) => {
                sql.push("(SELECT \"value\" AS \"key\" FROM json_each(")
                    .arg(Arg::TextArray(keys.to_vec()))
                    .push("))");
            }
            Parents::Query | Parents::All | Parents::Range { .. } => {
                let (parent, col) = parent_query;
                let mut inner = self.sql();
                self.key_query(&mut inner, parent, &col);
                sql.push("(SELECT DISTINCT ")
                    .column("q", &col)
                    .push(" AS \"key\" FROM (")
                    .append(inner)
                    .push(") \"q\")");
            }
        }
        sql.push(" \"p\" JOIN ")
            .ident(&level.info.table)
            .push(" ")
            .ident(&a)
            .push(" ON ")
            .column(&a, &pk)
            .push(" IN (SELECT ")
            .column(&x, &pk)
            .push(" FROM ")
            .ident(&level.info.table)
            .push(" ")
            .ident(&x)
            .push(" WHERE EXISTS (SELECT 1 FROM ")
            .ident(pivot_table)
            .push(" ")
            .ident(&k)
            .push(" WHERE ")
            .column(&k, pivot_target_key)
            .push(" = ")
            .column(&x, child_col)
            .push(" AND ")
            .column(&k, pivot_parent_key)
            .push(" = ")
            .column("p", "key");
        self.live_link(sql, &k);
        sql.push(")");
        self.soft(sql, &level.info, &x);
        if !level.filter.is_true() {
            sql.push(" AND ");
            self.filter(sql, &level.info, &x, &level.filter, false);
        }
        let inner_order = self.order_terms(id, &x);
        sql.push(" ORDER BY ");
        sql.push_list(inner_order, |s, (expr, dir)| {
            s.append(expr).push(" ").push(dir);
        });
        sql.push(" LIMIT ")
            .int(clamp(level.take.unwrap_or(0)))
            .push(")");
        if matches!(select, Select::Columns { packed: false, .. }) {
            let order = self.order_terms(id, &a);
            sql.push(" ORDER BY ").column("p", "key").push(", ");
            sql.push_list(order, |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
        }
    }

    /// A per-parent `take` as `<parent keys> CROSS JOIN LATERAL (… ORDER BY
    /// … LIMIT n)`, with the same columns as the window form.
    #[allow(clippy::too_many_arguments)]
    fn child_lateral(
        &mut self,
        sql: &mut Sql,
        level: &Level,
        hop: &Hop,
        parents: Parents<'_>,
        select: Select<'_>,
        parent_expr: Sql,
        order: Vec<(Sql, &'static str)>,
        parent_query: (LevelId, String),
    ) {
        let x = format!("w{}", level.depth);
        sql.push("SELECT ");
        match select {
            Select::Columns { cols, .. } => {
                self.select_cols(sql, &x, cols, false);
                sql.push(", ").column("p", "key");
            }
            Select::Key(col) => {
                sql.column(&x, col);
            }
            Select::Count | Select::Estimate => {
                sql.push("COUNT(*)");
            }
        }
        sql.push(" FROM ");
        match parents {
            Parents::Keys(keys) => {
                sql.push("unnest(")
                    .arg(Arg::TextArray(keys.to_vec()))
                    .push(") AS \"p\"(\"key\")");
            }
            // A range is its chunk's roots: the root's own (paged) query.
            Parents::Query | Parents::All | Parents::Range { .. } => {
                let (parent, col) = parent_query;
                sql.push("(SELECT DISTINCT \"q\".\"k\" FROM (");
                let mut inner = self.sql();
                self.key_query(&mut inner, parent, &col);
                sql.append(inner).push(") \"q\"(\"k\")) \"p\"(\"key\")");
            }
        }
        // Only the columns the outer select reads.
        let inner = select.read_columns();
        let mut key = self.sql();
        key.column("p", "key");
        sql.push(" CROSS JOIN LATERAL ");
        let outer = self.lateral_body(sql, level, hop, &inner, parent_expr, key, order);
        sql.push(" ").ident(&x);
        if matches!(select, Select::Columns { packed: false, .. }) {
            sql.push(" ORDER BY ").column("p", "key");
            then_lateral_order(sql, &x, &outer);
        }
    }

    /// `(SELECT <inner>, <order> AS "__o0", …, 1 AS "__hit" FROM <source>
    /// WHERE <parent_expr> = <key> … [ORDER BY <order> LIMIT n])`: one
    /// parent's (first) rows of a level; returns the order's column
    /// names with their directions, for the outer `ORDER BY`.
    #[allow(clippy::too_many_arguments)]
    fn lateral_body(
        &mut self,
        sql: &mut Sql,
        level: &Level,
        hop: &Hop,
        inner: &[&str],
        parent_expr: Sql,
        key: Sql,
        order: Vec<(Sql, &'static str)>,
    ) -> Vec<(String, &'static str)> {
        let a = format!("t{}", level.depth);
        let k = format!("k{}", level.depth);
        sql.push("(SELECT ");
        for c in inner {
            sql.column(&a, c).push(", ");
        }
        // The order's values, for the outer statement to order by (a
        // column keeps its expression's collation); no row number, whose
        // window reads one row past the limit. `__hit` marks a row.
        let mut outer = Vec::with_capacity(order.len());
        for (i, (expr, dir)) in order.iter().enumerate() {
            let name = format!("__o{i}");
            sql.append(expr.clone())
                .push(" AS ")
                .ident(&name)
                .push(", ");
            outer.push((name, *dir));
        }
        sql.push("1 AS \"__hit\"");
        self.write_source(sql, level, hop, &a, &k);
        sql.append(parent_expr).push(" = ").append(key);
        self.soft(sql, &level.info, &a);
        if !level.filter.is_true() {
            sql.push(" AND ");
            self.filter(sql, &level.info, &a, &level.filter, false);
        }
        // Without a limit the outer `ORDER BY` alone orders the rows.
        if let Some(take) = level.take {
            sql.push(" ORDER BY ");
            sql.push_list(order, |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
            // A literal: the prepared statement's plan is reused (see `Sql::int`).
            sql.push(" LIMIT ").int(clamp(take));
        }
        sql.push(")");
        outer
    }

    /// The root's rows and, in the same statement, the first rows of its
    /// windowed child `id` per root (`LEFT JOIN LATERAL`, Postgres): the
    /// root's `root_cols`, then the child's `child_cols` and a marker
    /// (`__hit`, `NULL`: a root without children), ordered by the root's
    /// order and then the child's. For a root read whole (no page), or for a page
    /// whose list has no `take` ([`Writer::lateral_page`]).
    pub fn root_with_lateral(
        &mut self,
        sql: &mut Sql,
        root_cols: &[(String, ScalarType)],
        id: LevelId,
        child_cols: &[(String, ScalarType)],
    ) {
        let level = self.plan.levels[id].clone();
        let edge = self.plan.edge(id).clone();
        let root = self.plan.root().clone();
        let kpos = root.key_index(self.plan, edge.hop.parent_col());
        let a = format!("t{}", level.depth);
        let k = format!("k{}", level.depth);
        let x = format!("w{}", level.depth);
        let mut inner_sql = self.sql();
        let order = self.root(
            &mut inner_sql,
            Select::Columns {
                cols: root_cols,
                packed: true,
            },
        );
        let mut parent_expr = self.sql();
        match &edge.hop {
            Hop::Direct { child_col, .. } => {
                parent_expr.column(&a, child_col);
            }
            Hop::Pivot {
                pivot_parent_key, ..
            } => {
                parent_expr.column(&k, pivot_parent_key);
            }
        }
        let child_order = self.level_order(id, &a, &k);
        sql.push("SELECT ");
        sql.push_list(0..root_cols.len(), |s, i| {
            s.column("r", &format!("__c{i}"));
        });
        sql.push(", ");
        self.select_cols(sql, &x, child_cols, false);
        sql.push(", ").column(&x, "__hit").push(" FROM (");
        sql.append(inner_sql).push(") \"r\" LEFT JOIN LATERAL ");
        let inner = read_columns(child_cols);
        let mut key = self.sql();
        key.column("r", &format!("__c{kpos}"));
        let outer = self.lateral_body(
            sql,
            &level,
            &edge.hop,
            &inner,
            parent_expr,
            key,
            child_order,
        );
        sql.push(" ").ident(&x).push(" ON TRUE ORDER BY ");
        // The root's order ends on its primary key: never empty.
        let terms: Vec<String> = order.iter().map(|o| format!("\"r\".{o}")).collect();
        sql.push(&terms.join(", "));
        then_lateral_order(sql, &x, &outer);
    }

    /// `SELECT <col>` of a level's rows, for a semi-join of its children.
    pub fn key_query(&mut self, sql: &mut Sql, id: LevelId, col: &str) {
        if id == 0 {
            self.root(sql, Select::Key(col));
        } else {
            self.child(sql, id, Parents::Query, Select::Key(col));
        }
    }

    /// A boolean expression for `f` on `info` (alias `a`); `at_root`: the
    /// root level's own filter.
    pub fn filter(&mut self, sql: &mut Sql, info: &EntityInfo, a: &str, f: &Filter, at_root: bool) {
        match f {
            Filter::Const(true) => {
                sql.push("1=1");
            }
            Filter::Const(false) => {
                sql.push("1=0");
            }
            Filter::And(parts) | Filter::Or(parts) => {
                let op = if matches!(f, Filter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                sql.push("(");
                for (i, p) in parts.iter().enumerate() {
                    if i > 0 {
                        sql.push(op);
                    }
                    self.filter(sql, info, a, p, at_root);
                }
                sql.push(")");
            }
            Filter::Atom(atom) => self.atom(sql, a, atom),
            Filter::Rel(r) => self.relation(sql, info, a, r, at_root),
        }
    }

    fn atom(&mut self, sql: &mut Sql, a: &str, atom: &Atom) {
        let d = self.d;
        let col = |s: &mut Sql| {
            s.column(a, &atom.col);
            if d == Dialect::Postgres && matches!(atom.ty, ScalarType::Uuid | ScalarType::Enum) {
                s.push("::text");
            }
        };
        let positive = |s: &mut Sql| match &atom.test {
            Test::IsNull => {
                col(s);
                s.push(" IS NULL");
            }
            Test::Cmp(op, arg) => {
                col(s);
                s.push(" ").push(op).push(" ").arg(arg.clone());
            }
            Test::In(args) => {
                let texts: Option<Vec<String>> = args
                    .iter()
                    .map(|x| match x {
                        Arg::Text(t) => Some(t.clone()),
                        _ => None,
                    })
                    .collect();
                match texts {
                    Some(keys) if keys.len() > 100 => {
                        s.push_in_keys(ScalarType::Text, &keys, col);
                    }
                    _ => {
                        col(s);
                        s.push(" IN ").tuple(args.iter().cloned());
                    }
                }
            }
            Test::Like {
                pattern,
                case_insensitive,
            } => {
                col(s);
                match (d, case_insensitive) {
                    (Dialect::Postgres, false) => {
                        s.push(" LIKE ").arg(Arg::Text(pattern.clone()));
                    }
                    (Dialect::Postgres, true) => {
                        s.push(" ILIKE ").arg(Arg::Text(pattern.clone()));
                    }
                    // SQLite's LIKE ignores (ASCII) case: `$like` is a GLOB.
                    (Dialect::Sqlite, false) => {
                        s.push(" GLOB ").arg(Arg::Text(like_to_glob(pattern)));
                    }
                    (Dialect::Sqlite, true) => {
                        s.push(" LIKE ")
                            .arg(Arg::Text(pattern.clone()))
                            .push(" ESCAPE '\\'");
                    }
                }
            }
        };
        match (&atom.test, atom.neg) {
            (_, false) => positive(sql),
            (Test::IsNull, true) => {
                col(sql);
                sql.push(" IS NOT NULL");
            }
            // The complement, NULL included: `col IS NULL OR NOT (…)`.
            (_, true) => {
                sql.push("(");
                col(sql);
                sql.push(" IS NULL OR NOT (");
                positive(sql);
                sql.push("))");
            }
        }
    }

    /// A relation filter: true or false for every row, never NULL.
    fn relation(
        &mut self,
        sql: &mut Sql,
        info: &EntityInfo,
        a: &str,
        r: &RelFilter,
        at_root: bool,
    ) {
        let pc = r.hop.parent_col().to_string();
        if let Some(keys) = self.resolved.parent_keys.get(&r.id) {
            // Resolved in another database: `col ∈ keys`, where a NULL
            // column has no linked record.
            let ty = info.ty(&pc);
            if r.neg {
                sql.push("(").column(a, &pc).push(" IS NULL OR NOT (");
            }
            sql.push_in_keys(ty, keys, |s| {
                s.column(a, &pc);
            });
            if r.neg {
                sql.push("))");
            }
            return;
        }
        let s_alias = self.fresh("f");
        let k_alias = self.fresh("fk");
        let (s, k) = (s_alias.as_str(), k_alias.as_str());
        let sqlite = self.d == Dialect::Sqlite;
        if let (
            Some(keys),
            Hop::Pivot {
                parent_col,
                pivot_table,
                pivot_parent_key,
                pivot_target_key,
                ..
            },
        ) = (self.resolved.target_keys.get(&r.id), &r.hop)
        {
            // The link table is here, its targets were matched elsewhere.
            sql.push(if r.neg { "NOT EXISTS" } else { "EXISTS" })
                .push(" (SELECT 1 FROM ")
                .ident(pivot_table)
                .push(" ")
                .ident(k)
                .push(" WHERE ")
                .column(k, pivot_parent_key)
                .push(" = ")
                .column(a, parent_col);
            self.live_link(sql, k);
            sql.push(" AND ");
            sql.push_in_keys(ScalarType::Text, keys, |x| {
                x.column(k, pivot_target_key);
            });
            // SQLite 3.51–3.53 turns a correlated EXISTS into a join loop
            // that `OFFSET` miscounts; a LIMIT inside keeps it a subquery.
            if sqlite {
                sql.push(" LIMIT 1");
            }
            sql.push(")");
            return;
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
        ) = (sqlite && at_root && self.resolved.root_semi_join, &r.hop)
        {
            // `EXISTS (… WHERE fk.key = a.col …)` as a semi-join that means
            // the same: a null key matches nothing, and keys compare with
            // the link column's collation (BINARY).
            if r.neg {
                sql.push("NOT ");
            }
            sql.push("(")
                .column(a, parent_col)
                .push(" IS NOT NULL AND ")
                .column(a, parent_col)
                .push(" COLLATE BINARY IN (SELECT ")
                .column(k, pivot_parent_key)
                .push(" FROM ")
                .ident(pivot_table)
                .push(" ")
                .ident(k)
                .push(" JOIN ")
                .ident(&r.target.table)
                .push(" ")
                .ident(s)
                .push(" ON ")
                .column(s, child_col)
                .push(" = ")
                .column(k, pivot_target_key)
                .push(" WHERE ")
                .column(k, pivot_parent_key)
                .push(" IS NOT NULL");
            self.live_link(sql, k);
            self.soft(sql, &r.target, s);
            if !r.inner.is_true() {
                sql.push(" AND ");
                self.filter(sql, &r.target, s, &r.inner, false);
            }
            sql.push("))");
            return;
        }
        sql.push(if r.neg { "NOT EXISTS" } else { "EXISTS" })
            .push(" (SELECT 1 FROM ");
        match &r.hop {
            Hop::Direct {
                parent_col,
                child_col,
            } => {
                sql.ident(&r.target.table)
                    .push(" ")
                    .ident(s)
                    .push(" WHERE ")
                    .column(s, child_col)
                    .push(" = ")
                    .column(a, parent_col);
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
                    .ident(k)
                    .push(" JOIN ")
                    .ident(&r.target.table)
                    .push(" ")
                    .ident(s)
                    .push(" ON ")
                    .column(s, child_col)
                    .push(" = ")
                    .column(k, pivot_target_key)
                    .push(" WHERE ")
                    .column(k, pivot_parent_key)
                    .push(" = ")
                    .column(a, parent_col);
                self.live_link(sql, k);
            }
        }
        self.soft(sql, &r.target, s);
        if !r.inner.is_true() {
            sql.push(" AND ");
            self.filter(sql, &r.target, s, &r.inner, false);
        }
        if sqlite {
            sql.push(" LIMIT 1");
        }
        sql.push(")");
    }

    /// `SELECT DISTINCT <col>` of the `target` records matching `inner`
    /// (a key column, never NULL in the result).
    pub fn matching(&mut self, sql: &mut Sql, target: &EntityInfo, col: &str, inner: &Filter) {
        let s = "x1";
        sql.push("SELECT DISTINCT ")
            .push(&select_expr(self.d, s, col, ScalarType::Text))
            .push(" FROM ")
            .ident(&target.table)
            .push(" ")
            .ident(s)
            .push(" WHERE ")
            .column(s, col)
            .push(" IS NOT NULL");
        self.soft(sql, target, s);
        if !inner.is_true() {
            sql.push(" AND ");
            self.filter(sql, target, s, inner, false);
        }
    }

    /// `SELECT DISTINCT` parent keys of live link rows whose target matches
    /// `inner`: link table and target in this database.
    pub fn matching_through(
        &mut self,
        sql: &mut Sql,
        target: &EntityInfo,
        hop: &Hop,
        inner: &Filter,
    ) {
        let Hop::Pivot {
            pivot_table,
            pivot_parent_key,
            pivot_target_key,
            child_col,
            ..
        } = hop
        else {
            return self.matching(sql, target, hop.parent_col(), inner);
        };
        let (s, k) = ("x1", "xk");
        sql.push("SELECT DISTINCT ")
            .column(k, pivot_parent_key)
            .push(" FROM ")
            .ident(pivot_table)
            .push(" ")
            .ident(k)
            .push(" JOIN ")
            .ident(&target.table)
            .push(" ")
            .ident(s)
            .push(" ON ")
            .column(s, child_col)
            .push(" = ")
            .column(k, pivot_target_key)
            .push(" WHERE 1=1");
        self.live_link(sql, k);
        self.soft(sql, target, s);
        if !inner.is_true() {
            sql.push(" AND ");
            self.filter(sql, target, s, inner, false);
        }
    }

    /// `SELECT DISTINCT` parent keys of live link rows pointing at `targets`.
    pub fn pivot_parents(&mut self, sql: &mut Sql, hop: &Hop, targets: &[String]) {
        if let Hop::Pivot {
            pivot_table,
            pivot_parent_key,
            pivot_target_key,
            ..
        } = hop
        {
            let cols = [pivot_parent_key.as_str()];
            self.link_rows(
                sql,
                pivot_table,
                "SELECT DISTINCT ",
                &cols,
                pivot_target_key,
                targets,
            );
        }
    }

    /// Live link rows `(parent key, target key)` of `parents`, in link
    /// order (created_at, id).
    pub fn link_pairs(&mut self, sql: &mut Sql, hop: &Hop, parents: &[String]) {
        if let Hop::Pivot {
            pivot_table,
            pivot_parent_key,
            pivot_target_key,
            ..
        } = hop
        {
            let cols = [pivot_parent_key.as_str(), pivot_target_key.as_str()];
            self.link_rows(
                sql,
                pivot_table,
                "SELECT ",
                &cols,
                pivot_parent_key,
                parents,
            );
            sql.push(" ORDER BY ")
                .column(LINK_ROWS, "created_at")
                .push(", ")
                .column(LINK_ROWS, "id");
            // Ties in byte order, as in one database (`level_order`).
            if self.d == Dialect::Postgres {
                sql.push(" COLLATE \"C\"");
            }
        }
    }

    /// `<select> cols FROM <table> WHERE <by> ∈ keys AND <live>`.
    fn link_rows(
        &self,
        sql: &mut Sql,
        table: &str,
        select: &str,
        cols: &[&str],
        by: &str,
        keys: &[String],
    ) {
        let k = LINK_ROWS;
        sql.push(select);
        sql.push_list(cols.iter(), |s, c| {
            s.column(k, c);
        });
        sql.push(" FROM ")
            .ident(table)
            .push(" ")
            .ident(k)
            .push(" WHERE ");
        sql.push_in_keys(ScalarType::Text, keys, |s| {
            s.column(k, by);
        });
        self.live_link(sql, k);
    }

    /// Target rows of a nested list whose link table lives in another
    /// database: `cols`, the key (`"__t"`) and the rank of the row in the
    /// list's order (`"__r"`, ties equal), for the records keyed `keys`.
    pub fn targets(
        &mut self,
        sql: &mut Sql,
        id: LevelId,
        cols: &[(String, ScalarType)],
        keys: &[String],
    ) {
        let level = self.plan.levels[id].clone();
        let Hop::Pivot { child_col, .. } = &self.plan.edge(id).hop else {
            return;
        };
        let a = "t";
        let order = self.order_terms(id, a);
        sql.push("SELECT ");
        self.select_cols(sql, a, cols, false);
        sql.push(", ")
            .push(&select_expr(self.d, a, child_col, ScalarType::Text))
            .push(" AS \"__t\", ");
        if order.is_empty() {
            sql.push("CAST(0 AS BIGINT)");
        } else {
            sql.push("DENSE_RANK() OVER (ORDER BY ");
            sql.push_list(order, |s, (expr, dir)| {
                s.append(expr).push(" ").push(dir);
            });
            sql.push(")");
        }
        sql.push(" AS \"__r\" FROM ")
            .ident(&level.info.table)
            .push(" ")
            .ident(a)
            .push(" WHERE ");
        sql.push_in_keys(level.info.ty(child_col), keys, |s| {
            s.column(a, child_col);
        });
        self.soft(sql, &level.info, a);
        if !level.filter.is_true() {
            sql.push(" AND ");
            self.filter(sql, &level.info, a, &level.filter, false);
        }
    }
}

/// `, "<x>"."__o0" <dir>, …`: an outer `ORDER BY`'s terms after its first,
/// on the order columns of lateral `x` (from [`Writer::lateral_body`]).
fn then_lateral_order(sql: &mut Sql, x: &str, outer: &[(String, &'static str)]) {
    for (name, dir) in outer {
        sql.push(", ").column(x, name).push(" ").push(dir);
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Alias of a link table read on its own.
const LINK_ROWS: &str = "xk";

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
