//! The check every edited text passes before anyone sees it: re-loaded, each document must be the
//! old document with exactly the planned operations applied at their pointers, nothing else, and
//! every comment outside the replaced text must still be there, in order.
//!
//! Why a semantic check rather than trusting the editor: the editor works on text, and YAML has
//! many ways for a text edit to change more than it meant (a block scalar that gains a line break
//! when a key is inserted after it, an item inserted at the wrong indentation that lands in
//! another mapping, quotes dropped from a string that then reads as a number). Comparing the
//! trees as the loader resolves them (values, types, block scalar contents) catches that whole
//! class, whatever the layout. `palisade fix` refuses a file that fails it, and the `fix_editor`
//! fuzz target asserts it on every edit it makes.

use std::borrow::Cow;
use std::collections::HashMap;

use super::edit::TextEdit;
use super::node::{Node, Pos, ScalarKind, ScalarType, Value};
use super::Document;
use crate::fix::{FixOp, FixValue};

/// One operation a text edit carries out, and where: the document of the file (numbered as the
/// loader numbers them) and the object's pointer inside it (`""`, or `/items/3` in a `List`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub document: usize,
    pub base: String,
    pub op: FixOp,
    /// The text edit that carries out `op`: comments in the text it replaces may go with it.
    pub edit: TextEdit,
}

/// Why an edited text was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the fixed text does not parse ({0}); nothing was written")]
    Parse(String),
    #[error("the fixed text has {after} documents instead of {before}; nothing was written")]
    Documents { before: usize, after: usize },
    #[error("document {index} changed kind ({before} → {after}); nothing was written")]
    Kind {
        index: usize,
        before: String,
        after: String,
    },
    #[error(
        "document {document}: at `{pointer}` the fixed text has {found} where {expected} was \
         expected; nothing was written"
    )]
    Tree {
        document: usize,
        pointer: String,
        expected: String,
        found: String,
    },
    #[error("document {document}: the fix at `{pointer}` does not apply to the text as loaded ({reason}); nothing was written")]
    Op {
        document: usize,
        pointer: String,
        reason: &'static str,
    },
    #[error("the comment {text:?} (line {line}) would be lost or changed; nothing was written")]
    Comment { line: u32, text: String },
}

/// Checks an edited text against the original: it parses wherever the original did, has the same
/// documents, each equal to the original with exactly `changes` applied (values compared as the
/// loader resolves them: a string stays a string, a block scalar keeps its content), and keeps
/// every comment that is not inside text an edit replaced.
pub fn verify(before: &str, after: &str, changes: &[Change]) -> Result<(), VerifyError> {
    let limits = super::Limits::default();
    let (old_docs, old_errors) = super::load_str(before, &limits);
    let (new_docs, new_errors) = super::load_str(after, &limits);
    // The kinds are not compared here: the trees are, and an operation may change a kind.
    check_documents(&old_docs, &old_errors, &new_docs, &new_errors, false)?;
    for (i, (old, new)) in old_docs.iter().zip(&new_docs).enumerate() {
        let mut want = Want::Old(&old.root);
        for c in changes.iter().filter(|c| c.document == i) {
            let pointer = format!("{}{}", c.base, c.op.pointer());
            apply(&mut want, &super::split_pointer(&pointer), &c.op).map_err(|reason| {
                VerifyError::Op {
                    document: i,
                    pointer,
                    reason,
                }
            })?;
        }
        let mut path = String::new();
        compare(&want, &new.root, &mut path).map_err(|(expected, found)| VerifyError::Tree {
            document: i,
            pointer: path,
            expected,
            found,
        })?;
    }
    let removed: Vec<(usize, usize)> = changes
        .iter()
        .filter(|c| c.edit.start < c.edit.end)
        .map(|c| (c.edit.start, c.edit.end))
        .collect();
    let kept_before = comments(before, &old_docs)
        .into_iter()
        .filter(|(at, _)| !removed.iter().any(|&(s, e)| *at >= s && *at < e));
    let mut now = comments(after, &new_docs).into_iter();
    for (at, text) in kept_before {
        match now.next() {
            Some((_, t)) if t == text => {}
            _ => {
                return Err(VerifyError::Comment {
                    line: super::edit::pos_of(before, at).line,
                    text: text.to_owned(),
                })
            }
        }
    }
    if let Some((at, text)) = now.next() {
        return Err(VerifyError::Comment {
            line: super::edit::pos_of(after, at).line,
            text: text.to_owned(),
        });
    }
    Ok(())
}

