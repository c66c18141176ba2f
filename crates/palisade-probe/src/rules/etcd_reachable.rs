//! EX707: etcd is reachable (it demands a client certificate, but the guide firewalls it).

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{ok_paths, Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX707",
    name: "etcd-reachable",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports, Securing a Cluster (Restrict access to etcd)",
        "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
    ],
    summary: "etcd's client or peer port is reachable from where the probe ran",
    what: "etcd ports (2379, 2380, or ports tagged `etcd=`) that accept the connection but \
           refuse a client without a certificate, or answer without serving data. Ports that \
           serve data without a certificate are EX706.",
    why: "Only the API servers (2379) and the other etcd members (2380) need to reach etcd. \
          Client-certificate authentication is its only line of defence; a leaked API server \
          client certificate, or an etcd vulnerability, is exploitable from everywhere the port \
          is reachable.",
    example: "# reported when probed from outside the control plane\nopenssl s_client -connect \
              203.0.113.7:2379   # handshake, then: alert certificate required",
    fix: "Firewall 2379-2380/TCP so that only the control-plane nodes reach them; bind etcd's \
          client URLs to the control plane's private address.",
    help: "firewall 2379-2380 so that only the control plane reaches etcd",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations.iter().filter(|o| o.port.role == Role::Etcd) {
            let evidence = match &obs.state {
                State::ClientCertRequired { reason } => {
                    format!("TLS, a client certificate is demanded ({reason})")
                }
                State::Http { .. } if ok_paths(obs).is_empty() => {
                    format!(
                        "{}, no data without a certificate: {}",
                        super::transport(obs),
                        super::exchanges(obs, |_| true)
                    )
                }
                _ => continue,
            };
            let msg = format!(
                "etcd is reachable on {} ({evidence}); only the control plane should reach it",
                out.place(obs)
            );
            out.report(&META, obs, "", msg);
        }
    }
}
