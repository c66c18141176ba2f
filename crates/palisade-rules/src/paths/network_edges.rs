//! Edges from outside the cluster: a Service of type LoadBalancer or NodePort, one with
//! `externalIPs`, or an Ingress backend, makes the pods it selects reachable from outside; an
//! attacker who exploits the application then runs code in the pod.
//!
//! Pods that reach the cloud metadata endpoint reach the node's cloud identity ([`metadata`]).
//!
//! NetworkPolicies are not consulted for exposure: traffic through a load balancer or node port arrives
//! from node or load-balancer addresses that manifests do not show, so whether a policy admits it
//! is not decidable from the input (NP351 says the same about the exposure itself).

use std::collections::HashMap;

use palisade_core::yaml::Node;
use palisade_core::Object;

use super::build::Builder;
use super::pod_edges::describe;

/// A workload and its pod labels.
type Labelled<'a> = (&'a Object, Option<&'a Node>);
use super::graph::{Evidence, Vertex};
use crate::netpol::{
    is_controlled, namespace_of, pod_of, Endpoint, Network, Options, PortQuery, Protocol,
    ServiceSelector, Side, METADATA_ADDRESS,
};

fn exposure(service: &Object) -> Option<String> {
    let spec = service.node.get("spec")?;
    let kind = spec
        .get("type")
        .and_then(Node::as_str)
        .unwrap_or("ClusterIP");
    if matches!(kind, "LoadBalancer" | "NodePort") {
        return Some(format!("type {kind}"));
    }
    let external = spec.get("externalIPs").map(Node::items).unwrap_or(&[]);
    (!external.is_empty()).then(|| "externalIPs".to_owned())
}

/// The Service names an Ingress sends traffic to (`networking.k8s.io/v1` and the older
/// `serviceName` spelling), with the pointer of each.
fn ingress_backends(ingress: &Object) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(spec) = ingress.node.get("spec") else {
        return out;
    };
    let mut backend = |b: &Node, pointer: String| {
        let name = b
            .path(&["service", "name"])
            .or_else(|| b.get("serviceName"))
            .and_then(Node::as_str);
        if let Some(name) = name {
            out.push((name.to_owned(), pointer));
        }
    };
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(key) {
            backend(b, format!("/spec/{key}"));
        }
    }
    for (r, rule) in spec
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let paths = rule
            .path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or(&[]);
        for (p, path) in paths.iter().enumerate() {
            if let Some(b) = path.get("backend") {
                backend(b, format!("/spec/rules/{r}/http/paths/{p}/backend"));
            }
        }
    }
    out
}

fn is_ingress(o: &Object) -> bool {
    o.kind() == "Ingress" && matches!(o.group(), "networking.k8s.io" | "extensions")
}

pub(super) fn add(b: &mut Builder<'_>) {
    let objects = b.objects;
    // Services by (namespace, name), with their index.
    let services: HashMap<(&str, &str), usize> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind() == "Service" && o.group().is_empty())
        .filter_map(|(i, o)| Some(((namespace_of(o), o.name()?), i)))
        .collect();
    // (service index, evidence object, pointer, how it is exposed)
    let mut exposed: Vec<(usize, usize, String, String)> = Vec::new();
    for (&(_, name), &i) in &services {
        if let Some(how) = exposure(objects[i]) {
            exposed.push((
                i,
                i,
                "/spec".to_owned(),
                format!("Service \"{name}\" is of {how}"),
            ));
        }
    }
    for (i, o) in objects.iter().enumerate().filter(|(_, o)| is_ingress(o)) {
        let ns = namespace_of(o);
        for (service, pointer) in ingress_backends(o) {
            if let Some(&s) = services.get(&(ns, service.as_str())) {
                exposed.push((
                    s,
                    i,
                    pointer,
                    format!(
                        "Ingress \"{ns}/{}\" sends traffic to Service \"{service}\"",
                        o.name().unwrap_or("(unnamed)")
                    ),
                ));
            }
        }
    }
    if exposed.is_empty() {
        return;
    }
    exposed.sort();
    // Workloads by (namespace, pod label key, value): a selector's first entry picks the
    // candidates, the whole selector decides (a scan holds thousands of workloads per namespace).
    let mut by_label: HashMap<(&str, &str, &str), Vec<Labelled<'_>>> = HashMap::new();
    for o in objects.iter().copied() {
        let Some(pod) = o.pod_template() else {
            continue;
        };
        if is_controlled(o) {
            continue;
        }
        let labels = pod.metadata.and_then(|m| m.get("labels"));
        for e in labels.map(Node::entries).unwrap_or(&[]) {
            if let Some(v) = e.value.as_str() {
                by_label
                    .entry((namespace_of(o), &*e.key, v))
                    .or_default()
                    .push((o, labels));
            }
        }
    }
    for (service, evidence, pointer, how) in exposed {
        let s = objects[service];
        let ns = namespace_of(s);
        let Some(selector) = ServiceSelector::of(&s.node) else {
            continue;
        };
        let Some(&(key, value)) = selector.pairs().first() else {
            continue;
        };
        for (w, labels) in by_label.get(&(ns, key, value)).into_iter().flatten() {
            if !selector.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Node::as_str)) {
                continue;
            }
            let target = Vertex::Workload {
                namespace: ns.to_owned(),
                kind: w.kind().to_owned(),
                name: w.name().unwrap_or("(unnamed)").to_owned(),
            };
            let cut = if evidence == service {
                format!("Service \"{ns}/{}\"", s.name().unwrap_or("(unnamed)"))
            } else {
                format!(
                    "Ingress \"{ns}/{}\"",
                    objects[evidence].name().unwrap_or("(unnamed)")
                )
            };
            b.graph.add(
                Vertex::Internet,
                target,
                "reaches, and through a flaw of its application runs code in,",
                Evidence {
                    object: Some(evidence),
                    pointer: pointer.clone(),
                    text: format!("{how}, which selects the workload's pods").into(),
                    place: None,
                    cut: Some(cut.into()),
                },
            );
        }
    }
}

