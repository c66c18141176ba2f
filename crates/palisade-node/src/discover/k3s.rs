//! k3s and RKE2: the second layout. k3s runs every component inside one `k3s server` (or
//! `k3s agent`) process and passes them flags of its own choosing; users add or override flags
//! in `/etc/rancher/k3s/config.yaml` (`kube-apiserver-arg: ["name=value"]` and friends) or on
//! the command line. RKE2 runs the control plane as static pods (read like kubeadm's), fed by
//! the same kind of `config.yaml`.
//!
//! The built-in flags below are the ones k3s sets itself (k3s `pkg/daemons/control/server.go`
//! and the agent's kubelet arguments) that CIS checks read; they are reported with the source
//! "k3s built-in setting", and a `*-arg` entry in `config.yaml` overrides them, as in k3s.

use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, Location};

use super::{Discovery, Layout, Problem};
use crate::component::{Component, ComponentKind, Flag, Source};

/// Flags k3s (or RKE2, whose agent is k3s's) gives each component (server side for the control
/// plane, agent side for the kubelet and kube-proxy); `distro` is `k3s` or `rke2`, which only
/// changes the data directory.
fn builtin(kind: ComponentKind, distro: &str) -> Vec<(&'static str, String)> {
    let k3s_tls = format!("/var/lib/rancher/{distro}/server/tls");
    let k3s_agent = format!("/var/lib/rancher/{distro}/agent");
    let tls = |f: &str| format!("{k3s_tls}/{f}");
    let agent = |f: &str| format!("{k3s_agent}/{f}");
    match kind {
        ComponentKind::ApiServer => vec![
            ("anonymous-auth", "false".into()),
            ("authorization-mode", "Node,RBAC".into()),
            ("profiling", "false".into()),
            ("enable-admission-plugins", "NodeRestriction".into()),
            ("bind-address", "127.0.0.1".into()),
            ("tls-cert-file", tls("serving-kube-apiserver.crt")),
            ("tls-private-key-file", tls("serving-kube-apiserver.key")),
            ("client-ca-file", tls("client-ca.crt")),
            ("kubelet-certificate-authority", tls("server-ca.crt")),
            (
                "kubelet-client-certificate",
                tls("client-kube-apiserver.crt"),
            ),
            ("kubelet-client-key", tls("client-kube-apiserver.key")),
            ("service-account-key-file", tls("service.key")),
        ],
        ComponentKind::ControllerManager => vec![
            ("profiling", "false".into()),
            ("bind-address", "127.0.0.1".into()),
            ("use-service-account-credentials", "true".into()),
            ("service-account-private-key-file", tls("service.key")),
            ("root-ca-file", tls("server-ca.crt")),
        ],
        ComponentKind::Scheduler => vec![
            ("profiling", "false".into()),
            ("bind-address", "127.0.0.1".into()),
        ],
        ComponentKind::Kubelet => vec![
            ("anonymous-auth", "false".into()),
            ("authorization-mode", "Webhook".into()),
            ("authentication-token-webhook", "true".into()),
            ("read-only-port", "0".into()),
            ("client-ca-file", agent("client-ca.crt")),
            ("tls-cert-file", agent("serving-kubelet.crt")),
            ("tls-private-key-file", agent("serving-kubelet.key")),
            ("kubeconfig", agent("kubelet.kubeconfig")),
        ],
        ComponentKind::KubeProxy => vec![
            ("kubeconfig", agent("kubeproxy.kubeconfig")),
            ("healthz-bind-address", "127.0.0.1".into()),
        ],
        ComponentKind::Etcd => vec![
            ("client-cert-auth", "true".into()),
            ("peer-client-cert-auth", "true".into()),
            ("cert-file", format!("{k3s_tls}/etcd/server-client.crt")),
            ("key-file", format!("{k3s_tls}/etcd/server-client.key")),
            (
                "peer-cert-file",
                format!("{k3s_tls}/etcd/peer-server-client.crt"),
            ),
            (
                "peer-key-file",
                format!("{k3s_tls}/etcd/peer-server-client.key"),
            ),
            ("trusted-ca-file", format!("{k3s_tls}/etcd/server-ca.crt")),
            (
                "data-dir",
                format!("/var/lib/rancher/{distro}/server/db/etcd"),
            ),
        ],
    }
}

