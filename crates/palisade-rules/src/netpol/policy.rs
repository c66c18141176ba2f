//! NetworkPolicy objects read into the model the evaluator uses, with the API server's defaults
//! (`policyTypes`, protocol TCP, absent lists) applied and its validation errors collected.

use std::fmt;
use std::net::IpAddr;

use palisade_core::cidr::Cidr;
use palisade_core::yaml::{Node, ScalarKind, Value};
use palisade_core::Object;

use super::selector::Selector;
use super::{namespace_of, PolicyError};

/// Traffic direction, from the point of view of the pod a policy selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The `policyTypes` entry.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// `from` or `to`: the field of a rule listing its peers.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

/// IP protocol of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// The API spelling (`TCP`); the API server is case-sensitive, so is this.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `port` of a `NetworkPolicyPort`: a number or the name of a container port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

/// One entry of a rule's `ports`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortSpec {
    pub pointer: String,
    pub protocol: Protocol,
    /// `None`: every port of the protocol.
    pub port: Option<PortRef>,
    /// Last port of a range starting at a numeric `port`.
    pub end_port: Option<u16>,
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.port, self.end_port) {
            (None, _) => write!(f, "every {} port", self.protocol),
            (Some(PortRef::Number(p)), Some(e)) => write!(f, "{p}-{e}/{}", self.protocol),
            (Some(PortRef::Number(p)), None) => write!(f, "{p}/{}", self.protocol),
            (Some(PortRef::Name(n)), _) => write!(f, "{n}/{} (named)", self.protocol),
        }
    }
}

/// One entry of a rule's `from`/`to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peer {
    /// Pods chosen by label: `pods` absent means every pod of the chosen namespaces;
    /// `namespaces` absent means the policy's own namespace.
    Pods {
        pointer: String,
        pods: Option<Selector>,
        namespaces: Option<Selector>,
    },
    /// Addresses (meant to be outside the cluster).
    IpBlock { pointer: String, block: IpBlock },
}

impl Peer {
    pub fn pointer(&self) -> &str {
        match self {
            Peer::Pods { pointer, .. } | Peer::IpBlock { pointer, .. } => pointer,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Pods {
                pods, namespaces, ..
            } => {
                let pods = match pods {
                    None => "every pod".to_owned(),
                    Some(s) if s.is_empty() => "every pod".to_owned(),
                    Some(s) => format!("pods {s}"),
                };
                match namespaces {
                    None => write!(f, "{pods} of the policy's namespace"),
                    Some(s) if s.is_empty() => write!(f, "{pods} of every namespace"),
                    Some(s) => write!(f, "{pods} of namespaces {s}"),
                }
            }
            Peer::IpBlock { block, .. } => write!(f, "ipBlock {block}"),
        }
    }
}

/// `ipBlock`: addresses in `cidr` but in none of `except`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpBlock {
    pub cidr: Cidr,
    pub except: Vec<Cidr>,
}

impl IpBlock {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.cidr.contains(ip) && !self.except.iter().any(|e| e.contains(ip))
    }
}

impl fmt::Display for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cidr)?;
        if !self.except.is_empty() {
            let except: Vec<String> = self.except.iter().map(Cidr::to_string).collect();
            write!(f, " except {}", except.join(", "))?;
        }
        Ok(())
    }
}

/// One ingress or egress rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyRule {
    pub pointer: String,
    /// `None`: the rule has no (or an empty) `from`/`to` and matches every peer.
    pub peers: Option<Vec<Peer>>,
    /// `None`: no (or empty) `ports`, every port and protocol.
    pub ports: Option<Vec<PortSpec>>,
}

impl PolicyRule {
    /// Matches every peer on every port: `- {}`.
    pub fn allows_everything(&self) -> bool {
        self.peers.is_none() && self.ports.is_none()
    }
}

