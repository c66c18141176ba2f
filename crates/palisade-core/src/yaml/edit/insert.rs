//! Where inserted text goes and how it is joined to the text around it: lines after a given
//! line (including after a last line without a line break, which may end a block scalar whose
//! value the new line break must not change), and items before a flow collection's closing
//! bracket.
//!
//! Kept apart from the operations because the end-of-file case needs the last document loaded
//! once, when the editor is built, and its rules are subtle enough to live in one place.

use super::{Editor, OpEdit, Skip, TextEdit};
use crate::yaml::node::{Node, Value};

/// A block scalar whose content runs to the end of a text that has no final line break.
pub(super) struct EofBlock {
    /// Offset just after its `|` or `>`.
    indicator_end: usize,
    /// Its chomping indicator (`+` or `-`) and the indicator's offset, if written.
    chomp: Option<(usize, char)>,
    /// Its value (as loaded) ends with a line break.
    ends_with_break: bool,
}

impl<'t> Editor<'t> {
    /// The block scalar the text ends in, if it ends without a line break inside one.
    pub(super) fn find_eof_block(&self) -> Option<EofBlock> {
        if self.text.is_empty() || self.text.ends_with(['\n', '\r']) {
            return None;
        }
        let chunk = *crate::yaml::split_documents(self.text).last()?;
        let loaded = crate::yaml::load_chunk(self.text, chunk, &crate::yaml::Limits::default());
        // The scalar that ends last.
        let mut last: Option<&Node> = None;
        let mut stack: Vec<&Node> = loaded.documents.iter().map(|d| &d.root).collect();
        while let Some(n) = stack.pop() {
            match &n.value {
                Value::Scalar(_) => {
                    if last.is_none_or(|l| n.span.end > l.span.end) {
                        last = Some(n);
                    }
                }
                Value::Seq(items) => stack.extend(items),
                Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            }
        }
        let node = last?;
        let Value::Scalar(s) = &node.value else {
            return None;
        };
        if !s.quoted || self.offset(node.span.end) != self.text.len() {
            return None;
        }
        // Block scalar content starts on a line of its own, below its header (possibly after
        // blank lines): `key: |+2 # comment`.
        if !self.text_before(node.span.start).trim().is_empty() {
            return None;
        }
        let header_line = (1..node.span.start.line)
            .rev()
            .find(|&l| !self.line(l).trim().is_empty())?;
        let line = self.line(header_line);
        let code = match line.find(" #").or_else(|| line.find("\t#")) {
            Some(i) => &line[..i],
            None => line,
        }
        .trim_end();
        let token_start = code.rfind([' ', '\t']).map_or(0, |i| i + 1);
        let token = &code[token_start..];
        let rest = token.strip_prefix(['|', '>'])?;
        let valid = rest.len() <= 2
            && rest.chars().filter(|c| matches!(c, '+' | '-')).count() <= 1
            && rest.chars().filter(|c| c.is_ascii_digit()).count() <= 1
            && rest
                .chars()
                .all(|c| matches!(c, '+' | '-') || ('1'..='9').contains(&c));
        if !valid {
            return None;
        }
        let at = self.line_start(header_line) + token_start;
        Some(EofBlock {
            indicator_end: at + 1,
            chomp: rest
                .char_indices()
                .find(|(_, c)| matches!(c, '+' | '-'))
                .map(|(i, c)| (at + 1 + i, c)),
            ends_with_break: s.text.ends_with('\n'),
        })
    }

    /// The edit inserting `lines` at `at`, after a line break when `break_first` (the file's last
    /// line has none). When that last line ends a block scalar, the line break would become part
    /// of its value (`|` keeps one final line break, `|+` all of them): the scalar's header is
    /// changed to strip (`|-`) in the same edit when that keeps its value, and the fix is skipped
    /// when nothing can.
    pub(super) fn insertion(
        &self,
        at: usize,
        break_first: bool,
        lines: String,
        node_at: usize,
    ) -> Result<Option<OpEdit>, Skip> {
        let edit = |start: usize, text: String| {
            Ok(Some(OpEdit {
                edit: TextEdit {
                    start,
                    end: at,
                    text,
                },
                node_at,
            }))
        };
        if !break_first {
            return edit(at, lines);
        }
        let plain = format!("{}{lines}", self.nl);
        let Some(block) = &self.eof_block else {
            return edit(at, plain);
        };
        let strip_from = match block.chomp {
            Some((_, '-')) => return edit(at, plain),
            // Clip keeps one final line break: if the value has one, it keeps it.
            None if block.ends_with_break => return edit(at, plain),
            None => block.indicator_end,
            Some((_, _)) if block.ends_with_break => {
                return Err(Skip::Layout(
                    "a `|+` block scalar ends the file without a final line break",
                ))
            }
            Some((plus, _)) => plus,
        };
        let skip = usize::from(block.chomp.is_some());
        edit(
            strip_from,
            format!("-{}{plain}", &self.text[strip_from + skip..at]),
        )
    }

    /// Inserts `item` (already rendered in flow style) before the closing bracket of a flow
    /// collection.
    pub(super) fn flow_insert(&self, node: &Node, item: &str) -> Result<Option<OpEdit>, Skip> {
        let close = self.offset(node.span.end);
        let open = self.offset(node.span.start);
        if close == 0 || !matches!(self.text.as_bytes()[close - 1], b']' | b'}') {
            return Err(Skip::Layout("flow collection without its closing bracket"));
        }
        let inner = &self.text[open + 1..close - 1];
        let trimmed = inner.trim_end();
        let at = open + 1 + trimmed.len();
        let text = if trimmed.trim().is_empty() {
            item.to_owned()
        } else if trimmed.ends_with(',') {
            format!(" {item}")
        } else {
            format!(", {item}")
        };
        Ok(Some(OpEdit {
            edit: TextEdit {
                start: at,
                end: at,
                text,
            },
            node_at: open,
        }))
    }
}
