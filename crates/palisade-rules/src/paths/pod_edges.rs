//! Edges of workloads, namespaces and Secrets: a pod holds its ServiceAccount's token (RB201's
//! automount semantics), a pod that escapes to its node (the Pod Security checks that decide
//! it, and the host paths and capabilities that give the node away), a node holds the tokens of
//! the DaemonSets on it, a namespace runs the pods its Pod Security level admits, a Secret holds a
//! legacy ServiceAccount token.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, Object, PodTemplate};

use super::build::Builder;
use super::graph::{Evidence, Vertex};
use crate::namespace::{enforced, is_namespace, label_pointer, ENFORCE, PSA_SINCE};
use crate::netpol::{is_controlled, namespace_of};
use crate::pss::Level;
use crate::rules::ps::runtime_socket::socket_under;
use crate::rules::rb::sa_token::token_mount;

/// Type of the Secrets that hold a ServiceAccount's long-lived token.
pub(super) const TOKEN_SECRET_TYPE: &str = "kubernetes.io/service-account-token";
/// The annotation naming the ServiceAccount of such a Secret.
pub(super) const TOKEN_SECRET_ACCOUNT: &str = "kubernetes.io/service-account.name";
/// Since 1.24 the token controller no longer creates a token Secret for every ServiceAccount.
const SECRET_TOKENS_UNTIL: KubeVersion = KubeVersion::v1(24);

/// Host paths whose content gives the node away: the kubelet's credentials and every pod's
/// token and volumes (`/var/lib/kubelet`), the control plane's kubeconfigs and PKI
/// (`/etc/kubernetes`). A `hostPath` at one of them or at any parent (`/`, `/etc`, `/var`)
/// exposes them; runtime sockets are [`socket_under`]'s.
const NODE_PATHS: &[&str] = &["/etc/kubernetes", "/var/lib/kubelet"];

/// Capabilities that break out of a container on their own: mount and cgroup tricks
/// (SYS_ADMIN), kernel modules (SYS_MODULE), raw device and memory I/O (SYS_RAWIO), reading any
/// host file by handle (DAC_READ_SEARCH, "shocker"). SYS_PTRACE counts with `hostPID`.
const ESCAPE_CAPABILITIES: &[&str] = &[
    "SYS_ADMIN",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "ALL",
];

fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.trim().split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Why a `hostPath` gives the node away, if it does.
fn host_path_danger(path: &str) -> Option<String> {
    if socket_under(path).is_some() {
        return Some(format!(
            "mounts the container runtime socket (hostPath {path:?})"
        ));
    }
    let p = lexical(path);
    NODE_PATHS
        .iter()
        .find(|n| p == "/" || **n == p || n.starts_with(&format!("{p}/")))
        .map(|n| format!("mounts hostPath {path:?}, which holds {n}"))
}

/// The first way the pod escapes to its node: `(pointer, why)`.
pub(super) fn node_escape(pod: &PodTemplate<'_>, version: KubeVersion) -> Option<(String, String)> {
    // As the Pod Security checks decide them.
    for id in ["privileged", "windowsHostProcess"] {
        let check = crate::pss::check_by_id(id).and_then(|c| c.at(version));
        if let Some(v) = check.and_then(|f| f(pod).into_iter().next()) {
            return Some((v.pointer, v.message));
        }
    }
    let host_pid = pod.spec.get("hostPID").and_then(Node::bool_intent) == Some(true);
    for c in pod.containers() {
        let adds = c
            .node
            .path(&["securityContext", "capabilities", "add"])
            .map(Node::items)
            .unwrap_or(&[]);
        for (i, cap) in adds.iter().enumerate() {
            let Some(name) = cap.as_str() else { continue };
            let name = name.trim().to_ascii_uppercase();
            let name = name.strip_prefix("CAP_").unwrap_or(&name);
            let escapes = ESCAPE_CAPABILITIES.contains(&name) || (name == "SYS_PTRACE" && host_pid);
            if escapes {
                let with = if name == "SYS_PTRACE" {
                    " with hostPID: true (it can enter host processes' namespaces)"
                } else {
                    ""
                };
                return Some((
                    format!("{}/securityContext/capabilities/add/{i}", c.pointer),
                    format!("container {:?} adds capability {name}{with}", c.name),
                ));
            }
        }
    }
    let volumes = pod.spec.get("volumes").map(Node::items).unwrap_or(&[]);
    for (i, v) in volumes.iter().enumerate() {
        let Some(path) = v.path(&["hostPath", "path"]).and_then(Node::as_str) else {
            continue;
        };
        if let Some(why) = host_path_danger(path) {
            return Some((
                format!("{}/volumes/{i}/hostPath/path", pod.spec_pointer),
                why,
            ));
        }
    }
    None
}

