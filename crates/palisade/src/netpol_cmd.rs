//! `palisade netpol can-reach`: may one pod (or an address outside the cluster) open a
//! connection to another, given the NetworkPolicies of the input, and which policy decides?
//!
//! The question must be answered fast on large inputs (a whole repository of manifests), so the
//! input is read the way `scan` reads it but only the documents that can matter are parsed: those
//! that mention `NetworkPolicy` or `Namespace` and, when a named port must be resolved, the
//! workloads that could be the destination. The filter looks at raw text and errs towards parsing:
//! a document whose text could spell a kind through escape sequences is parsed too.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use memchr::memmem;
use palisade_core::object::span_of;
use palisade_core::report::InputProblem;
use palisade_core::source::SourceLimits;
use palisade_core::{KubeVersion, Object, Origin};
use palisade_rules::netpol::{
    self, Allow, Direction, Endpoint, Network, Options, Pod, PortQuery, PortRef, Protocol, Side,
    Verdict,
};
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::scan::{self, RawInput};

#[derive(Args, Debug)]
pub struct NetpolArgs {
    #[command(subcommand)]
    pub command: NetpolCommand,
}

#[derive(Subcommand, Debug)]
pub enum NetpolCommand {
    /// Whether a connection is allowed by the NetworkPolicies of the input, and which policy
    /// decides
    #[command(
        long_about = "Whether a connection from one pod (or an address outside the cluster) to \
                      another is allowed by the NetworkPolicies of the input, with upstream \
                      semantics: a pod is isolated for a direction when some policy selecting it \
                      has that type; then only what the union of those policies' rules allows \
                      gets through. A connection between pods needs the source's egress and the \
                      destination's ingress to allow it. Prints the policy and rule (file:line) \
                      that decide.\n\n\
                      A PEER is a pod, given by its namespace and labels: `shop/app=web,tier=frontend` \
                      (`shop/` for a pod without labels), or an address outside the cluster: \
                      `203.0.113.7`. Namespace labels come from Namespace objects in the input, plus \
                      the automatic `kubernetes.io/metadata.name`. Objects without \
                      metadata.namespace are taken to be in `default`.",
        after_help = "Examples:\n  \
            palisade netpol can-reach --from shop/app=web --to shop/app=db --port 5432 k8s/\n  \
            palisade netpol can-reach --from 203.0.113.7 --to shop/app=web --port 443 k8s/\n  \
            palisade netpol can-reach --from shop/app=web --to 169.254.169.254 --port 80 k8s/\n  \
            palisade netpol can-reach --from dev/ --to shop/app=api --port http k8s/\n\n\
            Exit codes: 0 reachable, 1 blocked, 2 usage or input error."
    )]
    CanReach(CanReachArgs),
}

#[derive(Args, Debug)]
pub struct CanReachArgs {
    /// Source: NAMESPACE/LABELS (`shop/app=web`) or an IP address
    #[arg(long, value_name = "PEER")]
    pub from: String,

    /// Destination: NAMESPACE/LABELS (`shop/app=db`) or an IP address
    #[arg(long, value_name = "PEER")]
    pub to: String,

    /// Destination port: a number or the name of a container port of the destination workload,
    /// with an optional protocol (`5432`, `53/UDP`, `http`) [default: any port; protocol TCP]
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub port: Option<String>,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Kubernetes version of the cluster (endPort needs 1.22, the automatic namespace name
    /// label 1.21) [default: newest known]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Largest file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,

    /// Files or directories holding the NetworkPolicies (and Namespaces, workloads); `-` reads
    /// stdin
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub fn run(args: NetpolArgs) -> Result<u8> {
    match args.command {
        NetpolCommand::CanReach(a) => can_reach(a),
    }
}

/// A PEER as given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PeerArg {
    Pod {
        namespace: String,
        labels: BTreeMap<String, String>,
    },
    Address(IpAddr),
}

impl std::fmt::Display for PeerArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerArg::Address(ip) => write!(f, "{ip}"),
            PeerArg::Pod { namespace, labels } => {
                write!(f, "{namespace}/{}", show_labels(labels))
            }
        }
    }
}

