//! The statement builder: SQL text written for one dialect, with its bound
//! arguments, in the manner of sqlx's `QueryBuilder`. Placeholders are
//! written as arguments are pushed (`?` on SQLite, `$n` on Postgres), so a
//! finished statement is never rescanned or rewritten.
//!
//! Identifiers come only from the link graph and are always quoted; values
//! are always bound. Key sets of any size are one bound array
//! ([`Sql::push_in_keys`]): one statement shape whatever the number of keys,
//! and never more bound variables than SQLite allows.

use std::fmt::Write;

use link_model::ScalarType;

use super::Arg;
use super::Dialect;

/// SQL text plus its arguments, for one dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    /// The statement text, with the dialect's placeholders.
    pub text: String,
    /// The bound arguments, in placeholder order.
    pub args: Vec<Arg>,
    dialect: Dialect,
}

impl Sql {
    /// An empty statement for `dialect`.
    pub fn new(dialect: Dialect) -> Sql {
        Sql {
            text: String::new(),
            args: Vec::new(),
            dialect,
        }
    }

    /// A statement without arguments, as written (for tests and scripts).
    pub fn raw(dialect: Dialect, text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
            dialect,
        }
    }

    /// The dialect the placeholders are written for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Appends SQL text (never user input).
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a quoted identifier.
    pub fn ident(&mut self, name: &str) -> &mut Sql {
        push_quoted(&mut self.text, name);
        self
    }

    /// Appends `"alias"."column"`.
    pub fn column(&mut self, alias: &str, column: &str) -> &mut Sql {
        push_quoted(&mut self.text, alias);
        self.text.push('.');
        push_quoted(&mut self.text, column);
        self
    }

    /// Appends the soft-delete test `"alias"."column" IS NULL` (no alias:
    /// `"column" IS NULL`). On SQLite it is written
    /// `likelihood(… IS NULL, 0.999)`: without `ANALYZE` statistics (most
    /// SQLite files never get them) SQLite takes `IS NULL` on an indexed
    /// `deleted_at` for a selective equality and walks that index, which
    /// holds every live row (measured at 1,000,000 products: one product
    /// with its channels 480 ms instead of 0.1 ms). The likelihood tells the
    /// planner the test is nearly always true, and leaves the term as it is
    /// for matching partial indexes (`… WHERE "deleted_at" IS NULL`), which
    /// stay usable; with statistics the plans are the same.
    pub fn live(&mut self, alias: Option<&str>, column: &str) -> &mut Sql {
        let sqlite = self.dialect == Dialect::Sqlite;
        if sqlite {
            self.text.push_str("likelihood(");
        }
        match alias {
            Some(a) => self.column(a, column),
            None => self.ident(column),
        };
        self.text.push_str(if sqlite {
            " IS NULL, 0.999)"
        } else {
            " IS NULL"
        });
        self
    }

    /// Appends an integer as a literal (a number this crate computed, never
    /// user text). For values the planner should see in the statement, such
    /// as the `LIMIT` of a lateral join: Postgres then plans a prepared
    /// statement once and reuses the plan, where a bound `LIMIT $n` is
    /// planned again on every execution (a custom plan per value).
    pub fn int(&mut self, n: i64) -> &mut Sql {
        let _ = write!(self.text, "{n}");
        self
    }

    /// Appends a placeholder bound to `arg`. On Postgres a decimal is
    /// bound as text and cast (`CAST($n AS numeric)`).
    pub fn arg(&mut self, arg: Arg) -> &mut Sql {
        let numeric = matches!(arg, Arg::Decimal(_) | Arg::Null(ScalarType::Decimal));
        self.args.push(arg);
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres if numeric => {
                let _ = write!(self.text, "CAST(${} AS numeric)", self.args.len());
            }
            Dialect::Postgres => {
                let _ = write!(self.text, "${}", self.args.len());
            }
        }
        self
    }

    /// Appends `a, b, c`, each written by `f`.
    pub fn push_list<T>(
        &mut self,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut Sql, T),
    ) -> &mut Sql {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            f(self, item);
        }
        self
    }

    /// Appends a list of quoted identifiers: `"a", "b"`.
    pub fn idents<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) -> &mut Sql {
        self.push_list(names, |s, n| {
            s.ident(n);
        })
    }

    /// Appends a parenthesised tuple of placeholders: `(?, ?)` / `($1, $2)`.
    pub fn tuple(&mut self, args: impl IntoIterator<Item = Arg>) -> &mut Sql {
        self.text.push('(');
        self.push_list(args, |s, a| {
            s.arg(a);
        });
        self.text.push(')');
        self
    }

    /// Appends `<expr> ∈ keys` as one bound array: `<expr> = ANY($n)` on
    /// Postgres, `<expr> IN (SELECT value FROM json_each(?))` on SQLite.
    /// `expr` is written by the caller's closure; `ty` is the type of the
    /// column it reads (non-text columns are compared as text on Postgres,
    /// since the keys are text). True for no row when `keys` is empty; NULL
    /// (not true) when the expression is NULL.
    pub fn push_in_keys(
        &mut self,
        ty: ScalarType,
        keys: &[String],
        expr: impl FnOnce(&mut Sql),
    ) -> &mut Sql {
        match self.dialect {
            Dialect::Postgres => {
                let text = matches!(ty, ScalarType::Text);
                if !text {
                    self.push("CAST(");
                }
                expr(self);
                if !text {
                    self.push(" AS text)");
                }
                self.push(" = ANY(")
                    .arg(Arg::TextArray(keys.to_vec()))
                    .push(")");
            }
            Dialect::Sqlite => {
                expr(self);
                self.push(" IN (SELECT value FROM json_each(")
                    .arg(Arg::TextArray(keys.to_vec()))
                    .push("))");
            }
        }
        self
    }

    /// Appends a finished statement (its text and arguments) as a part of
    /// this one, e.g. a subquery. Both must be of the same dialect.
    pub fn append(&mut self, other: Sql) -> &mut Sql {
        debug_assert_eq!(self.dialect, other.dialect);
        match self.dialect {
            Dialect::Sqlite => self.text.push_str(&other.text),
            Dialect::Postgres => {
                // Renumber `$n` of `other` after this statement's arguments.
                let offset = self.args.len();
                renumber(&mut self.text, &other.text, offset);
            }
        }
        self.args.extend(other.args);
        self
    }
}

