//! `windowsHostProcess` (baseline): no Windows HostProcess containers
//! (`securityContext.windowsOptions.hostProcess` of the pod and of every container; allowed:
//! absent or `false`). One policy version (1.0). Upstream checks the field whatever
//! `spec.os.name` says, and so does this check.

use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{
    container_security_context, pod_security_context, present_path, q, Level, PssCheck,
    VersionedCheck, Violation,
};
use crate::vap_export::cel::{container_message, csc, is, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS106",
    name: "windows-host-process",
    severity: Severity::Critical,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("windowsHostProcess"),
    references: &[
        "Pod Security Standards: baseline, HostProcess",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "The pod or a container runs as a Windows HostProcess container",
    what: "Checks `securityContext.windowsOptions.hostProcess` on the pod and on every \
           container, init container and ephemeral container.",
    why: "A HostProcess container is not isolated at all: it runs directly on the Windows node, \
          in the host's network namespace, typically as SYSTEM or a node administrator account. \
          It is the Windows counterpart of a privileged container with host namespaces.",
    example: "# fails\nsecurityContext:\n  windowsOptions:\n    hostProcess: true\n# passes\n\
              securityContext:\n  windowsOptions:\n    runAsUserName: ContainerUser",
    fix: "Remove `windowsOptions.hostProcess: true`. Node management agents that genuinely \
          need it belong in a namespace at the privileged level, with an exemption that names \
          them.",
    help: "remove windowsOptions.hostProcess: true",
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

const PATH: [&str; 2] = ["windowsOptions", "hostProcess"];

fn host_process(sc: Option<&palisade_core::yaml::Node>) -> bool {
    sc.and_then(|sc| present_path(sc, &PATH))
        .and_then(|n| n.bool_intent())
        == Some(true)
}

/// Whether the pod or any of its containers asks for a HostProcess container. The API server then
/// requires `hostNetwork: true` (a HostProcess pod runs in the node's network namespace), so a fix
/// must never turn host networking off on such a pod.
pub(crate) fn uses_host_process(pod: &PodTemplate<'_>) -> bool {
    host_process(pod_security_context(pod).0)
        || pod
            .containers()
            .any(|c| host_process(container_security_context(&c).0))
}

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let (psc, psc_ptr) = pod_security_context(pod);
    if host_process(psc) {
        out.push(Violation::pod(
            format!("{psc_ptr}/windowsOptions/hostProcess"),
            "pod sets windowsOptions.hostProcess: true".to_owned(),
        ));
    }
    for c in pod.containers() {
        let (sc, sc_ptr) = container_security_context(&c);
        if host_process(sc) {
            out.push(Violation::container(
                &c,
                format!("{sc_ptr}/windowsOptions/hostProcess"),
                format!(
                    "container {} sets windowsOptions.hostProcess: true",
                    q(c.name)
                ),
            ));
        }
    }
    out
}

/// In CEL (`palisade vap export`): the pod's and every container's `hostProcess: true`.
fn cel(_: KubeVersion) -> String {
    let host_process = |sc: &str| {
        format!(
            "(has({sc}.windowsOptions) && {})",
            is(&format!("{sc}.windowsOptions"), "hostProcess", "true")
        )
    };
    format!(
        "({} ? ['pod sets windowsOptions.hostProcess: true'] : []) + {}",
        host_process("variables.psc"),
        per_container(
            &host_process(&csc("c")),
            &container_message("' sets windowsOptions.hostProcess: true'"),
        )
    )
}