fn show_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_peer(flag: &str, text: &str) -> Result<PeerArg> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(PeerArg::Address(ip));
    }
    let Some((namespace, labels)) = text.split_once('/') else {
        bail!(
            "{flag} {text:?}: expected NAMESPACE/LABELS (`shop/app=web`, `shop/` for a pod \
             without labels) or an IP address"
        );
    };
    if namespace.is_empty() || namespace.contains(['=', ',']) {
        bail!("{flag} {text:?}: the namespace before `/` is missing or not a name");
    }
    let mut map = BTreeMap::new();
    for pair in labels.split(',').filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("{flag} {text:?}: label {pair:?} is not KEY=VALUE");
        };
        if k.is_empty() {
            bail!("{flag} {text:?}: label {pair:?} has no key");
        }
        if map.insert(k.to_owned(), v.to_owned()).is_some() {
            bail!("{flag} {text:?}: label {k:?} is given twice");
        }
    }
    Ok(PeerArg::Pod {
        namespace: namespace.to_owned(),
        labels: map,
    })
}

/// `--port`: a number or a port name, with an optional protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PortArg {
    port: PortRef,
    protocol: Protocol,
}

fn parse_port(text: &str) -> Result<PortArg> {
    let (port, protocol) = match text.split_once('/') {
        Some((p, proto)) => (
            p,
            Protocol::parse(&proto.to_ascii_uppercase()).ok_or_else(|| {
                anyhow!("--port {text:?}: protocol {proto:?} is not TCP, UDP or SCTP")
            })?,
        ),
        None => (text, Protocol::Tcp),
    };
    let port = if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() {
        match port.parse::<u16>() {
            Ok(n) if n > 0 => PortRef::Number(n),
            _ => bail!("--port {text:?}: port must be between 1 and 65535"),
        }
    } else if netpol::is_port_name(port) {
        PortRef::Name(port.to_owned())
    } else {
        bail!("--port {text:?}: expected a port number or a container port name, e.g. 8080/TCP or http");
    };
    Ok(PortArg { port, protocol })
}

