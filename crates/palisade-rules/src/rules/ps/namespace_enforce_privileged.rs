//! PS161 `namespace-enforces-privileged`: a namespace explicitly enforces the `privileged` level,
//! which admits any pod.

use palisade_core::{
    Context, Emitter, InventoryRule, Object, ObjectRule, RuleMeta, Severity, VersionRange,
};

use crate::pss::Level;

use crate::namespace::{describe, is_namespace, label, label_pointer, ENFORCE, PSA_SINCE};

static META: RuleMeta = RuleMeta {
    code: "PS161",
    name: "namespace-enforces-privileged",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::since(PSA_SINCE),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#privileged",
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
    ],
    summary: "A namespace enforces the privileged Pod Security level (no restriction)",
    what: "Every `Namespace` is checked for `pod-security.kubernetes.io/enforce: privileged`.",
    why: "The `privileged` level is the absence of a policy: any pod is admitted, including \
          privileged containers, host namespaces and `hostPath` volumes. The guide's setup keeps \
          such a policy for the few system components that need it (its \"privileged\" policy \
          next to the unprivileged \"default\"); everything else should run under baseline or \
          restricted. Each privileged namespace is therefore a deliberate exception to review: \
          whoever can create pods in it can take over the node.",
    example: "# fails\nmetadata:\n  name: shop\n  labels:\n    \
              pod-security.kubernetes.io/enforce: privileged\n\
              # passes\nmetadata:\n  name: shop\n  labels:\n    \
              pod-security.kubernetes.io/enforce: baseline\n    \
              pod-security.kubernetes.io/enforce-version: v1.37",
    fix: "Enforce `baseline` (or `restricted`) and move the workloads that truly need host \
          access (CNI agents, storage drivers, node exporters) into a namespace of their own \
          that only administrators may create pods in. If this namespace is that exception, \
          exempt the finding with a reason (`palisade.dev/ignore: \"PS161 — CNI agents\"`).",
    help: "enforce `baseline` or `restricted`; keep `privileged` for a dedicated system namespace",
};

pub struct EnforcePrivileged;

pub static RULE: EnforcePrivileged = EnforcePrivileged;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for EnforcePrivileged {
    fn judges(&self) -> palisade_core::Judges {
        crate::namespace::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if is_namespace(object) && label(object, ENFORCE) == Some("privileged") {
            let f = out.report(
                &label_pointer(ENFORCE),
                format!(
                    "{} enforces the privileged Pod Security level: any pod is admitted, \
                     including privileged containers and host namespaces",
                    describe(object)
                ),
            );
            // Provisional: see [`crate::namespace::choose_enforce_fix`].
            f.fix = Some(Box::new(crate::namespace::enforce_fix(Level::Baseline)));
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(&crate::namespace::EnforceFix)
    }
}
