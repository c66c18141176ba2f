//! EX704: the kubelet API is reachable (it authenticates, but the guide firewalls it).

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, ok_paths, Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX704",
    name: "kubelet-api-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (10250/TCP)",
        "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
    ],
    summary: "The kubelet API (10250) is reachable from where the probe ran",
    what: "Kubelet ports (10250, or ports tagged `kubelet=`) that answer HTTPS but refuse \
           requests without credentials (401/403), or demand a client certificate. Ports that \
           answer anonymously are EX702 instead.",
    why: "The kubelet API allows full node access to whoever gets through its authentication: a \
          stolen node or API server credential, or the next authentication bug. Only the API \
          servers (and monitoring, on a known network) need to reach it; from anywhere else it \
          is attack surface.",
    example: "# reported when probed from outside the cluster network\ncurl -sk \
              https://203.0.113.7:10250/pods   # 401 Unauthorized",
    fix: "Firewall 10250/TCP (security groups, host firewall) so that only the control plane's \
          addresses reach it; keep anonymous authentication off and authorization on Webhook.",
    help: "firewall 10250 so that only the API servers reach it",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations.iter().filter(|o| o.port.role == Role::Kubelet) {
            let evidence = match &obs.state {
                State::ClientCertRequired { reason } => {
                    format!("TLS demanding a client certificate ({reason})")
                }
                State::Http { .. } if ok_paths(obs).is_empty() => {
                    let refused = exchanges(obs, |a| a.status == 401 || a.status == 403);
                    if refused.is_empty() {
                        continue;
                    }
                    format!("{}: {refused}", super::transport(obs))
                }
                _ => continue,
            };
            let msg = format!(
                "the kubelet API is reachable on {}, authentication on ({evidence}); the guide \
                 firewalls 10250 from everything but the API servers",
                out.place(obs)
            );
            out.report(&META, obs, "", msg);
        }
    }
}
