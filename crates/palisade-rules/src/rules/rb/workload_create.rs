//! RB216 `can-create-workloads`: a subject may create pods or workloads, and so run code as any
//! service account of the namespace, with any Secret mounted.

use palisade_core::{KubeVersion, RuleMeta, Severity, VersionRange};

use crate::rbac::{GrantRule, Probe, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB216",
    name: "can-create-workloads",
    severity: Severity::High,
    guide: "beyond the guide",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "CIS Kubernetes Benchmark (v1.8) 5.1.4: Minimize access to create pods",
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#workload-creation",
    ],
    summary: "A subject may create pods or workload controllers",
    what: "Bindings are resolved to their rules; each subject that may `create` pods, \
           Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs or \
           ReplicationControllers is reported (control-plane identities excepted; full \
           control is RB210).",
    why: "Creating a pod is running code with the identity of any service account of the \
          namespace and with any of its Secrets, ConfigMaps and volumes mounted. Unless Pod \
          Security Admission stops it, the pod may also be privileged or share the node's \
          namespaces and take over the node. Who may create workloads is who may act as \
          everything in the namespace.",
    example: "# fails\nrules:\n- apiGroups: [apps]\n  resources: [deployments]\n  verbs: [create, \
              update]\n# passes: read-only access, deployments go through a pipeline\nrules:\n\
              - apiGroups: [apps]\n  resources: [deployments]\n  verbs: [get, list, watch]",
    fix: "Give create rights on workloads only to deployment pipelines and operators that need \
          them, in the namespaces they manage, and enforce the restricted Pod Security \
          Standard there so a created pod cannot escape to the node.",
    help: "limit who may create workloads; enforce Pod Security Admission where they can",
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
    Probe::new("create", "", "pods"),
    Probe::new("create", "apps", "deployments"),
    Probe::new("create", "apps", "replicasets"),
    Probe::new("create", "apps", "statefulsets"),
    Probe::new("create", "apps", "daemonsets"),
    Probe::new("create", "batch", "jobs"),
    Probe::new("create", "batch", "cronjobs"),
    Probe::new("create", "", "replicationcontrollers"),
];

fn what(perms: &[Probe]) -> String {
    format!(
        "may run pods as any service account of the namespace ({})",
        crate::rbac::labels(perms)
    )
}
