//! Finds the components of a node and everything they were configured with: static pod
//! manifests, running processes, systemd units and their drop-ins and environment files, the
//! kubelet's and kube-proxy's config files (and the kubelet's `--config-dir` drop-ins), the
//! structured configuration files the API server names, and k3s/RKE2 `config.yaml`.
//!
//! One submodule per place a setting can come from: `static_pods`, `processes`, `systemd`,
//! `config_files`, `etcd` (its environment and config file) and `k3s` (k3s and RKE2); `version`
//! asks a binary for its version, `file_facts` collects the modes and owners CIS checks read, and
//! `inventory` holds what the rules get. This module runs them in order ([`discover()`]) and keeps
//! the state they share ([`Discovery`]).

mod config_files;
mod etcd;
mod file_facts;
mod inventory;
mod k3s;
mod processes;
mod static_pods;
mod systemd;
mod version;

use std::collections::BTreeMap;

use palisade_core::yaml::{self, Limits, Node};
use palisade_core::KubeVersion;

use crate::component::{Component, ComponentKind, Source};
use crate::fs::{FsError, NodeFs};
use crate::trust::StaticPod;
use version::Binary;

pub use config_files::{API_SERVER_FILES, PLUGIN_FILE};
pub use etcd::{etcd_config_flags, with_etcd_env};
pub use inventory::{Inventory, Layout, Options, Problem};
pub use processes::POD_LOG_DIR;
pub use static_pods::{manifest_pod_components, pod_components, MANIFEST_DIRS};
pub use systemd::{SERVICES, UNIT_DIRS};
pub use version::{run_version, VERSION_TIMEOUT};

/// Reads the node and builds its inventory. Never fails: what cannot be read becomes a
/// [`Problem`] and the settings depending on it are "not evaluated".
pub fn discover(options: &Options) -> Inventory {
    let fs = NodeFs::new(&options.root);
    let mut d = Discovery {
        fs,
        components: Vec::new(),
        problems: Vec::new(),
        sources: BTreeMap::new(),
        image_version: None,
        layout: Layout::Empty,
        k3s_role: None,
        proc: options.proc.clone(),
        binaries: Vec::new(),
        static_pod_facts: Vec::new(),
    };
    d.static_pods();
    if let Some(proc) = &options.proc {
        d.processes(proc);
    }
    for kind in [
        ComponentKind::Kubelet,
        ComponentKind::KubeProxy,
        ComponentKind::Etcd,
    ] {
        d.systemd(kind);
    }
    k3s::discover(&mut d);

    if options.run_binaries && options.kubernetes_version.is_none() && d.image_version.is_none() {
        d.image_version = d.binary_version();
    }
    let (version, version_source) = match (options.kubernetes_version, d.image_version.clone()) {
        (Some(v), _) => (
            v,
            Source::Assumed {
                note: "--kubernetes-version".into(),
            },
        ),
        (None, Some((v, source))) => (v, source),
        (None, None) => (
            KubeVersion::LATEST,
            Source::Assumed {
                note: format!(
                    "no version found on the node; assuming {} (set --kubernetes-version)",
                    KubeVersion::LATEST
                ),
            },
        ),
    };
    for c in &mut d.components {
        if options.kubernetes_version.is_some() || c.version_source == unknown_version() {
            c.version = version;
            c.version_source = version_source.clone();
        }
    }
    d.config_files();
    d.components.sort_by_key(|c| c.kind);
    if d.layout == Layout::Empty && !d.components.is_empty() {
        d.layout = if d.fs.exists("/var/lib/kubelet/kubeadm-flags.env")
            || d.fs.exists("/etc/kubernetes/manifests/kube-apiserver.yaml")
            || d.fs.exists("/etc/kubernetes/kubelet.conf")
        {
            Layout::Kubeadm
        } else {
            Layout::Other
        };
    }
    let (cni_files, cni_dirs) = d.cni_files();
    let mut files = d.file_facts();
    for f in &cni_files {
        files.insert(f.clone(), d.fs.stat(f));
    }
    let (users, groups) = d.names();
    let looked_in = looked_in(options);
    Inventory {
        layout: d.layout,
        components: d.components,
        version,
        version_source,
        files,
        users,
        groups,
        problems: d.problems,
        sources: d.sources,
        cni_files,
        cni_dirs,
        looked_in,
    }
}

