//! A synthetic `links.toml` for the codegen benchmark and the peak-memory
//! example (`benches/codegen.rs`, `examples/codegen_peak.rs`).
//!
//! Deterministic: the same [`Size`] always gives the same text. Every model
//! has 8 to 12 typed fields, one of them the soft-delete column; links are
//! mostly stored (with and without extra columns of every type, with and
//! without defaults, all four `is_list` combinations) and some read-only.

use std::fmt::Write as _;

/// How large a file to build.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub modules: usize,
    pub models_per_module: usize,
    pub links: usize,
}

impl Size {
    /// The size the issue asks to time: 500 models in 100 modules, 1,000 links.
    pub const ISSUE: Size = Size {
        modules: 100,
        models_per_module: 5,
        links: 1_000,
    };

    pub fn models(self) -> usize {
        self.modules * self.models_per_module
    }
}

/// What the synthetic file holds, to check the generated outputs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub modules: usize,
    pub models: usize,
    pub stored_links: usize,
    pub read_only_links: usize,
    /// Files `plan_for` emits into an empty root: one migration per SQL
    /// dialect (2), the lock, the Rust module, one doc page per module with a
    /// link and the docs index.
    pub files: usize,
}

const MODULE_WORDS: [&str; 10] = [
    "catalog",
    "sales",
    "fulfillment",
    "pricing",
    "inventory",
    "crm",
    "billing",
    "marketing",
    "support",
    "logistics",
];

const MODEL_WORDS: [&str; 20] = [
    "product",
    "order",
    "cart",
    "customer",
    "address",
    "invoice",
    "payment",
    "shipment",
    "warehouse",
    "supplier",
    "category",
    "review",
    "coupon",
    "region",
    "currency",
    "store",
    "employee",
    "ticket",
    "refund",
    "bundle",
];

/// Optional model fields (name, type); each model takes 3 to 7 of them.
const FIELD_POOL: [(&str, &str); 12] = [
    ("title", "text"),
    ("code", "text"),
    ("rank", "integer?"),
    ("quantity", "bigint"),
    ("price", "decimal?"),
    ("ratio", "float?"),
    ("score", "double"),
    ("is_active", "boolean"),
    ("metadata", "json?"),
    ("valid_on", "date?"),
    ("external_uuid", "uuid?"),
    ("notes", "text?"),
];

/// Extra columns of stored links: every scalar type, nullable or not, with
/// and without a default, in both TOML spellings.
const EXTRA_POOL: [&str; 12] = [
    "rank = { type = \"integer\", default = 0 }",
    "note = \"text?\"",
    "weight = { type = \"double\", default = 1.5 }",
    "is_primary = { type = \"boolean\", default = false }",
    "attributes = { type = \"json\", default = { tier = \"gold\", tags = [\"a\", \"b\"], n = 1 } }",
    "linked_at = { type = \"timestamp\", default = \"now\" }",
    "valid_from = { type = \"date\", nullable = true, default = \"2024-01-31\" }",
    "external_ref = { type = \"uuid\", default = \"0190C5A4-7F3B-7C10-9A2E-5D6F7A8B9C0D\" }",
    "quantity = { type = \"bigint\", default = 9000000000 }",
    "unit_price = { type = \"decimal\", default = 9.99 }",
    "label = { type = \"text\", default = \"main\" }",
    "ratio = { type = \"float\", nullable = true }",
];

fn module_name(j: usize) -> String {
    format!("{}_{j}", MODULE_WORDS[j % MODULE_WORDS.len()])
}

/// Globally unique (generated type names are per model name).
fn model_name(i: usize) -> String {
    format!("m{i}_{}", MODEL_WORDS[i % MODEL_WORDS.len()])
}

/// Models with a second linkable key (`<model>_ref` on `ref_id`).
fn has_ref_key(i: usize) -> bool {
    i.is_multiple_of(4)
}

