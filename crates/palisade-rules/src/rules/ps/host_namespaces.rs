//! `hostNamespaces` (baseline): a pod must not share the node's network, process or IPC
//! namespace (`spec.hostNetwork`, `spec.hostPID`, `spec.hostIPC`; allowed: absent or `false`).
//! One policy version (1.0).

use palisade_core::{Fix, FixSafety, FixValue, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{is, lit};

static META: RuleMeta = RuleMeta {
    code: "PS102",
    name: "host-namespaces",
    severity: Severity::Critical,
    guide: "PodSecurityPolicy / DenyEscalatingExec",
    versions: crate::pss::since(KubeVersion::v1(0)),
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
          exemption that names them. A Windows HostProcess pod must keep `hostNetwork: true` \
          (the API server requires it), so `palisade fix` offers no fix for it there: the \
          HostProcess container itself (PS106) is what to remove.",
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
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const NAMESPACES: [(&str, &str); 3] = [
    ("hostNetwork", "network"),
    ("hostPID", "process (PID)"),
    ("hostIPC", "IPC"),
];

fn v1_0(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let host_process = crate::rules::ps::windows_host_process::uses_host_process(pod);
    NAMESPACES
        .iter()
        .filter(|(field, _)| pod.spec.get(field).and_then(|n| n.bool_intent()) == Some(true))
        .map(|(field, what)| {
            let pointer = format!("{}/{field}", pod.spec_pointer);
            let mut message =
                format!("pod sets {field}: true and shares the node's {what} namespace");
            // A Windows HostProcess pod must use the host network: the API server rejects it with
            // `hostNetwork: false`, so no fix is offered (PS106 is the finding to act on).
            if *field == "hostNetwork" && host_process {
                message.push_str(
                    " (no fix offered: the pod runs Windows HostProcess containers, which require \
                     hostNetwork: true; see PS106)",
                );
                return Violation::pod(pointer, message);
            }
            // Unsafe: a pod on the host network changes address and loses the node's ports; one
            // that reads host processes or shared memory stops seeing them.
            let fix = Fix::set(
                FixSafety::Unsafe,
                format!("set {field}: false"),
                pointer.clone(),
                FixValue::Bool(false),
            );
            Violation::pod(pointer, message).with_fix(fix)
        })
        .collect()
}

/// In CEL (`palisade vap export`): each host namespace the pod shares.
fn cel(_: KubeVersion) -> String {
    NAMESPACES
        .iter()
        .map(|(field, what)| {
            format!(
                "({} ? [{}] : [])",
                is("variables.spec", field, "true"),
                lit(&format!(
                    "pod sets {field}: true and shares the node's {what} namespace"
                ))
            )
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

#[cfg(test)]
mod tests {
    use palisade_core::source::objects_from_str;

    /// `hostNetwork: false` on a HostProcess pod is rejected by the API server: no fix there.
    #[test]
    fn no_host_network_fix_for_windows_host_process_pods() {
        let pod = |sc: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  hostNetwork: true\n  hostPID: true\n{sc}  containers:\n  - name: a\n    image: mcr.microsoft.com/windows/nanoserver:ltsc2022\n"
            )
        };
        for (sc, offered) in [
            ("", true),
            (
                "  securityContext:\n    windowsOptions:\n      hostProcess: true\n",
                false,
            ),
            (
                "  securityContext:\n    windowsOptions:\n      hostProcess: false\n",
                true,
            ),
        ] {
            let loaded = objects_from_str("p.yaml", &pod(sc));
            let template = loaded.objects[0].pod_template().unwrap();
            let violations = super::v1_0(&template);
            assert_eq!(violations.len(), 2);
            let net = &violations[0];
            assert!(net.pointer.ends_with("/hostNetwork"));
            assert_eq!(net.fix.is_some(), offered, "{sc}");
            assert_eq!(net.message.contains("HostProcess"), !offered);
            // hostPID keeps its fix either way.
            assert!(violations[1].fix.is_some());
        }
        // A container-level hostProcess counts too.
        let text = pod("").replace(
            "    image: mcr",
            "    securityContext:\n      windowsOptions:\n        hostProcess: true\n    image: mcr",
        );
        let loaded = objects_from_str("p.yaml", &text);
        let violations = super::v1_0(&loaded.objects[0].pod_template().unwrap());
        assert!(violations[0].fix.is_none());
    }
}
