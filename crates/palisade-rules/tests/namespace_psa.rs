//! PS160–PS164: Pod Security Admission labels on namespaces, and workloads their level rejects.

mod workload_support;

use std::path::{Path, PathBuf};

use palisade_core::source::objects_from_str;
use palisade_core::{evaluate_objects, Context, Finding, KubeVersion, NotEvaluated, Settings};
use palisade_rules::namespace::pss_keep;
use palisade_rules::pss::{self, Level};
use palisade_rules::{Engine, Mode, Selection};
use workload_support::*;

fn at(minor: u32) -> Settings {
    Settings {
        kubernetes_version: KubeVersion::v1(minor),
        ..Settings::default()
    }
}

/// Runs rule `code` over all of `yaml` as an engine would, at `settings`.
fn run(code: &str, settings: &Settings, yaml: &str) -> (Vec<Finding>, Option<NotEvaluated>) {
    let mut findings = Vec::new();
    let n = evaluate_objects(
        rule(code),
        &Context { settings },
        &objects(yaml),
        &mut findings,
    );
    (findings, n)
}

fn namespace(name: &str, labels: &[(&str, &str)]) -> String {
    let mut s = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n");
    if !labels.is_empty() {
        s.push_str("  labels:\n");
        for (k, v) in labels {
            s.push_str(&format!("    {k}: {v:?}\n"));
        }
    }
    s
}

/// (case name, namespace labels, expected finding pointers).
type LabelCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);
/// (case name, namespace labels, container fields, target minor version, rejected?).
type AdmissionCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, u32, bool);

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
const VERSION: &str = "pod-security.kubernetes.io/enforce-version";
const ENFORCE_PTR: &str = "/metadata/labels/pod-security.kubernetes.io~1enforce";
const VERSION_PTR: &str = "/metadata/labels/pod-security.kubernetes.io~1enforce-version";

#[test]
fn ps160_namespace_without_enforce() {
    let (f, _) = run("PS160", &at(37), &namespace("shop", &[]));
    assert_pointers("no labels", &f, &[ENFORCE_PTR]);
    assert!(
        f[0].message.contains("Namespace \"shop\""),
        "{}",
        f[0].message
    );
    let (f, _) = run(
        "PS160",
        &at(37),
        &namespace("shop", &[("pod-security.kubernetes.io/warn", "restricted")]),
    );
    assert_pointers("warn only", &f, &[ENFORCE_PTR]);
    assert!(
        f[0].message.contains("warn label only reports"),
        "{}",
        f[0].message
    );
    for level in ["privileged", "baseline", "restricted", "bogus"] {
        let (f, _) = run("PS160", &at(37), &namespace("shop", &[(ENFORCE, level)]));
        assert_pointers(level, &f, &[]);
    }
    // Not a Namespace, or another group's kind of the same name.
    let other = "apiVersion: example.com/v1\nkind: Namespace\nmetadata:\n  name: x\n";
    assert_pointers("other group", &run("PS160", &at(37), other).0, &[]);
    // Pod Security Admission is on by default from 1.23: nothing to say before.
    assert_pointers(
        "1.22",
        &run("PS160", &at(22), &namespace("shop", &[])).0,
        &[],
    );
    assert_pointers(
        "1.23",
        &run("PS160", &at(23), &namespace("shop", &[])).0,
        &[ENFORCE_PTR],
    );
}

#[test]
fn ps161_privileged_enforce() {
    let (f, _) = run(
        "PS161",
        &at(37),
        &namespace("cni", &[(ENFORCE, "privileged")]),
    );
    assert_pointers("privileged", &f, &[ENFORCE_PTR]);
    assert!(
        f[0].message
            .contains("Namespace \"cni\" enforces the privileged"),
        "{}",
        f[0].message
    );
    for labels in [
        vec![(ENFORCE, "baseline")],
        vec![(ENFORCE, "restricted")],
        vec![],
    ] {
        assert_pointers(
            "not privileged",
            &run("PS161", &at(37), &namespace("a", &labels)).0,
            &[],
        );
    }
    // warn: privileged is not enforcement.
    let warn = namespace("a", &[("pod-security.kubernetes.io/warn", "privileged")]);
    assert_pointers("warn", &run("PS161", &at(37), &warn).0, &[]);
}

