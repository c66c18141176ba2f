//! `palisade rbac can-i` / `who-can` as a user and a script see them: answers, explanations
//! with file:line, exit codes, JSON, bad input; and the RBAC rules in `palisade scan`.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

const RBAC: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-exec, namespace: shop}
rules:
- apiGroups: [""]
  resources: [pods/exec]
  verbs: [create]
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [db]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debuggers, namespace: shop}
roleRef: {kind: Role, name: pod-exec, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: User, name: jane}
- {kind: Group, name: "system:serviceaccounts:shop"}
"#;

const CLUSTER: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dashboard-admin}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: ServiceAccount, name: kubernetes-dashboard, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics}
rules:
- {nonResourceURLs: ["/metrics", "/debug/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: metrics}
roleRef: {kind: ClusterRole, name: metrics, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: Group, name: "system:authenticated"}
"#;

fn fixture() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rbac.yaml"), RBAC).unwrap();
    std::fs::write(dir.path().join("cluster.yaml"), CLUSTER).unwrap();
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    let p = dir.path().to_path_buf();
    (dir, p)
}

fn run(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let out = palisade().args(args).arg(dir).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn can_i_yes_names_binding_role_and_rule_lines() {
    let (_t, dir) = fixture();
    let (code, out, err) = run(
        &[
            "rbac",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "shop",
            "--as",
            "jane",
        ],
        &dir,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("yes\n"), "{out}");
    assert!(
        out.contains("User \"jane\" of RoleBinding \"shop/debuggers\" at ")
            && out.contains("rbac.yaml:18")
            && out
                .contains("Role \"shop/pod-exec\", rule `create pods/exec in API group core` at ")
            && out.contains("rbac.yaml:5"),
        "{out}"
    );
}

#[test]
fn can_i_no_exits_one() {
    let (_t, dir) = fixture();
    for args in [
        // Other namespace: the RoleBinding is scoped to shop.
        &[
            "rbac",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "prod",
            "--as",
            "jane",
        ][..],
        // pods is not pods/exec.
        &[
            "rbac", "can-i", "create", "pods", "-n", "shop", "--as", "jane",
        ],
        // resourceNames: only the named Secret.
        &[
            "rbac", "can-i", "get", "secrets", "other", "-n", "shop", "--as", "jane",
        ],
        &[
            "rbac", "can-i", "list", "secrets", "-n", "shop", "--as", "jane",
        ],
        &[
            "rbac",
            "can-i",
            "get",
            "/metrics",
            "--as",
            "system:anonymous",
        ],
    ] {
        let (code, out, err) = run(args, &dir);
        assert_eq!(code, Some(1), "{args:?}: {out}{err}");
        assert!(out.starts_with("no\n"), "{out}");
    }
    let (code, out, _) = run(
        &[
            "rbac", "can-i", "get", "secrets", "db", "-n", "shop", "--as", "jane",
        ],
        &dir,
    );
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn service_accounts_get_their_implicit_groups() {
    let (_t, dir) = fixture();
    let sa = "system:serviceaccount:shop:builder";
    let (code, out, _) = run(
        &[
            "rbac",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "shop",
            "--as",
            sa,
        ],
        &dir,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("Group \"system:serviceaccounts:shop\""),
        "{out}"
    );
    // Every authenticated user may read /metrics; anonymous users may not.
    let (code, out, _) = run(&["rbac", "can-i", "get", "/debug/pprof", "--as", sa], &dir);
    assert_eq!(code, Some(0), "{out}");
    let (code, _, _) = run(
        &[
            "rbac",
            "can-i",
            "get",
            "/metrics",
            "--as",
            "nobody",
            "--as-group",
            "x",
        ],
        &dir,
    );
    assert_eq!(code, Some(0));
}

#[test]
fn cluster_admin_and_system_masters() {
    let (_t, dir) = fixture();
    let (code, out, _) = run(
        &[
            "rbac",
            "can-i",
            "delete",
            "nodes",
            "--as",
            "system:serviceaccount:kube-system:kubernetes-dashboard",
        ],
        &dir,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("ClusterRole \"cluster-admin\"") && out.contains("<built-in>"),
        "{out}"
    );
    let (code, out, _) = run(
        &[
            "rbac",
            "can-i",
            "delete",
            "nodes",
            "--as",
            "root",
            "--as-group",
            "system:masters",
        ],
        &dir,
    );
    assert_eq!(code, Some(0));
    assert!(out.contains("system:masters"), "{out}");
}

#[test]
fn can_i_json() {
    let (_t, dir) = fixture();
    let out = palisade()
        .args([
            "rbac",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "shop",
            "--as",
            "jane",
            "--format",
            "json",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["allowed"], true);
    assert_eq!(v["request"]["subresource"], "exec");
    assert_eq!(v["grant"]["binding"]["name"], "debuggers");
    assert_eq!(v["grant"]["role"]["name"], "pod-exec");
    assert_eq!(v["grant"]["rule"]["index"], 0);
    assert!(v["grant"]["rule"]["location"]
        .as_str()
        .unwrap()
        .ends_with("rbac.yaml:5"));
    assert_eq!(
        v["user"]["groups"],
        serde_json::json!(["system:authenticated"])
    );
}

#[test]
fn who_can_lists_subjects_with_bindings() {
    let (_t, dir) = fixture();
    let (code, out, err) = run(
        &["rbac", "who-can", "create", "pods/exec", "-n", "shop"],
        &dir,
    );
    assert_eq!(code, Some(0), "{err}");
    for want in [
        "system:masters",
        "User \"jane\"",
        "Group \"system:serviceaccounts:shop\"",
        "ServiceAccount \"kube-system/kubernetes-dashboard\"",
    ] {
        assert!(out.contains(want), "{want} missing:\n{out}");
    }
    let out = palisade()
        .args(["rbac", "who-can", "get", "/metrics", "-f", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let subjects: Vec<&str> = v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subject"]["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec![
            "ServiceAccount \"kube-system/kubernetes-dashboard\"",
            "Group \"system:authenticated\""
        ]
    );
}

#[test]
fn short_names_and_groups_resolve_like_discovery() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: d}\nrules:\n- {apiGroups: [apps], resources: [deployments/scale], verbs: [update]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: d}\nroleRef: {kind: ClusterRole, name: d, apiGroup: rbac.authorization.k8s.io}\nsubjects: [{kind: User, name: ci}]\n",
    )
    .unwrap();
    for resource in [
        "deploy/scale",
        "deployments/scale",
        "deployments.apps/scale",
    ] {
        let (code, out, _) = run(
            &["rbac", "can-i", "update", resource, "--as", "ci"],
            dir.path(),
        );
        assert_eq!(code, Some(0), "{resource}: {out}");
    }
    let (code, _, _) = run(
        &[
            "rbac",
            "can-i",
            "update",
            "deployments.extensions/scale",
            "--as",
            "ci",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(1));
}

#[test]
fn usage_and_input_errors_exit_two() {
    let (_t, dir) = fixture();
    // --as is required.
    let (code, _, _) = run(&["rbac", "can-i", "get", "pods"], &dir);
    assert_eq!(code, Some(2));
    let (code, _, err) = run(&["rbac", "can-i", "get", "pods/exec/x", "--as", "a"], &dir);
    assert_eq!(code, Some(2), "{err}");
    let (code, _, err) = run(
        &["rbac", "can-i", "get", "/healthz", "name", "--as", "a"],
        &dir,
    );
    assert_eq!(code, Some(2), "{err}");
    let out = palisade()
        .args([
            "rbac",
            "can-i",
            "get",
            "pods",
            "--as",
            "a",
            "does-not-exist.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file"));
    // A broken RBAC document is reported with its position; the answer is still given.
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "rbac",
            "can-i",
            "create",
            "pods/exec",
            "-n",
            "shop",
            "--as",
            "jane",
        ],
        &dir,
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(out.starts_with("yes"), "{out}");
    assert!(err.contains("broken.yaml:"), "{err}");
}

#[test]
fn reads_stdin() {
    let out = palisade()
        .args([
            "rbac", "can-i", "get", "secrets", "db", "-n", "shop", "--as", "jane", "-",
        ])
        .write_stdin(RBAC)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("<stdin>:"));
}

#[test]
fn scan_reports_rbac_rules_across_files() {
    let (_t, dir) = fixture();
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for want in ["RB210", "RB212", "RB217"] {
        assert!(codes.contains(&want), "{want} missing: {codes:?}");
    }
    assert_eq!(out.status.code(), Some(1));
}

/// RBAC objects whose API group the text does not spell literally (an escape in a
/// double-quoted `apiVersion`) are read: the prefilter parses any document it cannot rule out.
#[test]
fn escaped_api_groups_are_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("rbac.yaml"),
        "apiVersion: \"rbac.authorization.k8s\\x2eio/v1\"\nkind: RoleBinding\n\
         metadata: {name: view, namespace: shop}\n\
         roleRef: {apiGroup: \"rbac.authorization.k8s\\x2eio\", kind: ClusterRole, name: view}\n\
         subjects: [{kind: User, name: jane}]\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "rbac", "can-i", "list", "pods", "-n", "shop", "--as", "jane",
        ],
        dir.path(),
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("yes"), "{out}");
}
