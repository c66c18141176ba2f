//! Edges the RBAC authorizer creates: what each subject of each binding may do that moves an
//! attacker on (run pods, exec, read Secrets, mint tokens, impersonate, bind, escalate, proxy to
//! kubelets, approve certificates, mutate admission), asked of the one authorizer every RBAC rule
//! uses ([`Rbac`]), never re-implemented.
//!
//! Each probe is asked once cluster-wide (ClusterRoleBindings: the grant holds in every
//! namespace) and once per namespace for the RoleBindings of that namespace only, so the cost is
//! probes × bindings, not probes × bindings × namespaces.

use std::collections::HashSet;

use palisade_core::Object;

use super::build::Builder;
use super::graph::{Evidence, Vertex};
use crate::rbac::authorizer::{ANONYMOUS, SUPERUSER_GROUP};
use crate::rbac::{Decision, Grant, Rbac, Request, SubjectKind, UserInfo};

/// Where a namespaced probe leads in the namespace it was asked in.
#[derive(Clone, Copy)]
enum Lead {
    PodsIn,
    ExecIn,
    Secrets,
    AnyServiceAccount,
}

impl Lead {
    fn vertex(self, ns: &str) -> Vertex {
        let ns = ns.to_owned();
        match self {
            Lead::PodsIn => Vertex::PodsIn(ns),
            Lead::ExecIn => Vertex::ExecIn(ns),
            Lead::Secrets => Vertex::Secrets(ns),
            Lead::AnyServiceAccount => Vertex::AnyServiceAccount(ns),
        }
    }
}

/// `(verb, group, resource, subresource, lead, action)`.
type Probe = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Lead,
    &'static str,
);

/// Namespaced requests and where they lead. Creating or changing a pod-owning workload runs a
/// pod of the attacker's choosing as surely as creating the pod.
const NAMESPACED: &[Probe] = &[
    ("create", "", "pods", "", Lead::PodsIn, "may create pods in"),
    (
        "create",
        "apps",
        "deployments",
        "",
        Lead::PodsIn,
        "may create Deployments in",
    ),
    (
        "create",
        "apps",
        "daemonsets",
        "",
        Lead::PodsIn,
        "may create DaemonSets in",
    ),
    (
        "create",
        "apps",
        "statefulsets",
        "",
        Lead::PodsIn,
        "may create StatefulSets in",
    ),
    (
        "create",
        "apps",
        "replicasets",
        "",
        Lead::PodsIn,
        "may create ReplicaSets in",
    ),
    (
        "create",
        "batch",
        "jobs",
        "",
        Lead::PodsIn,
        "may create Jobs in",
    ),
    (
        "create",
        "batch",
        "cronjobs",
        "",
        Lead::PodsIn,
        "may create CronJobs in",
    ),
    (
        "create",
        "",
        "replicationcontrollers",
        "",
        Lead::PodsIn,
        "may create ReplicationControllers in",
    ),
    (
        "patch",
        "apps",
        "deployments",
        "",
        Lead::PodsIn,
        "may change the pod template of Deployments in",
    ),
    (
        "update",
        "apps",
        "deployments",
        "",
        Lead::PodsIn,
        "may change the pod template of Deployments in",
    ),
    (
        "patch",
        "apps",
        "daemonsets",
        "",
        Lead::PodsIn,
        "may change the pod template of DaemonSets in",
    ),
    (
        "update",
        "apps",
        "daemonsets",
        "",
        Lead::PodsIn,
        "may change the pod template of DaemonSets in",
    ),
    (
        "patch",
        "apps",
        "statefulsets",
        "",
        Lead::PodsIn,
        "may change the pod template of StatefulSets in",
    ),
    (
        "patch",
        "batch",
        "cronjobs",
        "",
        Lead::PodsIn,
        "may change the pod template of CronJobs in",
    ),
    (
        "create",
        "",
        "pods",
        "exec",
        Lead::ExecIn,
        "may exec into pods in",
    ),
    (
        "create",
        "",
        "pods",
        "attach",
        Lead::ExecIn,
        "may attach to pods in",
    ),
    (
        "patch",
        "",
        "pods",
        "ephemeralcontainers",
        Lead::ExecIn,
        "may add ephemeral containers to pods in",
    ),
    (
        "list",
        "",
        "secrets",
        "",
        Lead::Secrets,
        "may list Secrets (with their data) in",
    ),
    (
        "get",
        "",
        "secrets",
        "",
        Lead::Secrets,
        "may get every Secret in",
    ),
    (
        "watch",
        "",
        "secrets",
        "",
        Lead::Secrets,
        "may watch Secrets (with their data) in",
    ),
    (
        "create",
        "",
        "serviceaccounts",
        "token",
        Lead::AnyServiceAccount,
        "may create tokens for the ServiceAccounts of",
    ),
    (
        "impersonate",
        "",
        "serviceaccounts",
        "",
        Lead::AnyServiceAccount,
        "may impersonate the ServiceAccounts of",
    ),
];