#[test]
fn ps162_version_pin() {
    let cases: &[LabelCase] = &[
        (
            "restricted, no version",
            vec![(ENFORCE, "restricted")],
            &[ENFORCE_PTR],
        ),
        (
            "baseline, latest",
            vec![(ENFORCE, "baseline"), (VERSION, "latest")],
            &[VERSION_PTR],
        ),
        (
            "restricted pinned",
            vec![(ENFORCE, "restricted"), (VERSION, "v1.30")],
            &[],
        ),
        (
            "baseline pinned to v1.0",
            vec![(ENFORCE, "baseline"), (VERSION, "v1.0")],
            &[],
        ),
        (
            "privileged needs no pin",
            vec![(ENFORCE, "privileged")],
            &[],
        ),
        ("no enforce at all (PS160)", vec![], &[]),
        (
            "invalid version is PS163's",
            vec![(ENFORCE, "restricted"), (VERSION, "1.30")],
            &[],
        ),
    ];
    for (name, labels, expected) in cases {
        assert_pointers(
            name,
            &run("PS162", &at(37), &namespace("a", labels)).0,
            expected,
        );
    }
    let (f, _) = run(
        "PS162",
        &at(31),
        &namespace("a", &[(ENFORCE, "restricted")]),
    );
    assert!(f[0].message.contains("pin e.g. v1.31"), "{}", f[0].message);
}

#[test]
fn ps163_invalid_labels() {
    let audit = "/metadata/labels/pod-security.kubernetes.io~1audit";
    let warn_v = "/metadata/labels/pod-security.kubernetes.io~1warn-version";
    let typo = "/metadata/labels/pod-security.kubernetes.io~1enforced";
    let cases: &[LabelCase] = &[
        (
            "valid",
            vec![(ENFORCE, "restricted"), (VERSION, "v1.30")],
            &[],
        ),
        (
            "latest",
            vec![(ENFORCE, "baseline"), (VERSION, "latest")],
            &[],
        ),
        (
            "capitalised level",
            vec![(ENFORCE, "Restricted")],
            &[ENFORCE_PTR],
        ),
        (
            "version without v",
            vec![(ENFORCE, "baseline"), (VERSION, "1.30")],
            &[VERSION_PTR],
        ),
        ("patch version", vec![(VERSION, "v1.30.2")], &[VERSION_PTR]),
        (
            "audit level",
            vec![("pod-security.kubernetes.io/audit", "strict")],
            &[audit],
        ),
        (
            "warn version",
            vec![("pod-security.kubernetes.io/warn-version", "v2.0")],
            &[warn_v],
        ),
        (
            "typo in key",
            vec![("pod-security.kubernetes.io/enforced", "restricted")],
            &[typo],
        ),
        (
            "other labels",
            vec![("team", "shop"), ("kubernetes.io/metadata.name", "a")],
            &[],
        ),
    ];
    for (name, labels, expected) in cases {
        assert_pointers(
            name,
            &run("PS163", &at(37), &namespace("a", labels)).0,
            expected,
        );
    }
    let (f, _) = run("PS163", &at(37), &namespace("a", &[(ENFORCE, "strict")]));
    assert!(
        f[0].message.contains("enforces restricted"),
        "{}",
        f[0].message
    );
    let (f, _) = run(
        "PS163",
        &at(37),
        &namespace("a", &[("pod-security.kubernetes.io/warn", "x")]),
    );
    assert!(
        f[0].message.contains("falls back to privileged"),
        "{}",
        f[0].message
    );
}

/// A Deployment in `ns` (no `metadata.namespace` when empty) with container fields `extra`
/// (indented ten spaces) and pod spec fields `spec` (indented six).
fn deployment(ns: &str, extra: &str) -> String {
    deployment_with(ns, "", extra)
}

fn deployment_with(ns: &str, spec: &str, extra: &str) -> String {
    let ns = if ns.is_empty() {
        String::new()
    } else {
        format!("  namespace: {ns}\n")
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n{ns}spec:\n  template:\n    \
         spec:\n{spec}      containers:\n      - name: web\n        image: nginx:1.27\n{extra}"
    )
}

/// Passes restricted at 1.21 but not at 1.22, when `capabilities_restricted` (drop ALL) arrived.
const RESTRICTED_BEFORE_1_22: &str =
    "        securityContext:\n          runAsNonRoot: true\n          \
    allowPrivilegeEscalation: false\n          seccompProfile:\n            type: RuntimeDefault\n";

const FULLY_RESTRICTED: &str = "        securityContext:\n          runAsNonRoot: true\n          \
    allowPrivilegeEscalation: false\n          seccompProfile:\n            type: RuntimeDefault\n          \
    capabilities:\n            drop: [ALL]\n";

const PRIVILEGED: &str = "        securityContext:\n          privileged: true\n";

