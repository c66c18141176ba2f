//! Kubernetes objects as found in documents, and the pod templates inside workloads.

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::yaml::{KeyPath, Node, Span};

/// Where an object came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A manifest file (or `<stdin>`): its path, the document's index in it, and the JSON pointer
    /// of the object inside the document (`""`, or `/items/3` for an entry of a `List`).
    File {
        path: Arc<str>,
        document: usize,
        base: String,
    },
    /// An object read from a live cluster or an admission request: no source text.
    Api { source: Arc<str> },
}

/// One Kubernetes object: a mapping with `apiVersion` and `kind`.
#[derive(Clone, Debug)]
pub struct Object {
    pub origin: Origin,
    pub node: Node,
}

/// `apiVersion`, `kind`, namespace and name of an object, as reports show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl ObjectRef {
    /// Whether this names `object` (the same comparison as against `object.reference()`, without
    /// building one).
    pub fn is(&self, object: &Object) -> bool {
        self.kind == object.kind()
            && self.api_version == object.api_version()
            && self.namespace.as_deref() == object.namespace()
            && self.name.as_deref() == object.name()
    }
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.kind)?;
        match (&self.namespace, &self.name) {
            (Some(ns), Some(n)) => write!(f, " {ns}/{n}"),
            (None, Some(n)) => write!(f, " {n}"),
            _ => Ok(()),
        }
    }
}

impl Object {
    pub fn api_version(&self) -> &str {
        self.node
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.node.get("kind").and_then(Node::as_str).unwrap_or("")
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        let v = self.api_version();
        memchr::memrchr(b'/', v.as_bytes()).map_or("", |i| &v[..i])
    }

    pub fn name(&self) -> Option<&str> {
        self.node.path(&["metadata", "name"]).and_then(Node::as_str)
    }

    pub fn namespace(&self) -> Option<&str> {
        self.node
            .path(&["metadata", "namespace"])
            .and_then(Node::as_str)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.node
            .path(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }

    pub fn reference(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version().to_owned(),
            kind: self.kind().to_owned(),
            namespace: self.namespace().map(str::to_owned),
            name: self.name().map(str::to_owned),
        }
    }

    /// A copy holding only the fields at `paths` (plus `apiVersion`, `kind` and
    /// `metadata.name`/`namespace`), with their positions: what a cross-object rule keeps of a
    /// large object. A path may run through sequences (`["spec", "containers", "ports"]` keeps the
    /// ports of every container).
    pub fn project(&self, paths: &[&[&str]]) -> Object {
        let paths: Vec<KeyPath<'_>> = paths.iter().map(|p| KeyPath::new(p)).collect();
        self.project_paths(&paths)
    }

    /// [`Object::project`] with paths in two parts (see [`KeyPath`]).
    pub fn project_paths(&self, paths: &[KeyPath<'_>]) -> Object {
        const IDENTITY: [KeyPath<'static>; 4] = [
            KeyPath {
                base: &[],
                rel: &["apiVersion"],
            },
            KeyPath {
                base: &[],
                rel: &["kind"],
            },
            KeyPath {
                base: &[],
                rel: &["metadata", "name"],
            },
            KeyPath {
                base: &[],
                rel: &["metadata", "namespace"],
            },
        ];
        let paths: Vec<KeyPath<'_>> = IDENTITY.iter().chain(paths).copied().collect();
        let node = crate::yaml::node::select(&self.node, &paths);
        Object {
            origin: self.origin.clone(),
            node,
        }
    }

    /// Where this object's kind keeps its pod template (metadata path, spec path, their JSON
    /// pointers), whether or not the object holds one of the right shape.
    pub fn template_paths(&self) -> Option<TemplatePaths> {
        builtin_template(self.group(), self.kind()).or_else(|| declared(self.group(), self.kind()))
    }

    /// The pod template inside this object, when it is a pod or a workload.
    pub fn pod_template(&self) -> Option<PodTemplate<'_>> {
        let (meta_path, spec_path, meta_pointer, spec_pointer) = self.template_paths()?;
        // Both end in the template's own mapping: it is walked to once (rules ask for the
        // template of one object some thirty times).
        let (spec_key, parent) = spec_path.split_last()?;
        let (meta_key, meta_parent) = meta_path.split_last()?;
        debug_assert_eq!(meta_parent, parent);
        let template = self.node.path(parent)?;
        let spec = template.get(spec_key)?;
        spec.as_map()?;
        Some(PodTemplate {
            metadata: template.get(meta_key),
            spec,
            meta_path,
            spec_path,
            meta_pointer,
            spec_pointer,
        })
    }
}

