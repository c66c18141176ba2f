//! The authorizer against the Kubernetes RBAC reference
//! (https://kubernetes.io/docs/reference/access-authn-authz/rbac/) and the API server's matching
//! helpers: one test per corner.

use palisade_core::source::objects_from_str;
use palisade_core::Object;

use super::authorizer::{Decision, Rbac, UserInfo};
use super::model::{PolicyRule, Request, Target};

fn objects(yaml: &str) -> Vec<Object> {
    let loaded = objects_from_str("rbac.yaml", yaml);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

/// A resource request, `kubectl auth can-i` style: `res` may be `pods/exec`.
fn req<'a>(verb: &'a str, group: &'a str, res: &'a str, name: &'a str, ns: &'a str) -> Request<'a> {
    let (resource, subresource) = res.split_once('/').unwrap_or((res, ""));
    Request {
        verb,
        target: Target::Resource {
            group,
            resource,
            subresource,
            name,
            namespace: ns,
        },
    }
}

/// Whether the single rule written in flow style allows the request.
fn allows(rule_yaml: &str, request: &Request<'_>) -> bool {
    let objs = objects(&format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\nrules:\n- {rule_yaml}\n"
    ));
    let node = &objs[0].node.get("rules").unwrap().items()[0];
    PolicyRule::read(0, node).allows(request)
}

fn user(name: &str) -> UserInfo {
    UserInfo::new(name, &[])
}

fn allowed(rbac: &Rbac<'_>, u: &UserInfo, r: &Request<'_>) -> bool {
    matches!(
        rbac.authorize(u, r),
        Decision::Allowed(_) | Decision::Superuser
    )
}

#[test]
fn verbs_exact_or_star() {
    let r = "{apiGroups: [''], resources: [pods], verbs: [get, list]}";
    assert!(allows(r, &req("get", "", "pods", "", "ns")));
    assert!(!allows(r, &req("delete", "", "pods", "", "ns")));
    let star = "{apiGroups: [''], resources: [pods], verbs: ['*']}";
    assert!(allows(star, &req("delete", "", "pods", "", "ns")));
    assert!(allows(star, &req("escalate", "", "pods", "", "ns")));
}

#[test]
fn api_groups_core_named_and_star() {
    let core = "{apiGroups: [''], resources: [deployments], verbs: [get]}";
    assert!(!allows(core, &req("get", "apps", "deployments", "", "ns")));
    assert!(allows(core, &req("get", "", "deployments", "", "ns")));
    let apps = "{apiGroups: [apps], resources: [deployments], verbs: [get]}";
    assert!(allows(apps, &req("get", "apps", "deployments", "", "ns")));
    let any = "{apiGroups: ['*'], resources: [deployments], verbs: [get]}";
    assert!(allows(
        any,
        &req("get", "extensions", "deployments", "", "ns")
    ));
    let none = "{resources: [pods], verbs: [get]}";
    assert!(
        !allows(none, &req("get", "", "pods", "", "ns")),
        "no apiGroups matches nothing"
    );
}

#[test]
fn resources_and_subresources() {
    let pods = "{apiGroups: [''], resources: [pods], verbs: ['*']}";
    assert!(allows(pods, &req("get", "", "pods", "", "ns")));
    assert!(
        !allows(pods, &req("create", "", "pods/exec", "", "ns")),
        "a resource does not cover its subresources"
    );
    let exec = "{apiGroups: [''], resources: [pods/exec], verbs: [create]}";
    assert!(allows(exec, &req("create", "", "pods/exec", "", "ns")));
    assert!(!allows(exec, &req("create", "", "pods", "", "ns")));
    assert!(!allows(exec, &req("create", "", "pods/attach", "", "ns")));
    let any_scale = "{apiGroups: ['*'], resources: ['*/scale'], verbs: [update]}";
    assert!(allows(
        any_scale,
        &req("update", "apps", "deployments/scale", "", "ns")
    ));
    assert!(allows(
        any_scale,
        &req("update", "", "replicationcontrollers/scale", "", "ns")
    ));
    assert!(!allows(
        any_scale,
        &req("update", "apps", "deployments", "", "ns")
    ));
    assert!(!allows(
        any_scale,
        &req("update", "apps", "deployments/status", "", "ns")
    ));
    let star = "{apiGroups: [''], resources: ['*'], verbs: [get]}";
    assert!(
        allows(star, &req("get", "", "pods/log", "", "ns")),
        "* covers subresources"
    );
    let not_a_wildcard = "{apiGroups: [''], resources: ['pods/*'], verbs: [get]}";
    assert!(!allows(
        not_a_wildcard,
        &req("get", "", "pods/log", "", "ns")
    ));
}

