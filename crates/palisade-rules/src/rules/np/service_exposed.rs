//! NP351 `service-exposed-outside-cluster`: a Service of type NodePort or LoadBalancer, or with
//! `externalIPs`, makes workloads reachable from outside the cluster.
//!
//! Exposure is often the point of a Service (an ingress controller's LoadBalancer), so this is
//! an inventory of what is open, not an accusation: low, one finding per Service, saying which
//! ports on which addresses reach which workloads. `externalIPs` is medium: the cluster routes
//! any traffic to those addresses to the Service, whoever owns them (CVE-2020-8554), and
//! clusters usually forbid setting it (the DenyServiceExternalIPs admission plugin).

use std::collections::HashMap;

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, ObjectRef, ObjectRule, RuleMeta,
    Severity, VersionRange,
};

use crate::netpol::{namespace_key, pod_in, ServiceSelector};

static META: RuleMeta = RuleMeta {
    code: "NP351",
    name: "service-exposed-outside-cluster",
    severity: Severity::Low,
    guide: "Private topology",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Private topology",
        "https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types",
        "https://github.com/kubernetes/kubernetes/issues/97076",
    ],
    summary: "A Service exposes workloads outside the cluster (NodePort, LoadBalancer, externalIPs)",
    what: "Every Service of type `NodePort` or `LoadBalancer` is reported once, naming its ports \
           (and node ports), whether the load balancer is internal (by the cloud providers' \
           annotations) or limited by `loadBalancerSourceRanges`, and the workloads of the \
           input its selector matches. A Service with `externalIPs` is reported at medium.",
    why: "The guide's private topology keeps nodes and pods off public networks and opens only \
          the ports that must be open. A NodePort opens the port on every node's addresses, a \
          LoadBalancer asks the cloud for an address outside the cluster. Each is a door that \
          bypasses the ingress layer's authentication and TLS, and is easy to forget. \
          `externalIPs` lets a Service capture traffic for addresses it does not own \
          (CVE-2020-8554).",
    example: "# fails\nspec:\n  type: LoadBalancer\n  selector: {app: db}\n  ports:\n  - port: \
              5432\n# passes\nspec:\n  type: ClusterIP\n  selector: {app: db}\n  ports:\n  - port: \
              5432",
    fix: "Use `ClusterIP` and expose HTTP through an Ingress or Gateway that authenticates and \
          terminates TLS; where a load balancer is needed, make it internal and set \
          `loadBalancerSourceRanges`. Remove `externalIPs` and enable the \
          DenyServiceExternalIPs admission plugin. `palisade probe --nodeports --services DIR` \
          shows which node ports answer and names the Service behind each.",
    help: "use ClusterIP behind an Ingress/Gateway, or an internal load balancer with \
           loadBalancerSourceRanges",
};

pub struct ServiceExposed;

pub static RULE: ServiceExposed = ServiceExposed;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// Annotations cloud providers read to make a load balancer internal (private addresses only).
const INTERNAL_LB: &[(&str, &[&str])] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        &["true", "0.0.0.0/0"],
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        &["internal"],
    ),
    ("networking.gke.io/load-balancer-type", &["Internal"]),
    (
        "cloud.google.com/load-balancer-type",
        &["Internal", "internal"],
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        &["true"],
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        &["true"],
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        &["private"],
    ),
];

fn is_service(o: &Object) -> bool {
    o.kind() == "Service" && o.group().is_empty()
}

/// `443/TCP→8443 (node port 30443)`, for each port.
fn ports(spec: &Node, node_ports: bool) -> String {
    let items = spec.get("ports").map(Node::items).unwrap_or(&[]);
    if items.is_empty() {
        return "no ports".to_owned();
    }
    items
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Node::as_str).unwrap_or("?");
            let protocol = p.get("protocol").and_then(Node::as_str).unwrap_or("TCP");
            let mut s = format!("{port}/{protocol}");
            if let Some(target) = p.get("targetPort").and_then(Node::as_str) {
                if target != port {
                    s.push_str(&format!("→{target}"));
                }
            }
            if node_ports {
                match p.get("nodePort").and_then(Node::as_str) {
                    Some(n) => s.push_str(&format!(" (node port {n})")),
                    None => s.push_str(" (node port assigned by the cluster)"),
                }
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A node port a Service of the input asks for, to name the Service behind a port that
/// `palisade probe --nodeports` finds answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodePortOwner {
    pub node_port: u16,
    /// `Service shop/web port 443/TCP`.
    pub service: String,
}

/// The node ports fixed in the input's NodePort and LoadBalancer Services (ports the cluster
/// assigns are unknown until it has), for the probe's correlation.
pub fn node_port_owners<'a>(objects: impl IntoIterator<Item = &'a Object>) -> Vec<NodePortOwner> {
    let mut out = Vec::new();
    for object in objects.into_iter().filter(|o| is_service(o)) {
        let Some(spec) = object.node.get("spec") else {
            continue;
        };
        if !matches!(
            spec.get("type").and_then(Node::as_str),
            Some("NodePort" | "LoadBalancer")
        ) {
            continue;
        }
        for p in spec.get("ports").map(Node::items).unwrap_or(&[]) {
            let Some(node_port) = p.get("nodePort").and_then(Node::as_i64) else {
                continue;
            };
            let Ok(node_port) = u16::try_from(node_port) else {
                continue;
            };
            out.push(NodePortOwner {
                node_port,
                service: format!(
                    "Service {}/{} port {}/{}",
                    object.namespace().unwrap_or("default"),
                    object.name().unwrap_or("(unnamed)"),
                    p.get("port").and_then(Node::as_str).unwrap_or("?"),
                    p.get("protocol").and_then(Node::as_str).unwrap_or("TCP")
                ),
            });
        }
    }
    out
}

