//! AP801 `attack-path-cluster-admin`: an identity that is not an administrator, or the internet
//! through an exposed workload, reaches cluster-admin by a chain of steps.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use super::PathRule;
use crate::paths::Vertex;

static META: RuleMeta = RuleMeta {
    code: "AP801",
    name: "attack-path-cluster-admin",
    severity: Severity::Critical,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "docs/attack-paths.md",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#privilege-escalation-risks",
        "https://github.com/DataDog/KubeHound",
    ],
    summary: "A chain of grants, pods and tokens leads a non-administrator to cluster-admin",
    what: "Joins the RBAC authorizer, the namespaces' Pod Security levels, token mounts, node \
           escapes and exposed Services into one graph (docs/attack-paths.md lists every edge) \
           and reports, for every identity that is not already an administrator and for the \
           internet, the shortest chain to full control of the cluster. Chains that share their \
           weakest link (the binding, workload or label most chains pass through) are one \
           finding; the finding names the change that cuts the most chains. Each step cites \
           where its fact is written (SARIF codeFlows, JSON `flow`).",
    why: "Attackers chain findings that look moderate one by one: a CI account that may create \
          pods, a namespace without Pod Security enforcement, a privileged pod owning its node, \
          a DaemonSet mounting a cluster-admin token on every node. The chain is one finding to \
          an attacker.",
    example: "# fails: ci may create pods in build, build admits privileged pods, every node holds\n\
              # the token of agent, bound to cluster-admin\n\
              kind: RoleBinding\nmetadata: {name: ci-deploy, namespace: build}\n\
              roleRef: {kind: ClusterRole, name: edit}\n\
              subjects: [{kind: ServiceAccount, name: ci, namespace: build}]\n\
              ---\nkind: Namespace\nmetadata: {name: build}\n\
              # passes: the namespace enforces baseline\n\
              kind: Namespace\nmetadata:\n  name: build\n  labels: {pod-security.kubernetes.io/enforce: baseline}",
    fix: "Cut the weakest link the finding names: remove or narrow the binding, enforce \
          `baseline` or `restricted` on the namespace, stop mounting the token \
          (`automountServiceAccountToken: false`) or drop the cluster-wide grant of the \
          account at the end. `palisade paths` shows every chain.",
    help: "break the chain at the weakest link named; `palisade paths` prints every step",
};

static RULE: PathRule = PathRule {
    meta: &META,
    goal: Vertex::ClusterAdmin,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});
