//! EX703: the kubelet's read-only port answers.

use palisade_core::{RuleMeta, Severity, VersionRange};

use super::{answered_http, exchanges, Context, Findings, ProbeRule};
use crate::check::Observation;
use crate::ports::Role;

pub static META: RuleMeta = RuleMeta {
    code: "EX703",
    name: "kubelet-read-only-port-reachable",
    severity: Severity::Critical,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "Kubernetes Security Best Practice Guide: Firewall ports (10255/TCP)",
        "CIS Kubernetes Benchmark 4.2.4 (--read-only-port=0)",
        "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
    ],
    summary: "The kubelet's unauthenticated read-only port (10255) answers",
    what: "`palisade probe` sends `GET /pods` to every read-only kubelet port (10255, or ports \
           tagged `kubelet-read-only=`), plain HTTP first. Any HTTP answer is reported: the port \
           has no authentication at all, so answering is the problem.",
    why: "The read-only port serves pod specs (with their environment variables, often \
          credentials), node details and metrics to anyone who reaches it, with no \
          authentication and no authorization. It exists only for old monitoring set-ups.",
    example: "# fails\ncurl -s http://10.0.0.5:10255/pods   # 200 {\"kind\":\"PodList\",…}\n\
              # passes\ncurl -s http://10.0.0.5:10255/pods   # connection refused",
    fix: "Set `readOnlyPort: 0` in the kubelet config file (or `--read-only-port=0`) and restart \
          the kubelet; move monitoring to the authenticated `/metrics` on 10250.",
    help: "set readOnlyPort: 0 in the kubelet config",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Probe(&(&RULE as &'static dyn super::ProbeRule)),
});

impl ProbeRule for Rule {
    fn check(&self, observations: &[Observation], _cx: &Context, out: &mut Findings) {
        for obs in observations
            .iter()
            .filter(|o| o.port.role == Role::KubeletReadOnly && answered_http(o))
        {
            let msg = format!(
                "the kubelet read-only port answers on {} without authentication {}: {}",
                out.place(obs),
                super::transport(obs),
                exchanges(obs, |_| true)
            );
            out.report(&META, obs, "/pods", msg);
        }
    }
}
