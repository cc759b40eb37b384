//! The link graph: modules, their linkable models, the links between them and
//! the relations those links graft onto each model.
//!
//! This crate is the single source of truth shared by `link-codegen` (which
//! builds the graph from `links.toml` or `#[define_link]`) and `link-runtime`
//! (which plans queries and writes with it). It has no dependencies.
//!
//! Every string and list is a `Cow<'static, _>` so that generated code can
//! embed the whole graph as a `static` (borrowed) while the parser builds it
//! owned. Use [`s`] / [`list`] to build owned values conveniently.

use std::borrow::Cow;

pub mod naming;
pub mod schema;
pub mod sql;

/// A string that is either `'static` (generated code) or owned (parser).
pub type Str = Cow<'static, str>;
/// A list that is either `'static` (generated code) or owned (parser).
pub type List<T> = Cow<'static, [T]>;

/// Owned [`Str`] from anything string-like.
pub fn s(v: impl Into<String>) -> Str {
    Cow::Owned(v.into())
}

/// Owned [`List`] from a vector.
pub fn list<T: Clone>(v: Vec<T>) -> List<T> {
    Cow::Owned(v)
}

/// The whole graph: modules with their models, links, and the relations the
/// links produce on each model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkGraph {
    pub modules: List<Module>,
    pub links: List<Link>,
    /// Derived from `links` by [`derive_relations`]; codegen emits it
    /// precomputed so the runtime never re-derives names.
    pub relations: List<Relation>,
}

/// A module owns its tables and lives in one data source (database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: Str,
    /// Name of the database the module's tables live in (`default` unless set).
    pub data_source: Str,
    pub models: List<Model>,
}

/// A linkable data model of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Model {
    pub name: Str,
    pub table: Str,
    pub primary_key: Str,
    /// Keys other modules may reference this model by, e.g. `product_id`;
    /// each names the column of this model it stands for.
    pub linkable_keys: List<LinkableKey>,
    pub fields: List<Field>,
    /// Column set to the deletion time on soft delete, if the model has one.
    pub soft_delete: Option<Str>,
}

/// A key name other modules use for a model, and the model column it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkableKey {
    pub name: Str,
    pub column: Str,
}

/// A typed scalar column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: Str,
    pub ty: ScalarType,
    pub nullable: bool,
    /// Left out of `*` (still readable by name), as Medusa's modules hide
    /// `api_key.salt`.
    pub hidden: bool,
}

/// Scalar column types supported in models and extra columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScalarType {
    Text,
    Integer,
    BigInt,
    Float,
    Double,
    Decimal,
    Boolean,
    Json,
    Timestamp,
    Date,
    Uuid,
    /// A database enum (Postgres `CREATE TYPE … AS ENUM`), read, compared and
    /// ordered as its text; plain text on SQLite. Model fields only: link
    /// tables hold no enums.
    Enum,
}

impl ScalarType {
    /// Every type, in the order the docs list them.
    pub const ALL: [ScalarType; 12] = [
        ScalarType::Text,
        ScalarType::Integer,
        ScalarType::BigInt,
        ScalarType::Float,
        ScalarType::Double,
        ScalarType::Decimal,
        ScalarType::Boolean,
        ScalarType::Json,
        ScalarType::Timestamp,
        ScalarType::Date,
        ScalarType::Uuid,
        ScalarType::Enum,
    ];

    /// The name used in `links.toml` and `#[define_link]`.
    pub const fn name(self) -> &'static str {
        match self {
            ScalarType::Text => "text",
            ScalarType::Integer => "integer",
            ScalarType::BigInt => "bigint",
            ScalarType::Float => "float",
            ScalarType::Double => "double",
            ScalarType::Decimal => "decimal",
            ScalarType::Boolean => "boolean",
            ScalarType::Json => "json",
            ScalarType::Timestamp => "timestamp",
            ScalarType::Date => "date",
            ScalarType::Uuid => "uuid",
            ScalarType::Enum => "enum",
        }
    }

    /// Parses a type name as written in `links.toml`.
    pub fn parse(name: &str) -> Option<ScalarType> {
        ScalarType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A link between two models of (usually) different modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Unique name of the link: the table name for stored links,
    /// `<left model>_<relation>` for read-only links. Stored links can be
    /// queried as an entity under this name.
    pub name: Str,
    pub left: LinkSide,
    pub right: LinkSide,
    pub kind: LinkKind,
}

