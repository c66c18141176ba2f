//! KL601: the kubelet API refuses anonymous requests.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL601",
    name: "kubelet-anonymous-auth",
    severity: Severity::Critical,
    guide: "Kublet settings: Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 4.2.1",
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
    ],
    summary: "The kubelet accepts anonymous requests on port 10250",
    what: "The kubelet's effective anonymous authentication: `--anonymous-auth` if given (flags \
           override the config file), else `authentication.anonymous.enabled` from the `--config` \
           file and its `--config-dir` drop-ins (the last one that sets it wins), else the \
           default: `false` when a config file is used (KubeletConfiguration default), `true` \
           when the kubelet runs on flags alone. kube-bench fails a config file that leaves the \
           field unset (it has no notion of defaults); Palisade reports the default with its \
           source.",
    why: "The kubelet API runs commands in any pod on the node (`/exec`, `/run`) and reads their \
          logs and secrets. With anonymous auth (and AlwaysAllow authorization, KL602) anyone \
          reaching port 10250 is root on the node.",
    example: "# fails (KubeletConfiguration)\nauthentication:\n  anonymous:\n    enabled: true\n\
              # passes\nauthentication:\n  anonymous:\n    enabled: false",
    fix: "Set `authentication.anonymous.enabled: false` in the kubelet config file (or \
          `--anonymous-auth=false`), and restart the kubelet.",
    help: "set authentication.anonymous.enabled: false in the kubelet config (or --anonymous-auth=false)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["4.2.1"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::Kubelet, &META, &["4.2.1"], out) else {
            return;
        };
        if let Some(why) = crate::rules::kubelet_config_unreadable(c) {
            out.not_evaluated(&META, &["4.2.1"], &why);
            return;
        }
        let e = c.setting(
            Some("anonymous-auth"),
            &["authentication", "anonymous", "enabled"],
            Some("true"),
            Some("false"),
        );
        let ok = e.as_ref().is_some_and(|e| e.is_false());
        out.setting(
            &META,
            Some("4.2.1"),
            c,
            "anonymous-auth",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kubelet accepts anonymous requests ({})",
                    crate::rules::describe("anonymous-auth", e)
                )
            },
        );
    }
}
