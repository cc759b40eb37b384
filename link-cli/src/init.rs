//! `init`: a commented `links.toml` with `[codegen]` for the crate in the
//! current folder.

use std::path::Path;

use crate::{Output, exit};

/// The `links.toml` that `init` writes.
pub const TEMPLATE: &str = r#"# Module links: modules own their tables and never reference each other's;
# links between their models are declared here (or with #[define_link]).
# Check with `cargo links check`, generate with `cargo links codegen`.

# Where generated files go, relative to this file.
[codegen]
# The typed Rust module: add `mod links;` to src/lib.rs or src/main.rs.
rust = "src/links.rs"
# Its Rust path in this crate (for the generated docs' examples).
module = "crate::links"
# Link-table migrations, one folder per dialect (sqlite/, postgres/).
migrations = "migrations/links"
# One Markdown page per module.
docs = "docs/links"
# The link schema the migrations were generated for: commit it.
lock = "links.lock"

# The database of `cargo links db ...` when neither --database-url nor
# DATABASE_URL (environment or .env) is set.
# [database]
# url = "sqlite:app.db"

# A module and its linkable models (the module's own tables):
# [modules.product.models.product]
# table = "product"
# fields = { id = "text", title = "text" }
#
# [modules.sales_channel.models.sales_channel]
# fields = { id = "text", name = "text" }

# A link between two models, stored in a link table:
# [[links]]
# left = { model = "product.product", is_list = true }
# right = { model = "sales_channel.sales_channel", is_list = true }
"#;

/// Writes [`TEMPLATE`] to `dir/links.toml`; refuses (exit 1) when the file
/// exists or `dir` holds no `Cargo.toml`.
pub fn init(dir: &Path) -> Output {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        return Output::error(
            exit::PROBLEMS,
            String::new(),
            format!(
                "no Cargo.toml in {}: run `cargo links init` in the crate's folder",
                dir.display()
            ),
        );
    }
    let links = dir.join("links.toml");
    if links.exists() {
        return Output::error(
            exit::PROBLEMS,
            String::new(),
            "links.toml already exists; nothing written",
        );
    }
    match std::fs::write(&links, TEMPLATE) {
        Ok(()) => Output::ok(
            "created links.toml: declare your modules and links, then run `cargo links codegen`\n"
                .to_string(),
        ),
        Err(e) => Output::error(
            exit::PROBLEMS,
            String::new(),
            format!("cannot write {}: {e}", links.display()),
        ),
    }
}
