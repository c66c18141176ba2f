//! `--format policyreport` (wg-policy `PolicyReport`/`ClusterPolicyReport`, v1alpha2) and
//! `palisade cluster --write-policy-reports` (server-side apply to the loopback API server).

#[path = "../../palisade-cluster/tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;

use assert_cmd::Command;
use serde_json::Value;

const RESULTS: [&str; 5] = ["pass", "fail", "warn", "error", "skip"];
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// Every report is well formed: kind, name, namespace where due, results with the fields the CRD
/// declares, and a summary that counts exactly the results.
fn check_reports(items: &[Value]) {
    assert!(!items.is_empty());
    for item in items {
        assert_eq!(item["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        let kind = item["kind"].as_str().unwrap();
        assert!(
            matches!(kind, "PolicyReport" | "ClusterPolicyReport"),
            "{kind}"
        );
        assert_eq!(item["metadata"]["name"], "palisade");
        assert_eq!(
            item["metadata"]["namespace"].is_string(),
            kind == "PolicyReport",
            "{item}"
        );
        let mut counted: BTreeMap<&str, u64> = RESULTS.iter().map(|r| (*r, 0)).collect();
        for r in item["results"].as_array().unwrap() {
            let result = r["result"].as_str().unwrap();
            *counted.get_mut(result).expect("a result the CRD allows") += 1;
            assert!(SEVERITIES.contains(&r["severity"].as_str().unwrap()), "{r}");
            assert_eq!(r["source"], "palisade");
            assert!(r["policy"].is_string() && r["rule"].is_string(), "{r}");
            assert!(r["message"].is_string());
            assert!(r["timestamp"]["seconds"].as_i64().unwrap() > 1_600_000_000);
            for v in r["properties"].as_object().unwrap().values() {
                assert!(v.is_string(), "properties are strings: {r}");
            }
            if kind == "PolicyReport" {
                let res = &r["resources"][0];
                assert_eq!(res["namespace"], item["metadata"]["namespace"], "{r}");
                assert!(res["apiVersion"].is_string() && res["kind"].is_string());
            }
        }
        for (k, n) in counted {
            assert_eq!(
                item["summary"][k].as_u64(),
                Some(n),
                "summary.{k} of {item}"
            );
        }
    }
}

#[test]
fn scan_writes_policy_reports_per_namespace() {
    let insecure =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/insecure-app");
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--no-config", "--format", "policyreport"])
        .arg(&insecure)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    check_reports(items);
    assert_eq!(items[0]["kind"], "ClusterPolicyReport");

    // The same findings as the JSON report: fail = failing, fail + warn = open findings.
    let json = Command::cargo_bin("palisade")
        .unwrap()
        .args(["scan", "--no-config", "--format", "json"])
        .arg(&insecure)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    let total = |k: &str| -> u64 {
        items
            .iter()
            .map(|i| i["summary"][k].as_u64().unwrap())
            .sum()
    };
    assert_eq!(total("fail"), json["summary"]["failing"].as_u64().unwrap());
    let open = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"] == false)
        .count() as u64;
    assert_eq!(total("fail") + total("warn"), open);
    // A PS101 result carries where it is and what the guide calls it.
    let ps101 = items
        .iter()
        .flat_map(|i| i["results"].as_array().unwrap())
        .find(|r| r["policy"] == "PS101")
        .expect("PS101");
    assert_eq!(ps101["rule"], "privileged-container");
    assert_eq!(ps101["result"], "fail");
    assert!(ps101["properties"]["file"]
        .as_str()
        .unwrap()
        .ends_with(".yaml"));
    assert!(ps101["properties"]["line"]
        .as_str()
        .unwrap()
        .parse::<u32>()
        .is_ok());
    assert!(!ps101["category"].as_str().unwrap().is_empty());
}

const FIXTURE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: quiet\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n        securityContext:\n          privileged: true\n";

async fn run_cluster(spec: support::Spec) -> (support::Server, std::process::Output) {
    let server = support::start(spec).await;
    let kubeconfig = server.kubeconfig.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("palisade")
            .unwrap()
            .args(["cluster", "--no-config", "--format", "json"])
            .arg("--write-policy-reports")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    (server, out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_applies_policy_reports_server_side() {
    let mut spec = support::spec_from_yaml(("1", "33"), FIXTURE);
    spec.policy_reports = true;
    let (server, out) = run_cluster(spec).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "findings: {stderr}");
    assert!(stderr.contains("wrote 3 of 3 policy reports"), "{stderr}");
    let seen = server.seen.lock().unwrap().clone();
    let patches: Vec<&support::Seen> = seen.iter().filter(|s| s.method == "PATCH").collect();
    let paths: Vec<&str> = patches.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/palisade",
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/quiet/policyreports/palisade",
            "/apis/wgpolicyk8s.io/v1alpha2/namespaces/shop/policyreports/palisade",
        ]
    );
    let mut applied = Vec::new();
    for p in &patches {
        assert_eq!(p.content_type, "application/apply-patch+yaml");
        assert!(p.query.contains("fieldManager=palisade"), "{}", p.query);
        assert!(p.query.contains("force=true"), "{}", p.query);
        applied.push(serde_json::from_str::<Value>(&p.body).unwrap());
    }
    check_reports(&applied);
    let shop = &applied[2];
    assert!(
        shop["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["policy"] == "PS101"
                && r["result"] == "fail"
                && r["resources"][0]["name"] == "web"
                && r["properties"]["provenance"].is_string()),
        "{shop}"
    );
    // A namespace without findings gets an empty report, replacing an older one.
    assert_eq!(applied[1]["results"], serde_json::json!([]));
    // Nothing else is written.
    assert!(seen
        .iter()
        .all(|s| s.method == "GET" || s.path.starts_with("/apis/wgpolicyk8s.io/")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_or_missing_policy_reports_exit_2_with_the_reason() {
    let mut spec = support::spec_from_yaml(("1", "33"), FIXTURE);
    spec.policy_reports = true;
    spec.policy_reports_forbidden = true;
    let (_server, out) = run_cluster(spec).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("HTTP 403"), "{stderr}");
    assert!(
        stderr.contains("deploy/components/policy-reports"),
        "{stderr}"
    );
    // The report itself is still printed.
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty());

    let spec = support::spec_from_yaml(("1", "33"), FIXTURE);
    let (_server, out) = run_cluster(spec).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CRDs are not installed"), "{stderr}");
}
