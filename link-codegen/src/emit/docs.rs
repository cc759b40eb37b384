//! Markdown docs per module.

use link_model::LinkGraph;

/// `(file name, contents)` per module.
pub fn emit(graph: &LinkGraph) -> Vec<(String, String)> {
    let _ = graph;
    Vec::new()
}
