use link_runtime::Select;
#[path = "../../tests/fixtures/seed/out/links.rs"]
#[rustfmt::skip]
mod links;
use links::paths;

// Every mistake the macro sees in the tokens, reported at once.
#[derive(Select)]
struct NoEntity {
    name: String,
}

#[derive(Select)]
#[select(entity = paths::Product, take = 5)]
struct UnknownArgument {
    title: String,
}

#[derive(Select)]
#[select(entity = paths::Product)]
struct Twice {
    title: String,
    #[select(field = "title")]
    name: String,
    #[select(rename = "handle")]
    handle: String,
}

#[derive(Select)]
#[select(entity = paths::Product)]
struct Tuple(String);

fn main() {}
