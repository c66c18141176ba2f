//! CP510: the API server writes an audit log under a policy.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};
use crate::structured::audit_policy_rules;

static META: RuleMeta = RuleMeta {
    code: "CP510",
    name: "apiserver-audit-log",
    severity: Severity::High,
    guide: "Securing a Cluster (by Kubernetes project)",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.16, 3.2.1 (Manual)",
        "https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",
    ],
    summary: "The API server keeps no audit log",
    what: "`--audit-log-path` (CIS 1.2.16) and `--audit-policy-file` (3.2.1): the policy file is \
           read, and a policy with no rules records nothing. (A webhook backend, \
           `--audit-webhook-config-file`, also counts as an audit log.)",
    why: "Without an audit log nobody can tell who read a Secret, exec'ed into a pod or changed \
          RBAC: incidents cannot be investigated.",
    example: "# fails\n(no --audit-log-path)\n# passes\n- --audit-log-path=/var/log/kubernetes/audit.log\n\
              - --audit-policy-file=/etc/kubernetes/audit-policy.yaml",
    fix: "Write an audit policy (at least Metadata for everything, no request bodies for Secrets) \
          and set `--audit-policy-file` and `--audit-log-path` (mount both into the static pod).",
    help: "set --audit-policy-file and --audit-log-path",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.2.16", "3.2.1"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        let path = c.flag_or("audit-log-path", None);
        let webhook = c.flag_or("audit-webhook-config-file", None);
        out.item(
            &META,
            "1.2.16",
            if path.is_some() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            crate::rules::describe("--audit-log-path", path.as_ref()),
        );
        let policy = c.flag_or("audit-policy-file", None);
        let rules = audit_policy_rules(c);
        let policy_evidence = match (&policy, &rules) {
            (Some(p), Some(Ok(n))) => format!(
                "{} with {n} rules",
                crate::rules::flag_text("audit-policy-file", p)
            ),
            (Some(p), Some(Err(e))) => {
                format!("{}: {e}", crate::rules::flag_text("audit-policy-file", p))
            }
            _ => crate::rules::describe("--audit-policy-file", policy.as_ref()),
        };
        out.item(
            &META,
            "3.2.1",
            if policy.is_some() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            policy_evidence.clone(),
        );
        let backend = path.is_some() || webhook.is_some();
        let problem = if !backend {
            Some("kube-apiserver writes no audit log (--audit-log-path not set)".to_owned())
        } else if policy.is_none() {
            Some("kube-apiserver has no audit policy (--audit-policy-file not set): nothing is audited".to_owned())
        } else if matches!(rules, Some(Ok(0))) {
            Some(format!(
                "the audit policy has no rules: nothing is audited ({policy_evidence})"
            ))
        } else {
            None
        };
        if let Some(msg) = problem {
            let at = if backend { policy.as_ref() } else { None };
            out.report(&META, Some(c.kind), c.location_of(at), msg);
        }
    }
}
