//! systemd units: a component's unit file and drop-ins in the order systemd applies them, its
//! `ExecStart` command line and environment files, turned into a component or merged into the
//! running process's.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::{KubeVersion, Location};

use super::version::Binary;
use super::{unknown_version, with_etcd_env, Discovery, Problem};
use crate::component::{Component, ComponentKind};
use crate::flags;

/// The systemd services the audit reads (components, then k3s/RKE2).
pub const SERVICES: &[&str] = &[
    "kubelet",
    "kube-proxy",
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "k3s",
    "k3s-agent",
    "rke2-server",
    "rke2-agent",
];

/// Where systemd looks for units, most specific first.
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

impl Discovery {
    /// The unit file and drop-ins of a service, in the order systemd applies them.
    pub(crate) fn unit_files(&mut self, service: &str) -> Vec<String> {
        let unit = format!("{service}.service");
        let mut files = Vec::new();
        for dir in UNIT_DIRS {
            let p = format!("{dir}/{unit}");
            if self.fs.exists(&p) {
                files.push(p);
                break;
            }
        }
        // Drop-ins: by file name across directories; a name in a more specific directory hides
        // the same name further down.
        let mut dropins: BTreeMap<String, String> = BTreeMap::new();
        for dir in UNIT_DIRS.iter().rev() {
            let d = format!("{dir}/{unit}.d");
            match self.fs.list(&d) {
                Ok(names) => {
                    for n in names.into_iter().filter(|n| n.ends_with(".conf")) {
                        dropins.insert(n.clone(), format!("{d}/{n}"));
                    }
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => self.problem(&e),
            }
        }
        files.extend(dropins.into_values());
        files
    }

    pub(super) fn systemd(&mut self, kind: ComponentKind) {
        let files = self.unit_files(kind.name());
        if files.is_empty() {
            return;
        }
        let mut units = Vec::new();
        let mut problems = Vec::new();
        for f in &files {
            match self.read(f) {
                Ok(t) => units.push((Arc::from(f.as_str()), t)),
                Err(e) => {
                    problems.push(e.to_string());
                    self.problem(&e);
                }
            }
        }
        let fs = self.fs.clone();
        let mut texts = Vec::new();
        let service = flags::read_service(&units, &|p| {
            let t = fs.read(p)?;
            Ok(t)
        });
        for envf in &service.environment_files {
            if let Ok(t) = self.fs.read(envf.trim_start_matches('-')) {
                texts.push((envf.clone(), t));
            }
        }
        for (p, t) in texts {
            self.sources.insert(p, t);
        }
        for p in &service.problems {
            self.problems.push(Problem::note(String::new(), p.clone()));
        }
        problems.extend(service.problems.iter().cloned());
        let mut all_files = files.clone();
        all_files.extend(
            service
                .environment_files
                .iter()
                .filter(|f| self.fs.exists(f))
                .cloned(),
        );
        let Some(first) = service.exec.first() else {
            return;
        };
        let (mut flags, _) = flags::parse_args(&service.exec[1..]);
        if kind == ComponentKind::Etcd {
            flags = with_etcd_env(service.env.iter().cloned(), flags);
        }
        if first.text.starts_with('/') {
            self.binaries.push(Binary {
                kind,
                path: first.text.clone(),
                pid: None,
            });
        }
        let defined_in = first.source.location().unwrap_or(Location::Path {
            path: Arc::from(files[0].as_str()),
            pos: None,
        });
        if let Some(existing) = self.components.iter_mut().find(|c| c.kind == kind) {
            // The process runs with these flags already; keep the unit's places for them.
            existing.flags = existing
                .flags
                .iter()
                .map(|f| {
                    flags
                        .iter()
                        .rev()
                        .find(|u| u.name == f.name && u.value == f.value)
                        .cloned()
                        .unwrap_or_else(|| f.clone())
                })
                .collect();
            existing.files.extend(all_files);
            existing.problems.extend(problems);
            return;
        }
        self.components.push(Component {
            kind,
            version: KubeVersion::LATEST,
            version_source: unknown_version(),
            defined_in,
            files: all_files,
            flags,
            config: Vec::new(),
            referenced: Vec::new(),
            problems,
            running: false,
            pid: None,
            mounts: Vec::new(),
        });
    }
}