#[test]
fn ps164_levels_and_versions() {
    let none: &[(&str, &str)] = &[];
    // (namespace labels, container fields, target minor, rejected?)
    let cases: &[AdmissionCase] = &[
        (
            "no enforce label: cluster default",
            none,
            PRIVILEGED,
            37,
            false,
        ),
        (
            "privileged admits anything",
            &[(ENFORCE, "privileged")],
            PRIVILEGED,
            37,
            false,
        ),
        (
            "baseline rejects privileged",
            &[(ENFORCE, "baseline")],
            PRIVILEGED,
            37,
            true,
        ),
        (
            "baseline admits a plain pod",
            &[(ENFORCE, "baseline")],
            "",
            37,
            false,
        ),
        (
            "restricted rejects a plain pod",
            &[(ENFORCE, "restricted")],
            "",
            37,
            true,
        ),
        (
            "restricted admits a restricted pod",
            &[(ENFORCE, "restricted")],
            FULLY_RESTRICTED,
            37,
            false,
        ),
        (
            "restricted:v1.21 has no drop-ALL check",
            &[(ENFORCE, "restricted"), (VERSION, "v1.21")],
            RESTRICTED_BEFORE_1_22,
            37,
            false,
        ),
        (
            "restricted:v1.22 has it",
            &[(ENFORCE, "restricted"), (VERSION, "v1.22")],
            RESTRICTED_BEFORE_1_22,
            37,
            true,
        ),
        (
            "restricted:latest has it",
            &[(ENFORCE, "restricted"), (VERSION, "latest")],
            RESTRICTED_BEFORE_1_22,
            37,
            true,
        ),
        (
            "unpinned follows the target version",
            &[(ENFORCE, "restricted")],
            RESTRICTED_BEFORE_1_22,
            23,
            true,
        ),
        (
            "invalid level is restricted",
            &[(ENFORCE, "Baseline")],
            "",
            37,
            true,
        ),
        (
            "invalid version is latest",
            &[(ENFORCE, "restricted"), (VERSION, "1.21")],
            RESTRICTED_BEFORE_1_22,
            37,
            true,
        ),
    ];
    for (name, labels, extra, minor, rejected) in cases {
        let yaml = format!(
            "{}---\n{}",
            namespace("shop", labels),
            deployment("shop", extra)
        );
        let (f, n) = run("PS164", &at(*minor), &yaml);
        assert_eq!(f.len(), usize::from(*rejected), "{name}: {:#?}", f);
        assert!(n.is_none(), "{name}: {n:?}");
    }
}

#[test]
fn ps164_pinned_version_newer_than_the_cluster_is_the_clusters() {
    // seccompProfile_restricted arrived in 1.19: a 1.18 cluster cannot enforce it, whatever the
    // label pins.
    let no_seccomp = "        securityContext:\n          runAsNonRoot: true\n          \
        allowPrivilegeEscalation: false\n          capabilities:\n            drop: [ALL]\n";
    let yaml = format!(
        "{}---\n{}",
        namespace("shop", &[(ENFORCE, "restricted"), (VERSION, "v1.30")]),
        deployment("shop", no_seccomp)
    );
    let rule = rule("PS164");
    let mut findings = Vec::new();
    let objects = objects(&yaml);
    // PS164 starts at 1.23; call the inventory stage directly to evaluate a 1.18 server.
    let inv = rule.inventory().unwrap();
    let kept = palisade_core::keep_all(inv, &objects);
    // Models are built per scan, and a scan has one target version: one set per run.
    let run = |minor: u32, findings: &mut Vec<Finding>| {
        let models = palisade_core::Models::default();
        let kept = palisade_core::Kept::new(&kept, &models);
        inv.refine(
            &Context {
                settings: &at(minor),
            },
            &kept,
            findings,
        );
    };
    run(18, &mut findings);
    assert!(findings.is_empty(), "{findings:#?}");
    run(30, &mut findings);
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0].message.contains("seccompProfile_restricted"),
        "{}",
        findings[0].message
    );
}

