//! `palisade netpol can-reach`: may one pod (or an address outside the cluster) open a
//! connection to another, given the NetworkPolicies of the input, and which policy decides?
//!
//! The question must be answered fast on large inputs (a whole repository of manifests), so the
//! input is read the way `scan` reads it but only the documents that can matter are parsed: those
//! that mention `NetworkPolicy` or `Namespace` and, when a named port must be resolved, the
//! workloads that could be the destination. The filter is the shared [`crate::prefilter`]: it
//! skips only a document that certainly holds none of those words.

mod answer;
mod load;
mod peer;

use std::io::Write;
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context as _, Result};
use clap::{Args, Subcommand, ValueEnum};
use palisade_core::source::SourceLimits;
use palisade_core::KubeVersion;
use palisade_rules::netpol::{
    self, Direction, Endpoint, Network, Options, Pod, PortQuery, PortRef,
};
use rayon::prelude::*;

use crate::prefilter::Prefilter;
use crate::scan::{self, RawInput};
use answer::{locate, to_json, write_text, Question};
use load::{load, ports_of_matching};
use peer::{parse_peer, parse_port, PeerArg, PortArg};

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
    let policies_filter = Prefilter::any_scalar(&["NetworkPolicy", "Namespace"]);
    let mut objects = load(&texts, &policies_filter, &limits, &mut problems);
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
            let workloads_filter = Prefilter::all_scalars(&words);
            let workloads = load(&texts, &workloads_filter, &limits, &mut problems);
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
