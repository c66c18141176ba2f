//! EX714: the Kubernetes Dashboard's login page is reachable.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::net::Answer;

pub static META: RuleMeta = RuleMeta {
    code: "EX714",
    name: "dashboard-reachable",
    severity: Severity::Critical,
    guide: "Kubernetes Dashboard",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Kubernetes Dashboard",
        "https://github.com/kubernetes/dashboard/blob/master/docs/user/access-control/README.md",
    ],
    summary: "The Kubernetes Dashboard is served on a probed address",
    what: "Every port asked `GET /` (the Dashboard's 8443 and 9090, 443, NodePorts and \
           untagged ports) is checked for the Dashboard's page: its title or its Angular root \
           element (`kd-root`).",
    why: "The guide: by default the Dashboard is not exposed, and it should stay that way — an \
          exposed Dashboard with a powerful service account is how Tesla's cluster was taken \
          over to mine cryptocurrency. Even with a login page, it is a cluster front end on the \
          network, and older versions let users skip the login.",
    example:
        "# reported\ncurl -sk https://203.0.113.7:30443/   # <title>Kubernetes Dashboard</title>",
    fix: "Remove the Service's NodePort / LoadBalancer type and any Ingress for the Dashboard; \
          reach it with `kubectl proxy` or `kubectl port-forward`, which go through the API \
          server's authentication.",
    help: "do not expose the Dashboard; use kubectl port-forward or kubectl proxy",
};

/// Whether a page is the Dashboard's.
fn is_dashboard(a: &Answer) -> bool {
    a.ok()
        && (a.body_contains("Kubernetes Dashboard")
            || a.body_contains("<kd-root")
            || a.body_contains("kubernetes-dashboard"))
}

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations {
            let Some(a) = obs.answer("/").filter(|a| is_dashboard(a)) else {
                continue;
            };
            let msg = format!(
                "the Kubernetes Dashboard is served on {} {}: GET / → {}",
                out.place(obs),
                super::transport(obs),
                a.evidence()
            );
            out.report(&META, obs, "/", msg);
        }
    }
}
