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

/// What a scalar resolved to, without the value: the one byte every scalar stores (see
/// [`Scalar`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl ScalarKind {
    pub fn scalar_type(self) -> ScalarType {
        match self {
            ScalarKind::Null => ScalarType::Null,
            ScalarKind::Bool(_) => ScalarType::Bool,
            ScalarKind::Int(_) => ScalarType::Int,
            ScalarKind::Float(_) => ScalarType::Float,
            ScalarKind::Str => ScalarType::Str,
        }
    }
}

/// A scalar with its source text (after escapes and folding) and its resolved meaning.
///
/// The text is kept for every scalar because Kubernetes reads a plain scalar into a string field
/// verbatim (`name: yes` is the string "yes"), but into a boolean field as YAML 1.1 resolves it
/// (`hostNetwork: yes` is `true`).
///
/// Only the type of the meaning is stored; a number or boolean is read from the text again when
/// asked ([`Scalar::kind`]). Storing the value made every node of every tree 16 bytes larger
/// (a node 56 bytes, a mapping entry 88), for the few scalars any rule reads as numbers: at
/// 100,000 objects the projections the cross-object rules keep hold 2.2 million nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    pub text: Box<str>,
    /// Private so that it always agrees with `text` (see [`Scalar::new`]).
    ty: ScalarType,
    /// Quoted or block style: the author wrote a string on purpose.
    pub quoted: bool,
}

impl Scalar {
    /// A scalar whose text means `kind`. The text must resolve to that value again: the value of
    /// a number or boolean is not stored (a float's text as Rust's `Display` writes it does; a
    /// tagged scalar's text as the loader resolved it does).
    pub fn new(text: impl Into<Box<str>>, kind: ScalarKind, quoted: bool) -> Scalar {
        let scalar = Scalar {
            text: text.into(),
            ty: kind.scalar_type(),
            quoted,
        };
        debug_assert!(
            same_meaning(scalar.kind(), kind),
            "{:?} does not mean {kind:?}",
            scalar.text
        );
        scalar
    }

    /// A string scalar.
    pub fn string(text: impl Into<Box<str>>, quoted: bool) -> Scalar {
        Scalar {
            text: text.into(),
            ty: ScalarType::Str,
            quoted,
        }
    }

    pub fn scalar_type(&self) -> ScalarType {
        self.ty
    }

    pub fn is_null(&self) -> bool {
        self.ty == ScalarType::Null
    }

    /// The scalar's meaning, its value read from the text as the loader read it.
    pub fn kind(&self) -> ScalarKind {
        use crate::yaml::scalar::resolve_plain;
        match self.ty {
            ScalarType::Null => ScalarKind::Null,
            ScalarType::Str => ScalarKind::Str,
            ScalarType::Bool => {
                ScalarKind::Bool(crate::yaml::scalar::yaml11_bool(&self.text).unwrap_or(false))
            }
            // What `resolve_plain` does for an integer, without its copy of the text.
            ScalarType::Int => {
                ScalarKind::Int(crate::yaml::scalar::parse_go_int(&self.text).unwrap_or(0))
            }
            ScalarType::Float => ScalarKind::Float(match resolve_plain(&self.text) {
                ScalarKind::Float(f) => f,
                // `!!float 5`, and -0.0 written by `Display` as "-0".
                ScalarKind::Int(0) if self.text.starts_with('-') => -0.0,
                ScalarKind::Int(i) => i as f64,
                // A number `Display` wrote that YAML 1.1 would not read as one.
                _ => self.text.parse().unwrap_or(f64::NAN),
            }),
        }
    }
}

