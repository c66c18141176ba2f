//! NetworkPolicies: default deny in both directions for every namespace that runs pods, plus the
//! allowances its workloads need to keep working, and the guide's deny-dashboard policy.
//!
//! Allowances, and what they rest on:
//! - DNS: every pod may reach kube-dns (`k8s-app: kube-dns` in `kube-system`) on 53/UDP and
//!   53/TCP.
//! - A Service's pods accept their clients on the Service's target ports; clients are workloads
//!   whose configuration names the Service (see [`crate::inventory`]), ingress controllers for a
//!   Service an Ingress routes to, the outside world for `LoadBalancer`/`NodePort` Services. When
//!   no client shows, the Service's own namespace is allowed and the policy says it assumed so.
//! - The clients' egress to those pods, in the clients' namespaces.
//! - Egress to outside addresses only where a workload's configuration holds a URL to one, and to
//!   the API server for workloads whose ServiceAccount has RBAC bindings; both as
//!   `0.0.0.0/0` minus 169.254.169.254/32 on the needed ports (NetworkPolicies cannot name hosts).
//!
//! NetworkPolicies cannot deny: the metadata endpoint is blocked by the default-deny egress policy
//! and by the `except` in every ipBlock the bundle writes (what NP305 checks).

use std::collections::BTreeMap;
use std::net::IpAddr;

use palisade_core::KubeVersion;
use palisade_rules::netpol::{
    is_network_policy, parse_policy, Cidr, Direction, Labels, Protocol, METADATA_ADDRESS,
    NAMESPACE_NAME_LABEL,
};

use crate::inventory::{Inventory, Service, Target, Workload};
use crate::yaml::Y;
use crate::{object, Generated};

/// Who may open connections to a Service's pods.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Client {
    /// A workload of the inventory (index), and the text that shows it.
    Workload(usize, String),
    /// Every pod of the Service's namespace (assumed: no client shows in the inventory).
    Namespace,
    /// Every pod of every namespace (cluster DNS; or an ingress controller the inventory does not
    /// hold).
    AnyNamespace(String),
    /// Addresses outside the cluster: a `LoadBalancer` or `NodePort` Service's users, or the API
    /// server calling a webhook (its address is not in the inventory). Why, for the annotation.
    External(String),
}

/// One Service and the clients the bundle lets through to it.
#[derive(Clone, Debug)]
pub struct Allowance {
    pub service: usize,
    pub clients: Vec<Client>,
}

/// What this part of the bundle produced.
#[derive(Debug, Default)]
pub struct Plan {
    pub objects: Vec<Generated>,
    pub allowances: Vec<Allowance>,
    /// Namespaces given default-deny policies.
    pub namespaces: Vec<String>,
    pub notes: Vec<String>,
}

/// The pods of cluster DNS.
pub fn dns_labels() -> Labels {
    [("k8s-app".to_owned(), "kube-dns".to_owned())].into()
}

pub const DNS_NAMESPACE: &str = "kube-system";

/// The CIDR of the metadata endpoint every ipBlock of the bundle excludes.
pub const METADATA_CIDR: &str = "169.254.169.254/32";

/// The IPv6 address of the metadata endpoint (AWS Nitro instances).
pub const METADATA_CIDR_V6: &str = "fd00:ec2::254/128";

