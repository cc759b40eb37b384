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
struct ChannelName {
    name: String,
}

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelTop {
    // `titel` is not a product field.
    #[select(take = 1, order(titel = "desc"))]
    products: Vec<ProductTitle>,
}

#[derive(Select)]
#[select(entity = paths::Cart)]
struct CartCard {
    // `cart.sales_channel` is a to-one relation: no list arguments.
    #[select(take = 1)]
    sales_channel: Option<ChannelName>,
}

#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct BadDirection {
    #[select(order(title = "down"))]
    products: Vec<ProductTitle>,
}

fn main() {}
