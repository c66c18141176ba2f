//! The cluster as the bundle sees it: namespaces, workloads, Services, Ingresses, and who talks
//! to whom as far as the objects show it.
//!
//! "Who talks to whom" is read from what a workload is configured with: container `env` values,
//! `args` and `command`, and the ConfigMaps it reads (`envFrom`, `configMapKeyRef`, configMap
//! volumes). A Service is a workload's dependency when one of those strings names it the way
//! cluster DNS does (`db`, `db.shop`, `db.shop.svc`, `db.shop.svc.cluster.local`) or through the
//! variables the kubelet injects (`DB_SERVICE_HOST`). This errs towards finding a dependency that
//! is not one (an allowance too many), never towards missing one that the text shows.

use std::collections::HashMap;

use palisade_core::image::ImageRef;
use palisade_core::yaml::{push_to, Entry, Node, Scalar, ScalarType, Span, Value};
use palisade_core::Object;
use palisade_rules::netpol::{self, Labels, Pod, Protocol, ServiceSelector};

/// Kinds that live in a namespace and that the bundle or the rules read. Objects of these kinds
/// without `metadata.namespace` are placed in `default`, where `kubectl apply` puts them.
const NAMESPACED: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
    "DeploymentConfig",
    "Rollout",
    "Service",
    "ServiceAccount",
    "ConfigMap",
    "Secret",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "Ingress",
    "PersistentVolumeClaim",
    "Endpoints",
    "EndpointSlice",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "LimitRange",
    "ResourceQuota",
];

/// The namespace objects without one are taken to be in.
pub const DEFAULT_NAMESPACE: &str = "default";

/// Gives every namespaced object without `metadata.namespace` the namespace `default`.
///
/// The rules, scanning files, keep such objects of different directories apart (unrelated
/// applications); the bundle is applied to one cluster, where they all land in `default`, so the
/// inventory and the re-scan say so explicitly.
pub fn normalize(objects: Vec<Object>) -> Vec<Object> {
    objects
        .into_iter()
        .map(|mut o| {
            if o.namespace().is_none_or(str::is_empty)
                && (NAMESPACED.contains(&o.kind()) || o.pod_template().is_some())
            {
                set_namespace(&mut o.node, DEFAULT_NAMESPACE);
            }
            o
        })
        .collect()
}

fn set_namespace(root: &mut Node, namespace: &str) {
    let Value::Map(entries) = &mut root.value else {
        return;
    };
    let Some(meta) = entries.iter_mut().find(|e| &*e.key == "metadata") else {
        return;
    };
    let span = meta.value.span;
    let Value::Map(fields) = &mut meta.value.value else {
        return;
    };
    let value = Node {
        value: Value::Scalar(Scalar::string(namespace, false)),
        span,
    };
    match fields.iter_mut().find(|e| &*e.key == "namespace") {
        Some(e) => e.value = value,
        None => push_to(
            fields,
            Entry {
                key: "namespace".into(),
                key_span: Span::default(),
                value,
            },
        ),
    }
}

/// A field of a scanned object that the bundle copies into what it generates (a namespace, a
/// Service name, a label, a named port, a ServiceAccount) holding a value the API server would
/// reject there.
///
/// The bundle writes such a value safely (every string goes through the one quoting writer), but
/// an object with it was never accepted by a cluster: the input is wrong (or hostile), and a bundle
/// built on it would name objects that cannot exist. The caller reports these and stops.
#[derive(Clone, Debug)]
pub struct InvalidName {
    /// Index into the objects given.
    pub object: usize,
    /// JSON pointer of the field (`/metadata/namespace`, `/metadata/labels/app`).
    pub pointer: String,
    pub span: Span,
    pub error: palisade_core::names::NameError,
}