/// The structural part of [`verify`] alone, for callers that do not know the operations (a
/// corpus test comparing a file before and after a whole `palisade fix` run): the edited text
/// parses wherever the original did and has the same documents of the same kinds.
pub fn verify_documents(before: &str, after: &str) -> Result<(), VerifyError> {
    let limits = super::Limits::default();
    let (old_docs, old_errors) = super::load_str(before, &limits);
    let (new_docs, new_errors) = super::load_str(after, &limits);
    check_documents(&old_docs, &old_errors, &new_docs, &new_errors, true)
}

fn check_documents(
    old_docs: &[Document],
    old_errors: &[super::LoadError],
    new_docs: &[Document],
    new_errors: &[super::LoadError],
    kinds: bool,
) -> Result<(), VerifyError> {
    if new_errors.len() > old_errors.len() {
        let e = new_errors
            .iter()
            .find(|e| !old_errors.contains(e))
            .unwrap_or(&new_errors[0]);
        return Err(VerifyError::Parse(e.to_string()));
    }
    if old_docs.len() != new_docs.len() {
        return Err(VerifyError::Documents {
            before: old_docs.len(),
            after: new_docs.len(),
        });
    }
    if !kinds {
        return Ok(());
    }
    let kind = |n: &Node| {
        format!(
            "{} {}",
            n.get("apiVersion").and_then(Node::as_str).unwrap_or(""),
            n.get("kind").and_then(Node::as_str).unwrap_or("")
        )
    };
    for (i, (a, b)) in old_docs.iter().zip(new_docs).enumerate() {
        let (ka, kb) = (kind(&a.root), kind(&b.root));
        if ka != kb {
            return Err(VerifyError::Kind {
                index: i,
                before: ka,
                after: kb,
            });
        }
    }
    Ok(())
}

/// The tree a document should have after the changes: the old nodes where nothing changed, the
/// fix's values where it wrote, collections opened up on the way to a change.
enum Want<'a> {
    Old(&'a Node),
    New(&'a FixValue),
    Map(Vec<(Cow<'a, str>, Want<'a>)>),
    Seq(Vec<Want<'a>>),
    /// Removed. Kept as a placeholder so that the pointers of other changes, computed on the old
    /// tree, still name the same items.
    Gone,
}

impl<'a> Want<'a> {
    /// Turns an old or new collection into an editable one; a null becomes an empty mapping (a
    /// fix that creates a key below `securityContext: null` replaces the null).
    fn open(&mut self) -> Result<(), &'static str> {
        let opened = match self {
            Want::Map(_) | Want::Seq(_) => return Ok(()),
            Want::Old(node) => match &node.value {
                Value::Map(entries) => Want::Map(
                    entries
                        .iter()
                        .map(|e| (Cow::Borrowed(&*e.key), Want::Old(&e.value)))
                        .collect(),
                ),
                Value::Seq(items) => Want::Seq(items.iter().map(Want::Old).collect()),
                Value::Scalar(s) if s.is_null() => Want::Map(Vec::new()),
                Value::Scalar(_) => return Err("a scalar stands where a collection is needed"),
            },
            Want::New(FixValue::Map(entries)) => Want::Map(
                entries
                    .iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), Want::New(v)))
                    .collect(),
            ),
            Want::New(FixValue::List(items)) => Want::Seq(items.iter().map(Want::New).collect()),
            Want::New(_) => return Err("a scalar stands where a collection is needed"),
            Want::Gone => return Err("the path goes through a removed node"),
        };
        *self = opened;
        Ok(())
    }

    fn is_null(&self) -> bool {
        matches!(self, Want::Old(n) if n.is_null())
    }

    /// The child named `seg`, created as an empty mapping when `create` and missing.
    fn child(&mut self, seg: &str, create: bool) -> Result<&mut Want<'a>, &'static str> {
        self.open()?;
        match self {
            Want::Map(entries) => {
                let at = entries
                    .iter()
                    .position(|(k, w)| k == seg && !matches!(w, Want::Gone));
                let at = match at {
                    Some(i) => i,
                    None if create => {
                        entries.push((Cow::Owned(seg.to_owned()), Want::Map(Vec::new())));
                        entries.len() - 1
                    }
                    None => return Err("a key on the path is missing"),
                };
                Ok(&mut entries[at].1)
            }
            Want::Seq(items) => {
                let i: usize = seg.parse().map_err(|_| "not a list index")?;
                match items.get_mut(i) {
                    Some(Want::Gone) | None => Err("list index out of range"),
                    Some(w) => Ok(w),
                }
            }
            _ => unreachable!("opened"),
        }
    }
}

