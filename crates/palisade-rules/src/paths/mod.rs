//! Attack paths: the facts the other engines decide one by one (RBAC grants, Pod Security levels,
//! token mounts, node escapes, exposure), joined into one graph, and the shortest ways through
//! it from an identity or the internet to a node, to a namespace's Secrets, to cluster-admin.
//!
//! No I/O and no guessing: an edge exists only when the input shows the fact that creates it,
//! and each edge cites that fact (`file:line`, binding, label). What the input cannot tell (a
//! namespace without its Namespace object, PodSecurityPolicy before 1.25) leaves the edge out
//! and is reported as not evaluated. `docs/attack-paths.md` lists every edge with its reasons.
//!
//! The graph is a [`palisade_core::Model`] built once from what the AP rules keep, and the same
//! code serves `palisade paths`.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::report::ScanReport;
use palisade_core::yaml::Node;
use palisade_core::{Context, Keep, KubeVersion, Model, Object};

mod build;
pub mod facts;
pub mod graph;
mod network_edges;
mod node_edges;
mod pod_edges;
mod rbac_edges;

pub use build::{build, build_with, Workloads};
pub use facts::NodeFacts;
pub use graph::{Edge, Evidence, Graph, Path, Vertex};

/// The keep group of the AP rules: one projection, one graph.
pub const KEEP_GROUP: &str = "attack-paths";

/// What the graph needs of an object, and nothing more: RBAC objects whole (small); of
/// workloads the fields that decide the token mount, the node escape and the Service selection;
/// of ServiceAccounts their automount; of Namespaces their labels; of Secrets only the type and
/// account of token Secrets (never data); of Services their type and selector; Ingresses' specs.
pub fn keep(o: &Object) -> Option<Keep> {
    if crate::rbac::is_rbac(o) {
        return Some(Keep::whole());
    }
    let core = o.group().is_empty();
    match o.kind() {
        "ServiceAccount" if core => {
            return Some(Keep::paths(&[&["automountServiceAccountToken"]]));
        }
        "Namespace" if core => return Some(Keep::paths(&[&["metadata", "labels"]])),
        "Secret" if core => {
            let token =
                o.node.get("type").and_then(Node::as_str) == Some(pod_edges::TOKEN_SECRET_TYPE);
            return token.then(|| {
                Keep::paths(&[
                    &["type"],
                    &["metadata", "annotations", pod_edges::TOKEN_SECRET_ACCOUNT],
                ])
            });
        }
        "Service" if core => {
            return Some(Keep::paths(&[
                &["spec", "type"],
                &["spec", "selector"],
                &["spec", "externalIPs"],
            ]));
        }
        "Ingress" if matches!(o.group(), "networking.k8s.io" | "extensions") => {
            return Some(Keep::paths(&[&["spec"]]));
        }
        "PodSecurityPolicy" if o.group() == "policy" => return Some(Keep::paths(&[])),
        // The metadata endpoint's reachability (NP305's model) and the nodes' cloud.
        "NetworkPolicy" if o.group() == "networking.k8s.io" => return Some(Keep::whole()),
        "Node" if core => return Some(Keep::paths(&[&["spec", "providerID"]])),
        _ => {}
    }
    // What every workload needs: its account, the automount, its pod labels (Services select
    // them), whether another workload controls it. The fields of a node escape only for the
    // pods that have one (a few in a hundred): decided here on the whole object.
    let escapes = o
        .pod_template()
        .is_some_and(|pod| pod_edges::node_escape(&pod, KubeVersion::LATEST).is_some());
    const ALWAYS: &[&[&str]] = &[
        &["serviceAccountName"],
        &["serviceAccount"],
        &["automountServiceAccountToken"],
        &["hostNetwork"],
    ];
    const ESCAPE: &[&[&str]] = &[
        &["serviceAccountName"],
        &["serviceAccount"],
        &["automountServiceAccountToken"],
        &["hostNetwork"],
        &["hostPID"],
        &["securityContext", "windowsOptions", "hostProcess"],
        &["volumes", "hostPath", "path"],
        &["containers", "name"],
        &["containers", "securityContext", "privileged"],
        &["containers", "securityContext", "capabilities", "add"],
        &[
            "containers",
            "securityContext",
            "windowsOptions",
            "hostProcess",
        ],
        &["initContainers", "name"],
        &["initContainers", "securityContext", "privileged"],
        &["initContainers", "securityContext", "capabilities", "add"],
        &[
            "initContainers",
            "securityContext",
            "windowsOptions",
            "hostProcess",
        ],
        &["ephemeralContainers", "name"],
        &["ephemeralContainers", "securityContext", "privileged"],
        &[
            "ephemeralContainers",
            "securityContext",
            "capabilities",
            "add",
        ],
        &[
            "ephemeralContainers",
            "securityContext",
            "windowsOptions",
            "hostProcess",
        ],
    ];
    Keep::pod(
        o,
        &[&["labels"]],
        if escapes { ESCAPE } else { ALWAYS },
        &[&["metadata", "ownerReferences"]],
    )
}

