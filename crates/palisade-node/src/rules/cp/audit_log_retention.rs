//! CP519: audit log files are kept long enough.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes};

static META: RuleMeta = RuleMeta {
    code: "CP519",
    name: "audit-log-retention",
    severity: Severity::Low,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.17, 1.2.18, 1.2.19",
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
    ],
    summary: "Audit log rotation keeps too little history",
    what: "`--audit-log-maxage` ≥ 30 days (CIS 1.2.17), `--audit-log-maxbackup` ≥ 10 files \
           (1.2.18), `--audit-log-maxsize` ≥ 100 MB (1.2.19). Checked only when the API server \
           writes an audit log file; as in kube-bench, an unset flag fails.",
    why: "An incident is often found weeks later; rotated-away audit logs cannot tell what \
          happened.",
    example: "# fails\n- --audit-log-maxage=7\n# passes\n- --audit-log-maxage=30\n\
              - --audit-log-maxbackup=10\n- --audit-log-maxsize=100",
    fix: "Set the three flags (or ship the audit log to central storage and document it).",
    help: "set --audit-log-maxage=30, --audit-log-maxbackup=10, --audit-log-maxsize=100",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const ITEMS: &[(&str, &str, i64)] = &[
    ("1.2.17", "audit-log-maxage", 30),
    ("1.2.18", "audit-log-maxbackup", 10),
    ("1.2.19", "audit-log-maxsize", 100),
];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        &["1.2.17", "1.2.18", "1.2.19"]
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let cis = self.cis();
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, cis, out) else {
            return;
        };
        let logging = c.flag("audit-log-path").is_some();
        for &(id, flag, min) in ITEMS {
            let e = c.flag_or(flag, None);
            let ok = e
                .as_ref()
                .and_then(|e| e.value.trim().parse::<i64>().ok())
                .is_some_and(|n| n >= min);
            if logging {
                out.setting(
                    &META,
                    Some(id),
                    c,
                    &format!("--{flag}"),
                    e.as_ref(),
                    ok,
                    |e| {
                        format!(
                            "kube-apiserver audit log retention below {min} ({})",
                            crate::rules::describe(&format!("--{flag}"), e)
                        )
                    },
                );
            } else {
                // kube-bench fails these without a log path too; there is no log to keep.
                out.item(
                    &META,
                    id,
                    crate::rules::Verdict::Fail,
                    format!(
                        "{} (no --audit-log-path)",
                        crate::rules::describe(&format!("--{flag}"), e.as_ref())
                    ),
                );
            }
        }
    }
}
