//! PS170 `psp-allows-privileged`: a PodSecurityPolicy lets pods run privileged containers.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_true, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS170",
    name: "psp-allows-privileged",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#privileged",
        "Pod Security Standards: baseline, Privileged Containers",
    ],
    summary: "A PodSecurityPolicy allows privileged containers",
    what: "Every PodSecurityPolicy (`policy/v1beta1`, `extensions/v1beta1`) is checked for \
           `spec.privileged: true`. Who may use the policy (RBAC `use` on \
           `podsecuritypolicies`) is listed by PS179.",
    why: "A privileged container has every capability and all devices of the node: it is root \
          on the node. The guide's setup keeps one such policy (\"privileged\") for the \
          control-plane and network components of kube-system and gives everyone else an \
          unprivileged \"default\"; any subject that can `use` the privileged policy — or any \
          pod whose service account can — can take over a node. Graded one step below the \
          pod-level check (PS101): a policy is a permission, not a running pod.",
    example: "# fails\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: \
              privileged\nspec:\n  privileged: true\n\
              # passes\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: \
              default\nspec:\n  privileged: false",
    fix: "Set `privileged: false` on every policy but the one reserved for system components, \
          and grant `use` of that one only to the nodes and kube-system service accounts that \
          need it (the guide's `privileged-psp` RoleBinding in kube-system). On Kubernetes 1.25 \
          and later replace policies with Pod Security Admission labels.",
    help: "set `privileged: false`, or restrict who may `use` this policy to system components",
};

pub struct AllowsPrivileged;

pub static RULE: AllowsPrivileged = AllowsPrivileged;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    if !spec_true(o, "privileged") {
        return Vec::new();
    }
    vec![(
        "/spec/privileged".to_owned(),
        format!(
            "{} allows privileged containers (root on the node)",
            describe(o)
        ),
    )]
}

impl ObjectRule for AllowsPrivileged {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
