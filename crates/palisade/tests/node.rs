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

/// A manifest that does not parse: exit 2, the file and line on stderr, and the rest of the node
/// still audited and reported.
#[test]
fn unparsable_manifest_exits_2_and_reports_the_rest() {
    let out = palisade()
        .args(["node", "--no-config", "--format", "json", "--root"])
        .arg(fixture("garbage"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("/etc/kubernetes/manifests/kube-apiserver.yaml:1:"),
        "{err}"
    );
    assert!(err.contains("/var/lib/kubelet/config.yaml:1:"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_object());
}

fn config_file(dir: &std::path::Path, text: &str) -> PathBuf {
    let p = dir.join("palisade.yaml");
    std::fs::write(&p, text).unwrap();
    p
}

fn codes(out: &std::process::Output) -> Vec<(String, bool)> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["suppressed"] == true,
            )
        })
        .collect()
}

/// `--select`/`--ignore` and palisade.yaml exemptions apply to node findings as to `scan`'s.
#[test]
fn selection_and_exemptions_apply_to_node_findings() {
    let root = fixture("kubeadm-1.24-insecure");
    let all = palisade()
        .args(["node", "--no-config", "--format", "json", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let all = codes(&all);
    assert!(all.iter().any(|(c, _)| c == "CP501"));
    assert!(all.iter().any(|(c, _)| c.starts_with("KL")));

    let out = palisade()
        .args(["node", "--no-config", "--format", "json", "--select", "CP5"])
        .args(["--ignore", "apiserver-authorization-mode", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let some = codes(&out);
    assert!(!some.is_empty());
    assert!(some
        .iter()
        .all(|(c, _)| c.starts_with("CP5") && c != "CP501"));

    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        dir.path(),
        "exemptions:\n- codes: [CP501]\n  kind: kube-apiserver\n  reason: lab cluster\n\
         - codes: [KL6]\n  name: not-a-node-object\n  reason: matches nothing\n",
    );
    let out = palisade()
        .args(["node", "--format", "json", "--config"])
        .arg(&cfg)
        .arg("--root")
        .arg(&root)
        .output()
        .unwrap();
    let exempted = codes(&out);
    assert!(exempted.iter().any(|(c, s)| c == "CP501" && *s));
    assert!(exempted.iter().all(|(c, s)| c == "CP501" || !*s));

    let out = palisade()
        .args(["node", "--no-config", "--select", "PS101", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no node rule matches `PS101`"));
}

/// A file the audit may not read (permission denied: the run is under an unprivileged uid, as
/// root reads everything) makes the items that need it NOT EVALUATED with the reason, never
/// PASS, and is not an input error.
#[test]
fn permission_denied_is_not_evaluated() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("palisade-perm")
        .tempdir()
        .unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let unit = root.join("etc/systemd/system");
    std::fs::create_dir_all(&unit).unwrap();
    for d in [
        "etc",
        "etc/systemd",
        "etc/systemd/system",
        "var",
        "var/lib",
        "var/lib/kubelet",
    ] {
        std::fs::create_dir_all(root.join(d)).unwrap();
        std::fs::set_permissions(root.join(d), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        unit.join("kubelet.service"),
        "[Service]\nExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml\n",
    )
    .unwrap();
    std::fs::set_permissions(
        unit.join("kubelet.service"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let cfg = root.join("var/lib/kubelet/config.yaml");
    std::fs::write(&cfg, "kind: KubeletConfiguration\nreadOnlyPort: 0\n").unwrap();
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o600)).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("palisade");
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(&bin)
        .args([
            "node",
            "--no-config",
            "--benchmark",
            "cis",
            "--format",
            "json",
        ])
        .arg("--root")
        .arg(root)
        .output()
        .expect("setpriv (util-linux) runs the audit as an unprivileged user");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let item = |id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    // 4.2.4 (read-only port) lives in the unreadable config file.
    let ro = item("4.2.4");
    assert_eq!(ro["status"], "NOT EVALUATED", "{ro}");
    assert!(
        ro["evidence"][0]
            .as_str()
            .unwrap()
            .contains("/var/lib/kubelet/config.yaml: permission denied"),
        "{ro}"
    );
}
