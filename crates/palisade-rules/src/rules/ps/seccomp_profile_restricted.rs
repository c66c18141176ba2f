//! `seccompProfile_restricted` (restricted, policy 1.19+): every container must run with the
//! `RuntimeDefault` or a `Localhost` seccomp profile, set on the container or inherited from the
//! pod. It overrides `seccompProfile_baseline`.
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.19    | pod-level type must be allowed if set; a container-level profile wins over the pod's; a container with none needs an allowed pod-level one |
//! | 1.25    | as 1.19, but Windows pods (`spec.os.name: windows`) are exempt |
//!
//! Before 1.19 the check does not exist, so restricted falls back to the baseline annotation
//! check (which does not require a profile).
//!
//! Reporting: an explicit bad type is reported where it is written (so a pod-level `Unconfined`
//! is one finding, and a container that sets its own `Localhost` is fine under it). A container
//! with no profile is reported at its own `seccompProfile/type` only when the pod sets none;
//! when the pod sets a bad one, the pod-level finding covers it.

use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, is_windows, pod_security_context, present, q, Level, PssCheck,
    VersionedCheck, Violation,
};
use crate::rules::ps::seccomp_profile_baseline::{bad_type, bad_type_cel};
use crate::vap_export::cel::{container_message, csc, or_empty, per_container, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS124",
    name: "seccomp-profile-required",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(19)),
    pss_check: Some("seccompProfile_restricted"),
    references: &[
        "Pod Security Standards: restricted, Seccomp (v1.19+)",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "A container runs without the RuntimeDefault or a Localhost seccomp profile",
    what: "Requires `securityContext.seccompProfile.type` to be RuntimeDefault or Localhost for \
           every container, set on the container or on the pod. From policy 1.25, Windows pods \
           are exempt.",
    why: "Without a profile set, whether a container is filtered depends on the kubelet's \
          `seccompDefault` setting, and on most nodes it runs Unconfined, with the whole \
          kernel system-call surface available. Most kernel container escapes use calls the \
          default profile blocks.",
    example: concat!(
        "# fails\nspec:\n  containers:\n  - name: app\n",
        "# passes\nspec:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n",
        "  containers:\n  - name: app",
    ),
    fix: "Set `seccompProfile: {type: RuntimeDefault}` in the pod's securityContext; containers \
          inherit it. Use a Localhost profile for programs that need a blocked call.",
    help: "set securityContext.seccompProfile.type: RuntimeDefault on the pod",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &["seccompProfile_baseline"],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(19),
            check: v1_19,
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

fn v1_19(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    let pod_set = psc.and_then(|sc| present(sc, "seccompProfile")).is_some();
    if let Some(t) = bad_type(psc) {
        let pointer = format!("{psc_ptr}/seccompProfile/type");
        out.push(
            Violation::pod(
                pointer.clone(),
                format!("pod sets seccompProfile.type {}", q(t)),
            )
            .with_fix(runtime_default_type(pointer)),
        );
    }
    // One fix for every container without a profile: the pod-level profile they all inherit.
    // Containers that set their own keep it (a container's profile wins over the pod's).
    // Built when a container needs it (most pods set a profile).
    let pod_fix = || {
        Fix::set(
            FixSafety::Safe,
            "set the pod's securityContext.seccompProfile.type: RuntimeDefault",
            format!("{psc_ptr}/seccompProfile"),
            FixValue::Map(vec![("type".to_owned(), FixValue::str("RuntimeDefault"))]),
        )
    };
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        let pointer = || format!("{sc_ptr}/seccompProfile/type");
        if sc.and_then(|sc| present(sc, "seccompProfile")).is_some() {
            if let Some(t) = bad_type(sc) {
                let pointer = pointer();
                out.push(
                    Violation::container(
                        &c,
                        pointer.clone(),
                        format!("container {} sets seccompProfile.type {}", q(c.name), q(t)),
                    )
                    .with_fix(runtime_default_type(pointer)),
                );
            }
        } else if !pod_set {
            out.push(
                Violation::container(
                    &c,
                    pointer(),
                    format!(
                        "container {} has no seccomp profile, and the pod sets none",
                        q(c.name)
                    ),
                )
                .with_fix(pod_fix()),
            );
        }
    }
    out
}

/// Replacing a profile someone chose (`Unconfined`) can break a program that needs a blocked
/// system call: unsafe.
fn runtime_default_type(pointer: String) -> Fix {
    Fix::set(
        FixSafety::Unsafe,
        "set seccompProfile.type: RuntimeDefault",
        pointer,
        FixValue::str("RuntimeDefault"),
    )
}

fn v1_25(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if is_windows(pod) {
        return Vec::new();
    }
    v1_19(pod)
}

/// In CEL (`palisade vap export`): a bad pod-level type, every container's own bad type, and every
/// container without a profile when the pod sets none; Windows pods are exempt (policy 1.25 on).
fn cel(_: KubeVersion) -> String {
    let sc = csc("c");
    format!(
        "variables.windows ? [] : ({} ? ['pod sets seccompProfile.type ' + {}] : []) + {}",
        bad_type_cel("variables.psc"),
        quoted(&or_empty("variables.psc.seccompProfile", "type")),
        per_container(
            &format!(
                "has({sc}.seccompProfile) ? {} : !has(variables.psc.seccompProfile)",
                bad_type_cel(&sc)
            ),
            &container_message(&format!(
                "(has({sc}.seccompProfile) ? ' sets seccompProfile.type ' + {} : ' has no seccomp profile, and the pod sets none')",
                quoted(&or_empty(&format!("{sc}.seccompProfile"), "type"))
            )),
        )
    )
}