/// A kind outside the built-in workloads whose objects hold a pod template, declared in
/// `palisade.yaml` (`pod-templates:`): a custom controller's workload that every pod rule should
/// check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateKind {
    /// API group (`""` for the core group).
    pub group: String,
    pub kind: String,
    /// Path to the pod template (the mapping holding `metadata` and `spec`), as object keys:
    /// `["spec", "template"]`; empty when the object itself is pod-shaped.
    pub template: Vec<String>,
}

/// The declared kinds with their paths made `'static`, as `pod_template` hands out.
struct Declared {
    group: &'static str,
    kind: &'static str,
    paths: (
        &'static [&'static str],
        &'static [&'static str],
        &'static str,
        &'static str,
    ),
}

/// Set once per process, before the first scan: pod templates are asked for by every rule, the
/// webhook and `harden`, none of which should carry the config around for this one lookup. The
/// strings are leaked once; the config bounds how many there are.
static DECLARED: OnceLock<Vec<Declared>> = OnceLock::new();

/// Declares kinds whose objects hold a pod template (see [`TemplateKind`]). A process declares
/// once: declaring the same list again is fine, a different list is an error (the webhook keeps
/// its earlier config on reload, and says a restart applies it).
pub fn declare_template_kinds(kinds: &[TemplateKind]) -> Result<(), String> {
    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_owned().into_boxed_str())
    }
    let same = |declared: &[Declared]| {
        declared.len() == kinds.len()
            && declared.iter().zip(kinds).all(|(d, k)| {
                d.group == k.group
                    && d.kind == k.kind
                    && d.paths.1.len() == k.template.len() + 1
                    && d.paths.1.iter().zip(&k.template).all(|(a, b)| a == b)
            })
    };
    if let Some(declared) = DECLARED.get() {
        return if same(declared) {
            Ok(())
        } else {
            Err("pod-templates: the kinds declared cannot change while Palisade runs; restart it to apply the new list".into())
        };
    }
    if kinds.is_empty() {
        return Ok(());
    }
    let list = kinds
        .iter()
        .map(|k| {
            let segments: Vec<&'static str> = k.template.iter().map(|s| leak(s)).collect();
            let with = |last: &'static str| -> &'static [&'static str] {
                let mut v = segments.clone();
                v.push(last);
                Box::leak(v.into_boxed_slice())
            };
            let base: String = k
                .template
                .iter()
                .map(|s| format!("/{}", crate::yaml::escape_pointer(s)))
                .collect();
            Declared {
                group: leak(&k.group),
                kind: leak(&k.kind),
                paths: (
                    with("metadata"),
                    with("spec"),
                    leak(&format!("{base}/metadata")),
                    leak(&format!("{base}/spec")),
                ),
            }
        })
        .collect();
    // A concurrent first declaration wins; compare with it.
    let declared = DECLARED.get_or_init(|| list);
    if same(declared) {
        Ok(())
    } else {
        Err("pod-templates: declared twice with different kinds".into())
    }
}

/// Metadata path, spec path and their JSON pointers of a kind's pod template.
pub type TemplatePaths = (
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
    &'static str,
);

fn declared(group: &str, kind: &str) -> Option<TemplatePaths> {
    DECLARED
        .get()?
        .iter()
        .find(|d| d.group == group && d.kind == kind)
        .map(|d| d.paths)
}