/// The attack graph over the objects it was built from (evidence names them by index).
pub struct AttackGraph {
    objects: Vec<Arc<Object>>,
    pub graph: Graph,
}

impl AttackGraph {
    /// The graph the AP rules read: workloads a source can reach (see [`Workloads`]).
    pub fn new(objects: Vec<Arc<Object>>, version: KubeVersion) -> Self {
        AttackGraph::with_identities(objects, version, &[], Workloads::Reachable)
    }

    /// The graph with `identities` as vertices and `workloads` (see [`build_with`]).
    pub fn with_identities(
        objects: Vec<Arc<Object>>,
        version: KubeVersion,
        identities: &[Vertex],
        workloads: Workloads,
    ) -> Self {
        AttackGraph::with_facts(
            objects,
            version,
            identities,
            workloads,
            &NodeFacts::default(),
        )
    }

    /// [`AttackGraph::with_identities`], with the node-level edges of `facts` (node audits,
    /// probes).
    pub fn with_facts(
        objects: Vec<Arc<Object>>,
        version: KubeVersion,
        identities: &[Vertex],
        workloads: Workloads,
        facts: &NodeFacts,
    ) -> Self {
        let graph = {
            let refs: Vec<&Object> = objects.iter().map(|o| &**o).collect();
            build_with(&refs, version, identities, workloads, facts)
        };
        AttackGraph { objects, graph }
    }

    /// The object evidence `i` names.
    pub fn object(&self, i: usize) -> &Object {
        &self.objects[i]
    }
}

impl Model for AttackGraph {
    fn build(cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
        let reports: Vec<(&str, &ScanReport)> = cx
            .settings
            .reports
            .iter()
            .map(|(name, r)| (name.as_str(), &**r))
            .collect();
        AttackGraph::with_facts(
            kept.to_vec(),
            cx.settings.kubernetes_version,
            &[],
            Workloads::Reachable,
            &NodeFacts::from_reports(&reports),
        )
    }
}

/// Bounds of a search: paths longer than `max_depth` steps are not reported, at most
/// `per_pair` shortest paths of each source to each goal, and at most `max_paths` paths.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_paths: usize,
    pub per_pair: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_paths: 1000,
            per_pair: 1,
        }
    }
}

/// The shortest path of each source to each goal, and notes on limits that were hit.
#[derive(Debug, Default)]
pub struct Search {
    pub paths: Vec<Path>,
    pub notes: Vec<String>,
}

/// The sources searched by default: every identity that is not already an administrator, and
/// the internet.
pub fn default_sources(g: &Graph) -> Vec<usize> {
    (0..g.vertices().len())
        .filter(|&v| g.get(v).is_source() && !g.is_admin(v))
        .collect()
}

/// The shortest paths (up to `limits.per_pair`, all of the shortest length) from each of
/// `sources` to each of `goals` (goals first, then sources in order), within `limits`.
pub fn search(g: &Graph, sources: &[usize], goals: &[usize], limits: Limits) -> Search {
    let mut out = Search::default();
    let mut too_long = 0usize;
    let mut dropped = 0usize;
    let mut pairs_cut = 0usize;
    for &goal in goals {
        let next = g.towards(goal, usize::MAX);
        let dist = g.distances(goal);
        for &source in sources {
            // The first is the one a single path per pair gives, so that asking for more adds
            // paths without changing the first.
            let Some(first) = g.path(source, goal, &next) else {
                continue;
            };
            let mut paths = vec![first];
            let (others, more) = g.shortest_paths(source, goal, &dist, limits.per_pair);
            let others: Vec<Path> = others.into_iter().filter(|p| *p != paths[0]).collect();
            if more || others.len() >= limits.per_pair {
                pairs_cut += 1;
            }
            paths.extend(others.into_iter().take(limits.per_pair.saturating_sub(1)));
            for path in paths {
                if path.edges.len() > limits.max_depth {
                    too_long += 1;
                } else if out.paths.len() >= limits.max_paths {
                    dropped += 1;
                } else {
                    out.paths.push(path);
                }
            }
        }
    }
    if pairs_cut > 0 {
        out.notes.push(format!(
            "{pairs_cut} source/goal pair(s) have more shortest paths than the {} shown (raise \
             the per-pair limit)",
            limits.per_pair
        ));
    }
    if too_long > 0 {
        out.notes.push(format!(
            "{too_long} path(s) longer than {} steps not reported (raise the depth limit)",
            limits.max_depth
        ));
    }
    if dropped > 0 {
        out.notes.push(format!(
            "{dropped} more path(s) not reported: at most {} are (raise the count limit)",
            limits.max_paths
        ));
    }
    out
}

