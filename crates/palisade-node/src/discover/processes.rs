//! Running processes under the proc tree (`--proc`): which ones are Kubernetes components or
//! k3s/RKE2, whether the audit believes them ([`crate::trust`]), and their command lines and
//! etcd environments merged into the components found in files.
//!
//! Everything that looks at `/proc/PID` (namespaces, executables, uids, cgroups) lives here, so
//! the rules for trusting a process are read in one place.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::{KubeVersion, Location};

use super::k3s;
use super::version::Binary;
use super::{unknown_version, with_etcd_env, Discovery, Problem, SERVICES, UNIT_DIRS};
use crate::component::{Component, ComponentKind, Flag, Source};
use crate::flags::{self, Word};
use crate::fs::NodeFs;
use crate::trust::{self, Claim, HostFacts, ProcFacts};

/// Where the kubelet keeps pod logs, one directory per pod named `NAMESPACE_NAME_UID`: how a
/// container process's pod (its cgroup names the UID) is told to be a static pod.
pub const POD_LOG_DIR: &str = "/var/log/pods";

impl Discovery {
    pub(super) fn processes(&mut self, proc: &std::path::Path) {
        let pfs = NodeFs::new(proc);
        let pids = match pfs.list("/") {
            Ok(p) => p,
            Err(e) => {
                self.problems.push(Problem::note(
                    proc.display().to_string(),
                    format!("cannot list processes: {e}"),
                ));
                return;
            }
        };
        let live = is_live(proc);
        let own_mnt = live
            .then(|| ns_link(std::path::Path::new("/proc/self/ns/mnt")))
            .flatten();
        let mut host: Option<HostFacts> = None;
        for pid in pids.iter().filter_map(|p| p.parse::<u32>().ok()) {
            let Ok(bytes) = pfs.read_bytes(&format!("/{pid}/cmdline")) else {
                continue;
            };
            let argv: Vec<String> = bytes
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            let Some(first) = argv.first() else { continue };
            let (kind, rest) = match ComponentKind::from_binary(first) {
                Some(k) => (k, &argv[1..]),
                None => {
                    let base = first.rsplit('/').next().unwrap_or(first);
                    let sub = argv.get(1).map(String::as_str);
                    match (base, sub) {
                        ("hyperkube", Some(s)) => match ComponentKind::from_binary(s) {
                            Some(k) => (k, &argv[2..]),
                            None => continue,
                        },
                        ("k3s" | "rke2", Some("server" | "agent")) => {
                            let name = if base == "k3s" { "k3s" } else { "rke2" };
                            let host = host.get_or_insert_with(|| self.host_facts(proc, live));
                            let facts = self.proc_facts(proc, pid, live);
                            if self.believe(Claim::Distribution(name), &facts, host, proc) {
                                k3s::note_process(self, base, sub.unwrap_or(""), pid);
                            }
                            continue;
                        }
                        _ => continue,
                    }
                }
            };
            let host = host.get_or_insert_with(|| self.host_facts(proc, live));
            let facts = self.proc_facts(proc, pid, live);
            if !self.believe(Claim::Component(kind), &facts, host, proc) {
                continue;
            }
            let path: Arc<str> = Arc::from(format!("{}/{pid}/cmdline", proc.display()));
            let words: Vec<Word> = rest
                .iter()
                .map(|t| Word {
                    text: t.clone(),
                    source: Source::Process {
                        path: Arc::clone(&path),
                        pid,
                    },
                })
                .collect();
            let (mut flags, _) = flags::parse_args(&words);
            if kind == ComponentKind::Etcd {
                // etcd reads ETCD_* variables for every flag not given on its command line.
                if let Ok(bytes) = pfs.read_bytes(&format!("/{pid}/environ")) {
                    let env_path: Arc<str> = Arc::from(format!("{}/{pid}/environ", proc.display()));
                    let vars = bytes
                        .split(|b| *b == 0)
                        .filter_map(|a| std::str::from_utf8(a).ok())
                        .filter_map(|a| a.split_once('='))
                        .map(|(k, v)| {
                            (
                                k.to_owned(),
                                v.to_owned(),
                                Source::Process {
                                    path: Arc::clone(&env_path),
                                    pid,
                                },
                            )
                        })
                        .collect::<Vec<_>>();
                    flags = with_etcd_env(vars, flags);
                }
            }
            // Its executable may be asked for its version only when it is a node file only root
            // could have written (checked in `proc_facts`) and the process shares the audit's
            // mount namespace, so that the path names the same file here. Never through
            // `/proc/PID/exe` of another mount namespace: that is a container's binary.
            if let (Some(own), Ok(exe)) = (&own_mnt, &facts.exe) {
                if facts.mnt_ns.as_ref() == Some(own) {
                    self.binaries.push(Binary {
                        kind,
                        path: exe.clone(),
                        pid: Some(pid),
                    });
                }
            }
            self.merge_process(kind, flags, &path, pid);
        }
    }