/// Where [`discover()`] looks for components, as a user would check by hand.
fn looked_in(options: &Options) -> Vec<String> {
    let root = options.root.display().to_string();
    let under = if root == "/" {
        String::new()
    } else {
        format!(" under {}", root.trim_end_matches('/'))
    };
    let mut out: Vec<String> = MANIFEST_DIRS
        .iter()
        .map(|d| format!("{d}{under}"))
        .collect();
    // The units `systemd` and `k3s::discover` read.
    out.push(format!(
        "the systemd units kubelet, kube-proxy, etcd, k3s, k3s-server, k3s-agent, rke2, \
         rke2-server and rke2-agent (with drop-ins) in {}{under}",
        UNIT_DIRS.join(", ")
    ));
    out.push(format!("/etc/rancher/k3s and /etc/rancher/rke2{under}"));
    out.push(match &options.proc {
        Some(p) => format!("the processes in {}", p.display()),
        None => "no processes (no proc tree given: --proc)".into(),
    });
    out
}

/// State while reading a node.
pub struct Discovery {
    pub(crate) fs: NodeFs,
    pub(crate) components: Vec<Component>,
    pub(crate) problems: Vec<Problem>,
    pub(crate) sources: BTreeMap<String, String>,
    /// The Kubernetes version from a control-plane image tag, with its place.
    image_version: Option<(KubeVersion, Source)>,
    pub(crate) layout: Layout,
    /// k3s/RKE2: `true` for a server, `false` for an agent, when known.
    pub(crate) k3s_role: Option<bool>,
    /// The proc tree processes are read from.
    proc: Option<std::path::PathBuf>,
    /// The binaries components run from (trusted process executables of the audit's own mount
    /// namespace, unit `ExecStart`), for `--version` when no image tag tells the version.
    binaries: Vec<Binary>,
    /// The static pods read, for telling their containers' processes from impostors.
    static_pod_facts: Vec<StaticPod>,
}

/// A placeholder version source, replaced once the node's version is known.
pub(crate) fn unknown_version() -> Source {
    Source::Assumed {
        note: String::new(),
    }
}

impl Discovery {
    pub(crate) fn problem(&mut self, e: &FsError) {
        let path = match e {
            FsError::NotFound(p)
            | FsError::PermissionDenied(p)
            | FsError::TooLarge(p)
            | FsError::NotText(p)
            | FsError::LinkLoop(p)
            | FsError::Other(p, _)
            | FsError::NotRootOnly(p, _) => p.clone(),
        };
        self.problems.push(Problem::note(path, e.to_string()));
    }

    /// Reads a node file, keeping its text for code frames.
    pub(crate) fn read(&mut self, path: &str) -> Result<String, FsError> {
        let text = self.fs.read(path)?;
        self.sources.insert(path.to_owned(), text.clone());
        Ok(text)
    }

    /// Parses a YAML (or JSON) file into its first document; problems are recorded.
    pub(crate) fn load_yaml(&mut self, path: &str) -> Result<Node, String> {
        let text = self.read(path).map_err(|e| e.to_string())?;
        self.parse_yaml(path, &text)
    }

    /// Parses the text of a YAML (or JSON) file into its first document; an invalid file is
    /// recorded as an input error at its line.
    pub(crate) fn parse_yaml(&mut self, path: &str, text: &str) -> Result<Node, String> {
        let (docs, errors) = yaml::load_str(text, &Limits::default());
        if let Some(e) = errors.first() {
            let msg = format!("{path}:{e}");
            self.problems
                .push(Problem::invalid(path, Some(e.pos), msg.clone()));
            return Err(msg);
        }
        match docs.into_iter().next() {
            Some(d) if d.root.as_map().is_some() => Ok(d.root),
            other => {
                let pos = other.map(|d| d.root.span.start);
                let msg = match pos {
                    Some(p) => format!("{path}:{p}: not a YAML mapping"),
                    None => format!("{path}: empty, not a YAML mapping"),
                };
                self.problems.push(Problem::invalid(path, pos, msg.clone()));
                Err(msg)
            }
        }
    }
}
