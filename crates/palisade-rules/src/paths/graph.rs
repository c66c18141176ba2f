//! The attack graph: vertices (identities, workloads, capabilities, goals), edges that each carry
//! the fact that creates them, and shortest paths to a goal.
//!
//! Paths are searched backwards from each goal (one breadth-first search per goal over the
//! reversed edges), so asking for the paths of every source costs one pass per goal, not one per
//! source: a cluster export has thousands of identities.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;

/// A thing an attacker may hold or reach.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Vertex {
    /// Anyone who can send packets to the cluster's exposed addresses.
    Internet,
    User(String),
    Group(String),
    ServiceAccount {
        namespace: String,
        name: String,
    },
    /// A pod or the pods of a workload (those not controlled by another workload).
    Workload {
        namespace: String,
        kind: String,
        name: String,
    },
    /// May run a pod of its own choosing in the namespace.
    PodsIn(String),
    /// May exec into (or attach to, or add an ephemeral container to) every pod of the namespace.
    ExecIn(String),
    /// May act as every ServiceAccount of the namespace (mint its tokens, impersonate it).
    AnyServiceAccount(String),
    /// Root on a node.
    Node,
    /// Reads every Secret of the namespace.
    Secrets(String),
    /// Full control of the cluster.
    ClusterAdmin,
    /// The node's cloud identity (its instance role or service account): the credentials the
    /// cloud metadata endpoint hands to whatever reaches it from the node.
    CloudIdentity,
}

impl Vertex {
    /// The `--from`/`--to` spelling of a vertex, for sources and goals.
    pub fn spec(&self) -> String {
        match self {
            Vertex::Internet => "internet".to_owned(),
            Vertex::User(n) if n == crate::rbac::authorizer::ANONYMOUS => "anonymous".to_owned(),
            Vertex::User(n) => format!("user:{n}"),
            Vertex::Group(n) => format!("group:{n}"),
            Vertex::ServiceAccount { namespace, name } => format!("sa:{namespace}/{name}"),
            Vertex::Workload {
                namespace, name, ..
            } => format!("pod:{namespace}/{name}"),
            Vertex::Node => "node".to_owned(),
            Vertex::ClusterAdmin => "cluster-admin".to_owned(),
            Vertex::CloudIdentity => "cloud-identity".to_owned(),
            Vertex::Secrets(ns) => format!("secrets:{ns}"),
            other => other.to_string(),
        }
    }

    /// Whether the vertex is somebody (or something exposed) a path may start from.
    pub fn is_source(&self) -> bool {
        matches!(
            self,
            Vertex::Internet | Vertex::User(_) | Vertex::Group(_) | Vertex::ServiceAccount { .. }
        )
    }
}

impl fmt::Display for Vertex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Vertex::Internet => f.write_str("the internet"),
            Vertex::User(n) => write!(f, "User \"{n}\""),
            Vertex::Group(n) => write!(f, "Group \"{n}\""),
            Vertex::ServiceAccount { namespace, name } => {
                write!(f, "ServiceAccount \"{namespace}/{name}\"")
            }
            Vertex::Workload {
                namespace,
                kind,
                name,
            } => write!(f, "{kind} \"{namespace}/{name}\""),
            Vertex::PodsIn(ns) => write!(f, "namespace \"{ns}\" (a pod of its choosing)"),
            Vertex::ExecIn(ns) => write!(f, "the pods of namespace \"{ns}\""),
            Vertex::AnyServiceAccount(ns) => {
                write!(f, "every ServiceAccount of namespace \"{ns}\"")
            }
            Vertex::Node => f.write_str("a node (root)"),
            Vertex::Secrets(ns) => write!(f, "the Secrets of namespace \"{ns}\""),
            Vertex::ClusterAdmin => f.write_str("cluster-admin"),
            Vertex::CloudIdentity => f.write_str("the node's cloud identity"),
        }
    }
}

/// Where the fact behind an edge is written: an object of the input (index into the objects the
/// graph was built from) and a JSON pointer inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub object: Option<usize>,
    pub pointer: String,
    /// The fact in words, with the role rule's `file:line` where RBAC is involved.
    pub text: Arc<str>,
    /// What to change to remove the edge (`RoleBinding "build/ci-deploy"`), when the edge is a
    /// configuration choice rather than how Kubernetes works (a pod may use any ServiceAccount
    /// of its namespace: nothing to remove there).
    pub cut: Option<Arc<str>>,
    /// Where a fact outside the objects is written (a node audit's `file:line`, a probed
    /// `host:port`), for edges of the node audit and the probe.
    pub place: Option<palisade_core::Location>,
}

impl Evidence {
    /// Where the fact is: in an object of `objects`, or outside them.
    pub fn location(
        &self,
        object: impl Fn(usize) -> palisade_core::Location,
    ) -> Option<palisade_core::Location> {
        self.object.map(object).or_else(|| self.place.clone())
    }
}

