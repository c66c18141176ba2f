//! RB210–RB223: each RBAC rule on failing and passing inventories, run as a scan runs them
//! (single-object check, then the inventory stage).

mod workload_support;

use workload_support::*;

const G: &str = "apiGroup: rbac.authorization.k8s.io";

fn crb(name: &str, role: &str, subjects: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}\nroleRef: {{kind: ClusterRole, name: {role}, {G}}}\nsubjects:\n{subjects}---\n"
    )
}

fn rb(ns: &str, name: &str, kind: &str, role: &str, subjects: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: {ns}\nroleRef: {{kind: {kind}, name: {role}, {G}}}\nsubjects:\n{subjects}---\n"
    )
}

fn cluster_role(name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {name}\nrules:\n{rules}---\n"
    )
}

fn role(ns: &str, name: &str, rules: &str) -> String {
    format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: {name}\n  namespace: {ns}\nrules:\n{rules}---\n"
    )
}

const SA: &str = "- {kind: ServiceAccount, name: app, namespace: shop}\n";

/// Runs rule `code` over the concatenated documents and returns (pointer, message) pairs.
fn run(code: &str, docs: &[String]) -> Vec<(String, String)> {
    let yaml = docs.concat();
    check_all(code, &yaml)
        .into_iter()
        .map(|f| (pointer(&f).to_owned(), f.message.into_string()))
        .collect()
}

#[track_caller]
fn expect(code: &str, docs: &[String], pointers: &[&str]) -> Vec<String> {
    let got = run(code, docs);
    let ps: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(ps, pointers, "{code}: {got:#?}");
    got.into_iter().map(|(_, m)| m).collect()
}

#[test]
fn single_object_checks_say_nothing_for_binding_rules() {
    let docs = crb("x", "cluster-admin", SA);
    for code in [
        "RB210", "RB211", "RB212", "RB213", "RB214", "RB215", "RB216", "RB217", "RB218", "RB219",
        "RB220", "RB221", "RB222",
    ] {
        assert!(check(code, &docs).is_empty(), "{code}");
    }
}