impl ObjectRule for ServiceExposed {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Services",
            test: |_, o, _| is_service(o),
        }
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_service(object) {
            return;
        }
        let Some(spec) = object.node.get("spec") else {
            return;
        };
        let name = format!(
            "Service {}/{}",
            object.namespace().unwrap_or("default"),
            object.name().unwrap_or("(unnamed)")
        );
        let kind = spec
            .get("type")
            .and_then(Node::as_str)
            .unwrap_or("ClusterIP");
        match kind {
            "NodePort" => {
                out.report(
                    "/spec/type",
                    format!(
                        "{name} is a NodePort: {} open on every node's addresses",
                        ports(spec, true)
                    ),
                );
            }
            "LoadBalancer" => {
                let annotations = object.node.path(&["metadata", "annotations"]);
                let internal = INTERNAL_LB.iter().any(|(key, values)| {
                    annotations
                        .and_then(|a| a.get(key))
                        .and_then(Node::as_str)
                        .is_some_and(|v| values.contains(&v))
                });
                let ranges: Vec<&str> = spec
                    .get("loadBalancerSourceRanges")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(Node::as_str)
                    .collect();
                let reach = match (internal, ranges.is_empty()) {
                    (true, true) => {
                        "an internal load balancer (private network addresses)".to_owned()
                    }
                    (true, false) => format!(
                        "an internal load balancer, limited to {}",
                        ranges.join(", ")
                    ),
                    (false, true) => {
                        "a load balancer with no loadBalancerSourceRanges: open to any address \
                         that reaches it"
                            .to_owned()
                    }
                    (false, false) => format!("a load balancer limited to {}", ranges.join(", ")),
                };
                // From 1.24 a load balancer may do without node ports.
                let node_ports = spec
                    .get("allocateLoadBalancerNodePorts")
                    .and_then(Node::bool_intent)
                    != Some(false);
                let nodes = if node_ports {
                    ", and on every node's addresses"
                } else {
                    ""
                };
                out.report(
                    "/spec/type",
                    format!(
                        "{name} is a LoadBalancer: {} through {reach}{nodes}",
                        ports(spec, node_ports)
                    ),
                );
            }
            _ => {}
        }
        let external: Vec<&str> = spec
            .get("externalIPs")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if !external.is_empty() {
            out.report(
                "/spec/externalIPs",
                format!(
                    "{name} claims externalIPs {}: nodes route traffic for these addresses to \
                     it on {}, whoever owns them (CVE-2020-8554)",
                    external.join(", "),
                    ports(spec, false)
                ),
            )
            .severity = Severity::Medium;
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

impl InventoryRule for ServiceExposed {
    /// Services whole; of workloads, the pod labels (and container names: a projection needs
    /// a pod spec to still be a workload).
    fn keep(&self, object: &Object) -> Option<Keep> {
        if is_service(object) {
            return Some(Keep::whole());
        }
        Keep::pod(object, &[&["labels"]], &[&["containers", "name"]], &[])
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("service-exposure")
    }

    /// Names what each exposed Service reaches: the workloads of the input its selector matches.
    fn refine(&self, _cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        // Indexes, not searches: a scan can hold tens of thousands of Services and workloads.
        let pods: Vec<(&Object, crate::netpol::Pod)> = kept
            .iter()
            .filter(|o| !is_service(o))
            .filter_map(|o| Some((*o, pod_in(o, true)?)))
            .collect();
        // (namespace, label key, label value) → the pods carrying it, in input order.
        let mut by_label: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
        for (i, (_, pod)) in pods.iter().enumerate() {
            for (k, v) in pod.labels.iter() {
                by_label
                    .entry((pod.namespace.as_str(), k.as_str(), v.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        let mut services: HashMap<ObjectRef, &Object> = HashMap::new();
        for o in kept.iter().copied().filter(|o| is_service(o)) {
            services.entry(o.reference()).or_insert(o);
        }
        for f in findings.iter_mut().filter(|f| f.code == META.code) {
            let Some(service) = f.object.as_ref().and_then(|r| services.get(r)).copied() else {
                continue;
            };
            let Some(selector) = ServiceSelector::of(&service.node) else {
                f.append_message("; it has no selector (its endpoints are managed by hand)");
                continue;
            };
            let namespace = namespace_key(service, true);
            // The pods with the selector's rarest pair, then the others checked on each.
            let candidates = selector
                .pairs()
                .iter()
                .map(|(k, v)| {
                    by_label
                        .get(&(namespace.as_str(), *k, *v))
                        .map_or(&[][..], Vec::as_slice)
                })
                .min_by_key(|list| list.len())
                .unwrap_or(&[]);
            let reached: Vec<String> = candidates
                .iter()
                .map(|&i| &pods[i])
                .filter(|(_, pod)| selector.matches_with(|k| pod.labels.get(k).map(String::as_str)))
                .map(|(o, _)| format!("{} {}", o.kind(), o.name().unwrap_or("(unnamed)")))
                .collect();
            if reached.is_empty() {
                f.append_message("; no workload in the input matches its selector");
            } else {
                let more = reached.len().saturating_sub(3);
                let mut shown = reached.into_iter().take(3).collect::<Vec<_>>().join(", ");
                if more > 0 {
                    shown.push_str(&format!(" and {more} more"));
                }
                f.append_message(&format!("; it reaches {shown}"));
            }
        }
    }
}