/// One side of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSide {
    pub module: Str,
    pub model: Str,
    /// For stored links: the linkable key, which is also the pivot column.
    /// For read-only links: the column of this model the join uses.
    pub key: Str,
    /// The side's name (Medusa's `alias`): names the link-row relation
    /// (`<alias>[s]_link`) and the side inside link rows.
    pub alias: Str,
    /// Name of the relation through which the *other* model reaches this side
    /// (e.g. `sales_channels` on product). Defaults to the alias, pluralised
    /// when `is_list`.
    pub relation: Str,
    /// The other side may be linked to many records of this side.
    pub is_list: bool,
    /// Deleting the other side's record through `Link::delete` deletes this
    /// side's linked records too.
    pub delete_cascade: bool,
}

/// Stored (pivot table) or read-only (foreign-key column) link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    Stored(StoredLink),
    ReadOnly(ReadOnlyLink),
}

/// A link kept in a pivot table owned by no module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    /// The real (possibly compressed) table name.
    pub table: Str,
    /// Hash suffix of index names: `simple_hash(uncompressed table name)`.
    pub index_hash: Str,
    /// Link row ids are `<id_prefix>_<ULID>`.
    pub id_prefix: Str,
    pub extra_columns: List<ExtraColumn>,
}

/// A link that joins on an existing column; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyLink {
    /// The column of the left model holding the right model's key.
    pub field: Str,
}

/// An extra column of a stored link table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraColumn {
    pub name: Str,
    pub ty: ScalarType,
    pub nullable: bool,
    pub default: Option<DefaultValue>,
    /// Left out of the link rows' `*` (still readable by name).
    pub hidden: bool,
}

/// A typed default value of an extra column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    Bool(bool),
    Int(i64),
    /// Decimal text of a floating-point number.
    Float(Str),
    Text(Str),
    /// Serialised JSON text.
    Json(Str),
    /// The current time (`CURRENT_TIMESTAMP`).
    Now,
}

/// Which side of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub const fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// Reference to an entity: a model (`module.model`) or a stored link's rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntityRef {
    Model { module: Str, model: Str },
    Link { link: Str },
}

/// A relation grafted onto an entity by a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The entity the relation is reached from.
    pub owner: EntityRef,
    /// Name of the relation on the owner (e.g. `sales_channels`).
    pub name: Str,
    pub target: EntityRef,
    pub is_list: bool,
    /// The link that produced the relation.
    pub link: Str,
    pub via: Via,
}

/// How a relation joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Model to model through the pivot table; the owner is the given side.
    Pivot { owner_side: Side },
    /// Model to its link rows (`<alias>_link`); the owner is the given side.
    LinkRows { owner_side: Side },
    /// Link rows to the record of the given side.
    LinkSide { side: Side },
    /// Read-only: `left.field = right.key` seen from the left model.
    ForeignKey,
    /// Read-only, has-many direction: seen from the right model.
    ReverseForeignKey,
}

impl LinkGraph {
    /// Builds a graph and derives its relations.
    pub fn new(modules: Vec<Module>, links: Vec<Link>) -> LinkGraph {
        let relations = derive_relations(&links);
        LinkGraph {
            modules: list(modules),
            links: list(links),
            relations: list(relations),
        }
    }

    pub fn module(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    pub fn model(&self, module: &str, model: &str) -> Option<&Model> {
        self.module(module)?.models.iter().find(|m| m.name == model)
    }

    pub fn link(&self, name: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.name == name)
    }

    /// Every model with its module, in declaration order.
    pub fn models(&self) -> impl Iterator<Item = (&Module, &Model)> {
        self.modules
            .iter()
            .flat_map(|m| m.models.iter().map(move |model| (m, model)))
    }

