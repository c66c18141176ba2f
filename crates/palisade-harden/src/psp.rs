//! Before Kubernetes 1.25: the guide's PodSecurityPolicy pair and its RBAC.
//!
//! - `default`, unprivileged, usable by every authenticated user and service account
//!   (ClusterRole `default-psp`, ClusterRoleBinding to `system:authenticated`);
//! - `privileged`, usable in `kube-system` by the nodes and the legacy `kubelet` user
//!   (ClusterRole `privileged-psp`, RoleBinding `privileged-psp-nodes`), and — adapted to the
//!   inventory — by the ServiceAccount of every workload the `default` policy would reject (the
//!   guide's canal and kube-dns bindings are this case).
//!
//! The policies are the guide's, in the `policy/v1beta1` group (its `extensions/v1beta1`
//! spelling was removed in 1.16), with the seccomp profile named `runtime/default` (`docker/default`
//! is its deprecated alias). The guide offers a variant with AppArmor annotations for nodes that
//! support AppArmor; the inventory cannot tell, so the variant without them is generated.

use palisade_core::yaml::Node;
use palisade_core::KubeVersion;
use palisade_rules::pss::Level;

use crate::inventory::Inventory;
use crate::yaml::Y;
use crate::{object, psa, Generated};

/// The first version without PodSecurityPolicy.
pub const PSP_REMOVED: KubeVersion = KubeVersion::v1(25);

/// Volume types of the guide's default policy.
const VOLUMES: [&str; 6] = [
    "configMap",
    "emptyDir",
    "projected",
    "secret",
    "downwardAPI",
    "persistentVolumeClaim",
];

fn strategy(rule: &str) -> Y {
    Y::map([("rule", Y::str(rule))])
}

fn use_role(name: &str, policy: &str) -> Generated {
    object(
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        None,
        name,
        &[],
        vec![(
            "palisade.dev/reason",
            format!("permission to use PodSecurityPolicy {policy}"),
        )],
        vec![(
            "rules",
            Y::seq([Y::map([
                ("apiGroups", Y::seq([Y::str("policy")])),
                ("resources", Y::seq([Y::str("podsecuritypolicies")])),
                ("verbs", Y::seq([Y::str("use")])),
                ("resourceNames", Y::seq([Y::str(policy)])),
            ])]),
        )],
    )
}

fn role_ref(name: &str) -> Y {
    Y::map([
        ("apiGroup", Y::str("rbac.authorization.k8s.io")),
        ("kind", Y::str("ClusterRole")),
        ("name", Y::str(name)),
    ])
}

fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Y {
    let mut s = Y::map([("kind", Y::str(kind)), ("name", Y::str(name))]);
    match namespace {
        Some(ns) => s.set("namespace", Y::str(ns)),
        None => s.set("apiGroup", Y::str("rbac.authorization.k8s.io")),
    }
    s
}

/// Whether the guide's `default` policy would reject the workload's pods: anything baseline
/// forbids, a volume type outside its list, or a container asking for privilege escalation.
fn needs_privileged(o: &palisade_core::Object, version: KubeVersion) -> bool {
    let Some(pod) = o.pod_template() else {
        return false;
    };
    if !psa::failing(o, Level::Baseline, psa::pinned(version)).is_empty() {
        return true;
    }
    let volume_ok = |v: &Node| {
        v.entries()
            .iter()
            .filter(|e| &*e.key != "name")
            .all(|e| VOLUMES.contains(&&*e.key))
    };
    let volumes = pod.spec.get("volumes").map(Node::items).unwrap_or(&[]);
    !volumes.iter().all(volume_ok)
        || pod.containers().any(|c| {
            c.node
                .path(&["securityContext", "allowPrivilegeEscalation"])
                .and_then(Node::bool_intent)
                == Some(true)
        })
}

