//! The user's own rules (`rules:` in palisade.yaml) as built-in rules are: found by `scan`,
//! selected by code and family, listed by `rules` and `explain`, exempted, baselined, in SARIF;
//! a mistake in one is a config error with its line.

use assert_cmd::Command;
use serde_json::Value;

const CONFIG: &str = r#"rules:
- code: ORG001
  name: require-team-label
  severity: high
  summary: Every Deployment names its owning team
  help: add a `team` label to the Deployment
  fix: "label the Deployment with its team, `team: payments`"
  matchConstraints:
    resourceRules:
    - apiGroups: [apps]
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [deployments]
  variables:
  - name: labels
    expression: "has(object.metadata.labels) ? object.metadata.labels : {}"
  validations:
  - expression: "'team' in variables.labels"
    messageExpression: "'Deployment ' + object.metadata.name + ' has no team label'"
- code: ORG002
  name: no-default-namespace
  severity: low
  guide: Use Network Policies
  summary: Nothing runs in the default namespace
  matchConstraints:
    resourceRules:
    - apiGroups: ["*"]
      apiVersions: ["*"]
      operations: [CREATE]
      resources: [deployments, pods]
  validations:
  - expression: "has(object.metadata.namespace) && object.metadata.namespace != 'default'"
    message: runs in the default namespace
exemptions:
- codes: [ORG001]
  kind: Deployment
  name: legacy
  reason: migrated next quarter
"#;

const APPS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: a, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: legacy, namespace: shop}
spec:
  template:
    spec:
      containers: [{name: a, image: "nginx:1.27"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: good, labels: {team: payments}}
spec:
  template:
    spec:
      containers: [{name: a, image: "nginx:1.27"}]
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("palisade.yaml"), CONFIG).unwrap();
    std::fs::create_dir(dir.path().join("apps")).unwrap();
    std::fs::write(dir.path().join("apps/deploy.yaml"), APPS).unwrap();
    dir
}

fn palisade(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("palisade")
        .unwrap()
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// (code, object name, suppressed, baselined, message) of each finding.
fn findings(json: &str) -> Vec<(String, String, bool, bool, String)> {
    let v: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["object"]["name"].as_str().unwrap_or("").to_owned(),
                f["suppressed"].as_bool().unwrap_or(false),
                f["baselined"].as_bool().unwrap_or(false),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn own_rules_are_scanned_selected_exempted_and_baselined() {
    let dir = project();
    let (code, out, err) = palisade(
        dir.path(),
        &["scan", "apps", "--select", "ORG", "--format", "json"],
    );
    assert_eq!(code, 1, "ORG001 is high: {err}");
    let mut f = findings(&out);
    f.sort();
    assert_eq!(
        f,
        [
            (
                "ORG001".into(),
                "legacy".into(),
                true,
                false,
                "Deployment legacy has no team label".into()
            ),
            (
                "ORG001".into(),
                "web".into(),
                false,
                false,
                "Deployment web has no team label".into()
            ),
            // No namespace written: the API server would put it in the default namespace.
            (
                "ORG002".into(),
                "good".into(),
                false,
                false,
                "runs in the default namespace".into()
            ),
        ]
    );
    // Only ORG002 (low) selected: nothing at or above high.
    let (code, out, _) = palisade(
        dir.path(),
        &["scan", "apps", "--select", "ORG002", "--format", "json"],
    );
    assert_eq!((code, findings(&out).len()), (0, 1));

    let (code, _, err) = palisade(
        dir.path(),
        &[
            "scan",
            "apps",
            "--select",
            "ORG",
            "--write-baseline",
            "base.json",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let (code, out, err) = palisade(
        dir.path(),
        &[
            "scan",
            "apps",
            "--select",
            "ORG",
            "--baseline",
            "base.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "every finding is in the baseline: {err}");
    assert!(findings(&out).iter().all(|f| f.2 || f.3), "{out}");

    let (code, out, _) = palisade(
        dir.path(),
        &["scan", "apps", "--select", "ORG001", "--format", "sarif"],
    );
    assert_eq!(code, 1);
    let sarif: Value = serde_json::from_str(&out).unwrap();
    let run = &sarif["runs"][0];
    let rule = &run["tool"]["driver"]["rules"][0];
    assert_eq!(
        (rule["id"].as_str(), rule["name"].as_str()),
        (Some("ORG001"), Some("require-team-label"))
    );
    assert_eq!(run["results"].as_array().unwrap().len(), 2);
}

#[test]
fn rules_and_explain_list_own_rules() {
    let dir = project();
    let (code, out, err) = palisade(dir.path(), &["rules"]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("ORG002"))
        .expect("ORG002 listed");
    assert!(
        line.contains("no-default-namespace") && line.contains("Use Network Policies"),
        "{line}"
    );
    let (code, out, _) = palisade(dir.path(), &["explain", "ORG001"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("ORG001 require-team-label — Every Deployment names its owning team"),
        "{out}"
    );
    assert!(
        out.contains("'team' in variables.labels")
            && out.contains("## How to fix\nlabel the Deployment"),
        "{out}"
    );
    assert!(
        !out.contains("## Why it matters"),
        "an empty section is left out: {out}"
    );
    // The guide scorecard counts a user's rule in the section it names.
    let (_, out, _) = palisade(dir.path(), &["scan", "apps", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let rows = v["summary"]["guide"].to_string();
    assert!(rows.contains("ORG002"), "{rows}");
}

#[test]
fn a_mistake_in_a_rule_is_a_config_error_with_its_line() {
    let dir = project();
    let bad = CONFIG.replace(
        "'team' in variables.labels",
        "'team' in in variables.labels",
    );
    std::fs::write(dir.path().join("palisade.yaml"), bad).unwrap();
    for args in [&["scan", "apps"][..], &["rules"][..]] {
        let (code, _, err) = palisade(dir.path(), args);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("palisade.yaml:2:3: rules: ORG001: validation `'team' in in"),
            "{err}"
        );
    }
    let taken = CONFIG.replace("ORG002", "PS999");
    std::fs::write(dir.path().join("palisade.yaml"), taken).unwrap();
    let (code, _, err) = palisade(dir.path(), &["scan", "apps"]);
    assert_eq!(code, 2);
    assert!(err.contains("PS is a family of built-in rules"), "{err}");
}

/// The state the guide scorecard gives `code` in a scan of `path`.
fn scorecard_state(dir: &std::path::Path, path: &str, code: &str) -> String {
    let (_, out, err) = palisade(dir, &["scan", path, "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    v["summary"]["guide"]["sections"]
        .as_array()
        .unwrap_or_else(|| panic!("no guide sections: {}", v["summary"]["guide"]))
        .iter()
        .flat_map(|row| row["rules"].as_array().unwrap())
        .find(|r| r["code"] == code)
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{code} not in the scorecard"))
}

/// A user's rule judged nothing when the input has no object of the kinds it names: its section
/// must not "hold" on that.
#[test]
fn an_own_rule_without_its_kinds_in_the_input_is_not_applicable() {
    let dir = project();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\n",
    )
    .unwrap();
    assert_eq!(
        scorecard_state(dir.path(), "config", "ORG001"),
        "not applicable"
    );
    assert_eq!(scorecard_state(dir.path(), "apps", "ORG001"), "evaluated");
    // ORG002 names pods and Deployments of any group.
    assert_eq!(scorecard_state(dir.path(), "apps", "ORG002"), "evaluated");
}
