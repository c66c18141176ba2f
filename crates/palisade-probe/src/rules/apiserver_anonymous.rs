//! EX701 from the network: the API server serves requests without credentials. The declaration
//! is shared with `palisade cluster`'s probe of the API server it audits.

use palisade_core::{RuleMeta, Severity};
use palisade_rules::exposure::anonymous_api::META;

use super::{is_apiserver, Context, Findings, ProbeRule};
use crate::check::{Observation, NAMESPACES};
use crate::ports::Role;

pub struct Rule;
pub static RULE: Rule = Rule;

impl ProbeRule for Rule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

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
