//! VA001 end to end: a ValidatingAdmissionPolicy in one file judges objects in another (before or
//! after it), with the API server's message; a policy whose expression would run for minutes
//! fails that policy alone and the rest of the scan goes on. VA002: a Gatekeeper
//! ConstraintTemplate with CEL code and its Constraint judge the same way; a Rego-only template
//! and its constraint are NOT EVALUATED with the reason, and judge nothing.

use assert_cmd::Command;
use serde_json::Value;

const POLICY: &str = r#"apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: max-replicas
spec:
  paramKind:
    apiVersion: rules.example.com/v1
    kind: ReplicaLimit
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
  validations:
  - expression: "object.spec.replicas <= params.maxReplicas"
    messageExpression: "'at most ' + string(params.maxReplicas) + ' replicas'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: max-replicas-binding
spec:
  policyName: max-replicas
  validationActions: [Deny]
  paramRef:
    name: limit
    namespace: shop
    parameterNotFoundAction: Deny
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: hostile
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  validations:
  - expression: "size(object.data.x.split('').map(a, object.data.x.split('').map(b, object.data.x.split('').map(c, a + b + c)))) > 0"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: hostile-binding
spec:
  policyName: hostile
  validationActions: [Warn]
"#;

const OBJECTS: &str = r#"apiVersion: rules.example.com/v1
kind: ReplicaLimit
metadata:
  name: limit
  namespace: shop
maxReplicas: 3
---
apiVersion: apps/v1
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
  name: api
  namespace: shop
spec:
  replicas: 2
"#;

/// The JSON report of `palisade scan --no-config --format json ARGS` in `dir`.
fn report(dir: &std::path::Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("palisade")
        .expect("binary built")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["scan", "--no-config", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    // 1 with findings, 0 without.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn scan(dir: &std::path::Path, args: &[&str]) -> Vec<(String, String, String, String)> {
    let args: Vec<&str> = ["--select", "VA001"].iter().chain(args).copied().collect();
    report(dir, &args)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_owned();
            (
                s("code"),
                s("severity"),
                f["object"]["name"].as_str().unwrap_or("").to_owned(),
                s("message"),
            )
        })
        .collect()
}

#[test]
fn policies_judge_objects_of_other_files_with_the_api_servers_message() {
    let dir = tempfile::tempdir().unwrap();
    // `a-objects.yaml` is read before `b-policies.yaml`: the order of files does not matter.
    std::fs::write(dir.path().join("a-objects.yaml"), OBJECTS).unwrap();
    let big: String = "abcdefghij".repeat(30);
    std::fs::write(
        dir.path().join("c-configmap.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: shop\ndata:\n  x: {big}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("b-policies.yaml"), POLICY).unwrap();
    let found = scan(dir.path(), &["."]);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        (
            "VA001".to_owned(),
            "high".to_owned(),
            "web".to_owned(),
            "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: at most 3 replicas".to_owned()
        )
    );
    assert_eq!(
        (found[1].1.as_str(), found[1].2.as_str()),
        ("medium", "big")
    );
    assert!(
        found[1].3.starts_with("Validation failed for ValidatingAdmissionPolicy 'hostile' with binding 'hostile-binding': expression 'size(")
            && found[1].3.contains("actual cost limit exceeded"),
        "{}",
        found[1].3
    );
}

/// A directory argument may hold unrelated applications: a policy found in `policies/` does not
/// judge `apps/` when both are found under one argument, and does when they are given as two.
#[test]
fn a_policy_judges_its_own_directory_and_other_arguments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("repo/policies")).unwrap();
    std::fs::create_dir_all(dir.path().join("repo/apps")).unwrap();
    std::fs::write(dir.path().join("repo/policies/vap.yaml"), POLICY).unwrap();
    std::fs::write(dir.path().join("repo/apps/objects.yaml"), OBJECTS).unwrap();
    assert_eq!(scan(dir.path(), &["repo"]), vec![]);
    let found = scan(dir.path(), &["repo/policies", "repo/apps"]);
    assert_eq!(
        found.iter().map(|f| f.2.as_str()).collect::<Vec<_>>(),
        ["web"],
        "{found:?}"
    );
}

