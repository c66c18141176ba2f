//! CP509: the NodeRestriction admission plugin.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};
use crate::structured::admission_enabled;

static META: RuleMeta = RuleMeta {
    code: "CP509",
    name: "node-restriction-admission",
    severity: Severity::High,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.14",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction",
    ],
    summary: "The NodeRestriction admission plugin is not enabled",
    what: "Whether `NodeRestriction` is in the API server's `--enable-admission-plugins` (it is \
           not on by default; kubeadm enables it).",
    why: "NodeRestriction limits a kubelet to its own Node object and the pods bound to it. \
          Without it a compromised node can relabel other nodes (attracting workloads with \
          secrets) and edit any pod's status.",
    example: "# fails\n- --enable-admission-plugins=AlwaysPullImages\n# passes\n\
              - --enable-admission-plugins=NodeRestriction,AlwaysPullImages",
    fix: "Add `NodeRestriction` to `--enable-admission-plugins` (with the `Node` authorizer).",
    help: "add NodeRestriction to --enable-admission-plugins",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.2.14"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, &["1.2.14"], out) else {
            return;
        };
        let e = admission_enabled(c);
        let ok = e.as_ref().is_some_and(|e| e.has("NodeRestriction"));
        out.setting(
            &META,
            Some("1.2.14"),
            c,
            "--enable-admission-plugins",
            e.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-apiserver does not enable NodeRestriction ({})",
                    crate::rules::describe("--enable-admission-plugins", e)
                )
            },
        );
    }
}
