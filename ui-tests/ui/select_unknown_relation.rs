use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::paths;

#[derive(Select)]
#[select(entity = paths::Product)]
struct ProductTitle {
    title: String,
}

// `prodcts` is not a relation of sales_channel.
#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    prodcts: Vec<ProductTitle>,
}

fn main() {}
