//! Pod Security Standards, check by check and version by version, as k8s.io/pod-security-admission
//! evaluates them.
//!
//! Each upstream check lives in its own file and declares the policy versions at which its
//! semantics changed ([`VersionedCheck`]); evaluating the standard at a version uses, for each
//! check, the newest variant not newer than that version. `restricted` includes every `baseline`
//! check except those a restricted check overrides (`seccompProfile_restricted` replaces
//! `seccompProfile_baseline`, `capabilities_restricted` replaces `capabilities_baseline`).

use std::fmt;
use std::str::FromStr;

use palisade_core::{
    Context, Emitter, KubeVersion, Object, PodTemplate, Rule, RuleMeta, VersionRange,
};

mod privileged;

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
    pub pointer: String,
    /// What is forbidden, in upstream's words where they exist ("privileged", "host namespaces").
    pub message: String,
    /// The container, for per-container violations.
    pub container: Option<String>,
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
    /// their baseline counterparts).
    pub overrides: &'static [&'static str],
    /// Versions, oldest first.
    pub versions: &'static [VersionedCheck],
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
}

/// Every check, in the order upstream lists them.
pub static CHECKS: &[&PssCheck] = &[&privileged::CHECK];

/// The checks that make up `level` at policy `version`, with the logic each uses there.
pub fn checks_for(level: Level, version: KubeVersion) -> Vec<(&'static PssCheck, CheckFn)> {
    let version = version.min(LATEST_POLICY);
    let active: Vec<(&'static PssCheck, CheckFn)> = CHECKS
        .iter()
        .filter(|c| c.level <= level && level != Level::Privileged)
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

/// Reports violations as findings of the check's rule.
pub fn emit(check: &PssCheck, violations: Vec<Violation>, out: &mut Emitter<'_>) {
    let _ = check;
    for v in violations {
        let f = out.report(&v.pointer, v.message);
        f.container = v.container;
    }
}

/// As an ordinary rule, a check runs at the target Kubernetes version.
impl Rule for PssCheck {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check(&self, cx: &Context<'_>, object: &Object, out: &mut Emitter<'_>) {
        let Some(pod) = object.pod_template() else {
            return;
        };
        if let Some(f) = self.at(cx.settings.kubernetes_version.min(LATEST_POLICY)) {
            emit(self, f(&pod), out);
        }
    }
}

/// Version range of a check as a rule: from its first version on.
pub const fn since(v: KubeVersion) -> VersionRange {
    VersionRange::since(v)
}