#[test]
fn rb210_cluster_admin() {
    let m = expect("RB210", &[crb("dash", "cluster-admin", "- {kind: ServiceAccount, name: kubernetes-dashboard, namespace: kube-system}\n- {kind: Group, name: system:masters}\n- {kind: User, name: system:kube-controller-manager}\n")], &["/subjects/0"]);
    assert!(
        m[0].contains("ServiceAccount \"kube-system/kubernetes-dashboard\"")
            && m[0].contains("full control of the cluster")
            && m[0].contains("ClusterRoleBinding \"dash\" → ClusterRole \"cluster-admin\"")
            && m[0].contains("<built-in>")
            && m[0].contains("Dashboard"),
        "{}",
        m[0]
    );
    // A custom role with * on * counts, and a RoleBinding gives it in one namespace.
    let m = expect(
        "RB210",
        &[
            cluster_role(
                "god",
                "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n",
            ),
            rb(
                "shop",
                "ops",
                "ClusterRole",
                "god",
                "- {kind: User, name: ops}\n",
            ),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("full control of namespace \"shop\"") && m[0].contains("t.yaml:"),
        "{}",
        m[0]
    );
    // Full control to a subject the input does not identify is still full control.
    let m = expect(
        "RB210",
        &[
            cluster_role(
                "god",
                "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n",
            ),
            crb(
                "tpl",
                "god",
                "- {kind: '', name: ''}\n- {kind: ServiceAccount, name: deployer}\n",
            ),
        ],
        &["/subjects/0", "/subjects/1"],
    );
    assert!(
        m[0].contains("does not identify") && m[0].contains("full control of the cluster"),
        "{}",
        m[0]
    );
    assert!(
        m[1].contains("ServiceAccount \"deployer\" (no namespace)"),
        "{}",
        m[1]
    );
    // `*` verbs on one group is not full control (RB223 reports the wildcard).
    expect(
        "RB210",
        &[
            cluster_role(
                "apps-admin",
                "- {apiGroups: [apps], resources: ['*'], verbs: ['*']}\n",
            ),
            crb("a", "apps-admin", SA),
        ],
        &[],
    );
    // The API server's own bootstrap binding is not reported.
    let boot = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: system:controller:x\n  labels: {kubernetes.io/bootstrapping: rbac-defaults}\nroleRef: {kind: ClusterRole, name: cluster-admin, apiGroup: rbac.authorization.k8s.io}\nsubjects:\n- {kind: ServiceAccount, name: x, namespace: kube-system}\n".to_owned();
    expect("RB210", &[boot], &[]);
}

#[test]
fn rb211_anonymous() {
    let m = expect(
        "RB211",
        &[crb("anon", "view", "- {kind: User, name: system:anonymous}\n- {kind: Group, name: system:unauthenticated}\n- {kind: Group, name: devs}\n")],
        &["/subjects/0", "/subjects/1"],
    );
    assert!(
        m[0].contains("User \"system:anonymous\"") && m[0].contains("get,list,watch"),
        "{}",
        m[0]
    );
    // Health and discovery only: fine.
    expect(
        "RB211",
        &[crb(
            "health",
            "system:public-info-viewer",
            "- {kind: Group, name: system:unauthenticated}\n",
        )],
        &[],
    );
    expect(
        "RB211",
        &[
            cluster_role("oidc", "- {nonResourceURLs: [/.well-known/openid-configuration, /openid/v1/jwks], verbs: [get]}\n"),
            crb("oidc", "oidc", "- {kind: Group, name: system:unauthenticated}\n"),
        ],
        &[],
    );
    expect(
        "RB211",
        &[
            cluster_role("metrics", "- {nonResourceURLs: [/metrics], verbs: [get]}\n"),
            crb(
                "m",
                "metrics",
                "- {kind: Group, name: system:unauthenticated}\n",
            ),
        ],
        &["/subjects/0"],
    );
}

#[test]
fn rb212_all_authenticated() {
    expect(
        "RB212",
        &[
            cluster_role("secret-reader", "- {apiGroups: [''], resources: [secrets], verbs: [get]}\n"),
            crb("everyone", "secret-reader", "- {kind: Group, name: system:authenticated}\n- {kind: Group, name: system:serviceaccounts}\n"),
        ],
        &["/subjects/0", "/subjects/1"],
    );
    // The guide's own default PSP: `use` of a PodSecurityPolicy for everyone is fine here.
    expect(
        "RB212",
        &[
            cluster_role("default-psp", "- {apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use], resourceNames: [default]}\n"),
            crb("default-psp", "default-psp", "- {kind: Group, name: system:authenticated}\n"),
            crb("disc", "system:discovery", "- {kind: Group, name: system:authenticated}\n"),
            crb("basic", "system:basic-user", "- {kind: Group, name: system:authenticated}\n"),
        ],
        &[],
    );
}

#[test]
fn rb213_default_service_account() {
    let m = expect(
        "RB213",
        &[rb("shop", "deployer", "ClusterRole", "edit", "- {kind: ServiceAccount, name: default}\n- {kind: Group, name: system:serviceaccounts:shop}\n- {kind: ServiceAccount, name: deployer}\n")],
        &["/subjects/0", "/subjects/1"],
    );
    assert!(
        m[0].contains("ServiceAccount \"shop/default\"") && m[0].contains("every pod in \"shop\""),
        "{}",
        m[0]
    );
    // Reading ConfigMaps is neither a write nor a Secret read: only CIS 5.1.5's "default is
    // not used", at low.
    let docs = [
        role("shop", "cm", "- {apiGroups: [''], resources: [configmaps], verbs: [get, list]}\n- {apiGroups: [authentication.k8s.io], resources: [tokenreviews], verbs: [create]}\n"),
        rb("shop", "cm", "Role", "cm", "- {kind: ServiceAccount, name: default}\n"),
    ];
    let f = check_all("RB213", &docs.concat());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, palisade_core::Severity::Low);
    assert!(
        f[0].message.contains("CIS 5.1.5") && f[0].message.contains("Role \"cm\""),
        "{}",
        f[0].message
    );
    // The hardened twin: the same role bound to a dedicated account.
    expect(
        "RB213",
        &[
            docs[0].clone(),
            rb(
                "shop",
                "cm",
                "Role",
                "cm",
                "- {kind: ServiceAccount, name: reader}\n",
            ),
        ],
        &[],
    );
}

