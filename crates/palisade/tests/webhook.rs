//! `palisade webhook` as a process: usage and config errors exit 2, SIGTERM stops it cleanly,
//! `webhook manifests` prints objects and writes the API server files.

use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;
use assert_cmd::Command;

#[path = "../../palisade-webhook/tests/support/mod.rs"]
mod support;

fn palisade() -> Command {
    Command::cargo_bin("palisade").expect("binary built")
}

fn cert(dir: &std::path::Path) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
}

#[test]
fn errors_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade().arg("webhook").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-cert"));

    let out = palisade()
        .args([
            "webhook",
            "--tls-cert",
            "missing.crt",
            "--tls-key",
            "missing.key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot load the TLS certificate missing.crt"),
        "{err}"
    );

    cert(dir.path());
    let config = dir.path().join("palisade.yaml");
    std::fs::write(&config, "webhook:\n  mode: strict\n").unwrap();
    let out = palisade()
        .arg("webhook")
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .arg("--config")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("palisade.yaml:2:9: webhook: mode: unknown mode `strict`"),
        "{err}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    cert(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::cargo_bin("palisade")
        .unwrap()
        .arg("webhook")
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .arg("--kubeconfig")
        .arg(dir.path().join("none"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SAFETY: kill(2) on the child's pid, which we own and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("draining in-flight reviews"), "{err}");
}

#[test]
fn manifests_print_objects_and_write_apiserver_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = palisade()
        .args([
            "webhook",
            "manifests",
            "-n",
            "sec",
            "--failure-policy",
            "ignore",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("kind: ValidatingWebhookConfiguration"));
    assert!(text.contains("failurePolicy: Ignore"));
    assert!(
        text.contains("# kind: AdmissionConfiguration"),
        "API server files as comments"
    );

    let ca = dir.path().join("ca.crt");
    std::fs::write(&ca, "not a certificate").unwrap();
    let out = palisade()
        .args(["webhook", "manifests", "--ca-bundle"])
        .arg(&ca)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let files = dir.path().join("apiserver");
    let out = palisade()
        .args(["webhook", "manifests", "--apiserver-dir"])
        .arg(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let config = std::fs::read_to_string(files.join("admission-config.yaml")).unwrap();
    assert!(config.contains("ImagePolicyWebhook") && config.contains("defaultAllow: false"));
    assert!(files.join("imagepolicy.kubeconfig").is_file());
    // The printed objects pass the scan.
    let objects = dir.path().join("objects.yaml");
    std::fs::write(&objects, &out.stdout).unwrap();
    palisade()
        .arg("scan")
        .arg(&objects)
        .args(["--fail-on", "medium", "--no-config"])
        .assert()
        .success();
}

#[test]
fn scan_applies_the_webhook_image_policy() {
    let dir = tempfile::tempdir().unwrap();
    let pod = dir.path().join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .unwrap();
    let scan = |config: &str| {
        let path = dir.path().join("palisade.yaml");
        std::fs::write(&path, config).unwrap();
        let out = palisade()
            .arg("scan")
            .arg(&pod)
            .arg("--config")
            .arg(&path)
            .args(["--format", "json"])
            .output()
            .unwrap();
        // The codes of the findings (the report's guide scorecard names every rule too).
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert!(!scan("fail-on: high\n").contains(&"IM404".to_owned()));
    let codes =
        scan("webhook:\n  image-policy:\n    require-digest: true\n    denied-tags: [\"1.27\"]\n");
    assert!(
        codes.contains(&"IM404".to_owned()) && codes.contains(&"IM405".to_owned()),
        "{codes:?}"
    );
}

/// Every generator flag of `webhook manifests` with a hostile value exits 2, names the flag, and
/// prints no objects; the namespace that would add a ClusterRoleBinding is the example.
#[test]
fn manifests_refuse_hostile_values_for_every_flag() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("ca.txt");
    std::fs::write(&not_pem, "x\nkind: ClusterRoleBinding\n").unwrap();
    let a_file = dir.path().join("file");
    std::fs::write(&a_file, "").unwrap();
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec!["--namespace".into(), "x\nkind: ClusterRoleBinding".into()],
            "--namespace",
        ),
        (vec!["-n".into(), "x: y".into()], "--namespace"),
        (vec!["-n".into(), "Palisade".into()], "--namespace"),
        (vec!["-n".into(), "a".repeat(64).into()], "--namespace"),
        (
            vec![
                "--image".into(),
                "app\n        securityContext: {privileged: true}".into(),
            ],
            "--image",
        ),
        (vec!["--image".into(), "app:v1 # x".into()], "--image"),
        (vec!["--image".into(), "\"app\"".into()], "--image"),
        (
            vec!["--failure-policy".into(), "Fail\nx: y".into()],
            "--failure-policy",
        ),
        (vec!["--replicas".into(), "2\nx: y".into()], "--replicas"),
        (vec!["--replicas=-1".into()], "--replicas"),
        (
            vec!["--timeout-seconds".into(), "5\nx: y".into()],
            "--timeout-seconds",
        ),
        (
            vec!["--timeout-seconds".into(), "31".into()],
            "--timeout-seconds",
        ),
        (vec!["--ca-bundle".into(), not_pem.into()], "--ca-bundle"),
        (
            vec!["--apiserver-dir".into(), a_file.clone().into()],
            "file",
        ),
    ];
    for (args, flag) in cases {
        let out = palisade()
            .args(["webhook", "manifests"])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("kind:"),
            "{args:?}: objects printed"
        );
    }
    // The error quotes the value escaped: one line, no forged `kind:` line.
    let out = palisade()
        .args(["webhook", "manifests", "-n", "x\nkind: ClusterRoleBinding"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(
            "error: --namespace: \"x\\nkind: ClusterRoleBinding\" is not a valid DNS-1123 label"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// The API server files are created 0600 in a new 0700 directory.
#[test]
fn apiserver_files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("etc/palisade");
    let out = palisade()
        .args(["webhook", "manifests", "--apiserver-dir"])
        .arg(&files)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&files), 0o700);
    for name in ["admission-config.yaml", "imagepolicy.kubeconfig"] {
        assert_eq!(mode(&files.join(name)), 0o600, "{name}");
    }
}

