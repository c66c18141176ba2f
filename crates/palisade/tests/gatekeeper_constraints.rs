//! VA002 end to end: a Gatekeeper ConstraintTemplate with CEL code and its Constraint, in files of
//! their own, judge the objects of their directory; a Rego-only template and its constraint are
//! NOT EVALUATED with the reason, and judge nothing.

use assert_cmd::Command;
use serde_json::Value;

const TEMPLATES: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: testmaxreplicas
spec:
  crd:
    spec:
      names:
        kind: TestMaxReplicas
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        validations:
        - expression: '!has(variables.anyObject.spec.replicas) || variables.anyObject.spec.replicas <= variables.params.max'
          messageExpression: '"at most " + string(variables.params.max) + " replicas"'
---
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata:
  name: testregoonly
spec:
  crd:
    spec:
      names:
        kind: TestRegoOnly
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package testregoonly
      violation[{"msg": "no"}] { true }
"#;

const CONSTRAINTS: &str = r#"apiVersion: constraints.gatekeeper.sh/v1beta1
kind: TestMaxReplicas
metadata:
  name: at-most-three
spec:
  enforcementAction: warn
  match:
    kinds:
    - apiGroups: [apps]
      kinds: [Deployment]
    excludedNamespaces: ["kube-*"]
  parameters:
    max: 3
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: TestRegoOnly
metadata:
  name: everything
"#;

const OBJECTS: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: dns
  namespace: kube-system
spec:
  replicas: 4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  replicas: 2
"#;

#[test]
fn constraints_judge_and_rego_only_templates_are_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-objects.yaml"), OBJECTS).unwrap();
    std::fs::write(dir.path().join("b-templates.yaml"), TEMPLATES).unwrap();
    std::fs::write(dir.path().join("c-constraints.yaml"), CONSTRAINTS).unwrap();
    let out = Command::cargo_bin("palisade")
        .expect("binary built")
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .args(["scan", "--no-config", "--format", "json", "--select", "VA"])
        .arg(".")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(f["code"], "VA002");
    assert_eq!(f["severity"], "medium");
    assert_eq!(f["object"]["name"], "web");
    assert_eq!(
        f["message"],
        "TestMaxReplicas 'at-most-three' warns: [at-most-three] at most 3 replicas"
    );
    let not_evaluated = v["summary"]["not_evaluated"].as_array().expect("not_evaluated");
    assert_eq!(not_evaluated.len(), 1, "{not_evaluated:#?}");
    assert_eq!(not_evaluated[0]["code"], "VA002");
    assert_eq!(
        not_evaluated[0]["reason"],
        "Palisade runs no Rego; ConstraintTemplate 'testregoonly' has no K8sNativeValidation code (1 constraint(s) of kind TestRegoOnly not judged)"
    );
}
