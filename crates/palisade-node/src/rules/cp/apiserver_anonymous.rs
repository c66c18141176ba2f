//! CP502: anonymous requests to the API server are off, or limited to health checks.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};
use crate::structured::{apiserver_anonymous, Anonymous, HEALTH_PATHS};

static META: RuleMeta = RuleMeta {
    code: "CP502",
    name: "apiserver-anonymous-auth",
    severity: Severity::Critical,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.1",
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#anonymous-authenticator-configuration",
    ],
    summary: "The API server accepts anonymous requests beyond health checks",
    what: "Anonymous authentication of the API server: the `anonymous` section of the structured \
           `--authentication-config` file when it has one (1.32+: `enabled` and `conditions`), \
           else `--anonymous-auth` (default `true`). Passes when anonymous access is off, or on \
           only for `/healthz`, `/livez` and `/readyz`. kube-bench reads only the flag and fails \
           an API server that limits anonymous access through the structured config; Palisade \
           reads the file.",
    why: "Anonymous requests run as `system:anonymous`. Any RoleBinding to `system:unauthenticated` \
          or `system:anonymous` (added by mistake, or by an old installer) then opens the API to \
          the network.",
    example: "# fails\n- --anonymous-auth=true\n# passes\n- --anonymous-auth=false\n# passes (1.32+)\n\
              anonymous:\n  enabled: true\n  conditions:\n  - path: /livez\n  - path: /readyz",
    fix: "Set `--anonymous-auth=false`, or (1.32+) an `anonymous` section in the \
          AuthenticationConfiguration that allows only the health endpoints.",
    help: "set --anonymous-auth=false, or limit anonymous access to /livez, /readyz, /healthz in --authentication-config",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.2.1"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        match apiserver_anonymous(c) {
            Anonymous::Unknown(e) => {
                out.not_evaluated(&META, CIS, &format!("authentication config: {e}"))
            }
            Anonymous::Disabled(source) => out.item(
                &META,
                "1.2.1",
                Verdict::Pass,
                format!("anonymous auth disabled ({source})"),
            ),
            Anonymous::Limited { paths, source } => {
                let wide: Vec<&String> = paths
                    .iter()
                    .filter(|p| !HEALTH_PATHS.contains(&p.as_str()))
                    .collect();
                let evidence = format!("anonymous auth only for {} ({source})", paths.join(", "));
                if wide.is_empty() {
                    out.item(&META, "1.2.1", Verdict::Pass, evidence);
                } else {
                    out.item(&META, "1.2.1", Verdict::Fail, evidence);
                    let loc = source.location().unwrap_or_else(|| c.defined_in.clone());
                    out.report(
                        &META,
                        Some(c.kind),
                        loc,
                        format!(
                            "kube-apiserver accepts anonymous requests to {} (beyond health checks)",
                            wide.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    );
                }
            }
            Anonymous::Enabled(source) => {
                out.item(
                    &META,
                    "1.2.1",
                    Verdict::Fail,
                    format!("anonymous auth enabled ({source})"),
                );
                let loc = source.location().unwrap_or_else(|| c.defined_in.clone());
                out.report(
                    &META,
                    Some(c.kind),
                    loc,
                    format!("kube-apiserver accepts anonymous requests on every path ({source})"),
                );
            }
        }
    }
}