/// A NetworkPolicy with upstream defaults applied.
#[derive(Clone, Debug)]
pub struct Policy<'a> {
    pub object: &'a Object,
    pub namespace: String,
    pub name: String,
    pub pod_selector: Selector,
    /// `policyTypes` after defaulting: Ingress always, Egress when egress rules exist.
    pub affects_ingress: bool,
    pub affects_egress: bool,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
}

impl<'a> Policy<'a> {
    /// Whether the policy restricts `direction` for the pods it selects.
    pub fn affects(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.affects_ingress,
            Direction::Egress => self.affects_egress,
        }
    }

    /// The rules of one direction (empty when the policy does not affect it: rules of a direction
    /// missing from an explicit `policyTypes` are ignored).
    pub fn rules(&self, direction: Direction) -> &[PolicyRule] {
        match direction {
            Direction::Ingress if self.affects_ingress => &self.ingress,
            Direction::Egress if self.affects_egress => &self.egress,
            _ => &[],
        }
    }

    /// `namespace/name`.
    pub fn display_name(&self) -> String {
        format!("{}/{}", super::namespace_name(&self.namespace), self.name)
    }

    /// Whether the policy applies to every pod of its namespace (`podSelector: {}`).
    pub fn selects_all(&self) -> bool {
        self.pod_selector.is_empty()
    }

    /// Isolates every pod of its namespace for `direction` without allowing everything: a
    /// "default deny" (possibly with exceptions, such as DNS).
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.selects_all()
            && self.affects(direction)
            && !self
                .rules(direction)
                .iter()
                .any(PolicyRule::allows_everything)
    }
}

/// Whether an object is a NetworkPolicy (`networking.k8s.io/v1`, or the old
/// `extensions/v1beta1`).
pub fn is_network_policy(o: &Object) -> bool {
    o.kind() == "NetworkPolicy" && matches!(o.group(), "networking.k8s.io" | "extensions")
}

/// Reads a NetworkPolicy. The policy is returned with every problem the API server would reject
/// it for; a caller evaluating traffic should ignore a policy with errors, since it would not
/// exist in a cluster.
pub fn parse(object: &Object) -> (Policy<'_>, Vec<PolicyError>) {
    let mut errors = Vec::new();
    let spec = object.node.get("spec");
    let null = Node {
        value: Value::Scalar(palisade_core::yaml::Scalar::new(
            "",
            ScalarKind::Null,
            false,
        )),
        span: object.node.span,
    };
    let spec = spec.unwrap_or(&null);
    if !spec.is_null() && spec.as_map().is_none() {
        errors.push(PolicyError::new("/spec", "spec must be a mapping"));
    }
    // `podSelector` is not a pointer upstream: absent or null is `{}`, every pod.
    let pod_selector = match spec.get("podSelector") {
        Some(n) => Selector::parse(n, "/spec/podSelector", &mut errors),
        None => Selector::default(),
    };
    let ingress = parse_rules(spec, Direction::Ingress, &mut errors);
    let egress = parse_rules(spec, Direction::Egress, &mut errors);
    let types = spec.get("policyTypes").map(Node::items).unwrap_or(&[]);
    let (affects_ingress, affects_egress) = if types.is_empty() {
        (true, !egress.is_empty())
    } else {
        if types.len() > 2 {
            errors.push(PolicyError::new(
                "/spec/policyTypes",
                "may not list more than two policyTypes",
            ));
        }
        let mut ingress_type = false;
        let mut egress_type = false;
        for (i, t) in types.iter().enumerate() {
            match t.as_str() {
                Some("Ingress") => ingress_type = true,
                Some("Egress") => egress_type = true,
                other => errors.push(PolicyError::new(
                    format!("/spec/policyTypes/{i}"),
                    format!(
                        "policy type {} is not Ingress or Egress (case-sensitive)",
                        other.map_or_else(|| "(not a string)".to_owned(), |s| format!("{s:?}"))
                    ),
                )),
            }
        }
        (ingress_type, egress_type)
    };
    let policy = Policy {
        object,
        namespace: namespace_of(object).to_owned(),
        name: object.name().unwrap_or("").to_owned(),
        pod_selector,
        affects_ingress,
        affects_egress,
        ingress,
        egress,
    };
    (policy, errors)
}

