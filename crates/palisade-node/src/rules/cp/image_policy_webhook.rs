//! CP520: the ImagePolicyWebhook admission plugin, when enabled, fails closed with a backend.

use palisade_core::{Location, RuleMeta, Severity, VersionRange};

use crate::component::{ComponentKind, Resolved};
use crate::discover::Inventory;
use crate::rules::{NodeRule, Outcomes};
use crate::structured::{image_policy, ImagePolicy};

static META: RuleMeta = RuleMeta {
    code: "CP520",
    name: "image-policy-webhook",
    severity: Severity::Medium,
    guide: "Restrict image pull",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook",
    ],
    summary: "ImagePolicyWebhook is enabled but lets images through when its backend fails",
    what: "When kube-apiserver enables the `ImagePolicyWebhook` admission plugin, its configuration \
           (inline in `--admission-control-config-file`, or the plugin's own file named by \
           `path:`) must name a backend (`kubeConfigFile`, a file present on the node) and keep \
           `defaultAllow: false`. A node where the plugin is not enabled gets no finding: image \
           pulls may be restricted by a validating webhook instead, which the cluster audit sees.",
    why: "The guide's answer to untrusted images is an admission backend that decides which \
          images may run. With `defaultAllow: true` every pod is admitted whenever the backend is \
          slow or down — an attacker who can overload it, or an outage, turns the restriction \
          off. Without a backend the API server does not start.",
    example: "# fails\nimagePolicy:\n  kubeConfigFile: /etc/kubernetes/image-policy.kubeconfig\n  \
              defaultAllow: true\n# passes\nimagePolicy:\n  kubeConfigFile: \
              /etc/kubernetes/image-policy.kubeconfig\n  allowTTL: 50\n  denyTTL: 50\n  \
              retryBackoff: 500\n  defaultAllow: false",
    fix: "Set `defaultAllow: false` and point `kubeConfigFile` at the image policy backend's \
          kubeconfig (mounted into the API server's static pod).",
    help: "set imagePolicy.defaultAllow: false and a kubeConfigFile present on the node",
};

pub struct Rule;
pub static RULE: Rule = Rule;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Node(&(&RULE as &'static dyn crate::rules::NodeRule)),
});

impl NodeRule for Rule {
    fn check(&self, inv: &Inventory, out: &mut Outcomes) {
        let Some(c) = inv.component(ComponentKind::ApiServer) else {
            return;
        };
        match image_policy(c) {
            ImagePolicy::NotEnabled | ImagePolicy::Unknown(_) => {}
            ImagePolicy::NotConfigured(enabled) => out.report(
                &META,
                Some(c.kind),
                c.location_of(enabled.as_ref()),
                "kube-apiserver enables ImagePolicyWebhook without configuring it in \
                 --admission-control-config-file (the API server will not start)",
            ),
            ImagePolicy::Configured {
                kubeconfig,
                default_allow,
            } => {
                if let (true, source) = &default_allow {
                    out.report(
                        &META,
                        Some(c.kind),
                        source
                            .as_ref()
                            .and_then(|s| s.location())
                            .unwrap_or_else(|| c.defined_in.clone()),
                        format!(
                            "ImagePolicyWebhook admits every image when its backend is \
                             unreachable (defaultAllow: true{})",
                            source
                                .as_ref()
                                .map(|s| format!(" at {s}"))
                                .unwrap_or_default()
                        ),
                    );
                }
                match kubeconfig {
                    None => out.report(
                        &META,
                        Some(c.kind),
                        c.defined_in.clone(),
                        "ImagePolicyWebhook has no kubeConfigFile: no backend decides on images",
                    ),
                    Some((path, source)) => {
                        let node_path = match c.resolve_path(&path) {
                            Resolved::Node(p) => p,
                            Resolved::Elsewhere(_) => return,
                        };
                        if let Some(Err(e)) = inv.files.get(&node_path) {
                            if e.is_not_found() {
                                out.report(
                                    &META,
                                    Some(c.kind),
                                    source.location().unwrap_or_else(|| Location::Path {
                                        path: node_path.as_str().into(),
                                        pos: None,
                                    }),
                                    format!(
                                        "ImagePolicyWebhook's kubeConfigFile {path} ({source}) \
                                         is not on the node: the backend cannot be reached"
                                    ),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