#[test]
fn resource_names_restrict_to_named_requests() {
    let r = "{apiGroups: [''], resources: [configmaps], resourceNames: [app], verbs: [get, list]}";
    assert!(allows(r, &req("get", "", "configmaps", "app", "ns")));
    assert!(!allows(r, &req("get", "", "configmaps", "other", "ns")));
    assert!(
        !allows(r, &req("list", "", "configmaps", "", "ns")),
        "list names no object, so resourceNames cannot allow it"
    );
    let open = "{apiGroups: [''], resources: [configmaps], verbs: [get]}";
    assert!(allows(
        open,
        &req("get", "", "configmaps", "anything", "ns")
    ));
}

#[test]
fn non_resource_urls() {
    let r = "{nonResourceURLs: [/healthz, '/apis/*', '/logs*'], verbs: [get]}";
    assert!(allows(r, &Request::non_resource("get", "/healthz")));
    assert!(!allows(r, &Request::non_resource("get", "/healthz/etcd")));
    assert!(allows(r, &Request::non_resource("get", "/apis/apps/v1")));
    assert!(allows(r, &Request::non_resource("get", "/apis/")));
    assert!(
        !allows(r, &Request::non_resource("get", "/apis")),
        "/apis/* needs the slash"
    );
    assert!(
        allows(r, &Request::non_resource("get", "/logsanything")),
        "prefix, not path segment"
    );
    assert!(!allows(r, &Request::non_resource("post", "/healthz")));
    let all = "{nonResourceURLs: ['*'], verbs: ['*']}";
    assert!(allows(all, &Request::non_resource("post", "/metrics")));
    assert!(
        !allows(all, &req("get", "", "pods", "", "ns")),
        "a URL rule grants no resources"
    );
    let res = "{apiGroups: ['*'], resources: ['*'], verbs: ['*']}";
    assert!(!allows(res, &Request::non_resource("get", "/metrics")));
}

const BINDINGS: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: other}
rules:
- {apiGroups: [""], resources: [pods], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
- {nonResourceURLs: [/metrics], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-pods, namespace: shop}
subjects:
- {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: app}
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: read-secrets, namespace: shop}
subjects:
- {kind: Group, name: auditors}
- {kind: ServiceAccount, name: ci, namespace: build}
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sa-without-namespace}
subjects:
- {kind: ServiceAccount, name: app}
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bad-role-kind}
subjects:
- {kind: User, name: bob}
roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: all-sas-in-build}
subjects:
- {kind: Group, name: "system:serviceaccounts:build"}
roleRef: {kind: ClusterRole, name: secret-reader, apiGroup: rbac.authorization.k8s.io}
"#;

#[test]
fn role_binding_to_role_is_its_namespace_only() {
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    let jane = user("jane");
    assert!(allowed(&rbac, &jane, &req("get", "", "pods", "", "shop")));
    assert!(!allowed(
        &rbac,
        &jane,
        &req("delete", "", "pods", "", "shop")
    ));
    assert!(
        !allowed(&rbac, &jane, &req("get", "", "pods", "", "other")),
        "the binding is in shop; the Role of the same name in other is not hers"
    );
    assert!(
        !allowed(&rbac, &jane, &req("get", "", "pods", "", "")),
        "a RoleBinding grants nothing cluster-wide"
    );
}

#[test]
fn role_binding_to_cluster_role_is_scoped_to_the_binding() {
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    let auditor = UserInfo::new("alice", &["auditors".to_owned()]);
    assert!(allowed(
        &rbac,
        &auditor,
        &req("list", "", "secrets", "", "shop")
    ));
    assert!(!allowed(
        &rbac,
        &auditor,
        &req("list", "", "secrets", "", "kube-system")
    ));
    assert!(!allowed(
        &rbac,
        &auditor,
        &req("list", "", "secrets", "", "")
    ));
    assert!(
        !allowed(&rbac, &auditor, &Request::non_resource("get", "/metrics")),
        "non-resource URLs are granted only through ClusterRoleBindings"
    );
}

#[test]
fn service_account_subjects_and_namespace_defaulting() {
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    let app = user("system:serviceaccount:shop:app");
    assert!(
        allowed(&rbac, &app, &req("get", "", "pods", "", "shop")),
        "a ServiceAccount subject without namespace is in the RoleBinding's namespace"
    );
    assert!(
        !allowed(&rbac, &app, &req("get", "", "secrets", "", "")),
        "in a ClusterRoleBinding a ServiceAccount without namespace matches nobody"
    );
    let other_app = user("system:serviceaccount:other:app");
    assert!(!allowed(
        &rbac,
        &other_app,
        &req("get", "", "pods", "", "shop")
    ));
    let ci = user("system:serviceaccount:build:ci");
    assert!(
        allowed(&rbac, &ci, &req("get", "", "secrets", "", "shop")),
        "a service account of another namespace, named with its namespace"
    );
    assert!(!allowed(
        &rbac,
        &user("ci"),
        &req("get", "", "secrets", "", "shop")
    ));
}

