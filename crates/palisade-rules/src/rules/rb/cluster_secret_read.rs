//! RB215 `cluster-wide-secret-read`: a subject may read the Secrets of every namespace.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB215",
    name: "cluster-wide-secret-read",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.2: Minimize access to secrets",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
    ],
    summary: "A subject may get, list or watch Secrets in every namespace",
    what: "ClusterRoleBindings are resolved to their rules; each subject that may `get`, \
           `list` or `watch` `secrets` without a `resourceNames` restriction is reported \
           (control-plane identities excepted; full control is RB210).",
    why: "Secrets of every namespace include the credentials of every application and, on \
          clusters that still have them, long-lived service account tokens, among them \
          tokens of highly privileged controllers. Reading all Secrets is a short path to \
          cluster-admin.",
    example: "# fails\nkind: ClusterRole\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  \
              verbs: [get, list, watch]\n\
              # passes: a Role in the namespace that holds the Secret, restricted by name\n\
              kind: Role\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  \
              resourceNames: [app-tls]\n  verbs: [get]",
    fix: "Grant Secret access with a RoleBinding in the namespaces concerned, restricted to \
          named Secrets where possible. Controllers that must watch Secrets everywhere (cert \
          managers, secret syncers) deserve a dedicated review and their own namespace.",
    help: "grant Secret access per namespace and by name",
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

/// Through ClusterRoleBindings only (marked cluster-scoped); RB214 looks at RoleBindings.
const PROBES: &[Probe] = &[
    Probe::new("get", "", "secrets").cluster(),
    Probe::new("list", "", "secrets").cluster(),
    Probe::new("watch", "", "secrets").cluster(),
];

fn what(perms: &[Probe]) -> String {
    format!("may read Secrets ({})", crate::rbac::labels(perms))
}
