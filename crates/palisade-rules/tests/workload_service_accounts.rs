//! RB201–RB204: service-account tokens and the Dashboard's skip-login.

mod workload_support;

use palisade_rules::workload::{token_mount, TokenMount};
use workload_support::*;

const SPEC: &str = "/spec/automountServiceAccountToken";
const DEPLOY_SPEC: &str = "/spec/template/spec/automountServiceAccountToken";

#[test]
fn rb201_single_object() {
    let cases: &[(&str, String, &[&str])] = &[
        ("unset, default account", one_container(""), &[SPEC]),
        (
            "explicit false",
            pod("  automountServiceAccountToken: false\n  containers:\n  - name: c\n    image: x:1\n"),
            &[],
        ),
        (
            "YAML 1.1 no is false",
            pod("  automountServiceAccountToken: no\n  containers:\n  - name: c\n    image: x:1\n"),
            &[],
        ),
        (
            "quoted \"false\" is what the author meant (PA903 reports the type)",
            pod("  automountServiceAccountToken: \"false\"\n  containers:\n  - name: c\n    image: x:1\n"),
            &[],
        ),
        (
            "explicit true with the default account",
            pod("  automountServiceAccountToken: true\n  containers:\n  - name: c\n    image: x:1\n"),
            &[SPEC],
        ),
        (
            "explicit true with a dedicated account is a decision",
            pod("  serviceAccountName: operator\n  automountServiceAccountToken: yes\n  containers:\n  - name: c\n    image: x:1\n"),
            &[],
        ),
        (
            "unset with a dedicated account: the ServiceAccount decides, unknown here",
            pod("  serviceAccountName: app\n  containers:\n  - name: c\n    image: x:1\n"),
            &[SPEC],
        ),
        (
            "mirror pod of a static pod gets no token",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n  annotations:\n    kubernetes.io/config.mirror: abc\nspec:\n  containers:\n  - name: c\n    image: x:1\n".to_owned(),
            &[],
        ),
        (
            "Deployment",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: x:1\n".to_owned(),
            &[DEPLOY_SPEC],
        ),
        (
            "CronJob opting out",
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: j\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          automountServiceAccountToken: false\n          containers:\n          - name: c\n            image: x:1\n".to_owned(),
            &[],
        ),
        (
            "not a workload",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n".to_owned(),
            &[],
        ),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &check("RB201", yaml), expected);
    }
}

#[test]
fn rb201_message_names_the_account() {
    let f = check(
        "RB201",
        &pod("  serviceAccountName: shop-api\n  containers:\n  - name: c\n    image: x:1\n"),
    );
    assert!(f[0].message.contains("\"shop-api\""), "{}", f[0].message);
    let f = check(
        "RB201",
        &pod("  serviceAccount: legacy\n  containers:\n  - name: c\n    image: x:1\n"),
    );
    assert!(f[0].message.contains("\"legacy\""), "{}", f[0].message);
    let f = check("RB201", &one_container(""));
    assert!(f[0].message.contains("\"default\""), "{}", f[0].message);
    assert_eq!(f[0].object.as_ref().unwrap().kind, "Pod");
}

#[test]
fn token_mount_is_exposed_for_engines() {
    let objs = objects(&pod(
        "  serviceAccountName: app\n  automountServiceAccountToken: false\n  containers: []\n",
    ));
    let pod = objs[0].pod_template().unwrap();
    assert_eq!(
        token_mount(&pod),
        TokenMount {
            service_account: "app",
            pod_decision: Some(false)
        }
    );
}

const WORKLOAD_WITH_SA: &str = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: shop
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: quiet
  namespace: shop
spec:
  template:
    spec:
      serviceAccountName: app
      containers:
      - name: c
        image: x:1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: other-namespace
  namespace: web
spec:
  template:
    spec:
      serviceAccountName: app
      containers:
      - name: c
        image: x:1
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: loud
  namespace: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: loud
  namespace: shop
spec:
  template:
    spec:
      serviceAccountName: loud
      containers:
      - name: c
        image: x:1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: overrides-account
  namespace: shop
spec:
  template:
    spec:
      serviceAccountName: app
      automountServiceAccountToken: true
      containers:
      - name: c
        image: x:1
";

