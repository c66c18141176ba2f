//! CP514: the controller manager and scheduler serve on loopback only.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP514",
    name: "control-plane-bind-address",
    severity: Severity::High,
    guide: "Firewall ports",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.3.7, 1.4.2",
        "https://kubernetes.io/docs/reference/networking/ports-and-protocols/",
    ],
    summary: "The controller manager or scheduler listens on every interface",
    what: "`--bind-address` of kube-controller-manager (port 10257, CIS 1.3.7) and kube-scheduler \
           (10259, 1.4.2) must be `127.0.0.1`. The flag defaults to `0.0.0.0`, so an unset flag \
           fails here. kube-bench passes an unset flag (its test accepts \"not set\"), which \
           contradicts the component's default; Palisade deliberately differs.",
    why: "The guide: bind to 127.0.0.1 where you can, firewall where you cannot. These ports \
          expose metrics, health and (with profiling) debug endpoints to the network.",
    example: "# fails\n- --bind-address=0.0.0.0   # or no --bind-address\n# passes\n- --bind-address=127.0.0.1",
    fix: "Set `--bind-address=127.0.0.1` (kubeadm does) and scrape metrics through the API \
          server or a node-local agent.",
    help: "set --bind-address=127.0.0.1",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.3.7", "1.4.2"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        for (kind, id) in [
            (ComponentKind::ControllerManager, "1.3.7"),
            (ComponentKind::Scheduler, "1.4.2"),
        ] {
            let Some(c) = require(inv, kind, &META, &[id], out) else {
                continue;
            };
            let e = c.flag_or("bind-address", Some("0.0.0.0"));
            let ok = e.as_ref().is_some_and(|e| is_loopback(&e.value));
            out.setting(&META, Some(id), c, "--bind-address", e.as_ref(), ok, |e| {
                format!(
                    "{kind} listens beyond loopback ({})",
                    crate::rules::describe("--bind-address", e)
                )
            });
        }
    }
}

/// `127.0.0.1`, `127.x.y.z`, `::1`, `localhost`, with or without a port.
pub fn is_loopback(addr: &str) -> bool {
    let a = addr.trim();
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if a.matches(':').count() == 1 {
        a.split(':').next().unwrap_or(a)
    } else {
        a
    };
    host.starts_with("127.") || host == "::1" || host == "localhost"
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_forms() {
        for a in [
            "127.0.0.1",
            "127.0.0.1:10249",
            "[::1]:10249",
            "::1",
            "localhost",
        ] {
            assert!(super::is_loopback(a), "{a}");
        }
        for a in ["0.0.0.0", "0.0.0.0:10249", "10.0.0.1", "::", ""] {
            assert!(!super::is_loopback(a), "{a}");
        }
    }
}
