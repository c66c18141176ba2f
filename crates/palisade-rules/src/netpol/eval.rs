//! The verdict on one connection: may `from` open a connection to `to` on a port?
//!
//! Upstream semantics: a pod is *isolated* for a direction when at least one NetworkPolicy
//! selecting it has that policy type; a non-isolated pod accepts (or sends) everything. An
//! isolated pod allows what the union of the matching rules of all those policies allows. A
//! connection between two pods needs both the egress side (the source's policies) and the ingress
//! side (the destination's policies) to allow it; an address outside the cluster has no policies.

use std::collections::HashMap;
use std::net::IpAddr;

use palisade_core::{KubeVersion, Object};

use super::policy::{self, Direction, Peer, Policy, PolicyRule, PortRef, PortSpec, Protocol};
use super::selector::Labels;
use super::{namespace_key, namespace_name, PolicyError, NAMESPACE_NAME_LABEL};

/// A port a container declares (`containerPort`, with its `name` and `protocol`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub number: u16,
    pub protocol: Protocol,
}

/// A pod, as far as NetworkPolicies care: its namespace, labels and the ports its containers
/// name (for named ports in rules).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pod {
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
}

impl Pod {
    /// The number of the container port `name` for `protocol`.
    pub fn named_port(&self, name: &str, protocol: Protocol) -> Option<u16> {
        self.ports
            .iter()
            .find(|p| p.name.as_deref() == Some(name) && p.protocol == protocol)
            .map(|p| p.number)
    }
}

/// One end of a connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    Pod(Pod),
    /// An address outside the cluster.
    Address(IpAddr),
}

impl Endpoint {
    fn pod(&self) -> Option<&Pod> {
        match self {
            Endpoint::Pod(p) => Some(p),
            Endpoint::Address(_) => None,
        }
    }
}

/// The destination port of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortQuery {
    pub number: u16,
    pub protocol: Protocol,
}

/// Version-dependent behaviour of the API server and network plugins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// `endPort` is honoured (on by default from Kubernetes 1.22; before, the field is dropped
    /// and only `port` counts).
    pub end_port: bool,
    /// Namespaces carry `kubernetes.io/metadata.name` (on by default from 1.21).
    pub namespace_name_label: bool,
    /// Objects without `metadata.namespace` are in the namespace they are applied to, which the
    /// files do not say. `false`: they are all in `default`. `true`: those of one directory are
    /// in one namespace, those of another directory in another (a scan of many unrelated
    /// applications, each applied with `kubectl apply -f DIR`); see [`super::namespace_key`].
    pub unset_namespace_per_directory: bool,
}

impl Options {
    pub fn for_version(v: KubeVersion) -> Options {
        Options {
            end_port: v >= KubeVersion::v1(22),
            namespace_name_label: v >= KubeVersion::v1(21),
            unset_namespace_per_directory: false,
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options::for_version(KubeVersion::LATEST)
    }
}

/// The NetworkPolicies and Namespaces of an inventory, ready to answer reachability questions.
#[derive(Debug)]
pub struct Network<'a> {
    /// Valid policies, in input order.
    pub policies: Vec<Policy<'a>>,
    /// Policies the API server would reject (they do not exist in a cluster), with why.
    pub invalid: Vec<(Policy<'a>, Vec<PolicyError>)>,
    namespaces: HashMap<String, Labels>,
    options: Options,
}

/// Which rule of which policy allows a connection, and on which of its ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    /// Index into [`Network::policies`].
    pub policy: usize,
    pub direction: Direction,
    /// Index of the rule in the policy's rules of `direction`.
    pub rule: usize,
    /// Index of the peer that matched; `None` when the rule matches every peer.
    pub peer: Option<usize>,
    /// Indexes of the port entries that matched; empty when the rule allows every port.
    pub ports: Vec<usize>,
}

/// The verdict of one side (egress of the source, ingress of the destination).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// That end is an address outside the cluster: no NetworkPolicy applies to it.
    External,
    /// No policy of this direction selects the pod: everything is allowed.
    NotIsolated,
    /// Isolated, and these rules allow the connection.
    Allowed(Vec<Allow>),
    /// Isolated by these policies (indexes), and none of their rules allows the connection.
    /// `notes` say what could not be matched (named ports, ipBlocks against pods).
    Denied {
        isolated_by: Vec<usize>,
        notes: Vec<String>,
    },
}

impl Side {
    pub fn allows(&self) -> bool {
        !matches!(self, Side::Denied { .. })
    }
}

/// The answer for one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub egress: Side,
    pub ingress: Side,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.egress.allows() && self.ingress.allows()
    }
}

/// Error for a question the model cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("both ends are addresses outside the cluster; NetworkPolicies only govern pods")]
    NoPod,
}

