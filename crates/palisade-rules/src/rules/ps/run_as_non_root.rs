//! `runAsNonRoot` (restricted): every container must run with `runAsNonRoot: true`, set on the
//! container or inherited from the pod.
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.0     | pod-level `false` is forbidden; a container-level value wins over the pod's; a container with no value of its own needs pod-level `true` |
//! | 1.35    | as 1.0, except that pods with `hostUsers: false` are exempt |
//!
//! Kubernetes 1.29–1.34 had the 1.35 relaxation behind the alpha (off by default)
//! `UserNamespacesPodSecurityStandards` feature gate; this follows the default.
//!
//! Reporting: an explicit `false` is reported where it is written. A container with no value of
//! its own is reported at its own `runAsNonRoot` only when the pod does not set the field at all;
//! when the pod sets `false`, the pod-level finding covers it (fixing the pod fixes the
//! container).

use palisade_core::yaml::Node;
use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, in_user_namespace, pod_security_context, present, q, Level,
    PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, is, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS122",
    name: "run-as-non-root",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("runAsNonRoot"),
    references: &[
        "Pod Security Standards: restricted, Running as Non-root",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "A container may run as root (runAsNonRoot is not true)",
    what: "Requires `runAsNonRoot: true` for every container, either on the container's \
           securityContext or on the pod's (a container-level value overrides the pod-level \
           one). `false` anywhere is forbidden. From policy 1.35, pods with `hostUsers: false` \
           are exempt.",
    why: "With `runAsNonRoot: true` the kubelet refuses to start a container whose image would \
          run as UID 0. Root in a container is still root to the kernel: any escape, writable \
          host mount or kernel bug is exploited with full privileges, and files it writes to \
          shared volumes are owned by root.",
    example:
        "# fails\nspec:\n  containers:\n  - name: app\n    image: app:1.0\n# passes\nspec:\n  \
              securityContext:\n    runAsNonRoot: true\n    runAsUser: 10001\n  containers:\n  \
              - name: app\n    image: app:1.0",
    fix: "Set `runAsNonRoot: true` in the pod's securityContext (and a non-zero `runAsUser` if \
          the image does not declare a numeric non-root USER). Remove any `runAsNonRoot: false`.",
    help: "set securityContext.runAsNonRoot: true on the pod or on every container",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(0),
            check: v1_0,
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

/// The boolean a security context gives `runAsNonRoot`, if it gives one.
fn value(sc: Option<&Node>) -> Option<bool> {
    present(sc?, "runAsNonRoot")?.bool_intent()
}

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    let pod_value = value(psc);
    if pod_value == Some(false) {
        out.push(
            Violation::pod(
                format!("{psc_ptr}/runAsNonRoot"),
                "pod sets runAsNonRoot: false".to_owned(),
            )
            .with_fix(non_root(format!("{psc_ptr}/runAsNonRoot"))),
        );
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        let message = match (value(sc), pod_value) {
            (Some(true), _) | (None, Some(true)) => continue,
            (Some(false), _) => format!("container {} sets runAsNonRoot: false", q(c.name)),
            // The pod-level `false` is already reported.
            (None, Some(false)) => continue,
            (None, None) => format!(
                "container {} does not set runAsNonRoot: true, and the pod does not either",
                q(c.name)
            ),
        };
        out.push(
            Violation::container(&c, format!("{sc_ptr}/runAsNonRoot"), message)
                .with_fix(non_root(format!("{sc_ptr}/runAsNonRoot"))),
        );
    }
    out
}

fn v1_35(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if in_user_namespace(pod) {
        return Vec::new();
    }
    v1_0(pod)
}

/// `runAsNonRoot: true`. Unsafe: an image whose user is root (or is named, not numeric) no longer
/// starts.
fn non_root(pointer: String) -> Fix {
    Fix::set(
        FixSafety::Unsafe,
        "set runAsNonRoot: true",
        pointer,
        FixValue::Bool(true),
    )
}

/// In CEL (`palisade vap export`): a pod-level `runAsNonRoot: false`, and every container that
/// neither sets `true` itself nor inherits it; pods with `hostUsers: false` are exempt (policy
/// 1.35 on).
fn cel(version: KubeVersion) -> String {
    let sc = csc("c");
    let pod_false = is("variables.psc", "runAsNonRoot", "false");
    let pod_set = "has(variables.psc.runAsNonRoot)";
    let own_set = format!("has({sc}.runAsNonRoot)");
    let checks = format!(
        "({pod_false} ? ['pod sets runAsNonRoot: false'] : []) + {}",
        per_container(
            &format!(
                "{own_set} ? {sc}.runAsNonRoot == false : !{pod_set}"
            ),
            &container_message(&format!(
                "({own_set} ? ' sets runAsNonRoot: false' : ' does not set runAsNonRoot: true, and the pod does not either')"
            )),
        )
    );
    if version >= KubeVersion::v1(35) {
        format!("variables.userNamespace ? [] : {checks}")
    } else {
        checks
    }
}
