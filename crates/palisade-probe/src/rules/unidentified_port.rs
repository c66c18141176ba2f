//! EX717: a port the user asked about, with no Kubernetes role, accepts connections.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::net::first_bytes;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX717",
    name: "open-port",
    severity: Severity::Low,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &["Kubernetes Security Best Practice Guide: Firewall ports"],
    summary: "A probed port without a Kubernetes role accepts connections",
    what: "Ports given with `--ports` that are neither in the default list nor tagged with a \
           role are connected to, asked `GET /` (TLS first, then plain) and reported when they \
           accept the connection, with what they answered.",
    why: "The guide's rule for every port: never expose one that does not need exposure. A port \
          you probed on purpose and found open is worth a look, with the evidence of what \
          serves it.",
    example: "# reported\n10.0.0.5:8000 answers plain HTTP: HTTP 200, body \"<html>…\"",
    fix: "Close the port or firewall it from the networks that do not need it; if it is a \
          Kubernetes component, probe it again with its role (`--ports kubelet=8000`).",
    help: "close or firewall the port, or tag it with its role to check it properly",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations.iter().filter(|o| o.port.role == Role::Other) {
            let what = match &obs.state {
                State::Http { answers, .. } => match answers.first() {
                    Some((p, Ok(a))) => {
                        format!(
                            "it answers {}: GET {p} → {}",
                            super::transport(obs),
                            a.evidence()
                        )
                    }
                    _ => format!("it answers {}", super::transport(obs)),
                },
                State::ClientCertRequired { .. } => {
                    "it speaks TLS and demands a client certificate".into()
                }
                State::Banner(b) => format!("it sends \"{}\"", first_bytes(b, 64)),
                State::Silent => "it accepts connections and says nothing".into(),
                State::Other(why) => {
                    format!("it accepts connections but does not speak HTTP ({why})")
                }
                State::Closed | State::Filtered | State::Failed(_) => continue,
            };
            let msg = format!("{} is open: {what}", out.place(obs));
            out.report(&META, obs, "", msg);
        }
    }
}
