//! How a node is written in the text: flow or block style, where its content ends, the exact
//! byte range of a one-line scalar, and the layouts the editor refuses (explicit `?` keys,
//! collections as keys, tabs in indentation).
//!
//! Spans from the loader say where a node starts and where the next token starts; these checks
//! turn that into "this is the text to replace" or "these are the lines it occupies", and answer
//! [`Skip::Layout`] for anything they cannot be sure of rather than guess.

use super::pointer::{item_is_alias, own_entries};
use super::{Editor, Skip};
use crate::yaml::node::{Entry, Node, Pos, Value};

impl<'t> Editor<'t> {
    /// Whether a collection is written in flow style. A block collection's span starts at its
    /// first item or key, which may itself be a flow collection (`- {}`): flow style is an
    /// opening bracket that is not where the first child starts.
    ///
    /// A node's span starts at its properties (`!tag`, `&anchor`) when it has any: they are
    /// skipped first (a tagged flow mapping was taken for a block one; found by fuzzing).
    pub(super) fn is_flow(&self, node: &Node) -> bool {
        let (open, first) = match &node.value {
            Value::Scalar(_) => return false,
            Value::Seq(items) => ('[', items.first().map(|i| i.span.start)),
            Value::Map(entries) => ('{', entries.first().map(|e| e.key_span.start)),
        };
        let mut at = self.offset(node.span.start);
        while let Some('!' | '&') = self.char_at(at) {
            let rest = &self.text[at..];
            let token = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let rest = &rest[token..];
            at += token + (rest.len() - rest.trim_start().len());
        }
        self.char_at(at) == Some(open) && first != Some(node.span.start)
    }

    /// The last line holding content of `node` (block collections end where the next token
    /// starts, which can be lines later). An alias carries the spans of its anchor, elsewhere in
    /// the file: `key: *x` ends on the key's line; an alias item ends a list at an unknown place.
    pub(super) fn content_end_line(&self, node: &Node) -> Result<u32, Skip> {
        if self.is_flow(node) {
            return Ok(node.span.end.line);
        }
        Ok(match &node.value {
            Value::Map(entries) if self.no_explicit_keys(entries).is_err() => {
                return Err(Skip::Layout("mapping with explicit `?` keys"))
            }
            Value::Map(entries) => match own_entries(node, entries).last() {
                Some(e) if e.value.span.start < e.key_span.end => e.key_span.end.line,
                Some(e) => self.content_end_line(&e.value)?.max(e.key_span.end.line),
                None => node.span.start.line,
            },
            Value::Seq(items) if items.is_empty() => node.span.start.line,
            Value::Seq(items) => {
                let last = items.len() - 1;
                if item_is_alias(node, items, last) {
                    return Err(Skip::Shared);
                }
                self.content_end_line(&items[last])?
            }
            Value::Scalar(s) => {
                // A block scalar ends where the next token (or comment) starts, after its
                // trailing blank lines. Those lines are its value's when it keeps them (`|+`: the
                // value ends with two line breaks or more); otherwise the content ends before
                // them. A line of spaces deeper than the content's indentation is content.
                let end = node.span.end;
                let mut line = end.line;
                let before_end = self
                    .line(end.line)
                    .chars()
                    .take(end.col as usize - 1)
                    .all(char::is_whitespace);
                // An empty value (`key:` then a less indented line, `- |` with no content) can
                // be a zero-width span at the next token: its content, nothing, ends before it.
                let empty_at_next = node.span.start == end && end.line > 1;
                // At the end of a text without a final line break, the last line (spaces
                // deeper than the indentation included) is the scalar's own.
                let at_eof = self.offset(end) == self.text.len() && !self.text.ends_with('\n');
                if (line > node.span.start.line || empty_at_next) && before_end && !at_eof {
                    line -= 1;
                    let floor = node.span.start.line.min(line);
                    let indent = node.span.start.col as usize - 1;
                    let empty = |l: &str| l.len() <= indent && l.bytes().all(|b| b == b' ');
                    if !s.text.ends_with("\n\n") {
                        while line > floor && empty(self.line(line)) {
                            line -= 1;
                        }
                    }
                }
                line
            }
        })
    }

