//! A hand-made scan report that exercises every part of every format: several severities, a PSS
//! check, a suppressed finding, a finding whose rule did not declare itself, a whole-file
//! finding, and an input that failed to parse.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::collections::BTreeMap;
use std::sync::Arc;

use palisade_core::finding::{Finding, Location};
use palisade_core::report::{InputProblem, NotEvaluated, ScanReport, Stats};
use palisade_core::yaml::Pos;
use palisade_core::{ObjectRef, RuleMeta, Severity, VersionRange};
use palisade_report::ToolInfo;

pub const WEB: &str = "deploy/web.yaml";
pub const POD: &str = "base/pod.yaml";
pub const BROKEN: &str = "deploy/broken.yaml";

pub const WEB_YAML: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: prod
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
";

pub const POD_YAML: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox:1.36
";

pub static PRIVILEGED: RuleMeta = RuleMeta {
    code: "PS101",
    name: "privileged-container",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy / DenyEscalatingExec",
    versions: VersionRange::ALL,
    pss_check: Some("privileged"),
    references: &[
        "Pod Security Standards: baseline, Privileged Containers",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A container runs privileged",
    what: "Every container is checked for `securityContext.privileged: true`.",
    why: "A privileged container is root on the node.",
    example: "# fails\nsecurityContext:\n  privileged: true\n# passes\nsecurityContext:\n  privileged: false",
    fix: "Remove `privileged: true`.",
    help: "remove `securityContext.privileged: true`; add only the capabilities the container needs",
};

pub static ESCALATION: RuleMeta = RuleMeta {
    code: "PS105",
    name: "allow-privilege-escalation",
    severity: Severity::Medium,
    guide: "Pod Security Standards",
    versions: VersionRange::ALL,
    pss_check: Some("allowPrivilegeEscalation"),
    references: &[],
    summary: "A container may gain more privileges than its parent process",
    what: "Containers are checked for `allowPrivilegeEscalation` not set to false.",
    why: "setuid binaries can raise a process's privileges.",
    example: "",
    fix: "Set `allowPrivilegeEscalation: false`.",
    help: "set `securityContext.allowPrivilegeEscalation: false`",
};

pub static HOST_NETWORK: RuleMeta = RuleMeta {
    code: "PS110",
    name: "host-network",
    severity: Severity::High,
    guide: "Pod Security Standards",
    versions: VersionRange::ALL,
    pss_check: Some("hostNamespaces"),
    references: &[],
    summary: "A pod shares the node's network namespace",
    what: "Pods are checked for `hostNetwork: true`.",
    why: "The pod sees every connection of the node.",
    example: "",
    fix: "Remove `hostNetwork: true`.",
    help: "remove `hostNetwork: true`",
};

pub static LATEST_TAG: RuleMeta = RuleMeta {
    code: "IM401",
    name: "image-without-tag",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[],
    summary: "An image has no tag or digest",
    what: "Images are checked for a tag or digest.",
    why: "An untagged image changes under you.",
    example: "",
    fix: "Pin the image by digest.",
    help: "pin the image to a digest (`image@sha256:…`)",
};

/// A cross-object rule that reports nothing here but could not be evaluated.
pub static REJECTED: RuleMeta = RuleMeta {
    code: "PS164",
    name: "workload-rejected-by-pod-security",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[],
    summary: "A workload's pods would be rejected by its namespace's Pod Security level",
    what: "Workloads are evaluated at their namespace's enforce level.",
    why: "Pods that admission rejects never run.",
    example: "",
    fix: "Fix the pod or label the namespace.",
    help: "make the pod pass its namespace's level",
};

fn web_ref() -> ObjectRef {
    ObjectRef {
        api_version: "apps/v1".to_owned(),
        kind: "Deployment".to_owned(),
        namespace: Some("prod".to_owned()),
        name: Some("web".to_owned()),
    }
}

fn at(path: &str, line: u32, col: u32, end_col: u32, pointer: &str) -> Location {
    Location::File {
        path: Arc::from(path),
        pos: Pos { line, col },
        end: Pos { line, col: end_col },
        pointer: pointer.to_owned(),
    }
}

fn finding(meta: &'static RuleMeta, location: Location, message: &str) -> Finding {
    Finding {
        code: meta.code,
        rule: meta.name,
        severity: meta.severity,
        pss_check: meta.pss_check,
        location,
        object: Some(web_ref().into()),
        container: None,
        related: None,
        message: message.to_owned().into(),
        help: meta.help,
        suppressed: None,
        baselined: false,
        fix: None,
        flow: None,
    }
}

/// The report every snapshot and schema test renders.
pub fn report() -> ScanReport {
    let c0 = "/spec/template/spec/containers/0";
    let mut privileged = finding(
        &PRIVILEGED,
        at(WEB, 14, 13, 23, &format!("{c0}/securityContext/privileged")),
        "container \"app\" runs privileged",
    );
    privileged.container = Some("app".into());
    let mut escalation = finding(
        &ESCALATION,
        at(
            WEB,
            15,
            13,
            37,
            &format!("{c0}/securityContext/allowPrivilegeEscalation"),
        ),
        "container \"app\" allows privilege escalation",
    );
    escalation.container = Some("app".into());
    let mut host_network = finding(
        &HOST_NETWORK,
        at(WEB, 9, 7, 18, "/spec/template/spec/hostNetwork"),
        "pod uses the host's network namespace",
    );
    host_network.suppressed = Some("ingress controller needs the host network (OPS-12)".into());
    let mut untagged = finding(
        &LATEST_TAG,
        at(WEB, 12, 18, 23, &format!("{c0}/image")),
        "image \"nginx\" has no tag or digest",
    );
    untagged.container = Some("app".into());
    // A finding from a rule that is not in `rules` (it must still get a SARIF descriptor), about
    // a whole file.
    let unknown_kind = Finding {
        code: "PA902",
        rule: "no-namespace",
        severity: Severity::Medium,
        pss_check: None,
        location: Location::Path {
            path: Arc::from(POD),
            pos: None,
        },
        object: Some(std::sync::Arc::new(ObjectRef {
            api_version: "v1".to_owned(),
            kind: "Pod".to_owned(),
            namespace: None,
            name: Some("debug".to_owned()),
        })),
        container: None,
        related: None,
        message: "Pod \"debug\" has no namespace: it lands in whatever namespace is current".into(),
        help: "set `metadata.namespace`",
        suppressed: None,
        baselined: false,
        fix: None,
        flow: None,
    };
    ScanReport {
        findings: vec![unknown_kind, host_network, untagged, privileged, escalation],
        problems: vec![InputProblem {
            path: Arc::from(BROKEN),
            pos: Some(Pos { line: 3, col: 7 }),
            message: "mapping values are not allowed in this context".to_owned(),
        }],
        stats: Stats {
            files: 3,
            documents: 3,
            objects: 2,
            skipped_documents: 1,
            subject: None,
        },
        rules: vec![
            &PRIVILEGED,
            &ESCALATION,
            &HOST_NETWORK,
            &LATEST_TAG,
            &REJECTED,
        ],
        fail_on: Some(Severity::High),
        kubernetes_version: "v1.37".to_owned(),
        pod_security: Some("restricted:v1.37".to_owned()),
        // One rule that ran, one code no declaration names.
        not_evaluated: vec![
            NotEvaluated {
                code: "PS164",
                reason: "no Namespace object in the scanned files for namespace \"prod\" \
                         (1 workload): its Pod Security level is unknown"
                    .to_owned(),
            },
            NotEvaluated {
                code: "NP399",
                reason: "no NetworkPolicy in the scanned files".to_owned(),
            },
        ],
        notes: Vec::new(),
        baseline: None,
        evidence: Default::default(),
    }
}

/// Sources for code frames: the two readable files (the broken one has no frame to show).
pub fn sources() -> BTreeMap<&'static str, &'static str> {
    BTreeMap::from([(WEB, WEB_YAML), (POD, POD_YAML)])
}

/// A fixed tool identity, so snapshots do not change with every release.
pub fn tool() -> ToolInfo {
    ToolInfo {
        version: "0.0.0-test".to_owned(),
        ..ToolInfo::default()
    }
}
