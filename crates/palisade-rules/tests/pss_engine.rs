//! The Pod Security Standards engine as a whole: which checks make up each level at each
//! version, upstream's order and overrides, rule metadata, workload pod templates, the exact
//! pointers and messages of findings, and how the checks behave as ordinary rules.

mod common;

use common::*;
use palisade_core::{Context, Emitter, Finding, KubeVersion, Location, Settings, Severity};
use palisade_rules::pss::{self, Level, CHECKS, LATEST_POLICY};
use palisade_rules::registry;

fn active(level: Level, minor: u32) -> Vec<&'static str> {
    pss::checks_for(level, v(minor))
        .into_iter()
        .map(|(c, _)| c.id())
        .collect()
}

const BASELINE_1_0: &[&str] = &[
    "appArmorProfile",
    "capabilities_baseline",
    "hostNamespaces",
    "hostPathVolumes",
    "hostPorts",
    "privileged",
    "procMount",
    "seLinuxOptions",
    "seccompProfile_baseline",
    "sysctls",
    "windowsHostProcess",
];

#[test]
fn checks_per_level_and_version() {
    let with_probes = |ids: &[&'static str]| {
        let mut ids = ids.to_vec();
        ids.insert(5, "hostProbesAndHostLifecycle");
        ids
    };
    assert_eq!(active(Level::Baseline, 0), BASELINE_1_0);
    assert_eq!(active(Level::Baseline, 33), BASELINE_1_0);
    assert_eq!(active(Level::Baseline, 34), with_probes(BASELINE_1_0));
    assert_eq!(active(Level::Baseline, 37), with_probes(BASELINE_1_0));
    assert!(active(Level::Privileged, 37).is_empty());
    assert!(active(Level::Privileged, 0).is_empty());

    // Restricted 1.0: hostPathVolumes is replaced by restrictedVolumes.
    assert_eq!(
        active(Level::Restricted, 0),
        [
            "appArmorProfile",
            "capabilities_baseline",
            "hostNamespaces",
            "hostPorts",
            "privileged",
            "procMount",
            "seLinuxOptions",
            "seccompProfile_baseline",
            "sysctls",
            "windowsHostProcess",
            "restrictedVolumes",
            "runAsNonRoot",
        ]
    );
    assert_eq!(
        active(Level::Restricted, 8),
        with_restricted(
            &active(Level::Restricted, 0),
            &[],
            &["allowPrivilegeEscalation"]
        )
    );
    // 1.19: seccompProfile_restricted replaces seccompProfile_baseline.
    assert_eq!(
        active(Level::Restricted, 19),
        with_restricted(
            &active(Level::Restricted, 18),
            &["seccompProfile_baseline"],
            &["seccompProfile_restricted"]
        )
    );
    // 1.22: capabilities_restricted replaces capabilities_baseline.
    assert_eq!(
        active(Level::Restricted, 22),
        with_restricted(
            &active(Level::Restricted, 21),
            &["capabilities_baseline"],
            &["capabilities_restricted"]
        )
    );
    assert_eq!(
        active(Level::Restricted, 23),
        with_restricted(&active(Level::Restricted, 22), &[], &["runAsUser"])
    );
    assert_eq!(
        active(Level::Restricted, 34),
        with_restricted(
            &active(Level::Restricted, 33),
            &[],
            &["hostProbesAndHostLifecycle"]
        )
    );
    // 1.35: procMount_restricted replaces procMount.
    assert_eq!(
        active(Level::Restricted, 35),
        with_restricted(
            &active(Level::Restricted, 34),
            &["procMount"],
            &["procMount_restricted"]
        )
    );
    assert_eq!(
        active(Level::Restricted, 37),
        [
            "appArmorProfile",
            "hostNamespaces",
            "hostPorts",
            "hostProbesAndHostLifecycle",
            "privileged",
            "seLinuxOptions",
            "sysctls",
            "windowsHostProcess",
            "allowPrivilegeEscalation",
            "capabilities_restricted",
            "procMount_restricted",
            "restrictedVolumes",
            "runAsNonRoot",
            "runAsUser",
            "seccompProfile_restricted",
        ]
    );
    // Between the versions where something changes, the set of checks stays the same.
    for (from, to) in [(0, 7), (8, 18), (19, 21), (23, 33), (35, 37)] {
        for m in from..=to {
            assert_eq!(
                active(Level::Restricted, m),
                active(Level::Restricted, from),
                "1.{m}"
            );
        }
    }
}

