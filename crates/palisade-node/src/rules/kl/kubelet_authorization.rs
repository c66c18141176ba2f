//! KL602: the kubelet authorizes requests through the API server.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL602",
    name: "kubelet-authorization-mode",
    severity: Severity::Critical,
    guide: "Kublet settings: Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 4.2.2",
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/#kubelet-authorization",
    ],
    summary: "The kubelet allows every request (authorization mode AlwaysAllow)",
    what: "The kubelet's effective authorization mode: `--authorization-mode`, else \
           `authorization.mode` from the config file and drop-ins, else the default: `Webhook` \
           with a config file, `AlwaysAllow` on flags alone. Fails on `AlwaysAllow`. kube-bench \
           fails a config file that leaves the field unset; Palisade applies the default.",
    why: "With AlwaysAllow any client that authenticates to the kubelet (or any anonymous one, \
          KL601) may exec into every pod on the node.",
    example: "# fails\nauthorization:\n  mode: AlwaysAllow\n# passes\nauthorization:\n  mode: Webhook",
    fix: "Set `authorization.mode: Webhook` (with `authentication.webhook.enabled: true`) in the \
          kubelet config file, or `--authorization-mode=Webhook`.",
    help: "set authorization.mode: Webhook in the kubelet config",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.2.2"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::Kubelet, &META, &["4.2.2"], out) else {
            return;
        };
        if let Some(why) = crate::rules::kubelet_config_unreadable(c) {
            out.not_evaluated(&META, &["4.2.2"], &why);
            return;
        }
        let e = c.setting(
            Some("authorization-mode"),
            &["authorization", "mode"],
            Some("AlwaysAllow"),
            Some("Webhook"),
        );
        let ok = !e.as_ref().is_some_and(|e| e.has("AlwaysAllow"));
        out.setting(
            &META,
            Some("4.2.2"),
            c,
            "authorization-mode",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kubelet allows every request ({})",
                    crate::rules::describe("authorization-mode", e)
                )
            },
        );
    }
}