/// Where built-in workloads keep their pod template: (metadata path, spec path, their JSON
/// pointers), static so that the many rules asking for the template of the same object allocate
/// nothing.
fn builtin_template(group: &str, kind: &str) -> Option<TemplatePaths> {
    const POD: TemplatePaths = (&["metadata"], &["spec"], "/metadata", "/spec");
    const POD_TEMPLATE: TemplatePaths = (
        &["template", "metadata"],
        &["template", "spec"],
        "/template/metadata",
        "/template/spec",
    );
    const WORKLOAD: TemplatePaths = (
        &["spec", "template", "metadata"],
        &["spec", "template", "spec"],
        "/spec/template/metadata",
        "/spec/template/spec",
    );
    const CRON_JOB: TemplatePaths = (
        &["spec", "jobTemplate", "spec", "template", "metadata"],
        &["spec", "jobTemplate", "spec", "template", "spec"],
        "/spec/jobTemplate/spec/template/metadata",
        "/spec/jobTemplate/spec/template/spec",
    );
    Some(match (group, kind) {
        ("", "Pod") => POD,
        ("", "PodTemplate") => POD_TEMPLATE,
        ("", "ReplicationController")
        | ("apps" | "extensions", "Deployment" | "ReplicaSet" | "DaemonSet")
        | ("apps", "StatefulSet")
        | ("batch", "Job") => WORKLOAD,
        // Workloads of widespread controllers with a pod template at `spec.template`:
        // OpenShift's DeploymentConfig (also under the legacy core `v1`) and Argo Rollouts.
        // A Rollout that points at a Deployment (`workloadRef`) has no template of its own.
        ("apps.openshift.io" | "", "DeploymentConfig") | ("argoproj.io", "Rollout") => WORKLOAD,
        ("batch", "CronJob") => CRON_JOB,
        _ => return None,
    })
}

/// Whether objects of this group and kind hold a pod template as a built-in workload (the
/// declared kinds of `palisade.yaml` may not redeclare them).
pub fn is_builtin_template_kind(group: &str, kind: &str) -> bool {
    builtin_template(group, kind).is_some()
}

/// A pod's metadata and spec, wherever they sit in their object.
#[derive(Clone, Debug)]
pub struct PodTemplate<'a> {
    pub metadata: Option<&'a Node>,
    pub spec: &'a Node,
    /// JSON pointer of the pod metadata inside the object (`/metadata` for a Pod,
    /// `/spec/template/metadata` for a Deployment).
    pub meta_pointer: &'static str,
    /// The same as keys from the object's root (`["spec", "template", "metadata"]`).
    pub meta_path: &'static [&'static str],
    /// The pod spec's keys from the object's root.
    pub spec_path: &'static [&'static str],
    /// JSON pointer of the pod spec inside the object.
    pub spec_pointer: &'static str,
}

/// Which list of a pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    Container,
    InitContainer,
    EphemeralContainer,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::InitContainer,
        ContainerKind::Container,
        ContainerKind::EphemeralContainer,
    ];

    /// The pod spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::InitContainer => "initContainers",
            ContainerKind::EphemeralContainer => "ephemeralContainers",
        }
    }
}

/// One container of a pod template.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub kind: ContainerKind,
    /// JSON pointer of the container inside the object (written out when displayed).
    pub pointer: ContainerPointer,
    pub name: &'a str,
}

/// The JSON pointer of a container (`/spec/template/spec/containers/1`), formatted only when a
/// finding needs it: every rule walks every container of every object, few report, and building
/// these strings eagerly was a large share of an admission review's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContainerPointer {
    spec: &'static str,
    kind: ContainerKind,
    index: usize,
}

impl fmt::Display for ContainerPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.spec, self.kind.field(), self.index)
    }
}

/// `{base}/{key}`, written out when displayed (see [`ContainerPointer`]).
#[derive(Clone, Copy, Debug)]
pub struct SubPointer<B> {
    pub base: B,
    pub key: &'static str,
}

impl<B: fmt::Display> fmt::Display for SubPointer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.key)
    }
}

impl<'a> PodTemplate<'a> {
    /// Annotations of the pod (not of the workload around it).
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?
            .path(&["annotations", key])
            .and_then(Node::as_str)
    }

    /// A field of the pod spec, with its pointer.
    pub fn field(&self, key: &str) -> (Option<&'a Node>, String) {
        (self.spec.get(key), format!("{}/{}", self.spec_pointer, key))
    }

    /// Every container: init containers, containers, then ephemeral containers (the order
    /// upstream Pod Security checks visit them in).
    pub fn containers(&self) -> impl Iterator<Item = Container<'a>> + '_ {
        ContainerKind::ALL.into_iter().flat_map(move |kind| {
            self.spec
                .get(kind.field())
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
                .map(move |(i, node)| Container {
                    node,
                    kind,
                    pointer: ContainerPointer {
                        spec: self.spec_pointer,
                        kind,
                        index: i,
                    },
                    name: node.get("name").and_then(Node::as_str).unwrap_or(""),
                })
        })
    }

    /// `spec.os.name == "windows"`.
    pub fn is_windows(&self) -> bool {
        self.spec.path(&["os", "name"]).and_then(Node::as_str) == Some("windows")
    }
}

