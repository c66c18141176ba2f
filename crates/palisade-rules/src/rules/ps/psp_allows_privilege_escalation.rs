//! PS176 `psp-allows-privilege-escalation`: a PodSecurityPolicy lets processes gain more
//! privileges than their parent (setuid binaries), which it does unless told otherwise.

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_field, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS176",
    name: "psp-allows-privilege-escalation",
    severity: Severity::Low,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#privilege-escalation",
        "Pod Security Standards: restricted, Privilege Escalation",
    ],
    summary: "A PodSecurityPolicy allows privilege escalation",
    what: "Every PodSecurityPolicy is checked for `allowPrivilegeEscalation: false`. The field \
           defaults to true, so a policy that does not set it is reported too. Who may use the \
           policy is listed by PS179.",
    why: "With privilege escalation allowed (`no_new_privs` unset), a setuid binary in the \
          image turns a compromised non-root process into root in the container, the first \
          step towards the node. The restricted Pod Security Standard forbids it. Graded one \
          step below the pod-level check (PS121).",
    example: "# fails\nspec:\n  privileged: false\n\
              # passes\nspec:\n  privileged: false\n  allowPrivilegeEscalation: false",
    fix: "Set `allowPrivilegeEscalation: false` on every policy but the one reserved for system \
          components.",
    help: "set `allowPrivilegeEscalation: false` in the policy",
};

pub struct AllowsPrivilegeEscalation;

pub static RULE: AllowsPrivilegeEscalation = AllowsPrivilegeEscalation;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    let message = match spec_field(o, "allowPrivilegeEscalation").and_then(Node::bool_intent) {
        Some(false) => return Vec::new(),
        Some(true) => "allows privilege escalation (allowPrivilegeEscalation: true)",
        None => {
            "allows privilege escalation: allowPrivilegeEscalation is not set and defaults to true"
        }
    };
    vec![(
        "/spec/allowPrivilegeEscalation".to_owned(),
        format!("{} {message}", describe(o)),
    )]
}

impl ObjectRule for AllowsPrivilegeEscalation {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
