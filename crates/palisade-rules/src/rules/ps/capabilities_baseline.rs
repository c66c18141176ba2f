//! `capabilities_baseline` (baseline): containers may add only capabilities of the container
//! runtime's default set (`securityContext.capabilities.add`). One policy version (1.0). At the
//! restricted level `capabilities_restricted` overrides it from 1.22 on.
//!
//! Names are compared exactly as upstream compares them: `CAP_SYS_ADMIN` or `sys_admin` is not
//! in the allow-list and is reported.

use palisade_core::{Fix, FixOp, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, present_path, q, Level, PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, list, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS105",
    name: "non-default-capabilities",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("capabilities_baseline"),
    references: &[
        "Pod Security Standards: baseline, Capabilities",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A container adds a capability beyond the runtime's default set",
    what: "Checks `securityContext.capabilities.add` of every container, init container and \
           ephemeral container. Allowed: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, \
           MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.",
    why: "Capabilities split root's power into pieces; the default set is what a container \
          already gets. Anything beyond it widens what a compromised process can do to the \
          node: SYS_ADMIN is close to full root (mounts, namespaces, BPF), NET_ADMIN rewrites \
          the node's network, SYS_PTRACE reads other processes, NET_RAW enables spoofing, \
          SYS_MODULE loads kernel code.",
    example: "# fails\ncapabilities:\n  add: [SYS_ADMIN, NET_ADMIN]\n# passes\ncapabilities:\n  \
              drop: [ALL]\n  add: [NET_BIND_SERVICE]",
    fix: "Remove the extra capabilities. Most programs need none; if one needs a single \
          privileged operation, find a way to do it outside the container (an init step on the \
          node, a CSI driver, a device plugin) or run it in a separately exempted namespace.",
    help: "remove capabilities outside the default set from capabilities.add",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[VersionedCheck {
        since: KubeVersion::v1(0),
        check: v1_0,
    }],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

/// The container runtime's default capabilities, which baseline lets a container (re-)add.
pub(crate) const ALLOWED_1_0: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        let Some(add) = sc.and_then(|sc| present_path(sc, &["capabilities", "add"])) else {
            continue;
        };
        for (i, cap) in add.items().iter().enumerate() {
            let name = cap.as_str().unwrap_or("");
            if !ALLOWED_1_0.contains(&name) {
                out.push(
                    Violation::container(
                        &c,
                        format!("{sc_ptr}/capabilities/add/{i}"),
                        format!("container {} sets capabilities.add: {name}", q(c.name)),
                    )
                    .with_fix(remove_capability(sc_ptr, i, name)),
                );
            }
        }
    }
    out
}

/// Removes one item of `capabilities.add`. Unsafe: the program may need the capability (and fail
/// at the call that needs it, not at start).
pub(crate) fn remove_capability(sc_ptr: impl std::fmt::Display, index: usize, name: &str) -> Fix {
    Fix::unsafe_(
        format!("remove {name} from capabilities.add"),
        vec![FixOp::Remove {
            pointer: format!("{sc_ptr}/capabilities/add/{index}"),
        }],
    )
}

/// In CEL (`palisade vap export`): every container that adds capabilities outside the default
/// set, naming them.
fn cel(_: KubeVersion) -> String {
    // `has()` step by step rather than through `csc`: the list is then the container's own,
    // which is what palisade-cel's cost estimate reads (see `per_container`).
    let sc = "c.securityContext";
    let bad = format!("!(a in {})", list(ALLOWED_1_0));
    per_container(
        &format!(
            "has({sc}) && has({sc}.capabilities) && has({sc}.capabilities.add) && \
             {sc}.capabilities.add.exists(a, {bad})"
        ),
        &container_message(&format!(
            "' sets capabilities.add: ' + c.securityContext.capabilities.add.map(a, {bad}, a).join(', ')"
        )),
    )
}
