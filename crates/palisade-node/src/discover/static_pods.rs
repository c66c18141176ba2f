//! Static pod manifests (kubeadm's `/etc/kubernetes/manifests`, RKE2's `pod-manifests`): the
//! components their containers run, with flags, `ETCD_*` variables, `hostPath` mounts and the
//! Kubernetes version of their image tags.
//!
//! [`pod_components`] is shared with the API path, where the same pods arrive as mirror pods;
//! only where a value is placed differs.

use std::sync::Arc;

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, Location};

use super::{unknown_version, with_etcd_env, Discovery, Layout, Problem};
use crate::component::{Component, ComponentKind, Mount, Source};
use crate::flags::{self, Word};
use crate::fs;
use crate::trust::StaticPod;

/// Where static pod manifests live (kubeadm; RKE2).
pub const MANIFEST_DIRS: &[&str] = &[
    "/etc/kubernetes/manifests",
    "/var/lib/rancher/rke2/agent/pod-manifests",
];

impl Discovery {
    pub(super) fn static_pods(&mut self) {
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
        // The repository's last component names the component (`…/kube-apiserver:v1.31.2`).
        let reference = palisade_core::image::ImageRef::split(image);
        let image_name = reference.path.rsplit('/').next().unwrap_or("");
        let tag = reference.tag.as_deref();
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
