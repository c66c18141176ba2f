//! PS150 `container-runtime-socket-mounted`: a `hostPath` volume gives a pod the container
//! runtime's API socket (or a directory that contains it).
//!
//! The Pod Security Standards forbid `hostPath` volumes altogether at `baseline`; this rule is not
//! that check again. It singles out the one host path that is a full node takeover on its own,
//! graded critical, so that it stands out among the many `hostPath` findings of a log or
//! monitoring agent and is not lost to a blanket exemption.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Object, ObjectRule, PodTemplate, RuleMeta, Severity, VersionRange,
};

static META: RuleMeta = RuleMeta {
    code: "PS150",
    name: "container-runtime-socket-mounted",
    severity: Severity::Critical,
    guide: "Restrict \"docker image pull\"",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Pod Security Standards: baseline, HostPath Volumes",
        "CIS Docker Benchmark: Ensure that the Docker socket is not mounted inside any containers",
        "https://kubernetes.io/docs/concepts/storage/volumes/#hostpath",
    ],
    summary: "A pod mounts the container runtime socket from the host",
    what: "Every `hostPath` volume of a pod is checked against the API sockets of the container \
           runtimes: Docker (`/var/run/docker.sock`), containerd \
           (`/run/containerd/containerd.sock`, k3s/RKE2's `/run/k3s/containerd/containerd.sock`, \
           MicroK8s' `/var/snap/microk8s/common/run/containerd.sock`), CRI-O \
           (`/var/run/crio/crio.sock`), cri-dockerd, dockershim, Podman, and the Windows named \
           pipes of Docker and containerd. A path matches when it is one of these, ends in one \
           of their file names anywhere (`/custom/docker.sock`), or is a directory that contains \
           one (`/var/run`, `/run`, `/run/containerd`, `/`). Paths are normalised first: \
           repeated and trailing slashes, `.` segments, and `/var/run`, which is a link to \
           `/run` on current Linux distributions.",
    why: "The runtime socket is the runtime's unauthenticated root API. A process that can \
          connect to it can start a privileged container with the host's filesystem mounted, \
          read every other container's environment and files, and pull and run any image — \
          bypassing the Kubernetes API, its RBAC, its admission control and its audit log. The \
          guide's \"Restrict docker image pull\" item says as much: everyone with access to the \
          Docker socket can pull any image. A `readOnly` mount does not help: connecting to a \
          socket is not a write to the file system.",
    example: "# fails\nvolumes:\n- name: docker\n  hostPath:\n    path: /var/run/docker.sock\n\
              # passes: build images without the node's runtime (e.g. with BuildKit rootless or \
              kaniko)\nvolumes:\n- name: workspace\n  emptyDir: {}",
    fix: "Remove the volume. Image builds in CI can use rootless BuildKit, kaniko or buildah \
          without a socket; monitoring agents can read container metrics from the kubelet or \
          cAdvisor endpoints, and log agents need only the log directories (`/var/log/pods`). \
          Where an agent truly needs the runtime API, run it in a dedicated, tightly \
          controlled namespace with an exemption that says why.",
    help: "remove the hostPath volume of the container runtime socket",
};

pub struct RuntimeSocket;

pub static RULE: RuntimeSocket = RuntimeSocket;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

/// Known runtime sockets, by runtime, with `/var/run` already mapped to `/run`, and the
/// shallowest directory above each that is reported (besides `/`): `/var` holds MicroK8s'
/// socket only on MicroK8s nodes, while log agents mount it everywhere. containerd comes first:
/// it is what most nodes run today, so it is the example a message about a directory gives.
const SOCKETS: &[(&str, &str, &str)] = &[
    ("containerd", "/run/containerd/containerd.sock", "/run"),
    ("Docker", "/run/docker.sock", "/run"),
    ("CRI-O", "/run/crio/crio.sock", "/run"),
    ("cri-dockerd", "/run/cri-dockerd.sock", "/run"),
    ("dockershim", "/run/dockershim.sock", "/run"),
    ("Podman", "/run/podman/podman.sock", "/run"),
    (
        "containerd (k3s)",
        "/run/k3s/containerd/containerd.sock",
        "/run",
    ),
    (
        "containerd (Docker's)",
        "/run/docker/containerd/containerd.sock",
        "/run",
    ),
    (
        "containerd (MicroK8s)",
        "/var/snap/microk8s/common/run/containerd.sock",
        "/var/snap/microk8s",
    ),
];