/// Every [`InvalidName`] of `objects`, checked as the API server validates each field.
pub fn invalid_names(objects: &[Object]) -> Vec<InvalidName> {
    use palisade_core::names;
    let mut out = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        let mut check_key = Vec::new();
        let mut check = |node: Option<&Node>, pointer: String, valid: NameRule| {
            out.extend(invalid(i, node, pointer, valid));
        };
        let root = &o.node;
        check(
            root.path(&["metadata", "namespace"]),
            "/metadata/namespace".to_owned(),
            names::dns1123_label,
        );
        let name_rule: Option<NameRule> = match (o.group(), o.kind()) {
            ("", "Namespace") => Some(names::dns1123_label),
            ("", "Service") => Some(names::dns1035_label),
            ("", "ServiceAccount") => Some(names::dns1123_subdomain),
            _ => None,
        };
        if let Some(rule) = name_rule {
            check(
                root.path(&["metadata", "name"]),
                "/metadata/name".to_owned(),
                rule,
            );
        }
        let mut label_maps: Vec<(Option<&Node>, String)> = vec![(
            root.path(&["metadata", "labels"]),
            "/metadata/labels".to_owned(),
        )];
        if let Some(pod) = o.pod_template() {
            if pod.meta_pointer != "/metadata" {
                label_maps.push((
                    pod.metadata.and_then(|m| m.get("labels")),
                    format!("{}/labels", pod.meta_pointer),
                ));
            }
            check(
                pod.spec.get("serviceAccountName"),
                format!("{}/serviceAccountName", pod.spec_pointer),
                names::dns1123_subdomain,
            );
        }
        label_maps.push((
            root.path(&["spec", "selector", "matchLabels"]),
            "/spec/selector/matchLabels".to_owned(),
        ));
        if o.kind() == "Service" && o.group().is_empty() {
            label_maps.push((
                root.path(&["spec", "selector"]),
                "/spec/selector".to_owned(),
            ));
            for (j, port) in root
                .path(&["spec", "ports"])
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                if let Some(t) = port.get("targetPort") {
                    if matches!(&t.value, Value::Scalar(s) if s.scalar_type() == ScalarType::Str) {
                        check(
                            Some(t),
                            format!("/spec/ports/{j}/targetPort"),
                            names::port_name,
                        );
                    }
                }
            }
        }
        for (map, pointer) in label_maps {
            for e in map.map(Node::entries).unwrap_or_default() {
                let at = format!("{pointer}/{}", palisade_core::yaml::escape_pointer(&e.key));
                if let Err(error) = names::label_key(&e.key) {
                    check_key.push(InvalidName {
                        object: i,
                        pointer: at.clone(),
                        span: e.key_span,
                        error,
                    });
                }
                check(Some(&e.value), at, names::label_value);
            }
        }
        out.extend(check_key);
    }
    out
}

type NameRule = fn(&str) -> Result<(), palisade_core::names::NameError>;

/// The [`InvalidName`] of field `node` of object `object`, if its text breaks `valid`. Absent,
/// null and empty fields are the API server's defaults, not names.
fn invalid(
    object: usize,
    node: Option<&Node>,
    pointer: String,
    valid: NameRule,
) -> Option<InvalidName> {
    let node = node?;
    let text = node.as_str().filter(|t| !t.is_empty())?;
    valid(text).err().map(|error| InvalidName {
        object,
        pointer,
        span: node.span,
        error,
    })
}

/// A workload (or bare pod) that no other object of the inventory controls.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Index into [`Inventory::objects`].
    pub index: usize,
    pub kind: String,
    pub name: String,
    pub pod: Pod,
    /// Labels that select this workload's pods: the workload's `spec.selector.matchLabels` when
    /// it has one, else its pod labels.
    pub selector: Labels,
    pub host_network: bool,
    pub dashboard: bool,
    pub ingress_controller: bool,
    pub service_account: String,
    /// The pod mounts an API token (its own setting, else its ServiceAccount's, else yes).
    pub mounts_token: bool,
    /// Texts the workload is configured with (see the module docs): where each is (`api env
    /// DB_HOST`), and the text.
    pub texts: Vec<(String, String)>,
}

impl Workload {
    pub fn namespace(&self) -> &str {
        &self.pod.namespace
    }

    /// `Deployment shop/web`.
    pub fn describe(&self) -> String {
        format!("{} {}/{}", self.kind, self.namespace(), self.name)
    }
}

/// One port of a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    pub port: u16,
    /// `targetPort`: a number, or a container port name.
    pub target: Target,
    pub protocol: Protocol,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Number(u16),
    Name(String),
}

