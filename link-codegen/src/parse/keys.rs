//! The keys of `links.toml`, table by table: the parser accepts exactly
//! these (reporting any other as unknown, with a did-you-mean hint), and
//! [`crate::json_schema`] generates `links.schema.json` from them.

/// What a key's value is.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string.
    String,
    /// A field type name: a [`link_model::ScalarType`] name, optionally
    /// followed by `?` (nullable).
    TypeName,
    /// `true` or `false`.
    Boolean,
    /// Any value (an extra column's default; checked against its type).
    Any,
    /// A table with these keys.
    Table(&'static [Key]),
    /// A table whose keys are names the user chooses, each with this value.
    Map(&'static Kind),
    /// An array of this value.
    Array(&'static Kind),
    /// Either of these values.
    OneOf(&'static [Kind]),
}

/// One key of a table.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key as written.
    pub name: &'static str,
    /// Its value.
    pub kind: Kind,
    /// Whether the table must have it.
    pub required: bool,
    /// One line of documentation (the schema's description).
    pub doc: &'static str,
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> Key {
    Key {
        name,
        kind,
        required: true,
        doc,
    }
}

/// The names of a table's keys, in order.
pub fn names(keys: &[Key]) -> Vec<&'static str> {
    keys.iter().map(|k| k.name).collect()
}

/// The top level.
pub const TOP_LEVEL: &[Key] = &[
    key(
        "codegen",
        Kind::Table(CODEGEN),
        "Where generated files go, relative to links.toml.",
    ),
    key(
        "database",
        Kind::Table(DATABASE),
        "The project's database, for `cargo links db`.",
    ),
    key(
        "modules",
        Kind::Map(&Kind::Table(MODULE)),
        "Modules by name; each owns its tables.",
    ),
    key(
        "links",
        Kind::Array(&Kind::Table(LINK)),
        "Links between two models (`[[links]]`).",
    ),
];

/// `[codegen]`.
pub const CODEGEN: &[Key] = &[
    key("rust", Kind::String, "Path of the generated Rust module."),
    key(
        "module",
        Kind::String,
        "Rust path of the generated module in the host crate, e.g. `crate::links`.",
    ),
    key(
        "migrations",
        Kind::String,
        "Folder of the link-table migrations (`sqlite/`, `postgres/`).",
    ),
    key(
        "docs",
        Kind::String,
        "Folder of the generated Markdown docs.",
    ),
    key("lock", Kind::String, "Path of the lock file (commit it)."),
];

/// `[database]`.
pub const DATABASE: &[Key] = &[key(
    "url",
    Kind::String,
    "`sqlite:<file>` or `postgres://…`, used when neither --database-url nor DATABASE_URL is set.",
)];

/// `[modules.<name>]`.
pub const MODULE: &[Key] = &[
    key(
        "data_source",
        Kind::String,
        "Database the module's tables live in (`default` by default).",
    ),
    key(
        "models",
        Kind::Map(&Kind::Table(MODEL)),
        "Linkable models by name.",
    ),
];

/// `[modules.<module>.models.<name>]`.
pub const MODEL: &[Key] = &[
    key(
        "table",
        Kind::String,
        "The model's table (the model name by default).",
    ),
    key(
        "primary_key",
        Kind::String,
        "Primary-key field (`id` by default).",
    ),
    key(
        "linkable_keys",
        Kind::Array(&Kind::OneOf(&[Kind::String, Kind::Table(LINKABLE_KEY)])),
        "Keys links may use (`<model>_id` on the primary key by default).",
    ),
    key(
        "fields",
        Kind::Map(&Kind::OneOf(&[Kind::TypeName, Kind::Table(FIELD)])),
        "Fields by name: a type name (`text`, `text?` for nullable) or `{ type, nullable }`.",
    ),
    key(
        "soft_delete",
        Kind::String,
        "Nullable timestamp field marking deleted rows.",
    ),
];

/// A field written as a table.
pub const FIELD: &[Key] = &[
    required("type", Kind::TypeName, "The field's type."),
    key("nullable", Kind::Boolean, "Whether it may be NULL."),
    key(
        "hidden",
        Kind::Boolean,
        "Left out of `*` (still readable by name), like Medusa's `api_key.salt`.",
    ),
];

/// A linkable key written as a table.
pub const LINKABLE_KEY: &[Key] = &[
    required(
        "name",
        Kind::String,
        "The key's name, used as a side's `key`.",
    ),
    key(
        "column",
        Kind::String,
        "The field it stands for (the primary key by default).",
    ),
];

/// `[[links]]`.
pub const LINK: &[Key] = &[
    required("left", Kind::Table(SIDE), "The left side."),
    required("right", Kind::Table(SIDE), "The right side."),
    key(
        "read_only",
        Kind::Boolean,
        "A link through a field of the left model, without a table.",
    ),
    key(
        "field",
        Kind::String,
        "Read-only links: the left model's field holding the right key.",
    ),
    key(
        "table",
        Kind::String,
        "Stored links: the link table's name.",
    ),
    key(
        "id_prefix",
        Kind::String,
        "Stored links: prefix of row ids (`[a-z0-9]+`, `link` by default).",
    ),
    key(
        "extra_columns",
        Kind::Map(&Kind::OneOf(&[Kind::TypeName, Kind::Table(EXTRA_COLUMN)])),
        "Stored links: columns besides the keys, by name.",
    ),
];

/// `left` and `right` of a link.
pub const SIDE: &[Key] = &[
    required("model", Kind::String, "`module.model`."),
    key("key", Kind::String, "A linkable key of the model."),
    key(
        "alias",
        Kind::String,
        "The side's name (the model name by default).",
    ),
    key(
        "relation",
        Kind::String,
        "Name of the relation to this side on the other model.",
    ),
    key(
        "is_list",
        Kind::Boolean,
        "Whether the other model has many of this side.",
    ),
    key(
        "delete_cascade",
        Kind::Boolean,
        "Stored links: deleting this side's record deletes its link rows.",
    ),
];

/// An extra column written as a table.
pub const EXTRA_COLUMN: &[Key] = &[
    required("type", Kind::TypeName, "The column's type."),
    key("nullable", Kind::Boolean, "Whether it may be NULL."),
    key("default", Kind::Any, "Default value, of the column's type."),
    key(
        "hidden",
        Kind::Boolean,
        "Left out of the link rows' `*` (still readable by name).",
    ),
];
