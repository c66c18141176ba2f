//! The built-in API resources Palisade knows, in one table: what it reads from a cluster (the
//! first [`LISTED`] rows, [`RESOURCES`]: exactly the kinds its rules look at, nothing else; the
//! same list is the read-only ClusterRole in `deploy/`, a test keeps the two in step), and the
//! names `palisade rbac` resolves a RESOURCE argument with (plural names, short names, API group,
//! scope), as `kubectl auth can-i` resolves them through discovery.

use palisade_core::KubeVersion;

/// One built-in resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    pub group: &'static str,
    /// The version Palisade lists; empty for a resource that is only a name in RBAC rules
    /// (impersonation's `users`, `groups`, `uids`; certificate `signers`), which has no kind.
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    /// kubectl's short names (`po`, `deploy`).
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    /// Listed as metadata only (`PartialObjectMetadata`): Palisade never reads Secret data.
    pub metadata_only: bool,
    /// First Kubernetes version that serves it, if not all (set where listing depends on it).
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
    short_names: &'static [&'static str],
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        short_names,
        namespaced,
        metadata_only: false,
        since: None,
        until: None,
    }
}

/// A resource that exists only as a name in RBAC rules.
const fn rbac_only(group: &'static str, plural: &'static str) -> Resource {
    r(group, "", "", plural, &[], false)
}

const RBAC: &str = "rbac.authorization.k8s.io";
const ADMISSION: &str = "admissionregistration.k8s.io";

/// How many rows of [`API_RESOURCES`], from the first, Palisade lists.
pub const LISTED: usize = 25;

const ALL: &[Resource] = &[
    // Listed, in the order Palisade lists them.
    r("", "v1", "Namespace", "namespaces", &["ns"], false),
    r("", "v1", "Node", "nodes", &["no"], false),
    r("", "v1", "ServiceAccount", "serviceaccounts", &["sa"], true),
    r("", "v1", "Pod", "pods", &["po"], true),
    r(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        &["rc"],
        true,
    ),
    r("", "v1", "Service", "services", &["svc"], true),
    r("", "v1", "LimitRange", "limitranges", &["limits"], true),
    Resource {
        metadata_only: true,
        ..r("", "v1", "Secret", "secrets", &[], true)
    },
    r("apps", "v1", "Deployment", "deployments", &["deploy"], true),
    r("apps", "v1", "ReplicaSet", "replicasets", &["rs"], true),
    r("apps", "v1", "StatefulSet", "statefulsets", &["sts"], true),
    r("apps", "v1", "DaemonSet", "daemonsets", &["ds"], true),
    r("batch", "v1", "Job", "jobs", &[], true),
    Resource {
        since: Some(KubeVersion::v1(21)),
        ..r("batch", "v1", "CronJob", "cronjobs", &["cj"], true)
    },
    r(RBAC, "v1", "Role", "roles", &[], true),
    r(RBAC, "v1", "ClusterRole", "clusterroles", &[], false),
    r(RBAC, "v1", "RoleBinding", "rolebindings", &[], true),
    r(
        RBAC,
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
    ),
    r(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        &["netpol"],
        true,
    ),
    Resource {
        since: Some(KubeVersion::v1(19)),
        ..r(
            "networking.k8s.io",
            "v1",
            "Ingress",
            "ingresses",
            &["ing"],
            true,
        )
    },
    r(
        ADMISSION,
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        &[],
        false,
    ),
    r(
        ADMISSION,
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        &[],
        false,
    ),
    // Read so that VA001 judges the cluster's objects by the cluster's own admission policies
    // (served as v1 from 1.30; the beta versions before it are not read).
    Resource {
        since: Some(KubeVersion::v1(30)),
        ..r(
            ADMISSION,
            "v1",
            "ValidatingAdmissionPolicy",
            "validatingadmissionpolicies",
            &[],
            false,
        )
    },
    Resource {
        since: Some(KubeVersion::v1(30)),
        ..r(
            ADMISSION,
            "v1",
            "ValidatingAdmissionPolicyBinding",
            "validatingadmissionpolicybindings",
            &[],
            false,
        )
    },
    Resource {
        until: Some(KubeVersion::v1(25)),
        ..r(
            "policy",
            "v1beta1",
            "PodSecurityPolicy",
            "podsecuritypolicies",
            &["psp"],
            false,
        )
    },
    // Known by name only (`palisade rbac`).
    r("", "v1", "ConfigMap", "configmaps", &["cm"], true),
    r("", "v1", "Endpoints", "endpoints", &["ep"], true),
    r("", "v1", "Event", "events", &["ev"], true),
    r(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
        true,
    ),
    r(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        &["quota"],
        true,
    ),
    r("", "v1", "PodTemplate", "podtemplates", &[], true),
    r(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        &["pv"],
        false,
    ),
    r(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        &[],
        true,
    ),
    r(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
        true,
    ),
    r(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        &[],
        false,
    ),
    r(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        &[],
        true,
    ),
    r(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        &["pdb"],
        true,
    ),
    r(
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        &["csr"],
        false,
    ),
    rbac_only("certificates.k8s.io", "signers"),
    r("coordination.k8s.io", "v1", "Lease", "leases", &[], true),
    r(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        &["sc"],
        false,
    ),
    r(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        &[],
        false,
    ),
    r(
        "storage.k8s.io",
        "v1",
        "CSIDriver",
        "csidrivers",
        &[],
        false,
    ),
    r("storage.k8s.io", "v1", "CSINode", "csinodes", &[], false),
    r(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        &["pc"],
        false,
    ),
    r(
        "node.k8s.io",
        "v1",
        "RuntimeClass",
        "runtimeclasses",
        &[],
        false,
    ),
    r(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd"],
        false,
    ),
    r(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        &[],
        false,
    ),
    r(
        "authentication.k8s.io",
        "v1",
        "TokenReview",
        "tokenreviews",
        &[],
        false,
    ),
    r(
        "authentication.k8s.io",
        "v1",
        "SelfSubjectReview",
        "selfsubjectreviews",
        &[],
        false,
    ),
    r(
        "authorization.k8s.io",
        "v1",
        "SubjectAccessReview",
        "subjectaccessreviews",
        &[],
        false,
    ),
    r(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectAccessReview",
        "selfsubjectaccessreviews",
        &[],
        false,
    ),
    r(
        "authorization.k8s.io",
        "v1",
        "SelfSubjectRulesReview",
        "selfsubjectrulesreviews",
        &[],
        false,
    ),
    rbac_only("", "users"),
    rbac_only("", "groups"),
    rbac_only("authentication.k8s.io", "uids"),
];

