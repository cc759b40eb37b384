//! `#[define_link(...)]` front end: attribute tokens -> [`LinkAst`].
//!
//! The arguments say everything a `[[links]]` entry of `links.toml` can:
//!
//! ```text
//! #[define_link(
//!     left(model = "product.product", key = "product_id", alias = "product", is_list),
//!     right = "brand.brand",
//!     table = "product_brand",
//!     id_prefix = "pbrand",
//!     extra_columns(rank(type = "integer", default = 0), note = "text?"),
//! )]
//! #[define_link(left = "cart.cart", right = "region.region", read_only, field = "region_id")]
//! ```
//!
//! Token syntax errors stop the parse (there is no sensible recovery inside
//! one attribute); everything after that (unknown keys, wrong value kinds)
//! is collected like the TOML front end does.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Token};

use crate::ast::*;
use crate::diagnostic::{Diagnostic, Diagnostics, suggest};

/// One `name`, `name = literal` or `name(...)` argument.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub name_span: Span,
    pub kind: NodeKind,
}

#[derive(Debug, Clone)]
pub enum NodeKind {
    Flag,
    Value(Lit),
    List(Vec<Node>),
}

/// A literal argument value.
#[derive(Debug, Clone)]
pub struct Lit {
    pub value: LitValue,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LitValue {
    Str(String),
    Int(i64),
    Float(String),
    Bool(bool),
}

impl LitValue {
    fn kind(&self) -> &'static str {
        match self {
            LitValue::Str(_) => "a string",
            LitValue::Int(_) => "an integer",
            LitValue::Float(_) => "a float",
            LitValue::Bool(_) => "a boolean",
        }
    }
}

fn parse_lit(input: ParseStream) -> syn::Result<Lit> {
    let negative = input.peek(Token![-]);
    if negative {
        input.parse::<Token![-]>()?;
    }
    let lit: syn::Lit = input.parse()?;
    let span = lit.span();
    let value = match (&lit, negative) {
        (syn::Lit::Str(s), false) => LitValue::Str(s.value()),
        (syn::Lit::Bool(b), false) => LitValue::Bool(b.value),
        (syn::Lit::Int(i), _) => {
            let text = if negative {
                format!("-{}", i.base10_digits())
            } else {
                i.base10_digits().to_string()
            };
            match text.parse::<i64>() {
                Ok(v) => LitValue::Int(v),
                Err(_) => return Err(syn::Error::new(span, "integer does not fit in 64 bits")),
            }
        }
        (syn::Lit::Float(f), _) => LitValue::Float(if negative {
            format!("-{}", f.base10_digits())
        } else {
            f.base10_digits().to_string()
        }),
        _ => {
            return Err(syn::Error::new(
                span,
                "expected a string, number or boolean literal",
            ));
        }
    };
    Ok(Lit { value, span })
}

fn parse_nodes(input: ParseStream) -> syn::Result<Vec<Node>> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let name = input.call(Ident::parse_any)?;
        let kind = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            NodeKind::Value(parse_lit(input)?)
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            NodeKind::List(parse_nodes(&content)?)
        } else {
            NodeKind::Flag
        };
        out.push(Node {
            name: name.unraw().to_string(),
            name_span: name.span(),
            kind,
        });
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(out)
}

/// Parses the attribute's tokens into argument nodes.
pub fn parse_args(tokens: TokenStream) -> syn::Result<Vec<Node>> {
    parse_nodes.parse2(tokens)
}

/// The link an attribute declares, plus the macro-only `links = "…"` path.
pub struct AttrLink<S> {
    pub link: LinkAst<S>,
    /// `links = "path/to/links.toml"`, relative to the crate's manifest dir.
    pub links_path: Option<Sp<String, S>>,
}