/// The exit code of `palisade scan ARGS` run in `dir` with its config, the names of the objects of
/// its VA001 findings, and what it printed.
fn scan_with_config(
    dir: &std::path::Path,
    args: &[&str],
    stdin: &str,
) -> (i32, Vec<String>, String) {
    let out = Command::cargo_bin("palisade")
        .expect("binary built")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .args(["scan", "--format", "json", "--select", "VA001"])
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    // Problems are in the report; what the run printed, for messages.
    let stderr = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    let code = out.status.code().unwrap_or(-1);
    let names = serde_json::from_slice::<Value>(&out.stdout)
        .map(|v| {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["object"]["name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    (code, names, stderr)
}

/// `policies:` in palisade.yaml judge every scanned object wherever the policies live, once even
/// when the policy files are scanned too; a configured path that does not exist is an input
/// error.
#[test]
fn configured_policies_judge_every_scanned_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::create_dir_all(dir.path().join("apps/shop")).unwrap();
    std::fs::write(dir.path().join("policies/vap.yaml"), POLICY).unwrap();
    std::fs::write(dir.path().join("apps/shop/objects.yaml"), OBJECTS).unwrap();
    // Without the config, the policies are not part of `scan apps`.
    std::fs::write(dir.path().join("palisade.yaml"), "fail-on: high\n").unwrap();
    let (code, names, err) = scan_with_config(dir.path(), &["apps"], "");
    assert_eq!((code, names), (0, vec![]), "{err}");

    std::fs::write(dir.path().join("palisade.yaml"), "policies: [policies]\n").unwrap();
    // Found from a subdirectory too: the path is the config file's, not the working directory's.
    let (code, names, err) = scan_with_config(&dir.path().join("apps"), &["shop"], "");
    assert_eq!((code, names), (1, vec!["web".to_owned()]), "{err}");
    let (code, names, err) = scan_with_config(dir.path(), &["."], "");
    assert_eq!((code, names), (1, vec!["web".to_owned()]), "{err}");

    std::fs::write(dir.path().join("palisade.yaml"), "policies: [missing/]\n").unwrap();
    let (code, _, err) = scan_with_config(dir.path(), &["apps"], "");
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing") && err.contains("no such file"),
        "{err}"
    );
}

/// Policies piped in with the objects judge them: standard input is read once for both.
#[test]
fn policies_on_standard_input_judge_the_objects_piped_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let piped = format!("{POLICY}---\n{OBJECTS}");
    let (code, names, err) = scan_with_config(dir.path(), &["--no-config", "-"], &piped);
    assert_eq!((code, names), (1, vec!["web".to_owned()]), "{err}");
}

const GATEKEEPER_TEMPLATES: &str = r#"apiVersion: templates.gatekeeper.sh/v1
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

const GATEKEEPER_CONSTRAINTS: &str = r#"apiVersion: constraints.gatekeeper.sh/v1beta1
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

/// Deployments `web` (4 replicas, shop), `dns` (4, kube-system, excluded) and `api` (2, shop).
fn deployments() -> String {
    [("web", "shop", 4), ("dns", "kube-system", 4), ("api", "shop", 2)]
        .iter()
        .map(|(name, namespace, replicas)| {
            format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  replicas: {replicas}\n")
        })
        .collect()
}

#[test]
fn constraints_judge_and_rego_only_templates_are_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-objects.yaml"), deployments()).unwrap();
    std::fs::write(dir.path().join("b-templates.yaml"), GATEKEEPER_TEMPLATES).unwrap();
    std::fs::write(
        dir.path().join("c-constraints.yaml"),
        GATEKEEPER_CONSTRAINTS,
    )
    .unwrap();
    let v = report(dir.path(), &["--select", "VA", "."]);
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
    let not_evaluated = v["summary"]["not_evaluated"]
        .as_array()
        .expect("not_evaluated");
    assert_eq!(not_evaluated.len(), 1, "{not_evaluated:#?}");
    assert_eq!(not_evaluated[0]["code"], "VA002");
    assert_eq!(
        not_evaluated[0]["reason"],
        "Palisade runs no Rego; ConstraintTemplate 'testregoonly' has no K8sNativeValidation code (1 constraint(s) of kind TestRegoOnly not judged)"
    );
}

