//! EX705: the API server is reachable from where the probe ran.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, is_apiserver, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX705",
    name: "apiserver-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (6443/TCP), Private topology",
        "https://kubernetes.io/docs/concepts/security/controlling-access/",
    ],
    summary: "The Kubernetes API server answers on a probed address",
    what: "API server ports (6443, 443 and 8443 when they serve the API, or ports tagged \
           `apiserver=`) whose answers are the API server's: its `/version` document or its \
           `Status` objects for refused requests. Reported whatever the API answers; what it \
           serves without credentials is EX701.",
    why: "The guide lists 6443 among the ports to firewall from public access: the API server \
          is the cluster's front door, and every authentication weakness, leaked token or \
          API server vulnerability is exploitable from wherever the port is reachable. Probe \
          from the networks that should *not* reach it (the Internet, other tenants) to see \
          whether they can.",
    example: "# reported when probed from a network that should not reach the API\ncurl -sk \
              https://203.0.113.7:6443/version   # 401, or the version document",
    fix: "Restrict who reaches the API server: a private endpoint, authorized networks / \
          security groups on 6443, or a VPN or bastion in front of it. If this address must be \
          public, ignore the finding for it (`--ignore EX705`) and keep EX701 clean.",
    help: "restrict the API server's port to the networks that need it",
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
            if !super::has_role(obs, &[Role::ApiServer, Role::Https]) || !is_apiserver(obs) {
                continue;
            }
            let msg = format!(
                "the API server answers on {} {}: {}",
                out.place(obs),
                super::transport(obs),
                exchanges(obs, |_| true)
            );
            out.report(&META, obs, "", msg);
        }
    }
}
