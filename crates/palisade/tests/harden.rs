//! `palisade harden` end to end: the directory and stream outputs, the bundle read back by
//! `palisade scan`, saved inventories, `--check` and bad input.

#[path = "../../palisade-cluster/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{json, Value};

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Unsuppressed finding codes of a JSON scan, and the codes of rules it could not evaluate.
fn scan_codes_and_not_evaluated(paths: &[&Path]) -> (Vec<String>, Vec<String>) {
    let out = palisade()
        .arg("scan")
        .args(paths)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] != Value::Bool(true))
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    let not_evaluated = v["summary"]["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_owned())
        .collect();
    (codes, not_evaluated)
}

#[test]
fn directory_bundle_scans_clean_of_what_it_claims() {
    let out = tempfile::tempdir().unwrap();
    let examples = repo().join("examples");
    let run = palisade()
        .args(["harden", "--out"])
        .arg(out.path())
        .arg(&examples)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        report.contains("Proof (inventory → inventory + bundle"),
        "{report}"
    );
    assert!(report.contains("0 would break, 0 leak"), "{report}");
    // Every file kustomization.yaml names exists, and node settings are beside them.
    let kustomization = std::fs::read_to_string(out.path().join("kustomization.yaml")).unwrap();
    for line in kustomization.lines().filter_map(|l| l.strip_prefix("- ")) {
        assert!(out.path().join(line).is_file(), "{line} listed but missing");
    }
    assert!(out.path().join("node/kube-apiserver.flags").is_file());
    let saved = std::fs::read_to_string(out.path().join("palisade-report.txt")).unwrap();
    assert!(report.starts_with(&saved), "{saved}\n---\n{report}");
    let key = std::fs::read_to_string(out.path().join("node/encryption-config.yaml")).unwrap();
    assert!(!key.contains("REPLACE"), "a real key is generated: {key}");
    // The ordinary scan of workloads + bundle no longer reports what the bundle claims.
    let (before, before_unknown) = scan_codes_and_not_evaluated(&[&examples]);
    let (after, after_unknown) = scan_codes_and_not_evaluated(&[&examples, out.path()]);
    assert!(before.iter().any(|c| c == "RB202"), "before: {before:?}");
    // The examples hold neither Namespace objects nor policies of the insecure app's namespace:
    // whether it has a default deny is unknown until the bundle adds both.
    for code in ["NP301", "NP302", "NP305"] {
        assert!(
            before_unknown.iter().any(|c| c == code),
            "{code} before: {before_unknown:?}"
        );
        assert!(
            !after_unknown.iter().any(|c| c == code),
            "{code} after: {after_unknown:?}"
        );
    }
    // (The examples hold no Namespace objects: PS160/PS162 speak only once the bundle adds them.
    // The bundle's `default` ServiceAccount replaces the example's own, as applying both would.)
    for code in [
        "NP301", "NP302", "NP303", "PS160", "PS162", "PS164", "RB202",
    ] {
        assert!(!after.iter().any(|c| c == code), "{code} after: {after:?}");
    }
}

#[test]
fn stream_reads_back_and_report_goes_to_stderr() {
    let run = palisade()
        .arg("harden")
        .arg(repo().join("examples/insecure-app"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stderr).contains("palisade harden:"));
    let scan = palisade()
        .args(["scan", "-", "--format", "json"])
        .write_stdin(run.stdout)
        .output()
        .unwrap();
    assert_ne!(
        scan.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&scan.stderr)
    );
    let v: Value = serde_json::from_slice(&scan.stdout).unwrap();
    assert!(
        v["summary"]["problems"]
            .as_array()
            .is_none_or(|p| p.is_empty()),
        "{v}"
    );
}

#[test]
fn saved_inventory_before_1_25_gets_the_psp_pair() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let inventory = json!({
        "apiVersion": "palisade.dev/v1alpha1",
        "kind": "Inventory",
        "source": "test",
        "serverVersion": "v1.24.17",
        "items": [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "web", "namespace": "shop"},
             "spec": {"selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}}
        ]
    });
    std::fs::write(&path, inventory.to_string()).unwrap();
    let run = palisade()
        .args(["harden", "--inventory"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stream = String::from_utf8_lossy(&run.stdout);
    assert!(stream.contains("for Kubernetes v1.24"), "{stream}");
    assert!(stream.contains("kind: PodSecurityPolicy"), "{stream}");
    assert!(stream.contains("name: privileged-psp-nodes"), "{stream}");
    assert!(
        stream.contains("pod-security.kubernetes.io/enforce: baseline"),
        "{stream}"
    );
}

#[test]
fn check_passes_on_the_examples() {
    let run = palisade()
        .args(["harden", "--check"])
        .arg(repo().join("examples"))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("breaks no running workload"));
}

