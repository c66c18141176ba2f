//! RB214 `service-account-reads-secrets`: a service account may read every Secret of a
//! namespace.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB214",
    name: "service-account-reads-secrets",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.2: Minimize access to secrets",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
    ],
    summary: "A service account may read all Secrets of a namespace",
    what: "RoleBindings are resolved to their rules; a ServiceAccount subject (other than \
           `default`, which RB213 covers) that may `get`, `list` or `watch` `secrets` without \
           a `resourceNames` restriction is reported. Cluster-wide Secret reads are RB215.",
    why: "A workload that can read every Secret of its namespace hands all of them (database \
          passwords, TLS keys, other service accounts' legacy tokens) to whoever compromises \
          it. `list` and `watch` return the contents, not just the names. Most workloads need \
          one or two named Secrets, which they can mount or be granted by name.",
    example: "# fails\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  verbs: [get, list]\n\
              # passes\nrules:\n- apiGroups: [\"\"]\n  resources: [secrets]\n  resourceNames: \
              [app-tls]\n  verbs: [get]",
    fix: "Restrict the rule with `resourceNames` to the Secrets the account needs, or mount \
          them into the pod instead of reading them through the API.",
    help: "restrict Secret access with resourceNames",
};

pub(crate) static RULE: GrantRule = GrantRule {
    meta: &META,
    probes: PROBES,
    subjects: Subjects::NamespacedServiceAccounts,
    what,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

const PROBES: &[Probe] = &[
    Probe::new("get", "", "secrets"),
    Probe::new("list", "", "secrets"),
    Probe::new("watch", "", "secrets"),
];

fn what(perms: &[Probe]) -> String {
    format!("may read every Secret ({})", crate::rbac::labels(perms))
}
