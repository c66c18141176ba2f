//! Loading fixtures as a scan would.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::sync::Arc;

use palisade_cel::vap::{PolicySet, Violation};
use palisade_core::object::{objects_of_document, Object};

pub fn objects(text: &str) -> Vec<Arc<Object>> {
    let path: Arc<str> = Arc::from("fixture.yaml");
    let (docs, errors) = palisade_core::yaml::load_str(text, &Default::default());
    assert!(errors.is_empty(), "{errors:?}");
    docs.into_iter()
        .enumerate()
        .flat_map(|(i, d)| objects_of_document(&path, i, d.root).unwrap_or_default())
        .map(Arc::new)
        .collect()
}

/// Every violation of every object of `objects` that is not a policy or binding, as
/// (object name, API server message).
pub fn judge(policies: &str, objects_text: &str) -> Vec<(String, String)> {
    let mut all = objects(policies);
    let targets = objects(objects_text);
    all.extend(targets.iter().cloned());
    let set = PolicySet::new(&all);
    assert!(set.problems.is_empty(), "{:?}", set.problems);
    targets
        .iter()
        .flat_map(|o| {
            set.evaluate(o)
                .into_iter()
                .map(|v: Violation| (o.name().unwrap_or("").to_owned(), v.api_message()))
        })
        .collect()
}
