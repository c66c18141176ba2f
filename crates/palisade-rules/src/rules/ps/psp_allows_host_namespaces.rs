//! PS171 `psp-allows-host-namespaces`: a PodSecurityPolicy lets pods share the node's network,
//! process or IPC namespace.

use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_true, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS171",
    name: "psp-allows-host-namespaces",
    severity: Severity::High,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#host-namespaces",
        "Pod Security Standards: baseline, Host Namespaces",
    ],
    summary: "A PodSecurityPolicy allows host network, PID or IPC namespaces",
    what: "Every PodSecurityPolicy is checked for `hostNetwork`, `hostPID` and `hostIPC` set to \
           true; each is one finding. PS179 lists who may use the policy.",
    why: "A pod in the node's PID namespace sees and can signal every process of the node \
          (and read their environment); in its network namespace it listens on the node's \
          addresses and reaches services bound to localhost, such as an unauthenticated kubelet \
          port; in its IPC namespace it reads other processes' shared memory. The guide lists \
          host namespaces among the privileges DenyEscalatingExec guarded against. Graded one \
          step below the pod-level check (PS102).",
    example: "# fails\nspec:\n  hostNetwork: true\n  hostPID: true\n\
              # passes\nspec:\n  hostNetwork: false\n  hostPID: false\n  hostIPC: false",
    fix: "Set `hostNetwork`, `hostPID` and `hostIPC` to false (their default) on every policy \
          but the one reserved for system components such as the CNI agent.",
    help: "set hostNetwork, hostPID and hostIPC to false in the policy",
};

pub struct AllowsHostNamespaces;

pub static RULE: AllowsHostNamespaces = AllowsHostNamespaces;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    [
        ("hostNetwork", "the node's network namespace"),
        ("hostPID", "the node's process (PID) namespace"),
        ("hostIPC", "the node's IPC namespace"),
    ]
    .into_iter()
    .filter(|(field, _)| spec_true(o, field))
    .map(|(field, what)| {
        (
            format!("/spec/{field}"),
            format!("{} allows pods to use {what} ({field}: true)", describe(o)),
        )
    })
    .collect()
}

impl ObjectRule for AllowsHostNamespaces {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
