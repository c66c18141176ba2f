//! Minimal text edits that apply a [`Fix`] to a YAML file without rewriting it.
//!
//! A fix is declared on the document model (JSON pointers and values, see [`crate::fix`]); this
//! module turns each operation into one edit of the source text, found through the spans the
//! loader keeps: a scalar is replaced in place, a key is inserted into a block mapping after its
//! last entry at that mapping's indentation (missing parents become nested block mappings), an item
//! is appended to a block or flow sequence, a key (with its value block) or an item is removed with
//! its lines. Everything else in the file (comments, key order, quoting, indentation, line endings)
//! stays byte for byte as it was.
//!
//! What is never edited: a node defined under an anchor that an alias uses, or the value of a `<<`
//! merge key, because the same text feeds other places (other containers, other objects); such a
//! fix is skipped with [`Skip::Shared`]. Layouts this module does not edit (block scalars, a value
//! on the line after its key, a whole mapping replaced by another) are skipped with
//! [`Skip::Layout`], never guessed at.
//!
//! The caller checks the result: [`verify`] re-loads it and refuses a text whose documents are not
//! the old ones with exactly the planned operations applied, or that lost a comment.

use std::collections::{HashMap, HashSet};
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::node::{Entry, Node, Pos, ScalarKind, Value};
use super::scalar::resolve_plain;
use crate::fix::{Fix, FixOp, FixValue};
use crate::{Object, Origin};

pub use super::verify::{verify, verify_documents, Change, VerifyError};

/// Replace `start..end` (byte offsets) with `text`; an insertion when `start == end`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TextEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Why a fix was not turned into edits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Skip {
    /// The field is written under an anchor used by an alias, or comes from a `<<` merge key:
    /// editing the text would change other places too.
    Shared,
    /// A layout the editor does not change (the reason says which).
    Layout(&'static str),
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Shared => f.write_str("through a YAML anchor, alias or merge key"),
            Skip::Layout(why) => write!(f, "unsupported layout: {why}"),
        }
    }
}

/// One operation's edit, with the offset of the node it changes (checked against shared regions:
/// an insertion point can lie just outside an anchored mapping it extends).
struct OpEdit {
    edit: TextEdit,
    node_at: usize,
}

/// Edits fixes into one file's text. Build it once per text; it indexes lines and finds the
/// regions shared through anchors.
pub struct Editor<'t> {
    text: &'t str,
    /// Byte offset of the start of each line (line 1 at index 0).
    line_starts: Vec<usize>,
    /// The file's line break, kept for inserted lines.
    nl: &'static str,
    /// Byte ranges of text that other places share: anchored nodes that an alias uses, `<<` merge
    /// values, and documents whose anchors could not be analysed.
    shared: Vec<(usize, usize)>,
    /// The file is JSON (starts with `{` or `[`): inserted keys and strings are double-quoted,
    /// so it stays JSON.
    json: bool,
    /// The block scalar the text ends in, when it ends without a line break (see
    /// [`Editor::insertion`]).
    eof_block: Option<EofBlock>,
    /// The text has a CR not followed by LF (an old Mac line break): not edited.
    lone_cr: bool,
    /// Positions of keys written a second time in their mapping (the loader keeps the last one),
    /// found on the first removal that needs them.
    duplicates: std::sync::OnceLock<HashSet<Pos>>,
}

/// A block scalar whose content runs to the end of a text that has no final line break.
struct EofBlock {
    /// Offset just after its `|` or `>`.
    indicator_end: usize,
    /// Its chomping indicator (`+` or `-`) and the indicator's offset, if written.
    chomp: Option<(usize, char)>,
    /// Its value (as loaded) ends with a line break.
    ends_with_break: bool,
}

