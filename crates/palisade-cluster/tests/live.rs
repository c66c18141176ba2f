//! The live-cluster source against a loopback API server, through the real kube-rs client.

mod support;

use std::collections::BTreeSet;

use palisade_cluster::{read, ClusterError, Options};
use palisade_core::{Finding, KubeVersion, Location, Settings};
use palisade_rules::{Engine, Mode, Selection};
use support::{collection, spec_from_yaml, start};

const FIXTURE: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      hostNetwork: true
      containers:
      - name: app
        image: nginx:latest
        securityContext:
          privileged: true
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9f-abcde
  namespace: shop
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: web-7d9f
    uid: "1"
    controller: true
spec:
  hostNetwork: true
  containers:
  - name: app
    image: nginx:latest
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
  namespace: shop
spec:
  automountServiceAccountToken: false
  containers:
  - name: sh
    image: busybox:1.36
    securityContext:
      runAsUser: 0
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: shop
type: Opaque
data:
  password: aHVudGVyMg==
"#;

fn options(server: &support::Server) -> Options {
    Options {
        kubeconfig: Some(server.kubeconfig.clone()),
        page_size: 2,
        backoff: std::time::Duration::from_millis(10),
        ..Options::default()
    }
}

fn engine(version: KubeVersion) -> Engine {
    Engine::new(
        Settings {
            kubernetes_version: version,
            ..Settings::default()
        },
        Selection::default(),
        Vec::new(),
        Mode::Rules,
    )
}

