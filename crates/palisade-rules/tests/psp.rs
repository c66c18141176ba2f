//! PS170–PS178: PodSecurityPolicy objects before 1.25, and their removal from 1.25 on.

mod workload_support;

use palisade_core::{evaluate_objects, Context, Finding, KubeVersion, NotEvaluated, Settings};
use workload_support::*;

fn at(minor: u32) -> Settings {
    Settings {
        kubernetes_version: KubeVersion::v1(minor),
        ..Settings::default()
    }
}

fn run(code: &str, minor: u32, yaml: &str) -> (Vec<Finding>, Option<NotEvaluated>) {
    let mut findings = Vec::new();
    let settings = at(minor);
    let n = evaluate_objects(
        rule(code),
        &Context {
            settings: &settings,
        },
        &objects(yaml),
        &mut findings,
    );
    (findings, n)
}

fn psp(name: &str, spec: &str) -> String {
    format!("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: {name}\nspec:\n{spec}")
}

/// The guide's unprivileged policy (PSP/default.psp.yaml), with a non-root user rule.
const DEFAULT: &str = "  privileged: false\n  allowPrivilegeEscalation: false\n  allowedCapabilities: []\n  \
    volumes: [configMap, emptyDir, projected, secret, downwardAPI, persistentVolumeClaim]\n  \
    hostNetwork: false\n  hostIPC: false\n  hostPID: false\n  runAsUser:\n    rule: MustRunAsNonRoot\n  \
    seLinux:\n    rule: RunAsAny\n  supplementalGroups:\n    rule: RunAsAny\n  fsGroup:\n    rule: RunAsAny\n";

/// The guide's privileged policy (PSP/privileged.psp.yaml).
const PRIVILEGED: &str = "  privileged: true\n  allowPrivilegeEscalation: true\n  allowedCapabilities: ['*']\n  \
    volumes: ['*']\n  hostNetwork: true\n  hostPorts:\n  - min: 0\n    max: 65535\n  hostIPC: true\n  \
    hostPID: true\n  runAsUser:\n    rule: 'RunAsAny'\n  seLinux:\n    rule: 'RunAsAny'\n  \
    supplementalGroups:\n    rule: 'RunAsAny'\n  fsGroup:\n    rule: 'RunAsAny'\n";

#[test]
fn the_guides_pair() {
    let default = psp("default", DEFAULT);
    let privileged = psp("privileged", PRIVILEGED);
    for code in [
        "PS170", "PS171", "PS172", "PS173", "PS174", "PS175", "PS176",
    ] {
        assert_pointers(code, &run(code, 24, &default).0, &[]);
    }
    let expected: &[(&str, &[&str])] = &[
        ("PS170", &["/spec/privileged"]),
        (
            "PS171",
            &["/spec/hostNetwork", "/spec/hostPID", "/spec/hostIPC"],
        ),
        ("PS172", &["/spec/hostPorts"]),
        ("PS173", &["/spec/allowedCapabilities/0"]),
        ("PS174", &["/spec/volumes/0"]),
        ("PS175", &["/spec/runAsUser/rule"]),
        ("PS176", &["/spec/allowPrivilegeEscalation"]),
    ];
    for (code, pointers) in expected {
        let (f, _) = run(code, 24, &privileged);
        assert_pointers(code, &f, pointers);
        assert!(f
            .iter()
            .all(|f| f.message.starts_with("PodSecurityPolicy \"privileged\"")));
        // Before 1.25 only; the object is PS178's from then on.
        assert_pointers(code, &run(code, 25, &privileged).0, &[]);
    }
}