/// Cluster-wide requests that lead somewhere by themselves.
const CLUSTER: &[(&str, &str, &str, &str, &str, &str)] = &[
    // (verb, group, resource, subresource, name, action)
    (
        "*",
        "*",
        "*",
        "",
        "",
        "has full control of the cluster (`*` on `*`) as",
    ),
    (
        "impersonate",
        "",
        "groups",
        "",
        SUPERUSER_GROUP,
        "may impersonate group \"system:masters\", which is",
    ),
];

/// A subject of a grant as a vertex (`None` for a subject that matches nobody).
fn subject_vertex(rbac: &Rbac<'_>, g: &Grant) -> Option<Vertex> {
    let b = &rbac.bindings[g.binding];
    let s = &b.subjects[g.subject];
    match s.kind {
        SubjectKind::User => Some(Vertex::User(s.name.to_owned())),
        SubjectKind::Group => Some(Vertex::Group(s.name.to_owned())),
        SubjectKind::ServiceAccount => {
            s.service_account_namespace(b.namespace)
                .map(|ns| Vertex::ServiceAccount {
                    namespace: ns.to_owned(),
                    name: s.name.to_owned(),
                })
        }
        SubjectKind::Unknown => None,
    }
}

/// Who a vertex is to the authorizer (`None` for vertices that are not identities).
pub(super) fn user_of(v: &Vertex) -> Option<UserInfo> {
    match v {
        Vertex::User(name) => Some(UserInfo::new(name, &[])),
        Vertex::ServiceAccount { namespace, name } => Some(UserInfo::new(
            &format!("system:serviceaccount:{namespace}:{name}"),
            &[],
        )),
        // A group alone: the rights of its members that come through it, no others.
        Vertex::Group(name) => Some(UserInfo {
            name: String::new(),
            groups: vec![name.clone()],
        }),
        _ => None,
    }
}

fn grant_evidence(b: &Builder<'_>, rbac: &Rbac<'_>, g: &Grant, extra: Option<String>) -> Evidence {
    let binding = &rbac.bindings[g.binding];
    let mut text = rbac.describe_grant(g.binding, g.rule);
    if let Some(extra) = extra {
        text.push_str("; and ");
        text.push_str(&extra);
    }
    Evidence {
        object: b.index_of(binding.object),
        pointer: format!("/subjects/{}", binding.subjects[g.subject].index),
        text: text.into(),
        place: None,
        cut: Some(binding.describe().into()),
    }
}
/// Adds every RBAC edge.
pub(super) fn add(b: &mut Builder<'_>, rbac: &Rbac<'_>) {
    let namespaces: Vec<String> = b.namespaces.iter().cloned().collect();
    for &(verb, group, resource, sub, lead, action) in NAMESPACED {
        // ClusterRoleBindings: the grant holds in every namespace the input knows.
        let cluster = Request::exact(verb, group, resource, sub, "", "");
        for g in rbac.who_can(&cluster) {
            let Some(from) = subject_vertex(rbac, &g) else {
                continue;
            };
            // One evidence for every namespace: its text is shared, not copied.
            let ev = grant_evidence(b, rbac, &g, None);
            for ns in &namespaces {
                b.graph
                    .add(from.clone(), lead.vertex(ns), action, ev.clone());
            }
        }
        for ns in &namespaces {
            let req = Request::exact(verb, group, resource, sub, "", ns);
            for bi in b.bindings_in(ns).to_vec() {
                let Some(rule) = rbac.binding_allows(bi, &req) else {
                    continue;
                };
                for s in 0..rbac.bindings[bi].subjects.len() {
                    let g = Grant {
                        binding: bi,
                        subject: s,
                        rule,
                    };
                    if let Some(from) = subject_vertex(rbac, &g) {
                        let ev = grant_evidence(b, rbac, &g, None);
                        b.graph.add(from, lead.vertex(ns), action, ev);
                    }
                }
            }
        }
    }
    for &(verb, group, resource, sub, name, action) in CLUSTER {
        for g in rbac.who_can(&Request::exact(verb, group, resource, sub, name, "")) {
            if let Some(from) = subject_vertex(rbac, &g) {
                let ev = grant_evidence(b, rbac, &g, None);
                b.graph.add(from, Vertex::ClusterAdmin, action, ev);
            }
        }
    }
    // Impersonation, unrestricted or restricted to names: of each user and group the graph
    // knows (an unrestricted grant matches every name).
    let names: Vec<Vertex> = b
        .graph
        .vertices()
        .iter()
        .filter(|v| matches!(v, Vertex::User(_) | Vertex::Group(_)))
        .cloned()
        .collect();
    for target in names {
        let (resource, name) = match &target {
            Vertex::User(n) => ("users", n.as_str()),
            Vertex::Group(n) => ("groups", n.as_str()),
            _ => continue,
        };
        for g in rbac.who_can(&Request::exact("impersonate", "", resource, "", name, "")) {
            if let Some(from) = subject_vertex(rbac, &g) {
                let ev = grant_evidence(b, rbac, &g, None);
                b.graph.add(from, target.clone(), "may impersonate", ev);
            }
        }
    }
    for verb in ["get", "create"] {
        for g in rbac.who_can(&Request::exact(verb, "", "nodes", "proxy", "", "")) {
            if let Some(from) = subject_vertex(rbac, &g) {
                let ev = grant_evidence(b, rbac, &g, None);
                b.graph.add(
                    from,
                    Vertex::Node,
                    "may call every kubelet's API through nodes/proxy (exec into any pod, \
                     privileged ones included), which reaches",
                    ev,
                );
            }
        }
    }
    for verb in ["create", "update", "patch"] {
        let req = Request::exact(
            verb,
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
            "",
            "",
            "",
        );
        for g in rbac.who_can(&req) {
            let Some(from) = subject_vertex(rbac, &g) else {
                continue;
            };
            let ev = grant_evidence(b, rbac, &g, None);
            for ns in &namespaces {
                b.graph.add(
                    from.clone(),
                    Vertex::PodsIn(ns.clone()),
                    "may install a mutating webhook that rewrites every pod created afterwards \
                     (a rollout, a Job) into",
                    ev.clone(),
                );
            }
        }
    }
    conjunctions(b, rbac, &namespaces);
}

