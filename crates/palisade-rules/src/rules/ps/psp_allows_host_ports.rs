//! PS172 `psp-allows-host-ports`: a PodSecurityPolicy lets containers bind ports of the node.

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_field, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS172",
    name: "psp-allows-host-ports",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#host-namespaces",
        "Pod Security Standards: baseline, Host Ports",
    ],
    summary: "A PodSecurityPolicy allows host ports",
    what: "Every PodSecurityPolicy is checked for `spec.hostPorts` ranges; any range (other \
           than one that only admits port 0) is reported, naming the ranges. Who may use the \
           policy is listed by PS179.",
    why: "A hostPort opens a port on the node's own addresses, bypassing Services and most \
          NetworkPolicy implementations, and lets a pod stand in for a node-level service on \
          that port. Graded one step below the pod-level check (PS104).",
    example: "# fails\nspec:\n  hostPorts:\n  - min: 0\n    max: 65535\n\
              # passes\nspec:\n  hostNetwork: false",
    fix: "Remove `hostPorts` from the policy (no host port is then allowed), or list only the \
          ports a specific system component needs in a policy reserved for it.",
    help: "remove `hostPorts` from the policy, or narrow it to the ports a system component needs",
};

pub struct AllowsHostPorts;

pub static RULE: AllowsHostPorts = AllowsHostPorts;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    let ranges = spec_field(o, "hostPorts").map(Node::items).unwrap_or(&[]);
    let bound = |r: &Node, k: &str| r.get(k).and_then(Node::int_intent).unwrap_or(0);
    let open: Vec<String> = ranges
        .iter()
        .filter(|r| bound(r, "max") > 0)
        .map(|r| format!("{}-{}", bound(r, "min"), bound(r, "max")))
        .collect();
    if open.is_empty() {
        return Vec::new();
    }
    vec![(
        "/spec/hostPorts".to_owned(),
        format!(
            "{} allows containers to bind host ports {}",
            describe(o),
            open.join(", ")
        ),
    )]
}

impl ObjectRule for AllowsHostPorts {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
