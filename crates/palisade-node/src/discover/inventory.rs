//! What discovery hands to the rules: the [`Inventory`] of a node, the [`Problem`]s met while
//! reading it, the [`Layout`] it was set up with, and the [`Options`] of one audit.
//!
//! Kept apart from the reading code because rules, reports and the API path
//! ([`crate::api`]) use these types without doing any discovery.

use std::collections::BTreeMap;

use palisade_core::yaml::Pos;
use palisade_core::KubeVersion;

use crate::component::{Component, ComponentKind, Source};
use crate::fs::{FileMeta, FsError};

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
