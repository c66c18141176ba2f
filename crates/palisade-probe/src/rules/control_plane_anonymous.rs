//! EX712: the controller manager or scheduler serves `/metrics` or `/configz` without
//! credentials.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX712",
    name: "control-plane-endpoint-anonymous",
    severity: Severity::Critical,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Authorization mode & anonymous auth, Firewall ports",
        "CIS Kubernetes Benchmark 1.3.7, 1.4.2 (--bind-address=127.0.0.1)",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/",
    ],
    summary: "kube-controller-manager (10257) or kube-scheduler (10259) serves metrics or its \
              configuration without credentials",
    what: "Controller manager and scheduler ports (10257, 10259, or ports tagged \
           `controller-manager=` / `scheduler=`) get `GET /metrics` and `GET /configz` over TLS \
           without credentials. A 2xx answer to either is reported (`/healthz` is public by \
           design and is not).",
    why: "These components delegate authentication and authorization to the API server; \
          answering `/configz` or `/metrics` anonymously means the delegation is off \
          (`--authorization-always-allow-paths`, `--authentication-skip-lookup`, an old \
          insecure port) or the API server lets `system:anonymous` read them. The \
          configuration names the cluster's CIDRs, signing settings and feature gates; a \
          reachable, unauthenticated control-plane component is also a DoS target.",
    example: "# fails\ncurl -sk https://10.0.0.2:10257/configz   # 200 {\"componentconfig\": …}\n\
              # passes\ncurl -sk https://10.0.0.2:10257/configz   # 401 / 403",
    fix: "Keep delegated authentication and authorization on (do not add `/metrics` or \
          `/configz` to `--authorization-always-allow-paths`), remove RBAC grants of these \
          non-resource URLs to `system:anonymous` / `system:unauthenticated`, and bind both \
          components to 127.0.0.1 (`--bind-address=127.0.0.1`).",
    help: "bind the component to 127.0.0.1 and keep delegated authorization on",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations {
            let component = match obs.port.role {
                Role::ControllerManager => "kube-controller-manager",
                Role::Scheduler => "kube-scheduler",
                _ => continue,
            };
            let Some(path) = ["/configz", "/metrics"]
                .into_iter()
                .find(|p| obs.answer(p).is_some_and(|a| a.ok()))
            else {
                continue;
            };
            let msg = format!(
                "{component} on {} serves {path} without credentials {}: {}",
                out.place(obs),
                super::transport(obs),
                exchanges(obs, |a| a.ok())
            );
            out.report(&META, obs, path, msg);
        }
    }
}
