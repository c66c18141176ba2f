//! The probe against fake services on 127.0.0.N: every finding asserted, and what must not be
//! reported (closed, silent and filtered ports; a kubelet that authenticates is not anonymous).

mod support;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use palisade_core::{Finding, Severity};
use palisade_probe::rules::{self, Context};
use palisade_probe::{probe, Options, Outcome, PortSpec, Role, State, Target};
use support::*;

fn target(addrs: &[(SocketAddr, Role)]) -> Arc<Target> {
    Arc::new(Target {
        ip: addrs[0].0.ip(),
        name: None,
        ports: Some(
            addrs
                .iter()
                .map(|(a, role)| PortSpec {
                    port: a.port(),
                    role: *role,
                })
                .collect(),
        ),
    })
}

async fn run(targets: &[Arc<Target>], cx: &Context) -> (Outcome, Vec<Finding>) {
    let opts = Options {
        ports: Vec::new(),
        timeout: Duration::from_millis(1500),
        concurrency: 8,
        deadline: Duration::from_secs(120),
    };
    let outcome = probe(targets, &opts, &|| {}).await;
    let findings = rules::evaluate(&outcome, cx, &|_| true);
    (outcome, findings)
}

/// The findings at `addr`, as `CODE message`.
fn at(findings: &[Finding], addr: SocketAddr) -> Vec<(&'static str, Severity, String)> {
    let source = addr.to_string();
    findings
        .iter()
        .filter(|f| matches!(&f.location, palisade_core::Location::Object { source: s, .. } if **s == *source))
        .map(|f| (f.code, f.severity, f.message.to_string()))
        .collect()
}

