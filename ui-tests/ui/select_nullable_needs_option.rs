use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::paths;

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    name: String,
    // `description` is nullable: it needs `Option<String>`.
    description: String,
}

fn main() {}