/// The objects to change that break the most of `paths`: each edge's [`Evidence::cut`], with
/// how many paths it is on, most first; on a tie the one nearer the paths' sources (cutting
/// early leaves the attacker less), then by name.
pub fn cuts(g: &Graph, paths: &[Path]) -> Vec<(String, usize)> {
    // cut → (paths it is on, earliest step it appears at)
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for p in paths {
        let mut seen: Vec<(&str, usize)> = p
            .edges
            .iter()
            .enumerate()
            .filter_map(|(i, &e)| g.edge(e).evidence.cut.as_deref().map(|c| (c, i)))
            .collect();
        seen.sort_unstable();
        seen.dedup_by_key(|(c, _)| *c);
        for (c, i) in seen {
            let entry = counts.entry(c).or_insert((0, usize::MAX));
            entry.0 += 1;
            entry.1 = entry.1.min(i);
        }
    }
    let mut out: Vec<(&str, usize, usize)> =
        counts.into_iter().map(|(c, (n, i))| (c, n, i)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then_with(|| a.0.cmp(b.0)));
    out.into_iter().map(|(c, n, _)| (c.to_owned(), n)).collect()
}

/// The weakest link of a path: the edge whose cut the most of all `counts` paths share (the
/// first such edge on ties); `None` when no edge of the path can be cut.
pub fn weakest_link(g: &Graph, path: &Path, counts: &HashMap<&str, usize>) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &e in &path.edges {
        let Some(cut) = g.edge(e).evidence.cut.as_deref() else {
            continue;
        };
        let n = counts.get(cut).copied().unwrap_or(0);
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((e, n));
        }
    }
    best.map(|(e, _)| e)
}

/// Reads a `--from` or `--to` spelling: `user:NAME`, `group:NAME`, `sa:NAMESPACE/NAME`,
/// `pod:NAMESPACE/NAME` (a workload of any kind), `anonymous`, `internet`, `cluster-admin`,
/// `node`, `cloud-identity`, `secrets:NAMESPACE`.
pub fn parse_vertex(spec: &str) -> Result<VertexSpec, String> {
    let split = |rest: &str| -> Result<(String, String), String> {
        match rest.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() => {
                Ok((ns.to_owned(), name.to_owned()))
            }
            _ => Err(format!("{spec:?}: expected NAMESPACE/NAME")),
        }
    };
    let nonempty = |rest: &str| -> Result<String, String> {
        if rest.is_empty() {
            Err(format!("{spec:?}: the name is empty"))
        } else {
            Ok(rest.to_owned())
        }
    };
    Ok(match spec.split_once(':') {
        _ if spec == "anonymous" => {
            VertexSpec::Exact(Vertex::User(crate::rbac::authorizer::ANONYMOUS.to_owned()))
        }
        _ if spec == "internet" => VertexSpec::Exact(Vertex::Internet),
        _ if spec == "cluster-admin" => VertexSpec::Exact(Vertex::ClusterAdmin),
        _ if spec == "node" => VertexSpec::Exact(Vertex::Node),
        _ if spec == "cloud-identity" => VertexSpec::Exact(Vertex::CloudIdentity),
        Some(("user", rest)) => VertexSpec::Exact(Vertex::User(nonempty(rest)?)),
        Some(("group", rest)) => VertexSpec::Exact(Vertex::Group(nonempty(rest)?)),
        Some(("secrets", rest)) => VertexSpec::Exact(Vertex::Secrets(nonempty(rest)?)),
        Some(("sa", rest)) => {
            let (namespace, name) = split(rest)?;
            VertexSpec::Exact(Vertex::ServiceAccount { namespace, name })
        }
        Some(("pod", rest)) => {
            let (namespace, name) = split(rest)?;
            VertexSpec::Workload { namespace, name }
        }
        _ => {
            return Err(format!(
                "{spec:?}: expected user:NAME, group:NAME, sa:NAMESPACE/NAME, pod:NAMESPACE/NAME, \
                 anonymous, internet, cluster-admin, node, cloud-identity or secrets:NAMESPACE"
            ))
        }
    })
}

/// A parsed `--from`/`--to`: a vertex, or a workload by namespace and name (of any kind).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VertexSpec {
    Exact(Vertex),
    Workload { namespace: String, name: String },
}

impl VertexSpec {
    /// The vertices of `g` it names (several workloads of different kinds may share a name).
    pub fn resolve(&self, g: &Graph) -> Vec<usize> {
        match self {
            VertexSpec::Exact(v) => g.find(v).into_iter().collect(),
            VertexSpec::Workload { namespace, name } => (0..g.vertices().len())
                .filter(|&i| {
                    matches!(g.get(i), Vertex::Workload { namespace: n, name: m, .. }
                        if n == namespace && m == name)
                })
                .collect(),
        }
    }
}
