//! gatekeeper-library's K8sNativeValidation templates, as Gatekeeper turns them into a
//! ValidatingAdmissionPolicy (`variables.anyObject`, `variables.params` from the constraint's
//! `spec.parameters`, then the template's own variables), judged on the samples of the
//! library's `suite.yaml` for the template. Fixtures are written from the public suite
//! (open-policy-agent/gatekeeper-library, `library/pod-security-policy/privileged-containers`);
//! its UPDATE case (`isUpdate`) is out of scope offline, as every scan is a CREATE.

mod support;

use support::judge;

/// The template's CEL source (`src/pod-security-policy/privileged-containers/src.cel`) behind
/// the two variables Gatekeeper prepends, bound to a constraint without parameters.
const PRIVILEGED: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: gatekeeper-k8spspprivilegedcontainer
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sPSPPrivilegedContainer
  matchConstraints:
    resourceRules:
    - apiGroups: ["*"]
      apiVersions: ["*"]
      operations: ["CREATE", "UPDATE"]
      resources: ["*"]
  variables:
  - name: anyObject
    expression: 'has(request.operation) && request.operation == "DELETE" && object == null ? oldObject : object'
  - name: params
    expression: '!has(params.spec) ? null : !has(params.spec.parameters) ? null: params.spec.parameters'
  - name: containers
    expression: 'has(variables.anyObject.spec.containers) ? variables.anyObject.spec.containers : []'
  - name: initContainers
    expression: 'has(variables.anyObject.spec.initContainers) ? variables.anyObject.spec.initContainers : []'
  - name: ephemeralContainers
    expression: 'has(variables.anyObject.spec.ephemeralContainers) ? variables.anyObject.spec.ephemeralContainers : []'
  - name: exemptImagePrefixes
    expression: |
      !has(variables.params.exemptImages) ? [] :
        variables.params.exemptImages.filter(image, image.endsWith("*")).map(image, string(image).replace("*", ""))
  - name: exemptImageExplicit
    expression: |
      !has(variables.params.exemptImages) ? [] :
        variables.params.exemptImages.filter(image, !image.endsWith("*"))
  - name: exemptImages
    expression: |
      (variables.containers + variables.initContainers + variables.ephemeralContainers).filter(container,
        container.image in variables.exemptImageExplicit ||
        variables.exemptImagePrefixes.exists(exemption, string(container.image).startsWith(exemption))
      ).map(container, container.image)
  - name: badContainers
    expression: |
      (variables.containers + variables.initContainers + variables.ephemeralContainers).filter(container,
        !(container.image in variables.exemptImages) &&
        (has(container.securityContext) && has(container.securityContext.privileged) && container.securityContext.privileged)
      ).map(container, "Privileged container is not allowed: " + container.name +", securityContext.privileged: true")
  - name: isUpdate
    expression: has(request.operation) && request.operation == "UPDATE"
  validations:
  - expression: variables.isUpdate || size(variables.badContainers) == 0
    messageExpression: 'variables.badContainers.join(", ")'
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: gatekeeper-psp-privileged-container
spec:
  policyName: gatekeeper-k8spspprivilegedcontainer
  validationActions: [Deny]
  paramRef:
    name: psp-privileged-container
    parameterNotFoundAction: Deny
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sPSPPrivilegedContainer
metadata:
  name: psp-privileged-container
spec:
  match:
    kinds:
    - apiGroups: [""]
      kinds: ["Pod"]
"#;

fn pod(name: &str, field: &str, privileged: bool) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\nspec:\n  {field}:\n  - name: nginx\n    image: nginx\n    securityContext:\n      privileged: {privileged}\n---\n"
    )
}

#[test]
fn suite_samples_of_privileged_containers() {
    // suite.yaml: example-allowed, example-disallowed, disallowed-ephemeral (and the same for
    // initContainers, which the template reads too).
    let objects = [
        pod("nginx-privileged-allowed", "containers", false),
        pod("nginx-privileged-disallowed", "containers", true),
        pod("nginx-privileged-disallowed-init", "initContainers", true),
        pod(
            "nginx-privileged-disallowed-ephemeral",
            "ephemeralContainers",
            true,
        ),
    ]
    .concat();
    let denied = |name: &str| {
        (
            name.to_owned(),
            "ValidatingAdmissionPolicy 'gatekeeper-k8spspprivilegedcontainer' with binding 'gatekeeper-psp-privileged-container' denied request: Privileged container is not allowed: nginx, securityContext.privileged: true".to_owned(),
        )
    };
    assert_eq!(
        judge(PRIVILEGED, &objects),
        vec![
            denied("nginx-privileged-disallowed"),
            denied("nginx-privileged-disallowed-init"),
            denied("nginx-privileged-disallowed-ephemeral"),
        ]
    );
}

