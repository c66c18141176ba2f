//! `hostPorts` (baseline): no container port may bind a port of the node
//! (`ports[*].hostPort`; allowed: absent or 0). One policy version (1.0).
//!
//! The API server defaults `hostPort` to `containerPort` for pods with `hostNetwork: true`, so
//! upstream also reports those ports. This check reads the manifest as written and does not
//! invent them: such a pod is already reported by `hostNamespaces` for the root cause.

use palisade_core::{Fix, FixOp, KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{present, q, Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{container_message, per_container};

static META: RuleMeta = RuleMeta {
    code: "PS104",
    name: "host-port",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(0)),
    pss_check: Some("hostPorts"),
    references: &[
        "Pod Security Standards: baseline, Host Ports",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A container binds a port of the node (hostPort)",
    what: "Checks `ports[*].hostPort` of every container, init container and ephemeral container \
           for a value other than 0.",
    why: "A hostPort opens a port on the node's own addresses, bypassing Services and most \
          NetworkPolicy implementations. It exposes the workload on the node network, lets it \
          impersonate a node-level service on that port, and pins the pod to nodes where the \
          port is free.",
    example: "# fails\nports:\n- containerPort: 8080\n  hostPort: 8080\n# passes\nports:\n- \
              containerPort: 8080",
    fix: "Remove `hostPort` and expose the container through a Service (ClusterIP, NodePort or \
          LoadBalancer) or an Ingress.",
    help: "remove hostPort and expose the port through a Service",
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
    let mut out = Vec::new();
    for c in pod.containers() {
        let Some(ports) = present(c.node, "ports") else {
            continue;
        };
        for (j, port) in ports.items().iter().enumerate() {
            let Some(host_port) = present(port, "hostPort").and_then(|n| n.int_intent()) else {
                continue;
            };
            if host_port != 0 {
                let pointer = format!("{}/ports/{j}/hostPort", c.pointer);
                // Unsafe: clients that reach the pod through the node's port lose it.
                let fix = Fix::unsafe_(
                    format!("remove hostPort {host_port}"),
                    vec![FixOp::Remove {
                        pointer: pointer.clone(),
                    }],
                );
                out.push(
                    Violation::container(
                        &c,
                        pointer,
                        format!("container {} uses hostPort {host_port}", q(c.name)),
                    )
                    .with_fix(fix),
                );
            }
        }
    }
    out
}

/// In CEL (`palisade vap export`): every container with a non-zero `hostPort`, naming its ports.
fn cel(_: KubeVersion) -> String {
    let bad = "has(p.hostPort) && p.hostPort != 0";
    per_container(
        &format!("has(c.ports) && c.ports.exists(p, {bad})"),
        &container_message(&format!(
            "' uses hostPort ' + c.ports.map(p, {bad}, string(p.hostPort)).join(', ')"
        )),
    )
}
