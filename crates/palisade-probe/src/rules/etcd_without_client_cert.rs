//! EX706: etcd answers a client without a certificate.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, ok_paths, Context, Findings, ProbeRule};
use crate::check::{Observation, State};
use crate::net::Transport;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX706",
    name: "etcd-without-client-certificate",
    severity: Severity::Critical,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Securing a Cluster (Restrict access to etcd)",
        "CIS Kubernetes Benchmark 2.1, 2.2 (--cert-file/--key-file, --client-cert-auth=true)",
        "https://etcd.io/docs/latest/op-guide/security/",
    ],
    summary: "etcd answers a client that presents no client certificate",
    what: "etcd ports (2379, 2380, or ports tagged `etcd=`) get a TLS handshake with no client \
           certificate (then plain HTTP), then `GET /version` and `/health`. A 2xx answer is \
           reported, saying whether the server asked for a certificate at all.",
    why: "Whoever talks to etcd reads and writes every object of the cluster, Secrets \
          included, bypassing authentication, authorization, admission and audit. etcd must \
          accept only clients with a certificate of its own CA (the API servers); one that \
          answers without is as open as the API server's old insecure port.",
    example:
        "# fails\ncurl -sk https://10.0.0.2:2379/version   # 200 {\"etcdserver\":\"3.5.9\",…}\n\
              # passes\ncurl -sk https://10.0.0.2:2379/version   # TLS alert: certificate required",
    fix: "Start etcd with `--client-cert-auth=true --trusted-ca-file=…` (and \
          `--peer-client-cert-auth=true --peer-trusted-ca-file=…`), serve TLS \
          (`--cert-file`/`--key-file`, not `--auto-tls`), and firewall 2379-2380 from everything \
          but the control plane.",
    help: "require client certificates on etcd (--client-cert-auth=true) and firewall it",
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
            let ok = ok_paths(obs);
            let Some(first) = ok.first() else { continue };
            let how = match &obs.state {
                State::Http {
                    transport: Transport::Plain,
                    ..
                } => "over plain HTTP, no TLS at all",
                State::Http {
                    cert_requested: true,
                    ..
                } => "over TLS: it asked for a client certificate and answered without one",
                _ => "over TLS without asking for a client certificate",
            };
            let msg = format!(
                "etcd on {} answers a client without a certificate ({how}): {}",
                out.place(obs),
                exchanges(obs, |a| a.ok())
            );
            out.report(&META, obs, first, msg);
        }
    }
}
