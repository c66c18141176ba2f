//! The CNI files CIS 1.1.9/1.1.10 look at, shared by KL608 and KL609.

use super::{Outcomes, Verdict};
use crate::discover::Inventory;
use palisade_core::RuleMeta;

/// The CNI files, or "not evaluated" with why when there are none to judge.
pub fn files<'i>(
    inv: &'i Inventory,
    meta: &'static RuleMeta,
    cis: &'static str,
    out: &mut Outcomes,
) -> Option<&'i [String]> {
    if let Some((dir, Some(why))) = inv.cni_dirs.iter().find(|(_, e)| e.is_some()) {
        out.item(
            meta,
            cis,
            Verdict::NotEvaluated,
            format!("cannot read {dir}: {why}"),
        );
    }
    if inv.layout == crate::discover::Layout::Api {
        out.item(
            meta,
            cis,
            Verdict::NotEvaluated,
            format!("CNI files: {}", crate::api::NO_FILES),
        );
        return None;
    }
    if inv.cni_files.is_empty() {
        let looked: Vec<&str> = inv.cni_dirs.iter().map(|(d, _)| d.as_str()).collect();
        out.item(
            meta,
            cis,
            Verdict::NotEvaluated,
            format!("no CNI files found (looked in {})", looked.join(", ")),
        );
        return None;
    }
    Some(&inv.cni_files)
}
