//! The span-carrying document tree every rule reads.
//!
//! Rules work on this model rather than on typed Kubernetes structs so that they can see manifests
//! that are invalid against the schema (a quoted `"true"` where a boolean belongs, an unknown field)
//! and so that every finding can point at the exact line and column of the field it is about.

use std::fmt;

/// A position in a source file: 1-based line, 1-based column counted in Unicode scalar values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// The source range a node was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

/// What a scalar means once Kubernetes' YAML 1.1 rules have been applied to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScalarKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str,
}

/// A scalar with its source text (after escapes and folding) and its resolved meaning.
///
/// The text is kept for every scalar because Kubernetes reads a plain scalar into a string field
/// verbatim (`name: yes` is the string "yes"), but into a boolean field as YAML 1.1 resolves it
/// (`hostNetwork: yes` is `true`).
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: Box<str>,
    pub kind: ScalarKind,
    /// Quoted or block style: the author wrote a string on purpose.
    pub quoted: bool,
}

/// One `key: value` pair of a mapping. Keys are scalars in every Kubernetes manifest; a complex key
/// is kept as its source text.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Box<str>,
    pub key_span: Span,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| &*e.key == key).map(|e| &e.value),
            _ => None,
        }
    }

    /// The entry for `key` (with the key's own span) when this node is a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| &*e.key == key),
            _ => None,
        }
    }

    /// Follows a path of keys through nested mappings.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The node read as a string field: any scalar but null gives its text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) if s.kind != ScalarKind::Null => Some(&s.text),
            _ => None,
        }
    }

    /// The node read as a boolean field, as the API server would decode it: YAML 1.1 booleans only.
    /// A quoted `"true"` is a string and gives `None` (see [`Node::bool_intent`]).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(Scalar {
                kind: ScalarKind::Bool(b),
                ..
            }) => Some(*b),
            _ => None,
        }
    }

    /// What the author meant for a boolean field: a real boolean, or a string spelling one
    /// (`"true"`, `"yes"`). The API server rejects the string form, but a security check must not
    /// read `privileged: "true"` as "not privileged".
    pub fn bool_intent(&self) -> Option<bool> {
        self.as_bool().or_else(|| match &self.value {
            Value::Scalar(s) if s.quoted => crate::yaml::scalar::yaml11_bool(&s.text),
            _ => None,
        })
    }

    /// The node read as an integer field.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.value {
            Value::Scalar(Scalar {
                kind: ScalarKind::Int(i),
                ..
            }) => Some(*i),
            Value::Scalar(Scalar {
                kind: ScalarKind::Float(f),
                ..
            }) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// Like [`Node::as_i64`], but also reads a quoted number (`"0"`), for the same reason as
    /// [`Node::bool_intent`].
    pub fn int_intent(&self) -> Option<i64> {
        self.as_i64().or_else(|| match &self.value {
            Value::Scalar(s) if s.quoted => s.text.trim().parse().ok(),
            _ => None,
        })
    }

    pub fn is_null(&self) -> bool {
        matches!(
            &self.value,
            Value::Scalar(Scalar {
                kind: ScalarKind::Null,
                ..
            })
        )
    }

    /// Items of a sequence; an absent or null field is an empty list, as for the API server.
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    /// Entries of a mapping; anything else is empty.
    pub fn entries(&self) -> &[Entry] {
        self.as_map().unwrap_or(&[])
    }

    /// The node a JSON pointer (RFC 6901) names, or the deepest existing node on its way, with
    /// `true` when the whole pointer resolved. Findings about a missing field point at the nearest
    /// parent that exists.
    pub fn lookup(&self, pointer: &str) -> (&Node, bool) {
        let mut node = self;
        if pointer.is_empty() {
            return (node, true);
        }
        for raw in pointer.strip_prefix('/').unwrap_or(pointer).split('/') {
            let seg = unescape_pointer(raw);
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|e| *e.key == *seg).map(|e| &e.value),
                Value::Seq(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
                Value::Scalar(_) => None,
            };
            match next {
                Some(n) => node = n,
                None => return (node, false),
            }
        }
        (node, true)
    }

    /// Span of the key that names the field a pointer ends at, when it exists: a finding about
    /// `privileged: true` reads best pointing at `privileged`.
    pub fn key_span(&self, pointer: &str) -> Option<Span> {
        let (parent, last) = pointer.rsplit_once('/')?;
        let (node, found) = self.lookup(parent);
        if !found {
            return None;
        }
        node.entry(&unescape_pointer(last)).map(|e| e.key_span)
    }

    /// Number of nodes in this tree (used to bound alias expansion).
    pub fn count(&self) -> usize {
        let mut n = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            n += 1;
            match &node.value {
                Value::Seq(items) => stack.extend(items.iter()),
                Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
                Value::Scalar(_) => {}
            }
        }
        n
    }
}

