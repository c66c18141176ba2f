//! CP513: the controller manager uses per-controller credentials and the cluster's keys.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};

static META: RuleMeta = RuleMeta {
    code: "CP513",
    name: "controller-manager-credentials",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.3.3, 1.3.4, 1.3.5, 1.3.6 (and 1.3.1, Manual)",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-controller-manager/",
    ],
    summary: "The controller manager shares one credential, or lacks its service-account keys",
    what: "kube-controller-manager: `--use-service-account-credentials=true` (1.3.3; default \
           false), `--service-account-private-key-file` (1.3.4), `--root-ca-file` (1.3.5), and \
           no `RotateKubeletServerCertificate=false` in `--feature-gates` (1.3.6). \
           `--terminated-pod-gc-threshold` (1.3.1, Manual) gets a benchmark verdict only.",
    why: "With one shared credential every controller has the union of all controllers' \
          permissions; without the signing key and root CA, service account tokens and their CA \
          bundle are not issued properly.",
    example: "# fails\n(no --use-service-account-credentials)\n# passes\n- --use-service-account-credentials=true",
    fix: "Set the flags in the controller manager's static pod manifest (kubeadm sets them all).",
    help: "set --use-service-account-credentials=true, --service-account-private-key-file and --root-ca-file",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.3.1", "1.3.3", "1.3.4", "1.3.5", "1.3.6"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ControllerManager, &META, CIS, out) else {
            return;
        };
        let gc = c.flag_or("terminated-pod-gc-threshold", None);
        out.item(
            &META,
            "1.3.1",
            if gc.is_some() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            crate::rules::describe("--terminated-pod-gc-threshold", gc.as_ref()),
        );
        // kube-bench: `noteq false`, which an unset flag fails too (the default is false).
        let sa = c.flag_or("use-service-account-credentials", Some("false"));
        let ok = sa.as_ref().is_some_and(|e| e.is_true());
        out.setting(
            &META,
            Some("1.3.3"),
            c,
            "--use-service-account-credentials",
            sa.as_ref(),
            ok,
            |e| {
                format!(
                    "kube-controller-manager runs all controllers with one shared credential ({})",
                    crate::rules::describe("--use-service-account-credentials", e)
                )
            },
        );
        for (id, flag) in [
            ("1.3.4", "service-account-private-key-file"),
            ("1.3.5", "root-ca-file"),
        ] {
            let e = c.flag_or(flag, None);
            out.setting(
                &META,
                Some(id),
                c,
                &format!("--{flag}"),
                e.as_ref(),
                e.is_some(),
                |_| format!("kube-controller-manager has no --{flag}"),
            );
        }
        let gates = c.flag_or("feature-gates", None);
        let off = gates
            .as_ref()
            .is_some_and(|g| g.has("RotateKubeletServerCertificate=false"));
        out.setting(
            &META,
            Some("1.3.6"),
            c,
            "--feature-gates",
            gates.as_ref(),
            !off,
            |e| {
                format!(
                    "kube-controller-manager disables RotateKubeletServerCertificate ({})",
                    crate::rules::describe("--feature-gates", e)
                )
            },
        );
    }
}
