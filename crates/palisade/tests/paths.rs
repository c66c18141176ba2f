//! `palisade paths` as a user sees it: the chain of issue 16 step by step, exit codes (0 a path,
//! 1 none, 2 input or usage error), JSON steps with their evidence, dot and Mermaid; and the AP
//! findings of `scan` with their SARIF code flows.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn palisade() -> Command {
    let mut c = Command::cargo_bin("palisade").expect("binary built");
    c.env("NO_COLOR", "1");
    c
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// SA build/ci may create pods in build (no Pod Security label), a privileged pod owns its
/// node, DaemonSet kube-system/agent mounts the token of agent, bound to cluster-admin.
const CHAIN: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: build
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ci, namespace: build}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ci-deploy, namespace: build}
roleRef: {kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: ServiceAccount, name: ci, namespace: build}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: agent, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: agent-admin}
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
subjects:
- {kind: ServiceAccount, name: agent, namespace: kube-system}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      serviceAccountName: agent
      containers:
      - {name: agent, image: example/agent:1}
";

#[test]
fn the_chain_step_by_step_and_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "chain.yaml", CHAIN);
    let out = palisade()
        .args(["paths", "--from", "sa:build/ci", "--to", "cluster-admin"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("sa:build/ci → cluster-admin (4 steps)\n"),
        "{text}"
    );
    assert!(
        text.contains("chain.yaml:15:3"),
        "the RoleBinding's subject: {text}"
    );
    assert!(text.contains("may create pods in"), "{text}");
    assert!(
        text.contains("reads from the kubelet's pod volumes the token of"),
        "{text}"
    );
    // baseline on the namespace: no path, exit 1.
    let fixed = CHAIN.replace(
        "  name: build\n",
        "  name: build\n  labels: {pod-security.kubernetes.io/enforce: baseline}\n",
    );
    let f = write(dir.path(), "chain.yaml", &fixed);
    let out = palisade()
        .args(["paths", "--from", "sa:build/ci"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no attack path found"));
}

#[test]
fn json_steps_carry_their_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "chain.yaml", CHAIN);
    let out = palisade()
        .args(["paths", "--format", "json", "--to", "cluster-admin"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths = v["paths"].as_array().unwrap();
    // Only ci's path: agent is an administrator already, nobody else has a right.
    assert_eq!(paths.len(), 1, "{v:#}");
    assert_eq!(paths[0]["source"], "sa:build/ci");
    assert_eq!(paths[0]["goal"], "cluster-admin");
    let steps = paths[0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(steps[0]["subject"], "ServiceAccount \"build/ci\"");
    assert_eq!(steps[0]["action"], "may create pods in");
    assert_eq!(steps[0]["evidence"]["line"], 15);
    assert!(steps[0]["evidence"]["file"]
        .as_str()
        .unwrap()
        .ends_with("chain.yaml"));
    assert_eq!(
        steps[0]["evidence"]["cut"],
        "RoleBinding \"build/ci-deploy\""
    );
    assert_eq!(steps[3]["target"], "cluster-admin");
    assert_eq!(v["cuts"][0]["paths"], 1);
}

#[test]
fn dot_and_mermaid_draw_the_edges_of_the_paths() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "chain.yaml", CHAIN);
    let dot = palisade()
        .args([
            "paths",
            "--from",
            "sa:build/ci",
            "--to",
            "cluster-admin",
            "--format",
            "dot",
        ])
        .arg(&f)
        .output()
        .unwrap();
    let dot = String::from_utf8(dot.stdout).unwrap();
    assert!(dot.starts_with("digraph attack_paths {"), "{dot}");
    assert_eq!(dot.matches(" -> ").count(), 4, "{dot}");
    assert!(
        dot.contains("[label=\"ServiceAccount \\\"build/ci\\\"\"]"),
        "{dot}"
    );
    let mermaid = palisade()
        .args([
            "paths",
            "--from",
            "sa:build/ci",
            "--to",
            "cluster-admin",
            "--format",
            "mermaid",
        ])
        .arg(&f)
        .output()
        .unwrap();
    let mermaid = String::from_utf8(mermaid.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert_eq!(mermaid.matches(" -->|").count(), 4, "{mermaid}");
    assert!(mermaid.contains("#quot;build/ci#quot;"), "{mermaid}");
}

#[test]
fn bad_questions_and_bad_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "chain.yaml", CHAIN);
    for args in [
        ["--from", "sa:nonamespace"],
        ["--from", "cluster-admin"],
        ["--to", "sa:build/ci"],
        ["--from", "robot:x"],
    ] {
        let out = palisade().arg("paths").args(args).arg(&f).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let broken = write(dir.path(), "broken.yaml", "kind: [unclosed\n");
    let out = palisade()
        .args(["paths"])
        .arg(&f)
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));
    let out = palisade()
        .args(["paths"])
        .arg(dir.path().join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_reports_the_chain_as_one_finding_with_a_sarif_code_flow() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "chain.yaml", CHAIN);
    let out = palisade()
        .args(["scan", "--format", "sarif", "--select", "AP"])
        .arg(&f)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    let ap801: Vec<&Value> = results.iter().filter(|r| r["ruleId"] == "AP801").collect();
    assert_eq!(ap801.len(), 1, "{results:#?}");
    let steps = ap801[0]["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 4);
    assert_eq!(
        steps[0]["location"]["physicalLocation"]["region"]["startLine"],
        15
    );
    assert!(steps[0]["location"]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("may create pods in"));
    // JSON carries the same steps.
    let out = palisade()
        .args(["scan", "--format", "json", "--select", "AP801"])
        .arg(&f)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let flow = v["findings"][0]["flow"].as_array().unwrap();
    assert_eq!(flow.len(), 4);
    assert_eq!(flow[3]["line"], 26, "the ClusterRoleBinding's subject");
}