/// What identifies a finding independently of where it was read from.
fn key(f: &Finding) -> (String, String, String) {
    let pointer = match &f.location {
        Location::File { pointer, .. } | Location::Object { pointer, .. } => pointer.clone(),
        Location::Path { .. } => String::new(),
    };
    let object = f.object.as_ref().map(|o| o.to_string()).unwrap_or_default();
    (f.code.to_owned(), object, pointer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_findings_as_scanning_the_equivalent_files() {
    let server = start(spec_from_yaml(("1", "37"), FIXTURE)).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inventory = read(&conn, &options(&server), &|_| {}).await.unwrap();
    assert_eq!(inventory.version, Some(KubeVersion::v1(37)));
    assert_eq!(inventory.server_version, "v1.37.0");
    assert_eq!(
        inventory.controlled_skipped, 1,
        "the Deployment's pod is its owner's business"
    );
    assert!(
        inventory.unreadable.is_empty(),
        "{:?}",
        inventory.unreadable
    );

    let from_cluster: BTreeSet<_> = engine(KubeVersion::v1(37))
        .check_all(&inventory.objects)
        .0
        .iter()
        .map(key)
        .collect();
    // The same objects as files, minus the controlled pod (which the cluster source skips).
    let files = palisade_core::source::objects_from_str("fixture.yaml", FIXTURE);
    let objects: Vec<_> = files
        .objects
        .into_iter()
        .filter(|o| o.name() != Some("web-7d9f-abcde"))
        .collect();
    let from_files: BTreeSet<_> = engine(KubeVersion::v1(37))
        .check_all(&objects)
        .0
        .iter()
        .map(key)
        .collect();
    assert!(!from_files.is_empty());
    assert_eq!(from_cluster, from_files);
    assert!(from_cluster
        .iter()
        .any(|(c, o, _)| c == "PS101" && o == "Deployment shop/web"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_followed_and_secrets_are_read_as_metadata_only() {
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    let pods = collection("v1", "pods");
    for i in 0..5 {
        spec.objects
            .get_mut(&pods)
            .unwrap()
            .push(serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": "shop"},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]},
            }));
    }
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inventory = read(&conn, &options(&server), &|_| {}).await.unwrap();
    let pod_names: Vec<_> = inventory
        .objects
        .iter()
        .filter(|o| o.kind() == "Pod")
        .filter_map(|o| o.name().map(str::to_owned))
        .collect();
    assert_eq!(pod_names.len(), 6, "{pod_names:?}");
    let seen = server.seen.lock().unwrap().clone();
    let pod_pages: Vec<_> = seen.iter().filter(|s| s.path == pods).collect();
    assert_eq!(pod_pages.len(), 4, "7 pods, 2 per page: {pod_pages:?}");
    assert!(pod_pages.iter().any(|s| s.query.contains("continue=2")));

    // Palisade never asks for Secret bodies: every Secret request wants metadata only.
    let secret_requests: Vec<_> = seen
        .iter()
        .filter(|s| s.path.ends_with("/secrets"))
        .collect();
    assert!(!secret_requests.is_empty());
    for s in &secret_requests {
        assert!(s.accept.contains("as=PartialObjectMetadataList"), "{s:?}");
    }
    let secret = inventory
        .objects
        .iter()
        .find(|o| o.kind() == "Secret")
        .unwrap();
    assert!(
        secret.node.get("data").is_none(),
        "no Secret data in the inventory"
    );
    // Read-only: nothing but GET.
    assert!(seen.iter().all(|s| s.method == "GET"), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_lists_are_recorded_and_throttling_is_retried() {
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    spec.forbidden
        .push(collection("rbac.authorization.k8s.io/v1", "clusterroles"));
    spec.forbidden.push(collection("v1", "secrets"));
    spec.throttle_once
        .push(collection("apps/v1", "deployments"));
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inventory = read(&conn, &options(&server), &|_| {}).await.unwrap();
    let unreadable: Vec<_> = inventory
        .unreadable
        .iter()
        .map(|u| u.resource.as_str())
        .collect();
    assert_eq!(
        unreadable,
        ["secrets", "clusterroles.rbac.authorization.k8s.io"]
    );
    assert!(inventory.unreadable[0].reason.contains("forbidden"));
    assert!(
        inventory.objects.iter().any(|o| o.kind() == "Deployment"),
        "the throttled list was retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_that_breaks_mid_pagination_costs_that_resource_not_the_audit() {
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    let pods = collection("v1", "pods");
    let accounts = collection("v1", "serviceaccounts");
    for i in 0..4 {
        spec.objects
            .get_mut(&accounts)
            .unwrap()
            .push(serde_json::json!({
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": format!("sa{i}"), "namespace": "shop"},
            }));
        spec.objects
            .get_mut(&pods)
            .unwrap()
            .push(serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("p{i}"), "namespace": "shop"},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]},
            }));
    }
    // Pods: the connection is cut on every page after the first. ServiceAccounts: 500s.
    spec.broken_after_first_page
        .insert(pods.clone(), support::Breakage::Drop);
    spec.broken_after_first_page
        .insert(accounts.clone(), support::Breakage::Status500);
    let server = start(spec).await;
    let opts = options(&server);
    let conn = palisade_cluster::connect(&opts).await.unwrap();
    let inventory = read(&conn, &opts, &|_| {}).await.unwrap();

    let unreadable: Vec<_> = inventory
        .unreadable
        .iter()
        .map(|u| u.resource.as_str())
        .collect();
    // In the resource table's order.
    assert_eq!(unreadable, ["serviceaccounts", "pods"]);
    let accounts_reason = &inventory.unreadable[0].reason;
    assert!(
        accounts_reason.contains("HTTP 500: etcdserver: request timed out")
            && accounts_reason.contains("after 5 attempts"),
        "{accounts_reason}"
    );
    assert!(
        inventory.unreadable[1].reason.contains("after 5 attempts"),
        "{}",
        inventory.unreadable[1].reason
    );
    // What the broken lists gave before breaking is not reported as if it were all there is.
    assert!(!inventory
        .objects
        .iter()
        .any(|o| matches!(o.kind(), "Pod" | "ServiceAccount")));
    // The rest of the audit went on.
    for kind in ["Namespace", "Deployment", "Secret"] {
        assert!(
            inventory.objects.iter().any(|o| o.kind() == kind),
            "{kind} missing"
        );
    }
    // Each broken page was retried as configured: the first page once, the second 5 times.
    let seen = server.seen.lock().unwrap().clone();
    for path in [&pods, &accounts] {
        let continued = seen
            .iter()
            .filter(|s| &s.path == path && s.query.contains("continue="))
            .count();
        assert_eq!(continued, 5, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_clusters_are_read_with_their_resources() {
    let mut spec = spec_from_yaml(("1", "24"), FIXTURE);
    spec.objects.insert(
        collection("policy/v1beta1", "podsecuritypolicies"),
        vec![serde_json::json!({
            "apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy",
            "metadata": {"name": "privileged"}, "spec": {"privileged": true},
        })],
    );
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inventory = read(&conn, &options(&server), &|_| {}).await.unwrap();
    assert_eq!(inventory.version, Some(KubeVersion::v1(24)));
    assert!(inventory
        .objects
        .iter()
        .any(|o| o.kind() == "PodSecurityPolicy"));
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen.iter().any(|s| s.path.contains("podsecuritypolicies")));

    // A 1.37 server is not asked for PodSecurityPolicies (removed in 1.25).
    let server = start(spec_from_yaml(("1", "37"), FIXTURE)).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    read(&conn, &options(&server), &|_| {}).await.unwrap();
    let seen = server.seen.lock().unwrap().clone();
    assert!(!seen.iter().any(|s| s.path.contains("podsecuritypolicies")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_unreachable_servers_are_one_clear_error() {
    let server = start(spec_from_yaml(("1", "37"), FIXTURE)).await;
    let text = std::fs::read_to_string(&server.kubeconfig).unwrap();
    std::fs::write(&server.kubeconfig, text.replace(support::TOKEN, "expired")).unwrap();
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let err = read(&conn, &options(&server), &|_| {}).await.unwrap_err();
    assert!(matches!(err, ClusterError::Unauthorized(_)), "{err:?}");
    assert!(err.to_string().contains("expired?"));

    // Nothing listens on the port any more once the server is dropped.
    let kubeconfig = server.kubeconfig.clone();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kubeconfig");
    std::fs::write(&copy, std::fs::read_to_string(&kubeconfig).unwrap()).unwrap();
    std::fs::copy(
        kubeconfig.with_file_name("ca.crt"),
        dir.path().join("ca.crt"),
    )
    .unwrap();
    let text = std::fs::read_to_string(&copy).unwrap().replace(
        &kubeconfig.with_file_name("ca.crt").display().to_string(),
        &dir.path().join("ca.crt").display().to_string(),
    );
    std::fs::write(&copy, text).unwrap();
    drop(server);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let opts = Options {
        kubeconfig: Some(copy),
        request_timeout: std::time::Duration::from_secs(2),
        attempts: 1,
        ..Options::default()
    };
    let conn = palisade_cluster::connect(&opts).await.unwrap();
    let err = read(&conn, &opts, &|_| {}).await.unwrap_err();
    assert!(matches!(err, ClusterError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("cannot connect to the API server at https://127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_access_is_probed_without_credentials() {
    use palisade_cluster::{probe_anonymous, Access};
    // Anonymous authentication off: 401 everywhere.
    let server = start(spec_from_yaml(("1", "37"), FIXTURE)).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let probe = probe_anonymous(&conn).await;
    assert_eq!(probe.version, Access::Unauthenticated);
    assert_eq!(probe.namespaces, Access::Unauthenticated);
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|s| s.method == "GET"));

    // On, with the default discovery role: /version only.
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    spec.anonymous_auth = true;
    spec.anonymous_allowed.push("/version".into());
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let probe = probe_anonymous(&conn).await;
    assert_eq!(probe.version, Access::Allowed);
    assert_eq!(probe.namespaces, Access::Forbidden);

    // On, and namespaces readable by anyone.
    let mut spec = spec_from_yaml(("1", "37"), FIXTURE);
    spec.anonymous_auth = true;
    spec.anonymous_allowed
        .extend(["/version".into(), "/api/v1/namespaces".into()]);
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    assert_eq!(probe_anonymous(&conn).await.namespaces, Access::Allowed);
}

/// A control-plane mirror pod and a node, for the control-plane and configz tests.
pub const CONTROL_PLANE: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: cp1
  labels: {node-role.kubernetes.io/control-plane: ""}
status:
  nodeInfo: {kubeletVersion: v1.29.4}
---
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver-cp1
  namespace: kube-system
  labels: {component: kube-apiserver, tier: control-plane}
  annotations: {kubernetes.io/config.mirror: 3f1c}
  ownerReferences:
  - {apiVersion: v1, kind: Node, name: cp1, uid: "n1", controller: true}
spec:
  nodeName: cp1
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.29.4
    command: [kube-apiserver, --authorization-mode=AlwaysAllow, --profiling=false]
"#;

fn with_git_version(mut spec: support::Spec, git: &str) -> support::Spec {
    spec.version.2 = git.to_owned();
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_control_plane_is() {
    use palisade_cluster::facts::{control_plane, ControlPlane};
    let node = |labels: &str| {
        format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: w1\n  labels: {{{labels}}}\n")
    };
    let cases: Vec<(&str, &str, String, Option<&str>)> = vec![
        (
            "29",
            "v1.29.3-eks-adc7111",
            node("kubernetes.io/os: linux"),
            Some("EKS"),
        ),
        (
            "30",
            "v1.30.5-gke.1014001",
            node("kubernetes.io/os: linux"),
            Some("GKE"),
        ),
        (
            "30",
            "v1.30.2",
            node("kubernetes.azure.com/cluster: MC_rg"),
            Some("AKS"),
        ),
        (
            "28",
            "v1.28.5",
            node("eks.amazonaws.com/nodegroup: ng-1"),
            Some("EKS"),
        ),
        (
            "31",
            "v1.31.1",
            node("cloud.google.com/gke-nodepool: pool-1"),
            Some("GKE"),
        ),
        ("24", "v1.24.17", node("kubernetes.io/os: linux"), None),
        ("37", "v1.37.0", node("kubernetes.io/os: linux"), None),
    ];
    for (minor, git, yaml, provider) in cases {
        let spec = with_git_version(spec_from_yaml(("1", minor), &yaml), git);
        let server = start(spec).await;
        let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
        let inv = read(&conn, &options(&server), &|_| {}).await.unwrap();
        assert_eq!(
            inv.version,
            Some(KubeVersion::v1(minor.parse().unwrap())),
            "{git}"
        );
        let cp = control_plane(&inv.server_version, &inv.objects, inv.kube_system_read());
        match (provider, &cp) {
            (Some(p), ControlPlane::Managed { provider, .. }) => assert_eq!(p, *provider, "{git}"),
            (None, ControlPlane::Hidden { .. }) => {}
            _ => panic!("{git}: {cp:?}"),
        }
        assert!(cp.not_evaluated().is_some());
    }

    // Mirror pods in kube-system: visible. Limited to another namespace: not read.
    let server = start(spec_from_yaml(("1", "29"), CONTROL_PLANE)).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inv = read(&conn, &options(&server), &|_| {}).await.unwrap();
    assert_eq!(
        control_plane(&inv.server_version, &inv.objects, inv.kube_system_read()),
        ControlPlane::Visible
    );
    let opts = Options {
        namespace: Some("shop".into()),
        ..options(&server)
    };
    let inv = read(&conn, &opts, &|_| {}).await.unwrap();
    assert!(matches!(
        control_plane(&inv.server_version, &inv.objects, inv.kube_system_read()),
        ControlPlane::NotRead { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubelet_configz_through_the_node_proxy() {
    let two_nodes =
        format!("{CONTROL_PLANE}---\napiVersion: v1\nkind: Node\nmetadata:\n  name: w1\n");
    let mut spec = spec_from_yaml(("1", "29"), &two_nodes);
    spec.configz.insert(
        "cp1".into(),
        serde_json::json!({"kubeletconfig": {"authentication": {"anonymous": {"enabled": false}}}}),
    );
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inv = read(&conn, &options(&server), &|_| {}).await.unwrap();
    let by_node: std::collections::BTreeMap<_, _> = inv.configz.iter().cloned().collect();
    assert!(by_node["cp1"].as_ref().unwrap().contains("kubeletconfig"));
    let w1 = by_node["w1"].as_ref().unwrap_err();
    assert!(w1.contains("HTTP 404"), "{w1}");
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|s| s.method == "GET"));

    // Without `get` on nodes/proxy: one refused request stands for every node.
    let mut spec = spec_from_yaml(("1", "29"), &two_nodes);
    spec.configz_forbidden = true;
    let server = start(spec).await;
    let conn = palisade_cluster::connect(&options(&server)).await.unwrap();
    let inv = read(&conn, &options(&server), &|_| {}).await.unwrap();
    assert_eq!(inv.configz.len(), 2);
    for (_, r) in &inv.configz {
        assert!(r.as_ref().unwrap_err().contains("nodes/proxy"), "{r:?}");
    }
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().filter(|s| s.path.ends_with("/configz")).count(),
        1
    );
}