/// The `config.yaml` key carrying extra flags for a component.
fn arg_key(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::ApiServer => "kube-apiserver-arg",
        ComponentKind::ControllerManager => "kube-controller-manager-arg",
        ComponentKind::Scheduler => "kube-scheduler-arg",
        ComponentKind::Etcd => "etcd-arg",
        ComponentKind::Kubelet => "kubelet-arg",
        ComponentKind::KubeProxy => "kube-proxy-arg",
    }
}

/// A `k3s server|agent` process seen in `/proc`.
pub(crate) fn note_process(d: &mut Discovery, binary: &str, role: &str, _pid: u32) {
    d.layout = if binary == "rke2" {
        Layout::Rke2
    } else {
        Layout::K3s
    };
    d.k3s_role = Some(role == "server");
}

/// Reads k3s/RKE2 configuration; for k3s, adds the components the `k3s` process runs.
pub(crate) fn discover(d: &mut Discovery) {
    let mut layers: Vec<(Arc<str>, Node)> = Vec::new();
    let mut distro = None;
    for (name, base) in [("k3s", "/etc/rancher/k3s"), ("rke2", "/etc/rancher/rke2")] {
        let main = format!("{base}/config.yaml");
        let mut files = Vec::new();
        if d.fs.exists(&main) {
            files.push(main);
        }
        if let Ok(names) = d.fs.list(&format!("{base}/config.yaml.d")) {
            files.extend(
                names
                    .into_iter()
                    .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                    .map(|n| format!("{base}/config.yaml.d/{n}")),
            );
        }
        let unit = d.unit_files(name);
        let unit_server = d.unit_files(&format!("{name}-server"));
        let unit_agent = d.unit_files(&format!("{name}-agent"));
        if files.is_empty() && unit.is_empty() && unit_server.is_empty() && unit_agent.is_empty() {
            continue;
        }
        distro = Some(name);
        if d.k3s_role.is_none() {
            d.k3s_role = Some(if !unit.is_empty() || !unit_server.is_empty() {
                true
            } else {
                unit_agent.is_empty()
            });
        }
        for f in files {
            if let Ok(root) = d.load_yaml(&f) {
                layers.push((Arc::from(f.as_str()), root));
            }
        }
    }
    let Some(distro) = distro.or(match d.layout {
        Layout::K3s => Some("k3s"),
        Layout::Rke2 => Some("rke2"),
        _ => None,
    }) else {
        return;
    };
    let server = d.k3s_role.unwrap_or(true);
    let disabled = |key: &str| {
        layers
            .iter()
            .any(|(_, root)| root.get(key).and_then(Node::bool_intent) == Some(true))
    };
    let mut kinds = vec![ComponentKind::Kubelet];
    if distro == "rke2" {
        // RKE2 runs the control plane, etcd and kube-proxy as static pods (already read), their
        // command lines rendered from config.yaml: point each flag that config.yaml gives at
        // its `*-arg` entry, the line to edit (RKE2 rewrites the manifests at every start).
        d.layout = Layout::Rke2;
        for c in &mut d.components {
            let given = arg_flags(c.kind, &layers);
            for f in &mut c.flags {
                if let Some(g) = given
                    .iter()
                    .rev()
                    .find(|g| g.name == f.name && g.value == f.value)
                {
                    f.source = g.source.clone();
                }
            }
        }
        // Only the kubelet runs inside the rke2 process.
        add_components(d, "rke2", &kinds, &layers);
        if layers.is_empty() {
            d.problems.push(Problem::note(
                "/etc/rancher/rke2/config.yaml",
                "RKE2 found without a config.yaml: only its built-in kubelet settings are known",
            ));
        }
        return;
    }
    d.layout = Layout::K3s;
    if !disabled("disable-kube-proxy") {
        kinds.push(ComponentKind::KubeProxy);
    }
    if server {
        for (kind, key) in [
            (ComponentKind::ApiServer, "disable-apiserver"),
            (
                ComponentKind::ControllerManager,
                "disable-controller-manager",
            ),
            (ComponentKind::Scheduler, "disable-scheduler"),
        ] {
            if !disabled(key) {
                kinds.push(kind);
            }
        }
        // Embedded etcd only with `cluster-init` (or joining one); SQLite (kine) otherwise.
        if disabled("cluster-init") && !disabled("disable-etcd") {
            kinds.push(ComponentKind::Etcd);
        }
    }
    add_components(d, "k3s", &kinds, &layers);
    if layers.is_empty() {
        d.problems.push(Problem::note(
            "/etc/rancher/k3s/config.yaml",
            "k3s found without a config.yaml: only its built-in settings are known",
        ));
    }
}

