//! PodSecurityPolicy objects (`PS170`–`PS178`): the pod security mechanism of Kubernetes before
//! 1.25, which the guide's "PodSecurityPolicy" and "Use Pod Security Policies" items are about.
//!
//! Before 1.25 each policy is checked for what it permits (`PS170`–`PS176`, one rule per
//! permission, each one step below the severity of the matching Pod Security Standards check:
//! a policy is a permission, not a running pod), and the set of policies in the scan for the
//! guide's setup of an unprivileged policy next to the privileged one (`PS177`). From 1.25 on a
//! PodSecurityPolicy enforces nothing and is reported as removed (`PS178`).
//!
//! **Who may `use`** a permissive policy (a `use` grant on `podsecuritypolicies` through RBAC) is
//! `PS179`, which joins these permission checks with the RBAC engine.

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, Object};

/// The version that removed PodSecurityPolicy (`policy/v1beta1`) from the API server.
pub const REMOVED_IN: KubeVersion = KubeVersion::v1(25);

/// A `PodSecurityPolicy` (`policy/v1beta1`, or `extensions/v1beta1` before 1.16).
/// What the PodSecurityPolicy rules judge.
pub const JUDGES: palisade_core::Judges = palisade_core::Judges {
    what: "PodSecurityPolicies",
    test: |_, o, _| is_psp(o),
};

pub fn is_psp(o: &Object) -> bool {
    o.kind() == "PodSecurityPolicy" && matches!(o.group(), "policy" | "extensions")
}

/// `PodSecurityPolicy "default"`: how messages name a policy.
pub(crate) fn describe(o: &Object) -> String {
    format!("PodSecurityPolicy {:?}", o.name().unwrap_or(""))
}

/// A field of the policy's spec that is `null`-safe.
pub(crate) fn spec_field<'a>(o: &'a Object, key: &str) -> Option<&'a Node> {
    o.node.path(&["spec", key]).filter(|n| !n.is_null())
}

/// `spec.KEY` is true (quoted `"true"` included: read as its author meant it).
pub(crate) fn spec_true(o: &Object, key: &str) -> bool {
    spec_field(o, key).and_then(Node::bool_intent) == Some(true)
}

/// What one permission check found: pointer and message.
pub(crate) type Permission = (String, String);

/// Everything the policy permits that the guide's unprivileged "default" policy does not:
/// privileged containers, host namespaces and ports, capabilities beyond the default set, host
/// paths, privilege escalation. Running as root is left out: the guide's own default policy
/// allows it (`runAsUser: RunAsAny`), PS175 reports it separately.
pub(crate) fn privileges(o: &Object) -> Vec<Permission> {
    let mut all = Vec::new();
    all.extend(crate::rules::ps::psp_allows_privileged::found(o));
    all.extend(crate::rules::ps::psp_allows_host_namespaces::found(o));
    all.extend(crate::rules::ps::psp_allows_host_ports::found(o));
    all.extend(crate::rules::ps::psp_allows_capabilities::found(o));
    all.extend(crate::rules::ps::psp_allows_host_path::found(o));
    all.extend(crate::rules::ps::psp_allows_privilege_escalation::found(o));
    all
}

/// Shared `ObjectRule::check` of the per-permission rules: report what `found` finds in a policy.
pub(crate) fn report(
    object: &Object,
    out: &mut palisade_core::Emitter<'_>,
    found: fn(&Object) -> Vec<Permission>,
) {
    if !is_psp(object) {
        return;
    }
    for (pointer, message) in found(object) {
        out.report(&pointer, message);
    }
}
