//! Namespaces and Pod Security Admission (`PS160`–`PS164`): the labels that make the API server
//! enforce a Pod Security Standards level in a namespace, and the workloads that level would
//! reject.
//!
//! Labels are read as `k8s.io/pod-security-admission` reads them (`api.PolicyToEvaluate`):
//! - `pod-security.kubernetes.io/enforce` is `privileged`, `baseline` or `restricted`; an unset
//!   label leaves the namespace at the cluster default (the API server's `PodSecurity` admission
//!   configuration; `privileged` unless configured), an invalid value evaluates as `restricted`;
//! - `pod-security.kubernetes.io/enforce-version` is `latest` or `v1.N` (exactly: `1.30` and
//!   `v1.30.2` are invalid); unset or invalid means `latest`, the API server's own version. A
//!   version newer than the server's evaluates as the server's (upstream clamps to the newest
//!   version its checks know).
//!
//! Creating a namespace with an invalid value is refused; an existing namespace that gets one by
//! an update is enforced with the fallbacks above.
//!
//! Pod Security Admission is enabled by default from Kubernetes 1.23 (beta; GA in 1.25), which
//! is where these rules start. Before 1.25 the PodSecurityPolicy rules ([`crate::psp`]) apply.

use palisade_core::yaml::{escape_pointer, Node};
use std::collections::HashMap;
use std::sync::Arc;

use palisade_core::{
    Context, Finding, Fix, FixSafety, FixValue, InventoryRule, Keep, Kept, KubeVersion, Model,
    Object,
};

use crate::pss::Level;

pub use crate::rules::ps::namespace_workload_rejected::pss_keep;

/// Prefix of every Pod Security Admission label.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";
/// The label that sets the enforced level.
pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
/// The label that pins the enforced level's policy version.
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";

/// The six labels Pod Security Admission reads; any other key under [`LABEL_PREFIX`] is ignored
/// by the API server.
pub const KNOWN_LABELS: [&str; 6] = [
    ENFORCE,
    ENFORCE_VERSION,
    "pod-security.kubernetes.io/audit",
    "pod-security.kubernetes.io/audit-version",
    "pod-security.kubernetes.io/warn",
    "pod-security.kubernetes.io/warn-version",
];

/// The first Kubernetes version that enforces Pod Security Admission labels by default.
pub const PSA_SINCE: KubeVersion = KubeVersion::v1(23);

/// A `Namespace` object of the core group.
/// What the rules about a namespace's Pod Security labels judge.
pub const JUDGES: palisade_core::Judges = palisade_core::Judges {
    what: "Namespace objects",
    test: |_, o, _| is_namespace(o),
};

pub fn is_namespace(o: &Object) -> bool {
    o.kind() == "Namespace" && o.group().is_empty()
}

/// The value of label `key` (as written: a label value is a string, `v1.30` stays text).
pub fn label<'a>(o: &'a Object, key: &str) -> Option<&'a str> {
    o.node
        .path(&["metadata", "labels", key])
        .filter(|n| !n.is_null())
        .and_then(Node::as_str)
}

/// JSON pointer of label `key`.
pub fn label_pointer(key: &str) -> String {
    format!("/metadata/labels/{}", escape_pointer(key))
}

/// A Pod Security policy version label value that is neither `latest` nor `v1.N`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid Pod Security policy version `{0}` (expected \"latest\" or \"v1.N\")")]
pub struct InvalidPolicyVersion(pub String);

/// A policy version label value, parsed as upstream's `api.ParseVersion`: `latest` is `None`,
/// `v1.N` (no leading zeros, no patch) is `Some(1.N)`; anything else is an error.
pub fn parse_version(value: &str) -> Result<Option<KubeVersion>, InvalidPolicyVersion> {
    let invalid = || InvalidPolicyVersion(value.to_owned());
    if value == "latest" {
        return Ok(None);
    }
    let digits = value.strip_prefix("v1.").ok_or_else(invalid)?;
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !valid {
        return Err(invalid());
    }
    digits
        .parse()
        .map(|minor| Some(KubeVersion::v1(minor)))
        .map_err(|_| invalid())
}

/// What the namespace's labels make the API server enforce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enforced {
    /// The level pods are evaluated at.
    pub level: Level,
    /// The policy version they are evaluated at, already resolved against the target version.
    pub version: KubeVersion,
    /// How the labels spell it, for messages: `restricted:v1.30`, `restricted:latest, evaluated
    /// at v1.37`, with a note on the fallback for an invalid value.
    pub label: String,
}

