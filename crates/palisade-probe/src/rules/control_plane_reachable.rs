//! EX713: the controller manager or scheduler is reachable beyond loopback.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{answered_http, exchanges, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX713",
    name: "control-plane-port-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports",
        "CIS Kubernetes Benchmark 1.3.7, 1.4.2 (--bind-address=127.0.0.1)",
    ],
    summary: "kube-controller-manager (10257) or kube-scheduler (10259) answers on a probed \
              address",
    what: "Controller manager and scheduler ports (10257, 10259, or ports tagged \
           `controller-manager=` / `scheduler=`) that answer HTTPS at all on the probed address. \
           Ports that serve `/metrics` or `/configz` anonymously are EX712 instead.",
    why: "Nothing outside the control-plane node needs these ports (kubeadm binds them to \
          127.0.0.1). Reachable from elsewhere, they are attack surface for credential misuse, \
          DoS and the next authentication bug; the guide's first rule is to bind to loopback \
          where possible.",
    example: "# reported\ncurl -sk https://10.0.0.2:10259/healthz   # ok",
    fix: "Start both components with `--bind-address=127.0.0.1` (kubeadm's default) and \
          firewall 10257 and 10259.",
    help: "bind the controller manager and scheduler to 127.0.0.1",
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
            let anonymous = ["/configz", "/metrics"]
                .iter()
                .any(|p| obs.answer(p).is_some_and(|a| a.ok()));
            if anonymous || !answered_http(obs) {
                continue;
            }
            let msg = format!(
                "{component} answers on {} {}: {}; it should listen on 127.0.0.1 only",
                out.place(obs),
                super::transport(obs),
                exchanges(obs, |_| true)
            );
            out.report(&META, obs, "", msg);
        }
    }
}