#[derive(Clone, Debug)]
pub struct Service {
    pub index: usize,
    pub namespace: String,
    pub name: String,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`.
    pub kind: String,
    pub selector: Labels,
    pub ports: Vec<ServicePort>,
    /// Indexes into [`Inventory::workloads`] of the workloads whose pods it selects.
    pub backends: Vec<usize>,
    /// Names of Ingresses that route to it.
    pub ingresses: Vec<String>,
    /// What makes the API server call it: admission webhooks, APIServices, CRD conversion
    /// webhooks (`ValidatingWebhookConfiguration policy-controller`).
    pub api_server_callers: Vec<String>,
}

/// Why a workload is taken to call a Service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub service: usize,
    /// The text that names the Service, e.g. `env DB_HOST=db.shop`.
    pub evidence: String,
}

/// An address outside the cluster a workload is configured to reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct External {
    pub host: String,
    pub port: u16,
}

#[derive(Debug)]
pub struct Inventory {
    pub objects: Vec<Object>,
    /// Every namespace: those of Namespace objects and those objects are in, sorted.
    pub namespaces: Vec<String>,
    /// Namespace name → index of its Namespace object.
    pub namespace_objects: HashMap<String, usize>,
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    /// For each workload, the Services it calls.
    pub dependencies: Vec<Vec<Dependency>>,
    /// For each workload, the outside addresses it calls.
    pub externals: Vec<Vec<External>>,
    /// For each workload: its ServiceAccount is bound to a Role or ClusterRole, so it uses the
    /// Kubernetes API.
    pub uses_api: Vec<bool>,
}

impl Inventory {
    /// Reads a (normalized) set of objects.
    pub fn new(objects: Vec<Object>) -> Inventory {
        let mut namespace_objects = HashMap::new();
        let mut namespaces = std::collections::BTreeSet::new();
        for (i, o) in objects.iter().enumerate() {
            if o.kind() == "Namespace" && o.group().is_empty() {
                if let Some(n) = o.name() {
                    namespace_objects.insert(n.to_owned(), i);
                    namespaces.insert(n.to_owned());
                }
            } else if let Some(ns) = o.namespace().filter(|n| !n.is_empty()) {
                namespaces.insert(ns.to_owned());
            }
        }
        let service_accounts = service_account_automount(&objects);
        let configmaps = configmap_texts(&objects);
        let workloads: Vec<Workload> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| !is_controlled(o))
            .filter_map(|(i, o)| workload(i, o, &service_accounts, &configmaps))
            .collect();
        let ingresses = ingress_backends(&objects);
        let callers = api_server_callers(&objects);
        let services: Vec<Service> = objects
            .iter()
            .enumerate()
            .filter_map(|(i, o)| service(i, o, &workloads, &ingresses, &callers))
            .collect();
        let bound = bound_service_accounts(&objects);
        let uses_api = workloads
            .iter()
            .map(|w| {
                w.mounts_token
                    && bound.contains(&(w.namespace().to_owned(), w.service_account.clone()))
            })
            .collect();
        let (dependencies, externals) = dependencies(&workloads, &services);
        Inventory {
            objects,
            namespaces: namespaces.into_iter().collect(),
            namespace_objects,
            workloads,
            services,
            dependencies,
            externals,
            uses_api,
        }
    }

    pub fn workloads_in<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..self.workloads.len()).filter(move |&i| self.workloads[i].namespace() == namespace)
    }
}

fn is_controlled(o: &Object) -> bool {
    o.node
        .path(&["metadata", "ownerReferences"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|r| r.get("controller").and_then(Node::bool_intent) == Some(true))
}

fn labels_of(node: Option<&Node>) -> Labels {
    node.map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .filter_map(|e| Some((e.key.to_string(), e.value.as_str()?.to_owned())))
        .collect()
}

/// `(namespace, name)` → `automountServiceAccountToken` of each ServiceAccount that sets it.
fn service_account_automount(objects: &[Object]) -> HashMap<(String, String), bool> {
    objects
        .iter()
        .filter(|o| o.kind() == "ServiceAccount" && o.group().is_empty())
        .filter_map(|o| {
            let value = o
                .node
                .get("automountServiceAccountToken")
                .and_then(Node::bool_intent)?;
            Some(((o.namespace()?.to_owned(), o.name()?.to_owned()), value))
        })
        .collect()
}

/// `(namespace, name)` → the values of each ConfigMap's `data`.
fn configmap_texts(objects: &[Object]) -> HashMap<(String, String), Vec<String>> {
    objects
        .iter()
        .filter(|o| o.kind() == "ConfigMap" && o.group().is_empty())
        .filter_map(|o| {
            let texts = o
                .node
                .get("data")
                .map(Node::entries)
                .unwrap_or(&[])
                .iter()
                .filter_map(|e| e.value.as_str().map(str::to_owned))
                .collect();
            Some(((o.namespace()?.to_owned(), o.name()?.to_owned()), texts))
        })
        .collect()
}

/// Images of ingress controllers: their pods are the clients of every Service an Ingress routes
/// to. The repository decides (`palisade_core::image`'s split, Docker Hub names normalised), not
/// the tag: `example.com/app:traefik-compat` is not Traefik.
fn is_ingress_controller_image(image: &str) -> bool {
    const MARKERS: [&str; 8] = [
        "ingress-nginx/controller",
        "nginx-ingress-controller",
        "nginx/nginx-ingress",
        "traefik",
        "haproxy-ingress",
        "kong/kubernetes-ingress-controller",
        "projectcontour/contour",
        "envoyproxy/envoy",
    ];
    let repository = ImageRef::split(image).repository();
    MARKERS.iter().any(|m| repository.contains(m))
}

fn workload(
    index: usize,
    o: &Object,
    service_accounts: &HashMap<(String, String), bool>,
    configmaps: &HashMap<(String, String), Vec<String>>,
) -> Option<Workload> {
    let template = o.pod_template()?;
    let pod = netpol::pod_of(o)?;
    let selector = match o.node.path(&["spec", "selector", "matchLabels"]) {
        Some(m) if m.as_map().is_some_and(|e| !e.is_empty()) => labels_of(Some(m)),
        _ => pod.labels.clone(),
    };
    let spec = template.spec;
    let service_account = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_owned();
    let mounts_token = spec
        .get("automountServiceAccountToken")
        .and_then(Node::bool_intent)
        .or_else(|| {
            service_accounts
                .get(&(pod.namespace.clone(), service_account.clone()))
                .copied()
        })
        .unwrap_or(true);
    let mut texts = Vec::new();
    let mut configmap_names = Vec::new();
    let mut ingress_controller = false;
    for c in template.containers() {
        let name = c.name;
        if c.node
            .get("image")
            .and_then(Node::as_str)
            .is_some_and(is_ingress_controller_image)
        {
            ingress_controller = true;
        }
        for field in ["command", "args"] {
            for item in c.node.get(field).map(Node::items).unwrap_or(&[]) {
                if let Some(s) = item.as_str() {
                    texts.push((format!("{name} {field}"), s.to_owned()));
                }
            }
        }
        for env in c.node.get("env").map(Node::items).unwrap_or(&[]) {
            let var = env.get("name").and_then(Node::as_str).unwrap_or("");
            if let Some(v) = env.get("value").and_then(Node::as_str) {
                texts.push((format!("{name} env {var}"), v.to_owned()));
            }
            if let Some(cm) = env
                .path(&["valueFrom", "configMapKeyRef", "name"])
                .and_then(Node::as_str)
            {
                configmap_names.push(cm.to_owned());
            }
        }
        for from in c.node.get("envFrom").map(Node::items).unwrap_or(&[]) {
            if let Some(cm) = from.path(&["configMapRef", "name"]).and_then(Node::as_str) {
                configmap_names.push(cm.to_owned());
            }
        }
    }
    for v in spec.get("volumes").map(Node::items).unwrap_or(&[]) {
        if let Some(cm) = v.path(&["configMap", "name"]).and_then(Node::as_str) {
            configmap_names.push(cm.to_owned());
        }
        for s in v
            .path(&["projected", "sources"])
            .map(Node::items)
            .unwrap_or(&[])
        {
            if let Some(cm) = s.path(&["configMap", "name"]).and_then(Node::as_str) {
                configmap_names.push(cm.to_owned());
            }
        }
    }
    configmap_names.sort();
    configmap_names.dedup();
    for cm in configmap_names {
        if let Some(values) = configmaps.get(&(pod.namespace.clone(), cm.clone())) {
            texts.extend(
                values
                    .iter()
                    .map(|v| (format!("ConfigMap {cm}"), v.clone())),
            );
        }
    }
    Some(Workload {
        index,
        kind: o.kind().to_owned(),
        name: o.name().unwrap_or("(unnamed)").to_owned(),
        host_network: spec
            .get("hostNetwork")
            .and_then(Node::bool_intent)
            .unwrap_or(false),
        dashboard: palisade_rules::dashboard::is_dashboard(o),
        ingress_controller,
        service_account,
        mounts_token,
        texts,
        selector,
        pod,
    })
}

/// `(namespace, service name)` → names of the Ingresses routing to it.
fn ingress_backends(objects: &[Object]) -> HashMap<(String, String), Vec<String>> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for o in objects.iter().filter(|o| o.kind() == "Ingress") {
        let ns = o.namespace().unwrap_or(DEFAULT_NAMESPACE).to_owned();
        let name = o.name().unwrap_or("(unnamed)").to_owned();
        let mut backends: Vec<&Node> = Vec::new();
        if let Some(b) = o
            .node
            .path(&["spec", "defaultBackend"])
            .or_else(|| o.node.path(&["spec", "backend"]))
        {
            backends.push(b);
        }
        for rule in o
            .node
            .path(&["spec", "rules"])
            .map(Node::items)
            .unwrap_or(&[])
        {
            for path in rule
                .path(&["http", "paths"])
                .map(Node::items)
                .unwrap_or(&[])
            {
                if let Some(b) = path.get("backend") {
                    backends.push(b);
                }
            }
        }
        for b in backends {
            // networking.k8s.io/v1, then the v1beta1 spelling.
            let service = b
                .path(&["service", "name"])
                .or_else(|| b.get("serviceName"))
                .and_then(Node::as_str);
            if let Some(s) = service {
                let list = out.entry((ns.clone(), s.to_owned())).or_default();
                if !list.contains(&name) {
                    list.push(name.clone());
                }
            }
        }
    }
    out
}

/// `(namespace, service name)` → the objects that make the API server call that Service: the
/// `clientConfig.service` of admission webhooks and CRD conversion webhooks, `spec.service` of
/// APIServices. A default-deny that cut these off would fail API requests cluster-wide.
fn api_server_callers(objects: &[Object]) -> HashMap<(String, String), Vec<String>> {
    let mut out: HashMap<(String, String), Vec<String>> = HashMap::new();
    for o in objects {
        let refs: Vec<&Node> = match (o.group(), o.kind()) {
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration",
            ) => o
                .node
                .get("webhooks")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(|w| w.path(&["clientConfig", "service"]))
                .collect(),
            ("apiregistration.k8s.io", "APIService") => {
                o.node.path(&["spec", "service"]).into_iter().collect()
            }
            ("apiextensions.k8s.io", "CustomResourceDefinition") => o
                .node
                .path(&["spec", "conversion", "webhook", "clientConfig", "service"])
                .into_iter()
                .collect(),
            _ => continue,
        };
        let who = format!("{} {}", o.kind(), o.name().unwrap_or("(unnamed)"));
        for r in refs {
            let (Some(ns), Some(name)) = (
                r.get("namespace").and_then(Node::as_str),
                r.get("name").and_then(Node::as_str),
            ) else {
                continue;
            };
            let list = out.entry((ns.to_owned(), name.to_owned())).or_default();
            if !list.contains(&who) {
                list.push(who.clone());
            }
        }
    }
    out
}

fn service(
    index: usize,
    o: &Object,
    workloads: &[Workload],
    ingresses: &HashMap<(String, String), Vec<String>>,
    callers: &HashMap<(String, String), Vec<String>>,
) -> Option<Service> {
    if o.kind() != "Service" || !o.group().is_empty() {
        return None;
    }
    let namespace = o.namespace().unwrap_or(DEFAULT_NAMESPACE).to_owned();
    let name = o.name()?.to_owned();
    let selector = labels_of(o.node.path(&["spec", "selector"]));
    let ports = o
        .node
        .path(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|p| {
            let port = u16::try_from(p.get("port")?.int_intent()?).ok()?;
            let protocol = match p.get("protocol").and_then(Node::as_str) {
                None => Protocol::Tcp,
                Some(s) => Protocol::parse(s)?,
            };
            let target = match p.get("targetPort") {
                None => Target::Number(port),
                Some(t) => match t.int_intent().and_then(|n| u16::try_from(n).ok()) {
                    Some(n) => Target::Number(n),
                    None => Target::Name(t.as_str()?.to_owned()),
                },
            };
            Some(ServicePort {
                port,
                target,
                protocol,
            })
        })
        .collect();
    // A Service without a selector has hand-made Endpoints: its backends are not pods we know.
    let backends = match ServiceSelector::of(&o.node) {
        None => Vec::new(),
        Some(selects) => workloads
            .iter()
            .enumerate()
            .filter(|(_, w)| {
                w.namespace() == namespace
                    && selects.matches_with(|k| w.pod.labels.get(k).map(String::as_str))
            })
            .map(|(i, _)| i)
            .collect(),
    };
    Some(Service {
        index,
        kind: o
            .node
            .path(&["spec", "type"])
            .and_then(Node::as_str)
            .unwrap_or("ClusterIP")
            .to_owned(),
        ingresses: ingresses
            .get(&(namespace.clone(), name.clone()))
            .cloned()
            .unwrap_or_default(),
        api_server_callers: callers
            .get(&(namespace.clone(), name.clone()))
            .cloned()
            .unwrap_or_default(),
        namespace,
        name,
        selector,
        ports,
        backends,
    })
}

/// `(namespace, name)` of every ServiceAccount a RoleBinding or ClusterRoleBinding names.
fn bound_service_accounts(objects: &[Object]) -> std::collections::HashSet<(String, String)> {
    let mut out = std::collections::HashSet::new();
    for o in objects {
        if o.group() != "rbac.authorization.k8s.io"
            || !matches!(o.kind(), "RoleBinding" | "ClusterRoleBinding")
        {
            continue;
        }
        for s in o.node.get("subjects").map(Node::items).unwrap_or(&[]) {
            if s.get("kind").and_then(Node::as_str) != Some("ServiceAccount") {
                continue;
            }
            let ns = s
                .get("namespace")
                .and_then(Node::as_str)
                .or_else(|| o.namespace())
                .unwrap_or(DEFAULT_NAMESPACE);
            if let Some(name) = s.get("name").and_then(Node::as_str) {
                out.insert((ns.to_owned(), name.to_owned()));
            }
        }
    }
    out
}

/// The Services and outside addresses each workload's texts name.
fn dependencies(
    workloads: &[Workload],
    services: &[Service],
) -> (Vec<Vec<Dependency>>, Vec<Vec<External>>) {
    // Fully qualified names resolve from any namespace; short names only from the Service's own.
    let mut qualified: HashMap<String, usize> = HashMap::new();
    let mut short: HashMap<(&str, String), usize> = HashMap::new();
    for (i, s) in services.iter().enumerate() {
        let (n, ns) = (&s.name, &s.namespace);
        for q in [
            format!("{n}.{ns}"),
            format!("{n}.{ns}.svc"),
            format!("{n}.{ns}.svc.cluster.local"),
        ] {
            qualified.insert(q, i);
        }
        short.insert((ns.as_str(), n.clone()), i);
        let env = n.to_ascii_uppercase().replace('-', "_");
        short.insert((ns.as_str(), format!("{env}_SERVICE_HOST")), i);
        short.insert((ns.as_str(), format!("{env}_SERVICE_PORT")), i);
    }
    let mut deps = Vec::with_capacity(workloads.len());
    let mut exts = Vec::with_capacity(workloads.len());
    for w in workloads {
        let mut found: Vec<Dependency> = Vec::new();
        let mut external: Vec<External> = Vec::new();
        for (place, text) in &w.texts {
            let evidence = || {
                let mut t: String = text.chars().take(80).collect();
                if t.len() < text.len() {
                    t.push('…');
                }
                format!("{place}: {t}")
            };
            for (token, scheme) in tokens(text) {
                let lower = token.to_ascii_lowercase();
                let lower = lower.trim_end_matches('.');
                let hit = qualified
                    .get(lower)
                    .or_else(|| short.get(&(w.namespace(), lower.to_owned())))
                    .or_else(|| short.get(&(w.namespace(), token.to_owned())));
                match hit {
                    Some(&s) => {
                        if !found.iter().any(|d| d.service == s) {
                            found.push(Dependency {
                                service: s,
                                evidence: evidence(),
                            });
                        }
                    }
                    None => {
                        if let Some(scheme) = scheme {
                            if let Some(e) = external_address(lower, scheme, text, &token) {
                                if !external.contains(&e) {
                                    external.push(e);
                                }
                            }
                        }
                    }
                }
            }
        }
        deps.push(found);
        exts.push(external);
    }
    (deps, exts)
}

/// Host-like tokens of a text: runs of letters, digits, `.`, `-`, `_`; each with the URL scheme
/// before it when it follows `scheme://`. A token that *is* a scheme is skipped.
fn tokens(text: &str) -> Vec<(String, Option<String>)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let is_tok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_');
        if !is_tok(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_tok(bytes[i]) {
            i += 1;
        }
        let token = &text[start..i];
        if text[i..].starts_with("://") {
            continue;
        }
        let scheme = text[..start].strip_suffix("://").map(|before| {
            before
                .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '+')
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        });
        out.push((token.to_owned(), scheme));
    }
    out
}

