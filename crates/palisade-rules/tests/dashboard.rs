//! RB250–RB253 and NP340–NP341: the Kubernetes Dashboard.

mod corpus_support;

mod workload_support;

use palisade_core::{evaluate_objects, Context, Finding, NotEvaluated, Settings};
use workload_support::*;

fn run(code: &str, yaml: &str) -> (Vec<Finding>, Option<NotEvaluated>) {
    let mut findings = Vec::new();
    let n = evaluate_objects(
        rule(code),
        &Context {
            settings: &Settings::default(),
        },
        &objects(yaml),
        &mut findings,
    );
    (findings, n)
}

/// A Dashboard Deployment in `ns`, with container `args` (YAML flow list), image and pod labels.
fn dashboard(ns: &str, image: &str, labels: &str, args: &str, sa: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dash\n  namespace: {ns}\nspec:\n  \
         template:\n    metadata:\n      labels: {labels}\n    spec:\n      serviceAccountName: {sa}\n      \
         containers:\n      - name: ui\n        image: {image}\n        args: {args}\n"
    )
}

fn upstream(args: &str) -> String {
    dashboard(
        "kubernetes-dashboard",
        "kubernetesui/dashboard:v2.7.0",
        "{k8s-app: kubernetes-dashboard}",
        args,
        "kubernetes-dashboard",
    )
}

/// The same Dashboard under other names: custom labels and service account, recognised by image.
fn renamed() -> String {
    dashboard(
        "ops",
        "kubernetesui/dashboard:v2.7.0",
        "{app: console}",
        "[]",
        "console",
    )
}

fn crb(name: &str, role: &str, subjects: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\n\
         roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {role}\n\
         subjects:\n{subjects}"
    )
}

fn sa_subject(ns: &str, name: &str) -> String {
    format!("- kind: ServiceAccount\n  name: {name}\n  namespace: {ns}\n")
}

#[test]
fn rb250_the_guides_case_from_the_binding_alone() {
    let b = crb(
        "kubernetes-dashboard",
        "cluster-admin",
        &sa_subject("kube-system", "kubernetes-dashboard"),
    );
    let (f, _) = run("RB250", &b);
    assert_pointers("guide", &f, &["/subjects/0"]);
    assert!(f[0].message.contains("binds ClusterRole \"cluster-admin\" to service account kube-system/kubernetes-dashboard"), "{}", f[0].message);
    // Single-object check says the same.
    assert_eq!(check("RB250", &b).len(), 1);
    let cases: &[(&str, String, &[&str])] = &[
        (
            "minimal role",
            crb(
                "d",
                "kubernetes-dashboard",
                &sa_subject("kube-system", "kubernetes-dashboard"),
            ),
            &[],
        ),
        (
            "another account",
            crb("d", "cluster-admin", &sa_subject("kube-system", "ci")),
            &[],
        ),
        (
            "metrics scraper is not the UI",
            crb(
                "d",
                "cluster-admin",
                &sa_subject("d", "kubernetes-dashboard-metrics-scraper"),
            ),
            &[],
        ),
        (
            "helm chart account",
            crb(
                "d",
                "cluster-admin",
                &format!(
                    "{}{}",
                    sa_subject("x", "ci"),
                    sa_subject("x", "kubernetes-dashboard-web")
                ),
            ),
            &["/subjects/1"],
        ),
        (
            "a user of that name is no service account",
            crb(
                "d",
                "cluster-admin",
                "- kind: User\n  name: kubernetes-dashboard\n",
            ),
            &[],
        ),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &run("RB250", yaml).0, expected);
    }
    // A RoleBinding to cluster-admin is namespace-scoped: not this rule's case.
    let rb = b
        .replace("kind: ClusterRoleBinding", "kind: RoleBinding")
        .replace(
            "  name: kubernetes-dashboard\nroleRef",
            "  name: kubernetes-dashboard\n  namespace: kube-system\nroleRef",
        );
    assert_pointers("RoleBinding", &run("RB250", &rb).0, &[]);
}