/// Splits a document into objects: the document itself, or each item of a `List`/`*List`.
/// Returns `None` for a document that is not a Kubernetes object (no `apiVersion`/`kind`).
pub fn objects_of_document(path: &Arc<str>, document: usize, root: Node) -> Option<Vec<Object>> {
    let kind = root.get("kind").and_then(Node::as_str)?.to_owned();
    root.get("apiVersion").and_then(Node::as_str)?;
    if kind.ends_with("List") {
        if let Some(crate::yaml::Value::Seq(_)) = root.get("items").map(|n| &n.value) {
            let crate::yaml::Value::Map(entries) = root.value else {
                unreachable!("a node with fields is a map")
            };
            let items = entries
                .into_vec()
                .into_iter()
                .find(|e| &*e.key == "items")
                .map(|e| e.value);
            let Some(Node {
                value: crate::yaml::Value::Seq(items),
                ..
            }) = items
            else {
                unreachable!("checked above")
            };
            return Some(
                items
                    .into_vec()
                    .into_iter()
                    .enumerate()
                    .filter(|(_, n)| n.as_map().is_some())
                    .map(|(i, node)| Object {
                        origin: Origin::File {
                            path: path.clone(),
                            document,
                            base: format!("/items/{i}"),
                        },
                        node,
                    })
                    .collect(),
            );
        }
    }
    Some(vec![Object {
        origin: Origin::File {
            path: path.clone(),
            document,
            base: String::new(),
        },
        node: root,
    }])
}

/// Span of the field a pointer names: its key when it is a mapping entry, else the node itself.
/// For a missing field, the same for the nearest parent that exists (a finding about a missing
/// `securityContext.capabilities` points at `securityContext:`).
///
/// One walk down the pointer (a finding's location is resolved for every finding: looking the
/// pointer up again for its key, and again for each missing segment, cost ~4,000 instructions a
/// finding).
pub fn span_of(node: &Node, pointer: &str) -> Span {
    let walk = node.walk(pointer);
    // A pointer written without its leading `/` names its first field by the node, not the key
    // (`Node::key_span` needs a `/` before the last segment).
    match walk.key_span {
        Some(k) if pointer.starts_with('/') || walk.depth > 1 => k,
        _ => walk.node.span,
    }
}

#[cfg(test)]
mod tests {
    use super::span_of;
    use crate::yaml::{escape_pointer, load_str, Node, Span};

    /// `span_of` as it was written first: a lookup for the node, another for its key, and one
    /// more per missing segment. The one-walk version must agree with it everywhere.
    fn by_lookups(node: &Node, pointer: &str) -> Span {
        let mut p = pointer;
        loop {
            let (target, found) = node.lookup(p);
            if found {
                return node.key_span(p).unwrap_or(target.span);
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return node.span,
            }
        }
    }

    fn pointers(node: &Node, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        if let Some(entries) = node.as_map() {
            for e in entries {
                pointers(&e.value, format!("{at}/{}", escape_pointer(&e.key)), out);
            }
        } else if let Some(items) = node.as_seq() {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
    }

    #[test]
    fn one_walk_finds_the_span_every_lookup_found() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a/b: x\n    \
                    t~n: y\n    \"\": empty\nspec:\n  containers:\n  - name: c\n    securityContext:\n      \
                    privileged: true\n    ports: [{containerPort: 80}, 8080]\n  - name: d\n  \
                    volumes: []\n";
        let (docs, errors) = load_str(text, &Default::default());
        assert!(errors.is_empty(), "{errors:?}");
        let root = &docs[0].root;
        let mut all = Vec::new();
        pointers(root, String::new(), &mut all);
        assert!(all.len() > 20);
        let mut asked = Vec::new();
        for p in &all {
            asked.push(p.clone());
            asked.push(format!("{p}/missing"));
            asked.push(format!("{p}/missing/deeper"));
            asked.push(format!("{p}/0"));
            asked.push(format!("{p}/"));
            asked.extend(p.strip_prefix('/').map(str::to_owned));
        }
        asked.extend(
            [
                "/spec/containers/9",
                "/spec/containers/x",
                "spec",
                "nothing",
                "/",
            ]
            .map(String::from),
        );
        for p in &asked {
            assert_eq!(span_of(root, p), by_lookups(root, p), "{p:?}");
        }
    }
}