/// An address outside the cluster in a URL: a host with a dot that is no cluster name, and the
/// URL's port or its scheme's.
fn external_address(host: &str, scheme: String, text: &str, token: &str) -> Option<External> {
    if !host.contains('.')
        || host.ends_with(".svc")
        || host.ends_with(".cluster.local")
        || host.ends_with(".local")
        || host.starts_with("127.")
        || host == "0.0.0.0"
    {
        return None;
    }
    let after = text
        .find(&format!("{scheme}://{token}"))
        .map(|i| &text[i + scheme.len() + 3 + token.len()..]);
    let explicit = after
        .and_then(|a| a.strip_prefix(':'))
        .map(|a| {
            a.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse::<u16>().ok());
    let port = explicit.or(match scheme.as_str() {
        "https" | "wss" | "grpcs" => Some(443),
        "http" | "ws" => Some(80),
        _ => None,
    })?;
    Some(External {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::source::objects_from_str;

    #[test]
    fn ingress_controllers_by_repository() {
        for yes in [
            "registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:abc",
            "traefik:v2.10",
            "docker.io/nginx/nginx-ingress:3.0",
            "ghcr.io/projectcontour/contour:v1.27",
        ] {
            assert!(is_ingress_controller_image(yes), "{yes}");
        }
        for no in [
            "nginx:1.25",
            "example.com/app:traefik-compat",
            "registry:5000/app",
        ] {
            assert!(!is_ingress_controller_image(no), "{no}");
        }
    }

    fn inventory(yaml: &str) -> Inventory {
        let loaded = objects_from_str("t.yaml", yaml);
        assert!(loaded.errors.is_empty());
        Inventory::new(normalize(loaded.objects))
    }

    #[test]
    fn finds_services_named_in_env_configmaps_and_urls() {
        let inv = inventory(
            "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n\
             spec: {selector: {app: db}, ports: [{port: 5432}]}\n---\n\
             apiVersion: v1\nkind: Service\nmetadata: {name: cache, namespace: infra}\n\
             spec: {selector: {app: cache}, ports: [{port: 6379}]}\n---\n\
             apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n\
             data: {url: \"redis://cache.infra.svc.cluster.local:6379\"}\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\n\
             spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - name: c\n        image: x\n        env: [{name: DB, value: \"postgres://db:5432/x\"}, {name: PAY, value: \"https://api.stripe.com/v1\"}]\n        envFrom: [{configMapRef: {name: cfg}}]\n---\n\
             apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other, namespace: infra}\n\
             spec:\n  template:\n    metadata: {labels: {app: other}}\n    spec:\n      containers:\n      - name: c\n        image: x\n        args: [\"--db=db\"]\n",
        );
        let web = inv.workloads.iter().position(|w| w.name == "web").unwrap();
        let names: Vec<&str> = inv.dependencies[web]
            .iter()
            .map(|d| inv.services[d.service].name.as_str())
            .collect();
        assert_eq!(names, ["db", "cache"]);
        assert_eq!(
            inv.externals[web],
            [External {
                host: "api.stripe.com".into(),
                port: 443
            }]
        );
        // A short name only resolves in the Service's own namespace.
        let other = inv
            .workloads
            .iter()
            .position(|w| w.name == "other")
            .unwrap();
        assert!(inv.dependencies[other].is_empty());
        assert!(inv.externals[other].is_empty());
    }

    #[test]
    fn objects_without_namespace_land_in_default() {
        let inv = inventory(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x}]}\n---\n\
             apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\n",
        );
        assert_eq!(inv.objects[0].namespace(), Some("default"));
        assert_eq!(inv.objects[1].namespace(), None);
        assert_eq!(inv.namespaces, ["default"]);
    }
}