/// Builds the file. Returns its text and what it holds.
pub fn links_toml(size: Size) -> (String, Counts) {
    let models = size.models();
    assert!(models >= 4, "need at least 4 models");
    let mut out = String::with_capacity(size.links * 400 + models * 400);
    out.push_str(
        "# Synthetic links.toml for the codegen benchmark.\n\n\
         [codegen]\n\
         rust = \"src/links.rs\"\n\
         module = \"bench_app::links\"\n\
         migrations = \"migrations/links\"\n\
         docs = \"docs/links\"\n\
         lock = \"links.lock\"\n",
    );

    for j in 0..size.modules {
        let module = module_name(j);
        for k in 0..size.models_per_module {
            let i = j * size.models_per_module + k;
            let model = model_name(i);
            let _ = writeln!(out, "\n[modules.{module}.models.{model}]");
            if i.is_multiple_of(2) {
                let _ = writeln!(out, "table = \"{module}_{model}\"");
            }
            if has_ref_key(i) {
                let _ = writeln!(
                    out,
                    "linkable_keys = [\"{model}_id\", {{ name = \"{model}_ref\", column = \"ref_id\" }}]"
                );
            }
            out.push_str("soft_delete = \"deleted_at\"\n");
            // 5 fixed fields + 3..=7 from the pool = 8..=12 fields.
            out.push_str("fields = { id = \"text\", ref_id = \"text?\"");
            let extra = 3 + i % 5;
            for f in 0..extra {
                let (name, ty) = FIELD_POOL[(i + f) % FIELD_POOL.len()];
                if i.is_multiple_of(3) && ty.ends_with('?') {
                    // The table spelling of a nullable field.
                    let base = ty.trim_end_matches('?');
                    let _ = write!(out, ", {name} = {{ type = \"{base}\", nullable = true }}");
                } else {
                    let _ = write!(out, ", {name} = \"{ty}\"");
                }
            }
            out.push_str(
                ", created_at = \"timestamp\", updated_at = \"timestamp\", deleted_at = \"timestamp?\" }\n",
            );
        }
    }

    out.push('\n');
    let (mut stored, mut read_only) = (0, 0);
    for n in 0..size.links {
        // Each link joins a distinct pair of models: the partner is a fixed
        // offset away, a different offset for each round over the models.
        let a = n % models;
        let round = n / models;
        let offset = [
            models / 5 + 1,
            models / 2 + 13,
            models / 3 + 7,
            models / 7 + 3,
        ][round % 4];
        let b = (a + offset) % models;
        let side = |i: usize| (module_name(i / size.models_per_module), model_name(i));
        let ((mod_a, model_a), (mod_b, model_b)) = (side(a), side(b));
        out.push_str("[[links]]\n");
        if n % 7 == 3 {
            // Read-only: `a.ref_id` holds b's key.
            read_only += 1;
            let left_list = n.is_multiple_of(2);
            let right_list = n.is_multiple_of(3);
            let _ = write!(out, "left = {{ model = \"{mod_a}.{model_a}\"");
            if left_list {
                out.push_str(", is_list = true");
                if n.is_multiple_of(4) {
                    let _ = write!(out, ", relation = \"{model_a}_referrers\"");
                }
            }
            out.push_str(" }\n");
            let _ = write!(out, "right = {{ model = \"{mod_b}.{model_b}\"");
            if right_list {
                out.push_str(", is_list = true");
            }
            if n.is_multiple_of(5) {
                out.push_str(", key = \"id\"");
            }
            if n.is_multiple_of(10) {
                let _ = write!(out, ", relation = \"referenced_{model_b}\"");
            }
            out.push_str(" }\nread_only = true\nfield = \"ref_id\"\n\n");
            continue;
        }
        stored += 1;
        let (left_list, right_list) =
            [(true, true), (true, false), (false, true), (false, false)][n % 4];
        for (which, model_i, module, model, is_list) in [
            ("left", a, &mod_a, &model_a, left_list),
            ("right", b, &mod_b, &model_b, right_list),
        ] {
            let _ = write!(out, "{which} = {{ model = \"{module}.{model}\"");
            match n % 3 {
                0 if has_ref_key(model_i) => {
                    let _ = write!(out, ", key = \"{model}_ref\"");
                }
                1 => {
                    let _ = write!(out, ", key = \"{model}_id\"");
                }
                _ => {}
            }
            if n % 10 == 5 {
                let _ = write!(out, ", alias = \"{model}_{which}\"");
            }
            if n % 10 == 7 && which == "right" {
                let _ = write!(out, ", relation = \"linked_{model}\"");
            }
            if is_list {
                out.push_str(", is_list = true");
            }
            if n.is_multiple_of(11) && which == "left" {
                out.push_str(", delete_cascade = true");
            }
            out.push_str(" }\n");
        }
        if n.is_multiple_of(5) {
            let _ = writeln!(out, "table = \"lnk_{n}_{model_a}_{model_b}\"");
        }
        if n.is_multiple_of(6) {
            let _ = writeln!(out, "id_prefix = \"l{n}\"");
        }
        if n.is_multiple_of(3) {
            // 1 to 4 extra columns.
            out.push_str("extra_columns = { ");
            let count = 1 + n % 4;
            for c in 0..count {
                if c > 0 {
                    out.push_str(", ");
                }
                out.push_str(EXTRA_POOL[(n / 3 + c * 5) % EXTRA_POOL.len()]);
            }
            out.push_str(" }\n");
        }
        out.push('\n');
    }

    let counts = Counts {
        modules: size.modules,
        models,
        stored_links: stored,
        read_only_links: read_only,
        files: 2 + 1 + 1 + size.modules + 1,
    };
    (out, counts)
}
