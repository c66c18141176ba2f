//! `appArmorProfile` (baseline): AppArmor may not be disabled or overridden with an unknown
//! profile. One policy version (1.0), which upstream checks both ways a profile can be set:
//!
//! - the beta annotations `container.apparmor.security.beta.kubernetes.io/<container>` (allowed:
//!   empty, `runtime/default`, `localhost/<profile>`), on every annotation with that prefix,
//!   whether or not it names a container of the pod;
//! - the `appArmorProfile.type` fields added in Kubernetes 1.30, on the pod and every container
//!   (allowed: absent, `RuntimeDefault`, `Localhost`).
//!
//! Upstream added the fields to the existing 1.0 logic rather than as a new policy version, so
//! both forms are checked at every policy version.

use palisade_core::yaml::Node;
use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    annotation_pointer, annotations, container_security_context, pod_security_context, present, q,
    text, Level, PssCheck, VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, list, lit, or_empty, per_container, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS107",
    name: "apparmor-profile",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("appArmorProfile"),
    references: &[
        "Pod Security Standards: baseline, AppArmor",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "AppArmor is disabled or set to a profile other than the runtime's or a local one",
    what: "Checks `securityContext.appArmorProfile.type` on the pod and on every container \
           (allowed: RuntimeDefault, Localhost) and every \
           `container.apparmor.security.beta.kubernetes.io/*` annotation of the pod (allowed: \
           runtime/default, localhost/<profile>, empty).",
    why: "On nodes with AppArmor the runtime confines every container with its default profile, \
          which blocks writes to /proc and /sys, mounting and other escape primitives. \
          `Unconfined` removes that layer, so any other weakness (a capability, a writable \
          host path) becomes directly exploitable.",
    example: "# fails\nsecurityContext:\n  appArmorProfile:\n    type: Unconfined\n# passes\n\
              securityContext:\n  appArmorProfile:\n    type: RuntimeDefault",
    fix: "Remove the `Unconfined` profile (and `unconfined` annotations). If the default \
          profile blocks something the program needs, write a Localhost profile that allows \
          just that and load it on the nodes.",
    help: "use appArmorProfile.type RuntimeDefault or Localhost, never Unconfined",
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

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_type(t: &str) -> bool {
    matches!(t, "RuntimeDefault" | "Localhost")
}

fn allowed_annotation(v: &str) -> bool {
    v.is_empty() || v == "runtime/default" || v.starts_with("localhost/")
}

/// The profile type a security context sets when it is not allowed (`appArmorProfile: {}` has
/// type "" and is not allowed, as upstream reads it).
fn bad_type(sc: Option<&Node>) -> Option<&str> {
    let profile = present(sc?, "appArmorProfile")?;
    let t = text(profile.get("type"));
    (!allowed_type(t)).then_some(t)
}

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    if let Some(t) = bad_type(psc) {
        out.push(Violation::pod(
            format!("{psc_ptr}/appArmorProfile/type"),
            format!("pod sets AppArmor profile type {}", q(t)),
        ));
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        if let Some(t) = bad_type(sc) {
            out.push(Violation::container(
                &c,
                format!("{sc_ptr}/appArmorProfile/type"),
                format!(
                    "container {} sets AppArmor profile type {}",
                    q(c.name),
                    q(t)
                ),
            ));
        }
    }
    for (key, value) in annotations(pod) {
        let Some(container) = key.strip_prefix(ANNOTATION_PREFIX) else {
            continue;
        };
        if !allowed_annotation(value) {
            out.push(Violation {
                pointer: annotation_pointer(pod, key),
                message: format!("annotation {key} sets AppArmor profile {}", q(value)),
                container: Some(container.to_owned()),
                fix: None,
            });
        }
    }
    out
}

/// In CEL (`palisade vap export`): the pod's and every container's profile type, and the beta
/// annotations.
fn cel(_: KubeVersion) -> String {
    let allowed = list(&["RuntimeDefault", "Localhost"]);
    let bad = |sc: &str| {
        format!(
            "has({sc}.appArmorProfile) && !({} in {allowed})",
            or_empty(&format!("{sc}.appArmorProfile"), "type")
        )
    };
    let ty = |sc: &str| quoted(&or_empty(&format!("{sc}.appArmorProfile"), "type"));
    let pod = format!(
        "({} ? ['pod sets AppArmor profile type ' + {}] : [])",
        bad("variables.psc"),
        ty("variables.psc")
    );
    let containers = per_container(
        &bad(&csc("c")),
        &container_message(&format!(
            "' sets AppArmor profile type ' + {}",
            ty(&csc("c"))
        )),
    );
    let value = "string(variables.annotations[k])";
    let annotations = format!(
        "variables.annotations.map(k, k.startsWith({}) && !({value} == '' || {value} == 'runtime/default' || {value}.startsWith('localhost/')), 'annotation ' + k + ' sets AppArmor profile ' + {})",
        lit(ANNOTATION_PREFIX),
        quoted(value)
    );
    format!("{pod} + {containers} + {annotations}")
}
