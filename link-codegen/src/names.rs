//! Names of generated Rust items, shared by the validator (which reports
//! clashes between them) and the emitters (which write them).

use link_model::naming::pascal_case;

/// The Rust type name of a model or link: PascalCase, keeping only
/// characters an identifier may hold. A compressed table name can end with a
/// negative hash (`..._war-3ae856971`): its `-` is dropped.
pub fn type_name(name: &str) -> String {
    let mut out: String = pascal_case(name)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert(0, 'T');
    }
    out
}
