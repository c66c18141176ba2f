//! Following a fix's JSON pointer through the loaded document to the nodes it names.
//!
//! The editor needs more than the node a pointer ends at: the mapping entry holding it (for the
//! key's span), its index in a sequence, its parent, and which entries a mapping writes itself
//! rather than receives from a `<<` merge. A pointer resolves as far as it can; the missing rest
//! is what a `Set` or `Append` creates.

use crate::yaml::node::{Entry, Node, Value};

/// One node on the way a pointer takes.
pub(super) struct Step<'n> {
    pub(super) node: &'n Node,
    /// The mapping entry holding `node`, when its parent is a mapping.
    pub(super) entry: Option<&'n Entry>,
    /// Its index, when its parent is a sequence.
    pub(super) index: Option<usize>,
    /// Whether its parent is written in flow style (so `,` `]` `}` end a plain scalar).
    pub(super) in_flow: bool,
}

/// Follows `segs` from `root` as far as they resolve: the root, then one step per segment found.
pub(super) fn walk<'n>(root: &'n Node, segs: &[String]) -> Vec<Step<'n>> {
    let mut steps = vec![Step {
        node: root,
        entry: None,
        index: None,
        in_flow: false,
    }];
    for seg in segs {
        let node = steps.last().expect("non-empty").node;
        let step = match &node.value {
            Value::Map(entries) => entries.iter().find(|e| *e.key == **seg).map(|e| Step {
                node: &e.value,
                entry: Some(e),
                index: None,
                in_flow: false,
            }),
            Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| {
                items.get(i).map(|n| Step {
                    node: n,
                    entry: None,
                    index: Some(i),
                    in_flow: false,
                })
            }),
            Value::Scalar(_) => None,
        };
        match step {
            Some(s) => steps.push(s),
            None => break,
        }
    }
    steps
}

/// Whether item `i` of a sequence is an alias (its span is its anchor's, written before the
/// sequence or before the item preceding it). An alias first item whose anchor follows the
/// sequence is caught by the dash check: an anchored node's text is preceded by `&name`.
pub(super) fn item_is_alias(seq: &Node, items: &[Node], i: usize) -> bool {
    let start = items[i].span.start;
    start < seq.span.start || (i > 0 && start <= items[i - 1].span.start)
}

/// The entries written in this mapping itself: not those a `<<` merge brought in (which sit
/// elsewhere in the text, or at another column).
pub(super) fn own_entries<'n>(map: &Node, entries: &'n [Entry]) -> Vec<&'n Entry> {
    let Some(first) = entries.first() else {
        return Vec::new();
    };
    if first.key_span.start < map.span.start {
        return Vec::new();
    }
    let col = first.key_span.start.col;
    let line = first.key_span.start.line;
    entries
        .iter()
        .filter(|e| {
            e.key_span.start >= map.span.start
                && (e.key_span.start.col == col || e.key_span.start.line == line)
        })
        .collect()
}
