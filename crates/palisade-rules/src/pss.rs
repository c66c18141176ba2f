//! Pod Security Standards, check by check and version by version, as k8s.io/pod-security-admission
//! evaluates them.
//!
//! Each upstream check lives in its own file and declares the policy versions at which its
//! semantics changed ([`VersionedCheck`]); evaluating the standard at a version uses, for each
//! check, the newest variant not newer than that version. A check whose first variant is newer
//! than the evaluated version does not exist there and is not evaluated (upstream inflates each
//! check only from its `MinimumVersion` on). Versions newer than [`LATEST_POLICY`] evaluate as
//! [`LATEST_POLICY`], as upstream clamps to the newest version it knows.
//!
//! `restricted` is every `baseline` check plus the restricted checks, minus the baseline checks an
//! active restricted check overrides (upstream's `OverrideCheckIDs`):
//!
//! | restricted check            | overrides                 | from |
//! |-----------------------------|---------------------------|------|
//! | `restrictedVolumes`         | `hostPathVolumes`         | 1.0  |
//! | `seccompProfile_restricted` | `seccompProfile_baseline` | 1.19 |
//! | `capabilities_restricted`   | `capabilities_baseline`   | 1.22 |
//! | `procMount_restricted`      | `procMount`               | 1.35 |
//!
//! Because an override only takes effect while the overriding check exists, `restricted` at 1.18
//! still runs `seccompProfile_baseline`, and at 1.21 still runs `capabilities_baseline`.
//!
//! # Double reporting as ordinary rules
//!
//! Outside `--pod-security` mode every check runs as its own registered rule at the target version, so an
//! overriding check and the check it overrides both run. Where both would report the same field
//! (a `hostPath` volume, an `Unconfined` seccomp profile, an added `SYS_ADMIN`, an unmasked
//! `/proc`) only the overridden baseline check reports it: it carries the higher severity and the
//! more specific code, and the restricted check adds only what baseline does not forbid (a missing
//! `drop: [ALL]`, a missing seccomp profile, an `nfs` volume, `CHOWN` in `capabilities.add`). Two
//! violations are "the same" when they point at the same JSON pointer. When the overridden check
//! allows the field (the 1.35 `procMount` relaxation for `hostUsers: false` pods), the restricted
//! check still reports it.
//!
//! # Reading the document
//!
//! Checks read the span-carrying [`Node`] tree with the API server's decoding in mind: a field set
//! to `null` is absent, a quoted boolean or integer that spells a dangerous value (`"true"`, `"0"`)
//! is read as that value (see [`Node::bool_intent`]), and conditions that *relax* a check (such as
//! `hostUsers: false`) require a real boolean, so that a mistyped manifest is judged strictly.

use std::fmt;
use std::str::FromStr;

use palisade_core::yaml::{escape_pointer, Node};
use palisade_core::{
    Container, ContainerPointer, Context, Emitter, Fix, KubeVersion, Object, ObjectRule,
    PodTemplate, RuleMeta, SubPointer, VersionRange,
};

/// The container runtime's default capabilities, which baseline lets a container (re-)add.
pub(crate) use crate::rules::ps::capabilities_baseline::ALLOWED_1_0 as BASELINE_CAPABILITIES;

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is not one of the three.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Pod Security level `{0}` (expected privileged, baseline or restricted)")]
pub struct UnknownLevel(pub String);

impl FromStr for Level {
    type Err = UnknownLevel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            _ => Err(UnknownLevel(s.to_owned())),
        }
    }
}

/// The newest policy version Palisade implements; `latest` means this.
pub const LATEST_POLICY: KubeVersion = KubeVersion::LATEST;

/// One forbidden thing a check found in a pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending field inside the object (use the pod template's pointers).
    /// For a required field that is missing, the pointer names the field that should be set.
    pub pointer: String,
    /// What is wrong, naming the container, volume, sysctl or annotation.
    pub message: String,
    /// The container, for per-container violations.
    pub container: Option<String>,
    /// The change that removes the violation, when one is well-defined (see
    /// [`palisade_core::fix`]); reported as the finding's fix.
    pub fix: Option<Box<Fix>>,
}

impl Violation {
    /// A violation of the pod as a whole (a pod-level field, a volume, an annotation).
    pub(crate) fn pod(pointer: String, message: String) -> Self {
        Violation {
            pointer,
            message,
            container: None,
            fix: None,
        }
    }

    /// A violation in one container.
    pub(crate) fn container(c: &Container<'_>, pointer: String, message: String) -> Self {
        Violation {
            pointer,
            message,
            container: Some(c.name.to_owned()),
            fix: None,
        }
    }

    /// The same violation with a fix.
    pub(crate) fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(Box::new(fix));
        self
    }
}