/// `base` without `remove`, plus `add`, in upstream order.
fn with_restricted(
    base: &[&'static str],
    remove: &[&str],
    add: &[&'static str],
) -> Vec<&'static str> {
    let keep: Vec<&'static str> = base
        .iter()
        .copied()
        .filter(|id| !remove.contains(id))
        .chain(add.iter().copied())
        .collect();
    CHECKS
        .iter()
        .map(|c| c.id())
        .filter(|id| keep.contains(id))
        .collect()
}

#[test]
fn upstream_order_and_ids() {
    let ids: Vec<&str> = CHECKS.iter().map(|c| c.id()).collect();
    let mut baseline: Vec<&str> = CHECKS
        .iter()
        .filter(|c| c.level == Level::Baseline)
        .map(|c| c.id())
        .collect();
    let mut restricted: Vec<&str> = CHECKS
        .iter()
        .filter(|c| c.level == Level::Restricted)
        .map(|c| c.id())
        .collect();
    // Upstream sorts IDs with Go's byte-wise string order, baseline first.
    baseline.sort_unstable();
    restricted.sort_unstable();
    assert_eq!(ids, [baseline, restricted].concat());
    assert_eq!(ids.len(), 19);
    for id in [
        "hostNamespaces",
        "privileged",
        "capabilities_baseline",
        "hostPathVolumes",
        "hostPorts",
        "appArmorProfile",
        "seLinuxOptions",
        "procMount",
        "seccompProfile_baseline",
        "sysctls",
        "windowsHostProcess",
        "hostProbesAndHostLifecycle",
        "restrictedVolumes",
        "allowPrivilegeEscalation",
        "runAsNonRoot",
        "runAsUser",
        "seccompProfile_restricted",
        "capabilities_restricted",
        "procMount_restricted",
    ] {
        assert!(pss::check_by_id(id).is_some(), "{id}");
    }
    assert!(pss::check_by_id("probeHost").is_none());
}

#[test]
fn versions_beyond_latest_evaluate_as_latest() {
    assert_eq!(LATEST_POLICY, KubeVersion::v1(37));
    let bad = pod("securityContext: {sysctls: [{name: net.ipv4.tcp_notsent_lowat, value: \"1\"}]}, containers: [{name: a, image: x}]");
    assert_eq!(ids(&bad, B, v(99)), ids(&bad, B, v(37)));
    assert_eq!(ids(&bad, B, v(99)), Vec::<&str>::new());
    assert_eq!(ids(&bad, B, v(36)), ["sysctls"]);
    for level in [B, R] {
        let a: Vec<&str> = pss::checks_for(level, KubeVersion::new(1, 250))
            .iter()
            .map(|(c, _)| c.id())
            .collect();
        assert_eq!(a, active(level, 37));
    }
}

#[test]
fn levels_parse_and_print() {
    for level in [P, B, R] {
        assert_eq!(level.as_str().parse::<Level>(), Ok(level));
        assert_eq!(level.to_string(), level.as_str());
    }
    assert!("Restricted".parse::<Level>().is_err());
    assert!(P < B && B < R);
}

#[test]
fn rule_metadata() {
    let expected: &[(&str, &str, Severity)] = &[
        ("privileged", "PS101", Severity::Critical),
        ("hostNamespaces", "PS102", Severity::Critical),
        ("hostPathVolumes", "PS103", Severity::High),
        ("hostPorts", "PS104", Severity::High),
        ("capabilities_baseline", "PS105", Severity::High),
        ("windowsHostProcess", "PS106", Severity::Critical),
        ("appArmorProfile", "PS107", Severity::High),
        ("seLinuxOptions", "PS108", Severity::High),
        ("procMount", "PS109", Severity::High),
        ("seccompProfile_baseline", "PS110", Severity::High),
        ("sysctls", "PS111", Severity::High),
        ("hostProbesAndHostLifecycle", "PS112", Severity::High),
        ("restrictedVolumes", "PS120", Severity::Medium),
        ("allowPrivilegeEscalation", "PS121", Severity::Medium),
        ("runAsNonRoot", "PS122", Severity::Medium),
        ("runAsUser", "PS123", Severity::Medium),
        ("seccompProfile_restricted", "PS124", Severity::Medium),
        ("capabilities_restricted", "PS125", Severity::Medium),
        ("procMount_restricted", "PS126", Severity::Medium),
    ];
    assert_eq!(expected.len(), CHECKS.len());
    for &(id, code, severity) in expected {
        let c = pss::check_by_id(id).unwrap();
        let m = c.meta;
        assert_eq!((m.code, m.severity), (code, severity), "{id}");
        // Baseline codes are PS10x/PS11x, restricted PS12x.
        assert_eq!(
            c.level == Level::Restricted,
            code.starts_with("PS12"),
            "{id}"
        );
        let guide = if matches!(id, "privileged" | "hostNamespaces") {
            "PodSecurityPolicy / DenyEscalatingExec"
        } else {
            "Use Pod Security Policies"
        };
        assert_eq!(m.guide, guide, "{id}");
        assert_eq!(m.versions.since, Some(c.since()), "{id}");
        assert_eq!(m.versions.until, None, "{id}");
        for text in [m.summary, m.what, m.why, m.example, m.fix, m.help] {
            assert!(text.len() > 20, "{id}: {text:?}");
        }
        assert!(
            m.example.contains("# fails") && m.example.contains("# passes"),
            "{id}"
        );
        assert!(
            m.name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
            "{id}: {}",
            m.name
        );
        let page = format!(
            "https://kubernetes.io/docs/concepts/security/pod-security-standards/#{}",
            c.level
        );
        assert!(m.references.contains(&page.as_str()), "{id}");
        let control = format!("Pod Security Standards: {}, ", c.level);
        assert!(m.references.iter().any(|r| r.starts_with(&control)), "{id}");
        // Versions are strictly increasing and start at or after 1.0.
        assert!(c.versions[0].since >= v(0));
        assert!(
            c.versions.windows(2).all(|w| w[0].since < w[1].since),
            "{id}"
        );
        // Overrides name baseline checks only, and only restricted checks override.
        for o in c.overrides {
            let other = pss::check_by_id(o).unwrap();
            assert_eq!(
                (c.level, other.level),
                (Level::Restricted, Level::Baseline),
                "{id}"
            );
        }
    }
    let mut codes: Vec<&str> = CHECKS.iter().map(|c| c.meta.code).collect();
    codes.dedup();
    assert_eq!(codes.len(), CHECKS.len());
    let mut names: Vec<&str> = CHECKS.iter().map(|c| c.meta.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CHECKS.len());
}

#[test]
fn version_boundaries_declared() {
    let boundaries = |id: &str| -> Vec<u32> {
        pss::check_by_id(id)
            .unwrap()
            .versions
            .iter()
            .map(|vc| vc.since.minor)
            .collect()
    };
    let t: &[(&str, &[u32])] = &[
        ("appArmorProfile", &[0]),
        ("capabilities_baseline", &[0]),
        ("hostNamespaces", &[0]),
        ("hostPathVolumes", &[0]),
        ("hostPorts", &[0]),
        ("hostProbesAndHostLifecycle", &[34]),
        ("privileged", &[0]),
        ("procMount", &[0, 35]),
        ("seLinuxOptions", &[0, 31]),
        ("seccompProfile_baseline", &[0, 19]),
        ("sysctls", &[0, 27, 29, 32, 37]),
        ("windowsHostProcess", &[0]),
        ("allowPrivilegeEscalation", &[8, 25]),
        ("capabilities_restricted", &[22, 25]),
        ("procMount_restricted", &[35]),
        ("restrictedVolumes", &[0]),
        ("runAsNonRoot", &[0, 35]),
        ("runAsUser", &[23, 35]),
        ("seccompProfile_restricted", &[19, 25]),
    ];
    for (id, want) in t {
        assert_eq!(boundaries(id), *want, "{id}");
    }
    let overrides = |id: &str| pss::check_by_id(id).unwrap().overrides.to_vec();
    assert_eq!(overrides("restrictedVolumes"), ["hostPathVolumes"]);
    assert_eq!(
        overrides("seccompProfile_restricted"),
        ["seccompProfile_baseline"]
    );
    assert_eq!(
        overrides("capabilities_restricted"),
        ["capabilities_baseline"]
    );
    assert_eq!(overrides("procMount_restricted"), ["procMount"]);
}

// ---------------------------------------------------------------------------------------------
// Workloads: the pod template inside every kind that has one.

/// A pod template (metadata and spec) at indentation 0.
const TEMPLATE: &str = "\
metadata:
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  hostPID: true
  containers:
  - name: app
    image: registry.example/app:1.0
    securityContext:
      privileged: true
";

fn indent(s: &str, n: usize) -> String {
    s.lines()
        .map(|l| format!("{}{l}\n", " ".repeat(n)))
        .collect()
}

fn workload(api_version: &str, kind: &str) -> String {
    let head = format!("apiVersion: {api_version}\nkind: {kind}\n");
    match kind {
        "Pod" => format!("{head}{TEMPLATE}"),
        "PodTemplate" => format!("{head}metadata: {{name: w}}\ntemplate:\n{}", indent(TEMPLATE, 2)),
        "CronJob" => format!(
            "{head}metadata: {{name: w}}\nspec:\n  schedule: \"*/5 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n{}",
            indent(TEMPLATE, 8)
        ),
        _ => format!(
            "{head}metadata: {{name: w}}\nspec:\n  selector: {{matchLabels: {{app: w}}}}\n  template:\n{}",
            indent(TEMPLATE, 4)
        ),
    }
}

#[test]
fn workload_pod_templates() {
    let kinds: &[(&str, &str, &str)] = &[
        ("v1", "Pod", ""),
        ("v1", "PodTemplate", "/template"),
        ("v1", "ReplicationController", "/spec/template"),
        ("apps/v1", "Deployment", "/spec/template"),
        ("apps/v1", "ReplicaSet", "/spec/template"),
        ("apps/v1", "DaemonSet", "/spec/template"),
        ("apps/v1", "StatefulSet", "/spec/template"),
        ("batch/v1", "Job", "/spec/template"),
        ("batch/v1", "CronJob", "/spec/jobTemplate/spec/template"),
    ];
    let mut rows = 0;
    for &(api, kind, prefix) in kinds {
        let yaml = workload(api, kind);
        for (level, minor) in [(B, 0), (B, 37), (R, 37)] {
            let found = violations(&yaml, level, v(minor));
            let got: Vec<(&str, &str)> = found
                .iter()
                .filter(|f| matches!(f.id, "privileged" | "hostNamespaces" | "appArmorProfile"))
                .map(|f| (f.id, f.pointer.as_str()))
                .collect();
            let annotation = format!(
                "{prefix}/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app"
            );
            let host_pid = format!("{prefix}/spec/hostPID");
            let privileged = format!("{prefix}/spec/containers/0/securityContext/privileged");
            assert_eq!(
                got,
                [
                    ("appArmorProfile", annotation.as_str()),
                    ("hostNamespaces", host_pid.as_str()),
                    ("privileged", privileged.as_str()),
                ],
                "{kind} at {level} 1.{minor}:\n{yaml}"
            );
            rows += 1;
        }
    }
    assert_eq!(rows, 27);
    // Objects without a pod template are not pods.
    let cm = object("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}");
    assert!(cm.pod_template().is_none());
}

#[test]
fn cronjob_restricted_block_yaml() {
    let yaml = "\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: \"0 3 * * *\"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          securityContext:
            runAsNonRoot: true
            seccompProfile:
              type: RuntimeDefault
          initContainers:
          - name: fetch
            image: registry.example/fetch:2
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [ALL]
          containers:
          - name: report
            image: registry.example/report:2
            securityContext:
              allowPrivilegeEscalation: false
              capabilities:
                drop: [\"ALL\"]
                add: [NET_BIND_SERVICE]
              runAsUser: 1000
";
    let t = vec![
        case("compliant CronJob, restricted", yaml, R, v(37), &[]),
        case("compliant CronJob, restricted 1.0", yaml, R, v(0), &[]),
        case("compliant CronJob, baseline", yaml, B, v(37), &[]),
        case(
            "init container escalates",
            yaml.replacen(
                "allowPrivilegeEscalation: false",
                "allowPrivilegeEscalation: true",
                1,
            ),
            R,
            v(37),
            &["allowPrivilegeEscalation"],
        ),
        case(
            "runs as root",
            yaml.replace("runAsUser: 1000", "runAsUser: 0"),
            R,
            v(37),
            &["runAsUser"],
        ),
        case(
            "drops nothing",
            yaml.replace("drop: [\"ALL\"]", "drop: [NET_RAW]"),
            R,
            v(37),
            &["capabilities_restricted"],
        ),
    ];
    run(&t);
    let found = violations(&yaml.replace("runAsUser: 1000", "runAsUser: 0"), R, v(37));
    assert_eq!(
        found[0].pointer,
        "/spec/jobTemplate/spec/template/spec/containers/0/securityContext/runAsUser"
    );
    assert_eq!(found[0].container.as_deref(), Some("report"));
}

// ---------------------------------------------------------------------------------------------
// Pointers and messages.

struct Expect {
    yaml: String,
    level: Level,
    minor: u32,
    id: &'static str,
    pointer: &'static str,
    message: &'static str,
    container: Option<&'static str>,
}

fn expect(
    yaml: String,
    level: Level,
    minor: u32,
    id: &'static str,
    pointer: &'static str,
    message: &'static str,
    container: Option<&'static str>,
) -> Expect {
    Expect {
        yaml,
        level,
        minor,
        id,
        pointer,
        message,
        container,
    }
}

#[test]
#[rustfmt::skip]
fn pointers_and_messages() {
    let c = |body: &str| pod(&format!("containers: [{}]", ctr_raw("app", body)));
    let sc = |body: &str| c(&format!("securityContext: {{{body}}}"));
    let psc = |body: &str| pod(&format!("securityContext: {{{body}}}, containers: [{{name: app, image: x}}]"));
    let t = vec![
        expect(sc("privileged: true"), B, 37, "privileged", "/spec/containers/0/securityContext/privileged", "container \"app\" runs privileged", Some("app")),
        expect(pod("hostNetwork: true, containers: []"), B, 37, "hostNamespaces", "/spec/hostNetwork", "pod sets hostNetwork: true and shares the node's network namespace", None),
        expect(pod("containers: [], volumes: [{name: a, emptyDir: {}}, {name: sock, hostPath: {path: /var/run/docker.sock}}]"), B, 37, "hostPathVolumes", "/spec/volumes/1/hostPath", "volume \"sock\" mounts hostPath \"/var/run/docker.sock\"", None),
        expect(c("ports: [{containerPort: 80}, {containerPort: 8080, hostPort: 8080}]"), B, 37, "hostPorts", "/spec/containers/0/ports/1/hostPort", "container \"app\" uses hostPort 8080", Some("app")),
        expect(sc("capabilities: {add: [CHOWN, SYS_ADMIN]}"), B, 37, "capabilities_baseline", "/spec/containers/0/securityContext/capabilities/add/1", "container \"app\" sets capabilities.add: SYS_ADMIN", Some("app")),
        expect(psc("windowsOptions: {hostProcess: true}"), B, 37, "windowsHostProcess", "/spec/securityContext/windowsOptions/hostProcess", "pod sets windowsOptions.hostProcess: true", None),
        expect(sc("appArmorProfile: {type: Unconfined}"), B, 37, "appArmorProfile", "/spec/containers/0/securityContext/appArmorProfile/type", "container \"app\" sets AppArmor profile type \"Unconfined\"", Some("app")),
        expect(pod_annotated("container.apparmor.security.beta.kubernetes.io/app: unconfined", "containers: [{name: app, image: x}]"), B, 37, "appArmorProfile", "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app", "annotation container.apparmor.security.beta.kubernetes.io/app sets AppArmor profile \"unconfined\"", Some("app")),
        expect(psc("seLinuxOptions: {type: spc_t}"), B, 37, "seLinuxOptions", "/spec/securityContext/seLinuxOptions/type", "pod sets seLinuxOptions.type \"spc_t\"", None),
        expect(sc("seLinuxOptions: {user: system_u}"), B, 37, "seLinuxOptions", "/spec/containers/0/securityContext/seLinuxOptions/user", "container \"app\" sets a custom seLinuxOptions.user \"system_u\"", Some("app")),
        expect(sc("procMount: Unmasked"), B, 37, "procMount", "/spec/containers/0/securityContext/procMount", "container \"app\" sets procMount: \"Unmasked\"", Some("app")),
        expect(sc("procMount: Unmasked"), R, 37, "procMount_restricted", "/spec/containers/0/securityContext/procMount", "container \"app\" sets procMount: \"Unmasked\"", Some("app")),
        expect(psc("seccompProfile: {type: Unconfined}"), B, 37, "seccompProfile_baseline", "/spec/securityContext/seccompProfile/type", "pod sets seccompProfile.type \"Unconfined\"", None),
        expect(pod_annotated("seccomp.security.alpha.kubernetes.io/pod: unconfined", "containers: [{name: app, image: x}]"), B, 18, "seccompProfile_baseline", "/metadata/annotations/seccomp.security.alpha.kubernetes.io~1pod", "annotation seccomp.security.alpha.kubernetes.io/pod sets seccomp profile \"unconfined\"", None),
        expect(pod_annotated("container.seccomp.security.alpha.kubernetes.io/app: unconfined", "containers: [{name: app, image: x}]"), B, 18, "seccompProfile_baseline", "/metadata/annotations/container.seccomp.security.alpha.kubernetes.io~1app", "annotation container.seccomp.security.alpha.kubernetes.io/app sets seccomp profile \"unconfined\"", Some("app")),
        expect(psc("sysctls: [{name: kernel.shm_rmid_forced, value: \"1\"}, {name: net.core.somaxconn, value: \"1024\"}]"), B, 32, "sysctls", "/spec/securityContext/sysctls/1/name", "pod sets sysctl \"net.core.somaxconn\", which is not in the safe set of policy v1.32", None),
        expect(c("livenessProbe: {httpGet: {host: 10.0.0.1, port: 80}}"), B, 34, "hostProbesAndHostLifecycle", "/spec/containers/0/livenessProbe/httpGet/host", "container \"app\" livenessProbe.httpGet sets host \"10.0.0.1\"", Some("app")),
        expect(c("lifecycle: {preStop: {tcpSocket: {host: db, port: 5432}}}"), B, 34, "hostProbesAndHostLifecycle", "/spec/containers/0/lifecycle/preStop/tcpSocket/host", "container \"app\" lifecycle.preStop.tcpSocket sets host \"db\"", Some("app")),
        expect(pod("containers: [], volumes: [{name: share, nfs: {server: n, path: /}}]"), R, 37, "restrictedVolumes", "/spec/volumes/0/nfs", "volume \"share\" uses restricted volume type nfs", None),
        expect(c(""), R, 37, "allowPrivilegeEscalation", "/spec/containers/0/securityContext/allowPrivilegeEscalation", "container \"app\" does not set allowPrivilegeEscalation: false", Some("app")),
        expect(sc("allowPrivilegeEscalation: true"), R, 37, "allowPrivilegeEscalation", "/spec/containers/0/securityContext/allowPrivilegeEscalation", "container \"app\" sets allowPrivilegeEscalation: true", Some("app")),
        expect(c(""), R, 37, "runAsNonRoot", "/spec/containers/0/securityContext/runAsNonRoot", "container \"app\" does not set runAsNonRoot: true, and the pod does not either", Some("app")),
        expect(psc("runAsNonRoot: false"), R, 37, "runAsNonRoot", "/spec/securityContext/runAsNonRoot", "pod sets runAsNonRoot: false", None),
        expect(psc("runAsUser: 0"), R, 37, "runAsUser", "/spec/securityContext/runAsUser", "pod sets runAsUser: 0", None),
        expect(sc("runAsUser: 0"), R, 37, "runAsUser", "/spec/containers/0/securityContext/runAsUser", "container \"app\" sets runAsUser: 0", Some("app")),
        expect(c(""), R, 37, "seccompProfile_restricted", "/spec/containers/0/securityContext/seccompProfile/type", "container \"app\" has no seccomp profile, and the pod sets none", Some("app")),
        expect(c(""), R, 37, "capabilities_restricted", "/spec/containers/0/securityContext/capabilities/drop", "container \"app\" does not drop ALL capabilities", Some("app")),
        expect(sc("capabilities: {drop: [ALL], add: [CHOWN]}"), R, 37, "capabilities_restricted", "/spec/containers/0/securityContext/capabilities/add/0", "container \"app\" sets capabilities.add: CHOWN (only NET_BIND_SERVICE may be added)", Some("app")),
    ];
    for e in &t {
        let found = violations(&e.yaml, e.level, v(e.minor));
        let hit = found.iter().find(|f| f.id == e.id && f.pointer == e.pointer);
        let hit = hit.unwrap_or_else(|| panic!("{} at {}: no violation at {}, got {found:#?}", e.id, e.level, e.pointer));
        assert_eq!(hit.message, e.message);
        assert_eq!(hit.container.as_deref(), e.container, "{}", e.message);
    }
}

#[test]
fn one_violation_per_offending_field() {
    // Two containers, each with two bad capabilities: four findings, each naming its container.
    let yaml = pod("containers: [{name: a, image: x, securityContext: {capabilities: {add: [SYS_ADMIN, NET_ADMIN]}}}, {name: b, image: x, securityContext: {capabilities: {add: [BPF, SYS_PTRACE]}}}]");
    let found = violations(&yaml, B, v(37));
    let got: Vec<(&str, Option<&str>)> = found
        .iter()
        .map(|f| (f.pointer.as_str(), f.container.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "/spec/containers/0/securityContext/capabilities/add/0",
                Some("a")
            ),
            (
                "/spec/containers/0/securityContext/capabilities/add/1",
                Some("a")
            ),
            (
                "/spec/containers/1/securityContext/capabilities/add/0",
                Some("b")
            ),
            (
                "/spec/containers/1/securityContext/capabilities/add/1",
                Some("b")
            ),
        ]
    );
    // Containers are visited as upstream visits them: init, regular, ephemeral.
    let yaml = pod("ephemeralContainers: [{name: e, image: x, securityContext: {privileged: true}}], containers: [{name: c, image: x, securityContext: {privileged: true}}], initContainers: [{name: i, image: x, securityContext: {privileged: true}}]");
    let order: Vec<Option<String>> = violations(&yaml, B, v(37))
        .into_iter()
        .map(|f| f.container)
        .collect();
    assert_eq!(
        order,
        [Some("i".into()), Some("c".into()), Some("e".into())]
    );
    // A pod-level Unconfined profile is one finding; containers relying on it are not repeated.
    let yaml = pod(&format!(
        "securityContext: {{runAsNonRoot: true, seccompProfile: {{type: Unconfined}}}}, containers: [{}, {}]",
        ctr("a", ""),
        ctr("b", "seccompProfile: {type: Localhost, localhostProfile: p}")
    ));
    let found = violations(&yaml, R, v(37));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(
        found[0].pointer,
        "/spec/securityContext/seccompProfile/type"
    );
    // Without a pod-level profile, each container without its own is reported.
    let yaml = pod(&format!(
        "securityContext: {{runAsNonRoot: true}}, containers: [{}, {}, {}]",
        ctr("a", ""),
        ctr("b", "seccompProfile: {type: RuntimeDefault}"),
        ctr("c", "")
    ));
    let found = violations(&yaml, R, v(37));
    let containers: Vec<Option<String>> = found.into_iter().map(|f| f.container).collect();
    assert_eq!(containers, [Some("a".into()), Some("c".into())]);
}

// ---------------------------------------------------------------------------------------------
// As ordinary rules.

/// Runs every Pod Security Standards rule of the registry on `yaml` at `minor`, as the scanner
/// does outside `--pod-security` mode, returning (code, pointer) pairs sorted.
fn as_rules(yaml: &str, minor: u32) -> Vec<Finding> {
    let object = object(yaml);
    let settings = Settings {
        kubernetes_version: v(minor),
        ..Settings::default()
    };
    let cx = Context {
        settings: &settings,
    };
    let mut out = Vec::new();
    for rule in registry::objects() {
        let meta = rule.meta;
        if meta.pss_check.is_none() || !meta.versions.contains(v(minor)) {
            continue;
        }
        let mut emitter = Emitter::new(&object, meta, &mut out);
        rule.object()
            .expect("a PSS check reads objects")
            .check(&cx, &object, &mut emitter);
    }
    out
}

fn codes_and_pointers(findings: &[Finding]) -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = findings
        .iter()
        .map(|f| (f.code, f.location.pointer().unwrap_or("").to_owned()))
        .collect();
    v.sort();
    v
}

