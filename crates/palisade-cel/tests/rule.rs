//! VA001 findings: severity from the binding's actions, the API server's message, the policy as
//! the related object.

mod support;

use palisade_cel::rule::{report, META};
use palisade_cel::vap::{Engine, PolicySet};
use palisade_core::rule::Emitter;
use palisade_core::Severity;

fn policy(actions: &str) -> String {
    format!(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: no-latest
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: ["CREATE"]
      resources: ["pods"]
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
    message: "images must not use the latest tag"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: no-latest-binding
spec:
  policyName: no-latest
  validationActions: {actions}
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: c
    image: nginx:latest
"#
    )
}

fn findings(actions: &str) -> Vec<palisade_core::Finding> {
    let objects = support::objects(&policy(actions));
    let set = PolicySet::new(&objects);
    let mut out = Vec::new();
    for o in &objects {
        let mut emitter = Emitter::new(o, &META, &mut out);
        report(&set, Engine::Vap, &|_| true, o, &mut emitter);
    }
    out
}

#[test]
fn deny_is_high_warn_medium_audit_low() {
    for (actions, severity) in [
        ("[Deny]", Severity::High),
        ("[Warn, Deny]", Severity::High),
        ("[Warn]", Severity::Medium),
        ("[Audit]", Severity::Low),
    ] {
        let f = findings(actions);
        assert_eq!(f.len(), 1, "{actions}: {f:?}");
        assert_eq!(f[0].severity, severity, "{actions}");
        assert_eq!(f[0].code, "VA001");
        assert_eq!(
            f[0].object.as_ref().and_then(|o| o.name.as_deref()),
            Some("web")
        );
        assert_eq!(
            f[0].related.as_ref().and_then(|o| o.name.as_deref()),
            Some("no-latest")
        );
    }
    assert_eq!(
        &*findings("[Deny]")[0].message,
        "ValidatingAdmissionPolicy 'no-latest' with binding 'no-latest-binding' denied request: images must not use the latest tag"
    );
}