/// Applies one operation to the wanted tree, with the editor's semantics: `Set` and `Append`
/// create missing parents (through a null too), `Append` to a missing or null field makes a
/// one-item list, `Remove` takes out a key or an item.
fn apply<'a>(root: &mut Want<'a>, segs: &[String], op: &'a FixOp) -> Result<(), &'static str> {
    let Some((last, parents)) = segs.split_last() else {
        // The whole document: only appending to a document that is a list names it.
        return match op {
            FixOp::Append { value, .. } => {
                root.open()?;
                match root {
                    Want::Seq(items) => {
                        items.push(Want::New(value));
                        Ok(())
                    }
                    _ => Err("appending to something that is not a list"),
                }
            }
            _ => Err("the operation names the whole object"),
        };
    };
    let create = !matches!(op, FixOp::Remove { .. });
    let mut at = root;
    for seg in parents {
        at = at.child(seg, create)?;
    }
    match op {
        FixOp::Set { value, .. } => {
            *at.child(last, true)? = Want::New(value);
        }
        FixOp::Append { value, .. } => {
            let target = at.child(last, true)?;
            if target.is_null() || matches!(target, Want::Map(m) if m.is_empty()) {
                *target = Want::Seq(Vec::new());
            }
            target.open()?;
            match target {
                Want::Seq(items) => items.push(Want::New(value)),
                _ => return Err("appending to something that is not a list"),
            }
        }
        FixOp::Remove { .. } => {
            *at.child(last, false)? = Want::Gone;
        }
    }
    Ok(())
}

/// Compares the wanted tree with a loaded node; on a difference, `path` is left at the pointer
/// where it is and the error says what was wanted and what was found.
fn compare(want: &Want<'_>, node: &Node, path: &mut String) -> Result<(), (String, String)> {
    match want {
        Want::Old(old) => same(old, node, path),
        Want::New(value) => matches_value(value, node, path),
        Want::Gone => Err(("nothing".into(), describe(node))),
        // Removing the last key or item of a block collection leaves `key:` with nothing below:
        // a null, which Kubernetes reads as the empty mapping or list.
        Want::Map(entries)
            if node.is_null() && entries.iter().all(|(_, w)| matches!(w, Want::Gone)) =>
        {
            Ok(())
        }
        Want::Seq(items) if node.is_null() && items.iter().all(|w| matches!(w, Want::Gone)) => {
            Ok(())
        }
        Want::Map(entries) => {
            let Value::Map(found) = &node.value else {
                return Err(("a mapping".into(), describe(node)));
            };
            let live: Vec<&(Cow<'_, str>, Want<'_>)> = entries
                .iter()
                .filter(|(_, w)| !matches!(w, Want::Gone))
                .collect();
            let index = KeyIndex::new(found.iter().map(|e| &*e.key));
            for (k, w) in &live {
                let len = path.len();
                push_segment(path, k);
                let Some(i) = index.get(k) else {
                    return Err(("a value".into(), "no such key".into()));
                };
                compare(w, &found[i].value, path)?;
                path.truncate(len);
            }
            if found.len() != live.len() {
                let extra = found
                    .iter()
                    .find(|e| !live.iter().any(|(k, _)| *k == *e.key))
                    .map_or("?", |e| &*e.key);
                push_segment(path, extra);
                return Err(("no such key".into(), "a key".into()));
            }
            Ok(())
        }
        Want::Seq(items) => {
            let Value::Seq(found) = &node.value else {
                return Err(("a list".into(), describe(node)));
            };
            let live: Vec<&Want<'_>> = items.iter().filter(|w| !matches!(w, Want::Gone)).collect();
            if live.len() != found.len() {
                return Err((
                    format!("a list of {} items", live.len()),
                    format!("a list of {} items", found.len()),
                ));
            }
            for (i, (w, n)) in live.iter().zip(found).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                compare(w, n, path)?;
                path.truncate(len);
            }
            Ok(())
        }
    }
}

