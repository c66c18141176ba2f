//! `Set` operations: replacing a scalar in place (keeping its quoting style where it can),
//! writing a value under an empty `key:`, and creating missing keys, with their missing parents
//! as nested block mappings, at the indentation of the mapping they go into.

use super::pointer::{own_entries, Step};
use super::value::{equals, flow, is_empty_null, key_text, nest, scalar};
use super::{Editor, OpEdit, Skip, TextEdit};
use crate::fix::FixValue;
use crate::yaml::node::{Entry, Value};

impl<'t> Editor<'t> {
    pub(super) fn set_existing(
        &self,
        step: &Step<'_>,
        value: &FixValue,
    ) -> Result<Option<OpEdit>, Skip> {
        let node = step.node;
        if equals(node, value) {
            return Ok(None);
        }
        match (&node.value, value) {
            (Value::Scalar(_), _) if is_empty_null(node) => {
                let entry = step.entry.ok_or(Skip::Layout("empty sequence item"))?;
                self.under_empty_key(entry, value)
            }
            (Value::Scalar(_), _) => {
                let (start, end) = self.scalar_extent(node, step.in_flow)?;
                // A string replacing a quoted string keeps its quotes: double quotes can write
                // anything, single quotes anything printable on one line. Other values (a
                // boolean replacing `"true"`) must not be quoted.
                let text = match (value, self.char_at(start)) {
                    (FixValue::Str(s), Some('"')) => crate::yaml::scalar::double_quoted(s),
                    (FixValue::Str(s), Some('\'')) if !s.chars().any(char::is_control) => {
                        format!("'{}'", s.replace('\'', "''"))
                    }
                    (FixValue::Str(s), Some('\'')) => crate::yaml::scalar::double_quoted(s),
                    (FixValue::List(_) | FixValue::Map(_), _) => flow(value, self.json),
                    _ => scalar(value, self.json),
                };
                Ok(Some(OpEdit {
                    edit: TextEdit { start, end, text },
                    node_at: start,
                }))
            }
            _ => Err(Skip::Layout("would replace a whole mapping or list")),
        }
    }

    /// Creates `rest` (missing keys, the last one set to `value`) below the existing node `at`.
    pub(super) fn create(
        &self,
        at: &Step<'_>,
        rest: &[String],
        value: FixValue,
    ) -> Result<Option<OpEdit>, Skip> {
        let node = at.node;
        let (key, nested) = nest(rest, value);
        match &node.value {
            Value::Map(entries) => {
                if self.is_flow(node) {
                    return self.flow_insert(
                        node,
                        &format!(
                            "{}: {}",
                            key_text(&key, self.json),
                            flow(&nested, self.json)
                        ),
                    );
                }
                let own = own_entries(node, entries);
                let first = own
                    .first()
                    .ok_or(Skip::Layout("mapping of merged keys only"))?;
                self.no_explicit_keys(entries)?;
                self.tab_before(first.key_span.start)?;
                let indent = first.key_span.start.col as usize - 1;
                let last = own.last().expect("non-empty");
                let line = if last.value.span.start < last.key_span.end {
                    last.key_span.end.line
                } else {
                    self.content_end_line(&last.value)?
                        .max(last.key_span.end.line)
                };
                let (at_off, break_first) = self.after_line(line);
                let mut text = String::new();
                self.block_entry(&mut text, &key, &nested, indent);
                self.insertion(at_off, break_first, text, self.offset(node.span.start))
            }
            Value::Scalar(_) if is_empty_null(node) => {
                let entry = at.entry.ok_or(Skip::Layout("empty sequence item"))?;
                self.under_empty_key(entry, &FixValue::Map(vec![(key, nested)]))
            }
            Value::Scalar(s) if s.is_null() => {
                let (start, end) = self.scalar_extent(node, at.in_flow)?;
                Ok(Some(OpEdit {
                    edit: TextEdit {
                        start,
                        end,
                        text: flow(&FixValue::Map(vec![(key, nested)]), self.json),
                    },
                    node_at: start,
                }))
            }
            Value::Seq(_) => Err(Skip::Layout("sequence index out of range")),
            Value::Scalar(_) => Err(Skip::Layout("parent is not a mapping")),
        }
    }

    /// `key:` with no value: the value goes on the following lines, indented below the key.
    fn under_empty_key(&self, entry: &Entry, value: &FixValue) -> Result<Option<OpEdit>, Skip> {
        // `key:` then nothing but an optional comment on the key's line.
        let key_end = self.offset(entry.key_span.end);
        let line = self.line(entry.key_span.start.line);
        let line_start = self.line_start(entry.key_span.start.line);
        // A key whose span runs past its line (a multi-line quoted key) is no `key:` layout.
        let Some(after_key) = self.text.get(key_end..line_start + line.len()) else {
            return Err(Skip::Layout("empty value in an unusual place"));
        };
        let colon = after_key.find(':').map(|i| key_end + i + 1);
        let rest = after_key.split_once(':').map_or("x", |(_, r)| r.trim());
        let Some(colon) = colon.filter(|_| rest.is_empty() || rest.starts_with('#')) else {
            return Err(Skip::Layout("empty value in an unusual place"));
        };
        // An empty value can still carry a tag or an anchor on the lines below the key
        // (`key:` then `  !tag`): those lines belong to the value, and text inserted above them
        // would change what they apply to (found by the fix_editor fuzz target).
        self.tab_before(entry.key_span.start)?;
        let key_indent = entry.key_span.start.col as usize - 1;
        let below = (entry.key_span.start.line + 1..=self.line_starts.len() as u32)
            .map(|l| self.line(l))
            .find(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#')
            });
        if below.is_some_and(|l| l.len() - l.trim_start().len() > key_indent) {
            return Err(Skip::Layout(
                "empty value with a tag or anchor below its key",
            ));
        }
        // The edit changes the key's value: checked against shared regions at the key (the
        // empty value's span can lie just past an anchored mapping's last content).
        let key_start = self.offset(entry.key_span.start);
        let indent = entry.key_span.start.col as usize - 1 + 2;
        let (at, break_first) = self.after_line(entry.key_span.start.line);
        let mut text = String::new();
        match value {
            FixValue::Map(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    self.block_entry(&mut text, k, v, indent);
                }
            }
            FixValue::List(items) if !items.is_empty() => {
                for item in items {
                    self.block_item(&mut text, item, indent);
                }
            }
            _ => {
                // A scalar (or empty collection) goes on the key's line.
                return Ok(Some(OpEdit {
                    edit: TextEdit {
                        start: colon,
                        end: colon,
                        text: format!(" {}", flow(value, self.json)),
                    },
                    node_at: key_start,
                }));
            }
        }
        self.insertion(at, break_first, text, key_start)
    }
}