/// Copies `src` into `out`, adding `offset` to every `$n` placeholder
/// outside quotes.
fn renumber(out: &mut String, src: &str, offset: usize) {
    let b = src.as_bytes();
    let mut i = 0;
    let mut copied = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'\'' || c == b'"' => quote = Some(c),
            None if c == b'$' && b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let n: usize = src[start..end].parse().unwrap_or(0);
                out.push_str(&src[copied..i]);
                let _ = write!(out, "${}", n + offset);
                copied = end;
                i = end;
                continue;
            }
            None => {}
        }
        i += 1;
    }
    out.push_str(&src[copied..]);
}

fn push_quoted(out: &mut String, name: &str) {
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

/// Quotes an identifier.
pub fn quote(name: &str) -> String {
    let mut s = String::with_capacity(name.len() + 2);
    push_quoted(&mut s, name);
    s
}

/// The SELECT expression of a column so that it decodes as [`ScalarType`]
/// says (uuid, numeric and enums are read as text on Postgres).
pub fn select_expr(d: Dialect, table_alias: &str, column: &str, ty: ScalarType) -> String {
    let col = format!("{}.{}", quote(table_alias), quote(column));
    match (d, ty) {
        (Dialect::Postgres, ScalarType::Uuid | ScalarType::Decimal | ScalarType::Enum) => {
            format!("{col}::text")
        }
        _ => col,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("SELECT ")
            .column("t", "a")
            .push(" FROM ")
            .ident("x\"y")
            .push(" WHERE a = ")
            .arg(Arg::Int(1))
            .push(" AND b IN ")
            .tuple([Arg::Int(2), Arg::Int(3)]);
        assert_eq!(
            s.text,
            r#"SELECT "t"."a" FROM "x""y" WHERE a = ? AND b IN (?, ?)"#
        );
        let mut p = Sql::new(Dialect::Postgres);
        p.push("b IN ").tuple([Arg::Int(2), Arg::Int(3)]);
        assert_eq!(p.text, "b IN ($1, $2)");
        assert_eq!(p.args, vec![Arg::Int(2), Arg::Int(3)]);
    }

    #[test]
    fn key_sets_are_one_bound_array() {
        let keys = vec!["a".to_string(), "b".to_string()];
        let mut p = Sql::new(Dialect::Postgres);
        p.push_in_keys(ScalarType::Text, &keys, |s| {
            s.column("t0", "id");
        });
        assert_eq!(p.text, r#""t0"."id" = ANY($1)"#);
        assert_eq!(p.args, vec![Arg::TextArray(keys.clone())]);
        let mut p = Sql::new(Dialect::Postgres);
        p.push_in_keys(ScalarType::Integer, &keys, |s| {
            s.column("t0", "n");
        });
        assert_eq!(p.text, r#"CAST("t0"."n" AS text) = ANY($1)"#);
        let mut s = Sql::new(Dialect::Sqlite);
        s.push_in_keys(ScalarType::Text, &[], |s| {
            s.column("t0", "id");
        });
        assert_eq!(s.text, r#""t0"."id" IN (SELECT value FROM json_each(?))"#);
    }

    #[test]
    fn appended_statements_are_renumbered() {
        let mut inner = Sql::new(Dialect::Postgres);
        inner.push("x = ").arg(Arg::Int(7)).push(" AND y = '$1'");
        let mut outer = Sql::new(Dialect::Postgres);
        outer
            .push("a = ")
            .arg(Arg::Int(1))
            .push(" AND ")
            .append(inner);
        assert_eq!(outer.text, "a = $1 AND x = $2 AND y = '$1'");
        assert_eq!(outer.args, vec![Arg::Int(1), Arg::Int(7)]);
    }
}
