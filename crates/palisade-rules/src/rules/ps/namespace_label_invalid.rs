//! PS163 `namespace-pod-security-label-invalid`: a Pod Security Admission label with a value the
//! API server cannot parse, or a key under `pod-security.kubernetes.io/` that it does not read.

use palisade_core::yaml::Node;
use palisade_core::{
    Context, Emitter, Fix, FixSafety, FixValue, Object, ObjectRule, RuleMeta, Severity,
    VersionRange,
};

use crate::namespace::{
    describe, is_namespace, label_pointer, parse_version, KNOWN_LABELS, LABEL_PREFIX, PSA_SINCE,
};
use crate::pss::Level;

static META: RuleMeta = RuleMeta {
    code: "PS163",
    name: "namespace-pod-security-label-invalid",
    severity: Severity::Medium,
    guide: "beyond the guide",
    versions: VersionRange::since(PSA_SINCE),
    pss_check: None,
    references: &[
        "https://kubernetes.io/docs/concepts/security/pod-security-admission/#pod-security-admission-labels-for-namespaces",
    ],
    summary: "A Pod Security Admission label of a namespace is invalid or unknown",
    what: "Every label of a `Namespace` under `pod-security.kubernetes.io/` is checked: \
           `enforce`, `audit` and `warn` must be `privileged`, `baseline` or `restricted`; \
           `enforce-version`, `audit-version` and `warn-version` must be `latest` or `v1.N` \
           (`1.30` and `v1.30.2` are invalid); any other key under that prefix (a typo such as \
           `enforced`) is reported because the API server ignores it.",
    why: "The API server refuses to create a namespace whose Pod Security labels do not parse, \
          so the manifest fails to apply. Applied to an existing namespace, an invalid \
          `enforce` level is enforced as `restricted` and an invalid version as `latest`, while \
          invalid `audit`/`warn` levels fall back to `privileged` and report nothing: the \
          namespace behaves differently from what its author wrote. A misspelt key is worse: \
          it is silently ignored and the namespace enforces nothing.",
    example: "# fails\nlabels:\n  pod-security.kubernetes.io/enforce: Restricted\n  \
              pod-security.kubernetes.io/enforce-version: \"1.30\"\n\
              # passes\nlabels:\n  pod-security.kubernetes.io/enforce: restricted\n  \
              pod-security.kubernetes.io/enforce-version: v1.30",
    fix: "Use the exact lower-case level names and versions of the form `v1.N` (or `latest`); \
          check the key against the six labels Pod Security Admission reads.",
    help: "use privileged/baseline/restricted and `v1.N` or `latest`, under the six known keys",
};

pub struct LabelInvalid;

pub static RULE: LabelInvalid = LabelInvalid;

palisade_core::register!(palisade_core::Rule {
    meta: &META,
    stage: palisade_core::Stage::Object(&RULE),
});

impl ObjectRule for LabelInvalid {
    fn judges(&self) -> palisade_core::Judges {
        crate::namespace::JUDGES
    }

    fn check(&self, _cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        if !is_namespace(object) {
            return;
        }
        let labels = object.node.path(&["metadata", "labels"]);
        for e in labels.map(Node::entries).unwrap_or(&[]) {
            let Some(mode) = e.key.strip_prefix(LABEL_PREFIX) else {
                continue;
            };
            let value = e.value.as_str().unwrap_or("");
            let pointer = label_pointer(&e.key);
            let ns = describe(object);
            if !KNOWN_LABELS.contains(&&*e.key) {
                out.report(
                    &pointer,
                    format!(
                        "{ns} has label {:?}, which Pod Security Admission does not read: it \
                         is ignored (the labels are enforce, audit, warn and their -version)",
                        &*e.key
                    ),
                );
            } else if mode.ends_with("-version") {
                if parse_version(value).is_err() {
                    let f = out.report(
                        &pointer,
                        format!(
                            "{ns} sets {} to {value:?}, which is not \"latest\" or \"v1.N\": \
                             creating the namespace is refused, and an existing namespace is \
                             evaluated at latest",
                            &*e.key
                        ),
                    );
                    f.fix = meant_version(value).map(|v| Box::new(relabel(&e.key, &pointer, v)));
                }
            } else if value.parse::<Level>().is_err() {
                let fallback = if mode == "enforce" {
                    "enforces restricted"
                } else {
                    "falls back to privileged for this mode and reports nothing"
                };
                let meant = value.trim().to_ascii_lowercase();
                let fix = meant
                    .parse::<Level>()
                    .is_ok()
                    .then(|| Box::new(relabel(&e.key, &pointer, meant)));
                out.report(
                    &pointer,
                    format!(
                        "{ns} sets {} to {value:?}, which is not privileged, baseline or \
                         restricted: creating the namespace is refused, and an existing \
                         namespace {fallback}",
                        &*e.key
                    ),
                )
                .fix = fix;
            }
        }
    }
}

/// The `v1.N` a mistyped version label most likely means (`1.30`, `v1.30.2`, ` V1.30 `).
fn meant_version(value: &str) -> Option<String> {
    let v = value.trim().trim_start_matches(['v', 'V']);
    let mut parts = v.split('.');
    let (major, minor) = (parts.next()?, parts.next()?);
    if major != "1" || minor.is_empty() || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if parts.any(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let meant = format!("v1.{}", minor.parse::<u32>().ok()?);
    parse_version(&meant).is_ok().then_some(meant)
}

/// Writes the value the author evidently meant. Unsafe: the namespace was admitting pods under
/// the fallback (restricted for an invalid `enforce`, latest for a version), and the corrected
/// label may admit or reject different pods.
fn relabel(key: &str, pointer: &str, value: String) -> Fix {
    Fix::set(
        FixSafety::Unsafe,
        format!("set label {key}: {value}"),
        pointer,
        FixValue::Str(value),
    )
}
