//! The proof: the bundle applied to the inventory in memory, re-scanned with the rule engine,
//! and its NetworkPolicies and Pod Security levels checked against what runs.
//!
//! Connections checked with the NetworkPolicy engine (`Network::can_reach`), for every namespace
//! the bundle isolates:
//! - must pass: every pod to kube-dns on 53/UDP and 53/TCP; every client of a Service to each of
//!   its backends on each target port (probe pods stand in for "any pod of the namespace", "any
//!   pod of another namespace" and an outside address where the bundle allowed those);
//! - must be blocked: every pod to 169.254.169.254:80; every pod to an outside address on a port
//!   its configuration does not show it needs; a pod of another namespace, and a pod of the same
//!   namespace that is no client, to each backend; and between the workloads of a namespace
//!   (up to [`PAIRWISE_LIMIT`] of them) every pair the bundle did not allow, when the inventory had
//!   no NetworkPolicies of its own there.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};

use palisade_core::{Finding, Object, Settings, Severity};
use palisade_rules::netpol::{
    Endpoint, Labels, Network, Options, Pod, PortQuery, Protocol, Side, METADATA_ADDRESS,
};
use palisade_rules::pss::Level;
use palisade_rules::{Engine, Mode, Selection};

use crate::inventory::Target;
use crate::network::{dns_labels, Client, DNS_NAMESPACE};
use crate::{counts, psa, Bundle, HardenError};

/// Namespaces with more workloads than this are not checked pair by pair (n² connections).
pub const PAIRWISE_LIMIT: usize = 100;

/// An address outside the cluster (TEST-NET-3, never routed).
const OUTSIDE: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));
/// A namespace no object is in, for "a pod of another namespace".
const ELSEWHERE: &str = "palisade-probe-elsewhere";

/// One verdict that went the wrong way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub what: String,
}

/// What applying the bundle does.
#[derive(Debug)]
pub struct Proof {
    pub before: [(Severity, usize); 4],
    pub after: [(Severity, usize); 4],
    /// `(code, before, after)` for every code whose count changed or that the bundle claims.
    pub per_code: Vec<(&'static str, usize, usize)>,
    /// Rules the inventory alone could not evaluate (a namespace without its Namespace object
    /// or any policy) that the bundle lets evaluate, with their findings after applying.
    pub now_evaluated: Vec<(&'static str, usize)>,
    /// Rules still not evaluated after applying.
    pub still_not_evaluated: Vec<&'static str>,
    pub claimed: Vec<&'static str>,
    /// Findings of claimed codes still reported after applying, other than those the bundle
    /// cannot reach (NP305 on hostNetwork pods, which NetworkPolicies do not govern).
    pub unresolved: Vec<Finding>,
    /// Connections that must work and would be blocked, running workloads a label would reject:
    /// applying would break something (`--check` fails).
    pub breakages: Vec<Check>,
    /// Connections that should be blocked and are not.
    pub leaks: Vec<Check>,
    /// Connections evaluated.
    pub connections: usize,
    /// Connections that should be blocked but that only NetworkPolicies of the inventory allow
    /// (including those the bundle amends to exclude the metadata endpoint).
    pub allowed_by_inventory: usize,
    /// Workloads evaluated at their namespace's chosen level.
    pub workloads_evaluated: usize,
}

fn engine(bundle: &Bundle) -> Engine {
    Engine::new(
        Settings {
            kubernetes_version: bundle.version,
            ..Settings::default()
        },
        Selection::default(),
        Vec::new(),
        Mode::Rules,
    )
}

fn by_code(findings: &[Finding]) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        *m.entry(f.code).or_insert(0) += 1;
    }
    m
}

fn probe(namespace: &str, role: &str) -> Endpoint {
    Endpoint::Pod(Pod {
        namespace: namespace.to_owned(),
        labels: Labels::from([("palisade.dev/probe".to_owned(), role.to_owned())]),
        ports: Vec::new(),
    })
}