fn one(findings: &[Finding], addr: SocketAddr, code: &str) -> String {
    let here = at(findings, addr);
    let hits: Vec<_> = here.iter().filter(|(c, _, _)| *c == code).collect();
    assert_eq!(hits.len(), 1, "{code} at {addr}: {here:#?}");
    hits[0].2.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_service_gives_its_finding() {
    let kubelet_anon = https(ip(2), kubelet_anonymous(), false);
    let kubelet_401 = https(ip(3), kubelet_authenticated(), false);
    let read_only = http(ip(4), kubelet_anonymous());
    let etcd_mtls13 = https(ip(5), etcd(), true);
    let etcd_mtls12 = https_versions(ip(6), etcd(), true, &[&rustls::version::TLS12]);
    let etcd_open = https(ip(7), etcd(), false);
    let ssh_a = ssh(ip(8));
    let ssh_b = ssh(ip(9));
    let closed_port = closed(ip(10));
    let silent_port = silent(ip(11));
    let api_open = https(ip(13), apiserver(true), false);
    let api_403 = https(ip(14), apiserver(false), false);
    let insecure = http(ip(15), apiserver(true));
    let proxy = http(
        ip(16),
        route(
            "/healthz",
            StatusCode::OK,
            r#"{"lastUpdated": "2026-11-27"}"#,
        ),
    );
    let calico = http(ip(17), route("/liveness", StatusCode::NO_CONTENT, ""));
    let cadvisor = http(
        ip(18),
        route("/metrics", StatusCode::OK, "# HELP cadvisor_version_info"),
    );
    let cm = https(ip(19), route("/healthz", StatusCode::OK, "ok"), false);
    let sched = https(
        ip(20),
        route("/configz", StatusCode::OK, r#"{"componentconfig":{}}"#),
        false,
    );
    let dash_tls = https(ip(21), dashboard(), false);
    let dash_plain = http(ip(22), dashboard());
    let nodeport = http(ip(23), route("/", StatusCode::OK, "hello"));
    let other = http(ip(24), route("/", StatusCode::OK, "<html>app</html>"));
    let kubelet_plain = http(ip(25), kubelet_anonymous());
    let read_only_tls = https(ip(26), kubelet_anonymous(), false);

    let targets = vec![
        target(&[(kubelet_anon, Role::Kubelet)]),
        target(&[(kubelet_401, Role::Kubelet)]),
        target(&[(read_only, Role::KubeletReadOnly)]),
        target(&[(etcd_mtls13, Role::Etcd)]),
        target(&[(etcd_mtls12, Role::Etcd)]),
        target(&[(etcd_open, Role::Etcd)]),
        target(&[(ssh_a, Role::Ssh)]),
        target(&[(ssh_b, Role::Ssh)]),
        target(&[(closed_port, Role::Kubelet)]),
        target(&[(silent_port, Role::Kubelet)]),
        target(&[(api_open, Role::ApiServer)]),
        target(&[(api_403, Role::Https)]),
        target(&[(insecure, Role::InsecureApi)]),
        target(&[(proxy, Role::KubeProxy)]),
        target(&[(calico, Role::Calico)]),
        target(&[(cadvisor, Role::Cadvisor)]),
        target(&[(cm, Role::ControllerManager)]),
        target(&[(sched, Role::Scheduler)]),
        target(&[(dash_tls, Role::Https)]),
        target(&[(dash_plain, Role::Dashboard)]),
        target(&[(nodeport, Role::NodePort)]),
        target(&[(other, Role::Other)]),
        target(&[(kubelet_plain, Role::Kubelet)]),
        target(&[(read_only_tls, Role::KubeletReadOnly)]),
    ];
    let (outcome, f) = run(&targets, &Context::default()).await;

    // Kubelet answering anonymously: critical, with the paths, TLS and the first bytes.
    let m = one(&f, kubelet_anon, "EX702");
    assert!(m.contains("answers without credentials over TLS"), "{m}");
    assert!(
        m.contains(r#"GET /pods → HTTP 200, body "{"kind":"PodList""#),
        "{m}"
    );
    assert!(
        m.contains("GET /configz → HTTP 200") && m.contains("GET /metrics → HTTP 200"),
        "{m}"
    );
    assert_eq!(at(&f, kubelet_anon).len(), 1);
    // A kubelet that authenticates is reachable, not anonymous.
    let m = one(&f, kubelet_401, "EX704");
    assert!(m.contains("GET /pods → HTTP 401"), "{m}");
    assert_eq!(at(&f, kubelet_401).len(), 1);
    // The read-only port answering at all, in plain HTTP.
    let m = one(&f, read_only, "EX703");
    assert!(
        m.contains("over plain HTTP") && m.contains("HTTP 200"),
        "{m}"
    );
    // etcd demanding client certificates: reachable only (TLS 1.3 and 1.2 refuse differently).
    for addr in [etcd_mtls13, etcd_mtls12] {
        let m = one(&f, addr, "EX707");
        assert!(m.contains("a client certificate is demanded"), "{m}");
        assert_eq!(at(&f, addr).len(), 1, "{addr}");
    }
    let m = one(&f, etcd_open, "EX706");
    assert!(
        m.contains("over TLS without asking for a client certificate"),
        "{m}"
    );
    assert!(m.contains("etcdserver"), "{m}");
    // Two hosts answer SSH: both reported.
    for addr in [ssh_a, ssh_b] {
        let m = one(&f, addr, "EX715");
        assert!(
            m.contains("SSH-2.0-OpenSSH_9.6p1") && m.contains("2 probed host(s)"),
            "{m}"
        );
    }
    // Closed and silent ports: nothing.
    assert!(at(&f, closed_port).is_empty());
    assert!(at(&f, silent_port).is_empty());
    let silent_obs = outcome
        .observations
        .iter()
        .find(|o| o.endpoint() == silent_port.to_string());
    assert!(matches!(silent_obs.unwrap().state, State::Silent));
    assert_eq!(outcome.counts.closed, 1);
    // API servers: namespaces to anonymous is critical, /version only is low; both reachable.
    let hits = at(&f, api_open);
    assert!(
        hits.iter().any(|(c, s, m)| *c == "EX701"
            && *s == Severity::Critical
            && m.contains("lists namespaces")),
        "{hits:#?}"
    );
    one(&f, api_open, "EX705");
    let hits = at(&f, api_403);
    assert!(
        hits.iter()
            .any(|(c, s, m)| *c == "EX701" && *s == Severity::Low && m.contains("HTTP 403")),
        "{hits:#?}"
    );
    one(&f, api_403, "EX705");
    let m = one(&f, insecure, "EX708");
    assert!(
        m.contains("without TLS or credentials") && m.contains("NamespaceList"),
        "{m}"
    );
    // Health servers and cAdvisor answering at all.
    assert!(one(&f, proxy, "EX709").contains("GET /healthz → HTTP 200"));
    assert!(one(&f, calico, "EX710").contains("GET /liveness → HTTP 204"));
    assert!(one(&f, cadvisor, "EX711").contains("cadvisor_version_info"));
    // Controller manager refusing /metrics: reachable; scheduler serving /configz: anonymous.
    let m = one(&f, cm, "EX713");
    assert!(
        m.contains("kube-controller-manager") && m.contains("GET /metrics → HTTP 404"),
        "{m}"
    );
    assert_eq!(at(&f, cm).len(), 1);
    let m = one(&f, sched, "EX712");
    assert!(
        m.contains("kube-scheduler") && m.contains("serves /configz"),
        "{m}"
    );
    assert_eq!(at(&f, sched).len(), 1);
    // The Dashboard, over TLS on an HTTPS port and plain on 9090; not an API server.
    assert!(one(&f, dash_tls, "EX714").contains("over TLS"));
    assert_eq!(at(&f, dash_tls).len(), 1);
    assert!(one(&f, dash_plain, "EX714").contains("over plain HTTP"));
    // A NodePort and an untagged port.
    let m = one(&f, nodeport, "EX716");
    assert!(
        m.contains(&format!(
            "1 NodePort(s) answer on 127.0.0.23: {} (plain HTTP, HTTP 200)",
            nodeport.port()
        )),
        "{m}"
    );
    let m = one(&f, other, "EX717");
    assert!(
        m.contains(&format!(
            "{other} is open: it answers over plain HTTP: GET / → HTTP 200"
        )),
        "{m}"
    );
    // The transport is found whichever way round it is.
    assert!(one(&f, kubelet_plain, "EX702").contains("over plain HTTP"));
    assert!(one(&f, read_only_tls, "EX703").contains("over TLS"));

    assert_eq!(outcome.counts.planned, targets.len());
    assert_eq!(outcome.counts.probed, targets.len());
    assert!(!outcome.deadline_hit);
    // Every finding is located at host:port.
    for x in &f {
        assert!(
            x.location.to_string().starts_with("127.0.0."),
            "{:?}",
            x.location
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_drops_connects_is_filtered() {
    let (addr, _fill, _listener) = full_backlog(ip(31));
    let (outcome, f) = run(&[target(&[(addr, Role::Kubelet)])], &Context::default()).await;
    assert!(f.is_empty(), "{f:#?}");
    assert_eq!(outcome.counts.filtered, 1, "{:?}", outcome.counts);
    assert!(outcome.observations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bastion_and_nodes_and_node_reports() {
    let ssh_a = ssh(ip(32));
    let ssh_b = ssh(ip(33));
    let read_only = http(ip(34), kubelet_anonymous());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("node.json");
    std::fs::write(
        &report,
        r#"{"schema_version":1,"findings":[{"code":"KL603","file":"/var/lib/kubelet/config.yaml","line":12,
        "message":"kubelet serves unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:12))","suppressed":false}]}"#,
    )
    .unwrap();
    let spec = format!("127.0.0.34={}", report.display());
    let reports =
        palisade_probe::correlate::load_all(&[spec], &palisade_probe::target::SystemResolver)
            .unwrap();
    let nodeport = http(ip(37), route("/", StatusCode::OK, "hello"));
    let cx = Context {
        bastion: Some(ip(32)),
        nodes: HashMap::from([(ip(34), "worker-1".to_owned())]),
        reports,
        node_ports: BTreeMap::from([(
            nodeport.port(),
            vec!["Service shop/web port 80/TCP".to_owned()],
        )]),
    };
    let targets = vec![
        target(&[(ssh_a, Role::Ssh)]),
        target(&[(ssh_b, Role::Ssh)]),
        target(&[(read_only, Role::KubeletReadOnly)]),
        target(&[(nodeport, Role::NodePort)]),
    ];
    let (_, f) = run(&targets, &cx).await;
    // The Service that asks for the node port that answers is named.
    let m = one(&f, nodeport, "EX716");
    assert!(
        m.contains(&format!(
            "{} (plain HTTP, HTTP 200; Service shop/web port 80/TCP)",
            nodeport.port()
        )),
        "{m}"
    );
    // The bastion answering SSH is expected; the other host is not.
    assert!(at(&f, ssh_a).is_empty());
    let m = one(&f, ssh_b, "EX715");
    assert!(m.contains("only the bastion 127.0.0.32 should"), "{m}");
    // The node's name from the cluster, and the node audit's setting with its file and line.
    let m = one(&f, read_only, "EX703");
    assert!(m.contains("(node worker-1)"), "{m}");
    assert!(
        m.contains("agrees: KL603 kubelet serves unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:12)) [/var/lib/kubelet/config.yaml:12]"),
        "{m}"
    );
    let x = f.iter().find(|x| x.code == "EX703").unwrap();
    let o = x.object.as_ref().unwrap();
    assert_eq!(
        (o.kind.as_str(), o.name.as_deref()),
        ("Node", Some("worker-1"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_ssh_port_and_the_deadline() {
    let quiet = silent(ip(35));
    let (outcome, f) = run(&[target(&[(quiet, Role::Ssh)])], &Context::default()).await;
    assert!(f.is_empty());
    assert!(matches!(outcome.observations[0].state, State::Silent));

    // A deadline that has passed before the first probe: nothing probed, and said so.
    let opts = Options {
        ports: Vec::new(),
        timeout: Duration::from_millis(500),
        concurrency: 1,
        deadline: Duration::ZERO,
    };
    let t = target(&[(closed(ip(36)), Role::Kubelet), (closed(ip(36)), Role::Ssh)]);
    let outcome = probe(&[t], &opts, &|| {}).await;
    assert!(outcome.deadline_hit);
    assert_eq!(outcome.counts.planned, 2);
    assert!(outcome.counts.probed < 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_etcd_that_ignores_a_client_hello_is_found_after_the_tls_timeout() {
    let etcd_plain = patient_http(ip(37), r#"{"etcdserver":"3.4.3","etcdcluster":"3.4.0"}"#);
    let (_, f) = run(&[target(&[(etcd_plain, Role::Etcd)])], &Context::default()).await;
    let m = one(&f, etcd_plain, "EX706");
    assert!(
        m.contains("over plain HTTP, no TLS at all") && m.contains("3.4.3"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_port_that_accepts_and_hangs_up_is_open_not_http() {
    let addr = closer(ip(38));
    let (outcome, f) = run(&[target(&[(addr, Role::Other)])], &Context::default()).await;
    assert_eq!(outcome.counts.open, 1, "{:?}", outcome.counts);
    let m = one(&f, addr, "EX717");
    assert!(
        m.contains("accepts connections but does not speak HTTP"),
        "{m}"
    );
}
