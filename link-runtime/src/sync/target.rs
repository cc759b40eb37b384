//! What the link graph wants: each link table's expected schema and Medusa descriptor.

use super::*;

/// What Medusa records for a link in `link_module_migrations`: the modules
/// and aliases of both sides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Descriptor {
    /// Module of the left side.
    pub from_module: String,
    /// Alias of the left side (its model, unless aliased).
    pub from_model: String,
    /// Module of the right side.
    pub to_module: String,
    /// Alias of the right side (its model, unless aliased).
    pub to_model: String,
}

impl Descriptor {
    /// The JSON Medusa stores, keys in the order Postgres prints them.
    pub fn json(&self) -> String {
        let s = |v: &str| Value::String(v.to_string()).to_string();
        format!(
            "{{\"toModel\": {}, \"toModule\": {}, \"fromModel\": {}, \"fromModule\": {}}}",
            s(&self.to_model),
            s(&self.to_module),
            s(&self.from_model),
            s(&self.from_module)
        )
    }

    /// Parses a stored descriptor.
    pub fn parse(json: &str) -> Option<Descriptor> {
        let v: Value = serde_json::from_str(json).ok()?;
        let f = |k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Descriptor {
            from_module: f("fromModule")?,
            from_model: f("fromModel")?,
            to_module: f("toModule")?,
            to_model: f("toModel")?,
        })
    }

    /// Medusa's rename rule: modules compared case-insensitively, models exactly.
    pub fn same_link(&self, other: &Descriptor) -> bool {
        self.from_module.eq_ignore_ascii_case(&other.from_module)
            && self.to_module.eq_ignore_ascii_case(&other.to_module)
            && self.from_model == other.from_model
            && self.to_model == other.to_model
    }
}

impl fmt::Display for Descriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{} <> {}.{}",
            self.from_module, self.from_model, self.to_module, self.to_model
        )
    }
}

/// A link table the graph wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedTable {
    /// Its columns, indexes and constraints.
    pub state: TableState,
    /// The link it belongs to, as Medusa's `link_module_migrations` records it.
    pub descriptor: Descriptor,
}

/// The link tables a graph wants, and the module tables never to touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The link tables, one per stored link.
    pub tables: Vec<WantedTable>,
    /// Tables of the modules' own models, which sync never touches.
    pub module_tables: Vec<String>,
}

impl Target {
    /// The target of `graph`.
    pub fn of(graph: &LinkGraph) -> Target {
        let tables = graph
            .stored_links()
            .zip(schema::tables_of(graph))
            .map(|((l, _), state)| WantedTable {
                state,
                descriptor: Descriptor {
                    from_module: l.left.module.to_string(),
                    from_model: l.left.alias.to_string(),
                    to_module: l.right.module.to_string(),
                    to_model: l.right.alias.to_string(),
                },
            })
            .collect();
        let module_tables = graph.models().map(|(_, m)| m.table.to_string()).collect();
        Target {
            tables,
            module_tables,
        }
    }
}
