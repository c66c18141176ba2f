//! Which running processes the node audit believes.
//!
//! A process's command line is chosen by whoever starts it: a pod can run anything as
//! `kubelet --anonymous-auth=false`. The audit (usually run as root on the host) must neither
//! take such a process's flags as the kubelet's nor execute its binary. A process is taken as
//! component X only when the node itself says it runs X:
//!
//! - **(a) a systemd unit of the host for X**: the process's cgroup is `X.service` directly
//!   below systemd slices (`/system.slice/kubelet.service`) and the node has a unit file for X.
//!   Only root can move a process into such a cgroup; a user's own units live below
//!   `user@UID.service` and a container's below its pod or scope, which this shape excludes.
//! - **(b) the container of a static pod** from the kubelet's manifest directory: the process's
//!   cgroup names its pod's UID, the kubelet's pod log directory (`/var/log/pods/NS_NAME_UID`)
//!   names that pod, and a manifest of that namespace and name runs X. The kubelet gives a
//!   static pod a UID of its own (an MD5 digest, 32 hex digits) unless the manifest sets one;
//!   the API server gives every other pod a random RFC 4122 UUID, so no tenant can choose a UID
//!   that passes for a static pod's, nor create a log directory. A command line equal to the
//!   manifest's would not do: anyone can copy a command line, and the impostor's own files
//!   (seen through `/proc/PID/root`) would then be read as the component's.
//! - **(c) k3s/RKE2**: the `k3s`/`rke2` process (and the kubelet RKE2 starts) in the cgroup of
//!   the node's `k3s`, `k3s-agent`, `rke2-server` or `rke2-agent` unit.
//! - **(d) a host process**: in the host's mount and PID namespaces (those of PID 1 of the proc
//!   tree), run by root (real and effective uid 0), from an executable that only root could
//!   have written (`NodeFs::root_only`). A process whose cgroup says it belongs to a pod is
//!   judged by (b) alone, whatever namespaces it has joined.
//!
//! The decision ([`trust`]) is a pure function of facts read from `/proc` ([`ProcFacts`]) and
//! from the node ([`HostFacts`]), so tests exercise it on copied proc trees.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::component::ComponentKind;

/// What a process claims to be, by its command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    Component(ComponentKind),
    /// A `k3s` or `rke2` `server`/`agent` process (the name).
    Distribution(&'static str),
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Component(k) => f.write_str(k.name()),
            Claim::Distribution(d) => f.write_str(d),
        }
    }
}

/// What `/proc/PID` tells about one process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcFacts {
    pub pid: u32,
    /// The targets of `/proc/PID/ns/mnt` and `/proc/PID/ns/pid` (`mnt:[4026531841]`), `None`
    /// when they cannot be read (reading another user's needs root).
    pub mnt_ns: Option<String>,
    pub pid_ns: Option<String>,
    /// Real and effective user id (`/proc/PID/status`).
    pub uids: Option<(u32, u32)>,
    /// The text of `/proc/PID/cgroup`.
    pub cgroup: Option<String>,
    /// The executable as a node path that only root could have written and that is the very
    /// file the process runs; otherwise why not, as a phrase (`its executable /tmp/k: …`).
    pub exe: Result<String, String>,
}

/// What the node says it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// The host's namespaces (PID 1's), as [`ProcFacts::mnt_ns`] and `pid_ns`.
    pub mnt_ns: Option<String>,
    pub pid_ns: Option<String>,
    /// Services with a unit file on the node (`kubelet`, `rke2-server`).
    pub units: BTreeSet<String>,
    /// The static pods of the kubelet's manifest directories.
    pub static_pods: Vec<StaticPod>,
    /// The pods the kubelet keeps logs for (`/var/log/pods/NAMESPACE_NAME_UID`): UID →
    /// (namespace, name).
    pub pod_dirs: BTreeMap<String, (String, String)>,
}

/// A static pod manifest, as far as trust needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticPod {
    pub manifest: String,
    /// `metadata.namespace`, `default` when absent (as the kubelet does).
    pub namespace: String,
    pub name: String,
    /// `metadata.uid`, when the manifest sets it.
    pub uid: Option<String>,
    /// The components its containers run.
    pub kinds: Vec<ComponentKind>,
}

