//! Rounds of fixes on one text: which edits go together ([`plan`]), when two edits cannot
//! ([`conflict`]), and applying them ([`apply`]).
//!
//! Edits are never merged: each is computed from spans of the text it applies to, so an edit
//! that would touch another's text waits for the next round, on the re-read text.

use super::{Change, Editor, Skip, TextEdit};
use crate::fix::{Fix, FixOp};
use crate::{Object, Origin};

/// What became of one fix in a round of [`plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its edits are in the plan.
    Applied,
    /// The text already says what the fix would write.
    Unchanged,
    /// Its edits overlap edits planned before it: try again on the edited text.
    Deferred,
    Skipped(Skip),
}

/// The edits of one round on one text, each with the operation it carries out (for
/// [`verify`](super::verify)), and what became of each fix.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// One per fix given to [`plan`], in order.
    pub outcomes: Vec<Outcome>,
}

impl Plan {
    /// The text edits to [`apply`].
    pub fn edits(&self) -> Vec<TextEdit> {
        self.changes.iter().map(|c| c.edit.clone()).collect()
    }
}

/// Applies non-overlapping edits (any order) to `text`.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for e in sorted {
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Whether one pointer names the other or a node below it. Two operations on nested nodes of
/// one object (removing `http` and setting a key below `http/paths/0`) never go in one round:
/// each edit was computed for the text the other changes.
fn nested(a: &str, b: &str) -> bool {
    let below =
        |x: &str, y: &str| x.len() > y.len() && x.starts_with(y) && x.as_bytes()[y.len()] == b'/';
    a == b || below(a, b) || below(b, a)
}

/// Whether two edits cannot both be applied: overlapping ranges, insertions at one point (whose
/// order would matter), or an insertion at either end of a replaced range: text inserted where a
/// removed block ends was computed for a parent that the removal may take away (inserting a key
/// into `metadata.labels` while removing `metadata`), so it waits for the next round.
pub fn conflict(a: &TextEdit, b: &TextEdit) -> bool {
    if a == b {
        return false;
    }
    if a.start == a.end && b.start == b.end {
        return a.start == b.start;
    }
    a.start < b.end && b.start < a.end
        || (a.start == a.end && a.start >= b.start && a.start <= b.end)
        || (b.start == b.end && b.start >= a.start && b.start <= a.end)
}

/// Plans one round of fixes on one text: each fix's edits are taken whole when they do not
/// overlap edits already taken (an identical edit, two rules asking for the same change, counts
/// once), and deferred otherwise. Deferring rather than merging keeps every edit computed from
/// spans of the text it applies to; the caller applies the plan, re-reads the text and plans again.
/// The objects must have been loaded from the editor's text.
pub fn plan(editor: &Editor<'_>, fixes: &[(&Object, &Fix)]) -> Plan {
    let mut taken: Vec<Change> = Vec::new();
    let mut outcomes = Vec::with_capacity(fixes.len());
    for (object, fix) in fixes {
        let Origin::File { document, base, .. } = &object.origin else {
            outcomes.push(Outcome::Skipped(Skip::Layout(
                "object not read from a file",
            )));
            continue;
        };
        let edits = match editor.op_edits(&object.node, fix) {
            Ok(e) => e,
            Err(skip) => {
                outcomes.push(Outcome::Skipped(skip));
                continue;
            }
        };
        if edits.is_empty() {
            outcomes.push(Outcome::Unchanged);
            continue;
        }
        // The fix's own operations may collide (two of them creating one missing parent): take
        // the ones that fit now, the rest comes back with the next round's findings.
        let mut partial = false;
        let mut mine: Vec<(usize, TextEdit)> = Vec::new();
        let full = |op: usize| format!("{base}{}", fix.ops[op].pointer());
        // Two removals of top-level keys of one object may together empty its document.
        let top_removal = |op: &FixOp| matches!(op, FixOp::Remove { pointer } if pointer.matches('/').count() == 1);
        for (op, e) in edits {
            if mine.iter().any(|(o, m)| {
                conflict(m, &e)
                    || nested(&full(*o), &full(op))
                    || (top_removal(&fix.ops[*o]) && top_removal(&fix.ops[op]))
            }) {
                partial = true;
            } else {
                mine.push((op, e));
            }
        }
        let clash = |t: &Change, op: usize, e: &TextEdit| {
            t.edit != *e
                && (conflict(&t.edit, e)
                    || (t.document == *document
                        && t.base == *base
                        && top_removal(&t.op)
                        && top_removal(&fix.ops[op]))
                    || (t.document == *document
                        && nested(&format!("{}{}", t.base, t.op.pointer()), &full(op))))
        };
        if mine
            .iter()
            .any(|(op, e)| taken.iter().any(|t| clash(t, *op, e)))
        {
            outcomes.push(Outcome::Deferred);
            continue;
        }
        for (op, e) in mine {
            if !taken.iter().any(|t| t.edit == e) {
                taken.push(Change {
                    document: *document,
                    base: base.clone(),
                    op: fix.ops[op].clone(),
                    edit: e,
                });
            }
        }
        outcomes.push(if partial {
            Outcome::Deferred
        } else {
            Outcome::Applied
        });
    }
    Plan {
        changes: taken,
        outcomes,
    }
}