/// A check's logic at one policy version.
pub type CheckFn = fn(&PodTemplate<'_>) -> Vec<Violation>;

/// The semantics of a check from policy version `since` on (until the next entry's `since`).
pub struct VersionedCheck {
    pub since: KubeVersion,
    pub check: CheckFn,
}

/// One upstream Pod Security Standards check.
pub struct PssCheck {
    /// Rule declaration; `meta.pss_check` is the upstream check ID.
    pub meta: &'static RuleMeta,
    /// The lowest level the check belongs to.
    pub level: Level,
    /// Upstream check IDs this check replaces when it applies (restricted checks overriding
    /// their baseline counterparts). Upstream declares overrides per version; every version of
    /// every overriding check declares the same ones, so one list per check says the same.
    pub overrides: &'static [&'static str],
    /// Versions, oldest first.
    pub versions: &'static [VersionedCheck],
    /// The check in CEL, at policy versions from [`crate::vap_export::MIN_VERSION`] on
    /// (`palisade vap export`): written next to the Rust logic, from the same constants.
    pub cel: crate::vap_export::CelFn,
}

impl PssCheck {
    /// The upstream check ID.
    pub fn id(&self) -> &'static str {
        self.meta
            .pss_check
            .expect("a PSS check declares its upstream id")
    }

    /// The check's logic at policy version `v`, if the check exists at `v`.
    pub fn at(&self, v: KubeVersion) -> Option<CheckFn> {
        self.versions
            .iter()
            .rev()
            .find(|vc| vc.since <= v)
            .map(|vc| vc.check)
    }

    /// The first policy version the check exists at.
    pub fn since(&self) -> KubeVersion {
        self.versions[0].since
    }
}

/// Every check, in the order upstream evaluates them: baseline checks sorted by ID, then
/// restricted checks sorted by ID (byte order, so `seLinuxOptions` sorts before
/// `seccompProfile_baseline`).
pub static CHECKS: &[&PssCheck] = &[
    &crate::rules::ps::app_armor_profile::CHECK,
    &crate::rules::ps::capabilities_baseline::CHECK,
    &crate::rules::ps::host_namespaces::CHECK,
    &crate::rules::ps::host_path_volumes::CHECK,
    &crate::rules::ps::host_ports::CHECK,
    &crate::rules::ps::host_probes_and_host_lifecycle::CHECK,
    &crate::rules::ps::privileged::CHECK,
    &crate::rules::ps::proc_mount::CHECK,
    &crate::rules::ps::se_linux_options::CHECK,
    &crate::rules::ps::seccomp_profile_baseline::CHECK,
    &crate::rules::ps::sysctls::CHECK,
    &crate::rules::ps::windows_host_process::CHECK,
    &crate::rules::ps::allow_privilege_escalation::CHECK,
    &crate::rules::ps::capabilities_restricted::CHECK,
    &crate::rules::ps::proc_mount_restricted::CHECK,
    &crate::rules::ps::restricted_volumes::CHECK,
    &crate::rules::ps::run_as_non_root::CHECK,
    &crate::rules::ps::run_as_user::CHECK,
    &crate::rules::ps::seccomp_profile_restricted::CHECK,
];

/// The check with upstream ID `id`.
pub fn check_by_id(id: &str) -> Option<&'static PssCheck> {
    CHECKS.iter().copied().find(|c| c.id() == id)
}

/// The checks that make up `level` at policy `version`, with the logic each uses there.
pub fn checks_for(level: Level, version: KubeVersion) -> Vec<(&'static PssCheck, CheckFn)> {
    if level == Level::Privileged {
        return Vec::new();
    }
    let version = version.min(LATEST_POLICY);
    let active: Vec<(&'static PssCheck, CheckFn)> = CHECKS
        .iter()
        .filter(|c| c.level <= level)
        .filter_map(|c| c.at(version).map(|f| (*c, f)))
        .collect();
    let overridden: Vec<&str> = active
        .iter()
        .flat_map(|(c, _)| c.overrides.iter().copied())
        .collect();
    active
        .into_iter()
        .filter(|(c, _)| !overridden.contains(&c.id()))
        .collect()
}

/// Evaluates a pod against the standard at `level` and `version`.
pub fn evaluate(
    level: Level,
    version: KubeVersion,
    pod: &PodTemplate<'_>,
) -> Vec<(&'static PssCheck, Violation)> {
    checks_for(level, version)
        .into_iter()
        .flat_map(|(c, f)| f(pod).into_iter().map(move |v| (c, v)))
        .collect()
}

/// Reports violations as findings of the check's rule. `out` must be the emitter of `check`'s
/// rule (it carries the code, severity and help); `check` is named so that `--pod-security` mode,
/// which evaluates many checks at once, states which one the violations belong to.
pub fn emit(check: &PssCheck, violations: Vec<Violation>, out: &mut Emitter<'_>) {
    let _ = check;
    for v in violations {
        let f = out.report(&v.pointer, v.message);
        f.container = v.container.map(String::into_boxed_str);
        f.fix = v.fix;
    }
}

impl PssCheck {
    /// The violations this check reports as an ordinary rule at `version`: its own, minus those
    /// an overridden baseline check reports at the same pointer (see the module docs).
    pub fn rule_violations(&self, version: KubeVersion, pod: &PodTemplate<'_>) -> Vec<Violation> {
        let version = version.min(LATEST_POLICY);
        let Some(f) = self.at(version) else {
            return Vec::new();
        };
        let mut own = f(pod);
        for id in self.overrides {
            let Some(other) = check_by_id(id).and_then(|c| c.at(version)) else {
                continue;
            };
            let theirs = other(pod);
            own.retain(|v| !theirs.iter().any(|t| t.pointer == v.pointer));
        }
        own
    }
}

/// As an ordinary rule, a check runs at the target Kubernetes version.
impl ObjectRule for PssCheck {
    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        self.check_pod(cx, object, object.pod_template().as_ref(), out);
    }

    fn check_pod(
        &self,
        cx: &Context<'_>,
        _object: &Object,
        pod: Option<&PodTemplate<'_>>,
        out: &mut Emitter<'_>,
    ) {
        let Some(pod) = pod else {
            return;
        };
        emit(
            self,
            self.rule_violations(cx.settings.kubernetes_version, pod),
            out,
        );
    }
}

