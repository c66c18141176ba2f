//! RB220 `service-account-token-create`: a subject may mint tokens for service accounts.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::{keep_rbac, report_probes, report_probes_where, Probe, RbacModel, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB220",
    name: "service-account-token-create",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(22)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalation-paths",
        "https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/",
    ],
    summary: "A subject may create tokens for service accounts (serviceaccounts/token)",
    what: "Bindings are resolved to their rules; each subject that may `create` \
           `serviceaccounts/token` is reported, and each that may create \
           Secrets in `kube-system` (through a ClusterRoleBinding or a RoleBinding there): a \
           Secret of type `kubernetes.io/service-account-token` naming an account is filled \
           in with its token. Control-plane identities are excepted; full control is RB210.",
    why: "The TokenRequest API issues a token for any service account the holder may name: \
          with this right one acts as every service account in scope, the most privileged \
          controller included.",
    example: "# fails\nrules:\n- apiGroups: [\"\"]\n  resources: [serviceaccounts/token]\n  verbs: \
              [create]\n# passes: restricted to one account\nrules:\n- apiGroups: [\"\"]\n  \
              resources: [serviceaccounts/token]\n  resourceNames: [builder]\n  verbs: [create]",
    fix: "Restrict the rule with `resourceNames` to the accounts the subject must mint tokens \
          for, in their namespace only.",
    help: "restrict serviceaccounts/token create with resourceNames",
};

pub struct TokenCreate;

pub static RULE: TokenCreate = TokenCreate;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

const PROBES: &[Probe] = &[Probe::new("create", "", "serviceaccounts").sub("token")];

/// Where the controllers' highly privileged service accounts live.
const PRIVILEGED_NAMESPACE: &str = "kube-system";

/// Only `create`: a Secret's `type` is immutable, and the token controller checks the account's
/// UID annotation, so updating an existing Secret mints nothing.
const SECRET_PROBES: &[Probe] = &[Probe::new("create", "", "secrets")];

fn what_secrets(perms: &[Probe]) -> String {
    format!(
        "may create Secrets in kube-system ({}), and with a Secret of type \
         kubernetes.io/service-account-token naming one of its accounts mint a token for the \
         control plane's own controllers",
        crate::rbac::labels(perms)
    )
}

fn what(perms: &[Probe]) -> String {
    format!(
        "may mint tokens for any service account ({})",
        crate::rbac::labels(perms)
    )
}

impl InventoryRule for TokenCreate {
    fn keep(&self, object: &Object) -> Option<Keep> {
        keep_rbac(object)
    }

    fn keep_group(&self) -> Option<&'static str> {
        Some("rbac")
    }

    fn reads(&self) -> &'static str {
        crate::rbac::READS
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        report_probes(
            &META,
            kept.model::<RbacModel>(cx).borrow_dependent(),
            findings,
            PROBES,
            Subjects::Ordinary,
            &what,
            "",
        );
        // A Secret of type kubernetes.io/service-account-token naming an account is filled in
        // with a token for it by the control plane: writing Secrets where the control plane's
        // own accounts live mints their tokens.
        report_probes_where(
            &META,
            kept.model::<RbacModel>(cx).borrow_dependent(),
            findings,
            SECRET_PROBES,
            Subjects::Ordinary,
            &what_secrets,
            "",
            &|b| b.cluster || b.namespace == PRIVILEGED_NAMESPACE,
        );
    }
}
