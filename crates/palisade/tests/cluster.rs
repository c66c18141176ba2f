//! `palisade cluster` end to end against the loopback API server, and saved inventories.

#[path = "../../palisade-cluster/tests/support/mod.rs"]
mod support;

use assert_cmd::Command;
use serde_json::Value;

const FIXTURE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        securityContext:\n          privileged: true\n";

fn codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {}", f["code"].as_str().unwrap(), f["object"]["name"]))
        .collect();
    c.sort();
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_audit_and_saved_inventory_agree() {
    let mut spec = support::spec_from_yaml(("1", "33"), FIXTURE);
    spec.forbidden.push(support::collection("v1", "secrets"));
    spec.anonymous_auth = true;
    spec.anonymous_allowed
        .extend(["/version".to_owned(), "/api/v1/namespaces".to_owned()]);
    let server = support::start(spec).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("inventory.json");
    let kubeconfig = server.kubeconfig.clone();
    let saved2 = saved.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("palisade")
            .unwrap()
            .args(["cluster", "--no-config", "--format", "json", "--kubeconfig"])
            .arg(&kubeconfig)
            .arg("--save-inventory")
            .arg(&saved2)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "privileged container is critical: {stderr}"
    );
    assert!(stderr.contains("cannot read secrets"), "{stderr}");
    let live: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(live["summary"]["kubernetes_version"], "v1.33");
    assert!(
        codes(&live).iter().any(|c| c == "PS101 \"web\""),
        "{:?}",
        codes(&live)
    );

    let saved_text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !saved_text.contains("\"data\""),
        "no Secret data in a saved inventory"
    );
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--no-config", "--format", "json", "--inventory"])
        .arg(&saved)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    // The saved inventory holds the objects and the live probe of the API server (EX701).
    assert!(codes(&live).iter().any(|c| c.starts_with("EX701")));
    assert_eq!(codes(&offline), codes(&live));
    assert_eq!(offline["summary"]["kubernetes_version"], "v1.33");
}

const CONTROL_PLANE: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: cp1
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
spec:
  nodeName: cp1
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.29.4
    command:
    - kube-apiserver
    - --authorization-mode=AlwaysAllow
    - --authentication-config=/etc/kubernetes/authn.yaml
"#;

fn run_cluster(kubeconfig: std::path::PathBuf, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("palisade")
        .unwrap()
        .args(["cluster", "--no-config", "--format", "json", "--kubeconfig"])
        .arg(kubeconfig)
        .args(extra)
        .output()
        .unwrap()
}

fn not_evaluated(v: &Value, code: &str) -> Vec<String> {
    v["summary"]["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["code"] == code)
        .map(|n| n["reason"].as_str().unwrap().to_owned())
        .collect()
}

fn finding<'v>(v: &'v Value, code: &str) -> &'v Value {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {:?}", codes(v)))
}

