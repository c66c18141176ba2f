//! PS177 `psp-no-unprivileged-policy`: the scan's PodSecurityPolicies lack the guide's
//! unprivileged "default" policy — every policy in it grants some privilege.
//!
//! Inventory form: PodSecurityPolicies are small and few, so the rule keeps them whole and
//! decides in `refine`. With no PodSecurityPolicy in the scan it cannot say anything and reports
//! itself as not evaluated.

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, RuleMeta, Severity, VersionRange,
};

use crate::namespace::name_list;
use crate::psp::{describe, is_psp, privileges, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS177",
    name: "psp-no-unprivileged-policy",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#example",
        "https://github.com/freach/kubernetes-security-best-practice/tree/master/PSP",
    ],
    summary: "No PodSecurityPolicy in the scan is unprivileged",
    what: "Looks at all PodSecurityPolicies of the scan together. The guide's basic setup is a \
           pair: an unprivileged policy (\"default\") that everyone may use, and a privileged \
           one (\"privileged\") for system components. A policy counts as unprivileged when it \
           allows no privileged containers, host namespaces, host ports, capabilities beyond \
           the runtime's default set, hostPath volumes or privilege escalation (running as \
           root is tolerated, as in the guide's own default). When every policy of the scan \
           grants one of these, one finding names them all; with no policy in the scan the rule \
           is not evaluated.",
    why: "With PodSecurityPolicy enabled, a pod is admitted by any policy its creator or its \
          service account may use. If there is no unprivileged policy, every grant hands out \
          privileges: the cluster's everyday workloads run under a policy that allows host \
          access, and the admission plugin protects nothing.",
    example: "# fails: the only policy is privileged\napiVersion: policy/v1beta1\nkind: \
              PodSecurityPolicy\nmetadata:\n  name: privileged\nspec:\n  privileged: true\n\
              # passes: add an unprivileged default\napiVersion: policy/v1beta1\nkind: \
              PodSecurityPolicy\nmetadata:\n  name: default\nspec:\n  privileged: false\n  \
              allowPrivilegeEscalation: false\n  volumes: [configMap, emptyDir, projected, \
              secret, downwardAPI, persistentVolumeClaim]\n  runAsUser:\n    rule: \
              MustRunAsNonRoot\n  seLinux:\n    rule: RunAsAny\n  supplementalGroups:\n    \
              rule: RunAsAny\n  fsGroup:\n    rule: RunAsAny",
    fix: "Add an unprivileged policy (the guide's `default.psp.yaml`, with \
          `allowPrivilegeEscalation: false`, no host namespaces or ports, a volume allow-list \
          without hostPath) and grant `use` of it to `system:authenticated`; grant the \
          privileged policy only to nodes and the kube-system service accounts that need it.",
    help: "add an unprivileged PodSecurityPolicy for everyday workloads",
};

pub struct NoUnprivilegedPolicy;

pub static RULE: NoUnprivilegedPolicy = NoUnprivilegedPolicy;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for NoUnprivilegedPolicy {
    fn keep(&self, o: &Object) -> Option<Keep> {
        is_psp(o).then(Keep::whole)
    }

    fn refine(&self, _cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let mut policies: Vec<&Object> = kept.to_vec();
        policies.sort_by_key(|o| o.name().unwrap_or(""));
        if policies.is_empty() || policies.iter().any(|p| privileges(p).is_empty()) {
            return;
        }
        let names: Vec<&str> = policies.iter().map(|p| p.name().unwrap_or("")).collect();
        let first = policies[0];
        let grants = privileges(first);
        let message = format!(
            "none of the {} in the scanned files ({}) is unprivileged: every grant of `use` \
             hands out privileges (e.g. {}: {})",
            if names.len() == 1 {
                "1 PodSecurityPolicy".to_owned()
            } else {
                format!("{} PodSecurityPolicies", names.len())
            },
            name_list(&names),
            describe(first),
            grants
                .iter()
                .map(|(p, _)| p.trim_start_matches("/spec/"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        Emitter::new(first, &META, findings).report("/spec", message);
    }

    fn not_evaluated(&self, _cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        kept.is_empty().then(|| {
            "no PodSecurityPolicy object in the scanned files: whether the cluster has an \
             unprivileged default policy is unknown"
                .to_owned()
        })
    }
}
