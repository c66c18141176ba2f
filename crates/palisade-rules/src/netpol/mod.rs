//! NetworkPolicy analysis: an evaluator with upstream semantics ([`Network`]) and the guide's
//! "Use Network Policies" and Dashboard items as rules (`NP3xx`).
//!
//! The evaluator answers "may this pod (or address) open a connection to that one on this port,
//! and which policy decides?" from the NetworkPolicies and Namespaces of an inventory. It does no
//! I/O; `palisade netpol can-reach` and the rules share it.
//!
//! What manifests cannot tell is said, not guessed: pod IP addresses are unknown, so an `ipBlock`
//! never matches a pod (upstream means ipBlocks for addresses outside the cluster); a named port
//! only matches when the destination pod's container ports are known; objects without
//! `metadata.namespace` are taken to be in `default`, where `kubectl apply` puts them.

use palisade_core::yaml::Node;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use palisade_core::{Context, Keep, Kept, Model, Object, Origin};

mod eval;
mod policy;
mod selector;

pub use eval::{
    pod_in, pod_of, Allow, ContainerPort, Endpoint, Network, Options, Pod, PortQuery, QueryError,
    Side, Verdict,
};
pub use palisade_core::cidr::Cidr;
pub use policy::{
    is_network_policy, is_port_name, parse as parse_policy, Direction, IpBlock, Peer, Policy,
    PolicyRule, PortRef, PortSpec, Protocol,
};
pub use selector::{Labels, Operator, Requirement, Selector, ServiceSelector};

/// The label the API server puts on every namespace, with its name as value (Kubernetes 1.21+).
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The namespace of objects that do not name one: `kubectl apply` without `-n` puts them in
/// `default`.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The cloud metadata endpoint (AWS, GCP, Azure, OpenStack): instance credentials over HTTP.
pub const METADATA_ADDRESS: std::net::IpAddr =
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(169, 254, 169, 254));

/// Why the API server would reject (part of) a NetworkPolicy.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {message}")]
pub struct PolicyError {
    /// JSON pointer of the offending field inside the object.
    pub pointer: String,
    pub message: String,
}

impl PolicyError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// The namespace an object lives in (`default` when it names none).
pub fn namespace_of(o: &Object) -> &str {
    o.namespace()
        .filter(|n| !n.is_empty())
        .unwrap_or(DEFAULT_NAMESPACE)
}

/// The namespace an object is in, as a key for grouping objects: its `metadata.namespace`, or for
/// an object without one `default`, or (`per_directory`) `default` qualified by the directory of
/// its file, so that unrelated applications of one scan are not taken to share a namespace.
pub fn namespace_key(o: &Object, per_directory: bool) -> String {
    match (o.namespace().filter(|n| !n.is_empty()), &o.origin) {
        (Some(ns), _) => ns.to_owned(),
        (None, Origin::File { path, .. }) if per_directory => {
            let dir = std::path::Path::new(&**path)
                .parent()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{DEFAULT_NAMESPACE}\u{0}{dir}")
        }
        (None, _) => DEFAULT_NAMESPACE.to_owned(),
    }
}

/// The namespace name in a [`namespace_key`].
pub fn namespace_name(key: &str) -> &str {
    key.split('\u{0}').next().unwrap_or(key)
}

/// A [`namespace_key`] for messages: `"shop"`, or `"default" (objects without
/// metadata.namespace in k8s/app)`.
pub fn show_namespace(key: &str) -> String {
    match key.split_once('\u{0}') {
        Some((name, "")) => {
            format!("{name:?} (objects without metadata.namespace)")
        }
        Some((name, dir)) => format!("{name:?} (objects without metadata.namespace in {dir})"),
        None => format!("{key:?}"),
    }
}

/// How messages qualify what was (not) found: a set of files is not a cluster.
pub(crate) fn scope(o: &Object) -> &'static str {
    match o.origin {
        Origin::File { .. } => "in the scanned files",
        Origin::Api { .. } => "in the cluster",
    }
}

/// Options of the evaluator for rules: per-directory namespaces for objects without one.
pub(crate) fn rule_options(cx: &palisade_core::Context<'_>) -> Options {
    Options {
        unset_namespace_per_directory: true,
        ..Options::for_version(cx.settings.kubernetes_version)
    }
}