/// Why a process is believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// (a) The process of the node's systemd unit of this name.
    Unit(String),
    /// (b) The container of the static pod of this manifest.
    StaticPod(String),
    /// (c) The k3s/RKE2 unit of this name.
    Distribution(String),
    /// (d) A root process of the host's namespaces running a root-only executable.
    Host,
}

/// Why a process is not believed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// In a pod that is not a static pod, or in other namespaces than the host's.
    Container,
    /// Its namespaces or the host's could not be read.
    NamespacesUnknown,
    /// Not run by root.
    NotRoot,
    /// Its executable could have been written by a non-root user, or cannot be checked.
    Executable(String),
}

impl fmt::Display for Ignored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ignored::Container => f.write_str("runs in a container that is not a static pod"),
            Ignored::NamespacesUnknown => {
                f.write_str("its namespaces cannot be compared with the host's (that needs root)")
            }
            Ignored::NotRoot => f.write_str("is not run by root"),
            Ignored::Executable(why) => f.write_str(why),
        }
    }
}

/// Where a process's cgroup puts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// The systemd service of this name (`kubelet` for `/system.slice/kubelet.service`).
    Unit(String),
    /// A Kubernetes pod, with its UID when the path names it.
    Pod(Option<String>),
    Other,
}

/// Where `/proc/PID/cgroup` puts a process. A path below `kubepods` (or naming a pod UID) is a
/// pod, whatever else the file says; otherwise the unified (`0::`) line, then systemd's own
/// hierarchy (`name=systemd`, cgroup v1), may name a service. Paths seen from another cgroup
/// namespace start with `..` components, which are skipped.
pub fn cgroup_place(text: &str) -> Place {
    let mut unified = None;
    let mut systemd = None;
    let mut pod = None;
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let comps: Vec<&str> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .skip_while(|c| *c == "..")
            .collect();
        if pod.is_none() {
            let uid = comps.iter().find_map(|c| pod_uid(c));
            if uid.is_some() || comps.iter().any(|c| c.starts_with("kubepods")) {
                pod = Some(uid);
            }
        }
        if id == "0" && controllers.is_empty() {
            unified = Some(comps);
        } else if controllers == "name=systemd" {
            systemd = Some(comps);
        }
    }
    if let Some(uid) = pod {
        return Place::Pod(uid);
    }
    [unified, systemd]
        .into_iter()
        .flatten()
        .find_map(|comps| service(&comps))
        .map_or(Place::Other, Place::Unit)
}