/// Version range of a check as a rule: from its first version on.
pub const fn since(v: KubeVersion) -> VersionRange {
    VersionRange::since(v)
}

// ---------------------------------------------------------------------------------------------
// Reading helpers shared by the checks.

/// The value of `key` when it is present and not `null`: the API server decodes `key: null` as
/// an absent field, and so must every check.
pub(crate) fn present<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.get(key).filter(|n| !n.is_null())
}

/// Follows `keys` through nested mappings, treating `null` anywhere as absent.
pub(crate) fn present_path<'a>(node: &'a Node, keys: &[&str]) -> Option<&'a Node> {
    keys.iter().try_fold(node, |n, k| present(n, k))
}

/// The text of a string field as Go would decode it: absent or `null` is `""`.
pub(crate) fn text(node: Option<&Node>) -> &str {
    node.and_then(Node::as_str).unwrap_or("")
}

/// The pod-level `securityContext` and its pointer (written out only if a violation needs it).
pub(crate) fn pod_security_context<'a>(
    pod: &PodTemplate<'a>,
) -> (Option<&'a Node>, SubPointer<&'static str>) {
    (
        present(pod.spec, "securityContext"),
        SubPointer {
            base: pod.spec_pointer,
            key: "securityContext",
        },
    )
}

/// A container's `securityContext` and its pointer (written out only if a violation needs it).
pub(crate) fn container_security_context<'a>(
    c: &Container<'a>,
) -> (Option<&'a Node>, SubPointer<ContainerPointer>) {
    (
        present(c.node, "securityContext"),
        SubPointer {
            base: c.pointer,
            key: "securityContext",
        },
    )
}

/// Pointer of a pod annotation (annotation keys contain `/`, which pointers escape).
pub(crate) fn annotation_pointer(pod: &PodTemplate<'_>, key: &str) -> String {
    format!("{}/annotations/{}", pod.meta_pointer, escape_pointer(key))
}

/// The pod's annotations, in document order.
pub(crate) fn annotations<'a>(pod: &PodTemplate<'a>) -> impl Iterator<Item = (&'a str, &'a str)> {
    pod.metadata
        .and_then(|m| present(m, "annotations"))
        .map(Node::entries)
        .unwrap_or(&[])
        .iter()
        .map(|e| (&*e.key, text(Some(&e.value))))
}

/// A Windows pod (`spec.os.name: windows`), which restricted checks for Linux-only settings
/// exempt from policy version 1.25 on.
pub(crate) fn is_windows(pod: &PodTemplate<'_>) -> bool {
    pod.is_windows()
}

/// A pod in its own user namespace (`hostUsers: false`), which some checks relax for from 1.35
/// on. Only a real boolean `false` relaxes: a quoted `"false"` is a manifest the API server
/// rejects, and a check must not become weaker because of a typo.
pub(crate) fn in_user_namespace(pod: &PodTemplate<'_>) -> bool {
    pod.spec.get("hostUsers").and_then(Node::as_bool) == Some(false)
}

/// `"value"` for messages.
pub(crate) fn q(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// `CHECKS` is the standard as `--pod-security` evaluates it; the registry is how every other
    /// mode runs the same checks. A check in one and not the other would make the modes disagree.
    #[test]
    fn the_standard_and_the_registry_hold_the_same_checks() {
        let standard: BTreeSet<&str> = super::CHECKS.iter().map(|c| c.meta.code).collect();
        let registered: BTreeSet<&str> = crate::registry::objects()
            .filter(|r| r.meta.pss_check.is_some())
            .map(|r| r.meta.code)
            .collect();
        assert_eq!(standard, registered);
    }
}