impl<'a> Network<'a> {
    /// Reads the NetworkPolicies and Namespaces among `objects`; other objects are ignored.
    pub fn new(objects: impl IntoIterator<Item = &'a Object>, options: Options) -> Network<'a> {
        let mut network = Network {
            policies: Vec::new(),
            invalid: Vec::new(),
            namespaces: HashMap::new(),
            options,
        };
        for o in objects {
            if policy::is_network_policy(o) {
                let (mut p, errors) = policy::parse(o);
                p.namespace = namespace_key(o, options.unset_namespace_per_directory);
                if errors.is_empty() {
                    network.policies.push(p);
                } else {
                    network.invalid.push((p, errors));
                }
            } else if o.kind() == "Namespace" && o.group().is_empty() {
                if let Some(name) = o.name() {
                    let labels = o
                        .node
                        .path(&["metadata", "labels"])
                        .map(|l| l.entries())
                        .unwrap_or(&[])
                        .iter()
                        .filter_map(|e| Some((e.key.to_string(), e.value.as_str()?.to_owned())))
                        .collect();
                    network.namespaces.insert(name.to_owned(), labels);
                }
            }
        }
        network
    }

    pub fn options(&self) -> Options {
        self.options
    }

    /// Whether a Namespace object of this name was in the input.
    pub fn knows_namespace(&self, name: &str) -> bool {
        self.namespaces.contains_key(name)
    }

    /// The labels of a namespace: those of its Namespace object when the input has one, plus the
    /// automatic `kubernetes.io/metadata.name` (which the API server sets to the name, whatever
    /// the object says).
    pub fn namespace_labels(&self, name: &str) -> Labels {
        let mut labels = self.namespaces.get(name).cloned().unwrap_or_default();
        if self.options.namespace_name_label {
            labels.insert(
                NAMESPACE_NAME_LABEL.to_owned(),
                namespace_name(name).to_owned(),
            );
        }
        labels
    }

    /// Indexes of the policies that select `pod` (any direction).
    pub fn selecting(&self, pod: &Pod) -> Vec<usize> {
        self.policies
            .iter()
            .enumerate()
            .filter(|(_, p)| p.namespace == pod.namespace && p.pod_selector.matches(&pod.labels))
            .map(|(i, _)| i)
            .collect()
    }

    /// Indexes of the policies that isolate `pod` for `direction`.
    pub fn isolating(&self, pod: &Pod, direction: Direction) -> Vec<usize> {
        self.selecting(pod)
            .into_iter()
            .filter(|&i| self.policies[i].affects(direction))
            .collect()
    }

    /// May `from` open a connection to `to` (on `port`, or on some port when `None`)?
    pub fn can_reach(
        &self,
        from: &Endpoint,
        to: &Endpoint,
        port: Option<PortQuery>,
    ) -> Result<Verdict, QueryError> {
        if from.pod().is_none() && to.pod().is_none() {
            return Err(QueryError::NoPod);
        }
        let egress = match from {
            Endpoint::Pod(src) => self.side(src, Direction::Egress, to, to.pod(), port),
            Endpoint::Address(_) => Side::External,
        };
        let ingress = match to {
            Endpoint::Pod(dst) => self.side(dst, Direction::Ingress, from, Some(dst), port),
            Endpoint::Address(_) => Side::External,
        };
        Ok(Verdict { egress, ingress })
    }

    /// One side: the policies of `pod` for `direction`, against the `other` end. `dst` is the
    /// destination pod, against whose container ports named ports are resolved.
    fn side(
        &self,
        pod: &Pod,
        direction: Direction,
        other: &Endpoint,
        dst: Option<&Pod>,
        port: Option<PortQuery>,
    ) -> Side {
        let isolated_by = self.isolating(pod, direction);
        if isolated_by.is_empty() {
            return Side::NotIsolated;
        }
        let mut allows = Vec::new();
        let mut notes = Vec::new();
        for &i in &isolated_by {
            let policy = &self.policies[i];
            for (r, rule) in policy.rules(direction).iter().enumerate() {
                let Some(peer) = self.peer_match(policy, rule, other, &mut notes) else {
                    continue;
                };
                let Some(ports) = port_match(rule, dst, port, self.options, &mut notes) else {
                    continue;
                };
                allows.push(Allow {
                    policy: i,
                    direction,
                    rule: r,
                    peer,
                    ports,
                });
            }
        }
        if allows.is_empty() {
            notes.sort();
            notes.dedup();
            Side::Denied { isolated_by, notes }
        } else {
            Side::Allowed(allows)
        }
    }

    /// `Some(None)` when the rule matches every peer, `Some(Some(i))` when its peer `i` matches
    /// `other`, `None` when no peer does.
    fn peer_match(
        &self,
        policy: &Policy<'_>,
        rule: &PolicyRule,
        other: &Endpoint,
        notes: &mut Vec<String>,
    ) -> Option<Option<usize>> {
        let Some(peers) = &rule.peers else {
            return Some(None);
        };
        peers
            .iter()
            .position(|peer| self.peer_matches(policy, peer, other, notes))
            .map(Some)
    }

    fn peer_matches(
        &self,
        policy: &Policy<'_>,
        peer: &Peer,
        other: &Endpoint,
        notes: &mut Vec<String>,
    ) -> bool {
        match (peer, other) {
            (
                Peer::Pods {
                    pods, namespaces, ..
                },
                Endpoint::Pod(p),
            ) => {
                let ns_ok = match namespaces {
                    None => p.namespace == policy.namespace,
                    Some(sel) => sel.matches(&self.namespace_labels(&p.namespace)),
                };
                ns_ok && pods.as_ref().is_none_or(|sel| sel.matches(&p.labels))
            }
            (Peer::Pods { .. }, Endpoint::Address(_)) => false,
            (Peer::IpBlock { block, .. }, Endpoint::Address(ip)) => block.contains(*ip),
            (Peer::IpBlock { block, .. }, Endpoint::Pod(_)) => {
                notes.push(format!(
                    "ipBlock {block} of {} was not matched against the pod: pod addresses are \
                     not known from manifests (ipBlock is meant for addresses outside the cluster)",
                    policy.display_name()
                ));
                false
            }
        }
    }
}

/// The port entries of `rule` that allow the connection: `Some(vec![])` when the rule allows
/// every port, `None` when no entry does.
fn port_match(
    rule: &PolicyRule,
    dst: Option<&Pod>,
    query: Option<PortQuery>,
    options: Options,
    notes: &mut Vec<String>,
) -> Option<Vec<usize>> {
    let Some(specs) = &rule.ports else {
        return Some(Vec::new());
    };
    let hits: Vec<usize> = specs
        .iter()
        .enumerate()
        .filter(|(_, s)| spec_matches(s, dst, query, options, notes))
        .map(|(i, _)| i)
        .collect();
    (!hits.is_empty()).then_some(hits)
}

fn spec_matches(
    spec: &PortSpec,
    dst: Option<&Pod>,
    query: Option<PortQuery>,
    options: Options,
    notes: &mut Vec<String>,
) -> bool {
    if query.is_some_and(|q| q.protocol != spec.protocol) {
        return false;
    }
    let number = query.map(|q| q.number);
    match &spec.port {
        None => true,
        Some(PortRef::Number(p)) => match (number, spec.end_port.filter(|_| options.end_port)) {
            (None, _) => true,
            (Some(n), Some(end)) => (*p..=end).contains(&n),
            (Some(n), None) => n == *p,
        },
        Some(PortRef::Name(name)) => match dst.and_then(|d| d.named_port(name, spec.protocol)) {
            Some(resolved) => number.is_none_or(|n| n == resolved),
            None => {
                notes.push(match dst {
                    Some(_) => format!(
                        "named port {name:?} ({}) did not resolve: the destination pod declares \
                         no container port of that name and protocol (in the input)",
                        spec.protocol
                    ),
                    None => {
                        format!("named port {name:?} cannot match an address outside the cluster")
                    }
                });
                false
            }
        },
    }
}

/// The pod a workload (or pod) of the input runs: namespace, pod labels, container ports.
pub fn pod_of(object: &Object) -> Option<Pod> {
    pod_in(object, false)
}

/// [`pod_of`], with the namespace as [`super::namespace_key`] gives it.
pub fn pod_in(object: &Object, unset_namespace_per_directory: bool) -> Option<Pod> {
    let template = object.pod_template()?;
    let labels = template
        .metadata
        .and_then(|m| m.get("labels"))
        .map(|l| l.entries())
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.to_string(), e.value.as_str()?.to_owned())))
        .collect();
    let mut ports = Vec::new();
    for c in template.containers() {
        for p in c.node.get("ports").map(|n| n.items()).unwrap_or(&[]) {
            let Some(number) = p
                .get("containerPort")
                .and_then(|n| n.int_intent())
                .and_then(|n| u16::try_from(n).ok())
            else {
                continue;
            };
            let protocol = match p.get("protocol").and_then(|n| n.as_str()) {
                None => Protocol::Tcp,
                Some(s) => match Protocol::parse(s) {
                    Some(p) => p,
                    None => continue,
                },
            };
            ports.push(ContainerPort {
                name: p.get("name").and_then(|n| n.as_str()).map(str::to_owned),
                number,
                protocol,
            });
        }
    }
    Some(Pod {
        namespace: namespace_key(object, unset_namespace_per_directory),
        labels,
        ports,
    })
}