pub(crate) fn prove(bundle: &Bundle) -> Result<Proof, HardenError> {
    let applied = bundle.applied()?;
    let engine = engine(bundle);
    let (before, unknown_before) = engine.check_all(&bundle.inventory.objects);
    let (after, unknown_after) = engine.check_all(&applied);
    let claimed = bundle.claimed();
    let (b, a) = (by_code(&before), by_code(&after));
    let codes: BTreeSet<&'static str> = b.keys().chain(a.keys()).copied().collect();
    let per_code = codes
        .into_iter()
        .map(|c| {
            (
                c,
                b.get(c).copied().unwrap_or(0),
                a.get(c).copied().unwrap_or(0),
            )
        })
        .filter(|(c, x, y)| x != y || claimed.contains(c))
        .collect();
    let unknown =
        |list: &[palisade_core::NotEvaluated], code: &str| list.iter().any(|n| n.code == code);
    let now_evaluated = unknown_before
        .iter()
        .map(|n| n.code)
        .filter(|c| !unknown(&unknown_after, c))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|c| (c, a.get(c).copied().unwrap_or(0)))
        .collect();
    let still_not_evaluated = unknown_after
        .iter()
        .map(|n| n.code)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let unresolved = after
        .iter()
        .filter(|f| f.suppressed.is_none() && claimed.contains(&f.code))
        .filter(|f| {
            !(f.code == "NP305"
                && f.location
                    .pointer()
                    .is_some_and(|p| p.ends_with("/hostNetwork")))
        })
        .cloned()
        .collect();
    let mut proof = Proof {
        before: counts(&before),
        after: counts(&after),
        per_code,
        now_evaluated,
        still_not_evaluated,
        claimed,
        unresolved,
        breakages: Vec::new(),
        leaks: Vec::new(),
        connections: 0,
        allowed_by_inventory: 0,
        workloads_evaluated: 0,
    };
    check_network(bundle, &applied, &mut proof);
    check_pod_security(bundle, &mut proof);
    Ok(proof)
}

