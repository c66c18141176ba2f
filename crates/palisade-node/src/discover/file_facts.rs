//! Modes and owners of the files CIS checks look at (component files, kubeconfigs, PKI, CNI
//! configuration), and the node's user and group names to print owners as `stat` would.

use std::collections::BTreeMap;

use super::Discovery;
use crate::component::{ComponentKind, Resolved};
use crate::fs::{self, FileMeta, FsError};

impl Discovery {
    /// The CNI files CIS 1.1.9/1.1.10 look at. kube-bench reads the kubelet's `--cni-conf-dir`
    /// (a flag removed with dockershim in 1.24) and `/var/lib/cni/networks`; on a containerd
    /// node the configuration is in `/etc/cni/net.d`, which is read too.
    pub(super) fn cni_files(&mut self) -> (Vec<String>, Vec<(String, Option<String>)>) {
        let mut conf_dirs = vec!["/etc/cni/net.d".to_owned()];
        if let Some(k) = self
            .components
            .iter()
            .find(|c| c.kind == ComponentKind::Kubelet)
        {
            if let Some(f) = k.flag("cni-conf-dir") {
                conf_dirs.insert(0, fs::join("/", f.text()));
            }
        }
        conf_dirs.dedup();
        let mut files = Vec::new();
        let mut looked = Vec::new();
        for (dir, files_only) in conf_dirs
            .into_iter()
            .map(|d| (d, false))
            .chain([("/var/lib/cni/networks".to_owned(), true)])
        {
            match self.fs.walk(&dir, 10_000) {
                Ok(found) => {
                    looked.push((dir, None));
                    for f in found {
                        if files_only && self.fs.stat(&f).is_ok_and(|m| m.is_dir) {
                            continue;
                        }
                        files.push(f);
                    }
                }
                Err(e) if e.is_not_found() => looked.push((dir, None)),
                Err(e) => looked.push((dir, Some(e.to_string()))),
            }
        }
        files.sort();
        files.dedup();
        (files, looked)
    }

    /// Mode and owner of every file a CIS check looks at.
    pub(super) fn file_facts(&mut self) -> BTreeMap<String, Result<FileMeta, FsError>> {
        let mut paths: Vec<String> = Vec::new();
        for c in &self.components {
            paths.extend(c.files.iter().cloned());
            for flag in ["kubeconfig", "client-ca-file", "data-dir"] {
                if let Some(f) = c.flag(flag) {
                    paths.push(fs::join("/", f.text()));
                }
            }
            if let Some((n, _)) = c.config_value(&["authentication", "x509", "clientCAFile"]) {
                if let Some(t) = n.as_str() {
                    paths.push(fs::join("/", t));
                }
            }
            if let crate::structured::ImagePolicy::Configured {
                kubeconfig: Some((k, _)),
                ..
            } = crate::structured::image_policy(c)
            {
                if let Resolved::Node(p) = c.resolve_path(&k) {
                    paths.push(p);
                }
            }
            if let Some((n, _)) = c.config_value(&["clientConnection", "kubeconfig"]) {
                if let Some(t) = n.as_str() {
                    paths.push(fs::join("/", t));
                }
            }
        }
        paths.extend(
            [
                "/etc/kubernetes/admin.conf",
                "/etc/kubernetes/super-admin.conf",
                "/etc/kubernetes/scheduler.conf",
                "/etc/kubernetes/controller-manager.conf",
                "/etc/kubernetes/kubelet.conf",
                "/etc/kubernetes/pki",
                "/var/lib/etcd",
            ]
            .map(str::to_owned),
        );
        match self.fs.walk("/etc/kubernetes/pki", 10_000) {
            Ok(p) => paths.extend(p),
            Err(e) if e.is_not_found() => {}
            Err(e) => self.problem(&e),
        }
        paths.sort();
        paths.dedup();
        paths
            .into_iter()
            .map(|p| {
                let r = self.fs.stat(&p);
                (p, r)
            })
            .collect()
    }

    /// uid → user and gid → group from the node's own files.
    pub(super) fn names(&self) -> (BTreeMap<u32, String>, BTreeMap<u32, String>) {
        let parse = |path: &str| {
            let mut m = BTreeMap::new();
            if let Ok(t) = self.fs.read(path) {
                for line in t.lines() {
                    let parts: Vec<&str> = line.split(':').collect();
                    if let (Some(name), Some(id)) = (parts.first(), parts.get(2)) {
                        if let Ok(id) = id.parse::<u32>() {
                            m.entry(id).or_insert_with(|| (*name).to_owned());
                        }
                    }
                }
            }
            m
        };
        (parse("/etc/passwd"), parse("/etc/group"))
    }
}
