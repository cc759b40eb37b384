//! The storefront's typed reads: derived selections, checked at compile
//! time against the generated paths and decoded straight into these structs.
//!
//! ```
//! use link_runtime::{Dir, Select};
//! use storefront::links::{ProductId, paths};
//!
//! /// A product card: two columns, one of them nullable.
//! #[derive(Select)]
//! #[select(entity = paths::Product)]
//! struct ProductCard {
//!     id: ProductId,
//!     #[select(field = "title")]
//!     name: String,
//!     weight: Option<f32>,
//! }
//!
//! // The request `query.fetch::<ProductCard>(req)` runs: the struct's fields,
//! // with the filter and order of `req`.
//! let p = paths::Product::root();
//! let req = Select::new()
//!     .filter(p.status().eq("published"))
//!     .order_by(p.title(), Dir::Asc);
//! # let _ = &req;
//! ```
//!
//! A nullable column needs `Option`, and the error points at the member:
//!
//! ```compile_fail
//! use link_runtime::Select;
//! use storefront::links::paths;
//!
//! #[derive(Select)]
//! #[select(entity = paths::Product)]
//! struct ProductCard {
//!     weight: f32, // error: a column of type `Option<f32>` cannot be read into `f32`
//! }
//! ```

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
