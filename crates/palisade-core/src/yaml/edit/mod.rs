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
//!
//! The submodules: `pointer` follows a fix's pointer through the loaded document, `text` maps
//! positions to byte offsets, `layout` reads how a node is written, `set`, `append` and `remove`
//! turn one operation into one edit, `insert` joins inserted lines to the text, `value` writes
//! values as YAML, `anchors` finds the text that aliases share, and `plan` groups the edits of
//! many fixes into rounds.

mod anchors;
mod append;
mod insert;
mod layout;
mod plan;
mod pointer;
mod remove;
mod set;
mod text;
mod value;

use std::collections::HashSet;
use std::fmt;

use super::node::{Node, Pos};
use crate::fix::{Fix, FixOp, FixValue};
use insert::EofBlock;
use pointer::walk;

pub use super::verify::{verify, verify_documents, Change, VerifyError};
pub use plan::{apply, conflict, plan, Outcome, Plan};
pub use text::pos_of;

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
}