/// Equal meanings, NaN equal to itself.
fn same_meaning(a: ScalarKind, b: ScalarKind) -> bool {
    match (a, b) {
        (ScalarKind::Float(x), ScalarKind::Float(y)) => x == y || (x.is_nan() && y.is_nan()),
        _ => a == b,
    }
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
    Seq(Box<[Node]>),
    Map(Box<[Entry]>),
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
            Value::Scalar(s) if !s.is_null() => Some(&s.text),
            _ => None,
        }
    }

    /// The node read as a boolean field, as the API server would decode it: YAML 1.1 booleans only.
    /// A quoted `"true"` is a string and gives `None` (see [`Node::bool_intent`]).
    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Bool(b) => Some(b),
                _ => None,
            },
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
            Value::Scalar(s) => match s.kind() {
                ScalarKind::Int(i) => Some(i),
                ScalarKind::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                _ => None,
            },
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
            Value::Scalar(s) if s.is_null()
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
        let walk = self.walk(pointer);
        (walk.node, walk.found)
    }

    /// Walks a JSON pointer as far as it resolves: the one walk behind [`Node::lookup`] and a
    /// finding's location (`object::span_of`).
    pub(crate) fn walk(&self, pointer: &str) -> Walk<'_> {
        let mut walk = Walk {
            node: self,
            key_span: None,
            depth: 0,
            found: true,
        };
        if pointer.is_empty() {
            return walk;
        }
        for raw in pointer.strip_prefix('/').unwrap_or(pointer).split('/') {
            let seg = unescape_pointer(raw);
            let next = match &walk.node.value {
                Value::Map(entries) => entries
                    .iter()
                    .find(|e| *e.key == *seg)
                    .map(|e| (&e.value, Some(e.key_span))),
                Value::Seq(items) => seg
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i))
                    .map(|n| (n, None)),
                Value::Scalar(_) => None,
            };
            let Some((node, key_span)) = next else {
                walk.found = false;
                return walk;
            };
            walk.node = node;
            walk.key_span = key_span;
            walk.depth += 1;
        }
        walk
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

/// How far a JSON pointer resolved (see [`Node::walk`]).
pub(crate) struct Walk<'a> {
    /// The deepest node reached.
    pub node: &'a Node,
    /// The span of the key `node` was reached by, when it is a mapping's value.
    pub key_span: Option<Span>,
    /// How many segments resolved.
    pub depth: usize,
    /// Whether every segment did.
    pub found: bool,
}

/// Appends `item` to a mapping's entries or a sequence's items. Trees are built once at their
/// exact size and then read (their mappings and sequences are boxed slices, 8 bytes smaller
/// than vectors in every node); the few edits that add to one (an admission patch, `harden`)
/// copy it.
pub fn push_to<T>(items: &mut Box<[T]>, item: T) {
    let mut grown = std::mem::take(items).into_vec();
    grown.push(item);
    *items = grown.into_boxed_slice();
}

/// A path of mapping keys in two parts, read as one: a rule's keep wish names a field below the
/// pod template and the template's place in its object ([`crate::keep::Keep::pod`]), both
/// static, and joining them into a new vector for every wish of every object cost more than the
/// projection itself.
#[derive(Clone, Copy, Debug)]
pub struct KeyPath<'a> {
    pub base: &'a [&'a str],
    pub rel: &'a [&'a str],
}

impl<'a> KeyPath<'a> {
    pub fn new(path: &'a [&'a str]) -> KeyPath<'a> {
        KeyPath {
            base: &[],
            rel: path,
        }
    }

    fn first(&self) -> Option<&'a str> {
        self.base.first().or(self.rel.first()).copied()
    }

    /// The path after its first key.
    fn tail(self) -> KeyPath<'a> {
        match self.base.split_first() {
            Some((_, base)) => KeyPath { base, ..self },
            None => KeyPath {
                base: &[],
                rel: self.rel.get(1..).unwrap_or(&[]),
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.base.is_empty() && self.rel.is_empty()
    }

    fn keys(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.base.iter().chain(self.rel).copied()
    }
}

/// The same keys, however they are split.
impl PartialEq for KeyPath<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.base.len() == other.base.len() {
            // Split alike (the common case: two wishes below the same pod template); the
            // field part tells most paths apart, by its length or first key.
            return self.rel == other.rel && self.base == other.base;
        }
        self.base.len() + self.rel.len() == other.base.len() + other.rel.len()
            && self.keys().eq(other.keys())
    }
}

