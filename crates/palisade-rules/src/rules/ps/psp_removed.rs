//! PS178 `psp-removed`: a PodSecurityPolicy scanned for Kubernetes 1.25 or later, where the API
//! no longer exists and the object enforces nothing.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, is_psp, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS178",
    name: "psp-removed",
    severity: Severity::Medium,
    guide: "PodSecurityPolicy",
    versions: VersionRange::since(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-policy/",
        "https://kubernetes.io/docs/tasks/configure-pod-container/migrate-from-psp/",
        "https://kubernetes.io/blog/2021/04/06/podsecuritypolicy-deprecation-past-present-and-future/",
    ],
    summary: "A PodSecurityPolicy targets a Kubernetes version without PodSecurityPolicy",
    what: "Reports every PodSecurityPolicy (`policy/v1beta1`, `extensions/v1beta1`) when the \
           target Kubernetes version is 1.25 or later.",
    why: "PodSecurityPolicy was deprecated in 1.21 and removed in 1.25: the API server no longer \
          serves the resource, so the manifest fails to apply, and nothing enforces what it \
          describes. A cluster whose pod security still lives in these objects has none — the \
          situation the guide's critical PodSecurityPolicy item warns about, where violating \
          pods are scheduled anyway.",
    example: "# fails (on 1.25+)\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n\
              metadata:\n  name: default\n\
              # passes: Pod Security Admission labels instead\napiVersion: v1\nkind: \
              Namespace\nmetadata:\n  name: shop\n  labels:\n    \
              pod-security.kubernetes.io/enforce: restricted\n    \
              pod-security.kubernetes.io/enforce-version: v1.37",
    fix: "Delete the policy and its RBAC `use` grants, and enforce Pod Security Admission \
          levels with namespace labels (`baseline` at least, `restricted` where possible; the \
          guide's unprivileged default maps to baseline, the privileged pair to a privileged \
          system namespace). Kubernetes' migration guide maps each field; a policy engine \
          (ValidatingAdmissionPolicy, Kyverno, Gatekeeper) covers what the levels do not.",
    help: "replace the policy with `pod-security.kubernetes.io/enforce` labels on namespaces",
};

pub struct Removed;

pub static RULE: Removed = Removed;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for Removed {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_psp(object) {
            return;
        }
        out.report(
            "/kind",
            format!(
                "{} was removed in Kubernetes 1.25: on {} it cannot be created and enforces \
                 nothing; use Pod Security Admission labels on namespaces",
                describe(object),
                cx.settings.kubernetes_version
            ),
        );
    }
}
