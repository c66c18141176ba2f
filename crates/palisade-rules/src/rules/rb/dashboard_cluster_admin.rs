//! RB250 `dashboard-cluster-admin`: the Kubernetes Dashboard's service account is bound to
//! cluster-admin by a ClusterRoleBinding — the guide's exact case.
//!
//! No RBAC engine is needed: the binding's `roleRef` names `cluster-admin` (or a ClusterRole of
//! the scan that grants every verb on every resource of every group) and a subject is the
//! Dashboard's ServiceAccount. From the binding alone (`check`) the account is recognised by its
//! upstream name (`kubernetes-dashboard`, `kubernetes-dashboard-*`); with the scan (`refine`)
//! also as the account a Dashboard workload runs as, whatever its name.

use std::collections::{HashMap, HashSet};

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Finding, InventoryRule, Keep, Kept, Object, ObjectRef, ObjectRule, RuleMeta,
    Severity, VersionRange,
};

use crate::dashboard::{core_ref, dashboard_projection, is_dashboard_name, service_account};
use crate::namespace::name_list;

static META: RuleMeta = RuleMeta {
    code: "RB250",
    name: "dashboard-cluster-admin",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/access-control/README.md",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles",
        "https://redlock.io/blog/cryptojacking-tesla",
    ],
    summary: "The Kubernetes Dashboard's service account is bound to cluster-admin",
    what: "Every ClusterRoleBinding whose `roleRef` is the ClusterRole `cluster-admin` — or a \
           ClusterRole of the scan granting `*` verbs on `*` resources in `*` API groups — is \
           checked for a ServiceAccount subject that is the Dashboard's: named \
           `kubernetes-dashboard` or `kubernetes-dashboard-*` (not the metrics scraper), or, \
           when the scan holds the Dashboard workload, the account it runs as. RoleBindings \
           (namespace-scoped) are not this rule's case. Who else can reach cluster-admin is the \
           RBAC rules' business.",
    why: "The guide's critical Dashboard item, verbatim: before Dashboard 1.8 the Dashboard was \
          installed with a cluster-admin service account, and a ClusterRoleBinding left behind \
          means that clicking SKIP on the sign-in page grants full control of the cluster. \
          Tesla's cluster was taken over this way to mine cryptocurrency. Even with sign-in \
          required, any pod that reads the Dashboard's token, or anyone who reaches its API, \
          owns the cluster.",
    example: "# fails\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
              metadata:\n  name: kubernetes-dashboard\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n\
              - kind: ServiceAccount\n  name: kubernetes-dashboard\n  namespace: kube-system\n\
              # passes: the upstream minimal role\nroleRef:\n  apiGroup: \
              rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: kubernetes-dashboard",
    fix: "Delete the binding (`kubectl delete clusterrolebinding NAME`) and bind the \
          Dashboard's account only to the minimal role its upstream manifest ships (metrics and \
          its own secrets). Users sign in with their own token and get their own RBAC rights. \
          The Dashboard project is archived; Headlamp is a maintained alternative.",
    help: "remove the cluster-admin binding of the Dashboard's service account",
};

pub struct ClusterAdmin;

pub static RULE: ClusterAdmin = ClusterAdmin;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

fn is_cluster_role_binding(o: &Object) -> bool {
    o.kind() == "ClusterRoleBinding" && o.group() == RBAC_GROUP
}

fn is_cluster_role(o: &Object) -> bool {
    o.kind() == "ClusterRole" && o.group() == RBAC_GROUP
}

/// The ClusterRole a binding grants, if its `roleRef` names one.
fn cluster_role_of(binding: &Object) -> Option<&str> {
    let role_ref = binding.node.get("roleRef")?;
    (role_ref.get("kind").and_then(Node::as_str) == Some("ClusterRole"))
        .then(|| role_ref.get("name").and_then(Node::as_str))
        .flatten()
}

/// A ClusterRole with a rule granting every verb on every resource of every group: cluster-admin
/// under another name.
fn grants_everything(role: &Object) -> bool {
    let has_star = |rule: &Node, key: &str| {
        rule.get(key)
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .any(|v| v.as_str() == Some("*"))
    };
    role.node
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|r| has_star(r, "apiGroups") && has_star(r, "resources") && has_star(r, "verbs"))
}

/// ServiceAccount subjects of a binding: (index, namespace, name).
fn account_subjects(binding: &Object) -> Vec<(usize, Option<&str>, &str)> {
    binding
        .node
        .get("subjects")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter(|(_, s)| s.get("kind").and_then(Node::as_str) == Some("ServiceAccount"))
        .filter_map(|(i, s)| {
            let name = s.get("name").and_then(Node::as_str)?;
            Some((i, s.get("namespace").and_then(Node::as_str), name))
        })
        .collect()
}

