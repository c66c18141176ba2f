//! `seccompProfile_baseline` (baseline): seccomp may not be disabled.
//!
//! | version | what is read | allowed |
//! |---------|--------------|---------|
//! | 1.0     | annotations `seccomp.security.alpha.kubernetes.io/pod` and `container.seccomp.security.alpha.kubernetes.io/<container>` | absent, `runtime/default`, `docker/default`, `localhost/<profile>` |
//! | 1.19    | `securityContext.seccompProfile.type` of the pod and every container | absent, `RuntimeDefault`, `Localhost` |
//!
//! From 1.19 on the annotations are no longer read (the fields replaced them in Kubernetes 1.19),
//! and before 1.19 the fields are not read, exactly as upstream. At the restricted level
//! `seccompProfile_restricted` overrides this check from 1.19 on.

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    annotation_pointer, annotations, container_security_context, pod_security_context, present, q,
    text, Level, PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, list, or_empty, per_container, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS110",
    name: "seccomp-unconfined",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("seccompProfile_baseline"),
    references: &[
        "Pod Security Standards: baseline, Seccomp",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "Seccomp is disabled (Unconfined) for the pod or a container",
    what: "From policy 1.19, checks `securityContext.seccompProfile.type` of the pod and every \
           container (allowed: RuntimeDefault, Localhost, or not set). Before 1.19, checks the \
           seccomp alpha annotations instead (allowed: runtime/default, docker/default, \
           localhost/<profile>, or not set).",
    why: "Seccomp filters the system calls a container may make. The runtime's default profile \
          blocks dozens of rarely needed, frequently exploited calls (keyctl, unshare, \
          userfaultfd, mount, bpf, ...). `Unconfined` exposes the node's whole kernel surface \
          to the container, which is how most kernel container escapes begin.",
    example: "# fails\nsecurityContext:\n  seccompProfile:\n    type: Unconfined\n# passes\n\
              securityContext:\n  seccompProfile:\n    type: RuntimeDefault",
    fix: "Set `seccompProfile.type: RuntimeDefault` on the pod (containers inherit it), or a \
          Localhost profile if the program needs a call the default profile blocks. Remove \
          `unconfined` seccomp annotations.",
    help: "set seccompProfile.type to RuntimeDefault (or Localhost), never Unconfined",
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
            since: KubeVersion::v1(19),
            check: v1_19,
        },
    ],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn allowed_annotation(v: &str) -> bool {
    v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/")
}

/// Whether a seccomp profile type is one the standard accepts (shared with the restricted check).
pub(crate) fn allowed_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

/// The type a security context sets when it is present and not allowed. `seccompProfile: {}`
/// has the empty type, which upstream rejects.
pub(crate) fn bad_type(sc: Option<&Node>) -> Option<&str> {
    let profile = present(sc?, "seccompProfile")?;
    let t = text(profile.get("type"));
    (!allowed_type(t)).then_some(t)
}

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let annotations: Vec<(&str, &str)> = annotations(pod).collect();
    let value_of = |key: &str| annotations.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    if let Some(v) = value_of(POD_ANNOTATION) {
        if !allowed_annotation(v) {
            out.push(Violation::pod(
                annotation_pointer(pod, POD_ANNOTATION),
                format!("annotation {POD_ANNOTATION} sets seccomp profile {}", q(v)),
            ));
        }
    }
    // No container annotation at all: no key to write out per container.
    if !annotations
        .iter()
        .any(|(k, _)| k.starts_with(CONTAINER_ANNOTATION_PREFIX))
    {
        return out;
    }
    for c in pod.containers() {
        let key = format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name);
        if let Some(v) = value_of(&key) {
            if !allowed_annotation(v) {
                out.push(Violation::container(
                    &c,
                    annotation_pointer(pod, &key),
                    format!("annotation {key} sets seccomp profile {}", q(v)),
                ));
            }
        }
    }
    out
}

fn v1_19(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    if let Some(t) = bad_type(psc) {
        out.push(Violation::pod(
            format!("{psc_ptr}/seccompProfile/type"),
            format!("pod sets seccompProfile.type {}", q(t)),
        ));
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        if let Some(t) = bad_type(sc) {
            out.push(Violation::container(
                &c,
                format!("{sc_ptr}/seccompProfile/type"),
                format!("container {} sets seccompProfile.type {}", q(c.name), q(t)),
            ));
        }
    }
    out
}

/// In CEL (`palisade vap export`): the pod's and every container's profile type, when set and not
/// allowed (policy 1.19 on).
fn cel(_: KubeVersion) -> String {
    format!(
        "({} ? ['pod sets seccompProfile.type ' + {}] : []) + {}",
        bad_type_cel("variables.psc"),
        quoted(&or_empty("variables.psc.seccompProfile", "type")),
        per_container(
            &bad_type_cel(&csc("c")),
            &container_message(&format!(
                "' sets seccompProfile.type ' + {}",
                quoted(&or_empty(&format!("{}.seccompProfile", csc("c")), "type"))
            )),
        )
    )
}

/// In CEL: security context `sc` sets a seccomp profile of a type that is not allowed (shared
/// with `seccompProfile_restricted`).
pub(crate) fn bad_type_cel(sc: &str) -> String {
    format!(
        "(has({sc}.seccompProfile) && !({} in {}))",
        or_empty(&format!("{sc}.seccompProfile"), "type"),
        list(&["RuntimeDefault", "Localhost"])
    )
}