#[test]
fn rb250_with_the_workload_and_wildcard_roles() {
    // The renamed Dashboard's account is only known through the workload.
    let b = crb(
        "console-admin",
        "cluster-admin",
        &sa_subject("ops", "console"),
    );
    assert_pointers("binding alone", &run("RB250", &b).0, &[]);
    let (f, n) = run("RB250", &format!("{}---\n{b}", renamed()));
    assert_pointers("with workload", &f, &["/subjects/0"]);
    assert!(
        f[0].message
            .contains("which Deployment ops/dash of the scanned files runs as"),
        "{}",
        f[0].message
    );
    assert!(n.is_none());
    // A ClusterRole granting everything counts as cluster-admin.
    let god = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: god\nrules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n";
    let b = crb(
        "d",
        "god",
        &sa_subject("kubernetes-dashboard", "kubernetes-dashboard"),
    );
    assert_pointers("role alone", &run("RB250", &b).0, &[]);
    let (f, _) = run("RB250", &format!("{god}---\n{b}"));
    assert_pointers("wildcard role", &f, &["/subjects/0"]);
    assert!(f[0]
        .message
        .contains("(every verb on every resource, as cluster-admin)"));
    // Name-based and workload-based at once: reported once.
    let b = crb(
        "d",
        "cluster-admin",
        &sa_subject("kubernetes-dashboard", "kubernetes-dashboard"),
    );
    assert_eq!(
        run("RB250", &format!("{}---\n{b}", upstream("[]"))).0.len(),
        1
    );
}

#[test]
fn rb250_not_evaluated_without_bindings() {
    let (f, n) = run("RB250", &upstream("[]"));
    assert!(f.is_empty());
    assert_eq!(
        n.unwrap().reason,
        "no ClusterRoleBinding in the scanned files: whether the Kubernetes Dashboard's service \
         account (\"kubernetes-dashboard/kubernetes-dashboard\") is bound to cluster-admin is unknown"
    );
    // No Dashboard, no question.
    assert_eq!(run("RB250", &one_container("")).1, None);
}

#[test]
fn rb251_rb252_flags() {
    let c = "/spec/template/spec/containers/0/args";
    let cases: &[(&str, &str, &[String])] = &[
        (
            "RB251",
            "[--disable-settings-authorizer]",
            &[format!("{c}/0")],
        ),
        ("RB251", "[--disable-settings-authorizer=false]", &[]),
        (
            "RB251",
            "[--disable-settings-authorizer, --disable-settings-authorizer=false]",
            &[],
        ),
        ("RB251", "[--auto-generate-certificates]", &[]),
        (
            "RB252",
            "[--auto-generate-certificates, --enable-insecure-login]",
            &[format!("{c}/1")],
        ),
        (
            "RB252",
            "[--enable-insecure-login=true, --insecure-bind-address=0.0.0.0]",
            &[format!("{c}/0"), format!("{c}/1")],
        ),
        ("RB252", "[--insecure-bind-address=127.0.0.1]", &[]),
        ("RB252", "['--enable-insecure-login=f']", &[]),
    ];
    for (code, args, expected) in cases {
        let got = check(code, &upstream(args));
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(&format!("{code} {args}"), &got, &expected);
    }
    // The same flags on another program are none of the Dashboard's business.
    let other = dashboard(
        "a",
        "nginx:1.27",
        "{app: web}",
        "[--enable-insecure-login]",
        "default",
    );
    assert!(check("RB252", &other).is_empty());
    // Labelled as the Dashboard, any image counts (a mirrored build).
    let mirrored = dashboard(
        "a",
        "registry.local/ui:2",
        "{app.kubernetes.io/name: kubernetes-dashboard}",
        "[--disable-settings-authorizer]",
        "default",
    );
    assert_eq!(check("RB251", &mirrored).len(), 1);
}

#[test]
fn rb253_archived_note() {
    let (f, _) = run("RB253", &upstream("[]"));
    assert_pointers("upstream", &f, &["/spec/template/spec/containers/0/image"]);
    assert!(f[0].message.contains("archived upstream") && f[0].message.contains("Headlamp"));
    assert_eq!(run("RB253", &renamed()).0.len(), 1);
    assert!(run("RB253", &one_container("")).0.is_empty());
    let scraper = dashboard(
        "a",
        "kubernetesui/metrics-scraper:v1.0.8",
        "{k8s-app: dashboard-metrics-scraper}",
        "[]",
        "x",
    );
    assert!(run("RB253", &scraper).0.is_empty());
}

fn service(ns: &str, name: &str, ty: &str, selector: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  type: {ty}\n  \
         selector: {selector}\n  ports:\n  - port: 443\n    targetPort: 8443\n"
    )
}

