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

/// Nothing found is not a pass: exit 2 naming where the audit looked, in every format, with no
/// report saying "Passed".
#[test]
fn no_component_found_exits_2_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("etc/kubernetes")).unwrap();
    let runs: Vec<Vec<&str>> = ["text", "json", "sarif", "junit", "html"]
        .iter()
        .map(|f| vec!["--format", f])
        .chain(
            ["text", "json", "junit"]
                .iter()
                .map(|f| vec!["--benchmark", "cis", "--format", f]),
        )
        .collect();
    for args in runs {
        let out = palisade()
            .args(["node", "--no-config"])
            .args(&args)
            .arg("--root")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "error: no Kubernetes component found on this node (looked in \
                 /etc/kubernetes/manifests under {}",
                dir.path().display()
            )) && stderr.contains("/etc/rancher/k3s")
                && stderr.contains("kubelet, kube-proxy, etcd")
                && stderr.contains("no processes"),
            "{args:?}: {stderr}"
        );
        assert!(
            !stdout.contains("Passed") && !stdout.contains("PASS"),
            "{args:?}: {stdout}"
        );
    }
}

fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Kills and reaps the impostor however the test ends.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A process in its own mount namespace (as a container's are) calling itself `kubelet`, with
/// flags that would pass the kubelet's checks, and a binary that leaves a marker when asked
/// `--version`: `palisade node` on the live /proc must neither run that binary nor take its
/// flags as the kubelet's, and must say it ignored it.
#[test]
fn impostor_in_its_own_mount_namespace_is_neither_run_nor_believed() {
    if effective_uid() != Some(0) {
        eprintln!("skipped: the impostor test needs root (unshare --mount, reading /proc/PID/ns)");
        return;
    }
    let can_unshare = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can_unshare {
        eprintln!("skipped: `unshare --mount` is not available here");
        return;
    }
    // A directory only root may write to: the binary is refused for its mount namespace alone.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let marker = dir.path().join("version-was-asked");
    let source = dir.path().join("fake.rs");
    std::fs::write(
        &source,
        format!(
            "fn main() {{\n\
             if std::env::args().any(|a| a == \"--version\") {{\n\
             std::fs::write({:?}, \"ran\").unwrap();\n\
             println!(\"Kubernetes v1.20.0\");\n\
             return;\n\
             }}\n\
             std::thread::sleep(std::time::Duration::from_secs(600));\n\
             }}\n",
            marker
        ),
    )
    .unwrap();
    let fake = dir.path().join("kubelet-impostor");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let built = std::process::Command::new(&rustc)
        .arg("-o")
        .arg(&fake)
        .arg(&source)
        .status()
        .expect("rustc builds the impostor's binary");
    assert!(built.success());

    let child = std::process::Command::new("unshare")
        .args(["--mount", "--propagation", "private", "--", "bash", "-c"])
        .arg("exec -a kubelet \"$0\" \"$@\"")
        .arg(&fake)
        .args([
            "--anonymous-auth=false",
            "--authorization-mode=Webhook",
            "--read-only-port=0",
        ])
        .stdin(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let impostor = Reap(child);
    let pid = impostor.0.id();
    // unshare and bash exec in place: the impostor keeps this PID. Wait until it calls itself
    // kubelet (a bounded wait for the exec, not a timing assertion).
    let cmdline = format!("/proc/{pid}/cmdline");
    let mut started = false;
    for _ in 0..1000 {
        if std::fs::read(&cmdline).is_ok_and(|c| c.starts_with(b"kubelet\0")) {
            started = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(started, "the impostor did not start");
    let note = format!(
        "process {pid} calls itself kubelet but runs in a container that is not a static pod: \
         ignored"
    );

    // The machine itself: binaries may be run here, but not this one.
    let out = palisade()
        .args(["node", "--no-config", "--format", "json"])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !marker.exists(),
        "the impostor's binary was executed: {all}"
    );
    assert!(all.contains(&note), "{all}");
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) {
        let findings = v["findings"].to_string();
        assert!(!findings.contains(&format!("process {pid}")), "{findings}");
    }

    // A node whose kubelet unit leaves anonymous access on: the impostor's
    // `--anonymous-auth=false` does not turn that FAIL into a PASS.
    let root = tempfile::tempdir().unwrap();
    let unit = root.path().join("etc/systemd/system/kubelet.service");
    std::fs::create_dir_all(unit.parent().unwrap()).unwrap();
    std::fs::write(
        &unit,
        "[Service]\nExecStart=/usr/bin/kubelet --anonymous-auth=true --authorization-mode=AlwaysAllow\n",
    )
    .unwrap();
    let out = palisade()
        .args([
            "node",
            "--no-config",
            "--format",
            "json",
            "--proc",
            "/proc",
            "--root",
        ])
        .arg(root.path())
        .output()
        .unwrap();
    assert!(!marker.exists());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let errors = v["errors"].to_string();
    assert_eq!(errors.matches(&note).count(), 1, "{errors}");
    let findings = v["findings"].as_array().unwrap();
    let anonymous = findings
        .iter()
        .find(|f| f["code"] == "KL601")
        .unwrap_or_else(|| panic!("KL601 not reported: {findings:#?}"));
    assert!(
        anonymous
            .to_string()
            .contains("/etc/systemd/system/kubelet.service"),
        "{anonymous}"
    );
    assert!(
        !v["findings"]
            .to_string()
            .contains(&format!("process {pid}")),
        "{findings:#?}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    drop(impostor);
    assert!(
        !std::path::Path::new(&cmdline).exists() || {
            // The PID may be reused by now; it is no longer the impostor.
            !std::fs::read(&cmdline).is_ok_and(|c| c.starts_with(b"kubelet\0"))
        }
    );
}
