//! The one table of built-in rules.

use palisade_core::Rule;

use crate::{dashboard, exposure, namespace, netpol, psp, pss, rbac, workload};

/// Every built-in rule, Pod Security Standards checks first, then by code. Run each over a scan
/// with [`palisade_core::check_objects`], which uses a rule's inventory form when it has one.
pub fn all() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = Vec::new();
    rules.extend(pss::CHECKS.iter().map(|c| *c as &'static dyn Rule));
    rules.extend(workload::RULES.iter().copied());
    rules.extend(exposure::RULES.iter().copied());
    rules.extend(rbac::RULES.iter().copied());
    rules.extend(netpol::RULES.iter().copied());
    rules.extend(namespace::RULES.iter().copied());
    rules.extend(psp::RULES.iter().copied());
    rules.extend(dashboard::RULES.iter().copied());
    rules.sort_by_key(|r| r.meta().code);
    rules
}

/// The rule with `code`, case-insensitively.
pub fn by_code(code: &str) -> Option<&'static dyn Rule> {
    all()
        .into_iter()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// Declarations of every rule, including those the engine emits itself (`PA9xx`), by code.
pub fn catalogue() -> Vec<&'static palisade_core::RuleMeta> {
    let mut metas: Vec<_> = all().into_iter().map(|r| r.meta()).collect();
    metas.extend(crate::input::METAS.iter().copied());
    metas.extend(crate::exposure::METAS.iter().copied());
    metas.sort_by_key(|m| m.code);
    metas
}

/// The declaration of `code` (case-insensitive), including engine-emitted rules.
pub fn meta(code: &str) -> Option<&'static palisade_core::RuleMeta> {
    catalogue()
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(code) || m.name == code)
}
