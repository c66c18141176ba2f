//! `docs/cis-mapping.md`, generated: which node rule decides each CIS item, from the rules' own
//! declarations ([`crate::rules::NodeRule::cis`]), so the document cannot drift from the code.
//!
//! The file has two parts: the mapping, generated here, and below the line
//! [`HAND_WRITTEN_MARKER`] the prose no rule declares (the API path, the deliberate differences
//! from kube-bench), kept as it is written. The test `cis_mapping` compares the file with
//! [`cis_mapping_document`] and rewrites it with `PALISADE_BLESS=1`.

use std::fmt::Write;

use palisade_core::VersionRange;

use crate::cis::{BENCHMARK, ITEMS, NOT_IMPLEMENTED};

/// The line after which `docs/cis-mapping.md` is written by hand.
pub const HAND_WRITTEN_MARKER: &str =
    "<!-- Written by hand from here on; everything above is generated (see the top). -->\n";

/// What the mapping needs to know of one node rule.
struct Declared {
    code: &'static str,
    name: &'static str,
    guide: &'static str,
    versions: VersionRange,
    summary: &'static str,
    cis: &'static [&'static str],
}

/// Every node rule's declaration: the one place the mapping reads the rule registry.
fn declared() -> Vec<Declared> {
    crate::rules::all()
        .into_iter()
        .map(|(meta, rule)| Declared {
            code: meta.code,
            name: meta.name,
            guide: meta.guide,
            versions: meta.versions,
            summary: meta.summary,
            cis: rule.cis(),
        })
        .collect()
}

/// The generated part of `docs/cis-mapping.md`, ending with [`HAND_WRITTEN_MARKER`].
pub fn cis_mapping_markdown() -> String {
    let mut rules = declared();
    rules.sort_by_key(|r| r.code);
    let mut out = String::new();
    let _ = write!(
        out,
        "# CIS Kubernetes Benchmark → Palisade rules

<!-- Generated from the node rules' CIS declarations down to the \"written by hand\" line
(`palisade_node::cis_mapping_markdown`): change the rules, then run
`PALISADE_BLESS=1 cargo test -p palisade-node cis_mapping`. -->

`palisade node --benchmark cis` prints every item of sections 1–4 of kube-bench's `{BENCHMARK}`
definitions with PASS, FAIL, MANUAL (a Manual item: shown with what its test observed) or
NOT EVALUATED (component absent — e.g. a worker or a managed control plane —, file missing or
unreadable, or not implemented). An item is never PASS without a rule having seen the setting or
file it is about. Section 5 (policies) is about cluster objects and belongs to the cluster audit.

| CIS id | Item | Palisade rule |
|---|---|---|
"
    );
    let mut unruled_automated = Vec::new();
    for item in ITEMS {
        let deciders: Vec<String> = rules
            .iter()
            .filter(|r| r.cis.contains(&item.id))
            .map(|r| format!("{} {}", r.code, r.name))
            .collect();
        let decided = if deciders.is_empty() {
            if item.automated {
                unruled_automated.push(item.id);
            }
            let why = NOT_IMPLEMENTED
                .iter()
                .find(|(id, _)| *id == item.id)
                .map_or("no rule", |(_, why)| why);
            format!("not evaluated: {why}")
        } else {
            deciders.join(", ")
        };
        let manual = if item.automated { "" } else { " (Manual)" };
        let _ = writeln!(
            out,
            "| {}{manual} | {} | {decided} |",
            item.id,
            cell(item.title)
        );
    }
    out.push('\n');
    if unruled_automated.is_empty() {
        out.push_str("Every automated item of sections 1–4 is implemented.\n");
    } else {
        let _ = writeln!(
            out,
            "Automated items no rule decides: {}.",
            unruled_automated.join(", ")
        );
    }
    let unknown: Vec<String> = rules
        .iter()
        .flat_map(|r| r.cis.iter().map(move |id| (r, id)))
        .filter(|(_, id)| !ITEMS.iter().any(|i| i.id == **id))
        .map(|(r, id)| format!("{id} ({})", r.code))
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "\nDeclared items that are not {BENCHMARK} items: {}.",
            unknown.join(", ")
        );
    }
    out.push_str(
        "\n## Rules without a CIS item\n\
         \n\
         Items of the guide (or beyond it) that the benchmark does not have.\n\
         \n\
         | Palisade rule | Guide | Kubernetes | What it finds |\n\
         |---|---|---|---|\n",
    );
    for r in rules.iter().filter(|r| r.cis.is_empty()) {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} | {} |",
            r.code,
            r.name,
            cell(r.guide),
            r.versions,
            cell(r.summary)
        );
    }
    out.push('\n');
    out.push_str(HAND_WRITTEN_MARKER);
    out
}

/// `docs/cis-mapping.md` as it should be, given its current text: the generated part, then the
/// current text's hand-written part (nothing when it has no [`HAND_WRITTEN_MARKER`]).
pub fn cis_mapping_document(current: &str) -> String {
    let hand = current
        .split_once(HAND_WRITTEN_MARKER)
        .map_or("", |(_, hand)| hand);
    format!("{}{hand}", cis_mapping_markdown())
}

/// Text for a table cell: a `|` would end the cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
