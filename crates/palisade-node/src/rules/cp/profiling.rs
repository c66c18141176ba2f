//! CP504: profiling endpoints of the API server, controller manager and scheduler are off.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP504",
    name: "profiling-enabled",
    severity: Severity::Medium,
    guide: "Disable Profiling",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.15, 1.3.2, 1.4.1",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
    ],
    summary: "A control-plane component serves /debug/pprof profiling",
    what: "`--profiling` of kube-apiserver (CIS 1.2.15), kube-controller-manager (1.3.2) and \
           kube-scheduler (1.4.1). The flag defaults to `true`, so an unset flag fails.",
    why: "Profiling data reveals program internals, and collecting it loads the component: a \
          client allowed to reach `/debug/pprof` can slow the control plane down.",
    example:
        "# fails\n- --profiling=true   # or no --profiling at all\n# passes\n- --profiling=false",
    fix: "Add `--profiling=false` to each component's static pod manifest (or `*-arg` entry of \
          k3s/RKE2 `config.yaml`).",
    help: "set --profiling=false",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const ITEMS: &[(ComponentKind, &str)] = &[
    (ComponentKind::ApiServer, "1.2.15"),
    (ComponentKind::ControllerManager, "1.3.2"),
    (ComponentKind::Scheduler, "1.4.1"),
];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.2.15", "1.3.2", "1.4.1"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        for &(kind, id) in ITEMS {
            let Some(c) = require(inv, kind, &META, &[id], out) else {
                continue;
            };
            let e = c.flag_or("profiling", Some("true"));
            let ok = e.as_ref().is_some_and(|e| e.is_false());
            out.setting(&META, Some(id), c, "--profiling", e.as_ref(), ok, |e| {
                format!(
                    "{kind} serves profiling data ({})",
                    crate::rules::describe("--profiling", e)
                )
            });
        }
    }
}
