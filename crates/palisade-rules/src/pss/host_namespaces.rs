//! `hostNamespaces` (baseline): a pod must not share the node's network, process or IPC
//! namespace (`spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`; allowed: absent or `false`).
//! One policy version (1.0).

use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use super::{Level, PssCheck, VersionedCheck, Violation};

static META: RuleMeta = RuleMeta {
    code: "PS102",
    name: "host-namespaces",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy / DenyEscalatingExec",
    versions: super::since(KubeVersion::v1(0)),
    pss_check: Some("hostNamespaces"),
    references: &[
        "Pod Security Standards: baseline, Host Namespaces",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "The pod shares the node's network, PID or IPC namespace",
    what: "Checks the pod spec for `hostNetwork: true`, `hostPID: true` and `hostIPC: true`.",
    why: "Namespaces are what separate a container from the node. With `hostNetwork` the pod \
          sees every interface of the node, can bind its ports and reach services listening on \
          localhost (the kubelet, node-local caches, cloud metadata proxies) and sniff traffic. \
          With `hostPID` it sees every process on the node, can read their environment and, with \
          enough privilege, inject into them. With `hostIPC` it can read and write the shared \
          memory of other workloads on the node.",
    example: "# fails\nspec:\n  hostNetwork: true\n  hostPID: true\n# passes\nspec:\n  \
              hostNetwork: false  # or leave the fields out",
    fix: "Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec. Expose the workload \
          through a Service instead of host networking; node agents that truly need host \
          namespaces belong in a namespace labelled for the privileged level, with an \
          exemption that names them.",
    help: "remove hostNetwork/hostPID/hostIPC from the pod spec (or set them to false)",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[VersionedCheck {
        since: KubeVersion::v1(0),
        check: v1_0,
    }],
};

const NAMESPACES: [(&str, &str); 3] = [
    ("hostNetwork", "network"),
    ("hostPID", "process (PID)"),
    ("hostIPC", "IPC"),
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    NAMESPACES
        .iter()
        .filter(|(field, _)| pod.spec.get(field).and_then(|n| n.bool_intent()) == Some(true))
        .map(|(field, what)| {
            let pointer = format!("{}/{field}", pod.spec_pointer);
            // Unsafe: a pod on the host network changes address and loses the node's ports; one
            // that reads host processes or shared memory stops seeing them.
            let fix = Fix::set(
                FixSafety::Unsafe,
                format!("set {field}: false"),
                pointer.clone(),
                FixValue::Bool(false),
            );
            Violation::pod(
                pointer,
                format!("pod sets {field}: true and shares the node's {what} namespace"),
            )
            .with_fix(fix)
        })
        .collect()
}
