//! EX708: the API server's insecure port answers.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, is_apiserver, ok_paths, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::net::Transport;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX708",
    name: "insecure-api-port-reachable",
    severity: Severity::Critical,
    guide: "Insecure Port",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Insecure Port",
        "CIS Kubernetes Benchmark 1.2.19 (--insecure-port=0, before 1.20)",
    ],
    summary: "The API server's insecure port (8080) serves the API over plain HTTP",
    what: "Insecure API ports (8080, or ports tagged `insecure-api=`) get `GET /version` and \
           `GET /api/v1/namespaces?limit=1` over plain HTTP. A 2xx answer that is the API \
           server's is reported.",
    why: "The insecure port has no TLS, no authentication and no authorization: every request \
          is cluster-admin. Anyone who reaches it owns the cluster. It was removed in 1.20, so \
          an answer means a very old API server, or a proxy (`kubectl proxy` on 0.0.0.0) doing \
          the same.",
    example: "# fails\ncurl -s http://10.0.0.2:8080/api/v1/namespaces   # 200 NamespaceList",
    fix: "Start kube-apiserver with `--insecure-port=0` (and upgrade: 1.20 removed the port); \
          stop any `kubectl proxy --address 0.0.0.0`; firewall 8080.",
    help: "disable the insecure port (--insecure-port=0) and upgrade the API server",
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
            if obs.port.role != Role::InsecureApi
                || obs.transport() != Some(Transport::Plain)
                || !is_apiserver(obs)
            {
                continue;
            }
            let ok = ok_paths(obs);
            let Some(first) = ok.first() else { continue };
            let msg = format!(
                "the API server serves requests without TLS or credentials on {}: {}",
                out.place(obs),
                exchanges(obs, |a| a.ok())
            );
            out.report(&META, obs, first, msg);
        }
    }
}
