//! `hostProbesAndHostLifecycle` (baseline, policy 1.34+): probes and lifecycle handlers may not
//! name a host to connect to. Restricted fields, on every container, init container and
//! ephemeral container (allowed: absent or ""):
//!
//! - `livenessProbe`, `readinessProbe`, `startupProbe`: `httpGet.host`, `tcpSocket.host`
//! - `lifecycle.postStart`, `lifecycle.preStop`: `httpGet.host`, `tcpSocket.host` (a TCP
//!   lifecycle handler is deprecated and never run, but upstream still checks it)
//!
//! Before policy 1.34 the check does not exist.

use palisade_core::{KubeVersion, PodTemplate, RuleMeta, Severity};

use crate::pss::{present, present_path, q, text, Level, PssCheck, VersionedCheck, Violation};
use crate::vap_export::cel::{container_message, lit, per_container, quoted};

static META: RuleMeta = RuleMeta {
    code: "PS112",
    name: "probe-or-lifecycle-host",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(34)),
    pss_check: Some("hostProbesAndHostLifecycle"),
    references: &[
        "Pod Security Standards: baseline, Host Probes / Lifecycle Hooks (v1.34+)",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline",
    ],
    summary: "A probe or lifecycle handler connects to an explicit host",
    what: "Checks the `host` of `httpGet` and `tcpSocket` handlers in `livenessProbe`, \
           `readinessProbe`, `startupProbe` and `lifecycle.postStart`/`preStop` of every \
           container (policy 1.34 and later).",
    why: "Probes and HTTP lifecycle hooks are run by the kubelet from the node, not from inside \
          the pod. A `host` field turns them into requests the node makes on the pod author's \
          behalf: to localhost services of the node, to cloud metadata endpoints, or to other \
          internal addresses the pod itself could not reach (a server-side request forgery \
          through the kubelet).",
    example: "# fails\nlivenessProbe:\n  httpGet:\n    host: 169.254.169.254\n    path: /\n    \
              port: 80\n# passes\nlivenessProbe:\n  httpGet:\n    path: /healthz\n    port: 8080",
    fix: "Remove `host` so the kubelet probes the pod's own IP. To check a dependency, probe an \
          endpoint of your own container that checks it.",
    help: "remove host from probe and lifecycle handlers so they target the pod itself",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Baseline,
    overrides: &[],
    versions: &[VersionedCheck {
        since: KubeVersion::v1(34),
        check: v1_34,
    }],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
const HOOKS: [&str; 2] = ["postStart", "preStop"];
const HANDLERS: [&str; 2] = ["httpGet", "tcpSocket"];

fn v1_34(pod: &PodTemplate<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let mut handlers: Vec<(String, &palisade_core::yaml::Node)> = Vec::new();
        for probe in PROBES {
            if let Some(n) = present(c.node, probe) {
                handlers.push((probe.to_owned(), n));
            }
        }
        for hook in HOOKS {
            if let Some(n) = present_path(c.node, &["lifecycle", hook]) {
                handlers.push((format!("lifecycle/{hook}"), n));
            }
        }
        for (path, node) in handlers {
            for handler in HANDLERS {
                let host = text(present_path(node, &[handler, "host"]));
                if host.is_empty() {
                    continue;
                }
                out.push(Violation::container(
                    &c,
                    format!("{}/{path}/{handler}/host", c.pointer),
                    format!(
                        "container {} {}.{handler} sets host {}",
                        q(c.name),
                        path.replace('/', "."),
                        q(host)
                    ),
                ));
            }
        }
    }
    out
}

/// In CEL (`palisade vap export`): every probe or lifecycle handler of a container that names a
/// host.
fn cel(_: KubeVersion) -> String {
    let mut terms = Vec::new();
    let handlers = PROBES
        .iter()
        .map(|p| (p.to_string(), format!("c.{p}")))
        .chain(
            HOOKS
                .iter()
                .map(|h| (format!("lifecycle.{h}"), format!("c.lifecycle.{h}"))),
        );
    for (path, base) in handlers {
        // `has()` of every step: `c.lifecycle.preStop` needs `c.lifecycle` first.
        let mut guard = vec![];
        let mut prefix = "c".to_owned();
        for step in base.split('.').skip(1) {
            guard.push(format!("has({prefix}.{step})"));
            prefix = format!("{prefix}.{step}");
        }
        for handler in HANDLERS {
            let host = format!("{base}.{handler}.host");
            let mut cond = guard.clone();
            cond.push(format!("has({base}.{handler})"));
            cond.push(format!("has({host})"));
            cond.push(format!("{host} != ''"));
            terms.push(per_container(
                &cond.join(" && "),
                &container_message(&format!(
                    "{} + {}",
                    lit(&format!(" {path}.{handler} sets host ")),
                    quoted(&host)
                )),
            ));
        }
    }
    terms.join(" + ")
}