#[test]
fn rules_do_not_double_report_overridden_fields() {
    let yaml = pod(
        "securityContext: {runAsNonRoot: true, seccompProfile: {type: Unconfined}}, \
         volumes: [{name: h, hostPath: {path: /}}, {name: n, nfs: {server: s, path: /}}], \
         containers: [{name: app, image: x, securityContext: {allowPrivilegeEscalation: false, procMount: Unmasked, \
         capabilities: {drop: [ALL], add: [SYS_ADMIN, CHOWN]}}}]",
    );
    let cs = "/spec/containers/0/securityContext";
    assert_eq!(
        codes_and_pointers(&as_rules(&yaml, 37)),
        [
            ("PS103", "/spec/volumes/0/hostPath".to_owned()),
            ("PS105", format!("{cs}/capabilities/add/0")),
            ("PS109", format!("{cs}/procMount")),
            (
                "PS110",
                "/spec/securityContext/seccompProfile/type".to_owned()
            ),
            // restrictedVolumes adds only what hostPathVolumes does not report.
            ("PS120", "/spec/volumes/1/nfs".to_owned()),
            // capabilities_restricted adds CHOWN, which baseline allows.
            ("PS125", format!("{cs}/capabilities/add/1")),
        ]
    );
    // When the overridden check lets a field through, the restricted check reports it.
    let userns = yaml.replace("spec: {", "spec: {hostUsers: false, ");
    let found = codes_and_pointers(&as_rules(&userns, 37));
    assert!(
        found.contains(&("PS126", format!("{cs}/procMount"))),
        "{found:?}"
    );
    assert!(!found.iter().any(|(c, _)| *c == "PS109"), "{found:?}");
    // Before procMount_restricted exists (1.34) the rule does not run; baseline reports it.
    let found = codes_and_pointers(&as_rules(&userns, 34));
    assert!(
        found.contains(&("PS109", format!("{cs}/procMount"))),
        "{found:?}"
    );
    assert!(!found.iter().any(|(c, _)| *c == "PS126"), "{found:?}");
    // Before 1.19 the seccomp field is not read by either check, and at 1.21 the capabilities
    // check is the baseline one only.
    let found = codes_and_pointers(&as_rules(&yaml, 18));
    assert!(
        !found.iter().any(|(c, _)| *c == "PS110" || *c == "PS124"),
        "{found:?}"
    );
    let found = codes_and_pointers(&as_rules(&yaml, 21));
    assert!(found.contains(&("PS105", format!("{cs}/capabilities/add/0"))));
    assert!(!found.iter().any(|(c, _)| *c == "PS125"), "{found:?}");
}

