use link_runtime::Select;
use storefront::links::paths;

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    name: String,
    // `description` is nullable: it needs `Option<String>`.
    description: String,
}

fn main() {}
