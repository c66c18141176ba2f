//! `allowPrivilegeEscalation` (restricted): every container must set
//! `securityContext.allowPrivilegeEscalation: false` (absent means true).
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.8     | required on every container (the field exists from Kubernetes 1.8) |
//! | 1.25    | as 1.8, but Windows pods (`spec.os.name: windows`) are exempt |
//!
//! Before 1.8 the check does not exist.

use palisade_core::yaml::Node;
use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, is_windows, present, q, Level, PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, is, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS121",
    name: "allow-privilege-escalation",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(8)),
    pss_check: Some("allowPrivilegeEscalation"),
    references: &[
        "Pod Security Standards: restricted, Privilege Escalation (v1.8+)",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "A container does not set allowPrivilegeEscalation: false",
    what: "Requires `securityContext.allowPrivilegeEscalation: false` on every container, init \
           container and ephemeral container. From policy 1.25, Windows pods are exempt.",
    why: "Unless the field is false the runtime leaves the kernel's no_new_privs flag off, so a \
          process in the container can gain privileges by executing a set-user-ID or \
          set-group-ID binary or one with file capabilities. That turns a foothold as an \
          unprivileged user into root inside the container.",
    example: "# fails\nsecurityContext: {}\n# passes\nsecurityContext:\n  \
              allowPrivilegeEscalation: false",
    fix: "Add `allowPrivilegeEscalation: false` to each container's securityContext. Programs \
          that need setuid helpers (sudo, ping on old images) should be changed to not need \
          them.",
    help: "set securityContext.allowPrivilegeEscalation: false on every container",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(8),
            check: v1_8,
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

fn v1_8(pod: &PodTemplate<'_>) -> Vec<Violation> {
    pod.containers()
        .filter_map(|c| {
            let (sc, sc_ptr) = container_security_context(&c);
            let value = sc
                .and_then(|sc| present(sc, "allowPrivilegeEscalation"))
                .map(|n| n.bool_intent());
            let (message, safety) = match value {
                Some(Some(false)) => return None,
                Some(Some(true)) => (
                    format!(
                        "container {} sets allowPrivilegeEscalation: true",
                        q(c.name)
                    ),
                    // Someone asked for escalation: a setuid program may depend on it.
                    FixSafety::Unsafe,
                ),
                _ => (
                    format!(
                        "container {} does not set allowPrivilegeEscalation: false",
                        q(c.name)
                    ),
                    FixSafety::Safe,
                ),
            };
            let pointer = format!("{sc_ptr}/allowPrivilegeEscalation");
            let violation = Violation::container(&c, pointer.clone(), message);
            // The API server rejects `allowPrivilegeEscalation: false` next to `privileged: true`
            // or an added CAP_SYS_ADMIN, so no fix is offered there (PS101/PS102 are the fix).
            if escalation_forced(sc) {
                return Some(violation);
            }
            Some(violation.with_fix(Fix::set(
                safety,
                "set allowPrivilegeEscalation: false",
                pointer,
                FixValue::Bool(false),
            )))
        })
        .collect()
}

/// Whether the container's settings imply privilege escalation (validation then forbids
/// `allowPrivilegeEscalation: false`).
fn escalation_forced(sc: Option<&Node>) -> bool {
    let Some(sc) = sc else { return false };
    let privileged = present(sc, "privileged").and_then(Node::bool_intent) == Some(true);
    let sys_admin = sc
        .path(&["capabilities", "add"])
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|c| c.as_str() == Some("SYS_ADMIN") || c.as_str() == Some("CAP_SYS_ADMIN"));
    privileged || sys_admin
}

fn v1_25(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if is_windows(pod) {
        return Vec::new();
    }
    v1_8(pod)
}

/// In CEL (`palisade vap export`): every container that does not set
/// `allowPrivilegeEscalation: false`; Windows pods are exempt (policy 1.25 on).
fn cel(_: KubeVersion) -> String {
    let sc = csc("c");
    format!(
        "variables.windows ? [] : {}",
        per_container(
            &format!("!{}", is(&sc, "allowPrivilegeEscalation", "false")),
            &container_message(&format!(
                "({} ? ' sets allowPrivilegeEscalation: true' : ' does not set allowPrivilegeEscalation: false')",
                is(&sc, "allowPrivilegeEscalation", "true")
            )),
        )
    )
}
