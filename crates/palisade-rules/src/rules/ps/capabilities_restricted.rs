//! `capabilities_restricted` (restricted, policy 1.22+): every container must drop `ALL`
//! capabilities and may add back only `NET_BIND_SERVICE`. It overrides `capabilities_baseline`.
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.22    | `capabilities.drop` must contain `ALL`; `capabilities.add` may contain only `NET_BIND_SERVICE` |
//! | 1.25    | as 1.22, but Windows pods (`spec.os.name: windows`) are exempt |
//!
//! Before 1.22 the check does not exist and restricted uses `capabilities_baseline`. Names are
//! compared exactly, as upstream does: `drop: [all]` does not drop ALL.

use palisade_core::{Fix, FixOp, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, is_windows, present, present_path, q, Level, PssCheck,
    VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS125",
    name: "capabilities-not-dropped",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(22)),
    pss_check: Some("capabilities_restricted"),
    references: &[
        "Pod Security Standards: restricted, Capabilities (v1.22+)",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "A container does not drop ALL capabilities, or adds one other than NET_BIND_SERVICE",
    what: "Requires `securityContext.capabilities.drop` to contain ALL on every container, init \
           container and ephemeral container, and allows only NET_BIND_SERVICE in \
           `capabilities.add`. From policy 1.22; Windows pods are exempt from 1.25.",
    why: "Even the runtime's default capabilities (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, NET_RAW \
          on some runtimes, ...) let a process ignore file permissions, change ownership, \
          switch users and forge packets. Dropping everything means a compromised process has \
          none of root's powers, even if it runs as UID 0.",
    example: "# fails\nsecurityContext:\n  capabilities:\n    add: [CHOWN]\n# passes\n\
              securityContext:\n  capabilities:\n    drop: [ALL]\n    add: [NET_BIND_SERVICE]",
    fix: "Add `capabilities: {drop: [ALL]}` to every container. If the program binds a port \
          below 1024, add back NET_BIND_SERVICE (or listen on a high port instead).",
    help: "set capabilities.drop: [ALL] and add at most NET_BIND_SERVICE",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &["capabilities_baseline"],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(22),
            check: v1_22,
        },
        VersionedCheck {
            since: KubeVersion::v1(25),
            check: v1_25,
        },
    ],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

fn v1_22(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        let caps = sc.and_then(|sc| present(sc, "capabilities"));
        let drop = caps.and_then(|caps| present(caps, "drop"));
        let drops_all =
            drop.is_some_and(|drop| drop.items().iter().any(|d| d.as_str() == Some("ALL")));
        // `all` in another case: the runtime drops everything (it upper-cases names), but Pod
        // Security Admission compares exactly and rejects the pod. The message must say which.
        let other_case = drop.and_then(|drop| {
            drop.items()
                .iter()
                .filter_map(|d| d.as_str())
                .find(|d| d.eq_ignore_ascii_case("ALL"))
        });
        if !drops_all {
            // Unsafe: a process that starts as root and relies on the runtime's default
            // capabilities (chown, setuid to drop privileges) fails.
            let fix = Fix::unsafe_(
                "add ALL to capabilities.drop",
                vec![FixOp::Append {
                    pointer: format!("{sc_ptr}/capabilities/drop"),
                    value: FixValue::str("ALL"),
                }],
            );
            out.push(
                Violation::container(
                    &c,
                    format!("{sc_ptr}/capabilities/drop"),
                    match other_case {
                        Some(written) => format!(
                            "container {} drops {written:?}: the container runtime drops every \
                             capability, but Pod Security Admission wants exactly \"ALL\" and \
                             rejects the pod at the restricted level",
                            q(c.name)
                        ),
                        None => format!("container {} does not drop ALL capabilities", q(c.name)),
                    },
                )
                .with_fix(fix),
            );
        }
        let Some(add) = caps.and_then(|caps| present_path(caps, &["add"])) else {
            continue;
        };
        for (i, cap) in add.items().iter().enumerate() {
            let name = cap.as_str().unwrap_or("");
            if name != "NET_BIND_SERVICE" {
                out.push(
                    Violation::container(
                        &c,
                        format!("{sc_ptr}/capabilities/add/{i}"),
                        format!(
                            "container {} sets capabilities.add: {name} (only NET_BIND_SERVICE \
                             may be added)",
                            q(c.name)
                        ),
                    )
                    .with_fix(
                        crate::rules::ps::capabilities_baseline::remove_capability(sc_ptr, i, name),
                    ),
                );
            }
        }
    }
    out
}

fn v1_25(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if is_windows(pod) {
        return Vec::new();
    }
    v1_22(pod)
}

/// In CEL (`palisade vap export`): every container that does not drop `ALL`, and every one that
/// adds anything but `NET_BIND_SERVICE`; Windows pods are exempt (policy 1.25 on).
fn cel(_: KubeVersion) -> String {
    // `has()` step by step rather than through `csc`: the lists are then the container's own,
    // which is what palisade-cel's cost estimate reads (see `per_container`).
    let caps = "c.securityContext.capabilities";
    let has_caps = format!("has(c.securityContext) && has({caps})");
    let drops_all = format!("({has_caps} && has({caps}.drop) && 'ALL' in {caps}.drop)");
    let bad_add = "a != 'NET_BIND_SERVICE'";
    let adds = format!("{has_caps} && has({caps}.add) && {caps}.add.exists(a, {bad_add})");
    format!(
        "variables.windows ? [] : {} + {}",
        per_container(
            &format!("!{drops_all}"),
            &container_message("' does not drop ALL capabilities'"),
        ),
        per_container(
            &adds,
            &container_message(&format!(
                "' sets capabilities.add: ' + c.securityContext.capabilities.add.map(a, {bad_add}, a).join(', ') + ' (only NET_BIND_SERVICE may be added)'"
            )),
        )
    )
}