/// One step an attacker can take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// What the step does, as a verb phrase: `may create pods in`, `mounts the token of`.
    pub action: &'static str,
    pub evidence: Evidence,
}

/// Vertices and edges, with the facts behind the edges, and what could not be evaluated.
#[derive(Debug, Default)]
pub struct Graph {
    vertices: Vec<Vertex>,
    index: HashMap<Vertex, usize>,
    edges: Vec<Edge>,
    /// Per vertex, the edges arriving at it (indexes into `edges`).
    incoming: Vec<Vec<usize>>,
    /// Per vertex, the edges leaving it.
    outgoing: Vec<Vec<usize>>,
    /// `(from, to)` of every edge: a namespace's "every pod" vertex has an edge to each of its
    /// thousands of workloads, too many to scan for duplicates.
    pairs: HashSet<(usize, usize)>,
    /// Facts the input did not hold (a namespace without its Namespace object, ...): the edges
    /// they would decide are left out, and reports say so.
    pub unknowns: Vec<String>,
    /// Vertices that already hold full control (by RBAC, or control-plane identities): never
    /// the start of an attack path.
    pub(crate) admins: Vec<usize>,
}

/// One shortest path: the edges from the source to the goal, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub source: usize,
    pub goal: usize,
    pub edges: Vec<usize>,
}

impl Graph {
    /// The vertex's index, adding it when new.
    pub fn vertex(&mut self, v: Vertex) -> usize {
        if let Some(&i) = self.index.get(&v) {
            return i;
        }
        let i = self.vertices.len();
        self.vertices.push(v.clone());
        self.index.insert(v, i);
        self.incoming.push(Vec::new());
        self.outgoing.push(Vec::new());
        i
    }

    pub fn find(&self, v: &Vertex) -> Option<usize> {
        self.index.get(v).copied()
    }

    pub fn get(&self, i: usize) -> &Vertex {
        &self.vertices[i]
    }

    pub fn vertices(&self) -> &[Vertex] {
        &self.vertices
    }

    pub fn edge(&self, i: usize) -> &Edge {
        &self.edges[i]
    }

    pub fn is_admin(&self, v: usize) -> bool {
        self.admins.binary_search(&v).is_ok()
    }

    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    pub fn incoming(&self, v: usize) -> &[usize] {
        &self.incoming[v]
    }

    pub fn outgoing(&self, v: usize) -> &[usize] {
        &self.outgoing[v]
    }

    /// Adds an edge unless one between the same vertices exists (the first fact found is the one
    /// cited; edges are added most specific first).
    pub fn add(&mut self, from: Vertex, to: Vertex, action: &'static str, evidence: Evidence) {
        let from = self.vertex(from);
        let to = self.vertex(to);
        if from == to || !self.pairs.insert((from, to)) {
            return;
        }
        let i = self.edges.len();
        self.edges.push(Edge {
            from,
            to,
            action,
            evidence,
        });
        self.outgoing[from].push(i);
        self.incoming[to].push(i);
    }

    /// For every vertex, the first edge of a shortest path to `goal` (`None`: no path within
    /// `max_depth` steps, or the goal itself). One breadth-first search over reversed edges.
    pub fn towards(&self, goal: usize, max_depth: usize) -> Vec<Option<usize>> {
        let mut next: Vec<Option<usize>> = vec![None; self.vertices.len()];
        let mut depth: Vec<usize> = vec![usize::MAX; self.vertices.len()];
        depth[goal] = 0;
        let mut queue = VecDeque::from([goal]);
        while let Some(v) = queue.pop_front() {
            if depth[v] >= max_depth {
                continue;
            }
            for &e in &self.incoming[v] {
                let from = self.edges[e].from;
                if depth[from] == usize::MAX {
                    depth[from] = depth[v] + 1;
                    next[from] = Some(e);
                    queue.push_back(from);
                }
            }
        }
        next
    }

    /// Every vertex's distance (in steps) to `goal`, `usize::MAX` when it has no path: one
    /// breadth-first search over reversed edges.
    pub fn distances(&self, goal: usize) -> Vec<usize> {
        let mut depth: Vec<usize> = vec![usize::MAX; self.vertices.len()];
        depth[goal] = 0;
        let mut queue = VecDeque::from([goal]);
        while let Some(v) = queue.pop_front() {
            for &e in &self.incoming[v] {
                let from = self.edges[e].from;
                if depth[from] == usize::MAX {
                    depth[from] = depth[v] + 1;
                    queue.push_back(from);
                }
            }
        }
        depth
    }

