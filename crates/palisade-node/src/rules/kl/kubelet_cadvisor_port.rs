//! KL610: the kubelet's cAdvisor port is closed (Kubernetes before 1.12).

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "KL610",
    name: "kubelet-cadvisor-port",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::until(KubeVersion::v1(12)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.0/1.3.0 for Kubernetes 1.8–1.11: 2.1.11–2.1.13 (by benchmark \
         version) \"Ensure that the --cadvisor-port argument is set to 0\"",
        "https://github.com/kubernetes/kubernetes/pull/59827",
    ],
    summary: "The kubelet serves cAdvisor without authentication (before 1.12)",
    what: "Kubelets before 1.12 have `--cadvisor-port`, which serves the cAdvisor UI and API on \
           every interface without authentication. The flag must be `0`. Its default was 4194 \
           before 1.10 and 0 in 1.10 and 1.11; from 1.12 the port is gone (a leftover flag is \
           CP518's business).",
    why: "cAdvisor describes every container on the node (names, images, resource use, \
          processes) to anyone who reaches the port.",
    example: "# fails (1.9)\nExecStart=/usr/bin/kubelet --cadvisor-port=4194\n# passes\n\
              ExecStart=/usr/bin/kubelet --cadvisor-port=0",
    fix: "Set `--cadvisor-port=0` (and upgrade: 1.11 is long out of support).",
    help: "set --cadvisor-port=0",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = inv.component(ComponentKind::Kubelet) else {
            return;
        };
        if c.version >= KubeVersion::v1(12) {
            return;
        }
        let default = if c.version >= KubeVersion::v1(10) {
            "0"
        } else {
            "4194"
        };
        let e = c.flag_or("cadvisor-port", Some(default));
        let ok = e.as_ref().is_some_and(|e| e.value.trim() == "0");
        out.setting(&META, None, c, "--cadvisor-port", e.as_ref(), ok, |e| {
            format!(
                "kubelet {} serves cAdvisor without authentication ({})",
                c.version,
                crate::rules::describe("--cadvisor-port", e)
            )
        });
    }
}
