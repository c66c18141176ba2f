//! PS160 `namespace-pod-security-not-enforced`: a namespace sets no
//! `pod-security.kubernetes.io/enforce` label, so nothing in it stops a privileged pod (unless the
//! cluster's admission configuration sets a stricter default, which manifests do not show).
//!
//! The verdict needs only the Namespace object. The fix (enforce a level) needs the namespace's
//! workloads: the inventory stage picks the strictest level they all pass, as `harden` does, and
//! offers no fix when only `privileged` admits them. It keeps what PS164 keeps, shared with it
//! (one copy per object).

use palisade_core::{
    Context, Emitter, InventoryRule, Object, ObjectRule, RuleMeta, Severity, VersionRange,
};

use crate::namespace::{describe, is_namespace, label, label_pointer, ENFORCE, PSA_SINCE};
use crate::pss::Level;

static META: RuleMeta = RuleMeta {
    code: "PS160",
    name: "namespace-pod-security-not-enforced",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy",
    versions: VersionRange::since(PSA_SINCE),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
        "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
        "CIS Kubernetes Benchmark (v1.8) 5.2.1: Ensure that the cluster has at least one active policy control mechanism in place",
    ],
    summary: "A namespace does not enforce a Pod Security Standards level",
    what: "Every `Namespace` is checked for the `pod-security.kubernetes.io/enforce` label. A \
           namespace without it is admitted at the cluster's default level, which is \
           `privileged` (no restriction) unless the API server's `PodSecurity` admission \
           configuration sets another. `warn` and `audit` labels do not count: they report \
           violations and reject nothing. Only Namespace objects of the scan are seen: namespaces \
           that workloads use but that the scan does not define are listed by PS164 as not \
           evaluated.",
    why: "The guide's critical PodSecurityPolicy item: without an admission control that \
          enforces pod security, policies exist on paper and a pod with `privileged: true`, \
          `hostPID` or a `hostPath` of `/` is scheduled anyway — root on the node for anyone who \
          may create pods in the namespace. Since Kubernetes 1.25 the built-in mechanism is Pod \
          Security Admission, switched on per namespace by this label.",
    example: "# fails\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n\
              # passes\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    \
              pod-security.kubernetes.io/enforce: restricted\n    \
              pod-security.kubernetes.io/enforce-version: v1.37",
    fix: "Label every namespace with `pod-security.kubernetes.io/enforce: baseline` at least, \
          `restricted` where the workloads allow it (`palisade scan --pod-security restricted` \
          shows what would be rejected), and pin `enforce-version`. Try the level first with \
          `kubectl label --dry-run=server --overwrite ns NAME \
          pod-security.kubernetes.io/enforce=restricted`, which lists the pods that would \
          violate it. Alternatively set a cluster-wide default in the `PodSecurity` admission \
          configuration.",
    help: "label the namespace `pod-security.kubernetes.io/enforce: baseline` (or `restricted`)",
};

pub struct EnforceMissing;

pub static RULE: EnforceMissing = EnforceMissing;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for EnforceMissing {
    fn judges(&self) -> palisade_core::Judges {
        crate::namespace::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_namespace(object) || label(object, ENFORCE).is_some() {
            return;
        }
        let reporting_only = ["warn", "audit"]
            .into_iter()
            .filter(|m| label(object, &format!("{}{m}", crate::namespace::LABEL_PREFIX)).is_some())
            .collect::<Vec<_>>();
        let mut message = format!(
            "{} has no {ENFORCE} label: its pods are admitted at the cluster's default level \
             (privileged, unless the API server's PodSecurity admission configuration sets \
             another)",
            describe(object)
        );
        if !reporting_only.is_empty() {
            message.push_str(&format!(
                "; its {} label only reports violations and rejects nothing",
                reporting_only.join("/")
            ));
        }
        // Provisional: the inventory stage replaces it with the strictest level the namespace's
        // workloads pass, or drops it ([`crate::namespace::choose_enforce_fix`]).
        out.report(&label_pointer(ENFORCE), message).fix =
            Some(Box::new(crate::namespace::enforce_fix(Level::Baseline)));
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(&crate::namespace::EnforceFix)
    }
}
