//! The one table of built-in rules.

use palisade_core::Rule;

use crate::{pss, workload};

/// Every built-in rule, Pod Security Standards checks first, then by code. Run each over a scan
/// with [`palisade_core::check_objects`], which uses a rule's inventory form when it has one.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = Vec::new();
    rules.extend(pss::CHECKS.iter().map(|c| *c as &'static dyn Rule));
    rules.extend(workload::RULES.iter().copied());
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// The rule with `code`, case-insensitively.
pub fn by_code(code: &str) -> Option<&'static dyn Rule> {
    all()
        .into_iter()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}
