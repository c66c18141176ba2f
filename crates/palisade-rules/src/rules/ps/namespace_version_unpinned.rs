//! PS162 `namespace-pod-security-version-unpinned`: a namespace enforces baseline or restricted
//! without pinning the policy version, so each cluster upgrade may change what it rejects.

use palisade_core::{
    Context, Emitter, Fix, FixSafety, FixValue, Object, ObjectRule, RuleMeta, Severity,
    VersionRange,
};

use crate::namespace::{
    describe, is_namespace, label, label_pointer, parse_version, ENFORCE, ENFORCE_VERSION,
    PSA_SINCE,
};

static META: RuleMeta = RuleMeta {
    code: "PS162",
    name: "namespace-pod-security-version-unpinned",
    severity: Severity::Low,
    guide: "beyond the guide",
    versions: VersionRange::since(PSA_SINCE),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces",
        "https://kubernetes.io/docs/tasks/configure-pod-container/enforce-standards-namespace-labels/",
    ],
    summary: "A namespace enforces Pod Security without pinning the policy version",
    what: "Every `Namespace` that enforces `baseline` or `restricted` is checked for a \
           `pod-security.kubernetes.io/enforce-version` label naming a version (`v1.N`). A \
           missing label and `latest` both mean \"the API server's own version\". (An invalid \
           value is PS163's finding.)",
    why: "The Pod Security Standards change between Kubernetes versions (restricted started \
          requiring a seccomp profile in 1.19 and dropping capabilities in 1.22; 1.25 exempted \
          Windows pods from Linux-only checks; 1.35 relaxed `procMount` for pods in user \
          namespaces). With `latest`, upgrading the control plane silently changes which pods \
          the namespace rejects: a rollout that worked yesterday fails after the upgrade, and \
          the usual reaction under pressure is to relax the namespace. A pinned version makes \
          the policy change a reviewed commit.",
    example: "# fails\nlabels:\n  pod-security.kubernetes.io/enforce: restricted\n\
              # passes\nlabels:\n  pod-security.kubernetes.io/enforce: restricted\n  \
              pod-security.kubernetes.io/enforce-version: v1.37",
    fix: "Add `pod-security.kubernetes.io/enforce-version: v1.N` with the version the workloads \
          were checked against (`palisade scan --pod-security restricted:v1.N`), and raise it \
          deliberately after upgrades, with `warn-version: latest` to see what the next version \
          would reject.",
    help: "pin `pod-security.kubernetes.io/enforce-version` to a version such as v1.37",
};

pub struct VersionUnpinned;

pub static RULE: VersionUnpinned = VersionUnpinned;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for VersionUnpinned {
    fn judges(&self) -> palisade_core::Judges {
        crate::namespace::JUDGES
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_namespace(object) {
            return;
        }
        let Some(level @ ("baseline" | "restricted")) = label(object, ENFORCE) else {
            return;
        };
        let target = cx.settings.kubernetes_version;
        let suggestion = format!("v{}.{}", target.major, target.minor);
        // Safe: without a pin (or with `latest`) the API server evaluates at its own version, and
        // a pin at or above it evaluates the same (newer versions clamp to the server's).
        let fix = Fix::set(
            FixSafety::Safe,
            format!("set label {ENFORCE_VERSION}: {suggestion}"),
            label_pointer(ENFORCE_VERSION),
            FixValue::str(suggestion.clone()),
        );
        let f = match label(object, ENFORCE_VERSION) {
            None => out.report(
                &label_pointer(ENFORCE),
                format!(
                    "{} enforces {level} without {ENFORCE_VERSION}: the level is evaluated \
                         at the API server's version and changes with every upgrade (pin e.g. \
                         {suggestion})",
                    describe(object)
                ),
            ),
            Some(v) if parse_version(v) == Ok(None) => out.report(
                &label_pointer(ENFORCE_VERSION),
                format!(
                    "{} enforces {level} at version \"latest\": the level changes with \
                         every upgrade (pin e.g. {suggestion})",
                    describe(object)
                ),
            ),
            Some(_) => return,
        };
        f.fix = Some(Box::new(fix));
    }
}
