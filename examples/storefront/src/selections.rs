//! The storefront's typed reads: derived selections, checked at compile
//! time against the generated paths and decoded straight into these structs.

use link_runtime::Select;

use crate::links::{OrderId, ProductId, SalesChannelId, StockLocationId, paths};

/// A sales channel as the storefront lists it: its products and where it
/// ships from.
#[derive(Select, Debug, Clone, PartialEq)]
#[select(entity = paths::SalesChannel)]
pub struct ChannelCard {
    /// The channel's id.
    pub id: SalesChannelId,
    /// Its name.
    pub name: String,
    /// Its description, if any.
    pub description: Option<String>,
    /// Products sold in the channel.
    pub products: Vec<ProductTitle>,
    /// Stock locations the channel ships from.
    pub stock_locations: Vec<LocationName>,
}

/// A product's id and title.
#[derive(Select, Debug, Clone, PartialEq)]
#[select(entity = paths::Product)]
pub struct ProductTitle {
    /// The product's id.
    pub id: ProductId,
    /// Its title.
    pub title: String,
}

/// A stock location's id and name.
#[derive(Select, Debug, Clone, PartialEq)]
#[select(entity = paths::StockLocation)]
pub struct LocationName {
    /// The location's id.
    pub id: StockLocationId,
    /// Its name.
    pub name: String,
}

/// An order with where it is fulfilled from (a link declared with
/// `#[define_link]`, read through its link row and extra column).
#[derive(Select, Debug, Clone, PartialEq)]
#[select(entity = paths::Order)]
pub struct OrderFulfillment {
    /// The order's id.
    pub id: OrderId,
    /// The fulfillment link's row, if the order has one.
    pub fulfillment_location_link: Option<FulfillmentRow>,
}

/// A row of the `order_fulfillment_location` link with its location.
#[derive(Select, Debug, Clone, PartialEq)]
#[select(entity = paths::OrderFulfillmentLocation)]
pub struct FulfillmentRow {
    /// The link's extra column.
    pub priority: i32,
    /// The stock location the order is fulfilled from.
    pub fulfillment_location: Option<LocationName>,
}
