//! CP503: the API server's unauthenticated HTTP port (before 1.20).

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP503",
    name: "apiserver-insecure-port",
    severity: Severity::Critical,
    guide: "Insecure Port",
    versions: VersionRange::until(KubeVersion::v1(20)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.5.1 1.2.19 (removed from later benchmarks)",
        "https://github.com/kubernetes/kubernetes/pull/95856",
    ],
    summary: "The API server serves plain HTTP without authentication or authorization",
    what: "`--insecure-port` of API servers before 1.20, where it defaults to 8080 (bound to \
           `--insecure-bind-address`, default 127.0.0.1). From 1.20 the port cannot be opened any \
           more and the flag is inert (CP518 reports it as a stale flag).",
    why: "Every request on the insecure port bypasses authentication and authorization: it is \
          cluster-admin for anyone who can reach it, including any process on the node when it is \
          bound to localhost.",
    example: "# fails (before 1.20)\n- --insecure-port=8080\n# passes\n- --insecure-port=0",
    fix: "Set `--insecure-port=0`, move health checks to the secure port (`/healthz` is readable \
          anonymously by default), and upgrade: 1.20 removed insecure serving.",
    help: "set --insecure-port=0 (and upgrade: insecure serving is gone from 1.20)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = inv.component(ComponentKind::ApiServer) else {
            return;
        };
        if !META.versions.contains(c.version) {
            return;
        }
        let port = c
            .flag_or("insecure-port", Some("8080"))
            .expect("default given");
        if port.value.trim() == "0" {
            return;
        }
        let bind = c
            .flag_or("insecure-bind-address", Some("127.0.0.1"))
            .expect("default given");
        out.report(
            &META,
            Some(c.kind),
            c.location_of(Some(&port)),
            format!(
                "kube-apiserver {} serves unauthenticated HTTP on {}:{} ({})",
                c.version, bind.value, port.value, port.source
            ),
        );
    }
}
