//! EX716: NodePorts answer on a probed host.

use std::collections::BTreeMap;
use std::net::IpAddr;

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX716",
    name: "nodeports-reachable",
    severity: Severity::Low,
    guide: "Private topology",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Private topology",
        "https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport",
    ],
    summary: "Services answer on the NodePort range of a probed host",
    what: "With `--nodeports` (or ports tagged `nodeport=`), every port of 30000-32767 that \
           accepts a connection is collected; one finding per host lists them (the first 20) \
           with what each answered and, given the Services (`--services` manifests, or the \
           cluster's with `--from-cluster`), which Service asks for that node port — the \
           other side of NP351, which lists the NodePort Services of manifests.",
    why: "A NodePort Service opens its port on every node's every address. In a private \
          topology only a load balancer should reach them; reachable from where the probe ran, \
          every such Service is exposed there — often without the TLS and authentication its \
          Ingress would have given it.",
    example: "# reported\n10.0.0.5: 30080 (plain HTTP, HTTP 200; Service shop/web port 80/TCP), \
              30443 (TLS, HTTP 404)",
    fix: "Use ClusterIP Services behind an Ingress or a LoadBalancer, firewall 30000-32767 on \
          the nodes to the load balancers' addresses, and review each NodePort Service listed.",
    help: "firewall the NodePort range; expose Services through a load balancer or Ingress",
};

/// Ports listed in one finding.
const LISTED: usize = 20;

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

fn describe(obs: &Observation, cx: &Context) -> String {
    let what = match &obs.state {
        State::Http {
            transport, answers, ..
        } => match answers.first() {
            Some((_, Ok(a))) => format!("{transport}, HTTP {}", a.status),
            _ => transport.to_string(),
        },
        State::ClientCertRequired { .. } => "TLS, client certificate required".into(),
        State::Silent => "silent".into(),
        _ => "open".into(),
    };
    match cx.node_ports.get(&obs.port.port) {
        Some(owners) => format!("{} ({what}; {})", obs.port.port, owners.join(", ")),
        None => format!("{} ({what})", obs.port.port),
    }
}

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], cx: &Context, out: &mut Findings) {
        let mut by_host: BTreeMap<IpAddr, Vec<&Observation>> = BTreeMap::new();
        for obs in observations
            .iter()
            .filter(|o| o.port.role == Role::NodePort && o.is_open())
        {
            by_host.entry(obs.target.ip).or_default().push(obs);
        }
        for list in by_host.values() {
            let shown: Vec<String> = list.iter().take(LISTED).map(|o| describe(o, cx)).collect();
            let more = match list.len().saturating_sub(LISTED) {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            let first = list[0];
            let msg = format!(
                "{} NodePort(s) answer on {}: {}{more}",
                list.len(),
                out.host(first),
                shown.join(", ")
            );
            out.report(&META, first, "", msg);
        }
    }
}