/// The control plane's mirror pods feed the node rules, each kubelet's /configz the kubelet
/// rules, with where each value came from; what the API cannot show is not evaluated; a saved
/// inventory gives the same findings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_plane_and_kubelets_through_the_api() {
    let mut spec = support::spec_from_yaml(("1", "29"), CONTROL_PLANE);
    spec.configz.insert(
        "cp1".into(),
        serde_json::json!({"kubeletconfig": {
            "authentication": {"anonymous": {"enabled": true}, "webhook": {"enabled": true}},
            "authorization": {"mode": "Webhook"}, "readOnlyPort": 0}}),
    );
    let server = support::start(spec).await;
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("inventory.json");
    let kubeconfig = server.kubeconfig.clone();
    let saved2 = saved.clone();
    let out = tokio::task::spawn_blocking(move || {
        run_cluster(kubeconfig, &["--save-inventory", saved2.to_str().unwrap()])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let live: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let cp501 = finding(&live, "CP501");
    assert_eq!(cp501["object"]["kind"], "Pod");
    assert_eq!(cp501["object"]["name"], "kube-apiserver-cp1");
    assert!(
        cp501["message"]
            .as_str()
            .unwrap()
            .contains("pod kube-system/kube-apiserver-cp1 command"),
        "{cp501}"
    );
    let kl601 = finding(&live, "KL601");
    assert_eq!(kl601["object"]["kind"], "Node");
    assert!(
        kl601["message"]
            .as_str()
            .unwrap()
            .contains("configz of node cp1 (authentication.anonymous.enabled)"),
        "{kl601}"
    );
    // The attack-path rules join what the audit read: with AlwaysAllow every authenticated
    // identity is cluster-admin, located at the API server's flag.
    let ap801 = finding(&live, "AP801");
    assert!(
        ap801["message"]
            .as_str()
            .unwrap()
            .starts_with("Group \"system:authenticated\" reaches cluster-admin in 1 step(s)"),
        "{ap801}"
    );
    assert!(
        ap801["flow"][0]["message"]
            .as_str()
            .unwrap()
            .contains("CP501 kube-apiserver allows every authenticated request"),
        "{ap801}"
    );
    // Files named by flags are on the node, not in the API.
    let cp502 = not_evaluated(&live, "CP502");
    assert!(
        cp502
            .iter()
            .any(|r| r.contains("node cp1") && r.contains("through the Kubernetes API")),
        "{cp502:?}"
    );

    let out = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--no-config", "--format", "json", "--inventory"])
        .arg(&saved)
        .output()
        .unwrap();
    let offline: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(codes(&offline), codes(&live));
    assert_eq!(
        offline["summary"]["not_evaluated"],
        live["summary"]["not_evaluated"]
    );
}

/// A managed control plane (EKS by its version string) and kubelets without `nodes/proxy`:
/// control-plane and kubelet rules are not evaluated, with the reason, never passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_control_plane_is_not_evaluated() {
    let mut spec = support::spec_from_yaml(
        ("1", "31"),
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: ip-10-0-1-5\n  labels: {eks.amazonaws.com/nodegroup: ng}\n",
    );
    spec.version.2 = "v1.31.2-eks-7f9249a".into();
    spec.configz_forbidden = true;
    let server = support::start(spec).await;
    let kubeconfig = server.kubeconfig.clone();
    let out =
        tokio::task::spawn_blocking(move || run_cluster(kubeconfig, &["--fail-on-not-evaluated"]))
            .await
            .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "not evaluated fails the run when asked"
    );
    let cp501 = not_evaluated(&v, "CP501");
    assert!(
        cp501
            .iter()
            .any(|r| r.contains("managed control plane (EKS)")),
        "{cp501:?}"
    );
    let kl601 = not_evaluated(&v, "KL601");
    assert!(
        kl601
            .iter()
            .any(|r| r.contains("node ip-10-0-1-5") && r.contains("nodes/proxy")),
        "{kl601:?}"
    );
    assert!(codes(&v)
        .iter()
        .all(|c| !c.starts_with("CP") && !c.starts_with("KL")));
}

/// A list that keeps failing mid-pagination (after the retries) costs its resource, reported
/// NOT EVALUATED with the reason, and the rest of the audit is reported as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_list_is_not_evaluated_and_the_audit_goes_on() {
    let mut spec = support::spec_from_yaml(("1", "33"), FIXTURE);
    let policies = support::collection("networking.k8s.io/v1", "networkpolicies");
    // One more than a page (500), so the list needs a second page, which fails every time.
    for i in 0..501 {
        spec.objects
            .get_mut(&policies)
            .unwrap()
            .push(serde_json::json!({
                "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": format!("np{i}"), "namespace": "shop"},
                "spec": {"podSelector": {}},
            }));
    }
    spec.broken_after_first_page
        .insert(policies, support::Breakage::Status500);
    let server = support::start(spec).await;
    let kubeconfig = server.kubeconfig.clone();
    let out = tokio::task::spawn_blocking(move || run_cluster(kubeconfig, &[]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot read networkpolicies.networking.k8s.io: HTTP 500"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        codes(&v).iter().any(|c| c == "PS101 \"web\""),
        "{:?}",
        codes(&v)
    );
    let reasons = not_evaluated(&v, "NP303");
    assert_eq!(reasons.len(), 1, "{v}");
    assert!(
        reasons[0].starts_with("cannot read networkpolicies.networking.k8s.io: HTTP 500")
            && reasons[0].contains("after 5 attempts"),
        "{reasons:?}"
    );
}