    /// Up to `limit` shortest paths from `source` to `goal` (all of the same, shortest, length),
    /// given [`Graph::distances`] to `goal`, and whether more exist. Every edge that brings a
    /// vertex one step nearer the goal is on some shortest path, so the walk never backtracks out
    /// of a dead end: the work is bounded by `limit` × the path's length × the vertices' degree.
    pub fn shortest_paths(
        &self,
        source: usize,
        goal: usize,
        dist: &[usize],
        limit: usize,
    ) -> (Vec<Path>, bool) {
        let mut out = Vec::new();
        let mut more = false;
        if source == goal || dist[source] == usize::MAX || limit == 0 {
            return (out, more);
        }
        // Depth-first over the shortest-path edges: (vertex, index of the next edge to try).
        let mut stack: Vec<(usize, usize)> = vec![(source, 0)];
        let mut edges: Vec<usize> = Vec::new();
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if v == goal {
                if out.len() == limit {
                    more = true;
                    break;
                }
                out.push(Path {
                    source,
                    goal,
                    edges: edges.clone(),
                });
                stack.pop();
                edges.pop();
                continue;
            }
            let step = self.outgoing[v][*next..]
                .iter()
                .position(|&e| dist[self.edges[e].to] == dist[v].wrapping_sub(1));
            match step {
                Some(i) => {
                    let e = self.outgoing[v][*next + i];
                    *next += i + 1;
                    edges.push(e);
                    stack.push((self.edges[e].to, 0));
                }
                None => {
                    stack.pop();
                    edges.pop();
                }
            }
        }
        (out, more)
    }

    /// The shortest path from `source` given the result of [`Graph::towards`] for `goal`.
    pub fn path(&self, source: usize, goal: usize, next: &[Option<usize>]) -> Option<Path> {
        let mut edges = Vec::new();
        let mut at = source;
        while at != goal {
            let e = next[at]?;
            edges.push(e);
            at = self.edges[e].to;
        }
        (!edges.is_empty()).then_some(Path {
            source,
            goal,
            edges,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev() -> Evidence {
        Evidence {
            object: None,
            pointer: String::new(),
            text: Arc::from(""),
            place: None,
            cut: None,
        }
    }

    #[test]
    fn shortest_paths_run_backwards_from_the_goal() {
        let mut g = Graph::default();
        let a = Vertex::User("a".into());
        let b = Vertex::PodsIn("x".into());
        g.add(a.clone(), b.clone(), "may create pods in", ev());
        g.add(b.clone(), Vertex::Node, "runs a privileged pod on", ev());
        g.add(Vertex::Node, Vertex::ClusterAdmin, "reads a token of", ev());
        g.add(a.clone(), Vertex::Node, "proxies to", ev());
        let goal = g.find(&Vertex::ClusterAdmin).unwrap();
        let next = g.towards(goal, 10);
        let p = g.path(g.find(&a).unwrap(), goal, &next).unwrap();
        // a → node → cluster-admin (2) beats a → pods → node → cluster-admin (3).
        assert_eq!(p.edges.len(), 2);
        assert_eq!(g.edge(p.edges[0]).action, "proxies to");
        // Depth limit: no path of at most one step.
        let next = g.towards(goal, 1);
        assert!(g.path(g.find(&a).unwrap(), goal, &next).is_none());
        // No path from the goal to itself.
        assert!(g.path(goal, goal, &g.towards(goal, 10)).is_none());
    }

    #[test]
    fn every_shortest_path_up_to_a_limit() {
        let mut g = Graph::default();
        let a = Vertex::User("a".into());
        // a → x → cluster-admin, a → y → cluster-admin (two of length 2), a → cluster-admin via
        // x → y → cluster-admin is longer and never listed.
        let (x, y) = (Vertex::PodsIn("x".into()), Vertex::PodsIn("y".into()));
        g.add(a.clone(), x.clone(), "to x", ev());
        g.add(a.clone(), y.clone(), "to y", ev());
        g.add(x.clone(), y.clone(), "x to y", ev());
        g.add(x, Vertex::ClusterAdmin, "x to goal", ev());
        g.add(y, Vertex::ClusterAdmin, "y to goal", ev());
        let goal = g.find(&Vertex::ClusterAdmin).unwrap();
        let source = g.find(&a).unwrap();
        let dist = g.distances(goal);
        let (paths, more) = g.shortest_paths(source, goal, &dist, 10);
        assert!(!more);
        let actions: Vec<Vec<&str>> = paths
            .iter()
            .map(|p| p.edges.iter().map(|&e| g.edge(e).action).collect())
            .collect();
        assert_eq!(actions, [["to x", "x to goal"], ["to y", "y to goal"]]);
        let (paths, more) = g.shortest_paths(source, goal, &dist, 1);
        assert_eq!(paths.len(), 1);
        assert!(more);
        // No path from the goal to itself, none from a vertex that cannot reach it.
        assert!(g.shortest_paths(goal, goal, &dist, 10).0.is_empty());
    }

    #[test]
    fn an_edge_between_the_same_vertices_is_kept_once() {
        let mut g = Graph::default();
        g.add(Vertex::Node, Vertex::ClusterAdmin, "first", ev());
        g.add(Vertex::Node, Vertex::ClusterAdmin, "second", ev());
        assert_eq!(g.edge_count(), 1);
        assert_eq!(g.edge(0).action, "first");
    }
}