/// What the pre-pass must find besides the policies: a param in the policy's own file (GKE's
/// samples ship them so), and the Namespaces a policy selects by labels or reads through
/// `namespaceObject`, in files of their own.
#[test]
fn params_beside_their_policy_and_namespaces_a_policy_reads_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let (limit, deployments) = OBJECTS.split_once("---\n").unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        format!("{POLICY}---\n{limit}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("apps.yaml"), deployments).unwrap();
    let found = scan(dir.path(), &["."]);
    assert_eq!(
        found.iter().map(|f| (f.2.as_str(), f.3.as_str())).collect::<Vec<_>>(),
        [("web", "ValidatingAdmissionPolicy 'max-replicas' with binding 'max-replicas-binding' denied request: at most 3 replicas")],
    );

    let dir = tempfile::tempdir().unwrap();
    let policy = |name: &str, selector: &str, expression: &str| {
        format!(
            "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
             metadata:\n  name: {name}\nspec:\n  matchConstraints:\n{selector}    resourceRules:\n\
             \x20   - apiGroups: [apps]\n      apiVersions: [v1]\n      operations: [CREATE]\n\
             \x20     resources: [deployments]\n  validations:\n  - expression: \"{expression}\"\n\
             ---\napiVersion: admissionregistration.k8s.io/v1\n\
             kind: ValidatingAdmissionPolicyBinding\nmetadata:\n  name: {name}\n\
             spec:\n  policyName: {name}\n  validationActions: [Deny]\n"
        )
    };
    std::fs::write(
        dir.path().join("policies.yaml"),
        [
            policy(
                "prod-replicas",
                "    namespaceSelector:\n      matchLabels: {env: prod}\n",
                "object.spec.replicas <= 1",
            ),
            policy(
                "team-label",
                "",
                "namespaceObject.metadata.labels.team == 'web'",
            ),
        ]
        .join("---\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("namespaces.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {env: prod, team: web}\n\
         ---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: lab\n  labels: {env: dev, team: ml}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("apps.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {replicas: 2}\n\
         ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: trainer, namespace: lab}\nspec: {replicas: 2}\n",
    )
    .unwrap();
    let mut found: Vec<(String, String)> = scan(dir.path(), &["."])
        .into_iter()
        .map(|f| (f.2, f.3))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "trainer".to_owned(),
                "ValidatingAdmissionPolicy 'team-label' with binding 'team-label' denied request: failed expression: namespaceObject.metadata.labels.team == 'web'".to_owned()
            ),
            (
                "web".to_owned(),
                "ValidatingAdmissionPolicy 'prod-replicas' with binding 'prod-replicas' denied request: failed expression: object.spec.replicas <= 1".to_owned()
            ),
        ]
    );
}

/// A policy that reads `object.spec.tolerations` without `has()`, as GKE's compute-class samples
/// do, judges a Pod as the API server would after `DefaultTolerationSeconds` gave it two
/// tolerations: no `no such key` denial for a Pod that declares none.
#[test]
fn pods_are_judged_with_the_tolerations_the_api_server_adds() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policy.yaml"),
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\n\
         metadata: {name: no-dedicated}\nspec:\n  failurePolicy: Fail\n  matchConstraints:\n\
         \x20   resourceRules:\n    - {apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: [pods]}\n\
         \x20 validations:\n  - expression: \"object.spec.tolerations.all(t, !has(t.key) || t.key != 'dedicated')\"\n\
         \x20 - expression: \"object.spec.tolerations.size() >= 2\"\n\
         ---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\n\
         metadata: {name: no-dedicated}\nspec: {policyName: no-dedicated, validationActions: [Deny]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("pods.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: plain, namespace: shop}\nspec: {containers: [{name: c, image: x}]}\n\
         ---\napiVersion: v1\nkind: Pod\nmetadata: {name: dedicated, namespace: shop}\n\
         spec:\n  containers: [{name: c, image: x}]\n  tolerations: [{key: dedicated, operator: Exists}]\n",
    )
    .unwrap();
    let found = scan(dir.path(), &["."]);
    assert_eq!(
        found.iter().map(|f| (f.2.as_str(), f.3.as_str())).collect::<Vec<_>>(),
        [(
            "dedicated",
            "ValidatingAdmissionPolicy 'no-dedicated' with binding 'no-dedicated' denied request: failed expression: object.spec.tolerations.all(t, !has(t.key) || t.key != 'dedicated')"
        )],
        "{found:?}"
    );
}
