//! Typed Rust for host applications.

use link_model::LinkGraph;

/// The generated Rust module.
pub fn emit(graph: &LinkGraph) -> String {
    let _ = graph;
    String::new()
}
