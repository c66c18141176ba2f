//! Node rules: ordinary Palisade rules (a [`RuleMeta`] each, one per file) that read the node's
//! [`Inventory`] instead of one object. A rule reports findings *and* a verdict for each CIS
//! Benchmark item it decides, so `palisade node` and `palisade node --benchmark cis` can never
//! disagree.
//!
//! Codes: `CP5xx` control plane (API server, controller manager, scheduler, etcd and their files),
//! `KL6xx` kubelet, kube-proxy and worker files.

use palisade_core::{Finding, Location, ObjectRef, RuleMeta};

use crate::component::{Component, ComponentKind, Effective};
use crate::discover::Inventory;

mod cni_files;
mod cp;
mod kl;
mod node_files;

/// The stage of a node rule (registered as [`palisade_core::Stage::Node`]).
pub trait NodeRule: Send + Sync {
    /// The CIS Kubernetes Benchmark items (cis-1.12 ids) this rule gives verdicts for.
    fn cis(&self) -> &'static [&'static str] {
        &[]
    }

    /// Checks the inventory; reports findings and CIS verdicts into `out`.
    fn check(&self, inventory: &Inventory, out: &mut Outcomes);
}

/// Every registered node rule, by code.
pub fn all() -> Vec<(&'static RuleMeta, &'static dyn NodeRule)> {
    palisade_core::registry::all()
        .iter()
        .filter_map(|r| Some((r.meta, *r.downcast::<&'static dyn NodeRule>()?)))
        .collect()
}

/// Declarations of every node rule.
pub fn metas() -> Vec<&'static RuleMeta> {
    all().into_iter().map(|(meta, _)| meta).collect()
}

/// The verdict on one CIS item (possibly one of several contributions to it: one per file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    Pass,
    Fail,
    NotEvaluated,
}

/// One contribution to a CIS item's verdict, with what it rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    pub cis: &'static str,
    pub verdict: Verdict,
    /// What was seen (`--profiling=false at /etc/kubernetes/manifests/kube-apiserver.yaml:17`),
    /// or why nothing could be (`no kube-apiserver on this node`).
    pub evidence: String,
    /// The rule that gave the verdict.
    pub code: &'static str,
}

/// What rules report: findings and CIS verdicts.
#[derive(Debug, Default)]
pub struct Outcomes {
    pub findings: Vec<Finding>,
    pub items: Vec<ItemResult>,
}

impl Outcomes {
    /// A finding of `meta` about `component` at `location`.
    pub fn report(
        &mut self,
        meta: &'static RuleMeta,
        component: Option<ComponentKind>,
        location: Location,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            code: meta.code,
            rule: meta.name,
            severity: meta.severity,
            pss_check: None,
            location,
            object: component.map(|k| {
                std::sync::Arc::new(ObjectRef {
                    api_version: String::new(),
                    kind: k.name().to_owned(),
                    namespace: None,
                    name: None,
                })
            }),
            container: None,
            related: None,
            message: message.into().into_boxed_str(),
            help: meta.help,
            suppressed: None,
            baselined: false,
            fix: None,
            flow: None,
        });
    }

    pub fn item(
        &mut self,
        meta: &'static RuleMeta,
        cis: &'static str,
        verdict: Verdict,
        evidence: impl Into<String>,
    ) {
        self.items.push(ItemResult {
            cis,
            verdict,
            evidence: evidence.into(),
            code: meta.code,
        });
    }

    /// Marks every item in `cis` not evaluated, with the reason.
    pub fn not_evaluated(&mut self, meta: &'static RuleMeta, cis: &[&'static str], why: &str) {
        for id in cis {
            self.item(meta, id, Verdict::NotEvaluated, why);
        }
    }

    /// One setting checked against a predicate: a CIS verdict (when `cis` is given) and a
    /// finding when it fails. `None` for `effective` means "not set and no default applies".
    #[allow(clippy::too_many_arguments)]
    pub fn setting(
        &mut self,
        meta: &'static RuleMeta,
        cis: Option<&'static str>,
        c: &Component,
        what: &str,
        effective: Option<&Effective>,
        ok: bool,
        message: impl FnOnce(Option<&Effective>) -> String,
    ) {
        let evidence = describe(what, effective);
        if let Some(id) = cis {
            let verdict = if ok { Verdict::Pass } else { Verdict::Fail };
            self.item(meta, id, verdict, evidence);
        }
        if !ok {
            let msg = message(effective);
            self.report(meta, Some(c.kind), c.location_of(effective), msg);
        }
    }
}

/// `--profiling=true (flag default for v1.29)` / `--token-auth-file not set`.
pub fn describe(what: &str, e: Option<&Effective>) -> String {
    match e {
        Some(e) => format!("{what}={} ({})", e.value, e.source),
        None => format!("{what} not set"),
    }
}

