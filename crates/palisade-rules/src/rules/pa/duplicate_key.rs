//! PA902: a mapping key written twice.

use std::sync::Arc;

use palisade_core::yaml::DuplicateKey;
use palisade_core::{Finding, Location, RuleMeta, Severity, VersionRange};

pub static META: RuleMeta = RuleMeta {
    code: "PA902",
    name: "duplicate-key",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["YAML 1.2 §3.2.1.1: mapping keys are unique"],
    summary: "A mapping key is written twice; the first value is silently lost",
    what: "Every mapping of every document is checked for a key that appears more than once.",
    why:
        "YAML forbids duplicate keys, but kubectl and the API server keep the last value without a \
          word. A reviewer reading the first value (say `privileged: false`) sees something the \
          cluster will never run, and a security setting can vanish in a merge conflict.",
    example:
        "# fails\nspec:\n  selector: {app: a}\n  replicas: 1\n  selector: {app: b}\n# passes\n\
              spec:\n  selector: {app: b}\n  replicas: 1",
    fix: "Delete one of the two entries; keep the value you mean.",
    help: "remove one of the two entries; Kubernetes uses the last one",
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Input,
});

/// The finding for one duplicate key of a document in `path`.
pub fn finding(path: &Arc<str>, dup: &DuplicateKey) -> Finding {
    Finding {
        code: META.code,
        rule: META.name,
        severity: META.severity,
        pss_check: None,
        location: Location::File {
            path: Arc::clone(path),
            pos: dup.second.start,
            end: dup.second.end,
            pointer: String::new(),
        },
        object: None,
        container: None,
        related: None,
        message: format!(
            "key `{}` is written twice (lines {} and {}); Kubernetes keeps the value on line {}",
            dup.key, dup.first.start.line, dup.second.start.line, dup.second.start.line
        )
        .into(),
        help: META.help,
        suppressed: None,
        baselined: false,
        fix: None,
        flow: None,
    }
}
