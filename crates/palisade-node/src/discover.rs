//! Finds the components of a node and everything they were configured with: static pod
//! manifests, running processes, systemd units and their drop-ins and environment files, the
//! kubelet's and kube-proxy's config files (and the kubelet's `--config-dir` drop-ins), the
//! structured configuration files the API server names, and k3s/RKE2 `config.yaml`.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::yaml::{self, escape_pointer, Limits, Node, Pos};
use palisade_core::{KubeVersion, Location};

use crate::component::{Component, ComponentKind, ConfigLayer, Flag, Mount, Resolved, Source};
use crate::flags::{self, Word};
use crate::fs::{self, FileMeta, FsError, NodeFs};
use crate::k3s;
use crate::trust::{self, Claim, HostFacts, ProcFacts, StaticPod};

/// Where static pod manifests live (kubeadm; RKE2).
pub const MANIFEST_DIRS: &[&str] = &[
    "/etc/kubernetes/manifests",
    "/var/lib/rancher/rke2/agent/pod-manifests",
];

/// Where the kubelet keeps pod logs, one directory per pod named `NAMESPACE_NAME_UID`: how a
/// container process's pod (its cgroup names the UID) is told to be a static pod.
pub const POD_LOG_DIR: &str = "/var/log/pods";

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

/// Prefix of a [`Component::referenced`] entry holding an admission plugin's own configuration
/// file (`path:` in the admission configuration): `admission-plugin:ImagePolicyWebhook`.
pub const PLUGIN_FILE: &str = "admission-plugin:";

/// Flags of the API server that name a structured configuration file the audit reads.
pub const API_SERVER_FILES: &[&str] = &[
    "authentication-config",
    "authorization-config",
    "admission-control-config-file",
    "encryption-provider-config",
    "audit-policy-file",
];

/// How the node was set up, as far as its files tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Kubeadm,
    K3s,
    Rke2,
    /// Components found, but no known installer's files.
    Other,
    /// Nothing found.
    Empty,
    /// Seen through the Kubernetes API (mirror pods, kubelet `/configz`), not a node's files.
    Api,
}

/// Something that could not be read, and what it means for the audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    /// Where in the file, for a file that does not parse.
    pub pos: Option<Pos>,
    pub message: String,
    /// The input is there but invalid (a manifest or config file that does not parse, or is not
    /// a mapping): an input error, which makes `palisade node` exit 2 after reporting the rest.
    /// Unreadable files and notes are not.
    pub invalid: bool,
}

impl Problem {
    /// A note about something missing or unreadable (the audit goes on without it).
    pub fn note(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            pos: None,
            message: message.into(),
            invalid: false,
        }
    }

    /// A file that is there but cannot be parsed.
    pub fn invalid(
        path: impl Into<String>,
        pos: Option<Pos>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            path: path.into(),
            pos,
            message: message.into(),
            invalid: true,
        }
    }
}

/// Options of one audit.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The node's root directory (`/` on the node itself).
    pub root: std::path::PathBuf,
    /// The proc tree to read processes from; `None` reads no processes.
    pub proc: Option<std::path::PathBuf>,
    /// Overrides the detected Kubernetes version.
    pub kubernetes_version: Option<KubeVersion>,
    /// Ask a component's binary for its version (`kubelet --version`) when no image tag gives
    /// it. Only for an audit of the machine the audit runs on: a binary of a `--root` tree is
    /// never executed (it is someone else's file, possibly for another architecture). Even
    /// then only two kinds of file are run, and only when only root could have written them
    /// (`NodeFs::root_only`: owned by root, not group- or world-writable, nor any directory
    /// above): the `ExecStart` binary of a component's systemd unit, and the executable of a
    /// trusted process ([`crate::trust`]) of the audit's own mount namespace, checked to be
    /// the very file the process runs. Never a file reached through a process of another mount
    /// namespace (a container's `/proc/PID/exe`).
    pub run_binaries: bool,
}

