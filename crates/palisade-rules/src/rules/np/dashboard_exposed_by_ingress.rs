//! NP341 `dashboard-exposed-by-ingress`: an Ingress routes HTTP traffic from outside the
//! cluster to the Kubernetes Dashboard's Service.
//!
//! From the Ingress alone (`check`): a backend names a Service with the Dashboard's upstream
//! name. With the scan (`refine`): a backend names a Service of the same namespace that selects
//! a Dashboard workload's pods.

use std::collections::HashSet;

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, ObjectRef, ObjectRule, RuleMeta,
    Severity, VersionRange,
};

use crate::dashboard::{core_ref, dashboard_projection, is_dashboard_name, pod_labels, selects};

static META: RuleMeta = RuleMeta {
    code: "NP341",
    name: "dashboard-exposed-by-ingress",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/accessing-dashboard/README.md",
        "https://kubernetes.io/docs/concepts/services-networking/ingress/",
        "https://redlock.io/blog/cryptojacking-tesla",
    ],
    summary: "The Kubernetes Dashboard is exposed through an Ingress",
    what: "Every Ingress (`networking.k8s.io/v1`, and the older `v1beta1`/`extensions` forms) is \
           checked for a backend — default backend or any path — that names the Dashboard's \
           Service: one named `kubernetes-dashboard` or `kubernetes-dashboard-*` (such as the \
           Helm chart's `kubernetes-dashboard-kong-proxy`; not the metrics scraper), or, when \
           the scan holds them, a Service of the Ingress's namespace whose selector matches the \
           Dashboard's pods. Only the scanned files are known.",
    why: "An Ingress publishes the Dashboard on the ingress controller's address, usually the \
          Internet, the exposure the guide says to avoid (the Tesla compromise). Ingress-level \
          authentication annotations help only if every path and host is covered and the \
          controller enforces them.",
    example: "# fails\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: \
              dashboard\nspec:\n  rules:\n  - host: dash.example.com\n    http:\n      paths:\n      \
              - path: /\n        pathType: Prefix\n        backend:\n          service:\n            \
              name: kubernetes-dashboard\n            port:\n              number: 443\n\
              # passes: no Ingress; use kubectl proxy or port-forward\n\
              apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  \
              defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80",
    fix: "Remove the Ingress and reach the Dashboard with `kubectl proxy` or `kubectl \
          port-forward`. If it must stay, restrict it to an internal ingress class and put an \
          authenticating proxy (OIDC) in front, never with skip-login enabled.",
    help: "remove the Ingress; reach the Dashboard with kubectl proxy or port-forward",
};

pub struct ExposedByIngress;

pub static RULE: ExposedByIngress = ExposedByIngress;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

fn is_ingress(o: &Object) -> bool {
    o.kind() == "Ingress" && matches!(o.group(), "networking.k8s.io" | "extensions")
}

fn is_service(o: &Object) -> bool {
    o.kind() == "Service" && o.group().is_empty()
}

/// The Service name of one Ingress backend (`service.name`, or `serviceName` before
/// `networking.k8s.io/v1`), with the pointer suffix of that field.
fn backend_service(backend: &Node) -> Option<(&'static str, &str)> {
    if let Some(n) = backend.path(&["service", "name"]).and_then(Node::as_str) {
        return Some(("/service/name", n));
    }
    backend
        .get("serviceName")
        .and_then(Node::as_str)
        .map(|n| ("/serviceName", n))
}

/// Every backend Service an Ingress names: (pointer of the name, name).
fn backends(ingress: &Object) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some((suffix, n)) = ingress.node.path(&["spec", key]).and_then(backend_service) {
            out.push((format!("/spec/{key}{suffix}"), n));
        }
    }
    let rules = ingress
        .node
        .path(&["spec", "rules"])
        .map(Node::items)
        .unwrap_or(&[]);
    for (i, rule) in rules.iter().enumerate() {
        let paths = rule
            .path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or(&[]);
        for (j, p) in paths.iter().enumerate() {
            if let Some((suffix, n)) = p.get("backend").and_then(backend_service) {
                out.push((format!("/spec/rules/{i}/http/paths/{j}/backend{suffix}"), n));
            }
        }
    }
    out
}

fn message(ingress: &Object, service: &str, why: &str) -> String {
    format!(
        "Ingress {:?} routes traffic from outside the cluster to Service {service:?}, {why}",
        ingress.name().unwrap_or("")
    )
}

const BY_NAME: &str = "the Kubernetes Dashboard's Service by its name";

impl ObjectRule for ExposedByIngress {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Ingresses",
            test: |_, o, _| is_ingress(o),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_ingress(object) {
            return;
        }
        for (pointer, name) in backends(object) {
            if is_dashboard_name(name) {
                let f = out.report(&pointer, message(object, name, BY_NAME));
                f.related = Some(Box::new(core_ref("Service", object.namespace(), name)));
            }
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for ExposedByIngress {
    fn keep(&self, o: &Object) -> Option<Keep> {
        if is_ingress(o) {
            return Some(Keep::paths(&[
                &["spec", "defaultBackend"],
                &["spec", "backend"],
                &["spec", "rules"],
            ]));
        }
        if is_service(o) {
            return Some(Keep::paths(&[&["spec", "selector"]]));
        }
        dashboard_projection(o)
    }

    fn refine(&self, _cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let reported: HashSet<(ObjectRef, ObjectRef)> = findings
            .iter()
            .filter(|f| f.code == META.code)
            .filter_map(|f| Some((f.object.as_deref()?.clone(), f.related.as_deref()?.clone())))
            .collect();
        let dashboards: Vec<&Object> = kept
            .iter()
            .copied()
            .filter(|o| o.pod_template().is_some())
            .collect();
        let fronting: Vec<(&Object, &Object)> = kept
            .iter()
            .copied()
            .filter(|o| is_service(o))
            .filter_map(|s| {
                dashboards
                    .iter()
                    .find(|w| w.namespace() == s.namespace() && selects(s, pod_labels(w)))
                    .map(|w| (s, *w))
            })
            .collect();
        for ingress in kept.iter().copied().filter(|o| is_ingress(o)) {
            for (pointer, name) in backends(ingress) {
                let related = core_ref("Service", ingress.namespace(), name);
                if reported.contains(&(ingress.reference(), related.clone())) {
                    continue;
                }
                let Some((_, w)) = fronting
                    .iter()
                    .find(|(s, _)| s.name() == Some(name) && s.namespace() == ingress.namespace())
                else {
                    continue;
                };
                let why = format!(
                    "which selects the Kubernetes Dashboard's pods ({} {:?} in the scanned files)",
                    w.kind(),
                    w.name().unwrap_or("")
                );
                let mut emitter = Emitter::new(ingress, &META, findings);
                let f = emitter.report(&pointer, message(ingress, name, &why));
                f.related = Some(Box::new(related));
            }
        }
    }
}