#[test]
fn rule_violations_outside_a_checks_versions_are_empty() {
    let yaml = pod("securityContext: {runAsUser: 0}, containers: [{name: a, image: x}]");
    let obj = object(&yaml);
    let pod = obj.pod_template().unwrap();
    let run_as_user = pss::check_by_id("runAsUser").unwrap();
    assert!(run_as_user.rule_violations(v(22), &pod).is_empty());
    assert_eq!(run_as_user.rule_violations(v(23), &pod).len(), 1);
    assert_eq!(run_as_user.rule_violations(v(99), &pod).len(), 1);
}

#[test]
fn findings_point_at_the_source() {
    let yaml = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          privileged: true
";
    let findings = as_rules(yaml, 37);
    let privileged: Vec<&Finding> = findings.iter().filter(|f| f.code == "PS101").collect();
    assert_eq!(privileged.len(), 1);
    let f = privileged[0];
    assert_eq!(f.pss_check, Some("privileged"));
    assert_eq!(f.container.as_deref(), Some("web"));
    assert_eq!(&*f.message, "container \"web\" runs privileged");
    match &f.location {
        Location::File { pos, pointer, .. } => {
            assert_eq!(
                pointer,
                "/spec/template/spec/containers/0/securityContext/privileged"
            );
            assert_eq!((pos.line, pos.col), (12, 11));
        }
        other => panic!("{other:?}"),
    }
    // A missing field points at the nearest parent that exists, with the full pointer kept.
    let missing: Vec<&Finding> = findings.iter().filter(|f| f.code == "PS122").collect();
    assert_eq!(missing.len(), 1);
    match &missing[0].location {
        Location::File { pos, pointer, .. } => {
            assert_eq!(
                pointer,
                "/spec/template/spec/containers/0/securityContext/runAsNonRoot"
            );
            assert_eq!(
                pos.line, 11,
                "the nearest existing field is the `securityContext:` key on line 11"
            );
        }
        other => panic!("{other:?}"),
    }
}