fn parse_rules(
    spec: &Node,
    direction: Direction,
    errors: &mut Vec<PolicyError>,
) -> Vec<PolicyRule> {
    let field = direction.as_str();
    let Some(list) = spec.get(field).filter(|n| !n.is_null()) else {
        return Vec::new();
    };
    if list.as_seq().is_none() {
        errors.push(PolicyError::new(
            format!("/spec/{field}"),
            format!("{field} must be a list of rules"),
        ));
    }
    list.items()
        .iter()
        .enumerate()
        .map(|(i, rule)| {
            let pointer = format!("/spec/{field}/{i}");
            if !rule.is_null() && rule.as_map().is_none() {
                errors.push(PolicyError::new(&pointer, "a rule must be a mapping"));
            }
            let peers_field = direction.peers_field();
            let peers: Vec<Peer> = rule
                .get(peers_field)
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter_map(|(j, p)| parse_peer(p, &format!("{pointer}/{peers_field}/{j}"), errors))
                .collect();
            let peers_given = rule.get(peers_field).is_some_and(|n| !n.items().is_empty());
            let ports: Vec<PortSpec> = rule
                .get("ports")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .filter_map(|(j, p)| parse_port(p, &format!("{pointer}/ports/{j}"), errors))
                .collect();
            let ports_given = rule.get("ports").is_some_and(|n| !n.items().is_empty());
            PolicyRule {
                pointer,
                // An entry that could not be read still makes the list non-empty: the rule then
                // matches fewer peers, never all of them.
                peers: peers_given.then_some(peers),
                ports: ports_given.then_some(ports),
            }
        })
        .collect()
}

fn parse_peer(node: &Node, pointer: &str, errors: &mut Vec<PolicyError>) -> Option<Peer> {
    let present = |k: &str| node.get(k).filter(|n| !n.is_null());
    let pods = present("podSelector")
        .map(|n| Selector::parse(n, &format!("{pointer}/podSelector"), errors));
    let namespaces = present("namespaceSelector")
        .map(|n| Selector::parse(n, &format!("{pointer}/namespaceSelector"), errors));
    let block = present("ipBlock");
    match (block, &pods, &namespaces) {
        (None, None, None) => {
            errors.push(PolicyError::new(
                pointer,
                "a peer must set podSelector, namespaceSelector or ipBlock",
            ));
            None
        }
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            errors.push(PolicyError::new(
                pointer,
                "a peer may not set ipBlock together with podSelector or namespaceSelector",
            ));
            None
        }
        (Some(b), None, None) => {
            parse_ip_block(b, &format!("{pointer}/ipBlock"), errors).map(|block| Peer::IpBlock {
                pointer: pointer.to_owned(),
                block,
            })
        }
        (None, _, _) => Some(Peer::Pods {
            pointer: pointer.to_owned(),
            pods,
            namespaces,
        }),
    }
}

