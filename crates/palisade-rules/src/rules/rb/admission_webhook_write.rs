//! RB222 `admission-webhook-write`: a subject may change admission webhooks or policies.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB222",
    name: "admission-webhook-write",
    severity: Severity::High,
    guide: "AdmissionController",
    versions: VersionRange::since(KubeVersion::v1(9)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#control-admission-webhooks",
        "https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/",
    ],
    summary: "A subject may create, change or delete admission webhook configurations",
    what: "ClusterRoleBindings are resolved to their rules; each subject that may `create`, \
           `update`, `patch` or `delete` ValidatingWebhookConfigurations, \
           MutatingWebhookConfigurations or ValidatingAdmissionPolicies (and their bindings) \
           is reported (control-plane identities excepted; full control is RB210).",
    why: "A mutating webhook sees, and may rewrite, every object it registers for: Secrets as \
          they are created, pods as they are scheduled (adding a privileged container). \
          Deleting or loosening a validating webhook or policy switches off the controls the \
          guide's admission items rely on.",
    example: "# fails\nrules:\n- apiGroups: [admissionregistration.k8s.io]\n  resources: \
              [mutatingwebhookconfigurations]\n  verbs: [create, update, patch]\n\
              # passes: restricted to the operator's own configuration\nrules:\n\
              - apiGroups: [admissionregistration.k8s.io]\n  resources: \
              [mutatingwebhookconfigurations]\n  resourceNames: [my-operator]\n  verbs: [get, \
              update, patch]",
    fix: "Restrict the rule with `resourceNames` to the webhook configuration the operator \
          owns (operators patching their CA bundle need `get`/`update`/`patch` on one name \
          only), and keep `create`/`delete` for cluster administrators.",
    help: "restrict admission webhook write access with resourceNames",
};

pub(crate) static RULE: GrantRule = GrantRule {
    meta: &META,
    probes: PROBES,
    subjects: Subjects::Ordinary,
    what,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

const ADM: &str = "admissionregistration.k8s.io";

const PROBES: &[Probe] = &[
    Probe::new("create", ADM, "mutatingwebhookconfigurations").cluster(),
    Probe::new("update", ADM, "mutatingwebhookconfigurations").cluster(),
    Probe::new("patch", ADM, "mutatingwebhookconfigurations").cluster(),
    Probe::new("delete", ADM, "mutatingwebhookconfigurations").cluster(),
    Probe::new("create", ADM, "validatingwebhookconfigurations").cluster(),
    Probe::new("update", ADM, "validatingwebhookconfigurations").cluster(),
    Probe::new("patch", ADM, "validatingwebhookconfigurations").cluster(),
    Probe::new("delete", ADM, "validatingwebhookconfigurations").cluster(),
    Probe::new("update", ADM, "validatingadmissionpolicies").cluster(),
    Probe::new("delete", ADM, "validatingadmissionpolicies").cluster(),
    Probe::new("delete", ADM, "validatingadmissionpolicybindings").cluster(),
];

fn what(perms: &[Probe]) -> String {
    format!(
        "may rewrite or switch off admission control ({})",
        crate::rbac::labels(perms)
    )
}
