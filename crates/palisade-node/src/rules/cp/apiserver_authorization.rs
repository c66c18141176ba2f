//! CP501: the API server authorizes with RBAC and Node, never AlwaysAllow.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::component::ComponentKind;
use crate::discover::Inventory;
use crate::rules::{require, NodeRule, Outcomes, Verdict};
use crate::structured::apiserver_authorizers;

static META: RuleMeta = RuleMeta {
    code: "CP501",
    name: "apiserver-authorization-mode",
    severity: Severity::Critical,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark 1.2.6, 1.2.7, 1.2.8",
        "https://kubernetes.io/docs/reference/access-authn-authz/authorization/",
    ],
    summary: "The API server does not authorize with Node and RBAC, or allows everything",
    what: "The API server's authorizers: `--authorization-mode` (default `AlwaysAllow`), or the \
           `authorizers` of the structured `--authorization-config` file (1.29+). Fails when \
           `AlwaysAllow` is among them (CIS 1.2.6), when `Node` is missing (1.2.7) or when `RBAC` \
           is missing (1.2.8). kube-bench reads only the flag and fails all three on an API server \
           configured through `--authorization-config`; Palisade reads the file.",
    why: "With AlwaysAllow every authenticated request is allowed: any service account token or \
          node credential is cluster-admin. Without the Node authorizer a kubelet can read every \
          Secret in the cluster; without RBAC there is no fine-grained access control.",
    example: "# fails\n- --authorization-mode=AlwaysAllow\n# passes\n- --authorization-mode=Node,RBAC",
    fix: "Set `--authorization-mode=Node,RBAC` in the API server's static pod manifest, or list \
          `Node` and `RBAC` authorizers (and no `AlwaysAllow`) in the authorization config.",
    help: "set --authorization-mode=Node,RBAC (or Node and RBAC authorizers in --authorization-config)",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

const CIS: &[&str] = &["1.2.6", "1.2.7", "1.2.8"];

impl NodeRule for Rule {
    fn cis(&self) -> &'static [&'static str] {
        CIS
    }

    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = require(inv, ComponentKind::ApiServer, &META, CIS, out) else {
            return;
        };
        let authz = match apiserver_authorizers(c) {
            Ok(a) => a,
            Err(e) => {
                out.not_evaluated(&META, CIS, &format!("authorization config: {e}"));
                return;
            }
        };
        let evidence = format!("authorizers {} ({})", authz.value, authz.source);
        let location = c.location_of(Some(&authz));
        for (id, mode, want) in [
            ("1.2.6", "AlwaysAllow", false),
            ("1.2.7", "Node", true),
            ("1.2.8", "RBAC", true),
        ] {
            let ok = authz.has(mode) == want;
            out.item(
                &META,
                id,
                if ok { Verdict::Pass } else { Verdict::Fail },
                evidence.clone(),
            );
            if !ok {
                let msg = if want {
                    format!(
                        "kube-apiserver authorization does not include {mode} (authorizers: {}, from {})",
                        authz.value, authz.source
                    )
                } else {
                    format!(
                        "kube-apiserver allows every authenticated request: AlwaysAllow is an authorizer (from {})",
                        authz.source
                    )
                };
                out.report(&META, Some(c.kind), location.clone(), msg);
            }
        }
    }
}
