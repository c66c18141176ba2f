//! NP301 `namespace-without-default-deny-ingress`: a namespace with workloads has no NetworkPolicy
//! that isolates all its pods for ingress.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::netpol::Direction;

static META: RuleMeta = RuleMeta {
    code: "NP301",
    name: "namespace-without-default-deny-ingress",
    severity: Severity::Medium,
    guide: "Use Network Policies",
    versions: VersionRange::since(KubeVersion::v1(7)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.3.2: Ensure that all Namespaces have NetworkPolicies defined",
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
    ],
    summary: "A namespace with workloads has no default-deny ingress NetworkPolicy",
    what: "Every namespace that has pods or workloads (hostNetwork pods aside: policies do not \
           govern them) needs a NetworkPolicy that selects all its pods (`podSelector: {}`) and \
           has the Ingress policy type, without a rule that allows everything back (`- {}`). \
           Such a policy may still allow some traffic (from the ingress controller, from the \
           same namespace). Objects without `metadata.namespace` count as namespace `default`. \
           One finding per namespace, on its Namespace object when the inventory has it, else on \
           its first workload. Scanning files, only the policies in those files are known: the \
           message says so.",
    why: "Without any NetworkPolicy, every pod accepts connections from every other pod of the \
          cluster: one compromised pod can probe and attack databases, internal APIs and admin \
          interfaces in every namespace. A default-deny policy makes allowing traffic a \
          decision; a pod added later is isolated from the start instead of open until someone \
          remembers to write a policy for it.",
    example: "# fails: namespace shop has workloads and only policies for some of its pods\n\
              # passes: it also has the default-deny policy\n\
              apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  \
              name: default-deny-ingress\n  namespace: shop\nspec:\n  podSelector: {}\n  \
              policyTypes:\n  - Ingress",
    fix: "Add a `default-deny-ingress` policy to the namespace (above), then one policy per \
          workload allowing exactly the callers it needs (by pod and namespace labels). Your \
          network plugin must enforce NetworkPolicies (Calico, Cilium, Antrea, …); otherwise \
          they are ignored.",
    help: "add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` to the \
           namespace, then allow the traffic each workload needs",
};

pub struct DefaultDenyIngress;

pub static RULE: DefaultDenyIngress = DefaultDenyIngress;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

impl InventoryRule for DefaultDenyIngress {
    fn keep(&self, object: &Object) -> Option<Keep> {
        crate::netpol::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("netpol")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        crate::netpol::refine_default_deny(Direction::Ingress, &META, cx, kept, findings);
    }

    fn not_evaluated(&self, cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        crate::netpol::namespaces_out_of_scope(cx, kept, "a default-deny ingress policy exists")
    }
}
