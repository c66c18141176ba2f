//! Exemptions: findings a user has accepted, with a reason. Exempted findings stay in every report,
//! marked suppressed; they are never dropped.
//!
//! Two sources:
//! - annotations on the object or its pod template: `palisade.dev/ignore: "PS104,PS110 — reason"`
//!   for the whole object, `container.palisade.dev/<container>: "PS151 — reason"` for one
//!   container (the same shape as AppArmor's per-container annotations);
//! - config entries (see [`crate::config::Exemption`]) matching kind/namespace/name/container.

use crate::config::Exemption;
use crate::finding::Finding;
use crate::object::Object;
use crate::yaml::Node;

/// Annotation exempting the whole object.
pub const OBJECT_ANNOTATION: &str = "palisade.dev/ignore";
/// Prefix of the per-container annotation: `container.palisade.dev/<name>`.
pub const CONTAINER_ANNOTATION_PREFIX: &str = "container.palisade.dev/";

/// Reason recorded when an annotation gives none.
pub const NO_REASON: &str = "no reason given";

/// A parsed annotation value: which codes, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub codes: Vec<String>,
    pub reason: Option<String>,
}

/// Parses `"PS104, PS110 — reason"`. Codes are separated by commas or spaces; the reason follows
/// the first `—`, `–`, ` - `, `:` or `#`.
pub fn parse_waiver(value: &str) -> Waiver {
    let seps = ["—", "–", " - ", ":", "#"];
    let cut = seps
        .iter()
        .filter_map(|s| value.find(s).map(|i| (i, s.len())))
        .min();
    let (codes, reason) = match cut {
        Some((i, len)) => (&value[..i], Some(value[i + len..].trim())),
        None => (value, None),
    };
    Waiver {
        codes: codes
            .split([',', ' ', '\t', '\n'])
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        reason: reason.filter(|r| !r.is_empty()).map(str::to_owned),
    }
}

/// Does `pattern` (a code, a code prefix such as `PS1`, a rule name, or `*`) cover the finding?
pub fn code_matches(pattern: &str, code: &str, rule: &str) -> bool {
    pattern == "*"
        || pattern.eq_ignore_ascii_case(rule)
        || (code.len() >= pattern.len() && code[..pattern.len()].eq_ignore_ascii_case(pattern))
}

/// Waivers an object carries: (container or `None` for the whole object, waiver).
pub fn object_waivers(object: &Object) -> Vec<(Option<String>, Waiver)> {
    let mut out = Vec::new();
    let mut read = |annotations: Option<&Node>| {
        for e in annotations.map(Node::entries).unwrap_or(&[]) {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            if &*e.key == OBJECT_ANNOTATION {
                out.push((None, parse_waiver(value)));
            } else if let Some(c) = e.key.strip_prefix(CONTAINER_ANNOTATION_PREFIX) {
                out.push((Some(c.to_owned()), parse_waiver(value)));
            }
        }
    };
    read(object.node.path(&["metadata", "annotations"]));
    if let Some(pod) = object.pod_template() {
        if pod.meta_pointer != "/metadata" {
            read(pod.metadata.and_then(|m| m.get("annotations")));
        }
    }
    out
}

/// Marks the findings of one object that its annotations or the config exempt.
pub fn apply(object: &Object, exemptions: &[Exemption], findings: &mut [Finding]) {
    if findings.is_empty() {
        return;
    }
    let waivers = object_waivers(object);
    for f in findings.iter_mut().filter(|f| f.suppressed.is_none()) {
        let by_annotation = waivers.iter().find(|(container, w)| {
            (container.is_none() || container.as_deref() == f.container.as_deref())
                && w.codes.iter().any(|c| code_matches(c, f.code, f.rule))
        });
        if let Some((_, w)) = by_annotation {
            f.suppressed = Some(w.reason.as_deref().unwrap_or(NO_REASON).into());
            continue;
        }
        if let Some(e) = exemptions.iter().find(|e| e.matches(object, f)) {
            f.suppressed = Some(e.reason.as_str().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_reason() {
        let w = parse_waiver("PS104,PS110 — needs host ports for the CNI");
        assert_eq!(w.codes, ["PS104", "PS110"]);
        assert_eq!(w.reason.as_deref(), Some("needs host ports for the CNI"));
        let w = parse_waiver("PS101 PS102: node agent");
        assert_eq!(w.codes, ["PS101", "PS102"]);
        assert_eq!(w.reason.as_deref(), Some("node agent"));
        let w = parse_waiver("IM402");
        assert_eq!(w.codes, ["IM402"]);
        assert_eq!(w.reason, None);
    }

    #[test]
    fn matches_codes_prefixes_and_names() {
        assert!(code_matches("PS101", "PS101", "privileged-container"));
        assert!(code_matches("ps1", "PS101", "privileged-container"));
        assert!(code_matches(
            "privileged-container",
            "PS101",
            "privileged-container"
        ));
        assert!(code_matches("*", "IM401", "x"));
        assert!(!code_matches("PS102", "PS101", "privileged-container"));
        assert!(!code_matches("PS1010", "PS101", "privileged-container"));
    }
}