#[test]
fn ps164_message_pointer_and_related_namespace() {
    let yaml = format!(
        "{}---\n{}",
        namespace("shop", &[(ENFORCE, "baseline"), (VERSION, "v1.30")]),
        deployment_with("shop", "      hostNetwork: true\n", PRIVILEGED)
    );
    let (f, _) = run("PS164", &at(37), &yaml);
    assert_eq!(f.len(), 1);
    let m = &f[0].message;
    assert!(m.starts_with("the pods of Deployment \"web\" would be rejected: Namespace \"shop\" enforces Pod Security baseline:v1.30"), "{m}");
    assert!(
        m.contains("hostNamespaces:") && m.contains("privileged:"),
        "{m}"
    );
    assert_eq!(pointer(&f[0]), "/spec/template/spec/hostNetwork");
    let related = f[0].related.as_ref().unwrap();
    assert_eq!(
        (related.kind.as_str(), related.name.as_deref()),
        ("Namespace", Some("shop"))
    );
    // A bare pod is "rejected", and latest says what it was evaluated at.
    let yaml = format!(
        "{}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n  - name: c\n    image: x:1\n",
        namespace("shop", &[(ENFORCE, "restricted")])
    );
    let (f, _) = run("PS164", &at(33), &yaml);
    assert!(f[0].message.starts_with("Pod \"p\" would be rejected: Namespace \"shop\" enforces Pod Security restricted:latest, evaluated at v1.33"), "{}", f[0].message);
}

#[test]
fn ps164_not_evaluated_without_the_namespace() {
    let yaml = format!(
        "{}---\n{}---\n{}---\n{}",
        namespace("shop", &[(ENFORCE, "restricted")]),
        deployment("billing", ""),
        deployment("billing", ""),
        deployment("", ""),
    );
    let (f, n) = run("PS164", &at(37), &yaml);
    assert!(f.is_empty(), "{f:#?}");
    let n = n.unwrap();
    assert_eq!(
        n.reason,
        "2 workloads in namespace \"billing\" with no Namespace object in the scanned files; \
         1 workload without metadata.namespace (the namespace is chosen when applied): which Pod \
         Security level admits them is unknown"
    );
}

/// A pod that meets restricted at every version cannot be rejected anywhere: PS164 keeps nothing
/// of it, so hardened clusters cost no memory.
#[test]
fn ps164_keeps_only_workloads_some_level_rejects() {
    let inv = rule("PS164").inventory().unwrap();
    let hardened = deployment_with(
        "shop",
        "      securityContext:\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n",
        FULLY_RESTRICTED,
    );
    assert!(inv.keep(&objects(&hardened)[0]).is_none());
    assert!(inv
        .keep(&objects(&deployment("shop", RESTRICTED_BEFORE_1_22))[0])
        .is_some());
    assert!(inv.keep(&objects(&namespace("shop", &[]))[0]).is_some());
    assert!(inv
        .keep(&objects("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")[0])
        .is_none());
}

/// Through the engine: findings added in `refine` honour the workload's own exemption
/// annotation, and the engine returns what could not be evaluated.
#[test]
fn ps164_through_the_engine() {
    let waived = deployment("shop", "").replace(
        "  name: web\n",
        "  name: web\n  annotations:\n    palisade.dev/ignore: \"PS164 — migrating\"\n",
    );
    let yaml = format!(
        "{}---\n{}---\n{}",
        namespace("shop", &[(ENFORCE, "restricted"), (VERSION, "v1.30")]),
        waived,
        deployment("elsewhere", ""),
    );
    let engine = Engine::new(
        Settings::default(),
        Selection {
            select: vec!["PS164".into()],
            ignore: vec![],
        },
        vec![],
        Mode::Rules,
    );
    let mut findings = Vec::new();
    let mut kept = Vec::new();
    for o in objects(&yaml) {
        findings.extend(engine.check_object(&o));
        kept.extend(engine.keep(&o));
    }
    let not_evaluated = engine.refine(&kept, &mut findings);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].suppressed.as_deref(), Some("migrating"));
    assert_eq!(not_evaluated.len(), 1);
    assert_eq!(not_evaluated[0].code, "PS164");
    assert!(not_evaluated[0].reason.contains("\"elsewhere\""));
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/real-world");
    dir.is_dir().then_some(dir)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(p);
        }
    }
}

