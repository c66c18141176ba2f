//! Attack paths (`palisade_rules::paths`, AP801/AP802): each edge with a case that creates it and
//! one that does not, the chains of issue 16, and kubernetes-goat's scenarios. The graph is built
//! from what the AP rules keep (as a scan builds it), so a field `keep` forgets fails here.

mod workload_support;

use std::sync::Arc;

use palisade_core::{keep_all, KubeVersion, Settings};
use palisade_rules::paths::{self, AttackGraph, Limits, Vertex, VertexSpec, Workloads};
use workload_support::*;

const G: &str = "apiGroup: rbac.authorization.k8s.io";

fn crb(name: &str, role: &str, subjects: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\nroleRef: {{kind: ClusterRole, name: {role}, {G}}}\nsubjects:\n{subjects}---\n"
    )
}

fn rb(ns: &str, name: &str, kind: &str, role: &str, subjects: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\nroleRef: {{kind: {kind}, name: {role}, {G}}}\nsubjects:\n{subjects}---\n"
    )
}

fn cluster_role(name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules:\n{rules}---\n"
    )
}

fn role(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\nrules:\n{rules}---\n"
    )
}

fn namespace(name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n---\n"
    )
}

fn service_account(ns: &str, name: &str, extra: &str) -> String {
    format!("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n{extra}---\n")
}

/// A workload of `kind` (Pod, Deployment, DaemonSet) whose pod spec is `spec` (YAML lines at
/// the pod spec's indentation, 2 spaces).
fn workload(kind: &str, ns: &str, name: &str, labels: &str, spec: &str) -> String {
    let indent = |s: &str, n: usize| {
        s.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(n)))
            .collect::<String>()
    };
    if kind == "Pod" {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\nspec:\n{}---\n",
            indent(spec, 2)
        )
    } else {
        format!(
            "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector: {{matchLabels: {{{labels}}}}}\n  template:\n    metadata:\n      labels: {{{labels}}}\n    spec:\n{}---\n",
            indent(spec, 6)
        )
    }
}

const PRIVILEGED: &str =
    "containers:\n- name: c\n  image: x\n  securityContext: {privileged: true}";
const PLAIN: &str = "containers:\n- {name: c, image: x}";

/// The graph a scan builds at `version`: from what the AP rules keep of the objects.
fn graph_at(yaml: &str, version: KubeVersion, identities: &[Vertex]) -> AttackGraph {
    let objects = objects(yaml);
    let inventory = rule("AP801")
        .inventory()
        .expect("AP801 is an inventory rule");
    let kept: Vec<Arc<palisade_core::Object>> = keep_all(inventory, &objects);
    AttackGraph::with_identities(kept, version, identities, Workloads::All)
}

fn graph(yaml: &str) -> AttackGraph {
    graph_at(yaml, KubeVersion::LATEST, &[])
}

/// The shortest path from `from` to `to` as `(subject, action, target)` display strings.
fn path_in(model: &AttackGraph, from: &str, to: &str) -> Option<Vec<(String, String, String)>> {
    let g = &model.graph;
    let sources = paths::parse_vertex(from).unwrap().resolve(g);
    let goals = paths::parse_vertex(to).unwrap().resolve(g);
    let found = paths::search(g, &sources, &goals, Limits::default());
    let p = found.paths.first()?;
    Some(
        p.edges
            .iter()
            .map(|&e| {
                let edge = g.edge(e);
                (
                    g.get(edge.from).spec(),
                    edge.action.to_owned(),
                    g.get(edge.to).spec(),
                )
            })
            .collect(),
    )
}

fn path(yaml: &str, from: &str, to: &str) -> Option<Vec<(String, String, String)>> {
    let identities: Vec<Vertex> = match paths::parse_vertex(from).unwrap() {
        VertexSpec::Exact(v) => vec![v],
        VertexSpec::Workload { .. } => vec![],
    };
    path_in(&graph_at(yaml, KubeVersion::LATEST, &identities), from, to)
}

/// The vertices (as `--from`/`--to` spell them) of the shortest path.
fn hops(yaml: &str, from: &str, to: &str) -> Option<Vec<String>> {
    path(yaml, from, to).map(|steps| {
        let mut v = vec![steps[0].0.clone()];
        v.extend(steps.into_iter().map(|s| s.2));
        v
    })
}

// ---------------------------------------------------------------------------------------------
// The chain of the issue.

/// SA build/ci may create pods in build (no enforce label), a privileged pod owns its node, the
/// DaemonSet kube-system/agent runs on every node with the token of agent, bound to
/// cluster-admin.
fn chain(build_labels: &str, daemonset_extra: &str) -> String {
    [
        namespace("build", build_labels),
        service_account("build", "ci", ""),
        rb(
            "build",
            "ci-deploy",
            "ClusterRole",
            "edit",
            "- {kind: ServiceAccount, name: ci, namespace: build}\n",
        ),
        service_account("kube-system", "agent", ""),
        crb(
            "agent-admin",
            "cluster-admin",
            "- {kind: ServiceAccount, name: agent, namespace: kube-system}\n",
        ),
        workload(
            "DaemonSet",
            "kube-system",
            "agent",
            "app: agent",
            &format!("serviceAccountName: agent\n{daemonset_extra}{PLAIN}"),
        ),
    ]
    .concat()
}

