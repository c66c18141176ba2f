//! NP303 `workload-not-selected-by-network-policy`: a workload in a namespace that uses
//! NetworkPolicies is selected by none of them.

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, ObjectRule,
    RuleMeta, Severity, VersionRange,
};

use crate::netpol::{describe, scope, workloads, NetModel, Prepared};

static META: RuleMeta = RuleMeta {
    code: "NP303",
    name: "workload-not-selected-by-network-policy",
    severity: Severity::Medium,
    guide: "Use Network Policies",
    versions: VersionRange::since(KubeVersion::v1(7)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation",
    ],
    summary: "No NetworkPolicy selects a workload's pods",
    what: "Every pod and workload (hostNetwork pods aside) is matched against the `podSelector` \
           of the NetworkPolicies of its namespace (matchLabels and matchExpressions, `{}` \
           selecting all). A workload no policy selects is reported, but only in a namespace \
           that has at least one policy: a namespace without any is one finding of NP301/NP302, \
           not one per workload. Scanning files, only the policies in those files are known.",
    why: "A pod no NetworkPolicy selects is not isolated: it accepts connections from every pod \
          of the cluster and may connect anywhere. In a namespace where other workloads are \
          protected, such a pod is usually an oversight: a label that changed, a workload added \
          after the policies were written.",
    example: "# fails: the Deployment's pods are labelled app: api, the only policy selects app: web\n\
              apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  \
              namespace: shop\nspec:\n  podSelector:\n    matchLabels:\n      app: web\n  \
              ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          \
              app: frontend\n\
              # passes: add a policy for app: api, or a default deny with podSelector: {}\n\
              spec:\n  podSelector: {}\n  policyTypes:\n  - Ingress",
    fix: "Add a default-deny policy (`podSelector: {}`) to the namespace, and a policy for the \
          workload that allows what it needs; or fix the labels so the intended policy selects \
          it.",
    help: "write a NetworkPolicy selecting this workload's pod labels, or add a default-deny \
           policy with `podSelector: {}` to its namespace",
};

pub struct UnselectedWorkload;

pub static RULE: UnselectedWorkload = UnselectedWorkload;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for UnselectedWorkload {
    /// Provisional: from one object, no policy is known to select it. The inventory stage drops
    /// the finding when a policy does, or when its namespace has none at all (NP301/NP302).
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let Some(w) = workloads(&[object]).into_iter().find(|w| !w.host_network) else {
            return;
        };
        out.report(
            &w.labels_pointer,
            format!(
                "no NetworkPolicy is known to select the pods of {}: they accept connections \
                 from every pod and may connect anywhere",
                describe(object)
            ),
        );
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for UnselectedWorkload {
    fn keep(&self, object: &Object) -> Option<Keep> {
        crate::netpol::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("netpol")
    }

    /// `check` reads a workload's pod labels, `hostNetwork` and owner references, which the
    /// NetworkPolicy rules keep with the annotations; in a namespace without policies (most of
    /// a large scan's) every provisional finding would be dropped.
    fn checks_kept(&self) -> bool {
        true
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<NetModel>(cx);
        let prepared = model.borrow_dependent();
        let Prepared {
            network,
            workloads,
            workload_index,
            ..
        } = prepared;
        findings.retain_mut(|f| {
            if f.code != META.code {
                return true;
            }
            let Some(w) = f.object.as_ref().and_then(|r| {
                workload_index
                    .get(&(
                        r.kind.as_str(),
                        r.namespace.as_deref(),
                        r.name.as_deref(),
                        f.location.path(),
                    ))
                    .map(|&i| &workloads[i])
            }) else {
                return true;
            };
            let policies = network
                .policies
                .iter()
                .filter(|p| p.namespace == w.pod.namespace)
                .count();
            if policies == 0 || !network.selecting(&w.pod).is_empty() {
                return false;
            }
            f.message = format!(
                "no NetworkPolicy {} selects the pods of {} (labels {}), although namespace {} \
                 has {policies} polic{}: they accept connections from every pod and may connect \
                 anywhere",
                scope(w.object),
                describe(w.object),
                crate::netpol::show_labels(&w.pod.labels),
                crate::netpol::show_namespace(&w.pod.namespace),
                if policies == 1 { "y" } else { "ies" },
            )
            .into();
            true
        });
    }
}