/// Socket file names that are a runtime API wherever they are.
const SOCKET_NAMES: &[(&str, &str)] = &[
    ("docker.sock", "Docker"),
    ("containerd.sock", "containerd"),
    ("docker-containerd.sock", "containerd (Docker's)"),
    ("crio.sock", "CRI-O"),
    ("cri-dockerd.sock", "cri-dockerd"),
    ("dockershim.sock", "dockershim"),
    ("podman.sock", "Podman"),
];

/// Windows named pipes of the runtimes (compared lower-case).
const PIPES: &[(&str, &str)] = &[
    (r"\\.\pipe\docker_engine", "Docker"),
    (r"\\.\pipe\containerd-containerd", "containerd"),
];

/// What a host path exposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketExposure {
    /// The path is a runtime socket (or pipe) itself.
    Socket { runtime: &'static str },
    /// The path is a directory holding `count` known sockets, `socket` the first of them.
    Directory {
        runtime: &'static str,
        socket: &'static str,
        count: usize,
    },
}

/// Lexically normalised absolute path: no empty or `.` segments, `..` applied, no trailing
/// slash, `/var/run` read as `/run`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    if parts.len() >= 2 && parts[0] == "var" && parts[1] == "run" {
        parts.remove(0);
    }
    format!("/{}", parts.join("/"))
}

/// Whether a `hostPath` path is, or contains, a container runtime socket.
pub fn socket_under(path: &str) -> Option<SocketExposure> {
    let lower = path.trim().to_ascii_lowercase();
    if let Some((_, runtime)) = PIPES.iter().find(|(p, _)| lower == *p) {
        return Some(SocketExposure::Socket { runtime });
    }
    let p = normalise(path.trim());
    let file = p.rsplit('/').next().unwrap_or("");
    if let Some((_, runtime)) = SOCKET_NAMES.iter().find(|(n, _)| *n == file) {
        return Some(SocketExposure::Socket { runtime });
    }
    let dir = if p == "/" {
        String::from("/")
    } else {
        format!("{p}/")
    };
    let mut under = SOCKETS.iter().filter(|(_, socket, shallowest)| {
        socket.starts_with(&dir) && (p == "/" || p.starts_with(shallowest))
    });
    let (runtime, socket, _) = under.next()?;
    Some(SocketExposure::Directory {
        runtime,
        socket,
        count: 1 + under.count(),
    })
}

impl ObjectRule for RuntimeSocket {
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        _cx: &Context<'_>,
        _object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod.cloned() else {
            return;
        };
        let volumes = pod.spec.get("volumes").map(Node::items).unwrap_or(&[]);
        for (i, volume) in volumes.iter().enumerate() {
            let Some(path) = volume.path(&["hostPath", "path"]).and_then(Node::as_str) else {
                continue;
            };
            let Some(exposure) = socket_under(path) else {
                continue;
            };
            let name = volume.get("name").and_then(Node::as_str).unwrap_or("");
            let users: Vec<String> = pod
                .containers()
                .filter(|c| {
                    c.node
                        .get("volumeMounts")
                        .map(Node::items)
                        .unwrap_or(&[])
                        .iter()
                        .any(|m| m.get("name").and_then(Node::as_str) == Some(name))
                })
                .map(|c| format!("\"{}\"", c.name))
                .collect();
            let used = if users.is_empty() {
                String::from("no container mounts it yet")
            } else {
                format!("mounted by {}", users.join(", "))
            };
            let what = match exposure {
                SocketExposure::Socket { runtime } => {
                    format!("host path \"{path}\", the {runtime} runtime socket")
                }
                SocketExposure::Directory { socket, .. } if normalise(path) == "/" => format!(
                    "the host's root directory \"{path}\", and with it the container runtime \
                     sockets (such as {socket})"
                ),
                SocketExposure::Directory {
                    runtime,
                    socket,
                    count: 1,
                } => format!(
                    "host directory \"{path}\", which holds the {runtime} runtime socket \
                     ({socket})"
                ),
                SocketExposure::Directory { socket, .. } => format!(
                    "host directory \"{path}\", which holds container runtime sockets (such as \
                     {socket})"
                ),
            };
            out.report(
                &format!("{}/volumes/{i}/hostPath/path", pod.spec_pointer),
                format!(
                    "volume \"{name}\" mounts {what} ({used}): whoever uses it controls every \
                     container on the node"
                ),
            );
        }
    }
}
