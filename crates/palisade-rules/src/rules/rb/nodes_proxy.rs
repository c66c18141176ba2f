//! RB219 `nodes-proxy`: a subject may reach the kubelet API through `nodes/proxy`.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB219",
    name: "nodes-proxy",
    severity: Severity::High,
    guide: "Authorization mode & anonymous auth",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#access-to-proxy-subresource-of-nodes",
        "https://kubernetes.io/docs/reference/access-authn-authz/kubelet-authn-authz/",
    ],
    summary: "A subject may use the nodes/proxy subresource (the kubelet API)",
    what: "ClusterRoleBindings are resolved to their rules; each subject that may `get` or \
           `create` `nodes/proxy` is reported (control-plane identities excepted; full control \
           is RB210).",
    why: "`nodes/proxy` forwards requests to the kubelet API of any node, which can run \
          commands in every pod of that node. Such requests bypass admission control and are \
          audited only as proxy calls. The guide warns that the kubelet API lets one bypass \
          the Kubernetes API completely; `nodes/proxy` hands that API out through RBAC.",
    example: "# fails\nrules:\n- apiGroups: [\"\"]\n  resources: [nodes/proxy]\n  verbs: [get]\n\
              # passes: metrics through the dedicated subresource\nrules:\n- apiGroups: [\"\"]\n  \
              resources: [nodes/metrics, nodes/stats]\n  verbs: [get]",
    fix: "Grant `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring instead of \
          `nodes/proxy`.",
    help: "use nodes/metrics or nodes/stats instead of nodes/proxy",
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

const PROBES: &[Probe] = &[
    Probe::new("get", "", "nodes").sub("proxy").cluster(),
    Probe::new("create", "", "nodes").sub("proxy").cluster(),
];

fn what(perms: &[Probe]) -> String {
    format!(
        "may call the kubelet API of every node, exec in its pods included ({})",
        crate::rbac::labels(perms)
    )
}