fn is_service_account(o: &Object) -> bool {
    o.kind() == "ServiceAccount" && o.group().is_empty()
}

pub(super) fn describe(o: &Object) -> String {
    format!(
        "{} \"{}/{}\"",
        o.kind(),
        namespace_of(o),
        o.name().unwrap_or("(unnamed)")
    )
}

/// Adds the edges of workloads, ServiceAccounts, namespaces and Secrets.
pub(super) fn add(b: &mut Builder<'_>) {
    let objects = b.objects;
    // (namespace, name) → the ServiceAccount object's automountServiceAccountToken.
    let mut automount: HashMap<(&str, &str), Option<bool>> = HashMap::new();
    let mut namespace_objects: HashMap<&str, usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if is_service_account(o) {
            let (ns, name) = (namespace_of(o), o.name().unwrap_or(""));
            automount.insert(
                (ns, name),
                o.node
                    .get("automountServiceAccountToken")
                    .and_then(Node::bool_intent),
            );
            b.account(ns, name, Some(i));
        } else if is_namespace(o) {
            if let Some(name) = o.name() {
                namespace_objects.insert(name, i);
            }
        }
    }
    let namespaces: Vec<String> = b.namespaces.iter().cloned().collect();
    for ns in &namespaces {
        b.account(ns, "default", None);
    }
    // The same words for every workload: shared, not copied 50,000 times.
    let exec_text: Arc<str> = Arc::from("a shell reaches every running pod of its namespace");
    let mut exec_reachable: HashMap<&str, bool> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        let Some(pod) = o.pod_template() else {
            continue;
        };
        if is_controlled(o) {
            continue;
        }
        let ns = namespace_of(o);
        let mount = token_mount(&pod);
        b.account(ns, mount.service_account, Some(i));
        let is_daemonset = o.kind() == "DaemonSet" && o.group() == "apps";
        let workload = Vertex::Workload {
            namespace: ns.to_owned(),
            kind: o.kind().to_owned(),
            name: o.name().unwrap_or("(unnamed)").to_owned(),
        };
        // A workload nobody can reach (no exec grant in its namespace, not exposed) is on no
        // path from a source; the scan leaves it out (50,000 workloads are 100,000 edges).
        let reachable = b.all_workloads
            || b.graph.find(&workload).is_some()
            || *exec_reachable.entry(ns).or_insert_with(|| {
                // An administrator's exec grant leads nowhere its full control does not
                // already: it makes no workload reachable.
                b.graph
                    .find(&Vertex::ExecIn(ns.to_owned()))
                    .is_some_and(|v| {
                        b.graph
                            .incoming(v)
                            .iter()
                            .any(|&e| !b.admins.contains(b.graph.get(b.graph.edge(e).from)))
                    })
            });
        if !reachable && !is_daemonset {
            continue;
        }
        if reachable {
            b.graph.vertex(workload.clone());
            b.graph.add(
                Vertex::ExecIn(ns.to_owned()),
                workload.clone(),
                "opens a shell in",
                Evidence {
                    object: Some(i),
                    pointer: String::new(),
                    text: Arc::clone(&exec_text),
                    place: None,
                    cut: None,
                },
            );
        }
        let account = automount
            .get(&(ns, mount.service_account))
            .copied()
            .flatten();
        let mounted = mount.pod_decision.unwrap_or(account != Some(false));
        let sa = Vertex::ServiceAccount {
            namespace: ns.to_owned(),
            name: mount.service_account.to_owned(),
        };
        let sa_pointer = ["serviceAccountName", "serviceAccount"]
            .iter()
            .find(|k| pod.spec.get(k).is_some())
            .map(|k| format!("{}/{k}", pod.spec_pointer))
            .unwrap_or_else(|| pod.spec_pointer.to_owned());
        let why_mounted = match (mount.pod_decision, account) {
            (Some(true), _) => "automountServiceAccountToken: true on the pod".to_owned(),
            (None, Some(true)) => format!(
                "automountServiceAccountToken: true on ServiceAccount \"{ns}/{}\"",
                mount.service_account
            ),
            _ => "automountServiceAccountToken is set false on neither the pod nor its \
                  ServiceAccount"
                .to_owned(),
        };
        if mounted && reachable {
            b.graph.add(
                workload.clone(),
                sa.clone(),
                "holds the token of",
                Evidence {
                    object: Some(i),
                    pointer: sa_pointer.clone(),
                    text: format!(
                        "{} runs as ServiceAccount \"{ns}/{}\" and {why_mounted}",
                        describe(o),
                        mount.service_account
                    )
                    .into(),
                    place: None,
                    cut: Some(format!("{} (automountServiceAccountToken)", describe(o)).into()),
                },
            );
        }
        if mounted && is_daemonset {
            b.graph.add(
                Vertex::Node,
                sa.clone(),
                "reads from the kubelet's pod volumes the token of",
                Evidence {
                    object: Some(i),
                    pointer: sa_pointer,
                    text: format!(
                        "{} runs a pod on every node, as ServiceAccount \"{ns}/{}\" with its \
                             token mounted ({why_mounted})",
                        describe(o),
                        mount.service_account
                    )
                    .into(),
                    place: None,
                    cut: Some(format!("{} (automountServiceAccountToken)", describe(o)).into()),
                },
            );
        }
        if !reachable {
            continue;
        }
        if let Some((pointer, why)) = node_escape(&pod, b.version) {
            b.graph.add(
                workload.clone(),
                Vertex::Node,
                "escapes to",
                Evidence {
                    object: Some(i),
                    pointer,
                    text: format!("{}: {why}", describe(o)).into(),
                    place: None,
                    cut: Some(describe(o).into()),
                },
            );
        }
    }
    namespace_edges(b, &namespace_objects);
    secret_edges(b);
}

