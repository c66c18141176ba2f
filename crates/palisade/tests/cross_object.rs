//! Cross-object rules through the binary: namespaces and Pod Security Admission, PodSecurityPolicy
//! by version, the Kubernetes Dashboard, and "not evaluated" in every output format.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::prelude::*;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn corpus(repo: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/real-world")
        .join(repo);
    p.is_dir().then_some(p)
}

fn scan_json(args: &[&str], path: &Path) -> Value {
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
}

fn codes(v: &Value) -> Vec<String> {
    let mut c: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    c.sort();
    c
}

fn not_evaluated(v: &Value) -> Vec<String> {
    v["summary"]["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_owned())
        .collect()
}

const DEPLOYMENT: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n\
spec:\n  template:\n    spec:\n      automountServiceAccountToken: false\n      containers:\n      \
- name: web\n        image: nginx:1.27\n";

const NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    \
pod-security.kubernetes.io/enforce: restricted\n    pod-security.kubernetes.io/enforce-version: v1.30\n";

/// A workload whose Namespace is not in the scan: PS164 is not evaluated, and every format says
/// so. With the Namespace in another file, PS164 reports the workload instead.
#[test]
fn not_evaluated_in_every_format_and_resolved_across_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), DEPLOYMENT).unwrap();
    let select = ["--select", "PS160,PS164"];

    let v = scan_json(&select, dir.path());
    assert_eq!(codes(&v), Vec::<String>::new());
    assert_eq!(not_evaluated(&v), ["PS164"]);
    let reason = v["summary"]["not_evaluated"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("namespace \"shop\" with no Namespace object in the scanned files"),
        "{reason}"
    );
    assert_eq!(
        v["summary"]["not_evaluated"][0]["rule"],
        "workload-rejected-by-pod-security"
    );

    let text = palisade()
        .args(["scan", "--no-config"])
        .args(select)
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("Not evaluated: 1 rule (missing data, which is not a pass):"),
        "{text}"
    );
    assert!(
        text.contains(
            "  PS164 workload-rejected-by-pod-security  1 workload in namespace \"shop\""
        ),
        "{text}"
    );

    let sarif = palisade()
        .args(["scan", "--no-config", "--format", "sarif"])
        .args(select)
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = notes
        .iter()
        .map(|n| n["associatedRule"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["PS164"]);
    assert!(notes.iter().all(|n| n["level"] == "note"));

    // The Namespace in a second file: evaluated, and the pod template fails restricted:v1.30.
    std::fs::write(dir.path().join("ns.yaml"), NAMESPACE).unwrap();
    let v = scan_json(&select, dir.path());
    assert_eq!(codes(&v), ["PS164"]);
    assert_eq!(not_evaluated(&v), Vec::<String>::new());
    let f = &v["findings"][0];
    assert!(f["file"].as_str().unwrap().ends_with("web.yaml"));
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains("Namespace \"shop\" enforces Pod Security restricted:v1.30"));
}

#[test]
fn the_dashboards_own_manifests() {
    let Some(dir) = corpus("kubernetes__dashboard") else {
        eprintln!("skipped: no corpus");
        return;
    };
    let v = scan_json(&["--select", "RB203,RB25,NP34"], &dir);
    // Three Dashboard Deployments (recommended, alternative, the local test build); the
    // alternative one enables insecure login; none binds cluster-admin or exposes the UI.
    assert_eq!(codes(&v), ["RB252", "RB253", "RB253", "RB253"]);
    assert_eq!(not_evaluated(&v), Vec::<String>::new());
}

#[test]
fn the_guides_psp_examples_by_version() {
    let Some(dir) = corpus("freach__kubernetes-security-best-practice") else {
        eprintln!("skipped: no corpus");
        return;
    };
    let v = scan_json(&["--select", "PS17", "--kubernetes-version", "1.24"], &dir);
    let c = codes(&v);
    assert_eq!(c.iter().filter(|c| *c == "PS170").count(), 1, "{c:?}");
    assert_eq!(c.iter().filter(|c| *c == "PS171").count(), 3, "{c:?}");
    // The default/privileged pair is complete: PS177 is quiet and was evaluated.
    assert!(!c.contains(&"PS177".to_owned()), "{c:?}");
    assert_eq!(not_evaluated(&v), Vec::<String>::new());
    let privileged = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "PS170")
        .unwrap();
    assert_eq!(privileged["object"]["name"], "privileged");
    // From 1.25 each of the three policies is reported as removed, and nothing else.
    let v = scan_json(&["--select", "PS17"], &dir);
    assert_eq!(codes(&v), ["PS178", "PS178", "PS178"]);
}
