//! EX709: kube-proxy's health server answers.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{report_answering, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX709",
    name: "kube-proxy-health-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (10256/TCP)",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/",
    ],
    summary: "kube-proxy's health check server (10256) is reachable",
    what: "kube-proxy health ports (10256, or ports tagged `kube-proxy=`) get `GET /healthz` \
           (plain HTTP first); any HTTP answer is reported.",
    why: "The guide lists 10256 among the ports to firewall: health endpoints leak little, but a \
          reachable one lets anyone hammer a component every node's networking depends on, and \
          any future bug in it is exploitable from wherever it is reachable.",
    example: "# reported\ncurl -s http://10.0.0.5:10256/healthz   # 200 {\"lastUpdated\": …}",
    fix: "Bind the health server to the node's private or loopback address \
          (`healthzBindAddress` in the KubeProxyConfiguration, `--healthz-bind-address`) where \
          load balancers do not need it, and firewall 10256 from public networks.",
    help: "bind kube-proxy's healthz to a private address and firewall 10256",
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
            &[Role::KubeProxy],
            "kube-proxy's health server",
            out,
        );
    }
}