/// What the NetworkPolicy rules read: the network model and the workloads of what their group
/// kept.
pub(crate) struct Prepared<'a> {
    pub(crate) network: Network<'a>,
    pub(crate) workloads: Vec<Workload<'a>>,
    /// The first Namespace object of each name.
    namespaces: HashMap<&'a str, &'a Object>,
    /// The [`namespace_key`]s that hold a NetworkPolicy (valid or not).
    policy_keys: HashSet<String>,
    /// Each workload's index in `workloads` by kind, namespace, name and file, as findings name
    /// them (the last of equal keys).
    pub(crate) workload_index: HashMap<WorkloadKey<'a>, usize>,
}

/// A workload's kind, namespace, name and file ([`origin_path`]).
pub(crate) type WorkloadKey<'a> = (&'a str, Option<&'a str>, Option<&'a str>, Option<&'a str>);

self_cell::self_cell!(
    /// [`Prepared`], built once per scan and group ([`palisade_core::Kept::model`]) instead of
    /// once per rule.
    pub(crate) struct NetModel {
        owner: Vec<Arc<Object>>,
        #[covariant]
        dependent: Prepared,
    }
);

impl Model for NetModel {
    fn build(cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
        NetModel::new(kept.to_vec(), |objects| {
            let objects: Vec<&Object> = objects.iter().map(|o| &**o).collect();
            let mut namespaces = HashMap::new();
            let mut policy_keys = HashSet::new();
            for o in objects.iter().copied() {
                if policy::is_network_policy(o) {
                    policy_keys.insert(namespace_key(o, true));
                } else if o.kind() == "Namespace" && o.group().is_empty() {
                    if let Some(name) = o.name() {
                        namespaces.entry(name).or_insert(o);
                    }
                }
            }
            let workloads = workloads(&objects);
            let workload_index = workloads
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    let o = w.object;
                    ((o.kind(), o.namespace(), o.name(), origin_path(o)), i)
                })
                .collect();
            Prepared {
                network: Network::new(objects.iter().copied(), rule_options(cx)),
                workloads,
                namespaces,
                policy_keys,
                workload_index,
            }
        })
    }
}

/// `Deployment shop/web`.
pub(crate) fn describe(o: &Object) -> String {
    format!(
        "{} {}/{}",
        o.kind(),
        namespace_of(o),
        o.name().unwrap_or("(unnamed)")
    )
}

/// What the NetworkPolicy rules keep of an object for their inventory stage: NetworkPolicies and
/// Namespaces whole (they are small), and of a pod or workload only a projection: pod labels,
/// container ports and images, `hostNetwork` and owner references.
pub(crate) fn keep(o: &Object) -> Option<Keep> {
    if policy::is_network_policy(o) || (o.kind() == "Namespace" && o.group().is_empty()) {
        return Some(Keep::whole());
    }
    Keep::pod(
        o,
        &[&["labels"], &["annotations"]],
        &[
            &["hostNetwork"],
            &["containers", "ports"],
            &["containers", "image"],
            &["containers", "name"],
            &["initContainers", "ports"],
            &["initContainers", "name"],
        ],
        // Exemptions are read from annotations; findings added in `refine` need them.
        // The object's own labels: `dashboard::is_dashboard` reads them too.
        &[
            &["metadata", "ownerReferences"],
            &["metadata", "annotations"],
            &["metadata", "labels"],
        ],
    )
}

/// A pod or workload of the inventory, from its projection.
pub(crate) struct Workload<'a> {
    pub(crate) object: &'a Object,
    pub(crate) pod: Pod,
    pub(crate) host_network: bool,
    pub(crate) dashboard: bool,
    /// JSON pointer of the pod labels.
    pub(crate) labels_pointer: String,
}