    /// Whether the audit believes process `facts.pid` is what it claims ([`trust::trust`]);
    /// when not, says so once, as a note on its command line.
    fn believe(
        &mut self,
        claim: Claim,
        facts: &ProcFacts,
        host: &HostFacts,
        proc: &std::path::Path,
    ) -> bool {
        match trust::trust(claim, facts, host) {
            Ok(_) => true,
            Err(why) => {
                let pid = facts.pid;
                self.problems.push(Problem::note(
                    format!("{}/{pid}/cmdline", proc.display()),
                    format!("process {pid} calls itself {claim} but {why}: ignored"),
                ));
                false
            }
        }
    }

    /// What the node says it runs, for [`trust::trust`]: the host's namespaces (PID 1's of the
    /// proc tree; on the live /proc, the audit's own when PID 1's cannot be read: the audit
    /// then runs on the host, or inside the only container it can see), the component and
    /// k3s/RKE2 units with a unit file, the static pods read, and the pods the kubelet keeps
    /// log directories for.
    fn host_facts(&self, proc: &std::path::Path, live: bool) -> HostFacts {
        let ns = |name: &str| {
            ns_link(&proc.join("1/ns").join(name)).or_else(|| {
                live.then(|| ns_link(&std::path::Path::new("/proc/self/ns").join(name)))
                    .flatten()
            })
        };
        let units = SERVICES
            .iter()
            .filter(|s| {
                UNIT_DIRS
                    .iter()
                    .any(|d| self.fs.exists(&format!("{d}/{s}.service")))
            })
            .map(|s| (*s).to_owned())
            .collect();
        // A log directory someone else than the node's owner could write to proves nothing
        // (the owner of the node's `/`: root on a node, whoever copied a node tree).
        let mut pod_dirs = BTreeMap::new();
        let owner = self.fs.stat("/").map(|m| m.uid);
        let root_only_dir = self
            .fs
            .stat(POD_LOG_DIR)
            .is_ok_and(|m| m.is_dir && Ok(m.uid) == owner && m.mode & 0o022 == 0);
        if root_only_dir {
            for name in self.fs.list(POD_LOG_DIR).unwrap_or_default() {
                if let [ns, pod, uid] = name.split('_').collect::<Vec<_>>()[..] {
                    pod_dirs.insert(uid.to_owned(), (ns.to_owned(), pod.to_owned()));
                }
            }
        }
        HostFacts {
            mnt_ns: ns("mnt"),
            pid_ns: ns("pid"),
            units,
            static_pods: self.static_pod_facts.clone(),
            pod_dirs,
        }
    }

