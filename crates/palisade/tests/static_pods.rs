//! Control-plane static pod manifests scanned as files get the node audit's CP rules, as
//! `palisade node` gives them on the node and `palisade cluster` on mirror pods.

use assert_cmd::Command;
use serde_json::Value;

fn apiserver(authorization: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  namespace: kube-system\n\
         spec:\n  hostNetwork: true\n  containers:\n  - name: kube-apiserver\n    \
         image: registry.k8s.io/kube-apiserver:v1.33.1\n    command:\n    - kube-apiserver\n    \
         - --authorization-mode={authorization}\n    - --anonymous-auth=false\n"
    )
}

fn scan(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kube-apiserver.yaml"), text).unwrap();
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .current_dir(dir.path())
        .args([
            "scan",
            "--no-config",
            "-f",
            "json",
            "--select",
            "CP",
            "kube-apiserver.yaml",
        ])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn always_allow_in_a_static_pod_manifest_is_reported_in_the_file() {
    let v = scan(&apiserver("AlwaysAllow"));
    let cp501: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "CP501")
        .collect();
    assert!(!cp501.is_empty(), "{v:#}");
    let f = cp501[0];
    assert_eq!(f["file"], "kube-apiserver.yaml");
    assert_eq!(f["line"], 13, "{f:#}");
    assert_eq!(f["object"]["kind"], "Pod");
    assert_eq!(f["object"]["name"], "kube-apiserver");
    assert!(f["message"].as_str().unwrap().contains("AlwaysAllow"));
    assert!(v["summary"]["kubernetes_version"].is_string());

    // The hardened twin: Node and RBAC authorizers.
    let v = scan(&apiserver("Node,RBAC"));
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "CP501"),
        "{v:#}"
    );
}

#[test]
fn ordinary_pods_get_no_node_rules() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n    command: [nginx, -g, daemon off;]\n";
    let v = scan(pod);
    assert!(v["findings"].as_array().unwrap().is_empty(), "{v:#}");
}
