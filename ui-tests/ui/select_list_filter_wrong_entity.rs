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

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelShirts {
    // The filter is of sales channels, the list of products.
    #[select(filter = paths::SalesChannel::root().name().like("%Shirt%"), take = 5)]
    products: Vec<ProductTitle>,
}

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelTitles {
    // A filter of the listed entity is fine.
    #[select(filter = paths::Product::root().title().like("%Shirt%"))]
    products: Vec<ProductTitle>,
}

fn main() {}