/// The enforced policy of a namespace at target version `target`, or `None` when the namespace
/// sets no enforce label (the cluster default applies, which manifests do not show).
pub fn enforced(ns: &Object, target: KubeVersion) -> Option<Enforced> {
    let level_text = label(ns, ENFORCE)?;
    let (level, level_note) = match level_text.parse::<Level>() {
        Ok(l) => (l, String::new()),
        Err(_) => (
            Level::Restricted,
            format!(" (invalid {level_text:?} → restricted)"),
        ),
    };
    let version_text = label(ns, ENFORCE_VERSION);
    let (pinned, version_note) = match version_text.map(parse_version) {
        None => (None, "latest".to_owned()),
        Some(Ok(v)) => (v, version_text.unwrap_or_default().to_owned()),
        Some(Err(_)) => (
            None,
            format!("latest (invalid {:?})", version_text.unwrap_or_default()),
        ),
    };
    let version = pinned.map_or(target, |v| v.min(target));
    let mut label = format!("{}{level_note}:{version_note}", level.as_str());
    if version_note != version.to_string() {
        label.push_str(&format!(", evaluated at {version}"));
    }
    Some(Enforced {
        level,
        version,
        label,
    })
}

/// The namespace the guide's privileged policy is for. Whatever a scan shows of it, the control
/// plane, the network plugin and kube-proxy run there too, so neither `harden` nor a fix ever
/// enforces a level stricter than `privileged` on it.
pub const SYSTEM_NAMESPACE: &str = "kube-system";

/// The policy version Pod Security labels pin for target version `target`: the target, or the
/// newest version the checks know.
pub fn policy_version(target: KubeVersion) -> KubeVersion {
    target.min(crate::pss::LATEST_POLICY)
}

/// Upstream check IDs `object`'s pods fail at `level` and policy version `version` (none for an
/// object without a pod template).
pub fn failing(object: &Object, level: Level, version: KubeVersion) -> Vec<&'static str> {
    let Some(pod) = object.pod_template() else {
        return Vec::new();
    };
    let mut ids: Vec<&'static str> = crate::pss::evaluate(level, version, &pod)
        .into_iter()
        .map(|(c, _)| c.id())
        .collect();
    ids.dedup();
    ids
}

/// The level to enforce on `namespace` given the pod-bearing objects in it: the strictest level
/// every one of them passes at policy version `version` (`restricted`, `baseline`, else
/// `privileged`), and `privileged` for [`SYSTEM_NAMESPACE`]. The one implementation behind
/// `palisade harden`'s labels and the PS160/PS161 fixes, so both pick the same level.
pub fn enforce_level<'o>(
    namespace: &str,
    workloads: impl IntoIterator<Item = &'o Object>,
    version: KubeVersion,
) -> Level {
    if namespace == SYSTEM_NAMESPACE {
        return Level::Privileged;
    }
    let workloads: Vec<&Object> = workloads.into_iter().collect();
    [Level::Restricted, Level::Baseline]
        .into_iter()
        .find(|&l| workloads.iter().all(|w| failing(w, l, version).is_empty()))
        .unwrap_or(Level::Privileged)
}

/// What the rules of the Pod Security Admission group keep for their inventory stage (PS160,
/// PS161 and PS164 keep the same, once): Namespace objects projected to their labels, and the
/// Pod Security projection of every workload that some level rejects at some version.
pub(crate) const KEEP_GROUP: &str = "pod-security-admission";

/// The kept workloads of each namespace (by name), built once per scan for PS160 and PS161.
type ByNamespace<'a> = HashMap<&'a str, Vec<&'a Object>>;

self_cell::self_cell!(
    pub(crate) struct WorkloadsByNamespace {
        owner: Vec<Arc<Object>>,
        #[covariant]
        dependent: ByNamespace,
    }
);

impl Model for WorkloadsByNamespace {
    fn build(_cx: &Context<'_>, kept: &[Arc<Object>]) -> Self {
        WorkloadsByNamespace::new(kept.to_vec(), |objects| {
            let mut by: ByNamespace<'_> = HashMap::new();
            for o in objects.iter().map(|o| &**o).filter(|o| !is_namespace(o)) {
                if let Some(ns) = o.namespace() {
                    by.entry(ns).or_default().push(o);
                }
            }
            by
        })
    }
}

/// The inventory stage PS160 and PS161 share: they keep what PS164 keeps, and choose their
/// fix's level from it ([`choose_enforce_fix`]); their verdicts are their `check`'s.
pub(crate) struct EnforceFix;