/// Converts argument nodes to a link, reporting unknown keys and wrong value
/// kinds. `whole` is the span of the whole attribute.
pub fn to_link<S: Clone>(
    nodes: &[Node],
    whole: S,
    span: &impl Fn(Span) -> S,
    diags: &mut Diagnostics<S>,
) -> AttrLink<S> {
    let mut w = Walker { span, diags };
    let top = [
        "left",
        "right",
        "read_only",
        "field",
        "table",
        "id_prefix",
        "extra_columns",
        "links",
    ];
    w.check_keys(nodes, "`define_link`", &top);
    let mut link = LinkAst {
        span: whole,
        left: None,
        right: None,
        read_only: w.flag(nodes, "read_only"),
        field: w.string(nodes, "field", "`field = \"sales_channel_id\"`"),
        table: w.string(nodes, "table", "`table = \"product_brand\"`"),
        id_prefix: w.string(nodes, "id_prefix", "`id_prefix = \"pbrand\"`"),
        extra_columns: Vec::new(),
    };
    let links_path = w.string(nodes, "links", "`links = \"../links.toml\"`");
    for which in ["left", "right"] {
        let Some(n) = find(nodes, which) else {
            continue;
        };
        let side = match &n.kind {
            NodeKind::Value(Lit {
                value: LitValue::Str(model),
                span,
            }) => SideAst {
                span: (w.span)(n.name_span),
                model: Some(Sp::new(model.clone(), (w.span)(*span))),
                key: None,
                alias: None,
                relation: None,
                is_list: None,
                delete_cascade: None,
            },
            NodeKind::List(args) => {
                w.check_keys(
                    args,
                    &format!("`{which}`"),
                    &[
                        "model",
                        "key",
                        "alias",
                        "relation",
                        "is_list",
                        "delete_cascade",
                    ],
                );
                SideAst {
                    span: (w.span)(n.name_span),
                    model: w.string(args, "model", "`model = \"product.product\"`"),
                    key: w.string(args, "key", "`key = \"product_id\"`"),
                    alias: w.string(args, "alias", "`alias = \"product\"`"),
                    relation: w.string(args, "relation", "`relation = \"products\"`"),
                    is_list: w.flag(args, "is_list"),
                    delete_cascade: w.flag(args, "delete_cascade"),
                }
            }
            _ => {
                w.wrong(n, "`module.model` or a list of side options", &format!("`{which} = \"product.product\"` or `{which}(model = \"product.product\", is_list)`"));
                continue;
            }
        };
        if which == "left" {
            link.left = Some(side);
        } else {
            link.right = Some(side);
        }
    }
    if let Some(n) = find(nodes, "extra_columns") {
        match &n.kind {
            NodeKind::List(cols) => {
                for c in cols {
                    let name = Sp::new(c.name.clone(), (w.span)(c.name_span));
                    match &c.kind {
                        NodeKind::Value(Lit {
                            value: LitValue::Str(ty),
                            span,
                        }) => link.extra_columns.push(ExtraColumnAst {
                            name,
                            ty: Some(Sp::new(ty.clone(), (w.span)(*span))),
                            nullable: None,
                            default: None,
                            hidden: None,
                        }),
                        NodeKind::List(opts) => {
                            w.check_keys(
                                opts,
                                &format!("extra column `{}`", c.name),
                                &crate::parse::keys::names(crate::parse::keys::EXTRA_COLUMN),
                            );
                            let ty = w.string(opts, "type", "`type = \"integer\"`");
                            if find(opts, "type").is_none() {
                                w.diags.push(
                                    Diagnostic::new(
                                        (w.span)(c.name_span),
                                        format!("extra column `{}` has no `type`", c.name),
                                        "missing `type`",
                                    )
                                    .help(format!(
                                        "write it like `{}(type = \"integer\", default = 0)`",
                                        c.name
                                    )),
                                );
                            }
                            let default = find(opts, "default").and_then(|d| match &d.kind {
                                NodeKind::Value(l) => Some(Sp::new(
                                    match &l.value {
                                        LitValue::Str(s) => DefaultAst::Str(s.clone()),
                                        LitValue::Int(i) => DefaultAst::Int(*i),
                                        LitValue::Float(f) => DefaultAst::Float(f.clone()),
                                        LitValue::Bool(b) => DefaultAst::Bool(*b),
                                    },
                                    (w.span)(l.span),
                                )),
                                _ => {
                                    w.wrong(d, "a literal", "`default = 0`");
                                    None
                                }
                            });
                            link.extra_columns.push(ExtraColumnAst {
                                name,
                                ty,
                                nullable: w.flag(opts, "nullable"),
                                default,
                                hidden: w.flag(opts, "hidden"),
                            });
                        }
                        _ => w.wrong(
                            c,
                            "a type name or a list of column options",
                            &format!(
                                "`{0} = \"text\"` or `{0}(type = \"integer\", default = 0)`",
                                c.name
                            ),
                        ),
                    }
                }
            }
            _ => w.wrong(
                n,
                "a list of columns",
                "`extra_columns(rank(type = \"integer\", default = 0))`",
            ),
        }
    }
    AttrLink { link, links_path }
}

