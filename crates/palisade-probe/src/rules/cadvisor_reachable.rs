//! EX711: cAdvisor answers.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{report_answering, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX711",
    name: "cadvisor-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (4149/TCP)",
        "https://github.com/google/cadvisor",
    ],
    summary: "cAdvisor (4194, 4149) answers without authentication",
    what: "cAdvisor ports (4194, the kubelet's old `--cadvisor-port`, and 4149 as the guide \
           lists it, or ports tagged `cadvisor=`) get `GET /metrics` (plain HTTP first); any HTTP \
           answer is reported.",
    why: "cAdvisor serves every container's name, image, labels and resource usage without \
          authentication: a map of the node's workloads for whoever reaches the port.",
    example:
        "# reported\ncurl -s http://10.0.0.5:4194/metrics   # 200 # HELP cadvisor_version_info …",
    fix: "Kubelets before 1.12: `--cadvisor-port=0`. A stand-alone cAdvisor DaemonSet: no \
          hostPort / hostNetwork exposure, or `--listen_ip=127.0.0.1`; firewall 4149 and 4194.",
    help: "turn off the cAdvisor port and firewall 4149/4194",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        report_answering(&META, observations, &[Role::Cadvisor], "cAdvisor", out);
    }
}
