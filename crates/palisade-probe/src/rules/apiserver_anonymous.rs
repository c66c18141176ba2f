//! EX701: the API server answers requests that carry no credentials, seen by `palisade probe`
//! on every API server port it reaches and by `palisade cluster` on the API server it audits
//! ([`finding`]).

use std::sync::Arc;

use palisade_core::{Finding, Location, RuleMeta, Severity, VersionRange};

use super::{is_apiserver, Context, Findings, ProbeRule};
use crate::check::{Observation, NAMESPACES};
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX701",
    name: "api-server-anonymous-access",
    severity: Severity::Critical,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: API settings, Authorization mode & anonymous auth",
        "CIS Kubernetes Benchmark 1.2.1 (--anonymous-auth=false)",
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-requests",
    ],
    summary: "The API server serves requests without credentials",
    what: "`palisade cluster` sends two requests without any credentials to the API server it \
           audits: `GET /version` and `GET /api/v1/namespaces?limit=1`. A 401 means anonymous \
           authentication is off. Otherwise anonymous requests are authenticated as \
           `system:anonymous`: reading namespaces is critical, being answered `/version` only \
           (the default discovery role) is reported as low.",
    why: "With anonymous authentication on, anyone who reaches the API server's port is a user \
          of the cluster, and every RBAC grant to `system:anonymous`, `system:unauthenticated` \
          or a careless `system:authenticated` binding is open to the whole network. The guide \
          asks for `--anonymous-auth=false` (or, from 1.32, an AuthenticationConfiguration that \
          limits anonymous requests to health endpoints).",
    example: "# fails\ncurl -k https://api.example.com:6443/api/v1/namespaces   # 200\n\
              # passes\ncurl -k https://api.example.com:6443/api/v1/namespaces   # 401",
    fix: "Start kube-apiserver with `--anonymous-auth=false`, or on 1.32+ use \
          `--authentication-config` with `anonymous.enabled: true` and `conditions` limited to \
          `/livez`, `/readyz` and `/healthz`; remove RBAC bindings to `system:anonymous` and \
          `system:unauthenticated`.",
    help: "disable anonymous authentication on the API server, or limit it to health endpoints",
};

/// A finding about the API server `source` (the kubeconfig context) at `path`.
pub fn finding(source: &Arc<str>, path: &str, severity: Severity, message: String) -> Finding {
    Finding {
        code: META.code,
        rule: META.name,
        severity,
        pss_check: None,
        location: Location::Object {
            source: Arc::clone(source),
            pointer: path.to_owned(),
        },
        object: None,
        container: None,
        related: None,
        message: message.into(),
        help: META.help,
        suppressed: None,
        baselined: false,
        fix: None,
        flow: None,
    }
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
            if !super::has_role(obs, &[Role::ApiServer, Role::Https]) || !is_apiserver(obs) {
                continue;
            }
            let place = out.place(obs);
            let via = super::transport(obs);
            if let Some(a) = obs.answer(NAMESPACES).filter(|a| a.ok()) {
                let msg = format!(
                    "the API server on {place} lists namespaces to a request without \
                     credentials {via} (GET {NAMESPACES} → {}): anonymous users can read the \
                     cluster",
                    a.evidence()
                );
                out.report_as(&META, Severity::Critical, obs, "/api/v1/namespaces", msg);
            } else if let Some(a) = obs.answer("/version").filter(|a| a.ok()) {
                let refused = obs
                    .answer(NAMESPACES)
                    .map(|n| format!(" (GET {NAMESPACES} → HTTP {})", n.status))
                    .unwrap_or_default();
                let msg = format!(
                    "anonymous authentication is on at the API server on {place}: GET /version \
                     without credentials → {}{refused}; any grant to system:anonymous or \
                     system:unauthenticated is open to everyone who reaches the port",
                    a.evidence()
                );
                out.report_as(&META, Severity::Low, obs, "/version", msg);
            }
        }
    }
}