/// The cloud a Node's `spec.providerID` names, when its cloud serves instance credentials at
/// the metadata endpoint (`aws:///eu-west-1a/i-0…`, `gce://project/zone/name`, `azure:///…`,
/// `openstack:///…`).
fn cloud_of(node: &Object) -> Option<&'static str> {
    let id = node
        .node
        .path(&["spec", "providerID"])
        .and_then(Node::as_str)?;
    let scheme = id.split_once("://")?.0;
    Some(match scheme {
        "aws" => "AWS",
        "gce" => "GCP",
        "azure" => "Azure",
        "openstack" => "OpenStack",
        _ => return None,
    })
}

/// Pods that reach the cloud metadata endpoint 169.254.169.254 (port 80, TCP) → the node's cloud
/// identity, as NP305 decides it (the NetworkPolicy model's egress verdict, hostNetwork pods
/// outside any policy). Only for workloads already in the graph (something reaches them), and
/// only where the nodes may be in a cloud: when the input has Node objects, one must name a
/// cloud by its `providerID`; without Node objects the step says the cloud is not shown.
pub(super) fn metadata(b: &mut Builder<'_>) {
    let objects = b.objects;
    let nodes: Vec<(usize, &Object)> = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind() == "Node" && o.group().is_empty())
        .map(|(i, o)| (i, *o))
        .collect();
    let cloud = nodes
        .iter()
        .find_map(|&(i, o)| cloud_of(o).map(|c| (i, o, c)));
    if !nodes.is_empty() && cloud.is_none() {
        // The nodes are shown, and none is in a cloud with a metadata endpoint.
        return;
    }
    // What the node does about pods asking is node or cloud configuration, not in the input.
    let unless = "unless the nodes keep pods from it (AWS IMDSv2 with a hop limit of 1, GKE \
                  Workload Identity or metadata concealment), which the input does not show";
    let on_cloud = match cloud {
        Some((_, node, c)) => format!(
            "; the nodes run on {c} (Node \"{}\" spec.providerID), whose metadata endpoint \
             serves the node's cloud credentials {unless}",
            node.name().unwrap_or("(unnamed)")
        ),
        None => format!(
            "; on a cloud (AWS, GCP, Azure, OpenStack) it serves the node's cloud credentials \
             {unless}; which cloud the nodes run on, if any, is not in the input either"
        ),
    };
    let options = Options::for_version(b.version);
    let network = Network::new(objects.iter().copied(), options);
    let target = Endpoint::Address(METADATA_ADDRESS);
    let port = Some(PortQuery {
        number: 80,
        protocol: Protocol::Tcp,
    });
    for (i, o) in objects.iter().enumerate() {
        let Some(pod) = o.pod_template() else {
            continue;
        };
        if is_controlled(o) {
            continue;
        }
        let workload = Vertex::Workload {
            namespace: namespace_of(o).to_owned(),
            kind: o.kind().to_owned(),
            name: o.name().unwrap_or("(unnamed)").to_owned(),
        };
        if b.graph.find(&workload).is_none() {
            continue;
        }
        let host_network = pod.spec.get("hostNetwork").and_then(Node::bool_intent) == Some(true);
        let (object, pointer, why, cut) = if host_network {
            (
                i,
                format!("{}/hostNetwork", pod.spec_pointer),
                "it runs with hostNetwork, which NetworkPolicies do not govern".to_owned(),
                format!("{} (hostNetwork)", describe(o)),
            )
        } else {
            let Some(p) = pod_of(o) else { continue };
            let Ok(verdict) = network.can_reach(&Endpoint::Pod(p), &target, port) else {
                continue;
            };
            match verdict.egress {
                Side::NotIsolated => (
                    i,
                    pod.spec_pointer.to_owned(),
                    format!(
                        "no NetworkPolicy restricts the egress of its pods in namespace {:?}",
                        namespace_of(o)
                    ),
                    format!(
                        "egress NetworkPolicies of namespace \"{}\"",
                        namespace_of(o)
                    ),
                ),
                Side::Allowed(allows) => {
                    let Some(a) = allows.first() else { continue };
                    let policy = &network.policies[a.policy];
                    let Some(at) = b.index_of(policy.object) else {
                        continue;
                    };
                    let rule = &policy.egress[a.rule];
                    (
                        at,
                        rule.pointer.clone(),
                        format!(
                            "egress rule {} of NetworkPolicy \"{}\" admits it (no `except` for \
                             169.254.169.254/32)",
                            a.rule,
                            policy.display_name()
                        ),
                        format!("NetworkPolicy \"{}\"", policy.display_name()),
                    )
                }
                Side::Denied { .. } | Side::External => continue,
            }
        };
        b.graph.add(
            workload,
            Vertex::CloudIdentity,
            "reaches the cloud metadata endpoint 169.254.169.254, which hands out",
            Evidence {
                object: Some(object),
                pointer,
                text: format!("{}: {why} (NP305){on_cloud}", describe(o)).into(),
                cut: Some(cut.into()),
                place: None,
            },
        );
    }
}