#[test]
fn the_chain_of_the_issue_is_one_path_of_four_steps() {
    let steps = path(&chain("", ""), "sa:build/ci", "cluster-admin").expect("a path");
    let hops: Vec<&str> = steps.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        hops,
        [
            "namespace \"build\" (a pod of its choosing)",
            "node",
            "sa:kube-system/agent",
            "cluster-admin"
        ],
        "{steps:#?}"
    );
    assert_eq!(steps[0].1, "may create pods in");
}

#[test]
fn enforcing_baseline_on_the_namespace_removes_the_path() {
    let yaml = chain("pod-security.kubernetes.io/enforce: baseline", "");
    assert_eq!(path(&yaml, "sa:build/ci", "cluster-admin"), None);
    assert_eq!(path(&yaml, "sa:build/ci", "node"), None);
    // `privileged` as a label keeps it.
    let yaml = chain("pod-security.kubernetes.io/enforce: privileged", "");
    assert!(path(&yaml, "sa:build/ci", "cluster-admin").is_some());
}

#[test]
fn no_automount_on_the_daemonset_removes_the_last_step() {
    let yaml = chain("", "automountServiceAccountToken: false\n");
    assert_eq!(path(&yaml, "sa:build/ci", "cluster-admin"), None);
    // The node is still reached.
    assert!(path(&yaml, "sa:build/ci", "node").is_some());
}

#[test]
fn the_chain_is_one_finding_with_its_steps_at_the_weakest_link() {
    let findings = check_all("AP801", &chain("", ""));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(pointer(f), "/subjects/0");
    assert!(
        f.message
            .contains("ServiceAccount \"build/ci\" reaches cluster-admin in 4 step(s)"),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains("Changing RoleBinding \"build/ci-deploy\" cuts 1 of 1"),
        "{}",
        f.message
    );
    let flow = f.flow.as_deref().expect("steps");
    assert_eq!(flow.len(), 4);
    // Every step but the namespace's (a file) cites a file and line.
    for step in flow {
        assert!(
            step.location.as_ref().and_then(|l| l.pos()).is_some(),
            "{step:?}"
        );
    }
    // The agent is an administrator: not a source of its own.
    assert!(!f.message.contains("reaches cluster-admin in 1 step"));
    // With baseline enforced: nothing.
    assert!(check_all(
        "AP801",
        &chain("pod-security.kubernetes.io/enforce: baseline", "")
    )
    .is_empty());
}

#[test]
fn a_namespace_without_its_object_is_not_evaluated_never_assumed() {
    let yaml = [rb(
        "build",
        "ci-deploy",
        "ClusterRole",
        "edit",
        "- {kind: ServiceAccount, name: ci, namespace: build}\n",
    )]
    .concat();
    assert_eq!(path(&yaml, "sa:build/ci", "node"), None);
    let reason = not_evaluated("AP802", &yaml).expect("said");
    assert!(
        reason.contains(
            "namespace \"build\": pods may be created there, but without its Namespace object"
        ),
        "{reason}"
    );
    // Where nobody may create pods, the level does not matter and is not mentioned; only the
    // node-level edges, which no input of a scan without a node audit decides, are.
    let quiet = workload("Pod", "build", "p", "a: b", PLAIN);
    let reason = not_evaluated("AP802", &quiet).expect("node-level edges");
    assert!(!reason.contains("namespace \"build\""), "{reason}");
    assert!(reason.contains("no node audit"), "{reason}");
    // With the object and no label: privileged pods are admitted.
    let yaml = format!("{yaml}{}", namespace("build", ""));
    assert!(path(&yaml, "sa:build/ci", "node").is_some());
}

#[test]
fn before_pod_security_admission_the_level_is_not_evaluated() {
    let yaml = chain("", "");
    let old = graph_at(&yaml, KubeVersion::v1(22), &[]);
    assert_eq!(path_in(&old, "sa:build/ci", "node"), None);
    assert!(old
        .graph
        .unknowns
        .iter()
        .any(|u| u.contains("PodSecurityPolicy")));
}

// ---------------------------------------------------------------------------------------------
// kubernetes-goat. Minimal reproductions of the scenario facts, from
// github.com/madhuakula/kubernetes-goat: scenarios/hunger-check/deployment.yaml (scenario 16,
// "RBAC least privileges misconfiguration") and scenarios/system-monitor/deployment.yaml.

const GOAT_HUNGER_CHECK: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: big-monolith}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {namespace: big-monolith, name: secret-reader}
rules:
- apiGroups: [\"\"]
  resources: [\"*\"]
  verbs: [get, watch, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: secret-reader-binding, namespace: big-monolith}
subjects:
- kind: ServiceAccount
  name: big-monolith-sa
roleRef: {kind: Role, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: big-monolith-sa, namespace: big-monolith}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: hunger-check-deployment, namespace: big-monolith}
spec:
  selector: {matchLabels: {app: hunger-check}}
  template:
    metadata: {labels: {app: hunger-check}}
    spec:
      serviceAccountName: big-monolith-sa
      containers:
      - {name: hunger-check, image: madhuakula/k8s-goat-hunger-check, ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: hunger-check-service, namespace: big-monolith}
spec:
  ports: [{protocol: TCP, port: 8080, targetPort: 8080}]
  selector: {app: hunger-check}
";

const GOAT_SYSTEM_MONITOR: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: system-monitor-deployment}
spec:
  selector: {matchLabels: {app: system-monitor}}
  template:
    metadata: {labels: {app: system-monitor}}
    spec:
      hostPID: true
      hostIPC: true
      hostNetwork: true
      volumes:
      - name: host-filesystem
        hostPath: {path: /}
      containers:
      - name: system-monitor
        image: madhuakula/k8s-goat-system-monitor
        securityContext: {allowPrivilegeEscalation: true, privileged: true}
