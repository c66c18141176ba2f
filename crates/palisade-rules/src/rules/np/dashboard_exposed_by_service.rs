//! NP340 `dashboard-exposed-by-service`: a LoadBalancer or NodePort Service (or one with
//! `externalIPs`) sends traffic from outside the cluster to the Kubernetes Dashboard.
//!
//! From the Service alone (`check`): its selector carries the Dashboard's labels. With the scan
//! (`refine`): its selector selects the pods of a Dashboard workload in the same namespace,
//! whatever their labels.

use std::collections::HashSet;

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, ObjectRef, ObjectRule, RuleMeta,
    Severity, VersionRange,
};

use crate::dashboard::{dashboard_projection, has_dashboard_label, pod_labels, selects};

static META: RuleMeta = RuleMeta {
    code: "NP340",
    name: "dashboard-exposed-by-service",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/accessing-dashboard/README.md",
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
        "https://redlock.io/blog/cryptojacking-tesla",
    ],
    summary: "The Kubernetes Dashboard is exposed through a LoadBalancer or NodePort Service",
    what: "Every Service of type `LoadBalancer` or `NodePort`, or with `externalIPs`, is checked \
           for a selector that reaches the Dashboard: one that carries the Dashboard's labels \
           (`k8s-app: kubernetes-dashboard`, `app.kubernetes.io/name: kubernetes-dashboard`), \
           or — when the scan holds the Dashboard workload — one whose labels all match the \
           Dashboard's pods in the Service's namespace. Only the scanned files are known: a \
           Service defined elsewhere is not seen.",
    why: "The guide: the Dashboard is not exposed to the Internet by default, and it should \
          stay that way — Tesla's cluster was found through an exposed Dashboard without \
          sign-in. A LoadBalancer puts the Dashboard on a public or VPC address, a NodePort on \
          every node's address; from there every Dashboard weakness (skip-login, a \
          cluster-admin account, an unpatched vulnerability in an archived project) is one \
          request away.",
    example: "# fails\nkind: Service\napiVersion: v1\nmetadata:\n  name: kubernetes-dashboard\n\
              spec:\n  type: LoadBalancer\n  selector:\n    k8s-app: kubernetes-dashboard\n\
              # passes\nkind: Service\napiVersion: v1\nmetadata:\n  name: kubernetes-dashboard\n\
              spec:\n  selector:\n    k8s-app: kubernetes-dashboard",
    fix: "Make the Service `ClusterIP` (the default) and reach the Dashboard with `kubectl \
          proxy` or `kubectl port-forward`, which authenticate with the user's own \
          credentials. If it must be reachable from a network, put it behind an authenticating \
          proxy on a private address only.",
    help: "make the Service ClusterIP; reach the Dashboard with kubectl proxy or port-forward",
};

pub struct ExposedByService;

pub static RULE: ExposedByService = ExposedByService;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

fn is_service(o: &Object) -> bool {
    o.kind() == "Service" && o.group().is_empty()
}

/// How the Service is reachable from outside the cluster, with the pointer to say it at.
fn exposure(service: &Object) -> Option<(String, &'static str)> {
    let ty = service.node.path(&["spec", "type"]).and_then(Node::as_str);
    match ty {
        Some("LoadBalancer") => Some(("/spec/type".into(), "a LoadBalancer")),
        Some("NodePort") => Some(("/spec/type".into(), "a NodePort on every node")),
        _ => {
            let ips = service.node.path(&["spec", "externalIPs"]).map(Node::items);
            ips.is_some_and(|i| !i.is_empty())
                .then(|| ("/spec/externalIPs".into(), "external IPs"))
        }
    }
}

fn message(service: &Object, how: &str, target: &str) -> String {
    format!(
        "Service {:?} exposes {target} outside the cluster through {how}",
        service.name().unwrap_or("")
    )
}

const BY_LABEL: &str = "the Kubernetes Dashboard (its selector carries the Dashboard's labels)";

impl ObjectRule for ExposedByService {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Services",
            test: |_, o, _| is_service(o),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_service(object) || !has_dashboard_label(object.node.path(&["spec", "selector"])) {
            return;
        }
        if let Some((pointer, how)) = exposure(object) {
            out.report(&pointer, message(object, how, BY_LABEL));
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for ExposedByService {
    fn keep(&self, o: &Object) -> Option<Keep> {
        if is_service(o) {
            return exposure(o).is_some().then(|| {
                Keep::paths(&[
                    &["spec", "type"],
                    &["spec", "selector"],
                    &["spec", "externalIPs"],
                ])
            });
        }
        dashboard_projection(o)
    }

    fn refine(&self, _cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let reported: HashSet<ObjectRef> = findings
            .iter()
            .filter(|f| f.code == META.code)
            .filter_map(|f| f.object.as_deref().cloned())
            .collect();
        let dashboards: Vec<&Object> = kept.iter().copied().filter(|o| !is_service(o)).collect();
        for service in kept.iter().copied().filter(|o| is_service(o)) {
            if reported.contains(&service.reference()) {
                continue;
            }
            let Some((pointer, how)) = exposure(service) else {
                continue;
            };
            let Some(w) = dashboards
                .iter()
                .find(|w| w.namespace() == service.namespace() && selects(service, pod_labels(w)))
            else {
                continue;
            };
            let target = format!(
                "the Kubernetes Dashboard (the pods of {} {:?} in the scanned files)",
                w.kind(),
                w.name().unwrap_or("")
            );
            let mut emitter = Emitter::new(service, &META, findings);
            let f = emitter.report(&pointer, message(service, how, &target));
            f.related = Some(Box::new(w.reference()));
        }
    }
}
