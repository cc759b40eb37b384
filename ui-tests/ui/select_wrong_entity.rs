use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::paths;

#[derive(Select)]
#[select(entity = paths::StockLocation)]
struct LocationName {
    name: String,
}

// `products` lists products, not stock locations.
#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    products: Vec<LocationName>,
}

// Not a generated path type.
#[derive(Select)]
#[select(entity = paths::SalesChanel)]
struct Typo {
    name: String,
}

fn main() {}
