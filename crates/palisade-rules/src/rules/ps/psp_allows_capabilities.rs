//! PS173 `psp-allows-capabilities`: a PodSecurityPolicy lets containers add capabilities beyond
//! the container runtime's default set, or adds them to every pod.

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_field, Permission, REMOVED_IN};
use crate::pss::BASELINE_CAPABILITIES;

static META: RuleMeta = RuleMeta {
    code: "PS173",
    name: "psp-allows-capabilities",
    severity: Severity::Medium,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#capabilities",
        "Pod Security Standards: baseline, Capabilities",
    ],
    summary: "A PodSecurityPolicy allows capabilities beyond the default set",
    what: "Every PodSecurityPolicy is checked for `allowedCapabilities` and \
           `defaultAddCapabilities` entries outside the container runtime's default set (the \
           Pod Security Standards baseline list: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, \
           FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT), \
           and for `*`, which allows every capability. Who may use the policy is not evaluated \
           yet.",
    why: "Capabilities such as SYS_ADMIN, NET_ADMIN, SYS_PTRACE or SYS_MODULE are pieces of \
          root on the node: mounting filesystems, reconfiguring the node's network, reading \
          other processes' memory, loading kernel modules. `defaultAddCapabilities` is worse \
          than allowing: every pod the policy admits gets them without asking. Graded one step \
          below the pod-level check (PS105).",
    example: "# fails\nspec:\n  allowedCapabilities: ['*']\n\
              # passes\nspec:\n  allowedCapabilities: []\n  requiredDropCapabilities: [ALL]",
    fix: "Leave `allowedCapabilities` empty (or list only default-set capabilities such as \
          NET_BIND_SERVICE), never use `*`, drop `defaultAddCapabilities`, and consider \
          `requiredDropCapabilities: [ALL]`.",
    help: "allow no capabilities beyond the runtime's default set, and never `*`",
};

pub struct AllowsCapabilities;

pub static RULE: AllowsCapabilities = AllowsCapabilities;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    let mut out = Vec::new();
    for (field, verb) in [
        ("allowedCapabilities", "allows containers to add"),
        ("defaultAddCapabilities", "adds to every container"),
    ] {
        let items = spec_field(o, field).map(Node::items).unwrap_or(&[]);
        for (i, cap) in items.iter().enumerate() {
            let name = cap.as_str().unwrap_or("");
            let what = if name == "*" {
                "every capability (*)".to_owned()
            } else if BASELINE_CAPABILITIES.contains(&name) {
                continue;
            } else {
                format!("capability {name}, which is not in the runtime's default set")
            };
            out.push((
                format!("/spec/{field}/{i}"),
                format!("{} {verb} {what}", describe(o)),
            ));
        }
    }
    out
}

impl ObjectRule for AllowsCapabilities {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
