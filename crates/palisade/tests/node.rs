//! `palisade node` end to end: exit codes, formats, and the benchmark report.

use std::path::PathBuf;

use assert_cmd::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../palisade-node/tests/fixtures")
        .join(name)
}

fn palisade() -> Command {
    Command::cargo_bin("palisade").unwrap()
}

#[test]
fn insecure_node_fails_and_names_the_flag() {
    let out = palisade()
        .args(["node", "--color", "never", "--root"])
        .arg(fixture("kubeadm-1.24-insecure"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("CP501 apiserver-authorization-mode"),
        "{text}"
    );
    assert!(
        text.contains("/etc/kubernetes/manifests/kube-apiserver.yaml:"),
        "{text}"
    );
}

#[test]
fn findings_as_json_and_sarif() {
    for format in ["json", "sarif"] {
        let out = palisade()
            .args(["node", "--format", format, "--root"])
            .arg(fixture("kubeadm-1.24-insecure"))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(v.is_object(), "{format}");
    }
}

#[test]
fn benchmark_formats_list_every_item() {
    let out = palisade()
        .args(["node", "--benchmark", "cis", "--format", "json", "--root"])
        .arg(fixture("worker-flags-only"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), palisade_node::cis::ITEMS.len());
    let item = |id: &str| items.iter().find(|i| i["id"] == id).unwrap().clone();
    // A worker has no control plane: its items are not evaluated, never passed.
    assert_eq!(item("1.2.6")["status"], "NOT EVALUATED");
    assert_eq!(item("4.2.1")["status"], "PASS");
    // The unit file is 644 as git stores it: CIS 4.1.1 fails, and the run exits 1.
    assert_eq!(item("4.1.1")["status"], "FAIL");
    assert_eq!(out.status.code(), Some(1));

    let out = palisade()
        .args(["node", "--benchmark", "cis", "--format", "junit", "--root"])
        .arg(fixture("kubeadm-1.29-default"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert_eq!(
        xml.matches("<testcase ").count(),
        palisade_node::cis::ITEMS.len()
    );
    assert!(xml.contains("<failure"));
}

#[test]
fn usage_errors_exit_2() {
    palisade()
        .args(["node", "--root", "/no/such/dir"])
        .assert()
        .code(2);
    palisade()
        .args(["node", "--benchmark", "cis", "--format", "sarif", "--root"])
        .arg(fixture("garbage"))
        .assert()
        .code(2);
    palisade()
        .args(["node", "--kubernetes-version", "x.y", "--root"])
        .arg(fixture("garbage"))
        .assert()
        .code(2);
}

#[test]
fn node_rules_are_in_the_catalogue() {
    let out = palisade().args(["explain", "KL601"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("kubelet-anonymous-auth"));
}

/// A FIFO where a config file belongs must not hang the audit (opening a FIFO blocks until a
/// writer appears): it is reported as not a regular file, and the rest is audited.
#[test]
fn special_files_do_not_hang_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("node");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture("kubeadm-1.29-default"))
        .arg(&root)
        .status()
        .unwrap();
    assert!(copy.success());
    let config = root.join("var/lib/kubelet/config.yaml");
    std::fs::remove_file(&config).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&config)
        .status()
        .unwrap();
    assert!(made.success());
    let out = palisade()
        .args(["node", "--format", "json", "--root"])
        .arg(&root)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a report, not a hang");
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("config.yaml: is not a regular file")),
        "{errors:?}"
    );
    assert!(
        v["summary"]["counts"]["critical"].as_u64().unwrap() > 0,
        "the rest is audited"
    );
}
