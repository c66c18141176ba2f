//! The real webhook server over TLS on 127.0.0.1, driven with AdmissionReview and ImageReview
//! bodies shaped as the Kubernetes API reference shows them.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use support::*;
use tokio::io::AsyncWriteExt;

/// A pod that passes every rule at `high`; its medium findings are warnings.
fn plain_pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1.4.2"}]}
    })
}

fn privileged_pod(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"containers": [{"name": "web", "image": "registry.example.com/web:1.4.2",
                 "securityContext": {"privileged": true}}]}
    })
}

/// A Deployment compliant with the restricted profile: no finding at all.
fn clean_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "automountServiceAccountToken": false,
                    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [{
                        "name": "web",
                        "image": "registry.example.com/web:1.4.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                        "imagePullPolicy": "Always",
                        "resources": {"limits": {"cpu": "1", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                            "runAsUser": 10001, "capabilities": {"drop": ["ALL"]}}
                    }]
                }
            }
        }
    })
}

fn response(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_deny_warn_update_dry_run_unknown_kind() {
    let w = start("", |_| {}).await;

    let r = response(
        &post(
            &w,
            "/validate",
            &review("u-1", "CREATE", clean_deployment()),
        )
        .await,
    );
    assert_eq!(r["uid"], "u-1");
    assert_eq!(r["allowed"], true, "{r}");
    assert!(r.get("warnings").is_none(), "{r}");

    let r = response(
        &post(
            &w,
            "/validate",
            &review("u-2", "CREATE", privileged_pod("p")),
        )
        .await,
    );
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 403);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(msg.starts_with("Palisade denied Pod shop/p"), "{msg}");
    assert!(msg.contains("PS101 privileged-container"), "{msg}");
    assert!(msg.contains("(fix: "), "help is in the message: {msg}");

    let r = response(
        &post(
            &w,
            "/validate",
            &review("u-3", "CREATE", plain_pod("plain")),
        )
        .await,
    );
    assert_eq!(r["allowed"], true, "{r}");
    let warnings: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("IM401 image-pull-policy-not-always (medium)")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|w| w.starts_with("PS121")),
        "{warnings:?}"
    );

    // UPDATE of a workload that became privileged.
    let mut d = clean_deployment();
    d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = json!(true);
    let mut update = review("u-4", "UPDATE", d.clone());
    update["request"]["oldObject"] = clean_deployment();
    let r = response(&post(&w, "/validate", &update).await);
    assert_eq!(r["allowed"], false, "{r}");
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("Deployment shop/web"));

    // An UPDATE that leaves the spec alone (relabelling a legacy object) is not judged again.
    let mut relabel = review("u-4b", "UPDATE", d.clone());
    relabel["request"]["object"]["metadata"]["labels"] = json!({"team": "a"});
    assert_eq!(
        response(&post(&w, "/validate", &relabel).await)["allowed"],
        true
    );

    // Dry run: the same verdict (the webhook has no side effects to skip).
    let mut dry = review("u-5", "CREATE", d);
    dry["request"]["dryRun"] = json!(true);
    let r = response(&post(&w, "/validate", &dry).await);
    assert_eq!(r["allowed"], false);

    // A kind no rule knows, and a DELETE.
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "shop"}, "spec": {"privileged": true}});
    let r = response(&post(&w, "/validate", &review("u-6", "CREATE", widget)).await);
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none());
    let mut del = review("u-7", "DELETE", privileged_pod("p"));
    del["request"]["object"] = Value::Null;
    let r = response(&post(&w, "/validate", &del).await);
    assert_eq!(r["allowed"], true);

    // Metrics saw it all.
    let m = request(&w, "GET", "/metrics", b"").await.text();
    assert!(
        m.contains("palisade_webhook_reviews_total{endpoint=\"validate\",result=\"denied\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("palisade_webhook_denials_total{rule=\"PS101\"} 3"),
        "{m}"
    );
    assert!(
        m.contains("palisade_webhook_review_duration_seconds_count{endpoint=\"validate\"} 8"),
        "{m}"
    );
    assert_eq!(request(&w, "GET", "/healthz", b"").await.status, 200);
    assert_eq!(request(&w, "GET", "/readyz", b"").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modes_and_exemptions() {
    let config = "webhook:\n  namespaces:\n    - names: [legacy]\n      mode: warn\n    - names: [quiet]\n      mode: audit\n  \
                  exempt:\n    namespaces: [kube-system]\n    usernames: [\"system:serviceaccount:ops:deployer\"]\n    runtime-class-names: [kata]\n";
    let w = start(config, |_| {}).await;
    let in_ns = |ns: &str| {
        let mut p = privileged_pod("p");
        p["metadata"]["namespace"] = json!(ns);
        review("u", "CREATE", p)
    };
    let r = response(&post(&w, "/validate", &in_ns("legacy")).await);
    assert_eq!(r["allowed"], true);
    assert!(r["warnings"][0].as_str().unwrap().contains("PS101"), "{r}");
    assert!(r["auditAnnotations"]["warn-would-deny"]
        .as_str()
        .unwrap()
        .contains("PS101"));
    let r = response(&post(&w, "/validate", &in_ns("quiet")).await);
    assert_eq!(r["allowed"], true);
    assert!(r.get("warnings").is_none());
    assert!(r["auditAnnotations"]["audit-would-deny"]
        .as_str()
        .unwrap()
        .contains("PS101"));
    let r = response(&post(&w, "/validate", &in_ns("kube-system")).await);
    assert_eq!(r["allowed"], true);
    assert!(r.get("auditAnnotations").is_none());
    let mut by_user = in_ns("shop");
    by_user["request"]["userInfo"]["username"] = json!("system:serviceaccount:ops:deployer");
    assert_eq!(
        response(&post(&w, "/validate", &by_user).await)["allowed"],
        true
    );
    let mut kata = privileged_pod("p");
    kata["spec"]["runtimeClassName"] = json!("kata");
    assert_eq!(
        response(&post(&w, "/validate", &review("u", "CREATE", kata)).await)["allowed"],
        true
    );
    assert_eq!(
        response(&post(&w, "/validate", &in_ns("shop")).await)["allowed"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn annotation_exemptions_only_when_configured() {
    let mut waived = privileged_pod("w");
    waived["metadata"]["annotations"] = json!({"palisade.dev/ignore": "PS101 — I said so"});
    let w = start("", |_| {}).await;
    let r = response(&post(&w, "/validate", &review("a", "CREATE", waived.clone())).await);
    assert_eq!(
        r["allowed"], false,
        "the requester cannot exempt itself: {r}"
    );
    let w = start("webhook:\n  annotation-exemptions: true\n", |_| {}).await;
    let r = response(&post(&w, "/validate", &review("a", "CREATE", waived)).await);
    assert_eq!(r["allowed"], true, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutate_patch_applies_and_revalidates() {
    let w = start("webhook:\n  fail-on: medium\n", |_| {}).await;
    let mut pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "m", "namespace": "shop", "annotations": {"a/b": "c"}},
        "spec": {
            "securityContext": null,
            "initContainers": [{"name": "init", "image": "registry.example.com/init:2"}],
            "containers": [
                {"name": "web", "image": "registry.example.com/web:1.4.2",
                 "securityContext": {"readOnlyRootFilesystem": true}},
                {"name": "cache", "image": "registry.example.com/cache:7", "imagePullPolicy": "Never",
                 "securityContext": {"allowPrivilegeEscalation": true}}
            ]
        }
    });
    let r = response(&post(&w, "/mutate", &review("m-1", "CREATE", pod.clone())).await);
    assert_eq!(r["allowed"], true);
    assert_eq!(r["patchType"], "JSONPatch");
    let patch_bytes = base64::engine::general_purpose::STANDARD
        .decode(r["patch"].as_str().unwrap())
        .unwrap();
    let patch: json_patch::Patch = serde_json::from_slice(&patch_bytes).unwrap();
    json_patch::patch(&mut pod, &patch).unwrap();
    let spec = &pod["spec"];
    assert_eq!(
        spec["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(spec["initContainers"][0]["imagePullPolicy"], "Always");
    assert_eq!(
        spec["initContainers"][0]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(spec["containers"][0]["imagePullPolicy"], "Always");
    assert_eq!(
        spec["containers"][0]["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        true
    );
    // What the user wrote is never patched.
    assert_eq!(spec["containers"][1]["imagePullPolicy"], "Never");
    assert_eq!(
        spec["containers"][1]["securityContext"]["allowPrivilegeEscalation"],
        true
    );
    // Token automounting is off by default (it can break pods that call the API).
    assert!(spec.get("automountServiceAccountToken").is_none());
    assert_eq!(r["auditAnnotations"]["mutated-by"], "IM401,PS121,PS124");

    // The patched pod no longer has the findings the mutations fix, except the explicit ones.
    let v = response(&post(&w, "/validate", &review("m-2", "CREATE", pod.clone())).await);
    let text = v.to_string();
    assert!(!text.contains("PS124"), "{text}");
    assert!(
        !text.contains("container \\\"web\\\" does not set allowPrivilegeEscalation"),
        "{text}"
    );
    assert!(
        text.contains("container \\\"cache\\\" sets allowPrivilegeEscalation: true"),
        "{text}"
    );
    assert!(
        text.contains("IM401"),
        "the explicit Never is still reported: {text}"
    );

    // Patching again adds nothing; UPDATE of a pod is never patched (its spec is immutable).
    let again = response(&post(&w, "/mutate", &review("m-3", "CREATE", pod.clone())).await);
    assert!(again.get("patch").is_none(), "{again}");
    let upd = response(&post(&w, "/mutate", &review("m-4", "UPDATE", plain_pod("x"))).await);
    assert!(upd.get("patch").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutations_are_switchable() {
    let config = "webhook:\n  mutate:\n    image-pull-policy-always: false\n    seccomp-runtime-default: false\n    \
                  allow-privilege-escalation-false: false\n    automount-service-account-token-false: true\n";
    let w = start(config, |_| {}).await;
    let mut d = clean_deployment();
    let tpl = &mut d["spec"]["template"]["spec"];
    tpl.as_object_mut()
        .unwrap()
        .remove("automountServiceAccountToken");
    tpl["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("imagePullPolicy");
    let mut original = d.clone();
    let r = response(&post(&w, "/mutate", &review("s-1", "CREATE", d)).await);
    let patch: json_patch::Patch = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(r["patch"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(patch.0.len(), 1, "{patch:?}");
    json_patch::patch(&mut original, &patch).unwrap();
    assert_eq!(
        original["spec"]["template"]["spec"]["automountServiceAccountToken"],
        false
    );
    // A dedicated ServiceAccount is taken to be there for API calls: no token mutation.
    let mut own_sa = clean_deployment();
    let tpl = &mut own_sa["spec"]["template"]["spec"];
    tpl.as_object_mut()
        .unwrap()
        .remove("automountServiceAccountToken");
    tpl["serviceAccountName"] = json!("web");
    let r = response(&post(&w, "/mutate", &review("s-2", "CREATE", own_sa)).await);
    assert!(r.get("patch").is_none(), "{r}");
    assert!(original["spec"]["template"]["spec"]["containers"][0]
        .get("imagePullPolicy")
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_guard_reads_the_pod() {
    let mut pods = HashMap::new();
    pods.insert("shop/priv".to_owned(), privileged_pod("priv"));
    pods.insert("shop/plain".to_owned(), plain_pod("plain"));
    let mut host = plain_pod("host");
    host["spec"]["hostPID"] = json!(true);
    pods.insert("shop/host".to_owned(), host);
    let api = fake_api(pods).await;
    let kubeconfig = api.kubeconfig.clone();
    let w = start("", move |o| o.kubeconfig = Some(kubeconfig)).await;
    let connect = |name: &str, sub: &str| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
            "uid": format!("x-{name}"), "kind": {"group": "", "version": "v1", "kind": "PodExecOptions"},
            "resource": {"group": "", "version": "v1", "resource": "pods"}, "subResource": sub,
            "name": name, "namespace": "shop", "operation": "CONNECT",
            "userInfo": {"username": "alice"},
            "object": {"kind": "PodExecOptions", "apiVersion": "v1", "stdin": true, "tty": true,
                       "container": "web", "command": ["sh"]}}})
    };
    let r = response(&post(&w, "/exec", &connect("priv", "exec")).await);
    assert_eq!(r["allowed"], false);
    let msg = r["status"]["message"].as_str().unwrap();
    assert!(
        msg.contains("exec into pod shop/priv") && msg.contains("privileged container \"web\""),
        "{msg}"
    );
    let r = response(&post(&w, "/exec", &connect("host", "attach")).await);
    assert_eq!(r["allowed"], false);
    assert!(r["status"]["message"].as_str().unwrap().contains("hostPID"));
    let r = response(&post(&w, "/exec", &connect("plain", "exec")).await);
    assert_eq!(r["allowed"], true);
    // Missing pod: the API server answers 404 itself.
    assert_eq!(
        response(&post(&w, "/exec", &connect("gone", "exec")).await)["allowed"],
        true
    );
    // Cached: a second exec into the same pod does not read it again.
    let before = api.hits.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        response(&post(&w, "/validate", &connect("priv", "exec")).await)["allowed"],
        false
    );
    assert_eq!(api.hits.load(std::sync::atomic::Ordering::SeqCst), before);
    // Port-forward and logs are not guarded.
    assert_eq!(
        response(&post(&w, "/exec", &connect("priv", "portforward")).await)["allowed"],
        true
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_guard_fails_closed_or_open() {
    let req = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": "f", "resource": {"group": "", "version": "v1", "resource": "pods"}, "subResource": "exec",
        "name": "p", "namespace": "shop", "operation": "CONNECT", "userInfo": {"username": "alice"}}});
    let w = start("", |_| {}).await;
    let r = response(&post(&w, "/exec", &req).await);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 503);
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("fails closed"));
    let w = start("webhook:\n  exec-guard:\n    failure: open\n", |_| {}).await;
    let r = response(&post(&w, "/exec", &req).await);
    assert_eq!(r["allowed"], true);
    assert!(r["warnings"][0].as_str().unwrap().contains("fails open"));
}

fn image_review(ns: &str, images: &[&str]) -> Value {
    json!({"apiVersion": "imagepolicy.k8s.io/v1alpha1", "kind": "ImageReview", "spec": {
        "containers": images.iter().map(|i| json!({"image": i})).collect::<Vec<_>>(),
        "annotations": {"mycluster.image-policy.k8s.io/ticket-1234": "break-glass"},
        "namespace": ns}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_policy_endpoint_and_validate_agree() {
    let config = "allowed-registries: [registry.example.com]\nwebhook:\n  image-policy:\n    denied-tags: [latest, dev]\n    \
                  namespaces:\n      - names: [prod]\n        require-digest: true\n";
    let w = start(config, |_| {}).await;
    let ok = post(
        &w,
        "/imagepolicy",
        &image_review("shop", &["registry.example.com/web:1.2"]),
    )
    .await;
    assert_eq!(ok.status, 200);
    let v = ok.json();
    assert_eq!(v["apiVersion"], "imagepolicy.k8s.io/v1alpha1");
    assert_eq!(v["kind"], "ImageReview");
    assert_eq!(v["status"]["allowed"], true);

    let v = post(
        &w,
        "/imagepolicy",
        &image_review("shop", &["nginx", "registry.example.com/web:dev"]),
    )
    .await
    .json();
    assert_eq!(v["status"]["allowed"], false);
    let reason = v["status"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("IM403") && reason.contains("docker.io/library/nginx"),
        "{reason}"
    );
    assert!(
        reason.contains("IM405") && reason.contains("\"dev\""),
        "{reason}"
    );
    assert!(
        !reason.contains("image-0"),
        "no synthetic container names: {reason}"
    );

    let v = post(
        &w,
        "/imagepolicy",
        &image_review("prod", &["registry.example.com/web:1.2"]),
    )
    .await
    .json();
    assert_eq!(v["status"]["allowed"], false);
    assert!(v["status"]["reason"].as_str().unwrap().contains("IM404"));

    // /validate applies the same policy.
    let mut pod = plain_pod("p");
    pod["metadata"]["namespace"] = json!("prod");
    let r = response(&post(&w, "/validate", &review("i", "CREATE", pod)).await);
    assert_eq!(r["allowed"], false);
    assert!(r["status"]["message"]
        .as_str()
        .unwrap()
        .contains("IM404 image-digest-required"));

    // Break glass: off by default, honoured when configured, and audited.
    let mut glass = image_review("shop", &["nginx"]);
    glass["spec"]["annotations"] = json!({"mycluster.image-policy.k8s.io/break-glass": "true"});
    assert_eq!(
        post(&w, "/imagepolicy", &glass).await.json()["status"]["allowed"],
        false
    );
    let w2 = start("webhook:\n  image-policy:\n    break-glass: true\n", |_| {}).await;
    let v = post(&w2, "/imagepolicy", &glass).await.json();
    assert_eq!(v["status"]["allowed"], true, "{v}");
    assert_eq!(
        v["status"]["auditAnnotations"]["break-glass"],
        "mycluster.image-policy.k8s.io/break-glass"
    );

    let bad = post(
        &w,
        "/imagepolicy",
        &json!({"apiVersion": "imagepolicy.k8s.io/v1", "kind": "ImageReview"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("imagepolicy.k8s.io/v1alpha1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_clear_errors_and_the_server_keeps_serving() {
    let w = start("", |o| {
        o.header_timeout = Duration::from_millis(500);
        o.body_timeout = Duration::from_millis(500);
    })
    .await;

    let r = request(&w, "POST", "/validate", b"{\"apiVersion\": ").await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().starts_with("request body is not valid JSON"),
        "{}",
        r.text()
    );

    let mut old = review("u", "CREATE", plain_pod("p"));
    old["apiVersion"] = json!("admission.k8s.io/v1beta1");
    let r = post(&w, "/validate", &old).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("admissionReviewVersions"), "{}", r.text());

    let mut no_uid = review("u", "CREATE", plain_pod("p"));
    no_uid["request"].as_object_mut().unwrap().remove("uid");
    let r = post(&w, "/validate", &no_uid).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("no `uid`"));

    let mut no_object = review("u", "CREATE", plain_pod("p"));
    no_object["request"]["object"] = Value::Null;
    let r = response(&post(&w, "/validate", &no_object).await);
    assert_eq!(r["allowed"], false);
    assert_eq!(r["status"]["code"], 400);

    // 10 MB: refused from the declared length, before reading it.
    let mut big = review("u", "CREATE", plain_pod("p"));
    big["request"]["object"]["metadata"]["annotations"] =
        json!({"x": "a".repeat(10 * 1024 * 1024)});
    let r = post(&w, "/validate", &big).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // …and when streamed without a length (chunked).
    let mut s = tls(&w).await;
    s.write_all(b"POST /validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..4 {
        let _ = s
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await;
        let _ = s.write_all(&chunk).await;
        let _ = s.write_all(b"\r\n").await;
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let r = read_response(&mut s).await;
    assert_eq!(r.status, 413);

    // TLS garbage: the connection is dropped, the server carries on.
    let mut raw = tokio::net::TcpStream::connect(w.addr).await.unwrap();
    raw.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0xde, 0xad, 0xbe, 0xef])
        .await
        .unwrap();
    raw.write_all(&[0x42; 4096]).await.unwrap();
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut sink),
    )
    .await
    .expect("the server closes a connection that is not TLS");
    // Plain HTTP on the TLS port, likewise.
    let mut raw = tokio::net::TcpStream::connect(w.addr).await.unwrap();
    raw.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut raw, &mut sink),
    )
    .await
    .expect("closed");

    // A TCP connection that never starts the TLS handshake is closed after the timeout.
    let mut idle = tokio::net::TcpStream::connect(w.addr).await.unwrap();
    let closed = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::io::AsyncReadExt::read_to_end(&mut idle, &mut sink),
    )
    .await;
    assert!(closed.is_ok(), "a silent connection is disconnected");

    // Slow-loris: half a header line, then nothing. Closed after the header timeout, while
    // another client is served meanwhile.
    let mut slow = tls(&w).await;
    slow.write_all(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    let r = response(&post(&w, "/validate", &review("ok", "CREATE", clean_deployment())).await);
    assert_eq!(r["allowed"], true);
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut slow, &mut buf).await
    })
    .await;
    assert!(
        closed.is_ok(),
        "a client that never finishes its headers is disconnected"
    );
    // Slow body: headers complete, body never sent.
    let mut slow = tls(&w).await;
    slow.write_all(
        b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{",
    )
    .await
    .unwrap();
    let r = tokio::time::timeout(Duration::from_secs(10), read_response(&mut slow))
        .await
        .unwrap();
    assert_eq!(r.status, 408);

    // Wrong paths and methods.
    assert_eq!(request(&w, "GET", "/validate", b"").await.status, 405);
    assert_eq!(request(&w, "POST", "/nope", b"{}").await.status, 404);

    // Still serving.
    let r = response(
        &post(
            &w,
            "/validate",
            &review("still", "CREATE", privileged_pod("p")),
        )
        .await,
    );
    assert_eq!(r["allowed"], false);
    let m = request(&w, "GET", "/metrics", b"").await.text();
    assert!(m.contains("result=\"bad-request\"} "), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_and_connection_limit() {
    use http_body_util::BodyExt;
    let w = start("", |o| o.max_connections = 2).await;
    let tcp = tokio::net::TcpStream::connect(w.addr).await.unwrap();
    let tls =
        w.ca.connector(&[b"h2"])
            .connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                tcp,
            )
            .await
            .unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    for i in 0..3 {
        let body = review(&format!("h2-{i}"), "CREATE", privileged_pod("p")).to_string();
        let req = http::Request::post("https://127.0.0.1/validate")
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(axum::body::Bytes::from(body)))
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["uid"], format!("h2-{i}"));
    }
    // One more connection fits (2 allowed), the third is closed without a handshake.
    let second = tls_with(&w.ca, w.addr).await;
    let tcp = tokio::net::TcpStream::connect(w.addr).await.unwrap();
    let third =
        w.ca.connector(&[b"http/1.1"])
            .connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                tcp,
            )
            .await;
    assert!(third.is_err(), "over the connection limit");
    drop(second);
    // A freed slot is usable again (the server notices the close asynchronously).
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tcp = tokio::net::TcpStream::connect(w.addr).await.unwrap();
        let ok =
            w.ca.connector(&[b"http/1.1"])
                .connect(
                    rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                    tcp,
                )
                .await
                .is_ok();
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "slot never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_and_config_reload_without_dropping_connections() {
    let w = start("", |_| {}).await;
    // A keep-alive connection opened before the reloads.
    let mut kept = tls(&w).await;
    let ask = |uid: &str| {
        let body = review(uid, "CREATE", privileged_pod("p")).to_string();
        format!(
            "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    kept.write_all(ask("k1").as_bytes()).await.unwrap();
    let first = read_one(&mut kept).await;
    assert!(first.contains("\"allowed\":false"), "{first}");

    // Config: warn everywhere. A config with an error is ignored (the old one stays).
    std::fs::write(w.path("palisade.yaml"), "webhook:\n  mode: loud\n").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = response(
        &post(
            &w,
            "/validate",
            &review("c0", "CREATE", privileged_pod("p")),
        )
        .await,
    );
    assert_eq!(r["allowed"], false, "a broken config keeps the old one");
    std::fs::write(w.path("palisade.yaml"), "webhook:\n  mode: warn\n").unwrap();
    wait_until(|| async {
        response(
            &post(
                &w,
                "/validate",
                &review("c1", "CREATE", privileged_pod("p")),
            )
            .await,
        )["allowed"]
            == true
    })
    .await;

    // Certificate: a new CA; new connections get the new certificate.
    let ca2 = Ca::new();
    let (cert, key) = ca2.server_cert();
    std::fs::write(w.path("tls.key"), key).unwrap();
    std::fs::write(w.path("tls.crt"), cert).unwrap();
    let addr = w.addr;
    wait_until(|| {
        let c = ca2.connector(&[b"http/1.1"]);
        async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            c.connect(
                rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
                tcp,
            )
            .await
            .is_ok()
        }
    })
    .await;
    // The connection from before is still open and now sees the new config.
    kept.write_all(ask("k2").as_bytes()).await.unwrap();
    let second = read_one(&mut kept).await;
    assert!(
        second.contains("\"uid\":\"k2\"") && second.contains("\"allowed\":true"),
        "{second}"
    );
    let m = request_with(&ca2, addr, "GET", "/metrics").await;
    assert!(
        m.contains("palisade_webhook_reloads_total{what=\"certificate\",result=\"success\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("palisade_webhook_reloads_total{what=\"config\",result=\"failure\"} 1"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_in_flight_reviews() {
    let mut w = start("", |_| {}).await;
    let body = review("drain", "CREATE", privileged_pod("p")).to_string();
    let mut s = tls(&w).await;
    let (a, b) = body.as_bytes().split_at(body.len() / 2);
    s.write_all(
        format!(
            "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    s.write_all(a).await.unwrap();
    s.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let running = w.running.take().unwrap();
    running.shutdown();
    // New connections are refused or closed; the in-flight review completes.
    s.write_all(b).await.unwrap();
    let r = read_response(&mut s).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["response"]["uid"], "drain");
    running.wait().await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(w.addr).await.is_err(),
        "no longer listening"
    );
}

/// Reads one HTTP/1.1 response with a Content-Length from a kept-alive connection.
async fn read_one(s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> String {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(|v| v.trim().parse().unwrap())
                })
                .unwrap();
            if body.len() >= len {
                return body.to_owned();
            }
        }
    }
}

async fn request_with(ca: &Ca, addr: std::net::SocketAddr, method: &str, path: &str) -> String {
    let mut s = tls_with(ca, addr).await;
    s.write_all(
        format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    read_response(&mut s).await.text()
}

/// Polls `cond` until it holds (reloads are noticed asynchronously); fails after 10 s.
async fn wait_until<F, Fut>(mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond().await {
        assert!(Instant::now() < deadline, "condition never held");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The serving certificate and key are read bounded: a path to something without end (a wrong
/// mount, a device) is a clear error naming it and the limit, not a read until memory runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_certificate_file_is_refused_with_the_limit() {
    let zero = std::path::Path::new("/dev/zero");
    if !zero.exists() {
        eprintln!("skipped: no /dev/zero");
        return;
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let opts = palisade_webhook::Options::new(addr, zero.to_owned(), zero.to_owned());
    let err = match palisade_webhook::start(opts, Some(listener)).await {
        Ok(_) => panic!("started with /dev/zero as its certificate"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.ends_with(": /dev/zero: over the 1048576-byte limit"),
        "{err}"
    );
}