";

#[test]
fn goat_hunger_check_token_reads_every_secret_of_its_namespace() {
    let steps = path(
        GOAT_HUNGER_CHECK,
        "pod:big-monolith/hunger-check-deployment",
        "secrets:big-monolith",
    )
    .expect("a path");
    assert_eq!(
        steps,
        [
            (
                "pod:big-monolith/hunger-check-deployment".to_owned(),
                "holds the token of".to_owned(),
                "sa:big-monolith/big-monolith-sa".to_owned()
            ),
            (
                "sa:big-monolith/big-monolith-sa".to_owned(),
                "may list Secrets (with their data) in".to_owned(),
                "secrets:big-monolith".to_owned()
            ),
        ]
    );
    // The Service is ClusterIP: the internet does not reach it.
    assert_eq!(
        path(GOAT_HUNGER_CHECK, "internet", "secrets:big-monolith"),
        None
    );
}

#[test]
fn goat_system_monitor_reaches_its_node() {
    let steps = path(
        GOAT_SYSTEM_MONITOR,
        "pod:default/system-monitor-deployment",
        "node",
    )
    .expect("a path");
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].1, "escapes to");
    let model = graph(GOAT_SYSTEM_MONITOR);
    let g = &model.graph;
    let e = g
        .outgoing(
            g.find(&Vertex::Workload {
                namespace: "default".into(),
                kind: "Deployment".into(),
                name: "system-monitor-deployment".into(),
            })
            .unwrap(),
        )
        .iter()
        .copied()
        .find(|&e| g.edge(e).to == g.find(&Vertex::Node).unwrap())
        .unwrap();
    // The PSS engine's verdict is cited first: privileged.
    assert!(
        g.edge(e).evidence.text.contains("runs privileged"),
        "{:?}",
        g.edge(e).evidence
    );
}

// ---------------------------------------------------------------------------------------------
// Pod → node.

fn escapes(spec: &str) -> bool {
    path(&workload("Pod", "x", "p", "a: b", spec), "pod:x/p", "node").is_some()
}

#[test]
fn pods_that_escape_to_their_node() {
    assert!(escapes(PRIVILEGED));
    assert!(escapes("initContainers:\n- name: i\n  image: x\n  securityContext: {privileged: \"true\"}\ncontainers: []"));
    for cap in [
        "SYS_ADMIN",
        "CAP_SYS_MODULE",
        "sys_rawio",
        "DAC_READ_SEARCH",
        "ALL",
    ] {
        assert!(
            escapes(&format!("containers:\n- name: c\n  image: x\n  securityContext: {{capabilities: {{add: [{cap}]}}}}")),
            "{cap}"
        );
    }
    assert!(escapes("hostPID: true\ncontainers:\n- name: c\n  image: x\n  securityContext: {capabilities: {add: [SYS_PTRACE]}}"));
    for host in [
        "/",
        "/var/lib/kubelet",
        "/var/lib",
        "/etc",
        "/etc/kubernetes/pki/..",
        "/var/run/docker.sock",
        "/run/containerd/containerd.sock",
        "/var/run",
    ] {
        assert!(
            escapes(&format!(
                "volumes:\n- name: h\n  hostPath: {{path: {host}}}\n{PLAIN}"
            )),
            "{host}"
        );
    }
    assert!(escapes("securityContext: {windowsOptions: {hostProcess: true}}\nhostNetwork: true\ncontainers:\n- {name: c, image: x}"));
}

