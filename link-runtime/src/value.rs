//! Link values: what the Link service takes, typed or dynamic.

#![warn(missing_docs)]

use serde_json::{Map, Value};

/// One link between two records: the link's name, the key of each side and
/// the extra-column values to write.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkValue {
    /// Name of the stored link (its table), e.g. `product_sales_channel`.
    pub link: String,
    /// Key of the left side's record.
    pub left: String,
    /// Key of the right side's record.
    pub right: String,
    /// Extra-column values. On an existing pair omitted columns keep their
    /// value, nullable or not; a new pair takes the default of an omitted
    /// column, and must supply those that are NOT NULL without a default
    /// ([`crate::Error::MissingColumn`]).
    pub data: Map<String, Value>,
}

impl LinkValue {
    /// A link value of `link` between the records keyed `left` and `right`.
    pub fn new(
        link: impl Into<String>,
        left: impl Into<String>,
        right: impl Into<String>,
        data: Map<String, Value>,
    ) -> Self {
        LinkValue {
            link: link.into(),
            left: left.into(),
            right: right.into(),
            data,
        }
    }
}

/// A typed link value generated per stored link.
pub trait TypedLink {
    /// The link's name.
    const LINK: &'static str;
    /// The generated row of the link's table (`…Record`: typed ids, typed
    /// extra columns), returned by [`crate::Link::create_records`] and
    /// [`crate::Link::list_records`].
    type Record: serde::de::DeserializeOwned;
    /// The dynamic link value.
    fn into_value(self) -> LinkValue;
}
