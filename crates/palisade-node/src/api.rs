//! Components seen through the Kubernetes API instead of a node's files: the control plane's
//! mirror pods in `kube-system` (the API server's copies of static pods, which carry their
//! command lines) and a kubelet's effective configuration from `/api/v1/nodes/NAME/proxy/configz`.
//! The same component model and rules as a node audit apply; what only the node's files hold
//! (the files flags name, file modes and owners) is "not evaluated" with that reason.
//!
//! No I/O here: the cluster source fetches, this module interprets.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::yaml::{self, Limits, Node};
use palisade_core::{KubeVersion, Location, Object, Origin};

use crate::component::{Component, ComponentKind, ConfigLayer, Source};
use crate::discover::{pod_components, unknown_version, Inventory, Layout, API_SERVER_FILES};

/// The path a configz layer is known by; [`Component::config_value`] turns values read from it
/// into [`Source::Configz`].
pub const CONFIGZ: &str = "configz of node ";

/// Why a node's files are not part of an audit through the API.
pub const NO_FILES: &str =
    "a file on the node: files cannot be read through the Kubernetes API (run `palisade node` there)";

/// The annotation the kubelet puts on a mirror pod.
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Is this a mirror pod of a control-plane component in `kube-system`
/// (`component: kube-apiserver`, `tier: control-plane`, annotated `kubernetes.io/config.mirror`)?
pub fn is_control_plane_mirror_pod(o: &Object) -> bool {
    if o.kind() != "Pod" || o.namespace() != Some("kube-system") {
        return false;
    }
    let meta = o.node.get("metadata");
    let mirror = meta
        .and_then(|m| m.path(&["annotations", MIRROR_ANNOTATION]))
        .is_some();
    let label = |k: &str| {
        meta.and_then(|m| m.path(&["labels", k]))
            .and_then(Node::as_str)
    };
    let control_plane = label("tier") == Some("control-plane")
        || label("component").is_some_and(|c| {
            ComponentKind::from_binary(c).is_some_and(ComponentKind::is_control_plane)
        });
    mirror && control_plane
}

/// The node a pod runs on.
pub fn node_name(o: &Object) -> Option<&str> {
    o.node.path(&["spec", "nodeName"]).and_then(Node::as_str)
}

/// What the API tells about one node.
#[derive(Debug, Default)]
pub struct ApiNode<'a> {
    pub name: String,
    /// Control-plane mirror pods on the node.
    pub pods: Vec<&'a Object>,
    /// The text `/configz` answered, or why it could not be read; `None` when not asked.
    pub configz: Option<Result<String, String>>,
    /// The kubelet's version from the Node's `status.nodeInfo.kubeletVersion`.
    pub kubelet_version: Option<KubeVersion>,
}

/// The inventory of one node as the API shows it. `source` names the cluster (finding
/// locations); `cluster_version` is the server's version, used where no image tag tells.
pub fn inventory(
    source: &Arc<str>,
    node: &ApiNode<'_>,
    cluster_version: Option<KubeVersion>,
) -> Inventory {
    let (mut components, image_version) = pod_inventory(&node.pods, PodsFrom::Api(source));
    let mut problems = Vec::new();
    match &node.configz {
        None => {}
        Some(Err(why)) => problems.push(crate::discover::Problem::note(
            format!("{CONFIGZ}{}", node.name),
            why.clone(),
        )),
        Some(Ok(text)) => match kubelet_config(text) {
            Ok(root) => {
                let (version, version_source) = match node.kubelet_version {
                    Some(v) => (
                        v,
                        Source::Assumed {
                            note: format!("status.nodeInfo.kubeletVersion of node {}", node.name),
                        },
                    ),
                    None => (
                        cluster_version.unwrap_or(KubeVersion::LATEST),
                        Source::Assumed {
                            note: "the API server's version".into(),
                        },
                    ),
                };
                components.push(Component {
                    kind: ComponentKind::Kubelet,
                    version,
                    version_source,
                    defined_in: Location::Object {
                        source: Arc::clone(source),
                        pointer: format!("/api/v1/nodes/{}/proxy/configz", node.name),
                    },
                    files: Vec::new(),
                    flags: Vec::new(),
                    config: vec![ConfigLayer {
                        path: Arc::from(format!("{CONFIGZ}{}", node.name)),
                        root,
                    }],
                    referenced: Vec::new(),
                    problems: Vec::new(),
                    running: true,
                    pid: None,
                    mounts: Vec::new(),
                });
            }
            Err(why) => problems.push(crate::discover::Problem::note(
                format!("{CONFIGZ}{}", node.name),
                why,
            )),
        },
    }
    assemble(components, problems, image_version, cluster_version)
}