/// Whether pods with `labels` are cluster DNS (they carry `k8s-app: kube-dns`, as CoreDNS and
/// kube-dns do in kubeadm, kops and most distributions).
pub fn is_dns_pod(namespace: &str, labels: &Labels) -> bool {
    namespace == DNS_NAMESPACE && dns_labels().iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn is_dns(inv: &Inventory, s: &Service) -> bool {
    s.namespace == DNS_NAMESPACE
        && (s.name == "kube-dns"
            || s.backends.iter().any(|&b| {
                let w = &inv.workloads[b];
                is_dns_pod(w.namespace(), &w.pod.labels)
            }))
}

/// The port numbers a Service's traffic uses when its endpoints are not pods of the inventory:
/// numeric target ports, else the Service port (a named target port cannot be resolved).
pub fn outside_service_ports(s: &Service) -> Vec<(u16, Protocol)> {
    let mut out: Vec<(u16, Protocol)> = s
        .ports
        .iter()
        .map(|p| match p.target {
            Target::Number(n) => (n, p.protocol),
            Target::Name(_) => (p.port, p.protocol),
        })
        .collect();
    out.dedup();
    out
}

/// A selector of exact labels.
fn match_labels(labels: &Labels) -> Y {
    if labels.is_empty() {
        return Y::empty();
    }
    Y::map([(
        "matchLabels",
        Y::Map(
            labels
                .iter()
                .map(|(k, v)| (k.clone(), Y::str(v.clone())))
                .collect(),
        ),
    )])
}

/// A peer for pods with `labels` in `namespace`, seen from a policy in `from_namespace`.
fn pod_peer(namespace: &str, labels: &Labels, from_namespace: &str) -> Y {
    let mut peer = Y::map([("podSelector", match_labels(labels))]);
    if namespace != from_namespace {
        peer.set(
            "namespaceSelector",
            match_labels(&[(NAMESPACE_NAME_LABEL.to_owned(), namespace.to_owned())].into()),
        );
    }
    peer
}

/// ipBlocks for addresses outside the cluster, IPv4 and IPv6, never the metadata endpoint (AWS
/// also serves it at fd00:ec2::254 to IPv6 instances).
fn outside_peers() -> Vec<Y> {
    [("0.0.0.0/0", METADATA_CIDR), ("::/0", METADATA_CIDR_V6)]
        .into_iter()
        .map(|(cidr, except)| {
            Y::map([(
                "ipBlock",
                Y::map([("cidr", Y::str(cidr)), ("except", Y::seq([Y::str(except)]))]),
            )])
        })
        .collect()
}

fn port_entry(port: Y, protocol: Protocol) -> Y {
    Y::map([("protocol", Y::str(protocol.as_str())), ("port", port)])
}

/// The policy ports for a Service's target ports, as its backends declare them. `None` when a
/// named target port is not declared by every backend: the policy then cannot name it, and
/// allows every port of those pods (said in a note).
fn service_ports(inv: &Inventory, s: &Service) -> Option<Vec<Y>> {
    let mut out = Vec::new();
    for p in &s.ports {
        match &p.target {
            Target::Number(n) => out.push(port_entry(Y::int(i64::from(*n)), p.protocol)),
            Target::Name(name) => {
                let declared = s
                    .backends
                    .iter()
                    .all(|&b| inv.workloads[b].pod.named_port(name, p.protocol).is_some());
                if !declared {
                    return None;
                }
                out.push(port_entry(Y::str(name.clone()), p.protocol));
            }
        }
    }
    out.dedup();
    Some(out)
}

fn policy(
    namespace: &str,
    name: &str,
    pod_selector: Y,
    types: &[&str],
    rules: Vec<(&str, Y)>,
    satisfies: &[&'static str],
    notes: Vec<(&'static str, String)>,
) -> Generated {
    let mut spec = Y::map([
        ("podSelector", pod_selector),
        ("policyTypes", Y::seq(types.iter().map(|t| Y::str(*t)))),
    ]);
    for (field, list) in rules {
        spec.set(field, list);
    }
    object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        Some(namespace),
        name,
        satisfies,
        notes,
        vec![("spec", spec)],
    )
}

/// A name for a generated object: `prefix-name`, cut to the 253 characters the API allows.
fn object_name(prefix: &str, name: &str) -> String {
    let mut s = format!("{prefix}-{name}");
    s.truncate(253);
    s.trim_end_matches(['-', '.']).to_owned()
}

/// Plans the NetworkPolicies for the inventory at Kubernetes `version`.
pub fn plan(inv: &Inventory, version: KubeVersion) -> Plan {
    let mut out = Plan::default();
    let governed = |w: &Workload| !w.host_network;
    // Namespaces that run pods NetworkPolicies govern.
    let namespaces: Vec<String> = inv
        .namespaces
        .iter()
        .filter(|ns| inv.workloads_in(ns).any(|i| governed(&inv.workloads[i])))
        .cloned()
        .collect();
    let hardened = |ns: &str| namespaces.iter().any(|n| n == ns);
    let controllers: Vec<usize> = (0..inv.workloads.len())
        .filter(|&i| inv.workloads[i].ingress_controller && governed(&inv.workloads[i]))
        .collect();

    // Services → clients; and per client workload, what it calls.
    let mut calls: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    for (w, deps) in inv.dependencies.iter().enumerate() {
        for d in deps {
            calls
                .entry(w)
                .or_default()
                .push((d.service, d.evidence.clone()));
        }
    }
    for (si, s) in inv.services.iter().enumerate() {
        let backends: Vec<usize> = s
            .backends
            .iter()
            .copied()
            .filter(|&b| governed(&inv.workloads[b]))
            .collect();
        if backends.is_empty() || !hardened(&s.namespace) {
            continue;
        }
        if backends.iter().any(|&b| inv.workloads[b].dashboard) {
            out.notes.push(format!(
                "Service {}/{} fronts the Kubernetes Dashboard: no pod is allowed to reach it \
                 (the guide's deny-dashboard); use `kubectl proxy` or port-forward",
                s.namespace, s.name
            ));
            continue;
        }
        if is_dns(inv, s) {
            // palisade-allow-dns-ingress admits every pod on 53; other ports (metrics) have no
            // known client.
            continue;
        }
        let mut clients = Vec::new();
        {
            for (w, deps) in inv.dependencies.iter().enumerate() {
                if let Some(d) = deps.iter().find(|d| d.service == si) {
                    if governed(&inv.workloads[w]) {
                        clients.push(Client::Workload(w, d.evidence.clone()));
                    } else {
                        // hostNetwork pods connect from the node's address.
                        clients.push(Client::AnyNamespace(format!(
                            "{} calls it from the host network",
                            inv.workloads[w].describe()
                        )));
                    }
                }
            }
            if !s.ingresses.is_empty() {
                let why = format!("Ingress {} routes to it", s.ingresses.join(", "));
                if controllers.is_empty() {
                    clients.push(Client::AnyNamespace(format!(
                        "{why}, and the inventory holds no ingress controller; narrow this \
                         peer to the controller's namespace"
                    )));
                }
                for &c in &controllers {
                    calls.entry(c).or_default().push((si, why.clone()));
                    clients.push(Client::Workload(c, why.clone()));
                }
            }
            if matches!(s.kind.as_str(), "LoadBalancer" | "NodePort") {
                clients.push(Client::External(format!(
                    "{} Service: a public entry point",
                    s.kind
                )));
            }
            if !s.api_server_callers.is_empty() {
                clients.push(Client::External(format!(
                    "the API server calls it ({}); narrow the ipBlock to the control plane's \
                     addresses",
                    s.api_server_callers.join(", ")
                )));
            }
            if clients.is_empty() {
                clients.push(Client::Namespace);
            }
        }
        out.allowances.push(Allowance {
            service: si,
            clients,
        });
    }

    for ns in &namespaces {
        out.objects.push(policy(
            ns,
            "palisade-default-deny-ingress",
            Y::empty(),
            &["Ingress"],
            Vec::new(),
            &["NP301", "NP303"],
            vec![(
                "palisade.dev/reason",
                "every pod of the namespace accepts only what another policy allows".to_owned(),
            )],
        ));
        out.objects.push(policy(
            ns,
            "palisade-default-deny-egress",
            Y::empty(),
            &["Egress"],
            Vec::new(),
            &["NP302", "NP305"],
            vec![(
                "palisade.dev/reason",
                "every pod of the namespace connects only where another policy allows; this \
                 blocks the cloud metadata endpoint 169.254.169.254"
                    .to_owned(),
            )],
        ));
        let dns_peer = if version >= KubeVersion::v1(21) {
            pod_peer(DNS_NAMESPACE, &dns_labels(), "")
        } else {
            // Before 1.21 namespaces carry no name label: kube-dns pods of any namespace.
            Y::map([
                ("namespaceSelector", Y::empty()),
                ("podSelector", match_labels(&dns_labels())),
            ])
        };
        out.objects.push(policy(
            ns,
            "palisade-allow-dns",
            Y::empty(),
            &["Egress"],
            vec![(
                "egress",
                Y::seq([Y::map([
                    ("to", Y::seq([dns_peer])),
                    (
                        "ports",
                        Y::seq([
                            port_entry(Y::int(53), Protocol::Udp),
                            port_entry(Y::int(53), Protocol::Tcp),
                        ]),
                    ),
                ])]),
            )],
            &[],
            vec![(
                "palisade.dev/reason",
                "name resolution through cluster DNS (kube-dns, 53/UDP and 53/TCP); a node-local \
                 DNS cache on a link-local address needs its own ipBlock"
                    .to_owned(),
            )],
        ));
    }

    // Cluster DNS accepts every pod of every namespace on 53. It runs in kube-system whether or
    // not the inventory shows its Deployment, so isolating kube-system always needs this.
    let dns_namespaces = namespaces.iter().filter(|ns| *ns == DNS_NAMESPACE);
    for ns in dns_namespaces {
        out.objects.push(policy(
            ns,
            "palisade-allow-dns-ingress",
            match_labels(&dns_labels()),
            &["Ingress"],
            vec![(
                "ingress",
                Y::seq([Y::map([
                    (
                        "from",
                        Y::seq([Y::map([("namespaceSelector", Y::empty())])]),
                    ),
                    (
                        "ports",
                        Y::seq([
                            port_entry(Y::int(53), Protocol::Udp),
                            port_entry(Y::int(53), Protocol::Tcp),
                        ]),
                    ),
                ])]),
            )],
            &[],
            vec![
                (
                    "palisade.dev/reason",
                    "cluster DNS answers every pod of every namespace on 53/UDP and 53/TCP"
                        .to_owned(),
                ),
                (
                    "palisade.dev/ignore",
                    "NP304 — cluster DNS serves every namespace".to_owned(),
                ),
            ],
        ));
    }

    // Ingress allowances, one policy per Service.
    let mut namespace_wide: Vec<(String, Vec<Y>, Vec<String>)> = Vec::new();
    for a in &out.allowances {
        let s = &inv.services[a.service];
        let ports = service_ports(inv, s);
        let mut peers = Vec::new();
        let mut assumed = Vec::new();
        let mut evidence = Vec::new();
        let mut waiver = Vec::new();
        for c in &a.clients {
            match c {
                Client::Workload(w, why) => {
                    let w = &inv.workloads[*w];
                    peers.push(pod_peer(w.namespace(), &w.selector, &s.namespace));
                    evidence.push(format!("{} ({why})", w.describe()));
                }
                Client::Namespace => {
                    peers.push(Y::map([("podSelector", Y::empty())]));
                    assumed.push(
                        "no client of this Service shows in the inventory: every pod of its \
                         namespace is allowed; narrow to the real clients"
                            .to_owned(),
                    );
                }
                Client::AnyNamespace(why) => {
                    peers.push(Y::map([("namespaceSelector", Y::empty())]));
                    assumed.push(format!("every pod of every namespace is allowed: {why}"));
                    waiver.push(why.clone());
                }
                Client::External(why) => {
                    for cidr in ["0.0.0.0/0", "::/0"] {
                        peers.push(Y::map([("ipBlock", Y::map([("cidr", Y::str(cidr))]))]));
                    }
                    waiver.push(why.clone());
                }
            }
        }
        peers.dedup();
        let mut rule = Y::map([("from", Y::seq(peers))]);
        match &ports {
            Some(p) if !p.is_empty() => rule.set("ports", Y::Seq(p.clone())),
            Some(_) => {}
            None => assumed.push(
                "a named targetPort is not declared by every backend: all ports are allowed"
                    .to_owned(),
            ),
        }
        let mut notes = vec![(
            "palisade.dev/reason",
            format!("clients of Service {}", s.name),
        )];
        if !evidence.is_empty() {
            notes.push(("palisade.dev/clients", evidence.join("; ")));
        }
        if !assumed.is_empty() {
            notes.push(("palisade.dev/assumed", assumed.join("; ")));
        }
        if !waiver.is_empty() {
            notes.push((
                "palisade.dev/ignore",
                format!("NP304 — {}", waiver.join("; ")),
            ));
        }
        out.objects.push(policy(
            &s.namespace,
            &object_name("palisade-ingress", &s.name),
            match_labels(&s.selector),
            &["Ingress"],
            vec![("ingress", Y::seq([rule]))],
            &[],
            notes,
        ));
        if a.clients.contains(&Client::Namespace) {
            let mut rule = Y::map([(
                "to",
                Y::seq([pod_peer(&s.namespace, &s.selector, &s.namespace)]),
            )]);
            if let Some(p) = ports.filter(|p| !p.is_empty()) {
                rule.set("ports", Y::Seq(p));
            }
            let entry = match namespace_wide
                .iter_mut()
                .find(|(ns, ..)| *ns == s.namespace)
            {
                Some(e) => e,
                None => {
                    namespace_wide.push((s.namespace.clone(), Vec::new(), Vec::new()));
                    namespace_wide.last_mut().expect("pushed")
                }
            };
            entry.1.push(rule);
            entry.2.push(s.name.clone());
        }
    }
    // One policy per namespace for the Services whose clients are assumed to be its pods.
    for (ns, rules, services) in namespace_wide {
        out.objects.push(policy(
            &ns,
            "palisade-egress-to-unknown-clients",
            Y::empty(),
            &["Egress"],
            vec![("egress", Y::Seq(rules))],
            &[],
            vec![(
                "palisade.dev/assumed",
                format!(
                    "no client of Service(s) {} shows in the inventory: every pod of the \
                     namespace may call them",
                    crate::some(&services)
                ),
            )],
        ));
    }

    // Egress allowances, one policy per calling workload.
    for (wi, w) in inv.workloads.iter().enumerate() {
        if !governed(w) || !hardened(w.namespace()) {
            continue;
        }
        let mut rules = Vec::new();
        let mut reasons = Vec::new();
        let mut seen = Vec::new();
        for (si, why) in calls.get(&wi).map(Vec::as_slice).unwrap_or(&[]) {
            if seen.contains(si) {
                continue;
            }
            seen.push(*si);
            let s = &inv.services[*si];
            let in_cluster = s.backends.iter().any(|&b| governed(&inv.workloads[b]));
            let rule = if in_cluster {
                let mut rule = Y::map([(
                    "to",
                    Y::seq([pod_peer(&s.namespace, &s.selector, w.namespace())]),
                )]);
                if let Some(p) = service_ports(inv, s).filter(|p| !p.is_empty()) {
                    rule.set("ports", Y::Seq(p));
                }
                rule
            } else {
                // Hand-made Endpoints (no selector) or host-network backends: addresses the
                // inventory does not hold, on the Service's ports.
                let ports = outside_service_ports(s);
                if ports.is_empty() {
                    continue;
                }
                if s.selector.is_empty() {
                    reasons.push(format!(
                        "Service {}/{} has no selector: its endpoints are outside the inventory",
                        s.namespace, s.name
                    ));
                }
                Y::map([
                    ("to", Y::Seq(outside_peers())),
                    (
                        "ports",
                        Y::seq(
                            ports
                                .iter()
                                .map(|(n, p)| port_entry(Y::int(i64::from(*n)), *p)),
                        ),
                    ),
                ])
            };
            rules.push(rule);
            reasons.push(format!("calls Service {}/{} ({why})", s.namespace, s.name));
        }
        let mut outside_ports: Vec<u16> = inv.externals[wi].iter().map(|e| e.port).collect();
        for e in &inv.externals[wi] {
            reasons.push(format!("calls {}:{} outside the cluster", e.host, e.port));
        }
        if inv.uses_api[wi] {
            outside_ports.extend([443, 6443]);
            reasons.push(format!(
                "ServiceAccount {} is bound to RBAC roles: calls the Kubernetes API (443/6443; \
                 narrow the ipBlock to the API server's address)",
                w.service_account
            ));
        }
        outside_ports.sort_unstable();
        outside_ports.dedup();
        if !outside_ports.is_empty() {
            rules.push(Y::map([
                ("to", Y::Seq(outside_peers())),
                (
                    "ports",
                    Y::seq(
                        outside_ports
                            .iter()
                            .map(|p| port_entry(Y::int(i64::from(*p)), Protocol::Tcp)),
                    ),
                ),
            ]));
        }
        if rules.is_empty() {
            continue;
        }
        let mut notes = vec![("palisade.dev/reason", reasons.join("; "))];
        if w.selector.is_empty() {
            notes.push((
                "palisade.dev/assumed",
                format!(
                    "{} has no pod labels to select it by: every pod of the namespace gets its \
                     allowances; label it and narrow the podSelector",
                    w.describe()
                ),
            ));
        }
        out.objects.push(policy(
            w.namespace(),
            &object_name("palisade-egress", &w.name),
            match_labels(&w.selector),
            &["Egress"],
            vec![("egress", Y::Seq(rules))],
            &[],
            notes,
        ));
    }

    // The guide's deny-dashboard, where a dashboard runs.
    let mut dashboards: Vec<(String, Labels)> = Vec::new();
    for w in inv.workloads.iter().filter(|w| w.dashboard && governed(w)) {
        let guide: Labels = [("k8s-app".to_owned(), "kubernetes-dashboard".to_owned())].into();
        let labels =
            if w.pod.labels.get("k8s-app").map(String::as_str) == Some("kubernetes-dashboard") {
                guide
            } else {
                w.selector.clone()
            };
        let entry = (w.namespace().to_owned(), labels);
        if !dashboards.contains(&entry) {
            dashboards.push(entry);
        }
    }
    for (i, (ns, labels)) in dashboards.iter().enumerate() {
        let name = if i == 0 {
            "deny-dashboard".to_owned()
        } else {
            format!("deny-dashboard-{i}")
        };
        out.objects.push(policy(
            ns,
            &name,
            match_labels(labels),
            &["Ingress"],
            Vec::new(),
            &["NP306"],
            vec![(
                "palisade.dev/reason",
                "the guide's deny-dashboard: no pod may reach the Kubernetes Dashboard (kubectl \
                 proxy still works)"
                    .to_owned(),
            )],
        ));
    }
    unique_names(&mut out.objects);
    out.namespaces = namespaces;
    out
}

/// Gives every policy a name no other policy of its namespace has (`-2`, `-3`, …): workloads of
/// different kinds may share a name, and two objects of one name would overwrite each other when
/// applied.
fn unique_names(objects: &mut [Generated]) {
    let mut seen = std::collections::HashSet::new();
    for g in objects {
        let meta = g.value.map_at("metadata");
        let (Some(Y::Str(ns)), Some(Y::Str(name))) =
            (meta.get("namespace").cloned(), meta.get("name").cloned())
        else {
            continue;
        };
        let mut candidate = name.clone();
        let mut n = 1;
        while !seen.insert((ns.clone(), candidate.clone())) {
            n += 1;
            candidate = object_name(&name, &n.to_string());
        }
        if candidate != name {
            meta.set("name", Y::Str(candidate));
        }
    }
}

/// Whether a rule's ports admit 80/TCP (the metadata endpoint's HTTP port), as NP305 reads them.
fn ports_admit_http(rule: &Y, end_port: bool) -> bool {
    let Some(Y::Seq(ports)) = rule.get("ports") else {
        return true;
    };
    if ports.is_empty() {
        return true;
    }
    ports.iter().any(|p| {
        let tcp = match p.get("protocol") {
            None => true,
            Some(Y::Str(s)) => s == "TCP",
            Some(_) => false,
        };
        let number = |y: Option<&Y>| match y {
            Some(Y::Plain(s)) => s.parse::<u32>().ok(),
            _ => None,
        };
        tcp && match (p.get("port"), number(p.get("endPort")).filter(|_| end_port)) {
            (None, _) => true,
            (Some(Y::Str(_)), _) => false,
            (port, Some(end)) => number(port).is_some_and(|n| (n..=end).contains(&80)),
            (port, None) => number(port) == Some(80),
        }
    })
}

/// Whether an `ipBlock` peer admits the metadata endpoint.
fn ip_block_admits_metadata(peer: &Y) -> Option<Cidr> {
    let block = peer.get("ipBlock")?;
    let Some(Y::Str(cidr)) = block.get("cidr") else {
        return None;
    };
    let cidr = Cidr::parse_sloppy(cidr).ok()?;
    let excepted = match block.get("except") {
        Some(Y::Seq(list)) => list.iter().any(|e| match e {
            Y::Str(s) => Cidr::parse_sloppy(s).is_ok_and(|c| c.contains(METADATA_ADDRESS)),
            _ => false,
        }),
        _ => false,
    };
    (cidr.contains(METADATA_ADDRESS) && !excepted).then_some(cidr)
}

/// Existing NetworkPolicies whose egress rules admit the metadata endpoint (NP305's first case),
/// rewritten so they no longer do: NetworkPolicies only add up, so a default-deny beside them
/// cannot take that back. A rule with no `to` becomes "every pod, and every outside address but
/// 169.254.169.254"; an ipBlock containing the address gets it as an `except`; an ipBlock that
/// is just the address is removed (with its rule, when it was the rule's only peer). The policy
/// types are written out, so that a policy left with no egress rule still isolates egress.
pub fn patch_existing(inv: &Inventory, version: KubeVersion) -> Vec<Generated> {
    let end_port = version >= KubeVersion::v1(22);
    let mut out = Vec::new();
    for o in inv.objects.iter().filter(|o| is_network_policy(o)) {
        let (parsed, errors) = parse_policy(o);
        if !errors.is_empty() || !parsed.affects(Direction::Egress) {
            continue;
        }
        let mut value = Y::from_node(&o.node);
        let Some(Y::Seq(rules)) = value.get("spec").and_then(|s| s.get("egress")).cloned() else {
            continue;
        };
        let mut changed = Vec::new();
        let mut kept_rules = Vec::new();
        for (i, mut rule) in rules.into_iter().enumerate() {
            if !ports_admit_http(&rule, end_port) {
                kept_rules.push(rule);
                continue;
            }
            let peers = match rule.get("to") {
                Some(Y::Seq(p)) if !p.is_empty() => p.clone(),
                _ => {
                    rule.set(
                        "to",
                        Y::Seq(
                            std::iter::once(Y::map([("namespaceSelector", Y::empty())]))
                                .chain(outside_peers())
                                .collect(),
                        ),
                    );
                    changed.push(format!(
                        "egress rule {i} had no `to`: now every pod and every outside address \
                         but {METADATA_CIDR}"
                    ));
                    kept_rules.push(rule);
                    continue;
                }
            };
            let mut new_peers = Vec::new();
            for mut peer in peers {
                match ip_block_admits_metadata(&peer) {
                    Some(c) if c.is_single_address() => {
                        changed.push(format!("egress rule {i}: removed ipBlock {c}"));
                    }
                    Some(c) => {
                        // In the range's own spelling: the API server compares prefix lengths
                        // as written, so an IPv4-mapped range needs an IPv4-mapped except.
                        let metadata = match c.addr() {
                            IpAddr::V4(_) => METADATA_CIDR.to_owned(),
                            IpAddr::V6(_) => format!("::ffff:{METADATA_ADDRESS}/128"),
                        };
                        let block = peer.map_at("ipBlock");
                        let mut except = match block.get("except") {
                            Some(Y::Seq(l)) => l.clone(),
                            _ => Vec::new(),
                        };
                        except.push(Y::str(metadata.as_str()));
                        block.set("except", Y::Seq(except));
                        changed.push(format!(
                            "egress rule {i}: ipBlock {c} now excepts {metadata}"
                        ));
                        new_peers.push(peer);
                    }
                    None => new_peers.push(peer),
                }
            }
            // An empty `to` would admit every destination: drop the rule instead.
            if !new_peers.is_empty() {
                rule.set("to", Y::Seq(new_peers));
                kept_rules.push(rule);
            }
        }
        if changed.is_empty() {
            continue;
        }
        let mut types = Vec::new();
        if parsed.affects(Direction::Ingress) {
            types.push(Y::str("Ingress"));
        }
        types.push(Y::str("Egress"));
        let spec = value.map_at("spec");
        spec.set("policyTypes", Y::Seq(types));
        spec.set("egress", Y::Seq(kept_rules));
        let name = o.name().unwrap_or("(unnamed)");
        let mut g = object(
            "networking.k8s.io/v1",
            "NetworkPolicy",
            o.namespace(),
            name,
            &["NP305"],
            vec![(
                "palisade.dev/reason",
                format!(
                    "your policy, changed only to stop egress to the cloud metadata endpoint: {}",
                    changed.join("; ")
                ),
            )],
            Vec::new(),
        );
        crate::merge_metadata(&mut g.value, o);
        if let Some(spec) = value.get("spec") {
            g.value.set("spec", spec.clone());
        }
        out.push(g);
    }
    out
}
