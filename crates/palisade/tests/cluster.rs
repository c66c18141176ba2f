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
    // The saved inventory holds objects, not the live probe of the API server.
    let live_objects: Vec<String> = codes(&live)
        .into_iter()
        .filter(|c| !c.starts_with("EX701"))
        .collect();
    assert_eq!(codes(&offline), live_objects);
    assert_eq!(offline["summary"]["kubernetes_version"], "v1.33");
}
