//! `palisade netpol can-reach` as a user sees it: answers, explanations, exit codes, bad input;
//! and the NP rules in `palisade scan`.

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

const SHOP: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
  - from:
    - podSelector:
        matchLabels:
          app: web
    ports:
    - port: pg
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-egress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector:
        matchLabels:
          app: db
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: pg
        image: postgres:16
        ports:
        - name: pg
          containerPort: 5432
";

fn shop() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "shop.yaml", SHOP);
    (dir, p)
}

fn can_reach(args: &[&str], path: &Path) -> (i32, String, String) {
    let out = palisade()
        .args(["netpol", "can-reach"])
        .args(args)
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn reachable_through_both_sides_names_the_rules() {
    let (_d, p) = shop();
    let (code, out, err) = can_reach(
        &[
            "--from",
            "shop/app=web",
            "--to",
            "shop/app=db",
            "--port",
            "5432",
        ],
        &p,
    );
    assert_eq!(code, 0, "{out}{err}");
    let path = p.display().to_string();
    let expected = format!(
        "reachable: shop/app=web -> shop/app=db on 5432/TCP\n  \
         egress of shop/app=web: allowed by\n    \
         NetworkPolicy shop/web-egress, egress rule 0 (to pods app=db of the policy's namespace, on every port)\n      \
         at {path}:44:7\n  \
         ingress of shop/app=db: allowed by\n    \
         NetworkPolicy shop/db, ingress rule 0 (from pods app=web of the policy's namespace, on pg/TCP (named))\n      \
         at {path}:26:7\n"
    );
    assert_eq!(out, expected);
    // The named port resolves the same way from the command line.
    let (code, out, _) = can_reach(
        &[
            "--from",
            "shop/app=web",
            "--to",
            "shop/app=db",
            "--port",
            "pg",
        ],
        &p,
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with("reachable: shop/app=web -> shop/app=db on 5432/TCP"),
        "{out}"
    );
}

#[test]
fn blocked_names_the_isolating_policies() {
    let (_d, p) = shop();
    let (code, out, _) = can_reach(
        &[
            "--from",
            "shop/app=api",
            "--to",
            "shop/app=db",
            "--port",
            "5432",
        ],
        &p,
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("blocked: shop/app=api -> shop/app=db on 5432/TCP"),
        "{out}"
    );
    assert!(
        out.contains("egress of shop/app=api: denied: isolated by 1 policy"),
        "{out}"
    );
    assert!(
        out.contains("NetworkPolicy shop/default-deny (podSelector {}) at "),
        "{out}"
    );
    assert!(
        out.contains("NetworkPolicy shop/db (podSelector app=db) at "),
        "{out}"
    );
    // Wrong port for the right pods; UDP is another protocol.
    let (code, _, _) = can_reach(
        &[
            "--from",
            "shop/app=web",
            "--to",
            "shop/app=db",
            "--port",
            "5433",
        ],
        &p,
    );
    assert_eq!(code, 1);
    let (code, _, _) = can_reach(
        &[
            "--from",
            "shop/app=web",
            "--to",
            "shop/app=db",
            "--port",
            "5432/udp",
        ],
        &p,
    );
    assert_eq!(code, 1);
    // From outside the cluster only ingress counts; the metadata endpoint is blocked by egress.
    let (code, out, _) = can_reach(&["--from", "203.0.113.7", "--to", "shop/app=db"], &p);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("egress of 203.0.113.7: not governed"), "{out}");
    let (code, _, _) = can_reach(
        &["--from", "shop/", "--to", "169.254.169.254", "--port", "80"],
        &p,
    );
    assert_eq!(code, 1);
    // A namespace without policies is open.
    let (code, out, _) = can_reach(
        &["--from", "shop/app=web", "--to", "blog/", "--port", "80"],
        &p,
    );
    assert_eq!(code, 1, "web's egress only allows the db: {out}");
    let (code, out, _) = can_reach(&["--from", "blog/", "--to", "blog/app=x"], &p);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("not isolated: no NetworkPolicy in the scanned files selects it"),
        "{out}"
    );
}

