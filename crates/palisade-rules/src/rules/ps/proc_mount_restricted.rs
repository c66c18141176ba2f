//! `procMount_restricted` (restricted, policy 1.35+): the strict `/proc` masking rule, whatever
//! `hostUsers` says. It overrides the baseline `procMount` check, which relaxes for user-namespace
//! pods from 1.35 on, so that the restricted level does not get weaker. Before 1.35 the check
//! does not exist and the (then strict) baseline `procMount` check applies at restricted too.

use palisade_core::{KubeVersion, RuleMeta, Severity};

use super::proc_mount;
use crate::pss::{Level, PssCheck, VersionedCheck};

static META: RuleMeta = RuleMeta {
    code: "PS126",
    name: "unmasked-proc-mount-restricted",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: crate::pss::since(KubeVersion::v1(35)),
    pss_check: Some("procMount_restricted"),
    references: &[
        "Pod Security Standards: restricted, /proc Mount Type",
        "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted",
    ],
    summary: "A container unmasks /proc (restricted: even in a user namespace)",
    what: "Checks `securityContext.procMount` of every container, init container and ephemeral \
           container for a value other than `Default`, including in pods with \
           `hostUsers: false`, which the baseline check lets through from policy 1.35.",
    why: "The restricted level keeps the default /proc masking even for pods in their own user \
          namespace: an unmasked /proc still exposes kernel interfaces, and restricted \
          workloads have no reason to need it.",
    example: "# fails at restricted (passes baseline from 1.35)\nspec:\n  hostUsers: false\n  \
              containers:\n  - name: app\n    securityContext:\n      procMount: Unmasked\n\
              # passes\n    securityContext:\n      procMount: Default",
    fix: "Remove `procMount` or set it to `Default`; run workloads that need an unmasked /proc in \
          a namespace at the baseline level with `hostUsers: false`.",
    help: "remove securityContext.procMount or set it to Default",
};

pub static CHECK: PssCheck = PssCheck {
    meta: &META,
    level: Level::Restricted,
    overrides: &["procMount"],
    versions: &[VersionedCheck {
        since: KubeVersion::v1(35),
        check: proc_mount::strict,
    }],
    cel,
};

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&CHECK),
});

/// In CEL (`palisade vap export`): strict at every version.
fn cel(_: KubeVersion) -> String {
    proc_mount::strict_cel()
}