/// What running any pod in a namespace gives: any of its ServiceAccounts, its Secrets (as
/// volumes), and the node when its Pod Security level admits privileged pods.
fn namespace_edges(b: &mut Builder<'_>, namespace_objects: &HashMap<&str, usize>) {
    let objects = b.objects;
    let accounts = b.accounts.clone();
    let psp = objects
        .iter()
        .any(|o| o.kind() == "PodSecurityPolicy" && o.group() == "policy");
    for ns in b.namespaces.clone() {
        for (name, shown_by) in accounts.get(&ns).into_iter().flatten() {
            let sa = Vertex::ServiceAccount {
                namespace: ns.clone(),
                name: name.clone(),
            };
            let ev = Evidence {
                object: *shown_by,
                pointer: String::new(),
                text: format!(
                    "a pod may name any ServiceAccount of its namespace (serviceAccountName: \
                     {name}); its token is mounted unless the pod says otherwise"
                )
                .into(),
                place: None,
                cut: None,
            };
            b.graph.add(
                Vertex::PodsIn(ns.clone()),
                sa.clone(),
                "runs a pod as",
                ev.clone(),
            );
            b.graph.add(
                Vertex::AnyServiceAccount(ns.clone()),
                sa,
                "acts as",
                Evidence {
                    text: format!("ServiceAccount \"{ns}/{name}\" exists").into(),
                    ..ev
                },
            );
        }
        b.graph.add(
            Vertex::PodsIn(ns.clone()),
            Vertex::Secrets(ns.clone()),
            "mounts as volumes",
            Evidence {
                object: None,
                pointer: String::new(),
                text: "a pod may mount any Secret of its namespace as a volume".into(),
                place: None,
                cut: None,
            },
        );
        // Unknowns are worth saying only where somebody may run pods.
        let wanted = b
            .graph
            .find(&Vertex::PodsIn(ns.clone()))
            .is_some_and(|v| !b.graph.incoming(v).is_empty());
        if !wanted {
            continue;
        }
        if b.version < PSA_SINCE {
            b.graph.unknowns.push(format!(
                "whether namespaces admit privileged pods before {PSA_SINCE} (PodSecurityPolicy) \
                 is not joined"
            ));
            continue;
        }
        if psp && b.version < KubeVersion::v1(25) {
            b.graph.unknowns.push(
                "PodSecurityPolicies may reject privileged pods (not joined): no namespace is \
                 taken to admit them"
                    .to_owned(),
            );
            continue;
        }
        let Some(&i) = namespace_objects.get(ns.as_str()) else {
            b.graph.unknowns.push(format!(
                "namespace {ns:?}: pods may be created there, but without its \
                 Namespace object whether it admits privileged pods is unknown"
            ));
            continue;
        };
        let o = objects[i];
        let (admits, text, pointer) = match enforced(o, b.version) {
            None => (
                true,
                format!(
                    "Namespace \"{ns}\" has no {ENFORCE} label: privileged pods are admitted \
                     (unless the API server's AdmissionConfiguration sets a stricter default)"
                ),
                "/metadata".to_owned(),
            ),
            Some(e) => (
                e.level == Level::Privileged,
                format!("Namespace \"{ns}\" enforces {}", e.label),
                label_pointer(ENFORCE),
            ),
        };
        if admits {
            b.graph.add(
                Vertex::PodsIn(ns.clone()),
                Vertex::Node,
                "runs a privileged pod, which owns",
                Evidence {
                    object: Some(i),
                    pointer,
                    text: text.into(),
                    place: None,
                    cut: Some(format!("Namespace \"{ns}\" (Pod Security enforce level)").into()),
                },
            );
        }
    }
}