#[test]
fn ps170_to_ps176_variants() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("PS170", "  privileged: \"true\"\n", &["/spec/privileged"]),
        ("PS170", "  privileged: no\n", &[]),
        ("PS171", "  hostPID: yes\n", &["/spec/hostPID"]),
        ("PS172", "  hostPorts:\n  - min: 0\n    max: 0\n", &[]),
        ("PS172", "  hostPorts:\n  - min: 8080\n    max: 8081\n", &["/spec/hostPorts"]),
        ("PS173", "  allowedCapabilities: [NET_BIND_SERVICE, CHOWN]\n", &[]),
        ("PS173", "  allowedCapabilities: [NET_BIND_SERVICE, SYS_ADMIN]\n", &["/spec/allowedCapabilities/1"]),
        ("PS173", "  defaultAddCapabilities: [NET_ADMIN]\n", &["/spec/defaultAddCapabilities/0"]),
        ("PS174", "  volumes: [configMap, hostPath]\n", &["/spec/volumes/1"]),
        ("PS174", "  volumes: [configMap, secret]\n", &[]),
        ("PS175", "  runAsUser:\n    rule: MustRunAsNonRoot\n", &[]),
        ("PS175", "  runAsUser:\n    rule: MustRunAs\n    ranges:\n    - min: 1000\n      max: 2000\n", &[]),
        ("PS175", "  runAsUser:\n    rule: MustRunAs\n    ranges:\n    - min: 1000\n      max: 2000\n    - min: 0\n      max: 10\n", &["/spec/runAsUser/ranges/1/min"]),
        ("PS175", "  privileged: false\n", &["/spec/runAsUser"]),
        ("PS176", "  allowPrivilegeEscalation: false\n", &[]),
        ("PS176", "  privileged: false\n", &["/spec/allowPrivilegeEscalation"]),
    ];
    for (code, spec, expected) in cases {
        assert_pointers(
            &format!("{code} {spec}"),
            &run(code, 21, &psp("p", spec)).0,
            expected,
        );
    }
    // extensions/v1beta1, the guide's apiVersion, counts; another group's kind does not.
    let ext = psp("p", "  privileged: true\n").replace("policy/v1beta1", "extensions/v1beta1");
    assert_pointers(
        "extensions",
        &run("PS170", 15, &ext).0,
        &["/spec/privileged"],
    );
    let other = psp("p", "  privileged: true\n").replace("policy/v1beta1", "example.com/v1");
    assert_pointers("other group", &run("PS170", 15, &other).0, &[]);
}

#[test]
fn ps174_names_allowed_host_paths() {
    let spec = "  volumes: [hostPath]\n  allowedHostPaths:\n  - pathPrefix: /var/log\n    readOnly: true\n";
    let (f, _) = run("PS174", 24, &psp("logs", spec));
    assert!(
        f[0].message.ends_with("paths under /var/log (read-only)"),
        "{}",
        f[0].message
    );
}

#[test]
fn ps177_needs_an_unprivileged_policy() {
    let privileged = psp("privileged", PRIVILEGED);
    let wide = psp(
        "wide",
        "  privileged: false\n  volumes: ['*']\n  allowPrivilegeEscalation: false\n",
    );
    let default = psp("default", DEFAULT);
    // Only privileged policies: one finding, on the first by name, naming them all.
    let (f, n) = run("PS177", 24, &format!("{wide}---\n{privileged}"));
    assert!(n.is_none());
    assert_eq!(f.len(), 1);
    assert!(
        f[0].message.starts_with(
            "none of the 2 PodSecurityPolicies in the scanned files (\"privileged\", \"wide\")"
        ),
        "{}",
        f[0].message
    );
    assert_eq!(
        f[0].object.as_ref().unwrap().name.as_deref(),
        Some("privileged")
    );
    // The guide's pair passes; so does the guide's own default, which allows root.
    assert!(run("PS177", 24, &format!("{privileged}---\n{default}"))
        .0
        .is_empty());
    let guide_default = DEFAULT.replace("MustRunAsNonRoot", "RunAsAny");
    assert!(run(
        "PS177",
        24,
        &format!("{privileged}---\n{}", psp("default", &guide_default))
    )
    .0
    .is_empty());
    // No policy at all: not evaluated, which is not a pass.
    let (f, n) = run(
        "PS177",
        24,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    );
    assert!(f.is_empty());
    assert!(n
        .unwrap()
        .reason
        .starts_with("no PodSecurityPolicy object in the scanned files"));
    // From 1.25 the rule does not apply at all.
    assert_eq!(run("PS177", 25, &privileged), (vec![], None));
}

#[test]
fn ps178_removed_from_1_25() {
    let p = psp("default", DEFAULT);
    assert_pointers("1.24", &run("PS178", 24, &p).0, &[]);
    let (f, _) = run("PS178", 25, &p);
    assert_pointers("1.25", &f, &["/kind"]);
    assert!(
        f[0].message
            .contains("removed in Kubernetes 1.25: on v1.25"),
        "{}",
        f[0].message
    );
    assert_pointers("1.37", &run("PS178", 37, &p).0, &["/kind"]);
    assert_pointers(
        "not a PSP",
        &run(
            "PS178",
            37,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n",
        )
        .0,
        &[],
    );
}
