//! The ValidatingAdmissionPolicy examples of the Kubernetes documentation
//! ("Validating Admission Policy" concept page, kubernetes.io), with the outcomes it states.
//! CREATE cases only: an offline scan is a CREATE of each object.

mod support;

use support::judge;

const DEMO_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "demo-policy.example.com"
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  validations:
    - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "demo-binding-test.example.com"
spec:
  policyName: "demo-policy.example.com"
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels:
        environment: test
"#;

fn deployment(name: &str, namespace: &str, replicas: u32) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  replicas: {replicas}\n---\n"
    )
}

const TEST_NAMESPACE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n  labels:\n    environment: test\n---\n";

#[test]
fn replicas_over_the_limit_are_denied_with_the_api_servers_message() {
    let objects = format!(
        "{TEST_NAMESPACE}{}{}",
        deployment("big", "test", 6),
        deployment("small", "test", 5)
    );
    assert_eq!(
        judge(DEMO_POLICY, &objects),
        vec![(
            "big".to_owned(),
            "ValidatingAdmissionPolicy 'demo-policy.example.com' with binding 'demo-binding-test.example.com' denied request: failed expression: object.spec.replicas <= 5".to_owned()
        )]
    );
}

#[test]
fn the_bindings_namespace_selector_limits_the_policy() {
    // `prod` carries no `environment: test` label; `elsewhere` is not in the input, so it has only
    // the automatic `kubernetes.io/metadata.name` label the API server gives every namespace.
    let objects = format!(
        "{TEST_NAMESPACE}apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n---\n{}{}",
        deployment("prod-big", "prod", 9),
        deployment("elsewhere-big", "elsewhere", 9)
    );
    assert_eq!(judge(DEMO_POLICY, &objects), vec![]);
}

const PARAM_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "replicalimit-policy.example.com"
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: rules.example.com/v1
    kind: ReplicaLimit
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  validations:
    - expression: "object.spec.replicas <= params.maxReplicas"
      messageExpression: "'object.spec.replicas must be no greater than ' + string(params.maxReplicas)"
      reason: Invalid
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "replicalimit-binding-test.example.com"
spec:
  policyName: "replicalimit-policy.example.com"
  validationActions: [Deny]
  paramRef:
    name: "replica-limit-test.example.com"
    namespace: "default"
    parameterNotFoundAction: ACTION
"#;

const REPLICA_LIMIT: &str = "apiVersion: rules.example.com/v1\nkind: ReplicaLimit\nmetadata:\n  name: \"replica-limit-test.example.com\"\n  namespace: \"default\"\nmaxReplicas: 3\n---\n";

#[test]
fn params_come_from_the_object_the_binding_names() {
    let policy = PARAM_POLICY.replace("ACTION", "Deny");
    let objects = format!(
        "{REPLICA_LIMIT}{}{}",
        deployment("four", "default", 4),
        deployment("three", "default", 3)
    );
    assert_eq!(
        judge(&policy, &objects),
        vec![(
            "four".to_owned(),
            "ValidatingAdmissionPolicy 'replicalimit-policy.example.com' with binding 'replicalimit-binding-test.example.com' denied request: object.spec.replicas must be no greater than 3".to_owned()
        )]
    );
}

#[test]
fn missing_params_follow_parameter_not_found_action() {
    let objects = deployment("one", "default", 1);
    assert_eq!(
        judge(&PARAM_POLICY.replace("ACTION", "Deny"), &objects),
        vec![(
            "one".to_owned(),
            "ValidatingAdmissionPolicy 'replicalimit-policy.example.com' with binding 'replicalimit-binding-test.example.com' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction".to_owned()
        )]
    );
    assert_eq!(
        judge(&PARAM_POLICY.replace("ACTION", "Allow"), &objects),
        vec![]
    );
}

/// The documentation's variables example: images must come from `myrepo/` unless the object
/// says otherwise; `matchConditions` skip objects the policy does not concern.
const VARIABLES_POLICY: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: "image-matches-namespace-environment.policy.example.com"
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups:   ["apps"]
      apiVersions: ["v1"]
      operations:  ["CREATE", "UPDATE"]
      resources:   ["deployments"]
  matchConditions:
    - name: 'exclude-opted-out'
      expression: '!has(object.metadata.labels) || !("skip" in object.metadata.labels)'
  variables:
  - name: environment
    expression: "'environment' in namespaceObject.metadata.labels ? namespaceObject.metadata.labels['environment'] : 'prod'"
  - name: exempt
    expression: "'exempt' in object.metadata.labels && object.metadata.labels['exempt'] == 'true'"
  - name: containers
    expression: "object.spec.template.spec.containers"
  - name: containersToCheck
    expression: "variables.containers.filter(c, c.image.contains('example.com/'))"
  validations:
  - expression: "variables.exempt || variables.containersToCheck.all(c, c.image.startsWith(variables.environment + '.'))"
    messageExpression: "'only ' + variables.environment + ' images are allowed in namespace ' + namespaceObject.metadata.name"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: "image-binding"
spec:
  policyName: "image-matches-namespace-environment.policy.example.com"
  validationActions: [Warn, Audit]
"#;

fn deployment_with_image(name: &str, labels: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: test\n  labels: {labels}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: {image}\n---\n"
    )
}

#[test]
fn variables_match_conditions_and_warn_actions() {
    let objects = format!(
        "{TEST_NAMESPACE}{}{}{}{}",
        deployment_with_image("wrong", "{}", "prod.example.com/nginx"),
        deployment_with_image("right", "{}", "test.example.com/nginx"),
        deployment_with_image("exempt", "{exempt: 'true'}", "prod.example.com/nginx"),
        deployment_with_image("skipped", "{skip: 'yes'}", "prod.example.com/nginx"),
    );
    assert_eq!(
        judge(VARIABLES_POLICY, &objects),
        vec![(
            "wrong".to_owned(),
            "Validation failed for ValidatingAdmissionPolicy 'image-matches-namespace-environment.policy.example.com' with binding 'image-binding': only test images are allowed in namespace test".to_owned()
        )]
    );
}
