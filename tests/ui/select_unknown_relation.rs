use link_runtime::Select;
use storefront::links::paths;

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