/// Every built-in resource Palisade knows.
pub static API_RESOURCES: &[Resource] = ALL;

/// Every resource Palisade lists, in the order it lists them.
pub static RESOURCES: &[Resource] = ALL.split_at(LISTED).0;

/// The resource a RESOURCE argument names, as discovery resolves it for `kubectl auth can-i`:
/// its plural or a short name, in `group` when one is given (`deployments.apps`). `None` for a
/// resource Palisade does not know (a custom resource), which the caller takes as written.
pub fn resolve(name: &str, group: Option<&str>) -> Option<&'static Resource> {
    API_RESOURCES.iter().find(|r| {
        (r.plural == name || r.short_names.contains(&name)) && group.is_none_or(|g| g == r.group)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_like_discovery() {
        let res = |n, g| resolve(n, g).map(|r| (r.plural, r.group, r.namespaced));
        assert_eq!(res("po", None), Some(("pods", "", true)));
        assert_eq!(res("deploy", None), Some(("deployments", "apps", true)));
        assert_eq!(
            res("deployments", Some("apps")),
            Some(("deployments", "apps", true))
        );
        assert_eq!(res("deployments", Some("extensions")), None);
        assert_eq!(res("ns", None), Some(("namespaces", "", false)));
        assert_eq!(
            res("uids", None),
            Some(("uids", "authentication.k8s.io", false))
        );
        assert_eq!(res("widgets", None), None);
    }

    /// Every listed row can be listed, every other row is reached by name only, and no name
    /// means two resources.
    #[test]
    fn table_is_consistent() {
        assert!(RESOURCES
            .iter()
            .all(|r| !r.version.is_empty() && !r.kind.is_empty()));
        assert!(API_RESOURCES[LISTED..]
            .iter()
            .all(|r| !r.metadata_only && r.since.is_none() && r.until.is_none()));
        let mut names = std::collections::HashSet::new();
        for r in API_RESOURCES {
            for n in std::iter::once(&r.plural).chain(r.short_names) {
                assert!(names.insert((*n, r.group)), "{n} twice");
                assert_eq!(
                    API_RESOURCES
                        .iter()
                        .filter(|o| o.plural == *n || o.short_names.contains(n))
                        .count(),
                    1,
                    "{n} names two resources"
                );
            }
        }
    }
}