fn check_network(bundle: &Bundle, applied: &[Object], proof: &mut Proof) {
    let inv = &bundle.inventory;
    // A policy only governs pods of its own namespace: each question needs the policies of the
    // two ends' namespaces (and every Namespace, for namespace selectors). One model per pair of
    // namespaces keeps each question from scanning every policy of the cluster.
    let options = Options::for_version(bundle.version);
    let mut by_namespace: HashMap<&str, Vec<&Object>> = HashMap::new();
    let mut namespace_objects = Vec::new();
    for o in applied {
        if palisade_rules::netpol::is_network_policy(o) {
            by_namespace
                .entry(o.namespace().unwrap_or(crate::inventory::DEFAULT_NAMESPACE))
                .or_default()
                .push(o);
        } else if o.kind() == "Namespace" && o.group().is_empty() {
            namespace_objects.push(o);
        }
    }
    let mut networks: HashMap<(String, String), Network<'_>> = HashMap::new();
    let namespace_of = |e: &Endpoint| match e {
        Endpoint::Pod(p) => p.namespace.clone(),
        Endpoint::Address(_) => String::new(),
    };
    let hardened: BTreeSet<&str> = bundle
        .network
        .namespaces
        .iter()
        .map(String::as_str)
        .collect();
    // A connection that should be blocked but that only the inventory's own policies allow is
    // theirs to fix, not the bundle's: it is counted apart.
    let from_bundle = |network: &Network<'_>, i: usize| {
        let o = network.policies[i].object;
        let generated = o
            .name()
            .is_some_and(|n| n.starts_with("palisade-") || n.starts_with("deny-dashboard"));
        generated
            && matches!(&o.origin,
                palisade_core::Origin::File { path, .. } if path.starts_with("bundle/"))
    };
    let mut must = |proof: &mut Proof, from: &Endpoint, to: &Endpoint, port, allow: bool, what| {
        proof.connections += 1;
        let key = (namespace_of(from), namespace_of(to));
        let network = networks.entry(key).or_insert_with_key(|(a, b)| {
            let policies = [a, b]
                .into_iter()
                .filter_map(|ns| by_namespace.get(ns.as_str()))
                .enumerate()
                .filter(|(i, _)| *i == 0 || a != b)
                .flat_map(|(_, list)| list.iter().copied());
            Network::new(policies.chain(namespace_objects.iter().copied()), options)
        });
        let Ok(verdict) = network.can_reach(from, to, port) else {
            return;
        };
        if verdict.allowed() == allow {
            return;
        }
        if allow {
            proof.breakages.push(Check { what });
            return;
        }
        let ours = [&verdict.egress, &verdict.ingress]
            .into_iter()
            .any(|side| match side {
                Side::Allowed(allows) => allows.iter().any(|a| from_bundle(network, a.policy)),
                _ => false,
            });
        if ours {
            proof.leaks.push(Check { what });
        } else {
            proof.allowed_by_inventory += 1;
        }
    };
    // Pods carrying a workload's selector labels get that workload's allowances.
    let shares = |w: &crate::inventory::Workload, v: &crate::inventory::Workload| {
        v.namespace() == w.namespace()
            && v.selector
                .iter()
                .all(|(k, val)| w.pod.labels.get(k) == Some(val))
    };
    let tcp = |number| {
        Some(PortQuery {
            number,
            protocol: Protocol::Tcp,
        })
    };
    let dns = inv
        .workloads
        .iter()
        .find(|w| {
            w.namespace() == DNS_NAMESPACE
                && dns_labels()
                    .iter()
                    .all(|(k, v)| w.pod.labels.get(k) == Some(v))
        })
        .map(|w| w.pod.clone())
        .unwrap_or_else(|| Pod {
            namespace: DNS_NAMESPACE.to_owned(),
            labels: dns_labels(),
            ports: Vec::new(),
        });
    let dns = Endpoint::Pod(dns);
    for (wi, w) in inv.workloads.iter().enumerate() {
        if w.host_network || !hardened.contains(w.namespace()) {
            continue;
        }
        let from = Endpoint::Pod(w.pod.clone());
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            must(
                proof,
                &from,
                &dns,
                Some(PortQuery {
                    number: 53,
                    protocol,
                }),
                true,
                format!("{} → kube-dns 53/{protocol} (DNS)", w.describe()),
            );
        }
        must(
            proof,
            &from,
            &Endpoint::Address(METADATA_ADDRESS),
            tcp(80),
            false,
            format!("{} → 169.254.169.254:80 (cloud metadata)", w.describe()),
        );
        let mut outside: Vec<u16> = Vec::new();
        for (vi, v) in inv.workloads.iter().enumerate() {
            if vi == wi || shares(w, v) {
                outside.extend(inv.externals[vi].iter().map(|e| e.port));
                for d in &inv.dependencies[vi] {
                    let s = &inv.services[d.service];
                    if !s.backends.iter().any(|&b| !inv.workloads[b].host_network) {
                        outside.extend(
                            crate::network::outside_service_ports(s)
                                .iter()
                                .map(|(n, _)| *n),
                        );
                    }
                }
                if inv.uses_api[vi] {
                    outside.extend([443, 6443]);
                }
            }
        }
        if let Some(closed) = [443, 25, 22, 8443]
            .into_iter()
            .find(|p| !outside.contains(p))
        {
            must(
                proof,
                &from,
                &Endpoint::Address(OUTSIDE),
                tcp(closed),
                false,
                format!(
                    "{} → {OUTSIDE}:{closed} (outside, not needed)",
                    w.describe()
                ),
            );
        }
        for e in &inv.externals[wi] {
            must(
                proof,
                &from,
                &Endpoint::Address(OUTSIDE),
                tcp(e.port),
                true,
                format!(
                    "{} → {}:{} (outside, configured)",
                    w.describe(),
                    e.host,
                    e.port
                ),
            );
        }
    }
    for a in &bundle.network.allowances {
        let s = &inv.services[a.service];
        for &bi in &s.backends {
            let backend = &inv.workloads[bi];
            if backend.host_network {
                continue;
            }
            // What every allowance reaching this backend's pods lets in (Services overlap).
            let reaching: Vec<&crate::network::Allowance> = bundle
                .network
                .allowances
                .iter()
                .filter(|x| {
                    inv.services[x.service]
                        .backends
                        .iter()
                        .any(|&b| b == bi || shares(backend, &inv.workloads[b]))
                })
                .collect();
            let any_namespace = reaching
                .iter()
                .flat_map(|x| &x.clients)
                .any(|c| matches!(c, Client::AnyNamespace(_)));
            let namespace_wide = reaching.iter().flat_map(|x| &x.clients).any(|c| match c {
                Client::Namespace => true,
                Client::Workload(w, _) => inv.workloads[*w].selector.is_empty(),
                _ => false,
            });
            let to = Endpoint::Pod(backend.pod.clone());
            for p in &s.ports {
                let number = match &p.target {
                    Target::Number(n) => Some(*n),
                    Target::Name(name) => backend.pod.named_port(name, p.protocol),
                };
                let Some(number) = number else { continue };
                let port = Some(PortQuery {
                    number,
                    protocol: p.protocol,
                });
                let target = format!(
                    "{} (Service {}/{} {number}/{})",
                    backend.describe(),
                    s.namespace,
                    s.name,
                    p.protocol
                );
                for c in &a.clients {
                    let (from, who) = match c {
                        Client::Workload(w, _) => {
                            let w = &inv.workloads[*w];
                            if w.host_network {
                                continue;
                            }
                            (Endpoint::Pod(w.pod.clone()), w.describe())
                        }
                        Client::Namespace => (
                            probe(&s.namespace, "neighbour"),
                            format!("a pod of namespace {}", s.namespace),
                        ),
                        Client::AnyNamespace(_) => (
                            probe(ELSEWHERE, "client"),
                            "a pod of another namespace".into(),
                        ),
                        Client::External(_) => {
                            (Endpoint::Address(OUTSIDE), format!("{OUTSIDE} (outside)"))
                        }
                    };
                    must(proof, &from, &to, port, true, format!("{who} → {target}"));
                }
                if !any_namespace {
                    must(
                        proof,
                        &probe(ELSEWHERE, "stranger"),
                        &to,
                        port,
                        false,
                        format!("a pod of another namespace → {target}"),
                    );
                }
                if !any_namespace && !namespace_wide {
                    must(
                        proof,
                        &probe(&s.namespace, "stranger"),
                        &to,
                        port,
                        false,
                        format!("a pod of {} that is no client → {target}", s.namespace),
                    );
                }
            }
        }
    }
    // Pairs inside a namespace that had no policies of its own.
    let had_policies: BTreeSet<&str> = inv
        .objects
        .iter()
        .filter(|o| palisade_rules::netpol::is_network_policy(o))
        .filter_map(|o| o.namespace())
        .collect();
    for ns in &hardened {
        if had_policies.contains(ns) {
            continue;
        }
        let members: Vec<usize> = inv
            .workloads_in(ns)
            .filter(|&i| !inv.workloads[i].host_network)
            .collect();
        if members.len() > PAIRWISE_LIMIT {
            continue;
        }
        for &x in &members {
            for &y in &members {
                if x == y {
                    continue;
                }
                let expected = bundle.network.allowances.iter().any(|a| {
                    inv.services[a.service].backends.contains(&y)
                        && a.clients.iter().any(|c| match c {
                            Client::Workload(w, _) => {
                                *w == x || shares(&inv.workloads[x], &inv.workloads[*w])
                            }
                            Client::Namespace | Client::AnyNamespace(_) => true,
                            Client::External(_) => false,
                        })
                });
                if expected {
                    continue;
                }
                let (wx, wy) = (&inv.workloads[x], &inv.workloads[y]);
                // Cluster DNS answers everyone (on 53).
                if crate::network::is_dns_pod(wy.namespace(), &wy.pod.labels) {
                    continue;
                }
                // Pods that share labels are selected by each other's allowances.
                if shares(wx, wy) || shares(wy, wx) {
                    continue;
                }
                must(
                    proof,
                    &Endpoint::Pod(wx.pod.clone()),
                    &Endpoint::Pod(wy.pod.clone()),
                    None,
                    false,
                    format!(
                        "{} → {} (no Service relation)",
                        wx.describe(),
                        wy.describe()
                    ),
                );
            }
        }
    }
}

fn check_pod_security(bundle: &Bundle, proof: &mut Proof) {
    let inv = &bundle.inventory;
    let at = psa::pinned(bundle.version);
    for c in &bundle.psa {
        if c.kept_existing.is_some() || c.enforce == Level::Privileged {
            continue;
        }
        for i in psa::pod_objects(inv, &c.namespace) {
            let o = &inv.objects[i];
            proof.workloads_evaluated += 1;
            let failing = psa::failing(o, c.enforce, at);
            if !failing.is_empty() {
                proof.breakages.push(Check {
                    what: format!(
                        "{} {}/{} would be rejected at {} {} ({})",
                        o.kind(),
                        c.namespace,
                        o.name().unwrap_or("(unnamed)"),
                        c.enforce,
                        c.version,
                        failing.join(", ")
                    ),
                });
            }
        }
    }
}