/// Rights that escalate only together: both must reach one subject (asked of the authorizer as
/// that subject, so group memberships count).
fn conjunctions(b: &mut Builder<'_>, rbac: &Rbac<'_>, namespaces: &[String]) {
    let rbac_group = "rbac.authorization.k8s.io";
    let bind_admin = [Request::exact(
        "bind",
        rbac_group,
        "clusterroles",
        "",
        "cluster-admin",
        "",
    )];
    let write_crb = ["create", "update", "patch"]
        .map(|v| Request::exact(v, rbac_group, "clusterrolebindings", "", "", ""));
    both(
        b,
        rbac,
        &[&write_crb, &bind_admin],
        Vertex::ClusterAdmin,
        "may bind ClusterRole \"cluster-admin\" to itself (create or change a \
         ClusterRoleBinding, and `bind` on the role), which makes it",
    );
    let escalate = [Request::exact(
        "escalate",
        rbac_group,
        "clusterroles",
        "",
        "",
        "",
    )];
    let write_cr =
        ["update", "patch"].map(|v| Request::exact(v, rbac_group, "clusterroles", "", "", ""));
    both(
        b,
        rbac,
        &[&write_cr, &escalate],
        Vertex::ClusterAdmin,
        "may rewrite any ClusterRole with rights it does not hold (`escalate`), e.g. \
         \"system:basic-user\", bound to every authenticated user: it becomes",
    );
    let csr_group = "certificates.k8s.io";
    let create_csr = [Request::exact(
        "create",
        csr_group,
        "certificatesigningrequests",
        "",
        "",
        "",
    )];
    let approve_csr = ["update", "patch"].map(|v| {
        Request::exact(
            v,
            csr_group,
            "certificatesigningrequests",
            "approval",
            "",
            "",
        )
    });
    let approve_signer = [Request::exact(
        "approve",
        csr_group,
        "signers",
        "",
        "kubernetes.io/kube-apiserver-client",
        "",
    )];
    both(
        b,
        rbac,
        &[&create_csr, &approve_csr, &approve_signer],
        Vertex::ClusterAdmin,
        "may request and approve a client certificate for group \"system:masters\" \
         (signer kubernetes.io/kube-apiserver-client), which is",
    );
    for ns in namespaces {
        let write_rb = ["create", "update", "patch"]
            .map(|v| Request::exact(v, rbac_group, "rolebindings", "", "", ns));
        let bind = [Request::exact(
            "bind",
            rbac_group,
            "clusterroles",
            "",
            "admin",
            ns,
        )];
        for lead in [Lead::PodsIn, Lead::ExecIn, Lead::Secrets] {
            both(
                b,
                rbac,
                &[&write_rb, &bind],
                lead.vertex(ns),
                "may bind ClusterRole \"admin\" to itself in the namespace (a RoleBinding and \
                 `bind`), which gives",
            );
        }
    }
}

