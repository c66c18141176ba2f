//! Scale benchmark of the live-cluster audit: a synthetic cluster of 10,000 pods, 2,000
//! Deployments, 1,000 namespaces and 5,000 RBAC objects, served by the loopback API server of the
//! tests, audited end to end by the release binary (`palisade cluster`) as a separate process
//! (wall time and peak memory of that process), and the rule evaluation alone timed in-process.
//!
//! Run: `cargo build --release && cargo run --release -p palisade --example cluster_bench`

#[path = "../../palisade-cluster/tests/support/mod.rs"]
mod support;

use std::time::Instant;

use palisade_core::{KubeVersion, Settings};
use palisade_rules::{Engine, Mode, Selection};
use serde_json::json;
use support::collection;

fn pod_spec(i: usize) -> serde_json::Value {
    json!({
        "serviceAccountName": if i.is_multiple_of(3) { "default" } else { "app" },
        "containers": [{
            "name": "app",
            "image": format!("registry.example.com/team/app{}:1.{}", i % 50, i % 7),
            "ports": [{"containerPort": 8080, "name": "http"}],
            "resources": {"limits": {"memory": "256Mi"}},
            "securityContext": if i.is_multiple_of(10) { json!({"privileged": true}) } else {
                json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                       "capabilities": {"drop": ["ALL"]}})
            },
        }],
    })
}

fn spec() -> support::Spec {
    let mut s = support::Spec {
        version: ("1".into(), "37".into(), "v1.37.1".into()),
        ..Default::default()
    };
    for r in palisade_cluster::resources::RESOURCES {
        s.objects
            .insert(collection(&r.api_version(), r.plural), Vec::new());
    }
    let mut put = |api: &str, plural: &str, v: serde_json::Value| {
        s.objects.get_mut(&collection(api, plural)).unwrap().push(v);
    };
    for n in 0..1000 {
        put(
            "v1",
            "namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": format!("ns-{n}"), "labels": {"team": format!("t{}", n % 20)}}}),
        );
        put(
            "v1",
            "serviceaccounts",
            json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": format!("ns-{n}")}}),
        );
    }
    for d in 0..2000 {
        let ns = format!("ns-{}", d % 1000);
        put(
            "apps/v1",
            "deployments",
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": format!("d{d}"), "namespace": ns},
            "spec": {"selector": {"matchLabels": {"app": format!("d{d}")}},
                     "template": {"metadata": {"labels": {"app": format!("d{d}")}}, "spec": pod_spec(d)}}}),
        );
    }
    for p in 0..10_000 {
        let d = p % 2000;
        let ns = format!("ns-{}", d % 1000);
        // Most pods belong to a Deployment's ReplicaSet; every tenth is a bare pod.
        let owner = if p % 10 == 0 {
            json!([])
        } else {
            json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("d{d}-rs"),
                    "uid": format!("u{d}"), "controller": true}])
        };
        put(
            "v1",
            "pods",
            json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("p{p}"), "namespace": ns, "labels": {"app": format!("d{d}")},
                         "ownerReferences": owner},
            "spec": pod_spec(p)}),
        );
    }
    for r in 0..5000 {
        let ns = format!("ns-{}", r % 1000);
        match r % 4 {
            0 => put(
                "rbac.authorization.k8s.io/v1",
                "roles",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role", "metadata": {"name": format!("r{r}"), "namespace": ns},
                "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "watch"]}]}),
            ),
            1 => put(
                "rbac.authorization.k8s.io/v1",
                "rolebindings",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding", "metadata": {"name": format!("rb{r}"), "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": format!("r{}", r - 1)},
                "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": ns}]}),
            ),
            2 => put(
                "rbac.authorization.k8s.io/v1",
                "clusterroles",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole", "metadata": {"name": format!("cr{r}")},
                "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]}),
            ),
            _ => put(
                "rbac.authorization.k8s.io/v1",
                "clusterrolebindings",
                json!({"apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding", "metadata": {"name": format!("crb{r}")},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": format!("cr{}", r - 1)},
                "subjects": [{"kind": "Group", "name": format!("team-{}", r % 17), "apiGroup": "rbac.authorization.k8s.io"}]}),
            ),
        }
    }
    s
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = support::start(spec()).await;
        let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/x86_64-unknown-linux-gnu/release/palisade");
        assert!(
            bin.exists(),
            "build the release binary first: cargo build --release"
        );
        let mut walls = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..3 {
            let kubeconfig = server.kubeconfig.clone();
            let bin = bin.clone();
            let (wall, maxrss, code) = tokio::task::spawn_blocking(move || {
                let start = Instant::now();
                // Reaped by wait4 below, which also gives the child's peak memory.
                #[allow(clippy::zombie_processes)]
                let child = std::process::Command::new(&bin)
                    .args(["cluster", "--no-config", "--format", "json", "--kubeconfig"])
                    .arg(&kubeconfig)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                let mut status = 0;
                // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
                let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
                // SAFETY: valid pointers to live values; the pid is our child's.
                unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
                (start.elapsed(), usage.ru_maxrss, status)
            })
            .await
            .unwrap();
            assert!(
                code == 0 || code == 256,
                "palisade cluster exited with status {code}"
            );
            walls.push(wall.as_secs_f64());
            rss.push(maxrss as f64 / 1024.0);
        }
        walls.sort_by(f64::total_cmp);
        println!(
            "end to end (palisade cluster, 18,000 objects): median {:.2} s, peak RSS {:.0} MiB",
            walls[1],
            rss.iter().cloned().fold(0.0, f64::max)
        );

        // Rule evaluation alone, in-process, on what the cluster source read.
        let opts = palisade_cluster::Options {
            kubeconfig: Some(server.kubeconfig.clone()),
            ..Default::default()
        };
        let conn = palisade_cluster::connect(&opts).await.unwrap();
        let t = Instant::now();
        let inventory = palisade_cluster::read(&conn, &opts, &|_| {}).await.unwrap();
        let read = t.elapsed();
        let engine = Engine::new(
            Settings {
                kubernetes_version: KubeVersion::v1(37),
                ..Default::default()
            },
            Selection::default(),
            Vec::new(),
            Mode::Rules,
        );
        let t = Instant::now();
        let (findings, _) = engine.check_all(&inventory.objects);
        println!(
            "read {} objects ({} controlled skipped) in {:.2} s; rules: {} findings in {:.0} ms",
            inventory.objects.len(),
            inventory.controlled_skipped,
            read.as_secs_f64(),
            findings.len(),
            t.elapsed().as_secs_f64() * 1000.0
        );
    });
}
