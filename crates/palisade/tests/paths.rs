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
        ["--per-pair", "0"],
        ["--node-report", "/nonexistent/node.json"],
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

/// Two namespaces admit privileged pods and ci may create pods in both: two shortest paths of
/// the same length; one is shown with a note, both with `--per-pair 2`.
#[test]
fn several_shortest_paths_per_pair_with_a_note_when_more_exist() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = node_chain()
        .replace("kind: RoleBinding", "kind: ClusterRoleBinding")
        .replace(
            "metadata: {name: ci-deploy, namespace: build}",
            "metadata: {name: ci-deploy}",
        )
        + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: test}\n";
    let f = write(dir.path(), "two.yaml", &yaml);
    let ask = ["--from", "sa:build/ci", "--to", "node", "--format", "json"];
    let run = |extra: &[&str]| {
        let (code, text) = paths(&[&ask[..], extra].concat(), &[&f]);
        assert_eq!(code, Some(0), "{text}");
        serde_json::from_str::<Value>(&text).unwrap()
    };
    let one = run(&[]);
    assert_eq!(one["paths"].as_array().unwrap().len(), 1, "{one}");
    assert!(one["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("1 source/goal pair(s) have more shortest paths than the 1 shown"));
    let two = run(&["--per-pair", "5"]);
    let via: Vec<&str> = two["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["steps"][0]["target"].as_str().unwrap())
        .collect();
    // The first is the one shown alone; kube-system has no Namespace object (not evaluated).
    assert_eq!(
        via,
        [
            one["paths"][0]["steps"][0]["target"].as_str().unwrap(),
            "namespace \"test\" (a pod of its choosing)"
        ],
        "{two}"
    );
    assert_eq!(two["notes"].as_array().unwrap().len(), 0, "{two}");
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

// ---------------------------------------------------------------------------------------------
// Node-level edges from the reports `palisade node` and `palisade probe` write, on the node
// audit's fixtures (copied and edited where a setting must differ) and fake services.

#[path = "../../palisade-probe/tests/support/mod.rs"]
mod probe_support;

/// [`CHAIN`] without its DaemonSet: SA build/ci owns a node, and no workload mounts the token of
/// kube-system/agent (bound to cluster-admin): only a node's kubelet credentials could reach it.
fn node_chain() -> String {
    let (before, _) = CHAIN
        .split_once("---\napiVersion: apps/v1\nkind: DaemonSet")
        .expect("CHAIN has a DaemonSet");
    before.to_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// `palisade node --format json` on the node audit's fixture `name`, with `edits` (old, new)
/// applied to its API server manifest first; the report's path.
fn node_report(dir: &Path, name: &str, edits: &[(&str, &str)]) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../palisade-node/tests/fixtures")
        .join(name);
    let root = dir.join(format!("root-{name}-{}", edits.len()));
    copy_tree(&fixture, &root);
    let manifest = root.join("etc/kubernetes/manifests/kube-apiserver.yaml");
    for (old, new) in edits {
        let text = std::fs::read_to_string(&manifest).unwrap();
        assert!(text.contains(old), "{old} not in {}", manifest.display());
        std::fs::write(&manifest, text.replace(old, new)).unwrap();
    }
    let out = palisade()
        .args(["node", "--format", "json", "--root"])
        .arg(&root)
        .output()
        .unwrap();
    let report = dir.join(format!("node-{name}-{}.json", edits.len()));
    std::fs::write(&report, &out.stdout).unwrap();
    report
}

/// `palisade paths` with `args`: exit code and stdout.
fn paths(args: &[&str], extra: &[&Path]) -> (Option<i32>, String) {
    let out = palisade()
        .arg("paths")
        .args(args)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

const NO_NODE_RESTRICTION: (&str, &str) = (
    "--enable-admission-plugins=NodeRestriction",
    "--enable-admission-plugins=PodSecurity",
);
const NO_NODE_AUTHORIZER: (&str, &str) = (
    "--authorization-mode=Node,RBAC",
    "--authorization-mode=RBAC",
);

#[test]
fn without_node_restriction_a_node_acts_as_every_service_account() {
    let dir = tempfile::tempdir().unwrap();
    let chain = write(dir.path(), "chain.yaml", &node_chain());
    let ask = ["--from", "sa:build/ci", "--to", "cluster-admin"];
    // No node audit: the edge is not assumed, and the output says what was not evaluated.
    let (code, text) = paths(&ask, &[&chain]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "not evaluated: node-level edges (a kubelet's credentials beyond its own pods"
        ),
        "{text}"
    );
    // kubeadm's defaults (Node,RBAC and NodeRestriction): no path, and nothing unknown.
    let default = node_report(dir.path(), "kubeadm-1.29-default", &[]);
    let (code, text) = paths(
        &[&ask[..], &["--node-report", default.to_str().unwrap()]].concat(),
        &[&chain],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("not evaluated: node-level"), "{text}");
    assert!(!text.contains("beyond its node's pods"), "{text}");
    // NodeRestriction removed: the node's kubelet credentials reach ops, bound to cluster-admin.
    let off = node_report(dir.path(), "kubeadm-1.29-default", &[NO_NODE_RESTRICTION]);
    let (code, text) = paths(
        &[
            &ask[..],
            &["--node-report", off.to_str().unwrap(), "--format", "json"],
        ]
        .concat(),
        &[&chain],
    );
    assert_eq!(code, Some(0), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let steps = v["paths"][0]["steps"].as_array().unwrap();
    let targets: Vec<&str> = steps
        .iter()
        .map(|s| s["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "namespace \"build\" (a pod of its choosing)",
            "a node (root)",
            "every ServiceAccount of namespace \"kube-system\"",
            "ServiceAccount \"kube-system/agent\"",
            "cluster-admin"
        ],
        "{text}"
    );
    let ev = &steps[2]["evidence"];
    assert!(
        ev["text"].as_str().unwrap().starts_with(
            "CP509 kube-apiserver does not enable NodeRestriction (--enable-admission-plugins=PodSecurity"
        ),
        "{ev}"
    );
    assert_eq!(ev["file"], "/etc/kubernetes/manifests/kube-apiserver.yaml");
    assert_eq!(ev["line"], 17);
    assert_eq!(
        ev["cut"],
        "the API server's --enable-admission-plugins (add NodeRestriction)"
    );
    // A worker node's audit cannot tell: not evaluated, with the audit's reason.
    let worker = node_report(dir.path(), "worker-flags-only", &[]);
    let (code, text) = paths(
        &[&ask[..], &["--node-report", worker.to_str().unwrap()]].concat(),
        &[&chain],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "not evaluated: a kubelet's credentials beyond its node's pods (NodeRestriction, Node \
             authorizer): "
        ),
        "{text}"
    );
    assert!(
        text.contains("not evaluated: no kube-apiserver on this node"),
        "{text}"
    );
    // The same through `scan`: an AP801 finding with the node audit's step, only with it.
    let scan = |extra: &[&str]| {
        let out = palisade()
            .args(["scan", "--select", "AP801", "--format", "json"])
            .args(extra)
            .arg(&chain)
            .output()
            .unwrap();
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let v = scan(&[]);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{v}");
    let ne = v["summary"]["not_evaluated"].to_string();
    assert!(ne.contains("no node audit or probe report given"), "{ne}");
    let v = scan(&["--node-report", off.to_str().unwrap()]);
    let f = &v["findings"][0];
    assert_eq!(f["code"], "AP801", "{v}");
    assert!(
        f["flow"]
            .to_string()
            .contains("CP509 kube-apiserver does not enable NodeRestriction"),
        "{f}"
    );
}

#[test]
fn without_the_node_authorizer_only_rbac_grants_to_system_nodes_count() {
    let dir = tempfile::tempdir().unwrap();
    let chain = write(dir.path(), "chain.yaml", &node_chain());
    let ask = [
        "--from",
        "sa:build/ci",
        "--to",
        "cluster-admin",
        "--node-report",
    ];
    // RBAC alone, NodeRestriction off too: the Node authorizer hands out no token, so no path.
    let rbac_only = node_report(
        dir.path(),
        "kubeadm-1.29-default",
        &[NO_NODE_AUTHORIZER, NO_NODE_RESTRICTION],
    );
    let (code, text) = paths(
        &[&ask[..], &[rbac_only.to_str().unwrap()]].concat(),
        &[&chain],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("not evaluated: a kubelet"), "{text}");
    // What the input grants system:nodes is what the kubelet's credentials get.
    let granted = format!(
        "{}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: node-tokens}}
rules:
- {{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: node-tokens}}
roleRef: {{kind: ClusterRole, name: node-tokens, apiGroup: rbac.authorization.k8s.io}}
subjects:
- {{kind: Group, name: system:nodes, apiGroup: rbac.authorization.k8s.io}}
",
        node_chain()
    );
    let granted = write(dir.path(), "granted.yaml", &granted);
    let (code, text) = paths(
        &[&ask[..], &[rbac_only.to_str().unwrap()]].concat(),
        &[&granted],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("a node (root) → holds the kubelet's credentials, which are in → Group \"system:nodes\""),
        "{text}"
    );
    assert!(
        text.contains("ClusterRoleBinding \"node-tokens\""),
        "{text}"
    );
}

#[test]
fn an_anonymous_kubelet_that_allows_everything_owns_its_node() {
    let dir = tempfile::tempdir().unwrap();
    let chain = write(dir.path(), "chain.yaml", &node_chain());
    let ask = ["--from", "anonymous", "--to", "node", "--node-report"];
    // anonymous-auth=true and authorization-mode=AlwaysAllow (KL601, KL602).
    let insecure = node_report(dir.path(), "kubeadm-1.24-insecure", &[]);
    let (code, text) = paths(
        &[&ask[..], &[insecure.to_str().unwrap()]].concat(),
        &[&chain],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("anonymous → node (1 step)"), "{text}");
    assert!(
        text.contains("KL601 kubelet accepts anonymous requests (anonymous-auth=true (/var/lib/kubelet/config.yaml:4)); and KL602 kubelet allows every request"),
        "{text}"
    );
    // Anonymous requests, but authorized by the API server (Webhook): no edge.
    let rke2 = node_report(dir.path(), "rke2-server", &[]);
    let (code, text) = paths(&[&ask[..], &[rke2.to_str().unwrap()]].concat(), &[&chain]);
    assert_eq!(code, Some(1), "{text}");
    // Hardened: neither.
    let hardened = node_report(dir.path(), "kubeadm-1.33-hardened", &[]);
    let (code, text) = paths(
        &[&ask[..], &[hardened.to_str().unwrap()]].concat(),
        &[&chain],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(!text.contains("a kubelet serving anonymous"), "{text}");
    // The same insecure API server authorizes with AlwaysAllow: every authenticated identity,
    // ServiceAccounts included, is cluster-admin.
    let (code, text) = paths(
        &[
            "--from",
            "sa:build/ci",
            "--to",
            "cluster-admin",
            "--node-report",
            insecure.to_str().unwrap(),
        ],
        &[&chain],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.starts_with("sa:build/ci → cluster-admin (2 steps)"),
        "{text}"
    );
    assert!(
        text.contains("CP501 kube-apiserver allows every authenticated request"),
        "{text}"
    );
    // `scan` reports it although no object of the input is on the path: at the API server's
    // flag, from the node audit.
    let out = palisade()
        .args([
            "scan",
            "--select",
            "AP801",
            "--format",
            "json",
            "--node-report",
        ])
        .arg(&insecure)
        .arg(&chain)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let at: Vec<(String, i64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        at.contains(&(
            "/etc/kubernetes/manifests/kube-apiserver.yaml".to_owned(),
            35
        )),
        "{v}"
    );
}

/// `palisade probe --format json` against `ports` (`role=port,…`) on `host`: the report's path.
async fn probe_report(dir: &Path, name: &str, host: &str, ports: String) -> PathBuf {
    let args = vec![
        "probe".to_owned(),
        "--no-config".to_owned(),
        host.to_owned(),
        "--ports".to_owned(),
        ports,
        "--timeout".to_owned(),
        "1.5".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("palisade")
            .unwrap()
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = dir.join(name);
    std::fs::write(&report, &out.stdout).unwrap();
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_answers_without_credentials_are_steps_from_the_internet() {
    use probe_support::*;
    let dir = tempfile::tempdir().unwrap();
    // system:unauthenticated may create pods in build, which admits privileged pods.
    let open = format!(
        "{}---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: anyone, namespace: build}}
roleRef: {{kind: ClusterRole, name: edit, apiGroup: rbac.authorization.k8s.io}}
subjects:
- {{kind: Group, name: system:unauthenticated, apiGroup: rbac.authorization.k8s.io}}
",
        node_chain()
    );
    let chain = write(dir.path(), "chain.yaml", &open);
    let kubelet = https(ip(161), kubelet_anonymous(), false);
    let closed_kubelet = https(ip(162), kubelet_authenticated(), false);
    let api = https(ip(163), apiserver(false), false);
    let mut reports = Vec::new();
    for (at, role, name) in [
        (kubelet, "kubelet", "kubelet.json"),
        (closed_kubelet, "kubelet", "shut.json"),
        (api, "apiserver", "api.json"),
    ] {
        let (host, ports) = (at.ip().to_string(), format!("{role}={}", at.port()));
        reports.push(probe_report(dir.path(), name, &host, ports).await);
    }
    let [open_kubelet, shut_kubelet, anonymous_api] = reports.try_into().unwrap();
    let run = |args: Vec<String>| {
        let chain = chain.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                paths(&args, &[&chain])
            })
            .await
            .unwrap()
        }
    };
    let ask = |report: &Path| {
        vec![
            "--from".to_owned(),
            "internet".to_owned(),
            "--to".to_owned(),
            "node".to_owned(),
            "--probe-report".to_owned(),
            report.display().to_string(),
        ]
    };
    // The kubelet answered /pods without credentials: the internet owns the node in one step.
    let (code, text) = run(ask(&open_kubelet)).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("internet → node (1 step)"), "{text}");
    assert!(
        text.contains(&format!(
            "EX702 the kubelet API on {kubelet} answers without credentials"
        )),
        "{text}"
    );
    // 401 to everything: no edge.
    let (code, text) = run(ask(&shut_kubelet)).await;
    assert_eq!(code, Some(1), "{text}");
    // The API server answers anonymous requests: system:unauthenticated's grants are open to
    // the internet (create pods in build, privileged pods admitted).
    let (code, text) = run(ask(&anonymous_api)).await;
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("internet → node (4 steps)"), "{text}");
    assert!(
        text.contains("the internet → sends requests without credentials to the API server"),
        "{text}"
    );
    // Without a probe report the internet has no way in.
    let (code, text) = run(vec![
        "--from".to_owned(),
        "internet".to_owned(),
        "--to".to_owned(),
        "node".to_owned(),
    ])
    .await;
    assert_eq!(code, Some(1), "{text}");
}