fn can_reach(args: CanReachArgs) -> Result<u8> {
    let from = parse_peer("--from", &args.from)?;
    let to = parse_peer("--to", &args.to)?;
    if matches!(from, PeerArg::Address(_)) && matches!(to, PeerArg::Address(_)) {
        bail!("--from and --to are both addresses outside the cluster; NetworkPolicies only govern pods");
    }
    let port = args.port.as_deref().map(parse_port).transpose()?;
    if let (
        Some(PortArg {
            port: PortRef::Name(n),
            ..
        }),
        PeerArg::Address(_),
    ) = (&port, &to)
    {
        bail!("--port {n:?}: a named port needs a destination pod, not an address");
    }
    let version: KubeVersion = match &args.kubernetes_version {
        Some(v) => v
            .parse()
            .map_err(|e| anyhow!("--kubernetes-version: {e}"))?,
        None => KubeVersion::default(),
    };
    let limits = SourceLimits {
        max_file_bytes: args.max_file_size,
        ..SourceLimits::default()
    };

    let (inputs, mut problems) = scan::expand(&args.paths);
    let texts: Vec<RawInput> = inputs
        .par_iter()
        .map(|i| scan::read_input(i, &limits))
        .collect();
    let policy_needles = Needles::kinds(&["NetworkPolicy", "Namespace"]);
    let mut objects = load(&texts, &policy_needles, &limits, &mut problems);
    let network = Network::new(objects.iter(), Options::for_version(version));

    // The destination's container ports, for named ports in `--port` or in the policies.
    let mut destination_ports = Vec::new();
    if let PeerArg::Pod { namespace, labels } = &to {
        let named_in_policies = network.policies.iter().any(|p| {
            [Direction::Ingress, Direction::Egress].iter().any(|d| {
                p.rules(*d).iter().any(|r| {
                    r.ports
                        .iter()
                        .flatten()
                        .any(|s| matches!(s.port, Some(PortRef::Name(_))))
                })
            })
        });
        let named_query = matches!(
            &port,
            Some(PortArg {
                port: PortRef::Name(_),
                ..
            })
        );
        if named_in_policies || named_query {
            let mut words: Vec<&str> = vec!["containerPort"];
            words.extend(labels.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]));
            let workload_needles = Needles::all(&words);
            let workloads = load(&texts, &workload_needles, &limits, &mut problems);
            destination_ports = ports_of_matching(&workloads, namespace, labels);
            objects.extend(workloads);
        }
    }
    // `network` borrows `objects`; rebuild it now that the vector is final.
    let network = Network::new(objects.iter(), Options::for_version(version));

    let query =
        match &port {
            None => None,
            Some(PortArg {
                port: PortRef::Number(n),
                protocol,
            }) => Some(PortQuery {
                number: *n,
                protocol: *protocol,
            }),
            Some(PortArg {
                port: PortRef::Name(name),
                protocol,
            }) => {
                let numbers: Vec<u16> = destination_ports
                    .iter()
                    .filter(|p| p.name.as_deref() == Some(name) && p.protocol == *protocol)
                    .map(|p| p.number)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                match numbers.as_slice() {
                    [n] => Some(PortQuery {
                        number: *n,
                        protocol: *protocol,
                    }),
                    [] => bail!(
                    "--port {name}: no workload in the input matching {to} declares a {protocol} \
                     container port named {name:?}; give the port number instead"
                ),
                    many => bail!(
                    "--port {name}: workloads matching {to} give {name:?} different numbers ({}); \
                     give the port number instead",
                    many.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
                ),
                }
            }
        };

    let endpoint = |p: &PeerArg, ports: Vec<netpol::ContainerPort>| match p {
        PeerArg::Address(ip) => Endpoint::Address(*ip),
        PeerArg::Pod { namespace, labels } => Endpoint::Pod(Pod {
            namespace: namespace.clone(),
            labels: labels.clone(),
            ports,
        }),
    };
    let verdict = network
        .can_reach(
            &endpoint(&from, Vec::new()),
            &endpoint(&to, destination_ports),
            query,
        )
        .map_err(|e| anyhow!("{e}"))?;

    let question = Question {
        from: &from,
        to: &to,
        port: query,
        scope: if args.paths.iter().any(|p| p.as_os_str() == "-") {
            "in the input"
        } else {
            "in the scanned files"
        },
    };
    let mut out = crate::session::stdout();
    match args.format {
        Format::Text => write_text(&mut out, &question, &network, &verdict)?,
        Format::Json => {
            let v = to_json(&question, &network, &verdict, &problems);
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
    }
    out.flush().context("cannot write the answer")?;
    for p in &problems {
        match p.pos {
            Some(pos) => eprintln!("error: {}:{pos}: {}", p.path, p.message),
            None => eprintln!("error: {}: {}", p.path, p.message),
        }
    }
    if args.format == Format::Text {
        for (policy, errors) in &network.invalid {
            for e in errors {
                eprintln!(
                    "warning: ignored NetworkPolicy {} ({}), which the API server would reject: {}",
                    policy.display_name(),
                    locate(policy.object, &e.pointer),
                    e.message
                );
            }
        }
    }
    Ok(if !problems.is_empty() {
        2
    } else if verdict.allowed() {
        0
    } else {
        1
    })
}