/// Everything the audit learned about a node. Rules read this and do no I/O.
#[derive(Clone, Debug)]
pub struct Inventory {
    pub layout: Layout,
    pub components: Vec<Component>,
    /// The node's Kubernetes version and where it came from.
    pub version: KubeVersion,
    pub version_source: Source,
    /// Mode and owner of the files CIS checks look at (node path → stat result).
    pub files: BTreeMap<String, Result<FileMeta, FsError>>,
    /// Names of users and groups from the node's `/etc/passwd` and `/etc/group`.
    pub users: BTreeMap<u32, String>,
    pub groups: BTreeMap<u32, String>,
    /// Inputs that could not be read or parsed.
    pub problems: Vec<Problem>,
    /// Texts of the files read (node path → text), for code frames.
    pub sources: BTreeMap<String, String>,
    /// CNI files (CIS 1.1.9/1.1.10): everything below the kubelet's `--cni-conf-dir` and
    /// `/etc/cni/net.d`, and the regular files below `/var/lib/cni/networks`. Their modes and
    /// owners are in `files`.
    pub cni_files: Vec<String>,
    /// The CNI directories looked in, and why one could not be read (other than absence).
    pub cni_dirs: Vec<(String, Option<String>)>,
    /// Where components were looked for (for "no Kubernetes component found … (looked in …)").
    pub looked_in: Vec<String>,
}

impl Inventory {
    pub fn component(&self, kind: ComponentKind) -> Option<&Component> {
        self.components.iter().find(|c| c.kind == kind)
    }

    /// `true` when some control-plane component was found on the node.
    pub fn has_control_plane(&self) -> bool {
        self.components.iter().any(|c| c.kind.is_control_plane())
    }

    /// `user:group` of a file as `stat -c %U:%G` prints it.
    pub fn owner(&self, meta: &FileMeta) -> String {
        let user = self.users.get(&meta.uid).cloned().unwrap_or_else(|| {
            if meta.uid == 0 {
                "root".into()
            } else {
                meta.uid.to_string()
            }
        });
        let group = self.groups.get(&meta.gid).cloned().unwrap_or_else(|| {
            if meta.gid == 0 {
                "root".into()
            } else {
                meta.gid.to_string()
            }
        });
        format!("{user}:{group}")
    }
}

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

/// Where [`discover`] looks for components, as a user would check by hand.
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

/// A binary that may be asked for its version.
#[derive(Clone, Debug)]
struct Binary {
    kind: ComponentKind,
    /// The node path: a unit's `ExecStart` binary, or a trusted process's executable.
    path: String,
    /// The process it was found through (live /proc only): it must still be that file.
    pid: Option<u32>,
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

    fn static_pods(&mut self) {
        for dir in MANIFEST_DIRS {
            let names = match self.fs.list(dir) {
                Ok(n) => n,
                Err(e) if e.is_not_found() => continue,
                Err(e) => {
                    self.problem(&e);
                    continue;
                }
            };
            if dir.contains("rke2") {
                self.layout = Layout::Rke2;
            } else if self.layout == Layout::Empty {
                self.layout = Layout::Kubeadm;
            }
            for name in names {
                if !(name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json")) {
                    continue;
                }
                let path = format!("{dir}/{name}");
                let text = match self.read(&path) {
                    Ok(t) => t,
                    Err(e) => {
                        self.problem(&e);
                        continue;
                    }
                };
                self.static_pod(&path, &text);
            }
        }
    }

    fn static_pod(&mut self, path: &str, text: &str) {
        let arc: Arc<str> = Arc::from(path);
        let loaded = palisade_core::source::load_text(&arc, text, &Default::default());
        for e in &loaded.errors {
            let msg = match e.pos() {
                Some(p) => format!("{path}:{p}: {e}"),
                None => format!("{path}: {e}"),
            };
            self.problems.push(Problem::invalid(path, e.pos(), msg));
        }
        for object in &loaded.objects {
            let components = manifest_pod_components(&arc, object);
            if object.kind() == "Pod" {
                self.static_pod_facts.push(StaticPod {
                    manifest: path.to_owned(),
                    namespace: object.namespace().unwrap_or("default").to_owned(),
                    name: object.name().unwrap_or("").to_owned(),
                    uid: object
                        .node
                        .path(&["metadata", "uid"])
                        .and_then(Node::as_str)
                        .map(str::to_owned),
                    kinds: components.iter().map(|(c, _)| c.kind).collect(),
                });
            }
            for (mut component, image_version) in components {
                component.files = vec![path.to_owned()];
                if self.image_version.is_none() {
                    self.image_version = image_version;
                }
                self.components.push(component);
            }
        }
    }

