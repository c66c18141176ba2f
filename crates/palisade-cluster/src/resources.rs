//! What Palisade reads from a cluster: exactly the kinds its rules look at, nothing else.
//!
//! The same list is the read-only ClusterRole in `deploy/` (a test keeps the two in step).

use palisade_core::KubeVersion;

/// One kind of object to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
    /// Listed as metadata only (`PartialObjectMetadata`): Palisade never reads Secret data.
    pub metadata_only: bool,
    /// First Kubernetes version that serves it, if not all.
    pub since: Option<KubeVersion>,
    /// First Kubernetes version that no longer serves it.
    pub until: Option<KubeVersion>,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether the cluster at `v` serves this resource (unknown version: assume yes).
    pub fn served_at(&self, v: Option<KubeVersion>) -> bool {
        let Some(v) = v else { return true };
        self.since.is_none_or(|s| v >= s) && self.until.is_none_or(|u| v < u)
    }

    /// `plural.group` as RBAC and error messages name it.
    pub fn name(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_owned()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const fn r(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        namespaced,
        metadata_only: false,
        since: None,
        until: None,
    }
}

/// Every resource Palisade lists, in the order it lists them.
pub static RESOURCES: &[Resource] = &[
    r("", "v1", "Namespace", "namespaces", false),
    r("", "v1", "Node", "nodes", false),
    r("", "v1", "ServiceAccount", "serviceaccounts", true),
    r("", "v1", "Pod", "pods", true),
    r(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        true,
    ),
    r("", "v1", "Service", "services", true),
    r("", "v1", "LimitRange", "limitranges", true),
    Resource {
        metadata_only: true,
        ..r("", "v1", "Secret", "secrets", true)
    },
    r("apps", "v1", "Deployment", "deployments", true),
    r("apps", "v1", "ReplicaSet", "replicasets", true),
    r("apps", "v1", "StatefulSet", "statefulsets", true),
    r("apps", "v1", "DaemonSet", "daemonsets", true),
    r("batch", "v1", "Job", "jobs", true),
    Resource {
        since: Some(KubeVersion::v1(21)),
        ..r("batch", "v1", "CronJob", "cronjobs", true)
    },
    r("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    r(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    r(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    r(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    r(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    Resource {
        since: Some(KubeVersion::v1(19)),
        ..r("networking.k8s.io", "v1", "Ingress", "ingresses", true)
    },
    r(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    r(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    Resource {
        until: Some(KubeVersion::v1(25)),
        ..r(
            "policy",
            "v1beta1",
            "PodSecurityPolicy",
            "podsecuritypolicies",
            false,
        )
    },
];
