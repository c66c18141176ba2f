//! KL605: kube-proxy's metrics endpoint is bound to localhost.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL605",
    name: "kube-proxy-metrics-bind-address",
    severity: Severity::Medium,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 4.3.1",
        "https://kubernetes.io/docs/reference/config-api/kube-proxy-config.v1alpha1/",
    ],
    summary: "kube-proxy serves metrics on every interface",
    what: "kube-proxy's effective `metricsBindAddress`: `--metrics-bind-address`, else its \
           `--config` file, else the default `127.0.0.1:10249`. Anything not on loopback fails. \
           (The health check port 10256 listens on all interfaces by default because load \
           balancers probe it; the network probe reports it if it is reachable from outside.)",
    why: "The metrics endpoint answers without authentication and describes every Service and \
          endpoint of the cluster.",
    example:
        "# fails\nmetricsBindAddress: 0.0.0.0:10249\n# passes\nmetricsBindAddress: 127.0.0.1:10249",
    fix: "Remove the setting or set it to `127.0.0.1:10249`; scrape through a node-local agent.",
    help: "set metricsBindAddress to 127.0.0.1:10249",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.3.1"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::KubeProxy, &META, &["4.3.1"], out) else {
            return;
        };
        if !c.problems.is_empty() {
            out.not_evaluated(&META, &["4.3.1"], &c.problems.join("; "));
            return;
        }
        let e = c.setting(
            Some("metrics-bind-address"),
            &["metricsBindAddress"],
            Some("127.0.0.1:10249"),
            Some("127.0.0.1:10249"),
        );
        let ok = e
            .as_ref()
            .is_some_and(|e| crate::rules::cp::loopback_bind::is_loopback(&e.value));
        out.setting(
            &META,
            Some("4.3.1"),
            c,
            "metricsBindAddress",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-proxy serves metrics beyond loopback ({})",
                    crate::rules::describe("metricsBindAddress", e)
                )
            },
        );
    }
}