    fn processes(&mut self, proc: &std::path::Path) {
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
                                "its executable is not the node's file {path} (replaced, deleted                                  or in another mount namespace)"
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

    fn systemd(&mut self, kind: ComponentKind) {
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

    /// Reads each component's config file and drop-ins, and the files the API server names.
    fn config_files(&mut self) {
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

    /// The Kubernetes version a component's binary reports (`kubelet --version` prints
    /// `Kubernetes v1.29.3`), from the first binary that answers. etcd's own version is not a
    /// Kubernetes version and is not asked. A binary is run only when only root could have
    /// written it (checked again here, just before running it; the path run is the one the
    /// check resolved links to), and one found through a process only while that process still
    /// runs that very file; a binary refused is noted.
    fn binary_version(&mut self) -> Option<(KubeVersion, Source)> {
        let live_proc = self.proc.clone().filter(|p| is_live(p));
        let mut refused: Vec<(String, String)> = Vec::new();
        let mut found = None;
        for b in self.binaries.clone() {
            if b.kind == ComponentKind::Etcd {
                continue;
            }
            let resolved = match self.fs.root_only(&b.path) {
                Ok(r) => r,
                Err(e) => {
                    refused.push((b.path.clone(), format!("{e}: not run to ask its version")));
                    continue;
                }
            };
            let host = self.fs.root().join(resolved.trim_start_matches('/'));
            if let (Some(pid), Some(proc)) = (b.pid, &live_proc) {
                if !same_file(&proc.join(pid.to_string()).join("exe"), &host) {
                    continue;
                }
            }
            let Some(output) = run_version(&host, VERSION_TIMEOUT) else {
                continue;
            };
            let Some(v) = output
                .split_whitespace()
                .find_map(|w| w.parse::<KubeVersion>().ok())
            else {
                continue;
            };
            found = Some((
                v,
                Source::Binary {
                    path: resolved,
                    output: output.trim().to_owned(),
                },
            ));
            break;
        }
        refused.dedup();
        for (path, why) in refused {
            self.problems.push(Problem::note(path, why));
        }
        found
    }

    /// The CNI files CIS 1.1.9/1.1.10 look at. kube-bench reads the kubelet's `--cni-conf-dir`
    /// (a flag removed with dockershim in 1.24) and `/var/lib/cni/networks`; on a containerd
    /// node the configuration is in `/etc/cni/net.d`, which is read too.
    fn cni_files(&mut self) -> (Vec<String>, Vec<(String, Option<String>)>) {
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
    fn file_facts(&mut self) -> BTreeMap<String, Result<FileMeta, FsError>> {
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
    fn names(&self) -> (BTreeMap<u32, String>, BTreeMap<u32, String>) {
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

/// `registry.k8s.io/kube-apiserver:v1.29.3` → (`kube-apiserver`, `v1.29.3`).
fn split_image(image: &str) -> (&str, Option<&str>) {
    let image = image.split('@').next().unwrap_or(image);
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((name, tag)) => (name, Some(tag)),
        None => (last, None),
    }
}

impl Inventory {
    /// The layout as reports name it.
    pub fn layout_name(&self) -> &'static str {
        match self.layout {
            Layout::Kubeadm => "kubeadm node",
            Layout::K3s => "k3s node",
            Layout::Rke2 => "RKE2 node",
            Layout::Other => "node",
            Layout::Empty => "node without Kubernetes components",
            Layout::Api => "node seen through the Kubernetes API",
        }
    }
}

/// etcd's settings from `ETCD_*` environment variables (`ETCD_CLIENT_CERT_AUTH=true` is
/// `--client-cert-auth=true`), placed before the command-line flags: etcd applies a variable
/// only when the flag is not on the command line, and the last occurrence of a flag wins here.
/// Public for the fuzz targets (`palisade-fuzz`) only.
#[doc(hidden)]
pub fn with_etcd_env(
    vars: impl IntoIterator<Item = (String, String, Source)>,
    flags: Vec<Flag>,
) -> Vec<Flag> {
    let mut out: Vec<Flag> = vars
        .into_iter()
        .filter_map(|(name, value, at)| {
            let rest = name.strip_prefix("ETCD_")?;
            if rest.is_empty() || rest.starts_with("UNSUPPORTED") {
                return None;
            }
            Some(Flag {
                name: rest.to_ascii_lowercase().replace('_', "-"),
                value: Some(value),
                source: Source::Env {
                    var: name.clone(),
                    at: Box::new(at),
                },
            })
        })
        .collect();
    out.extend(flags);
    out
}

/// A static pod container's volume mounts, each with the node path of its `hostPath` volume,
/// or what the volume is instead.
fn static_pod_mounts(spec: &Node, container: &Node) -> Vec<Mount> {
    let volumes = spec.get("volumes").map(Node::items).unwrap_or(&[]);
    let mounts = container
        .get("volumeMounts")
        .map(Node::items)
        .unwrap_or(&[]);
    mounts
        .iter()
        .filter_map(|m| {
            let name = m.get("name")?.as_str()?;
            let container_path = fs::normalize(m.get("mountPath")?.as_str()?);
            let sub = m.get("subPath").and_then(Node::as_str).unwrap_or("");
            let volume = volumes
                .iter()
                .find(|v| v.get("name").and_then(Node::as_str) == Some(name));
            let host = match volume {
                None => Err(format!("undeclared volume {name}")),
                Some(v) => match v.path(&["hostPath", "path"]).and_then(Node::as_str) {
                    Some(h) if sub.is_empty() => Ok(fs::normalize(h)),
                    Some(h) => Ok(fs::join(h, sub)),
                    None => {
                        let what = v
                            .entries()
                            .iter()
                            .map(|e| e.key.to_string())
                            .find(|k| k != "name")
                            .unwrap_or_else(|| "unknown".into());
                        Err(format!("{what} volume {name}"))
                    }
                },
            };
            Some(Mount {
                container_path,
                host,
            })
        })
        .collect()
}

/// How long a binary may take to print its version.
pub const VERSION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs `binary --version` with no input, a bounded wait and a bounded output; the first line
/// it prints, or `None` when it cannot run, fails, or does not answer in time (it is killed).
pub fn run_version(binary: &std::path::Path, timeout: std::time::Duration) -> Option<String> {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env_clear()
        .spawn()
        .ok()?;
    let deadline = std::time::Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    if !status.success() {
        return None;
    }
    let mut out = String::new();
    child
        .stdout
        .take()?
        .take(4096)
        .read_to_string(&mut out)
        .ok()?;
    out.lines().next().map(str::to_owned)
}

/// The settings of an etcd configuration file (`--config-file`) as the flags they stand for:
/// top-level keys are flag names (`data-dir`), and the TLS sections map to the `--*` and
/// `--peer-*` certificate flags (`client-transport-security.cert-file` is `--cert-file`).
/// Public for the fuzz targets (`palisade-fuzz`) only.
#[doc(hidden)]
pub fn etcd_config_flags(layer: &ConfigLayer) -> Vec<Flag> {
    let mut out = Vec::new();
    let mut push = |name: String, node: &Node, pointer: String| {
        if node.is_null() || node.as_map().is_some() {
            return;
        }
        out.push(Flag {
            name,
            value: Some(crate::component::node_text(node)),
            source: Source::Config {
                path: Arc::clone(&layer.path),
                span: layer.root.key_span(&pointer).unwrap_or(node.span),
                pointer,
            },
        });
    };
    for e in layer.root.entries() {
        match &*e.key {
            "client-transport-security" | "peer-transport-security" => {
                let prefix = if &*e.key == "peer-transport-security" {
                    "peer-"
                } else {
                    ""
                };
                for t in e.value.entries() {
                    push(
                        format!("{prefix}{}", t.key),
                        &t.value,
                        format!("/{}/{}", escape_pointer(&e.key), escape_pointer(&t.key)),
                    );
                }
            }
            // A key holding `/` or `~` (no etcd setting does, but the file may) is escaped, so
            // the pointer finds it again (found by the node_parsers fuzz target).
            key => push(
                key.to_owned(),
                &e.value,
                format!("/{}", escape_pointer(key)),
            ),
        }
    }
    out
}

/// [`pod_components`] of a pod read from the manifest file `path`: values come from the
/// manifest's lines, containers are located in it.
pub fn manifest_pod_components(
    path: &Arc<str>,
    object: &palisade_core::Object,
) -> Vec<(Component, Option<(KubeVersion, Source)>)> {
    let place = |node: &Node, pointer: String| Source::Manifest {
        path: Arc::clone(path),
        span: node.span,
        pointer,
    };
    let defined_in = |c: &Node, pointer: &str| Location::File {
        path: Arc::clone(path),
        pos: c.span.start,
        end: c.span.end,
        pointer: pointer.to_owned(),
    };
    pod_components(object, &place, &defined_in)
}

/// The components a pod's containers run (a static pod's, or a mirror pod's read through the
/// API), with their flags (and etcd's `ETCD_*` variables) and volume mounts. `place` gives the
/// source of a value at a node and pointer, `defined_in` the location of a container. Each
/// component comes with the Kubernetes version its image tag gives (not for etcd, whose tag is
/// etcd's own version); a component without one has an unknown version, filled in later.
pub fn pod_components(
    object: &palisade_core::Object,
    place: &dyn Fn(&Node, String) -> Source,
    defined_in: &dyn Fn(&Node, &str) -> Location,
) -> Vec<(Component, Option<(KubeVersion, Source)>)> {
    let mut out = Vec::new();
    let Some(pod) = object.pod_template() else {
        return out;
    };
    for c in pod.containers() {
        let command = c.node.get("command").map(Node::items).unwrap_or(&[]);
        let args = c.node.get("args").map(Node::items).unwrap_or(&[]);
        let image = c.node.get("image").and_then(Node::as_str).unwrap_or("");
        let (image_name, tag) = split_image(image);
        let binary = command
            .first()
            .and_then(Node::as_str)
            .and_then(ComponentKind::from_binary);
        let Some(kind) = binary.or_else(|| ComponentKind::from_binary(image_name)) else {
            continue;
        };
        let skip = usize::from(binary.is_some());
        let mut words = Vec::new();
        for (field, items) in [("command", command), ("args", args)] {
            for (i, item) in items.iter().enumerate() {
                if field == "command" && i < skip {
                    continue;
                }
                let Some(t) = item.as_str() else { continue };
                words.push(Word {
                    text: t.to_owned(),
                    source: place(item, format!("{}/{field}/{i}", c.pointer)),
                });
            }
        }
        let (mut flags, _) = flags::parse_args(&words);
        if kind == ComponentKind::Etcd {
            let env = c.node.get("env").map(Node::items).unwrap_or(&[]);
            let vars = env.iter().enumerate().filter_map(|(i, e)| {
                let name = e.get("name")?.as_str()?;
                let value = e.get("value")?;
                Some((
                    name.to_owned(),
                    value.as_str()?.to_owned(),
                    place(value, format!("{}/env/{i}/value", c.pointer)),
                ))
            });
            flags = with_etcd_env(vars, flags);
        }
        let mounts = static_pod_mounts(pod.spec, c.node);
        let tag_version = tag.and_then(|t| t.parse::<KubeVersion>().ok());
        let image_source = match c.node.get("image") {
            Some(n) => place(n, format!("{}/image", c.pointer)),
            None => place(c.node, format!("{}/image", c.pointer)),
        };
        let image_version = match tag_version {
            Some(v) if kind != ComponentKind::Etcd => Some((v, image_source)),
            _ => None,
        };
        let (version, version_source) = match &image_version {
            Some((v, s)) => (*v, s.clone()),
            None => (KubeVersion::LATEST, unknown_version()),
        };
        out.push((
            Component {
                kind,
                version,
                version_source,
                defined_in: defined_in(c.node, &c.pointer.to_string()),
                files: Vec::new(),
                flags,
                config: Vec::new(),
                referenced: Vec::new(),
                problems: Vec::new(),
                running: false,
                pid: None,
                mounts,
            },
            image_version,
        ));
    }
    out
}

/// Whether `proc` is the live proc file system of the audit's own PID namespace (its `self`
/// names the audit's process), not a copied proc tree.
fn is_live(proc: &std::path::Path) -> bool {
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
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
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

    #[test]
    fn etcd_variables_come_before_flags() {
        let at = Source::Assumed { note: "t".into() };
        let flags = vec![Flag {
            name: "client-cert-auth".into(),
            value: Some("true".into()),
            source: at.clone(),
        }];
        let merged = with_etcd_env(
            [
                ("ETCD_CLIENT_CERT_AUTH".into(), "false".into(), at.clone()),
                ("ETCD_PEER_AUTO_TLS".into(), "true".into(), at.clone()),
                ("PATH".into(), "/bin".into(), at.clone()),
                ("ETCD_".into(), "x".into(), at.clone()),
            ],
            flags,
        );
        let names: Vec<&str> = merged.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            ["client-cert-auth", "peer-auto-tls", "client-cert-auth"]
        );
        // The last occurrence is what a rule reads: the command line's.
        assert_eq!(merged.last().unwrap().text(), "true");
    }
}
