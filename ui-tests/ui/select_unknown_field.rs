use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::{SalesChannelId, paths};

// A typo in a field name: the error points at the member, with rustc's
// did-you-mean from the generated path methods.
#[derive(Select)]
#[select(entity = paths::SalesChannel)]
struct ChannelCard {
    id: SalesChannelId,
    nme: String,
    #[select(field = "descripton")]
    about: Option<String>,
}

fn main() {}
