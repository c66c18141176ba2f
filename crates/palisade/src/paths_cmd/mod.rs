//! `palisade paths`: the shortest attack paths of an inventory (manifests or a saved cluster
//! inventory), from identities or the internet to a node, a namespace's Secrets or
//! cluster-admin, each step citing the fact behind it. The graph is
//! [`palisade_rules::paths`], the one the AP rules of `scan` report from.

mod render;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};
use palisade_core::source::SourceLimits;
use palisade_core::{KubeVersion, Object};
use palisade_rules::paths::{self, AttackGraph, Limits, NodeFacts, Vertex, VertexSpec, Workloads};

use crate::scan;

/// Exit codes: a path exists, none does, the input or the question is wrong.
const EXIT_FOUND: u8 = 0;
const EXIT_NONE: u8 = 1;
const EXIT_ERROR: u8 = 2;

#[derive(Args, Debug)]
#[command(
    about = "Attack paths: from identities or the internet to a node, Secrets or cluster-admin",
    long_about = "Join RBAC grants, namespaces' Pod Security levels, token mounts, node escapes \
                  and exposed Services of manifests (or a saved cluster inventory) into one graph \
                  and print the shortest path from each source to each goal, every step citing \
                  the fact (file:line, binding, label) behind it. Exit 0 when a path exists, 1 \
                  when none does, 2 on an input error. docs/attack-paths.md lists every edge.",
    after_help = "Examples:\n  \
        palisade paths k8s/\n  \
        palisade paths --from sa:build/ci --to cluster-admin k8s/\n  \
        palisade paths --from internet --to node --format mermaid k8s/\n  \
        palisade paths --to secrets:payments --inventory prod.json\n  \
        palisade paths --node-report node.json --probe-report probe.json k8s/\n\n\
        SUBJECT: user:NAME, group:NAME, sa:NAMESPACE/NAME, pod:NAMESPACE/NAME, anonymous, \
        internet (default: every identity that is not an administrator, and the internet). \
        GOAL: cluster-admin, node, cloud-identity, secrets:NAMESPACE (default: cluster-admin and \
        node)."
)]
pub struct PathsArgs {
    /// Files or directories to read (`-` reads stdin)
    #[arg(value_name = "PATH", required_unless_present = "inventory")]
    pub paths: Vec<PathBuf>,

    /// Read an inventory saved by `palisade cluster --save-inventory` instead of files
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub inventory: Option<PathBuf>,

    /// A saved node audit (`palisade node --format json`) or cluster report: NodeRestriction,
    /// the API server's authorizers and the kubelet's anonymous access become edges (repeatable;
    /// without one, those edges are reported as not evaluated)
    #[arg(long, value_name = "FILE")]
    pub node_report: Vec<PathBuf>,

    /// A saved probe report (`palisade probe --format json`): a kubelet or API server that
    /// answered without credentials becomes an edge from the internet (repeatable)
    #[arg(long, value_name = "FILE")]
    pub probe_report: Vec<PathBuf>,

    /// Where paths start (repeatable)
    #[arg(long, value_name = "SUBJECT")]
    pub from: Vec<String>,

    /// Where paths end (repeatable)
    #[arg(long, value_name = "GOAL")]
    pub to: Vec<String>,

    /// Output format
    #[arg(long, short = 'f', value_enum, default_value_t = PathsFormat::Text)]
    pub format: PathsFormat,

    /// Target Kubernetes version (1.N) [default: the inventory's, else the latest]
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,

    /// Longest path reported, in steps
    #[arg(long, value_name = "STEPS", default_value_t = Limits::default().max_depth)]
    pub max_depth: usize,

    /// Most paths reported
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_paths)]
    pub max_paths: usize,

    /// Shortest paths reported per source and goal, 1 to 1000 (all of the same, shortest,
    /// length; a note says how many pairs have more)
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub per_pair: u16,

    /// Largest file read, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_file_size: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PathsFormat {
    Text,
    Json,
    Dot,
    Mermaid,
}

/// The objects to analyse, the version their source states, and problems met reading them.
fn read(args: &PathsArgs) -> Result<(Vec<Object>, Option<KubeVersion>, Vec<String>)> {
    if let Some(path) = &args.inventory {
        // As `scan --inventory`: 1 GiB bounds a hostile file.
        let inv = palisade_cluster::snapshot::load(path, 1 << 30)?;
        return Ok((inv.objects, inv.version, Vec::new()));
    }
    let limits = SourceLimits {
        max_file_bytes: args.max_file_size,
        ..SourceLimits::default()
    };
    let (objects, problems) = scan::load_paths(&args.paths, &limits, &|_| true);
    let problems = problems
        .iter()
        .map(|p| match p.pos {
            Some(pos) => format!("{}:{pos}: {}", p.path, p.message),
            None => format!("{}: {}", p.path, p.message),
        })
        .collect();
    Ok((objects, None, problems))
}

