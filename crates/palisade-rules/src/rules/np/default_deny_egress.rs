//! NP302 `namespace-without-default-deny-egress`: a namespace with workloads has no NetworkPolicy
//! that isolates all its pods for egress.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::netpol::Direction;

static META: RuleMeta = RuleMeta {
    code: "NP302",
    name: "namespace-without-default-deny-egress",
    severity: Severity::Medium,
    guide: "Use Network Policies",
    versions: VersionRange::since(KubeVersion::v1(8)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic",
    ],
    summary: "A namespace with workloads has no default-deny egress NetworkPolicy",
    what: "Every namespace that has pods or workloads (hostNetwork pods aside) needs a \
           NetworkPolicy that selects all its pods (`podSelector: {}`) and has the Egress policy \
           type, without a rule that allows everything (`- {}`); rules allowing DNS or named \
           destinations are fine. The Egress type counts when `policyTypes` lists it, or, with \
           no `policyTypes`, when the policy has egress rules. One finding per namespace; \
           scanning files, only the policies in those files are known.",
    why: "Pods that may connect anywhere can exfiltrate data, reach the cloud metadata \
          endpoint (169.254.169.254, which hands out the node's cloud credentials), talk to the \
          Kubernetes API and attack other services. Restricting egress contains a compromised \
          pod.",
    example: "# fails: namespace shop has workloads and no policy with policyType Egress\n\
              # passes: a default-deny egress policy that allows DNS only\n\
              apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  \
              name: default-deny-egress\n  namespace: shop\nspec:\n  podSelector: {}\n  \
              policyTypes:\n  - Egress\n  egress:\n  - to:\n    - namespaceSelector: {}\n      \
              podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    \
              - port: 53\n      protocol: UDP\n    - port: 53\n      protocol: TCP",
    fix: "Add a policy with `podSelector: {}` and `policyTypes: [Egress]` that allows DNS (as \
          above), then allow each workload the destinations it needs.",
    help: "add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` (allowing DNS) \
           to the namespace",
};

pub struct DefaultDenyEgress;

pub static RULE: DefaultDenyEgress = DefaultDenyEgress;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for DefaultDenyEgress {
    fn keep(&self, object: &Object) -> Option<Keep> {
        crate::netpol::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("netpol")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        crate::netpol::refine_default_deny(Direction::Egress, &META, cx, kept, findings);
    }

    fn not_evaluated(&self, cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        crate::netpol::namespaces_out_of_scope(cx, kept, "a default-deny egress policy exists")
    }
}
