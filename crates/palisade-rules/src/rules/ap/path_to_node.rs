//! AP802 `attack-path-node`: an identity that is not an administrator, or the internet through
//! an exposed workload, reaches root on a node by a chain of steps.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use super::PathRule;
use crate::paths::Vertex;

static META: RuleMeta = RuleMeta {
    code: "AP802",
    name: "attack-path-node",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "docs/attack-paths.md",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
        "https://github.com/DataDog/KubeHound",
    ],
    summary: "A chain of grants and pods leads a non-administrator to root on a node",
    what: "The attack graph of AP801, searched for chains to a node: creating pods in a \
           namespace that admits privileged pods, exec into a pod that escapes (privileged, \
           runtime socket, host paths holding the kubelet's or control plane's credentials, \
           SYS_ADMIN and similar capabilities), calling kubelets through nodes/proxy, an \
           exposed workload that escapes. One finding per weakest link, naming the change \
           that cuts the most chains.",
    why: "Root on a node is every Secret and token of the pods scheduled there, the kubelet's \
          credentials, and usually the next step to cluster-admin.",
    example: "# fails: web is exposed and mounts the runtime socket\n\
              kind: Service\nspec: {type: LoadBalancer, selector: {app: web}}\n---\n\
              kind: Deployment\nspec:\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      \
              volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]\n\
              # passes: no hostPath\n",
    fix: "Cut the weakest link the finding names: enforce `baseline` on the namespace, drop the \
          privileged setting, host path or capability, or narrow the grant. `palisade paths \
          --to node` shows every chain.",
    help: "break the chain at the weakest link named; `palisade paths --to node` prints every step",
};

static RULE: PathRule = PathRule {
    meta: &META,
    goal: Vertex::Node,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});