fn find<'a>(nodes: &'a [Node], name: &str) -> Option<&'a Node> {
    nodes.iter().find(|n| n.name == name)
}

struct Walker<'a, S, F> {
    span: &'a F,
    diags: &'a mut Diagnostics<S>,
}

impl<S: Clone, F: Fn(Span) -> S> Walker<'_, S, F> {
    fn check_keys(&mut self, nodes: &[Node], context: &str, allowed: &[&str]) {
        let mut seen: Vec<&str> = Vec::new();
        for n in nodes {
            if !allowed.contains(&n.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        (self.span)(n.name_span),
                        format!("unknown argument `{}` in {context}", n.name),
                        "unknown argument",
                    )
                    .help_opt(suggest(&n.name, allowed.iter().copied())),
                );
            } else if seen.contains(&n.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        (self.span)(n.name_span),
                        format!("`{}` is given twice in {context}", n.name),
                        "given again here",
                    )
                    .help("keep one of them"),
                );
            }
            seen.push(&n.name);
        }
    }

    fn wrong(&mut self, n: &Node, expected: &str, example: &str) {
        let found = match &n.kind {
            NodeKind::Flag => "a flag".to_string(),
            NodeKind::Value(l) => l.value.kind().to_string(),
            NodeKind::List(_) => "a list".to_string(),
        };
        let span = match &n.kind {
            NodeKind::Value(l) => l.span,
            _ => n.name_span,
        };
        self.diags.push(
            Diagnostic::new(
                (self.span)(span),
                format!("`{}` must be {expected}, found {found}", n.name),
                format!("expected {expected}"),
            )
            .help(format!("write it like {example}")),
        );
    }

    fn string(&mut self, nodes: &[Node], key: &str, example: &str) -> Option<Sp<String, S>> {
        let n = find(nodes, key)?;
        match &n.kind {
            NodeKind::Value(Lit {
                value: LitValue::Str(s),
                span,
            }) => Some(Sp::new(s.clone(), (self.span)(*span))),
            _ => {
                self.wrong(n, "a string", example);
                None
            }
        }
    }

    /// `flag` or `flag = true|false`.
    fn flag(&mut self, nodes: &[Node], key: &str) -> Option<Sp<bool, S>> {
        let n = find(nodes, key)?;
        match &n.kind {
            NodeKind::Flag => Some(Sp::new(true, (self.span)(n.name_span))),
            NodeKind::Value(Lit {
                value: LitValue::Bool(b),
                span,
            }) => Some(Sp::new(*b, (self.span)(*span))),
            _ => {
                self.wrong(n, "a flag", &format!("`{key}` or `{key} = false`"));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    /// `hidden` on an extra column, as a flag, like in links.toml.
    #[test]
    fn an_extra_column_can_be_hidden() {
        let nodes = parse_args(quote!(
            left = "a.a",
            right = "b.b",
            extra_columns(note(type = "text", hidden), rank = "integer"),
        ))
        .unwrap();
        let mut diags = Diagnostics::default();
        let link = to_link(&nodes, (), &|_| (), &mut diags).link;
        assert!(diags.is_empty());
        let hidden: Vec<(&str, Option<bool>)> = link
            .extra_columns
            .iter()
            .map(|c| (c.name.value.as_str(), c.hidden.as_ref().map(|h| h.value)))
            .collect();
        assert_eq!(hidden, [("note", Some(true)), ("rank", None)]);
    }
}