/// Which documents to parse. A text search decides, erring towards parsing: it must never skip a
/// document that holds an object the answer depends on.
enum Needles {
    /// Documents whose `kind` is one of these words: `kind: WORD` in any quoting or JSON
    /// spelling; or that mention a word where the kind could be spelled in a way the search
    /// does not follow (an anchor, alias, tag, block scalar, a value on the next line, a merge
    /// key).
    Kinds(Vec<&'static str>),
    /// Documents containing every one of these words.
    All(Vec<memmem::Finder<'static>>),
}

impl Needles {
    fn kinds(words: &[&'static str]) -> Needles {
        Needles::Kinds(words.to_vec())
    }

    fn all(words: &[&str]) -> Needles {
        Needles::All(
            words
                .iter()
                .map(|w| memmem::Finder::new(w.as_bytes()).into_owned())
                .collect(),
        )
    }

    fn wanted(&self, text: &[u8]) -> bool {
        if has_letter_escape(text) {
            return true;
        }
        match self {
            Needles::All(finders) => finders.iter().all(|f| f.find(text).is_some()),
            Needles::Kinds(words) => {
                let mentioned = || {
                    words
                        .iter()
                        .any(|w| memmem::find(text, w.as_bytes()).is_some())
                };
                kind_values(text).any(|value| match value {
                    KindValue::Plain(v) => words.iter().any(|w| {
                        v.starts_with(w.as_bytes())
                            && !v.get(w.len()).is_some_and(|&b| is_word_byte(b))
                    }),
                    KindValue::Unusual => mentioned(),
                }) || (memmem::find(text, b"<<").is_some() && mentioned())
            }
        }
    }
}

/// What follows a `kind` key.
enum KindValue<'a> {
    /// The text of the value, from its first character (after any quote).
    Plain(&'a [u8]),
    /// An anchor, alias, tag or block scalar: the value cannot be read in place.
    Unusual,
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The values of every `kind` key of a text (`kind: X`, `"kind": "X"`, `{kind: X}`, a value on
/// the next line or after a comment).
fn kind_values(text: &[u8]) -> impl Iterator<Item = KindValue<'_>> {
    memmem::find_iter(text, b"kind").filter_map(move |i| {
        if i > 0 && is_word_byte(text[i - 1]) {
            return None;
        }
        let mut j = i + 4;
        while matches!(text.get(j), Some(b'"' | b'\'' | b' ' | b'\t')) {
            j += 1;
        }
        if text.get(j) != Some(&b':') {
            return None;
        }
        j += 1;
        loop {
            match text.get(j) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => j += 1,
                Some(b'#') => {
                    j = memchr::memchr(b'\n', &text[j..]).map_or(text.len(), |n| j + n);
                }
                _ => break,
            }
        }
        match text.get(j) {
            Some(b'&' | b'*' | b'!' | b'|' | b'>') => Some(KindValue::Unusual),
            Some(b'"' | b'\'') => Some(KindValue::Plain(&text[j + 1..])),
            Some(_) => Some(KindValue::Plain(&text[j..])),
            None => None,
        }
    })
}

fn has_letter_escape(text: &[u8]) -> bool {
    memchr::memchr_iter(b'\\', text)
        .any(|i| matches!(text.get(i + 1), Some(b'x' | b'u' | b'U' | b'\n' | b'\r')))
}

/// Parses the documents of `texts` that `needles` want; input problems go to `problems`.
fn load(
    texts: &[RawInput],
    needles: &Needles,
    limits: &SourceLimits,
    problems: &mut Vec<InputProblem>,
) -> Vec<Object> {
    let (objects, more) = scan::load_objects(texts, limits, &|t| needles.wanted(t));
    problems.extend(more);
    // A problem met by both passes is reported once.
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert((p.path.clone(), p.pos, p.message.clone())));
    objects
}

/// Container ports of the workloads that could be the destination: in `namespace`, with pod
/// labels equal to `labels` (or, when none is, containing them).
fn ports_of_matching(
    workloads: &[Object],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<netpol::ContainerPort> {
    let pods: Vec<Pod> = workloads
        .iter()
        .filter_map(netpol::pod_of)
        .filter(|p| p.namespace == namespace)
        .collect();
    let exact: Vec<&Pod> = pods.iter().filter(|p| p.labels == *labels).collect();
    let chosen: Vec<&Pod> = if exact.is_empty() {
        pods.iter()
            .filter(|p| labels.iter().all(|(k, v)| p.labels.get(k) == Some(v)))
            .collect()
    } else {
        exact
    };
    let mut ports: Vec<netpol::ContainerPort> = Vec::new();
    for p in chosen {
        for port in &p.ports {
            if !ports.contains(port) {
                ports.push(port.clone());
            }
        }
    }
    ports
}

/// `path:line:col` of a field of an object (or `source#pointer` for an object from an API).
fn locate(object: &Object, pointer: &str) -> String {
    match &object.origin {
        Origin::File { path, .. } => format!("{path}:{}", span_of(&object.node, pointer).start),
        Origin::Api { source } => format!("{source}#{pointer}"),
    }
}

struct Question<'a> {
    from: &'a PeerArg,
    to: &'a PeerArg,
    port: Option<PortQuery>,
    scope: &'static str,
}

impl Question<'_> {
    fn port_text(&self) -> String {
        match self.port {
            Some(q) => format!("{}/{}", q.number, q.protocol),
            None => "any port".to_owned(),
        }
    }
}

/// One rule that allows the connection, as text.
fn describe_allow(network: &Network<'_>, a: &Allow) -> (String, String) {
    let policy = &network.policies[a.policy];
    let rule = &policy.rules(a.direction)[a.rule];
    let field = a.direction.peers_field();
    let peer = match a.peer {
        None => format!("every peer (no `{field}`)"),
        Some(i) => rule
            .peers
            .as_ref()
            .map_or(String::new(), |p| p[i].to_string()),
    };
    let ports = match &rule.ports {
        None => "every port".to_owned(),
        Some(specs) => a
            .ports
            .iter()
            .map(|&i| specs[i].to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let pointer = match a.peer {
        Some(i) => rule
            .peers
            .as_ref()
            .map_or(rule.pointer.clone(), |p| p[i].pointer().to_owned()),
        None => rule.pointer.clone(),
    };
    (
        format!(
            "NetworkPolicy {}, {} rule {} ({field} {peer}, on {ports})",
            policy.display_name(),
            a.direction.as_str(),
            a.rule
        ),
        locate(policy.object, &pointer),
    )
}

fn write_text(
    out: &mut impl Write,
    q: &Question<'_>,
    network: &Network<'_>,
    verdict: &Verdict,
) -> Result<()> {
    writeln!(
        out,
        "{}: {} -> {} on {}",
        if verdict.allowed() {
            "reachable"
        } else {
            "blocked"
        },
        q.from,
        q.to,
        q.port_text()
    )?;
    for (direction, side, end) in [
        (Direction::Egress, &verdict.egress, q.from),
        (Direction::Ingress, &verdict.ingress, q.to),
    ] {
        let head = format!("  {} of {end}", direction.as_str());
        match side {
            Side::External => writeln!(
                out,
                "{head}: not governed (an address outside the cluster has no NetworkPolicy)"
            )?,
            Side::NotIsolated => writeln!(
                out,
                "{head}: allowed, not isolated: no NetworkPolicy {} selects it with policy type {}",
                q.scope,
                direction.policy_type()
            )?,
            Side::Allowed(allows) => {
                writeln!(out, "{head}: allowed by")?;
                for a in allows {
                    let (what, at) = describe_allow(network, a);
                    writeln!(out, "    {what}\n      at {at}")?;
                }
            }
            Side::Denied { isolated_by, notes } => {
                writeln!(
                    out,
                    "{head}: denied: isolated by {} polic{} whose {} rules do not admit {}",
                    isolated_by.len(),
                    if isolated_by.len() == 1 { "y" } else { "ies" },
                    direction.as_str(),
                    match direction {
                        Direction::Egress => q.to,
                        Direction::Ingress => q.from,
                    }
                )?;
                for &i in isolated_by {
                    let p = &network.policies[i];
                    writeln!(
                        out,
                        "    NetworkPolicy {} (podSelector {}) at {}",
                        p.display_name(),
                        p.pod_selector,
                        locate(p.object, "/spec/podSelector")
                    )?;
                }
                for n in notes {
                    writeln!(out, "    note: {n}")?;
                }
            }
        }
    }
    Ok(())
}

fn side_json(network: &Network<'_>, side: &Side) -> Value {
    let policy_json = |i: usize, pointer: &str| {
        let p = &network.policies[i];
        json!({
            "namespace": p.namespace,
            "name": p.name,
            "location": locate(p.object, pointer),
        })
    };
    match side {
        Side::External => json!({ "verdict": "external" }),
        Side::NotIsolated => json!({ "verdict": "not-isolated" }),
        Side::Allowed(allows) => json!({
            "verdict": "allowed",
            "allowed_by": allows.iter().map(|a| {
                let (what, at) = describe_allow(network, a);
                let mut v = policy_json(a.policy, "");
                v["rule"] = json!(a.rule);
                v["peer"] = json!(a.peer);
                v["description"] = json!(what);
                v["location"] = json!(at);
                v
            }).collect::<Vec<_>>(),
        }),
        Side::Denied { isolated_by, notes } => json!({
            "verdict": "denied",
            "isolated_by": isolated_by.iter().map(|&i| policy_json(i, "/spec/podSelector")).collect::<Vec<_>>(),
            "notes": notes,
        }),
    }
}

fn to_json(
    q: &Question<'_>,
    network: &Network<'_>,
    verdict: &Verdict,
    problems: &[InputProblem],
) -> Value {
    json!({
        "reachable": verdict.allowed(),
        "from": q.from.to_string(),
        "to": q.to.to_string(),
        "port": q.port.map(|p| json!({ "number": p.number, "protocol": p.protocol.as_str() })),
        "egress": side_json(network, &verdict.egress),
        "ingress": side_json(network, &verdict.ingress),
        "ignored_policies": network.invalid.iter().map(|(p, errors)| json!({
            "namespace": p.namespace,
            "name": p.name,
            "errors": errors.iter().map(|e| json!({
                "location": locate(p.object, &e.pointer),
                "message": e.message,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "problems": problems.iter().map(|p| json!({
            "path": &*p.path,
            "position": p.pos.map(|pos| pos.to_string()),
            "message": p.message,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers() {
        assert_eq!(
            parse_peer("--from", "203.0.113.7").unwrap(),
            PeerArg::Address("203.0.113.7".parse().unwrap())
        );
        assert_eq!(
            parse_peer("--from", "shop/").unwrap(),
            PeerArg::Pod {
                namespace: "shop".into(),
                labels: BTreeMap::new()
            }
        );
        let PeerArg::Pod { labels, .. } = parse_peer("--to", "shop/app=web,tier=fe").unwrap()
        else {
            panic!()
        };
        assert_eq!(labels.len(), 2);
        for bad in [
            "shop",
            "/app=web",
            "shop/app",
            "shop/=x",
            "shop/a=1,a=2",
            "10.0.0.0/8",
        ] {
            assert!(parse_peer("--to", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports() {
        assert_eq!(
            parse_port("53/udp").unwrap(),
            PortArg {
                port: PortRef::Number(53),
                protocol: Protocol::Udp
            }
        );
        assert_eq!(
            parse_port("http").unwrap().port,
            PortRef::Name("http".into())
        );
        for bad in ["0", "70000", "80/ICMP", "Http", ""] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn documents_wanted() {
        let n = Needles::kinds(&["NetworkPolicy", "Namespace"]);
        for yes in [
            "kind: NetworkPolicy",
            "kind:   'Namespace'  # x",
            "{\"apiVersion\": \"v1\", \"kind\":\"Namespace\"}",
            "items:\n- {kind: NetworkPolicy, apiVersion: networking.k8s.io/v1}",
            // Spellings the search cannot follow are parsed too.
            "kind: \"Network\\x50olicy\"",
            "kind: \"Network\\\n  Policy\"",
            "kind: !!str Namespace",
            "kind: &k Namespace",
            "kind:\n  Namespace",
            "base: &b {kind: Namespace}\nobj:\n  <<: *b",
        ] {
            assert!(n.wanted(yes.as_bytes()), "{yes}");
        }
        for no in [
            "kind: Deployment",
            "kind: Deployment\nspec:\n  namespaceSelector: {}",
            "kind: CustomResourceDefinition\nscope: Namespaced\ndescription: the Namespace of the NetworkPolicy",
            "kind: NamespaceConfig",
            "subkind: Namespace",
        ] {
            assert!(!n.wanted(no.as_bytes()), "{no}");
        }
        let all = Needles::all(&["containerPort", "app"]);
        assert!(all.wanted(b"app: x\ncontainerPort: 80"));
        assert!(!all.wanted(b"app: x"));
    }
}