/// The PodSecurityPolicy objects, or nothing from 1.25 on.
pub fn plan(inv: &Inventory, version: KubeVersion) -> (Vec<Generated>, Vec<String>) {
    if version >= PSP_REMOVED {
        return (Vec::new(), Vec::new());
    }
    let mut out = Vec::new();
    let mut notes = Vec::new();
    out.push(object(
        "policy/v1beta1",
        "PodSecurityPolicy",
        None,
        "default",
        &["PS177"],
        vec![
            (
                "seccomp.security.alpha.kubernetes.io/allowedProfileNames",
                "runtime/default,docker/default".to_owned(),
            ),
            (
                "seccomp.security.alpha.kubernetes.io/defaultProfileName",
                "runtime/default".to_owned(),
            ),
            (
                "palisade.dev/reason",
                "the guide's unprivileged default policy (variant without AppArmor)".to_owned(),
            ),
        ],
        vec![(
            "spec",
            Y::map([
                ("privileged", Y::bool(false)),
                ("allowPrivilegeEscalation", Y::bool(false)),
                ("allowedCapabilities", Y::seq([])),
                ("volumes", Y::seq(VOLUMES.iter().map(|v| Y::str(*v)))),
                ("hostNetwork", Y::bool(false)),
                ("hostIPC", Y::bool(false)),
                ("hostPID", Y::bool(false)),
                ("runAsUser", strategy("RunAsAny")),
                ("seLinux", strategy("RunAsAny")),
                ("supplementalGroups", strategy("RunAsAny")),
                ("fsGroup", strategy("RunAsAny")),
            ]),
        )],
    ));
    out.push(object(
        "policy/v1beta1",
        "PodSecurityPolicy",
        None,
        "privileged",
        &[],
        vec![
            (
                "seccomp.security.alpha.kubernetes.io/allowedProfileNames",
                "*".to_owned(),
            ),
            (
                "palisade.dev/reason",
                "the guide's privileged policy, for system components only (see the RoleBindings)"
                    .to_owned(),
            ),
            (
                "palisade.dev/ignore",
                "PS170,PS171,PS172,PS173,PS174,PS176 — the guide's privileged policy; only the \
                 RoleBindings of this bundle may use it"
                    .to_owned(),
            ),
        ],
        vec![(
            "spec",
            Y::map([
                ("privileged", Y::bool(true)),
                ("allowPrivilegeEscalation", Y::bool(true)),
                ("allowedCapabilities", Y::seq([Y::str("*")])),
                ("volumes", Y::seq([Y::str("*")])),
                ("hostNetwork", Y::bool(true)),
                (
                    "hostPorts",
                    Y::seq([Y::map([("min", Y::int(0)), ("max", Y::int(65535))])]),
                ),
                ("hostIPC", Y::bool(true)),
                ("hostPID", Y::bool(true)),
                ("runAsUser", strategy("RunAsAny")),
                ("seLinux", strategy("RunAsAny")),
                ("supplementalGroups", strategy("RunAsAny")),
                ("fsGroup", strategy("RunAsAny")),
            ]),
        )],
    ));
    out.push(use_role("default-psp", "default"));
    out.push(use_role("privileged-psp", "privileged"));
    out.push(object(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        None,
        "default-psp",
        &[],
        vec![(
            "palisade.dev/reason",
            "every user and service account may create pods the default policy admits".to_owned(),
        )],
        vec![
            ("roleRef", role_ref("default-psp")),
            (
                "subjects",
                Y::seq([subject("Group", "system:authenticated", None)]),
            ),
        ],
    ));
    out.push(object(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some("kube-system"),
        "privileged-psp-nodes",
        &[],
        vec![(
            "palisade.dev/reason",
            "static control-plane pods in kube-system are created by the kubelets (needs \
             --authorization-mode=Node,RBAC)"
                .to_owned(),
        )],
        vec![
            ("roleRef", role_ref("privileged-psp")),
            (
                "subjects",
                Y::seq([
                    subject("Group", "system:nodes", None),
                    subject("User", "kubelet", None),
                ]),
            ),
        ],
    ));
    // Adapted to the inventory: the service accounts of workloads the default policy rejects.
    let mut accounts: Vec<(String, String, Vec<String>)> = Vec::new();
    for w in &inv.workloads {
        if !needs_privileged(&inv.objects[w.index], version) {
            continue;
        }
        let key = (w.namespace().to_owned(), w.service_account.clone());
        match accounts
            .iter_mut()
            .find(|(n, s, _)| (n, s) == (&key.0, &key.1))
        {
            Some(entry) => entry.2.push(w.describe()),
            None => accounts.push((key.0, key.1, vec![w.describe()])),
        }
    }
    for (ns, sa, workloads) in accounts {
        notes.push(format!(
            "ServiceAccount {ns}/{sa} may use the privileged PodSecurityPolicy: the default \
             policy would reject {}",
            crate::some(&workloads)
        ));
        out.push(object(
            "rbac.authorization.k8s.io/v1",
            "RoleBinding",
            Some(&ns),
            &format!("privileged-psp-{sa}"),
            &[],
            vec![(
                "palisade.dev/reason",
                format!(
                    "the default policy would reject {}; review whether they need it",
                    crate::some(&workloads)
                ),
            )],
            vec![
                ("roleRef", role_ref("privileged-psp")),
                (
                    "subjects",
                    Y::seq([subject("ServiceAccount", &sa, Some(&ns))]),
                ),
            ],
        ));
    }
    (out, notes)
}