#[test]
fn rb214_service_account_reads_secrets() {
    let m = expect(
        "RB214",
        &[
            role("shop", "secrets", "- {apiGroups: [''], resources: [secrets], verbs: [get, list, watch]}\n"),
            rb("shop", "secrets", "Role", "secrets", "- {kind: ServiceAccount, name: app}\n- {kind: User, name: jane}\n- {kind: ServiceAccount, name: default}\n"),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("get/list/watch secrets") && m[0].contains("in namespace \"shop\""),
        "{}",
        m[0]
    );
    expect(
        "RB214",
        &[
            role(
                "shop",
                "tls",
                "- {apiGroups: [''], resources: [secrets], resourceNames: [tls], verbs: [get]}\n",
            ),
            rb("shop", "tls", "Role", "tls", SA),
        ],
        &[],
    );
}

#[test]
fn rb215_cluster_wide_secrets() {
    let rules = "- {apiGroups: [''], resources: [secrets], verbs: [list, watch]}\n";
    let m = expect(
        "RB215",
        &[cluster_role("s", rules), crb("s", "s", SA)],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("list/watch secrets") && m[0].contains("cluster-wide"),
        "{}",
        m[0]
    );
    // Through a RoleBinding it is one namespace: RB214's business.
    expect(
        "RB215",
        &[
            cluster_role("s", rules),
            rb("shop", "s", "ClusterRole", "s", SA),
        ],
        &[],
    );
}

#[test]
fn rb216_workload_create() {
    let m = expect(
        "RB216",
        &[
            role("shop", "deploy", "- {apiGroups: [apps, batch], resources: [deployments, cronjobs], verbs: [create, update]}\n"),
            rb("shop", "deploy", "Role", "deploy", SA),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("create deployments.apps, create cronjobs.batch"),
        "{}",
        m[0]
    );
    expect(
        "RB216",
        &[
            role("shop", "ro", "- {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, update]}\n"),
            rb("shop", "ro", "Role", "ro", SA),
        ],
        &[],
    );
}

#[test]
fn rb217_exec_attach_portforward() {
    // `get pods/exec` opens an exec stream (a WebSocket GET) on API servers before 1.35 only.
    let get_exec = [
        role(
            "shop",
            "exec",
            "- {apiGroups: [''], resources: [pods/exec], verbs: [get]}\n",
        ),
        rb("shop", "exec", "Role", "exec", SA),
    ]
    .concat();
    let at = |version: &str| {
        let settings = palisade_core::Settings {
            kubernetes_version: version.parse().unwrap(),
            ..Default::default()
        };
        check_all_with("RB217", &settings, &get_exec)
    };
    let m = at("1.34");
    assert_eq!(m.len(), 1);
    assert!(
        m[0].message.contains("get pods/exec") && m[0].message.contains("DenyEscalatingExec"),
        "{}",
        m[0].message
    );
    assert!(at("1.35").is_empty());
    assert!(at("1.37").is_empty());
    // `create` grants it on every version.
    let m = expect(
        "RB217",
        &[
            role(
                "shop",
                "exec",
                "- {apiGroups: [''], resources: [pods/exec], verbs: [get, create]}\n",
            ),
            rb("shop", "exec", "Role", "exec", SA),
        ],
        &["/subjects/0"],
    );
    assert!(m[0].contains("create pods/exec"), "{}", m[0]);
    let m = expect(
        "RB217",
        &[
            cluster_role(
                "scale",
                "- {apiGroups: [''], resources: ['*/attach'], verbs: [create]}\n",
            ),
            crb("scale", "scale", SA),
        ],
        &["/subjects/0"],
    );
    assert!(m[0].contains("create pods/attach"), "{}", m[0]);
    expect(
        "RB217",
        &[
            role(
                "shop",
                "logs",
                "- {apiGroups: [''], resources: [pods, pods/log], verbs: ['*']}\n",
            ),
            rb("shop", "logs", "Role", "logs", SA),
        ],
        &[],
    );
}

#[test]
fn rb218_escalate_bind_impersonate() {
    let m = expect(
        "RB218",
        &[
            cluster_role("granter", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}\n- {apiGroups: [''], resources: [users, groups], verbs: [impersonate]}\n"),
            crb("granter", "granter", SA),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("escalate/bind clusterroles") && m[0].contains("impersonate users"),
        "{}",
        m[0]
    );
    // Impersonating users through a RoleBinding is impossible (users are not namespaced).
    expect(
        "RB218",
        &[
            cluster_role(
                "imp",
                "- {apiGroups: [''], resources: [users], verbs: [impersonate]}\n",
            ),
            rb("shop", "imp", "ClusterRole", "imp", SA),
        ],
        &[],
    );
    expect(
        "RB218",
        &[
            cluster_role("b", "- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [view]}\n"),
            crb("b", "b", SA),
        ],
        &[],
    );
}

#[test]
fn rb219_nodes_proxy() {
    expect(
        "RB219",
        &[
            cluster_role(
                "np",
                "- {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}\n",
            ),
            crb("np", "np", SA),
        ],
        &["/subjects/0"],
    );
    expect(
        "RB219",
        &[
            cluster_role(
                "nm",
                "- {apiGroups: [''], resources: [nodes/metrics, nodes/stats], verbs: [get]}\n",
            ),
            crb("nm", "nm", SA),
        ],
        &[],
    );
}

#[test]
fn rb220_token_create() {
    expect(
        "RB220",
        &[
            role(
                "shop",
                "t",
                "- {apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}\n",
            ),
            rb("shop", "t", "Role", "t", SA),
        ],
        &["/subjects/0"],
    );
    expect(
        "RB220",
        &[
            role("shop", "t", "- {apiGroups: [''], resources: [serviceaccounts/token], resourceNames: [builder], verbs: [create]}\n"),
            rb("shop", "t", "Role", "t", SA),
        ],
        &[],
    );
}

/// Writing Secrets in kube-system mints tokens for its accounts (a service-account-token Secret
/// naming one is filled in); the same right in an application namespace does not reach them.
#[test]
fn rb220_secret_writes_in_kube_system_mint_tokens() {
    let writer = "- {apiGroups: [''], resources: [secrets], verbs: [create]}\n";
    let m = expect(
        "RB220",
        &[
            role("kube-system", "w", writer),
            rb(
                "kube-system",
                "w",
                "Role",
                "w",
                "- {kind: User, name: ci}\n",
            ),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("may create Secrets in kube-system (create secrets)")
            && m[0].contains("mint a token"),
        "{}",
        m[0]
    );
    // Cluster-wide includes kube-system.
    expect(
        "RB220",
        &[
            cluster_role("w", writer),
            crb("w", "w", "- {kind: User, name: ci}\n"),
        ],
        &["/subjects/0"],
    );
    // Updating cannot change a Secret's type: no token from it.
    expect(
        "RB220",
        &[
            role(
                "kube-system",
                "u",
                "- {apiGroups: [''], resources: [secrets], verbs: [update, patch]}\n",
            ),
            rb(
                "kube-system",
                "u",
                "Role",
                "u",
                "- {kind: User, name: ci}\n",
            ),
        ],
        &[],
    );
    // The twin: the same Role in an application namespace.
    expect(
        "RB220",
        &[
            role("shop", "w", writer),
            rb("shop", "w", "Role", "w", "- {kind: User, name: ci}\n"),
        ],
        &[],
    );
}

#[test]
fn rb221_csr_approval_needs_both_rights() {
    let approval = "- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update]}\n";
    let signer = "- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: ['kubernetes.io/*']}\n";
    let m = expect(
        "RB221",
        &[
            cluster_role("approval", approval),
            cluster_role("signer", signer),
            crb("approval", "approval", SA),
            crb("signer", "signer", SA),
        ],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("kubernetes.io/kube-apiserver-client")
            && m[0].contains("ClusterRoleBinding \"signer\""),
        "{}",
        m[0]
    );
    expect(
        "RB221",
        &[
            cluster_role("approval", approval),
            crb("approval", "approval", SA),
        ],
        &[],
    );
    let kubelet_serving = "- {apiGroups: [certificates.k8s.io], resources: [signers], verbs: [approve], resourceNames: [kubernetes.io/kubelet-serving]}\n";
    expect(
        "RB221",
        &[
            cluster_role("approval", &format!("{approval}{kubelet_serving}")),
            crb("approval", "approval", SA),
        ],
        &[],
    );
}

#[test]
fn rb222_admission_webhooks() {
    expect(
        "RB222",
        &[
            cluster_role("w", "- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], verbs: [create]}\n"),
            crb("w", "w", SA),
        ],
        &["/subjects/0"],
    );
    expect(
        "RB222",
        &[
            cluster_role("w", "- {apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations], resourceNames: [mine], verbs: [get, update, patch]}\n"),
            crb("w", "w", SA),
        ],
        &[],
    );
}

#[test]
fn rb223_wildcards_in_custom_roles() {
    let wild = role(
        "shop",
        "w",
        "- {apiGroups: [''], resources: [configmaps], verbs: ['*']}\n- {apiGroups: [apps], resources: ['*'], verbs: [get]}\n- {apiGroups: [''], resources: [pods], verbs: [get]}\n",
    );
    assert_eq!(
        pointers(&check("RB223", &wild)),
        vec!["/rules/0/verbs", "/rules/1/resources"]
    );
    let m = expect(
        "RB223",
        std::slice::from_ref(&wild),
        &["/rules/0/verbs", "/rules/1/resources"],
    );
    assert!(m[0].contains("no binding in the scanned input"), "{}", m[0]);
    let m = expect(
        "RB223",
        &[wild, rb("shop", "w", "Role", "w", SA)],
        &["/rules/0/verbs", "/rules/1/resources"],
    );
    assert!(m[0].contains("bound by RoleBinding \"shop/w\""), "{}", m[0]);
    let boot = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cluster-admin\n  labels: {kubernetes.io/bootstrapping: rbac-defaults}\nrules:\n- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n".to_owned();
    expect("RB223", &[boot], &[]);
    // A wildcard API group: `pods` of every group, CRDs of that name included.
    let groups = role(
        "shop",
        "g",
        "- {apiGroups: ['*'], resources: [pods], verbs: [get]}\n- {apiGroups: ['', apps], resources: [pods, deployments], verbs: [get]}\n",
    );
    let m = expect("RB223", &[groups], &["/rules/0/apiGroups"]);
    assert!(m[0].contains("wildcard in apiGroups"), "{}", m[0]);
}

#[test]
fn control_plane_and_everyone_subjects_are_left_to_their_rules() {
    let docs = [
        cluster_role("s", "- {apiGroups: [''], resources: [secrets], verbs: [list]}\n"),
        crb("s", "s", "- {kind: User, name: system:kube-controller-manager}\n- {kind: Group, name: system:authenticated}\n- {kind: ServiceAccount, name: nowhere}\n"),
    ];
    expect("RB215", &docs, &[]);
    expect("RB212", &docs, &["/subjects/1"]);
}

#[test]
fn binding_without_namespace_says_so() {
    let yaml = format!(
        "{}apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: x\nroleRef: {{kind: Role, name: r, {G}}}\nsubjects:\n- {{kind: ServiceAccount, name: app}}\n",
        role("default", "r", "- {apiGroups: [''], resources: [pods], verbs: [create]}\n")
    );
    let m = expect(
        "RB216",
        &[yaml.replace("  namespace: default\n", "")],
        &["/subjects/0"],
    );
    assert!(
        m[0].contains("none set, \"default\" by default"),
        "{}",
        m[0]
    );
}

fn deployment_with(sa: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  \
         template:\n    spec:\n      serviceAccountName: {sa}\n{extra}      containers:\n      - name: c\n        \
         image: x:1\n---\n"
    )
}

/// kubernetes-goat's scenario: the pod's own token reads every Secret of its namespace.
#[test]
fn rb224_workload_mounts_a_powerful_token() {
    let reader = role(
        "shop",
        "secret-reader",
        "- {apiGroups: [''], resources: [secrets], verbs: [get, list]}\n",
    );
    let bound = rb(
        "shop",
        "web-secrets",
        "Role",
        "secret-reader",
        "- {kind: ServiceAccount, name: web, namespace: shop}\n",
    );
    let docs = [reader.clone(), bound.clone(), deployment_with("web", "")];
    let f = check_all("RB224", &docs.concat());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(pointer(&f[0]), "/spec/template/spec/serviceAccountName");
    assert_eq!(f[0].severity, palisade_core::Severity::High);
    assert!(
        f[0].message.contains("Deployment shop/web mounts the token of ServiceAccount \"shop/web\", which reads Secrets")
            && f[0].message.contains("RoleBinding \"shop/web-secrets\""),
        "{}",
        f[0].message
    );
    // Hardened twins: the pod or the account does not mount the token; another account.
    for twin in [
        deployment_with("web", "      automountServiceAccountToken: false\n"),
        deployment_with("other", ""),
    ] {
        let docs = [reader.clone(), bound.clone(), twin];
        assert!(check_all("RB224", &docs.concat()).is_empty());
    }
    let no_automount = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: shop\nautomountServiceAccountToken: false\n---\n";
    let docs = [
        reader,
        bound,
        no_automount.to_owned(),
        deployment_with("web", ""),
    ];
    assert!(check_all("RB224", &docs.concat()).is_empty());

    // Full control is critical, also through the group of the namespace's accounts.
    let docs = [
        crb(
            "ns-admins",
            "cluster-admin",
            "- {kind: Group, name: 'system:serviceaccounts:shop'}\n",
        ),
        deployment_with("web", ""),
    ];
    let f = check_all("RB224", &docs.concat());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, palisade_core::Severity::Critical);
    assert!(
        f[0].message.contains("has full control"),
        "{}",
        f[0].message
    );

    // Rights given to every authenticated user are RB212's, not repeated per workload.
    let docs = [
        cluster_role(
            "r",
            "- {apiGroups: [''], resources: [secrets], verbs: [get]}\n",
        ),
        crb(
            "everyone",
            "r",
            "- {kind: Group, name: 'system:authenticated'}\n",
        ),
        deployment_with("web", ""),
    ];
    assert!(check_all("RB224", &docs.concat()).is_empty());
}