#[test]
fn json_output() {
    let (_d, p) = shop();
    let (code, out, _) = can_reach(
        &[
            "--from",
            "shop/app=web",
            "--to",
            "shop/app=db",
            "--port",
            "5432",
            "--format",
            "json",
        ],
        &p,
    );
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["reachable"], true);
    assert_eq!(v["port"]["number"], 5432);
    assert_eq!(v["egress"]["verdict"], "allowed");
    assert_eq!(v["ingress"]["allowed_by"][0]["name"], "db");
    assert!(v["ingress"]["allowed_by"][0]["location"]
        .as_str()
        .unwrap()
        .ends_with("shop.yaml:26:7"));
    let (code, out, _) = can_reach(
        &[
            "--from",
            "shop/app=api",
            "--to",
            "shop/app=db",
            "-f",
            "json",
        ],
        &p,
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ingress"]["verdict"], "denied");
    assert_eq!(v["ingress"]["isolated_by"].as_array().unwrap().len(), 2);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let (d, p) = shop();
    for args in [
        &["--from", "shop", "--to", "shop/app=db"][..],
        &["--from", "shop/app", "--to", "shop/app=db"],
        &["--from", "1.2.3.4", "--to", "5.6.7.8"],
        &["--from", "shop/", "--to", "shop/app=db", "--port", "0"],
        &[
            "--from",
            "shop/",
            "--to",
            "shop/app=db",
            "--port",
            "80/icmp",
        ],
        &["--from", "shop/", "--to", "1.2.3.4", "--port", "http"],
        // A named port no workload declares.
        &["--from", "shop/", "--to", "shop/app=db", "--port", "http"],
    ] {
        let (code, out, err) = can_reach(args, &p);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    let (code, _, err) = can_reach(
        &["--from", "shop/", "--to", "shop/"],
        &d.path().join("missing"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("no such file or directory"), "{err}");
    // A policy document that does not parse is an input error; the answer is still printed.
    let bad = write(
        d.path(),
        "bad.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\nspec: [unclosed\n",
    );
    let (code, out, err) = can_reach(&["--from", "shop/", "--to", "shop/"], &bad);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.starts_with("reachable"), "{out}");
    assert!(err.contains("bad.yaml:"), "{err}");
    // An invalid policy is ignored, with a warning, as a cluster would not have it.
    let invalid = write(
        d.path(),
        "invalid.yaml",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [ingress]\n",
    );
    let (code, _, err) = can_reach(&["--from", "shop/", "--to", "shop/"], &invalid);
    assert_eq!(code, 0);
    assert!(
        err.contains("warning: ignored NetworkPolicy shop/x"),
        "{err}"
    );
}

#[test]
fn scan_reports_np_rules_and_honours_exemptions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: blog\n  annotations:\n    palisade.dev/ignore: \"NP302 — egress is filtered by the node firewall\"\n---\n\
         apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: site\n  namespace: blog\nspec:\n  template:\n    metadata:\n      labels:\n        app: site\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n",
    );
    let out = palisade()
        .args(["scan", "--no-config", "--format", "json", "--select", "NP"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    let get = |code: &str| {
        findings
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{code}: {findings:#?}"))
    };
    assert_eq!(get("NP301")["suppressed"], false);
    assert_eq!(get("NP301")["object"]["kind"], "Namespace");
    assert_eq!(get("NP302")["suppressed"], true);
    assert!(get("NP305")["message"]
        .as_str()
        .unwrap()
        .contains("no NetworkPolicy in the scanned files restricts their egress"));
}

/// A NetworkPolicy whose `kind` is an explicit key (`? kind`) isolates like any other. The old
/// text prefilter looked for `kind:` and skipped this document, answering "reachable" for a
/// connection the policy blocks.
#[test]
fn explicit_kind_keys_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "deny.yaml",
        "apiVersion: networking.k8s.io/v1\n? kind\n: NetworkPolicy\nmetadata:\n  name: deny\n  \
         namespace: shop\nspec:\n  podSelector: {}\n---\n\
         {\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"Network\\u0050olicy\", \
         \"metadata\": {\"name\": \"deny-egress\", \"namespace\": \"dev\"}, \
         \"spec\": {\"podSelector\": {}, \"policyTypes\": [\"Egress\"]}}\n",
    );
    let (code, out, err) = can_reach(
        &[
            "--from",
            "dev/app=x",
            "--to",
            "shop/app=db",
            "--port",
            "5432",
        ],
        &p,
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("blocked"), "{out}");
    assert!(out.contains("NetworkPolicy shop/deny"), "{out}");
    assert!(out.contains("NetworkPolicy dev/deny-egress"), "{out}");
}
