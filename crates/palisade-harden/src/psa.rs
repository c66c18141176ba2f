//! Pod Security Admission labels: per namespace, the strictest level every workload in it already
//! passes, evaluated with the PSS engine at the pinned policy version; `warn` and `audit` one
//! level stricter, so the next step shows up in `kubectl` warnings and the audit log first.
//!
//! A namespace whose existing label is stricter keeps it (the bundle never loosens); workloads
//! that label already rejects are reported, not counted as broken by the bundle.

use palisade_core::{KubeVersion, Object};
use palisade_rules::namespace::{self, PSA_SINCE};
use palisade_rules::pss::Level;

use crate::inventory::Inventory;

/// A workload that blocks a stricter level, and the upstream checks it fails there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocker {
    pub workload: String,
    pub checks: Vec<&'static str>,
}

/// The labels chosen for one namespace.
#[derive(Clone, Debug)]
pub struct Choice {
    pub namespace: String,
    pub enforce: Level,
    pub warn: Level,
    /// `v1.N`.
    pub version: String,
    /// Workloads that fail the next stricter level (empty at restricted).
    pub blockers: Vec<Blocker>,
    /// Set when the namespace already enforced a stricter level, which the bundle keeps; the
    /// workloads that level rejects.
    pub kept_existing: Option<Vec<Blocker>>,
    /// `kube-system`: always `privileged` (see [`SYSTEM_NAMESPACE`]).
    pub system: bool,
}

/// The namespace the guide's privileged policy is for: never labelled stricter than `privileged`
/// (warn and audit still report at `baseline`). See [`namespace::SYSTEM_NAMESPACE`].
pub const SYSTEM_NAMESPACE: &str = namespace::SYSTEM_NAMESPACE;

/// The policy version the labels pin: the target version, or the newest the engine knows.
pub fn pinned(version: KubeVersion) -> KubeVersion {
    namespace::policy_version(version)
}

fn stricter(l: Level) -> Level {
    match l {
        Level::Privileged => Level::Baseline,
        _ => Level::Restricted,
    }
}

/// Upstream check IDs `object`'s pods fail at `level` (shared with the PS160/PS161 fixes).
pub fn failing(object: &Object, level: Level, version: KubeVersion) -> Vec<&'static str> {
    namespace::failing(object, level, version)
}

/// Chooses the labels of every namespace. Empty before Kubernetes 1.23 (no Pod Security
/// Admission).
pub fn choose(inv: &Inventory, version: KubeVersion) -> Vec<Choice> {
    if version < PSA_SINCE {
        return Vec::new();
    }
    let at = pinned(version);
    inv.namespaces
        .iter()
        .map(|ns| {
            // Every pod-bearing object, controlled ones included: a live cluster's mirror pods
            // of static control-plane pods have a Node as controller, and are admitted too.
            let workloads: Vec<usize> = pod_objects(inv, ns);
            // The same choice as the PS160/PS161 fixes make.
            let mut enforce =
                namespace::enforce_level(ns, workloads.iter().map(|&w| &inv.objects[w]), at);
            let existing = inv
                .namespace_objects
                .get(ns)
                .and_then(|&i| namespace::enforced(&inv.objects[i], version));
            let mut kept_existing = None;
            let system = ns == SYSTEM_NAMESPACE;
            // kube-system is always privileged (`enforce_level` says so): components no manifest
            // shows run there (static control-plane pods, CNI and kube-proxy DaemonSets).
            if let Some(e) = existing.filter(|e| !system && e.level > enforce) {
                enforce = e.level;
                kept_existing = Some(blockers(inv, &workloads, enforce, at));
            }
            let blockers = if enforce == Level::Restricted {
                Vec::new()
            } else {
                blockers(inv, &workloads, stricter(enforce), at)
            };
            Choice {
                namespace: ns.clone(),
                warn: stricter(enforce),
                enforce,
                version: format!("v{}.{}", at.major, at.minor),
                blockers,
                kept_existing,
                system,
            }
        })
        .collect()
}

/// Indexes into the inventory's objects of everything in `namespace` that runs pods.
pub fn pod_objects(inv: &Inventory, namespace: &str) -> Vec<usize> {
    inv.objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.namespace() == Some(namespace) && o.pod_template().is_some())
        .map(|(i, _)| i)
        .collect()
}

/// The objects (indexes) among `workloads` that fail `level`, with the checks they fail.
fn blockers(inv: &Inventory, workloads: &[usize], level: Level, at: KubeVersion) -> Vec<Blocker> {
    workloads
        .iter()
        .filter_map(|&w| {
            let checks = failing(&inv.objects[w], level, at);
            let o = &inv.objects[w];
            (!checks.is_empty()).then(|| Blocker {
                workload: format!(
                    "{} {}/{}",
                    o.kind(),
                    o.namespace().unwrap_or_default(),
                    o.name().unwrap_or("(unnamed)")
                ),
                checks,
            })
        })
        .collect()
}

/// The six labels for a choice.
pub fn labels(c: &Choice) -> Vec<(String, String)> {
    let v = &c.version;
    vec![
        (namespace::ENFORCE.to_owned(), c.enforce.as_str().to_owned()),
        (namespace::ENFORCE_VERSION.to_owned(), v.clone()),
        (
            "pod-security.kubernetes.io/warn".to_owned(),
            c.warn.as_str().to_owned(),
        ),
        (
            "pod-security.kubernetes.io/warn-version".to_owned(),
            v.clone(),
        ),
        (
            "pod-security.kubernetes.io/audit".to_owned(),
            c.warn.as_str().to_owned(),
        ),
        (
            "pod-security.kubernetes.io/audit-version".to_owned(),
            v.clone(),
        ),
    ]
}