/// The component, or "not evaluated" for every item in `cis` when it is not on the node.
pub fn require<'i>(
    inventory: &'i Inventory,
    kind: ComponentKind,
    meta: &'static RuleMeta,
    cis: &[&'static str],
    out: &mut Outcomes,
) -> Option<&'i Component> {
    match inventory.component(kind) {
        Some(c) => Some(c),
        None => {
            let why = if inventory.layout == crate::discover::Layout::Api {
                if kind == ComponentKind::KubeProxy {
                    "kube-proxy runs from a DaemonSet whose configuration (ConfigMap \
                     kube-system/kube-proxy) is not read through the API"
                        .to_owned()
                } else {
                    format!("no {kind} visible through the Kubernetes API")
                }
            } else if kind.is_control_plane() && !inventory.has_control_plane() {
                format!(
                    "no {kind} on this node (a worker node, or a managed control plane: \
                     audit the control plane where it runs)"
                )
            } else {
                format!("no {kind} found on this node")
            };
            out.not_evaluated(meta, cis, &why);
            None
        }
    }
}

/// A flag's effective value as the text `--name=value (source)`.
pub fn flag_text(name: &str, e: &Effective) -> String {
    format!("--{name}={} ({})", e.value, e.source)
}

/// Checks that a file's mode has no bit outside `allowed` (kube-bench's `bitmask` test:
/// `stat -c %a` must be `allowed` or more restrictive). A missing file is "not evaluated".
#[allow(clippy::too_many_arguments)]
pub fn file_mode(
    out: &mut Outcomes,
    meta: &'static RuleMeta,
    cis: &'static str,
    inventory: &Inventory,
    component: Option<ComponentKind>,
    path: &str,
    allowed: u32,
    report: bool,
) {
    match inventory.files.get(path) {
        Some(Ok(m)) => {
            let ok = m.mode & !allowed == 0;
            let evidence = format!("{path}: permissions={:o}", m.mode);
            out.item(
                meta,
                cis,
                if ok { Verdict::Pass } else { Verdict::Fail },
                evidence,
            );
            if !ok && report {
                out.report(
                    meta,
                    component,
                    Location::Path {
                        path: path.into(),
                        pos: None,
                    },
                    format!(
                        "{path} has mode {:o}, more permissive than {allowed:o}",
                        m.mode
                    ),
                );
            }
        }
        Some(Err(e)) => out.item(meta, cis, Verdict::NotEvaluated, e.to_string()),
        None => out.item(meta, cis, Verdict::NotEvaluated, not_read(inventory, path)),
    }
}

/// Checks a file's `user:group` (as `stat -c %U:%G` prints it, names from the node's
/// `/etc/passwd` and `/etc/group`).
#[allow(clippy::too_many_arguments)]
pub fn file_owner(
    out: &mut Outcomes,
    meta: &'static RuleMeta,
    cis: &'static str,
    inventory: &Inventory,
    component: Option<ComponentKind>,
    path: &str,
    expected: &str,
    report: bool,
) {
    match inventory.files.get(path) {
        Some(Ok(m)) => {
            let owner = inventory.owner(m);
            let ok = owner == expected;
            out.item(
                meta,
                cis,
                if ok { Verdict::Pass } else { Verdict::Fail },
                format!("{path}: {owner}"),
            );
            if !ok && report {
                out.report(
                    meta,
                    component,
                    Location::Path {
                        path: path.into(),
                        pos: None,
                    },
                    format!("{path} is owned by {owner}, not {expected}"),
                );
            }
        }
        Some(Err(e)) => out.item(meta, cis, Verdict::NotEvaluated, e.to_string()),
        None => out.item(meta, cis, Verdict::NotEvaluated, not_read(inventory, path)),
    }
}

/// The static pod manifest of a control-plane component (what CIS 1.1.1–1.1.8 look at).
pub fn manifest_of(c: &Component) -> Option<&str> {
    c.files
        .iter()
        .find(|f| {
            crate::discover::MANIFEST_DIRS
                .iter()
                .any(|d| f.starts_with(d))
        })
        .map(String::as_str)
}

/// A path flag's value as a node path, or the default.
pub fn path_flag(c: &Component, flag: &str, default: &str) -> String {
    crate::fs::join("/", c.flag(flag).map_or(default, |f| f.text()))
}

/// Why the kubelet's configuration cannot be trusted to be complete: its `--config` file (or a
/// drop-in) could not be read. Settings that may live there are then not evaluated.
pub fn kubelet_config_unreadable(c: &Component) -> Option<String> {
    if c.problems.is_empty() {
        return None;
    }
    Some(format!(
        "kubelet configuration not readable: {}",
        c.problems.join("; ")
    ))
}

/// Why a file's mode or owner is not known.
fn not_read(inventory: &Inventory, path: &str) -> String {
    if inventory.layout == crate::discover::Layout::Api {
        format!("{path}: {}", crate::api::NO_FILES)
    } else {
        format!("{path}: not read")
    }
}

#[cfg(test)]
mod registry_tests {
    /// Every code declared under `src/rules` is registered: a rule file that forgot
    /// `register!` (or is not in the module tree) fails here.
    #[test]
    fn every_rule_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
        let registered: Vec<&str> = super::metas().into_iter().map(|m| m.code).collect();
        palisade_core::registry::assert_all_registered(&dir, &registered);
    }
}
