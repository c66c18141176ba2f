//! RB218 `escalate-bind-impersonate`: a subject holds one of the verbs that bypass RBAC's own
//! escalation checks.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB218",
    name: "escalate-bind-impersonate",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.8: Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster",
        "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
        "https://kubernetes.io/docs/reference/access-authn-authz/authentication/#user-impersonation",
    ],
    summary: "A subject may escalate or bind roles, or impersonate users, groups or service accounts",
    what: "Bindings are resolved to their rules; each subject that may `escalate` or `bind` \
           Roles or ClusterRoles, or `impersonate` users, groups, service accounts or UIDs, is \
           reported (control-plane identities excepted; full control is RB210). Impersonating \
           users, groups and UIDs is only possible through a ClusterRoleBinding.",
    why: "RBAC stops anyone from granting rights they do not hold, except for holders of \
          `escalate` (edit a role beyond one's own rights) and `bind` (bind a role one does \
          not hold, such as cluster-admin). `impersonate` lets one act as another identity, \
          `system:masters` included for users. Each is a path to cluster-admin.",
    example: "# fails\nrules:\n- apiGroups: [rbac.authorization.k8s.io]\n  resources: \
              [clusterroles]\n  verbs: [bind, escalate]\n\
              # passes: bind restricted to the roles the subject may hand out\nrules:\n\
              - apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles]\n  verbs: \
              [bind]\n  resourceNames: [view]",
    fix: "Remove these verbs, or restrict `bind` with `resourceNames` to the roles that may be \
          handed out and `impersonate` to named identities. Reserve unrestricted forms for \
          cluster administrators.",
    help: "remove escalate, bind and impersonate, or restrict them with resourceNames",
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

const RBAC: &str = "rbac.authorization.k8s.io";

const PROBES: &[Probe] = &[
    Probe::new("escalate", RBAC, "clusterroles"),
    Probe::new("escalate", RBAC, "roles"),
    Probe::new("bind", RBAC, "clusterroles"),
    Probe::new("bind", RBAC, "roles"),
    Probe::new("impersonate", "", "users").cluster(),
    Probe::new("impersonate", "", "groups").cluster(),
    Probe::new("impersonate", "", "serviceaccounts"),
    Probe::new("impersonate", "authentication.k8s.io", "uids").cluster(),
];

fn what(perms: &[Probe]) -> String {
    format!(
        "may get rights it does not hold ({})",
        crate::rbac::labels(perms)
    )
}
