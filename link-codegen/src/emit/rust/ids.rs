//! `ids`: one typed id alias per linkable model.

use link_model::{Model, Module};

use super::names::*;
use super::writer::*;

pub(super) fn id_alias(w: &mut Writer, module: &Module, model: &Model) {
    w.doc(&format!("Id of a `{}.{}` record.", module.name, model.name));
    w.split(
        &format!("pub type {} =", id_type(&model.name)),
        &format!(
            "super::__rt::Id<super::entities::{}>;",
            type_name(&model.name)
        ),
    );
}
