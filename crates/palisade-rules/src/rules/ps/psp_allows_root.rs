//! PS175 `psp-allows-root`: a PodSecurityPolicy lets containers run as root (user 0).

use palisade_core::yaml::Node;
use palisade_core::{Context, Emitter, Object, ObjectRule, RuleMeta, Severity, VersionRange};

use crate::psp::{describe, report, spec_field, Permission, REMOVED_IN};

static META: RuleMeta = RuleMeta {
    code: "PS175",
    name: "psp-allows-root",
    severity: Severity::Low,
    guide: "Use Pod Security Policies",
    versions: VersionRange::until(REMOVED_IN),
    pss_check: None,
    references: &[
        "https://v1-24.docs.kubernetes.io/docs/concepts/security/pod-security-policy/#users-and-groups",
        "Pod Security Standards: restricted, Running as Non-root",
    ],
    summary: "A PodSecurityPolicy lets containers run as root",
    what: "Every PodSecurityPolicy is checked for its `runAsUser` rule: `MustRunAsNonRoot` \
           passes, and so does `MustRunAs` with ranges that all start above 0; `RunAsAny`, \
           `MustRunAs` with a range that includes 0, and a policy without a `runAsUser` rule \
           (which the API server rejects) are reported. The guide's own \"default\" policy uses \
           `RunAsAny`, and is reported. PS179 lists who may use the policy.",
    why: "Root in a container is root on the node as soon as anything else goes wrong: a \
          writable hostPath, an added capability, a kernel or runtime vulnerability. Requiring \
          non-root users is part of the restricted Pod Security Standard. Graded one step below \
          the pod-level check (PS122/PS123).",
    example: "# fails\nspec:\n  runAsUser:\n    rule: RunAsAny\n\
              # passes\nspec:\n  runAsUser:\n    rule: MustRunAsNonRoot",
    fix: "Use `runAsUser: {rule: MustRunAsNonRoot}` (images must then declare a numeric non-root \
          USER, or pods set `runAsUser`), or `MustRunAs` with ranges starting at 1 or above.",
    help: "set `runAsUser.rule: MustRunAsNonRoot` in the policy",
};

pub struct AllowsRoot;

pub static RULE: AllowsRoot = AllowsRoot;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

pub(crate) fn found(o: &Object) -> Vec<Permission> {
    let name = describe(o);
    let Some(run_as_user) = spec_field(o, "runAsUser") else {
        return vec![(
            "/spec/runAsUser".to_owned(),
            format!("{name} sets no runAsUser rule (the API server requires one)"),
        )];
    };
    match run_as_user.get("rule").and_then(Node::as_str) {
        Some("MustRunAsNonRoot") => Vec::new(),
        Some("RunAsAny") => vec![(
            "/spec/runAsUser/rule".to_owned(),
            format!("{name} lets containers run as any user, root included (runAsUser: RunAsAny)"),
        )],
        Some("MustRunAs") => {
            let ranges = run_as_user.get("ranges").map(Node::items).unwrap_or(&[]);
            ranges
                .iter()
                .enumerate()
                .filter(|(_, r)| r.get("min").and_then(Node::int_intent).unwrap_or(0) <= 0)
                .map(|(i, _)| {
                    (
                        format!("/spec/runAsUser/ranges/{i}/min"),
                        format!("{name} lets containers run as user 0 (root): a runAsUser range starts at 0"),
                    )
                })
                .take(1)
                .collect()
        }
        Some(other) => vec![(
            "/spec/runAsUser/rule".to_owned(),
            format!("{name} has runAsUser rule {other:?}, which is not MustRunAs, MustRunAsNonRoot or RunAsAny"),
        )],
        None => vec![(
            "/spec/runAsUser/rule".to_owned(),
            format!("{name} sets no runAsUser rule (the API server requires one)"),
        )],
    }
}

impl ObjectRule for AllowsRoot {
    fn judges(&self) -> palisade_core::Judges {
        crate::psp::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        report(object, out, found);
    }
}