#[test]
fn np340_service_exposure() {
    let ns = "kubernetes-dashboard";
    let sel = "{k8s-app: kubernetes-dashboard}";
    let cases: &[(&str, String, &[&str])] = &[
        (
            "LoadBalancer",
            service(ns, "kubernetes-dashboard", "LoadBalancer", sel),
            &["/spec/type"],
        ),
        (
            "NodePort",
            service(ns, "kubernetes-dashboard", "NodePort", sel),
            &["/spec/type"],
        ),
        (
            "ClusterIP",
            service(ns, "kubernetes-dashboard", "ClusterIP", sel),
            &[],
        ),
        (
            "externalIPs",
            service(ns, "kubernetes-dashboard", "ClusterIP", sel)
                .replace("  ports:", "  externalIPs: [203.0.113.7]\n  ports:"),
            &["/spec/externalIPs"],
        ),
        (
            "other app",
            service(ns, "web", "LoadBalancer", "{app: web}"),
            &[],
        ),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &run("NP340", yaml).0, expected);
    }
    // The renamed Dashboard is found through its workload, in the same namespace only.
    let svc = service("ops", "console", "NodePort", "{app: console}");
    assert_pointers("alone", &run("NP340", &svc).0, &[]);
    let (f, _) = run("NP340", &format!("{}---\n{svc}", renamed()));
    assert_pointers("with workload", &f, &["/spec/type"]);
    assert!(
        f[0].message
            .contains("the pods of Deployment \"dash\" in the scanned files"),
        "{}",
        f[0].message
    );
    let elsewhere = service("web", "console", "NodePort", "{app: console}");
    assert_pointers(
        "other namespace",
        &run("NP340", &format!("{}---\n{elsewhere}", renamed())).0,
        &[],
    );
    // Reported once when both ways find it.
    let both = format!(
        "{}---\n{}",
        upstream("[]"),
        service(ns, "kubernetes-dashboard", "LoadBalancer", sel)
    );
    assert_eq!(run("NP340", &both).0.len(), 1);
    // A selector must select: an empty one selects no pods.
    let empty = service("ops", "console", "NodePort", "{}");
    assert_pointers(
        "empty selector",
        &run("NP340", &format!("{}---\n{empty}", renamed())).0,
        &[],
    );
}

fn ingress(ns: &str, service: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: dash\n  namespace: {ns}\nspec:\n  \
         rules:\n  - host: dash.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        \
         backend:\n          service:\n            name: {service}\n            port:\n              number: 443\n"
    )
}

#[test]
fn np341_ingress_exposure() {
    let ptr = "/spec/rules/0/http/paths/0/backend/service/name";
    let (f, _) = run(
        "NP341",
        &ingress("kubernetes-dashboard", "kubernetes-dashboard"),
    );
    assert_pointers("by name", &f, &[ptr]);
    assert!(f[0].message.starts_with("Ingress \"dash\" routes traffic from outside the cluster to Service \"kubernetes-dashboard\""));
    assert_pointers(
        "helm kong proxy",
        &run("NP341", &ingress("d", "kubernetes-dashboard-kong-proxy")).0,
        &[ptr],
    );
    assert_pointers("other", &run("NP341", &ingress("d", "web")).0, &[]);
    // v1beta1 form and a default backend.
    let old = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n  namespace: kube-system\nspec:\n  backend:\n    serviceName: kubernetes-dashboard\n    servicePort: 443\n";
    assert_pointers(
        "v1beta1",
        &run("NP341", old).0,
        &["/spec/backend/serviceName"],
    );
    let default = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: d\nspec:\n  defaultBackend:\n    service:\n      name: kubernetes-dashboard\n      port:\n        number: 443\n";
    assert_pointers(
        "defaultBackend",
        &run("NP341", default).0,
        &["/spec/defaultBackend/service/name"],
    );
    // The renamed Dashboard: Ingress → Service → pods, all in the scan and one namespace.
    let chain = format!(
        "{}---\n{}---\n{}",
        renamed(),
        service("ops", "console", "ClusterIP", "{app: console}"),
        ingress("ops", "console")
    );
    let (f, _) = run("NP341", &chain);
    assert_pointers("chain", &f, &[ptr]);
    assert!(
        f[0].message
            .contains("which selects the Kubernetes Dashboard's pods (Deployment \"dash\""),
        "{}",
        f[0].message
    );
    let broken = format!("{}---\n{}", renamed(), ingress("ops", "console"));
    assert_pointers("no Service in the scan", &run("NP341", &broken).0, &[]);
}

#[test]
fn every_new_rule_is_declared() {
    // The Dashboard's, the namespaces' Pod Security Admission labels' and PodSecurityPolicy's.
    let new = |code: &str| matches!(&code[..4], "RB25" | "NP34" | "PS16" | "PS17");
    let mut codes = std::collections::HashSet::new();
    for rule in palisade_rules::registry::objects().filter(|r| new(r.meta.code)) {
        let m = rule.meta;
        assert!(codes.insert(m.code), "duplicate {}", m.code);
        corpus_support::assert_declared(m);
        let block_ok = match &m.code[..2] {
            "PS" => ("PS160".."PS180").contains(&m.code),
            "RB" => ("RB250".."RB260").contains(&m.code),
            "NP" => ("NP340".."NP350").contains(&m.code),
            _ => false,
        };
        assert!(block_ok, "{} outside the given code blocks", m.code);
    }
    assert_eq!(codes.len(), 21);
}