/// Two loaded nodes say the same: same structure, same scalars (meaning, text and quoting; key
/// order aside, which Kubernetes ignores).
fn same(old: &Node, new: &Node, path: &mut String) -> Result<(), (String, String)> {
    match (&old.value, &new.value) {
        (Value::Scalar(a), Value::Scalar(b)) => {
            if a.scalar_type() == b.scalar_type() && a.text == b.text && a.quoted == b.quoted {
                Ok(())
            } else {
                Err((describe(old), describe(new)))
            }
        }
        (Value::Seq(a), Value::Seq(b)) => {
            if a.len() != b.len() {
                return Err((describe(old), describe(new)));
            }
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                same(x, y, path)?;
                path.truncate(len);
            }
            Ok(())
        }
        (Value::Map(a), Value::Map(b)) => {
            let index = KeyIndex::new(b.iter().map(|e| &*e.key));
            for e in a {
                let len = path.len();
                push_segment(path, &e.key);
                let Some(i) = index.get(&e.key) else {
                    return Err((describe(&e.value), "no such key".into()));
                };
                same(&e.value, &b[i].value, path)?;
                path.truncate(len);
            }
            if a.len() != b.len() {
                let extra = b
                    .iter()
                    .find(|e| !a.iter().any(|x| x.key == e.key))
                    .map_or("?", |e| &*e.key);
                push_segment(path, extra);
                return Err(("no such key".into(), "a key".into()));
            }
            Ok(())
        }
        _ => Err((describe(old), describe(new))),
    }
}