/// Where control-plane pods were read from, for the provenance of their settings.
enum PodsFrom<'s> {
    /// A live cluster's mirror pods (`source` names the cluster).
    Api(&'s Arc<str>),
    /// Static pod manifests among scanned files: their settings keep file, line and column.
    Manifests,
}

/// The components of control-plane pods, and the Kubernetes version an image tag gives. The
/// files their flags name are on a node, which neither source reads: those settings are "not
/// evaluated" with that reason.
fn pod_inventory(
    pods: &[&Object],
    from: PodsFrom<'_>,
) -> (Vec<Component>, Option<(KubeVersion, Source)>) {
    let no_files = match from {
        PodsFrom::Api(_) => NO_FILES,
        PodsFrom::Manifests => NO_FILES_IN_MANIFESTS,
    };
    let mut components = Vec::new();
    let mut image_version = None;
    for pod in pods {
        let found = match (&from, &pod.origin) {
            (PodsFrom::Api(source), _) => {
                let namespace = pod.namespace().unwrap_or("").to_owned();
                let name = pod.name().unwrap_or("").to_owned();
                let place = |_: &Node, pointer: String| Source::Pod {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    field: pointer
                        .rsplit('/')
                        .find(|p| p.parse::<usize>().is_err())
                        .unwrap_or("spec")
                        .to_owned(),
                };
                let defined_in = |_: &Node, pointer: &str| Location::Object {
                    source: Arc::clone(source),
                    pointer: pointer.to_owned(),
                };
                pod_components(pod, &place, &defined_in)
            }
            (PodsFrom::Manifests, Origin::File { path, .. }) => {
                crate::discover::manifest_pod_components(path, pod)
            }
            (PodsFrom::Manifests, Origin::Api { .. }) => continue,
        };
        for (mut c, v) in found {
            if image_version.is_none() {
                image_version = v;
            }
            if c.kind == ComponentKind::ApiServer {
                for flag in API_SERVER_FILES {
                    if let Some(f) = c.flag(flag) {
                        let path = f.text().to_owned();
                        c.referenced
                            .push(((*flag).to_owned(), Err(format!("{path}: {no_files}"))));
                    }
                }
            }
            if c.kind == ComponentKind::Etcd {
                if let Some(f) = c.flag("config-file") {
                    c.problems
                        .push(format!("etcd --config-file {}: {no_files}", f.text()));
                }
            }
            components.push(c);
        }
    }
    (components, image_version)
}

/// Why a node's files are not part of a scan of manifests.
pub const NO_FILES_IN_MANIFESTS: &str =
    "a file on the node: a scan of manifests does not read node files (run `palisade node` there)";

/// The inventory of control-plane static pod manifests found among scanned files (kubeadm's
/// `/etc/kubernetes/manifests`, Talos or GitOps copies): the node rules judge their flags as
/// they would on the node, with the manifests' file, line and column as provenance.
pub fn manifest_inventory(pods: &[&Object], version: Option<KubeVersion>) -> Inventory {
    let (components, image_version) = pod_inventory(pods, PodsFrom::Manifests);
    assemble(components, Vec::new(), image_version, version)
}

/// Fills in versions and builds the inventory of components seen without a node's files.
fn assemble(
    mut components: Vec<Component>,
    problems: Vec<crate::discover::Problem>,
    image_version: Option<(KubeVersion, Source)>,
    cluster_version: Option<KubeVersion>,
) -> Inventory {
    let (version, version_source) = match (image_version, cluster_version) {
        (Some((v, s)), _) => (v, s),
        (None, Some(v)) => (
            v,
            Source::Assumed {
                note: "the API server's version".into(),
            },
        ),
        (None, None) => (
            KubeVersion::LATEST,
            Source::Assumed {
                note: format!("assuming {}", KubeVersion::LATEST),
            },
        ),
    };
    for c in &mut components {
        if c.version_source == unknown_version() {
            c.version = version;
            c.version_source = version_source.clone();
        }
    }
    components.sort_by_key(|c| c.kind);
    Inventory {
        layout: Layout::Api,
        components,
        version,
        version_source,
        files: BTreeMap::new(),
        users: BTreeMap::new(),
        groups: BTreeMap::new(),
        problems,
        sources: BTreeMap::new(),
        cni_files: Vec::new(),
        cni_dirs: Vec::new(),
        looked_in: Vec::new(),
    }
}

/// The `kubeletconfig` object of a `/configz` answer (`{"kubeletconfig": {...}}`).
fn kubelet_config(text: &str) -> Result<Node, String> {
    let (docs, errors) = yaml::load_str(text, &Limits::default());
    if let Some(e) = errors.first() {
        return Err(format!("configz answer is not JSON: {e}"));
    }
    docs.into_iter()
        .next()
        .and_then(|d| d.root.get("kubeletconfig").cloned())
        .filter(|n| n.as_map().is_some())
        .ok_or_else(|| "configz answer has no kubeletconfig object".to_owned())
}