#[test]
fn exempt_images_from_the_constraints_parameters() {
    let policy = PRIVILEGED.replace(
        "      kinds: [\"Pod\"]\n",
        "      kinds: [\"Pod\"]\n  parameters:\n    exemptImages: [\"ngi*\"]\n",
    );
    let objects = pod("nginx-privileged-exempt", "containers", true);
    assert_eq!(judge(&policy, &objects), vec![]);
}

/// `general/requiredlabels` (`src/general/requiredlabels/src.cel`) with the suite's
/// `all-must-have-owner` constraint: Namespaces need an `owner` label matching
/// `^[a-zA-Z]+.agilebank.demo$`.
const REQUIRED_LABELS: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: gatekeeper-k8srequiredlabels
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: constraints.gatekeeper.sh/v1beta1
    kind: K8sRequiredLabels
  matchConstraints:
    resourceRules:
    - apiGroups: ["*"]
      apiVersions: ["*"]
      operations: ["CREATE", "UPDATE"]
      resources: ["*"]
  variables:
  - name: anyObject
    expression: 'has(request.operation) && request.operation == "DELETE" && object == null ? oldObject : object'
  - name: params
    expression: '!has(params.spec) ? null : !has(params.spec.parameters) ? null: params.spec.parameters'
  validations:
  - expression: '(has(variables.anyObject.metadata) && variables.params.labels.all(entry, has(variables.anyObject.metadata.labels) && entry.key in variables.anyObject.metadata.labels))'
    messageExpression: '"missing required label, requires all of: " + variables.params.labels.map(entry, entry.key).join(", ")'
  - expression: '(has(variables.anyObject.metadata) && variables.params.labels.all(entry, has(variables.anyObject.metadata.labels) && entry.key in variables.anyObject.metadata.labels && (!has(entry.allowedRegex) || string(variables.anyObject.metadata.labels[entry.key]).matches(string(entry.allowedRegex)))))'
    message: "regex mismatch"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: gatekeeper-all-must-have-owner
spec:
  policyName: gatekeeper-k8srequiredlabels
  validationActions: [Deny]
  paramRef:
    name: all-must-have-owner
    parameterNotFoundAction: Deny
  matchResources:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["*"]
      operations: ["CREATE", "UPDATE"]
      resources: ["namespaces"]
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: K8sRequiredLabels
metadata:
  name: all-must-have-owner
spec:
  match:
    kinds:
      - apiGroups: [""]
        kinds: ["Namespace"]
  parameters:
    message: "All namespaces must have an `owner` label that points to your company username"
    labels:
      - key: owner
        allowedRegex: "^[a-zA-Z]+.agilebank.demo$"
"#;

#[test]
fn suite_samples_of_required_labels() {
    // example_allowed.yaml, example_disallowed.yaml, example_disallowed_label_value.yaml.
    let objects = "apiVersion: v1\nkind: Namespace\nmetadata:\n  creationTimestamp: null\n  name: allowed-namespace\n  labels:\n    owner: user.agilebank.demo\nspec: {}\nstatus: {}\n---\n\
apiVersion: v1\nkind: Namespace\nmetadata:\n  name: disallowed-namespace\n---\n\
apiVersion: v1\nkind: Namespace\nmetadata:\n  name: disallowed-namespace-value\n  labels:\n    owner: user\n    test: test\n";
    let denied = |name: &str, message: &str| {
        (
            name.to_owned(),
            format!("ValidatingAdmissionPolicy 'gatekeeper-k8srequiredlabels' with binding 'gatekeeper-all-must-have-owner' denied request: {message}"),
        )
    };
    assert_eq!(
        judge(REQUIRED_LABELS, objects),
        vec![
            // Both validations fail without the label: one finding each.
            denied(
                "disallowed-namespace",
                "missing required label, requires all of: owner"
            ),
            denied("disallowed-namespace", "regex mismatch"),
            denied("disallowed-namespace-value", "regex mismatch"),
        ]
    );
}