fn message(binding: &Object, role: &str, ns: Option<&str>, name: &str, why: &str) -> String {
    let role = if role == "cluster-admin" {
        "ClusterRole \"cluster-admin\"".to_owned()
    } else {
        format!("ClusterRole {role:?} (every verb on every resource, as cluster-admin)")
    };
    format!(
        "ClusterRoleBinding {:?} binds {role} to service account {}/{name}, {why}: whoever \
         reaches the Dashboard and clicks SKIP, or holds its token, controls the whole cluster",
        binding.name().unwrap_or(""),
        ns.unwrap_or("")
    )
}

const BY_NAME: &str = "the Kubernetes Dashboard's account by its name";

fn report(
    binding: &Object,
    findings: &mut Vec<Finding>,
    index: usize,
    related: ObjectRef,
    text: String,
) {
    let mut emitter = Emitter::new(binding, &META, findings);
    let f = emitter.report(&format!("/subjects/{index}"), text);
    f.related = Some(Box::new(related));
}

impl ObjectRule for ClusterAdmin {
    fn judges(&self) -> palisade_core::Judges {
        palisade_core::Judges {
            what: "Kubernetes Dashboard workloads or ClusterRoleBindings",
            test: |_, o, _| is_cluster_role_binding(o) || crate::dashboard::is_dashboard(o),
        }
    }

    /// The guide's exact case, from the binding alone: cluster-admin bound to an account with
    /// the Dashboard's upstream name.
    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_cluster_role_binding(object) || cluster_role_of(object) != Some("cluster-admin") {
            return;
        }
        for (i, ns, name) in account_subjects(object) {
            if is_dashboard_name(name) {
                let f = out.report(
                    &format!("/subjects/{i}"),
                    message(object, "cluster-admin", ns, name, BY_NAME),
                );
                f.related = Some(Box::new(core_ref("ServiceAccount", ns, name)));
            }
        }
    }

    fn inventory(&self) -> Option<&dyn InventoryRule> {
        Some(self)
    }
}

/// Keeps ClusterRoleBindings (roleRef and subjects), ClusterRoles that grant everything, and
/// Dashboard workloads (their service account); adds the bindings `check` could not recognise:
/// to a cluster-admin-equivalent ClusterRole, or of the account a Dashboard workload runs as.
impl InventoryRule for ClusterAdmin {
    fn keep(&self, o: &Object) -> Option<Keep> {
        if is_cluster_role_binding(o) {
            return Some(Keep::paths(&[&["roleRef"], &["subjects"]]));
        }
        if is_cluster_role(o) && grants_everything(o) {
            return Some(Keep::paths(&[]));
        }
        dashboard_projection(o)
    }

    fn refine(&self, _cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        let mut admin: HashSet<&str> = HashSet::from(["cluster-admin"]);
        admin.extend(
            kept.iter()
                .copied()
                .filter(|o| is_cluster_role(o))
                .filter_map(Object::name),
        );
        let mut accounts: HashMap<(Option<&str>, &str), &Object> = HashMap::new();
        for w in kept.iter().copied().filter(|o| o.pod_template().is_some()) {
            if let Some(sa) = service_account(w) {
                accounts.entry((w.namespace(), sa)).or_insert(w);
            }
        }
        let reported: HashSet<(ObjectRef, ObjectRef)> = findings
            .iter()
            .filter(|f| f.code == META.code)
            .filter_map(|f| Some((f.object.as_deref()?.clone(), f.related.as_deref()?.clone())))
            .collect();
        for binding in kept.iter().copied().filter(|o| is_cluster_role_binding(o)) {
            let Some(role) = cluster_role_of(binding).filter(|r| admin.contains(r)) else {
                continue;
            };
            for (i, ns, name) in account_subjects(binding) {
                let why = match accounts.get(&(ns, name)) {
                    Some(w) => format!(
                        "which {} {}/{} of the scanned files runs as",
                        w.kind(),
                        w.namespace().unwrap_or(""),
                        w.name().unwrap_or("")
                    ),
                    None if is_dashboard_name(name) => BY_NAME.to_owned(),
                    None => continue,
                };
                let related = core_ref("ServiceAccount", ns, name);
                if reported.contains(&(binding.reference(), related.clone())) {
                    continue;
                }
                report(
                    binding,
                    findings,
                    i,
                    related,
                    message(binding, role, ns, name, &why),
                );
            }
        }
    }

    fn not_evaluated(&self, _cx: &Context<'_>, kept: &Kept<'_>) -> Option<String> {
        if kept.iter().copied().any(is_cluster_role_binding) {
            return None;
        }
        let dashboards: Vec<String> = kept
            .iter()
            .filter(|o| o.pod_template().is_some())
            .map(|w| {
                format!(
                    "{}/{}",
                    w.namespace().unwrap_or(""),
                    service_account(w).unwrap_or("default")
                )
            })
            .collect();
        (!dashboards.is_empty()).then(|| {
            format!(
                "no ClusterRoleBinding in the scanned files: whether the Kubernetes Dashboard's \
                 service account ({}) is bound to cluster-admin is unknown",
                name_list(&dashboards)
            )
        })
    }
}