fn parse_ip_block(node: &Node, pointer: &str, errors: &mut Vec<PolicyError>) -> Option<IpBlock> {
    let Some(text) = node.get("cidr").and_then(Node::as_str) else {
        errors.push(PolicyError::new(
            format!("{pointer}/cidr"),
            "ipBlock needs a cidr",
        ));
        return None;
    };
    // As the API server validates it (ParseCIDRSloppy), so a stored policy reads as stored.
    let cidr = match Cidr::parse_sloppy(text) {
        Ok(cidr) => cidr,
        Err(e) => {
            errors.push(PolicyError::new(
                format!("{pointer}/cidr"),
                format!("{text:?} is not a CIDR (ADDRESS/PREFIX): {e}"),
            ));
            return None;
        }
    };
    let mut except = Vec::new();
    for (i, e) in node
        .get("except")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let at = format!("{pointer}/except/{i}");
        let text = e.as_str().unwrap_or("");
        match Cidr::parse_sloppy(text) {
            Ok(c) if cidr.strictly_contains(&c) => except.push(c),
            Ok(c) => errors.push(PolicyError::new(
                at,
                format!("except {c} is not a strict subset of cidr {cidr}"),
            )),
            Err(e) => errors.push(PolicyError::new(at, format!("{text:?} is not a CIDR: {e}"))),
        }
    }
    Some(IpBlock { cidr, except })
}

fn parse_port(node: &Node, pointer: &str, errors: &mut Vec<PolicyError>) -> Option<PortSpec> {
    let protocol = match node.get("protocol").filter(|n| !n.is_null()) {
        None => Protocol::Tcp,
        Some(p) => match p.as_str().and_then(Protocol::parse) {
            Some(p) => p,
            None => {
                errors.push(PolicyError::new(
                    format!("{pointer}/protocol"),
                    format!(
                        "protocol {:?} is not TCP, UDP or SCTP (case-sensitive)",
                        p.as_str().unwrap_or("")
                    ),
                ));
                return None;
            }
        },
    };
    let port = match node.get("port").filter(|n| !n.is_null()) {
        None => None,
        Some(p) => match port_ref(p) {
            Ok(r) => Some(r),
            Err(message) => {
                errors.push(PolicyError::new(format!("{pointer}/port"), message));
                return None;
            }
        },
    };
    let end_port = match node.get("endPort").filter(|n| !n.is_null()) {
        None => None,
        Some(e) => {
            let end = e
                .as_i64()
                .filter(|_| !e.as_scalar().is_some_and(|s| s.quoted))
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0);
            let at = format!("{pointer}/endPort");
            match (end, &port) {
                (None, _) => {
                    errors.push(PolicyError::new(
                        at,
                        "endPort must be a port number (1-65535)",
                    ));
                    return None;
                }
                (Some(_), None) => {
                    errors.push(PolicyError::new(at, "endPort needs a numeric port"));
                    return None;
                }
                (Some(_), Some(PortRef::Name(_))) => {
                    errors.push(PolicyError::new(at, "endPort cannot follow a named port"));
                    return None;
                }
                (Some(e), Some(PortRef::Number(p))) if e < *p => {
                    errors.push(PolicyError::new(
                        at,
                        format!("endPort {e} is below port {p}"),
                    ));
                    return None;
                }
                (Some(e), Some(PortRef::Number(_))) => Some(e),
            }
        }
    };
    Some(PortSpec {
        pointer: pointer.to_owned(),
        protocol,
        port,
        end_port,
    })
}

/// An `IntOrString` port: an unquoted integer is a number (1-65535), a string is a port name
/// (`IANA_SVC_NAME`: at most 15 lowercase letters, digits and `-`, with a letter, no `--`, not
/// starting or ending with `-`). A quoted `"80"` is a string, and not a valid name.
fn port_ref(node: &Node) -> Result<PortRef, String> {
    let scalar = node
        .as_scalar()
        .ok_or("port must be a number or a port name")?;
    if let (ScalarKind::Int(n), false) = (scalar.kind(), scalar.quoted) {
        return u16::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .map(PortRef::Number)
            .ok_or_else(|| format!("port {n} is not between 1 and 65535"));
    }
    let name = &*scalar.text;
    if is_port_name(name) {
        Ok(PortRef::Name(name.to_owned()))
    } else {
        Err(format!(
            "port {name:?} is neither a number nor a valid port name (up to 15 lowercase \
             letters, digits and '-', with at least one letter)"
        ))
    }
}

/// `IsValidPortName` of the API server.
pub fn is_port_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}
