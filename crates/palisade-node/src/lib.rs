//! Palisade's node and control-plane audit.
//!
//! [`discover()`] reads a node (a root directory, optionally a proc tree) into an [`Inventory`]:
//! every Kubernetes component found, its flags, config files and the structured configuration
//! files it names, each value with where it came from ([`component::Source`]). The
//! [`rules`] read the inventory, never the disk, and report ordinary Palisade findings plus a
//! verdict for each CIS Kubernetes Benchmark item they decide; [`cis::Benchmark`] turns those
//! into the benchmark report.
//!
//! [`api`] builds the same inventory from what the Kubernetes API shows (control-plane mirror
//! pods, kubelet `/configz`), for the cluster audit.
//!
//! This crate reads files only under the root and proc directories it is given, and depends on
//! nothing heavier than `palisade-core`.

pub mod api;
pub mod cis;
pub mod cis_mapping;
pub mod component;
pub mod discover;
pub mod flags;
pub mod fs;
pub mod rules;
pub mod structured;
pub mod trust;

pub use cis_mapping::{cis_mapping_document, cis_mapping_markdown};
pub use component::{Component, ComponentKind, Effective, Source};
pub use discover::{discover, Inventory, Layout, Options, Problem};

use palisade_core::Finding;

/// What auditing one node produced.
#[derive(Debug)]
pub struct NodeReport {
    pub inventory: Inventory,
    /// Findings of every node rule, sorted by file, position and code.
    pub findings: Vec<Finding>,
    /// Every verdict rules gave on CIS items.
    pub items: Vec<rules::ItemResult>,
    /// The CIS benchmark report built from those verdicts.
    pub benchmark: cis::Benchmark,
}

impl NodeReport {
    /// The rules that could not give a verdict on some CIS item they decide (its component is
    /// not on this node, a file could not be read), with the reasons, by code: the guide
    /// scorecard must not call a rule evaluated that saw nothing (a worker node has no
    /// kube-apiserver to judge).
    pub fn not_evaluated(&self) -> Vec<palisade_core::NotEvaluated> {
        let mut reasons: std::collections::BTreeMap<&'static str, Vec<&str>> =
            std::collections::BTreeMap::new();
        for item in &self.items {
            if item.verdict == rules::Verdict::NotEvaluated {
                let seen = reasons.entry(item.code).or_default();
                if !seen.contains(&item.evidence.as_str()) {
                    seen.push(&item.evidence);
                }
            }
        }
        reasons
            .into_iter()
            .map(|(code, why)| palisade_core::NotEvaluated {
                code,
                reason: why.join("; "),
            })
            .collect()
    }
}

/// Audits the node described by `options` with every node rule.
pub fn audit(options: &Options) -> NodeReport {
    let inventory = discover(options);
    check(inventory)
}

/// Runs every node rule over an inventory.
pub fn check(inventory: Inventory) -> NodeReport {
    check_selected(inventory, &|_| true)
}

/// Runs the node rules `selected` accepts (the engine's `--select`/`--ignore` selection): a rule
/// left out gives neither findings nor CIS verdicts, so its items are not evaluated.
pub fn check_selected(
    inventory: Inventory,
    selected: &dyn Fn(&palisade_core::RuleMeta) -> bool,
) -> NodeReport {
    let mut out = rules::Outcomes::default();
    for (_, rule) in rules::all().into_iter().filter(|(meta, _)| selected(meta)) {
        rule.check(&inventory, &mut out);
    }
    palisade_core::sort_for_report(&mut out.findings);
    let benchmark = cis::Benchmark::build(&out.items);
    NodeReport {
        inventory,
        findings: out.findings,
        items: out.items,
        benchmark,
    }
}
