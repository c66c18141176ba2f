//! Which objects a policy or binding's `matchResources` selects, as the API server's matcher
//! decides for a CREATE.

use std::collections::BTreeMap;

use palisade_core::object::Object;

use super::model::{selected, MatchResources, ResourceRule};

/// Kinds whose objects have no namespace. Offline there is no discovery to ask; these are the
/// built-in cluster-scoped kinds a scan meets.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// The resource (plural) of a kind, as the REST mapper's `UnsafeGuessKindToResource` guesses it
/// (what `kubectl` and the API server use for kinds without an irregular plural).
pub fn resource_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower == "endpoints" {
        lower
    } else if lower.ends_with('s') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// The admitted object's labels and its namespace's labels (`None` for cluster-scoped objects,
/// which `namespaceSelector` does not restrict, except a Namespace, which is matched on its own).
pub struct Target<'a> {
    pub object: &'a Object,
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub namespace_labels: Option<&'a BTreeMap<String, String>>,
}

impl MatchResources {
    /// A policy's `matchConstraints` select nothing without `resourceRules`; a binding's
    /// `matchResources` then narrow only by their selectors (`binding`: true).
    pub fn matches(&self, t: &Target<'_>, binding: bool) -> bool {
        selected(self.namespace_selector.as_ref(), t.namespace_labels)
            && selected(self.object_selector.as_ref(), Some(t.labels))
            && (binding && self.resource_rules.is_empty()
                || self.resource_rules.iter().any(|r| r.matches(t)))
            && !self.exclude_resource_rules.iter().any(|r| r.matches(t))
    }
}

fn listed(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

impl ResourceRule {
    /// Whether the rule names this API group, version and resource, whatever the operation,
    /// scope and names: the objects of that kind are what a rule made of it judges.
    pub fn selects_kind(&self, group: &str, version: &str, resource: &str) -> bool {
        listed(&self.api_groups, group)
            && listed(&self.api_versions, version)
            && self.resources.iter().any(|r| {
                // `pods`, `*`, `*/*`; a subresource (`pods/status`) is never a CREATE of the
                // object.
                r == "*" || r == "*/*" || r == resource
            })
    }

    fn matches(&self, t: &Target<'_>) -> bool {
        let name = t.object.name().unwrap_or("");
        let operations_ok = listed(&self.operations, "CREATE");
        let scope_ok = match self.scope.as_deref() {
            Some("Cluster") => is_cluster_scoped(t.object.kind()),
            Some("Namespaced") => !is_cluster_scoped(t.object.kind()),
            _ => true,
        };
        operations_ok
            && self.selects_kind(t.group, t.version, t.resource)
            && scope_ok
            && (self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_as_the_rest_mapper_guesses() {
        assert_eq!(resource_of("Pod"), "pods");
        assert_eq!(resource_of("Ingress"), "ingresses");
        assert_eq!(resource_of("NetworkPolicy"), "networkpolicies");
        assert_eq!(resource_of("Endpoints"), "endpoints");
    }
}