impl InventoryRule for EnforceFix {
    fn keep_group(&self) -> Option<&'static str> {
        Some(KEEP_GROUP)
    }

    fn keep(&self, o: &Object) -> Option<Keep> {
        crate::rules::ps::namespace_workload_rejected::RULE.keep(o)
    }

    fn refine(&self, cx: &Context<'_>, kept: &Kept<'_>, findings: &mut Vec<Finding>) {
        choose_enforce_fix(cx, kept, findings);
    }

    fn single_object_verdicts(&self) -> bool {
        true
    }
}

/// PS160 and PS161: the level their fix enforces on a namespace, chosen in the inventory stage
/// from the workloads of the scan in that namespace with [`enforce_level`] — the level `harden`
/// would label it with. Enforcing a level that rejects the namespace's own workloads (PS164)
/// is no fix: when only `privileged` admits them all, no fix is offered and the finding says
/// which workloads stand in the way. Kept workloads are those some level rejects; the others
/// pass every level and change nothing.
pub(crate) fn choose_enforce_fix(cx: &Context<'_>, kept: &Kept<'_>, findings: &mut [Finding]) {
    let version = policy_version(cx.settings.kubernetes_version);
    let model = kept.model::<WorkloadsByNamespace>(cx);
    for f in findings.iter_mut() {
        let Some(ns) = f.object.as_ref().and_then(|o| o.name.clone()) else {
            continue;
        };
        let workloads: &[&Object] = model
            .borrow_dependent()
            .get(ns.as_str())
            .map_or(&[], Vec::as_slice);
        let level = enforce_level(&ns, workloads.iter().copied(), version);
        if level != Level::Privileged {
            f.fix = Some(Box::new(enforce_fix(level)));
            continue;
        }
        f.fix = None;
        if ns == SYSTEM_NAMESPACE {
            f.append_message(
                "; no fix offered: kube-system also runs control-plane and node components that \
                 no manifest shows, and stays privileged",
            );
            continue;
        }
        let blockers: Vec<String> = workloads
            .iter()
            .filter_map(|w| {
                let checks = failing(w, Level::Baseline, version);
                (!checks.is_empty()).then(|| {
                    format!(
                        "{} {} ({})",
                        w.kind(),
                        w.name().unwrap_or("(unnamed)"),
                        checks.join(", ")
                    )
                })
            })
            .collect();
        f.append_message(&format!(
            "; no fix offered: workloads of the scan in it fail baseline ({}), so enforcing a \
             level would reject their pods (PS164)",
            name_list(&blockers).replace('"', "")
        ));
    }
}

/// Enforce `level`. Unsafe even when every workload of the scan passes it: pods the scan does
/// not show may run in the namespace. (PS162 then pins the version.)
pub(crate) fn enforce_fix(level: Level) -> Fix {
    Fix::set(
        FixSafety::Unsafe,
        format!(
            "set label {ENFORCE}: {} (the strictest level every workload of the scan in the \
             namespace passes)",
            level.as_str()
        ),
        label_pointer(ENFORCE),
        FixValue::str(level.as_str()),
    )
}

/// `Namespace "shop"`: how messages name a namespace.
pub(crate) fn describe(ns: &Object) -> String {
    format!("Namespace {:?}", ns.name().unwrap_or(""))
}

/// Up to five quoted names, then how many more: `"a", "b" and 3 more`.
pub(crate) fn name_list<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 5;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("{:?}", n.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn versions_parse_as_upstream() {
        assert_eq!(parse_version("latest"), Ok(None));
        assert_eq!(parse_version("v1.0"), Ok(Some(KubeVersion::v1(0))));
        assert_eq!(parse_version("v1.30"), Ok(Some(KubeVersion::v1(30))));
        for bad in [
            "1.30", "v1.30.1", "v1.030", "v2.1", "v1.", "Latest", "", "v1.3a",
        ] {
            assert_eq!(
                parse_version(bad),
                Err(InvalidPolicyVersion(bad.to_owned()))
            );
        }
    }

    #[test]
    pub(crate) fn name_lists_are_capped() {
        assert_eq!(name_list(&["a", "b"]), "\"a\", \"b\"");
        let many: Vec<String> = (0..8).map(|i| format!("n{i}")).collect();
        assert_eq!(
            name_list(&many),
            "\"n0\", \"n1\", \"n2\", \"n3\", \"n4\" and 3 more"
        );
    }
}