    /// `? key` (an explicit key) is written at another column than the mapping's keys, which
    /// is where the editor finds a mapping's own entries and last line: such mappings are not
    /// edited.
    ///
    /// A complex key (a collection used as a key, as in `{ {a: b}: c }`) is the same case: its
    /// span is not a key's, and removing an entry next to it can leave the collection dangling
    /// (found by the fix_editor fuzz target).
    pub(super) fn no_explicit_keys(&self, entries: &[Entry]) -> Result<(), Skip> {
        if entries.iter().any(|e| self.explicit_key(e)) {
            return Err(Skip::Layout("mapping with explicit `?` keys"));
        }
        if entries.iter().any(|e| &*e.key == "<complex key>") {
            return Err(Skip::Layout("mapping with a collection as a key"));
        }
        Ok(())
    }

    /// A tab before `pos` on its line: the editor measures indentation in columns, which a tab
    /// (allowed by YAML as separation, and by some parsers in more places) does not have.
    pub(super) fn tab_before(&self, pos: Pos) -> Result<(), Skip> {
        if self.text_before(pos).contains('\t') {
            return Err(Skip::Layout("tab before the key or value on its line"));
        }
        Ok(())
    }

    /// Whether `entry`'s key follows a `?` indicator: on its own line, or (for a key the parser
    /// places on a later line, such as an empty key) on the last non-blank line before it. A
    /// value that merely ends in `?` (`a: what?`) is not an indicator.
    fn explicit_key(&self, entry: &Entry) -> bool {
        let pos = entry.key_span.start;
        let before = self.text_before(pos).trim_end();
        if !before.is_empty() {
            return before.ends_with('?');
        }
        let mut line = pos.line.min(self.line_starts.len() as u32);
        while line > 1 {
            line -= 1;
            let l = self.line(line).trim_end();
            if l.trim_start().is_empty() {
                continue;
            }
            let l = l.trim_start().trim_start_matches(['-', ' ', '\t']);
            return l == "?" || l.ends_with(" ?") || l.ends_with("\t?");
        }
        false
    }

    /// The byte range of a single-line scalar as written (quotes included, trailing comment
    /// excluded).
    pub(super) fn scalar_extent(&self, node: &Node, in_flow: bool) -> Result<(usize, usize), Skip> {
        let Value::Scalar(s) = &node.value else {
            return Err(Skip::Layout("not a scalar"));
        };
        self.tab_before(node.span.start)?;
        let before = self.text_before(node.span.start).trim_end();
        if !(before.ends_with(':')
            || before.ends_with('-')
            || (in_flow && (before.ends_with([',', '[', '{']))))
        {
            return Err(Skip::Layout(
                "value not on its key's line, or with a tag, anchor or block indicator",
            ));
        }
        // A plain scalar folds its line breaks into spaces: its span tells it runs on.
        let plain = !matches!(self.char_at(self.offset(node.span.start)), Some('"' | '\''));
        if s.text.contains('\n') || (plain && node.span.end.line != node.span.start.line) {
            return Err(Skip::Layout("multi-line value"));
        }
        let start = self.offset(node.span.start);
        let line_end = {
            let l = node.span.start.line as usize;
            self.line_starts.get(l).copied().unwrap_or(self.text.len())
        };
        let rest = &self.text[start..line_end];
        let len = match rest.chars().next() {
            Some('"') => {
                let mut escaped = false;
                rest.char_indices()
                    .skip(1)
                    .find(|&(_, c)| {
                        let close = c == '"' && !escaped;
                        escaped = c == '\\' && !escaped;
                        close
                    })
                    .map(|(i, _)| i + 1)
            }
            Some('\'') => {
                let b = rest.as_bytes();
                let mut i = 1;
                loop {
                    match b.get(i) {
                        Some(b'\'') if b.get(i + 1) == Some(&b'\'') => i += 2,
                        Some(b'\'') => break Some(i + 1),
                        Some(_) => i += 1,
                        None => break None,
                    }
                }
            }
            _ => {
                let mut end = rest.trim_end_matches(['\n', '\r']).len();
                if let Some(i) = rest.find(" #") {
                    end = end.min(i);
                }
                if in_flow {
                    if let Some(i) = rest.find([',', ']', '}']) {
                        end = end.min(i);
                    }
                }
                Some(rest[..end].trim_end().len())
            }
        };
        let len = len.ok_or(Skip::Layout("multi-line quoted value"))?;
        Ok((start, start + len))
    }
}
