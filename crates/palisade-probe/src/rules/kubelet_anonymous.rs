//! EX702: the kubelet API answers without credentials.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{exchanges, ok_paths, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX702",
    name: "kubelet-api-anonymous",
    severity: Severity::Critical,
    guide: "Kublet settings: Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Kubelet settings, Authorization mode & anonymous auth",
        "CIS Kubernetes Benchmark 4.2.1 (anonymous-auth), 4.2.2 (authorization-mode)",
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
    ],
    summary: "The kubelet API (10250) answers requests without credentials",
    what: "`palisade probe` sends `GET /pods`, `/runningpods/`, `/configz` and `/metrics` without \
           credentials to every kubelet port (10250, or ports tagged `kubelet=`). Any 2xx answer \
           is reported, with the paths that answered and the first bytes of each answer.",
    why: "The kubelet API is full control of the node: the same server that answers `/pods` \
          runs commands in containers (`/exec`, `/run`) and streams their logs. A kubelet that \
          answers anonymous requests (`--anonymous-auth=true` with `--authorization-mode=AlwaysAllow`, \
          the old defaults) gives everyone who reaches the port code execution in every pod on \
          the node, and the Secrets those pods mount.",
    example: "# fails\ncurl -sk https://10.0.0.5:10250/pods   # 200 {\"kind\":\"PodList\",…}\n\
              # passes\ncurl -sk https://10.0.0.5:10250/pods   # 401 Unauthorized",
    fix: "In the kubelet config file set `authentication.anonymous.enabled: false`, \
          `authentication.webhook.enabled: true` and `authorization.mode: Webhook` (flags \
          `--anonymous-auth=false --authorization-mode=Webhook`), restart the kubelet, and \
          firewall 10250 from everything but the API servers.",
    help: "turn off anonymous auth on the kubelet and use authorization mode Webhook",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations.iter().filter(|o| o.port.role == Role::Kubelet) {
            let ok = ok_paths(obs);
            let Some(first) = ok.first() else { continue };
            let msg = format!(
                "the kubelet API on {} answers without credentials {}: {}",
                out.place(obs),
                super::transport(obs),
                exchanges(obs, |a| a.ok())
            );
            out.report(&META, obs, first, msg);
        }
    }
}
