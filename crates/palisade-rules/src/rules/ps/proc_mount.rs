//! `procMount` (baseline): containers must keep the default `/proc` masking
//! (`securityContext.procMount`; allowed: absent or `Default`).
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.0     | any value other than `Default` is forbidden |
//! | 1.35    | as 1.0, except that a pod with `hostUsers: false` may set any value |
//!
//! Kubernetes 1.31–1.34 shipped the 1.35 relaxation behind the alpha (off by default)
//! `UserNamespacesPodSecurityStandards` feature gate, inside the 1.0 logic; when the gate was
//! dropped upstream kept 1.0 strict and moved the relaxation to policy version 1.35. At the
//! restricted level `procMount_restricted` overrides this check from 1.35 on, so restricted stays
//! strict.

use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, in_user_namespace, present, q, text, Level, PssCheck,
    VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, per_container, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS109",
    name: "unmasked-proc-mount",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("procMount"),
    references: &[
        "Pod Security Standards: baseline, /proc Mount Type",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A container unmasks /proc",
    what: "Checks `securityContext.procMount` of every container, init container and ephemeral \
           container for a value other than `Default`. From policy 1.35, pods that run in their \
           own user namespace (`hostUsers: false`) may set any value.",
    why: "The runtime masks and makes read-only the parts of /proc that leak information about \
          the node or let a process reconfigure the kernel (/proc/sys, /proc/kcore, \
          /proc/sysrq-trigger and others). `Unmasked` removes that protection; only inside a \
          user namespace are those files harmless.",
    example: "# fails\nsecurityContext:\n  procMount: Unmasked\n# passes\nsecurityContext:\n  \
              procMount: Default  # or leave it out",
    fix: "Remove `procMount` or set it to `Default`. Nested container runtimes that need an \
          unmasked /proc should run with `hostUsers: false`.",
    help: "remove securityContext.procMount or set it to Default",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(0),
            check: strict,
        },
        VersionedCheck {
            since: KubeVersion::v1(35),
            check: v1_35,
        },
    ],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

/// Every container whose `procMount` is set to anything but `Default` (an explicit empty string
/// included, as upstream compares the value).
pub(crate) fn strict(pod: &PodTemplate<'_>) -> Vec<Violation> {
    pod.containers()
        .filter_map(|c| {
            let (sc, sc_ptr) = container_security_context(&c);
            let value = text(Some(present(sc?, "procMount")?));
            (value != "Default").then(|| {
                let pointer = format!("{sc_ptr}/procMount");
                // Unsafe: what asked for an unmasked /proc (nested container runtimes, image
                // builders) loses it.
                let fix = Fix::set(
                    FixSafety::Unsafe,
                    "set procMount: Default",
                    pointer.clone(),
                    FixValue::str("Default"),
                );
                Violation::container(
                    &c,
                    pointer,
                    format!("container {} sets procMount: {}", q(c.name), q(value)),
                )
                .with_fix(fix)
            })
        })
        .collect()
}

fn v1_35(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if in_user_namespace(pod) {
        return Vec::new();
    }
    strict(pod)
}

/// In CEL (`palisade vap export`): every container whose `procMount` is not `Default`, except in
/// pods with `hostUsers: false` (policy 1.35 on).
fn cel(version: KubeVersion) -> String {
    if version >= KubeVersion::v1(35) {
        format!("variables.userNamespace ? [] : {}", strict_cel())
    } else {
        strict_cel()
    }
}

/// In CEL: every container whose `procMount` is not `Default` (shared with
/// `procMount_restricted`).
pub(crate) fn strict_cel() -> String {
    let sc = csc("c");
    per_container(
        &format!("has({sc}.procMount) && {sc}.procMount != 'Default'"),
        &container_message(&format!(
            "' sets procMount: ' + {}",
            quoted(&format!("{sc}.procMount"))
        )),
    )
}
