//! KL603: the kubelet's unauthenticated read-only port is closed.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL603",
    name: "kubelet-read-only-port",
    severity: Severity::Critical,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 4.2.4 (Manual)",
        "https://kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1/",
    ],
    summary: "The kubelet serves its unauthenticated read-only port (10255)",
    what: "The kubelet's effective `readOnlyPort`: `--read-only-port`, else the config file and \
           drop-ins, else the default (0 with a config file, 10255 on flags alone). Anything but \
           0 fails.",
    why: "Port 10255 answers without authentication: pod specs (with environment variables), \
          node details and metrics, to anyone on the network.",
    example: "# fails\nreadOnlyPort: 10255\n# passes\nreadOnlyPort: 0",
    fix: "Set `readOnlyPort: 0` in the kubelet config file (or `--read-only-port=0`).",
    help: "set readOnlyPort: 0 in the kubelet config",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.2.4"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::Kubelet, &META, &["4.2.4"], out) else {
            return;
        };
        if let Some(why) = crate::rules::kubelet_config_unreadable(c) {
            out.not_evaluated(&META, &["4.2.4"], &why);
            return;
        }
        let e = c.setting(
            Some("read-only-port"),
            &["readOnlyPort"],
            Some("10255"),
            Some("0"),
        );
        let ok = e.as_ref().is_some_and(|e| e.value.trim() == "0");
        out.setting(
            &META,
            Some("4.2.4"),
            c,
            "readOnlyPort",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kubelet serves unauthenticated read-only port {} ({})",
                    e.map_or("10255", |e| e.value.as_str()),
                    crate::rules::describe("readOnlyPort", e)
                )
            },
        );
    }
}