#[test]
fn bad_input_exits_2_without_a_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "apiVersion: v1\nkind: Pod\nmetadata: [oops\n").unwrap();
    let run = palisade().arg("harden").arg(&broken).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("broken.yaml:"), "{err}");

    let run = palisade().arg("harden").output().unwrap();
    assert_eq!(run.status.code(), Some(2));
    let run = palisade()
        .args(["harden", "--kubernetes-version", "one.two"])
        .arg(repo().join("examples"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

/// `--cluster` reads the loopback API server with the real client, and the target version comes
/// from the cluster.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_cluster_bundle() {
    const CLUSTER: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n\
        spec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      \
        labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        \
        image: nginx:1.27\n";
    let server = support::start(support::spec_from_yaml(("1", "31"), CLUSTER)).await;
    let kubeconfig = server.kubeconfig.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("palisade")
            .unwrap()
            .args(["harden", "--cluster", "--kubeconfig"])
            .arg(&kubeconfig)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stream = String::from_utf8_lossy(&out.stdout);
    assert!(stream.contains("for Kubernetes v1.31"), "{stream}");
    assert!(
        stream.contains("pod-security.kubernetes.io/enforce: baseline"),
        "{stream}"
    );
    assert!(
        stream.contains("name: palisade-default-deny-egress"),
        "{stream}"
    );
    assert!(stderr.contains("0 would break, 0 leak"), "{stderr}");
}

/// `--out` writes node/ as a 0700 directory of 0600 files (the encryption configuration holds the
/// key), the key is 32 bytes of base64, and a second run into the same directory narrows a node/
/// someone opened up and replaces the files, never writing through a symlink.
#[test]
fn out_writes_key_material_private() {
    use base64::Engine as _;
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let out = tempfile::tempdir().unwrap();
    let examples = repo().join("examples/insecure-app");
    let run = || {
        palisade()
            .args(["harden", "--out"])
            .arg(out.path())
            .arg(&examples)
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let node = out.path().join("node");
    let check = || {
        assert_eq!(mode(&node), 0o700);
        let mut names = Vec::new();
        for e in std::fs::read_dir(&node).unwrap() {
            let e = e.unwrap();
            assert_eq!(mode(&e.path()), 0o600, "{:?}", e.file_name());
            names.push(e.file_name());
        }
        assert!(
            names.iter().any(|n| n == "encryption-config.yaml"),
            "{names:?}"
        );
        let config = std::fs::read_to_string(node.join("encryption-config.yaml")).unwrap();
        let secret = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("secret: "))
            .expect("a secret line");
        let key = base64::engine::general_purpose::STANDARD
            .decode(secret)
            .unwrap();
        assert_eq!(key.len(), 32, "{secret}");
        key
    };
    let key1 = check();
    std::fs::set_permissions(&node, std::fs::Permissions::from_mode(0o755)).unwrap();
    let decoy = out.path().join("decoy");
    std::fs::write(&decoy, "decoy").unwrap();
    let target = node.join("encryption-config.yaml");
    std::fs::remove_file(&target).unwrap();
    std::os::unix::fs::symlink(&decoy, &target).unwrap();
    let second = run();
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let key2 = check();
    assert_ne!(key1, key2, "a fresh key each run");
    assert_eq!(std::fs::read_to_string(&decoy).unwrap(), "decoy");

    // A node/ that is a symlink is refused: the key would land wherever it points.
    let elsewhere = tempfile::tempdir().unwrap();
    let out2 = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), out2.path().join("node")).unwrap();
    let run = palisade()
        .args(["harden", "--out"])
        .arg(out2.path())
        .arg(&examples)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
}

/// The stream (stdout: terminals, CI logs, files of any mode) carries no key, only the
/// placeholder.
#[test]
fn stream_carries_no_key() {
    let run = palisade()
        .arg("harden")
        .arg(repo().join("examples/insecure-app"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let text = String::from_utf8_lossy(&run.stdout);
    let secret = text
        .lines()
        .find_map(|l| l.split_once("secret: ").map(|(_, s)| s))
        .expect("the encryption configuration is in the stream");
    assert_eq!(secret, palisade_harden::node::KEY_PLACEHOLDER);
}

/// Names the API server would reject, in fields the bundle copies, exit 2 naming file, line and
/// field, with no bundle; so does every generator flag with a hostile value.
#[test]
fn hostile_names_and_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (doc, field) in [
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: \"x\\nkind: ClusterRoleBinding\"\nspec:\n  containers: [{name: c, image: nginx}]\n",
            "/metadata/namespace",
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: \"shop: {}\"\n",
            "/metadata/name",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"1db\"\nspec:\n  selector: {app: db}\n  ports: [{port: 5432}]\n",
            "/metadata/name",
        ),
        (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: \"web\\n    hostNetwork: true\"}\n    spec:\n      containers: [{name: c, image: nginx}]\n",
            "/spec/template/metadata/labels/app",
        ),
        (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: db\nspec:\n  selector: {\"app: x\": db}\n  ports: [{port: 5432, targetPort: \"pg\\nx\"}]\n",
            "/spec/selector/app: x",
        ),
        (
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  serviceAccountName: \"a/b\"\n  containers: [{name: c, image: nginx}]\n",
            "/spec/serviceAccountName",
        ),
    ] {
        let file = dir.path().join("hostile.yaml");
        std::fs::write(&file, doc).unwrap();
        let run = palisade().arg("harden").arg(&file).output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{doc}\n{err}");
        assert!(run.stdout.is_empty(), "{doc}");
        assert!(err.contains("hostile.yaml:") && err.contains(field), "{field}: {err}");
    }
    let examples = repo().join("examples/insecure-app");
    for flag in [
        vec!["--kubernetes-version", "1.30\nkind: ClusterRoleBinding"],
        vec!["--max-file-size", "1\nx: y"],
        vec!["--request-timeout", "x: y"],
    ] {
        let run = palisade()
            .arg("harden")
            .args(&flag)
            .arg(&examples)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{flag:?}");
        assert!(run.stdout.is_empty(), "{flag:?}");
    }
}