fn parse_specs(specs: &[String], what: &str) -> Result<Vec<VertexSpec>> {
    specs
        .iter()
        .map(|s| paths::parse_vertex(s).map_err(|e| anyhow!("{what}: {e}")))
        .collect()
}

pub fn run(args: PathsArgs) -> Result<u8> {
    let flag_version = args
        .kubernetes_version
        .as_deref()
        .map(|v| {
            KubeVersion::parse_exact(v).map_err(|_| {
                anyhow!("--kubernetes-version: {v:?} is not a Kubernetes version (1.N, v1.N.P or latest)")
            })
        })
        .transpose()?;
    let from = parse_specs(&args.from, "--from")?;
    let to = parse_specs(&args.to, "--to")?;
    for spec in &from {
        if let VertexSpec::Exact(v) = spec {
            if !v.is_source() {
                bail!("--from: {} is a goal, not a subject", v.spec());
            }
        }
    }
    for spec in &to {
        if !matches!(
            spec,
            VertexSpec::Exact(
                Vertex::ClusterAdmin | Vertex::Node | Vertex::CloudIdentity | Vertex::Secrets(_)
            )
        ) {
            bail!("--to: expected cluster-admin, node, cloud-identity or secrets:NAMESPACE");
        }
    }
    let facts = node_facts(args.node_report.iter().chain(&args.probe_report))?;
    let (objects, detected, problems) = read(&args)?;
    for p in &problems {
        eprintln!("error: {p}");
    }
    let version = flag_version.or(detected).unwrap_or_default();
    let objects: Vec<Arc<Object>> = objects.into_iter().map(Arc::new).collect();
    // Identities asked about are vertices even when the input names them nowhere.
    let identities: Vec<Vertex> = from
        .iter()
        .filter_map(|s| match s {
            VertexSpec::Exact(
                v @ (Vertex::User(_) | Vertex::Group(_) | Vertex::ServiceAccount { .. }),
            ) => Some(v.clone()),
            _ => None,
        })
        .collect();
    let model = AttackGraph::with_facts(objects, version, &identities, Workloads::All, &facts);
    let g = &model.graph;
    let sources: Vec<usize> = if from.is_empty() {
        paths::default_sources(g)
    } else {
        let mut out = Vec::new();
        for spec in &from {
            let found = spec.resolve(g);
            if found.is_empty() {
                eprintln!("note: no {} in the input", spec_name(spec));
            }
            out.extend(found);
        }
        out
    };
    let goal_specs = if to.is_empty() {
        vec![
            VertexSpec::Exact(Vertex::ClusterAdmin),
            VertexSpec::Exact(Vertex::Node),
        ]
    } else {
        to
    };
    let goals: Vec<usize> = goal_specs.iter().flat_map(|s| s.resolve(g)).collect();
    let limits = Limits {
        max_depth: args.max_depth,
        max_paths: args.max_paths,
        per_pair: usize::from(args.per_pair),
    };
    let found = paths::search(g, &sources, &goals, limits);
    let mut out = crate::session::stdout();
    render::write(&mut out, args.format, &model, &found)?;
    std::io::Write::flush(&mut out)?;
    Ok(if !problems.is_empty() {
        EXIT_ERROR
    } else if found.paths.is_empty() {
        EXIT_NONE
    } else {
        EXIT_FOUND
    })
}

/// The node-level facts of the saved reports given (read as `palisade report` reads them).
pub fn node_facts<'a>(files: impl Iterator<Item = &'a PathBuf>) -> Result<NodeFacts> {
    let mut reports = Vec::new();
    for f in files {
        reports.push((f.display().to_string(), crate::report_cmd::load(f)?));
    }
    let refs: Vec<(&str, &palisade_core::report::ScanReport)> =
        reports.iter().map(|(n, r)| (n.as_str(), r)).collect();
    Ok(NodeFacts::from_reports(&refs))
}

fn spec_name(spec: &VertexSpec) -> String {
    match spec {
        VertexSpec::Exact(v) => v.spec(),
        VertexSpec::Workload { namespace, name } => format!("pod:{namespace}/{name}"),
    }
}