impl<'t> Editor<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let nl = match text.find('\n') {
            Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
            _ => "\n",
        };
        let mut editor = Editor {
            text,
            line_starts,
            nl,
            shared: Vec::new(),
            json: text.trim_start().starts_with(['{', '[']),
            eof_block: None,
            lone_cr: text
                .as_bytes()
                .windows(2)
                .any(|w| w[0] == b'\r' && w[1] != b'\n')
                || text.ends_with('\r'),
            duplicates: std::sync::OnceLock::new(),
        };
        editor.eof_block = editor.find_eof_block();
        for chunk in super::split_documents(text) {
            let piece = &text[chunk.start..chunk.end];
            // Aliases need anchors (`&`), merges need `<<`: most documents have neither.
            if !piece.contains('&') && !piece.contains("<<") {
                continue;
            }
            match editor.shared_regions(piece, chunk.line) {
                Some(regions) => editor.shared.extend(regions),
                None => editor.shared.push((chunk.start, chunk.end)),
            }
        }
        editor
    }

    /// The edits for every operation of `fix` on `object` (the object's node as loaded from this
    /// text). An operation already satisfied gives no edit. Edits of one fix may conflict with
    /// each other (two operations creating the same missing parent); the planner applies them in
    /// separate rounds.
    pub fn edits(&self, object: &Node, fix: &Fix) -> Result<Vec<TextEdit>, Skip> {
        Ok(self
            .op_edits(object, fix)?
            .into_iter()
            .map(|(_, e)| e)
            .collect())
    }

    /// [`Editor::edits`] with the index in `fix.ops` of the operation each edit carries out.
    pub fn op_edits(&self, object: &Node, fix: &Fix) -> Result<Vec<(usize, TextEdit)>, Skip> {
        // YAML reads a lone CR as a line break, so the loader's line numbers would not be ours.
        if self.lone_cr {
            return Err(Skip::Layout("line breaks written as a lone CR"));
        }
        let mut out = Vec::new();
        for (i, op) in fix.ops.iter().enumerate() {
            if let Some(e) = self.op_edit(object, op)? {
                // Inclusive at the end: a region ends where its last content ends, which is
                // where an empty value's colon is (`key:` last in an anchored mapping).
                let hits = |&(a, b): &(usize, usize)| {
                    (e.node_at >= a && e.node_at <= b)
                        || (e.edit.start < b && e.edit.end > a)
                        || (e.edit.start == e.edit.end && e.edit.start > a && e.edit.start < b)
                };
                if self.shared.iter().any(hits) {
                    return Err(Skip::Shared);
                }
                out.push((i, e.edit));
            }
        }
        Ok(out)
    }

    fn op_edit(&self, root: &Node, op: &FixOp) -> Result<Option<OpEdit>, Skip> {
        let segs = super::split_pointer(op.pointer());
        let mut steps = walk(root, &segs);
        for i in 1..steps.len() {
            steps[i].in_flow = self.is_flow(steps[i - 1].node);
        }
        if segs.is_empty() && !matches!(op, FixOp::Append { .. }) {
            return Err(Skip::Layout("cannot replace or remove a whole document"));
        }
        let found = steps.len() == segs.len() + 1;
        let last = steps.last().expect("the root is always a step");
        match op {
            FixOp::Set { value, .. } if found => self.set_existing(last, value),
            FixOp::Set { value, .. } => self.create(last, &segs[steps.len() - 1..], value.clone()),
            FixOp::Append { value, .. } if found => self.append(last, value),
            FixOp::Append { value, .. } => self.create(
                last,
                &segs[steps.len() - 1..],
                FixValue::List(vec![value.clone()]),
            ),
            FixOp::Remove { .. } if !found => Ok(None),
            FixOp::Remove { .. } => {
                if steps.len() < 2 {
                    return Err(Skip::Layout("cannot remove a whole object"));
                }
                if steps.len() == 2 && root.entries().len() + root.items().len() == 1 {
                    return Err(Skip::Layout("would leave an empty document"));
                }
                self.remove(&steps[steps.len() - 2], last)
            }
        }
    }

    /// The block scalar the text ends in, if it ends without a line break inside one.
    fn find_eof_block(&self) -> Option<EofBlock> {
        if self.text.is_empty() || self.text.ends_with(['\n', '\r']) {
            return None;
        }
        let chunk = *super::split_documents(self.text).last()?;
        let loaded = super::load_chunk(self.text, chunk, &super::Limits::default());
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

    // ----- positions -----

    fn offset(&self, pos: Pos) -> usize {
        let line = (pos.line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[line];
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(pos.col.max(1) as usize - 1)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// Offset of the start of `line`, clamped like [`Editor::line`]: the parser can report a
    /// line past the last line break (a key at the very end of the text).
    fn line_start(&self, line: u32) -> usize {
        self.line_starts[(line.max(1) as usize - 1).min(self.line_starts.len() - 1)]
    }

    /// The text of a line without its line break.
    fn line(&self, line: u32) -> &'t str {
        let i = (line.max(1) as usize - 1).min(self.line_starts.len() - 1);
        let start = self.line_starts[i];
        let end = self
            .line_starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Offset just after the line break of `line` (where a line inserted after it goes), and
    /// whether a line break must be written first (the file's last line has none).
    fn after_line(&self, line: u32) -> (usize, bool) {
        match self.line_starts.get(line as usize) {
            Some(&next) => (next, false),
            None => (
                self.text.len(),
                !self.text.is_empty() && !self.text.ends_with('\n'),
            ),
        }
    }

    /// The edit inserting `lines` at `at`, after a line break when `break_first` (the file's last
    /// line has none). When that last line ends a block scalar, the line break would become part
    /// of its value (`|` keeps one final line break, `|+` all of them): the scalar's header is
    /// changed to strip (`|-`) in the same edit when that keeps its value, and the fix is skipped
    /// when nothing can.
    fn insertion(
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

    fn char_at(&self, offset: usize) -> Option<char> {
        self.text[offset..].chars().next()
    }

    /// Whether a collection is written in flow style. A block collection's span starts at its
    /// first item or key, which may itself be a flow collection (`- {}`): flow style is an
    /// opening bracket that is not where the first child starts.
    ///
    /// A node's span starts at its properties (`!tag`, `&anchor`) when it has any: they are
    /// skipped first (a tagged flow mapping was taken for a block one; found by fuzzing).
    fn is_flow(&self, node: &Node) -> bool {
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
    fn content_end_line(&self, node: &Node) -> Result<u32, Skip> {
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
    fn no_explicit_keys(&self, entries: &[Entry]) -> Result<(), Skip> {
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
    fn tab_before(&self, pos: Pos) -> Result<(), Skip> {
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

    /// The text of `pos`'s line before it.
    fn text_before(&self, pos: Pos) -> &'t str {
        let l = self.line(pos.line);
        let end = l
            .char_indices()
            .nth(pos.col as usize - 1)
            .map_or(l.len(), |(i, _)| i);
        &l[..end]
    }

    /// The byte range of a single-line scalar as written (quotes included, trailing comment
    /// excluded).
    fn scalar_extent(&self, node: &Node, in_flow: bool) -> Result<(usize, usize), Skip> {
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

    // ----- operations -----

    fn set_existing(&self, step: &Step<'_>, value: &FixValue) -> Result<Option<OpEdit>, Skip> {
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
                    (FixValue::Str(s), Some('"')) => super::scalar::double_quoted(s),
                    (FixValue::Str(s), Some('\'')) if !s.chars().any(char::is_control) => {
                        format!("'{}'", s.replace('\'', "''"))
                    }
                    (FixValue::Str(s), Some('\'')) => super::scalar::double_quoted(s),
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
    fn create(
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
            Value::Scalar(s) if s.kind == ScalarKind::Null => {
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

    /// Inserts `item` (already rendered in flow style) before the closing bracket of a flow
    /// collection.
    fn flow_insert(&self, node: &Node, item: &str) -> Result<Option<OpEdit>, Skip> {
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

    fn append(&self, step: &Step<'_>, value: &FixValue) -> Result<Option<OpEdit>, Skip> {
        let node = step.node;
        match &node.value {
            Value::Seq(items) => {
                if items.iter().any(|i| equals(i, value)) {
                    return Ok(None);
                }
                if self.is_flow(node) {
                    return self.flow_insert(node, &flow(value, self.json));
                }
                if item_is_alias(node, items, 0) {
                    return Err(Skip::Shared);
                }
                let first = self.offset(items[0].span.start);
                let dash = self.text[..first].trim_end_matches([' ', '\t']);
                let line_start = self.line_start(items[0].span.start.line);
                if !dash.ends_with('-') || dash.len() <= line_start.saturating_sub(1) {
                    return Err(Skip::Layout("sequence item not introduced by `- `"));
                }
                let dash_at = dash.len() - 1;
                if dash_at < line_start || !self.text[line_start..dash_at].trim().is_empty() {
                    return Err(Skip::Layout("nested sequence on one line"));
                }
                let indent = self.text[line_start..dash_at].chars().count();
                let (at, break_first) = self.after_line(self.content_end_line(node)?);
                let mut text = String::new();
                self.block_item(&mut text, value, indent);
                self.insertion(at, break_first, text, first)
            }
            Value::Scalar(s) if s.kind == ScalarKind::Null => {
                self.set_existing(step, &FixValue::List(vec![value.clone()]))
            }
            _ => Err(Skip::Layout("not a list")),
        }
    }

    fn remove(&self, parent: &Step<'_>, target: &Step<'_>) -> Result<Option<OpEdit>, Skip> {
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
                        super::load_str(self.text, &super::Limits::default())
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

    // ----- rendering -----

    fn block_entry(&self, out: &mut String, key: &str, value: &FixValue, indent: usize) {
        let pad = " ".repeat(indent);
        match value {
            FixValue::Map(entries) if !entries.is_empty() => {
                out.push_str(&format!("{pad}{}:{}", key_text(key, self.json), self.nl));
                for (k, v) in entries {
                    self.block_entry(out, k, v, indent + 2);
                }
            }
            FixValue::List(items) if !items.is_empty() => {
                out.push_str(&format!("{pad}{}:{}", key_text(key, self.json), self.nl));
                for item in items {
                    self.block_item(out, item, indent + 2);
                }
            }
            _ => out.push_str(&format!(
                "{pad}{}: {}{}",
                key_text(key, self.json),
                flow(value, self.json),
                self.nl
            )),
        }
    }

    fn block_item(&self, out: &mut String, value: &FixValue, indent: usize) {
        let pad = " ".repeat(indent);
        match value {
            FixValue::Map(entries) if !entries.is_empty() => {
                let mut body = String::new();
                for (k, v) in entries {
                    self.block_entry(&mut body, k, v, indent + 2);
                }
                // The first entry goes on the dash's line.
                out.push_str(&pad);
                out.push_str("- ");
                out.push_str(&body[indent + 2..]);
            }
            _ => out.push_str(&format!("{pad}- {}{}", flow(value, self.json), self.nl)),
        }
    }

    // ----- anchors -----

    /// Byte ranges of anchored nodes that an alias uses and of merge values, in one document
    /// piece; `None` when the piece does not parse here (the loader may have repaired it).
    fn shared_regions(&self, piece: &str, first_line: u32) -> Option<Vec<(usize, usize)>> {
        struct Open {
            start: Pos,
            anchor: usize,
            merge: bool,
            is_map: bool,
            children: usize,
            next_is_merge: bool,
        }
        let to_pos = |m: &saphyr_parser::Marker| Pos {
            line: m.line() as u32 + first_line - 1,
            col: m.col() as u32 + 1,
        };
        let mut stack: Vec<Open> = Vec::new();
        let mut anchored: HashMap<usize, Vec<(Pos, Pos)>> = HashMap::new();
        let mut used: HashSet<usize> = HashSet::new();
        let mut merges: Vec<(Pos, Pos)> = Vec::new();
        let mut last_end = Pos::default();
        let mut parser = Parser::new_from_str(piece);
        // A node is done: record its region and tell its parent (a key `<<` makes the next value
        // a merge value).
        let done = |stack: &mut Vec<Open>,
                    anchored: &mut HashMap<usize, Vec<(Pos, Pos)>>,
                    merges: &mut Vec<(Pos, Pos)>,
                    start: Pos,
                    end: Pos,
                    anchor: usize,
                    merge: bool,
                    merge_key: bool| {
            if anchor != 0 {
                anchored.entry(anchor).or_default().push((start, end));
            }
            if merge {
                merges.push((start, end));
            }
            if let Some(p) = stack.last_mut() {
                p.children += 1;
                if p.is_map && p.children % 2 == 1 {
                    p.next_is_merge = merge_key;
                }
            }
        };
        let merge_here = |stack: &Vec<Open>| {
            stack
                .last()
                .is_some_and(|p| p.is_map && p.children % 2 == 1 && p.next_is_merge)
        };
        loop {
            let (event, span) = match parser.next_event() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(_)) => return None,
            };
            let (start, end) = (to_pos(&span.start), to_pos(&span.end));
            match event {
                Event::StreamEnd => break,
                Event::Scalar(text, style, anchor, _) => {
                    last_end = end;
                    let merge = merge_here(&stack);
                    let merge_key = matches!(style, ScalarStyle::Plain) && text == "<<";
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        start,
                        end,
                        anchor,
                        merge,
                        merge_key,
                    );
                }
                Event::Alias(id) => {
                    last_end = end;
                    used.insert(id);
                    let merge = merge_here(&stack);
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        start,
                        end,
                        0,
                        merge,
                        false,
                    );
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    let merge = merge_here(&stack);
                    stack.push(Open {
                        start,
                        anchor,
                        merge,
                        is_map: matches!(event, Event::MappingStart(..)),
                        children: 0,
                        next_is_merge: false,
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let open = stack.pop()?;
                    // A flow collection ends at its bracket; a block one where the next token
                    // starts, so its region ends with its last content instead.
                    let off = self.offset(end);
                    if off > 0 && matches!(self.text.as_bytes()[off - 1], b']' | b'}') {
                        last_end = end;
                    }
                    done(
                        &mut stack,
                        &mut anchored,
                        &mut merges,
                        open.start,
                        last_end,
                        open.anchor,
                        open.merge,
                        false,
                    );
                }
                _ => {}
            }
        }
        let mut regions: Vec<(usize, usize)> = anchored
            .into_iter()
            .filter(|(id, _)| used.contains(id))
            .flat_map(|(_, r)| r)
            .chain(merges)
            .map(|(s, e)| (self.offset(s), self.offset(e).max(self.offset(s) + 1)))
            .collect();
        regions.sort_unstable();
        Some(regions)
    }
}

/// One node on the way a pointer takes.
struct Step<'n> {
    node: &'n Node,
    /// The mapping entry holding `node`, when its parent is a mapping.
    entry: Option<&'n Entry>,
    /// Its index, when its parent is a sequence.
    index: Option<usize>,
    /// Whether its parent is written in flow style (so `,` `]` `}` end a plain scalar).
    in_flow: bool,
}

/// Follows `segs` from `root` as far as they resolve: the root, then one step per segment found.
fn walk<'n>(root: &'n Node, segs: &[String]) -> Vec<Step<'n>> {
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
fn item_is_alias(seq: &Node, items: &[Node], i: usize) -> bool {
    let start = items[i].span.start;
    start < seq.span.start || (i > 0 && start <= items[i - 1].span.start)
}

/// The entries written in this mapping itself: not those a `<<` merge brought in (which sit
/// elsewhere in the text, or at another column).
fn own_entries<'n>(map: &Node, entries: &'n [Entry]) -> Vec<&'n Entry> {
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

/// `a/b/c = v` as key `a` with the value `{b: {c: v}}`.
fn nest(rest: &[String], value: FixValue) -> (String, FixValue) {
    let mut value = value;
    for k in rest[1..].iter().rev() {
        value = FixValue::Map(vec![(k.clone(), value)]);
    }
    (rest[0].clone(), value)
}

fn is_empty_null(node: &Node) -> bool {
    matches!(&node.value, Value::Scalar(s) if s.kind == ScalarKind::Null && s.text.is_empty() && !s.quoted)
}

/// Whether the node already holds `value`, as Kubernetes would read it.
fn equals(node: &Node, value: &FixValue) -> bool {
    match (value, &node.value) {
        (FixValue::Bool(b), _) => node.as_bool() == Some(*b),
        (FixValue::Int(i), _) => node.as_i64() == Some(*i),
        (FixValue::Str(s), Value::Scalar(sc)) => sc.kind != ScalarKind::Null && *sc.text == **s,
        (FixValue::List(items), Value::Seq(nodes)) => {
            items.len() == nodes.len() && items.iter().zip(nodes).all(|(v, n)| equals(n, v))
        }
        (FixValue::Map(entries), Value::Map(_)) => {
            node.entries().len() == entries.len()
                && entries
                    .iter()
                    .all(|(k, v)| node.get(k).is_some_and(|n| equals(n, v)))
        }
        _ => false,
    }
}

/// A scalar as YAML text: plain when it reads back as the same string, double-quoted otherwise.
fn scalar(value: &FixValue, json: bool) -> String {
    match value {
        FixValue::Bool(b) => b.to_string(),
        FixValue::Int(i) => i.to_string(),
        FixValue::Str(s) => key_text(s, json),
        _ => flow(value, json),
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted.
fn key_text(s: &str, json: bool) -> String {
    let plain = !json
        && !s.is_empty()
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/'))
        && resolve_plain(s) == ScalarKind::Str;
    if plain {
        return s.to_owned();
    }
    super::scalar::double_quoted(s)
}

/// A value in flow style (`[ALL]`, `{type: RuntimeDefault}`).
fn flow(value: &FixValue, json: bool) -> String {
    match value {
        FixValue::List(items) => {
            let items: Vec<String> = items.iter().map(|v| flow(v, json)).collect();
            format!("[{}]", items.join(", "))
        }
        FixValue::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", key_text(k, json), flow(v, json)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        _ => scalar(value, json),
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

/// The edits of one round on one text, each with the operation it carries out (for [`verify`]),
/// and what became of each fix.
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

/// The position (1-based line, column in code points) of a byte offset of `text`.
pub fn pos_of(text: &str, offset: usize) -> Pos {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line: before.matches('\n').count() as u32 + 1,
        col: before[line_start..].chars().count() as u32 + 1,
    }
}
