//! Building the attack graph from the objects of an inventory: the RBAC edges
//! ([`super::rbac_edges`]), the workload and namespace edges ([`super::pod_edges`]) and the
//! network edges ([`super::network_edges`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use palisade_core::{KubeVersion, Object};

use super::facts::NodeFacts;
use super::graph::{Graph, Vertex};
use super::{network_edges, node_edges, pod_edges, rbac_edges};
use crate::netpol::namespace_of;
use crate::rbac::Rbac;

/// What the edge builders share while the graph is built.
pub(super) struct Builder<'a> {
    pub(super) objects: &'a [&'a Object],
    pub(super) version: KubeVersion,
    pub(super) graph: Graph,
    /// Every namespace the input names (objects' namespaces, Namespace objects, RoleBindings).
    pub(super) namespaces: BTreeSet<String>,
    /// ServiceAccounts known to exist per namespace (their object, a workload running as them,
    /// `default`), with the object that shows it.
    pub(super) accounts: BTreeMap<String, BTreeMap<String, Option<usize>>>,
    /// Every workload is a vertex (`palisade paths --from pod:…`), not only those a source can
    /// reach (exec granted in their namespace, or exposed).
    pub(super) all_workloads: bool,
    /// Who already holds full control.
    pub(super) admins: rbac_edges::Admins,
    index: HashMap<*const Object, usize>,
    bindings_by_namespace: HashMap<String, Vec<usize>>,
}

impl<'a> Builder<'a> {
    /// The index of `o` among the objects the graph is built from (by identity: the authorizer
    /// hands back references to them).
    pub(super) fn index_of(&self, o: &Object) -> Option<usize> {
        self.index.get(&(o as *const Object)).copied()
    }

    /// The RoleBindings of `ns`.
    pub(super) fn bindings_in(&self, ns: &str) -> &[usize] {
        self.bindings_by_namespace
            .get(ns)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub(super) fn account(&mut self, ns: &str, name: &str, shown_by: Option<usize>) {
        let entry = self
            .accounts
            .entry(ns.to_owned())
            .or_default()
            .entry(name.to_owned())
            .or_insert(shown_by);
        if entry.is_none() {
            *entry = shown_by;
        }
    }
}

/// The attack graph of `objects` at target version `version`.
pub fn build(objects: &[&Object], version: KubeVersion) -> Graph {
    build_with(
        objects,
        version,
        &[],
        Workloads::Reachable,
        &NodeFacts::default(),
    )
}

/// Which workloads become vertices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workloads {
    /// Every one, so any can be asked about (`--from pod:NAMESPACE/NAME`).
    All,
    /// Those a source can reach: exec is granted in their namespace, or they are exposed. The
    /// paths from identities and the internet are the same; the graph of a large scan is a
    /// fraction of the size.
    Reachable,
}

/// [`build`], with `identities` as vertices even when the input names them nowhere (`--from
/// user:alice`: a user no binding names still has what its implicit groups are granted), and the
/// node-level edges of `facts`.
pub fn build_with(
    objects: &[&Object],
    version: KubeVersion,
    identities: &[Vertex],
    workloads: Workloads,
    facts: &NodeFacts,
) -> Graph {
    let rbac = Rbac::new(objects.iter().copied().filter(|o| rbac_edges::is_rbac(o)));
    let mut b = Builder {
        objects,
        version,
        graph: Graph::default(),
        namespaces: BTreeSet::new(),
        accounts: BTreeMap::new(),
        all_workloads: workloads == Workloads::All,
        admins: rbac_edges::Admins::new(&rbac),
        index: objects
            .iter()
            .enumerate()
            .map(|(i, o)| (*o as *const Object, i))
            .collect(),
        bindings_by_namespace: HashMap::new(),
    };
    for (i, binding) in rbac.bindings.iter().enumerate() {
        if !binding.cluster {
            b.namespaces.insert(binding.namespace.to_owned());
            b.bindings_by_namespace
                .entry(binding.namespace.to_owned())
                .or_default()
                .push(i);
        }
    }
    for o in objects {
        if crate::namespace::is_namespace(o) {
            if let Some(name) = o.name() {
                b.namespaces.insert(name.to_owned());
            }
        } else if o.namespace().is_some() || o.pod_template().is_some() {
            b.namespaces.insert(namespace_of(o).to_owned());
        }
    }
    // Every identity a path may start from is a vertex, even one no binding names: anonymous
    // requests reach what system:unauthenticated may do.
    b.graph
        .vertex(Vertex::User(crate::rbac::authorizer::ANONYMOUS.to_owned()));
    for v in identities {
        b.graph.vertex(v.clone());
    }
    // RBAC first: whether a namespace's Pod Security level is worth a "not evaluated", and
    // whether a workload is reachable, depend on what anybody may do there.
    rbac_edges::add(&mut b, &rbac);
    // Exposure before workloads: an exposed workload is reachable.
    network_edges::add(&mut b);
    pod_edges::add(&mut b);
    network_edges::metadata(&mut b);
    // Before memberships: the groups the node edges name get their members. What they leave
    // unknown is said first: it concerns every path, a namespace's level only its own.
    let unknowns = std::mem::take(&mut b.graph.unknowns);
    node_edges::add(&mut b, facts);
    let node_unknowns = std::mem::replace(&mut b.graph.unknowns, unknowns);
    rbac_edges::memberships(&mut b);
    // Administrators: marked so that sources skip them.
    // Ascending, for `Graph::is_admin`'s binary search.
    let admins: Vec<usize> = (0..b.graph.vertices().len())
        .filter(|&v| b.admins.contains(b.graph.get(v)))
        .collect();
    b.graph.admins = admins;
    b.graph.unknowns.sort();
    b.graph.unknowns.dedup();
    b.graph.unknowns.splice(0..0, node_unknowns);
    b.graph
}
