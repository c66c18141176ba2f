//! A hostile expression ends with a clear error naming the policy, and never runs.

mod support;

use std::time::{Duration, Instant};

use support::judge;

#[test]
fn nested_map_over_a_large_list_is_refused_before_it_runs() {
    let items: String = (0..2000).map(|i| format!("    - v{i}\n")).collect();
    let policy = r#"
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
  - expression: "size(object.data.items.map(a, object.data.items.map(b, object.data.items.map(c, a + b + c)))) > 0"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: hostile-binding
spec:
  policyName: hostile
  validationActions: [Deny]
"#;
    let objects = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  items:\n{items}"
    );
    let start = Instant::now();
    let verdicts = judge(policy, &objects);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(verdicts.len(), 1, "{verdicts:?}");
    let message = &verdicts[0].1;
    assert!(
        message.starts_with("ValidatingAdmissionPolicy 'hostile' with binding 'hostile-binding' denied request: expression 'size(object.data.items.map(")
            && message.contains("resulted in error: operation cancelled: actual cost limit exceeded"),
        "{message}"
    );
}

#[test]
fn the_same_expression_over_a_small_list_runs() {
    let policy = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: small
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["configmaps"]
  validations:
  - expression: "size(object.data.items.map(a, object.data.items.map(b, a + b))) < 4"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: small-binding
spec:
  policyName: small
  validationActions: [Deny]
"#;
    let objects =
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: few\ndata:\n  items: [p, q, r, s]\n";
    assert_eq!(
        judge(policy, objects),
        vec![(
            "few".to_owned(),
            "ValidatingAdmissionPolicy 'small' with binding 'small-binding' denied request: failed expression: size(object.data.items.map(a, object.data.items.map(b, a + b))) < 4".to_owned()
        )]
    );
}