#[test]
fn implicit_groups() {
    let sa = user("system:serviceaccount:build:builder");
    for g in [
        "system:serviceaccounts",
        "system:serviceaccounts:build",
        "system:authenticated",
    ] {
        assert!(
            sa.groups.iter().any(|x| x == g),
            "{g} missing: {:?}",
            sa.groups
        );
    }
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    assert!(
        allowed(&rbac, &sa, &Request::non_resource("get", "/metrics")),
        "every service account of build is in system:serviceaccounts:build"
    );
    let anon = user("system:anonymous");
    assert_eq!(anon.groups, vec!["system:unauthenticated".to_owned()]);
    let jane = UserInfo::new("jane", &["dev".to_owned()]);
    assert_eq!(
        jane.groups,
        vec!["dev".to_owned(), "system:authenticated".to_owned()]
    );
    assert!(super::service_account_of("system:serviceaccount:ns").is_none());
    assert!(super::service_account_of("system:serviceaccount::x").is_none());
}

#[test]
fn cluster_role_binding_cannot_reference_a_role() {
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    assert!(!allowed(
        &rbac,
        &user("bob"),
        &req("get", "", "pods", "", "shop")
    ));
}

#[test]
fn system_masters_is_a_superuser() {
    let rbac = Rbac::new(&[]);
    let root = UserInfo::new("root", &["system:masters".to_owned()]);
    assert_eq!(
        rbac.authorize(&root, &req("delete", "", "nodes", "", "")),
        Decision::Superuser
    );
    assert_eq!(
        rbac.authorize(&user("root"), &req("delete", "", "nodes", "", "")),
        Decision::Denied
    );
}

#[test]
fn who_can_lists_every_subject_with_its_binding() {
    let objs = objects(BINDINGS);
    let rbac = Rbac::new(&objs);
    let grants = rbac.who_can(&req("get", "", "secrets", "", "shop"));
    let mut who: Vec<String> = grants
        .iter()
        .map(|g| {
            let b = &rbac.bindings[g.binding];
            format!(
                "{} via {}",
                b.subjects[g.subject].describe(b.namespace),
                b.name
            )
        })
        .collect();
    who.sort();
    assert_eq!(
        who,
        vec![
            "Group \"auditors\" via read-secrets",
            "Group \"system:serviceaccounts:build\" via all-sas-in-build",
            "ServiceAccount \"build/ci\" via read-secrets",
        ]
    );
}

const AGGREGATION: &str = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {rbac.example.com/aggregate-to-monitoring: "true"}
  - matchExpressions:
    - {key: team, operator: In, values: [observability]}
    - {key: deprecated, operator: DoesNotExist}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-endpoints
  labels: {rbac.example.com/aggregate-to-monitoring: "true"}
rules:
- {apiGroups: [""], resources: [endpoints], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-pods
  labels: {team: observability}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: monitoring-old
  labels: {team: observability, deprecated: "yes"}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: not-selected
  labels: {rbac.example.com/aggregate-to-monitoring: "false"}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: crd-edit
  labels: {rbac.authorization.k8s.io/aggregate-to-edit: "true"}
rules:
- {apiGroups: [example.com], resources: [widgets], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: broken}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: team, operator: Equals, values: [observability]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: everything}
aggregationRule:
  clusterRoleSelectors:
  - {}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
subjects: [{kind: User, name: mon}]
roleRef: {kind: ClusterRole, name: monitoring, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: admins, namespace: shop}
subjects: [{kind: User, name: ann}]
roleRef: {kind: ClusterRole, name: admin, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: broken}
subjects: [{kind: User, name: bro}]
roleRef: {kind: ClusterRole, name: broken, apiGroup: rbac.authorization.k8s.io}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: everything}
subjects: [{kind: User, name: eve}]
roleRef: {kind: ClusterRole, name: everything, apiGroup: rbac.authorization.k8s.io}
"#;