/// Adds `subject → to` for every subject granted one request of each list of `requirements`.
/// Candidates are the subjects granted the first; the others are asked as each candidate.
fn both(
    b: &mut Builder<'_>,
    rbac: &Rbac<'_>,
    requirements: &[&[Request<'_>]],
    to: Vertex,
    action: &'static str,
) {
    let Some((first, rest)) = requirements.split_first() else {
        return;
    };
    // Whether a subject also has the rest depends on the subject alone, and the graph keeps
    // the first edge between two vertices: a subject granted the first request by several
    // bindings (or by several of its alternatives) is decided once.
    let mut decided = std::collections::HashSet::new();
    for req in first.iter() {
        for g in rbac.who_can(req) {
            let Some(from) = subject_vertex(rbac, &g) else {
                continue;
            };
            if !decided.insert(from.clone()) {
                continue;
            }
            let Some(user) = user_of(&from) else {
                continue;
            };
            let mut also = Vec::new();
            let all = rest.iter().all(|alternatives| {
                alternatives.iter().any(|r| match rbac.authorize(&user, r) {
                    Decision::Allowed(g2) => {
                        also.push(rbac.describe_grant(g2.binding, g2.rule));
                        true
                    }
                    Decision::Superuser => true,
                    Decision::Denied => false,
                })
            });
            if all {
                let ev = grant_evidence(b, rbac, &g, Some(also.join("; and ")));
                b.graph.add(from, to.clone(), action, ev);
            }
        }
    }
}

/// Implicit groups: every ServiceAccount is in `system:serviceaccounts` and
/// `system:serviceaccounts:NS`, every user but `system:anonymous` in `system:authenticated`,
/// `system:anonymous` in `system:unauthenticated`. Added for the groups some binding names.
pub(super) fn memberships(b: &mut Builder<'_>) {
    let groups: std::collections::HashSet<String> = b
        .graph
        .vertices()
        .iter()
        .filter_map(|v| match v {
            Vertex::Group(g) => Some(g.clone()),
            _ => None,
        })
        .collect();
    let members: Vec<Vertex> = b
        .graph
        .vertices()
        .iter()
        .filter(|v| matches!(v, Vertex::User(_) | Vertex::ServiceAccount { .. }))
        .cloned()
        .collect();
    for m in members {
        let Some(user) = user_of(&m) else { continue };
        for g in user.groups.iter().filter(|g| groups.contains(*g)) {
            let text = match &m {
                Vertex::User(n) if n == ANONYMOUS => {
                    "requests without credentials are user system:anonymous in group \
                     system:unauthenticated"
                }
                Vertex::User(_) => "every authenticated user is in system:authenticated",
                _ => "a ServiceAccount is in system:serviceaccounts, system:serviceaccounts:NAMESPACE \
                      and system:authenticated",
            };
            b.graph.add(
                m.clone(),
                Vertex::Group(g.clone()),
                "is a member of",
                Evidence {
                    object: None,
                    pointer: String::new(),
                    text: (text.to_owned()).into(),
                    place: None,
                    cut: None,
                },
            );
        }
    }
}

/// Who already holds full control by RBAC alone (`*` on `*` cluster-wide), asked once: the
/// subjects granted it, as vertices (a member of one of these groups is an administrator too).
pub(super) struct Admins {
    subjects: HashSet<Vertex>,
}

impl Admins {
    pub(super) fn new(rbac: &Rbac<'_>) -> Self {
        Admins {
            subjects: rbac
                .who_can(&Request::exact("*", "*", "*", "", "", ""))
                .iter()
                .filter_map(|g| subject_vertex(rbac, g))
                .collect(),
        }
    }

    /// Whether `v` is an administrator (or a control-plane identity): such an identity is not
    /// the start of an attack path.
    pub(super) fn contains(&self, v: &Vertex) -> bool {
        if let Vertex::User(n) | Vertex::Group(n) = v {
            if n == SUPERUSER_GROUP
                || n == "system:nodes"
                || n.starts_with("system:node:")
                || matches!(
                    n.as_str(),
                    "system:kube-controller-manager" | "system:kube-scheduler" | "system:apiserver"
                )
            {
                return true;
            }
        }
        if self.subjects.contains(v) {
            return true;
        }
        let Some(user) = user_of(v) else {
            return false;
        };
        user.groups
            .iter()
            .any(|g| g == SUPERUSER_GROUP || self.subjects.contains(&Vertex::Group(g.clone())))
    }
}

/// Whether an object is one the RBAC authorizer reads.
pub(super) fn is_rbac(o: &Object) -> bool {
    crate::rbac::is_rbac(o)
}
