//! The configuration files components name: the kubelet's and kube-proxy's `--config` (and the
//! kubelet's `--config-dir` drop-ins), etcd's `--config-file`, and the structured files the API
//! server names (with an admission plugin's own file), read where the component sees them.
//!
//! A component may run in a container: its files are read through its process root or its
//! static pod's `hostPath` mounts, and a file the node does not have is said so.

use std::sync::Arc;

use palisade_core::yaml::Node;

use super::processes::same_file;
use super::{etcd_config_flags, Discovery, Problem};
use crate::component::{ComponentKind, ConfigLayer, Flag, Resolved};
use crate::fs::{self, NodeFs};

/// Prefix of a [`Component::referenced`](crate::component::Component::referenced) entry holding
/// an admission plugin's own configuration file (`path:` in the admission configuration):
/// `admission-plugin:ImagePolicyWebhook`.
pub const PLUGIN_FILE: &str = "admission-plugin:";

/// Flags of the API server that name a structured configuration file the audit reads.
pub const API_SERVER_FILES: &[&str] = &[
    "authentication-config",
    "authorization-config",
    "admission-control-config-file",
    "encryption-provider-config",
    "audit-policy-file",
];

impl Discovery {
    /// Reads each component's config file and drop-ins, and the files the API server names.
    pub(super) fn config_files(&mut self) {
        for i in 0..self.components.len() {
            let kind = self.components[i].kind;
            let mut layers = Vec::new();
            let mut problems = Vec::new();
            if matches!(kind, ComponentKind::Kubelet | ComponentKind::KubeProxy) {
                if let Some(cfg) = self.components[i]
                    .flag("config")
                    .map(|f| f.text().to_owned())
                {
                    match self.component_yaml(i, &cfg) {
                        Ok(layer) => layers.push(layer),
                        // The component's settings then come from flags and defaults only: the
                        // report must say why.
                        Err(e) => problems.push(e),
                    }
                }
            }
            if kind == ComponentKind::Kubelet {
                if let Some(dir) = self.components[i]
                    .flag("config-dir")
                    .map(|f| f.text().to_owned())
                {
                    let dir = fs::join("/", &dir);
                    match self.fs.list(&dir) {
                        Ok(names) => {
                            for n in names.into_iter().filter(|n| n.ends_with(".conf")) {
                                let path = format!("{}/{n}", dir.trim_end_matches('/'));
                                match self.load_yaml(&path) {
                                    Ok(root) => layers.push(ConfigLayer {
                                        path: Arc::from(path.as_str()),
                                        root,
                                    }),
                                    Err(e) => problems.push(e),
                                }
                            }
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => {
                            problems.push(e.to_string());
                            self.problem(&e);
                        }
                    }
                }
            }
            if kind == ComponentKind::Etcd {
                if let Some(cfg) = self.components[i]
                    .flag("config-file")
                    .map(|f| f.text().to_owned())
                {
                    match self.component_yaml(i, &cfg) {
                        Ok(layer) => {
                            // etcd ignores its other flags and ETCD_* variables when given a
                            // configuration file: its settings are the file's.
                            let keep = self.components[i]
                                .flags
                                .iter()
                                .filter(|f| f.name == "config-file")
                                .cloned();
                            let mut flags: Vec<Flag> = keep.collect();
                            flags.extend(etcd_config_flags(&layer));
                            self.components[i].flags = flags;
                            layers.push(layer);
                        }
                        Err(e) => problems.push(e),
                    }
                }
            }
            let mut referenced = Vec::new();
            if kind == ComponentKind::ApiServer {
                for flag in API_SERVER_FILES {
                    let Some(p) = self.components[i].flag(flag).map(|f| f.text().to_owned()) else {
                        continue;
                    };
                    let r = self.component_yaml(i, &p);
                    // A plugin's configuration may be in a file of its own (`path:`, relative to
                    // the admission configuration file).
                    let plugin_files: Vec<(String, String)> = match (&r, *flag) {
                        (Ok(layer), "admission-control-config-file") => layer
                            .root
                            .get("plugins")
                            .map(Node::items)
                            .unwrap_or(&[])
                            .iter()
                            .filter_map(|plugin| {
                                let name = plugin.get("name")?.as_str()?;
                                // Only the plugins a rule reads.
                                if name != "ImagePolicyWebhook" {
                                    return None;
                                }
                                let path = plugin.get("path")?.as_str()?;
                                let base = fs::join("/", &p);
                                Some((name.to_owned(), fs::join(fs::parent(&base), path)))
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    referenced.push(((*flag).to_owned(), r));
                    for (name, path) in plugin_files {
                        let r = self.component_yaml(i, &path);
                        referenced.push((format!("{PLUGIN_FILE}{name}"), r));
                    }
                }
            }
            let c = &mut self.components[i];
            c.files.extend(
                layers
                    .iter()
                    .filter(|l| l.path.starts_with('/'))
                    .map(|l| l.path.to_string()),
            );
            c.config.extend(layers);
            c.problems.extend(problems);
            c.referenced = referenced;
        }
    }

    /// Reads a YAML file a component names, where the component sees it: inside the running
    /// process's root (`/proc/PID/root`, a container's file system), through a static pod's
    /// `hostPath` mounts, or at the same node path. A file that lives only in a container's
    /// ConfigMap volume cannot be read from the node: the error says so.
    fn component_yaml(&mut self, i: usize, named: &str) -> Result<ConfigLayer, String> {
        let c = &self.components[i];
        let named = fs::join("/", named);
        let (kind, running, resolved) = (c.kind, c.running, c.resolve_path(&named));
        if let (Some(pid), Some(proc)) = (c.pid, self.proc.clone()) {
            let root = proc.join(pid.to_string()).join("root");
            if root.is_dir() && proc != std::path::Path::new("/proc") {
                // A proc tree of a copied node: its process roots are directories in it.
                let cfs = NodeFs::new(&root);
                let shown = format!("{}{named}", root.display());
                return match cfs.read(&named) {
                    Ok(text) => {
                        self.sources.insert(shown.clone(), text.clone());
                        self.parse_yaml(&shown, &text).map(|root| ConfigLayer {
                            path: Arc::from(shown.as_str()),
                            root,
                        })
                    }
                    Err(e) => {
                        let msg = format!("{shown}: {e} (as process {pid} sees it)");
                        self.problems.push(Problem::note(shown, msg.clone()));
                        Err(msg)
                    }
                };
            }
            if root.is_dir() && !same_file(&root, self.fs.root()) {
                // The live /proc: the view of a process in its own mount namespace (a
                // container); a process on the host sees the node's files, read below.
                let cfs = NodeFs::new(&root);
                if let Ok(text) = cfs.read(&named) {
                    let shown = format!("{}{named}", root.display());
                    self.sources.insert(shown.clone(), text.clone());
                    return self.parse_yaml(&shown, &text).map(|root| ConfigLayer {
                        path: Arc::from(shown.as_str()),
                        root,
                    });
                }
            }
        }
        let path = match resolved {
            Resolved::Node(p) => p,
            Resolved::Elsewhere(why) => {
                self.problems
                    .push(Problem::note(named.clone(), why.clone()));
                return Err(why);
            }
        };
        match self.read(&path) {
            Ok(text) => self.parse_yaml(&path, &text).map(|root| ConfigLayer {
                path: Arc::from(path.as_str()),
                root,
            }),
            Err(e) if e.is_not_found() && kind == ComponentKind::KubeProxy && running => {
                let msg = format!(
                    "{e}: kube-proxy runs in a container (kubeadm mounts its configuration from \
                     the ConfigMap kube-system/kube-proxy) and the file is not on the node's \
                     file system"
                );
                self.problems.push(Problem::note(path, msg.clone()));
                Err(msg)
            }
            Err(e) => {
                self.problem(&e);
                Err(e.to_string())
            }
        }
    }
}
