//! `privileged` (baseline): no container may run privileged.

use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{container_security_context, q, Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{container_message, csc, is, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS101",
    name: "privileged-container",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy / DenyEscalatingExec",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("privileged"),
    references: &[
        "Pod Security Standards: baseline, Privileged Containers",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A container runs privileged",
    what: "Every container, init container and ephemeral container of a pod (or of a workload's \
           pod template) is checked for `securityContext.privileged: true`.",
    why: "A privileged container has every capability and access to every device of the node: it \
          is root on the node. Anyone who can exec into it, or who compromises it, owns the node \
          and every secret mounted there. The guide's DenyEscalatingExec and PodSecurityPolicy \
          items exist to stop exactly this.",
    example: "# fails\nsecurityContext:\n  privileged: true\n# passes\nsecurityContext:\n  \
              privileged: false",
    fix: "Remove `privileged: true`. Grant only the capabilities the program needs with \
          `capabilities.add`, and use a device plugin for device access.",
    help:
        "remove `securityContext.privileged: true`; add only the capabilities the container needs",
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

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    pod.containers()
        .filter_map(|c| {
            let (sc, sc_ptr) = container_security_context(&c);
            let field = sc?.get("privileged")?;
            (field.bool_intent() == Some(true)).then(|| {
                let pointer = format!("{sc_ptr}/privileged");
                // Unsafe: whatever needed the node's devices or all capabilities stops working.
                let fix = Fix::set(
                    FixSafety::Unsafe,
                    "set privileged: false",
                    pointer.clone(),
                    FixValue::Bool(false),
                );
                Violation::container(
                    &c,
                    pointer,
                    format!("container {} runs privileged", q(c.name)),
                )
                .with_fix(fix)
            })
        })
        .collect()
}

/// In CEL (`palisade vap export`): every container with `privileged: true`.
fn cel(_: KubeVersion) -> String {
    per_container(
        &is(&csc("c"), "privileged", "true"),
        &container_message("' runs privileged'"),
    )
}