impl Eq for KeyPath<'_> {}

/// The part of `from` at `paths` (none of them empty), with its positions: a mapping keeps the
/// entries the paths name, in the order the paths first name them; a path through a sequence
/// applies to every item, so items keep their indexes (an item that is not a mapping, or a
/// scalar where a path goes deeper, is kept as an empty mapping). The projection is for reading,
/// not for pointers. Every mapping and sequence is built at its exact size: a projection is
/// kept until the end of the scan.
pub(crate) fn select(from: &Node, paths: &[KeyPath<'_>]) -> Node {
    let value = match &from.value {
        Value::Map(entries) => {
            // The paths grouped by their first key, in the order the keys first appear.
            let mut groups: Vec<(&str, Vec<KeyPath<'_>>)> = Vec::new();
            for path in paths {
                let Some(key) = path.first() else {
                    continue;
                };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, tails)) => tails.push(path.tail()),
                    None => groups.push((key, vec![path.tail()])),
                }
            }
            let picked: Vec<(&Entry, Vec<KeyPath<'_>>)> = groups
                .into_iter()
                .filter_map(|(key, tails)| Some((entries.iter().find(|e| &*e.key == key)?, tails)))
                .collect();
            Value::Map(
                picked
                    .into_iter()
                    .map(|(e, tails)| Entry {
                        key: e.key.clone(),
                        key_span: e.key_span,
                        // A path that ends here asks for the whole value, whatever deeper paths
                        // other rules asked for.
                        value: if tails.iter().any(KeyPath::is_empty) {
                            e.value.clone()
                        } else {
                            select(&e.value, &tails)
                        },
                    })
                    .collect(),
            )
        }
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .map(|item| match item.value {
                    Value::Map(_) => select(item, paths),
                    _ => Node {
                        value: Value::Map(Box::default()),
                        span: item.span,
                    },
                })
                .collect(),
        ),
        Value::Scalar(_) => Value::Map(Box::default()),
    };
    Node {
        value,
        span: from.span,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every document tree and every kept projection is made of these; a field added to them
    /// costs megabytes at 100,000 objects (see [`Scalar`]).
    #[test]
    fn nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Scalar>(), 24);
        assert_eq!(std::mem::size_of::<Node>(), 40);
        assert_eq!(std::mem::size_of::<Entry>(), 72);
    }

    #[test]
    fn a_scalar_reads_its_value_from_its_text() {
        use crate::yaml::scalar::{resolve_plain, resolve_tagged};
        for text in [
            "0x1F", "1_000", "-1", "0777", "089", "1.5", "1e3", ".inf", "-.Inf", "yes",
        ] {
            let kind = resolve_plain(text);
            assert_eq!(
                Scalar::new(text, kind, false).kind().scalar_type(),
                kind.scalar_type()
            );
            if !matches!(kind, ScalarKind::Float(f) if f.is_nan()) {
                assert_eq!(Scalar::new(text, kind, false).kind(), kind, "{text}");
            }
        }
        assert!(
            matches!(Scalar::new(".nan", resolve_plain(".nan"), false).kind(), ScalarKind::Float(f) if f.is_nan())
        );
        // `!!float 5`: an integer's text, a float's meaning.
        assert_eq!(
            Scalar::new("5", resolve_tagged("float", "5"), false).kind(),
            ScalarKind::Float(5.0)
        );
        // Numbers as JSON and Rust's `Display` write them.
        for f in [1e21, -0.0, 0.1, 1.8446744073709552e19, 2.5e-300] {
            let s = Scalar::new(f.to_string(), ScalarKind::Float(f), false);
            assert_eq!(s.kind(), ScalarKind::Float(f), "{f}");
        }
        assert!(
            matches!(Scalar::new("-0", ScalarKind::Float(-0.0), false).kind(), ScalarKind::Float(f) if f.is_sign_negative())
        );
    }
}
