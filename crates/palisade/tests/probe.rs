//! `palisade probe` end to end, against fake services on 127.0.0.N only (ports the kernel picks,
//! probed through role-tagged `--ports`), and the loopback API server for `--from-cluster`.

#[path = "../../palisade-cluster/tests/support/mod.rs"]
mod cluster_support;
#[path = "../../palisade-probe/tests/support/mod.rs"]
mod probe_support;

use assert_cmd::Command;
use axum::http::StatusCode;
use probe_support::*;
use serde_json::Value;

fn palisade(args: &[String]) -> std::process::Output {
    Command::cargo_bin("palisade")
        .unwrap()
        .arg("probe")
        .arg("--no-config")
        .args(args)
        .output()
        .unwrap()
}

/// Runs off the runtime's threads, which serve the fake services meanwhile.
async fn run(args: Vec<String>) -> (Option<i32>, Value, String) {
    let out = tokio::task::spawn_blocking(move || palisade(&args))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code(), json, stderr)
}

fn findings(v: &Value) -> Vec<(String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn bad_targets_and_options_exit_2_with_the_reason() {
    for (args, needle) in [
        (
            vec!["10.0.0.0/8"],
            "a range larger than a /24 is probed only with an explicit --max-hosts",
        ),
        (vec!["10.0.0.0/33"], "not a valid CIDR range"),
        (vec!["10.0.0/24"], "`10.0.0` is not an IP address"),
        (
            vec!["no-such-host.invalid"],
            "cannot resolve `no-such-host.invalid`",
        ),
        (vec!["10.0.0.1:0"], "`0` is not a port"),
        (
            vec!["10.0.0.1", "--ports", "22,0"],
            "port 0 cannot be probed",
        ),
        (
            vec!["10.0.0.1", "--ports", "kublet=20250"],
            "unknown role `kublet`",
        ),
        (vec!["10.0.0.1", "--timeout", "0"], "--timeout"),
        (vec!["10.0.0.1", "--concurrency", "0"], "--concurrency"),
        (vec![], "no target"),
        (
            vec!["10.0.0.1", "--node-report", "/nonexistent/node.json"],
            "--node-report /nonexistent/node.json",
        ),
        (
            vec!["10.0.0.1", "--select", "EX799"],
            "no rule matches `EX799`",
        ),
    ] {
        let args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let out = palisade(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_in_json_with_the_node_setting_behind_them() {
    let kubelet = https(ip(41), kubelet_anonymous(), false);
    let read_only = http(ip(42), kubelet_anonymous());
    let etcd_mtls = https(ip(42), etcd(), true);
    let sshd = ssh(ip(43));
    let dir = tempfile::tempdir().unwrap();
    // The node audit of the fixture with readOnlyPort: 10255, as `palisade node` writes it.
    let node = Command::cargo_bin("palisade")
        .unwrap()
        .args(["node", "--format", "json", "--root"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../palisade-node/tests/fixtures/kubeadm-1.24-insecure"
        ))
        .output()
        .unwrap();
    let report = dir.path().join("node.json");
    std::fs::write(&report, &node.stdout).unwrap();
    let targets = dir.path().join("targets.txt");
    std::fs::write(&targets, "# the nodes\n127.0.0.41\n127.0.0.42 127.0.0.43\n").unwrap();
    let ports = format!(
        "kubelet={},kubelet-read-only={},etcd={},ssh={}",
        kubelet.port(),
        read_only.port(),
        etcd_mtls.port(),
        sshd.port()
    );
    let args = vec![
        "--targets-file".to_owned(),
        targets.display().to_string(),
        "--ports".to_owned(),
        ports.clone(),
        "--timeout".to_owned(),
        "1.5".to_owned(),
        "--node-report".to_owned(),
        format!("127.0.0.42={}", report.display()),
        "--format".to_owned(),
        "json".to_owned(),
        "--output".to_owned(),
        format!("sarif={}", dir.path().join("probe.sarif").display()),
    ];
    let (code, json, stderr) = run(args).await;
    assert_eq!(code, Some(1), "critical findings fail the run: {stderr}");
    assert!(
        stderr.contains("Probed 12 of 12 host:port pairs on 3 host(s)"),
        "{stderr}"
    );
    let mut f = findings(&json);
    f.sort();
    let codes: Vec<&str> = f.iter().map(|(c, _, _)| c.as_str()).collect();
    assert_eq!(codes, ["EX702", "EX703", "EX707"], "{f:#?}");
    assert_eq!(f[0].1, "critical");
    assert!(
        f[0].2.starts_with(&format!(
            "the kubelet API on {kubelet} answers without credentials over TLS"
        )),
        "{}",
        f[0].2
    );
    // No node report for .41: nothing appended.
    assert!(!f[0].2.contains("node audit"), "{}", f[0].2);
    let m = &f[1].2;
    assert!(m.starts_with(&format!("the kubelet read-only port answers on {read_only} without authentication over plain HTTP")), "{m}");
    assert!(
        m.contains("agrees: KL603 kubelet serves unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:24)) [/var/lib/kubelet/config.yaml:24]"),
        "{m}"
    );
    let ro = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "EX703")
        .unwrap();
    assert_eq!(ro["file"], Value::Null);
    assert_eq!(ro["pointer"], "/pods");
    // etcd demanding a certificate: reachable only; the node audit has nothing to add to EX707.
    assert!(
        f[2].2.contains("a client certificate is demanded") && !f[2].2.contains("node audit"),
        "{}",
        f[2].2
    );
    // The same, with the node audited in this invocation.
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../palisade-node/tests/fixtures/kubeadm-1.24-insecure"
    );
    let args = vec![
        "127.0.0.42".to_owned(),
        "--ports".to_owned(),
        format!("kubelet-read-only={}", read_only.port()),
        "--node-root".to_owned(),
        format!("127.0.0.42={fixture}"),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let (code, json2, stderr) = run(args).await;
    assert_eq!(code, Some(1), "{stderr}");
    let m = json2["findings"][0]["message"].as_str().unwrap();
    assert!(
        m.contains(&format!("the node audit (--root {fixture}) agrees: KL603 kubelet serves unauthenticated read-only port 10255 (readOnlyPort=10255 (/var/lib/kubelet/config.yaml:24)) [/var/lib/kubelet/config.yaml:24]")),
        "{m}"
    );
    // One SSH host is the bastion: no EX715.
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("probe.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 3);

    // --select narrows to one rule; --fail-on critical with only the high finding passes.
    let args = vec![
        "127.0.0.42".to_owned(),
        "--ports".to_owned(),
        ports,
        "--select".to_owned(),
        "EX707".to_owned(),
        "--fail-on".to_owned(),
        "critical".to_owned(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let (code, json, stderr) = run(args).await;
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(findings(&json).len(), 1, "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_cluster_probes_the_nodes_and_the_api_endpoint() {
    let node_ip = ip(44);
    let kubelet = https(node_ip, kubelet_anonymous(), false);
    let nodeport = http(node_ip, route("/", StatusCode::OK, "hello"));
    let yaml = format!(
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-1\nstatus:\n  addresses:\n  \
         - {{type: InternalIP, address: 127.0.0.44}}\n  - {{type: Hostname, address: worker-1}}\n\
         ---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  \
         type: NodePort\n  ports:\n  - port: 80\n    nodePort: {}\n",
        nodeport.port()
    );
    let yaml = yaml.as_str();
    let mut spec = cluster_support::spec_from_yaml(("1", "31"), yaml);
    spec.anonymous_auth = true;
    spec.anonymous_allowed.push("/version".to_owned());
    let server = cluster_support::start(spec).await;
    let args = vec![
        "--from-cluster".to_owned(),
        "--kubeconfig".to_owned(),
        server.kubeconfig.display().to_string(),
        // Only our fake kubelet's port on the node (the API endpoint keeps its own port).
        "--ports".to_owned(),
        format!("kubelet={},nodeport={}", kubelet.port(), nodeport.port()),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    let (code, json, stderr) = run(args).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("on 2 host(s)"), "{stderr}");
    let f = &json["findings"];
    let by_code = |c: &str| {
        f.as_array()
            .unwrap()
            .iter()
            .find(|x| x["code"] == c)
            .unwrap_or_else(|| panic!("{c} in {f:#}"))
            .clone()
    };
    let k = by_code("EX702");
    assert_eq!(k["object"]["kind"], "Node");
    assert_eq!(k["object"]["name"], "worker-1");
    assert!(
        k["message"].as_str().unwrap().contains("(node worker-1)"),
        "{k}"
    );
    // The API endpoint from the kubeconfig: /version to anonymous users.
    let a = by_code("EX701");
    assert_eq!(a["severity"], "low");
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1:{}", server.addr.port())),
        "{a}"
    );
    by_code("EX705");
    // The cluster's Service behind the node port that answers.
    let n = by_code("EX716");
    assert!(
        n["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 200; Service shop/web port 80/TCP)"),
        "{n}"
    );
    // Only GET requests without credentials reached the API server besides the node list.
    let seen = server.seen.lock().unwrap();
    assert!(seen.iter().all(|s| s.method == "GET"), "{seen:?}");
    assert!(seen.iter().any(|s| s.path == "/api/v1/nodes"), "{seen:?}");
    assert!(
        seen.iter().any(|s| s.path == "/api/v1/services"),
        "{seen:?}"
    );
}

#[test]
fn concurrency_beyond_the_open_file_limit_is_refused() {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("palisade"));
    // Were the check to fail, only a port just released on 127.0.0.45 would be probed.
    let port = closed(ip(45)).port();
    cmd.args([
        "probe",
        "--no-config",
        "127.0.0.45",
        "--concurrency",
        "300",
        "--ports",
    ]);
    cmd.arg(format!("other={port}"));
    // SAFETY: setrlimit is async-signal-safe; the closure only lowers this child's limit.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--concurrency 300: needs up to 664 open files, the limit is 256"),
        "{stderr}"
    );
}
