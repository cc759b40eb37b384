//! Empty: `[build-dependencies]` in Cargo.toml exist only to give the host
//! build the features of the target build (see the comment there).

fn main() {}