/// The pods and workloads among kept objects, except those another object controls (a live
/// cluster's ReplicaSets and Pods of a Deployment: the Deployment stands for them).
pub(crate) fn workloads<'a>(kept: &[&'a Object]) -> Vec<Workload<'a>> {
    kept.iter()
        .filter(|o| !is_controlled(o))
        .filter_map(|o| {
            let template = o.pod_template()?;
            let pod = pod_in(o, true)?;
            Some(Workload {
                object: o,
                host_network: template
                    .spec
                    .get("hostNetwork")
                    .and_then(Node::bool_intent)
                    .unwrap_or(false),
                dashboard: crate::dashboard::is_dashboard(o),
                labels_pointer: format!("{}/labels", template.meta_pointer),
                pod,
            })
        })
        .collect()
}

pub(crate) fn is_controlled(o: &Object) -> bool {
    o.node
        .path(&["metadata", "ownerReferences"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|r| r.get("controller").and_then(Node::bool_intent) == Some(true))
}

/// Where a namespace-level finding goes: the Namespace object when the inventory has it (its
/// name), else the first workload of the namespace (its `metadata.namespace`).
pub(crate) fn anchor<'a>(
    namespace: &str,
    prepared: &Prepared<'a>,
    workloads: &[&Workload<'a>],
) -> Option<(&'a Object, &'static str)> {
    prepared
        .namespaces
        .get(namespace)
        .map(|o| (*o, "/metadata/name"))
        .or_else(|| {
            workloads.first().map(|w| {
                let pointer = if w.object.namespace().is_some() {
                    "/metadata/namespace"
                } else {
                    "/metadata"
                };
                (w.object, pointer)
            })
        })
}

/// Workloads grouped by namespace, in first-seen order, hostNetwork pods left out (NetworkPolicies
/// do not govern them on most network plugins).
pub(crate) fn by_namespace<'w, 'a>(
    workloads: &'w [Workload<'a>],
) -> Vec<(String, Vec<&'w Workload<'a>>)> {
    let mut out: Vec<(String, Vec<&Workload<'a>>)> = Vec::new();
    for w in workloads.iter().filter(|w| !w.host_network) {
        match out.iter_mut().find(|(ns, _)| *ns == w.pod.namespace) {
            Some((_, list)) => list.push(w),
            None => out.push((w.pod.namespace.clone(), vec![w])),
        }
    }
    out
}

/// `1 workload` / `3 workloads`, naming up to three.
pub(crate) fn count_workloads(list: &[&Workload<'_>]) -> String {
    let names: Vec<String> = list
        .iter()
        .take(3)
        .map(|w| {
            format!(
                "{} {}",
                w.object.kind(),
                w.object.name().unwrap_or("(unnamed)")
            )
        })
        .collect();
    let more = if list.len() > 3 {
        format!(" and {} more", list.len() - 3)
    } else {
        String::new()
    };
    format!(
        "{} workload{} ({}{more})",
        list.len(),
        if list.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}

/// Whether the inventory can speak about a namespace as a whole: a live cluster holds every
/// object; a set of files only when it holds the namespace itself (its Namespace object) or a
/// NetworkPolicy in it (even one the API server would reject: the files then hold what the
/// namespace is meant to have). A lone Deployment in `shop` says nothing about the policies
/// `shop` has elsewhere, so a namespace-level verdict about it would be a guess.
pub(crate) fn namespace_in_scope(
    key: &str,
    prepared: &Prepared<'_>,
    list: &[&Workload<'_>],
) -> bool {
    let from_cluster = list
        .iter()
        .any(|w| matches!(w.object.origin, Origin::Api { .. }));
    from_cluster
        || prepared.policy_keys.contains(key)
        || prepared.namespaces.contains_key(namespace_name(key))
}

/// NP301, NP302, NP305: the namespaces whose workloads the scan holds but which are out of scope
/// (see [`namespace_in_scope`]), as a "not evaluated" reason saying `what` is unknown.
pub(crate) fn namespaces_out_of_scope(
    cx: &Context<'_>,
    kept: &Kept<'_>,
    what: &str,
) -> Option<String> {
    let model = kept.model::<NetModel>(cx);
    let workloads = &model.borrow_dependent().workloads;
    let out: Vec<String> = by_namespace(workloads)
        .into_iter()
        .filter(|(ns, list)| !namespace_in_scope(ns, model.borrow_dependent(), list))
        .map(|(ns, list)| format!("{} ({})", show_namespace(&ns), count_workloads(&list)))
        .collect();
    if out.is_empty() {
        return None;
    }
    let (first, rest) = (
        out.iter().take(5).cloned().collect::<Vec<_>>(),
        out.len().saturating_sub(5),
    );
    let more = if rest > 0 {
        format!(" and {rest} more")
    } else {
        String::new()
    };
    Some(format!(
        "{} {}{more}: neither the Namespace object nor any NetworkPolicy of {} is in the scanned \
         files, so whether {what} is unknown (scan the namespace's manifests together, or the \
         cluster)",
        if out.len() == 1 {
            "namespace"
        } else {
            "namespaces"
        },
        first.join(", "),
        if out.len() == 1 { "it" } else { "them" },
    ))
}

/// NP301/NP302: one finding per namespace that has (non-hostNetwork) workloads but no policy that
/// isolates all its pods for `direction` without allowing everything back. Namespaces the scan
/// does not hold are not judged (`not_evaluated`). Where every present workload is already
/// isolated by some policy, what is missing is only the catch-all: a future workload would be
/// open. That is said, at low.
pub(crate) fn refine_default_deny(
    direction: Direction,
    meta: &'static palisade_core::RuleMeta,
    cx: &palisade_core::Context<'_>,
    kept: &Kept<'_>,
    findings: &mut Vec<palisade_core::Finding>,
) {
    let model = kept.model::<NetModel>(cx);
    let prepared = model.borrow_dependent();
    let Prepared {
        network, workloads, ..
    } = prepared;
    for (namespace, list) in by_namespace(workloads) {
        if !namespace_in_scope(&namespace, prepared, &list) {
            continue;
        }
        let in_namespace: Vec<&Policy<'_>> = network
            .policies
            .iter()
            .filter(|p| p.namespace == namespace)
            .collect();
        if in_namespace.iter().any(|p| p.is_default_deny(direction)) {
            continue;
        }
        let Some((object, pointer)) = anchor(&namespace, prepared, &list) else {
            continue;
        };
        let all_isolated = list
            .iter()
            .all(|w| !network.isolating(&w.pod, direction).is_empty());
        if all_isolated {
            let mut emitter = palisade_core::Emitter::new(object, meta, findings);
            let finding = emitter.report(
                pointer,
                format!(
                    "namespace {} has no catch-all default-deny {} NetworkPolicy {} \
                     (podSelector: {{}} with policyType {}): each of its {} is selected by a \
                     policy restricting {}, but a workload added later that no policy selects \
                     would be open",
                    show_namespace(&namespace),
                    direction.as_str(),
                    scope(object),
                    direction.policy_type(),
                    count_workloads(&list),
                    direction.as_str(),
                ),
            );
            finding.severity = palisade_core::Severity::Low;
            continue;
        }
        let partial = in_namespace.iter().filter(|p| p.affects(direction)).count();
        let consequence = match direction {
            Direction::Ingress => "a pod no policy selects accepts connections from every pod of the cluster and from outside",
            Direction::Egress => "a pod no policy selects can connect anywhere, the cloud metadata endpoint and the Kubernetes API included",
        };
        let others = match partial {
            0 => String::new(),
            1 => format!(
                "; 1 policy restricts {} for some of its pods only",
                direction.as_str()
            ),
            n => format!(
                "; {n} policies restrict {} for some of its pods only",
                direction.as_str()
            ),
        };
        palisade_core::Emitter::new(object, meta, findings).report(
            pointer,
            format!(
                "namespace {} has {} but no NetworkPolicy {} denies {} by default \
                 (podSelector: {{}} with policyType {}){others}: {consequence}",
                show_namespace(&namespace),
                count_workloads(&list),
                scope(object),
                direction.as_str(),
                direction.policy_type(),
            ),
        );
    }
}

/// The file an object came from, for matching findings to kept objects.
pub(crate) fn origin_path(o: &Object) -> Option<&str> {
    match &o.origin {
        Origin::File { path, .. } => Some(path),
        Origin::Api { .. } => None,
    }
}

/// `app=web,tier=frontend`, or `(none)`.
pub fn show_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "(none)".to_owned();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}
