//! `runAsUser` (restricted, policy 1.23+): neither the pod nor any container may set
//! `runAsUser: 0` (allowed: absent or non-zero). A container-level non-zero value does not excuse
//! a pod-level 0: upstream reports each setter that writes 0.
//!
//! | version | semantics |
//! |---------|-----------|
//! | 1.23    | `runAsUser: 0` forbidden on the pod and on every container |
//! | 1.35    | as 1.23, except that pods with `hostUsers: false` are exempt |
//!
//! Before 1.23 the check does not exist. Kubernetes 1.29–1.34 had the 1.35 relaxation behind
//! the alpha (off by default) `UserNamespacesPodSecurityStandards` feature gate.

use palisade_core::yaml::Node;
use palisade_core::{Fix, FixOp, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, in_user_namespace, pod_security_context, present, q, Level,
    PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, is, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS123",
    name: "run-as-root-user",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(23)),
    pss_check: Some("runAsUser"),
    references: &[
        "Pod Security Standards: restricted, Running as Non-root user (v1.23+)",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "The pod or a container sets runAsUser: 0",
    what: "Checks `securityContext.runAsUser` on the pod and on every container, init container \
           and ephemeral container for the value 0. From policy 1.35, pods with \
           `hostUsers: false` are exempt.",
    why: "UID 0 is root. An explicit `runAsUser: 0` runs the container as root whatever the \
          image declares, and combined with any other weakness gives full control of the \
          container and a head start on escaping it.",
    example: "# fails\nsecurityContext:\n  runAsUser: 0\n# passes\nsecurityContext:\n  runAsUser: \
              10001\n  runAsNonRoot: true",
    fix: "Set `runAsUser` to a non-zero UID (or remove it and rely on a non-root USER in the \
          image together with `runAsNonRoot: true`).",
    help: "set runAsUser to a non-zero UID",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &[],
    versions: &[
        VersionedCheck {
            since: KubeVersion::v1(23),
            check: v1_23,
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

fn is_root(sc: Option<&Node>) -> bool {
    sc.and_then(|sc| present(sc, "runAsUser"))
        .and_then(|n| n.int_intent())
        == Some(0)
}

fn v1_23(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    if is_root(psc) {
        out.push(
            Violation::pod(
                format!("{psc_ptr}/runAsUser"),
                "pod sets runAsUser: 0".to_owned(),
            )
            .with_fix(not_root(format!("{psc_ptr}/runAsUser"))),
        );
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        if is_root(sc) {
            out.push(
                Violation::container(
                    &c,
                    format!("{sc_ptr}/runAsUser"),
                    format!("container {} sets runAsUser: 0", q(c.name)),
                )
                .with_fix(not_root(format!("{sc_ptr}/runAsUser"))),
            );
        }
    }
    out
}

fn v1_35(pod: &PodTemplate<'_>) -> Vec<Violation> {
    if in_user_namespace(pod) {
        return Vec::new();
    }
    v1_23(pod)
}

/// Removes `runAsUser: 0`, so the image's own user applies. Unsafe: the process no longer starts as
/// root, which is the point, and what needed root fails.
fn not_root(pointer: String) -> Fix {
    Fix::unsafe_("remove runAsUser: 0", vec![FixOp::Remove { pointer }])
}

/// In CEL (`palisade vap export`): `runAsUser: 0` on the pod and on every container; pods with
/// `hostUsers: false` are exempt (policy 1.35 on).
fn cel(version: KubeVersion) -> String {
    let checks = format!(
        "({} ? ['pod sets runAsUser: 0'] : []) + {}",
        is("variables.psc", "runAsUser", "0"),
        per_container(
            &is(&csc("c"), "runAsUser", "0"),
            &container_message("' sets runAsUser: 0'"),
        )
    );
    if version >= KubeVersion::v1(35) {
        format!("variables.userNamespace ? [] : {checks}")
    } else {
        checks
    }
}
