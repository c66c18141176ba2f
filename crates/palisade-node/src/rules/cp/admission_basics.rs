//! CP508: the admission plugins every cluster relies on stay on, AlwaysAdmit stays off.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};
use crate::structured::admission_enabled;

static META: RuleMeta = RuleMeta {
    code: "CP508",
    name: "admission-plugin-basics",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.10, 1.2.12, 1.2.13 (and 1.2.3, 1.2.9, Manual)",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/",
    ],
    summary: "AlwaysAdmit is enabled, or ServiceAccount / NamespaceLifecycle admission is disabled",
    what: "The API server's admission plugins: `AlwaysAdmit` must not be enabled (CIS 1.2.10); \
           `ServiceAccount` (1.2.12) and `NamespaceLifecycle` (1.2.13), on by default, must not be \
           in `--disable-admission-plugins`. The Manual items `DenyServiceExternalIPs` (1.2.3) and \
           `EventRateLimit` (1.2.9) get a verdict in the benchmark report but no finding.",
    why: "AlwaysAdmit turns admission control off. Without ServiceAccount admission pods escape \
          service-account token handling; without NamespaceLifecycle objects can be created in \
          namespaces being deleted (and in non-existent ones).",
    example: "# fails\n- --enable-admission-plugins=AlwaysAdmit\n- --disable-admission-plugins=ServiceAccount\n\
              # passes\n- --enable-admission-plugins=NodeRestriction",
    fix: "Remove `AlwaysAdmit` from `--enable-admission-plugins` and `ServiceAccount` / \
          `NamespaceLifecycle` from `--disable-admission-plugins`.",
    help: "remove AlwaysAdmit; do not disable ServiceAccount or NamespaceLifecycle admission",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.2.3", "1.2.9", "1.2.10", "1.2.12", "1.2.13"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        let enabled = admission_enabled(c);
        let disabled = c.flag_or("disable-admission-plugins", None);
        let en = crate::rules::describe("--enable-admission-plugins", enabled.as_ref());
        let dis = crate::rules::describe("--disable-admission-plugins", disabled.as_ref());
        for (id, plugin) in [
            ("1.2.3", "DenyServiceExternalIPs"),
            ("1.2.9", "EventRateLimit"),
        ] {
            let has = enabled.as_ref().is_some_and(|e| e.has(plugin));
            out.item(
                &META,
                id,
                if has { Verdict::Pass } else { Verdict::Fail },
                en.clone(),
            );
        }
        let always = enabled.as_ref().is_some_and(|e| e.has("AlwaysAdmit"));
        out.setting(
            &META,
            Some("1.2.10"),
            c,
            "--enable-admission-plugins",
            enabled.as_ref(),
            !always,
            |_| format!("kube-apiserver enables AlwaysAdmit, which admits every request ({en})"),
        );
        for (id, plugin) in [
            ("1.2.12", "ServiceAccount"),
            ("1.2.13", "NamespaceLifecycle"),
        ] {
            let off = disabled.as_ref().is_some_and(|d| d.has(plugin));
            out.setting(
                &META,
                Some(id),
                c,
                "--disable-admission-plugins",
                disabled.as_ref(),
                !off,
                |_| format!("kube-apiserver disables the {plugin} admission plugin ({dis})"),
            );
        }
    }
}
