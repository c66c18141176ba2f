//! CP518: flags and admission plugins that are inert or gone in the component's version.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};
use crate::structured::admission_enabled;

static META: RuleMeta = RuleMeta {
    code: "CP518",
    name: "stale-component-flag",
    severity: Severity::Low,
    guide: "Insecure Port",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/",
    ],
    summary: "A flag or admission plugin is deprecated, inert or removed in this version",
    what: "Flags the component's version ignores or no longer has: `--insecure-port` (inert \
           from 1.20, removed in 1.24), `--insecure-bind-address` (same), `--admission-control` \
           (deprecated since 1.10 for `--enable-admission-plugins`), the kubelet's \
           `--cadvisor-port` (removed in 1.12); and admission plugins that no longer exist: \
           `DenyEscalatingExec` (removed in 1.21), `PodSecurityPolicy` (removed in 1.25).",
    why: "A stale flag says something about the configuration that is no longer true: a \
          reviewer reading `--insecure-port=0` believes it protects something, a listed \
          `PodSecurityPolicy` looks like pod security while nothing enforces it; a removed flag \
          or plugin stops the component from starting at the next upgrade.",
    example: "# fails (1.25+)\n- --enable-admission-plugins=NodeRestriction,PodSecurityPolicy\n\
              # passes\n- --enable-admission-plugins=NodeRestriction",
    fix: "Remove the flag or plugin; use the replacement named in the finding.",
    help: "remove the stale flag or plugin (see the message for its replacement)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

/// (component, flag, inert from, removed in, what to use instead)
const FLAGS: &[(ComponentKind, &str, u32, Option<u32>, &str)] = &[
    (
        ComponentKind::ApiServer,
        "insecure-port",
        20,
        Some(24),
        "nothing: insecure serving is gone",
    ),
    (
        ComponentKind::ApiServer,
        "insecure-bind-address",
        20,
        Some(24),
        "nothing: insecure serving is gone",
    ),
    (
        ComponentKind::ApiServer,
        "admission-control",
        10,
        None,
        "--enable-admission-plugins / --disable-admission-plugins",
    ),
    (
        ComponentKind::Kubelet,
        "cadvisor-port",
        12,
        Some(12),
        "nothing: the cAdvisor port is gone",
    ),
];

/// (plugin, removed in, replacement)
const PLUGINS: &[(&str, u32, &str)] = &[
    (
        "DenyEscalatingExec",
        21,
        "Pod Security Admission (baseline) and RBAC on pods/exec",
    ),
    ("PodSecurityPolicy", 25, "Pod Security Admission"),
];

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        for &(kind, flag, inert, removed, instead) in FLAGS {
            let Some(c) = inv.component(kind) else {
                continue;
            };
            let Some(f) = c.flag(flag) else { continue };
            let v = c.version;
            if v < KubeVersion::v1(inert) {
                continue;
            }
            let state = match removed {
                Some(r) if v >= KubeVersion::v1(r) => format!("was removed in v1.{r}"),
                _ => format!("is deprecated or inert since v1.{inert}"),
            };
            let loc = c.location_of(Some(&crate::component::Effective {
                value: f.text().to_owned(),
                source: f.source.clone(),
            }));
            out.report(
                &META,
                Some(kind),
                loc,
                format!("{kind} {v}: --{flag} {state}; use {instead}"),
            );
        }
        if let Some(c) = inv.component(ComponentKind::ApiServer) {
            if let Some(e) = admission_enabled(c) {
                for &(plugin, removed, instead) in PLUGINS {
                    if c.version >= KubeVersion::v1(removed) && e.has(plugin) {
                        out.report(
                            &META,
                            Some(c.kind),
                            c.location_of(Some(&e)),
                            format!(
                                "kube-apiserver {}: admission plugin {plugin} was removed in v1.{removed} \
                                 (the API server will not start with it); use {instead}",
                                c.version
                            ),
                        );
                    }
                }
            }
        }
    }
}
