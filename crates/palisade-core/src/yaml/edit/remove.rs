//! `Remove` operations: taking a key (with its value's lines) out of a mapping or an item out of
//! a sequence, whole lines in block style and up to the next item in flow style, leaving `{}`
//! where the first key of a sequence item goes.
//!
//! A key written twice is never removed: the loader keeps the last one, and removing it would
//! bring the first back.

use super::pointer::{item_is_alias, own_entries, Step};
use super::{Editor, OpEdit, Skip, TextEdit};
use crate::yaml::node::{Pos, Value};

impl<'t> Editor<'t> {
    pub(super) fn remove(
        &self,
        parent: &Step<'_>,
        target: &Step<'_>,
    ) -> Result<Option<OpEdit>, Skip> {
        let pnode = parent.node;
        let flow_parent = self.is_flow(pnode);
        let node_at = self.offset(pnode.span.start);
        let edit = |start: usize, end: usize, text: &str| {
            Ok(Some(OpEdit {
                edit: TextEdit {
                    start,
                    end,
                    text: text.to_owned(),
                },
                node_at,
            }))
        };
        // (start of the removed item, start of the next item, end of the previous item)
        let (start, last_line, next, prev_end): (Pos, u32, Option<Pos>, Option<Pos>) =
            match &pnode.value {
                Value::Map(entries) => {
                    self.no_explicit_keys(entries)?;
                    let own = own_entries(pnode, entries);
                    let entry = target.entry.expect("a mapping's child has an entry");
                    // Removing the last of a key written twice would bring the first one back.
                    let duplicates = self.duplicates.get_or_init(|| {
                        crate::yaml::load_str(self.text, &crate::yaml::Limits::default())
                            .0
                            .iter()
                            .flat_map(|d| d.duplicate_keys.iter().map(|k| k.second.start))
                            .collect()
                    });
                    if duplicates.contains(&entry.key_span.start) {
                        return Err(Skip::Layout(
                            "key written twice in its mapping (removing one brings back the other)",
                        ));
                    }
                    let i = own
                        .iter()
                        .position(|e| std::ptr::eq(*e, entry))
                        .ok_or(Skip::Shared)?;
                    let last_line = if entry.value.span.start < entry.key_span.end {
                        entry.key_span.end.line
                    } else {
                        self.content_end_line(&entry.value)?
                            .max(entry.key_span.end.line)
                    };
                    (
                        entry.key_span.start,
                        last_line,
                        own.get(i + 1).map(|e| e.key_span.start),
                        i.checked_sub(1).map(|p| own[p].value.span.end),
                    )
                }
                Value::Seq(items) => {
                    let i = target.index.expect("a sequence's child has an index");
                    if !flow_parent && item_is_alias(pnode, items, i) {
                        return Err(Skip::Shared);
                    }
                    (
                        items[i].span.start,
                        self.content_end_line(&items[i])?,
                        items.get(i + 1).map(|n| n.span.start),
                        i.checked_sub(1).map(|p| items[p].span.end),
                    )
                }
                Value::Scalar(_) => return Err(Skip::Layout("parent is not a collection")),
            };
        if flow_parent {
            let s = self.offset(start);
            let target_end = match &target.node.value {
                Value::Scalar(_) => self.scalar_extent(target.node, true)?.1,
                _ => self.offset(target.node.span.end),
            };
            return match (next, prev_end) {
                (Some(n), _) => edit(s, self.offset(n), ""),
                (None, Some(p)) => edit(self.offset(p), target_end, ""),
                (None, None) => edit(s, target_end, ""),
            };
        }
        let line_start = self.line_start(start.line);
        let before = self.text_before(start);
        let is_seq = matches!(pnode.value, Value::Seq(_));
        let first_on_line = if is_seq {
            // `  - item`: only the dash (and white space) before the item.
            let t = before.trim_end();
            t.ends_with('-') && t[..t.len() - 1].trim().is_empty()
        } else {
            before.trim().is_empty()
        };
        if first_on_line {
            let (end, _) = self.after_line(last_line);
            return edit(line_start, end, "");
        }
        // The first key of a sequence item (`- hostPort: 80`): keep the dash.
        let s = self.offset(start);
        match next {
            Some(n) if !is_seq => edit(s, self.offset(n), ""),
            _ if !is_seq => {
                // The replaced range takes the line break too (written back as it was), so that
                // an insertion after these lines touches it and waits for the next round: a key
                // inserted below `- {}` would not parse.
                let line_end = self.line_start(last_line) + self.line(last_line).len();
                let (end, _) = self.after_line(last_line);
                edit(s, end, &format!("{{}}{}", &self.text[line_end..end]))
            }
            _ => Err(Skip::Layout("nested sequence on one line")),
        }
    }
}