/// A loaded node holds what a fix wrote, as Kubernetes would read it.
fn matches_value(value: &FixValue, node: &Node, path: &mut String) -> Result<(), (String, String)> {
    let ok = match (value, &node.value) {
        (FixValue::Bool(b), Value::Scalar(s)) => s.kind() == ScalarKind::Bool(*b),
        (FixValue::Int(i), Value::Scalar(s)) => s.kind() == ScalarKind::Int(*i),
        (FixValue::Str(t), Value::Scalar(s)) => {
            s.scalar_type() == ScalarType::Str && *s.text == **t
        }
        (FixValue::List(items), Value::Seq(nodes)) if items.len() == nodes.len() => {
            for (i, (v, n)) in items.iter().zip(nodes).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                matches_value(v, n, path)?;
                path.truncate(len);
            }
            true
        }
        (FixValue::Map(entries), Value::Map(found)) if entries.len() == found.len() => {
            for (k, v) in entries {
                let len = path.len();
                push_segment(path, k);
                let Some(e) = found.iter().find(|e| *e.key == **k) else {
                    return Err(("a value".into(), "no such key".into()));
                };
                matches_value(v, &e.value, path)?;
                path.truncate(len);
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err((describe_value(value), describe(node)))
    }
}

/// Finds keys of a mapping by name: a scan for small mappings, a hash map for large ones (a
/// ConfigMap can have thousands of keys).
enum KeyIndex<'k> {
    Few(Vec<&'k str>),
    Many(HashMap<&'k str, usize>),
}

impl<'k> KeyIndex<'k> {
    fn new(keys: impl Iterator<Item = &'k str>) -> Self {
        let keys: Vec<&str> = keys.collect();
        if keys.len() <= 16 {
            KeyIndex::Few(keys)
        } else {
            KeyIndex::Many(keys.iter().enumerate().map(|(i, k)| (*k, i)).collect())
        }
    }

    fn get(&self, key: &str) -> Option<usize> {
        match self {
            KeyIndex::Few(keys) => keys.iter().position(|k| *k == key),
            KeyIndex::Many(map) => map.get(key).copied(),
        }
    }
}

fn push_segment(path: &mut String, seg: &str) {
    path.push('/');
    path.push_str(&super::escape_pointer(seg));
}

fn describe(node: &Node) -> String {
    match &node.value {
        Value::Scalar(s) => {
            let what = match s.scalar_type() {
                ScalarType::Null => "null",
                ScalarType::Bool => "boolean",
                ScalarType::Int => "integer",
                ScalarType::Float => "number",
                ScalarType::Str => "string",
            };
            let (text, quoted) = (&s.text, &s.quoted);
            let style = if *quoted { "quoted " } else { "" };
            format!("the {style}{what} {text:?}")
        }
        Value::Seq(items) => format!("a list of {} items", items.len()),
        Value::Map(entries) => format!("a mapping of {} keys", entries.len()),
    }
}

fn describe_value(value: &FixValue) -> String {
    match value {
        FixValue::Bool(b) => format!("the boolean {b}"),
        FixValue::Int(i) => format!("the integer {i}"),
        FixValue::Str(s) => format!("the string {s:?}"),
        FixValue::List(items) => format!("a list of {} items", items.len()),
        FixValue::Map(entries) => format!("a mapping of {} keys", entries.len()),
    }
}

/// The comments of `text` (byte offset of the `#`, text to the end of the line), in order: a `#`
/// at the start of a line or after white space, outside every scalar the loader read from the
/// text (`docs`). Where a document did not load, its quoted strings cannot be told apart, but the
/// same text gives the same list before and after an edit elsewhere.
fn comments<'t>(text: &'t str, docs: &[Document]) -> Vec<(usize, &'t str)> {
    if !text.contains('#') {
        return Vec::new();
    }
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let offset = |p: Pos| -> usize {
        let l = (p.line.max(1) as usize - 1).min(line_starts.len() - 1);
        let start = line_starts[l];
        text[start..]
            .char_indices()
            .nth(p.col.max(1) as usize - 1)
            .map_or(text.len(), |(i, _)| start + i)
    };
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<&Node> = docs.iter().map(|d| &d.root).collect();
    while let Some(n) = stack.pop() {
        match &n.value {
            Value::Scalar(s) if !s.text.is_empty() || s.quoted => {
                let start = offset(n.span.start);
                spans.push((start, quoted_end(text, start).unwrap_or(offset(n.span.end))));
            }
            Value::Scalar(_) => {}
            Value::Seq(items) => stack.extend(items),
            Value::Map(entries) => {
                for e in entries {
                    let start = offset(e.key_span.start);
                    spans.push((
                        start,
                        quoted_end(text, start).unwrap_or(offset(e.key_span.end)),
                    ));
                    stack.push(&e.value);
                }
            }
        }
    }
    spans.sort_unstable();
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut span_i = 0;
    let mut i = 0;
    while let Some(rel) = text[i..].find('#') {
        let at = i + rel;
        while span_i < spans.len() && spans[span_i].1 <= at {
            span_i += 1;
        }
        // Spans are sorted by start; one that starts before `at` may still cover it.
        let inside = spans[span_i..]
            .iter()
            .take_while(|(s, _)| *s <= at)
            .any(|&(s, e)| s <= at && at < e);
        let starts_comment = at == 0 || matches!(bytes[at - 1], b' ' | b'\t' | b'\n' | b'\r');
        if !inside && starts_comment {
            let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
            out.push((at, text[at..end].trim_end_matches('\r')));
            i = end;
        } else {
            i = at + 1;
        }
    }
    out
}

/// The end (after the closing quote) of the quoted scalar that opens at `start`, if one does.
/// saphyr-parser's span of a quoted scalar runs on over the white space and comment after it.
fn quoted_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let quote = *b.get(start)?;
    let mut i = start + 1;
    match quote {
        b'"' => {
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        b'\'' => {
            while i < b.len() {
                match b[i] {
                    b'\'' if b.get(i + 1) == Some(&b'\'') => i += 2,
                    b'\'' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_told_apart_from_scalars() {
        let t = "# head\na: 'x # no' # one\nb: \"y\\\" # no\" #two\nc: |\n  # no\n  text\n# three\nd: e#no\nf: [g, # four\n  h]\n";
        let (docs, errors) = super::super::load_str(t, &super::super::Limits::default());
        assert!(errors.is_empty());
        let found: Vec<&str> = comments(t, &docs).into_iter().map(|(_, c)| c).collect();
        assert_eq!(found, ["# head", "# one", "#two", "# three", "# four"]);
    }
}