#[test]
fn pods_that_do_not_escape() {
    assert!(!escapes(PLAIN));
    assert!(!escapes(
        "containers:\n- name: c\n  image: x\n  securityContext: {privileged: false}"
    ));
    for cap in ["NET_ADMIN", "NET_RAW", "SYS_PTRACE", "CHOWN"] {
        assert!(
            !escapes(&format!("containers:\n- name: c\n  image: x\n  securityContext: {{capabilities: {{add: [{cap}]}}}}")),
            "{cap}"
        );
    }
    // Host namespaces alone: no file of the node, no other process's memory without SYS_PTRACE.
    assert!(!escapes(&format!(
        "hostPID: true\nhostIPC: true\nhostNetwork: true\n{PLAIN}"
    )));
    for host in [
        "/data",
        "/var/log/app",
        "/etc/ssl/certs",
        "/opt/cni/bin",
        "/var/lib/kubelet-plugins",
    ] {
        assert!(
            !escapes(&format!(
                "volumes:\n- name: h\n  hostPath: {{path: {host}}}\n{PLAIN}"
            )),
            "{host}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pod → token, node → DaemonSet tokens.

fn holds_token(spec: &str, account_extra: &str) -> bool {
    let yaml = format!(
        "{}{}",
        service_account("x", "app", account_extra),
        workload(
            "Pod",
            "x",
            "p",
            "a: b",
            &format!("serviceAccountName: app\n{spec}")
        )
    );
    path(&yaml, "pod:x/p", "sa:x/app").is_some()
}

#[test]
fn a_pod_holds_its_token_as_automount_decides() {
    assert!(holds_token(PLAIN, ""));
    assert!(!holds_token(
        &format!("automountServiceAccountToken: false\n{PLAIN}"),
        ""
    ));
    assert!(!holds_token(PLAIN, "automountServiceAccountToken: false\n"));
    // The pod's own setting wins.
    assert!(holds_token(
        &format!("automountServiceAccountToken: true\n{PLAIN}"),
        "automountServiceAccountToken: false\n"
    ));
    // A pod without serviceAccountName runs as default.
    let yaml = workload("Pod", "x", "p", "a: b", PLAIN);
    assert!(path(&yaml, "pod:x/p", "sa:x/default").is_some());
}

#[test]
fn a_node_holds_the_tokens_of_daemonsets_not_of_other_workloads() {
    let admin = crb(
        "a",
        "cluster-admin",
        "- {kind: ServiceAccount, name: app, namespace: x}\n",
    );
    let escape = workload("Pod", "y", "esc", "a: b", PRIVILEGED);
    for (kind, reached) in [("DaemonSet", true), ("Deployment", false)] {
        let yaml = format!(
            "{admin}{escape}{}",
            workload(
                kind,
                "x",
                "w",
                "a: w",
                &format!("serviceAccountName: app\n{PLAIN}")
            )
        );
        assert_eq!(
            path(&yaml, "pod:y/esc", "cluster-admin").is_some(),
            reached,
            "{kind}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// RBAC edges, each with a positive and a negative case.

const ALICE: &str = "- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}\n";
const BOB: &str = "- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}\n";

fn alice_with(rules: &str) -> String {
    format!("{}{}", cluster_role("r", rules), crb("alice-r", "r", ALICE))
}

#[test]
fn exec_gives_the_pods_token() {
    let target = format!(
        "{}{}",
        workload(
            "Pod",
            "x",
            "p",
            "a: b",
            &format!("serviceAccountName: app\n{PLAIN}")
        ),
        service_account("x", "app", "")
    );
    let yaml = format!(
        "{target}{}",
        alice_with("- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n")
    );
    assert_eq!(
        hops(&yaml, "user:alice", "secrets:x"),
        None,
        "the token of app reads nothing"
    );
    assert_eq!(
        hops(&yaml, "user:alice", "sa:x/app").unwrap(),
        [
            "user:alice",
            "the pods of namespace \"x\"",
            "pod:x/p",
            "sa:x/app"
        ]
    );
    let g = graph(&yaml);
    let alice = g.graph.find(&Vertex::User("alice".into())).unwrap();
    let exec = g.graph.find(&Vertex::ExecIn("x".into())).unwrap();
    assert!(g
        .graph
        .outgoing(alice)
        .iter()
        .any(|&e| g.graph.edge(e).to == exec));
    // get pods only: no edge.
    let yaml = format!(
        "{target}{}",
        alice_with("- {apiGroups: [\"\"], resources: [pods], verbs: [get, list]}\n")
    );
    let g = graph_at(&yaml, KubeVersion::LATEST, &[Vertex::User("alice".into())]);
    let alice = g.graph.find(&Vertex::User("alice".into())).unwrap();
    assert!(g.graph.outgoing(alice).is_empty());
    // exec into a privileged pod reaches the node.
    let yaml = format!(
        "{}{}",
        workload("Pod", "x", "p", "a: b", PRIVILEGED),
        alice_with("- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n")
    );
    assert_eq!(
        hops(&yaml, "user:alice", "node").unwrap(),
        [
            "user:alice",
            "the pods of namespace \"x\"",
            "pod:x/p",
            "node"
        ]
    );
}

#[test]
fn reading_secrets_reaches_the_goal_and_legacy_tokens_by_version() {
    let reader = alice_with("- {apiGroups: [\"\"], resources: [secrets], verbs: [list]}\n");
    let admin_sa = format!(
        "{}{}",
        service_account("x", "deployer", ""),
        crb(
            "d",
            "cluster-admin",
            "- {kind: ServiceAccount, name: deployer, namespace: x}\n"
        )
    );
    let yaml = format!("{reader}{admin_sa}");
    assert!(path(&yaml, "user:alice", "secrets:x").is_some());
    // Since 1.24 no token Secret exists unless the input has one.
    assert_eq!(path(&yaml, "user:alice", "cluster-admin"), None);
    let old = graph_at(&yaml, KubeVersion::v1(23), &[Vertex::User("alice".into())]);
    assert_eq!(
        path_in(&old, "user:alice", "cluster-admin").map(|s| s.len()),
        Some(3)
    );
    let token_secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: deployer-token\n  namespace: x\n  annotations: {kubernetes.io/service-account.name: deployer}\ntype: kubernetes.io/service-account-token\n---\n";
    let yaml = format!("{reader}{admin_sa}{token_secret}");
    assert_eq!(
        path(&yaml, "user:alice", "cluster-admin").map(|s| s.len()),
        Some(3)
    );
    // A get restricted to one name reads only that Secret: no edge.
    let yaml = alice_with(
        "- {apiGroups: [\"\"], resources: [secrets], resourceNames: [one], verbs: [get]}\n",
    );
    assert_eq!(
        path(&format!("{yaml}{admin_sa}"), "user:alice", "secrets:x"),
        None
    );
}

#[test]
fn token_requests_and_impersonation_of_service_accounts() {
    let admin_sa = format!(
        "{}{}",
        service_account("x", "deployer", ""),
        crb(
            "d",
            "cluster-admin",
            "- {kind: ServiceAccount, name: deployer, namespace: x}\n"
        )
    );
    for rules in [
        "- {apiGroups: [\"\"], resources: [serviceaccounts/token], verbs: [create]}\n",
        "- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [impersonate]}\n",
    ] {
        let yaml = format!("{admin_sa}{}", alice_with(rules));
        assert_eq!(
            hops(&yaml, "user:alice", "cluster-admin").unwrap(),
            [
                "user:alice",
                "every ServiceAccount of namespace \"x\"",
                "sa:x/deployer",
                "cluster-admin"
            ],
            "{rules}"
        );
    }
    let yaml = format!(
        "{admin_sa}{}",
        alice_with(
            "- {apiGroups: [\"\"], resources: [serviceaccounts], verbs: [get, list, create]}\n"
        )
    );
    assert_eq!(path(&yaml, "user:alice", "cluster-admin"), None);
}

#[test]
fn impersonation_chains() {
    let bob_admin = crb("b", "cluster-admin", BOB);
    // Any user.
    let yaml = format!(
        "{bob_admin}{}",
        alice_with("- {apiGroups: [\"\"], resources: [users], verbs: [impersonate]}\n")
    );
    let steps = path(&yaml, "user:alice", "cluster-admin").unwrap();
    assert_eq!(steps[0].1, "may impersonate");
    assert_eq!(steps[0].2, "user:bob");
    assert_eq!(steps.len(), 2);
    // By name.
    let yaml = format!("{bob_admin}{}", alice_with("- {apiGroups: [\"\"], resources: [users], resourceNames: [bob], verbs: [impersonate]}\n"));
    assert_eq!(
        hops(&yaml, "user:alice", "cluster-admin").unwrap(),
        ["user:alice", "user:bob", "cluster-admin"]
    );
    // Another name: nothing.
    let yaml = format!("{bob_admin}{}", alice_with("- {apiGroups: [\"\"], resources: [users], resourceNames: [carol], verbs: [impersonate]}\n"));
    assert_eq!(path(&yaml, "user:alice", "cluster-admin"), None);
    // system:masters.
    let yaml = alice_with("- {apiGroups: [\"\"], resources: [groups], verbs: [impersonate]}\n");
    assert_eq!(
        hops(&yaml, "user:alice", "cluster-admin").unwrap(),
        ["user:alice", "cluster-admin"]
    );
    let yaml = alice_with("- {apiGroups: [\"\"], resources: [groups], resourceNames: [developers], verbs: [impersonate]}\n");
    assert_eq!(path(&yaml, "user:alice", "cluster-admin"), None);
}

#[test]
fn bind_and_escalate_need_their_companion_right() {
    let g = "rbac.authorization.k8s.io";
    let bind = format!("- {{apiGroups: [{g}], resources: [clusterroles], verbs: [bind]}}\n");
    let create_crb =
        format!("- {{apiGroups: [{g}], resources: [clusterrolebindings], verbs: [create]}}\n");
    assert!(path(
        &alice_with(&format!("{bind}{create_crb}")),
        "user:alice",
        "cluster-admin"
    )
    .is_some());
    assert_eq!(
        path(&alice_with(&bind), "user:alice", "cluster-admin"),
        None
    );
    assert_eq!(
        path(&alice_with(&create_crb), "user:alice", "cluster-admin"),
        None
    );
    // bind limited to another role.
    let bind_view = format!(
        "- {{apiGroups: [{g}], resources: [clusterroles], resourceNames: [view], verbs: [bind]}}\n"
    );
    assert_eq!(
        path(
            &alice_with(&format!("{bind_view}{create_crb}")),
            "user:alice",
            "cluster-admin"
        ),
        None
    );
    // The two rights through two bindings of the same user still count.
    let yaml = format!(
        "{}{}{}{}",
        cluster_role("b1", &bind),
        cluster_role("b2", &create_crb),
        crb("x1", "b1", ALICE),
        crb("x2", "b2", ALICE)
    );
    assert!(path(&yaml, "user:alice", "cluster-admin").is_some());
    let escalate =
        format!("- {{apiGroups: [{g}], resources: [clusterroles], verbs: [escalate]}}\n");
    let update = format!("- {{apiGroups: [{g}], resources: [clusterroles], verbs: [update]}}\n");
    assert!(path(
        &alice_with(&format!("{escalate}{update}")),
        "user:alice",
        "cluster-admin"
    )
    .is_some());
    assert_eq!(
        path(&alice_with(&escalate), "user:alice", "cluster-admin"),
        None
    );
    assert_eq!(
        path(&alice_with(&update), "user:alice", "cluster-admin"),
        None
    );
    // In a namespace: bind admin with a RoleBinding gives the namespace's pods.
    let yaml = format!(
        "{}{}{}",
        namespace("x", ""),
        role("x", "binder", &format!("- {{apiGroups: [{g}], resources: [rolebindings], verbs: [create]}}\n- {{apiGroups: [{g}], resources: [clusterroles], verbs: [bind]}}\n")),
        rb("x", "binder", "Role", "binder", ALICE)
    );
    assert_eq!(
        hops(&yaml, "user:alice", "node").unwrap(),
        [
            "user:alice",
            "namespace \"x\" (a pod of its choosing)",
            "node"
        ]
    );
}

#[test]
fn nodes_proxy_csr_approval_and_webhooks() {
    assert!(path(
        &alice_with("- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n"),
        "user:alice",
        "node"
    )
    .is_some());
    assert_eq!(
        path(
            &alice_with("- {apiGroups: [\"\"], resources: [nodes], verbs: [get, list]}\n"),
            "user:alice",
            "node"
        ),
        None
    );
    let c = "certificates.k8s.io";
    let create = format!(
        "- {{apiGroups: [{c}], resources: [certificatesigningrequests], verbs: [create]}}\n"
    );
    let approve = format!("- {{apiGroups: [{c}], resources: [certificatesigningrequests/approval], verbs: [update]}}\n");
    let signer = format!("- {{apiGroups: [{c}], resources: [signers], resourceNames: [kubernetes.io/kube-apiserver-client], verbs: [approve]}}\n");
    assert!(path(
        &alice_with(&format!("{create}{approve}{signer}")),
        "user:alice",
        "cluster-admin"
    )
    .is_some());
    assert_eq!(
        path(
            &alice_with(&format!("{create}{approve}")),
            "user:alice",
            "cluster-admin"
        ),
        None
    );
    let other_signer = format!("- {{apiGroups: [{c}], resources: [signers], resourceNames: [example.com/x], verbs: [approve]}}\n");
    assert_eq!(
        path(
            &alice_with(&format!("{create}{approve}{other_signer}")),
            "user:alice",
            "cluster-admin"
        ),
        None
    );
    let a = "admissionregistration.k8s.io";
    let ns = namespace("x", "");
    let yaml = format!(
        "{ns}{}",
        alice_with(&format!(
            "- {{apiGroups: [{a}], resources: [mutatingwebhookconfigurations], verbs: [create]}}\n"
        ))
    );
    assert!(path(&yaml, "user:alice", "node").is_some());
    let yaml = format!("{ns}{}", alice_with(&format!("- {{apiGroups: [{a}], resources: [validatingwebhookconfigurations], verbs: [create]}}\n")));
    assert_eq!(path(&yaml, "user:alice", "node"), None);
}

#[test]
fn wildcard_grants_are_cluster_admin_only_cluster_wide() {
    let star = "- {apiGroups: [\"*\"], resources: [\"*\"], verbs: [\"*\"]}\n";
    let yaml = format!(
        "{}{}",
        cluster_role("all", star),
        crb("bob-all", "all", BOB)
    );
    let g = graph(&yaml);
    let bob = g.graph.find(&Vertex::User("bob".into())).unwrap();
    // An administrator: not a default source.
    assert!(!paths::default_sources(&g.graph).contains(&bob));
    // A wildcard Role in a namespace gives the namespace, not the cluster.
    let yaml = format!(
        "{}{}{}",
        namespace("x", "pod-security.kubernetes.io/enforce: restricted"),
        role("x", "all", star),
        rb("x", "bob-all", "Role", "all", BOB)
    );
    assert!(path(&yaml, "user:bob", "secrets:x").is_some());
    assert_eq!(path(&yaml, "user:bob", "cluster-admin"), None);
    assert_eq!(path(&yaml, "user:bob", "node"), None);
}

#[test]
fn group_membership_counts() {
    let yaml = format!(
        "{}{}",
        namespace("build", ""),
        rb("build", "all-sa", "ClusterRole", "edit", "- {kind: Group, name: \"system:serviceaccounts:build\", apiGroup: rbac.authorization.k8s.io}\n")
    );
    assert_eq!(
        hops(&yaml, "sa:build/runner", "node").unwrap(),
        [
            "sa:build/runner",
            "group:system:serviceaccounts:build",
            "namespace \"build\" (a pod of its choosing)",
            "node"
        ]
    );
    // Accounts of another namespace are not members.
    assert_eq!(path(&yaml, "sa:other/runner", "node"), None);
    let yaml = format!(
        "{}{}",
        namespace("build", ""),
        rb("build", "everyone", "ClusterRole", "edit", "- {kind: Group, name: \"system:authenticated\", apiGroup: rbac.authorization.k8s.io}\n")
    );
    assert!(path(&yaml, "user:alice", "node").is_some());
    assert!(path(&yaml, "sa:other/runner", "node").is_some());
    // Anonymous requests are not authenticated.
    assert_eq!(path(&yaml, "anonymous", "node"), None);
    let yaml = yaml.replace("system:authenticated", "system:unauthenticated");
    assert!(path(&yaml, "anonymous", "node").is_some());
    assert_eq!(path(&yaml, "user:alice", "node"), None);
}

// ---------------------------------------------------------------------------------------------
// Network.

#[test]
fn the_internet_reaches_exposed_workloads_only() {
    let web = workload("Deployment", "shop", "web", "app: web", PRIVILEGED);
    let service = |kind: &str| {
        format!("apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  type: {kind}\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n---\n")
    };
    for (kind, reached) in [
        ("LoadBalancer", true),
        ("NodePort", true),
        ("ClusterIP", false),
    ] {
        let yaml = format!("{web}{}", service(kind));
        assert_eq!(path(&yaml, "internet", "node").is_some(), reached, "{kind}");
    }
    // A selector that matches another workload's pods.
    let yaml = format!(
        "{web}{}",
        service("LoadBalancer").replace("app: web}", "app: api}")
    );
    assert_eq!(path(&yaml, "internet", "node"), None);
    // An Ingress in front of a ClusterIP Service.
    let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec:\n  rules:\n  - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n---\n";
    let yaml = format!("{web}{}{ingress}", service("ClusterIP"));
    let steps = path(&yaml, "internet", "node").expect("through the Ingress");
    assert_eq!(steps[0].2, "pod:shop/web");
    let findings = check_all("AP802", &yaml);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(pointer(&findings[0]), "/spec/rules/0/http/paths/0/backend");
}

/// An egress NetworkPolicy of namespace shop selecting every pod, with `egress` as its rules.
fn egress_policy(name: &str, egress: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n{egress}---\n"
    )
}

fn node_object(provider_id: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata: {{name: n1}}\nspec: {{providerID: '{provider_id}'}}\n---\n")
}

#[test]
fn pods_reaching_the_metadata_endpoint_reach_the_nodes_cloud_identity() {
    let exposed = |spec: &str| {
        format!(
            "{}apiVersion: v1\nkind: Service\nmetadata: {{name: web, namespace: shop}}\nspec:\n  type: LoadBalancer\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n---\n",
            workload("Deployment", "shop", "web", "app: web", spec)
        )
    };
    let web = exposed(PLAIN);
    let evidence = |yaml: &str| -> Option<String> {
        let model = graph(yaml);
        let g = &model.graph;
        let to = g.find(&Vertex::CloudIdentity)?;
        g.incoming(to)
            .first()
            .map(|&e| g.edge(e).evidence.text.to_string())
    };
    // No egress policy: the exposed pod reaches the endpoint (NP305's case 2).
    let steps = path(&web, "internet", "cloud-identity").expect("no egress policy");
    assert_eq!(
        steps.iter().map(|s| s.2.as_str()).collect::<Vec<_>>(),
        ["pod:shop/web", "cloud-identity"]
    );
    let text = evidence(&web).unwrap();
    assert!(
        text.contains("no NetworkPolicy restricts the egress"),
        "{text}"
    );
    assert!(
        text.contains("which cloud the nodes run on, if any, is not in the input either"),
        "{text}"
    );
    // Egress to the Internet without the endpoint: blocked.
    let except = egress_policy(
        "out",
        "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}\n",
    );
    assert_eq!(
        path(&format!("{web}{except}"), "internet", "cloud-identity"),
        None
    );
    // Default-deny egress: blocked.
    let deny = egress_policy("deny", "    []\n");
    assert_eq!(
        path(&format!("{web}{deny}"), "internet", "cloud-identity"),
        None
    );
    // 0.0.0.0/0 without an except admits it: the step cites the policy's rule.
    let all = egress_policy("out", "  - to:\n    - ipBlock: {cidr: 0.0.0.0/0}\n");
    let yaml = format!("{web}{all}");
    assert!(path(&yaml, "internet", "cloud-identity").is_some());
    let text = evidence(&yaml).unwrap();
    assert!(
        text.contains("egress rule 0 of NetworkPolicy \"shop/out\" admits it"),
        "{text}"
    );
    // Egress only to port 443: the endpoint serves on 80.
    let https_only = egress_policy("out", "  - ports: [{port: 443, protocol: TCP}]\n");
    assert_eq!(
        path(&format!("{web}{https_only}"), "internet", "cloud-identity"),
        None
    );
    // hostNetwork escapes every policy.
    let host = format!("{}{deny}", exposed(&format!("hostNetwork: true\n{PLAIN}")));
    let text = evidence(&host).expect("hostNetwork");
    assert!(
        text.contains("hostNetwork, which NetworkPolicies do not govern"),
        "{text}"
    );
    // Nodes shown: in a cloud, the cloud is named; outside one (kind), no step.
    let aws = format!(
        "{web}{}",
        node_object("aws:///eu-west-1a/i-0123456789abcdef0")
    );
    let text = evidence(&aws).unwrap();
    assert!(
        text.contains("the nodes run on AWS (Node \"n1\" spec.providerID)"),
        "{text}"
    );
    let kind = format!(
        "{web}{}",
        node_object("kind://docker/kind/kind-control-plane")
    );
    assert_eq!(path(&kind, "internet", "cloud-identity"), None);
    // The step leads to the cloud identity, never to the node or cluster-admin by itself.
    assert_eq!(path(&web, "internet", "node"), None);
    assert!(check_all("AP802", &web).is_empty());
    // A workload nobody reaches is on no path.
    let lone = workload("Deployment", "shop", "web", "app: web", PLAIN);
    assert_eq!(path(&lone, "internet", "cloud-identity"), None);
}

// ---------------------------------------------------------------------------------------------
// Findings: deduplication and the cut that breaks the most paths.

#[test]
fn paths_sharing_their_weakest_link_are_one_finding_naming_the_best_cut() {
    // Three accounts of build reach the node through one RoleBinding to their group; a fourth
    // through a binding of its own.
    let mut yaml = format!(
        "{}{}",
        namespace("build", ""),
        rb("build", "all-sa", "ClusterRole", "edit", "- {kind: Group, name: \"system:serviceaccounts:build\", apiGroup: rbac.authorization.k8s.io}\n")
    );
    for name in ["a", "b", "c"] {
        yaml.push_str(&service_account("build", name, ""));
    }
    yaml.push_str(&namespace("ops", ""));
    yaml.push_str(&rb(
        "ops",
        "d-edit",
        "ClusterRole",
        "edit",
        "- {kind: ServiceAccount, name: d, namespace: ops}\n",
    ));
    let findings = check_all("AP802", &yaml);
    assert_eq!(findings.len(), 2, "{findings:#?}");
    let group = findings
        .iter()
        .find(|f| f.message.contains("other source(s)"))
        .expect("the shared one");
    // group:…:build itself, default, a, b, c.
    assert!(
        group.message.contains("4 other source(s)"),
        "{}",
        group.message
    );
    assert!(
        group
            .message
            .contains("Weakest link: RoleBinding \"build/all-sa\""),
        "{}",
        group.message
    );
    assert!(
        group
            .message
            .contains("Changing RoleBinding \"build/all-sa\" cuts 5 of"),
        "{}",
        group.message
    );
}

#[test]
fn the_projection_kept_gives_the_graph_of_the_whole_objects() {
    let yaml = [
        chain("", ""),
        GOAT_HUNGER_CHECK.to_owned(),
        "---\n".to_owned(),
        GOAT_SYSTEM_MONITOR.to_owned(),
    ]
    .concat();
    let whole: Vec<Arc<palisade_core::Object>> = objects(&yaml).into_iter().map(Arc::new).collect();
    let full = AttackGraph::with_identities(whole, KubeVersion::LATEST, &[], Workloads::All);
    let kept = graph(&yaml);
    assert_eq!(full.graph.vertices(), kept.graph.vertices());
    assert_eq!(full.graph.edge_count(), kept.graph.edge_count());
    for e in 0..full.graph.edge_count() {
        assert_eq!(full.graph.edge(e), kept.graph.edge(e));
    }
    let _ = Settings::default();
}

#[test]
fn the_scan_graph_keeps_every_path_of_every_source() {
    // The scan's graph leaves out workloads no source reaches; the paths from the sources are
    // the same as with every workload.
    let exec = format!(
        "{}{}",
        cluster_role(
            "x",
            "- {apiGroups: [\"\"], resources: [pods/exec], verbs: [create]}\n"
        ),
        rb("team", "x", "ClusterRole", "x", ALICE)
    );
    let yaml = [
        chain("", ""),
        GOAT_HUNGER_CHECK.to_owned(),
        "---\n".to_owned(),
        GOAT_SYSTEM_MONITOR.to_owned(),
        "---\n".to_owned(),
        exec,
        workload("Pod", "team", "p", "a: b", PRIVILEGED),
        workload("Pod", "other", "q", "a: b", PRIVILEGED),
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: other}\nspec: {type: NodePort, selector: {a: b}}\n".to_owned(),
    ]
    .concat();
    let objects: Vec<Arc<palisade_core::Object>> =
        objects(&yaml).into_iter().map(Arc::new).collect();
    let all =
        AttackGraph::with_identities(objects.clone(), KubeVersion::LATEST, &[], Workloads::All);
    let scan = AttackGraph::new(objects, KubeVersion::LATEST);
    assert!(
        scan.graph.vertices().len() < all.graph.vertices().len(),
        "{:#?}\n{:#?}",
        scan.graph.vertices(),
        all.graph.vertices()
    );
    let shown = |m: &AttackGraph| {
        let g = &m.graph;
        let goals = [
            Vertex::ClusterAdmin,
            Vertex::Node,
            Vertex::Secrets("big-monolith".into()),
        ]
        .iter()
        .filter_map(|v| g.find(v))
        .collect::<Vec<_>>();
        let mut out: Vec<Vec<String>> =
            paths::search(g, &paths::default_sources(g), &goals, Limits::default())
                .paths
                .iter()
                .map(|p| {
                    p.edges
                        .iter()
                        .map(|&e| {
                            format!(
                                "{} {} {}",
                                g.get(g.edge(e).from).spec(),
                                g.edge(e).action,
                                g.get(g.edge(e).to).spec()
                            )
                        })
                        .collect()
                })
                .collect();
        out.sort();
        out
    };
    let paths_all = shown(&all);
    assert!(
        paths_all.iter().any(|p| p[0].starts_with("user:alice")),
        "{paths_all:#?}"
    );
    assert!(
        paths_all.iter().any(|p| p[0].starts_with("internet")),
        "{paths_all:#?}"
    );
    assert_eq!(shown(&scan), paths_all);
}

#[test]
fn each_finding_names_a_change_that_breaks_its_own_path() {
    // Two users reach every node through nodes/proxy by two unrelated bindings; one more user
    // shares bob's binding, so changing it cuts 2 of 3 paths. alice's finding must still name
    // her own binding, the only change that breaks her path.
    let proxy = "- {apiGroups: [\"\"], resources: [nodes/proxy], verbs: [get]}\n";
    let yaml = format!(
        "{}{}{}",
        cluster_role("proxy", proxy),
        crb("alice-proxy", "proxy", "- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}\n"),
        crb(
            "team-proxy",
            "proxy",
            "- {kind: User, name: bob, apiGroup: rbac.authorization.k8s.io}\n- {kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}\n"
        ),
    );
    let findings = check_all("AP802", &yaml);
    let alice = findings
        .iter()
        .find(|f| f.message.starts_with("User \"alice\""))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        alice
            .message
            .contains("Changing ClusterRoleBinding \"alice-proxy\" cuts 1 of 3"),
        "{}",
        alice.message
    );
    let team = findings
        .iter()
        .find(|f| f.message.contains("team-proxy"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert!(
        team.message
            .contains("Changing ClusterRoleBinding \"team-proxy\" cuts 2 of 3"),
        "{}",
        team.message
    );
}