    /// Relations whose owner is the given entity, in declaration order.
    pub fn relations_of(&self, owner: &EntityRef) -> impl Iterator<Item = &Relation> + '_ {
        let owner = owner.clone();
        self.relations.iter().filter(move |r| r.owner == owner)
    }

    /// Stored links only.
    pub fn stored_links(&self) -> impl Iterator<Item = (&Link, &StoredLink)> {
        self.links.iter().filter_map(|l| match &l.kind {
            LinkKind::Stored(s) => Some((l, s)),
            LinkKind::ReadOnly(_) => None,
        })
    }
}

impl Link {
    pub fn side(&self, side: Side) -> &LinkSide {
        match side {
            Side::Left => &self.left,
            Side::Right => &self.right,
        }
    }

    pub fn is_read_only(&self) -> bool {
        matches!(self.kind, LinkKind::ReadOnly(_))
    }
}

impl LinkSide {
    pub fn entity(&self) -> EntityRef {
        EntityRef::Model {
            module: self.module.clone(),
            model: self.model.clone(),
        }
    }
}

impl EntityRef {
    /// The name an entity is queried by: the model name or the link name.
    pub fn name(&self) -> &str {
        match self {
            EntityRef::Model { model, .. } => model,
            EntityRef::Link { link } => link,
        }
    }
}

/// The name of the relation exposing link rows to the owner of `seen` side's
/// opposite: `<alias>_link`, with the alias pluralised when the side is a list
/// (Medusa's built-ins: `sales_channels_link`, `products_link`, `locations_link`).
pub fn link_rows_relation_name(seen: &LinkSide) -> String {
    let base = if seen.is_list {
        naming::pluralize(&seen.alias)
    } else {
        seen.alias.to_string()
    };
    format!("{base}_link")
}

/// Derives every relation the links graft onto models and link entities.
///
/// For a stored link between A and B:
/// - on A: `B.relation` (B's records) and `<B alias>[s]_link` (link rows);
/// - on B: `A.relation` and `<A alias>[s]_link`;
/// - on the link entity: `A.alias` and `B.alias` (single records).
///
/// For a read-only link from A (holding `field`) to B: on A, `B.relation`
/// (single unless B is a list); and when A's side declares `is_list`, the
/// has-many direction on B named `A.relation`.
pub fn derive_relations(links: &[Link]) -> Vec<Relation> {
    let mut out = Vec::new();
    for link in links {
        match &link.kind {
            LinkKind::Stored(_) => {
                for owner_side in [Side::Left, Side::Right] {
                    let owner = link.side(owner_side);
                    let other = link.side(owner_side.other());
                    out.push(Relation {
                        owner: owner.entity(),
                        name: other.relation.clone(),
                        target: other.entity(),
                        is_list: other.is_list,
                        link: link.name.clone(),
                        via: Via::Pivot { owner_side },
                    });
                    out.push(Relation {
                        owner: owner.entity(),
                        name: s(link_rows_relation_name(other)),
                        target: EntityRef::Link {
                            link: link.name.clone(),
                        },
                        is_list: other.is_list,
                        link: link.name.clone(),
                        via: Via::LinkRows { owner_side },
                    });
                }
                for side in [Side::Left, Side::Right] {
                    let target = link.side(side);
                    out.push(Relation {
                        owner: EntityRef::Link {
                            link: link.name.clone(),
                        },
                        name: target.alias.clone(),
                        target: target.entity(),
                        is_list: false,
                        link: link.name.clone(),
                        via: Via::LinkSide { side },
                    });
                }
            }
            LinkKind::ReadOnly(_) => {
                out.push(Relation {
                    owner: link.left.entity(),
                    name: link.right.relation.clone(),
                    target: link.right.entity(),
                    is_list: link.right.is_list,
                    link: link.name.clone(),
                    via: Via::ForeignKey,
                });
                if link.left.is_list {
                    out.push(Relation {
                        owner: link.right.entity(),
                        name: link.left.relation.clone(),
                        target: link.left.entity(),
                        is_list: true,
                        link: link.name.clone(),
                        via: Via::ReverseForeignKey,
                    });
                }
            }
        }
    }
    out
}
