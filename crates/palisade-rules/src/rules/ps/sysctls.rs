//! `sysctls` (baseline): the pod may set only namespaced, isolated ("safe") sysctls
//! (`spec.securityContext.sysctls[*].name`). The allow-list grows with the policy version:
//!
//! | version | added |
//! |---------|-------|
//! | 1.0  | `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start` |
//! | 1.27 | `net.ipv4.ip_local_reserved_ports` |
//! | 1.29 | `net.ipv4.tcp_keepalive_time`, `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`, `net.ipv4.tcp_keepalive_probes` |
//! | 1.32 | `net.ipv4.tcp_rmem`, `net.ipv4.tcp_wmem` |
//! | 1.37 | `net.ipv4.tcp_slow_start_after_idle`, `net.ipv4.tcp_notsent_lowat` |
//!
//! The 1.37 entry comes from the merged upstream change that added both names to the kubelet's
//! safe set and to the policy for v1.37 (kubernetes/kubernetes#138389); the copy of
//! `check_sysctls.go` available while writing this predates it, so that row is the one to
//! re-check against a 1.37 release.

use palisade_core::{Fix, FixOp, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    pod_security_context, present, q, text, Level, PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{list, lit, or_empty, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS111",
    name: "unsafe-sysctl",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("sysctls"),
    references: &[
        "Pod Security Standards: baseline, Sysctls",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "The pod sets a sysctl outside the safe set",
    what: "Checks `spec.securityContext.sysctls[*].name` against the safe sysctls of the policy \
           version (the list grows in 1.27, 1.29, 1.32 and 1.37).",
    why: "A sysctl outside the safe set is either not namespaced, so setting it changes the \
          kernel for every pod on the node, or not isolated, so one pod can exhaust a shared \
          resource (memory for message queues, connection tracking) and take the node down \
          with it.",
    example: "# fails\nsecurityContext:\n  sysctls:\n  - name: net.core.somaxconn\n    value: \
              \"1024\"\n# passes\nsecurityContext:\n  sysctls:\n  - name: \
              net.ipv4.ip_local_port_range\n    value: \"1024 65000\"",
    fix: "Remove the sysctl, or set it on the nodes (node tuning, a DaemonSet in a privileged \
          namespace) for the workloads scheduled there. Check whether a newer policy version \
          allows it.",
    help: "remove sysctls outside the safe set, or tune them on the nodes",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(0),
            check: v1_0,
        },
        VersionedCheck {
            since: KubeVersion::v1(27),
            check: v1_27,
        },
        VersionedCheck {
            since: KubeVersion::v1(29),
            check: v1_29,
        },
        VersionedCheck {
            since: KubeVersion::v1(32),
            check: v1_32,
        },
        VersionedCheck {
            since: KubeVersion::v1(37),
            check: v1_37,
        },
    ],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const ADDED_1_0: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
];
const ADDED_1_27: &[&str] = &["net.ipv4.ip_local_reserved_ports"];
const ADDED_1_29: &[&str] = &[
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];
const ADDED_1_32: &[&str] = &["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"];
const ADDED_1_37: &[&str] = &[
    "net.ipv4.tcp_slow_start_after_idle",
    "net.ipv4.tcp_notsent_lowat",
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(pod, &[ADDED_1_0], "1.0")
}

fn v1_27(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(pod, &[ADDED_1_0, ADDED_1_27], "1.27")
}

fn v1_29(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(pod, &[ADDED_1_0, ADDED_1_27, ADDED_1_29], "1.29")
}

fn v1_32(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(
        pod,
        &[ADDED_1_0, ADDED_1_27, ADDED_1_29, ADDED_1_32],
        "1.32",
    )
}

fn v1_37(pod: &PodTemplate<'_>) -> Vec<Violation> {
    check(
        pod,
        &[ADDED_1_0, ADDED_1_27, ADDED_1_29, ADDED_1_32, ADDED_1_37],
        "1.37",
    )
}

/// `allowed` is the union of the additions up to the version named `version` (for messages).
fn check(pod: &PodTemplate<'_>, allowed: &[&[&str]], version: &str) -> Vec<Violation> {
    let (psc, psc_ptr) = pod_security_context(pod);
    let Some(sysctls) = psc.and_then(|sc| present(sc, "sysctls")) else {
        return Vec::new();
    };
    sysctls
        .items()
        .iter()
        .enumerate()
        .filter_map(|(i, sysctl)| {
            let name = text(sysctl.get("name"));
            if allowed.iter().any(|list| list.contains(&name)) {
                return None;
            }
            // Unsafe: the kernel setting the workload asked for no longer applies.
            let fix = Fix::unsafe_(
                format!("remove sysctl {name}"),
                vec![FixOp::Remove {
                    pointer: format!("{psc_ptr}/sysctls/{i}"),
                }],
            );
            Some(
                Violation::pod(
                    format!("{psc_ptr}/sysctls/{i}/name"),
                    format!(
                        "pod sets sysctl {}, which is not in the safe set of policy v{version}",
                        q(name)
                    ),
                )
                .with_fix(fix),
            )
        })
        .collect()
}

/// In CEL (`palisade vap export`): every sysctl of the pod outside the safe set of the version.
fn cel(version: KubeVersion) -> String {
    let (allowed, name): (&[&[&str]], &str) = if version >= KubeVersion::v1(37) {
        (
            &[ADDED_1_0, ADDED_1_27, ADDED_1_29, ADDED_1_32, ADDED_1_37],
            "1.37",
        )
    } else if version >= KubeVersion::v1(32) {
        (&[ADDED_1_0, ADDED_1_27, ADDED_1_29, ADDED_1_32], "1.32")
    } else {
        (&[ADDED_1_0, ADDED_1_27, ADDED_1_29], "1.29")
    };
    let allowed: Vec<&str> = allowed.iter().flat_map(|l| l.iter().copied()).collect();
    let name_of = or_empty("s", "name");
    format!(
        "has(variables.psc.sysctls) ? variables.psc.sysctls.map(s, !({name_of} in {}), 'pod sets sysctl ' + {} + {}) : []",
        list(&allowed),
        quoted(&name_of),
        lit(&format!(", which is not in the safe set of policy v{name}"))
    )
}