#[test]
fn rb201_inventory_reads_the_service_account() {
    // Alone, each Deployment without an opt-out is reported.
    let single = check("RB201", WORKLOAD_WITH_SA);
    let names: Vec<_> = single
        .iter()
        .map(|f| f.object.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(names, ["quiet", "other-namespace", "loud"]);

    // With the whole scan, the account that disables automounting silences its pods in its
    // namespace only; an account that leaves it on is named in the message.
    let all = check_all("RB201", WORKLOAD_WITH_SA);
    let names: Vec<_> = all
        .iter()
        .map(|f| f.object.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(names, ["other-namespace", "loud"]);
    assert!(
        all[1]
            .message
            .contains("neither the pod nor the ServiceAccount"),
        "{}",
        all[1].message
    );
    assert_eq!(pointer(&all[1]), DEPLOY_SPEC);
}

#[test]
fn rb201_inventory_with_default_account_disabled() {
    let yaml = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: default
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: x:1
";
    assert_pointers("default SA off", &check_all("RB201", yaml), &[]);
    assert_pointers("single object", &check("RB201", yaml), &[SPEC]);
}

#[test]
fn rb202_default_service_account() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "default without the field",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n",
            &["/automountServiceAccountToken"],
        ),
        (
            "default with true",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: true\n",
            &["/automountServiceAccountToken"],
        ),
        (
            "default with false",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: false\n",
            &[],
        ),
        (
            "default with YAML 1.1 off",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\nautomountServiceAccountToken: off\n",
            &[],
        ),
        (
            "another account",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n",
            &[],
        ),
        (
            "a default object of another kind",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: default\n",
            &[],
        ),
        (
            "in a List",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: default\n",
            &["/items/0/automountServiceAccountToken"],
        ),
    ];
    for (name, yaml, expected) in cases {
        assert_pointers(name, &check("RB202", yaml), expected);
    }
    let f = check(
        "RB202",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: default\n  namespace: shop\n",
    );
    assert!(
        f[0].message.contains("namespace \"shop\""),
        "{}",
        f[0].message
    );
}

fn dashboard(args: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: kubernetes-dashboard\nspec:\n  template:\n    spec:\n      containers:\n      - name: kubernetes-dashboard\n        image: kubernetesui/dashboard:v2.7.0\n{args}"
    )
}

#[test]
fn rb203_dashboard_skip_login() {
    let c = "/spec/template/spec/containers/0";
    let cases: &[(&str, String, Vec<String>)] = &[
        (
            "bare flag",
            dashboard("        args:\n        - --auto-generate-certificates\n        - --enable-skip-login\n"),
            vec![format!("{c}/args/1")],
        ),
        (
            "=true",
            dashboard("        args: [\"--enable-skip-login=true\"]\n"),
            vec![format!("{c}/args/0")],
        ),
        (
            "single dash, in command",
            dashboard("        command: [\"/dashboard\", \"-enable-skip-login\"]\n"),
            vec![format!("{c}/command/1")],
        ),
        (
            "inside sh -c",
            dashboard("        command: [\"sh\", \"-c\", \"exec /dashboard --enable-skip-login --port=9090\"]\n"),
            vec![format!("{c}/command/2")],
        ),
        (
            "=false",
            dashboard("        args: [\"--enable-skip-login=false\"]\n"),
            vec![],
        ),
        (
            "last occurrence wins",
            dashboard("        args: [\"--enable-skip-login\", \"--enable-skip-login=false\"]\n"),
            vec![],
        ),
        (
            "a different flag with the same prefix",
            dashboard("        args: [\"--enable-skip-login-button-text=x\", \"--enable-insecure-login\"]\n"),
            vec![],
        ),
        ("no args", dashboard(""), vec![]),
    ];
    for (name, yaml, expected) in cases {
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_pointers(name, &check("RB203", yaml), &expected);
    }
    let f = check("RB203", &dashboard("        args: [--enable-skip-login]\n"));
    assert_eq!(f[0].container.as_deref(), Some("kubernetes-dashboard"));
}

#[test]
fn rb204_token_secret() {
    let yaml = "\
apiVersion: v1
kind: Secret
metadata:
  name: ci-token
  annotations:
    kubernetes.io/service-account.name: ci
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: kubernetes.io/tls
---
apiVersion: v1
kind: Secret
metadata:
  name: plain
";
    let f = check("RB204", yaml);
    assert_pointers("token secret", &f, &["/type"]);
    assert!(
        f[0].message.contains("service account \"ci\""),
        "{}",
        f[0].message
    );
}

#[test]
fn rb201_inventory_bound_accounts_need_their_token() {
    let yaml = "\
apiVersion: v1
kind: ServiceAccount
metadata:
  name: controller
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: controller
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: controller
subjects:
- kind: ServiceAccount
  name: controller
  namespace: argocd
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller
spec:
  template:
    spec:
      serviceAccountName: controller
      containers:
      - name: c
        image: x:1
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: c
        image: x:1
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: default-can-read
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: reader
subjects:
- kind: ServiceAccount
  name: default
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: c
        image: x:1
";
    // The bound dedicated account's pod is left alone; pods of the default account are
    // reported even when someone bound rights to it.
    let names: Vec<_> = check_all("RB201", yaml)
        .iter()
        .map(|f| f.object.as_ref().unwrap().name.clone().unwrap())
        .collect();
    assert_eq!(names, ["web", "shop"]);
    assert_eq!(check("RB201", yaml).len(), 3);
}

#[test]
fn check_objects_respects_rule_versions() {
    let objs = objects(&one_container(""));
    let run = |minor: u32| {
        let settings = palisade_core::Settings {
            kubernetes_version: palisade_core::KubeVersion::v1(minor),
            ..Default::default()
        };
        let mut out = Vec::new();
        palisade_core::check_objects(
            rule("RB201"),
            &palisade_core::Context {
                settings: &settings,
            },
            &objs,
            &mut out,
        );
        out.len()
    };
    // automountServiceAccountToken exists from 1.6 on.
    assert_eq!(run(5), 0);
    assert_eq!(run(6), 1);
}