/// Adds the components a k3s/RKE2 process runs itself, with its built-in flags and the
/// `*-arg` entries of config.yaml (which come after, and so win).
fn add_components(
    d: &mut Discovery,
    distro: &'static str,
    kinds: &[ComponentKind],
    layers: &[(Arc<str>, Node)],
) {
    let distro_name: &'static str = if distro == "rke2" { "RKE2" } else { "k3s" };
    let cis_profile = layers.iter().any(|(_, root)| {
        root.get("profile")
            .and_then(Node::as_str)
            .is_some_and(|p| p.starts_with("cis"))
    });
    let config_path: Arc<str> = layers
        .first()
        .map(|(p, _)| Arc::clone(p))
        .unwrap_or_else(|| Arc::from(format!("/etc/rancher/{distro}/config.yaml")));
    for &kind in kinds {
        if d.components.iter().any(|c| c.kind == kind) {
            continue;
        }
        let mut flags: Vec<Flag> = builtin(kind, distro)
            .into_iter()
            .map(|(name, value)| Flag {
                name: name.to_owned(),
                value: Some(value),
                source: Source::Distribution { name: distro_name },
            })
            .collect();
        if kind == ComponentKind::Kubelet && cis_profile {
            // `profile: cis` makes RKE2 (and k3s's hardening guide) protect kernel defaults.
            flags.push(Flag {
                name: "protect-kernel-defaults".into(),
                value: Some("true".into()),
                source: Source::Distribution { name: distro_name },
            });
        }
        flags.extend(arg_flags(kind, layers));
        d.components.push(Component {
            kind,
            version: KubeVersion::LATEST,
            version_source: Source::Assumed {
                note: String::new(),
            },
            defined_in: Location::Path {
                path: Arc::clone(&config_path),
                pos: None,
            },
            files: layers.iter().map(|(p, _)| p.to_string()).collect(),
            flags,
            config: Vec::new(),
            referenced: Vec::new(),
            problems: Vec::new(),
            running: false,
            pid: None,
            mounts: Vec::new(),
        });
    }
}

/// The flags `config.yaml` files give a component (`kube-apiserver-arg: ["name=value"]`), in
/// the order the files apply. As in k3s/RKE2, a later file's `kubelet-arg` replaces the list the
/// earlier files built, and `kubelet-arg+` appends to it.
fn arg_flags(kind: ComponentKind, layers: &[(Arc<str>, Node)]) -> Vec<Flag> {
    let mut flags = Vec::new();
    for (path, root) in layers {
        for (key, append) in [
            (arg_key(kind).to_owned(), false),
            (format!("{}+", arg_key(kind)), true),
        ] {
            let Some(node) = root.get(&key) else {
                continue;
            };
            if !append {
                flags.clear();
            }
            let items: Vec<&Node> = match node.as_seq() {
                Some(items) => items.iter().collect(),
                None => vec![node],
            };
            for (i, item) in items.into_iter().enumerate() {
                let Some(text) = item.as_str() else { continue };
                let text = text.trim_start_matches('-');
                let (name, value) = match text.split_once('=') {
                    Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
                    None => (text.to_owned(), None),
                };
                let pointer = if node.as_seq().is_some() {
                    format!("/{key}/{i}")
                } else {
                    format!("/{key}")
                };
                flags.push(Flag {
                    name,
                    value,
                    source: Source::Config {
                        path: Arc::clone(path),
                        span: item.span,
                        pointer,
                    },
                });
            }
        }
    }
    flags
}
