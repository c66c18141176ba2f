//! The rules of this crate in the one registry ([`palisade_core::registry`]): each rule file
//! registers itself; this module reads the registry the way the engine needs it.

use palisade_core::{Rule, RuleMeta};

/// Every registered rule that reads manifests or cluster objects (including the input rules the
/// engine reports itself), by code. Node and probe rules, when linked, are left out.
pub fn objects() -> impl Iterator<Item = &'static Rule> {
    palisade_core::registry::all()
        .iter()
        .copied()
        .filter(|r| r.reads_objects())
}

/// The rule with `code`, case-insensitively, among the object rules.
pub fn by_code(code: &str) -> Option<&'static Rule> {
    objects().find(|r| r.meta.code.eq_ignore_ascii_case(code))
}

/// Declarations of every registered rule (whatever it reads), by code.
pub fn catalogue() -> Vec<&'static RuleMeta> {
    palisade_core::registry::catalogue()
}

/// The declaration of `code` (case-insensitive) or name, whatever the rule reads.
pub fn meta(code: &str) -> Option<&'static RuleMeta> {
    palisade_core::registry::find(code).map(|r| r.meta)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every code declared in this crate's sources is registered, once: a rule file that forgot
    /// `register!` (or is not even in the module tree) fails here, whichever test runs.
    #[test]
    fn every_rule_file_is_registered() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let registered: Vec<&str> = super::objects().map(|r| r.meta.code).collect();
        palisade_core::registry::assert_all_registered(&src, &registered);
        let mut seen = BTreeSet::new();
        let twice: Vec<&str> = palisade_core::registry::all()
            .iter()
            .map(|r| r.meta.code)
            .filter(|c| !seen.insert(*c))
            .collect();
        assert!(twice.is_empty(), "registered twice: {twice:?}");
    }
}