/// Copies the subtree of `from` at `path` into `to`, creating the mappings (and sequences) on the
/// way. Through a sequence, the rest of the path is applied to every item, so items keep their
/// indexes only when every item has the field; the projection is for reading, not for pointers.
impl Node {
    /// Frees the spare capacity of every mapping and sequence below this node.
    pub(crate) fn shrink_to_fit(&mut self) {
        match &mut self.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => {
                items.shrink_to_fit();
                items.iter_mut().for_each(Node::shrink_to_fit);
            }
            Value::Map(entries) => {
                entries.shrink_to_fit();
                entries.iter_mut().for_each(|e| e.value.shrink_to_fit());
            }
        }
    }
}

pub(crate) fn graft(from: &Node, to: &mut Node, path: &[&str]) {
    match (&from.value, path.split_first()) {
        (_, None) => *to = from.clone(),
        (Value::Map(entries), Some((key, rest))) => {
            let Some(e) = entries.iter().find(|e| &*e.key == *key) else {
                return;
            };
            let Value::Map(target) = &mut to.value else {
                return;
            };
            let existing = target.iter().position(|t| &*t.key == *key);
            let slot = match existing {
                Some(i) => i,
                None => {
                    let empty = match (&e.value.value, rest.is_empty()) {
                        (_, true) => e.value.clone(),
                        (Value::Seq(items), false) => Node {
                            value: Value::Seq(
                                items
                                    .iter()
                                    .map(|i| Node {
                                        value: Value::Map(Vec::new()),
                                        span: i.span,
                                    })
                                    .collect(),
                            ),
                            span: e.value.span,
                        },
                        _ => Node {
                            value: Value::Map(Vec::new()),
                            span: e.value.span,
                        },
                    };
                    target.push(Entry {
                        key: e.key.clone(),
                        key_span: e.key_span,
                        value: empty,
                    });
                    target.len() - 1
                }
            };
            if rest.is_empty() {
                if existing.is_some() {
                    // A deeper path grafted first left a part of this value: the whole of it is
                    // asked for now.
                    target[slot].value = e.value.clone();
                }
            } else {
                graft(&e.value, &mut target[slot].value, rest);
            }
        }
        (Value::Seq(items), Some(_)) => {
            if let Value::Seq(targets) = &mut to.value {
                for (item, t) in items.iter().zip(targets.iter_mut()) {
                    graft(item, t, path);
                }
            }
        }
        (Value::Scalar(_), Some(_)) => {}
    }
}

/// Unescapes one JSON pointer segment (`~1` → `/`, then `~0` → `~`).
pub fn unescape_pointer(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains('~') {
        seg.replace("~1", "/").replace("~0", "~").into()
    } else {
        seg.into()
    }
}

/// The segments of a JSON pointer (`/spec/a~1b` → `spec`, `a/b`); `""` is the whole document.
pub fn split_pointer(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .strip_prefix('/')
        .unwrap_or(pointer)
        .split('/')
        .map(|s| unescape_pointer(s).into_owned())
        .collect()
}

/// Escapes one segment for a JSON pointer.
pub fn escape_pointer(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains(['~', '/']) {
        seg.replace('~', "~0").replace('/', "~1").into()
    } else {
        seg.into()
    }
}