/// Reading a namespace's Secrets gives the ServiceAccount tokens stored in them: before 1.24
/// every ServiceAccount has one; since, only the token Secrets of the input.
fn secret_edges(b: &mut Builder<'_>) {
    if b.version < SECRET_TOKENS_UNTIL {
        for (ns, accounts) in b.accounts.clone() {
            for name in accounts.keys() {
                b.graph.add(
                    Vertex::Secrets(ns.clone()),
                    Vertex::ServiceAccount {
                        namespace: ns.clone(),
                        name: name.clone(),
                    },
                    "read the legacy token of",
                    Evidence {
                        object: None,
                        pointer: String::new(),
                        text: format!(
                            "before 1.24 the token controller stores a token Secret for every \
                             ServiceAccount (target {})",
                            b.version
                        )
                        .into(),
                        place: None,
                        cut: None,
                    },
                );
            }
        }
        return;
    }
    for (i, o) in b.objects.iter().enumerate() {
        if o.kind() != "Secret" || !o.group().is_empty() {
            continue;
        }
        if o.node.get("type").and_then(Node::as_str) != Some(TOKEN_SECRET_TYPE) {
            continue;
        }
        let Some(account) = o
            .node
            .path(&["metadata", "annotations", TOKEN_SECRET_ACCOUNT])
            .and_then(Node::as_str)
        else {
            continue;
        };
        let ns = namespace_of(o);
        b.graph.add(
            Vertex::Secrets(ns.to_owned()),
            Vertex::ServiceAccount {
                namespace: ns.to_owned(),
                name: account.to_owned(),
            },
            "read the long-lived token of",
            Evidence {
                object: Some(i),
                pointer: "/type".to_owned(),
                text: format!(
                    "{} is a {TOKEN_SECRET_TYPE} Secret of ServiceAccount \"{ns}/{account}\"",
                    describe(o)
                )
                .into(),
                place: None,
                cut: Some(describe(o).into()),
            },
        );
    }
}