/// `["system.slice", "kubelet.service"]` → `kubelet`: a service directly below slices only.
fn service(comps: &[&str]) -> Option<String> {
    let (last, above) = comps.split_last()?;
    if !above.iter().all(|c| c.ends_with(".slice")) {
        return None;
    }
    let name = last.strip_suffix(".service")?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// The pod UID a cgroup path component names: `kubepods-burstable-pod<UID>.slice` (systemd
/// driver, `-` written `_`) or `pod<UID>` (cgroupfs driver).
fn pod_uid(c: &str) -> Option<String> {
    let raw = match c.strip_suffix(".slice") {
        Some(s) if s.starts_with("kubepods") => s.rsplit_once("-pod")?.1.replace('_', "-"),
        Some(_) => return None,
        None => c.strip_prefix("pod")?.to_owned(),
    };
    (!raw.is_empty() && raw.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-'))
        .then(|| raw.to_ascii_lowercase())
}

/// An RFC 4122 UUID as the API server writes pod UIDs (`8-4-4-4-12` hex digits).
fn is_api_uid(uid: &str) -> bool {
    let groups: Vec<&str> = uid.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The k3s/RKE2 distribution a unit belongs to.
fn distribution_of(unit: &str) -> Option<&'static str> {
    match unit {
        "k3s" | "k3s-agent" => Some("k3s"),
        "rke2-server" | "rke2-agent" => Some("rke2"),
        _ => None,
    }
}

/// The static pod whose container a process of pod `uid` claiming `kind` is, if any.
fn static_pod<'a>(kind: ComponentKind, uid: &str, host: &'a HostFacts) -> Option<&'a StaticPod> {
    host.static_pods
        .iter()
        .filter(|sp| sp.kinds.contains(&kind))
        .find(|sp| {
            if sp.uid.as_deref() == Some(uid) {
                return true;
            }
            if is_api_uid(uid) {
                // The API server made this pod: not one the kubelet read from a file.
                return false;
            }
            // The kubelet names a static pod `NAME-NODENAME`.
            host.pod_dirs.get(uid).is_some_and(|(ns, name)| {
                *ns == sp.namespace
                    && name
                        .strip_prefix(sp.name.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
            })
        })
}

/// Whether the audit believes that process `p` is what it claims (see the module
/// documentation for the rules, tried in order).
pub fn trust(claim: Claim, p: &ProcFacts, host: &HostFacts) -> Result<Trust, Ignored> {
    let place = p.cgroup.as_deref().map_or(Place::Other, cgroup_place);
    match &place {
        Place::Unit(unit) if host.units.contains(unit) => match claim {
            Claim::Component(k) if unit == k.name() => return Ok(Trust::Unit(unit.clone())),
            // RKE2 starts the kubelet as a child process, in its own unit's cgroup.
            Claim::Component(ComponentKind::Kubelet) if distribution_of(unit) == Some("rke2") => {
                return Ok(Trust::Distribution(unit.clone()))
            }
            Claim::Distribution(d) if distribution_of(unit) == Some(d) => {
                return Ok(Trust::Distribution(unit.clone()))
            }
            _ => {}
        },
        Place::Pod(uid) => {
            return match (claim, uid) {
                (Claim::Component(kind), Some(uid)) => static_pod(kind, uid, host)
                    .map(|sp| Trust::StaticPod(sp.manifest.clone()))
                    .ok_or(Ignored::Container),
                _ => Err(Ignored::Container),
            };
        }
        _ => {}
    }
    match (&p.mnt_ns, &p.pid_ns, &host.mnt_ns, &host.pid_ns) {
        (Some(m), Some(pid), Some(host_m), Some(host_pid)) => {
            if m != host_m || pid != host_pid {
                return Err(Ignored::Container);
            }
        }
        _ => return Err(Ignored::NamespacesUnknown),
    }
    if p.uids != Some((0, 0)) {
        return Err(Ignored::NotRoot);
    }
    match &p.exe {
        Ok(_) => Ok(Trust::Host),
        Err(why) => Err(Ignored::Executable(why.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_MNT: &str = "mnt:[4026531841]";
    const HOST_PID: &str = "pid:[4026531836]";
    const STATIC_UID: &str = "4b5cd8a7e1e7a1d2f3c4b5a697887766";

    fn host() -> HostFacts {
        HostFacts {
            mnt_ns: Some(HOST_MNT.into()),
            pid_ns: Some(HOST_PID.into()),
            units: ["kubelet", "rke2-server"].map(str::to_owned).into(),
            static_pods: vec![StaticPod {
                manifest: "/etc/kubernetes/manifests/kube-apiserver.yaml".into(),
                namespace: "kube-system".into(),
                name: "kube-apiserver".into(),
                uid: None,
                kinds: vec![ComponentKind::ApiServer],
            }],
            pod_dirs: [
                (
                    STATIC_UID.to_owned(),
                    ("kube-system".to_owned(), "kube-apiserver-node1".to_owned()),
                ),
                (
                    "0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f".to_owned(),
                    ("kube-system".to_owned(), "kube-apiserver-node1".to_owned()),
                ),
                (
                    "aaaabbbbccccddddeeeeffff00001111".to_owned(),
                    ("team-a".to_owned(), "kube-apiserver-node1".to_owned()),
                ),
            ]
            .into(),
        }
    }

    /// A root process of the host's namespaces running a root-only binary, in no unit.
    fn host_process() -> ProcFacts {
        ProcFacts {
            pid: 4711,
            mnt_ns: Some(HOST_MNT.into()),
            pid_ns: Some(HOST_PID.into()),
            uids: Some((0, 0)),
            cgroup: Some("0::/user.slice/user-0.slice/session-3.scope\n".into()),
            exe: Ok("/usr/bin/kubelet".into()),
        }
    }

    fn in_container(cgroup: &str) -> ProcFacts {
        ProcFacts {
            mnt_ns: Some("mnt:[4026532500]".into()),
            cgroup: Some(cgroup.into()),
            ..host_process()
        }
    }

    const KUBELET: Claim = Claim::Component(ComponentKind::Kubelet);
    const APISERVER: Claim = Claim::Component(ComponentKind::ApiServer);

    #[test]
    fn cgroup_places() {
        assert_eq!(
            cgroup_place("0::/system.slice/kubelet.service\n"),
            Place::Unit("kubelet".into())
        );
        // cgroup v1: systemd's own hierarchy names the unit.
        assert_eq!(
            cgroup_place(
                "12:memory:/system.slice/kubelet.service\n1:name=systemd:/system.slice/kubelet.service\n"
            ),
            Place::Unit("kubelet".into())
        );
        // Seen from another cgroup namespace.
        assert_eq!(
            cgroup_place("0::/../../../system.slice/etcd.service\n"),
            Place::Unit("etcd".into())
        );
        // A user's own unit, and a unit inside a container, are not the host's units.
        assert_eq!(
            cgroup_place(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/kubelet.service\n"
            ),
            Place::Other
        );
        assert_eq!(
            cgroup_place("0::/system.slice/docker-1234.scope/system.slice/kubelet.service\n"),
            Place::Other
        );
        // systemd cgroup driver: UID with `_`; cgroupfs driver: `pod<UID>`.
        assert_eq!(
            cgroup_place(
                "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f6c3b1e_2d4a_4c8e_9f10_1a2b3c4d5e6f.slice/cri-containerd-ab12.scope\n"
            ),
            Place::Pod(Some("0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f".into()))
        );
        assert_eq!(
            cgroup_place(&format!("0::/kubepods/burstable/pod{STATIC_UID}/ab12\n")),
            Place::Pod(Some(STATIC_UID.into()))
        );
        // A pod inside which someone made cgroups named like a unit is still that pod.
        assert_eq!(
            cgroup_place("0::/kubepods/besteffort/podaaaa/ab12/system.slice/kubelet.service\n"),
            Place::Pod(Some("aaaa".into()))
        );
        assert_eq!(cgroup_place("0::/\n"), Place::Other);
        assert_eq!(cgroup_place("garbage"), Place::Other);
    }

    #[test]
    fn the_hosts_unit_is_trusted() {
        let p = ProcFacts {
            cgroup: Some("0::/system.slice/kubelet.service\n".into()),
            // Whatever it runs and wherever: the unit is root's.
            mnt_ns: None,
            uids: Some((1000, 1000)),
            exe: Err("its executable cannot be read".into()),
            ..host_process()
        };
        assert_eq!(
            trust(KUBELET, &p, &host()),
            Ok(Trust::Unit("kubelet".into()))
        );
        // The unit is for another component, or the node has no such unit file.
        let claim = Claim::Component(ComponentKind::KubeProxy);
        assert_eq!(trust(claim, &p, &host()), Err(Ignored::NamespacesUnknown));
        let no_unit = HostFacts {
            units: BTreeSet::new(),
            ..host()
        };
        assert_eq!(
            trust(KUBELET, &p, &no_unit),
            Err(Ignored::NamespacesUnknown)
        );
    }

    #[test]
    fn a_static_pods_container_is_trusted() {
        let cgroup = format!("0::/kubepods/burstable/pod{STATIC_UID}/ab12\n");
        let p = in_container(&cgroup);
        assert_eq!(
            trust(APISERVER, &p, &host()),
            Ok(Trust::StaticPod(
                "/etc/kubernetes/manifests/kube-apiserver.yaml".into()
            ))
        );
        // The static pod runs the API server, not a kubelet.
        assert_eq!(trust(KUBELET, &p, &host()), Err(Ignored::Container));
        // Without the kubelet's log directory naming the pod, it is not known to be static.
        let no_logs = HostFacts {
            pod_dirs: BTreeMap::new(),
            ..host()
        };
        assert_eq!(trust(APISERVER, &p, &no_logs), Err(Ignored::Container));
    }

    #[test]
    fn other_pods_are_ignored_whatever_they_are_called() {
        // Same namespace and name in the log directory, but a UID the API server gave: a pod
        // someone created, not the static one.
        let api = in_container(
            "0::/kubepods.slice/kubepods-pod0f6c3b1e_2d4a_4c8e_9f10_1a2b3c4d5e6f.slice/x.scope\n",
        );
        assert_eq!(trust(APISERVER, &api, &host()), Err(Ignored::Container));
        // A kubelet-made UID, but the pod is in another namespace.
        let other_ns = in_container("0::/kubepods/podaaaabbbbccccddddeeeeffff00001111/x\n");
        assert_eq!(
            trust(APISERVER, &other_ns, &host()),
            Err(Ignored::Container)
        );
        // A pod process that joined the host's namespaces (privileged, hostPID) is still the pod.
        let joined = ProcFacts {
            cgroup: Some("0::/kubepods/besteffort/pod1234/x\n".into()),
            ..host_process()
        };
        assert_eq!(trust(KUBELET, &joined, &host()), Err(Ignored::Container));
        // A manifest that sets its own UID is matched by it.
        let mut with_uid = host();
        with_uid.static_pods[0].uid = Some("0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f".into());
        assert!(trust(APISERVER, &api, &with_uid).is_ok());
    }

    #[test]
    fn host_processes_must_be_root_running_root_only_files() {
        assert_eq!(trust(KUBELET, &host_process(), &host()), Ok(Trust::Host));
        // Another mount namespace (`unshare --mount`), or another PID namespace.
        let other_mnt = in_container("0::/user.slice/user-0.slice/session-3.scope\n");
        assert_eq!(trust(KUBELET, &other_mnt, &host()), Err(Ignored::Container));
        let other_pid = ProcFacts {
            pid_ns: Some("pid:[4026532600]".into()),
            ..host_process()
        };
        assert_eq!(trust(KUBELET, &other_pid, &host()), Err(Ignored::Container));
        let not_root = ProcFacts {
            uids: Some((0, 1000)),
            ..host_process()
        };
        assert_eq!(trust(KUBELET, &not_root, &host()), Err(Ignored::NotRoot));
        let writable = ProcFacts {
            exe: Err("its executable /tmp/kubelet: …".into()),
            ..host_process()
        };
        assert_eq!(
            trust(KUBELET, &writable, &host()),
            Err(Ignored::Executable("its executable /tmp/kubelet: …".into()))
        );
        // Unreadable namespaces (an unprivileged audit) prove nothing.
        let unknown = ProcFacts {
            mnt_ns: None,
            ..host_process()
        };
        assert_eq!(
            trust(KUBELET, &unknown, &host()),
            Err(Ignored::NamespacesUnknown)
        );
        let unknown_host = HostFacts {
            pid_ns: None,
            ..host()
        };
        assert_eq!(
            trust(KUBELET, &host_process(), &unknown_host),
            Err(Ignored::NamespacesUnknown)
        );
    }

    #[test]
    fn k3s_and_rke2_units() {
        let rke2 = ProcFacts {
            cgroup: Some("0::/system.slice/rke2-server.service\n".into()),
            mnt_ns: None,
            ..host_process()
        };
        let expected = Ok(Trust::Distribution("rke2-server".into()));
        assert_eq!(trust(Claim::Distribution("rke2"), &rke2, &host()), expected);
        // RKE2's own kubelet child process.
        assert_eq!(trust(KUBELET, &rke2, &host()), expected);
        // But not an API server (RKE2 runs it as a static pod), nor k3s.
        assert!(trust(APISERVER, &rke2, &host()).is_err());
        assert!(trust(Claim::Distribution("k3s"), &rke2, &host()).is_err());
        // A `k3s agent` in a pod is ignored.
        let pod = in_container("0::/kubepods/besteffort/pod1234/x\n");
        assert_eq!(
            trust(Claim::Distribution("k3s"), &pod, &host()),
            Err(Ignored::Container)
        );
    }

    #[test]
    fn api_uids() {
        assert!(is_api_uid("0f6c3b1e-2d4a-4c8e-9f10-1a2b3c4d5e6f"));
        assert!(!is_api_uid(STATIC_UID));
        assert!(!is_api_uid("0f6c3b1e-2d4a-4c8e-9f10"));
    }
}
