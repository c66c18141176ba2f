//! RB217 `pod-exec-attach-portforward`: a subject may exec into, attach to or port-forward to
//! pods: the RBAC side of the guide's DenyEscalatingExec.

use palisade_core::{
    Context, Finding, InventoryRule, Keep, Kept, KubeVersion, Object, RuleMeta, Severity,
    VersionRange,
};

use crate::rbac::{keep_rbac, report_probes, Probe, RbacModel, Subjects};

static META: RuleMeta = RuleMeta {
    code: "RB217",
    name: "pod-exec-attach-portforward",
    severity: Severity::High,
    guide: "DenyEscalatingExec",
    versions: VersionRange::since(KubeVersion::v1(6)),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#escalation-paths",
        "https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#denyescalatingexec",
    ],
    summary: "A subject may exec into, attach to or port-forward to pods",
    what: "Bindings are resolved to their rules; each subject that may `create` or `get` \
           `pods/exec`, `pods/attach` or `pods/portforward` is reported (control-plane \
           identities excepted; full control is RB210). Before Kubernetes 1.35 `get` counts too: \
           exec over a WebSocket is an HTTP GET, which those API servers authorize as `get`; \
           from 1.35 (`--kubernetes-version`, default the newest) they also require `create`, so \
           `get` alone is not reported. A 1.35+ cluster that turned the \
           `AuthorizePodWebsocketUpgradeCreatePermission` feature gate off should be judged \
           with `--kubernetes-version 1.34`.",
    why: "Exec runs a command in a container: with its service account token, its Secrets and, \
          for a privileged or host-namespace pod, root on the node. The guide's \
          DenyEscalatingExec admission plugin refused exec into such pods; it was removed in \
          Kubernetes 1.21. Its modern answer is twofold: Pod Security Admission so that no \
          privileged pods exist, and RBAC so that few may exec at all.",
    example: "# fails\nrules:\n- apiGroups: [\"\"]\n  resources: [pods/exec]\n  verbs: [create]\n\
              # passes: logs instead of a shell\nrules:\n- apiGroups: [\"\"]\n  resources: \
              [pods/log]\n  verbs: [get]",
    fix: "Remove `pods/exec`, `pods/attach` and `pods/portforward` from roles that do not need \
          them; give them to on-call people through a time-limited binding in one namespace. \
          Enforce the baseline (or restricted) Pod Security Standard so an exec cannot reach \
          a privileged pod.",
    help: "limit pods/exec, pods/attach and pods/portforward; enforce Pod Security Admission",
};

pub struct PodExec;

pub static RULE: PodExec = PodExec;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Inventory(&RULE),
});

/// Before 1.35: `create`, and `get` (a WebSocket upgrade is an HTTP GET, authorized as `get`).
const PROBES: &[Probe] = &[
    Probe::new("create", "", "pods").sub("exec"),
    Probe::new("get", "", "pods").sub("exec"),
    Probe::new("create", "", "pods").sub("attach"),
    Probe::new("get", "", "pods").sub("attach"),
    Probe::new("create", "", "pods").sub("portforward"),
    Probe::new("get", "", "pods").sub("portforward"),
];

/// From 1.35 the API server also asks for `create` on WebSocket upgrades
/// (`AuthorizePodWebsocketUpgradeCreatePermission`, on by default): `get` alone no longer
/// opens a stream.
const PROBES_CREATE: &[Probe] = &[
    Probe::new("create", "", "pods").sub("exec"),
    Probe::new("create", "", "pods").sub("attach"),
    Probe::new("create", "", "pods").sub("portforward"),
];

/// The first version whose API server needs `create` for every exec, attach and port-forward.
const CREATE_ONLY_SINCE: KubeVersion = KubeVersion::new(1, 35);

fn what(perms: &[Probe]) -> String {
    format!(
        "may run commands in or connect to pods ({})",
        crate::rbac::labels(perms)
    )
}

/// The guide's item, and what replaced it.
const NOTE: &str = "the guide's DenyEscalatingExec admission plugin is gone (removed in 1.21): \
                    limiting these rights, with Pod Security Admission keeping pods \
                    unprivileged, is its modern answer";

impl InventoryRule for PodExec {
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
        let probes = if cx.settings.kubernetes_version >= CREATE_ONLY_SINCE {
            PROBES_CREATE
        } else {
            PROBES
        };
        report_probes(
            &META,
            kept.model::<RbacModel>(cx).borrow_dependent(),
            findings,
            probes,
            Subjects::Ordinary,
            &what,
            NOTE,
        );
    }
}