/// The projection PS164 keeps holds everything the Pod Security Standards read: every pod of the
/// corpus and of the fixtures above gets the same violations whole and projected, at both levels
/// and at every version where some check changes.
#[test]
fn pss_projection_keeps_what_the_checks_read() {
    let mut versions: Vec<KubeVersion> = pss::CHECKS
        .iter()
        .flat_map(|c| c.versions.iter().map(|v| v.since))
        .chain([pss::LATEST_POLICY])
        .collect();
    versions.sort();
    versions.dedup();
    let mut texts: Vec<String> = [PRIVILEGED, FULLY_RESTRICTED, RESTRICTED_BEFORE_1_22, ""]
        .iter()
        .map(|extra| deployment("shop", extra))
        .collect();
    texts.push(deployment_with(
        "shop",
        "      hostPID: true\n      hostUsers: false\n      os:\n        name: windows\n      \
         volumes:\n      - name: h\n        hostPath:\n          path: /\n      securityContext:\n        \
         sysctls:\n        - name: kernel.msgmax\n          value: '1'\n",
        "        ports:\n        - containerPort: 80\n          hostPort: 80\n        lifecycle:\n          \
         postStart:\n            httpGet:\n              host: 10.0.0.1\n              port: 80\n",
    ));
    if let Some(dir) = corpus_dir() {
        let mut files = Vec::new();
        walk(&dir, &mut files);
        texts.extend(files.iter().filter_map(|f| std::fs::read_to_string(f).ok()));
    }
    let mut pods = 0;
    for text in &texts {
        for o in objects_from_str("t.yaml", text).objects {
            let Some(pod) = o.pod_template() else {
                continue;
            };
            let projected = pss_keep(&o).unwrap().project(&o);
            let ppod = projected.pod_template();
            pods += 1;
            for level in [Level::Baseline, Level::Restricted] {
                for &v in &versions {
                    let flat = |vs: Vec<(&'static pss::PssCheck, pss::Violation)>| {
                        vs.into_iter().map(|(c, v)| (c.id(), v)).collect::<Vec<_>>()
                    };
                    let whole = flat(pss::evaluate(level, v, &pod));
                    let part = ppod
                        .as_ref()
                        .map(|p| flat(pss::evaluate(level, v, p)))
                        .unwrap_or_default();
                    assert_eq!(whole, part, "{} at {level}:{v}", o.reference());
                }
            }
        }
    }
    assert!(pods >= 5, "only {pods} pods evaluated");
    eprintln!("projection equivalence checked on {pods} pods");
}

/// A Deployment in `ns` whose container has `security` (YAML lines at the container's indent).
fn named_deployment(ns: &str, name: &str, security: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.27\n{security}"
    )
}

const RESTRICTED_OK: &str = "        securityContext:\n          runAsNonRoot: true\n          allowPrivilegeEscalation: false\n          seccompProfile: {type: RuntimeDefault}\n          capabilities: {drop: [ALL]}\n";
const BASELINE_OK: &str = "";

/// The PS160/PS161 fix enforces the strictest level the namespace's own workloads pass (what
/// `harden` labels it with), never one that rejects them (PS164 would go up).
#[test]
fn ps160_ps161_fix_enforces_the_level_the_workloads_pass() {
    let privileged_label = [(ENFORCE, "privileged")];
    for (code, labels) in [("PS160", &[][..]), ("PS161", &privileged_label[..])] {
        for (security, want) in [
            (RESTRICTED_OK, Some("restricted")),
            (BASELINE_OK, Some("baseline")),
            (PRIVILEGED, None),
        ] {
            let yaml = format!(
                "{}---\n{}---\n{}",
                namespace("shop", labels),
                named_deployment("shop", "web", security),
                // Another namespace's workloads do not count.
                named_deployment("other", "agent", PRIVILEGED)
            );
            let (f, _) = run(code, &at(37), &yaml);
            assert_eq!(f.len(), 1, "{code}");
            let level = f[0].fix.as_ref().map(|fix| match &fix.ops[0] {
                palisade_core::FixOp::Set {
                    value: palisade_core::FixValue::Str(s),
                    ..
                } => s.clone(),
                op => panic!("{op:?}"),
            });
            assert_eq!(level.as_deref(), want, "{code} {security}");
            if want.is_none() {
                assert!(
                    f[0].message.contains("no fix offered")
                        && f[0].message.contains("Deployment web (privileged)"),
                    "{}",
                    f[0].message
                );
            }
            // Never the level that rejects the workload: PS164 stays silent after the fix.
            if let Some(level) = want {
                let fixed = yaml.replacen(
                    "  name: shop\n",
                    &format!("  name: shop\n  labels:\n    {ENFORCE}: {level}\n"),
                    1,
                );
                let fixed = if labels.is_empty() {
                    fixed
                } else {
                    namespace("shop", &[(ENFORCE, level)])
                        + &yaml[namespace("shop", labels).len()..]
                };
                assert_pointers("after the fix", &run("PS164", &at(37), &fixed).0, &[]);
            }
        }
    }
    // kube-system stays privileged, as harden keeps it.
    let (f, _) = run("PS160", &at(37), &namespace("kube-system", &[]));
    assert!(f[0].fix.is_none());
    assert!(f[0].message.contains("kube-system"), "{}", f[0].message);
}