#[test]
fn aggregation_by_match_labels_and_expressions() {
    let objs = objects(AGGREGATION);
    let rbac = Rbac::new(&objs);
    let mon = user("mon");
    assert!(
        allowed(&rbac, &mon, &req("get", "", "endpoints", "", "")),
        "matchLabels"
    );
    assert!(allowed(&rbac, &mon, &req("get", "", "pods", "", "")), "In");
    assert!(
        !allowed(&rbac, &mon, &req("get", "", "nodes", "", "")),
        "DoesNotExist fails"
    );
    assert!(
        !allowed(&rbac, &mon, &req("get", "", "configmaps", "", "")),
        "label value differs"
    );
    assert!(
        !allowed(&rbac, &mon, &req("get", "", "secrets", "", "")),
        "an aggregated role's own rules are overwritten by the controller"
    );
}

#[test]
fn built_in_aggregated_roles_include_labelled_roles_transitively() {
    let objs = objects(AGGREGATION);
    let rbac = Rbac::new(&objs);
    let ann = user("ann");
    // admin ⊇ edit ⊇ view, and edit picks up crd-edit by its label.
    assert!(allowed(
        &rbac,
        &ann,
        &req("create", "example.com", "widgets", "", "shop")
    ));
    assert!(allowed(
        &rbac,
        &ann,
        &req("create", "", "pods/exec", "", "shop")
    ));
    assert!(allowed(
        &rbac,
        &ann,
        &req("list", "apps", "deployments", "", "shop")
    ));
    assert!(allowed(
        &rbac,
        &ann,
        &req(
            "create",
            "rbac.authorization.k8s.io",
            "rolebindings",
            "",
            "shop"
        )
    ));
    assert!(!allowed(
        &rbac,
        &ann,
        &req("create", "example.com", "widgets", "", "prod")
    ));
    let Decision::Allowed(g) =
        rbac.authorize(&ann, &req("create", "example.com", "widgets", "", "shop"))
    else {
        panic!("allowed above");
    };
    let text = rbac.describe_grant(g.binding, g.rule);
    assert!(
        text.contains("ClusterRole \"admin\" (aggregated from ClusterRole \"crd-edit\")")
            && text.contains("rbac.yaml:"),
        "{text}"
    );
}

#[test]
fn malformed_selector_selects_nothing_and_empty_selects_all() {
    let objs = objects(AGGREGATION);
    let rbac = Rbac::new(&objs);
    assert!(!allowed(
        &rbac,
        &user("bro"),
        &req("get", "", "pods", "", "")
    ));
    let eve = user("eve");
    assert!(allowed(&rbac, &eve, &req("get", "", "pods", "", "")));
    assert!(
        allowed(&rbac, &eve, &req("delete", "", "nodes", "", "")),
        "an empty selector selects every ClusterRole, cluster-admin included"
    );
}

#[test]
fn not_in_and_exists_operators() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: tier, operator: NotIn, values: [prod]}
    - {key: agg, operator: Exists}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: a, labels: {agg: x}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: b, labels: {agg: x, tier: prod}}
rules: [{apiGroups: [""], resources: [nodes], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: c, labels: {tier: dev}}
rules: [{apiGroups: [""], resources: [services], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: agg}
subjects: [{kind: User, name: u}]
roleRef: {kind: ClusterRole, name: agg, apiGroup: rbac.authorization.k8s.io}
"#;
    let objs = objects(yaml);
    let rbac = Rbac::new(&objs);
    let u = user("u");
    assert!(
        allowed(&rbac, &u, &req("get", "", "pods", "", "")),
        "NotIn holds when absent"
    );
    assert!(
        !allowed(&rbac, &u, &req("get", "", "nodes", "", "")),
        "NotIn fails on prod"
    );
    assert!(
        !allowed(&rbac, &u, &req("get", "", "services", "", "")),
        "Exists fails"
    );
}

#[test]
fn input_role_overrides_built_in_and_next_to_binding_wins() {
    let yaml = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: x}
subjects: [{kind: User, name: u}]
roleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}
"#;
    let objs = objects(yaml);
    let rbac = Rbac::new(&objs);
    assert!(allowed(&rbac, &user("u"), &req("get", "", "pods", "", "")));
    assert!(!allowed(
        &rbac,
        &user("u"),
        &req("get", "", "nodes", "", "")
    ));
    let mut two = objs.clone();
    two.extend(objects_from_str(
        "other.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cluster-admin}\nrules: [{apiGroups: [''], resources: [nodes], verbs: [get]}]\n",
    ).objects);
    let rbac = Rbac::new(&two);
    assert!(
        !allowed(&rbac, &user("u"), &req("get", "", "nodes", "", "")),
        "the definition in the binding's file is the one meant"
    );
    let bare = Rbac::new(&objs[1..]);
    assert!(
        allowed(&bare, &user("u"), &req("delete", "", "nodes", "", "")),
        "without a definition, the built-in cluster-admin"
    );
}
