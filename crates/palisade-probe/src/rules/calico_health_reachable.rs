//! EX710: Calico (felix) health answers.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{report_answering, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX710",
    name: "calico-health-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (9099/TCP)",
        "https://docs.tigera.io/calico/latest/reference/felix/configuration",
    ],
    summary: "Calico / Canal felix's health server (9099) is reachable",
    what: "Calico health ports (9099, or ports tagged `calico=`) get `GET /liveness` (plain HTTP \
           first); any HTTP answer is reported.",
    why: "The guide lists 9099 among the ports to firewall: the network provider is a critical \
          component, and a reachable health server can be used to DoS it, which takes pod \
          networking of the whole node (or cluster) down with it.",
    example: "# reported\ncurl -s http://10.0.0.5:9099/liveness   # 204",
    fix: "Set felix's `healthHost` (FELIX_HEALTHHOST) to 127.0.0.1 or the node's private \
          address, and firewall 9099 from public networks.",
    help: "bind felix's health server to localhost and firewall 9099",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        report_answering(
            &META,
            observations,
            &[Role::Calico],
            "Calico's health server",
            out,
        );
    }
}
