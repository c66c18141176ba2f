//! The default ClusterRoles every API server creates at start-up (its RBAC bootstrap policy), for
//! the ones bindings commonly reference. Manifests bind `cluster-admin`, `admin`, `edit` and
//! `view` without defining them; without these the engine would think such a binding grants
//! nothing. A ClusterRole of the same name in the input always wins.
//!
//! `admin`, `edit` and `view` are aggregated, as upstream: their rules come from the
//! `system:aggregate-to-*` roles and from any ClusterRole in the input carrying the
//! `rbac.authorization.k8s.io/aggregate-to-*` labels (CRD operators add their resources that
//! way). The rules below follow the bootstrap policy of recent Kubernetes releases.

use std::sync::OnceLock;

use palisade_core::source::objects_from_str;
use palisade_core::Object;

/// Shown where a file and line would be.
pub const ORIGIN: &str = "<built-in>";

const ROLES: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.authorization.k8s.io/aggregate-to-admin: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-admin: "true"}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: view
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-edit: "true"}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-admin
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-admin: "true"}
rules:
- {apiGroups: [authorization.k8s.io], resources: [localsubjectaccessreviews], verbs: [create]}
- apiGroups: [rbac.authorization.k8s.io]
  resources: [rolebindings, roles]
  verbs: [create, delete, deletecollection, get, list, patch, update, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-edit
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
- apiGroups: [""]
  resources: [pods/attach, pods/exec, pods/portforward, pods/proxy, secrets, services/proxy]
  verbs: [get, list, watch]
- {apiGroups: [""], resources: [serviceaccounts], verbs: [impersonate]}
- apiGroups: [""]
  resources: [pods, pods/attach, pods/exec, pods/portforward, pods/proxy]
  verbs: [create, delete, deletecollection, patch, update]
- {apiGroups: [""], resources: [pods/eviction], verbs: [create]}
- apiGroups: [""]
  resources: [configmaps, events, persistentvolumeclaims, replicationcontrollers,
    replicationcontrollers/scale, secrets, serviceaccounts, services, services/proxy]
  verbs: [create, delete, deletecollection, patch, update]
- {apiGroups: [""], resources: [serviceaccounts/token], verbs: [create]}
- apiGroups: [apps]
  resources: [daemonsets, deployments, deployments/rollback, deployments/scale, replicasets,
    replicasets/scale, statefulsets, statefulsets/scale]
  verbs: [create, delete, deletecollection, patch, update]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [create, delete, deletecollection, patch, update]
- {apiGroups: [batch], resources: [cronjobs, jobs], verbs: [create, delete, deletecollection, patch, update]}
- apiGroups: [extensions]
  resources: [daemonsets, deployments, deployments/rollback, deployments/scale, ingresses,
    networkpolicies, replicasets, replicasets/scale, replicationcontrollers/scale]
  verbs: [create, delete, deletecollection, patch, update]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [create, delete, deletecollection, patch, update]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, networkpolicies]
  verbs: [create, delete, deletecollection, patch, update]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create, delete, deletecollection, get, list, patch, update, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregate-to-view
  labels: {kubernetes.io/bootstrapping: rbac-defaults, rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [""]
  resources: [configmaps, endpoints, persistentvolumeclaims, persistentvolumeclaims/status, pods,
    replicationcontrollers, replicationcontrollers/scale, serviceaccounts, services,
    services/status, bindings, events, limitranges, namespaces/status, pods/log, pods/status,
    replicationcontrollers/status, resourcequotas, resourcequotas/status, namespaces]
  verbs: [get, list, watch]
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
- apiGroups: [apps]
  resources: [controllerrevisions, daemonsets, daemonsets/status, deployments, deployments/scale,
    deployments/status, replicasets, replicasets/scale, replicasets/status, statefulsets,
    statefulsets/scale, statefulsets/status]
  verbs: [get, list, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers, horizontalpodautoscalers/status]
  verbs: [get, list, watch]
- {apiGroups: [batch], resources: [cronjobs, cronjobs/status, jobs, jobs/status], verbs: [get, list, watch]}
- apiGroups: [extensions]
  resources: [daemonsets, daemonsets/status, deployments, deployments/scale, deployments/status,
    ingresses, ingresses/status, networkpolicies, replicasets, replicasets/scale,
    replicasets/status, replicationcontrollers/scale]
  verbs: [get, list, watch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets, poddisruptionbudgets/status]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [ingresses, ingresses/status, networkpolicies]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:discovery, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- nonResourceURLs: [/api, /api/*, /apis, /apis/*, /healthz, /livez, /openapi, /openapi/*, /readyz,
    /version, /version/]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:public-info-viewer, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- {nonResourceURLs: [/healthz, /livez, /readyz, /version, /version/], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: system:basic-user, labels: {kubernetes.io/bootstrapping: rbac-defaults}}
rules:
- apiGroups: [authorization.k8s.io]
  resources: [selfsubjectaccessreviews, selfsubjectrulesreviews]
  verbs: [create]
- {apiGroups: [authentication.k8s.io], resources: [selfsubjectreviews], verbs: [create]}
"#;

/// The built-in ClusterRoles, parsed once.
pub fn roles() -> &'static [Object] {
    static ROLES_PARSED: OnceLock<Vec<Object>> = OnceLock::new();
    ROLES_PARSED.get_or_init(|| {
        let loaded = objects_from_str(ORIGIN, ROLES);
        debug_assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.objects
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn built_in_roles_load() {
        let loaded = palisade_core::source::objects_from_str(super::ORIGIN, super::ROLES);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        assert!(loaded.duplicate_keys.is_empty());
        assert_eq!(loaded.objects.len(), 10);
        assert!(super::roles()
            .iter()
            .all(|o| super::super::model::read_role(o).is_some()));
    }
}
