//! The API server's rules around the expressions: failure policy, selectors, excluded resources,
//! expressions that do not compile.

mod support;

use support::judge;

/// `failure_policy` empty: the field is left out.
fn policy(failure_policy: &str, constraints_extra: &str, expression: &str) -> String {
    let failure_policy = if failure_policy.is_empty() {
        String::new()
    } else {
        format!("failurePolicy: {failure_policy}")
    };
    format!(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: p
spec:
  {failure_policy}
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps", "secrets"]
{constraints_extra}
  validations:
  - expression: "{expression}"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: b
spec:
  policyName: p
  validationActions: [Deny]
"#
    )
}

const CONFIGMAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels:\n    tier: web\ndata: {}\n";

#[test]
fn an_evaluation_error_denies_under_fail_and_passes_under_ignore() {
    let fail = judge(&policy("Fail", "", "object.data.missing == 'x'"), CONFIGMAP);
    assert_eq!(fail.len(), 1);
    assert!(
        fail[0].1.starts_with(
            "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: expression 'object.data.missing == 'x'' resulted in error: "
        ),
        "{}",
        fail[0].1
    );
    assert_eq!(
        judge(
            &policy("Ignore", "", "object.data.missing == 'x'"),
            CONFIGMAP
        ),
        vec![]
    );
    // failurePolicy defaults to Fail.
    let default = judge(&policy("", "", "object.data.missing == 'x'"), CONFIGMAP);
    assert_eq!(default.len(), 1);
    assert!(
        default[0].1.contains("resulted in error"),
        "{}",
        default[0].1
    );
    let false_has = judge(&policy("", "", "has(object.data.missing)"), CONFIGMAP);
    assert_eq!(
        false_has[0].1,
        "ValidatingAdmissionPolicy 'p' with binding 'b' denied request: failed expression: has(object.data.missing)"
    );
}

#[test]
fn an_expression_that_does_not_compile_follows_the_failure_policy() {
    let fail = judge(&policy("Fail", "", "object.data +"), CONFIGMAP);
    assert_eq!(fail.len(), 1);
    assert!(
        fail[0].1.contains("resulted in error: compilation failed"),
        "{}",
        fail[0].1
    );
    assert_eq!(
        judge(&policy("Ignore", "", "object.data +"), CONFIGMAP),
        vec![]
    );
}

#[test]
fn object_selector_and_excluded_resources() {
    let selected = "    objectSelector:\n      matchExpressions:\n      - {key: tier, operator: In, values: [web]}";
    let other = "    objectSelector:\n      matchLabels: {tier: db}";
    let excluded = "    excludeResourceRules:\n    - apiGroups: [\"\"]\n      apiVersions: [\"*\"]\n      operations: [\"*\"]\n      resources: [\"configmaps\"]";
    assert_eq!(
        judge(&policy("Fail", selected, "false"), CONFIGMAP).len(),
        1
    );
    assert_eq!(judge(&policy("Fail", other, "false"), CONFIGMAP), vec![]);
    assert_eq!(judge(&policy("Fail", excluded, "false"), CONFIGMAP), vec![]);
    // A kind outside resourceRules is not judged.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec: {}\n";
    assert_eq!(judge(&policy("Fail", "", "false"), pod), vec![]);
}