/// `policies:` in the webhook's config: the ValidatingAdmissionPolicies there are enforced at
/// `/validate` (VA001, with the API server's message), for clusters that cannot run them
/// themselves, and so are the user's own `rules:`; a policy file that cannot be read stops the
/// start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_enforces_configured_admission_policies() {
    let ca = support::Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = ca.server_cert();
    std::fs::write(dir.path().join("tls.crt"), cert).unwrap();
    std::fs::write(dir.path().join("tls.key"), key).unwrap();
    std::fs::create_dir(dir.path().join("policies")).unwrap();
    std::fs::write(
        dir.path().join("policies/replicas.yaml"),
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {name: replica-limit}\nspec:\n  matchConstraints:\n    resourceRules:\n\
         \x20   - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n\
         \x20 validations:\n  - {expression: 'object.spec.replicas <= 5', message: at most 5 replicas}\n\
         ---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
         metadata: {name: replica-limit}\nspec: {policyName: replica-limit, validationActions: [Deny]}\n",
    )
    .unwrap();
    let config = dir.path().join("palisade.yaml");
    std::fs::write(
        &config,
        "policies: [policies]\nselect: [VA001, ORG]\nrules:\n- code: ORG001\n  name: reserved-name\n  \
         severity: high\n  summary: The name `reserved` is taken\n  matchConstraints:\n    resourceRules:\n    \
         - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}\n  \
         validations:\n  - {expression: \"object.metadata.name != 'reserved'\", message: the name is reserved}\n",
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::cargo_bin("palisade")
        .unwrap()
        .arg("webhook")
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .arg("--config")
        .arg(&config)
        .arg("--kubeconfig")
        .arg(dir.path().join("none"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deployment = |name: &str, replicas: u32| {
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})
    };
    let mut verdicts = Vec::new();
    for (name, replicas) in [("web", 6), ("web", 2), ("reserved", 2)] {
        let body = support::review("u1", "CREATE", deployment(name, replicas)).to_string();
        let mut s = support::tls_with(&ca, addr).await;
        let head = format!(
            "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tokio::io::AsyncWriteExt::write_all(&mut s, head.as_bytes())
            .await
            .unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut s, body.as_bytes())
            .await
            .unwrap();
        verdicts.push(support::read_response(&mut s).await.json());
    }
    // SAFETY: kill(2) on the child's pid, which we own and have not reaped.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    child.wait().unwrap();
    let denied = &verdicts[0]["response"];
    assert_eq!(denied["allowed"], false, "{denied}");
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("VA001") && message.contains("at most 5 replicas"),
        "{message}"
    );
    assert_eq!(verdicts[1]["response"]["allowed"], true, "{}", verdicts[1]);
    // The user's own rule (`rules:`) is enforced as a built-in rule is.
    let denied = &verdicts[2]["response"];
    assert_eq!(denied["allowed"], false, "{denied}");
    let message = denied["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("ORG001") && message.contains("the name is reserved"),
        "{message}"
    );

    std::fs::write(&config, "policies: [missing]\n").unwrap();
    let out = palisade()
        .arg("webhook")
        .arg("--tls-cert")
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .arg("--config")
        .arg(&config)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("policies:") && err.contains("missing"),
        "{err}"
    );
}
