//! The worker-node files CIS section 4.1 looks at, found from the kubelet's and kube-proxy's
//! effective settings (shared by KL606 and KL607).

use crate::component::{Component, ComponentKind};
use crate::discover::Inventory;

/// A group of files behind one pair of CIS items (permissions, ownership).
pub struct NodeFiles {
    pub perm_id: &'static str,
    pub owner_id: &'static str,
    pub mode: u32,
    pub manual: bool,
    /// The files, or why there are none to check.
    pub files: Result<Vec<String>, String>,
}

fn unit_files(c: &Component) -> Vec<String> {
    c.files
        .iter()
        .filter(|f| f.contains("/systemd/"))
        .cloned()
        .collect()
}

pub fn node_files(inv: &Inventory) -> Vec<NodeFiles> {
    let kubelet = inv.component(ComponentKind::Kubelet);
    let proxy = inv.component(ComponentKind::KubeProxy);
    let none = |what: &str| format!("no {what} found on this node");
    let api = inv.layout == crate::discover::Layout::Api;
    let of = |c: Option<&Component>, f: &dyn Fn(&Component) -> Vec<String>, what: &str| match c {
        _ if api => Err(format!("{what}: {}", crate::api::NO_FILES)),
        None => Err(none(what)),
        Some(c) => {
            let files = f(c);
            if files.is_empty() {
                Err(none(what))
            } else {
                Ok(files)
            }
        }
    };
    let kubeconfig = |c: &Component| {
        vec![crate::fs::join(
            "/",
            c.flag("kubeconfig")
                .map_or("/etc/kubernetes/kubelet.conf", |f| f.text()),
        )]
    };
    let proxy_kubeconfig = |c: &Component| {
        c.setting(
            Some("kubeconfig"),
            &["clientConnection", "kubeconfig"],
            None,
            None,
        )
        .map(|e| vec![crate::fs::join("/", &e.value)])
        .unwrap_or_default()
    };
    let client_ca = |c: &Component| {
        c.setting(
            Some("client-ca-file"),
            &["authentication", "x509", "clientCAFile"],
            None,
            None,
        )
        .map(|e| vec![crate::fs::join("/", &e.value)])
        .unwrap_or_default()
    };
    let config = |c: &Component| c.config.iter().map(|l| l.path.to_string()).collect();
    vec![
        NodeFiles {
            perm_id: "4.1.1",
            owner_id: "4.1.2",
            mode: 0o600,
            manual: false,
            files: of(kubelet, &unit_files, "kubelet systemd unit"),
        },
        NodeFiles {
            perm_id: "4.1.3",
            owner_id: "4.1.4",
            mode: 0o600,
            manual: true,
            files: of(proxy, &proxy_kubeconfig, "kube-proxy kubeconfig"),
        },
        NodeFiles {
            perm_id: "4.1.5",
            owner_id: "4.1.6",
            mode: 0o600,
            manual: false,
            files: of(kubelet, &kubeconfig, "kubelet"),
        },
        NodeFiles {
            perm_id: "4.1.7",
            owner_id: "4.1.8",
            mode: 0o644,
            manual: true,
            files: of(kubelet, &client_ca, "kubelet client CA file"),
        },
        NodeFiles {
            perm_id: "4.1.9",
            owner_id: "4.1.10",
            mode: 0o600,
            manual: false,
            files: of(kubelet, &config, "kubelet config file"),
        },
    ]
}
