//! VA002 `gatekeeper-constraint-violation`: see [`crate::rule`] for why it has a code of its own
//! and how the policies are declared.

use palisade_core::{RuleMeta, Severity, VersionRange};

use crate::rule::AdmissionPolicies;
use crate::vap::Engine;

pub static META: RuleMeta = RuleMeta {
    code: "VA002",
    name: "gatekeeper-constraint-violation",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::ALL,
    pss_check: None,
    references: &[
        "https://open-policy-agent.github.io/gatekeeper/website/docs/validating-admission-policy/",
        "https://open-policy-agent.github.io/gatekeeper/website/docs/howto/",
    ],
    summary: "A Gatekeeper constraint in the input would not admit the object",
    what: "Every Gatekeeper ConstraintTemplate with K8sNativeValidation (CEL) code and every \
           Constraint of its kind found in the scanned files are evaluated offline as Gatekeeper's \
           CEL driver evaluates them on a CREATE: the constraint's spec.match (kinds, scope, \
           namespaces and excludedNamespaces with their globs, labelSelector, namespaceSelector, \
           name), variables.anyObject and variables.params (the constraint's spec.parameters), the \
           template's matchConditions, variables and validations, its failurePolicy. \
           enforcementAction deny gives a high finding, warn medium, dryrun low (audit only). \
           Templates with Rego code only are NOT EVALUATED: Palisade runs no Rego.",
    why: "Gatekeeper policies are found out at deploy time; judging them with the manifests \
          finds what they reject in review.",
    example: "# fails: with K8sRequiredLabels 'must-have-owner' (labels: [{key: owner}])\n\
              kind: Namespace\nmetadata:\n  name: shop\n# passes\nkind: Namespace\n\
              metadata:\n  name: shop\n  labels:\n    owner: team-a",
    fix: "Change the object so that the template's validation holds, or the constraint's match or \
          parameters if they are wrong.",
    help: "Gatekeeper would refuse this object; see the constraint's message",
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&AdmissionPolicies(Engine::Gatekeeper)),
});
