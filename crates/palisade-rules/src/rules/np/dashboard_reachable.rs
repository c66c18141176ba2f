//! NP306 `dashboard-reachable-from-pods`: no NetworkPolicy keeps other pods away from the
//! Kubernetes Dashboard (the guide's `deny-dashboard` policy).

use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, ObjectRule,
    RuleMeta, Severity, VersionRange,
};

use crate::netpol::{describe, scope, workloads, Direction, NetModel, Peer, Prepared};

static META: RuleMeta = RuleMeta {
    code: "NP306",
    name: "dashboard-reachable-from-pods",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::since(KubeVersion::v1(7)),
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/access-control/README.md",
        "https://kubernetes.io/docs/concepts/services-networking/network-policies/",
    ],
    summary: "Other pods can reach the Kubernetes Dashboard",
    what: "The Kubernetes Dashboard is recognised by the pod label `k8s-app: \
           kubernetes-dashboard` or its image (`kubernetesui/dashboard…`, \
           `kubernetes-dashboard…`; not the metrics scraper). Its pods must be isolated for \
           ingress by a NetworkPolicy (the guide's `deny-dashboard`: select the Dashboard, \
           policyType Ingress, no rules). Reported: a Dashboard no policy isolates, and each \
           ingress rule of an isolating policy that admits pods (no `from`, or pod/namespace \
           selectors). Scanning files, only the policies in those files are known.",
    why: "The Dashboard acts with its own service account; with `--enable-skip-login`, or when \
          that account has broad rights, whoever reaches the Dashboard controls what it can. \
          The guide's Dashboard item (critical) recalls Tesla's cluster, taken over through an \
          open Dashboard. Blocking other pods removes the path from any compromised pod; users \
          still reach it through `kubectl proxy`, which the policy does not affect.",
    example: "# fails: the Dashboard's namespace has no policy selecting it\n\
              # passes: the guide's deny-dashboard policy\n\
              apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  \
              name: deny-dashboard\n  namespace: kubernetes-dashboard\nspec:\n  podSelector:\n    \
              matchLabels:\n      k8s-app: kubernetes-dashboard\n  policyTypes:\n  - Ingress",
    fix: "Apply the `deny-dashboard` policy above in the Dashboard's namespace, and reach the \
          Dashboard with `kubectl proxy` or `kubectl port-forward`. The Dashboard project is \
          archived upstream; Headlamp is a maintained alternative.",
    help: "add the guide's `deny-dashboard` NetworkPolicy selecting the Dashboard with \
           policyType Ingress and no rules",
};

pub struct DashboardReachable;

pub static RULE: DashboardReachable = DashboardReachable;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for DashboardReachable {
    fn judges(&self) -> palisade_core::Judges {
        crate::dashboard::JUDGES
    }

    /// Provisional: from the workload alone no policy is known to isolate the Dashboard.
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let Some(w) = workloads(&[object]).into_iter().find(|w| w.dashboard) else {
            return;
        };
        out.report(
            &w.labels_pointer,
            format!(
                "the Kubernetes Dashboard ({}) is reachable from every pod: no NetworkPolicy is \
                 known to isolate it (the guide's deny-dashboard policy)",
                describe(object)
            ),
        );
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for DashboardReachable {
    fn keep(&self, object: &Object) -> Option<Keep> {
        crate::netpol::keep(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("netpol")
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let model = kept.model::<NetModel>(cx);
        let prepared = model.borrow_dependent();
        let Prepared {
            network, workloads, ..
        } = prepared;
        let mut added = Vec::new();
        findings.retain_mut(|f| {
            if f.code != META.code {
                return true;
            }
            let Some(w) = workloads.iter().find(|w| {
                w.dashboard
                    && f.object.as_ref().is_some_and(|r| r.is(w.object))
                    && f.location.path() == crate::netpol::origin_path(w.object)
            }) else {
                return true;
            };
            let isolating = network.isolating(&w.pod, Direction::Ingress);
            if isolating.is_empty() {
                f.message = format!(
                    "no NetworkPolicy {} isolates the Kubernetes Dashboard ({}) for ingress: \
                     every pod of the cluster can reach it (the guide's deny-dashboard policy)",
                    scope(w.object),
                    describe(w.object)
                )
                .into();
                return true;
            }
            for &i in &isolating {
                let policy = &network.policies[i];
                for (r, rule) in policy.rules(Direction::Ingress).iter().enumerate() {
                    let (pointer, who) = match &rule.peers {
                        None => (
                            rule.pointer.clone(),
                            "every pod (the rule has no `from`)".to_owned(),
                        ),
                        Some(peers) => {
                            match peers.iter().find(|p| matches!(p, Peer::Pods { .. })) {
                                Some(p) => (p.pointer().to_owned(), p.to_string()),
                                None => continue,
                            }
                        }
                    };
                    added.push((
                        policy.object,
                        pointer,
                        format!(
                            "ingress rule {r} of NetworkPolicy {} lets {who} reach the \
                             Kubernetes Dashboard ({})",
                            policy.display_name(),
                            describe(w.object)
                        ),
                    ));
                }
            }
            false
        });
        added.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2 && std::ptr::eq(a.0, b.0));
        for (object, pointer, message) in added {
            Emitter::new(object, &META, findings).report(&pointer, message);
        }
    }
}