    /// What `PROC/PID` tells about a process. Its executable is checked as a node file (in the
    /// host's mount namespace, which is where [`trust::trust`] looks at it): only root may have
    /// written it, and on the live /proc it must be the very file the process runs.
    fn proc_facts(&self, proc: &std::path::Path, pid: u32, live: bool) -> ProcFacts {
        let dir = proc.join(pid.to_string());
        let pfs = NodeFs::new(proc);
        let uids = pfs.read(&format!("/{pid}/status")).ok().and_then(|t| {
            let line = t.lines().find_map(|l| l.strip_prefix("Uid:"))?;
            let mut ids = line.split_whitespace().map(|w| w.parse::<u32>().ok());
            Some((ids.next()??, ids.next()??))
        });
        let exe = match std::fs::read_link(dir.join("exe")) {
            Err(e) => Err(format!("its executable cannot be read ({e})")),
            Ok(target) => {
                let path = target.to_string_lossy().into_owned();
                match self.fs.root_only(&path) {
                    Err(e) => Err(format!("its executable {e}")),
                    Ok(resolved) => {
                        let host = self.fs.root().join(resolved.trim_start_matches('/'));
                        if live && !same_file(&dir.join("exe"), &host) {
                            Err(format!(
                                "its executable is not the node's file {path} (replaced, deleted \
                                 or in another mount namespace)"
                            ))
                        } else {
                            Ok(resolved)
                        }
                    }
                }
            }
        };
        ProcFacts {
            pid,
            mnt_ns: ns_link(&dir.join("ns/mnt")),
            pid_ns: ns_link(&dir.join("ns/pid")),
            uids,
            cgroup: pfs.read(&format!("/{pid}/cgroup")).ok(),
            exe,
        }
    }

    /// A running process is what counts; where a file gives the same flag and value, the file's
    /// place is kept (it is what the user edits).
    fn merge_process(&mut self, kind: ComponentKind, flags: Vec<Flag>, path: &Arc<str>, pid: u32) {
        if let Some(existing) = self.components.iter_mut().find(|c| c.kind == kind) {
            let merged = flags
                .into_iter()
                .map(|f| {
                    match existing
                        .flags
                        .iter()
                        .rev()
                        .find(|e| e.name == f.name && e.value == f.value)
                    {
                        Some(e) => e.clone(),
                        None => f,
                    }
                })
                .collect();
            existing.flags = merged;
            existing.running = true;
            existing.pid = Some(pid);
            return;
        }
        self.components.push(Component {
            kind,
            version: KubeVersion::LATEST,
            version_source: unknown_version(),
            defined_in: Location::Path {
                path: Arc::clone(path),
                pos: None,
            },
            files: Vec::new(),
            flags,
            config: Vec::new(),
            referenced: Vec::new(),
            problems: Vec::new(),
            running: true,
            pid: Some(pid),
            mounts: Vec::new(),
        });
    }
}

/// Whether `proc` is the live proc file system of the audit's own PID namespace (its `self`
/// names the audit's process), not a copied proc tree.
pub(super) fn is_live(proc: &std::path::Path) -> bool {
    std::fs::read_link(proc.join("self"))
        .is_ok_and(|t| t == std::path::Path::new(&std::process::id().to_string()))
}

/// The target of a `/proc/PID/ns/*` link (`mnt:[4026531841]`); `None` when it cannot be read.
fn ns_link(path: &std::path::Path) -> Option<String> {
    std::fs::read_link(path)
        .ok()
        .map(|t| t.to_string_lossy().into_owned())
}

/// Whether two paths are the same directory (a process whose `/proc/PID/root` is the host's
/// root sees the node's own files).
pub(super) fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process on the host has the host's root as its `/proc/PID/root`: its files are read at
    /// their node paths, not through /proc.
    #[test]
    fn host_processes_share_the_root() {
        let own = std::path::Path::new("/proc/self/root");
        assert!(same_file(own, std::path::Path::new("/")));
        let dir = tempfile::tempdir().unwrap();
        assert!(!same_file(own, dir.path()));
        assert!(!same_file(own, &dir.path().join("missing")));
    }
}