/// The binary is static (glibc's `files`/`dns` lookups built in): a kubeconfig naming the API
/// server by host name (`localhost`, from /etc/hosts) still connects through kube-rs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_binary_resolves_the_kubeconfig_server_name() {
    let server = support::start(support::spec_from_yaml(("1", "33"), FIXTURE)).await;
    let text = std::fs::read_to_string(&server.kubeconfig).unwrap();
    let by_name = text.replace("https://127.0.0.1:", "https://localhost:");
    assert_ne!(text, by_name);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, by_name).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("palisade")
            .unwrap()
            .args(["cluster", "--no-config", "--format", "json", "--kubeconfig"])
            .arg(&kubeconfig)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(codes(&v).iter().any(|c| c == "PS101 \"web\""), "{v}");
    assert!(server
        .seen
        .lock()
        .unwrap()
        .iter()
        .any(|s| s.path == "/api/v1/pods"));
}

const POLICIES: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replica-limit
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= 5"
    message: "at most 5 replicas"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replica-limit
spec:
  policyName: replica-limit
  validationActions: [Deny]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: by-params
spec:
  paramKind: {apiVersion: example.com/v1, kind: ReplicaLimit}
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE]
      resources: [deployments]
  validations:
  - expression: "object.spec.replicas <= params.max"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: by-params
spec:
  policyName: by-params
  paramRef: {name: limits, parameterNotFoundAction: Deny}
  validationActions: [Deny]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: big
  namespace: shop
spec:
  replicas: 6
  selector:
    matchLabels: {app: big}
  template:
    metadata:
      labels: {app: big}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: nginx:1.27
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: small
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: small}
  template:
    metadata:
      labels: {app: small}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: nginx:1.27
"#;

/// The cluster's own admission policies judge what it already holds (VA001), as they would a
/// new CREATE; a policy whose params Palisade does not read is not evaluated rather than denied
/// by its `parameterNotFoundAction`, and before 1.30 (no v1 policies) nothing is judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clusters_admission_policies_judge_its_objects() {
    let server = support::start(support::spec_from_yaml(("1", "31"), POLICIES)).await;
    let kubeconfig = server.kubeconfig.clone();
    let out = tokio::task::spawn_blocking(move || run_cluster(kubeconfig, &[]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout).expect(&stderr);
    let va: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "VA001")
        .collect();
    assert_eq!(va.len(), 1, "{va:?}");
    assert_eq!(va[0]["object"]["name"], "big");
    assert_eq!(va[0]["severity"], "high");
    let message = va[0]["message"].as_str().unwrap();
    assert!(
        message.contains("replica-limit") && message.contains("at most 5 replicas"),
        "{message}"
    );
    let why = not_evaluated(&v, "VA001");
    assert!(
        why.iter()
            .any(|r| r.contains("'by-params'") && r.contains("ReplicaLimit")),
        "{why:?}"
    );

    let mut old = support::spec_from_yaml(("1", "29"), POLICIES);
    // A 1.29 server does not serve the v1 policies: Palisade must not even ask.
    old.objects
        .retain(|path, _| !path.contains("validatingadmissionpolic"));
    let server = support::start(old).await;
    let kubeconfig = server.kubeconfig.clone();
    let out = tokio::task::spawn_blocking(move || run_cluster(kubeconfig, &[]))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout).expect(&stderr);
    assert!(!codes(&v).iter().any(|c| c.starts_with("VA001")));
    let why = not_evaluated(&v, "VA001");
    assert!(why.iter().any(|r| r.contains("1.30")), "{why:?}");
}
